package chart

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/planner"
)

func selectedIDs(t *testing.T, p *planner.Plan, f Filter) []string {
	t.Helper()
	sel, err := f.Select(p)
	if err != nil {
		t.Fatalf("%+v: %v", f, err)
	}
	var ids []string
	for _, i := range sel {
		ids = append(ids, p.Systems[i].ID)
	}
	slices.Sort(ids)
	return ids
}

func TestFilterSelect(t *testing.T) {
	p := smallPlan(t)
	for _, c := range []struct {
		f    Filter
		want []string
	}{
		{Filter{Team: "ot"}, []string{"mes-elm", "mes-rav", "plc-elm", "plc-rav"}},
		{Filter{Kind: "identity"}, []string{"ad", "pki"}},
		{Filter{Service: "payroll"}, []string{"ad", "core-net", "payroll"}},
		{Filter{Service: "registration"}, []string{"ad", "backup", "core-net", "dealer", "firewall", "oracle", "parts", "pki", "san", "sap-erp", "sql", "vsphere"}},
		{Filter{Search: "MES"}, []string{"mes-elm", "mes-rav"}},
		{Filter{Search: "sap-"}, []string{"sap-erp"}},
		{Filter{Service: "registration", Team: "apps", Search: "o"}, []string{"dealer", "oracle", "parts"}},
		{Filter{Kind: "nothing-of-this-kind"}, nil},
	} {
		if got := selectedIDs(t, p, c.f); !slices.Equal(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.f, got, c.want)
		}
	}
	if got, want := len(selectedIDs(t, p, Filter{})), len(p.Systems); got != want {
		t.Errorf("empty filter selects %d of %d", got, want)
	}
}

func TestFilterTeamCountsNeeds(t *testing.T) {
	p := smallPlan(t)
	p.Systems[0].Needs = map[string]int{"infra": 1, "ot": 2} // core-net also takes OT capacity
	if got := selectedIDs(t, p, Filter{Team: "ot"}); !slices.Contains(got, "core-net") {
		t.Errorf("team filter missed a system that needs the team: %v", got)
	}
}

func TestFilterUnknown(t *testing.T) {
	p := smallPlan(t)
	for _, f := range []Filter{{Team: "foresnics"}, {Service: "prodution"}} {
		_, err := f.Select(p)
		if phasegate.ErrorCode(err) != phasegate.EINVALID {
			t.Fatalf("%+v: error %v, want EINVALID", f, err)
		}
		msg := err.Error()
		if !strings.Contains(msg, "use one of") || (f.Team != "" && !strings.Contains(msg, "forensics")) || (f.Service != "" && !strings.Contains(msg, "production")) {
			t.Errorf("%+v: message %q should list what to use", f, msg)
		}
		// The pictures pass it on rather than drawing an empty frame.
		var buf bytes.Buffer
		if err := Timeline(&buf, p, TimelineOptions{Filter: f}); phasegate.ErrorCode(err) != phasegate.EINVALID || buf.Len() != 0 {
			t.Errorf("Timeline with %+v: %v, %d bytes written", f, err, buf.Len())
		}
		if err := Waves(&buf, p, WavesOptions{Filter: f}); phasegate.ErrorCode(err) != phasegate.EINVALID || buf.Len() != 0 {
			t.Errorf("Waves with %+v: %v, %d bytes written", f, err, buf.Len())
		}
	}
}

// TestFilterServiceClosure checks the breadth-first walk against a plain
// fixed point on generated plans.
func TestFilterServiceClosure(t *testing.T) {
	for seed := range uint64(5) {
		p := bigPlan(t, 400, seed)
		for _, sv := range p.Services[:5] {
			want := map[string]bool{}
			for _, r := range sv.Requires {
				want[r] = true
			}
			for changed := true; changed; {
				changed = false
				for _, s := range p.Systems {
					if want[s.ID] {
						for _, r := range s.Requires {
							if !want[r] {
								want[r], changed = true, true
							}
						}
					}
				}
			}
			got := selectedIDs(t, p, Filter{Service: sv.ID})
			if len(got) != len(want) {
				t.Fatalf("seed %d %s: %d systems, want %d", seed, sv.ID, len(got), len(want))
			}
			for _, id := range got {
				if !want[id] {
					t.Fatalf("seed %d %s: %s selected but not required", seed, sv.ID, id)
				}
			}
		}
	}
}
