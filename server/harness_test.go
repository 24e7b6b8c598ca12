package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phasegate/phasegate/estate"
	northfield "github.com/phasegate/phasegate/examples/northfield-motors"
	"github.com/phasegate/phasegate/incident"
	"github.com/phasegate/phasegate/internal/pgtest"
	"github.com/phasegate/phasegate/probe"
	"github.com/phasegate/phasegate/server"
	"github.com/phasegate/phasegate/store"
)

// The tests run the real server on 127.0.0.1 over a real store: a SQLite
// file, and PostgreSQL at 127.0.0.1:5432 (database test, user postgres)
// in a fresh schema. Only the test wires the store in: package server
// itself never imports it.

// fastPasswords keeps argon2id real but cheap.
var fastPasswords = incident.PasswordParams{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

const testPassword = "correct horse battery staple"

type backend struct {
	name string
	open func(t testing.TB) *store.DB
}

func backends() []backend {
	return []backend{{"sqlite", openSQLite}, {"postgres", openPostgres}}
}

// forEachBackend runs fn on a server over SQLite and over PostgreSQL.
func forEachBackend(t *testing.T, opts serverOptions, fn func(t *testing.T, ts *testServer)) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			fn(t, newTestServer(t, b, opts))
		})
	}
}

func openSQLite(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "phasegate.db"), time.Now)
	if err != nil {
		t.Fatalf("open SQLite: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// openPostgres opens a store in a fresh schema, dropped after the test.
// Without PostgreSQL the test fails, unless PHASEGATE_SKIP_POSTGRES=1.
func openPostgres(t testing.TB) *store.DB {
	t.Helper()
	dsn, schema := pgtest.Schema(t, "srvtest")
	db, err := store.OpenPostgres(context.Background(), dsn, time.Now)
	if err != nil {
		t.Fatalf("open PostgreSQL schema %s: %v", schema, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

type serverOptions struct {
	// estate uploaded at start: "small" (testdata/estate.yaml), "demo"
	// or "" for none.
	estate    string
	settings  incident.Settings
	heartbeat time.Duration
	// clock is the service's clock (nil: time.Now); the store keeps the
	// real time. live tunes the live forecasts.
	clock func() time.Time
	live  server.LiveConfig
}

// testUsers are the accounts every test server has: one per role (two
// of some, for the two-person rule), password testPassword.
var testUsers = []struct {
	name   string
	grants []incident.Grant
}{
	{"admin", []incident.Grant{{Role: incident.RoleAdmin}}},
	{"ic", []incident.Grant{{Role: incident.RoleIncidentCommander}}},
	{"ic2", []incident.Grant{{Role: incident.RoleIncidentCommander}}},
	{"rl", []incident.Grant{{Role: incident.RoleRecoveryLead}}},
	{"rl2", []incident.Grant{{Role: incident.RoleRecoveryLead}}},
	{"owner", []incident.Grant{{Role: incident.RoleSystemOwner, Teams: []string{"apps"}}}},
	{"forensics", []incident.Grant{{Role: incident.RoleForensics}}},
	{"comms", []incident.Grant{{Role: incident.RoleComms}}},
	{"viewer", []incident.Grant{{Role: incident.RoleViewer}}},
}

// testServer is a real server on 127.0.0.1 over a real store.
type testServer struct {
	t       testing.TB
	url     string
	db      *store.DB
	svc     *incident.Service
	srv     *server.Server
	metrics *server.Metrics
	users   map[string]*incident.User
	tokens  map[string]string // user name → API token
	logs    *syncBuffer
}

func newTestServer(t testing.TB, b backend, opts serverOptions) *testServer {
	t.Helper()
	ctx := context.Background()
	db := b.open(t)
	settings := opts.settings
	settings.Password = fastPasswords
	if settings.PlanSchedules == 0 {
		settings.PlanSchedules = 20
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	metrics := server.NewMetrics(nil)
	broker := server.NewBroker(metrics)
	clock := opts.clock
	if clock == nil {
		clock = time.Now
	}
	svc := incident.New(incident.Config{Store: db, Clock: clock, Publish: broker.Publish, Log: log, Settings: settings,
		Prober: probe.New(nil)})
	ts := &testServer{t: t, db: db, svc: svc, metrics: metrics, users: map[string]*incident.User{},
		tokens: map[string]string{}, logs: logs}
	for _, u := range testUsers {
		nu, err := svc.BreakGlassAddUser(ctx, u.name, testPassword, u.grants)
		if err != nil {
			t.Fatalf("add user %s: %v", u.name, err)
		}
		ts.users[u.name] = nu
		tok, err := svc.BreakGlassCreateToken(ctx, u.name, "", "test")
		if err != nil {
			t.Fatalf("token for %s: %v", u.name, err)
		}
		ts.tokens[u.name] = tok.Secret
	}
	srv, err := server.New(server.Config{Service: svc, Broker: broker, Metrics: metrics, Log: log,
		Health: func(ctx context.Context) error {
			return db.View(ctx, func(tx incident.Tx) error { _, _, err := tx.ChainHead(); return err })
		},
		Heartbeat: opts.heartbeat, Live: opts.live})
	if err != nil {
		t.Fatal(err)
	}
	ts.srv = srv
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	hs.RegisterOnShutdown(srv.Close)
	go hs.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(ctx)
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	ts.url = "http://" + ln.Addr().String()
	switch opts.estate {
	case "small":
		data, err := os.ReadFile("testdata/estate.yaml")
		if err != nil {
			t.Fatal(err)
		}
		ts.mustStatus(ts.do("ic", "PUT", "/api/v1/estate", rawBody{"application/yaml", data}), 201)
	case "demo":
		ts.uploadDemo()
	}
	return ts
}

// rawBody is a request body sent as is, with its content type.
type rawBody struct {
	contentType string
	data        []byte
}

// response is an answer, read whole.
type response struct {
	status int
	header http.Header
	body   []byte
	req    string
}

// do calls the API with the token of user ("" for nobody).
func (ts *testServer) do(user, method, path string, body any) *response {
	ts.t.Helper()
	h := http.Header{}
	if user != "" {
		tok, ok := ts.tokens[user]
		if !ok {
			ts.t.Fatalf("no token for %s", user)
		}
		h.Set("Authorization", "Bearer "+tok)
	}
	return ts.request(h, method, path, body)
}

func (ts *testServer) request(h http.Header, method, path string, body any) *response {
	ts.t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case rawBody:
		rd, ct = bytes.NewReader(b.data), b.contentType
	case string:
		rd, ct = strings.NewReader(b), "application/json"
	default:
		data, err := json.Marshal(b)
		if err != nil {
			ts.t.Fatal(err)
		}
		rd, ct = bytes.NewReader(data), "application/json"
	}
	req, err := http.NewRequest(method, ts.url+path, rd)
	if err != nil {
		ts.t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		ts.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		ts.t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return &response{status: res.StatusCode, header: res.Header, body: data, req: method + " " + path}
}

func (ts *testServer) mustStatus(r *response, want int) *response {
	ts.t.Helper()
	if r.status != want {
		ts.t.Fatalf("%s: status %d, want %d; body: %s", r.req, r.status, want, r.body)
	}
	return r
}

// decode decodes a JSON answer.
func (r *response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("%s: decoding %s: %v", r.req, r.body, err)
	}
}

func (r *response) errorBody(t testing.TB) server.ErrorResponse {
	t.Helper()
	var e server.ErrorResponse
	r.decode(t, &e)
	if e.Code == "" || e.Message == "" {
		t.Fatalf("%s: error answer without code and message: %s", r.req, r.body)
	}
	return e
}

func (ts *testServer) uploadDemo() {
	ts.t.Helper()
	files, err := demoFiles()
	if err != nil {
		ts.t.Fatal(err)
	}
	body, ct := multipartFiles(ts.t, files)
	ts.mustStatus(ts.do("ic", "PUT", "/api/v1/estate", rawBody{ct, body}), 201)
}

// declare declares an incident on the latest estate and returns it.
func (ts *testServer) declare(user string, d incident.Declaration) incident.IncidentView {
	ts.t.Helper()
	var v incident.IncidentView
	ts.mustStatus(ts.do(user, "POST", "/api/v1/incidents", d), 201).decode(ts.t, &v)
	return v
}

// transition asks for a move and returns the answer.
func (ts *testServer) transition(user string, id int64, sys string, to incident.State) *response {
	ts.t.Helper()
	return ts.do(user, "POST", path("/api/v1/incidents/%d/systems/%s/transition", id, sys),
		map[string]string{"to": string(to), "reason": "test: " + string(to)})
}

// tickAll ticks every checklist item of a system.
func (ts *testServer) tickAll(user string, id int64, sys string) {
	ts.t.Helper()
	var cl struct {
		Items []incident.ChecklistItem `json:"items"`
	}
	ts.mustStatus(ts.do(user, "GET", path("/api/v1/incidents/%d/systems/%s/checklist", id, sys), nil), 200).decode(ts.t, &cl)
	for _, it := range cl.Items {
		ts.mustStatus(ts.do(user, "POST", path("/api/v1/incidents/%d/systems/%s/checklist", id, sys),
			incident.Tick{Item: it.Key, Done: true, Note: "checked", Evidence: "CASE-" + sys + "-" + it.Key}), 200)
	}
}

// login logs in with a password and returns the session cookie header.
func (ts *testServer) login(user string) http.Header {
	ts.t.Helper()
	jar, _ := cookiejar.New(nil)
	r := ts.request(http.Header{}, "POST", "/api/v1/session", map[string]string{"name": user, "password": testPassword})
	ts.mustStatus(r, 201)
	u, _ := url.Parse(ts.url)
	jar.SetCookies(u, (&http.Response{Header: r.header}).Cookies())
	h := http.Header{}
	for _, c := range jar.Cookies(u) {
		h.Add("Cookie", c.String())
	}
	if h.Get("Cookie") == "" {
		ts.t.Fatalf("login of %s set no cookie: %v", user, r.header)
	}
	return h
}

func path(format string, args ...any) string {
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = url.PathEscape(s)
		}
	}
	return fmt.Sprintf(format, args...)
}

// syncBuffer is a log sink safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func demoFiles() ([]estate.File, error) { return northfield.Files() }

// multipartFiles builds a multipart/form-data body with one file part per
// file.
func multipartFiles(t testing.TB, files []estate.File) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range files {
		w, err := mw.CreateFormFile("file", f.Name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(f.Data)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), mw.FormDataContentType()
}

func mustRead(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// newBenchServer is a SQLite server for benchmarks, planning with the
// default effort.
func newBenchServer(b *testing.B, estate string) *testServer {
	b.Helper()
	return newTestServer(b, backend{"sqlite", openSQLite},
		serverOptions{estate: estate, settings: incident.Settings{PlanSchedules: incident.DefaultSettings.PlanSchedules}})
}
