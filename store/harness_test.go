package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/incident"
	"github.com/phasegate/phasegate/internal/pgtest"
	"github.com/phasegate/phasegate/store"
)

// clock is a settable clock shared by the store and the service.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	return &clock{t: time.Date(2025, 9, 1, 8, 0, 0, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// backend opens a fresh store of one dialect.
type backend struct {
	name string
	open func(t testing.TB, c *clock) (*store.DB, opener)
}

// opener opens the same database again.
type opener func() (*store.DB, error)

func backends() []backend {
	return []backend{{"sqlite", openSQLite}, {"postgres", openPostgres}}
}

// forEachStore runs fn against SQLite (a temp file) and PostgreSQL (a
// fresh schema, dropped after).
func forEachStore(t *testing.T, fn func(t *testing.T, h *harness)) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			h := newHarness(t, b)
			fn(t, h)
		})
	}
}

// openSQLite returns a store on a new file and a function that reopens it.
func openSQLite(t testing.TB, c *clock) (*store.DB, opener) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "phasegate.db")
	reopen := func() (*store.DB, error) { return store.OpenSQLite(context.Background(), path, c.Now) }
	db, err := reopen()
	if err != nil {
		t.Fatalf("open SQLite %s: %v", path, err)
	}
	t.Cleanup(func() { db.Close() })
	return db, reopen
}

// openPostgres returns a store in a fresh schema and a function that
// reopens it. Without PostgreSQL the test fails, unless
// PHASEGATE_SKIP_POSTGRES=1 says to skip.
func openPostgres(t testing.TB, c *clock) (*store.DB, opener) {
	t.Helper()
	dsn, schema := pgtest.Schema(t, "pgtest")
	reopen := func() (*store.DB, error) { return store.OpenPostgres(context.Background(), dsn, c.Now) }
	db, err := reopen()
	if err != nil {
		t.Fatalf("open PostgreSQL schema %s: %v", schema, err)
	}
	t.Cleanup(func() { db.Close() })
	return db, reopen
}

// harness is a store, a service on it, and one user per role.
type harness struct {
	t      testing.TB
	ctx    context.Context
	clock  *clock
	db     *store.DB
	reopen opener
	svc    *incident.Service
	// published collects what the service published after commits.
	pubMu     sync.Mutex
	published []incident.Event
	actors    map[string]incident.Actor
}

// fastPasswords keeps argon2id real but cheap in tests.
var fastPasswords = incident.PasswordParams{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

const testPassword = "correct horse battery staple"

func newHarness(t testing.TB, b backend) *harness {
	t.Helper()
	h := &harness{t: t, ctx: context.Background(), clock: newClock(), actors: map[string]incident.Actor{}}
	h.db, h.reopen = b.open(t, h.clock)
	h.svc = incident.New(incident.Config{
		Store: h.db, Clock: h.clock.Now,
		Publish: func(es []incident.Event) {
			h.pubMu.Lock()
			h.published = append(h.published, es...)
			h.pubMu.Unlock()
		},
		Settings: incident.Settings{Password: fastPasswords, PlanSchedules: 20},
	})
	users := []struct {
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
	for _, u := range users {
		nu, err := h.svc.BreakGlassAddUser(h.ctx, u.name, testPassword, u.grants)
		if err != nil {
			t.Fatalf("add user %s: %v", u.name, err)
		}
		h.actors[u.name] = incident.Actor{UserID: nu.ID, Name: nu.Name, Grants: nu.Grants}
	}
	return h
}

func (h *harness) as(name string) incident.Actor {
	a, ok := h.actors[name]
	if !ok {
		h.t.Fatalf("no test user %s", name)
	}
	return a
}

func testEstate(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/estate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// upload stores the test estate and returns its version.
func (h *harness) upload() *incident.EstateVersion {
	h.t.Helper()
	v, err := h.svc.UploadEstate(h.ctx, h.as("admin"), estate.File{Name: "estate.yaml", Data: testEstate(h.t)})
	if err != nil {
		h.t.Fatalf("upload estate: %v", err)
	}
	return v
}

// declare uploads the estate if needed and declares an incident.
func (h *harness) declare(d incident.Declaration) *incident.IncidentView {
	h.t.Helper()
	var n int
	h.db.View(h.ctx, func(tx incident.Tx) error {
		vs, _ := tx.EstateVersions()
		n = len(vs)
		return nil
	})
	if n == 0 {
		h.upload()
	}
	if d.Name == "" {
		d.Name, d.Kind = "test ransomware", "ransomware"
	}
	v, err := h.svc.DeclareIncident(h.ctx, h.as("ic"), d)
	if err != nil {
		h.t.Fatalf("declare: %v", err)
	}
	return v
}

func (h *harness) must(err error, what string) {
	h.t.Helper()
	if err != nil {
		h.t.Fatalf("%s: %v", what, err)
	}
}

// move makes a transition that must happen at once.
func (h *harness) move(user string, id int64, sys string, to incident.State) {
	h.t.Helper()
	res, err := h.svc.Transition(h.ctx, h.as(user), id, sys, to, "test")
	if err != nil {
		h.t.Fatalf("%s: move %s to %s: %v", user, sys, to, err)
	}
	if !res.Done {
		h.t.Fatalf("%s: move %s to %s waits for approval %d", user, sys, to, res.Approval.ID)
	}
}

// tickAll ticks every checklist item of a system.
func (h *harness) tickAll(id int64, sys string) {
	h.t.Helper()
	items, err := h.svc.Checklist(h.ctx, h.as("forensics"), id, sys)
	h.must(err, "checklist")
	for _, it := range items {
		_, err := h.svc.TickChecklist(h.ctx, h.as("forensics"), id, sys, incident.Tick{Item: it.Key, Done: true, Note: "ok", Evidence: "case-1/" + it.Key})
		h.must(err, "tick "+it.Key)
	}
}

// clear takes a system from running or isolated to cleared.
func (h *harness) clear(id int64, sys string) {
	h.t.Helper()
	st := h.state(id, sys)
	if st == incident.StateRunning || st == incident.StateCompromised {
		h.move("forensics", id, sys, incident.StateIsolated)
	}
	if h.state(id, sys) == incident.StateIsolated {
		h.move("forensics", id, sys, incident.StateInvestigating)
	}
	h.tickAll(id, sys)
	h.move("forensics", id, sys, incident.StateCleared)
}

// bringOnline takes a cleared system through restore and verification,
// with a second person's approval where the rule needs it.
func (h *harness) bringOnline(id int64, sys string) {
	h.t.Helper()
	for _, to := range []incident.State{incident.StateRestoring, incident.StateVerifying, incident.StateOnline} {
		res, err := h.svc.Transition(h.ctx, h.as("rl"), id, sys, to, "scripted")
		h.must(err, "move "+sys+" to "+string(to))
		if !res.Done {
			d, err := h.svc.Approve(h.ctx, h.as("rl2"), res.Approval.ID, "checked")
			h.must(err, "approve "+sys)
			if !d.Done {
				h.t.Fatalf("approval of %s to %s did not complete", sys, to)
			}
		}
	}
}

func (h *harness) state(id int64, sys string) incident.State {
	h.t.Helper()
	d, err := h.svc.System(h.ctx, h.as("viewer"), id, sys)
	h.must(err, "system "+sys)
	return d.State
}

// wantCode checks the code of an error.
func wantCode(t *testing.T, err error, code string) *phasegate.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	var pe *phasegate.Error
	if !errors.As(err, &pe) {
		t.Fatalf("got %T %v, want a *phasegate.Error with code %s", err, err, code)
	}
	if pe.Code != code {
		t.Fatalf("got code %s (%v), want %s", pe.Code, err, code)
	}
	return pe
}

func (h *harness) events(typ string) []incident.Event {
	h.t.Helper()
	var out []incident.Event
	h.must(h.db.View(h.ctx, func(tx incident.Tx) error {
		return tx.ScanEvents(0, func(e incident.Event) error {
			if typ == "" || e.Type == typ {
				out = append(out, e)
			}
			return nil
		})
	}), "scan events")
	return out
}

func (h *harness) verify() *incident.VerifyReport {
	h.t.Helper()
	rep, err := incident.VerifyStore(h.ctx, h.db)
	h.must(err, "verify")
	return rep
}
