package incident

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/estate"
)

// MaxRequiredApprovals caps the incident setting: beyond it a restart
// could never gather enough people during a night shift.
const MaxRequiredApprovals = 5

// DeclareIncident declares an incident on an estate version. Every
// system starts running (isolated in total-shutdown mode). Needs
// incident.declare.
func (s *Service) DeclareIncident(ctx context.Context, a Actor, d Declaration) (*IncidentView, error) {
	if err := a.Authorize(ActionIncidentDeclare, nil); err != nil {
		return nil, err
	}
	d.Name, d.Kind = strings.TrimSpace(d.Name), strings.TrimSpace(d.Kind)
	if d.Name == "" {
		return nil, phasegate.Errorf(phasegate.EINVALID, "name: an incident needs a name, e.g. \"ransomware September 2025\"")
	}
	if d.Kind == "" {
		return nil, phasegate.Errorf(phasegate.EINVALID, "kind: say what kind of incident it is, e.g. ransomware")
	}
	if d.RequiredApprovals == 0 {
		d.RequiredApprovals = 1
	}
	if d.RequiredApprovals < 1 || d.RequiredApprovals > MaxRequiredApprovals {
		return nil, phasegate.Errorf(phasegate.EINVALID, "required_approvals: %d is out of range; use 1 to %d", d.RequiredApprovals, MaxRequiredApprovals)
	}
	var view *IncidentView
	err := s.update(ctx, func(w *writer) error {
		now := w.Now()
		var v *EstateVersion
		var err error
		if d.EstateVersion == 0 {
			v, err = w.LatestEstateVersion()
		} else {
			v, err = w.EstateVersion(d.EstateVersion)
		}
		if err != nil {
			return err
		}
		if err := usable(v); err != nil {
			return err
		}
		est, err := s.estateVersion(w, v.Number)
		if err != nil {
			return err
		}
		in := &Incident{Name: d.Name, Kind: d.Kind, StartedAt: d.StartedAt, DeclaredBy: a.Name, DeclaredAt: now,
			EstateVersion: v.Number, TotalShutdown: d.TotalShutdown, RequiredApprovals: d.RequiredApprovals}
		if in.StartedAt.IsZero() {
			in.StartedAt = now
		}
		in.StartedAt = in.StartedAt.UTC().Truncate(time.Microsecond)
		if err := w.InsertIncident(in); err != nil {
			return err
		}
		initial := StateRunning
		if d.TotalShutdown {
			initial = StateIsolated
		}
		e, err := w.event(a.Name, EventIncidentDeclared, in.ID, fmt.Sprintf("incident:%d", in.ID), map[string]any{
			"name": in.Name, "kind": in.Kind, "started_at": FormatTime(in.StartedAt), "estate_version": in.EstateVersion,
			"total_shutdown": in.TotalShutdown, "required_approvals": in.RequiredApprovals,
			"systems": len(est.Systems), "initial_state": initial,
		})
		if err != nil {
			return err
		}
		for _, sys := range est.Systems {
			if err := w.PutSystemState(SystemState{IncidentID: in.ID, SystemID: sys.ID, State: initial,
				Since: now, UpdatedBy: a.Name, LastSeq: e.Seq}); err != nil {
				return err
			}
		}
		view, err = s.incidentView(w, &loaded{in, est})
		return err
	})
	return view, err
}

// Incidents lists every incident, newest first. Needs view.
func (s *Service) Incidents(ctx context.Context, a Actor) ([]Incident, error) {
	if err := a.Authorize(ActionView, nil); err != nil {
		return nil, err
	}
	var out []Incident
	err := s.view(ctx, func(tx Tx) (err error) {
		out, err = tx.Incidents()
		return err
	})
	return out, err
}

// Incident returns an incident with the state of every system. Needs view.
func (s *Service) Incident(ctx context.Context, a Actor, id int64) (*IncidentView, error) {
	if err := a.Authorize(ActionView, nil); err != nil {
		return nil, err
	}
	var view *IncidentView
	err := s.view(ctx, func(tx Tx) error {
		l, err := s.load(tx, id)
		if err != nil {
			return err
		}
		view, err = s.incidentView(tx, l)
		return err
	})
	return view, err
}

func (s *Service) incidentView(tx Tx, l *loaded) (*IncidentView, error) {
	states, err := tx.SystemStates(l.in.ID)
	if err != nil {
		return nil, err
	}
	entries, err := tx.ChecklistEntries(l.in.ID, "")
	if err != nil {
		return nil, err
	}
	pending, err := tx.Approvals(ApprovalQuery{IncidentID: l.in.ID, Status: ApprovalPending})
	if err != nil {
		return nil, err
	}
	// Those whose time has passed wait for the expiry sweep, not for
	// anyone's decision.
	pending = slices.DeleteFunc(pending, func(ap Approval) bool { return !tx.Now().Before(ap.ExpiresAt) })
	bySys := map[string][]ChecklistEntry{}
	for _, e := range entries {
		bySys[e.SystemID] = append(bySys[e.SystemID], e)
	}
	pendingBySys := map[string]int64{}
	for _, ap := range pending {
		pendingBySys[ap.SystemID] = ap.ID
	}
	v := &IncidentView{Incident: *l.in, Counts: map[State]int{}, PendingApprovals: len(pending), Systems: []SystemView{}}
	byID := map[string]SystemState{}
	for _, st := range states {
		byID[st.SystemID] = st
	}
	// Estate order first, then systems the estate no longer has.
	for i := range l.est.Systems {
		sys := &l.est.Systems[i]
		st, ok := byID[sys.ID]
		if !ok {
			continue
		}
		delete(byID, sys.ID)
		sv := systemView(sys, st, bySys[sys.ID], pendingBySys[sys.ID])
		v.Systems = append(v.Systems, sv)
		v.Counts[st.State]++
	}
	// The rest are systems the estate no longer has: listed apart, with
	// the version that removed them, and counted nowhere, as the plan
	// leaves them out.
	var rest []string
	for id := range byID {
		rest = append(rest, id)
	}
	slices.Sort(rest)
	for _, id := range rest {
		st := byID[id]
		in, err := removedIn(tx, st)
		if err != nil {
			return nil, err
		}
		v.Removed = append(v.Removed, RemovedSystem{SystemState: st, RemovedIn: in})
	}
	return v, nil
}

// removedIn returns the estate version whose move removed a system from
// an incident: the move is the last event that touched its state (a
// removed system does not move), 0 when it is not such an event.
func removedIn(tx Tx, st SystemState) (int, error) {
	if st.LastSeq < 1 {
		return 0, nil
	}
	es, err := tx.Events(EventQuery{After: st.LastSeq - 1, IncidentID: st.IncidentID, Limit: 1})
	if err != nil || len(es) == 0 || es[0].Seq != st.LastSeq || es[0].Type != EventIncidentEstate {
		return 0, err
	}
	var mv struct {
		To int `json:"to"`
	}
	if json.Unmarshal(es[0].Payload, &mv) != nil {
		return 0, nil
	}
	return mv.To, nil
}

func systemView(sys *estate.System, st SystemState, entries []ChecklistEntry, pending int64) SystemView {
	items := mergeChecklist(ChecklistFor(sys), entries, len(templateFor(sys.Kind)))
	done := 0
	for _, it := range items {
		if it.Done {
			done++
		}
	}
	next := AllowedFrom(st.State)
	if st.Removed {
		next = []State{}
	}
	return SystemView{SystemState: st, Name: sys.Name, Kind: string(sys.Kind), Team: sys.Team,
		Criticality: sys.Criticality, TwoPerson: sys.NeedsTwoPersons(), Requires: sys.Requires, Tags: sys.Tags,
		ChecklistDone: done, ChecklistTotal: len(items), Next: next, PendingApproval: pending}
}

// UpdateIncident changes an open incident's name, kind or settings.
// Needs incident.update. Lowering required_approvals takes a gate away:
// the first commander's request is kept in Incident.Lowering, and it takes
// effect when another commander asks for the same number within the
// approval time-to-live. Raising acts at once.
func (s *Service) UpdateIncident(ctx context.Context, a Actor, id int64, u IncidentUpdate) (*Incident, error) {
	if err := a.Authorize(ActionIncidentUpdate, nil); err != nil {
		return nil, err
	}
	var out *Incident
	err := s.update(ctx, func(w *writer) error {
		in, err := openIncident(w, id)
		if err != nil {
			return err
		}
		changes := map[string]any{}
		if u.Name != nil {
			n := strings.TrimSpace(*u.Name)
			if n == "" {
				return phasegate.Errorf(phasegate.EINVALID, "name: an incident needs a name")
			}
			in.Name, changes["name"] = n, n
		}
		if u.Kind != nil {
			k := strings.TrimSpace(*u.Kind)
			if k == "" {
				return phasegate.Errorf(phasegate.EINVALID, "kind: say what kind of incident it is, e.g. ransomware")
			}
			in.Kind, changes["kind"] = k, k
		}
		if u.TotalShutdown != nil {
			in.TotalShutdown, changes["total_shutdown"] = *u.TotalShutdown, *u.TotalShutdown
		}
		if u.RequiredApprovals != nil {
			n := *u.RequiredApprovals
			if n < 1 || n > MaxRequiredApprovals {
				return phasegate.Errorf(phasegate.EINVALID, "required_approvals: %d is out of range; use 1 to %d", n, MaxRequiredApprovals)
			}
			switch low := in.Lowering; {
			case n >= max(1, in.RequiredApprovals):
				// Raising (or keeping) acts at once, like containment, and
				// ends any request to lower.
				in.RequiredApprovals, changes["required_approvals"], in.Lowering = n, n, nil
			case a.System || low != nil && low.To == n && low.ByID != a.UserID && w.Now().Sub(low.At) < s.settings.ApprovalTTL:
				// A second commander confirms the same lowering.
				in.RequiredApprovals, changes["required_approvals"], in.Lowering = n, n, nil
				if low != nil {
					changes["lowering_asked_by"] = low.By
				}
			default:
				// Fewer approvals is a gate taken away: it waits for a
				// second commander to ask for the same number.
				in.Lowering = &Lowering{To: n, By: a.Name, ByID: a.UserID, At: w.Now()}
				changes["required_approvals_lowering_asked"] = n
			}
		}
		if len(changes) == 0 {
			return phasegate.Errorf(phasegate.EINVALID, "nothing to change: give name, kind, total_shutdown or required_approvals")
		}
		if err := w.UpdateIncident(in); err != nil {
			return err
		}
		out = in
		_, err = w.event(a.Name, EventIncidentUpdated, in.ID, fmt.Sprintf("incident:%d", in.ID), changes)
		return err
	})
	return out, err
}

// MoveEstate moves an incident to a newer estate version: added systems
// start running (isolated in total-shutdown mode), removed systems are
// marked removed and reported. Needs incident.update.
func (s *Service) MoveEstate(ctx context.Context, a Actor, id int64, version int) (*EstateMove, error) {
	if err := a.Authorize(ActionIncidentUpdate, nil); err != nil {
		return nil, err
	}
	var mv *EstateMove
	err := s.update(ctx, func(w *writer) error {
		in, err := openIncident(w, id)
		if err != nil {
			return err
		}
		if version == 0 {
			v, err := w.LatestEstateVersion()
			if err != nil {
				return err
			}
			version = v.Number
		}
		if version <= in.EstateVersion {
			return phasegate.Errorf(phasegate.ECONFLICT, "incident %d runs on estate version %d; it can only move to a newer version, not %d",
				in.ID, in.EstateVersion, version)
		}
		v, err := versionInfo(w, version)
		if err != nil {
			return err
		}
		if err := usable(v); err != nil {
			return err
		}
		est, err := s.estateVersion(w, version)
		if err != nil {
			return err
		}
		states, err := w.SystemStates(in.ID)
		if err != nil {
			return err
		}
		mv = &EstateMove{From: in.EstateVersion, To: version, Added: []string{}, Removed: []string{}, AddedState: StateRunning}
		if in.TotalShutdown {
			mv.AddedState = StateIsolated
		}
		have := map[string]SystemState{}
		for _, st := range states {
			have[st.SystemID] = st
		}
		inNew := map[string]bool{}
		for _, sys := range est.Systems {
			inNew[sys.ID] = true
			if st, ok := have[sys.ID]; !ok {
				mv.Added = append(mv.Added, sys.ID)
			} else if st.Removed {
				// Back in the estate: it keeps the state it had.
				mv.Added = append(mv.Added, sys.ID)
			}
		}
		for _, st := range states {
			if !inNew[st.SystemID] && !st.Removed {
				mv.Removed = append(mv.Removed, st.SystemID)
			}
		}
		in.EstateVersion = version
		if err := w.UpdateIncident(in); err != nil {
			return err
		}
		e, err := w.event(a.Name, EventIncidentEstate, in.ID, fmt.Sprintf("incident:%d", in.ID), mv)
		if err != nil {
			return err
		}
		now := w.Now()
		for _, sid := range mv.Added {
			st, ok := have[sid]
			if !ok {
				st = SystemState{IncidentID: in.ID, SystemID: sid, State: mv.AddedState, Since: now}
			}
			st.Removed, st.UpdatedBy, st.LastSeq = false, a.Name, e.Seq
			if err := w.PutSystemState(st); err != nil {
				return err
			}
		}
		for _, sid := range mv.Removed {
			st := have[sid]
			st.Removed, st.UpdatedBy, st.LastSeq = true, a.Name, e.Seq
			if err := w.PutSystemState(st); err != nil {
				return err
			}
			if err := cancelPending(w, a.Name, in.ID, sid, 0, "the system was removed from the estate"); err != nil {
				return err
			}
		}
		return nil
	})
	return mv, err
}

// CloseIncident closes an incident; it stays readable. Closing is
// permanent and cancels pending approvals, so it needs a reason. Systems
// not back yet (contained, under clearance or in restore) do not stop it,
// but the incident.closed event counts them by state ("not_back"), so the
// log shows what was left. Needs incident.update.
func (s *Service) CloseIncident(ctx context.Context, a Actor, id int64, reason string) (*Incident, error) {
	if err := a.Authorize(ActionIncidentUpdate, nil); err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, phasegate.Errorf(phasegate.EINVALID,
			"reason: say why the incident is closed; closing is permanent, cancels its pending approvals and goes in the record")
	}
	var out *Incident
	err := s.update(ctx, func(w *writer) error {
		in, err := openIncident(w, id)
		if err != nil {
			return err
		}
		states, err := w.SystemStates(in.ID)
		if err != nil {
			return err
		}
		notBack, total := map[State]int{}, 0
		for _, st := range states {
			if !st.Removed && notBackYet(st.State) {
				notBack[st.State]++
				total++
			}
		}
		if err := cancelPending(w, a.Name, in.ID, "", 0, "the incident was closed"); err != nil {
			return err
		}
		in.ClosedAt, in.ClosedBy = w.Now(), a.Name
		if err := w.UpdateIncident(in); err != nil {
			return err
		}
		out = in
		_, err = w.event(a.Name, EventIncidentClosed, in.ID, fmt.Sprintf("incident:%d", in.ID),
			map[string]any{"reason": reason, "not_back": notBack, "not_back_total": total})
		return err
	})
	return out, err
}

// notBackYet reports whether a system in state st is down because of the
// incident: neither untouched (running) nor back (online).
func notBackYet(st State) bool {
	return st != StateRunning && st != StateOnline
}
