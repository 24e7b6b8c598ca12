package incident

import (
	"context"
	"time"
)

// Following the store: the events another writer committed — another
// phasegate instance on the same PostgreSQL database, or break-glass on
// the host writing to the SQLite file while the server runs — reach this
// process's Publish too, so live screens, the event stream and the status
// pages' caches follow every change, not only this instance's.
//
// Each event is published exactly once, and marked Followed only when
// another writer committed it: this process's own events are published by
// the transaction that wrote them (afterCommit), the others by the
// follower, which reads the log past its cursor. A transaction here
// registers its events as pending before it commits; the follower stops
// at a pending event until the transaction has committed (then skips it:
// it is published here) or rolled back (then the seq belongs to whoever
// commits it next). Both sides decide under follow.mu.

// follow is the follower's state, guarded by mu.
type follow struct {
	on     bool
	cursor int64 // every event up to it has been published
	// local holds this process's events beyond the cursor: false while
	// their transaction has not committed, true once published here.
	local map[int64]bool
	// lookedAt is when (by this process's clock) the look that took the
	// cursor to the log's head began: every event past the cursor was
	// committed after it. clockWarned is when clocks were last said to
	// disagree.
	lookedAt, clockWarned time.Time
}

// Clocks that disagree. Every writer stamps its events with its own
// clock, and expiries (sessions, approvals, one-time codes), lock-outs and
// the plan's "now" follow each machine's: instances whose clocks disagree
// disagree on those too. The follower can tell: an event it reads was
// committed after its last complete look began and before it read it, so
// a stamp later than its now, or much earlier than that look, is another
// writer's clock, not time passing. A writer's stamp is taken when its
// transaction begins, which may then wait for the log's lock (up to 30 s
// on PostgreSQL): hence the wider margin for a clock behind.
const (
	clockAheadMargin  = 2 * time.Second
	clockBehindMargin = time.Minute
	clockWarnEvery    = 10 * time.Minute
)

// StartFollowing reads the log's head and from then on lets FollowStore
// publish what other writers commit after it.
func (s *Service) StartFollowing(ctx context.Context) error {
	began := s.clock()
	head, _, err := s.ChainHead(ctx)
	if err != nil {
		return err
	}
	s.follow.mu.Lock()
	defer s.follow.mu.Unlock()
	// Events of transactions here still pending are kept: those at or
	// below the head have committed and are published by their own
	// transaction; the follower starts past them.
	s.follow.on, s.follow.cursor, s.follow.lookedAt = true, head, began
	return nil
}

// FollowStore publishes, every interval until ctx ends, the events other
// writers committed since the last look (StartFollowing must have run). A
// look that fails is logged and tried again at the next tick.
func (s *Service) FollowStore(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if _, err := s.FollowOnce(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("following the event log for other writers' events", "err", err)
		}
	}
}

// FollowOnce publishes the events other writers committed since the last
// look, and returns how many. It reads only the log's head when nothing
// new was written.
func (s *Service) FollowOnce(ctx context.Context) (int, error) {
	began := s.clock()
	s.follow.mu.Lock()
	on, cursor, lookedAt := s.follow.on, s.follow.cursor, s.follow.lookedAt
	s.follow.mu.Unlock()
	if !on {
		return 0, nil
	}
	head, _, err := s.ChainHead(ctx)
	if err != nil {
		return 0, err
	}
	if head <= cursor {
		s.lookedComplete(began)
		return 0, nil
	}
	published := 0
	for cursor < head {
		var evs []Event
		err := s.view(ctx, func(tx Tx) (err error) {
			evs, err = tx.Events(EventQuery{After: cursor, Limit: 1000})
			return err
		})
		if err != nil || len(evs) == 0 {
			return published, err
		}
		remote, next, waiting := s.takeRemote(evs)
		s.checkClocks(remote, lookedAt)
		if len(remote) > 0 && s.publish != nil {
			s.publish(remote)
		}
		published += len(remote)
		if waiting {
			return published, nil // a commit here is under way: look again at the next tick
		}
		cursor = next
	}
	s.lookedComplete(began)
	return published, nil
}

// lookedComplete records that a look which began at began reached the
// log's head.
func (s *Service) lookedComplete(began time.Time) {
	s.follow.mu.Lock()
	s.follow.lookedAt = began
	s.follow.mu.Unlock()
}

// checkClocks says, at most every clockWarnEvery, when another writer's
// event is stamped later than this process's now or well before its last
// complete look (lookedAt): their clocks disagree.
func (s *Service) checkClocks(remote []Event, lookedAt time.Time) {
	if len(remote) == 0 {
		return
	}
	now := s.clock()
	for _, e := range remote {
		var by time.Duration
		var other string
		switch {
		case e.At.Sub(now) > clockAheadMargin:
			by, other = e.At.Sub(now), "ahead of"
		case !lookedAt.IsZero() && lookedAt.Sub(e.At) > clockBehindMargin:
			by, other = lookedAt.Sub(e.At), "behind"
		default:
			continue
		}
		s.follow.mu.Lock()
		quiet := !s.follow.clockWarned.IsZero() && now.Sub(s.follow.clockWarned) < clockWarnEvery
		if !quiet {
			s.follow.clockWarned = now
		}
		s.follow.mu.Unlock()
		if !quiet {
			s.log.Warn("the clocks of the writers sharing this store disagree: another writer's clock is "+other+" this machine's "+
				"by at least "+by.Round(time.Second).String()+", so expiries, lock-outs, event times and the plan's now differ "+
				"between them; set both machines' time from one source (NTP)",
				"seq", e.Seq, "actor", e.Actor, "stamped", e.At.UTC().Format(time.RFC3339), "here", now.UTC().Format(time.RFC3339))
		}
		return
	}
}

// takeRemote advances the cursor over evs (in seq order) and returns
// those another writer committed, the cursor reached, and whether it
// stopped at an event of a transaction here that has not finished.
func (s *Service) takeRemote(evs []Event) ([]Event, int64, bool) {
	s.follow.mu.Lock()
	defer s.follow.mu.Unlock()
	var remote []Event
	for _, e := range evs {
		if e.Seq <= s.follow.cursor {
			continue
		}
		if published, ok := s.follow.local[e.Seq]; ok {
			if !published {
				return remote, s.follow.cursor, true
			}
			delete(s.follow.local, e.Seq)
		} else {
			e.Followed = true
			remote = append(remote, e)
		}
		s.follow.cursor = e.Seq
	}
	return remote, s.follow.cursor, false
}

// pendLocal registers the events of a transaction here that is about to
// commit.
func (s *Service) pendLocal(evs []Event) {
	s.follow.mu.Lock()
	defer s.follow.mu.Unlock()
	if s.follow.local == nil {
		s.follow.local = map[int64]bool{}
	}
	for _, e := range evs {
		s.follow.local[e.Seq] = false
	}
}

// dropLocal forgets the events of a transaction here that did not commit.
func (s *Service) dropLocal(evs []Event) {
	s.follow.mu.Lock()
	defer s.follow.mu.Unlock()
	for _, e := range evs {
		if published, ok := s.follow.local[e.Seq]; ok && !published {
			delete(s.follow.local, e.Seq)
		}
	}
}

// markPublished records that a commit here published its events: the
// follower skips them when it passes them (those it has passed already,
// committed before following started, are forgotten at once).
func (s *Service) markPublished(evs []Event) {
	s.follow.mu.Lock()
	defer s.follow.mu.Unlock()
	for _, e := range evs {
		if s.follow.on && e.Seq > s.follow.cursor {
			s.follow.local[e.Seq] = true
		} else {
			delete(s.follow.local, e.Seq)
		}
	}
}
