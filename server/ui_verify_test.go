package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/phasegate/phasegate/incident"
	"github.com/phasegate/phasegate/internal/healthtest"
)

// verifyServer is a test server on an estate whose gateway gw has one
// HTTP check against health (a real server on 127.0.0.1) and whose box
// has none; both are taken to verifying. It returns the incident's id.
func verifyServer(t *testing.T, health string) (*testServer, int64) {
	t.Helper()
	ts := newTestServer(t, backend{"sqlite", openSQLite}, serverOptions{settings: uiSettings})
	doc := fmt.Sprintf(`version: 1
organization: Verify Ltd
currency: GBP
teams:
  - {id: infra, capacity: 2}
  - {id: apps, capacity: 2}
systems:
  - id: gw
    name: Gateway
    kind: network
    team: infra
    restore: 1h
    verify: [{http: "%s/health", contains: OK, timeout_seconds: 2}]
  - {id: box, name: Print server, kind: application, team: apps, restore: 1h}
`, health)
	ts.mustStatus(ts.do("ic", "PUT", "/api/v1/estate", rawBody{"application/yaml", []byte(doc)}), 201)
	in := ts.declare("ic", incident.Declaration{Name: "verify", Kind: "ransomware", TotalShutdown: true})
	for _, sys := range []string{"gw", "box"} {
		ts.mustStatus(ts.transition("forensics", in.ID, sys, incident.StateInvestigating), 200)
		ts.tickAll("forensics", in.ID, sys)
		ts.mustStatus(ts.transition("forensics", in.ID, sys, incident.StateCleared), 200)
		ts.mustStatus(ts.transition("rl", in.ID, sys, incident.StateRestoring), 200)
	}
	return ts, in.ID
}

// TestUIVerifyChecks: the system page lists gw's check in words and says
// it has not run; a viewer gets no button and a 403; a recovery lead runs
// the checks from the page while the health page answers 503, and the
// page and the event log say they failed and why, and so does the
// refused move to online; once the health page is up a run passes and
// the move to online succeeds through the form. A run while online
// fails without counting, and the page says so beside the run that let
// it go online. A system without checks says it is verified by hand.
func TestUIVerifyChecks(t *testing.T) {
	health := healthtest.New(t)
	ts, id := verifyServer(t, health.URL)
	sys := fmt.Sprintf("/incidents/%d/systems/gw", id)
	check := fmt.Sprintf(`GET %s/health → 200 containing "OK", within 2 s`, health.URL)
	rl := uiLogin(t, ts, "rl")

	// Restoring: the checks are listed, they cannot run yet.
	rl.get(sys).must(t, 200).has(t, `id="verify-h">Verify checks</h2>`, check, "Not run.", "once the restore is done").
		lacks(t, sys+"/verify")
	rl.post(sys+"/verify", nil).must(t, http.StatusConflict).has(t, "gw is restoring", "once the restore is done")

	ts.mustStatus(ts.transition("rl", id, "gw", incident.StateVerifying), 200)
	page := rl.get(sys).must(t, 200)
	page.has(t, check, "Not run</strong> since it entered verifying", `action="`+sys+`/verify"`, "Run the checks now",
		"Takes up to 2 s", "not run since it entered verifying")
	accountsPageChecks(t, page) // unique ids, every control labelled

	// A viewer reads the checks but may not run them.
	viewer := uiLogin(t, ts, "viewer")
	viewer.get(sys).must(t, 200).has(t, check, "Running them needs").lacks(t, sys+"/verify", "Run the checks now")
	viewer.post(sys+"/verify", nil).must(t, http.StatusForbidden).has(t, "Not allowed")

	// Run while the health page answers 503: failed, with what it found.
	r := rl.post(sys+"/verify", nil).must(t, http.StatusSeeOther)
	if r.location != sys+"#verify" {
		t.Errorf("after a run: redirect to %q, want %q", r.location, sys+"#verify")
	}
	page = rl.get(r.location).must(t, 200)
	page.has(t, `class="flash flash-error"`, "The check of gw failed: it cannot go online until they pass.",
		check[:strings.Index(check, ",")]+": HTTP 503", "✖ Failed</strong>: run by rl", "failed: HTTP 503", "want 200",
		"rl</strong> ran the check of", "and it failed: GET "+health.URL+"/health")
	// The move to online is refused beforehand and when asked, with the
	// failing check and what it found.
	page.has(t, "Why a move to online would be refused now", "check GET "+health.URL+"/health")
	rl.post(sys+"/transition", url.Values{"to": {"online"}, "reason": {"looks up"}}).must(t, http.StatusConflict).
		has(t, `role="alert"`, "HTTP 503", "run the checks again once it is fixed", ">looks up</textarea>")

	// Up: a run passes, and the form puts it online.
	health.Set(true)
	rl.follow(sys+"/verify", nil).must(t, 200).has(t, "The check of gw passed: it may now move to online.",
		"✔ Passed</strong>: run by rl", "ok: HTTP 200", "and it passed").lacks(t, "Why a move to online would be refused now")
	rl.follow(sys+"/transition", url.Values{"to": {"online"}, "reason": {"checks passed"}}).must(t, 200).
		has(t, "gw is now online.", "the run that let it go online")

	// Online, the health page down again: the run fails, does not count,
	// and the run that let it go online stays.
	health.Set(false)
	page = rl.follow(sys+"/verify", nil).must(t, 200)
	page.has(t, "The check of gw failed while it is online. It stays online", "✔ Passed</strong> — the run that let it go online",
		"✖ Failed</strong> when run again by rl", "while it was online: this run does not count for going online",
		"(run while it was online: it does not count for going online)").lacks(t, `class="btn btn-primary" aria-describedby="verify-how"`)
	rl.get(fmt.Sprintf("/incidents/%d/events?type=%s", id, incident.EventSystemChecked)).must(t, 200).
		has(t, "ran the check of", "and it passed", "and it failed", "(run while it was online")

	// box has no checks: verified by hand, and a run is refused in words.
	ts.mustStatus(ts.transition("rl", id, "box", incident.StateVerifying), 200)
	box := fmt.Sprintf("/incidents/%d/systems/box", id)
	rl.get(box).must(t, 200).has(t, "it is verified by hand").lacks(t, `id="verify-h"`, box+"/verify")
	rl.post(box+"/verify", nil).must(t, http.StatusConflict).has(t, "box has no checks in the estate")
}

// TestUIVerifyAllFromTheSystemsList: the systems list offers to run the
// checks of every verifying system to those who may verify every system;
// the run says what passed and failed and which systems are verified by
// hand, and lands on the verifying systems.
func TestUIVerifyAllFromTheSystemsList(t *testing.T) {
	health := healthtest.New(t)
	ts, id := verifyServer(t, health.URL)
	for _, sys := range []string{"gw", "box"} {
		ts.mustStatus(ts.transition("rl", id, sys, incident.StateVerifying), 200)
	}
	list := fmt.Sprintf("/incidents/%d/systems", id)
	rl := uiLogin(t, ts, "rl")
	rl.get(list).must(t, 200).has(t, `action="/incidents/`+fmt.Sprint(id)+`/verify"`, "1 verifying system has checks in the estate",
		"Run the checks of every verifying system")
	viewer := uiLogin(t, ts, "viewer")
	viewer.get(list).must(t, 200).lacks(t, "Run the checks of every verifying system")
	viewer.post(fmt.Sprintf("/incidents/%d/verify", id), url.Values{}).must(t, http.StatusForbidden)

	r := rl.post(fmt.Sprintf("/incidents/%d/verify", id), url.Values{}).must(t, http.StatusSeeOther)
	if r.location != list+"?state=verifying" {
		t.Fatalf("verify all → %q", r.location)
	}
	rl.get(r.location).must(t, 200).has(t, "flash-error", "Ran the checks of 1 verifying system: 0 passed, 1 failed.",
		"Verified by hand (no checks in the estate): box.", "gw: GET "+health.URL+"/health", "HTTP 503")
	health.Set(true)
	r = rl.post(fmt.Sprintf("/incidents/%d/verify", id), url.Values{}).must(t, http.StatusSeeOther)
	rl.get(r.location).must(t, 200).has(t, "flash-ok", "1 passed, 0 failed.")
}
