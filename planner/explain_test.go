package planner

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/phasegate/phasegate/estate"
)

// tinyEstate is small enough that every wait is known by hand:
//
//	ad          2h on ops, nothing before it          → starts at once
//	dns         1h on ops, requires ad                → waits for ad (+2h)
//	backup      restoring on storage, 5h left         → in progress
//	fileserver  1h on storage                         → storage full (backup) until +5h
//	erp         clearing (1h of 4h done), 3h restore  → waits for its clearance (+3h)
//	crm         2h clearance, 2h restore              → waits for its clearance (+5h),
//	                                                     which waited for forensics (erp)
//	legacy      restoring, 10h elapsed of 4h          → in progress, overrunning
//	old         done                                  → done
func tinyEstate() (*estate.Estate, map[string]Progress) {
	h := time.Hour
	clr := func(d time.Duration) *estate.Estimate { e := estate.Point(d); return &e }
	sys := func(id, team string, restore time.Duration, requires ...string) estate.System {
		return estate.System{ID: id, Kind: estate.KindApplication, Team: team, Restore: estate.Point(restore),
			Requires: requires, Needs: []estate.Need{{Team: team, Units: 1}}}
	}
	e := &estate.Estate{Version: 1, Organization: "tiny", Currency: "EUR", ClearanceTeam: "forensics",
		Teams: []estate.Team{{ID: "ops", Capacity: 1}, {ID: "storage", Capacity: 1}, {ID: "apps", Capacity: 2},
			{ID: "forensics", Capacity: 1}},
	}
	e.Systems = []estate.System{
		sys("ad", "ops", 2*h),
		sys("dns", "ops", 1*h, "ad"),
		sys("backup", "storage", 8*h),
		sys("fileserver", "storage", 1*h),
		sys("erp", "apps", 3*h),
		sys("crm", "apps", 2*h),
		sys("legacy", "apps", 4*h),
		sys("old", "apps", 4*h),
	}
	e.Systems[4].Clearance = clr(4 * h)
	e.Systems[5].Clearance = clr(2 * h)
	e.Services = []estate.Service{{ID: "sales", Requires: []string{"crm", "dns"}}}
	prog := map[string]Progress{
		"backup": {Phase: PhaseRestoring, Elapsed: 3 * h},
		"erp":    {Phase: PhaseClearing, Elapsed: 1 * h},
		"legacy": {Phase: PhaseRestoring, Elapsed: 10 * h},
		"old":    {Phase: PhaseDone},
	}
	return e, prog
}

func TestExplainTinyEstate(t *testing.T) {
	e, prog := tinyEstate()
	start := time.Date(2025, 9, 1, 6, 0, 0, 0, time.UTC)
	p, err := Make(e, Options{Start: start, Progress: prog})
	if err != nil {
		t.Fatal(err)
	}
	checkContract(t, e, prog, Options{Start: start, Progress: prog}, p)
	by := map[string]SystemPlan{}
	for _, s := range p.Systems {
		by[s.ID] = s
	}
	cases := []struct {
		id, reason string
		on, behind []string
		start, end float64
		says       []string
	}{
		{"ad", "none", nil, nil, 0, 2, []string{"starts at once"}},
		{"dns", "dependency", []string{"ad"}, nil, 2, 3, []string{"dependency ad", "+2h"}},
		{"backup", "in-progress", nil, nil, 0, 5, []string{"under way", "5h left"}},
		{"fileserver", "team", []string{"storage"}, []string{"backup"}, 5, 6, []string{"team storage", "held by backup", "+5h"}},
		{"erp", "clearance", nil, nil, 3, 6, []string{"own forensic clearance, under way", "+3h"}},
		{"crm", "clearance", nil, nil, 5, 7, []string{"own forensic clearance (done at +5h)", "team forensics", "held by erp"}},
		{"legacy", "in-progress", nil, nil, 0, 1.0 / 60, []string{"overrunning", "10h elapsed of 4h"}},
		{"old", "done", nil, nil, 0, 0, []string{"already back online"}},
	}
	for _, c := range cases {
		s := by[c.id]
		if s.Wait.Reason != c.reason || !slices.Equal(s.Wait.On, c.on) || !slices.Equal(s.Wait.Behind, c.behind) {
			t.Errorf("%s: wait %+v, want reason %q on %v behind %v", c.id, s.Wait, c.reason, c.on, c.behind)
		}
		if s.RestoreStartHours != c.start || s.RestoreEndHours != c.end {
			t.Errorf("%s: restore %v–%vh, want %v–%vh", c.id, s.RestoreStartHours, s.RestoreEndHours, c.start, c.end)
		}
		for _, w := range c.says {
			if !strings.Contains(s.WaitingOn, w) {
				t.Errorf("%s: %q does not say %q", c.id, s.WaitingOn, w)
			}
		}
	}
	if got := by["crm"].ClearanceStartHours; got == nil || *got != 3 {
		t.Errorf("crm clearance starts at %v, want 3h (after erp's)", got)
	}
	if want := []string{"erp", "crm"}; !slices.Equal(p.CriticalPath, want) {
		t.Errorf("critical path %v, want %v", p.CriticalPath, want)
	}
	if !by["crm"].Critical || !by["erp"].Critical || by["ad"].Critical {
		t.Errorf("critical flags wrong: crm %v erp %v ad %v", by["crm"].Critical, by["erp"].Critical, by["ad"].Critical)
	}
	if p.MakespanHours != 7 || p.Objective != ObjectiveMakespan {
		t.Errorf("makespan %v (%s), want 7h by makespan", p.MakespanHours, p.Objective)
	}
	if s := p.Services[0]; s.LastSystem != "crm" || s.ETAHours != 7 || !s.ETA.Equal(start.Add(7*time.Hour)) {
		t.Errorf("service %+v, want crm last at 7h", s)
	}
	if want := [][]string{{"ad", "backup", "legacy", "old", "erp", "crm", "fileserver"}, {"dns"}}; !slices.EqualFunc(p.Waves, want, func(a, b []string) bool {
		return slices.Equal(a, b)
	}) {
		t.Errorf("waves %v, want %v", p.Waves, want)
	}
}
