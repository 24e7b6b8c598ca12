package bench

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/planner"
	"github.com/phasegate/phasegate/psplib"
)

func psplibDir(tb testing.TB) string {
	tb.Helper()
	if d := os.Getenv("PHASEGATE_PSPLIB"); d != "" {
		return d
	}
	for _, d := range []string{"../../testdata/psplib"} {
		if _, err := os.Stat(filepath.Join(d, "j30opt.sm")); err == nil {
			return d
		}
	}
	if os.Getenv("CI") != "" {
		tb.Fatal("PSPLIB J30 not found in testdata/psplib (it is part of the repository; is the checkout complete?)")
	}
	tb.Skip("PSPLIB J30 not found (set PHASEGATE_PSPLIB)")
	return ""
}

// TestRunSmall runs every suite of Run on a small configuration and checks
// the tables it prints.
func TestRunSmall(t *testing.T) {
	var out bytes.Buffer
	cfg := Config{PSPLIBDir: psplibDir(t), Schedules: []int{20}, SpeedInstances: 2, ScaleSystems: []int{300}}
	if err := Run(context.Background(), &out, cfg); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"J30 quality (480 instances", "/480", "Speed: 5,000 schedules", "median", "Scale:", "300"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if err := Run(context.Background(), &out, Config{Suites: []string{"nope"}}); err == nil || !strings.Contains(err.Error(), "unknown suite") {
		t.Errorf("unknown suite: %v", err)
	}
}

func TestEstateIsValidForThePlanner(t *testing.T) {
	e := Estate(2000, 3)
	deps := 0
	for _, s := range e.Systems {
		deps += len(s.Requires)
	}
	if len(e.Systems) != 2000 || deps < 3*2000 || len(e.Services) != 20 {
		t.Fatalf("%d systems, %d requires, %d services", len(e.Systems), deps, len(e.Services))
	}
	p, err := planner.Make(e, planner.Options{Schedules: 10})
	if err != nil {
		t.Fatal(err)
	}
	if p.Objective != planner.ObjectiveCost || p.DowntimeCost > p.Baseline.DowntimeCost {
		t.Errorf("objective %s, cost %v vs baseline %v", p.Objective, p.DowntimeCost, p.Baseline.DowntimeCost)
	}
}

func benchJ30(b *testing.B, schedules int) {
	ins, opt, err := LoadJ30(psplibDir(b))
	if err != nil {
		b.Fatal(err)
	}
	var q Quality
	for b.Loop() {
		q, err = RunQuality(context.Background(), "j30", ins, opt, schedules, 0)
		if err != nil {
			b.Fatal(err)
		}
		if len(q.BelowOptima) > 0 {
			b.Fatalf("below optimum: %v", q.BelowOptima)
		}
	}
	b.ReportMetric(q.MeanDevPct, "%above-opt")
	b.ReportMetric(float64(q.Optimal), "optimal/480")
}

// BenchmarkJ30_1000 and BenchmarkJ30_5000 plan all 480 J30 instances;
// read the quality from the %above-opt and optimal/480 metrics.
func BenchmarkJ30_1000(b *testing.B) { benchJ30(b, 1000) }
func BenchmarkJ30_5000(b *testing.B) { benchJ30(b, 5000) }

// BenchmarkSpeed120 is 5,000 schedules of one generated 120-activity,
// 4-resource instance on one core.
func BenchmarkSpeed120(b *testing.B) {
	for i, gc := range SpeedConfigs(4) {
		in := psplib.Generate(gc, uint64(i)+1)
		m, err := planner.Compile(psplib.ToEstate(in), nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(in.Name, func(b *testing.B) {
			used := 0
			for b.Loop() {
				sol, err := m.Solve(planner.SolveOptions{Schedules: 5000, Workers: 1})
				if err != nil {
					b.Fatal(err)
				}
				used = sol.Schedules
			}
			b.ReportMetric(float64(used), "schedules")
		})
	}
}

func benchScale(b *testing.B, n int) {
	e := Estate(n, 1)
	b.ResetTimer()
	var p *planner.Plan
	for b.Loop() {
		var err error
		if p, err = planner.Make(e, planner.Options{Seed: 0}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(p.Schedules), "schedules")
	b.ReportMetric(p.MakespanHours, "makespan-h")
}

// BenchmarkScale10k and BenchmarkScale100k make whole plans of generated
// estates with the default budget.
func BenchmarkScale10k(b *testing.B)  { benchScale(b, 10_000) }
func BenchmarkScale100k(b *testing.B) { benchScale(b, 100_000) }

// checkEstate fails when Estate(n, seed) is not a valid estate of n
// systems that the planner can plan.
func checkEstate(t *testing.T, n int, seed uint64) {
	t.Helper()
	e := Estate(n, seed)
	if len(e.Systems) != n {
		t.Fatalf("Estate(%d, %d): %d systems", n, seed, len(e.Systems))
	}
	if err := estate.Validate(e); err != nil {
		t.Fatalf("Estate(%d, %d) is not valid: %v", n, seed, err)
	}
	if _, err := planner.Make(e, planner.Options{Schedules: 2}); err != nil {
		t.Fatalf("Estate(%d, %d) cannot be planned: %v", n, seed, err)
	}
}

// Every size from 1 works, including the small ones whose dependency
// layers are empty (below 79 systems some are).
func TestEstateEverySmallSize(t *testing.T) {
	for n := 1; n <= 120; n++ {
		for seed := range uint64(2) {
			checkEstate(t, n, seed)
		}
	}
}

func FuzzEstate(f *testing.F) {
	for _, n := range []uint16{1, 5, 50, 60, 75, 78, 79, 300} {
		f.Add(n, uint64(1))
	}
	f.Fuzz(func(t *testing.T, n uint16, seed uint64) {
		if n == 0 || n > 5000 {
			t.Skip()
		}
		checkEstate(t, int(n), seed)
	})
}
