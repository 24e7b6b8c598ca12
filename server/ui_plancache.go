package server

import (
	"fmt"
	"sync"
	"time"
)

// planTTL is how long a live plan serves the pages of an incident whose
// systems have not moved: when an event arrives every open page refreshes
// at once, and they should share one plan, not compute one each. The
// plan's "now" is at most this old.
const planTTL = 5 * time.Second

// planCache shares live plans (with their impact ledgers) between the
// pages of one incident. A plan
// is kept per incident, for the state it was computed from (the estate
// version and the last event that moved a system); concurrent requests
// for the same state wait for one computation.
type planCache struct {
	mu      sync.Mutex
	entries map[int64]*planEntry
}

type planEntry struct {
	key  string
	at   time.Time
	done chan struct{}
	plan *uiPlan
	err  error
}

// get returns the plan for key, computing it with compute when the cached
// one is for another state, older than planTTL, or failed.
func (c *planCache) get(incidentID int64, key string, now time.Time, compute func() (*uiPlan, error)) (*uiPlan, error) {
	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[int64]*planEntry{}
	}
	e := c.entries[incidentID]
	if e != nil && e.key == key && now.Sub(e.at) < planTTL {
		c.mu.Unlock()
		<-e.done
		if e.err == nil {
			return e.plan, nil
		}
		c.mu.Lock()
		if c.entries[incidentID] == e {
			delete(c.entries, incidentID)
		}
		c.mu.Unlock()
		return compute()
	}
	e = &planEntry{key: key, at: now, done: make(chan struct{})}
	c.entries[incidentID] = e
	c.mu.Unlock()
	e.plan, e.err = compute()
	close(e.done)
	return e.plan, e.err
}

// planKey names the state a live plan is computed from.
func planKey(in *uiIncident) string {
	var seq int64
	for _, s := range in.view.Systems {
		seq = max(seq, s.LastSeq)
	}
	return fmt.Sprintf("v%d/s%d/n%d", in.view.EstateVersion, seq, len(in.view.Systems))
}
