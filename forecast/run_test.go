package forecast

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/planner"
)

// randomEstate builds a random valid estate, with random progress for a
// recovery under way now and then. With fixed, every estimate is a single
// point.
func randomEstate(rng *rand.Rand, fixed bool) (*estate.Estate, map[string]planner.Progress) {
	e := &estate.Estate{Version: 1, Organization: "prop", Currency: "EUR", Start: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}
	nt := 1 + rng.IntN(4)
	for t := range nt {
		e.Teams = append(e.Teams, estate.Team{ID: fmt.Sprintf("t%d", t), Capacity: 1 + rng.IntN(4)})
	}
	e.ClearanceTeam = e.Teams[rng.IntN(nt)].ID
	est := func() estate.Estimate {
		likely := time.Duration(1+rng.IntN(48)) * 30 * time.Minute
		if fixed || rng.IntN(5) == 0 {
			return estate.Point(likely)
		}
		lo := likely - time.Duration(rng.Int64N(int64(likely)+1))
		hi := likely + time.Duration(rng.Int64N(3*int64(likely)+1))
		return estate.Estimate{Min: lo, Likely: likely, Max: hi}
	}
	n := 1 + rng.IntN(25)
	density := rng.Float64() * 0.3
	for i := range n {
		s := estate.System{ID: fmt.Sprintf("s%02d", i), Kind: estate.KindApplication, Team: e.Teams[rng.IntN(nt)].ID}
		for j := range i {
			if rng.Float64() < density {
				s.Requires = append(s.Requires, fmt.Sprintf("s%02d", j))
			}
		}
		s.Restore = est()
		if rng.IntN(2) == 0 {
			c := est()
			s.Clearance = &c
		}
		s.Needs = []estate.Need{{Team: s.Team, Units: 1}}
		e.Systems = append(e.Systems, s)
	}
	for k := range 1 + rng.IntN(4) {
		sv := estate.Service{ID: fmt.Sprintf("svc%d", k), Name: fmt.Sprintf("Service %d", k)}
		for _, i := range rng.Perm(n)[:1+rng.IntN(min(n, 4))] {
			sv.Requires = append(sv.Requires, e.Systems[i].ID)
		}
		sv.RevenuePerDay = float64(rng.IntN(100000))
		sv.CostPerDay = float64(rng.IntN(1000))
		e.Services = append(e.Services, sv)
	}
	var prog map[string]planner.Progress
	if rng.IntN(3) == 0 {
		prog = map[string]planner.Progress{}
		for i := range e.Systems {
			if rng.IntN(3) != 0 {
				continue
			}
			prog[e.Systems[i].ID] = planner.Progress{Phase: planner.Phase(rng.IntN(5)), Elapsed: time.Duration(rng.IntN(3000)) * time.Minute}
		}
	}
	return e, prog
}

func outlooks(r *Result) []Outlook { return append(slices.Clone(r.Services), r.Restart) }

// TestForecastProperties checks on random estates that the percentiles are
// ordered and within the runs' range, that the CDF rises, that a single
// point estimate has no spread and forecasts exactly the plan, and that a
// seed gives the same numbers whatever the number of workers.
func TestForecastProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for iter := range 40 {
		fixed := iter%4 == 0
		e, prog := randomEstate(rng, fixed)
		if err := estate.Validate(e); err != nil {
			t.Fatalf("iteration %d: the random estate is invalid: %v", iter, err)
		}
		opts := Options{Runs: 200, Seed: uint64(iter), Progress: prog, Schedules: 50, By: e.Start.Add(time.Duration(rng.IntN(200)) * time.Hour)}
		var first []byte
		for _, workers := range []int{1, 2, 3} {
			opts.Workers = workers
			r, err := Run(context.Background(), e, opts)
			if err != nil {
				t.Fatalf("iteration %d: %v", iter, err)
			}
			got, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			if first == nil {
				first = got
				checkOutlooks(t, iter, r, fixed)
			} else if string(got) != string(first) {
				t.Fatalf("iteration %d: %d workers give other numbers than 1 worker with the same seed", iter, workers)
			}
		}
	}
}

func checkOutlooks(t *testing.T, iter int, r *Result, fixed bool) {
	t.Helper()
	for _, o := range outlooks(r) {
		if !(o.MinHours <= o.P50Hours && o.P50Hours <= o.P80Hours && o.P80Hours <= o.P95Hours && o.P95Hours <= o.MaxHours) {
			t.Errorf("iteration %d, %s: min %v, P50 %v, P80 %v, P95 %v, max %v are not in order", iter, o.ID, o.MinHours, o.P50Hours, o.P80Hours, o.P95Hours, o.MaxHours)
		}
		if !o.P50.Before(o.P80.Add(time.Nanosecond)) || !o.P80.Before(o.P95.Add(time.Nanosecond)) {
			t.Errorf("iteration %d, %s: dates %v %v %v not in order", iter, o.ID, o.P50, o.P80, o.P95)
		}
		if o.MeanHours < o.MinHours || o.MeanHours > o.MaxHours {
			t.Errorf("iteration %d, %s: mean %v outside [%v, %v]", iter, o.ID, o.MeanHours, o.MinHours, o.MaxHours)
		}
		if len(o.CDF) == 0 || o.CDF[len(o.CDF)-1].Probability != 1 || o.CDF[0].Hours != o.MinHours {
			t.Errorf("iteration %d, %s: CDF %v does not run from the minimum to 1", iter, o.ID, o.CDF)
		}
		for k := 1; k < len(o.CDF); k++ {
			if o.CDF[k].Hours <= o.CDF[k-1].Hours || o.CDF[k].Probability <= o.CDF[k-1].Probability {
				t.Errorf("iteration %d, %s: CDF not increasing at %d: %v", iter, o.ID, k, o.CDF)
			}
		}
		if o.ProbabilityBy == nil || *o.ProbabilityBy < 0 || *o.ProbabilityBy > 1 {
			t.Errorf("iteration %d, %s: probability by %v", iter, o.ID, o.ProbabilityBy)
		}
		if fixed {
			if o.MinHours != o.MaxHours || o.P50Hours != o.DeterministicHours || o.P95Hours != o.DeterministicHours {
				t.Errorf("iteration %d, %s: single-point estimates spread: min %v, P50 %v, P95 %v, max %v, plan %v", iter, o.ID, o.MinHours, o.P50Hours, o.P95Hours, o.MaxHours, o.DeterministicHours)
			}
			if o.ProbabilityByPlan != 1 || len(o.CDF) != 1 {
				t.Errorf("iteration %d, %s: single-point estimates: probability by plan %v, CDF %v", iter, o.ID, o.ProbabilityByPlan, o.CDF)
			}
		}
	}
}

// TestForecastSeeds checks that different seeds give different samples and
// the same seed the same ones, on the demo estate.
func TestForecastSeeds(t *testing.T) {
	e := demoEstate(t)
	run := func(seed uint64, workers int) *Result {
		r, err := Run(context.Background(), e, Options{Runs: 300, Seed: seed, Start: demoStart, Schedules: 100, Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	a, b, c := run(3, 1), run(3, 2), run(4, 2)
	if !slices.Equal(a.eta, b.eta) {
		t.Error("the same seed gave different runs with 1 and 2 workers")
	}
	if slices.Equal(a.eta, c.eta) {
		t.Error("seeds 3 and 4 gave the same runs")
	}
	for _, o := range outlooks(a) {
		if o.P95Hours <= o.P50Hours && o.MaxHours > o.MinHours {
			t.Logf("%s: P50 %v P95 %v", o.ID, o.P50Hours, o.P95Hours)
		}
	}
	if a.Restart.P95Hours <= a.Restart.P50Hours {
		t.Errorf("the demo's three-point estimates give no spread: P50 %v, P95 %v", a.Restart.P50Hours, a.Restart.P95Hours)
	}
}

// TestProbabilityBy checks the probability of being back by a date
// against the runs themselves.
func TestProbabilityBy(t *testing.T) {
	e := demoEstate(t)
	base := Options{Runs: 300, Seed: 5, Start: demoStart, Schedules: 50}
	r, err := Run(context.Background(), e, base)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		by   time.Time
		want func(o Outlook) float64
	}{
		{demoStart.Add(-time.Hour), func(Outlook) float64 { return 0 }},
		{demoStart.Add(10000 * time.Hour), func(Outlook) float64 { return 1 }},
		{r.Restart.P80, func(o Outlook) float64 { return -1 }},
	} {
		opts := base
		opts.By = tt.by
		r2, err := Run(context.Background(), e, opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range outlooks(r2) {
			p := *o.ProbabilityBy
			if w := tt.want(o); w >= 0 && p != w {
				t.Errorf("by %v, %s: probability %v, want %v", tt.by, o.ID, p, w)
			}
			if o.ID == RestartID && tt.by.Equal(r.Restart.P80) && p < 0.8 {
				t.Errorf("by the restart's P80 %v the probability is %v, want at least 0.8", tt.by, p)
			}
		}
	}
}

func TestRunProgressAndCancel(t *testing.T) {
	e, _ := randomEstate(rand.New(rand.NewPCG(1, 2)), false)
	var seen []int
	_, err := Run(context.Background(), e, Options{Runs: 3000, Seed: 1, Workers: 2, Schedules: 20, OnProgress: func(done, total int) {
		if total != 3000 {
			t.Errorf("total %d, want 3000", total)
		}
		seen = append(seen, done)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) < 10 || seen[len(seen)-1] != 3000 || !slices.IsSorted(seen) {
		t.Errorf("progress reports %v: want many, increasing, ending at 3000", seen)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, e, Options{Runs: 3000, Schedules: 20}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled run: err = %v, want context.Canceled", err)
	}
}

func TestRunRejectsBadOptions(t *testing.T) {
	e, _ := randomEstate(rand.New(rand.NewPCG(1, 2)), false)
	for _, opts := range []Options{
		{Runs: -1}, {Runs: MaxRuns + 1}, {Distribution: "normal"}, {Workers: -2},
	} {
		if _, err := Run(context.Background(), e, opts); err == nil {
			t.Errorf("Run(%+v) accepted bad options", opts)
		}
	}
	e.Start = time.Time{}
	if _, err := Run(context.Background(), e, Options{}); err == nil {
		t.Error("Run without any start time succeeded")
	}
}

// TestPinnedWorkKeepsItsRemainingTime checks a recovery under way: work
// past its maximum is flagged and given a minute; work under way is never
// forecast to end before now, nor later than its maximum allows.
func TestPinnedWorkKeepsItsRemainingTime(t *testing.T) {
	start := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	e := &estate.Estate{
		Version: 1, Currency: "GBP", Start: start,
		Teams: []estate.Team{{ID: "ops", Capacity: 2}},
		Systems: []estate.System{
			{ID: "a", Kind: estate.KindData, Team: "ops", Restore: estate.Estimate{Min: 10 * time.Hour, Likely: 20 * time.Hour, Max: 40 * time.Hour}, Needs: []estate.Need{{Team: "ops", Units: 1}}},
			{ID: "b", Kind: estate.KindData, Team: "ops", Restore: estate.Estimate{Min: time.Hour, Likely: 2 * time.Hour, Max: 3 * time.Hour}, Needs: []estate.Need{{Team: "ops", Units: 1}}},
		},
		Services: []estate.Service{{ID: "sa", Requires: []string{"a"}}, {ID: "sb", Requires: []string{"b"}}},
	}
	prog := map[string]planner.Progress{
		"a": {Phase: planner.PhaseRestoring, Elapsed: 25 * time.Hour},
		"b": {Phase: planner.PhaseRestoring, Elapsed: 5 * time.Hour},
	}
	r, err := Run(context.Background(), e, Options{Runs: 4000, Seed: 9, Progress: prog})
	if err != nil {
		t.Fatal(err)
	}
	a, b := r.Services[0], r.Services[1]
	if a.MinHours < 1.0/60 || a.MaxHours > 15 {
		t.Errorf("a (25h of 10–40h done): remaining %v–%vh, want within (0, 15]", a.MinHours, a.MaxHours)
	}
	if b.MinHours != 1.0/60 || b.MaxHours != 1.0/60 {
		t.Errorf("b past its maximum: remaining %v–%vh, want one minute", b.MinHours, b.MaxHours)
	}
	if len(r.Warnings) != 1 {
		t.Errorf("warnings %q, want one for b", r.Warnings)
	}
	// The remaining time of a follows the PERT distribution of the whole
	// duration given it exceeds 25h: P(D ≤ x | D > 25h).
	al, be := pertShapes(600, 1200, 2400)
	f := func(h float64) float64 { return regIncBeta((h*60-600)/1800, al, be) }
	for _, o := range []struct {
		pct   int
		hours float64
	}{{50, a.P50Hours}, {80, a.P80Hours}, {95, a.P95Hours}} {
		want := float64(o.pct) / 100
		got := (f(25+o.hours) - f(25)) / (1 - f(25))
		if d := got - want; d < -0.03 || d > 0.03 {
			t.Errorf("P%d of a's remaining time is %vh, at conditional probability %.3f, want about %.2f", o.pct, o.hours, got, want)
		}
	}
}
