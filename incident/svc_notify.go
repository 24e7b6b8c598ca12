package incident

import (
	"context"
	"errors"
	"time"

	"github.com/phasegate/phasegate"
)

// Webhook notifications are delivered from the event log itself
// (docs/adr/0013): the log is their queue, durable in the same
// transaction as every change, and each hook keeps one cursor — the last
// event handled — with a lease naming the one instance that delivers its
// notifications. A restart, a crash or another instance taking over goes
// on from the cursor, so nothing committed is lost; an event posted but
// not yet recorded as such when the process died is posted again (at
// least once: receivers drop repeats by X-Phasegate-Seq).

// ErrNotifyLeaseLost says another instance took over a hook's
// notifications: the caller stops delivering and claims again.
var ErrNotifyLeaseLost = errors.New("incident: another instance delivers this hook's notifications now")

// ClaimNotify takes a hook's cursor for holder when nobody holds it, when
// holder already does, or when gone — the cursor as the caller read it
// earlier — still stands unchanged: its holder has not renewed it since,
// so a caller that waited a whole lease on its own clock before asking
// takes over from a holder that stopped or hung. Whether a holder is gone
// is judged by its renewals, never by comparing the clocks of two
// machines: during a recovery the time service may itself be down. A hook
// seen for the first time starts at the end of the log: it is sent what
// happens from now on, not the incident's whole history. lease is only
// recorded (LeaseUntil), for people reading the store. held is false when
// another instance holds the cursor, which is returned as it stands.
func (s *Service) ClaimNotify(ctx context.Context, hook, holder string, lease time.Duration, gone *NotifyCursor) (c NotifyCursor, held bool, err error) {
	err = s.store.Update(ctx, func(tx Tx) error {
		now := tx.Now()
		cur, err := tx.NotifyCursor(hook)
		switch {
		case phasegate.ErrorCode(err) == phasegate.ENOTFOUND:
			seq, _, err := tx.ChainHead()
			if err != nil {
				return err
			}
			cur = &NotifyCursor{Hook: hook, Seq: seq}
		case err != nil:
			return err
		case cur.Holder != "" && cur.Holder != holder &&
			(gone == nil || gone.Holder != cur.Holder || !gone.UpdatedAt.Equal(cur.UpdatedAt)):
			c, held = *cur, false
			return nil
		}
		cur.Holder, cur.LeaseUntil, cur.UpdatedAt = holder, now.Add(lease), now
		c, held = *cur, true
		return tx.PutNotifyCursor(*cur)
	})
	return c, held, err
}

// AdvanceNotify moves a hook's cursor to seq (never back) and renews
// holder's hold on it, while holder holds it; ErrNotifyLeaseLost when
// another instance took it over (this one stalled past a lease).
func (s *Service) AdvanceNotify(ctx context.Context, hook, holder string, seq int64, lease time.Duration) error {
	return s.updateNotify(ctx, hook, holder, func(cur *NotifyCursor, now time.Time) {
		cur.Seq = max(cur.Seq, seq)
		cur.LeaseUntil, cur.UpdatedAt = now.Add(lease), now
	})
}

// ReleaseNotify lets a hook go at a clean stop, so another instance (or
// this one restarted) takes it at once; ErrNotifyLeaseLost when it was
// not holder's any more.
func (s *Service) ReleaseNotify(ctx context.Context, hook, holder string) error {
	return s.updateNotify(ctx, hook, holder, func(cur *NotifyCursor, now time.Time) {
		cur.Holder, cur.LeaseUntil, cur.UpdatedAt = "", now, now
	})
}

func (s *Service) updateNotify(ctx context.Context, hook, holder string, change func(*NotifyCursor, time.Time)) error {
	return s.store.Update(ctx, func(tx Tx) error {
		cur, err := tx.NotifyCursor(hook)
		if err != nil {
			return err
		}
		if cur.Holder != holder {
			return ErrNotifyLeaseLost
		}
		change(cur, tx.Now())
		return tx.PutNotifyCursor(*cur)
	})
}

// NotifyEvents returns up to limit events after seq, whatever they are
// about: the notifier, not a user, reads them, and each hook's own list
// of event types says what leaves.
func (s *Service) NotifyEvents(ctx context.Context, after int64, limit int) ([]Event, error) {
	var out []Event
	err := s.view(ctx, func(tx Tx) error {
		var err error
		out, err = tx.Events(EventQuery{After: after, Limit: limit})
		return err
	})
	return out, err
}
