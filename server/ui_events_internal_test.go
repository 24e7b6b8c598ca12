package server

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/incident"
	"github.com/phasegate/phasegate/planner"
)

// TestUIAuditEventWords: a backup, a partial export and logging out of
// the other sessions read as sentences in the event log and the report.
func TestUIAuditEventWords(t *testing.T) {
	event := func(actor, typ string, p map[string]any) incident.Event {
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		return incident.Event{Seq: 40, Actor: actor, Type: typ, Subject: "audit", Payload: b}
	}
	for _, c := range []struct {
		e    incident.Event
		want string
	}{
		{event("system:backup", incident.EventAuditBackedUp, map[string]any{"file": "phasegate-backup-20261122T100000Z.db",
			"events": 39, "through_seq": 39, "head": "ab12", "bytes": 40960}),
			"system:backup backed up the database to phasegate-backup-20261122T100000Z.db (events 1 to 39, the chain verified; last hash ab12)"},
		{event("cli:break-glass", incident.EventAuditExported, map[string]any{"through_seq": 40, "head_before": "cd34", "after_seq": 30}),
			"cli:break-glass exported the event log (events after 30, through event 40)"},
		{event("cli:break-glass", incident.EventAuditExported, map[string]any{"through_seq": 40, "head_before": "cd34"}),
			"cli:break-glass exported the event log (through event 40)"},
		{event("ivy", incident.EventLogoutOthers, map[string]any{"name": "ivy", "sessions_ended": 2}),
			"ivy logged out of every other session (2 ended)"},
	} {
		if got := describeEvent(c.e).Text(); got != c.want {
			t.Errorf("%s %s:\n got %q\nwant %q", c.e.Type, c.e.Payload, got, c.want)
		}
	}
}

// TestUIDatesSayTheirYearWhenNotThisOne: a date in another year than now
// says which; one in this year stays short.
func TestUIDatesSayTheirYearWhenNotThisOne(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		t         time.Time
		when, day string
	}{
		{time.Date(2026, 12, 24, 9, 36, 0, 0, time.UTC), "Thu 24 Dec 09:36 UTC", "Thu 24 Dec"},
		{time.Date(2027, 3, 2, 8, 0, 0, 0, time.UTC), "Tue 2 Mar 2027 08:00 UTC", "Tue 2 Mar 2027"},
		{time.Date(2025, 9, 1, 6, 30, 0, 0, time.UTC), "Mon 1 Sep 2025 06:30 UTC", "Mon 1 Sep 2025"},
		{time.Time{}, "—", "—"},
	} {
		if got := fmtWhenAt(c.t, now); got != c.when {
			t.Errorf("when %s: %q, want %q", c.t, got, c.when)
		}
		if got := fmtDayAt(c.t, now); got != c.day {
			t.Errorf("day %s: %q, want %q", c.t, got, c.day)
		}
	}
}

// TestUIWhyThenSaysTheDate: on the pages a system's "why then" gives the
// date where the planner gives an offset from the plan's start, for a
// dependency, a team at capacity and a clearance alike.
func TestUIWhyThenSaysTheDate(t *testing.T) {
	start := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	e, err := estate.Parse(estate.File{Name: "e.yaml", Data: []byte(`version: 1
organization: T
currency: GBP
clearance_team: forensics
teams:
  - {id: infra, capacity: 1}
  - {id: forensics, capacity: 1}
  - {id: apps, capacity: 1}
systems:
  - {id: ad, kind: identity, team: infra, restore: 2d 12h}
  - {id: erp, kind: application, team: apps, restore: 8h, requires: [ad]}
  - {id: mail, kind: saas, team: infra, restore: 3h}
  - {id: vault, kind: infrastructure, team: infra, restore: 1h, clearance: 5d}
`)})
	if err != nil {
		t.Fatal(err)
	}
	p, err := planner.Make(e, planner.Options{Start: start, Objective: planner.ObjectiveMakespan})
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]bool{}
	for _, sp := range p.Systems {
		got := whyDated(sp, start)
		if sp.RestoreStartHours == 0 {
			if got != sp.WaitingOn {
				t.Errorf("%s starts at once: %q, want the planner's %q", sp.ID, got, sp.WaitingOn)
			}
			continue
		}
		reasons[sp.Wait.Reason] = true
		if strings.Contains(got, "+") || !strings.Contains(got, fmtWhenAt(sp.RestoreStart, start)) {
			t.Errorf("%s (%s): %q, want the date %s in place of %q", sp.ID, sp.Wait.Reason, got, fmtWhenAt(sp.RestoreStart, start), sp.WaitingOn)
		}
	}
	if !reasons["dependency"] || !reasons["team"] || !reasons["clearance"] {
		t.Errorf("the estate shows only %v: the test checks too little", reasons)
	}
}
