package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/incident"
)

// The UI's pages, driven over HTTP like a browser without JavaScript:
// a cookie jar, forms posted as application/x-www-form-urlencoded, and
// redirects looked at rather than followed.

// uiClient is one person's browser.
type uiClient struct {
	t    testing.TB
	ts   *testServer
	name string
	hc   *http.Client
}

// uiPage is an answer: status, where it redirects, the HTML.
type uiAnswer struct {
	status   int
	location string
	body     string
	header   http.Header
	req      string
}

func newUIClient(t testing.TB, ts *testServer) *uiClient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &uiClient{t: t, ts: ts, hc: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// uiLogin returns the browser of user, logged in through the login form.
func uiLogin(t testing.TB, ts *testServer, user string) *uiClient {
	t.Helper()
	c := newUIClient(t, ts)
	c.name = user
	r := c.post("/login", url.Values{"name": {user}, "password": {testPassword}, "next": {"/incidents"}})
	if r.status != http.StatusSeeOther || r.location != "/incidents" {
		t.Fatalf("log in as %s: %d → %q, want 303 → /incidents; body: %s", user, r.status, r.location, r.body)
	}
	return c
}

func (c *uiClient) do(req *http.Request) *uiAnswer {
	c.t.Helper()
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return &uiAnswer{status: res.StatusCode, location: res.Header.Get("Location"), body: string(data), header: res.Header,
		req: req.Method + " " + req.URL.RequestURI() + " as " + c.name}
}

func (c *uiClient) get(path string) *uiAnswer {
	c.t.Helper()
	req, err := http.NewRequest("GET", c.ts.url+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.do(req)
}

// post sends a form as a browser on the same site does.
func (c *uiClient) post(path string, form url.Values) *uiAnswer {
	c.t.Helper()
	req, err := http.NewRequest("POST", c.ts.url+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", c.ts.url)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return c.do(req)
}

// follow posts and then loads the page it redirects to (the flash
// message shows there).
func (c *uiClient) follow(path string, form url.Values) *uiAnswer {
	c.t.Helper()
	r := c.post(path, form)
	if r.status != http.StatusSeeOther {
		c.t.Fatalf("%s: status %d, want 303; body: %s", r.req, r.status, text(r.body))
	}
	return c.get(r.location)
}

func (r *uiAnswer) must(t testing.TB, status int) *uiAnswer {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d; page: %s", r.req, r.status, status, text(r.body))
	}
	return r
}

func (r *uiAnswer) has(t testing.TB, want ...string) *uiAnswer {
	t.Helper()
	page := html.UnescapeString(r.body)
	for _, w := range want {
		if !strings.Contains(r.body, w) && !strings.Contains(page, w) {
			t.Errorf("%s: the page lacks %q; page text: %s", r.req, w, text(r.body))
		}
	}
	return r
}

func (r *uiAnswer) lacks(t testing.TB, unwanted ...string) *uiAnswer {
	t.Helper()
	page := html.UnescapeString(r.body)
	for _, w := range unwanted {
		if strings.Contains(r.body, w) || strings.Contains(page, w) {
			t.Errorf("%s: the page shows %q and must not", r.req, w)
		}
	}
	return r
}

var (
	tags      = regexp.MustCompile(`(?s)<script.*?</script>|<style.*?</style>|<svg.*?</svg>|<[^>]+>`)
	spaces    = regexp.MustCompile(`\s+`)
	idAttr    = regexp.MustCompile(` id="([^"]+)"`)
	controlID = regexp.MustCompile(`<(?:input|select|textarea)(?: [a-z-]+="[^"]*")*? id="([^"]+)"`)
	// postForm finds the forms that change something.
	postForm = regexp.MustCompile(`<form method="post" action="([^"]+)"`)
)

// text is a page's visible text, for failure messages.
func text(html string) string {
	s := spaces.ReplaceAllString(tags.ReplaceAllString(html, " "), " ")
	if len(s) > 3000 {
		s = s[:3000] + "…"
	}
	return s
}

// actions lists the targets of the page's POST forms, logging out aside.
func actions(html string) []string {
	var out []string
	for _, m := range postForm.FindAllStringSubmatch(html, -1) {
		if m[1] != "/logout" {
			out = append(out, m[1])
		}
	}
	return out
}

// uiIncident declares an incident on the small estate (everything
// isolated) and brings vault to cleared, so there is something in most
// states: vault (criticality 1, no dependencies) can be asked to restore.
func uiIncident(t *testing.T, ts *testServer) int64 {
	t.Helper()
	v := ts.declare("ic", incident.Declaration{Name: "Test ransomware", Kind: "ransomware", TotalShutdown: true})
	ts.mustStatus(ts.transition("forensics", v.ID, "vault", incident.StateInvestigating), 200)
	ts.tickAll("forensics", v.ID, "vault")
	ts.mustStatus(ts.transition("forensics", v.ID, "vault", incident.StateCleared), 200)
	return v.ID
}

// uiSettings keep login throttling real but short, so a test may fail a
// login and then log in.
var uiSettings = incident.Settings{LoginDelay: time.Millisecond, MaxLoginDelay: 2 * time.Millisecond}

func newUIServer(t *testing.T) (*testServer, int64) {
	t.Helper()
	ts := newTestServer(t, backend{"sqlite", openSQLite}, serverOptions{estate: "small", settings: uiSettings})
	return ts, uiIncident(t, ts)
}

func TestUILoginAndLogout(t *testing.T) {
	ts, id := newUIServer(t)
	c := newUIClient(t, ts)

	// Not logged in: every page goes to the login page, to come back.
	r := c.get(fmt.Sprintf("/incidents/%d/plan?team=apps", id)).must(t, http.StatusSeeOther)
	if want := "/login?next=" + url.QueryEscape(fmt.Sprintf("/incidents/%d/plan?team=apps", id)); r.location != want {
		t.Errorf("redirect to %q, want %q", r.location, want)
	}
	c.get("/login").must(t, 200).has(t, `<label for="name">User name</label>`, `<label for="password">Password</label>`,
		`autocomplete="current-password"`)

	// A wrong password: the form again, with why, not a JSON error.
	r = c.post("/login", url.Values{"name": {"ic"}, "password": {"wrong password!"}}).must(t, http.StatusUnauthorized)
	r.has(t, `role="alert"`, `value="ic"`)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("failed login answered %q, want HTML", ct)
	}
	c.post("/login", url.Values{"name": {"ic"}}).must(t, http.StatusBadRequest).has(t, "Give both your user name and your password.")
	time.Sleep(5 * time.Millisecond) // the throttle's delay after a failure

	// next never leads to another site.
	r = c.post("/login", url.Values{"name": {"ic"}, "password": {testPassword}, "next": {"//evil.example/phish"}})
	if r.status != http.StatusSeeOther || r.location != "/" {
		t.Fatalf("login with an off-site next: %d → %q, want 303 → /", r.status, r.location)
	}
	var session *http.Cookie
	u, _ := url.Parse(ts.url)
	for _, ck := range c.hc.Jar.Cookies(u) {
		if ck.Name == "phasegate_session" {
			session = ck
		}
	}
	if session == nil {
		t.Fatal("no session cookie after logging in")
	}
	// Home goes to the open incident; the login page to where it was.
	if r := c.get("/").must(t, http.StatusSeeOther); r.location != fmt.Sprintf("/incidents/%d", id) {
		t.Errorf("/ → %q, want the incident", r.location)
	}
	if r := c.get("/login?next=/incidents").must(t, http.StatusSeeOther); r.location != "/incidents" {
		t.Errorf("/login when logged in → %q, want /incidents", r.location)
	}
	c.get("/incidents").must(t, 200).has(t, "Test ransomware", "Log out")

	r = c.post("/logout", nil).must(t, http.StatusSeeOther)
	if r.location != "/login" {
		t.Errorf("logout → %q, want /login", r.location)
	}
	c.get("/login").must(t, 200).has(t, "You are logged out.")
	c.get("/incidents").must(t, http.StatusSeeOther)
	// The old session id is dead on the server, not only forgotten.
	req, _ := http.NewRequest("GET", ts.url+"/incidents", nil)
	req.AddCookie(&http.Cookie{Name: "phasegate_session", Value: session.Value})
	if res, err := http.DefaultTransport.RoundTrip(req); err != nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the logged-out session still works: %v %v", res.StatusCode, err)
	}
}

// TestUICrossSiteFormsRefused: the cross-origin protection in front of
// the mux covers the UI's form posts: a form on another site cannot
// isolate, move, approve or log in.
func TestUICrossSiteFormsRefused(t *testing.T) {
	ts, id := newUIServer(t)
	c := uiLogin(t, ts, "ic")
	form := url.Values{"step": {"confirm"}, "scope": {"all"}, "reason": {"csrf"}}
	for _, h := range []map[string]string{
		{"Sec-Fetch-Site": "cross-site"},
		{"Origin": "https://evil.example"},
	} {
		for _, path := range []string{fmt.Sprintf("/incidents/%d/isolate", id), "/login", "/logout", "/set-password",
			fmt.Sprintf("/incidents/%d/systems/vault/transition", id)} {
			req, _ := http.NewRequest("POST", ts.url+path, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range h {
				req.Header.Set(k, v)
			}
			if r := c.do(req); r.status != http.StatusForbidden {
				t.Errorf("cross-site POST %s (%v): status %d, want 403", path, h, r.status)
			}
		}
	}
	var v incident.IncidentView
	ts.mustStatus(ts.do("ic", "GET", fmt.Sprintf("/api/v1/incidents/%d", id), nil), 200).decode(t, &v)
	if v.Counts[incident.StateIsolated] != 7 {
		t.Fatalf("counts after refused posts: %v", v.Counts)
	}
}

// TestUIRoles loads every page as every role: each shows only the actions
// the role may take (the service still refuses the rest).
func TestUIRoles(t *testing.T) {
	ts, id := newUIServer(t)
	// A two-person request waiting: ic asks to restore vault.
	ts.mustStatus(ts.transition("ic", id, "vault", incident.StateRestoring), 202)
	ts.recordETAs(id) // as the plan worker would: the history page has dates
	base := fmt.Sprintf("/incidents/%d", id)
	type want struct {
		containment bool // the bulk containment page and its nav link
		moveDB      bool // a move for db (isolated: investigate or compromise)
		tick        bool // checklist tick forms on db
		approve     bool // approve vault's request
		audit       bool // the audit chain's status
	}
	cases := map[string]want{
		"admin":     {audit: true},
		"ic":        {containment: true, moveDB: true, tick: true, audit: true}, // ic asked: cannot approve
		"ic2":       {containment: true, moveDB: true, tick: true, approve: true, audit: true},
		"rl":        {containment: true, moveDB: true, approve: true},
		"owner":     {moveDB: true, tick: true, approve: true}, // team apps: db and vault
		"forensics": {containment: true, moveDB: true, tick: true, audit: true},
		"comms":     {},
		"viewer":    {},
	}
	for user, w := range cases {
		t.Run(user, func(t *testing.T) {
			c := uiLogin(t, ts, user)
			pages := []string{base, base + "/plan", base + "/forecast", base + "/backlogs", base + "/systems", base + "/systems/db", base + "/systems/vault",
				base + "/approvals", base + "/events", base + "/history", base + "/history?service=build",
				base + "/whatif", base + "/whatif?cap-team-1=apps&cap-1=%2B1&dep-1=db&dep-requires-1=net", "/incidents"}
			var posts []string
			for _, p := range pages {
				r := c.get(p).must(t, 200)
				r.has(t, `<main id="main"`, user)
				posts = append(posts, actions(r.body)...)
				// Unique ids: labels, anchors and live refresh rely on them.
				seen := map[string]bool{}
				for _, m := range idAttr.FindAllStringSubmatch(r.body, -1) {
					if seen[m[1]] {
						t.Errorf("%s: id %q appears twice", p, m[1])
					}
					seen[m[1]] = true
				}
				// Every form control has a label (or an aria-label).
				for _, m := range controlID.FindAllStringSubmatch(r.body, -1) {
					if !strings.Contains(r.body, `for="`+m[1]+`"`) {
						t.Errorf("%s: control %q has no <label for>", p, m[1])
					}
				}
			}
			// Asking what if and reading how the dates moved need view
			// only: every role gets the answer.
			c.get(base+"/whatif?cap-team-1=apps&cap-1=%2B1").must(t, 200).has(t, `id="answer"`)
			c.get(base+"/history").must(t, 200).has(t, "3 dates recorded", "Build vehicles")
			ov := c.get(base)
			if got := strings.Contains(ov.body, `href="`+base+`/isolate"`); got != w.containment {
				t.Errorf("containment link shown: %v, want %v", got, w.containment)
			}
			iso := c.get(base + "/isolate")
			if w.containment {
				iso.must(t, 200).has(t, "Show which systems will be isolated")
			} else {
				iso.must(t, http.StatusForbidden).has(t, "system.isolate-bulk")
			}
			db := c.get(base + "/systems/db")
			if got := strings.Contains(db.body, base+`/systems/db/transition`); got != w.moveDB {
				t.Errorf("moves offered for db: %v, want %v", got, w.moveDB)
			}
			if got := strings.Contains(db.body, base+`/systems/db/checklist`); got != w.tick {
				t.Errorf("checklist ticks offered for db: %v, want %v", got, w.tick)
			}
			ap := c.get(base + "/approvals")
			if got := strings.Contains(ap.body, "/approve"); got != w.approve {
				t.Errorf("approve offered: %v, want %v", got, w.approve)
			}
			if user == "ic" {
				ap.has(t, "You asked for this move: under the two-person rule someone else must approve it.", "Withdraw the request")
			}
			ev := c.get(base + "/events")
			if got := strings.Contains(ev.body, "Audit chain verified"); got != w.audit {
				t.Errorf("audit status shown: %v, want %v", got, w.audit)
			}
			if !w.audit {
				ev.has(t, "The audit chain's verification is shown to")
			}
			// Viewers and comms: not one form that changes anything.
			if !w.containment && !w.moveDB && !w.tick && !w.approve && len(posts) > 0 {
				t.Errorf("%s is offered actions: %v", user, posts)
			}
		})
	}
}

func TestUIGuardRefusalShowsReasons(t *testing.T) {
	ts, id := newUIServer(t)
	c := uiLogin(t, ts, "forensics")
	sys := fmt.Sprintf("/incidents/%d/systems/db", id)
	c.follow(sys+"/transition", url.Values{"to": {"investigating"}, "reason": {"start the clearance"}}).
		must(t, 200).has(t, "db is now investigating.", "start the clearance")

	// Clearing with the checklist undone: 409, the page again with every
	// reason, and the reason typed kept.
	r := c.post(sys+"/transition", url.Values{"to": {"cleared"}, "reason": {"looks fine to me"}}).must(t, http.StatusConflict)
	r.has(t, `role="alert"`, "Refused", "forensic-image", "is not done", ">looks fine to me</textarea>")
	if n := strings.Count(r.body, "is not done"); n < 5 {
		t.Errorf("%d reasons listed, want every undone item", n)
	}
	// No reason: refused before the service, and said so.
	c.post(sys+"/transition", url.Values{"to": {"cleared"}}).must(t, http.StatusBadRequest).has(t, "give a reason")
	// A move the state machine does not have.
	c.post(sys+"/transition", url.Values{"to": {"isolated"}, "reason": {"x"}}).must(t, http.StatusConflict)
	// A move the role may not make.
	c.post(sys+"/transition", url.Values{"to": {"online"}, "reason": {"x"}}).must(t, http.StatusForbidden).has(t, "forensics may not system.online")
	// A role that may not: 403 on the page, not a JSON body.
	v := uiLogin(t, ts, "viewer")
	v.post(sys+"/transition", url.Values{"to": {"cleared"}, "reason": {"x"}}).must(t, http.StatusForbidden).has(t, "Not allowed")
}

func TestUIChecklistTick(t *testing.T) {
	ts, id := newUIServer(t)
	ts.mustStatus(ts.transition("forensics", id, "db", incident.StateInvestigating), 200)
	c := uiLogin(t, ts, "owner") // system-owner of team apps: db is theirs
	sys := fmt.Sprintf("/incidents/%d/systems/db", id)
	page := c.get(sys).must(t, 200)
	page.has(t, `name="item" value="forensic-image"`, "0 of 7 done")
	r := c.post(sys+"/checklist", url.Values{"item": {"forensic-image"}, "done": {"true"}, "note": {"imaged both disks"}, "evidence": {"CASE-42"}})
	if r.status != http.StatusSeeOther || !strings.HasSuffix(r.location, "#check-forensic-image") {
		t.Fatalf("tick: %d → %q", r.status, r.location)
	}
	// The page's own live refresh does not take the message meant for
	// the page the browser loads.
	req, _ := http.NewRequest("GET", ts.url+r.location, nil)
	req.Header.Set("X-Phasegate-Refresh", "1")
	c.do(req).must(t, 200).lacks(t, "Ticked “", `class="flash`)
	c.get(r.location).must(t, 200).has(t, "Ticked “", "Ticked by owner", "imaged both disks", "CASE-42", "1 of 7 done")
	c.get(r.location).must(t, 200).lacks(t, "Ticked “") // shown once
	// Untick, with why.
	c.follow(sys+"/checklist", url.Values{"item": {"forensic-image"}, "done": {"false"}, "note": {"wrong disk"}}).
		has(t, "Unticked by owner", "wrong disk", "0 of 7 done")
	// Not the owner's system: no form, and the service refuses.
	c.get(fmt.Sprintf("/incidents/%d/systems/ad", id)).must(t, 200).lacks(t, "/systems/ad/checklist")
	c.post(fmt.Sprintf("/incidents/%d/systems/ad/checklist", id), url.Values{"item": {"forensic-image"}, "done": {"true"}}).
		must(t, http.StatusForbidden)
	// An unknown item.
	c.post(sys+"/checklist", url.Values{"item": {"no-such-item"}, "done": {"true"}}).must(t, http.StatusUnprocessableEntity)
}

func TestUITwoPersonRestart(t *testing.T) {
	ts, id := newUIServer(t)
	sys := fmt.Sprintf("/incidents/%d/systems/vault", id)
	ic := uiLogin(t, ts, "ic")
	ic.get(sys).must(t, 200).has(t, "Two-person rule", "needs a second person's approval")
	r := ic.post(sys+"/transition", url.Values{"to": {"restoring"}, "reason": {"clean rebuild ready"}}).must(t, http.StatusSeeOther)
	page := ic.get(r.location).must(t, 200)
	page.has(t, "Waiting for a second person's approval", "you cannot approve your own request", "clean rebuild ready",
		"You asked for this move")
	m := regexp.MustCompile(`action="(/incidents/\d+/approvals/\d+)/cancel"`).FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("no request to withdraw on the page: %s", text(page.body))
	}
	approval := m[1]
	// The requester cannot approve, even by posting the form by hand.
	ic.follow(approval+"/approve", url.Values{"back": {sys}}).has(t, `flash-error`)
	// A second person approves: the move happens.
	rl := uiLogin(t, ts, "rl")
	rl.get(fmt.Sprintf("/incidents/%d/approvals", id)).must(t, 200).has(t, "Approve the move to restoring")
	done := rl.follow(approval+"/approve", url.Values{"back": {sys}, "note": {"checked the build hash"}})
	done.must(t, 200).has(t, "vault moved to restoring", "approved by rl", "checked the build hash")
	var v incident.SystemView
	ts.mustStatus(ts.do("ic", "GET", fmt.Sprintf("/api/v1/incidents/%d/systems/vault", id), nil), 200).decode(t, &v)
	if v.State != incident.StateRestoring {
		t.Fatalf("vault is %s after the approval, want restoring", v.State)
	}
	// back never leads off the site.
	if r := rl.post(approval+"/approve", url.Values{"back": {"https://evil.example/"}}); r.location != fmt.Sprintf("/incidents/%d/approvals", id) {
		t.Errorf("decision with an off-site back → %q", r.location)
	}
}

func TestUIBulkIsolation(t *testing.T) {
	ts := newTestServer(t, backend{"sqlite", openSQLite}, serverOptions{estate: "small"})
	v := ts.declare("ic", incident.Declaration{Name: "Partial", Kind: "ransomware"}) // everything running
	base := fmt.Sprintf("/incidents/%d/isolate", v.ID)
	c := uiLogin(t, ts, "forensics")
	c.get(base).must(t, 200).has(t, "Containment acts at once", `value="infra"`, `value="core"`)
	// Step 1: the list of what will be isolated, nothing isolated yet.
	form := url.Values{"step": {"preview"}, "scope": {"team"}, "team": {"infra"}, "reason": {"beaconing from infra"}}
	prev := c.post(base, form).must(t, 200)
	prev.has(t, "Isolate 3 systems now?", "Active Directory", "Core network", "Paint shop PLCs",
		"1 of them is under the two-person rule", "needs a second person")
	prev.lacks(t, "ERP database")
	fp := regexp.MustCompile(`name="fingerprint" value="([0-9a-f]+)"`).FindStringSubmatch(prev.body)
	if fp == nil {
		t.Fatal("no fingerprint in the confirmation")
	}
	assertCount := func(want int) {
		t.Helper()
		var iv incident.IncidentView
		ts.mustStatus(ts.do("ic", "GET", fmt.Sprintf("/api/v1/incidents/%d", v.ID), nil), 200).decode(t, &iv)
		if got := iv.Counts[incident.StateIsolated]; got != want {
			t.Fatalf("%d systems isolated, want %d", got, want)
		}
	}
	assertCount(0)
	// The selection changed since the list was shown: shown again, not done.
	ts.mustStatus(ts.transition("ic", v.ID, "net", incident.StateIsolated), 200)
	form.Set("step", "confirm")
	form.Set("fingerprint", fp[1])
	c.post(base, form).must(t, http.StatusConflict).has(t, "The selection changed", "Isolate 2 systems now?")
	assertCount(1)
	fp = regexp.MustCompile(`name="fingerprint" value="([0-9a-f]+)"`).FindStringSubmatch(c.post(base, url.Values{
		"step": {"preview"}, "scope": {"team"}, "team": {"infra"}, "reason": {"beaconing from infra"}}).body)
	form.Set("fingerprint", fp[1])
	done := c.follow(base, form)
	done.must(t, 200).has(t, "Isolated 2 systems (every system of team infra) at once; 1 left alone.", "<li>ad</li>", "<li>plc</li>")
	assertCount(3)
	// Again, with everything of infra contained: nothing to isolate, and
	// nothing recorded.
	again := c.post(base, url.Values{"step": {"preview"}, "scope": {"team"}, "team": {"infra"}, "reason": {"beaconing from infra"}})
	if fp = regexp.MustCompile(`name="fingerprint" value="([0-9a-f]+)"`).FindStringSubmatch(again.body); fp != nil {
		form.Set("fingerprint", fp[1])
		c.follow(base, form).must(t, 200).has(t, "Nothing to isolate (every system of team infra): all 3 selected systems are already contained", "nothing was recorded")
	} else {
		again.must(t, 200).has(t, "Nothing to isolate", "is already contained or cannot be isolated").lacks(t, "Isolate 0 systems now?")
	}
	assertCount(3)
	// Bad forms say what is missing.
	c.post(base, url.Values{"step": {"preview"}, "scope": {"kind"}, "reason": {"x"}}).must(t, http.StatusBadRequest).has(t, "choose the kind")
	c.post(base, url.Values{"step": {"preview"}, "scope": {"all"}}).must(t, http.StatusBadRequest).has(t, "give a reason")
	c.post(base, url.Values{"step": {"preview"}, "scope": {"tag"}, "tag": {"nope"}, "reason": {"x"}}).must(t, http.StatusUnprocessableEntity)
}

func TestUIEventLogFilters(t *testing.T) {
	ts, id := newUIServer(t)
	c := uiLogin(t, ts, "forensics")
	base := fmt.Sprintf("/incidents/%d/events", id)
	all := c.get(base).must(t, 200)
	all.has(t, "Audit chain verified", "declared the incident", "ticked", "/api/v1/audit/export")
	c.get(base+"?type=system.transitioned").must(t, 200).has(t, "moved").lacks(t, "ticked “")
	c.get(base+"?system=vault&q=forensic+image").must(t, 200).has(t, "1 event match", "Forensic image")
	c.get(base+"?actor=nobody").must(t, 200).has(t, "0 events match")
	c.get(base+"?system=nope").must(t, http.StatusNotFound).has(t, `no system \u0022nope\u0022`[:10])
	// Everything: logins too, for auditors only.
	c.get(base+"?scope=all&type=auth.login_succeeded").must(t, 200).has(t, "logged in")
	v := uiLogin(t, ts, "viewer")
	v.get(base+"?scope=all&type=auth.login_succeeded").must(t, 200).has(t, "0 events match").lacks(t, "Audit chain verified")
}

func TestUIStaticAssets(t *testing.T) {
	ts, _ := newUIServer(t)
	c := newUIClient(t, ts)
	page := c.get("/login").must(t, 200)
	m := regexp.MustCompile(`href="(/static/ui\.css\?v=[0-9a-f]+)"`).FindStringSubmatch(page.body)
	if m == nil {
		t.Fatal("the page links no versioned stylesheet")
	}
	css := c.get(m[1]).must(t, 200)
	if ct := css.header.Get("Content-Type"); ct != "text/css; charset=utf-8" {
		t.Errorf("stylesheet type %q", ct)
	}
	if cc := css.header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Errorf("a versioned asset is not cached for good: %q", cc)
	}
	req, _ := http.NewRequest("GET", ts.url+"/static/ui.css", nil)
	req.Header.Set("If-None-Match", css.header.Get("ETag"))
	if r := c.do(req); r.status != http.StatusNotModified {
		t.Errorf("revalidation: %d, want 304", r.status)
	}
	c.get("/static/ui.js").must(t, 200)
	c.get("/static/nope.js").must(t, 404)
	// Every page forbids loading anything from elsewhere.
	if csp := page.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
}

// TestUILoginThrottled: repeated failures are slowed, and the form says
// for how long.
func TestUILoginThrottled(t *testing.T) {
	ts := newTestServer(t, backend{"sqlite", openSQLite}, serverOptions{estate: "small"})
	c := newUIClient(t, ts)
	c.post("/login", url.Values{"name": {"ic"}, "password": {"wrong password!"}}).must(t, http.StatusUnauthorized)
	r := c.post("/login", url.Values{"name": {"ic"}, "password": {testPassword}}).must(t, http.StatusTooManyRequests)
	r.has(t, "Too many attempts", "Try again in", `value="ic"`)
	if r.header.Get("Retry-After") == "" {
		t.Error("no Retry-After on a throttled login")
	}
}

// TestUIClosedIncident: a closed incident stays readable and offers no
// action to anyone.
func TestUIClosedIncident(t *testing.T) {
	ts, id := newUIServer(t)
	ts.mustStatus(ts.transition("ic", id, "vault", incident.StateRestoring), 202)
	ts.mustStatus(ts.do("ic", "POST", fmt.Sprintf("/api/v1/incidents/%d/close", id), map[string]string{"reason": "recovered"}), 200)
	c := uiLogin(t, ts, "ic")
	base := fmt.Sprintf("/incidents/%d", id)
	for _, p := range []string{base, base + "/systems/vault", base + "/systems/db", base + "/approvals",
		base + "/forecast", base + "/backlogs", base + "/whatif", base + "/history"} {
		r := c.get(p).must(t, 200)
		r.has(t, "closed")
		if a := actions(r.body); len(a) > 0 {
			t.Errorf("%s offers actions on a closed incident: %v", p, a)
		}
	}
	c.get(base).lacks(t, `href="`+base+`/isolate"`)
	c.get(base+"/isolate").must(t, http.StatusConflict).has(t, "the incident is closed")
	c.get("/").must(t, http.StatusSeeOther)
	if r := c.get("/"); r.location != "/incidents" {
		t.Errorf("with no open incident / goes to %q, want the list", r.location)
	}
}

// TestUIEventLogTellsAccountChanges: account changes and the requests a
// second admin decides read as sentences in the whole log, with who
// approved and why, not as an event type and its payload.
func TestUIEventLogTellsAccountChanges(t *testing.T) {
	ts, id := newUIServer(t)
	ctx := context.Background()
	admin := incident.Actor{UserID: ts.users["admin"].ID, Name: "admin", Grants: ts.users["admin"].Grants}
	a2, err := ts.svc.BreakGlassAddUser(ctx, "admin2", testPassword, []incident.Grant{{Role: incident.RoleAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	_, req, err := ts.svc.CreateUser(ctx, admin, incident.NewUser{Name: "ivy",
		Grants: []incident.Grant{{Role: incident.RoleRecoveryLead}}, Reason: "IR firm, ticket 4711"})
	if err != nil || req == nil {
		t.Fatalf("create: %v %+v", err, req)
	}
	done, err := ts.svc.ApproveAccountRequest(ctx, incident.Actor{UserID: a2.ID, Name: a2.Name, Grants: a2.Grants}, req.ID, "called back")
	if err != nil || done.PasswordCode == nil {
		t.Fatalf("approve: %v %+v", err, done)
	}
	if err := ts.svc.RedeemPasswordCode(ctx, "ivy", done.PasswordCode.Code, "ivy's own passphrase",
		incident.Client{Address: "192.0.2.7", UserAgent: "test browser"}); err != nil {
		t.Fatal(err)
	}
	// A reset of comms, who is logged in: the approval ends the session.
	uiLogin(t, ts, "comms")
	if _, req, err = ts.svc.ResetPassword(ctx, admin, ts.users["comms"].ID, "lost phone"); err != nil || req == nil {
		t.Fatalf("reset: %v %+v", err, req)
	}
	if _, err := ts.svc.ApproveAccountRequest(ctx, incident.Actor{UserID: a2.ID, Name: a2.Name, Grants: a2.Grants}, req.ID, ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ts.svc.SetDisabled(ctx, admin, ts.users["rl"].ID, true, "phone stolen"); err != nil {
		t.Fatal(err)
	}
	c := uiLogin(t, ts, "admin")
	c.get(fmt.Sprintf("/incidents/%d/events?scope=all", id)).must(t, 200).has(t,
		"switched dual control of accounts on",
		"asked a second admin to approve: create user ivy with the roles recovery-lead; the approving admin receives a one-time code for them to set their password (account request 1)", "IR firm, ticket 4711",
		"approved account request 1: create user ivy", "called back",
		"created user ivy with the roles recovery-lead, approved by admin2",
		"issued a one-time password code for ivy (account request 1, approved by admin2), valid until",
		"set their password with a one-time code issued by admin at", "from 192.0.2.7, test browser",
		"issued a one-time password code for comms (account request 2, approved by admin2), valid until", "; 1 session ended", "lost phone",
		"disabled user rl", "phone stolen").lacks(t, "user.change_requested user:", "user.password_code_issued user:", "user.password_code_used user:")
}

// TestUIHeaderCountsWhatWaits: the header says how many account requests
// wait for a second admin (to admins only) and how many estate versions
// wait for a second person (to everyone), on every page.
func TestUIHeaderCountsWhatWaits(t *testing.T) {
	ts, id := newUIServer(t)
	ctx := context.Background()
	admin := incident.Actor{UserID: ts.users["admin"].ID, Name: "admin", Grants: ts.users["admin"].Grants}
	if _, err := ts.svc.BreakGlassAddUser(ctx, "admin2", testPassword, []incident.Grant{{Role: incident.RoleAdmin}}); err != nil {
		t.Fatal(err)
	}
	overview := fmt.Sprintf("/incidents/%d", id)
	c := uiLogin(t, ts, "admin")
	c.get(overview).must(t, 200).lacks(t, `waiting for a second admin"`, `waiting for a second person"`)
	if _, req, err := ts.svc.ResetPassword(ctx, admin, ts.users["rl"].ID, "locked out"); err != nil || req == nil {
		t.Fatalf("reset: %v %+v", err, req)
	}
	c.get(overview).must(t, 200).has(t, `aria-label="1 waiting for a second admin"`)
	v := uiLogin(t, ts, "viewer")
	v.get(overview).must(t, 200).lacks(t, `waiting for a second admin"`)
	// An estate version that drops the criticality-1 systems' two-person
	// rule (on a copy: the service's estate is shared).
	_, cached, err := ts.svc.Estate(ctx, admin, 0)
	if err != nil {
		t.Fatal(err)
	}
	est := *cached
	est.Systems = slices.Clone(cached.Systems)
	for i := range est.Systems {
		if est.Systems[i].Criticality == 1 {
			est.Systems[i].Criticality = 3
		}
	}
	doc, err := json.Marshal(est)
	if err != nil {
		t.Fatal(err)
	}
	ic := incident.Actor{UserID: ts.users["ic"].ID, Name: "ic", Grants: ts.users["ic"].Grants}
	if ver, err := ts.svc.UploadEstate(ctx, ic, estate.File{Name: "weaker.json", Data: doc}); err != nil || !ver.Pending() {
		t.Fatalf("upload: %v %+v", err, ver)
	}
	v.get(overview).must(t, 200).has(t, `aria-label="1 waiting for a second person"`)
}

// TestUIApprovalsShowsAskedLowering: a commander's request to need
// fewer approvals shows on the approvals page until a second commander
// confirms it.
func TestUIApprovalsShowsAskedLowering(t *testing.T) {
	ts, id := newUIServer(t)
	ctx := context.Background()
	as := func(name string) incident.Actor {
		return incident.Actor{UserID: ts.users[name].ID, Name: name, Grants: ts.users[name].Grants}
	}
	three, one := 3, 1
	if _, err := ts.svc.UpdateIncident(ctx, as("ic"), id, incident.IncidentUpdate{RequiredApprovals: &three}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.svc.UpdateIncident(ctx, as("ic"), id, incident.IncidentUpdate{RequiredApprovals: &one}); err != nil {
		t.Fatal(err)
	}
	c := uiLogin(t, ts, "viewer")
	page := fmt.Sprintf("/incidents/%d/approvals", id)
	c.get(page).must(t, 200).has(t, "Fewer approvals asked for.", "ic asked", "to need 1 approval", "instead of 3")
	if _, err := ts.svc.UpdateIncident(ctx, as("ic2"), id, incident.IncidentUpdate{RequiredApprovals: &one}); err != nil {
		t.Fatal(err)
	}
	c.get(page).must(t, 200).lacks(t, "Fewer approvals asked for.")
	c.get(fmt.Sprintf("/incidents/%d/events?type=incident.updated", id)).must(t, 200).has(t,
		"asked to need 1 approval for a restart; it waits for a second incident commander",
		"confirmed ic's request: a restart now needs 1 approval")
}

// TestUIRequiredApprovalsForm: a commander raises the approvals a
// restart needs from the approvals page at once; fewer waits for a
// second commander; others get no form and a 403.
func TestUIRequiredApprovalsForm(t *testing.T) {
	ts, id := newUIServer(t)
	page := fmt.Sprintf("/incidents/%d/approvals", id)
	form := fmt.Sprintf("/incidents/%d/required-approvals", id)
	ic := uiLogin(t, ts, "ic")
	ic.get(page).must(t, 200).has(t, `action="`+form+`"`, "People who must approve a restart")
	ic.follow(form, url.Values{"required": {"3"}}).has(t, "now needs 3 approvals")
	ic.follow(form, url.Values{"required": {"1"}}).has(t, "You asked to need 1 approval instead of 3", "Fewer approvals asked for.")
	ic2 := uiLogin(t, ts, "ic2")
	ic2.follow(form, url.Values{"required": {"1"}}).has(t, "now needs 1 approval")
	ic.follow(form, url.Values{"required": {"nine"}}).has(t, "choose how many people approve a restart")
	ic.follow(form, url.Values{"required": {"9"}}).has(t, "out of range")
	v := uiLogin(t, ts, "viewer")
	v.get(page).must(t, 200).lacks(t, `action="`+form+`"`)
	v.post(form, url.Values{"required": {"2"}}).must(t, http.StatusSeeOther)
	v.get(page).must(t, 200).has(t, "incident.update")
}

// TestUIHeaderLinksToIncidents: every page of a logged-in person links to
// the list of incidents, from which they reach another open incident, a
// closed one or the declare form; "/" alone leads only to the newest open
// incident.
func TestUIHeaderLinksToIncidents(t *testing.T) {
	ts, id := newUIServer(t)
	second := ts.declare("ic", incident.Declaration{Name: "Second site", Kind: "ransomware"})
	base := fmt.Sprintf("/incidents/%d", id)
	for _, user := range []string{"viewer", "ic", "admin"} {
		c := uiLogin(t, ts, user)
		for _, p := range []string{base, base + "/plan", base + "/systems/db", base + "/events", "/estate", "/me"} {
			c.get(p).must(t, 200).has(t, `<a href="/incidents">Incidents</a>`)
		}
		c.get("/incidents").must(t, 200).has(t, `<a href="/incidents" aria-current="page">Incidents</a>`,
			fmt.Sprintf(`href="/incidents/%d"`, second.ID), fmt.Sprintf(`href="/incidents/%d"`, id))
	}
	newUIClient(t, ts).get("/login").must(t, 200).lacks(t, `href="/incidents"`)
}

// TestUIPlanSaysWhatTheTimelineLeavesOut: when the timeline's row cap
// leaves systems out, the page says so in words, beside the count of
// systems shown and above the picture (not only in the picture's last
// line, cut off on a phone), and links to draw them all.
func TestUIPlanSaysWhatTheTimelineLeavesOut(t *testing.T) {
	ts, id := newUIServer(t)
	var v incident.IncidentView
	ts.mustStatus(ts.do("viewer", "GET", fmt.Sprintf("/api/v1/incidents/%d", id), nil), 200).decode(t, &v)
	n := len(v.Systems)
	if n < 3 {
		t.Fatalf("the small estate has %d systems", n)
	}
	c := uiLogin(t, ts, "viewer")
	plan := fmt.Sprintf("/incidents/%d/plan", id)
	c.get(plan).must(t, 200).lacks(t, `id="timeline-cut"`, "not drawn")
	c.get(plan+"?rows=2").must(t, 200).has(t,
		fmt.Sprintf("%d of %d systems; the timeline draws 2 of them, <a href=\"#timeline-cut\">%d left out</a>", n, n, n-2),
		`id="timeline-cut"`, fmt.Sprintf("<strong>%d of the %d systems are not drawn</strong>: the timeline stops at 2 rows.", n-2, n),
		fmt.Sprintf(`href="%s?rows=%d#timeline">Draw all %d</a>`, plan, n, n))
	// With a filter, the links keep it: to draw them all, and the
	// pictures alone (their query once escaped "=" and "&", and the
	// picture drew every team).
	c.get(plan+"?rows=1&team=apps").must(t, 200).has(t, `id="timeline-cut"`,
		`href="`+plan+`?rows=5&amp;team=apps#timeline">Draw all 5</a>`,
		`href="`+plan+`/timeline.svg?rows=1&amp;team=apps"`, `href="`+plan+`/waves.svg?rows=1&amp;team=apps"`).
		lacks(t, "%3d", "%26")
	c.get(fmt.Sprintf("%s?rows=%d", plan, n)).must(t, 200).lacks(t, `id="timeline-cut"`)
}
