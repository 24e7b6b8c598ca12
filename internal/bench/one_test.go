package bench

import (
	"os"
	"strconv"
	"testing"

	"github.com/phasegate/phasegate/planner"
	"github.com/phasegate/phasegate/psplib"
)

func TestTuneOne(t *testing.T) {
	name := os.Getenv("J30ONE")
	if name == "" {
		t.Skip()
	}
	data, err := os.ReadFile("/work/shared/bench/psplib/j30/" + name + ".sm")
	if err != nil {
		t.Fatal(err)
	}
	in, err := psplib.Parse(name, data)
	if err != nil {
		t.Fatal(err)
	}
	m, err := planner.Compile(psplib.ToEstate(in), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1000, 5000, 20000, 100000} {
		for seed := range 3 {
			sol, _ := m.Solve(planner.SolveOptions{Schedules: n, Seed: uint64(seed)})
			t.Logf("n=%d seed=%d makespan=%d lb=%d base=%d used=%d", n, seed, sol.Makespan/60, sol.LowerBound/60, sol.BaselineMakespan/60, sol.Schedules)
		}
	}
	_ = strconv.Itoa
}
