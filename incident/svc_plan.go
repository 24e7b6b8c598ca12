package incident

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/planner"
)

// LivePlan plans the rest of an incident's recovery from its systems'
// states at the clock's now (see Progress). Needs view. The planner's
// effort is bounded by Settings.PlanSchedules.
func (s *Service) LivePlan(ctx context.Context, a Actor, incidentID int64) (*planner.Plan, error) {
	if err := a.Authorize(ActionView, nil); err != nil {
		return nil, err
	}
	p, _, err := s.livePlan(ctx, incidentID)
	return p, err
}

// livePlan reads the incident in one snapshot and plans outside it. It
// also returns the last plan-relevant event seq of that snapshot.
func (s *Service) livePlan(ctx context.Context, incidentID int64) (*planner.Plan, int64, error) {
	var est *estate.Estate
	var states []SystemState
	var in *Incident
	var follow []planner.ActivityRef
	checks := map[string]verifyNote{}
	err := s.view(ctx, func(tx Tx) error {
		l, err := s.load(tx, incidentID)
		if err != nil {
			return err
		}
		in, est = l.in, l.est
		if states, err = tx.SystemStates(incidentID); err != nil {
			return err
		}
		if follow, err = s.followOrder(tx, incidentID); err != nil {
			return err
		}
		// Systems verifying with checks: the plan says what their checks
		// found, since that is what keeps them from going online.
		for _, st := range states {
			if st.State != StateVerifying {
				continue
			}
			if sys := findSystem(est, st.SystemID); sys != nil && len(sys.Verify) > 0 {
				run, err := lastCheck(tx, incidentID, sys.ID)
				if err != nil {
					return err
				}
				checks[sys.ID] = verifyNote{sys: sys, run: run}
			}
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	var seq int64
	for _, st := range states {
		seq = max(seq, st.LastSeq)
	}
	now := s.clock().UTC().Truncate(time.Second)
	p, err := s.plan(est, planner.Options{Start: now, Progress: Progress(states, now),
		Schedules: s.settings.PlanSchedules, Seed: uint64(in.ID), Follow: follow})
	if err != nil {
		return nil, seq, err
	}
	s.keepOrder(in.ID, p.Order)
	for i := range p.Systems {
		if n, ok := checks[p.Systems[i].ID]; ok {
			p.Systems[i].WaitingOn += "; " + n.String()
		}
	}
	return p, seq, nil
}

// followOrder is the order of work the next plan and forecast follow, so
// they do not jump between near-equal orders as time passes: the last one
// recorded in the store (RecordETAs), which every instance sharing the
// store reads alike, so they show the same plan; before the first record,
// the last live plan made here.
func (s *Service) followOrder(tx Tx, incidentID int64) ([]planner.ActivityRef, error) {
	o, err := tx.PlanOrder(incidentID)
	switch {
	case phasegate.ErrorCode(err) == phasegate.ENOTFOUND:
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.orders[incidentID], nil
	case err != nil:
		return nil, err
	}
	return o.Activities, nil
}

func (s *Service) keepOrder(incidentID int64, order []planner.ActivityRef) {
	if len(order) == 0 {
		return
	}
	s.mu.Lock()
	s.orders[incidentID] = order
	s.mu.Unlock()
}

// verifyNote is what a verifying system's checks say, for the plan.
type verifyNote struct {
	sys *estate.System
	run *CheckRun
}

func (n verifyNote) String() string {
	switch {
	case n.run == nil:
		return "online only once its verify checks have run and passed (not run yet)"
	case n.run.Passed:
		return fmt.Sprintf("its verify checks passed at %s UTC: it may go online", n.run.At.UTC().Format("15:04"))
	}
	for _, r := range n.run.Results {
		if !r.OK {
			return fmt.Sprintf("its verify checks failed at %s UTC (%s: %s); online only once they pass", n.run.At.UTC().Format("15:04"), r.Check, r.Detail)
		}
	}
	return "its verify checks failed"
}

// ETAHistory returns how the plan's headline dates moved and which event
// moved them. Needs view.
func (s *Service) ETAHistory(ctx context.Context, a Actor, incidentID int64) ([]ETAChange, error) {
	if err := a.Authorize(ActionView, nil); err != nil {
		return nil, err
	}
	var out []ETAChange
	err := s.view(ctx, func(tx Tx) (err error) {
		if _, err = tx.Incident(incidentID); err != nil {
			return err
		}
		out, err = tx.ETAHistory(incidentID)
		return err
	})
	if out == nil {
		out = []ETAChange{}
	}
	return out, err
}

// SubjectRestart is the ETAChange subject of the whole restart: when the
// last system is back.
const SubjectRestart = "restart"

// TimePassed reports, for each change of cs (in the order recorded),
// whether it names the same event as the previous record of its subject:
// no system moved in between, so the date moved as time passed (or with
// a change of estate). A subject's first record is not.
func TimePassed(cs []ETAChange) []bool {
	out := make([]bool, len(cs))
	last := map[string]int64{}
	for i, c := range cs {
		seq, ok := last[c.Subject]
		out[i] = ok && seq == c.Seq
		last[c.Subject] = c.Seq
	}
	return out
}

// headline is one date of a plan worth a history.
type headline struct {
	subject string
	eta     time.Time
	detail  map[string]any
}

func headlines(p *planner.Plan) []headline {
	out := []headline{{SubjectRestart, p.End, map[string]any{"critical_path": p.CriticalPath, "makespan_hours": p.MakespanHours}}}
	for _, sv := range p.Services {
		out = append(out, headline{"service:" + sv.ID, sv.ETA, map[string]any{"last_system": sv.LastSystem, "eta_hours": sv.ETAHours}})
	}
	return out
}

// sameETA: dates are compared to the minute, and two dates that have both
// passed (the service is back) are the same.
func sameETA(a, b, now time.Time) bool {
	if !a.After(now) && !b.After(now) {
		return true
	}
	return a.Truncate(time.Minute).Equal(b.Truncate(time.Minute))
}

// RecordETAs recomputes an incident's plan now and records the headline
// dates that changed since the last record, attributed to the incident's
// last plan-relevant event. The plan worker calls it; tests and tools may
// too. The plan is computed outside the write transaction.
func (s *Service) RecordETAs(ctx context.Context, incidentID int64) ([]ETAChange, error) {
	p, seq, err := s.livePlan(ctx, incidentID)
	if err != nil {
		return nil, err
	}
	var changes []ETAChange
	err = s.store.Update(ctx, func(tx Tx) error {
		changes = nil
		latest, err := tx.LatestETAs(incidentID)
		if err != nil {
			return err
		}
		last := map[string]ETAChange{}
		for _, c := range latest {
			last[c.Subject] = c
		}
		now := tx.Now()
		if len(p.Order) > 0 {
			if err := tx.PutPlanOrder(PlanOrder{IncidentID: incidentID, Seq: seq, Activities: p.Order, UpdatedAt: now}); err != nil {
				return err
			}
		}
		for _, h := range headlines(p) {
			prev, ok := last[h.subject]
			if ok && sameETA(prev.ETA, h.eta, p.Start) {
				continue
			}
			detail, _ := json.Marshal(h.detail)
			c := ETAChange{IncidentID: incidentID, Seq: seq, At: now, Subject: h.subject,
				ETA: h.eta.UTC().Truncate(time.Microsecond), Detail: detail}
			if ok {
				c.Previous = prev.ETA
			}
			if err := tx.InsertETA(c); err != nil {
				return err
			}
			changes = append(changes, c)
		}
		return nil
	})
	return changes, err
}

// RunPlanWorker recomputes the plan of incidents whose systems changed,
// debounced by Settings.PlanDebounce, off the request path, until ctx
// ends; and every Settings.PlanRefresh, the plan of every open incident,
// so that dates slipping while work waits are recorded as time passes.
// Run one per process.
//
// Only the process that committed a move records its dates (ADR 0009),
// so none may be left behind: the worker records every open incident
// as it starts (a move the last run did not record, killed within its
// debounce, is not left to the hourly refresh, which a server restarted
// more often never reaches), and what is still to record when ctx ends.
func (s *Service) RunPlanWorker(ctx context.Context) error {
	var refresh <-chan time.Time
	if d := s.settings.PlanRefresh; d > 0 {
		t := time.NewTicker(d)
		defer t.Stop()
		refresh = t.C
	}
	defer s.recordDirtyAtStop(ctx)
	if err := s.markOpenIncidents(ctx); err != nil && ctx.Err() == nil {
		s.log.Error("listing the open incidents to record their plans at start", "err", err)
	}
	for {
		// Debounce: a bulk isolation or a burst of transitions becomes
		// one recomputation.
		t := time.NewTimer(s.settings.PlanDebounce)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		s.recordDirty(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-s.kick:
		case <-refresh:
			if err := s.markOpenIncidents(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("listing the open incidents to refresh their plans", "err", err)
			}
		}
	}
}

// recordDirty records the dates of the incidents marked since it last
// ran.
func (s *Service) recordDirty(ctx context.Context) {
	s.mu.Lock()
	dirty := s.dirty
	s.dirty = map[int64]int64{}
	s.mu.Unlock()
	for id := range dirty {
		if _, err := s.RecordETAs(ctx, id); err != nil && ctx.Err() == nil {
			s.log.Error("recording the plan's dates", "incident", id, "err", err)
		}
	}
}

// planStopGrace bounds what the worker still records once told to stop.
const planStopGrace = 10 * time.Second

// recordDirtyAtStop records, as the worker stops, the moves whose
// debounce it was waiting out.
func (s *Service) recordDirtyAtStop(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), planStopGrace)
	defer cancel()
	s.recordDirty(ctx)
}

// markOpenIncidents marks every open incident for the plan worker.
func (s *Service) markOpenIncidents(ctx context.Context) error {
	var ins []Incident
	err := s.view(ctx, func(tx Tx) (err error) {
		ins, err = tx.Incidents()
		return err
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range ins {
		if _, ok := s.dirty[ins[i].ID]; !ok && ins[i].Open() {
			s.dirty[ins[i].ID] = 0
		}
	}
	return nil
}

// Progress maps the systems' states to the planner's progress at now:
// running and online are done (up); isolated and compromised are pending;
// investigating is clearing, with the time since it entered that state;
// cleared is cleared; restoring and verifying are restoring, with the time
// since the restore began. Removed systems are left out.
func Progress(states []SystemState, now time.Time) map[string]planner.Progress {
	out := make(map[string]planner.Progress, len(states))
	for _, st := range states {
		if st.Removed {
			continue
		}
		var p planner.Progress
		switch st.State {
		case StateRunning, StateOnline:
			p.Phase = planner.PhaseDone
		case StateIsolated, StateCompromised:
			p.Phase = planner.PhasePending
		case StateInvestigating:
			p.Phase = planner.PhaseClearing
			p.Elapsed = max(0, now.Sub(st.Since))
		case StateCleared:
			p.Phase = planner.PhaseCleared
		case StateRestoring, StateVerifying:
			p.Phase = planner.PhaseRestoring
			since := st.RestoringSince
			if since.IsZero() {
				since = st.Since
			}
			p.Elapsed = max(0, now.Sub(since))
		}
		out[st.SystemID] = p
	}
	return out
}
