package server_test

import (
	"fmt"
	"testing"

	"github.com/phasegate/phasegate/incident"
)

// BenchmarkUIPages renders each main page of the demo incident (133
// systems) for a logged-in browser, over HTTP, with the live plan shared
// between pages (the usual case: many people looking at one state). The
// what-if is the same question each time: the first computes it, the rest
// are served from the live cache.
func BenchmarkUIPages(b *testing.B) {
	ts := newBenchServer(b, "demo")
	id := ts.declare("ic", incident.Declaration{Name: "bench", Kind: "ransomware", TotalShutdown: true}).ID
	ts.recordETAs(id)
	c := uiLogin(b, ts, "viewer")
	base := fmt.Sprintf("/incidents/%d", id)
	for _, p := range []struct{ name, path string }{
		{"overview", base}, {"plan", base + "/plan"}, {"forecast", base + "/forecast"}, {"backlogs", base + "/backlogs"},
		{"systems", base + "/systems"},
		{"system", base + "/systems/sap-s4-core"}, {"approvals", base + "/approvals"}, {"events", base + "/events"},
		{"history", base + "/history"}, {"whatif", base + "/whatif?cap-team-1=forensics&cap-1=%2B2"},
	} {
		b.Run(p.name, func(b *testing.B) {
			for b.Loop() {
				if r := c.get(p.path); r.status != 200 {
					b.Fatalf("%s: status %d", p.path, r.status)
				}
			}
		})
	}
}

// BenchmarkUIOverviewAfterChange renders the overview after every change
// of a system's state: each time a fresh live plan (the planner with the
// server's default effort) and the impact ledger.
func BenchmarkUIOverviewAfterChange(b *testing.B) {
	ts := newBenchServer(b, "demo")
	id := ts.declare("ic", incident.Declaration{Name: "bench", Kind: "ransomware", TotalShutdown: true}).ID
	c := uiLogin(b, ts, "viewer")
	base := fmt.Sprintf("/incidents/%d", id)
	to := []incident.State{incident.StateCompromised, incident.StateIsolated}
	i := 0
	for b.Loop() {
		b.StopTimer()
		ts.mustStatus(ts.transition("forensics", id, "service-desk-itsm", to[i%2]), 200)
		i++
		b.StartTimer()
		if r := c.get(base); r.status != 200 {
			b.Fatalf("status %d", r.status)
		}
	}
}
