package store_test

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/incident"
)

// testBacklogs is an estate file merged with testdata/estate.yaml: a
// backlog of the build service (erp and plc) and one of email (mail).
const testBacklogs = `version: 1
backlogs:
  - {id: invoices, name: Unpaid invoices, service: build, unit: invoices, accrues_per_day: 100, capacity_per_day: 300}
  - {id: mailbox, service: email, unit: messages, accrues_per_day: 1000, capacity_per_day: 5000}
`

// uploadWithBacklogs stores the test estate with testBacklogs as a new
// version.
func (h *harness) uploadWithBacklogs() *incident.EstateVersion {
	h.t.Helper()
	v, err := h.svc.UploadEstate(h.ctx, h.as("admin"), estate.File{Name: "estate.yaml", Data: testEstate(h.t)},
		estate.File{Name: "backlogs.yaml", Data: []byte(testBacklogs)})
	h.must(err, "upload the estate with backlogs")
	return v
}

func boolp(b bool) *bool { return &b }

// TestBacklogReadings: a count of what a backlog holds is recorded with
// its backlog.measured event in one transaction, at now or at a time
// given; whether the backlog's service was back is given or, left out,
// read from the systems' states; the readings list oldest first, in the
// snapshot too; and the chain still verifies.
func TestBacklogReadings(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		h.uploadWithBacklogs()
		start := h.clock.Now().Add(-6 * time.Hour)
		in := h.declare(incident.Declaration{Name: "readings", Kind: "ransomware", TotalShutdown: true, StartedAt: start})
		h.clock.Advance(time.Hour)
		record := func(user string, r incident.NewBacklogReading) *incident.BacklogReading {
			t.Helper()
			rd, err := h.svc.RecordBacklogReading(h.ctx, h.as(user), in.ID, r)
			h.must(err, "record "+r.Backlog)
			return rd
		}

		// At now; everything is isolated, so email is down.
		now := h.clock.Now()
		a := record("ic", incident.NewBacklogReading{Backlog: "mailbox", Remaining: 42000, Note: "  counted in the queue  "})
		if a.ID == 0 || a.IncidentID != in.ID || a.Backlog != "mailbox" || a.Remaining != 42000 || a.ServiceBack ||
			!a.At.Equal(now) || !a.RecordedAt.Equal(now) || a.RecordedBy != "ic" || a.Note != "counted in the queue" || a.Seq == 0 {
			t.Fatalf("reading at now: %+v (now %s)", a, now)
		}

		// mail back online: email is back, build (erp, plc) is not.
		h.clear(in.ID, "mail")
		h.bringOnline(in.ID, "mail")
		h.clock.Advance(time.Hour)
		b := record("rl", incident.NewBacklogReading{Backlog: "mailbox", Remaining: 30500.5})
		if !b.ServiceBack || b.RecordedBy != "rl" {
			t.Errorf("mailbox with mail online: service_back %v by %s, want true by rl", b.ServiceBack, b.RecordedBy)
		}
		c := record("ic", incident.NewBacklogReading{Backlog: "invoices", Remaining: 11200})
		if c.ServiceBack {
			t.Error("invoices with erp and plc isolated: service_back true, want false")
		}
		// Given: it wins over the states, either way.
		d := record("ic", incident.NewBacklogReading{Backlog: "invoices", Remaining: 12000, ServiceBack: boolp(true),
			At: start.Add(90 * time.Minute)})
		e := record("ic", incident.NewBacklogReading{Backlog: "mailbox", Remaining: 50000, ServiceBack: boolp(false),
			At: start.Add(90 * time.Minute)})
		if !d.ServiceBack || e.ServiceBack {
			t.Errorf("service_back given true and false: got %v and %v", d.ServiceBack, e.ServiceBack)
		}
		if !d.At.Equal(start.Add(90*time.Minute)) || !d.RecordedAt.Equal(h.clock.Now()) {
			t.Errorf("a count from earlier: at %s recorded %s", d.At, d.RecordedAt)
		}
		// Up to a minute ahead of the clock is allowed (clocks differ);
		// the incident's own start too. Zero remaining: cleared.
		f := record("rl", incident.NewBacklogReading{Backlog: "mailbox", Remaining: 0, At: h.clock.Now().Add(30 * time.Second)})
		g := record("rl", incident.NewBacklogReading{Backlog: "invoices", Remaining: 9000, At: start, Note: strings.Repeat("é", incident.MaxReadingNote)})

		// Oldest first: by the time of the count, then as recorded.
		want := []int64{g.ID, d.ID, e.ID, a.ID, b.ID, c.ID, f.ID}
		check := func(what string, got []incident.BacklogReading) {
			t.Helper()
			var ids []int64
			for _, r := range got {
				ids = append(ids, r.ID)
			}
			if len(ids) != len(want) {
				t.Fatalf("%s: readings %v, want %v", what, ids, want)
			}
			for i := range want {
				if ids[i] != want[i] {
					t.Fatalf("%s: readings %v, want %v (oldest first)", what, ids, want)
				}
			}
			for _, r := range got {
				if r.ID == c.ID && !sameReading(r, *c) {
					t.Errorf("%s: read back %+v, recorded %+v", what, r, *c)
				}
			}
		}
		list, err := h.svc.BacklogReadings(h.ctx, h.as("viewer"), in.ID)
		h.must(err, "list as viewer")
		check("BacklogReadings", list)
		sn, err := h.svc.Snapshot(h.ctx, h.as("viewer"), in.ID)
		h.must(err, "snapshot")
		check("Snapshot.Readings", sn.Readings)

		// Each is an event of the incident with what was counted.
		evs := h.events(incident.EventBacklogMeasured)
		if len(evs) != len(want) {
			t.Fatalf("%d backlog.measured events, want %d", len(evs), len(want))
		}
		var ev incident.Event
		for _, x := range evs {
			if x.Seq == d.Seq {
				ev = x
			}
		}
		if ev.IncidentID != in.ID || ev.Subject != "backlog:invoices" || ev.Actor != "ic" || !ev.At.Equal(d.RecordedAt) {
			t.Errorf("the event of a reading: %+v", ev)
		}
		var p map[string]any
		if err := json.Unmarshal(ev.Payload, &p); err != nil {
			t.Fatal(err)
		}
		if p["backlog"] != "invoices" || p["remaining"] != 12000.0 || p["at"] != incident.FormatTime(d.At) ||
			p["service_back"] != true || p["note"] != "" || len(p) != 5 {
			t.Errorf("payload %s", ev.Payload)
		}
		h.pubMu.Lock()
		published := 0
		for _, x := range h.published {
			if x.Type == incident.EventBacklogMeasured {
				published++
			}
		}
		h.pubMu.Unlock()
		if published != len(want) {
			t.Errorf("%d readings published after their commit, want %d", published, len(want))
		}
		if rep := h.verify(); !rep.OK {
			t.Errorf("the chain after the readings: %+v", rep)
		}
	})
}

// TestBacklogReadingRefusals: only an incident commander or a recovery
// lead records a reading; a missing incident, a closed one, an unknown
// backlog, a count that is not one, a time in the future or before the
// incident and a long note are each refused with their code and a
// sentence saying what to do, and write nothing.
func TestBacklogReadingRefusals(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		h.uploadWithBacklogs()
		start := h.clock.Now().Add(-2 * time.Hour)
		in := h.declare(incident.Declaration{Name: "refusals", Kind: "ransomware", StartedAt: start})
		ok := incident.NewBacklogReading{Backlog: "invoices", Remaining: 100}
		before := len(h.events(""))

		for _, user := range []string{"admin", "owner", "forensics", "comms", "viewer"} {
			pe := wantCode(t, func() error {
				_, err := h.svc.RecordBacklogReading(h.ctx, h.as(user), in.ID, ok)
				return err
			}(), phasegate.EFORBIDDEN)
			if !strings.Contains(pe.Message, "backlog.record") || !strings.Contains(pe.Message, "incident-commander, recovery-lead") {
				t.Errorf("%s refused: %s", user, pe.Message)
			}
		}
		// Authorized first: a viewer learns nothing of incident 999.
		_, err := h.svc.RecordBacklogReading(h.ctx, h.as("viewer"), 999, ok)
		wantCode(t, err, phasegate.EFORBIDDEN)

		cases := []struct {
			name     string
			incident int64
			r        incident.NewBacklogReading
			code     string
			says     []string
		}{
			{"no incident", 999, ok, phasegate.ENOTFOUND, []string{"no incident 999"}},
			{"a misspelt backlog", in.ID, incident.NewBacklogReading{Backlog: "invoice", Remaining: 1}, phasegate.ENOTFOUND,
				[]string{`no backlog "invoice"`, `did you mean "invoices"?`, "its backlogs are invoices, mailbox"}},
			{"an unknown backlog", in.ID, incident.NewBacklogReading{Backlog: "vehicles", Remaining: 1}, phasegate.ENOTFOUND,
				[]string{`no backlog "vehicles"`, "its backlogs are invoices, mailbox"}},
			{"no backlog", in.ID, incident.NewBacklogReading{Remaining: 1}, phasegate.EINVALID, []string{"name the backlog", `"invoices"`}},
			{"fewer than none", in.ID, incident.NewBacklogReading{Backlog: "invoices", Remaining: -1}, phasegate.EINVALID,
				[]string{"remaining: -1 is fewer than none", "invoices"}},
			{"not a number", in.ID, incident.NewBacklogReading{Backlog: "invoices", Remaining: math.NaN()}, phasegate.EINVALID,
				[]string{"remaining: NaN is not a count"}},
			{"infinite", in.ID, incident.NewBacklogReading{Backlog: "invoices", Remaining: math.Inf(1)}, phasegate.EINVALID,
				[]string{"remaining: +Inf is not a count"}},
			{"from the future", in.ID, incident.NewBacklogReading{Backlog: "invoices", Remaining: 1, At: h.clock.Now().Add(2 * time.Minute)},
				phasegate.EINVALID, []string{"at: 2025-09-01T08:02:00Z is in the future", "cannot be from the future"}},
			{"before the incident", in.ID, incident.NewBacklogReading{Backlog: "invoices", Remaining: 1, At: start.Add(-time.Second)},
				phasegate.EINVALID, []string{"before the incident started (2025-09-01T06:00:00Z)"}},
			{"a long note", in.ID, incident.NewBacklogReading{Backlog: "invoices", Remaining: 1, Note: strings.Repeat("x", incident.MaxReadingNote+1)},
				phasegate.EINVALID, []string{"note: 501 characters is too long", "500"}},
			{"a control character", in.ID, incident.NewBacklogReading{Backlog: "invoices", Remaining: 1, Note: "a\x00b"},
				phasegate.EINVALID, []string{"note: contains the control character U+0000"}},
		}
		for _, c := range cases {
			for _, user := range []string{"ic", "rl"} {
				_, err := h.svc.RecordBacklogReading(h.ctx, h.as(user), c.incident, c.r)
				pe := wantCode(t, err, c.code)
				for _, s := range c.says {
					if !strings.Contains(pe.Message, s) {
						t.Errorf("%s as %s: %q does not say %q", c.name, user, pe.Message, s)
					}
				}
			}
		}
		// Several problems at once: every one listed.
		_, err = h.svc.RecordBacklogReading(h.ctx, h.as("ic"), in.ID, incident.NewBacklogReading{Backlog: "invoices", Remaining: -5,
			At: start.Add(-time.Hour), Note: strings.Repeat("x", 600)})
		pe := wantCode(t, err, phasegate.EINVALID)
		if len(pe.Reasons) != 3 || !strings.Contains(pe.Message, "fix what is listed") {
			t.Errorf("three problems: %q %q", pe.Message, pe.Reasons)
		}
		if n := len(h.events("")); n != before {
			t.Fatalf("the refusals wrote %d events", n-before)
		}
		if list, err := h.svc.BacklogReadings(h.ctx, h.as("ic"), in.ID); err != nil || len(list) != 0 {
			t.Fatalf("after the refusals: %v %v, want no readings", list, err)
		}
		_, err = h.svc.BacklogReadings(h.ctx, h.as("viewer"), 999)
		wantCode(t, err, phasegate.ENOTFOUND)
		_, err = h.svc.BacklogReadings(h.ctx, incident.Actor{}, in.ID)
		wantCode(t, err, phasegate.EUNAUTHORIZED)

		// An estate version without backlogs.
		h.upload()
		plain, err := h.svc.DeclareIncident(h.ctx, h.as("ic"), incident.Declaration{Name: "plain", Kind: "ransomware"})
		h.must(err, "declare on the estate without backlogs")
		_, err = h.svc.RecordBacklogReading(h.ctx, h.as("ic"), plain.ID, ok)
		if pe := wantCode(t, err, phasegate.ENOTFOUND); !strings.Contains(pe.Message, "no backlogs at all") {
			t.Errorf("no backlogs: %s", pe.Message)
		}

		// A closed incident changes no more.
		_, err = h.svc.RecordBacklogReading(h.ctx, h.as("rl"), in.ID, ok)
		h.must(err, "a reading before the close")
		_, err = h.svc.CloseIncident(h.ctx, h.as("ic"), in.ID, "recovered")
		h.must(err, "close")
		_, err = h.svc.RecordBacklogReading(h.ctx, h.as("rl"), in.ID, ok)
		if pe := wantCode(t, err, phasegate.ECONFLICT); !strings.Contains(pe.Message, "was closed") {
			t.Errorf("closed: %s", pe.Message)
		}
		// Still readable.
		if list, err := h.svc.BacklogReadings(h.ctx, h.as("viewer"), in.ID); err != nil || len(list) != 1 {
			t.Errorf("the closed incident's readings: %v %v", list, err)
		}
		if rep := h.verify(); !rep.OK {
			t.Errorf("the chain: %+v", rep)
		}
	})
}

// sameReading compares two readings, their times as instants.
func sameReading(a, b incident.BacklogReading) bool {
	ta, tb := a.At, a.RecordedAt
	a.At, a.RecordedAt = b.At, b.RecordedAt
	return a == b && ta.Equal(b.At) && tb.Equal(b.RecordedAt)
}
