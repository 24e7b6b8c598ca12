package planner

import (
	"time"

	"github.com/phasegate/phasegate/estate"
)

// Options steer one planning run.
type Options struct {
	// Objective: empty picks ObjectiveCost when any service carries a
	// cost, else ObjectiveMakespan.
	Objective Objective
	// Schedules bounds the effort: how many schedules the improvement
	// method may generate. Zero picks a default that suits the size
	// (DefaultSchedules); negative is an error.
	Schedules int
	// Seed makes the run repeatable.
	Seed uint64
	// Start is the plan's clock origin: hours in the plan count from here.
	// When zero, the estate's Start is used.
	Start time.Time
	// Progress, keyed by system id, plans from the middle of a recovery.
	// Nil plans from scratch.
	Progress map[string]Progress
	// Follow is the order of work of an earlier plan (its Plan.Order): the
	// plan keeps it unless the search finds one clearly better
	// (SolveFollowing), so a plan made again as time passes does not jump
	// between near-equal orders. Nil searches afresh.
	Follow []ActivityRef
}

// Make plans the restart of a valid estate: it compiles the estate with
// the progress, searches for the best schedule within the budget and
// explains it.
func Make(e *estate.Estate, opts Options) (*Plan, error) {
	m, err := Compile(e, opts.Progress)
	if err != nil {
		return nil, err
	}
	sol, err := m.SolveFollowing(SolveOptions{Objective: opts.Objective, Schedules: opts.Schedules, Seed: opts.Seed}, opts.Follow)
	if err != nil {
		return nil, err
	}
	start := opts.Start
	if start.IsZero() {
		start = e.Start
	}
	p := m.Explain(e, sol, start)
	p.Seed = opts.Seed
	return p, nil
}
