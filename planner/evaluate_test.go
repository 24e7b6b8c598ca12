package planner

import (
	"math/rand/v2"
	"slices"
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

// TestFollowingItsOwnOrder, on random estates: a plan that follows the
// order of the plan just made on the same model is that plan (the same
// schedule), or one clearly better the search went on to find; one that
// follows another order is never
// worse than the search by more than StabilityMargin, and when it keeps
// that order it is that order's schedule.
func TestFollowingItsOwnOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 13))
	for i := range 200 {
		e, prog := randomEstate(rng)
		m, err := Compile(e, prog)
		if err != nil {
			t.Fatal(err)
		}
		opts := SolveOptions{Schedules: 60, Seed: uint64(i)}
		sol, err := m.Solve(opts)
		if err != nil {
			t.Fatal(err)
		}
		again, err := m.SolveFollowing(opts, m.Refs(sol.Order))
		if err != nil {
			t.Fatal(err)
		}
		same := again.Makespan == sol.Makespan && again.Cost == sol.Cost && slices.Equal(again.Start, sol.Start)
		if !same && !clearlyBetter(again, sol) {
			t.Fatalf("estate %d: following its own plan gave makespan %d cost %.2f, the plan %d %.2f: neither it nor clearly better",
				i, again.Makespan, again.Cost, sol.Makespan, sol.Cost)
		}
		// Another order: the reverse of a feasible one, carried over.
		other := m.Refs(m.OrderBy(func(a int) float64 { return -float64(a) }))
		f, err := m.SolveFollowing(opts, other)
		if err != nil {
			t.Fatal(err)
		}
		searched, err := m.Solve(SolveOptions{Schedules: 60, Seed: uint64(i), Initial: [][]int{m.CarryOver(other)}})
		if err != nil {
			t.Fatal(err)
		}
		if clearlyBetter(searched, f) {
			t.Fatalf("estate %d: following gave %.3f, the search %.3f: worse by more than the margin", i, value(f), value(searched))
		}
		if !slices.Equal(f.Order, searched.Order) {
			kept, err := m.Evaluate(m.CarryOver(other), f.Objective)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(f.Start, kept.Start) {
				t.Fatalf("estate %d: kept an order but not its schedule", i)
			}
		}
	}
}

// value is a solution's objective.
func value(s *Solution) float64 {
	if s.Objective == ObjectiveCost {
		return s.Cost
	}
	return float64(s.Makespan)
}
