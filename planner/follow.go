package planner

// Following an earlier plan. A live plan is made again whenever anything
// happens and as time passes. Each search is seeded, but the model it
// searches changes by minutes as work in progress runs down, so two
// searches a few minutes apart can settle on different, near-equal orders
// of work whose dates for one service lie days apart: a plan that jumps
// with nothing happening. So a re-plan starts from the order it made last
// time, carried over to the new model, and keeps it unless the search
// finds a schedule clearly better.

// ActivityRef names an activity whatever a model's indexes: a system's
// clearance or restore.
type ActivityRef struct {
	System string       `json:"system"`
	Kind   ActivityKind `json:"kind"`
}

// Refs names the activities of an activity list of m.
func (m *Model) Refs(order []int) []ActivityRef {
	out := make([]ActivityRef, len(order))
	for i, a := range order {
		out[i] = ActivityRef{m.acts[a].System, m.acts[a].Kind}
	}
	return out
}

// CarryOver turns an activity list of another model (of the same estate
// at another time, or of the estate before a change) into one of m:
// activities keep that list's order wherever the precedences allow; those
// it lacks (a clearance added, a system discovered) come first.
func (m *Model) CarryOver(order []ActivityRef) []int {
	pos := make(map[ActivityRef]int, len(order))
	for i, r := range order {
		pos[r] = i
	}
	return m.OrderBy(func(a int) float64 {
		if i, ok := pos[ActivityRef{m.acts[a].System, m.acts[a].Kind}]; ok {
			return float64(i)
		}
		return -1
	})
}

// StabilityMargin is how much better (a share of the objective: cost, or
// the makespan) a search's schedule must be than the order followed to
// replace it.
const StabilityMargin = 0.005

// SolveFollowing solves as Solve does with follow, carried over, among
// the initial lists, and keeps the order followed unless the search's
// best is better by more than StabilityMargin. With no follow it is
// Solve. Schedules, LowerBound and the baseline are the search's whichever
// order is kept.
func (m *Model) SolveFollowing(opts SolveOptions, follow []ActivityRef) (*Solution, error) {
	if len(follow) == 0 {
		return m.Solve(opts)
	}
	carried := m.CarryOver(follow)
	opts.Initial = append([][]int{carried}, opts.Initial...)
	sol, err := m.Solve(opts)
	if err != nil {
		return nil, err
	}
	kept, err := m.Evaluate(carried, sol.Objective)
	if err != nil {
		return nil, err
	}
	if clearlyBetter(sol, kept) {
		return sol, nil
	}
	kept.Schedules, kept.LowerBound = sol.Schedules, sol.LowerBound
	kept.BaselineMakespan, kept.BaselineCost = sol.BaselineMakespan, sol.BaselineCost
	return kept, nil
}

// clearlyBetter: a beats b by more than StabilityMargin on their
// objective.
func clearlyBetter(a, b *Solution) bool {
	if a.Objective == ObjectiveCost {
		return a.Cost < b.Cost*(1-StabilityMargin)
	}
	return float64(a.Makespan) < float64(b.Makespan)*(1-StabilityMargin)
}
