// Package incident runs a recovery: incidents declared on a version of the
// estate, the state of every system in them (isolated, investigating,
// cleared, restoring, verifying, online, or compromised), the clearance
// checklists and the two-person rule that gate each restart, the accounts
// and roles of the people doing the work, and the hash-chained event log
// that records every decision.
//
// It is the domain core and the application service. It does no SQL and
// no HTTP and reads no clock: storage is behind Store (implemented by the
// store package), time comes from Service's injected clock, and the HTTP
// server calls one Service method per use case with the acting Actor.
package incident
