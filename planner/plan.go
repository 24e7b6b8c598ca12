package planner

import "time"

// Objective is what the planner minimises.
type Objective string

const (
	// ObjectiveCost minimises the total cost of downtime: the sum over
	// services of (revenue_per_day + cost_per_day) × days until its ETA.
	ObjectiveCost Objective = "cost"
	// ObjectiveMakespan minimises when the last system is back.
	ObjectiveMakespan Objective = "makespan"
)

// Phase is where one system stands in a recovery that is under way.
type Phase int

const (
	// PhasePending: nothing done yet; clearance (if any) and restore ahead.
	PhasePending Phase = iota
	// PhaseClearing: the forensic clearance is under way.
	PhaseClearing
	// PhaseCleared: cleared, restore not started.
	PhaseCleared
	// PhaseRestoring: the restore (or its verification) is under way.
	PhaseRestoring
	// PhaseDone: the system is back online.
	PhaseDone
)

// Progress is how far one system has come, for planning from the middle of
// a recovery. Elapsed is how long the current phase (clearing or restoring)
// has been under way; the work keeps its remaining time.
type Progress struct {
	Phase   Phase
	Elapsed time.Duration
}

// Plan is a restart plan: when each system is cleared and restored, in
// which wave, why it starts when it does, and when each business service
// is back. Its JSON encoding is the machine contract of
// `phasegate plan --format json` and of the server's live plan.
type Plan struct {
	Objective     Objective `json:"objective"`
	Start         time.Time `json:"start"`
	Currency      string    `json:"currency,omitempty"`
	MakespanHours float64   `json:"makespan_hours"`
	End           time.Time `json:"end"`
	DowntimeCost  float64   `json:"downtime_cost"`
	// Schedules is how many schedules the planner generated; Seed makes
	// the run repeatable.
	Schedules int    `json:"schedules"`
	Seed      uint64 `json:"seed"`
	// LowerBound is a proven lower bound on the makespan in hours
	// (critical path and resource bounds), so a reader can see how far
	// from optimal the plan can be at most.
	LowerBoundHours float64 `json:"lower_bound_hours"`
	// Baseline is the same estate restored in plain dependency order
	// (wave by wave, no optimisation), for comparison.
	Baseline     *Baseline     `json:"baseline,omitempty"`
	Teams        []TeamPlan    `json:"teams"`
	Systems      []SystemPlan  `json:"systems"`
	Services     []ServicePlan `json:"services"`
	Waves        [][]string    `json:"waves"`
	CriticalPath []string      `json:"critical_path"`
	// Order is the plan's order of work (its activity list), for the next
	// plan to follow (Options.Follow). Not part of the JSON.
	Order []ActivityRef `json:"-"`
}

// Baseline is the plan a team would get by restoring in plain dependency
// order.
type Baseline struct {
	MakespanHours float64 `json:"makespan_hours"`
	DowntimeCost  float64 `json:"downtime_cost"`
}

// TeamPlan is one team and its capacity.
type TeamPlan struct {
	ID       string `json:"id"`
	Name     string `json:"name,omitempty"`
	Capacity int    `json:"capacity"`
}

// Wait says why a system's restore starts when it does.
type Wait struct {
	// Reason is one of: "none" (starts at once), "dependency" (waits for
	// the systems in On to be restored), "team" (the teams in On are at
	// capacity; Behind lists the systems holding them), "clearance" (its
	// own forensic clearance), "in-progress" (already being restored),
	// "done" (already online).
	Reason string   `json:"reason"`
	On     []string `json:"on,omitempty"`
	Behind []string `json:"behind,omitempty"`
}

// SystemPlan is one system's place in the plan. Hours are from Plan.Start.
type SystemPlan struct {
	ID                  string         `json:"id"`
	Name                string         `json:"name,omitempty"`
	Kind                string         `json:"kind,omitempty"`
	Team                string         `json:"team"`
	Criticality         int            `json:"criticality,omitempty"`
	Needs               map[string]int `json:"needs"`
	Requires            []string       `json:"requires"`
	Wave                int            `json:"wave"`
	ClearanceStartHours *float64       `json:"clearance_start_hours"`
	ClearanceEndHours   *float64       `json:"clearance_end_hours"`
	RestoreStartHours   float64        `json:"restore_start_hours"`
	RestoreEndHours     float64        `json:"restore_end_hours"`
	RestoreStart        time.Time      `json:"restore_start"`
	RestoreEnd          time.Time      `json:"restore_end"`
	WaitingOn           string         `json:"waiting_on"`
	Wait                Wait           `json:"wait"`
	Critical            bool           `json:"critical"`
}

// ServicePlan is when one business service is back, and what its downtime
// costs until then.
type ServicePlan struct {
	ID           string    `json:"id"`
	Name         string    `json:"name,omitempty"`
	Requires     []string  `json:"requires"`
	ETAHours     float64   `json:"eta_hours"`
	ETA          time.Time `json:"eta"`
	DowntimeCost float64   `json:"downtime_cost"`
	// LastSystem is the system whose restore brings the service back.
	LastSystem string   `json:"last_system,omitempty"`
	Audiences  []string `json:"audiences,omitempty"`
}
