package incident

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/planner"
)

// Snapshot is an incident as it stands at one moment: what a live
// forecast, impact ledger or what-if starts from.
type Snapshot struct {
	Incident Incident
	Estate   *estate.Estate
	States   []SystemState
	// Seq is the last event that set a system's state: the record up to
	// it is what States reflect.
	Seq int64
	// Now is the service clock's time of the snapshot, to the second.
	Now time.Time
	// Follow is the order of work of the incident's last live plan, for a
	// forecast of that plan (forecast.Options.Follow); nil before the
	// first.
	Follow []planner.ActivityRef
	// Readings are the incident's measured backlog readings, oldest
	// first (see BacklogReadings).
	Readings []BacklogReading
}

// Progress is where each system of the snapshot stands, for the planner
// and the forecast (see Progress).
func (sn *Snapshot) Progress() map[string]planner.Progress { return Progress(sn.States, sn.Now) }

// Snapshot reads an incident, its estate, every system's state and the
// backlog readings in one transaction, at the clock's now. Needs view.
func (s *Service) Snapshot(ctx context.Context, a Actor, incidentID int64) (*Snapshot, error) {
	if err := a.Authorize(ActionView, nil); err != nil {
		return nil, err
	}
	var sn Snapshot
	err := s.view(ctx, func(tx Tx) error {
		l, err := s.load(tx, incidentID)
		if err != nil {
			return err
		}
		sn.Incident, sn.Estate = *l.in, l.est
		if sn.States, err = tx.SystemStates(incidentID); err != nil {
			return err
		}
		if sn.Follow, err = s.followOrder(tx, incidentID); err != nil {
			return err
		}
		sn.Readings, err = tx.BacklogReadings(incidentID)
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, st := range sn.States {
		sn.Seq = max(sn.Seq, st.LastSeq)
	}
	sn.Now = s.clock().UTC().Truncate(time.Second)
	return &sn, nil
}

// Move is one system's change of state, read from a system.transitioned
// event.
type Move struct {
	Seq    int64     `json:"seq"`
	At     time.Time `json:"at"`
	System string    `json:"system"`
	From   State     `json:"from"`
	To     State     `json:"to"`
}

// MoveOf reads the move an event records; false for other events.
func MoveOf(e Event) (Move, bool) {
	if e.Type != EventSystemTransitioned {
		return Move{}, false
	}
	var p struct {
		System string `json:"system"`
		From   State  `json:"from"`
		To     State  `json:"to"`
	}
	if err := json.Unmarshal(e.Payload, &p); err != nil || p.System == "" {
		return Move{}, false
	}
	return Move{Seq: e.Seq, At: e.At, System: p.System, From: p.From, To: p.To}, true
}

// Downtime is one business service's outage so far, from the record.
type Downtime struct {
	Service string `json:"service"`
	// Down is how long the service has been down between the incident's
	// start and the snapshot, in all: stretches when it was back do not
	// count. DownHours is the same in hours, for JSON.
	Down      time.Duration `json:"-"`
	DownHours float64       `json:"down_hours"`
	// Back: every system it requires is up (running or online).
	Back bool `json:"back"`
	// BackAt is when it last came back: the move that brought the last of
	// its systems up. Zero when it is down, or was never down.
	BackAt time.Time `json:"back_at,omitzero"`
	// DownSince is when its current outage began; zero when it is back.
	DownSince time.Time `json:"down_since,omitzero"`
}

// Downtimes reads the moves of a snapshot's incident up to the snapshot
// and returns every service's downtime, in estate order. Needs view.
func (s *Service) Downtimes(ctx context.Context, a Actor, sn *Snapshot) ([]Downtime, error) {
	if err := a.Authorize(ActionView, nil); err != nil {
		return nil, err
	}
	var moves []Move
	err := s.view(ctx, func(tx Tx) error {
		moves = moves[:0]
		q := EventQuery{IncidentID: sn.Incident.ID, Limit: 1000}
		for {
			evs, err := tx.Events(q)
			if err != nil {
				return err
			}
			for _, e := range evs {
				if e.Seq > sn.Seq {
					return nil
				}
				if m, ok := MoveOf(e); ok {
					moves = append(moves, m)
				}
			}
			if len(evs) < q.Limit {
				return nil
			}
			q.After = evs[len(evs)-1].Seq
		}
	})
	if err != nil {
		return nil, err
	}
	return ServiceDowntimes(sn.Estate, sn.Incident.StartedAt, sn.States, moves, sn.Now), nil
}

// up is whether a system in state st is up: untouched, or back online.
func up(st State) bool { return st == StateRunning || st == StateOnline }

// ServiceDowntimes works out each service's downtime between since (the
// incident's start) and now from its systems' moves (in seq order) and
// current states. A system is up while running or online. Before its
// first move it is taken to have been in that move's from-state since
// the incident's start (a system that never moved, in its current state):
// in a total shutdown every system is down from the start; otherwise a
// system is up until it is isolated. A service is down while any system
// it requires is down (or not in the incident at all). Moves after now
// count at now.
func ServiceDowntimes(est *estate.Estate, since time.Time, states []SystemState, moves []Move, now time.Time) []Downtime {
	since = since.UTC()
	if since.After(now) {
		since = now
	}
	type change struct {
		at time.Time
		up bool
	}
	// Each system's state at since, then its changes of up or down.
	initial := map[string]bool{}
	for _, st := range states {
		if !st.Removed {
			initial[st.SystemID] = up(st.State)
		}
	}
	changes := map[string][]change{}
	moved := map[string]bool{}
	for _, m := range moves {
		if _, ok := initial[m.System]; !ok {
			continue
		}
		if !moved[m.System] {
			moved[m.System] = true
			initial[m.System] = up(m.From)
		}
		at := m.At.UTC()
		if at.Before(since) {
			at = since
		}
		if at.After(now) {
			at = now
		}
		changes[m.System] = append(changes[m.System], change{at, up(m.To)})
	}

	out := make([]Downtime, len(est.Services))
	for i := range est.Services {
		sv := &est.Services[i]
		d := Downtime{Service: sv.ID}
		// Sweep the moves of the service's systems in time order,
		// counting the systems down at each moment.
		var cs []struct {
			at    time.Time
			delta int
		}
		downNow := 0
		missing := false
		for _, sys := range sv.Requires {
			isUp, ok := initial[sys]
			if !ok {
				missing = true
				continue
			}
			if !isUp {
				downNow++
			}
			for _, c := range changes[sys] {
				if c.up == isUp {
					continue
				}
				isUp = c.up
				delta := 1
				if isUp {
					delta = -1
				}
				cs = append(cs, struct {
					at    time.Time
					delta int
				}{c.at, delta})
			}
		}
		if missing {
			// A system the service needs is not part of the incident: the
			// planner cannot bring it back either.
			downNow++
		}
		slices.SortStableFunc(cs, func(a, b struct {
			at    time.Time
			delta int
		}) int {
			return a.at.Compare(b.at)
		})
		from := since
		if downNow > 0 {
			d.DownSince = since
		}
		for k := 0; k < len(cs); {
			at := cs[k].at
			before := downNow
			// Every change at the same moment at once: a system swapped
			// for another leaves no gap.
			for ; k < len(cs) && cs[k].at.Equal(at); k++ {
				downNow += cs[k].delta
			}
			switch {
			case before == 0 && downNow > 0:
				from, d.DownSince = at, at
			case before > 0 && downNow == 0:
				d.Down += at.Sub(from)
				d.BackAt, d.DownSince = at, time.Time{}
			}
		}
		if downNow > 0 {
			d.Down += now.Sub(from)
			d.BackAt = time.Time{}
		} else {
			d.Back = true
		}
		d.DownHours = d.Down.Hours()
		out[i] = d
	}
	return out
}
