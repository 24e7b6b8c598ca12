package forecast

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/planner"
)

func TestParseCapacityChange(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want CapacityChange
	}{
		{"forensics=8", CapacityChange{Team: "forensics", Capacity: 8}},
		{" forensics = +2 ", CapacityChange{Team: "forensics", Capacity: 2, Relative: true}},
		{"dba=-1", CapacityChange{Team: "dba", Capacity: -1, Relative: true}},
	} {
		got, err := ParseCapacityChange(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseCapacityChange(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"", "forensics", "=8", "forensics=", "forensics=0", "forensics=-3x", "forensics=eight", "for ensics=2", "forensics=99999999999", "forensics=+", "forensics=2.5", "a=b=3"} {
		_, err := ParseCapacityChange(in)
		var ce *ChangeError
		if !errors.As(err, &ce) || ce.Flag != FlagTeamCapacity || ce.Example == "" {
			t.Errorf("ParseCapacityChange(%q) = %v, want a ChangeError naming the flag with an example", in, err)
		}
	}
}

func TestParseEstimateChange(t *testing.T) {
	p := func(d time.Duration) *estate.Estimate { e := estate.Point(d); return &e }
	for _, tt := range []struct {
		in   string
		want EstimateChange
	}{
		{"sap=3d", EstimateChange{System: "sap", Estimate: p(72 * time.Hour)}},
		{"sap=2d/3d/5d", EstimateChange{System: "sap", Estimate: &estate.Estimate{Min: 48 * time.Hour, Likely: 72 * time.Hour, Max: 120 * time.Hour}}},
		{"sap=-12h", EstimateChange{System: "sap", Shift: -12 * time.Hour}},
		{"sap=+1d12h", EstimateChange{System: "sap", Shift: 36 * time.Hour}},
		{"sap=none", EstimateChange{System: "sap", Remove: true}},
	} {
		got, err := ParseEstimateChange(FlagClearance, tt.in, true)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseEstimateChange(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"sap", "sap=", "sap=3", "sap=3x", "sap=5d/3d/4d", "sap=1d/2d", "sap=+0m", "=3d", "sap=--1d"} {
		if _, err := ParseEstimateChange(FlagClearance, in, true); err == nil || !strings.Contains(err.Error(), "--clearance") {
			t.Errorf("ParseEstimateChange(%q) = %v, want an error naming --clearance", in, err)
		}
	}
	if _, err := ParseEstimateChange(FlagRestore, "sap=none", false); err == nil {
		t.Error("a restore was removed")
	}
}

func TestParseDependency(t *testing.T) {
	if d, err := ParseDependency("mes:sap"); err != nil || d != (Dependency{System: "mes", Requires: "sap"}) {
		t.Errorf("ParseDependency(mes:sap) = %+v, %v", d, err)
	}
	for _, in := range []string{"mes", "mes:", ":sap", "m es:sap", "mes:s\tap"} {
		if _, err := ParseDependency(in); err == nil {
			t.Errorf("ParseDependency(%q) accepted", in)
		}
	}
}

// scenarioEstate: core → app → web on one team, plus z on its own.
func scenarioEstate() *estate.Estate {
	e := twoServices()
	e.ClearanceTeam = "dfir"
	e.Teams = append(e.Teams, estate.Team{ID: "dfir", Capacity: 1}, estate.Team{ID: "solo", Capacity: 2})
	cl := estate.Estimate{Min: 2 * time.Hour, Likely: 4 * time.Hour, Max: 8 * time.Hour}
	e.Systems[0].Clearance = &cl
	e.Systems[1].Restore = estate.Estimate{Min: 24 * time.Hour, Likely: 48 * time.Hour, Max: 96 * time.Hour}
	e.Systems = append(e.Systems, estate.System{ID: "z", Kind: estate.KindOther, Team: "solo", Restore: estate.Estimate{Min: time.Hour, Likely: 2 * time.Hour, Max: 5 * time.Hour}, Needs: []estate.Need{{Team: "solo", Units: 2}}})
	return e
}

func TestApplyScenario(t *testing.T) {
	e := scenarioEstate()
	e.Services[1].Requires = []string{"app", "core"}
	before, _ := json.Marshal(e)
	sc := Scenario{
		TeamCapacity:   []CapacityChange{{Team: "ops", Capacity: 2, Relative: true}, {Team: "solo", Capacity: 3}},
		Clearance:      []EstimateChange{{System: "core", Shift: -3 * time.Hour}, {System: "app", Estimate: &estate.Estimate{Min: time.Hour, Likely: time.Hour, Max: time.Hour}}},
		Restore:        []EstimateChange{{System: "z", Estimate: &estate.Estimate{Min: time.Hour, Likely: 3 * time.Hour, Max: 4 * time.Hour}}},
		DropDependency: []Dependency{{System: "app", Requires: "core"}, {System: "build", Requires: "app"}},
	}
	c, _, notes, err := sc.Apply(e, nil)
	if err != nil {
		t.Fatal(err)
	}
	if after, _ := json.Marshal(e); string(after) != string(before) {
		t.Error("Apply changed the estate it was given")
	}
	if c.Teams[0].Capacity != 3 || c.Teams[2].Capacity != 3 {
		t.Errorf("capacities %d and %d, want 3 and 3", c.Teams[0].Capacity, c.Teams[2].Capacity)
	}
	if got := *c.Systems[0].Clearance; got != (estate.Estimate{Min: 0, Likely: time.Hour, Max: 5 * time.Hour}) {
		t.Errorf("core's clearance shifted by −3h: %+v", got)
	}
	if c.Systems[1].Clearance == nil || c.Systems[2].Restore.Likely != 3*time.Hour {
		t.Errorf("app's new clearance %v, z's restore %v", c.Systems[1].Clearance, c.Systems[2].Restore)
	}
	if len(c.Systems[1].Requires) != 0 || len(c.Services[1].Requires) != 1 {
		t.Errorf("dependencies not dropped: app requires %v, build %v", c.Systems[1].Requires, c.Services[1].Requires)
	}
	if len(notes) != 0 {
		t.Errorf("notes %q", notes)
	}

	// Compromised: from scratch it changes nothing (with a note); under
	// way, the system goes back to pending.
	prog := map[string]planner.Progress{"core": {Phase: planner.PhaseDone}}
	_, p2, notes, err := Scenario{Compromised: []string{"core"}}.Apply(e, prog)
	if err != nil || len(notes) != 0 {
		t.Fatalf("compromised core: %v, notes %q", err, notes)
	}
	if _, still := p2["core"]; still || prog["core"].Phase != planner.PhaseDone {
		t.Errorf("progress after compromise %v (given %v): want core pending, the given map unchanged", p2, prog)
	}
	if _, _, notes, _ := (Scenario{Compromised: []string{"core"}}).Apply(e, nil); len(notes) != 1 {
		t.Errorf("compromising a pending system: notes %q, want one", notes)
	}

	for _, tt := range []struct {
		sc   Scenario
		flag string
		want string
	}{
		{Scenario{TeamCapacity: []CapacityChange{{Team: "opps", Capacity: 2}}}, FlagTeamCapacity, `did you mean --team-capacity ops=2?`},
		{Scenario{TeamCapacity: []CapacityChange{{Team: "solo", Capacity: 1}}}, FlagTeamCapacity, "z needs 2 units"},
		{Scenario{TeamCapacity: []CapacityChange{{Team: "ops", Capacity: -1, Relative: true}}}, FlagTeamCapacity, "capacity 0"},
		{Scenario{Clearance: []EstimateChange{{System: "app", Shift: time.Hour}}}, FlagClearance, "no clearance to shift"},
		{Scenario{Restore: []EstimateChange{{System: "nope", Shift: time.Hour}}}, FlagRestore, `no system "nope"`},
		{Scenario{DropDependency: []Dependency{{System: "app", Requires: "z"}}}, FlagDropDependency, "it requires core"},
		{Scenario{Compromised: []string{"z"}}, FlagCompromised, "no forensic clearance"},
		// A change that changes nothing is refused, saying what is there.
		{Scenario{TeamCapacity: []CapacityChange{{Team: "ops", Capacity: 0, Relative: true}}}, FlagTeamCapacity, "changes nothing: team ops has capacity 1 already; e.g. --team-capacity ops=+1"},
		{Scenario{TeamCapacity: []CapacityChange{{Team: "solo", Capacity: 2}}}, FlagTeamCapacity, "changes nothing: team solo has capacity 2 already; e.g. --team-capacity solo=3"},
		{Scenario{Restore: []EstimateChange{{System: "z", Estimate: &estate.Estimate{Min: time.Hour, Likely: 2 * time.Hour, Max: 5 * time.Hour}}}}, FlagRestore, "changes nothing: the restore of z is 1h/2h/5h already"},
		{Scenario{Clearance: []EstimateChange{{System: "core", Estimate: &estate.Estimate{Min: 2 * time.Hour, Likely: 4 * time.Hour, Max: 8 * time.Hour}}}}, FlagClearance, "the clearance of core is 2h/4h/8h already"},
		{Scenario{Clearance: []EstimateChange{{System: "app", Remove: true}}}, FlagClearance, "changes nothing: app has no clearance already"},
	} {
		_, _, _, err := tt.sc.Apply(e, nil)
		var ce *ChangeError
		if !errors.As(err, &ce) || ce.Flag != tt.flag || !strings.Contains(ce.Error(), tt.want) || ce.Example == "" {
			t.Errorf("%s: err = %v, want a --%s error saying %q with an example", tt.sc.Changes(), err, tt.flag, tt.want)
		}
	}
	// A team with no near name: the teams are listed, the first dozen of
	// a long list and how many more.
	many := scenarioEstate()
	for i := range 20 {
		many.Teams = append(many.Teams, estate.Team{ID: fmt.Sprintf("team-%02d", i), Capacity: 1})
	}
	_, _, _, err = Scenario{TeamCapacity: []CapacityChange{{Team: "qqqqqqqq", Capacity: 2}}}.Apply(many, nil)
	if err == nil || !strings.Contains(err.Error(), "its teams are ops, ") || !strings.Contains(err.Error(), fmt.Sprintf(" and %d more", len(many.Teams)-12)) {
		t.Errorf("an unknown team among %d: %v", len(many.Teams), err)
	}
	// A change the estate's rules reject comes back as its problems: a
	// service left requiring nothing.
	_, _, _, err = Scenario{DropDependency: []Dependency{{System: "mail", Requires: "core"}}}.Apply(e, nil)
	var ps estate.Problems
	if !errors.As(err, &ps) || !strings.Contains(err.Error(), "services[mail].requires") {
		t.Errorf("a service left without requires: err %v (%T), want estate problems naming it", err, err)
	}
}

// TestWhatIfCommonRandomNumbers: changing z, which no service needs,
// leaves every service's forecast exactly as it was — the same draws —
// and shortening app's restore by a fixed 24h moves build exactly 24h at
// the plan.
func TestWhatIfCommonRandomNumbers(t *testing.T) {
	e := scenarioEstate()
	opts := Options{Runs: 2000, Seed: 17}
	c, err := WhatIf(context.Background(), e, Scenario{Restore: []EstimateChange{{System: "z", Shift: 6 * time.Hour}}}, opts, ImpactOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range c.Services {
		if d.DeltaHours != 0 || d.DeltaP80Hours != 0 || d.DeltaCost != 0 || d.DeltaCostP80 != 0 {
			t.Errorf("%s moved when only z changed: %+v", d.ID, d)
		}
	}
	// z ends within 11h, long before core and app: the restart does not move.
	if c.Restart.DeltaHours != 0 || c.Restart.DeltaP80Hours != 0 {
		t.Errorf("the restart moved when only z changed: %+v", c.Restart)
	}
	c, err = WhatIf(context.Background(), e, Scenario{Restore: []EstimateChange{{System: "app", Shift: -24 * time.Hour}}}, opts, ImpactOptions{Since: e.Start.Add(-24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	mail, build := c.Services[0], c.Services[1]
	if mail.DeltaHours != 0 || mail.DeltaP80Hours != 0 {
		t.Errorf("mail moved: %+v", mail)
	}
	if build.DeltaHours != -24 || build.DeltaP80Hours != -24 {
		t.Errorf("build moved %vh at the plan, %vh at P80; want −24h both (every bound moved 24h, same draws)", build.DeltaHours, build.DeltaP80Hours)
	}
	if build.DeltaCost != -55000 || c.Restart.DeltaCost != -55000 {
		t.Errorf("a day of build saved %v (total %v), want −55000", build.DeltaCost, c.Restart.DeltaCost)
	}
	if len(c.Changes) != 1 || c.Changes[0] != "--restore app=-1d" {
		t.Errorf("changes %q", c.Changes)
	}
}

func TestScenarioJSON(t *testing.T) {
	in := `{"team_capacity":["forensics=+2"],"clearance":["sap=2d/3d/5d","crm=none"],"restore":["sap=-12h"],"compromised":["crm"],"drop_dependency":["mes:sap"]}`
	var sc Scenario
	if err := json.Unmarshal([]byte(in), &sc); err != nil {
		t.Fatal(err)
	}
	if len(sc.TeamCapacity) != 1 || !sc.Clearance[1].Remove || sc.Restore[0].Shift != -12*time.Hour || sc.DropDependency[0].Requires != "sap" {
		t.Errorf("decoded %+v", sc)
	}
	out, err := json.Marshal(sc)
	if err != nil || string(out) != in {
		t.Errorf("encoded %s, %v; want %s", out, err, in)
	}
	err = json.Unmarshal([]byte(`{"restore":["sap=none"]}`), &sc)
	var ce *ChangeError
	if !errors.As(err, &ce) || ce.Field() != "restore" {
		t.Errorf("a restore removed over JSON: %v", err)
	}
	_, _, _, err = Scenario{Restore: []EstimateChange{{System: "app", Remove: true}}}.Apply(scenarioEstate(), nil)
	if !errors.As(err, &ce) || ce.Flag != FlagRestore {
		t.Errorf("Apply removed a restore: %v", err)
	}
}

// TestMoreCapacityNeverLooksWorse: on the demo, a team with more people
// never makes the outage dearer, at the plan or at P80. The
// scenario planned afresh did (an activity list that held up worse
// under uncertainty); keeping the baseline's order of work is a plan of
// the scenario too, and the better one is the answer.
func TestMoreCapacityNeverLooksWorse(t *testing.T) {
	e := demoEstate(t)
	opts := Options{Runs: 500, Seed: 1, Start: demoStart, Schedules: 300}
	base, err := Run(context.Background(), e, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, team := range e.Teams {
		sc := Scenario{TeamCapacity: []CapacityChange{{Team: team.ID, Capacity: 2, Relative: true}}}
		c, err := Compare(context.Background(), e, base, sc, opts, ImpactOptions{})
		if err != nil {
			t.Fatalf("%s: %v", team.ID, err)
		}
		// The objective is the cost of downtime: when the last system is
		// back may move a few minutes either way as it falls.
		r := c.Restart
		if r.DeltaCost > 0 || r.DeltaCostP80 > 0 {
			t.Errorf("two more people in %s: the restart %+.1fh at the plan, %+.1fh at P80, cost %+.0f, %+.0f at P80",
				team.ID, r.DeltaHours, r.DeltaP80Hours, r.DeltaCost, r.DeltaCostP80)
		}
	}
}

// TestMorePeopleNeverBuyLess: on the demo, for every team, each step of
// one, two, three and four more people costs no more at P80 than the step
// before, and the answer says when it keeps people in reserve. Planned
// afresh, three more in the hosting platform team saved nothing at P80
// where one more saved £0.9m: working everyone at once can come out worse
// under uncertainty, and not using some of them is a plan too.
func TestMorePeopleNeverBuyLess(t *testing.T) {
	e := demoEstate(t)
	opts := Options{Runs: 300, Seed: 1, Start: demoStart, Schedules: 200}
	base, err := Run(context.Background(), e, opts)
	if err != nil {
		t.Fatal(err)
	}
	reserved := 0
	for _, team := range e.Teams {
		prev := 0.0
		for k := 1; k <= 4; k++ {
			sc := Scenario{TeamCapacity: []CapacityChange{{Team: team.ID, Capacity: k, Relative: true}}}
			var last [2]int
			o := opts
			o.OnProgress = func(done, total int) {
				if done < last[0] || total < last[1] {
					t.Errorf("%s +%d: progress went back to %d of %d after %d of %d", team.ID, k, done, total, last[0], last[1])
				}
				last = [2]int{done, total}
			}
			c, err := Compare(context.Background(), e, base, sc, o, ImpactOptions{})
			if err != nil {
				t.Fatalf("%s +%d: %v", team.ID, k, err)
			}
			// The scenario's runs, then each reserve level's (+1 … +k-1).
			if want := opts.Runs * k; last != [2]int{want, want} {
				t.Errorf("%s +%d: progress ended at %d of %d, want %d of %d", team.ID, k, last[0], last[1], want, want)
			}
			got := c.Restart.DeltaCostP80
			if got > prev {
				t.Errorf("%s +%d: %+.0f at P80, more than %+.0f for +%d (notes %q)", team.ID, k, got, prev, k-1, c.Notes)
			}
			prev = got
			for _, n := range c.Notes {
				if strings.HasPrefix(n, "the answer keeps people in reserve: "+team.ID+" works at most ") {
					reserved++
				}
			}
		}
	}
	t.Logf("%d of %d answers keep people in reserve", reserved, 4*len(e.Teams))
}

// TestReserveLevels: every step below the largest raise up to four, then
// doubling steps, at most six; only raised teams are held back, and a
// team raised by less than the step keeps its whole raise (team b is
// raised by 2, so a raise of a by 1 still has the step 1).
func TestReserveLevels(t *testing.T) {
	for raise, want := range map[int][]int{1: {1}, 2: {1}, 3: {1, 2}, 5: {1, 2, 3, 4}, 6: {1, 2, 3, 4},
		10: {1, 2, 3, 4, 8}, 1000: {1, 2, 3, 4, 8, 16}} {
		b := &estate.Estate{Teams: []estate.Team{{ID: "a", Capacity: 2}, {ID: "b", Capacity: 3}, {ID: "c", Capacity: 4}}}
		c := cloneEstate(b)
		c.Teams[0].Capacity += raise
		c.Teams[1].Capacity += 2
		var got []int
		for _, lv := range reserveLevels(b, c) {
			j := lv.estate.Teams[0].Capacity - 2
			got = append(got, j)
			if wantB := 3 + min(j, 2); lv.estate.Teams[1].Capacity != wantB || lv.estate.Teams[2].Capacity != 4 {
				t.Errorf("raise %d, step %d: teams b and c at %d and %d, want %d and 4", raise, j,
					lv.estate.Teams[1].Capacity, lv.estate.Teams[2].Capacity, wantB)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("raise %d: steps %v, want %v", raise, got, want)
		}
	}
}

// TestCarryOverIsTheSameList: a forecast's own activity list carried over
// to the same estate is the same list — decoded again with the same draws
// it gives the same outlooks — so a scenario whose search ends on the
// carried list needs no second forecast.
func TestCarryOverIsTheSameList(t *testing.T) {
	e := demoEstate(t)
	opts := Options{Runs: 300, Seed: 5, Start: demoStart, Schedules: 200}
	base, err := Run(context.Background(), e, opts)
	if err != nil {
		t.Fatal(err)
	}
	m, err := planner.Compile(e, opts.Progress)
	if err != nil {
		t.Fatal(err)
	}
	carried := carryOver(m, base)
	acts := m.Activities()
	for i, a := range carried {
		if base.Plan.Order[i] != (planner.ActivityRef{System: acts[a].System, Kind: acts[a].Kind}) {
			t.Fatalf("position %d: %v carried over, %v in the forecast", i, planner.ActivityRef{System: acts[a].System, Kind: acts[a].Kind}, base.Plan.Order[i])
		}
	}
	sol, err := m.Evaluate(carried, base.Objective)
	if err != nil {
		t.Fatal(err)
	}
	again, err := simulate(context.Background(), e, m, sol, opts, base.Runs, base.Distribution, base.Start)
	if err != nil {
		t.Fatal(err)
	}
	if again.Restart.P80Hours != base.Restart.P80Hours || again.Restart.DeterministicHours != base.Restart.DeterministicHours {
		t.Fatalf("the carried list: restart P80 %.2fh, plan %.2fh; the forecast's own %.2fh, %.2fh",
			again.Restart.P80Hours, again.Restart.DeterministicHours, base.Restart.P80Hours, base.Restart.DeterministicHours)
	}
	for i := range base.Services {
		if again.Services[i].P80Hours != base.Services[i].P80Hours {
			t.Errorf("%s: P80 %.2fh carried over, %.2fh", base.Services[i].ID, again.Services[i].P80Hours, base.Services[i].P80Hours)
		}
	}
}
