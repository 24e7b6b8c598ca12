package server_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/phasegate/phasegate/incident"
	"github.com/phasegate/phasegate/internal/healthtest"
)

// TestVerifyChecksOverHTTP: a system whose estate gives checks is refused
// online until a run of them passes; the refusal names the failing check
// and what it found, and the system's page (GET) shows the last run.
func TestVerifyChecksOverHTTP(t *testing.T) {
	health := healthtest.New(t)
	ts := newTestServer(t, backend{"sqlite", openSQLite}, serverOptions{})
	doc := health.Estate("")
	ts.mustStatus(ts.do("ic", "PUT", "/api/v1/estate", rawBody{"application/yaml", doc}), 201)
	in := ts.declare("ic", incident.Declaration{Name: "verify", Kind: "ransomware"})
	for _, step := range []struct {
		user string
		to   incident.State
	}{{"forensics", incident.StateIsolated}, {"forensics", incident.StateInvestigating}} {
		ts.mustStatus(ts.transition(step.user, in.ID, "gw", step.to), 200)
	}
	ts.tickAll("forensics", in.ID, "gw")
	for _, to := range []incident.State{incident.StateCleared, incident.StateRestoring, incident.StateVerifying} {
		user := "rl"
		if to == incident.StateCleared {
			user = "forensics"
		}
		ts.mustStatus(ts.transition(user, in.ID, "gw", to), 200)
	}
	verify := fmt.Sprintf("/api/v1/incidents/%d/systems/gw/verify", in.ID)
	ts.mustStatus(ts.do("viewer", "POST", verify, nil), 403)
	var run incident.CheckRun
	ts.mustStatus(ts.do("rl", "POST", verify, nil), 200).decode(t, &run)
	if run.Passed || len(run.Results) != 1 || !strings.Contains(run.Results[0].Detail, "HTTP 503") {
		t.Fatalf("run while down: %+v", run)
	}
	r := ts.mustStatus(ts.transition("rl", in.ID, "gw", incident.StateOnline), 409)
	if !strings.Contains(string(r.body), "HTTP 503") || !strings.Contains(string(r.body), "/health") {
		t.Errorf("refusal: %s", r.body)
	}
	health.Set(true)
	ts.mustStatus(ts.do("rl", "POST", verify, nil), 200).decode(t, &run)
	if !run.Passed || !run.Counts {
		t.Fatalf("run when up: %+v", run)
	}
	var d incident.SystemDetail
	ts.mustStatus(ts.do("viewer", "GET", fmt.Sprintf("/api/v1/incidents/%d/systems/gw", in.ID), nil), 200).decode(t, &d)
	if d.LastCheck == nil || !d.LastCheck.Passed || len(d.Verify) != 1 || d.Verify[0].Contains != "OK" {
		t.Fatalf("system: verify %+v last %+v", d.Verify, d.LastCheck)
	}
	ts.mustStatus(ts.transition("rl", in.ID, "gw", incident.StateOnline), 200)
}
