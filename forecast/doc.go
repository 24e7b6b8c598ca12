// Package forecast turns a restart plan into honest dates and the money at
// stake: a Monte Carlo forecast of when each business service is back
// (P50/P80/P95 and the chance of being back by a date), the impact ledger
// of what the outage has cost and will cost, the backlogs that pile up
// while services are down and how long they take to clear, and what-if
// scenarios compared against the baseline with common random numbers.
//
// The forecast solves the plan once (planner.Model.Solve) and keeps its
// best activity list as the restart policy; each run samples every
// three-point estimate from a PERT distribution and re-decodes that list
// with one serial schedule generation pass. Like the planner, the package
// does no I/O and reads no clock: the caller passes the start, the
// incident's start and the progress of a recovery under way.
package forecast
