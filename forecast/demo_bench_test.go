package forecast

import (
	"context"
	"testing"
	"time"

	"github.com/phasegate/phasegate/estate"
	northfield "github.com/phasegate/phasegate/examples/northfield-motors"
	"github.com/phasegate/phasegate/planner"
)

// demoStart is the fixed clock start of the demo in tests.
var demoStart = time.Date(2025, 9, 15, 8, 0, 0, 0, time.UTC)

func demoEstate(tb testing.TB) *estate.Estate {
	tb.Helper()
	e, err := northfield.Estate()
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

// BenchmarkForecastDemo is what `phasegate forecast` does on the demo
// estate: plan it (the planner's default 5,000 schedules), then 10,000
// runs on every core.
func BenchmarkForecastDemo(b *testing.B) {
	e := demoEstate(b)
	for b.Loop() {
		if _, err := Run(context.Background(), e, Options{Runs: 10_000, Seed: 1, Start: demoStart}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkForecastDemoRuns is the Monte Carlo alone: 10,000 runs of the
// demo's plan, on one worker and on one per core.
func BenchmarkForecastDemoRuns(b *testing.B) {
	e := demoEstate(b)
	m, err := planner.Compile(e, nil)
	if err != nil {
		b.Fatal(err)
	}
	sol, err := m.Solve(planner.SolveOptions{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	for _, workers := range []int{1, 0} {
		name := "workers=GOMAXPROCS"
		if workers == 1 {
			name = "workers=1"
		}
		b.Run(name, func(b *testing.B) {
			opts := Options{Seed: 1, Workers: workers}
			for b.Loop() {
				if _, err := simulate(context.Background(), e, m, sol, opts, 10_000, PERT, demoStart); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
