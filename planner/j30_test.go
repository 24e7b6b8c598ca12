package planner_test

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/phasegate/phasegate/planner"
	"github.com/phasegate/phasegate/psplib"
)

// The PSPLIB J30 set is kept in the repository (testdata/psplib, with its
// provenance in its README); PHASEGATE_PSPLIB points elsewhere.
var psplibDirs = []string{"../testdata/psplib"}

func psplibPath(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("PHASEGATE_PSPLIB")
	for _, d := range psplibDirs {
		if _, err := os.Stat(d); dir == "" && err == nil {
			dir = d
		}
	}
	if dir == "" {
		dir = psplibDirs[0]
	}
	if _, err := os.Stat(filepath.Join(dir, "j30opt.sm")); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("PSPLIB J30 not found at %s: %v", dir, err)
		}
		t.Skipf("PSPLIB J30 not found at %s (set PHASEGATE_PSPLIB)", dir)
	}
	return dir
}

func loadJ30(t testing.TB) (map[string]*psplib.Instance, map[string]int) {
	t.Helper()
	dir := psplibPath(t)
	data, err := os.ReadFile(filepath.Join(dir, "j30opt.sm"))
	if err != nil {
		t.Fatal(err)
	}
	opts, err := psplib.ParseOptima("j30opt.sm", data)
	if err != nil {
		t.Fatal(err)
	}
	ins, best := map[string]*psplib.Instance{}, map[string]int{}
	for _, o := range opts {
		name := o.Name("j30")
		p := filepath.Join(dir, "j30", name+".sm")
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		in, err := psplib.Parse(p, data)
		if err != nil {
			t.Fatal(err)
		}
		ins[name], best[name] = in, o.Makespan
	}
	if len(ins) != 480 {
		t.Fatalf("%d J30 instances, want 480", len(ins))
	}
	return ins, best
}

// TestJ30NeverBelowOptimum plans all 480 instances with a small budget: a
// makespan below a proven optimum would mean an infeasible schedule.
func TestJ30NeverBelowOptimum(t *testing.T) {
	ins, best := loadJ30(t)
	for name, in := range ins {
		m, err := planner.Compile(psplib.ToEstate(in), nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		sol, err := m.Solve(planner.SolveOptions{Schedules: 30, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if sol.Makespan%60 != 0 {
			t.Fatalf("%s: makespan %d minutes is not whole periods", name, sol.Makespan)
		}
		if got := sol.Makespan / 60; got < best[name] {
			t.Errorf("%s: makespan %d below the proven optimum %d", name, got, best[name])
		}
		if lb := sol.LowerBound / 60; lb > best[name] {
			t.Errorf("%s: lower bound %d above the proven optimum %d", name, lb, best[name])
		}
	}
}

// TestJ30ReachesOptimum: instances where the optimum lies well above the
// lower bound and a dependency-order plan is far off, which the default
// budget solves to optimality (verified when chosen).
func TestJ30ReachesOptimum(t *testing.T) {
	ins, best := loadJ30(t)
	for _, name := range []string{"j301_1", "j301_5", "j305_3", "j305_5", "j305_8", "j306_5"} {
		p, err := planner.Make(psplib.ToEstate(ins[name]), planner.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if int(p.MakespanHours) != best[name] {
			t.Errorf("%s: makespan %vh, optimum %d", name, p.MakespanHours, best[name])
		}
		if p.Baseline.MakespanHours <= p.MakespanHours {
			t.Errorf("%s: baseline %vh not worse than %vh: pick a harder instance", name, p.Baseline.MakespanHours, p.MakespanHours)
		}
	}
}

// TestDecoderForForecast re-decodes the best list with other durations the
// way a forecast does: in parallel goroutines, each with its own decoder,
// without allocating.
func TestDecoderForForecast(t *testing.T) {
	ins, _ := loadJ30(t)
	m, err := planner.Compile(psplib.ToEstate(ins["j301_1"]), nil)
	if err != nil {
		t.Fatal(err)
	}
	sol, err := m.Solve(planner.SolveOptions{Schedules: 200, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	d := m.NewDecoder()
	if err := d.Decode(sol.Order, nil); err != nil {
		t.Fatal(err)
	}
	if d.Makespan() != sol.Makespan {
		t.Fatalf("re-decoding the best list gives %d, the solution %d", d.Makespan(), sol.Makespan)
	}
	acts := m.Activities()
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dec := m.NewDecoder()
			durs := make([]int, len(acts))
			for i := range 200 {
				for a := range acts {
					durs[a] = acts[a].Minutes + (i*7+a*3+w)%90 // longer than planned
				}
				if err := dec.Decode(sol.Order, durs); err != nil {
					t.Error(err)
					return
				}
				if dec.Makespan() < sol.Makespan {
					t.Errorf("longer durations finished earlier: %d < %d", dec.Makespan(), sol.Makespan)
					return
				}
				for a := range acts {
					if dec.Finish(a)-dec.Start(a) != durs[a] {
						t.Errorf("activity %d took %d, sampled %d", a, dec.Finish(a)-dec.Start(a), durs[a])
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	durs := m.Durations()
	if n := testing.AllocsPerRun(50, func() { _ = d.Decode(sol.Order, durs) }); n != 0 {
		t.Errorf("Decode allocates %v times per call", n)
	}
	bad := append([]int(nil), sol.Order...)
	bad[0], bad[len(bad)-1] = bad[len(bad)-1], bad[0]
	if err := d.Decode(bad, nil); err == nil {
		t.Error("an order with a successor first was accepted")
	}
}
