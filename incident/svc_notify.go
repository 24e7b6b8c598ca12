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

// ClaimNotify takes or renews holder's lease on a hook's cursor for
// lease, when nobody else's lease runs. A hook seen for the first time
// starts at the end of the log: it is sent what happens from now on, not
// the incident's whole history. held is false when another instance
// holds the lease; the cursor says whose and until when.
func (s *Service) ClaimNotify(ctx context.Context, hook, holder string, lease time.Duration) (c NotifyCursor, held bool, err error) {
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
		case cur.Holder != holder && now.Before(cur.LeaseUntil):
			c, held = *cur, false
			return nil
		}
		cur.Holder, cur.LeaseUntil, cur.UpdatedAt = holder, now.Add(lease), now
		c, held = *cur, true
		return tx.PutNotifyCursor(*cur)
	})
	return c, held, err
}

// AdvanceNotify moves a hook's cursor to seq (never back) and renews the
// lease for lease (0: lets it go now), while holder holds it;
// ErrNotifyLeaseLost when another instance took it over (its lease ran
// out while this one was stalled).
func (s *Service) AdvanceNotify(ctx context.Context, hook, holder string, seq int64, lease time.Duration) error {
	return s.store.Update(ctx, func(tx Tx) error {
		now := tx.Now()
		cur, err := tx.NotifyCursor(hook)
		if err != nil {
			return err
		}
		if cur.Holder != holder {
			return ErrNotifyLeaseLost
		}
		cur.Seq = max(cur.Seq, seq)
		cur.LeaseUntil, cur.UpdatedAt = now.Add(lease), now
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
