package incident

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/phasegate/phasegate/estate"
)

func TestServiceLineSentence(t *testing.T) {
	eta := time.Date(2025, 9, 24, 15, 30, 0, 0, time.UTC)
	for _, c := range []struct {
		l    ServiceLine
		want string
	}{
		{ServiceLine{Name: "Supplier payments", State: ServiceDown, ETA: eta}, "Supplier payments: expected back Wed 24 Sep"},
		{ServiceLine{Name: "Supplier payments", State: ServiceDown}, "Supplier payments: not available"},
		{ServiceLine{Name: "Parts", State: ServicePartial, ETA: eta}, "Parts: partly available, fully expected back Wed 24 Sep"},
		{ServiceLine{Name: "Parts", State: ServicePartial}, "Parts: partly available"},
		{ServiceLine{Service: "payroll", State: ServiceUp}, "payroll: available again"},
		// A late-evening ETA west of UTC is still the UTC day.
		{ServiceLine{Name: "X", State: ServiceDown, ETA: time.Date(2025, 9, 24, 23, 0, 0, 0, time.FixedZone("EDT", -4*3600))}, "X: expected back Thu 25 Sep"},
	} {
		if got := c.l.Sentence(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.l, got, c.want)
		}
	}
}

func TestContentHash(t *testing.T) {
	u := StatusUpdate{Audiences: []string{"suppliers"}, Title: "T", Body: "B",
		Services: []ServiceLine{{Service: "s", Name: "S", State: ServiceDown}}}
	h := u.ContentHash()
	if len(h) != 64 || h != u.ContentHash() {
		t.Fatalf("hash %q not stable", h)
	}
	// Everything but the content leaves it alone; any content changes it.
	v := u
	v.ID, v.Revision, v.Status, v.Author = 9, 4, UpdatePublished, "x"
	if v.ContentHash() != h {
		t.Error("the hash depends on more than the content")
	}
	for name, change := range map[string]func(*StatusUpdate){
		"title":     func(x *StatusUpdate) { x.Title = "T2" },
		"body":      func(x *StatusUpdate) { x.Body = "B " },
		"audiences": func(x *StatusUpdate) { x.Audiences = []string{"suppliers", "colleagues"} },
		"state":     func(x *StatusUpdate) { x.Services = []ServiceLine{{Service: "s", Name: "S", State: ServiceUp}} },
		"eta": func(x *StatusUpdate) {
			x.Services = []ServiceLine{{Service: "s", Name: "S", State: ServiceDown, ETA: time.Unix(1e9, 0)}}
		},
		"corrects": func(x *StatusUpdate) { x.Corrects = 1 },
	} {
		w := u
		change(&w)
		if w.ContentHash() == h {
			t.Errorf("changing the %s leaves the hash", name)
		}
	}
}

func TestUpdateStatusPredicates(t *testing.T) {
	for _, s := range UpdateStatuses {
		if !s.Valid() {
			t.Errorf("%s not valid", s)
		}
		if s.Public() && s.Editable() {
			t.Errorf("%s is both public and editable", s)
		}
	}
	if UpdateStatus("live").Valid() {
		t.Error("an unknown state is valid")
	}
}

func TestAudiencesOf(t *testing.T) {
	est := &estate.Estate{Services: []estate.Service{
		{ID: "a", Audiences: []string{"suppliers", "partners"}},
		{ID: "b", Audiences: []string{"dealers", "partners"}},
	}}
	want := append(slices.Clone(estate.Audiences), "dealers", "partners")
	if got := AudiencesOf(est); !slices.Equal(got, want) {
		t.Errorf("AudiencesOf = %v, want %v", got, want)
	}
	if got := AudiencesOf(nil); !slices.Equal(got, estate.Audiences) {
		t.Errorf("AudiencesOf(nil) = %v", got)
	}
}

// TestPublicViewProperties builds random incidents of updates in every
// state and checks, for every audience page: only public updates
// addressed to it, newest first; only services that name it; each
// service's line from the newest live update that mentions it; and no
// page at all for an audience nobody knows.
func TestPublicViewProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	auds := []string{"colleagues", "suppliers", "retailers", "partners"}
	for round := range 200 {
		est := &estate.Estate{Organization: "Org"}
		for i := range 1 + rng.IntN(5) {
			var a []string
			for _, x := range auds {
				if rng.IntN(2) == 0 {
					a = append(a, x)
				}
			}
			est.Services = append(est.Services, estate.Service{ID: fmt.Sprintf("s%d", i), Name: fmt.Sprintf("Service %d", i), Audiences: a})
		}
		in := &Incident{ID: 1}
		base := time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC)
		var ups []StatusUpdate
		for i := range rng.IntN(12) {
			u := StatusUpdate{ID: int64(i + 1), IncidentID: 1, Status: UpdateStatuses[rng.IntN(len(UpdateStatuses))],
				Title: fmt.Sprintf("u%d", i+1)}
			for _, x := range auds {
				if rng.IntN(3) == 0 {
					u.Audiences = append(u.Audiences, x)
				}
			}
			for _, s := range est.Services {
				if rng.IntN(3) == 0 {
					u.Services = append(u.Services, ServiceLine{Service: s.ID, Name: s.Name, State: ServiceStates[rng.IntN(3)]})
				}
			}
			if u.Status.Public() || u.Status == UpdateWithdrawn && rng.IntN(2) == 0 {
				u.PublishedAt = base.Add(time.Duration(rng.IntN(5)) * time.Hour)
			}
			if u.Status == UpdateSuperseded {
				u.SupersededBy = int64(i + 2)
			}
			ups = append(ups, u)
		}
		p := publicStatus(est.Organization, append(AudiencesOf(est), "partners"), []shownIncident{{in: in, est: est, updates: ups}})
		if _, ok := p.For("martians"); ok {
			t.Fatal("a page for an unknown audience")
		}
		for _, a := range auds {
			v, ok := p.For(a)
			if !ok {
				t.Fatalf("round %d: no page for %s", round, a)
			}
			for _, ai := range v.Incidents {
				for i, u := range ai.Updates {
					orig := ups[u.ID-1]
					if !orig.Status.Public() || !slices.Contains(u.Audiences, a) {
						t.Fatalf("round %d: %s sees update %d (%s, for %v)", round, a, u.ID, orig.Status, u.Audiences)
					}
					if i > 0 && u.PublishedAt.After(ai.Updates[i-1].PublishedAt) {
						t.Fatalf("round %d: updates not newest first", round)
					}
				}
				for _, s := range ai.Services {
					svc := est.Services[strings.Index("0123456789", s.Service[1:])]
					if !slices.Contains(svc.Audiences, a) {
						t.Fatalf("round %d: %s sees service %s (for %v)", round, a, s.Service, svc.Audiences)
					}
					// The newest live update to a that mentions it.
					var want int64
					for _, u := range ai.Updates {
						if u.SupersededBy == 0 && slices.ContainsFunc(u.Services, func(l ServiceLine) bool { return l.Service == s.Service }) {
							want = u.ID
							break
						}
					}
					if s.UpdateID != want {
						t.Fatalf("round %d: %s's line for %s from update %d, want %d", round, a, s.Service, s.UpdateID, want)
					}
				}
			}
			// Every public update addressed to a is there.
			n := 0
			for _, u := range ups {
				if u.Status.Public() && slices.Contains(u.Audiences, a) {
					n++
				}
			}
			got := 0
			for _, ai := range v.Incidents {
				got += len(ai.Updates)
			}
			if got != n {
				t.Fatalf("round %d: %s sees %d updates, want %d", round, a, got, n)
			}
		}
	}
}

// TestPublicViewOfTwoIncidents: two open incidents give a page that does
// not contradict itself. Each incident is named by its latest update's
// title (never its internal name), lists only the services it spoke of,
// and one that published nothing to the audience adds nothing.
func TestPublicViewOfTwoIncidents(t *testing.T) {
	est := &estate.Estate{Organization: "Org", Services: []estate.Service{
		{ID: "pay", Name: "Supplier payments", Audiences: []string{"suppliers"}},
		{ID: "portal", Name: "Supplier portal", Audiences: []string{"suppliers"}},
	}}
	at := func(h int) time.Time { return time.Date(2025, 9, 1, h, 0, 0, 0, time.UTC) }
	first := shownIncident{in: &Incident{ID: 1, Name: "Ransomware on the domain"}, est: est, updates: []StatusUpdate{
		{ID: 1, Status: UpdateSuperseded, SupersededBy: 2, Audiences: []string{"suppliers"}, Title: "Payments stopped",
			Services: []ServiceLine{{Service: "pay", State: ServiceDown}}, PublishedAt: at(8)},
		{ID: 2, Status: UpdatePublished, Corrects: 1, Audiences: []string{"suppliers"}, Title: "Payments stopped (corrected)",
			Services: []ServiceLine{{Service: "pay", State: ServiceDown}}, PublishedAt: at(9)},
	}}
	second := shownIncident{in: &Incident{ID: 2, Name: "Portal DDoS"}, est: est, updates: []StatusUpdate{
		{ID: 3, Status: UpdatePublished, Audiences: []string{"suppliers"}, Title: "Portal slow",
			Services: []ServiceLine{{Service: "portal", State: ServicePartial}}, PublishedAt: at(10)},
	}}
	quiet := shownIncident{in: &Incident{ID: 3, Name: "Nothing said"}, est: est, updates: []StatusUpdate{
		{ID: 4, Status: UpdateDraft, Audiences: []string{"suppliers"}, Title: "Draft"},
		{ID: 5, Status: UpdateWithdrawn, Audiences: []string{"suppliers"}, Title: "Gone", PublishedAt: at(7), ClosedAt: at(7)},
	}}
	v, _ := publicStatus("Org", AudiencesOf(est), []shownIncident{first, second, quiet}).For("suppliers")
	if len(v.Incidents) != 2 {
		t.Fatalf("%d incidents on the page, want 2 (the third published nothing)", len(v.Incidents))
	}
	type row struct {
		heading  string
		services []string
	}
	var got []row
	for _, ai := range v.Incidents {
		r := row{heading: ai.Heading}
		for _, s := range ai.Services {
			r.services = append(r.services, s.Service+"="+string(s.State))
		}
		got = append(got, r)
	}
	want := []row{{"Payments stopped (corrected)", []string{"pay=down"}}, {"Portal slow", []string{"portal=partial"}}}
	for i := range want {
		if got[i].heading != want[i].heading || !slices.Equal(got[i].services, want[i].services) {
			t.Errorf("incident %d: %+v, want %+v", i+1, got[i], want[i])
		}
	}
	// Alone, an incident lists every service of the audience, said or not.
	v, _ = publicStatus("Org", AudiencesOf(est), []shownIncident{first, quiet}).For("suppliers")
	if len(v.Incidents) != 1 || len(v.Incidents[0].Services) != 2 || v.Incidents[0].Services[1].State != "" {
		t.Errorf("one incident: %+v", v.Incidents)
	}
}
