package incident

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/phasegate/phasegate/estate"
)

func downtimeEstate() *estate.Estate {
	return &estate.Estate{
		Systems: []estate.System{{ID: "net"}, {ID: "erp"}, {ID: "mail"}},
		Services: []estate.Service{
			{ID: "build", Requires: []string{"net", "erp"}},
			{ID: "email", Requires: []string{"net", "mail"}},
			{ID: "untouched", Requires: []string{"mail"}},
			{ID: "ghost", Requires: []string{"gone"}},
		},
	}
}

func TestServiceDowntimes(t *testing.T) {
	t0 := time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC)
	h := func(n float64) time.Time { return t0.Add(time.Duration(n * float64(time.Hour))) }
	mv := func(at float64, sys string, from, to State) Move {
		return Move{At: h(at), System: sys, From: from, To: to}
	}
	// A total shutdown declared at 2h (the incident began at 0): net and
	// erp were isolated at the start. net is back at 10h; erp at 20h,
	// isolated again at 30h and back at 40h. mail is never touched.
	moves := []Move{
		mv(12, "net", StateIsolated, StateInvestigating),
		mv(14, "net", StateInvestigating, StateOnline),
		mv(15, "erp", StateIsolated, StateOnline),
		mv(30, "erp", StateOnline, StateIsolated),
		mv(40, "erp", StateIsolated, StateOnline),
		mv(44, "net", StateOnline, StateCompromised),
	}
	states := []SystemState{{SystemID: "net", State: StateCompromised}, {SystemID: "erp", State: StateOnline}, {SystemID: "mail", State: StateRunning},
		{SystemID: "old", State: StateIsolated, Removed: true}}
	got := ServiceDowntimes(downtimeEstate(), t0, states, moves, h(50))
	want := []Downtime{
		// down 0–15 (net until 14, erp until 15), 30–40, 44–50.
		{Service: "build", Down: 31 * time.Hour, DownSince: h(44)},
		// down 0–14 and 44–50.
		{Service: "email", Down: 20 * time.Hour, DownSince: h(44)},
		{Service: "untouched", Back: true},
		// requires a system not in the incident: down all along.
		{Service: "ghost", Down: 50 * time.Hour, DownSince: t0},
	}
	for i := range want {
		want[i].DownHours = want[i].Down.Hours()
		if got[i] != want[i] {
			t.Errorf("%s: %+v, want %+v", want[i].Service, got[i], want[i])
		}
	}
	// Before net is compromised again, build is back since erp's return.
	got = ServiceDowntimes(downtimeEstate(), t0, states, moves[:5], h(43))
	if b := got[0]; !b.Back || b.Down != 25*time.Hour || !b.BackAt.Equal(h(40)) || !b.DownSince.IsZero() {
		t.Errorf("build at 43h: %+v, want back since 40h after 25h down", b)
	}
	// Moves after now count at now; an incident starting after now is
	// down for nothing.
	got = ServiceDowntimes(downtimeEstate(), t0, states, moves, h(13))
	if b := got[0]; b.Down != 13*time.Hour || b.Back {
		t.Errorf("build at 13h: %+v", b)
	}
	if got = ServiceDowntimes(downtimeEstate(), h(60), states, moves, h(50)); got[0].Down != 0 {
		t.Errorf("incident starting after now: %+v", got[0])
	}
}

// TestServiceDowntimesProperty checks the sweep against a minute-by-minute
// count on random histories: downtime never exceeds the incident's length,
// Back says whether every required system is up now, and BackAt or
// DownSince is the last change of the service's state.
func TestServiceDowntimesProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 2))
	e := downtimeEstate()
	e.Services = e.Services[:3]
	t0 := time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC)
	minute := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }
	for iter := range 300 {
		end := 60 + rng.IntN(600)
		cur := map[string]State{}
		start := map[string]State{}
		var moves []Move
		for _, s := range e.Systems {
			st := []State{StateRunning, StateIsolated}[rng.IntN(2)]
			cur[s.ID], start[s.ID] = st, st
		}
		for n := range 1 + rng.IntN(12) {
			s := e.Systems[rng.IntN(len(e.Systems))].ID
			next := AllowedFrom(cur[s])
			to := next[rng.IntN(len(next))]
			moves = append(moves, Move{Seq: int64(n), At: minute(rng.IntN(end + 1)), System: s, From: cur[s], To: to})
			cur[s] = to
		}
		// Moves come in seq order with times that do not go back.
		for k := 1; k < len(moves); k++ {
			if moves[k].At.Before(moves[k-1].At) {
				moves[k].At = moves[k-1].At
			}
		}
		var states []SystemState
		for id, st := range cur {
			states = append(states, SystemState{SystemID: id, State: st})
		}
		got := ServiceDowntimes(e, t0, states, moves, minute(end))
		for i, sv := range e.Services {
			stateAt := func(sys string, m int) State {
				st := start[sys]
				for _, mv := range moves {
					if mv.System == sys && !mv.At.After(minute(m)) {
						st = mv.To
					}
				}
				return st
			}
			serviceUp := func(m int) bool {
				for _, sys := range sv.Requires {
					if !up(stateAt(sys, m)) {
						return false
					}
				}
				return true
			}
			var down time.Duration
			for m := range end {
				if !serviceUp(m) {
					down += time.Minute
				}
			}
			d := got[i]
			if d.Down != down || d.Down > minute(end).Sub(t0) {
				t.Fatalf("iteration %d, %s: down %v, counted %v; moves %+v", iter, sv.ID, d.Down, down, moves)
			}
			if d.Back != serviceUp(end) {
				t.Fatalf("iteration %d, %s: back %v, want %v", iter, sv.ID, d.Back, serviceUp(end))
			}
			if !d.Back && (d.DownSince.IsZero() || serviceUp(int(d.DownSince.Sub(t0).Minutes()))) {
				t.Fatalf("iteration %d, %s: down since %v, but up then", iter, sv.ID, d.DownSince)
			}
			if d.Back && !d.BackAt.IsZero() && (!serviceUp(int(d.BackAt.Sub(t0).Minutes())) || serviceUp(int(d.BackAt.Sub(t0).Minutes())-1)) {
				t.Fatalf("iteration %d, %s: back at %v, but that is not when it came back", iter, sv.ID, d.BackAt)
			}
		}
	}
}

func TestMoveOf(t *testing.T) {
	raw, _ := json.Marshal(map[string]any{"system": "erp", "from": "cleared", "to": "restoring", "reason": "x"})
	m, ok := MoveOf(Event{Seq: 7, Type: EventSystemTransitioned, Payload: raw})
	if !ok || m != (Move{Seq: 7, System: "erp", From: StateCleared, To: StateRestoring}) {
		t.Errorf("MoveOf: %+v %v", m, ok)
	}
	if _, ok := MoveOf(Event{Type: EventChecklistTicked, Payload: raw}); ok {
		t.Error("a checklist tick read as a move")
	}
	if _, ok := MoveOf(Event{Type: EventSystemTransitioned, Payload: json.RawMessage(`{"bad"`)}); ok {
		t.Error("a broken payload read as a move")
	}
}
