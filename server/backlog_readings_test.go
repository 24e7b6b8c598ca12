package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/phasegate/phasegate/incident"
)

// TestBacklogReadingsOverHTTP records measured backlog readings through
// the API and reads them back, oldest first, with their events; each
// refusal answers its status with a sentence saying what to do.
func TestBacklogReadingsOverHTTP(t *testing.T) {
	forEachBackend(t, serverOptions{}, func(t *testing.T, ts *testServer) {
		ts.mustStatus(ts.do("ic", "PUT", "/api/v1/estate", rawBody{"application/yaml", mustRead(t, "testdata/live-estate.yaml")}), 201)
		started := time.Now().UTC().Add(-3 * time.Hour).Truncate(time.Second)
		in := ts.declare("ic", incident.Declaration{Name: "readings", Kind: "ransomware", TotalShutdown: true, StartedAt: started})
		at := path("/api/v1/incidents/%d/backlogs/readings", in.ID)

		// A count from an hour ago, written with an offset; pay is
		// isolated, so supplier payments is not back.
		counted := time.Now().Add(-time.Hour).Truncate(time.Second)
		var first incident.BacklogReading
		ts.mustStatus(ts.do("rl", "POST", at, `{"backlog": "invoices", "remaining": 11200,
			"at": "`+counted.In(time.FixedZone("BST", 3600)).Format(time.RFC3339)+`", "note": "counted by accounts payable"}`), 201).
			decode(t, &first)
		if first.ID == 0 || first.IncidentID != in.ID || first.Backlog != "invoices" || first.Remaining != 11200 ||
			!first.At.Equal(counted) || first.ServiceBack || first.Note != "counted by accounts payable" ||
			first.RecordedBy != "rl" || first.Seq == 0 {
			t.Fatalf("the first reading: %+v (counted at %s)", first, counted)
		}
		// At now, the service said to be back.
		before := time.Now()
		var second incident.BacklogReading
		ts.mustStatus(ts.do("ic", "POST", at, map[string]any{"backlog": "invoices", "remaining": 9000.5, "service_back": true}), 201).
			decode(t, &second)
		if !second.ServiceBack || second.Remaining != 9000.5 || second.At.Before(before.Add(-time.Second)) ||
			!second.At.Equal(second.RecordedAt) || second.RecordedBy != "ic" {
			t.Fatalf("the second reading: %+v", second)
		}

		// Refusals, each with its status and a sentence.
		for _, c := range []struct {
			user   string
			path   string
			body   any
			status int
			says   string
		}{
			{"viewer", at, map[string]any{"backlog": "invoices", "remaining": 1}, 403, "roles that may: incident-commander, recovery-lead"},
			{"forensics", at, map[string]any{"backlog": "invoices", "remaining": 1}, 403, "backlog.record"},
			{"", at, map[string]any{"backlog": "invoices", "remaining": 1}, 401, "log in"},
			{"rl", at, map[string]any{"backlog": "invoices"}, 400, `give "remaining"`},
			{"rl", at, map[string]any{"backlog": "invoices", "remaining": 1, "count": 2}, 400, "count"},
			{"rl", at, `{"backlog": "invoices", "remaining": "many"}`, 400, "remaining"},
			{"rl", at, map[string]any{"backlog": "invoice", "remaining": 1}, 404, `did you mean "invoices"?`},
			{"rl", path("/api/v1/incidents/%d/backlogs/readings", 999), map[string]any{"backlog": "invoices", "remaining": 1}, 404, "no incident 999"},
			{"rl", at, map[string]any{"backlog": "invoices", "remaining": -3}, 422, "fewer than none"},
			{"rl", at, map[string]any{"backlog": "invoices", "remaining": 1, "at": time.Now().Add(time.Hour).Format(time.RFC3339)}, 422,
				"cannot be from the future"},
			{"rl", at, map[string]any{"backlog": "invoices", "remaining": 1, "at": started.Add(-time.Minute).Format(time.RFC3339)}, 422,
				"before the incident started"},
			{"rl", at, map[string]any{"backlog": "invoices", "remaining": 1, "note": strings.Repeat("n", 501)}, 422, "too long"},
		} {
			r := ts.do(c.user, "POST", c.path, c.body)
			if r.status != c.status {
				t.Errorf("%s %v as %q: %d %s, want %d", c.path, c.body, c.user, r.status, r.body, c.status)
				continue
			}
			if e := r.errorBody(t); !strings.Contains(e.Message, c.says) {
				t.Errorf("%s %v as %q: %q does not say %q", c.path, c.body, c.user, e.Message, c.says)
			}
		}

		// Read back, oldest first, by anyone who may view.
		var got struct {
			Readings []incident.BacklogReading `json:"readings"`
		}
		ts.mustStatus(ts.do("viewer", "GET", at, nil), 200).decode(t, &got)
		if len(got.Readings) != 2 || got.Readings[0].ID != first.ID || got.Readings[1].ID != second.ID ||
			!got.Readings[0].At.Equal(first.At) || got.Readings[0].Note != first.Note || got.Readings[1].Remaining != 9000.5 {
			t.Fatalf("readings: %+v", got.Readings)
		}
		ts.mustStatus(ts.do("viewer", "GET", path("/api/v1/incidents/%d/backlogs/readings", 999), nil), 404)
		ts.mustStatus(ts.do("", "GET", at, nil), 401)

		// Each is in the record.
		var evs struct {
			Events []incident.Event `json:"events"`
		}
		ts.mustStatus(ts.do("viewer", "GET", path("/api/v1/incidents/%d/events?after=0&limit=500", in.ID), nil), 200).decode(t, &evs)
		var measured []int64
		for _, e := range evs.Events {
			if e.Type == incident.EventBacklogMeasured {
				measured = append(measured, e.Seq)
			}
		}
		if len(measured) != 2 || measured[0] != first.Seq || measured[1] != second.Seq {
			t.Errorf("backlog.measured events %v, want %d and %d", measured, first.Seq, second.Seq)
		}

		// A closed incident takes no more.
		ts.mustStatus(ts.do("ic", "POST", path("/api/v1/incidents/%d/close", in.ID), map[string]string{"reason": "done"}), 200)
		r := ts.mustStatus(ts.do("rl", "POST", at, map[string]any{"backlog": "invoices", "remaining": 0}), 409)
		if e := r.errorBody(t); !strings.Contains(e.Message, "was closed") {
			t.Errorf("closed: %s", e.Message)
		}
	})
}
