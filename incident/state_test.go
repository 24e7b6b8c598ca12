package incident

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/estate"
)

// Properties of the state machine table.
func TestTransitionTable(t *testing.T) {
	seen := map[[2]State]bool{}
	for _, e := range Transitions {
		k := [2]State{e.From, e.To}
		if seen[k] {
			t.Errorf("edge %s → %s listed twice", e.From, e.To)
		}
		seen[k] = true
		if e.From == e.To || !e.From.Valid() || !e.To.Valid() || FindPermission(e.Action) == nil {
			t.Errorf("bad edge %+v", e)
		}
		if e.TwoPerson != (e.To == StateRestoring && e.From == StateCleared || e.To == StateOnline) {
			t.Errorf("edge %s → %s: two-person %v", e.From, e.To, e.TwoPerson)
		}
		if e.To == StateIsolated && e.Action != ActionIsolate {
			t.Errorf("containment edge %s → isolated needs %s", e.From, e.Action)
		}
	}
	for _, s := range States {
		if s != StateCompromised && FindEdge(s, StateCompromised) == nil {
			t.Errorf("%s cannot be marked compromised", s)
		}
	}
	if got := AllowedFrom(StateCompromised); !slices.Equal(got, []State{StateIsolated}) {
		t.Errorf("compromised may move to %v, want only isolated", got)
	}
	// Every state is reachable from running, and online from every state.
	reach := func(from State) map[State]bool {
		r := map[State]bool{from: true}
		for changed := true; changed; {
			changed = false
			for _, e := range Transitions {
				if r[e.From] && !r[e.To] {
					r[e.To], changed = true, true
				}
			}
		}
		return r
	}
	if r := reach(StateRunning); len(r) != len(States) {
		t.Errorf("reachable from running: %v", r)
	}
	for _, s := range States {
		if !reach(s)[StateOnline] {
			t.Errorf("online is not reachable from %s", s)
		}
	}
}

func TestCheckTransitionPure(t *testing.T) {
	sys := &estate.System{ID: "db", Requires: []string{"ad", "net", "gone"}}
	err := CheckTransition(GuardInput{System: sys, From: StateCleared, To: StateRestoring,
		States: map[string]State{"ad": StateRunning, "net": StateVerifying}})
	want := []string{"required system net is verifying, not online", "required system gone is not part of this incident"}
	pe, ok := err.(*phasegate.Error)
	if !ok || !slices.Equal(pe.Reasons, want) {
		t.Fatalf("got %v, want reasons %q", err, want)
	}
	if err := CheckTransition(GuardInput{System: sys, From: StateCleared, To: StateRestoring,
		States: map[string]State{"ad": StateOnline, "net": StateRunning, "gone": StateOnline}}); err != nil {
		t.Fatalf("running and online dependencies: %v", err)
	}
}

func TestChecklistFor(t *testing.T) {
	for _, k := range estate.Kinds {
		items := ChecklistFor(&estate.System{ID: "x", Kind: k})
		if len(items) < 4 {
			t.Errorf("kind %s: only %d checklist items", k, len(items))
		}
		keys := map[string]bool{}
		for _, it := range items {
			if keys[it.Key] || it.Key != slug(it.Key) {
				t.Errorf("kind %s: key %q duplicated or not a slug", k, it.Key)
			}
			keys[it.Key] = true
		}
	}
	id := ChecklistFor(&estate.System{Kind: estate.KindIdentity})
	if !slices.ContainsFunc(id, func(d ChecklistDef) bool { return d.Key == "krbtgt-reset-twice" }) {
		t.Error("identity checklist lacks the krbtgt double reset")
	}
	saas := ChecklistFor(&estate.System{Kind: estate.KindSaaS, Checklist: []estate.ChecklistEntry{
		{Text: "Rotate the SCIM token"}, {Text: "rotate the SCIM token!"}}})
	tail := saas[len(saas)-2:]
	if tail[0].Key != "estate-rotate-the-scim-token" || tail[1].Key != "estate-rotate-the-scim-token-2" {
		t.Errorf("estate item keys %q %q", tail[0].Key, tail[1].Key)
	}
	// A given key is the item's whatever its text, and is taken before
	// any slug: a text whose slug meets it gets -2.
	keyed := ChecklistFor(&estate.System{Kind: estate.KindSaaS, Checklist: []estate.ChecklistEntry{
		{Text: "Scim"}, {Key: "scim", Text: "SCIM token rotated, old one revoked"}}})
	tail = keyed[len(keyed)-2:]
	if tail[0].Key != "estate-scim-2" || tail[1].Key != "estate-scim" || tail[1].Text != "SCIM token rotated, old one revoked" {
		t.Errorf("keyed items %+v", tail)
	}
	for _, d := range keyed[:len(keyed)-2] {
		if strings.HasPrefix(d.Key, EstateKeyPrefix) {
			t.Errorf("template key %q begins with %q: it could meet an estate item's", d.Key, EstateKeyPrefix)
		}
	}
}

func TestPasswordHash(t *testing.T) {
	p := PasswordParams{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}
	rnd := bytes.NewReader(bytes.Repeat([]byte{7}, 64))
	h, err := HashPassword("correct horse battery staple", p, rnd)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("PHC string %s", h)
	}
	if !CheckPassword(h, "correct horse battery staple") || CheckPassword(h, "correct horse battery stapler") {
		t.Fatal("check disagrees")
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=64,t=1,p=1$AAAA$AAAA", strings.Replace(h, "m=64", "m=99999999", 1),
		strings.Replace(h, "v=19", "v=16", 1), h + "$x"} {
		if CheckPassword(bad, "correct horse battery staple") {
			t.Errorf("malformed hash %q matched", bad)
		}
	}
}

func TestSelectorRoundTrip(t *testing.T) {
	for _, s := range []string{"all", "kind=identity", "team=apps,tag=core", "system=a,system=b"} {
		sel, err := ParseSelector(s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if sel.String() != s && !(s == "team=apps,tag=core" && sel.String() == "tag=core,team=apps") {
			t.Errorf("%s round-trips to %s", s, sel.String())
		}
	}
	for _, s := range []string{"", "kind=", "colour=red", "kind=a,kind=b", "kind=mainframe", "all,kind=identity"} {
		if _, err := ParseSelector(s); err == nil {
			t.Errorf("selector %q accepted", s)
		}
	}
}

func TestCheckTickableOnlyWhileContained(t *testing.T) {
	for _, st := range States {
		err := CheckTickable("db", st)
		want := st == StateIsolated || st == StateInvestigating
		if (err == nil) != want {
			t.Errorf("%s: tickable = %v, want %v", st, err == nil, want)
		}
		if err != nil && (phasegate.ErrorCode(err) != phasegate.ECONFLICT || !strings.Contains(err.Error(), "db is "+string(st))) {
			t.Errorf("%s: %v, want a conflict naming the system and its state", st, err)
		}
	}
}

func TestCheckTransitionRestoreNeedsTheWholeChecklist(t *testing.T) {
	sys := &estate.System{ID: "db"}
	list := []ChecklistItem{{Key: "a", Text: "A", Done: true}, {Key: "b", Text: "B"}}
	err := CheckTransition(GuardInput{System: sys, From: StateCleared, To: StateRestoring, Checklist: list})
	pe, ok := err.(*phasegate.Error)
	if !ok || len(pe.Reasons) != 2 || pe.Reasons[0] != `checklist item "b" (B) is not done` {
		t.Fatalf("got %v, want the undone item and how to finish the clearance", err)
	}
	list[1].Done = true
	if err := CheckTransition(GuardInput{System: sys, From: StateCleared, To: StateRestoring, Checklist: list}); err != nil {
		t.Fatalf("whole checklist: %v", err)
	}
}
