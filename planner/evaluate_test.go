package planner

import (
	"math/rand/v2"
	"testing"
)

// TestOrderByEvaluateAndInitial, on random estates: OrderBy gives a list
// Decode accepts that keeps the priorities wherever the precedences allow;
// Evaluate of a list is its decode; and Solve started from a list is
// never worse than that list.
func TestOrderByEvaluateAndInitial(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 34))
	for i := range 300 {
		e, prog := randomEstate(rng)
		m, err := Compile(e, prog)
		if err != nil {
			t.Fatal(err)
		}
		na := len(m.Activities())
		prio := make([]float64, na)
		for a := range prio {
			prio[a] = rng.Float64()
		}
		order := m.OrderBy(func(a int) float64 { return prio[a] })
		if len(order) != na {
			t.Fatalf("estate %d: OrderBy gave %d of %d activities", i, len(order), na)
		}
		pos := make([]int, na)
		for k, a := range order {
			pos[a] = k
		}
		for a := range na {
			for _, p := range m.Predecessors(a) {
				if pos[p] > pos[a] {
					t.Fatalf("estate %d: activity %d listed before its predecessor %d", i, a, p)
				}
			}
		}
		// Where nothing forces otherwise, lower priority first: an
		// activity listed after one of higher priority had a predecessor
		// listed at or after that one.
		for k := 1; k < na; k++ {
			a, b := order[k-1], order[k]
			if prio[b] < prio[a] && len(m.Predecessors(b)) == 0 {
				t.Fatalf("estate %d: free activity %d (priority %.3f) after %d (%.3f)", i, b, prio[b], a, prio[a])
			}
		}
		sol, err := m.Evaluate(order, "")
		if err != nil {
			t.Fatalf("estate %d: %v", i, err)
		}
		d := m.NewDecoder()
		if err := d.Decode(order, nil); err != nil {
			t.Fatal(err)
		}
		if sol.Makespan != d.Makespan() || sol.Cost != d.Cost() {
			t.Fatalf("estate %d: Evaluate gives makespan %d cost %v, Decode %d %v", i, sol.Makespan, sol.Cost, d.Makespan(), d.Cost())
		}
		got, err := m.Solve(SolveOptions{Seed: uint64(i), Schedules: 1 + rng.IntN(60), Initial: [][]int{order}})
		if err != nil {
			t.Fatal(err)
		}
		if sol.Objective == ObjectiveCost && got.Cost > sol.Cost+1e-9 || sol.Objective == ObjectiveMakespan && got.Makespan > sol.Makespan {
			t.Fatalf("estate %d: Solve from a list (%s) found makespan %d cost %v; the list alone %d %v",
				i, sol.Objective, got.Makespan, got.Cost, sol.Makespan, sol.Cost)
		}
	}
	// A list that is not a feasible permutation is refused.
	e, prog := randomEstate(rand.New(rand.NewPCG(1, 2)))
	m, _ := Compile(e, prog)
	if _, err := m.Solve(SolveOptions{Initial: [][]int{{0}}}); err == nil && len(m.Activities()) != 1 {
		t.Error("Solve accepted an initial list of the wrong length")
	}
}
