package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/phasegate/phasegate/incident"
)

// TestExpirySweep: a restart request nobody decided is closed by the
// sweep when its time has passed — recorded with the sweep's time, shown
// expired (and no longer pending) even before the sweep, gone from the
// incident's pending count — and a second sweep finds nothing to do;
// RunExpiry does the same on its own.
func TestExpirySweep(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		in := readyForRestore(h, 1)
		res, err := h.svc.Transition(h.ctx, h.as("rl"), in.ID, "vault", incident.StateRestoring, "")
		h.must(err, "request")
		id := res.Approval.ID
		if n, err := h.svc.ExpireDue(h.ctx); err != nil || n != 0 {
			t.Fatalf("a sweep before the request's time: %d closed, %v", n, err)
		}
		h.clock.Advance(h.svc.Settings().ApprovalTTL + time.Minute)

		pending, err := h.svc.Approvals(h.ctx, h.as("viewer"), incident.ApprovalQuery{IncidentID: in.ID, Status: incident.ApprovalPending})
		h.must(err, "pending")
		all, err := h.svc.Approvals(h.ctx, h.as("viewer"), incident.ApprovalQuery{IncidentID: in.ID})
		h.must(err, "all")
		if len(pending) != 0 || len(all) != 1 || all[0].Status != incident.ApprovalExpired {
			t.Errorf("before the sweep: %d pending, all %+v; want none pending, the one shown expired", len(pending), all)
		}
		v, err := h.svc.Incident(h.ctx, h.as("viewer"), in.ID)
		h.must(err, "incident")
		if v.PendingApprovals != 0 {
			t.Errorf("the incident counts %d pending approvals past their time", v.PendingApprovals)
		}
		if len(h.events(incident.EventApprovalExpired)) != 0 {
			t.Fatal("an expiry recorded before any sweep or touch")
		}

		swept := h.clock.Now()
		if n, err := h.svc.ExpireDue(h.ctx); err != nil || n != 1 {
			t.Fatalf("the sweep: %d closed, %v; want 1", n, err)
		}
		evs := h.events(incident.EventApprovalExpired)
		if len(evs) != 1 || !evs[0].At.Equal(swept) || evs[0].Actor != incident.SystemActorPrefix+"approval-expiry" {
			t.Fatalf("expiry events %+v, want one at %s by the expiry", evs, swept)
		}
		ap, err := h.svc.Approval(h.ctx, h.as("viewer"), id)
		h.must(err, "approval")
		if ap.Status != incident.ApprovalExpired || !ap.ClosedAt.Equal(swept) {
			t.Errorf("recorded %s at %s, want expired at %s", ap.Status, ap.ClosedAt, swept)
		}
		if n, err := h.svc.ExpireDue(h.ctx); err != nil || n != 0 {
			t.Errorf("a second sweep: %d closed, %v", n, err)
		}

		// The worker: another request, its time passed, closed without
		// anyone calling ExpireDue.
		res, err = h.svc.Transition(h.ctx, h.as("rl"), in.ID, "vault", incident.StateRestoring, "")
		h.must(err, "request again")
		h.clock.Advance(h.svc.Settings().ApprovalTTL + time.Minute)
		ctx, cancel := context.WithCancel(h.ctx)
		done := make(chan struct{})
		go func() { h.svc.RunExpiry(ctx); close(done) }()
		deadline := time.Now().Add(10 * time.Second)
		for len(h.events(incident.EventApprovalExpired)) < 2 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		<-done
		if ap, _ := h.svc.Approval(h.ctx, h.as("viewer"), res.Approval.ID); ap == nil || ap.Status != incident.ApprovalExpired {
			t.Errorf("RunExpiry left request %d as %+v", res.Approval.ID, ap)
		}
	})
}
