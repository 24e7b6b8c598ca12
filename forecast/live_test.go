package forecast

import (
	"context"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/planner"
)

// TestCompareEqualsWhatIf: a what-if from a baseline already forecast
// (the server's cache) is the what-if computed whole.
func TestCompareEqualsWhatIf(t *testing.T) {
	e := threePoint()
	opts := Options{Runs: 300, Seed: 5}
	sc := Scenario{Restore: []EstimateChange{{System: "app", Shift: -12 * time.Hour}}}
	imp := ImpactOptions{Since: e.Start.Add(-24 * time.Hour)}
	whole, err := WhatIf(context.Background(), e, sc, opts, imp)
	if err != nil {
		t.Fatal(err)
	}
	base, err := Run(context.Background(), e, opts)
	if err != nil {
		t.Fatal(err)
	}
	var seen []int
	opts.OnProgress = func(done, total int) {
		if total != opts.Runs {
			t.Errorf("progress total %d, want the scenario's %d runs", total, opts.Runs)
		}
		seen = append(seen, done)
	}
	part, err := Compare(context.Background(), e, base, sc, opts, imp)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(whole)
	b, _ := json.Marshal(part)
	if string(a) != string(b) {
		t.Errorf("Compare differs from WhatIf:\n%s\n%s", b, a)
	}
	if len(seen) == 0 || seen[len(seen)-1] != opts.Runs {
		t.Errorf("progress %v, want it to end at %d", seen, opts.Runs)
	}
	if whole.Services[1].DeltaHours >= 0 {
		t.Errorf("a shorter restore of app moves build by %vh, want sooner", whole.Services[1].DeltaHours)
	}
	if _, err := Compare(context.Background(), e, base, Scenario{TeamCapacity: []CapacityChange{{Team: "nope", Capacity: 2}}}, opts, imp); err == nil {
		t.Error("a scenario naming no team of the estate was accepted")
	}
}

// threePoint is twoServices with spread: each restore {½, 1, 2} × its
// length.
func threePoint() *estate.Estate {
	e := twoServices()
	for i := range e.Systems {
		d := e.Systems[i].Restore.Likely
		e.Systems[i].Restore = estate.Estimate{Min: d / 2, Likely: d, Max: 2 * d}
	}
	return e
}

// TestImpactDownFromTheRecord: a service's downtime from the record
// replaces "down since the incident's start": back services count only
// it, services still down it plus the time until their ETA.
func TestImpactDownFromTheRecord(t *testing.T) {
	e := twoServices()
	since := e.Start.Add(-4 * 24 * time.Hour)
	// core is back (mail with it); app still to restore (build down).
	prog := map[string]planner.Progress{"core": {Phase: planner.PhaseDone}}
	r, err := Run(context.Background(), e, Options{Runs: 20, Seed: 1, Progress: prog})
	if err != nil {
		t.Fatal(err)
	}
	down := map[string]time.Duration{"mail": 36 * time.Hour, "build": 60 * time.Hour}
	l, err := Impact(e, r, ImpactOptions{Since: since, Down: down})
	if err != nil {
		t.Fatal(err)
	}
	mail, build := l.Services[0], l.Services[1]
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	if !mail.Back || !near(mail.SoFar.Days, 1.5) || !near(mail.Deterministic.Days, 1.5) || !near(mail.P95.Days, 1.5) {
		t.Errorf("mail (back, down 36h): %+v", mail)
	}
	// build: 2.5 days so far, then app's 2-day restore.
	if build.Back || !near(build.SoFar.Days, 2.5) || !near(build.Deterministic.Days, 4.5) {
		t.Errorf("build (down 60h, back in 2 days): so far %v, at plan %v", build.SoFar.Days, build.Deterministic.Days)
	}
	if l.LossPerDay != build.RevenuePerDay+build.CostPerDay {
		t.Errorf("loss per day %v, want build's only", l.LossPerDay)
	}
	for _, bad := range []map[string]time.Duration{{"nope": time.Hour}, {"mail": -time.Hour}, {"mail": 5 * 24 * time.Hour}} {
		if _, err := Impact(e, r, ImpactOptions{Since: since, Down: bad}); err == nil {
			t.Errorf("downtime %v accepted", bad)
		}
	}
}
