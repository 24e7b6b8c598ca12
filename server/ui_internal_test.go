package server

import (
	"encoding/json"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/phasegate/phasegate/incident"
	"github.com/phasegate/phasegate/planner"
)

// uiTestFS is the embedded layout and parts with one page added.
func uiTestFS(t *testing.T, page string) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	for _, name := range uiShared {
		data, err := fs.ReadFile(uiFiles, name)
		if err != nil {
			t.Fatal(err)
		}
		m[name] = &fstest.MapFile{Data: data}
	}
	m["templates/page.html"] = &fstest.MapFile{Data: []byte(page)}
	return m
}

func TestUITemplatesParseAtStartUp(t *testing.T) {
	u := &ui{clock: time.Now}
	pages, err := parsePages(uiFiles, u.funcs())
	if err != nil {
		t.Fatalf("the embedded templates do not parse: %v", err)
	}
	for _, want := range []string{"login", "error", "incidents", "overview", "plan", "systems", "system", "isolate", "approvals", "events", "history", "whatif"} {
		if pages[want] == nil {
			t.Errorf("no page %q parsed", want)
		}
	}
	// A broken page stops the server at start-up, naming the file.
	for _, c := range []struct{ name, page, want string }{
		{"syntax", `{{define "main"}}{{if}}{{end}}`, "templates/page.html"},
		{"unknown function", `{{define "main"}}{{nosuchfunc .}}{{end}}`, "nosuchfunc"},
		{"no main block", `{{define "other"}}x{{end}}`, `defines no "main" block`},
		// Escaping is checked at start-up too, not at the first visit.
		{"escaping", `{{define "main"}}<a href="{{.Title}}{{end}}`, "templates/page.html"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := parsePages(uiTestFS(t, c.page), u.funcs())
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("parsePages: %v, want an error containing %q", err, c.want)
			}
		})
	}
	if _, err := parsePages(uiTestFS(t, `{{define "main"}}<p>fine</p>{{end}}`), u.funcs()); err != nil {
		t.Fatalf("a good page is refused: %v", err)
	}
}

// externalRef finds references to anything outside the server: absolute
// URLs, protocol-relative ones, @import and CSS url() of another origin.
var externalRef = regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}|@import|url\(\s*['"]?(https?:|//)`)

// xmlNamespaces are identifiers, never fetched.
var xmlNamespaces = []string{"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}

func TestUINoExternalURLs(t *testing.T) {
	for _, bad := range []string{`<script src="https://cdn.example.com/x.js">`, `<link href="//fonts.example.org/css">`,
		`@import "x.css";`, `background: url(https://img.example.net/a.png)`, `<a href="http://intranet.corp.example">`} {
		if !externalRef.MatchString(bad) {
			t.Fatalf("the scan misses %s", bad)
		}
	}
	var checked int
	for _, dir := range []string{"templates", "static"} {
		files, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			name := filepath.Join(dir, f.Name())
			data, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			checked++
			text := string(data)
			for _, ns := range xmlNamespaces {
				text = strings.ReplaceAll(text, ns, "")
			}
			for _, m := range externalRef.FindAllStringIndex(text, -1) {
				line := strings.Count(text[:m[0]], "\n") + 1
				t.Errorf("%s:%d: refers outside the server (%q): the UI must work with no internet; embed it instead", name, line, text[m[0]:m[1]])
			}
		}
	}
	if checked < 10 {
		t.Fatalf("only %d files checked; are the templates and assets where the test looks?", checked)
	}
	// The embedded copy is what is served: every file on disk is in it.
	embedded := 0
	fs.WalkDir(uiFiles, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			embedded++
		}
		return nil
	})
	if embedded != checked {
		t.Errorf("%d files embedded, %d on disk: the scan must see what is served", embedded, checked)
	}
}

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"/incidents/1":               "/incidents/1",
		"/incidents/1?x=1#y":         "/incidents/1?x=1#y",
		"":                           "/",
		"//evil.example/x":           "/",
		`/\evil.example`:             "/",
		"https://evil.example/":      "/",
		"incidents/1":                "/",
		"/ok\r\nSet-Cookie: a=b":     "/",
		"javascript:alert(1)":        "/",
		"/incidents/1/systems/a%20b": "/incidents/1/systems/a%20b",
	} {
		if got := localPath(in, "/"); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestUIFormats(t *testing.T) {
	for _, c := range []struct {
		cur  string
		v    float64
		want string
	}{
		{"GBP", 1_484_666_666, "£1.48bn"}, {"GBP", 496_000_000, "£496m"}, {"GBP", 11_500_000, "£11.5m"},
		{"EUR", 12_500, "€12.5k"}, {"USD", 999, "$999"}, {"CHF", 2_000_000, "CHF 2.00m"}, {"GBP", -5000, "−£5,000"},
		{"GBP", math.NaN(), "£0"},
	} {
		if got := fmtMoney(c.cur, c.v); got != c.want {
			t.Errorf("fmtMoney(%s, %v) = %q, want %q", c.cur, c.v, got, c.want)
		}
	}
	now := time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)
	for d, want := range map[time.Duration]string{
		30 * time.Second: "just now", 5 * time.Minute: "in 5 min", -5 * time.Minute: "5 min ago",
		90 * time.Minute: "in 1 h 30 min", 26 * time.Hour: "in 26 h", 50 * time.Hour: "in 2 d 2 h", -12 * 24 * time.Hour: "12 d ago",
		// Rounded, not cut: a date 32 days after a plan made seconds
		// before the page is "in 32 d", as the plan itself says.
		32*24*time.Hour - 20*time.Second: "in 32 d", 31*24*time.Hour + 11*time.Hour: "in 31 d", 31*24*time.Hour + 13*time.Hour: "in 32 d",
		3*24*time.Hour + 4*time.Hour - 10*time.Second: "in 3 d 4 h", 59*time.Minute + 50*time.Second: "in 1 h",
		-(47*time.Hour + 59*time.Minute + 50*time.Second): "2 d ago",
	} {
		if got := fmtRel(now, now.Add(d)); got != want {
			t.Errorf("fmtRel(%v) = %q, want %q", d, got, want)
		}
	}
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -4200: "−4,200"} {
		if got := fmtNum(n); got != want {
			t.Errorf("fmtNum(%d) = %q, want %q", n, got, want)
		}
	}
	if got := fmtHours(36); got != "36 h" {
		t.Errorf("fmtHours(36) = %q", got)
	}
	if got := fmtHours(768); got != "32 d" {
		t.Errorf("fmtHours(768) = %q", got)
	}
	for h, want := range map[float64]string{0: "no change", 0.01: "no change", 0.5: "30 min later", -5: "5 h earlier",
		36.25: "36.3 h later", 48: "2 days later", -79.2: "3.3 days earlier", math.NaN(): "no change"} {
		if got := fmtShift(h); got != want {
			t.Errorf("fmtShift(%v) = %q, want %q", h, got, want)
		}
	}
	for v, want := range map[float64]string{0.4: "no change", 1_200_000: "£1.20m more", -350_000: "£350k less"} {
		if got := fmtCostShift("GBP", v); got != want {
			t.Errorf("fmtCostShift(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestPlanCacheSharesOnePlan(t *testing.T) {
	var c planCache
	var mu sync.Mutex
	calls := 0
	compute := func() (*uiPlan, error) {
		mu.Lock()
		calls++
		mu.Unlock()
		time.Sleep(20 * time.Millisecond) // long enough for the others to wait
		return &uiPlan{plan: &planner.Plan{MakespanHours: 1}}, nil
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if p, err := c.get(1, "k1", t0, compute); err != nil || p == nil {
				t.Errorf("get: %v %v", p, err)
			}
		})
	}
	wg.Wait()
	if calls != 1 {
		t.Fatalf("8 concurrent pages computed %d plans, want 1", calls)
	}
	c.get(1, "k1", t0.Add(planTTL-time.Second), compute)
	if calls != 1 {
		t.Fatalf("a plan younger than planTTL was recomputed")
	}
	c.get(1, "k2", t0.Add(time.Second), compute) // a system moved
	c.get(2, "k2", t0.Add(time.Second), compute) // another incident
	if calls != 3 {
		t.Fatalf("%d computations, want 3: a new state and another incident each need their own", calls)
	}
	c.get(1, "k2", t0.Add(time.Second+planTTL), compute) // too old
	if calls != 4 {
		t.Fatalf("a plan older than planTTL was served")
	}
	// A failure is not kept.
	fails := 0
	failing := func() (*uiPlan, error) { fails++; return nil, errors.New("store down") }
	if _, err := c.get(3, "k", t0, failing); err == nil {
		t.Fatal("the error was lost")
	}
	c.get(3, "k", t0, compute)
	if fails != 1 || calls != 5 {
		t.Fatalf("after a failure: %d failures, %d computations; want the next page to compute afresh", fails, calls)
	}
}

func TestRefreshText(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-1: "", 0: "", time.Hour: "hour", 3 * time.Hour: "3 hours", 15 * time.Minute: "15 minutes", 90 * time.Second: "1m30s",
	} {
		if got := refreshText(d); got != want {
			t.Errorf("refreshText(%v) = %q, want %q", d, got, want)
		}
	}
}

// TestUICheckRunWords: a system.verified event and the flash after a run
// say what passed, what failed and what it found, and why a run did not
// count for going online.
func TestUICheckRunWords(t *testing.T) {
	ok := incident.CheckResult{Check: "TCP gw:22 opens", OK: true, Detail: "open in 1 ms"}
	bad := incident.CheckResult{Check: "GET https://gw/health → 200", Detail: "HTTP 503 in 12 ms, want 200"}
	event := func(passed, counts bool, state incident.State, rs ...incident.CheckResult) incident.Event {
		p, err := json.Marshal(map[string]any{"system": "gw", "passed": passed, "results": rs, "state": state, "counts": counts})
		if err != nil {
			t.Fatal(err)
		}
		return incident.Event{Seq: 7, IncidentID: 1, Actor: "rita", Type: incident.EventSystemChecked, Subject: "system:gw", Payload: p}
	}
	for _, c := range []struct {
		e    incident.Event
		want string
	}{
		{event(true, true, incident.StateVerifying, ok, ok), "ran the 2 checks of gw and they passed"},
		{event(false, true, incident.StateVerifying, bad), "ran the check of gw and it failed: GET https://gw/health → 200: HTTP 503 in 12 ms, want 200"},
		{event(false, true, incident.StateVerifying, ok, bad), "ran the 2 checks of gw and 1 of them failed: GET https://gw/health → 200: HTTP 503"},
		{event(false, true, incident.StateVerifying, bad, bad), "ran the 2 checks of gw and they failed: "},
		{event(true, false, incident.StateOnline, ok), "gw and it passed (run while it was online: it does not count for going online)"},
		{event(true, false, incident.StateVerifying, ok), "(the system moved while they ran: the run does not count for going online)"},
		{event(true, false, incident.StateRestoring, ok), "(the system moved to restoring while they ran: the run does not count for going online)"},
	} {
		ev := describeEvent(c.e)
		if got := ev.Before + " " + ev.System + " " + ev.After; !strings.Contains(got, c.want) || ev.SystemURL != "/incidents/1/systems/gw" {
			t.Errorf("%s: %q (link %q), want %q", c.e.Payload, got, ev.SystemURL, c.want)
		}
	}
	for _, c := range []struct {
		run   incident.CheckRun
		state incident.State
		kind  string
		want  string
	}{
		{incident.CheckRun{Passed: true, Counts: true, Results: []incident.CheckResult{ok, ok}}, incident.StateVerifying, "ok",
			"The 2 checks of gw passed: it may now move to online."},
		{incident.CheckRun{Counts: true, Results: []incident.CheckResult{ok, bad}}, incident.StateVerifying, "error",
			"1 of the 2 checks of gw failed: it cannot go online until they pass."},
		{incident.CheckRun{Results: []incident.CheckResult{bad}}, incident.StateOnline, "error",
			"The check of gw failed while it is online. It stays online"},
		{incident.CheckRun{Passed: true, Results: []incident.CheckResult{ok}}, incident.StateOnline, "ok",
			"gw is online: the run is on the record and changes nothing."},
		{incident.CheckRun{Passed: true, Results: []incident.CheckResult{ok}}, incident.StateRestoring, "wait",
			"passed, but gw moved while they ran (it is restoring now), so this run does not count for going online; run them again."},
		{incident.CheckRun{Results: []incident.CheckResult{bad}}, "", "error", "failed, and this run does not count for going online."},
	} {
		c.run.State = c.state
		f := verifyFlash("gw", &c.run)
		if f.Kind != c.kind || !strings.Contains(f.Text, c.want) {
			t.Errorf("%+v in %q: %s %q, want %s %q", c.run, c.state, f.Kind, f.Text, c.kind, c.want)
		}
		if !c.run.Passed && (len(f.Items) == 0 || !strings.Contains(f.Items[0], "HTTP 503")) {
			t.Errorf("%+v: the failing checks are not listed: %q", c.run, f.Items)
		}
	}
}

// TestUITokenEventWords: token.created, token.revoked, a disable that
// revoked tokens, and a backlog count read as sentences, not the event
// type and a JSON dump.
func TestUITokenEventWords(t *testing.T) {
	event := func(typ string, p map[string]any) incident.Event {
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		return incident.Event{Seq: 3, Actor: "admin", Type: typ, Subject: "user:ivy", Payload: b}
	}
	for _, c := range []struct {
		e    incident.Event
		want string
	}{
		{event(incident.EventTokenCreated, map[string]any{"token": 9, "user": "ivy", "role": "viewer", "label": "nightly",
			"expires_at": "2026-03-05T10:00:00.000000Z"}),
			"admin created API token 9 “nightly” for ivy (role viewer, expires Thu 5 Mar 10:00 UTC)"},
		{event(incident.EventTokenCreated, map[string]any{"token": 10, "user": "ivy", "role": "comms", "label": ""}),
			"admin created API token 10 for ivy (role comms, no expiry)"},
		{event(incident.EventTokenRevoked, map[string]any{"token": 9, "user": "ivy", "role": "viewer"}),
			"admin revoked API token 9 of ivy (role viewer)"},
		{event(incident.EventUserDisabled, map[string]any{"name": "ivy", "disabled": true, "tokens_revoked": 2, "reason": "laptop stolen"}),
			"admin disabled user ivy; 2 API tokens revoked for good — “laptop stolen”"},
		{event(incident.EventUserDisabled, map[string]any{"name": "ivy", "disabled": true, "tokens_revoked": 0}),
			"admin disabled user ivy"},
		{event(incident.EventBacklogMeasured, map[string]any{"backlog": "invoices", "remaining": 11200, "service_back": true,
			"at": "2026-03-05T09:00:00.000000Z", "note": "AP ledger"}),
			"admin counted 11,200 outstanding in backlog invoices at Thu 5 Mar 09:00 UTC (its service back) — “AP ledger”"},
	} {
		if got := describeEvent(c.e).Text(); got != c.want {
			t.Errorf("%s %s:\n got %q\nwant %q", c.e.Type, c.e.Payload, got, c.want)
		}
	}
}
