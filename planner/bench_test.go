package planner_test

import (
	"testing"

	"github.com/phasegate/phasegate/internal/bench"
	"github.com/phasegate/phasegate/planner"
	"github.com/phasegate/phasegate/psplib"
)

func model120(b *testing.B) *planner.Model {
	in := psplib.Generate(psplib.GenConfig{Jobs: 120, Resources: 4, NC: 1.8, RF: 0.5, RS: 0.2}, 1)
	m, err := planner.Compile(psplib.ToEstate(in), nil)
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// BenchmarkDecode120 is one SSGS pass over a 120-activity instance.
func BenchmarkDecode120(b *testing.B) {
	m := model120(b)
	d := m.NewDecoder()
	order := m.Order()
	b.ReportAllocs()
	for b.Loop() {
		if err := d.Decode(order, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSolve120 is 5,000 schedules of a 120-activity instance on one
// core (the target is 0.5 s).
func BenchmarkSolve120(b *testing.B) {
	m := model120(b)
	for b.Loop() {
		if _, err := m.Solve(planner.SolveOptions{Schedules: 5000, Workers: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecode10k is one SSGS pass over a 10,000-system estate, the
// unit of work of a forecast.
func BenchmarkDecode10k(b *testing.B) {
	m, err := planner.Compile(bench.Estate(10_000, 1), nil)
	if err != nil {
		b.Fatal(err)
	}
	d := m.NewDecoder()
	sol, err := m.Solve(planner.SolveOptions{Schedules: 3})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := d.Decode(sol.Order, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func benchMake(b *testing.B, n int) {
	e := bench.Estate(n, 1)
	for b.Loop() {
		if _, err := planner.Make(e, planner.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMake10k and BenchmarkMake100k are whole plans with the default
// budget (targets: 0.5 s and 5 s).
func BenchmarkMake10k(b *testing.B)  { benchMake(b, 10_000) }
func BenchmarkMake100k(b *testing.B) { benchMake(b, 100_000) }
