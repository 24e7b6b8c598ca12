package server_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/phasegate/phasegate/incident"
)

// shutdown declares a total-shutdown incident on the small estate: every
// system isolated.
func (ts *testServer) shutdown() int64 {
	ts.t.Helper()
	return ts.declare("ic", incident.Declaration{Name: "guards", Kind: "ransomware", TotalShutdown: true}).ID
}

// clear takes a system from isolated to cleared.
func (ts *testServer) clear(id int64, sys string) {
	ts.t.Helper()
	ts.mustStatus(ts.transition("forensics", id, sys, incident.StateInvestigating), 200)
	ts.tickAll("forensics", id, sys)
	ts.mustStatus(ts.transition("forensics", id, sys, incident.StateCleared), 200)
}

// bringOnline takes a system without the two-person rule from isolated to
// online.
func (ts *testServer) bringOnline(id int64, sys string) {
	ts.t.Helper()
	ts.clear(id, sys)
	for _, to := range []incident.State{incident.StateRestoring, incident.StateVerifying, incident.StateOnline} {
		ts.mustStatus(ts.transition("rl", id, sys, to), 200)
	}
}

func wantReasons(t *testing.T, r *response, wantCode int, substrings ...string) {
	t.Helper()
	if r.status != wantCode {
		t.Fatalf("%s: status %d, want %d: %s", r.req, r.status, wantCode, r.body)
	}
	e := r.errorBody(t)
	all := strings.Join(e.Reasons, "\n")
	for _, s := range substrings {
		if !strings.Contains(all, s) {
			t.Errorf("%s: reasons %q do not mention %q", r.req, e.Reasons, s)
		}
	}
}

func TestGuardClearedNeedsEveryChecklistItem(t *testing.T) {
	forEachBackend(t, serverOptions{estate: "small"}, func(t *testing.T, ts *testServer) {
		id := ts.shutdown()
		ts.mustStatus(ts.transition("forensics", id, "erp", incident.StateInvestigating), 200)
		var cl struct {
			Items []incident.ChecklistItem `json:"items"`
			Total int                      `json:"total"`
		}
		ts.mustStatus(ts.do("forensics", "GET", path("/api/v1/incidents/%d/systems/erp/checklist", id), nil), 200).decode(t, &cl)
		if cl.Total != len(cl.Items) || cl.Total < 3 {
			t.Fatalf("erp checklist: %d items, total %d", len(cl.Items), cl.Total)
		}
		if last := cl.Items[len(cl.Items)-1]; last.Source != "estate" {
			t.Errorf("erp's own checklist item is missing: last item %+v", last)
		}
		ts.mustStatus(ts.do("forensics", "POST", path("/api/v1/incidents/%d/systems/erp/checklist", id),
			incident.Tick{Item: cl.Items[0].Key, Done: true, Note: "imaged", Evidence: "EV-1"}), 200)

		r := ts.transition("forensics", id, "erp", incident.StateCleared)
		var missing []string
		for _, it := range cl.Items[1:] {
			missing = append(missing, it.Key)
		}
		wantReasons(t, r, 409, missing...)
		if e := r.errorBody(t); e.Code != "conflict" || len(e.Reasons) != len(missing) {
			t.Errorf("code %q with %d reasons, want conflict with one per missing item (%d)", e.Code, len(e.Reasons), len(missing))
		}
	})
}

func TestGuardRestoringNeedsClearedAndDependenciesOnline(t *testing.T) {
	forEachBackend(t, serverOptions{estate: "small"}, func(t *testing.T, ts *testServer) {
		id := ts.shutdown()
		wantReasons(t, ts.transition("rl", id, "db", incident.StateRestoring), 409, "not cleared")
		ts.clear(id, "db")
		wantReasons(t, ts.transition("rl", id, "db", incident.StateRestoring), 409,
			"required system ad is isolated", "required system net is isolated")
		ts.bringOnline(id, "net")
		r := ts.transition("rl", id, "db", incident.StateRestoring)
		wantReasons(t, r, 409, "required system ad")
		if e := r.errorBody(t); len(e.Reasons) != 1 {
			t.Errorf("with net online only ad should be left: %q", e.Reasons)
		}
	})
}

func TestGuardIllegalMoveNamesTheAllowedOnes(t *testing.T) {
	forEachBackend(t, serverOptions{estate: "small"}, func(t *testing.T, ts *testServer) {
		id := ts.shutdown()
		wantReasons(t, ts.transition("ic", id, "wiki", incident.StateOnline), 409, "investigating")
		r := ts.transition("ic", id, "wiki", "sideways")
		if r.status != 422 {
			t.Fatalf("unknown state: status %d, want 422: %s", r.status, r.body)
		}
		if e := r.errorBody(t); !strings.Contains(e.Message, "isolated") {
			t.Errorf("unknown state: message %q does not list the states", e.Message)
		}
	})
}

func TestTwoPersonRuleOverHTTP(t *testing.T) {
	forEachBackend(t, serverOptions{estate: "small"}, func(t *testing.T, ts *testServer) {
		id := ts.shutdown()
		ts.clear(id, "ad") // criticality 1

		r := ts.mustStatus(ts.transition("rl", id, "ad", incident.StateRestoring), 202)
		var res incident.TransitionResult
		r.decode(t, &res)
		if res.Done || res.Approval == nil || res.Approval.Status != incident.ApprovalPending || res.System.State != incident.StateCleared {
			t.Fatalf("202 answer: %s", r.body)
		}
		ap := res.Approval.ID

		// The requester cannot approve their own request, not even with
		// a session instead of the token.
		self := ts.do("rl", "POST", path("/api/v1/approvals/%d/approve", ap), map[string]string{"note": "me"})
		if self.status != 403 || !strings.Contains(self.errorBody(t).Message, "second person") {
			t.Fatalf("self-approval: %d %s, want 403 naming the two-person rule", self.status, self.body)
		}
		sess := ts.request(ts.login("rl"), "POST", path("/api/v1/approvals/%d/approve", ap), map[string]string{"note": "me"})
		if sess.status != 403 {
			t.Fatalf("self-approval by session: %d %s, want 403", sess.status, sess.body)
		}
		// Someone who may not decide cannot either.
		ts.mustStatus(ts.do("forensics", "POST", path("/api/v1/approvals/%d/approve", ap), map[string]string{"note": "x"}), 403)

		var pending struct {
			Approvals []incident.Approval `json:"approvals"`
		}
		ts.mustStatus(ts.do("viewer", "GET", path("/api/v1/incidents/%d/approvals?status=pending", id), nil), 200).decode(t, &pending)
		if len(pending.Approvals) != 1 || pending.Approvals[0].ID != ap {
			t.Fatalf("pending approvals: %+v", pending.Approvals)
		}

		var d incident.Decided
		ts.mustStatus(ts.do("ic", "POST", path("/api/v1/approvals/%d/approve", ap), map[string]string{"note": "evidence checked"}), 200).decode(t, &d)
		if !d.Done || d.System == nil || d.System.State != incident.StateRestoring || d.Approval.Status != incident.ApprovalApproved {
			t.Fatalf("approval by a second person: %+v", d)
		}
		// A decided request cannot be decided again.
		ts.mustStatus(ts.do("rl2", "POST", path("/api/v1/approvals/%d/approve", ap), nil), 409)
	})
}

func TestTwoPersonRuleNeedsDistinctApproversAndRejectWorks(t *testing.T) {
	forEachBackend(t, serverOptions{estate: "small"}, func(t *testing.T, ts *testServer) {
		id := ts.shutdown()
		var upd struct {
			Incident incident.Incident `json:"incident"`
		}
		ts.mustStatus(ts.do("ic", "PATCH", path("/api/v1/incidents/%d", id), map[string]int{"required_approvals": 2}), 200).decode(t, &upd)
		if upd.Incident.RequiredApprovals != 2 {
			t.Fatalf("PATCH required_approvals: %+v", upd.Incident)
		}
		// Back down to one takes two commanders: the first waits (202).
		var low struct {
			Incident incident.Incident `json:"incident"`
			Message  string            `json:"message"`
		}
		ts.mustStatus(ts.do("ic", "PATCH", path("/api/v1/incidents/%d", id), map[string]int{"required_approvals": 1}), 202).decode(t, &low)
		if low.Incident.RequiredApprovals != 2 || low.Incident.Lowering == nil || !strings.Contains(low.Message, "second incident commander") {
			t.Fatalf("one commander lowering: %+v", low)
		}
		ts.mustStatus(ts.do("ic", "PATCH", path("/api/v1/incidents/%d", id), map[string]int{"required_approvals": 2}), 200)
		ts.clear(id, "ad")
		var res incident.TransitionResult
		ts.mustStatus(ts.transition("rl", id, "ad", incident.StateRestoring), 202).decode(t, &res)
		ap := res.Approval.ID
		var d incident.Decided
		ts.mustStatus(ts.do("rl2", "POST", path("/api/v1/approvals/%d/approve", ap), nil), 200).decode(t, &d)
		if d.Done {
			t.Fatalf("one approval of two completed the move")
		}
		twice := ts.do("rl2", "POST", path("/api/v1/approvals/%d/approve", ap), nil)
		if twice.status != 409 {
			t.Fatalf("the same person approving twice: %d %s, want 409", twice.status, twice.body)
		}
		ts.mustStatus(ts.do("ic", "POST", path("/api/v1/approvals/%d/approve", ap), nil), 200).decode(t, &d)
		if !d.Done {
			t.Fatalf("two distinct approvals did not complete the move: %+v", d)
		}

		// Reject: the system stays where it was.
		ts.mustStatus(ts.transition("rl", id, "ad", incident.StateVerifying), 200)
		ts.mustStatus(ts.transition("rl", id, "ad", incident.StateOnline), 202).decode(t, &res)
		noNote := ts.do("ic", "POST", path("/api/v1/approvals/%d/reject", res.Approval.ID), nil)
		if noNote.status != 422 {
			t.Errorf("reject without a note: %d %s, want 422", noNote.status, noNote.body)
		}
		var rej incident.Approval
		ts.mustStatus(ts.do("ic", "POST", path("/api/v1/approvals/%d/reject", res.Approval.ID),
			map[string]string{"note": "EDR not reporting yet"}), 200).decode(t, &rej)
		if rej.Status != incident.ApprovalRejected {
			t.Errorf("rejected approval has status %s", rej.Status)
		}
		var sys incident.SystemDetail
		ts.mustStatus(ts.do("viewer", "GET", path("/api/v1/incidents/%d/systems/ad", id), nil), 200).decode(t, &sys)
		if sys.State != incident.StateVerifying {
			t.Errorf("after a rejection ad is %s, want verifying", sys.State)
		}
	})
}

func TestContainmentNeverWaits(t *testing.T) {
	forEachBackend(t, serverOptions{estate: "small"}, func(t *testing.T, ts *testServer) {
		id := ts.declare("ic", incident.Declaration{Name: "contain", Kind: "ransomware"}).ID
		// Criticality 1, yet isolating it takes effect at once.
		var res incident.TransitionResult
		ts.mustStatus(ts.transition("forensics", id, "ad", incident.StateIsolated), 200).decode(t, &res)
		if !res.Done || res.System.State != incident.StateIsolated {
			t.Fatalf("isolating ad: %+v", res)
		}
		var iso incident.IsolationResult
		ts.mustStatus(ts.do("rl", "POST", path("/api/v1/incidents/%d/isolate", id),
			map[string]any{"selector": map[string]string{"team": "apps"}, "reason": "lateral movement in apps"}), 200).decode(t, &iso)
		if fmt.Sprint(iso.Isolated) != "[db erp mail wiki vault]" {
			t.Errorf("isolate team=apps isolated %v", iso.Isolated)
		}
		// The selector is checked before anything moves.
		r := ts.do("rl", "POST", path("/api/v1/incidents/%d/isolate", id),
			map[string]any{"selector": map[string]any{"all": true, "team": "apps"}, "reason": "x"})
		if r.status != 400 {
			t.Errorf("contradictory selector: %d %s, want 400", r.status, r.body)
		}
	})
}
