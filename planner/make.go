package planner

import (
	"errors"
	"time"

	"github.com/phasegate/phasegate/estate"
)

// Options steer one planning run.
type Options struct {
	// Objective: empty picks ObjectiveCost when any service carries a
	// cost, else ObjectiveMakespan.
	Objective Objective
	// Schedules bounds the effort: how many schedules the improvement
	// method may generate. Zero picks a default that suits the size.
	Schedules int
	// Seed makes the run repeatable.
	Seed uint64
	// Start is the plan's clock origin: hours in the plan count from here.
	Start time.Time
	// Progress, keyed by system id, plans from the middle of a recovery.
	// Nil plans from scratch.
	Progress map[string]Progress
}

// Make plans the restart of a valid estate.
//
// STUB: replaced by the planner.
func Make(e *estate.Estate, opts Options) (*Plan, error) {
	return nil, errors.New("planner: not written yet")
}
