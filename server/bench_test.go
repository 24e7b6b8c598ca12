package server_test

import (
	"fmt"
	"testing"

	"github.com/phasegate/phasegate/incident"
)

// BenchmarkIncidentViewDemo reads the demo incident (133 systems with
// their states and checklists) over HTTP, as a screen refresh would.
func BenchmarkIncidentViewDemo(b *testing.B) {
	ts := newBenchServer(b, "demo")
	id := ts.declare("ic", incident.Declaration{Name: "bench", Kind: "ransomware", TotalShutdown: true}).ID
	p := path("/api/v1/incidents/%d", id)
	b.ResetTimer()
	for b.Loop() {
		if r := ts.do("viewer", "GET", p, nil); r.status != 200 {
			b.Fatalf("status %d", r.status)
		}
	}
}

// BenchmarkTickOverHTTP is one write: a checklist tick, authenticated by
// token, in its own transaction with its event (SQLite, synchronous=FULL).
func BenchmarkTickOverHTTP(b *testing.B) {
	ts := newBenchServer(b, "small")
	id := ts.declare("ic", incident.Declaration{Name: "bench", Kind: "ransomware", TotalShutdown: true}).ID
	p := path("/api/v1/incidents/%d/systems/wiki/checklist", id)
	i := 0
	b.ResetTimer()
	for b.Loop() {
		i++
		r := ts.do("forensics", "POST", p, incident.Tick{Item: "forensic-image", Done: i%2 == 0, Note: fmt.Sprint(i)})
		if r.status != 200 {
			b.Fatalf("status %d: %s", r.status, r.body)
		}
	}
}

// BenchmarkLivePlanDemo computes the demo incident's live plan on
// request (the planner with the server's default effort for live plans).
func BenchmarkLivePlanDemo(b *testing.B) {
	ts := newBenchServer(b, "demo")
	id := ts.declare("ic", incident.Declaration{Name: "bench", Kind: "ransomware", TotalShutdown: true}).ID
	p := path("/api/v1/incidents/%d/plan", id)
	b.ResetTimer()
	for b.Loop() {
		if r := ts.do("viewer", "GET", p, nil); r.status != 200 {
			b.Fatalf("status %d", r.status)
		}
	}
}
