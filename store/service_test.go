package store_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/incident"
)

func TestGuardClearedNeedsEveryChecklistItem(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		in := h.declare(incident.Declaration{})
		h.move("forensics", in.ID, "erp", incident.StateIsolated)
		h.move("forensics", in.ID, "erp", incident.StateInvestigating)
		items, err := h.svc.Checklist(h.ctx, h.as("viewer"), in.ID, "erp")
		h.must(err, "checklist")
		// The application template plus the estate's own item.
		if got := items[len(items)-1]; got.Source != "estate" || got.Text != "confirm transport directory is clean" {
			t.Fatalf("last item = %+v, want the estate's own item", got)
		}
		_, err = h.svc.TickChecklist(h.ctx, h.as("forensics"), in.ID, "erp", incident.Tick{Item: items[0].Key, Done: true})
		h.must(err, "tick")

		_, err = h.svc.Transition(h.ctx, h.as("forensics"), in.ID, "erp", incident.StateCleared, "")
		pe := wantCode(t, err, phasegate.ECONFLICT)
		if got, want := len(pe.Reasons), len(items)-1; got != want {
			t.Fatalf("%d reasons, want one per undone item (%d): %q", got, want, pe.Reasons)
		}
		for i, it := range items[1:] {
			if !strings.Contains(pe.Reasons[i], it.Key) {
				t.Errorf("reason %d %q does not name item %s", i, pe.Reasons[i], it.Key)
			}
		}
		h.tickAll(in.ID, "erp")
		h.move("forensics", in.ID, "erp", incident.StateCleared)
	})
}

func TestGuardRestoringNeedsClearedAndDependenciesOnline(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		in := h.declare(incident.Declaration{TotalShutdown: true})
		h.move("forensics", in.ID, "db", incident.StateInvestigating)

		_, err := h.svc.Transition(h.ctx, h.as("rl"), in.ID, "db", incident.StateRestoring, "")
		pe := wantCode(t, err, phasegate.ECONFLICT)
		want := []string{
			"db is investigating, not cleared: clear it before the restore",
			"required system ad is isolated, not online",
			"required system net is isolated, not online",
		}
		if !slices.Equal(pe.Reasons, want) {
			t.Fatalf("reasons:\n got %q\nwant %q", pe.Reasons, want)
		}
		// Cleared, and one dependency online: only the other remains.
		h.tickAll(in.ID, "db")
		h.move("forensics", in.ID, "db", incident.StateCleared)
		h.clear(in.ID, "net")
		h.bringOnline(in.ID, "net")
		_, err = h.svc.Transition(h.ctx, h.as("rl"), in.ID, "db", incident.StateRestoring, "")
		pe = wantCode(t, err, phasegate.ECONFLICT)
		if want := []string{"required system ad is isolated, not online"}; !slices.Equal(pe.Reasons, want) {
			t.Fatalf("reasons %q, want %q", pe.Reasons, want)
		}
		h.clear(in.ID, "ad")
		h.bringOnline(in.ID, "ad")
		h.move("rl", in.ID, "db", incident.StateRestoring)
	})
}

func TestGuardIllegalTransitionNamesTheAllowedOnes(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		in := h.declare(incident.Declaration{})
		_, err := h.svc.Transition(h.ctx, h.as("rl"), in.ID, "mail", incident.StateOnline, "")
		pe := wantCode(t, err, phasegate.ECONFLICT)
		if want := "mail cannot move from running to online; from running it may move to: isolated, compromised"; len(pe.Reasons) != 1 || pe.Reasons[0] != want {
			t.Fatalf("reasons %q, want [%q]", pe.Reasons, want)
		}
		_, err = h.svc.Transition(h.ctx, h.as("rl"), in.ID, "mail", "rebooted", "")
		wantCode(t, err, phasegate.EINVALID)
		_, err = h.svc.Transition(h.ctx, h.as("rl"), in.ID, "nosuch", incident.StateIsolated, "")
		wantCode(t, err, phasegate.ENOTFOUND)
		// Compromised leaves only by containment.
		h.move("forensics", in.ID, "mail", incident.StateCompromised)
		_, err = h.svc.Transition(h.ctx, h.as("forensics"), in.ID, "mail", incident.StateInvestigating, "")
		pe = wantCode(t, err, phasegate.ECONFLICT)
		if !strings.Contains(pe.Reasons[0], "may move to: isolated") {
			t.Fatalf("reasons %q", pe.Reasons)
		}
	})
}

func TestCompromiseResetsTheChecklistAndKeepsHistory(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		in := h.declare(incident.Declaration{})
		h.clear(in.ID, "mail")
		h.move("forensics", in.ID, "mail", incident.StateCompromised)
		items, err := h.svc.Checklist(h.ctx, h.as("viewer"), in.ID, "mail")
		h.must(err, "checklist")
		for _, it := range items {
			if it.Done {
				t.Errorf("item %s still done after the compromise", it.Key)
			}
		}
		d, err := h.svc.System(h.ctx, h.as("viewer"), in.ID, "mail")
		h.must(err, "system")
		if d.Compromises != 1 || !slices.Equal(d.Next, []incident.State{incident.StateIsolated}) {
			t.Fatalf("compromises %d next %v", d.Compromises, d.Next)
		}
		ticks := h.events(incident.EventChecklistTicked)
		if len(ticks) != len(items) {
			t.Fatalf("%d tick events, want %d (history kept)", len(ticks), len(items))
		}
		tr := h.events(incident.EventSystemTransitioned)
		var p struct {
			To    string   `json:"to"`
			Reset []string `json:"checklist_reset"`
		}
		json.Unmarshal(tr[len(tr)-1].Payload, &p)
		if p.To != "compromised" || len(p.Reset) != len(items) {
			t.Fatalf("last transition payload %s", tr[len(tr)-1].Payload)
		}
		// Containment, then investigate again from scratch.
		h.move("forensics", in.ID, "mail", incident.StateIsolated)
		h.clear(in.ID, "mail")
	})
}

func TestChecklistTickAndUntick(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		in := h.declare(incident.Declaration{})
		h.move("forensics", in.ID, "ad", incident.StateIsolated)
		h.move("forensics", in.ID, "ad", incident.StateInvestigating)
		it, err := h.svc.TickChecklist(h.ctx, h.as("forensics"), in.ID, "ad",
			incident.Tick{Item: "krbtgt-reset-twice", Done: true, Note: "reset 10:00 and 20:00", Evidence: "CASE-7/krbtgt.txt"})
		h.must(err, "tick")
		if !it.Done || it.By != "forensics" || !it.At.Equal(h.clock.Now()) || it.Note != "reset 10:00 and 20:00" || it.Evidence != "CASE-7/krbtgt.txt" {
			t.Fatalf("ticked item = %+v", it)
		}
		h.clock.Advance(time.Hour)
		it, err = h.svc.TickChecklist(h.ctx, h.as("ic"), in.ID, "ad", incident.Tick{Item: "krbtgt-reset-twice", Done: false, Note: "second reset not replicated"})
		h.must(err, "untick")
		if it.Done || it.By != "ic" || it.Note != "second reset not replicated" {
			t.Fatalf("unticked item = %+v", it)
		}
		if n := len(h.events(incident.EventChecklistUnticked)); n != 1 {
			t.Fatalf("%d untick events", n)
		}
		_, err = h.svc.TickChecklist(h.ctx, h.as("forensics"), in.ID, "ad", incident.Tick{Item: "no-such-item", Done: true})
		pe := wantCode(t, err, phasegate.EINVALID)
		if !strings.Contains(pe.Message, "krbtgt-reset-twice") {
			t.Fatalf("message does not list the items: %s", pe.Message)
		}
	})
}

func TestBulkIsolationBySelector(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		in := h.declare(incident.Declaration{})
		cases := []struct {
			sel  incident.Selector
			want []string
			skip []string
		}{
			{incident.Selector{Kind: "identity"}, []string{"ad"}, nil},
			{incident.Selector{Tag: "core"}, []string{"net"}, []string{"ad"}},
			{incident.Selector{Team: "apps"}, []string{"db", "erp", "mail", "vault"}, nil},
			{incident.Selector{Systems: []string{"plc", "mail"}}, []string{"plc"}, []string{"mail"}},
			{incident.Selector{All: true}, []string{}, []string{"ad", "net", "db", "erp", "mail", "plc", "vault"}},
		}
		for _, c := range cases {
			before := len(h.events(incident.EventSystemTransitioned))
			res, err := h.svc.Isolate(h.ctx, h.as("forensics"), in.ID, c.sel, "contain "+c.sel.String())
			h.must(err, "isolate "+c.sel.String())
			if !slices.Equal(res.Isolated, c.want) {
				t.Errorf("%s isolated %v, want %v", c.sel, res.Isolated, c.want)
			}
			var skipped []string
			for _, s := range res.Skipped {
				skipped = append(skipped, s.System)
			}
			if !slices.Equal(skipped, c.skip) {
				t.Errorf("%s skipped %v, want %v", c.sel, skipped, c.skip)
			}
			if got := len(h.events(incident.EventSystemTransitioned)) - before; got != len(c.want) {
				t.Errorf("%s: %d transition events, want one per system (%d)", c.sel, got, len(c.want))
			}
		}
		// One summary event for each isolation that isolated something;
		// the last isolated nothing, so nothing was recorded for it.
		sums := h.events(incident.EventBulkIsolation)
		if len(sums) != len(cases)-1 {
			t.Fatalf("%d summary events, want %d", len(sums), len(cases)-1)
		}
		// No move leads back to running, and the refusal lists only the
		// states a move can lead to.
		_, err := h.svc.Transition(h.ctx, h.as("ic"), in.ID, "ad", incident.StateRunning, "undo")
		if e := wantCode(t, err, phasegate.EINVALID); e != nil && (strings.Contains(e.Message, "running,") || !strings.Contains(e.Message, "isolated, investigating")) {
			t.Errorf("a move to running: %s", e.Message)
		}
		again, err := h.svc.Isolate(h.ctx, h.as("forensics"), in.ID, incident.Selector{All: true}, "again")
		h.must(err, "isolate all again")
		if again.Seq != 0 || len(again.Isolated) != 0 || len(again.Skipped) != 7 || len(h.events(incident.EventBulkIsolation)) != len(sums) {
			t.Errorf("isolating what is contained: %+v, and %d summary events (was %d)", again, len(h.events(incident.EventBulkIsolation)), len(sums))
		}
		_, err = h.svc.Isolate(h.ctx, h.as("forensics"), in.ID, incident.Selector{Team: "nobody"}, "x")
		wantCode(t, err, phasegate.EINVALID)
		_, err = h.svc.Isolate(h.ctx, h.as("forensics"), in.ID, incident.Selector{Kind: "mainframe"}, "x")
		wantCode(t, err, phasegate.EINVALID)
		_, err = h.svc.Isolate(h.ctx, h.as("forensics"), in.ID, incident.Selector{All: true}, " ")
		wantCode(t, err, phasegate.EINVALID)
	})
}

// readyForRestore declares an incident and clears vault (criticality 1,
// no dependencies).
func readyForRestore(h *harness, approvals int) *incident.IncidentView {
	in := h.declare(incident.Declaration{RequiredApprovals: approvals})
	h.clear(in.ID, "vault")
	return in
}

func TestTwoPersonRule(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		in := readyForRestore(h, 1)
		res, err := h.svc.Transition(h.ctx, h.as("ic"), in.ID, "vault", incident.StateRestoring, "rebuild from backup 31 Aug")
		h.must(err, "request")
		if res.Done || res.Approval == nil || res.Approval.Status != incident.ApprovalPending || res.System.State != incident.StateCleared {
			t.Fatalf("want a pending approval and no move, got %+v", res)
		}
		if res.System.PendingApproval != res.Approval.ID {
			t.Fatalf("system view does not point at the request")
		}
		id := res.Approval.ID
		// A second identical request is refused while one waits.
		_, err = h.svc.Transition(h.ctx, h.as("rl"), in.ID, "vault", incident.StateRestoring, "")
		wantCode(t, err, phasegate.ECONFLICT)

		_, err = h.svc.Approve(h.ctx, h.as("ic"), id, "me")
		pe := wantCode(t, err, phasegate.EFORBIDDEN)
		if !strings.Contains(pe.Message, "second person") {
			t.Fatalf("self-approval message: %s", pe.Message)
		}
		_, err = h.svc.Approve(h.ctx, h.as("forensics"), id, "")
		pe = wantCode(t, err, phasegate.EFORBIDDEN)
		if !strings.Contains(pe.Message, "approval.decide") || !strings.Contains(pe.Message, "recovery-lead") {
			t.Fatalf("forbidden message should name the action and the roles: %s", pe.Message)
		}
		_, err = h.svc.Approve(h.ctx, h.as("viewer"), id, "")
		wantCode(t, err, phasegate.EFORBIDDEN)
		if got := h.state(in.ID, "vault"); got != incident.StateCleared {
			t.Fatalf("state %s after refused approvals", got)
		}
		d, err := h.svc.Approve(h.ctx, h.as("owner"), id, "backup hash checked") // vault is team apps: in scope
		h.must(err, "approve")
		if !d.Done || d.System.State != incident.StateRestoring || d.Approval.Status != incident.ApprovalApproved {
			t.Fatalf("approval did not complete the move: %+v", d)
		}
		_, err = h.svc.Approve(h.ctx, h.as("rl"), id, "")
		wantCode(t, err, phasegate.ECONFLICT) // no longer pending

		// The restore's event names the approver.
		tr := h.events(incident.EventSystemTransitioned)
		if !strings.Contains(string(tr[len(tr)-1].Payload), `"approved_by":["owner"]`) {
			t.Fatalf("transition payload %s", tr[len(tr)-1].Payload)
		}
		// Verifying needs nobody; online needs a second person again.
		h.move("rl", in.ID, "vault", incident.StateVerifying)
		res, err = h.svc.Transition(h.ctx, h.as("rl"), in.ID, "vault", incident.StateOnline, "")
		h.must(err, "request online")
		if res.Done {
			t.Fatal("online of a criticality-1 system did not wait for approval")
		}
		// Isolation never waits, and cancels the pending request.
		h.move("rl", in.ID, "vault", incident.StateIsolated)
		ap, err := h.svc.Approval(h.ctx, h.as("viewer"), res.Approval.ID)
		h.must(err, "approval")
		if ap.Status != incident.ApprovalCancelled {
			t.Fatalf("request is %s after the system moved on", ap.Status)
		}
		// Scope: an owner of apps cannot approve for an infra system.
		h.clear(in.ID, "ad")
		res, err = h.svc.Transition(h.ctx, h.as("rl"), in.ID, "ad", incident.StateRestoring, "")
		h.must(err, "request ad")
		_, err = h.svc.Approve(h.ctx, h.as("owner"), res.Approval.ID, "")
		wantCode(t, err, phasegate.EFORBIDDEN)
	})
}

func TestTwoPersonRuleNeedsDistinctApprovers(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		in := readyForRestore(h, 2)
		res, err := h.svc.Transition(h.ctx, h.as("owner"), in.ID, "vault", incident.StateRestoring, "")
		h.must(err, "request")
		d, err := h.svc.Approve(h.ctx, h.as("rl"), res.Approval.ID, "one")
		h.must(err, "first approval")
		if d.Done || d.Approval.Approvals() != 1 {
			t.Fatalf("one of two approvals completed the move: %+v", d)
		}
		_, err = h.svc.Approve(h.ctx, h.as("rl"), res.Approval.ID, "again")
		wantCode(t, err, phasegate.ECONFLICT)
		d, err = h.svc.Approve(h.ctx, h.as("ic"), res.Approval.ID, "two")
		h.must(err, "second approval")
		if !d.Done || len(d.Approval.Decisions) != 2 {
			t.Fatalf("two approvals did not complete the move: %+v", d)
		}
	})
}

func TestApprovalRechecksGuards(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		in := h.declare(incident.Declaration{})
		for _, s := range []string{"ad", "net", "db"} {
			h.clear(in.ID, s)
			h.bringOnline(in.ID, s)
		}
		h.clear(in.ID, "erp")
		res, err := h.svc.Transition(h.ctx, h.as("rl"), in.ID, "erp", incident.StateRestoring, "")
		h.must(err, "request")
		if res.Done {
			t.Fatal("two_person system moved without approval")
		}
		// The database goes down again before anyone approves.
		h.move("forensics", in.ID, "db", incident.StateCompromised)
		_, err = h.svc.Approve(h.ctx, h.as("rl2"), res.Approval.ID, "")
		pe := wantCode(t, err, phasegate.ECONFLICT)
		if want := []string{"required system db is compromised, not online"}; !slices.Equal(pe.Reasons, want) {
			t.Fatalf("reasons %q, want %q", pe.Reasons, want)
		}
		ap, err := h.svc.Approval(h.ctx, h.as("viewer"), res.Approval.ID)
		h.must(err, "approval")
		if ap.Status != incident.ApprovalPending || len(ap.Decisions) != 0 {
			t.Fatalf("refused approval left %s with %d decisions", ap.Status, len(ap.Decisions))
		}
		if got := h.state(in.ID, "erp"); got != incident.StateCleared {
			t.Fatalf("erp is %s", got)
		}
	})
}

func TestApprovalRejectCancelExpire(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		in := readyForRestore(h, 1)
		req := func() int64 {
			res, err := h.svc.Transition(h.ctx, h.as("rl"), in.ID, "vault", incident.StateRestoring, "")
			h.must(err, "request")
			return res.Approval.ID
		}
		id := req()
		_, err := h.svc.Reject(h.ctx, h.as("rl2"), id, "")
		wantCode(t, err, phasegate.EINVALID) // a rejection needs a note
		_, err = h.svc.Reject(h.ctx, h.as("rl"), id, "mine")
		wantCode(t, err, phasegate.EFORBIDDEN)
		ap, err := h.svc.Reject(h.ctx, h.as("rl2"), id, "backup not verified")
		h.must(err, "reject")
		if ap.Status != incident.ApprovalRejected || ap.ClosedNote != "backup not verified" {
			t.Fatalf("rejected = %+v", ap)
		}
		id = req()
		_, err = h.svc.CancelApproval(h.ctx, h.as("rl2"), id, "not yours")
		wantCode(t, err, phasegate.EFORBIDDEN)
		ap, err = h.svc.CancelApproval(h.ctx, h.as("rl"), id, "wrong window")
		h.must(err, "cancel own")
		if ap.Status != incident.ApprovalCancelled {
			t.Fatalf("cancelled = %s", ap.Status)
		}
		id = req()
		h.clock.Advance(h.svc.Settings().ApprovalTTL + time.Minute)
		_, err = h.svc.Approve(h.ctx, h.as("rl2"), id, "")
		pe := wantCode(t, err, phasegate.ECONFLICT)
		if !strings.Contains(pe.Message, "expired") {
			t.Fatalf("message %s", pe.Message)
		}
		ap, err = h.svc.Approval(h.ctx, h.as("viewer"), id)
		h.must(err, "approval")
		if ap.Status != incident.ApprovalExpired {
			t.Fatalf("status %s, want expired (recorded)", ap.Status)
		}
		if len(h.events(incident.EventApprovalExpired)) != 1 {
			t.Fatal("no approval.expired event")
		}
	})
}

// TestScriptedRecovery runs a whole recovery of the test estate: declare,
// isolate all, investigate, tick, clear, restore with approvals, verify,
// online; at the end every service is back in the live plan and the
// chain verifies.
func TestScriptedRecovery(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		in := h.declare(incident.Declaration{Name: "Northfield ransomware", Kind: "ransomware"})
		_, err := h.svc.Isolate(h.ctx, h.as("ic"), in.ID, incident.Selector{All: true}, "total shutdown")
		h.must(err, "isolate all")
		p, err := h.svc.LivePlan(h.ctx, h.as("viewer"), in.ID)
		h.must(err, "plan")
		if len(p.Services) != 2 || !p.End.After(h.clock.Now()) {
			t.Fatalf("initial plan: %d services, end %s", len(p.Services), p.End)
		}
		// The next live plan and forecast follow this plan's order of
		// work: with nothing under way and nothing happening, every date
		// moves by the time that passed, no more.
		sn, err := h.svc.Snapshot(h.ctx, h.as("viewer"), in.ID)
		h.must(err, "snapshot")
		if len(sn.Follow) == 0 || !slices.Equal(sn.Follow, p.Order) {
			t.Fatalf("the snapshot follows %v, the plan's order is %v", sn.Follow, p.Order)
		}
		h.clock.Advance(7 * time.Minute)
		later, err := h.svc.LivePlan(h.ctx, h.as("viewer"), in.ID)
		h.must(err, "plan later")
		for i, sv := range later.Services {
			if d := sv.ETA.Sub(p.Services[i].ETA); d < 6*time.Minute || d > 8*time.Minute {
				t.Errorf("seven minutes on, nothing done: %s moved %s → %s", sv.ID, p.Services[i].ETA, sv.ETA)
			}
		}
		_, err = h.svc.RecordETAs(h.ctx, in.ID)
		h.must(err, "record")
		order := []string{"ad", "net", "vault", "mail", "db", "plc", "erp"}
		for _, s := range order {
			h.clock.Advance(2 * time.Hour)
			h.clear(in.ID, s)
			h.clock.Advance(time.Hour)
			h.bringOnline(in.ID, s)
			_, err := h.svc.RecordETAs(h.ctx, in.ID)
			h.must(err, "record after "+s)
		}
		v, err := h.svc.Incident(h.ctx, h.as("viewer"), in.ID)
		h.must(err, "incident")
		if v.Counts[incident.StateOnline] != len(order) {
			t.Fatalf("counts %v", v.Counts)
		}
		p, err = h.svc.LivePlan(h.ctx, h.as("viewer"), in.ID)
		h.must(err, "final plan")
		for _, sv := range p.Services {
			if sv.ETAHours > 0 {
				t.Errorf("service %s still has ETA %.1fh after every system is online", sv.ID, sv.ETAHours)
			}
		}
		hist, err := h.svc.ETAHistory(h.ctx, h.as("viewer"), in.ID)
		h.must(err, "history")
		subjects := map[string]int{}
		lastSeq := int64(0)
		for _, c := range hist {
			subjects[c.Subject]++
			if c.Seq < lastSeq {
				t.Errorf("history not in event order: %d after %d", c.Seq, lastSeq)
			}
			lastSeq = c.Seq
		}
		for _, s := range []string{"restart", "service:build", "service:email"} {
			if subjects[s] == 0 {
				t.Errorf("no ETA history for %s: %v", s, subjects)
			}
		}
		// The latest record of each subject, as the plan worker reads it,
		// is the last of that subject in the whole history.
		want := map[string]incident.ETAChange{}
		for _, c := range hist {
			want[c.Subject] = c
		}
		var latest []incident.ETAChange
		h.must(h.db.View(h.ctx, func(tx incident.Tx) (err error) {
			latest, err = tx.LatestETAs(in.ID)
			return err
		}), "latest ETAs")
		if len(latest) != len(want) {
			t.Errorf("LatestETAs gives %d subjects, the history has %d", len(latest), len(want))
		}
		for _, c := range latest {
			w := want[c.Subject]
			if c.Seq != w.Seq || !c.ETA.Equal(w.ETA) || !c.Previous.Equal(w.Previous) || !c.At.Equal(w.At) {
				t.Errorf("latest of %s: %+v, want %+v", c.Subject, c, w)
			}
		}
		if rep := h.verify(); !rep.OK {
			t.Fatalf("chain: %+v", rep.Problem)
		}
		// Published after commit, in order, with nothing missing.
		h.pubMu.Lock()
		pub := slices.Clone(h.published)
		h.pubMu.Unlock()
		all := h.events("")
		if len(pub) != len(all) {
			t.Fatalf("published %d events, log has %d", len(pub), len(all))
		}
		for i := range pub {
			if pub[i].Seq != all[i].Seq || pub[i].Hash != all[i].Hash {
				t.Fatalf("published event %d differs from the log", i)
			}
		}
	})
}

func TestEstateVersionsAndMove(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		in := h.declare(incident.Declaration{TotalShutdown: true})
		_, err := h.svc.UploadEstate(h.ctx, h.as("admin"), estate.File{Name: "bad.yaml", Data: []byte("version: 1\nsystems:\n  - {id: x, kind: spaceship}\n")})
		pe := wantCode(t, err, phasegate.EINVALID)
		ps, ok := pe.Details.(estate.Problems)
		if !ok || !slices.ContainsFunc(ps, func(p estate.Problem) bool {
			return p.File == "bad.yaml" && p.Line == 3 && p.Field == "systems[x].kind"
		}) {
			t.Fatalf("details %#v: want estate problems with file and line", pe.Details)
		}
		// Version 2: mail removed, a new system added.
		doc := strings.Replace(string(testEstate(t)), "  - {id: mail, name: Email, kind: saas, team: apps, criticality: 3, restore: 2h, tags: [comms]}\n",
			"  - {id: crm, kind: saas, team: apps, criticality: 3, restore: 2h}\n", 1)
		doc = strings.Replace(doc, "requires: [mail]", "requires: [crm]", 1)
		v2, err := h.svc.UploadEstate(h.ctx, h.as("rl"), estate.File{Name: "estate.yaml", Data: []byte(doc)})
		h.must(err, "upload v2")
		if v2.Number != 2 || v2.Systems != 7 || len(v2.SHA256) != 64 || v2.UploadedBy != "rl" {
			t.Fatalf("version %+v", v2)
		}
		// Removing mail takes its gates away: v2 waits for a second person.
		if !v2.Pending() || len(v2.Weakens) != 1 || v2.Weakens[0].System != "mail" {
			t.Fatalf("v2 weakens %+v (pending %v), want mail removed", v2.Weakens, v2.Pending())
		}
		_, err = h.svc.ApproveEstateVersion(h.ctx, h.as("ic"), v2.Number, "mail moved to crm")
		h.must(err, "approve v2")
		mv, err := h.svc.MoveEstate(h.ctx, h.as("ic"), in.ID, 0)
		h.must(err, "move")
		if !slices.Equal(mv.Added, []string{"crm"}) || !slices.Equal(mv.Removed, []string{"mail"}) || mv.AddedState != incident.StateIsolated {
			t.Fatalf("move %+v", mv)
		}
		v, err := h.svc.Incident(h.ctx, h.as("viewer"), in.ID)
		h.must(err, "incident")
		if v.EstateVersion != 2 {
			t.Fatalf("estate version %d", v.EstateVersion)
		}
		// mail is listed apart, with the version that removed it, and is
		// neither a system of the view nor counted: the counts add up to
		// the systems, which are the estate's.
		if len(v.Removed) != 1 || v.Removed[0].SystemID != "mail" || v.Removed[0].RemovedIn != 2 || v.Removed[0].State != incident.StateIsolated {
			t.Fatalf("removed %+v, want mail, isolated, removed in version 2", v.Removed)
		}
		total := 0
		for _, n := range v.Counts {
			total += n
		}
		if len(v.Systems) != 7 || total != len(v.Systems) {
			t.Fatalf("%d systems, counts %v: want the 7 of the estate, each counted once", len(v.Systems), v.Counts)
		}
		for _, sv := range v.Systems {
			if sv.SystemID == "mail" {
				t.Fatalf("mail is among the systems: %+v", sv)
			}
		}
		_, err = h.svc.MoveEstate(h.ctx, h.as("ic"), in.ID, 1)
		wantCode(t, err, phasegate.ECONFLICT)
		_, err = h.svc.Transition(h.ctx, h.as("forensics"), in.ID, "mail", incident.StateInvestigating, "")
		wantCode(t, err, phasegate.ENOTFOUND)
		_, err = h.svc.CloseIncident(h.ctx, h.as("ic"), in.ID, "recovered")
		h.must(err, "close")
		_, err = h.svc.Transition(h.ctx, h.as("forensics"), in.ID, "crm", incident.StateInvestigating, "")
		wantCode(t, err, phasegate.ECONFLICT)
	})
}

// TestPlanWorkerRecordsAfterEvents: committed transitions reach the
// debounced worker, which records the moved dates off the request path.
func TestPlanWorkerRecordsAfterEvents(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		svc := planWorker(t, h, incident.Settings{PlanDebounce: 5 * time.Millisecond})
		h.upload()
		in, err := svc.DeclareIncident(h.ctx, h.as("ic"), incident.Declaration{Name: "x", Kind: "ransomware"})
		h.must(err, "declare")
		res, err := svc.Isolate(h.ctx, h.as("ic"), in.ID, incident.Selector{All: true}, "shutdown")
		h.must(err, "isolate")
		// The isolation moved the restart date: the last record names an
		// event of the isolation.
		restartDates(t, h, svc, in.ID, "date after the isolation", func(rs []incident.ETAChange) bool {
			return len(rs) > 0 && rs[len(rs)-1].Seq >= res.Seq-int64(len(res.Isolated))
		})
	})
}

// TestPlanWorkerRefreshesAsTimePasses: with nothing happening, dates slip
// as time passes while every system waits; the worker's periodic refresh
// records the slip as it happens, naming no new event (the same seq as
// the record before), rather than leaving it to be blamed on the next
// event.
func TestPlanWorkerRefreshesAsTimePasses(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		svc := planWorker(t, h, incident.Settings{PlanDebounce: time.Millisecond, PlanRefresh: 5 * time.Millisecond})
		h.upload()
		in, err := svc.DeclareIncident(h.ctx, h.as("ic"), incident.Declaration{Name: "x", Kind: "ransomware", TotalShutdown: true})
		h.must(err, "declare")
		first := restartDates(t, h, svc, in.ID, "first date", func(rs []incident.ETAChange) bool { return len(rs) > 0 })
		// Ten hours pass and nobody does anything: every system still
		// waits, so everything is ten hours later.
		h.clock.Advance(10 * time.Hour)
		rs := restartDates(t, h, svc, in.ID, "slip", func(rs []incident.ETAChange) bool { return len(rs) > len(first) })
		last, before := rs[len(rs)-1], first[len(first)-1]
		if got := last.ETA.Sub(before.ETA); got != 10*time.Hour {
			t.Errorf("the restart moved %v in ten idle hours, want 10h later (%v → %v)", got, before.ETA, last.ETA)
		}
		if last.Seq != before.Seq {
			t.Errorf("the slip names event %d; no event happened since %d", last.Seq, before.Seq)
		}
	})
}

// TestPlanWorkerLosesNoMoveAtAStop: a move whose plan the worker had not
// recorded yet when it stopped is recorded all the same: at a clean stop,
// before the worker returns, and after a stop that recorded nothing (a
// crash), when the next worker starts. Otherwise the dates and the order
// of work that other instances follow miss the move until the hourly
// refresh, which a server restarted more often than hourly never reaches.
func TestPlanWorkerLosesNoMoveAtAStop(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		h.upload()
		// The debounce outlasts the test: only the stop records.
		ctx, cancel := context.WithCancel(h.ctx)
		svc := incident.New(incident.Config{Store: h.db, Clock: h.clock.Now,
			Settings: incident.Settings{Password: fastPasswords, PlanSchedules: 20, PlanDebounce: time.Hour}})
		done := make(chan error, 1)
		go func() { done <- svc.RunPlanWorker(ctx) }()
		in, err := svc.DeclareIncident(h.ctx, h.as("ic"), incident.Declaration{Name: "x", Kind: "ransomware"})
		h.must(err, "declare")
		res, err := svc.Isolate(h.ctx, h.as("ic"), in.ID, incident.Selector{All: true}, "shutdown")
		h.must(err, "isolate")
		time.Sleep(50 * time.Millisecond) // the worker has the move and waits out its debounce
		cancel()
		h.must(<-done, "worker")
		if got := recordedPlanSeq(t, h, in.ID); got < res.Seq-int64(len(res.Isolated)) {
			t.Errorf("stopped within its debounce, the worker recorded the plan as of event %d, not the isolation (events up to %d)", got, res.Seq)
		}
		if len(recordedRestart(t, h, svc, in.ID)) == 0 {
			t.Error("stopped within its debounce, the worker recorded no date")
		}

		// A crash: the move is committed, no worker records it. The next
		// one does as it starts, with no hourly refresh to wait for.
		tr, err := svc.Transition(h.ctx, h.as("forensics"), in.ID, "vault", incident.StateInvestigating, "DFIR engaged")
		h.must(err, "transition")
		planWorker(t, h, incident.Settings{PlanDebounce: time.Millisecond})
		for deadline := time.Now().Add(20 * time.Second); recordedPlanSeq(t, h, in.ID) < tr.Seq; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the worker started after move %d recorded the plan as of event %d", tr.Seq, recordedPlanSeq(t, h, in.ID))
			}
		}
	})
}

// recordedPlanSeq is the last move the incident's recorded plan saw (0:
// none recorded).
func recordedPlanSeq(t *testing.T, h *harness, id int64) int64 {
	t.Helper()
	var seq int64
	err := h.db.View(h.ctx, func(tx incident.Tx) error {
		o, err := tx.PlanOrder(id)
		if err == nil {
			seq = o.Seq
		}
		if phasegate.ErrorCode(err) == phasegate.ENOTFOUND {
			err = nil
		}
		return err
	})
	h.must(err, "plan order")
	return seq
}

// recordedRestart is what the history holds of the whole restart's date.
func recordedRestart(t *testing.T, h *harness, svc *incident.Service, id int64) []incident.ETAChange {
	t.Helper()
	hist, err := svc.ETAHistory(h.ctx, h.as("viewer"), id)
	h.must(err, "history")
	var rs []incident.ETAChange
	for _, c := range hist {
		if c.Subject == incident.SubjectRestart {
			rs = append(rs, c)
		}
	}
	return rs
}

// planWorker is a service on h's store with its plan worker running
// (fast passwords and a small planning effort added to s), stopped when
// the test ends.
func planWorker(t *testing.T, h *harness, s incident.Settings) *incident.Service {
	t.Helper()
	s.Password, s.PlanSchedules = fastPasswords, 20
	svc := incident.New(incident.Config{Store: h.db, Clock: h.clock.Now, Settings: s})
	ctx, cancel := context.WithCancel(h.ctx)
	done := make(chan error, 1)
	go func() { done <- svc.RunPlanWorker(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("worker: %v", err)
		}
	})
	return svc
}

// restartDates waits (bounded; not a timing assertion) until the
// incident's records of the whole restart's date satisfy ok, and returns
// them in the order recorded.
func restartDates(t *testing.T, h *harness, svc *incident.Service, id int64, what string, ok func([]incident.ETAChange) bool) []incident.ETAChange {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		rs := recordedRestart(t, h, svc, id)
		if ok(rs) {
			return rs
		}
		if time.Now().After(deadline) {
			t.Fatalf("the worker recorded no %s: %+v", what, rs)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
