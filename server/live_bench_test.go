package server_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/phasegate/phasegate/incident"
)

// BenchmarkLiveForecastDemo computes the live forecast of a demo incident
// (133 systems, every one to clear and restore) over HTTP: each iteration
// asks for a new seed, so each is a computation, planning included. The
// kept case asks again for one already computed.
// benchSeed makes every benchmarked forecast a new one, across -count.
var benchSeed atomic.Int64

func BenchmarkLiveForecastDemo(b *testing.B) {
	ts := newBenchServer(b, "demo")
	id := ts.declare("ic", incident.Declaration{Name: "bench", Kind: "ransomware", TotalShutdown: true}).ID
	for _, runs := range []int{2_000, 10_000} {
		b.Run(fmt.Sprintf("runs=%d", runs), func(b *testing.B) {
			for b.Loop() {
				seed := benchSeed.Add(1)
				if r := ts.do("viewer", "GET", path("/api/v1/incidents/%d/forecast?runs=%d&seed=%d", id, runs, seed), nil); r.status != 200 {
					b.Fatalf("status %d: %s", r.status, r.body)
				}
			}
		})
	}
	b.Run("kept", func(b *testing.B) {
		p := path("/api/v1/incidents/%d/forecast", id)
		ts.mustStatus(ts.do("viewer", "GET", p, nil), 200)
		for b.Loop() {
			if r := ts.do("viewer", "GET", p, nil); r.status != 200 {
				b.Fatalf("status %d", r.status)
			}
		}
	})
}

// BenchmarkLiveWhatIfDemo asks the demo incident a what-if with the
// baseline already computed (as after a look at the forecast): one more
// investigator, or five more (the answer then also tries one to four more:
// four reserve levels), each with core-network's clearance moved by a few
// more minutes, so each question is new. Before the reserve levels the
// benchmark raised the team's capacity by the iteration's number.
func BenchmarkLiveWhatIfDemo(b *testing.B) {
	ts := newBenchServer(b, "demo")
	id := ts.declare("ic", incident.Declaration{Name: "bench", Kind: "ransomware", TotalShutdown: true}).ID
	ts.mustStatus(ts.do("viewer", "GET", path("/api/v1/incidents/%d/forecast", id), nil), 200)
	for _, more := range []int{1, 5} {
		b.Run(fmt.Sprintf("more=%d", more), func(b *testing.B) {
			for b.Loop() {
				n := benchSeed.Add(1)
				body := map[string][]string{"team_capacity": {fmt.Sprintf("forensics=+%d", more)},
					"clearance": {fmt.Sprintf("core-network=+%dm", n)}}
				if r := ts.do("viewer", "POST", path("/api/v1/incidents/%d/whatif", id), body); r.status != 200 {
					b.Fatalf("status %d: %s", r.status, r.body)
				}
			}
		})
	}
}
