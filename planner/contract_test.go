package planner

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/phasegate/phasegate/estate"
)

// randomEstate builds a random valid estate with random progress: a DAG of
// systems, teams with small capacities, needs (sometimes none), clearances,
// services with and without costs.
func randomEstate(rng *rand.Rand) (*estate.Estate, map[string]Progress) {
	e := &estate.Estate{Version: 1, Organization: "prop", Currency: "EUR"}
	nt := 1 + rng.IntN(4)
	for t := range nt {
		e.Teams = append(e.Teams, estate.Team{ID: fmt.Sprintf("t%d", t), Capacity: 1 + rng.IntN(4)})
	}
	e.ClearanceTeam = e.Teams[rng.IntN(nt)].ID
	// Durations either on a coarse grid or any minute, to exercise both
	// profiles; now and then a zero.
	coarse := rng.IntN(2) == 0
	dur := func() time.Duration {
		if rng.IntN(25) == 0 {
			return 0
		}
		if coarse {
			return time.Duration(1+rng.IntN(12)) * 30 * time.Minute
		}
		return time.Duration(1+rng.IntN(600))*time.Minute - time.Duration(rng.IntN(60))*time.Second
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
		s.Restore = estate.Point(dur())
		if rng.IntN(2) == 0 {
			c := estate.Point(dur())
			s.Clearance = &c
		}
		for _, t := range rng.Perm(nt)[:rng.IntN(min(nt, 2)+1)] {
			s.Needs = append(s.Needs, estate.Need{Team: e.Teams[t].ID, Units: 1 + rng.IntN(e.Teams[t].Capacity)})
		}
		slices.SortFunc(s.Needs, func(a, b estate.Need) int { return cmpString(a.Team, b.Team) })
		e.Systems = append(e.Systems, s)
	}
	for k := range rng.IntN(4) {
		sv := estate.Service{ID: fmt.Sprintf("svc%d", k)}
		for _, i := range rng.Perm(n)[:1+rng.IntN(min(n, 4))] {
			sv.Requires = append(sv.Requires, e.Systems[i].ID)
		}
		if rng.IntN(3) > 0 {
			sv.RevenuePerDay = float64(rng.IntN(100000))
			sv.CostPerDay = float64(rng.IntN(1000))
		}
		e.Services = append(e.Services, sv)
	}
	var prog map[string]Progress
	if rng.IntN(3) == 0 {
		prog = map[string]Progress{}
		for i := range e.Systems {
			if rng.IntN(3) != 0 {
				continue
			}
			p := Progress{Phase: Phase(rng.IntN(5)), Elapsed: time.Duration(rng.IntN(800)) * time.Minute}
			prog[e.Systems[i].ID] = p
		}
	}
	return e, prog
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func ceilMin(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int((d + time.Minute - 1) / time.Minute)
}

// toMin reads plan hours back as whole minutes.
func toMin(h float64) int { return int(math.Round(h * 60)) }

type interval struct {
	sys        string
	start, end int
	pinned     bool
	team       map[string]int
}

// checkContract checks every rule of the planner's contract on one plan.
func checkContract(t *testing.T, e *estate.Estate, prog map[string]Progress, opts Options, p *Plan) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		b, _ := json.MarshalIndent(e, "", " ")
		t.Fatalf("%s\nestate: %s\nprogress: %v", fmt.Sprintf(format, args...), b, prog)
	}
	byID := map[string]*SystemPlan{}
	for i := range p.Systems {
		byID[p.Systems[i].ID] = &p.Systems[i]
	}
	if len(byID) != len(e.Systems) {
		fail("plan has %d systems, estate %d", len(byID), len(e.Systems))
	}
	end := func(id string) int { return toMin(byID[id].RestoreEndHours) }
	var ivs []interval
	ms := 0
	for i := range e.Systems {
		s := &e.Systems[i]
		sp := byID[s.ID]
		pr := prog[s.ID]
		rs, re := toMin(sp.RestoreStartHours), toMin(sp.RestoreEndHours)
		if !sp.RestoreStart.Equal(opts.Start.Add(time.Duration(rs)*time.Minute)) || !sp.RestoreEnd.Equal(opts.Start.Add(time.Duration(re)*time.Minute)) {
			fail("%s: restore times do not match hours", s.ID)
		}
		// Wave.
		w := 0
		for _, rq := range s.Requires {
			w = max(w, byID[rq].Wave+1)
		}
		if sp.Wave != w {
			fail("%s: wave %d, want %d", s.ID, sp.Wave, w)
		}
		if !slices.Contains(p.Waves[w], s.ID) {
			fail("%s not listed in wave %d", s.ID, w)
		}
		d := ceilMin(s.Restore.Likely)
		switch pr.Phase {
		case PhaseDone:
			if rs != 0 || re != 0 || sp.Wait.Reason != "done" || sp.ClearanceStartHours != nil {
				fail("%s: done system planned %d–%d (%s)", s.ID, rs, re, sp.Wait.Reason)
			}
			continue
		case PhaseRestoring:
			want := max(1, d-int(pr.Elapsed/time.Minute))
			if rs != 0 || re != want || sp.Wait.Reason != "in-progress" || sp.ClearanceStartHours != nil {
				fail("%s: restoring system planned %d–%d (%s), want 0–%d", s.ID, rs, re, sp.Wait.Reason, want)
			}
			if d-int(pr.Elapsed/time.Minute) < 1 && !contains(sp.WaitingOn, "overrun") {
				fail("%s: overrun not said: %q", s.ID, sp.WaitingOn)
			}
			ivs = append(ivs, interval{s.ID, 0, re, true, needsOf(s)})
			ms = max(ms, re)
			continue
		}
		if re-rs != d {
			fail("%s: restore takes %d minutes, want %d", s.ID, re-rs, d)
		}
		ivs = append(ivs, interval{s.ID, rs, re, false, needsOf(s)})
		ms = max(ms, re)
		// Clearance.
		hasClear := s.Clearance != nil && (pr.Phase == PhasePending || pr.Phase == PhaseClearing)
		if hasClear != (sp.ClearanceStartHours != nil) {
			fail("%s: clearance planned %v, want %v", s.ID, sp.ClearanceStartHours != nil, hasClear)
		}
		if hasClear {
			cs, ce := toMin(*sp.ClearanceStartHours), toMin(*sp.ClearanceEndHours)
			cd := ceilMin(s.Clearance.Likely)
			pinned := pr.Phase == PhaseClearing
			if pinned {
				cd = max(1, cd-int(pr.Elapsed/time.Minute))
				if cs != 0 {
					fail("%s: clearance under way starts at %d", s.ID, cs)
				}
			}
			if ce-cs != cd {
				fail("%s: clearance takes %d, want %d", s.ID, ce-cs, cd)
			}
			if rs < ce {
				fail("%s: restore at %d before its clearance ends at %d", s.ID, rs, ce)
			}
			ivs = append(ivs, interval{s.ID, cs, ce, pinned, map[string]int{e.ClearanceTeam: 1}})
			ms = max(ms, ce)
		}
		for _, rq := range s.Requires {
			if end(rq) > rs {
				fail("%s starts at %d before %s is back at %d", s.ID, rs, rq, end(rq))
			}
		}
		// Explanation.
		switch sp.Wait.Reason {
		case "none":
			if rs != 0 {
				fail("%s: reason none but starts at %d", s.ID, rs)
			}
		case "dependency":
			for _, on := range sp.Wait.On {
				if !slices.Contains(s.Requires, on) || end(on) != rs {
					fail("%s: waits on %s which is not a binding dependency", s.ID, on)
				}
			}
		case "clearance":
			if sp.ClearanceEndHours == nil || toMin(*sp.ClearanceEndHours) != rs {
				fail("%s: waits on clearance that does not end at its start", s.ID)
			}
		case "team":
			if len(sp.Wait.On) == 0 {
				fail("%s: team reason names no team", s.ID)
			}
		default:
			fail("%s: reason %q for a planned system", s.ID, sp.Wait.Reason)
		}
		if sp.WaitingOn == "" {
			fail("%s: no explanation", s.ID)
		}
	}
	// Capacity: usage only rises at starts; wherever new work runs, the
	// team must be within capacity.
	caps := map[string]int{}
	for _, tm := range e.Teams {
		caps[tm.ID] = tm.Capacity
	}
	for _, x := range ivs {
		if x.end == x.start {
			continue
		}
		tt := x.start
		use := map[string]int{}
		fresh := map[string]bool{}
		for _, y := range ivs {
			if y.start <= tt && tt < y.end {
				for tm, q := range y.team {
					use[tm] += q
					if !y.pinned {
						fresh[tm] = true
					}
				}
			}
		}
		for tm, u := range use {
			if fresh[tm] && u > caps[tm] {
				fail("team %s holds %d > capacity %d at minute %d", tm, u, caps[tm], tt)
			}
		}
	}
	if got := toMin(p.MakespanHours); got != ms {
		fail("makespan %d, want %d", got, ms)
	}
	if toMin(p.LowerBoundHours) > ms {
		fail("lower bound %v above makespan %v", p.LowerBoundHours, p.MakespanHours)
	}
	// Services.
	total := 0.0
	for i, sv := range e.Services {
		spv := p.Services[i]
		eta, last := 0, ""
		for _, rq := range sv.Requires {
			if end(rq) > eta || last == "" {
				eta, last = max(eta, end(rq)), rq
			}
		}
		if toMin(spv.ETAHours) != eta {
			fail("service %s ETA %v, want %d minutes", sv.ID, spv.ETAHours, eta)
		}
		cost := sv.LossPerDay() * float64(eta) / 60 / 24
		if math.Abs(spv.DowntimeCost-cost) > 1e-6*max(1, cost) {
			fail("service %s cost %v, want %v", sv.ID, spv.DowntimeCost, cost)
		}
		if spv.LastSystem != "" && end(spv.LastSystem) != eta {
			fail("service %s last system %s is not the last", sv.ID, spv.LastSystem)
		}
		total += cost
	}
	if math.Abs(p.DowntimeCost-total) > 1e-6*max(1, total) {
		fail("downtime cost %v, want %v", p.DowntimeCost, total)
	}
	// Never worse than the baseline on the objective.
	if p.Objective == ObjectiveCost {
		if p.DowntimeCost > p.Baseline.DowntimeCost*(1+1e-9)+1e-9 {
			fail("cost %v worse than baseline %v", p.DowntimeCost, p.Baseline.DowntimeCost)
		}
	} else if p.MakespanHours > p.Baseline.MakespanHours {
		fail("makespan %v worse than baseline %v", p.MakespanHours, p.Baseline.MakespanHours)
	}
	// Critical path: a chain from time 0 to the makespan.
	if len(p.CriticalPath) > 0 {
		last := byID[p.CriticalPath[len(p.CriticalPath)-1]]
		lastEnd := toMin(last.RestoreEndHours)
		if last.ClearanceEndHours != nil {
			lastEnd = max(lastEnd, toMin(*last.ClearanceEndHours))
		}
		if lastEnd != ms {
			fail("critical path ends with %s at %d, makespan %d", last.ID, lastEnd, ms)
		}
		first := byID[p.CriticalPath[0]]
		firstStart := toMin(first.RestoreStartHours)
		if first.ClearanceStartHours != nil {
			firstStart = toMin(*first.ClearanceStartHours)
		}
		if firstStart != 0 {
			fail("critical path starts with %s at %d", first.ID, firstStart)
		}
		for _, id := range p.CriticalPath {
			if !byID[id].Critical {
				fail("%s on the critical path but not marked", id)
			}
		}
	} else if ms > 0 {
		fail("no critical path")
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func needsOf(s *estate.System) map[string]int {
	m := map[string]int{}
	for _, n := range s.Needs {
		m[n.Team] += n.Units
	}
	return m
}

func TestContractRandomEstates(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	start := time.Date(2025, 9, 1, 8, 0, 0, 0, time.UTC)
	runs := 3000
	if testing.Short() {
		runs = 300
	}
	reasons := map[string]int{}
	for i := range runs {
		e, prog := randomEstate(rng)
		opts := Options{Seed: uint64(i), Schedules: 1 + rng.IntN(120), Start: start, Progress: prog}
		if i%3 == 0 {
			opts.Objective = ObjectiveMakespan
		}
		p, err := Make(e, opts)
		if err != nil {
			b, _ := json.Marshal(e)
			t.Fatalf("run %d: %v\n%s", i, err, b)
		}
		if p.Schedules > opts.Schedules {
			t.Fatalf("run %d: %d schedules spent, budget %d", i, p.Schedules, opts.Schedules)
		}
		checkContract(t, e, prog, opts, p)
		for _, sp := range p.Systems {
			reasons[sp.Wait.Reason]++
		}
		if i%10 == 0 {
			q, err := Make(e, opts)
			if err != nil {
				t.Fatal(err)
			}
			a, _ := json.Marshal(p)
			b, _ := json.Marshal(q)
			if string(a) != string(b) {
				t.Fatalf("run %d: two plans with the same seed differ", i)
			}
		}
	}
	// The random estates must reach every kind of wait.
	for _, r := range []string{"none", "dependency", "clearance", "team", "in-progress", "done"} {
		if reasons[r] == 0 {
			t.Errorf("no system waited for reason %q in %d random estates", r, runs)
		}
	}
	t.Logf("reasons: %v", reasons)
}

// TestProfilesAgree decodes the same lists with the time-indexed and the
// skyline profile: SSGS is deterministic, so both must give the same
// schedule.
func TestProfilesAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	for i := range 2000 {
		e, prog := randomEstate(rng)
		m, err := Compile(e, prog)
		if err != nil {
			t.Fatal(err)
		}
		g, s := m.NewDecoder(), m.NewDecoder()
		g.forceMode, s.forceMode = modeGrid, modeSkyline
		g.setDurations(nil)
		s.setDurations(nil)
		if i%2 == 0 {
			g.skip = true
		}
		sv := &solver{m: m, rng: rng, taken: make([]uint32, len(m.acts)), indeg: make([]int32, len(m.acts))}
		sv.cp = m.criticalPath()
		order := sv.sample(make([]float64, len(m.acts)), true)
		var durs []int
		if i%3 == 0 {
			durs = make([]int, len(m.acts))
			for a := range durs {
				durs[a] = rng.IntN(200)
			}
		}
		if err := g.Decode(order, durs); err != nil {
			t.Fatal(err)
		}
		if err := s.Decode(order, durs); err != nil {
			t.Fatal(err)
		}
		for a := range m.acts {
			if g.Start(a) != s.Start(a) || g.Finish(a) != s.Finish(a) {
				t.Fatalf("estate %d activity %d: grid %d–%d, skyline %d–%d", i, a, g.Start(a), g.Finish(a), s.Start(a), s.Finish(a))
			}
		}
		// The backward pass too.
		rev := slices.Clone(order)
		slices.Reverse(rev)
		g.backward(rev)
		s.backward(rev)
		for a := range m.acts {
			if g.start[a]*g.unit != s.start[a]*s.unit {
				t.Fatalf("estate %d activity %d: backward passes differ", i, a)
			}
		}
	}
}

// TestSmallEstatesFullBudget runs tiny estates whose optimum lies above
// the lower bound with a large budget: the search must use it up and end.
func TestSmallEstatesFullBudget(t *testing.T) {
	for n := 1; n <= 4; n++ {
		e := &estate.Estate{Version: 1, Teams: []estate.Team{{ID: "t", Capacity: 2}}}
		for i := range n {
			e.Systems = append(e.Systems, estate.System{ID: fmt.Sprintf("s%d", i), Team: "t",
				Restore: estate.Point(time.Duration(2+i) * time.Hour), Needs: []estate.Need{{Team: "t", Units: 1 + i%2}}})
		}
		p, err := Make(e, Options{Schedules: 5000, Seed: 9})
		if err != nil {
			t.Fatal(err)
		}
		checkContract(t, e, nil, Options{}, p)
		if p.Schedules > 5000 {
			t.Fatalf("%d systems: %d schedules", n, p.Schedules)
		}
	}
}

// TestSmallPopulationsTerminate solves random estates with budgets that
// give the smallest populations (4–10 lists) and long searches, under
// both objectives: a search whose refill adds no new list would never
// spend its budget and never return.
func TestSmallPopulationsTerminate(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 4))
	runs := 400
	if testing.Short() {
		runs = 60
	}
	for i := range runs {
		e, prog := randomEstate(rng)
		budget := 8 + rng.IntN(400)
		for _, obj := range []Objective{ObjectiveCost, ObjectiveMakespan} {
			m, err := Compile(e, prog)
			if err != nil {
				t.Fatalf("run %d: %v", i, err)
			}
			sol, err := m.Solve(SolveOptions{Objective: obj, Schedules: budget, Seed: uint64(i)})
			if err != nil {
				t.Fatalf("run %d: %v", i, err)
			}
			if sol.Schedules > budget {
				t.Fatalf("run %d (%s): %d schedules spent, budget %d", i, obj, sol.Schedules, budget)
			}
			// Never worse than the plain dependency order it started from.
			if obj == ObjectiveMakespan && sol.Makespan > sol.BaselineMakespan ||
				obj == ObjectiveCost && sol.Cost > sol.BaselineCost*(1+1e-12) {
				t.Fatalf("run %d (%s): makespan %d cost %.0f, baseline %d %.0f", i, obj, sol.Makespan, sol.Cost, sol.BaselineMakespan, sol.BaselineCost)
			}
		}
	}
}
