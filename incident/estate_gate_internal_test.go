package incident

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/internal/bench"
)

// TestWeakeningsProperty: on random changes to a generated estate,
// weakenings reports exactly the systems whose two-person rule went or
// whose checklist lost an item, and nothing when only gates were added.
func TestWeakeningsProperty(t *testing.T) {
	for seed := uint64(1); seed <= 30; seed++ {
		base := bench.Estate(300, seed)
		r := rand.New(rand.NewPCG(seed, 7))
		for i := range base.Systems {
			if r.IntN(2) == 0 { // estate items on half the systems
				base.Systems[i].Checklist = []estate.ChecklistEntry{{Text: "vendor sign-off"}, {Key: "config-diff", Text: "config diff reviewed"}}
			}
			if r.IntN(2) == 0 { // verify checks on half
				id := base.Systems[i].ID
				base.Systems[i].Verify = []estate.Check{{HTTP: "https://" + id + ".example/health"}, {TCP: id + ".example:443"}}
			}
		}
		next := cloneForTest(base)
		removed, unverified := 0, 0
		want := map[string]bool{}
		for i := range next.Systems {
			s, was := &next.Systems[i], &base.Systems[i]
			switch r.IntN(7) {
			case 0: // criticality changes
				s.Criticality = 1 + r.IntN(4)
				if was.NeedsTwoPersons() && !s.NeedsTwoPersons() {
					want[s.ID] = true
				}
			case 1: // a checklist item added: stronger, never reported
				s.Checklist = append(slices.Clone(s.Checklist), estate.ChecklistEntry{Text: fmt.Sprintf("extra check %d", i)})
			case 2: // two_person switched on: stronger
				s.TwoPerson = true
			case 3: // an estate item removed
				if len(s.Checklist) > 0 {
					s.Checklist = s.Checklist[1:]
					want[s.ID] = true
					removed++
				}
			case 4: // a verify check removed, or loosened (its status no longer checked the same)
				if len(s.Verify) > 0 {
					if r.IntN(2) == 0 {
						s.Verify = s.Verify[1:]
					} else {
						s.Verify[0].Status = 204
					}
					want[s.ID] = true
					unverified++
				}
			case 6: // an item with a key reworded: its ticks kept, so a weakening to judge
				if len(s.Checklist) > 1 {
					s.Checklist[1].Text = "config diff glanced at"
					want[s.ID] = true
				}
			case 5: // a check added, or only its timeout changed: not weaker
				if len(s.Verify) > 0 && r.IntN(2) == 0 {
					s.Verify[len(s.Verify)-1].TimeoutSeconds = 30
				} else {
					s.Verify = append(s.Verify, estate.Check{TCP: s.ID + ".example:22"})
				}
			}
		}
		if removed == 0 || unverified == 0 {
			t.Fatalf("seed %d: %d checklist items and %d checks removed; the test checks too little", seed, removed, unverified)
		}
		got := map[string]bool{}
		for _, w := range weakenings(base.Systems, next.Systems) {
			got[w.System] = true
		}
		for id := range want {
			if !got[id] {
				t.Errorf("seed %d: %s lost a gate but is not reported", seed, id)
			}
		}
		for id := range got {
			if !want[id] {
				t.Errorf("seed %d: %s is reported but lost no gate", seed, id)
			}
		}
		if ws := weakenings(next.Systems, next.Systems); len(ws) != 0 {
			t.Errorf("seed %d: an estate weakens itself: %+v", seed, ws)
		}
	}
}

func cloneForTest(e *estate.Estate) *estate.Estate {
	c := *e
	c.Systems = slices.Clone(e.Systems)
	for i := range c.Systems {
		c.Systems[i].Checklist = slices.Clone(c.Systems[i].Checklist)
		c.Systems[i].Verify = slices.Clone(c.Systems[i].Verify)
	}
	return &c
}

// BenchmarkWeakenings is the comparison every upload makes, on 100,000
// systems that did not change (the common case).
func BenchmarkWeakenings(b *testing.B) {
	base := bench.Estate(100_000, 1)
	next := cloneForTest(base)
	for b.Loop() {
		if ws := weakenings(base.Systems, next.Systems); len(ws) != 0 {
			b.Fatal(ws)
		}
	}
}

// BenchmarkGateDecode is reading the gates of a stored version of
// 100,000 systems that is not in the estate cache.
func BenchmarkGateDecode(b *testing.B) {
	doc, err := json.Marshal(bench.Estate(100_000, 1))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		var d struct {
			Systems []gateSystem `json:"systems"`
		}
		if err := json.Unmarshal(doc, &d); err != nil || len(d.Systems) != 100_000 {
			b.Fatal(err)
		}
	}
}

// TestWeakeningsDependenciesAndRemovedSystems: a requires edge dropped
// lets a system restore before what it needs is back, and a system removed
// takes every gate of its restart with it; both are weakenings. An edge
// still waited for through another system is not, nor is reordering.
func TestWeakeningsDependenciesAndRemovedSystems(t *testing.T) {
	sys := func(id string, req ...string) estate.System {
		return estate.System{ID: id, Kind: estate.KindApplication, Criticality: 3, Requires: req}
	}
	base := []estate.System{sys("ad"), sys("db", "ad"), sys("erp", "db", "ad"), sys("mes", "erp")}
	strs := func(ws []Weakening) []string {
		var out []string
		for _, w := range ws {
			out = append(out, w.String())
		}
		return out
	}
	for _, c := range []struct {
		name string
		next []estate.System
		want []string
	}{
		{"unchanged", base, nil},
		{"reordered", []estate.System{sys("ad"), sys("db", "ad"), sys("erp", "ad", "db"), sys("mes", "erp")}, nil},
		{"an edge still waited for through db", []estate.System{sys("ad"), sys("db", "ad"), sys("erp", "db"), sys("mes", "erp")}, nil},
		{"an edge added", []estate.System{sys("ad"), sys("db", "ad"), sys("erp", "db", "ad"), sys("mes", "erp", "ad")}, nil},
		{"a system added", append(slices.Clone(base), sys("new", "mes")), nil},
		{"an edge dropped", []estate.System{sys("ad"), sys("db"), sys("erp", "db"), sys("mes", "erp")},
			[]string{"db: the dependency on ad (requires ad dropped: db could be restored before ad is back)",
				"erp: the dependency on ad (requires ad dropped: erp could be restored before ad is back)"}},
		{"a whole requires list dropped", []estate.System{sys("ad"), sys("db", "ad"), sys("erp", "db", "ad"), sys("mes")},
			[]string{"mes: the dependency on erp (requires erp dropped: mes could be restored before erp is back)"}},
		{"a system removed", []estate.System{sys("ad"), sys("db", "ad"), sys("erp", "db", "ad")},
			[]string{"mes: the system, with every gate of its restart (removed from the estate)"}},
		{"a system others wait for removed", []estate.System{sys("db"), sys("erp", "db"), sys("mes", "erp")},
			[]string{"ad: the system, with every gate of its restart (removed from the estate); db, erp no longer wait for it"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := strs(weakenings(base, c.next)); !slices.Equal(got, c.want) {
				t.Errorf("weakens\n %q\nwant\n %q", got, c.want)
			}
		})
	}
}

// TestGateSystemKeepsRequires: the gates read from a stored document (a
// version not in the estate cache) hold the dependencies too.
func TestGateSystemKeepsRequires(t *testing.T) {
	doc, err := json.Marshal(bench.Estate(300, 3))
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Systems []gateSystem `json:"systems"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, g := range d.Systems {
		n += len(g.Requires)
	}
	if n == 0 {
		t.Fatal("no requires read from the stored document")
	}
}
