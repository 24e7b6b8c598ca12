// Package planner plans the phased restart of an estate: it schedules every
// system's forensic clearance and restore so that dependencies are met and
// no team is ever over capacity, minimising the cost of downtime (or the
// time until the last system is back), and explains why each system starts
// when it does.
//
// The problem is the resource-constrained project scheduling problem
// (RCPSP). The planner does no I/O and reads no clock: the caller passes
// the start time and, for a recovery under way, each system's progress.
package planner
