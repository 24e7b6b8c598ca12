package server_test

import (
	"context"
	"strings"
	"testing"

	"github.com/phasegate/phasegate/incident"
)

// actor is a test user as the service sees it.
func (ts *testServer) actor(name string) incident.Actor {
	u := ts.users[name]
	if u == nil {
		ts.t.Fatalf("no user %s", name)
	}
	return incident.Actor{UserID: u.ID, Name: u.Name, Grants: u.Grants}
}

// TestApprovalPermissionComesBeforeState: on a request that is closed,
// or a rejection without a note, someone who may not act on the request
// is told so (403) — not that it is closed (409) or the note missing
// (422). Those who may act get the state's answer.
func TestApprovalPermissionComesBeforeState(t *testing.T) {
	forEachBackend(t, serverOptions{estate: "small"}, func(t *testing.T, ts *testServer) {
		id := ts.shutdown()
		ts.clear(id, "ad") // infra, criticality 1: its restore waits for a second person
		var res incident.TransitionResult
		ts.mustStatus(ts.transition("rl", id, "ad", incident.StateRestoring), 202).decode(t, &res)
		ap := res.Approval.ID
		ts.mustStatus(ts.do("ic", "POST", path("/api/v1/approvals/%d/cancel", ap), map[string]string{"note": "closed for the test"}), 200)

		note := map[string]string{"note": "looked at it"}
		for _, c := range []struct {
			who, verb string
			body      any
			want      int
			why       string
		}{
			{"owner", "approve", note, 403, "a system owner of apps may not decide on ad (infra)"},
			{"owner", "reject", note, 403, "a system owner of apps may not decide on ad (infra)"},
			{"owner", "reject", nil, 403, "no note, but the permission is checked first"},
			{"rl", "approve", note, 403, "the requester cannot approve their own request"},
			{"rl", "reject", nil, 403, "the requester cannot reject their own request"},
			{"forensics", "cancel", note, 403, "forensics may not cancel someone else's request"},
			{"rl2", "approve", note, 409, "a second recovery lead may decide: the request is closed"},
			{"rl2", "reject", nil, 422, "a second recovery lead may decide: the note is missing"},
			{"rl", "cancel", note, 409, "the requester may cancel: the request is closed"},
		} {
			r := ts.do(c.who, "POST", path("/api/v1/approvals/%d/%s", ap, c.verb), c.body)
			if r.status != c.want {
				t.Errorf("%s %s on a cancelled request: %d, want %d (%s): %s", c.who, c.verb, r.status, c.want, c.why, r.body)
			}
		}
		// Nothing of it reached the request.
		var got incident.Approval
		ts.mustStatus(ts.do("viewer", "GET", path("/api/v1/approvals/%d", ap), nil), 200).decode(t, &got)
		if got.Status != incident.ApprovalCancelled || len(got.Decisions) != 0 {
			t.Errorf("after the refusals the request is %s with %d decisions, want cancelled with none", got.Status, len(got.Decisions))
		}
	})
}

// TestSystemActorIsRecordedAsTheSystem: what phasegate does at start-up
// is recorded as "system:NAME", never as a person, and phasegate itself
// cannot be the second person of the two-person rule.
func TestSystemActorIsRecordedAsTheSystem(t *testing.T) {
	forEachBackend(t, serverOptions{estate: "small"}, func(t *testing.T, ts *testServer) {
		ctx := context.Background()
		sys := incident.SystemActor("test-load", incident.RoleIncidentCommander)
		if !sys.System || sys.UserID != 0 || !incident.IsSystemActor(sys.Name) {
			t.Fatalf("SystemActor: %+v", sys)
		}
		view, err := ts.svc.DeclareIncident(ctx, sys, incident.Declaration{Name: "loaded at start", Kind: "ransomware", TotalShutdown: true})
		if err != nil {
			t.Fatal(err)
		}
		ts.clear(view.ID, "ad")
		ts.clear(view.ID, "vault")
		res, err := ts.svc.Transition(ctx, sys, view.ID, "ad", incident.StateRestoring, "start-up script")
		if err != nil || res.Approval == nil {
			t.Fatalf("the system actor's restore of ad: %+v, %v; want an approval request", res, err)
		}
		var evs struct {
			Events []incident.Event `json:"events"`
		}
		ts.mustStatus(ts.do("viewer", "GET", path("/api/v1/incidents/%d/events?limit=1000", view.ID), nil), 200).decode(t, &evs)
		bySystem := map[string]bool{}
		for _, e := range evs.Events {
			if e.Actor == "system:test-load" {
				bySystem[e.Type] = true
			}
			if _, known := ts.users[e.Actor]; !known && !incident.IsSystemActor(e.Actor) {
				t.Errorf("event %d (%s) by %q: neither a user nor the system", e.Seq, e.Type, e.Actor)
			}
		}
		for _, typ := range []string{incident.EventIncidentDeclared, incident.EventApprovalRequested} {
			if !bySystem[typ] {
				t.Errorf("no %s event recorded as system:test-load", typ)
			}
		}

		// Another request, by a person: the system may not approve it.
		other := ts.mustStatus(ts.transition("rl", view.ID, "vault", incident.StateRestoring), 202)
		var o incident.TransitionResult
		other.decode(t, &o)
		if _, err := ts.svc.Approve(ctx, sys, o.Approval.ID, "automatic"); err == nil || !strings.Contains(err.Error(), "two-person rule needs people") {
			t.Errorf("the system approving a person's request: %v, want a refusal naming the two-person rule", err)
		}
		// A person approves the system's request: the move happens, and
		// the record says who asked and who approved.
		var d incident.Decided
		ts.mustStatus(ts.do("rl", "POST", path("/api/v1/approvals/%d/approve", res.Approval.ID), map[string]string{"note": "checked"}), 200).decode(t, &d)
		if !d.Done || d.Approval.RequestedBy != "system:test-load" {
			t.Errorf("approval of the system's request: %+v", d)
		}
	})
}

// TestEventsSkipWhatTheActorMayNotSee: account events (users, tokens,
// logins) reach only those who manage users or audit the log, and a page
// is filled with events the actor may see, so hidden events never cut
// a listing short.
func TestEventsSkipWhatTheActorMayNotSee(t *testing.T) {
	ts := newTestServer(t, backend{"sqlite", openSQLite}, serverOptions{estate: "small"})
	ctx := context.Background()
	id := ts.shutdown()
	ts.clear(id, "db")
	ts.request(nil, "POST", "/api/v1/session", map[string]string{"name": "viewer", "password": "wrong password!"})

	account := func(e incident.Event) bool {
		return strings.HasPrefix(e.Type, "auth.") || strings.HasPrefix(e.Type, "user.") || strings.HasPrefix(e.Type, "token.")
	}
	all, err := ts.svc.Events(ctx, ts.actor("admin"), incident.EventQuery{})
	if err != nil {
		t.Fatal(err)
	}
	hidden := 0
	for _, e := range all {
		if account(e) {
			hidden++
		}
	}
	// The harness created users and tokens first: the log starts with
	// account events.
	if hidden < len(testUsers) || !account(all[0]) {
		t.Fatalf("the admin sees %d account events of %d, the first %s; want the users and tokens first", hidden, len(all), all[0].Type)
	}
	for _, limit := range []int{1, 5, 1000} {
		evs, err := ts.svc.Events(ctx, ts.actor("viewer"), incident.EventQuery{Limit: limit})
		if err != nil {
			t.Fatal(err)
		}
		if want := min(limit, len(all)-hidden); len(evs) != want {
			t.Errorf("viewer, limit %d: %d events, want %d", limit, len(evs), want)
		}
		for _, e := range evs {
			if account(e) {
				t.Errorf("viewer sees %s event %d", e.Type, e.Seq)
			}
		}
	}
	for _, e := range all {
		if got, want := ts.actor("viewer").MaySee(e), !account(e) && !strings.HasPrefix(e.Type, "audit."); got != want {
			t.Errorf("viewer MaySee %s: %v, want %v", e.Type, got, want)
		}
		if !ts.actor("admin").MaySee(e) {
			t.Errorf("admin may not see %s", e.Type)
		}
	}
	seq, hash, err := ts.svc.ChainHead(ctx)
	if last := all[len(all)-1]; err != nil || seq != last.Seq || hash != last.Hash {
		t.Errorf("ChainHead %d %.12s (%v), want the last event %d %.12s", seq, hash, err, last.Seq, last.Hash)
	}
}
