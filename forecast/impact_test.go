package forecast

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/planner"
)

// twoServices is a small estate with single-point estimates: core is back
// after 1 day, app after 3 days (it requires core and takes 2).
func twoServices() *estate.Estate {
	start := time.Date(2026, 2, 2, 8, 0, 0, 0, time.UTC)
	need := []estate.Need{{Team: "ops", Units: 1}}
	return &estate.Estate{
		Version: 1, Organization: "Test", Currency: "GBP", Start: start,
		Teams: []estate.Team{{ID: "ops", Capacity: 1}},
		Systems: []estate.System{
			{ID: "core", Kind: estate.KindNetwork, Team: "ops", Restore: estate.Point(24 * time.Hour), Needs: need},
			{ID: "app", Kind: estate.KindApplication, Team: "ops", Requires: []string{"core"}, Restore: estate.Point(48 * time.Hour), Needs: need},
		},
		Services: []estate.Service{
			{ID: "mail", Name: "Mail", Requires: []string{"core"}, CostPerDay: 1000, PeopleIdle: 10},
			{ID: "build", Name: "Build", Requires: []string{"app"}, RevenuePerDay: 50000, CostPerDay: 5000, OutputPerDay: &estate.Output{Amount: 100, Unit: "vehicles"}, PeopleIdle: 200},
		},
	}
}

func TestImpactLedgerFigures(t *testing.T) {
	e := twoServices()
	r, err := Run(context.Background(), e, Options{Runs: 50, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	l, err := Impact(e, r, ImpactOptions{Since: e.Start.Add(-48 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	near := func(got, want float64) bool { return math.Abs(got-want) < 1e-6 }
	mail, build := l.Services[0], l.Services[1]
	// Two days so far; mail is back one day later, build three.
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"mail so far", mail.SoFar.Total, 2000},
		{"mail so far person-days", mail.SoFar.PersonDays, 20},
		{"mail at plan", mail.Deterministic.Total, 3000},
		{"mail days at plan", mail.Deterministic.Days, 3},
		{"build so far revenue", build.SoFar.RevenueLost, 100000},
		{"build so far cost", build.SoFar.ExtraCost, 10000},
		{"build at plan", build.Deterministic.Total, 5 * 55000},
		{"build vehicles at plan", build.Deterministic.Output[0].Amount, 500},
		{"build P95", build.P95.Total, 5 * 55000},
		{"total so far", l.Total.SoFar.Total, 2000 + 110000},
		{"total at plan", l.Total.Deterministic.Total, 3000 + 275000},
		{"total days", l.Total.Deterministic.Days, 5},
		{"total P80", l.Total.P80.Total, 3000 + 275000},
		{"total person-days P50", l.Total.P50.PersonDays, 30 + 1000},
		{"total vehicles P95", l.Total.P95.Output[0].Amount, 500},
		{"loss per day", l.LossPerDay, 56000},
	} {
		if !near(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if _, err := Impact(e, r, ImpactOptions{Since: e.Start.Add(time.Hour)}); err == nil {
		t.Error("an incident starting after the clock was accepted")
	}
}

// TestImpactMatchesPlanCost: from the clock's start, the ledger's total at
// the plan is the planner's cost of downtime; percentiles are ordered for
// every figure.
func TestImpactMatchesPlanCost(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 3))
	for iter := range 40 {
		e, prog := randomEstate(rng, false)
		r, err := Run(context.Background(), e, Options{Runs: 200, Seed: uint64(iter), Progress: prog, Schedules: 40})
		if err != nil {
			t.Fatal(err)
		}
		l, err := Impact(e, r, ImpactOptions{Since: e.Start.Add(-time.Duration(rng.IntN(100)) * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		lp, err := PlanImpact(e, r.Plan, ImpactOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := lp.Total.Deterministic.Total, r.Plan.DowntimeCost; math.Abs(got-want) > 1e-6*max(1, want) {
			t.Errorf("iteration %d: ledger total at plan %v, planner cost %v", iter, got, want)
		}
		if lp.Total.SoFar.Total != 0 {
			t.Errorf("iteration %d: cost so far %v with the incident starting now", iter, lp.Total.SoFar.Total)
		}
		f := []*Figures{&l.Total.SoFar, l.Total.P50, l.Total.P80, l.Total.P95}
		for k := 1; k < len(f); k++ {
			a, b := f[k-1], f[k]
			if a.Total > b.Total || a.Days > b.Days || a.PersonDays > b.PersonDays || a.RevenueLost > b.RevenueLost {
				t.Errorf("iteration %d: totals not increasing from step %d to %d: %+v then %+v", iter, k-1, k, *a, *b)
			}
		}
		for _, s := range l.Services {
			if !(s.SoFar.Total <= s.P50.Total && s.P50.Total <= s.P80.Total && s.P80.Total <= s.P95.Total) {
				t.Errorf("iteration %d, %s: so far %v, P50 %v, P80 %v, P95 %v not ordered", iter, s.ID, s.SoFar.Total, s.P50.Total, s.P80.Total, s.P95.Total)
			}
		}
	}
}

// TestImpactLiveIncident: a service whose systems are all back counts as
// down until it came back (when known) and no longer costs anything per
// day.
func TestImpactLiveIncident(t *testing.T) {
	e := twoServices()
	now := e.Start
	since := now.Add(-72 * time.Hour)
	prog := map[string]planner.Progress{"core": {Phase: planner.PhaseDone}, "app": {Phase: planner.PhaseRestoring, Elapsed: 24 * time.Hour}}
	r, err := Run(context.Background(), e, Options{Runs: 20, Seed: 1, Progress: prog})
	if err != nil {
		t.Fatal(err)
	}
	l, err := Impact(e, r, ImpactOptions{Since: since, Back: map[string]time.Time{"mail": since.Add(24 * time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	mail, build := l.Services[0], l.Services[1]
	if !mail.Back || mail.SoFar.Days != 1 || mail.P95.Days != 1 || mail.Deterministic.Days != 1 {
		t.Errorf("mail, back after a day: %+v", mail)
	}
	if build.Back || build.SoFar.Days != 3 || build.Deterministic.Days != 4 {
		t.Errorf("build, a day of restore left after 3 days: so far %v days, at plan %v days", build.SoFar.Days, build.Deterministic.Days)
	}
	if l.LossPerDay != 55000 {
		t.Errorf("loss per day %v, want only build's 55000", l.LossPerDay)
	}
	for _, back := range []map[string]time.Time{{"nope": now}, {"mail": now.Add(time.Hour)}} {
		if _, err := Impact(e, r, ImpactOptions{Since: since, Back: back}); err == nil {
			t.Errorf("back %v accepted", back)
		}
	}
}
