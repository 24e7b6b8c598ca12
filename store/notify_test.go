package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/phasegate/phasegate/incident"
)

// TestNotifyCursorLease: a hook new to the store starts at the end of
// the log; one instance holds it at a time, another takes over only when
// the lease runs out (or is let go), the one that lost it is told so,
// and the cursor never moves back.
func TestNotifyCursorLease(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		const lease = 30 * time.Second
		h.declare(incident.Declaration{})
		head, _, err := h.svc.ChainHead(h.ctx)
		h.must(err, "chain head")

		c, held, err := h.svc.ClaimNotify(h.ctx, "hook-1", "a", lease)
		h.must(err, "claim a")
		if !held || c.Seq != head || c.Holder != "a" || !c.LeaseUntil.Equal(h.clock.Now().Add(lease)) {
			t.Fatalf("first claim: held %v, %+v; want a holding from the head %d until now+30s", held, c, head)
		}
		if c, held, _ = h.svc.ClaimNotify(h.ctx, "hook-1", "b", lease); held || c.Holder != "a" {
			t.Fatalf("b claimed a hook a holds: held %v, %+v", held, c)
		}
		if _, held, _ = h.svc.ClaimNotify(h.ctx, "hook-2", "b", lease); !held {
			t.Fatal("b could not claim another hook")
		}
		h.must(h.svc.AdvanceNotify(h.ctx, "hook-1", "a", head+5, lease), "advance a")
		h.must(h.svc.AdvanceNotify(h.ctx, "hook-1", "a", head+2, lease), "advance a back")

		// a stalls past its lease: b takes over where a stood.
		h.clock.Advance(lease + time.Second)
		c, held, err = h.svc.ClaimNotify(h.ctx, "hook-1", "b", lease)
		h.must(err, "claim b")
		if !held || c.Seq != head+5 {
			t.Fatalf("b after a's lease: held %v, %+v; want it held at %d (never moved back)", held, c, head+5)
		}
		if err := h.svc.AdvanceNotify(h.ctx, "hook-1", "a", head+6, lease); !errors.Is(err, incident.ErrNotifyLeaseLost) {
			t.Fatalf("a advanced a hook b took over: %v", err)
		}
		// b lets it go (a clean stop): a takes it back at once.
		h.must(h.svc.AdvanceNotify(h.ctx, "hook-1", "b", 0, 0), "let go")
		if c, held, _ = h.svc.ClaimNotify(h.ctx, "hook-1", "a", lease); !held || c.Seq != head+5 {
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
