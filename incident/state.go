package incident

import (
	"fmt"
	"slices"
	"strings"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/estate"
)

// State is where one system of an incident stands.
type State string

// The states of a system. The forward path is running → isolated →
// investigating → cleared → restoring → verifying → online; compromised
// may be set from any state and is left only by containment (isolated).
const (
	StateRunning       State = "running"       // untouched since the incident began; it is up
	StateIsolated      State = "isolated"      // shut down or cut off the network
	StateInvestigating State = "investigating" // forensic clearance under way
	StateCleared       State = "cleared"       // every checklist item done
	StateRestoring     State = "restoring"     // being rebuilt or restored
	StateVerifying     State = "verifying"     // restored, being checked before going live
	StateOnline        State = "online"        // back in service
	StateCompromised   State = "compromised"   // attacker activity found; contain it
)

// States lists every state in the order of the recovery.
var States = []State{StateRunning, StateIsolated, StateInvestigating, StateCleared,
	StateRestoring, StateVerifying, StateOnline, StateCompromised}

// ContainedStates are the states of a system already contained: isolated
// and not yet on its way back. Containment leaves such a system as it is.
var ContainedStates = []State{StateIsolated, StateInvestigating, StateCleared}

// Contained reports whether s is one of ContainedStates.
func (s State) Contained() bool { return slices.Contains(ContainedStates, s) }

// MoveTargets are the states a move can lead to, in States' order:
// running is where a system starts, never where one is moved.
func MoveTargets() []State {
	var out []State
	for _, st := range States {
		for _, e := range Transitions {
			if e.To == st {
				out = append(out, st)
				break
			}
		}
	}
	return out
}

// Valid reports whether s is one of States.
func (s State) Valid() bool {
	for _, v := range States {
		if v == s {
			return true
		}
	}
	return false
}

// Edge is one allowed move between states: who may make it (Action), whether
// it needs a second person's approval for systems under the two-person rule,
// and why a recovery team would make it.
type Edge struct {
	From, To State
	Action   Action
	// TwoPerson: for a system under the two-person rule (criticality 1 or
	// two_person: true) the move waits for approval.
	TwoPerson bool
	Why       string
}

// Transitions is the state machine: the one table of every allowed move.
// compromised is reachable from every other state (see the loop in
// Transition lookups: edges into compromised are listed here too).
var Transitions = []Edge{
	{StateRunning, StateIsolated, ActionIsolate, false, "contain an untouched system"},
	{StateIsolated, StateInvestigating, ActionInvestigate, false, "start the forensic clearance"},
	{StateInvestigating, StateCleared, ActionClear, false, "every clearance checklist item is done"},
	{StateCleared, StateInvestigating, ActionInvestigate, false, "clearance reopened: new evidence, or an item was wrong"},
	{StateCleared, StateIsolated, ActionIsolate, false, "re-contain a cleared system"},
	{StateCleared, StateRestoring, ActionRestore, true, "start the restore (dependencies online)"},
	{StateRestoring, StateCleared, ActionRestore, false, "restore aborted; the system stays cleared"},
	{StateRestoring, StateVerifying, ActionVerify, false, "restore finished; verify before going live"},
	{StateRestoring, StateIsolated, ActionIsolate, false, "re-contain during the restore"},
	{StateVerifying, StateRestoring, ActionVerify, false, "verification failed; back to the restore"},
	{StateVerifying, StateOnline, ActionOnline, true, "verified; put back in service"},
	{StateVerifying, StateIsolated, ActionIsolate, false, "re-contain during verification"},
	{StateOnline, StateIsolated, ActionIsolate, false, "re-isolate a system that was back online"},
	{StateCompromised, StateIsolated, ActionIsolate, false, "containment of a compromised system"},
	{StateRunning, StateCompromised, ActionCompromise, false, "attacker activity found"},
	{StateIsolated, StateCompromised, ActionCompromise, false, "attacker activity found"},
	{StateInvestigating, StateCompromised, ActionCompromise, false, "attacker activity found"},
	{StateCleared, StateCompromised, ActionCompromise, false, "attacker activity found"},
	{StateRestoring, StateCompromised, ActionCompromise, false, "attacker activity found"},
	{StateVerifying, StateCompromised, ActionCompromise, false, "attacker activity found"},
	{StateOnline, StateCompromised, ActionCompromise, false, "attacker activity found"},
}

// FindEdge returns the edge from → to, or nil when the move is not allowed.
func FindEdge(from, to State) *Edge {
	for i := range Transitions {
		if Transitions[i].From == from && Transitions[i].To == to {
			return &Transitions[i]
		}
	}
	return nil
}

// AllowedFrom lists the states a system in state from may move to, in the
// order of States.
func AllowedFrom(from State) []State {
	var out []State
	for _, s := range States {
		if FindEdge(from, s) != nil {
			out = append(out, s)
		}
	}
	return out
}

// NeedsApproval reports whether moving sys from → to waits for a second
// person's approval.
func NeedsApproval(sys *estate.System, from, to State) bool {
	e := FindEdge(from, to)
	return e != nil && e.TwoPerson && sys.NeedsTwoPersons()
}

// GuardInput is what the guards look at: the system, its state, its
// checklist and the state of every system of the incident.
type GuardInput struct {
	System *estate.System
	From   State
	To     State
	// Checklist is read for a move to cleared and for the start of a
	// restore (cleared → restoring).
	Checklist []ChecklistItem
	// States of every system in the incident, keyed by system id.
	States map[string]State
	// LastCheck is the run of the system's checks since it entered
	// verifying (nil: none); read for a move to online.
	LastCheck *CheckRun
}

// CheckTickable returns nil when the checklist items of a system in state
// st may be ticked or unticked: only while it is contained and under
// forensic clearance (isolated or investigating). Otherwise it returns an
// ECONFLICT error whose message says what to do. Once cleared the
// checklist is closed: an untick there would leave a cleared system, and
// then a restore, resting on an item no longer done.
func CheckTickable(systemID string, st State) error {
	var msg string
	switch st {
	case StateIsolated, StateInvestigating:
		return nil
	case StateRunning:
		msg = fmt.Sprintf("%s is running, never contained: isolate it first; its checklist is ticked while it is isolated or investigating", systemID)
	case StateCompromised:
		msg = fmt.Sprintf("%s is compromised and its checklist was reset: finish its containment first (move it to isolated), "+
			"then tick its checklist while it is isolated or investigating", systemID)
	case StateCleared:
		msg = fmt.Sprintf("%s is cleared, so its checklist is closed: to reopen its clearance, move it back to investigating, "+
			"or mark it compromised if attacker activity was found", systemID)
	default:
		msg = fmt.Sprintf("%s is %s, so its checklist was closed when it was cleared: to reopen its clearance, "+
			"mark it compromised if attacker activity was found, or isolate it and move it to investigating", systemID, st)
	}
	return &phasegate.Error{Code: phasegate.ECONFLICT, Message: msg}
}

// CheckTransition runs every guard on a move and returns nil when it may
// happen, or a *phasegate.Error (ECONFLICT) listing every reason it may not.
// It does not check permissions or the two-person rule.
func CheckTransition(in GuardInput) error {
	var reasons []string
	id := in.System.ID
	if !in.To.Valid() {
		return &phasegate.Error{Code: phasegate.EINVALID,
			Message: fmt.Sprintf("%q is not a state a system can be moved to; use one of: %s", in.To, joinStates(MoveTargets()))}
	}
	edge := FindEdge(in.From, in.To)
	switch {
	case in.From == in.To:
		reasons = append(reasons, fmt.Sprintf("%s is already %s", id, in.To))
	case in.To == StateRestoring && edge == nil:
		// Say what is missing rather than only "not allowed": the
		// system must be cleared first.
		reasons = append(reasons, fmt.Sprintf("%s is %s, not cleared: clear it before the restore", id, in.From))
	case edge == nil:
		reasons = append(reasons, fmt.Sprintf("%s cannot move from %s to %s; from %s it may move to: %s",
			id, in.From, in.To, in.From, joinStates(AllowedFrom(in.From))))
	}
	switch in.To {
	case StateCleared:
		for _, it := range in.Checklist {
			if !it.Done {
				reasons = append(reasons, fmt.Sprintf("checklist item %q (%s) is not done", it.Key, it.Text))
			}
		}
	case StateRestoring:
		if in.From == StateCleared {
			// Defence in depth: ticks are closed once a system is cleared
			// (CheckTickable), but an estate version may add an item to a
			// cleared system. A restore starts only from a whole clearance.
			var missing int
			for _, it := range in.Checklist {
				if !it.Done {
					reasons = append(reasons, fmt.Sprintf("checklist item %q (%s) is not done", it.Key, it.Text))
					missing++
				}
			}
			if missing > 0 {
				reasons = append(reasons, fmt.Sprintf("its clearance is not complete: move %s back to investigating, tick what is missing and clear it again", id))
			}
		}
		for _, dep := range in.System.Requires {
			st, ok := in.States[dep]
			switch {
			case !ok:
				reasons = append(reasons, fmt.Sprintf("required system %s is not part of this incident", dep))
			case st != StateOnline && st != StateRunning:
				reasons = append(reasons, fmt.Sprintf("required system %s is %s, not online", dep, st))
			}
		}
	case StateOnline:
		if in.From == StateVerifying {
			reasons = append(reasons, verifyReasons(in.System, in.LastCheck)...)
		}
	}
	if len(reasons) == 0 {
		return nil
	}
	return &phasegate.Error{Code: phasegate.ECONFLICT,
		Message: fmt.Sprintf("%s cannot move from %s to %s", id, in.From, in.To), Reasons: reasons}
}

func joinStates(ss []State) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = string(s)
	}
	if len(parts) == 0 {
		return "(none)"
	}
	return strings.Join(parts, ", ")
}
