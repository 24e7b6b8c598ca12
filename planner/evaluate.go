package planner

// OrderBy returns a precedence-feasible activity list that follows the
// priorities (lower first) wherever the precedences allow: of the
// activities whose predecessors are all listed, the one of lowest
// priority comes next (ties by index). A what-if uses it to carry an
// activity list over to a changed estate.
func (m *Model) OrderBy(priority func(a int) float64) []int {
	na := len(m.acts)
	indeg := make([]int32, na)
	h := intHeap{}
	for a := range na {
		indeg[a] = m.predStart[a+1] - m.predStart[a]
		if indeg[a] == 0 {
			h.push(a, priority(a))
		}
	}
	order := make([]int, 0, na)
	for h.len() > 0 {
		a := h.pop()
		order = append(order, a)
		for _, s := range m.succ[m.succStart[a]:m.succStart[a+1]] {
			indeg[s]--
			if indeg[s] == 0 {
				h.push(int(s), priority(int(s)))
			}
		}
	}
	return order
}

// Evaluate decodes an activity list with the deterministic durations and
// returns it as a Solution, as Solve would had it found that list (no
// search: Schedules is 1). objective as in SolveOptions.
func (m *Model) Evaluate(order []int, objective Objective) (*Solution, error) {
	obj, err := m.objectiveFor(objective)
	if err != nil {
		return nil, err
	}
	d := m.NewDecoder()
	base := m.baselineOrder()
	d.setDurations(nil)
	_ = d.forward(base, false)
	d.evaluate()
	sol := &Solution{Objective: obj, LowerBound: m.LowerBound(), BaselineMakespan: d.Makespan(), BaselineCost: d.Cost()}
	if err := d.Decode(order, nil); err != nil {
		return nil, err
	}
	na := len(m.acts)
	sol.Order = append([]int(nil), order...)
	sol.Start, sol.Finish = make([]int, na), make([]int, na)
	for a := range na {
		sol.Start[a], sol.Finish[a] = d.Start(a), d.Finish(a)
	}
	sol.Makespan, sol.Cost = d.Makespan(), d.Cost()
	sol.ServiceETA = append([]int(nil), d.eta...)
	sol.Schedules = 1
	return sol, nil
}
