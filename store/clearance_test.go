package store_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/incident"
)

// TestChecklistClosedOnceCleared: a cleared system's checklist cannot be
// unticked (an IOC found after all would otherwise leave it cleared, and
// its restore allowed, with an item not done). The refusal says how to
// reopen the clearance, and reopening it (back to investigating) works.
func TestChecklistClosedOnceCleared(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		in := h.declare(incident.Declaration{})
		h.clear(in.ID, "vault")
		untick := incident.Tick{Item: "ioc-sweep", Done: false, Note: "IOC found after all"}
		_, err := h.svc.TickChecklist(h.ctx, h.as("forensics"), in.ID, "vault", untick)
		pe := wantCode(t, err, phasegate.ECONFLICT)
		if !strings.Contains(pe.Message, "move it back to investigating") || !strings.Contains(pe.Message, "compromised") {
			t.Fatalf("refusal does not say how to reopen the clearance: %s", pe.Message)
		}
		if n := len(h.events(incident.EventChecklistUnticked)); n != 0 {
			t.Fatalf("%d untick events after a refused untick", n)
		}
		items, err := h.svc.Checklist(h.ctx, h.as("viewer"), in.ID, "vault")
		h.must(err, "checklist")
		for _, it := range items {
			if !it.Done {
				t.Fatalf("item %s undone by a refused untick", it.Key)
			}
		}
		// Reopened: the untick is taken, and the system cannot be cleared
		// again until the item is done.
		h.move("forensics", in.ID, "vault", incident.StateInvestigating)
		_, err = h.svc.TickChecklist(h.ctx, h.as("forensics"), in.ID, "vault", untick)
		h.must(err, "untick while investigating")
		_, err = h.svc.Transition(h.ctx, h.as("forensics"), in.ID, "vault", incident.StateCleared, "")
		wantCode(t, err, phasegate.ECONFLICT)
		h.tickAll(in.ID, "vault")
		h.move("forensics", in.ID, "vault", incident.StateCleared)

		// Restoring, verifying, online: closed too, with how to reopen.
		for _, to := range []incident.State{incident.StateRestoring, incident.StateVerifying, incident.StateOnline} {
			res, err := h.svc.Transition(h.ctx, h.as("rl"), in.ID, "vault", to, "test")
			h.must(err, "move to "+string(to))
			if !res.Done {
				_, err := h.svc.Approve(h.ctx, h.as("rl2"), res.Approval.ID, "ok")
				h.must(err, "approve "+string(to))
			}
			_, err = h.svc.TickChecklist(h.ctx, h.as("forensics"), in.ID, "vault", untick)
			pe := wantCode(t, err, phasegate.ECONFLICT)
			if !strings.Contains(pe.Message, "vault is "+string(to)) || !strings.Contains(pe.Message, "isolate it and move it to investigating") {
				t.Errorf("%s: refusal %q", to, pe.Message)
			}
		}
	})
}

// TestChecklistTicksNeedAContainedSystem: a running system (never
// contained) and a compromised one (its checklist just reset) take no
// ticks; each refusal says what to do first.
func TestChecklistTicksNeedAContainedSystem(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		in := h.declare(incident.Declaration{})
		tick := incident.Tick{Item: "forensic-image", Done: true, Evidence: "CASE-1"}
		_, err := h.svc.TickChecklist(h.ctx, h.as("forensics"), in.ID, "vault", tick)
		pe := wantCode(t, err, phasegate.ECONFLICT)
		if !strings.Contains(pe.Message, "vault is running") || !strings.Contains(pe.Message, "isolate it first") {
			t.Errorf("running: refusal %q", pe.Message)
		}
		h.move("forensics", in.ID, "vault", incident.StateCompromised)
		_, err = h.svc.TickChecklist(h.ctx, h.as("forensics"), in.ID, "vault", tick)
		pe = wantCode(t, err, phasegate.ECONFLICT)
		if !strings.Contains(pe.Message, "vault is compromised") || !strings.Contains(pe.Message, "containment") {
			t.Errorf("compromised: refusal %q", pe.Message)
		}
		if n := len(h.events(incident.EventChecklistTicked)); n != 0 {
			t.Fatalf("%d tick events recorded for refused ticks", n)
		}
		// Contained: ticks are taken while isolated and investigating.
		h.move("forensics", in.ID, "vault", incident.StateIsolated)
		_, err = h.svc.TickChecklist(h.ctx, h.as("forensics"), in.ID, "vault", tick)
		h.must(err, "tick while isolated")
		h.move("forensics", in.ID, "vault", incident.StateInvestigating)
		_, err = h.svc.TickChecklist(h.ctx, h.as("forensics"), in.ID, "vault", incident.Tick{Item: "ioc-sweep", Done: true})
		h.must(err, "tick while investigating")
	})
}

// withChecklistItem is the test estate with one more checklist item for
// each of the given systems.
func withChecklistItem(t *testing.T, item string, systems ...string) []byte {
	t.Helper()
	doc := string(testEstate(t))
	for _, sys := range systems {
		prefix := "  - {id: " + sys + ","
		i := strings.Index(doc, prefix)
		if i < 0 {
			t.Fatalf("no one-line system %s in the test estate", sys)
		}
		end := i + strings.Index(doc[i:], "}\n")
		doc = doc[:end] + `, checklist: ["` + item + `"]` + doc[end:]
	}
	return []byte(doc)
}

// TestRestoreNeedsTheWholeChecklist: even a cleared system does not start
// its restore while an item is not done (an estate version can add one to
// a cleared system), whether the move waits for approval or not; the
// approval re-runs that guard and is rolled back.
func TestRestoreNeedsTheWholeChecklist(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		in := h.declare(incident.Declaration{})
		h.clear(in.ID, "vault") // criticality 1: two-person
		h.clear(in.ID, "mail")  // criticality 3: at once
		res, err := h.svc.Transition(h.ctx, h.as("rl"), in.ID, "vault", incident.StateRestoring, "rebuild")
		h.must(err, "request vault restore")
		if res.Done {
			t.Fatal("vault's restore did not wait for approval")
		}
		// A new estate version adds an item to both cleared systems.
		const item = "HSM and mail relay keys re-issued"
		_, err = h.svc.UploadEstate(h.ctx, h.as("admin"), estate.File{Name: "estate.yaml",
			Data: withChecklistItem(t, item, "vault", "mail")})
		h.must(err, "upload v2")
		_, err = h.svc.MoveEstate(h.ctx, h.as("ic"), in.ID, 0)
		h.must(err, "move estate")
		key := "estate-hsm-and-mail-relay-keys-re-issued"
		want := []string{
			`checklist item "` + key + `" (` + item + `) is not done`,
		}

		_, err = h.svc.Approve(h.ctx, h.as("rl2"), res.Approval.ID, "ok")
		pe := wantCode(t, err, phasegate.ECONFLICT)
		if len(pe.Reasons) != 2 || pe.Reasons[0] != want[0] || !strings.Contains(pe.Reasons[1], "move vault back to investigating") {
			t.Fatalf("approval refusal reasons %q, want %q and how to finish the clearance", pe.Reasons, want)
		}
		ap, err := h.svc.Approval(h.ctx, h.as("viewer"), res.Approval.ID)
		h.must(err, "approval")
		if ap.Status != incident.ApprovalPending || len(ap.Decisions) != 0 || h.state(in.ID, "vault") != incident.StateCleared {
			t.Fatalf("refused approval left %s with %d decisions, vault %s", ap.Status, len(ap.Decisions), h.state(in.ID, "vault"))
		}

		_, err = h.svc.Transition(h.ctx, h.as("rl"), in.ID, "mail", incident.StateRestoring, "")
		pe = wantCode(t, err, phasegate.ECONFLICT)
		if len(pe.Reasons) != 2 || pe.Reasons[0] != want[0] {
			t.Fatalf("mail refusal reasons %q, want %q first", pe.Reasons, want)
		}
		// Finishing the clearance makes the restore possible again.
		h.move("forensics", in.ID, "mail", incident.StateInvestigating)
		h.tickAll(in.ID, "mail")
		h.move("forensics", in.ID, "mail", incident.StateCleared)
		h.move("rl", in.ID, "mail", incident.StateRestoring)
	})
}

// TestUnknownIncidentIsNotFound: the lists of an incident that does not
// exist are ENOTFOUND, not empty.
func TestUnknownIncidentIsNotFound(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		in := h.declare(incident.Declaration{})
		_, err := h.svc.Approvals(h.ctx, h.as("viewer"), incident.ApprovalQuery{IncidentID: 99})
		pe := wantCode(t, err, phasegate.ENOTFOUND)
		if !strings.Contains(pe.Message, "no incident 99") {
			t.Errorf("approvals: message %q", pe.Message)
		}
		_, err = h.svc.Events(h.ctx, h.as("viewer"), incident.EventQuery{IncidentID: 99})
		pe = wantCode(t, err, phasegate.ENOTFOUND)
		if !strings.Contains(pe.Message, "no incident 99") {
			t.Errorf("events: message %q", pe.Message)
		}
		// An incident that exists and has none: an empty list.
		aps, err := h.svc.Approvals(h.ctx, h.as("viewer"), incident.ApprovalQuery{IncidentID: in.ID})
		h.must(err, "approvals of an existing incident")
		if len(aps) != 0 {
			t.Errorf("%d approvals, want none", len(aps))
		}
		evs, err := h.svc.Events(h.ctx, h.as("viewer"), incident.EventQuery{IncidentID: in.ID})
		h.must(err, "events of an existing incident")
		if len(evs) == 0 {
			t.Error("no events for the declared incident")
		}
		// Every incident: still a list.
		_, err = h.svc.Approvals(h.ctx, h.as("viewer"), incident.ApprovalQuery{})
		h.must(err, "all approvals")
	})
}

// TestCloseIncidentNeedsAReasonAndSaysWhatIsNotBack: closing is permanent
// and cancels pending approvals, so it needs a reason; systems not back
// do not stop it, and the closing event counts them.
func TestCloseIncidentNeedsAReasonAndSaysWhatIsNotBack(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		in := h.declare(incident.Declaration{TotalShutdown: true})
		h.clear(in.ID, "mail")
		h.bringOnline(in.ID, "mail")
		h.clear(in.ID, "vault")
		res, err := h.svc.Transition(h.ctx, h.as("rl"), in.ID, "vault", incident.StateRestoring, "")
		h.must(err, "request")
		for _, reason := range []string{"", "  \n"} {
			_, err := h.svc.CloseIncident(h.ctx, h.as("ic"), in.ID, reason)
			pe := wantCode(t, err, phasegate.EINVALID)
			if !strings.HasPrefix(pe.Message, "reason:") {
				t.Errorf("message %q does not name the field", pe.Message)
			}
		}
		v, err := h.svc.Incident(h.ctx, h.as("viewer"), in.ID)
		h.must(err, "incident")
		if !v.Open() || v.PendingApprovals != 1 {
			t.Fatalf("a refused close changed the incident: open %v, %d pending", v.Open(), v.PendingApprovals)
		}
		_, err = h.svc.CloseIncident(h.ctx, h.as("ic"), in.ID, "  handed over to business as usual ")
		h.must(err, "close")
		ap, err := h.svc.Approval(h.ctx, h.as("viewer"), res.Approval.ID)
		h.must(err, "approval")
		if ap.Status != incident.ApprovalCancelled {
			t.Errorf("pending request is %s after the close", ap.Status)
		}
		closed := h.events(incident.EventIncidentClosed)
		if len(closed) != 1 {
			t.Fatalf("%d incident.closed events", len(closed))
		}
		var p struct {
			Reason  string         `json:"reason"`
			NotBack map[string]int `json:"not_back"`
			Total   int            `json:"not_back_total"`
		}
		h.must(json.Unmarshal(closed[0].Payload, &p), "payload")
		want := map[string]int{"isolated": 5, "cleared": 1}
		if p.Reason != "handed over to business as usual" || p.Total != 6 || len(p.NotBack) != len(want) {
			t.Fatalf("payload %s, want reason, 6 not back: %v", closed[0].Payload, want)
		}
		for st, n := range want {
			if p.NotBack[st] != n {
				t.Errorf("not_back[%s] = %d, want %d (payload %s)", st, p.NotBack[st], n, closed[0].Payload)
			}
		}
		if rep := h.verify(); !rep.OK {
			t.Fatalf("chain: %+v", rep.Problem)
		}
	})
}
