package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/phasegate/phasegate/incident"
)

// TestNotifyCursorLease: a hook new to the store starts at the end of
// the log; one instance holds it at a time; another takes over only from
// a holder it saw not renew (whatever the clocks say) or one that let go;
// the one that lost it is told so; the cursor never moves back, and
// outlives the process.
func TestNotifyCursorLease(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		const lease = 20 * time.Second
		h.declare(incident.Declaration{})
		head, _, err := h.svc.ChainHead(h.ctx)
		h.must(err, "chain head")

		c, held, err := h.svc.ClaimNotify(h.ctx, "hook-1", "a", lease, nil)
		h.must(err, "claim a")
		if !held || c.Seq != head || c.Holder != "a" || !c.LeaseUntil.Equal(h.clock.Now().Add(lease)) {
			t.Fatalf("first claim: held %v, %+v; want a holding from the head %d, lease recorded to now+20s", held, c, head)
		}
		// However late the clock, b does not take a hook a holds without
		// having seen a stop renewing it.
		h.clock.Advance(time.Hour)
		seenByB, held, _ := h.svc.ClaimNotify(h.ctx, "hook-1", "b", lease, nil)
		if held || seenByB.Holder != "a" {
			t.Fatalf("b claimed a hook a holds: held %v, %+v", held, seenByB)
		}
		if _, held, _ = h.svc.ClaimNotify(h.ctx, "hook-2", "b", lease, nil); !held {
			t.Fatal("b could not claim another hook")
		}
		// a renews: what b saw is out of date, so b may not take over.
		h.clock.Advance(time.Second)
		h.must(h.svc.AdvanceNotify(h.ctx, "hook-1", "a", head+5, lease), "advance a")
		h.must(h.svc.AdvanceNotify(h.ctx, "hook-1", "a", head+2, lease), "advance a back")
		if c, held, _ = h.svc.ClaimNotify(h.ctx, "hook-1", "b", lease, &seenByB); held || c.Holder != "a" {
			t.Fatalf("b took over from a that renewed since b looked: held %v, %+v", held, c)
		}
		// a stops renewing: b, having seen the same hold a lease later,
		// takes over where a stood.
		seenByB = c
		c, held, err = h.svc.ClaimNotify(h.ctx, "hook-1", "b", lease, &seenByB)
		h.must(err, "claim b")
		if !held || c.Seq != head+5 || c.Holder != "b" {
			t.Fatalf("b after a stopped: held %v, %+v; want b holding at %d (never moved back)", held, c, head+5)
		}
		if err := h.svc.AdvanceNotify(h.ctx, "hook-1", "a", head+6, lease); !errors.Is(err, incident.ErrNotifyLeaseLost) {
			t.Fatalf("a advanced a hook b took over: %v", err)
		}
		if err := h.svc.ReleaseNotify(h.ctx, "hook-1", "a"); !errors.Is(err, incident.ErrNotifyLeaseLost) {
			t.Fatalf("a let go of a hook b holds: %v", err)
		}
		// b lets it go (a clean stop): a takes it at once.
		h.must(h.svc.ReleaseNotify(h.ctx, "hook-1", "b"), "let go")
		if c, held, _ = h.svc.ClaimNotify(h.ctx, "hook-1", "a", lease, nil); !held || c.Seq != head+5 {
			t.Fatalf("a after b let go: held %v, %+v", held, c)
		}
		// The cursor outlives the service: a reopened store has it.
		h.db.Close()
		db, err := h.reopen()
		h.must(err, "reopen")
		defer db.Close()
		h.must(db.View(h.ctx, func(tx incident.Tx) error {
			got, err := tx.NotifyCursor("hook-1")
			if err == nil && (got.Seq != head+5 || got.Holder != "a") {
				t.Errorf("after reopening: %+v", got)
			}
			return err
		}), "read after reopen")
	})
}
