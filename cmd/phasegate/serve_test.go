package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phasegate/phasegate/incident"
	"github.com/phasegate/phasegate/internal/pgtest"
)

// lockedBuffer is an output safe to read while the app writes it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var fastSettings = incident.Settings{
	Password:      incident.PasswordParams{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16},
	PlanSchedules: 20,
}

// testEnv is an env writing to buffers.
func testEnv(stdin string) (env, *lockedBuffer, *lockedBuffer) {
	out, errb := &lockedBuffer{}, &lockedBuffer{}
	return env{stdin: strings.NewReader(stdin), stdout: out, stderr: errb, now: time.Now,
		getenv: func(string) string { return "" }}, out, errb
}

// startApp runs phasegate serve in-process on 127.0.0.1:0 and returns
// its URL and a function that stops it and returns Run's error.
func startApp(t *testing.T, cfg serveConfig, e env) (string, func() error) {
	t.Helper()
	cfg.addr = "127.0.0.1:0"
	cfg.insecureCookies = "auto"
	cfg.logFormat = "text"
	cfg.shutdownTimeout = 5 * time.Second
	cfg.settings = fastSettings
	cfg.logWriter = io.Discard
	app := newApp(cfg, e)
	if err := app.Open(context.Background()); err != nil {
		app.Close()
		t.Fatalf("open: %v\nstdout: %s\nstderr: %s", err, e.stdout, e.stderr)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(15 * time.Second):
			t.Fatalf("the server did not stop within 15s")
			return nil
		}
	}
	t.Cleanup(func() { stop(); app.Close() })
	return "http://" + app.Addr(), stop
}

func TestServeDemoFirstStartAndRestart(t *testing.T) {
	db := filepath.Join(t.TempDir(), "phasegate.db")
	e, out, _ := testEnv("")
	url, stop := startApp(t, serveConfig{db: db, demo: true}, e)

	text := out.String()
	m := regexp.MustCompile(`(?m)^\s{4}(\S+)\s*$`).FindStringSubmatch(text)
	if m == nil || !strings.Contains(text, `Created user "admin"`) {
		t.Fatalf("first start printed no admin password:\n%s", text)
	}
	password := m[1]
	for _, want := range []string{"Loaded the Northfield Motors demo estate", "Declared demo incident 1",
		"restart plan: all systems back", "cost of downtime", "back on", "listening on http://127.0.0.1:"} {
		if !strings.Contains(text, want) {
			t.Errorf("start-up output lacks %q:\n%s", want, text)
		}
	}

	// call sends a request with the headers h (a session) and a JSON body
	// ("" for none).
	call := func(method, path, body string, h http.Header) (int, string) {
		req, _ := http.NewRequest(method, url+path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		for k, v := range h {
			req.Header[k] = v
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	get := func(path string, h http.Header) (int, string) { return call("GET", path, "", h) }
	if code, body := get("/healthz", nil); code != 200 || !strings.Contains(body, `"ok"`) {
		t.Errorf("/healthz: %d %s", code, body)
	}
	if code, body := get("/metrics", nil); code != 200 || !strings.Contains(body, "phasegate_events_appended_total") ||
		!strings.Contains(body, "phasegate_store_clock_offset_seconds 0\n") {
		t.Errorf("/metrics: %d, no events counter or no clock offset of 0 on SQLite", code)
	}
	res, err := http.Post(url+"/api/v1/session", "application/json",
		strings.NewReader(fmt.Sprintf(`{"name":"admin","password":%q}`, password)))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 201 || len(res.Cookies()) != 1 || res.Cookies()[0].Secure {
		t.Fatalf("login with the printed password: %d %v (plain HTTP on loopback: no Secure)", res.StatusCode, res.Cookies())
	}
	h := http.Header{"Cookie": {res.Cookies()[0].String()}}
	code, body := get("/api/v1/incidents/1", h)
	if code != 200 {
		t.Fatalf("demo incident: %d %s", code, body)
	}
	var view incident.IncidentView
	json.Unmarshal([]byte(body), &view)
	moved := view.Counts[incident.StateOnline] + view.Counts[incident.StateInvestigating] + view.Counts[incident.StateCleared]
	if !view.TotalShutdown || moved == 0 || view.PendingApprovals == 0 || view.Counts[incident.StateIsolated] == 0 {
		t.Errorf("the demo incident should be a total shutdown with some systems moved along and an approval pending: %v, %d pending",
			view.Counts, view.PendingApprovals)
	}
	// The printed demo accounts log in and hold their roles: the
	// commander may act on the recovery (isolate), the viewer may not.
	demoLogin := func(name string) http.Header {
		t.Helper()
		m := regexp.MustCompile(`(?m)^\s{4}` + name + `\s+(\S+)\s{3}`).FindStringSubmatch(text)
		if m == nil {
			t.Fatalf("no demo account %q printed:\n%s", name, text)
		}
		res, err := http.Post(url+"/api/v1/session", "application/json",
			strings.NewReader(fmt.Sprintf(`{"name":%q,"password":%q}`, name, m[1])))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 201 {
			t.Fatalf("demo account %s: login %d", name, res.StatusCode)
		}
		return http.Header{"Cookie": {res.Cookies()[0].String()}}
	}
	isolate := func(h http.Header) int {
		code, _ := call("POST", "/api/v1/incidents/1/isolate", `{"selector":{"all":true},"reason":"demo check"}`, h)
		return code
	}
	// The demo's pending restart was asked for by a person (commander),
	// not by phasegate itself: the requester cannot approve it, and a
	// second person (lead) completes it, so one person alone never does.
	code, body = get("/api/v1/incidents/1/approvals?status=pending", h)
	var pending struct {
		Approvals []incident.Approval `json:"approvals"`
	}
	json.Unmarshal([]byte(body), &pending)
	if code != 200 || len(pending.Approvals) != 1 || pending.Approvals[0].RequestedBy != "commander" {
		t.Fatalf("the demo's pending request should be commander's: %d %s", code, body)
	}
	approve := func(h http.Header) (int, string) {
		return call("POST", fmt.Sprintf("/api/v1/approvals/%d/approve", pending.Approvals[0].ID), `{"note":"demo check"}`, h)
	}
	if code, body := approve(demoLogin("commander")); code != 403 {
		t.Errorf("demo commander approving their own request: %d %s, want 403", code, body)
	}
	if code, body := approve(demoLogin("lead")); code != 200 || !strings.Contains(body, `"done": true`) {
		t.Errorf("demo lead approving commander's request: %d %s, want 200 and the move done", code, body)
	}
	if code := isolate(demoLogin("commander")); code != 200 {
		t.Errorf("demo commander isolating: %d, want 200", code)
	}
	if code := isolate(demoLogin("viewer")); code != 403 {
		t.Errorf("demo viewer isolating: %d, want 403", code)
	}

	if err := stop(); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}

	// A restart finds everything: no second admin, no second incident.
	e2, out2, _ := testEnv("")
	url2, stop2 := startApp(t, serveConfig{db: db, demo: true}, e2)
	if strings.Contains(out2.String(), "Created user") || strings.Contains(out2.String(), "Declared demo") {
		t.Errorf("restart created again:\n%s", out2)
	}
	url = url2
	code, body = get("/api/v1/incidents", h)
	if code != 200 || strings.Count(body, `"id"`) != 1 {
		t.Errorf("after restart: %d %s (the session survives, one incident)", code, body)
	}
	stop2()
}

func TestServeRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--insecure-cookies", "maybe"},
		{"--addr", "nocolon"},
		{"--postgres", "mysql://x"},
		{"--log-format", "xml"},
		{"stray"},
	} {
		e, _, errb := testEnv("")
		if code := run(context.Background(), append([]string{"serve"}, args...), e); code != exitUsage {
			t.Errorf("serve %v: exit %d, want %d (%s)", args, code, exitUsage, errb)
		}
	}
}

func TestSecureCookiesAuto(t *testing.T) {
	c := serveConfig{insecureCookies: "auto"}
	for addr, want := range map[string]bool{"127.0.0.1:8080": false, "[::1]:80": false, "localhost:1": false,
		"0.0.0.0:8080": true, "10.1.2.3:443": true, "example.org:443": true} {
		if got := c.secureCookies(addr); got != want {
			t.Errorf("auto on %s: Secure=%v, want %v", addr, got, want)
		}
	}
	c.insecureCookies = "true"
	if c.secureCookies("10.1.2.3:443") {
		t.Errorf("--insecure-cookies true still sets Secure")
	}
	c.insecureCookies = "false"
	if !c.secureCookies("127.0.0.1:1") {
		t.Errorf("--insecure-cookies false does not set Secure")
	}
}

func TestServeEstateIsUploadedOnlyWhenChanged(t *testing.T) {
	db := filepath.Join(t.TempDir(), "phasegate.db")
	estateDir := filepath.Join("..", "..", "examples", "northfield-motors")
	e, out, _ := testEnv("")
	_, stop := startApp(t, serveConfig{db: db, estatePaths: []string{estateDir}}, e)
	stop()
	if !strings.Contains(out.String(), "Loaded the estate as version 1: 133 systems") {
		t.Fatalf("first start with --estate:\n%s", out)
	}
	e, out, _ = testEnv("")
	_, stop = startApp(t, serveConfig{db: db, estatePaths: []string{estateDir}}, e)
	stop()
	if !strings.Contains(out.String(), "unchanged since version 1") {
		t.Fatalf("second start with the same estate:\n%s", out)
	}
	// An invalid estate stops the start with every problem listed.
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("version: 1\nsystems:\n  - {id: a, kind: nonsense}\n"), 0o600)
	e, _, errb := testEnv("")
	app := newApp(serveConfig{db: db, addr: "127.0.0.1:0", estatePaths: []string{bad}, settings: fastSettings, logWriter: io.Discard}, e)
	err := app.Open(context.Background())
	app.Close()
	if err == nil || !strings.Contains(errb.String(), "bad.yaml:3") {
		t.Fatalf("invalid --estate: err %v, stderr:\n%s", err, errb)
	}
}

func TestServeOnPostgreSQL(t *testing.T) {
	dsn, _ := pgtest.Schema(t, "cmdtest")
	e, out, _ := testEnv("")
	url, stop := startApp(t, serveConfig{postgres: dsn, demo: true}, e)
	res, err := http.Get(url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(out.String(), "PostgreSQL") || !strings.Contains(out.String(), "Declared demo incident") {
		t.Fatalf("serve --postgres: /healthz %d, output:\n%s", res.StatusCode, out)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}
