package incident

import (
	"context"
	"time"

	"github.com/phasegate/phasegate/planner"
)

// LivePlan plans the rest of an incident's recovery from its systems'
// states at the clock's now (see Progress). Needs view.
func (s *Service) LivePlan(ctx context.Context, a Actor, incidentID int64) (*planner.Plan, error) {
	return nil, errNotYet
}

// ETAHistory returns how the plan's headline dates moved and which event
// moved them. Needs view.
func (s *Service) ETAHistory(ctx context.Context, a Actor, incidentID int64) ([]ETAChange, error) {
	return nil, errNotYet
}

// RecordETAs recomputes an incident's plan now and records the headline
// dates that changed since the last record, attributed to the incident's
// last event. The plan worker calls it; tests and tools may too.
func (s *Service) RecordETAs(ctx context.Context, incidentID int64) ([]ETAChange, error) {
	return nil, errNotYet
}

// RunPlanWorker recomputes the plan of incidents whose systems changed,
// debounced by Settings.PlanDebounce, off the request path, until ctx
// ends.
func (s *Service) RunPlanWorker(ctx context.Context) error {
	return errNotYet
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
