package server

import (
	"encoding/json"
	"testing"

	"github.com/phasegate/phasegate/incident"
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
