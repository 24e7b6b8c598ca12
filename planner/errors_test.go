package planner_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/internal/bench"
	"github.com/phasegate/phasegate/planner"
)

func base() *estate.Estate {
	return &estate.Estate{Version: 1, ClearanceTeam: "f",
		Teams: []estate.Team{{ID: "t", Capacity: 2}, {ID: "f", Capacity: 1}},
		Systems: []estate.System{
			{ID: "a", Team: "t", Restore: estate.Point(time.Hour), Needs: []estate.Need{{Team: "t", Units: 1}}},
			{ID: "b", Team: "t", Restore: estate.Point(time.Hour), Needs: []estate.Need{{Team: "t", Units: 1}}, Requires: []string{"a"}},
		}}
}

func TestCompileErrorsSayWhatToFix(t *testing.T) {
	cases := []struct {
		name string
		edit func(e *estate.Estate)
		opts planner.Options
		want string
	}{
		{"cycle", func(e *estate.Estate) { e.Systems[0].Requires = []string{"b"} }, planner.Options{}, "form a cycle (a → b → a"},
		{"unknown requirement", func(e *estate.Estate) { e.Systems[1].Requires = []string{"zz"} }, planner.Options{}, `requires "zz", which is not in the estate`},
		{"self", func(e *estate.Estate) { e.Systems[0].Requires = []string{"a"} }, planner.Options{}, "requires itself"},
		{"need above capacity", func(e *estate.Estate) { e.Systems[0].Needs[0].Units = 3 }, planner.Options{}, "raise the team's capacity"},
		{"unknown team", func(e *estate.Estate) { e.Systems[0].Needs[0].Team = "q" }, planner.Options{}, `needs team "q"`},
		{"no clearance team", func(e *estate.Estate) {
			c := estate.Point(time.Hour)
			e.Systems[0].Clearance = &c
			e.ClearanceTeam = ""
		}, planner.Options{}, "set clearance_team"},
		{"duplicate", func(e *estate.Estate) { e.Systems[1].ID = "a" }, planner.Options{}, `system "a" is declared twice`},
		{"progress of unknown", func(*estate.Estate) {}, planner.Options{Progress: map[string]planner.Progress{"x": {}}}, `progress names system "x"`},
		{"negative budget", func(*estate.Estate) {}, planner.Options{Schedules: -1}, "schedules is -1"},
		{"objective", func(*estate.Estate) {}, planner.Options{Objective: "speed"}, `unknown objective "speed"`},
		{"service", func(e *estate.Estate) {
			e.Services = []estate.Service{{ID: "s", Requires: []string{"nope"}}}
		}, planner.Options{}, `service "s" requires system "nope"`},
	}
	for _, c := range cases {
		e := base()
		c.edit(e)
		_, err := planner.Make(e, c.opts)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to say %q", c.name, err, c.want)
		}
	}
	if _, err := planner.Make(base(), planner.Options{}); err != nil {
		t.Fatalf("the base estate is valid: %v", err)
	}
}

// TestWorkersDoNotChangeThePlan: parallel decoding must give the same plan
// as one worker.
func TestWorkersDoNotChangeThePlan(t *testing.T) {
	m, err := planner.Compile(bench.Estate(1500, 2), nil)
	if err != nil {
		t.Fatal(err)
	}
	one, err := m.Solve(planner.SolveOptions{Schedules: 40, Seed: 5, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	two, err := m.Solve(planner.SolveOptions{Schedules: 40, Seed: 5, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(one.Order, two.Order) || one.Cost != two.Cost || one.Schedules != two.Schedules {
		t.Fatalf("1 worker: cost %v after %d; 2 workers: cost %v after %d", one.Cost, one.Schedules, two.Cost, two.Schedules)
	}
	if one.Cost > one.BaselineCost {
		t.Errorf("cost %v above baseline %v", one.Cost, one.BaselineCost)
	}
}
