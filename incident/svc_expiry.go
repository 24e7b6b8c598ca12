package incident

import (
	"context"
	"slices"
	"time"
)

// ExpireDue closes every pending approval request and account request
// whose time has passed, each with its expiry event (approval.expired,
// user.change_expired) stamped when the sweep found it, in one
// transaction; it returns how many it closed. Without it a request is
// closed only when someone next touches it, so screens and the event
// stream kept offering a request nobody could approve any more, and the
// log said it expired whenever that happened. Several instances may
// sweep at once: each request is closed under the log's lock, once. A
// look that finds nothing due writes nothing.
func (s *Service) ExpireDue(ctx context.Context) (int, error) {
	pending := func(tx Tx) ([]Approval, []AccountRequest, error) {
		aps, err := tx.Approvals(ApprovalQuery{Status: ApprovalPending})
		if err != nil {
			return nil, nil, err
		}
		ars, err := tx.AccountRequests(AccountQuery{Status: ApprovalPending})
		return aps, ars, err
	}
	found := false
	if err := s.view(ctx, func(tx Tx) error {
		aps, ars, err := pending(tx)
		now := tx.Now()
		found = slices.ContainsFunc(aps, func(ap Approval) bool { return !now.Before(ap.ExpiresAt) }) ||
			slices.ContainsFunc(ars, func(r AccountRequest) bool { return !now.Before(r.ExpiresAt) })
		return err
	}); err != nil || !found {
		return 0, err
	}
	// Read again under the lock: expireIfDue closes only those still
	// pending and due.
	n := 0
	err := s.update(ctx, func(w *writer) error {
		n = 0
		aps, ars, err := pending(w)
		if err != nil {
			return err
		}
		for i := range aps {
			if closed, err := expireIfDue(w, &aps[i]); err != nil {
				return err
			} else if closed {
				n++
			}
		}
		for i := range ars {
			if closed, err := expireAccountRequestIfDue(w, &ars[i]); err != nil {
				return err
			} else if closed {
				n++
			}
		}
		return nil
	})
	return n, err
}

// RunExpiry sweeps for requests whose time has passed (ExpireDue) every
// Settings.ExpirySweep until ctx ends. Run one per process.
func (s *Service) RunExpiry(ctx context.Context) {
	every := s.settings.ExpirySweep
	if every < 0 {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := s.ExpireDue(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("closing the requests whose time has passed", "err", err)
		} else if n > 0 {
			s.log.Info("closed requests whose time had passed", "requests", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
