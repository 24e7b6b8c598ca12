// Package bench measures the planner: quality against the proven optima of
// PSPLIB J30, speed on generated 120-activity instances and scale on
// generated estates of up to 100,000 systems. The command line exposes it
// as `phasegate bench`; the same measures run as Go benchmarks.
package bench
