package incident

import (
	"context"
	"errors"
	"fmt"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/estate"
)

// writer is a write transaction that remembers the events it appended,
// so they can be published once it has committed.
type writer struct {
	Tx
	events []Event
}

// event appends an event in the transaction.
func (w *writer) event(actor, typ string, incidentID int64, subject string, payload any) (Event, error) {
	raw, err := MarshalPayload(payload)
	if err != nil {
		return Event{}, fmt.Errorf("incident: event %s payload: %w", typ, err)
	}
	e, err := w.AppendEvent(Event{Actor: actor, Type: typ, IncidentID: incidentID, Subject: subject, Payload: raw})
	if err != nil {
		return e, err
	}
	w.events = append(w.events, e)
	return e, nil
}

// planEvents are the event types after which an incident's plan may have
// moved.
var planEvents = map[string]bool{
	EventSystemTransitioned: true, EventBulkIsolation: true,
	EventIncidentDeclared: true, EventIncidentEstate: true,
}

// update runs fn in one write transaction and, after the commit,
// publishes its events and tells the plan worker which incidents changed.
func (s *Service) update(ctx context.Context, fn func(w *writer) error) error {
	var committed []Event
	err := s.store.Update(ctx, func(tx Tx) error {
		w := &writer{Tx: tx}
		if err := fn(w); err != nil {
			return err
		}
		committed = w.events
		s.pendLocal(committed) // before the commit: see svc_follow.go
		return nil
	})
	if err != nil {
		s.dropLocal(committed)
		return err
	}
	s.markPublished(committed)
	s.afterCommit(committed)
	return nil
}

func (s *Service) afterCommit(events []Event) {
	if len(events) == 0 {
		return
	}
	s.mu.Lock()
	kick := false
	for _, e := range events {
		if e.IncidentID != 0 && planEvents[e.Type] {
			s.dirty[e.IncidentID] = e.Seq
			kick = true
		}
	}
	s.mu.Unlock()
	if kick {
		select {
		case s.kick <- struct{}{}:
		default:
		}
	}
	if s.publish != nil {
		s.publish(events)
	}
}

// view runs fn in a read-only transaction.
func (s *Service) view(ctx context.Context, fn func(tx Tx) error) error {
	return s.store.View(ctx, fn)
}

// cachedEstate returns estate version n when the cache holds it.
func (s *Service) cachedEstate(n int) (*estate.Estate, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.estates[n]
	return e, ok
}

// estateVersion returns a parsed estate version, from the cache when it
// can: versions never change once stored.
func (s *Service) estateVersion(tx Tx, n int) (*estate.Estate, error) {
	if e, ok := s.cachedEstate(n); ok {
		return e, nil
	}
	v, err := tx.EstateVersion(n)
	if err != nil {
		return nil, err
	}
	e, err := s.parse(estate.File{Name: fmt.Sprintf("estate-v%d.json", n), Data: v.Document})
	if err != nil {
		return nil, fmt.Errorf("incident: stored estate version %d does not parse: %w", n, err)
	}
	s.mu.Lock()
	if _, ok := s.estates[n]; !ok {
		s.estates[n] = e
		s.order = append(s.order, n)
		for len(s.order) > s.settings.EstateCache {
			delete(s.estates, s.order[0])
			s.order = s.order[1:]
		}
	}
	s.mu.Unlock()
	return e, nil
}

// loaded is an incident with its estate, read in one transaction.
type loaded struct {
	in  *Incident
	est *estate.Estate
}

func (s *Service) load(tx Tx, incidentID int64) (*loaded, error) {
	in, err := tx.Incident(incidentID)
	if err != nil {
		return nil, err
	}
	est, err := s.estateVersion(tx, in.EstateVersion)
	if err != nil {
		return nil, err
	}
	return &loaded{in, est}, nil
}

func (l *loaded) system(id string) (*estate.System, error) {
	if sys := findSystem(l.est, id); sys != nil {
		return sys, nil
	}
	return nil, phasegate.Errorf(phasegate.ENOTFOUND, "incident %d has no system %q in estate version %d",
		l.in.ID, id, l.in.EstateVersion)
}

// loadOpen loads an incident that a change is about to touch: it must
// still be open.
func (s *Service) loadOpen(tx Tx, incidentID int64) (*loaded, error) {
	l, err := s.load(tx, incidentID)
	if err != nil {
		return nil, err
	}
	if err := requireOpen(l.in); err != nil {
		return nil, err
	}
	return l, nil
}

// openIncident reads an incident whose own record a change is about to
// touch (not its estate): it must still be open.
func openIncident(tx Tx, id int64) (*Incident, error) {
	in, err := tx.Incident(id)
	if err != nil {
		return nil, err
	}
	if err := requireOpen(in); err != nil {
		return nil, err
	}
	return in, nil
}

func requireOpen(in *Incident) error {
	if !in.Open() {
		return phasegate.Errorf(phasegate.ECONFLICT, "incident %d (%s) was closed on %s; nothing can change in it",
			in.ID, in.Name, FormatTime(in.ClosedAt))
	}
	return nil
}

// checklist returns a system's checklist with its ticks.
func checklistOf(tx Tx, incidentID int64, sys *estate.System) ([]ChecklistItem, error) {
	entries, err := tx.ChecklistEntries(incidentID, sys.ID)
	if err != nil {
		return nil, err
	}
	return mergeChecklist(ChecklistFor(sys), entries, len(templateFor(sys.Kind))), nil
}

func templateFor(k estate.Kind) []ChecklistDef {
	if t, ok := ChecklistTemplates[k]; ok {
		return t
	}
	return ChecklistTemplates[estate.KindOther]
}

func statesByID(states []SystemState) map[string]State {
	m := make(map[string]State, len(states))
	for _, st := range states {
		if !st.Removed {
			m[st.SystemID] = st.State
		}
	}
	return m
}

func isNotFound(err error) bool { return phasegate.ErrorCode(err) == phasegate.ENOTFOUND }

var errStop = errors.New("stop")

// viewOne reads one record in a read-only transaction after checking that
// the actor may do action.
func viewOne[T any](ctx context.Context, s *Service, a Actor, action Action, get func(Tx) (*T, error)) (*T, error) {
	if err := a.Authorize(action, nil); err != nil {
		return nil, err
	}
	var out *T
	err := s.view(ctx, func(tx Tx) (err error) {
		out, err = get(tx)
		return err
	})
	return out, err
}
