package incident

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/estate"
)

// System returns one system of an incident with its checklist and
// approval requests. Needs view.
func (s *Service) System(ctx context.Context, a Actor, incidentID int64, systemID string) (*SystemDetail, error) {
	if err := a.Authorize(ActionView, nil); err != nil {
		return nil, err
	}
	var d *SystemDetail
	err := s.view(ctx, func(tx Tx) error {
		l, err := s.load(tx, incidentID)
		if err != nil {
			return err
		}
		sys, err := l.system(systemID)
		if err != nil {
			return err
		}
		d, err = systemDetail(tx, l, sys)
		return err
	})
	return d, err
}

func systemDetail(tx Tx, l *loaded, sys *estate.System) (*SystemDetail, error) {
	st, err := tx.SystemState(l.in.ID, sys.ID)
	if err != nil {
		return nil, err
	}
	entries, err := tx.ChecklistEntries(l.in.ID, sys.ID)
	if err != nil {
		return nil, err
	}
	aps, err := tx.Approvals(ApprovalQuery{IncidentID: l.in.ID, SystemID: sys.ID})
	if err != nil {
		return nil, err
	}
	var pending int64
	for _, ap := range aps {
		if ap.Status == ApprovalPending {
			pending = ap.ID
		}
	}
	if aps == nil {
		aps = []Approval{}
	}
	d := &SystemDetail{
		SystemView: systemView(sys, *st, entries, pending),
		Checklist:  mergeChecklist(ChecklistFor(sys), entries, len(templateFor(sys.Kind))),
		Approvals:  aps,
		Verify:     sys.Verify,
	}
	if len(sys.Verify) > 0 {
		if d.LastCheck, err = lastCheck(tx, l.in.ID, sys.ID); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// lastCheck returns the run of a system's checks that counts, or nil.
func lastCheck(tx Tx, incidentID int64, systemID string) (*CheckRun, error) {
	run, err := tx.CheckRun(incidentID, systemID)
	if isNotFound(err) {
		return nil, nil
	}
	return run, err
}

// targetAction is the action asked of a user for a move that has no edge
// (so the refusal can still name who could make such moves).
func targetAction(to State) Action {
	switch to {
	case StateIsolated:
		return ActionIsolate
	case StateCompromised:
		return ActionCompromise
	case StateInvestigating:
		return ActionInvestigate
	case StateCleared:
		return ActionClear
	case StateRestoring:
		return ActionRestore
	case StateVerifying:
		return ActionVerify
	case StateOnline:
		return ActionOnline
	}
	return ActionIncidentUpdate
}

// Transition moves a system to another state. It checks the permission
// of the edge's action, then every guard (ECONFLICT with every reason).
// For a two-person move it creates an approval request instead and
// returns it with Done false (HTTP 202). Moving to compromised resets the
// checklist; any move cancels the system's pending approval requests.
func (s *Service) Transition(ctx context.Context, a Actor, incidentID int64, systemID string, to State, reason string) (*TransitionResult, error) {
	if !slices.Contains(MoveTargets(), to) {
		return nil, phasegate.Errorf(phasegate.EINVALID, "to: %q is not a state a system can be moved to; use one of: %s", to, joinStates(MoveTargets()))
	}
	if err := a.Authorize(ActionView, nil); err != nil {
		return nil, err
	}
	var res *TransitionResult
	err := s.update(ctx, func(w *writer) error {
		l, err := s.loadOpen(w, incidentID)
		if err != nil {
			return err
		}
		sys, err := l.system(systemID)
		if err != nil {
			return err
		}
		st, err := w.SystemState(l.in.ID, sys.ID)
		if err != nil {
			return err
		}
		action := targetAction(to)
		if e := FindEdge(st.State, to); e != nil {
			action = e.Action
		}
		if err := a.Authorize(action, sys); err != nil {
			return err
		}
		if err := s.guard(w, l, sys, st.State, to); err != nil {
			return err
		}
		if NeedsApproval(sys, st.State, to) {
			ap, err := s.requestApproval(w, a, l, sys, st, to, reason)
			if err != nil {
				return err
			}
			res = &TransitionResult{Approval: ap, Seq: ap.Seq}
		} else {
			e, err := s.move(w, a.Name, l, sys, st, to, reason, nil)
			if err != nil {
				return err
			}
			res = &TransitionResult{Done: true, Seq: e.Seq}
		}
		d, err := systemDetail(w, l, sys)
		if err != nil {
			return err
		}
		res.System = d.SystemView
		return nil
	})
	return res, err
}

// guard runs CheckTransition with the incident's current states.
func (s *Service) guard(tx Tx, l *loaded, sys *estate.System, from, to State) error {
	in := GuardInput{System: sys, From: from, To: to}
	if to == StateCleared || to == StateRestoring && from == StateCleared {
		items, err := checklistOf(tx, l.in.ID, sys)
		if err != nil {
			return err
		}
		in.Checklist = items
	}
	if to == StateRestoring {
		states, err := tx.SystemStates(l.in.ID)
		if err != nil {
			return err
		}
		in.States = statesByID(states)
	}
	if to == StateOnline && len(sys.Verify) > 0 {
		run, err := lastCheck(tx, l.in.ID, sys.ID)
		if err != nil {
			return err
		}
		in.LastCheck = run
	}
	return CheckTransition(in)
}

// move makes a transition that has passed its checks: it records the
// event, stores the new state, resets the checklist on a compromise and
// cancels the system's other pending requests.
func (s *Service) move(w *writer, actor string, l *loaded, sys *estate.System, st *SystemState, to State, reason string, extra map[string]any) (Event, error) {
	now := w.Now()
	from := st.State
	payload := map[string]any{"system": sys.ID, "from": from, "to": to, "reason": reason}
	for k, v := range extra {
		payload[k] = v
	}
	next := *st
	next.State, next.Since, next.UpdatedBy = to, now, actor
	switch {
	case to == StateRestoring && from == StateCleared:
		next.RestoringSince = now
	case (to == StateRestoring || to == StateVerifying) && (from == StateRestoring || from == StateVerifying):
		// The restore goes on: keep when it began.
	default:
		next.RestoringSince = time.Time{}
	}
	if to == StateVerifying && from != StateVerifying {
		// A new restore to verify: earlier runs do not count.
		if err := w.DeleteCheckRun(l.in.ID, sys.ID); err != nil {
			return Event{}, err
		}
	}
	if to == StateCompromised {
		next.Compromises++
		entries, err := w.ChecklistEntries(l.in.ID, sys.ID)
		if err != nil {
			return Event{}, err
		}
		var reset []string
		for _, e := range entries {
			if e.Done {
				reset = append(reset, e.Key)
			}
		}
		payload["checklist_reset"] = reset
		payload["compromises"] = next.Compromises
		if err := w.ResetChecklist(l.in.ID, sys.ID); err != nil {
			return Event{}, err
		}
	}
	e, err := w.event(actor, EventSystemTransitioned, l.in.ID, "system:"+sys.ID, payload)
	if err != nil {
		return e, err
	}
	next.LastSeq = e.Seq
	if err := w.PutSystemState(next); err != nil {
		return e, err
	}
	*st = next
	keep := int64(0)
	if id, ok := extra["approval"].(int64); ok {
		keep = id
	}
	return e, cancelPending(w, actor, l.in.ID, sys.ID, keep,
		fmt.Sprintf("the system moved from %s to %s", from, to))
}

// cancelPending cancels the pending requests of a system (systemID "":
// of the whole incident) except keep, because the state moved on.
func cancelPending(w *writer, actor string, incidentID int64, systemID string, keep int64, why string) error {
	aps, err := w.Approvals(ApprovalQuery{IncidentID: incidentID, SystemID: systemID, Status: ApprovalPending})
	if err != nil {
		return err
	}
	for i := range aps {
		ap := &aps[i]
		if ap.ID == keep {
			continue
		}
		ap.Status, ap.ClosedAt, ap.ClosedNote = ApprovalCancelled, w.Now(), why
		if err := w.UpdateApproval(ap); err != nil {
			return err
		}
		if _, err := w.event(actor, EventApprovalCancelled, incidentID, fmt.Sprintf("approval:%d", ap.ID),
			map[string]any{"approval": ap.ID, "system": ap.SystemID, "to": ap.To, "note": why}); err != nil {
			return err
		}
	}
	return nil
}

// Isolate contains every system the selector picks, at once: one
// transaction, one system.transitioned event per system and a
// containment.bulk summary. It never waits for approval. Systems already
// contained (isolated, investigating, or cleared and not yet restored)
// or removed from the estate are skipped and reported. Needs
// system.isolate-bulk.
func (s *Service) Isolate(ctx context.Context, a Actor, incidentID int64, sel Selector, reason string) (*IsolationResult, error) {
	if err := a.Authorize(ActionIsolateBulk, nil); err != nil {
		return nil, err
	}
	if err := sel.Validate(); err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, phasegate.Errorf(phasegate.EINVALID, "reason: say why these systems are isolated; it goes in the record")
	}
	var res *IsolationResult
	err := s.update(ctx, func(w *writer) error {
		l, err := s.loadOpen(w, incidentID)
		if err != nil {
			return err
		}
		picked, err := sel.Select(l.est)
		if err != nil {
			return err
		}
		states, err := w.SystemStates(l.in.ID)
		if err != nil {
			return err
		}
		byID := map[string]*SystemState{}
		for i := range states {
			byID[states[i].SystemID] = &states[i]
		}
		res = &IsolationResult{Selector: sel, Isolated: []string{}, Skipped: []Skip{}}
		for _, sys := range picked {
			st, ok := byID[sys.ID]
			switch {
			case !ok || st.Removed:
				res.Skipped = append(res.Skipped, Skip{System: sys.ID, Why: "not part of this incident"})
				continue
			case st.State.Contained():
				res.Skipped = append(res.Skipped, Skip{System: sys.ID, State: st.State, Why: "already contained"})
				continue
			case FindEdge(st.State, StateIsolated) == nil:
				res.Skipped = append(res.Skipped, Skip{System: sys.ID, State: st.State, Why: "cannot be isolated from " + string(st.State)})
				continue
			}
			if _, err := s.move(w, a.Name, l, sys, st, StateIsolated, reason, map[string]any{"bulk": true}); err != nil {
				return err
			}
			res.Isolated = append(res.Isolated, sys.ID)
		}
		if len(res.Isolated) == 0 {
			// Nothing changed, so nothing to record: asking again to
			// isolate what is already contained must not fill the log.
			return nil
		}
		e, err := w.event(a.Name, EventBulkIsolation, l.in.ID, fmt.Sprintf("incident:%d", l.in.ID), map[string]any{
			"selector": sel, "reason": reason, "isolated": res.Isolated, "skipped": res.Skipped,
		})
		if err != nil {
			return err
		}
		res.Seq = e.Seq
		return nil
	})
	return res, err
}

// Checklist returns a system's clearance checklist. Needs view.
func (s *Service) Checklist(ctx context.Context, a Actor, incidentID int64, systemID string) ([]ChecklistItem, error) {
	if err := a.Authorize(ActionView, nil); err != nil {
		return nil, err
	}
	var items []ChecklistItem
	err := s.view(ctx, func(tx Tx) error {
		l, err := s.load(tx, incidentID)
		if err != nil {
			return err
		}
		sys, err := l.system(systemID)
		if err != nil {
			return err
		}
		items, err = checklistOf(tx, l.in.ID, sys)
		return err
	})
	return items, err
}

// MaxNoteLength caps notes, reasons and evidence references.
const MaxNoteLength = 4000

// TickChecklist ticks or unticks one checklist item, recording who, when,
// the note and the evidence reference. Needs checklist.tick, and the
// system isolated or investigating (CheckTickable).
func (s *Service) TickChecklist(ctx context.Context, a Actor, incidentID int64, systemID string, t Tick) (*ChecklistItem, error) {
	if err := a.Authorize(ActionView, nil); err != nil {
		return nil, err
	}
	if len(t.Note) > MaxNoteLength || len(t.Evidence) > MaxNoteLength {
		return nil, phasegate.Errorf(phasegate.EINVALID, "note and evidence are limited to %d bytes each; link to the evidence instead", MaxNoteLength)
	}
	var out *ChecklistItem
	err := s.update(ctx, func(w *writer) error {
		l, err := s.loadOpen(w, incidentID)
		if err != nil {
			return err
		}
		sys, err := l.system(systemID)
		if err != nil {
			return err
		}
		if err := a.Authorize(ActionChecklistTick, sys); err != nil {
			return err
		}
		defs := ChecklistFor(sys)
		var def *ChecklistDef
		keys := make([]string, len(defs))
		for i := range defs {
			keys[i] = defs[i].Key
			if defs[i].Key == t.Item {
				def = &defs[i]
			}
		}
		if def == nil {
			return phasegate.Errorf(phasegate.EINVALID, "item: %s has no checklist item %q; its items are: %s",
				sys.ID, t.Item, strings.Join(keys, ", "))
		}
		typ := EventChecklistTicked
		if !t.Done {
			typ = EventChecklistUnticked
		}
		st, err := w.SystemState(l.in.ID, sys.ID)
		if err != nil {
			return err
		}
		if err := CheckTickable(sys.ID, st.State); err != nil {
			return err
		}
		if _, err := w.event(a.Name, typ, l.in.ID, "system:"+sys.ID, map[string]any{
			"system": sys.ID, "item": def.Key, "text": def.Text, "done": t.Done, "note": t.Note,
			"evidence": t.Evidence, "state": st.State,
		}); err != nil {
			return err
		}
		entry := ChecklistEntry{IncidentID: l.in.ID, SystemID: sys.ID, Key: def.Key, Done: t.Done, By: a.Name,
			At: w.Now(), Note: t.Note, Evidence: t.Evidence}
		if err := w.PutChecklistEntry(entry); err != nil {
			return err
		}
		items, err := checklistOf(w, l.in.ID, sys)
		if err != nil {
			return err
		}
		for i := range items {
			if items[i].Key == def.Key {
				out = &items[i]
			}
		}
		return nil
	})
	return out, err
}
