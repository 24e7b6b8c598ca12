package server_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/phasegate/phasegate/incident"
	"github.com/phasegate/phasegate/planner"
)

// TestScriptedRecoveryOfTheDemo runs the whole recovery of the demo
// estate over the real HTTP API, as a recovery team would script it:
// declare, isolate everything, then wave by wave investigate, tick every
// checklist item, clear, restore (a second person approving the
// two-person systems), verify and put online — until the live plan has
// every service back.
func TestScriptedRecoveryOfTheDemo(t *testing.T) {
	forEachBackend(t, serverOptions{estate: "demo"}, func(t *testing.T, ts *testServer) {
		in := ts.declare("ic", incident.Declaration{Name: "Demo recovery", Kind: "ransomware"})
		if in.ID == 0 || len(in.Systems) == 0 {
			t.Fatalf("declared incident %+v has no id or no systems", in.Incident)
		}
		id := in.ID

		var iso incident.IsolationResult
		ts.mustStatus(ts.do("forensics", "POST", path("/api/v1/incidents/%d/isolate", id),
			map[string]any{"selector": map[string]bool{"all": true}, "reason": "total shutdown: ransomware on the domain"}), 200).decode(t, &iso)
		if got, want := len(iso.Isolated), len(in.Systems); got != want {
			t.Fatalf("isolate all: %d systems isolated, want %d (skipped %v)", got, want, iso.Skipped)
		}

		approvals := 0
		var mu sync.Mutex
		for wave := 0; ; wave++ {
			var view incident.IncidentView
			ts.mustStatus(ts.do("viewer", "GET", path("/api/v1/incidents/%d", id), nil), 200).decode(t, &view)
			state := map[string]incident.State{}
			for _, s := range view.Systems {
				state[s.SystemID] = s.State
			}
			var ready []incident.SystemView
			for _, s := range view.Systems {
				if s.State == incident.StateOnline {
					continue
				}
				ok := true
				for _, dep := range s.Requires {
					ok = ok && state[dep] == incident.StateOnline
				}
				if ok {
					ready = append(ready, s)
				}
			}
			if len(ready) == 0 {
				for _, s := range view.Systems {
					if s.State != incident.StateOnline {
						t.Fatalf("wave %d: %s is %s and nothing is ready to move", wave, s.SystemID, s.State)
					}
				}
				break
			}
			// A few systems at a time, as several teams would.
			work := make(chan incident.SystemView)
			var wg sync.WaitGroup
			for range 3 {
				wg.Go(func() {
					for s := range work {
						n := ts.recoverSystem(id, s)
						mu.Lock()
						approvals += n
						mu.Unlock()
					}
				})
			}
			for _, s := range ready {
				work <- s
			}
			close(work)
			wg.Wait()
			if t.Failed() {
				return
			}
		}
		if approvals == 0 {
			t.Errorf("no move of the demo waited for a second person; the demo has criticality-1 systems")
		}

		var p planner.Plan
		ts.mustStatus(ts.do("viewer", "GET", path("/api/v1/incidents/%d/plan", id), nil), 200).decode(t, &p)
		if len(p.Services) == 0 {
			t.Fatalf("the live plan has no services")
		}
		for _, s := range p.Services {
			if s.ETAHours != 0 {
				t.Errorf("service %s: eta_hours %v after every system is online, want 0", s.ID, s.ETAHours)
			}
		}
		if p.MakespanHours != 0 {
			t.Errorf("makespan_hours %v after every system is online, want 0", p.MakespanHours)
		}

		// The recovery room's pages after the recovery: every service back.
		c := uiLogin(t, ts, "viewer")
		base := path("/incidents/%d", id)
		fc := c.get(base+"/forecast").must(t, 200)
		if n := strings.Count(fc.body, `<span class="tag tag-back">back</span>`); n < 2*len(p.Services) {
			t.Errorf("the forecast page marks %d services back (in its dates and its ledger), want every one of %d in both", n, len(p.Services))
		}
		fc.has(t, `<span class="number-value">back</span>`)
		for _, page := range []string{base, base + "/backlogs", base + "/whatif?cap-team-1=forensics&cap-1=%2B2", base + "/history", base + "/plan"} {
			c.get(page).must(t, 200)
		}

		var rep incident.VerifyReport
		ts.mustStatus(ts.do("ic", "GET", "/api/v1/audit/verify", nil), 200).decode(t, &rep)
		if !rep.OK || rep.Events == 0 {
			t.Errorf("audit verify after the recovery: %+v", rep)
		}
	})
}

// recoverSystem takes one system from isolated to online and returns how
// many approvals it needed.
func (ts *testServer) recoverSystem(id int64, s incident.SystemView) (approvals int) {
	t := ts.t
	ts.mustStatus(ts.transition("forensics", id, s.SystemID, incident.StateInvestigating), 200)
	ts.tickAll("forensics", id, s.SystemID)
	ts.mustStatus(ts.transition("forensics", id, s.SystemID, incident.StateCleared), 200)
	for _, to := range []incident.State{incident.StateRestoring, incident.StateVerifying, incident.StateOnline} {
		r := ts.transition("rl", id, s.SystemID, to)
		var res incident.TransitionResult
		switch r.status {
		case 200:
			r.decode(t, &res)
			if !res.Done || res.System.State != to {
				t.Errorf("%s → %s: 200 but done=%v state=%s", s.SystemID, to, res.Done, res.System.State)
			}
		case 202:
			r.decode(t, &res)
			if res.Approval == nil || res.Approval.ID == 0 {
				t.Fatalf("%s → %s: 202 without an approval: %s", s.SystemID, to, r.body)
			}
			if !slices.Contains([]incident.State{incident.StateRestoring, incident.StateOnline}, to) || !s.TwoPerson {
				t.Errorf("%s → %s waits for approval, but the two-person rule covers only restoring and online of two-person systems", s.SystemID, to)
			}
			if loc := r.header.Get("Location"); loc != fmt.Sprintf("/api/v1/approvals/%d", res.Approval.ID) {
				t.Errorf("202 Location %q, want the approval", loc)
			}
			var d incident.Decided
			ts.mustStatus(ts.do("rl2", "POST", path("/api/v1/approvals/%d/approve", res.Approval.ID),
				map[string]string{"note": "checked the evidence"}), 200).decode(t, &d)
			if !d.Done || d.System == nil || d.System.State != to {
				t.Fatalf("%s → %s: approval by a second person did not complete the move: %+v", s.SystemID, to, d)
			}
			approvals++
		default:
			t.Fatalf("%s → %s: status %d: %s", s.SystemID, to, r.status, r.body)
		}
	}
	return approvals
}
