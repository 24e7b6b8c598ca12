package forecast

import (
	"context"
	"testing"
	"time"

	"github.com/phasegate/phasegate/estate"
	northfield "github.com/phasegate/phasegate/examples/northfield-motors"
)

// demoStart is the fixed clock start of the demo in tests.
var demoStart = time.Date(2025, 9, 1, 8, 0, 0, 0, time.UTC)

func demoEstate(tb testing.TB) *estate.Estate {
	tb.Helper()
	files, err := northfield.Files()
	if err != nil {
		tb.Fatal(err)
	}
	e, err := estate.Parse(files...)
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

// BenchmarkForecastDemo is 10,000 runs of the demo estate on every core,
// the deterministic plan's search included.
func BenchmarkForecastDemo(b *testing.B) {
	e := demoEstate(b)
	for b.Loop() {
		if _, err := Run(context.Background(), e, Options{Runs: 10_000, Seed: 1, Start: demoStart}); err != nil {
			b.Fatal(err)
		}
	}
}
