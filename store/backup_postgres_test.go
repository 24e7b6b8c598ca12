package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/incident"
	"github.com/phasegate/phasegate/store"
)

// fillForBackup puts something in as many tables as the service makes
// easy: an incident with systems cleared and online (checklist ticks,
// approvals and their decisions, a pending one), a published status
// update, backlog readings, tokens, a session, a failed login, a second
// admin (dual control), an account request waiting, a one-time password
// code, the live plan's ETAs and a server key.
func fillForBackup(h *harness) *incident.IncidentView {
	h.t.Helper()
	h.uploadWithBacklogs()
	in := h.declare(incident.Declaration{Name: "backup ‘quoted’ <b>", Kind: "ransomware"})
	for _, sys := range []string{"vault", "mail"} {
		h.clear(in.ID, sys)
		h.bringOnline(in.ID, sys)
	}
	h.clear(in.ID, "erp")
	res, err := h.svc.Transition(h.ctx, h.as("rl"), in.ID, "erp", incident.StateRestoring, "two-person: waits")
	h.must(err, "erp to restoring")
	if res.Done {
		h.t.Fatal("erp restored without a second person")
	}
	u, err := h.svc.DraftStatusUpdate(h.ctx, h.as("comms"), in.ID, incident.StatusDraft{Audiences: []string{"customers"},
		Title: "Orders resume", Body: "line 1\nline 2 — ‘quoted’"})
	h.must(err, "draft")
	_, err = h.svc.ApproveStatusUpdate(h.ctx, h.as("ic"), u.ID, incident.StatusApproval{Revision: u.Revision})
	h.must(err, "approve update")
	_, err = h.svc.PublishStatusUpdate(h.ctx, h.as("comms"), u.ID)
	h.must(err, "publish")
	_, err = h.svc.CreateToken(h.ctx, h.as("comms"), incident.TokenRequest{Label: "statuspage"})
	h.must(err, "token")
	_, err = h.svc.CreateToken(h.ctx, h.as("viewer"), incident.TokenRequest{Label: "short", ExpiresAt: h.clock.Now().Add(time.Hour)})
	h.must(err, "token")
	_, err = h.svc.Login(h.ctx, "ic", testPassword, incident.Client{Address: "192.0.2.7"})
	h.must(err, "login")
	_, err = h.svc.Login(h.ctx, "rl", "wrong password!", incident.Client{Address: "192.0.2.8"})
	if phasegate.ErrorCode(err) != phasegate.EUNAUTHORIZED {
		h.t.Fatalf("a wrong password: %v", err)
	}
	_, err = h.svc.RecordETAs(h.ctx, in.ID)
	h.must(err, "ETAs")
	_, err = h.svc.RecordBacklogReading(h.ctx, h.as("rl"), in.ID, incident.NewBacklogReading{Backlog: "invoices", Remaining: 11200,
		Note: "counted by accounts payable, ‘quoted’"})
	h.must(err, "a backlog reading")
	_, err = h.svc.RecordBacklogReading(h.ctx, h.as("ic"), in.ID, incident.NewBacklogReading{Backlog: "mailbox", Remaining: 1234.5})
	h.must(err, "a backlog reading")
	_, err = h.svc.SealKey(h.ctx, "backup-test")
	h.must(err, "server key")
	admin := h.as("admin")
	a2, _, err := h.svc.CreateUser(h.ctx, admin, incident.NewUser{Name: "admin2", Password: testPassword,
		Grants: []incident.Grant{{Role: incident.RoleAdmin}}})
	h.must(err, "second admin")
	_, _, err = h.svc.CreateUser(h.ctx, admin, incident.NewUser{Name: "mallory",
		Grants: []incident.Grant{{Role: incident.RoleIncidentCommander}}, Reason: "new IR consultant"})
	h.must(err, "a request under dual control")
	_, req, err := h.svc.ResetPassword(h.ctx, admin, h.as("rl").UserID, "lost it")
	h.must(err, "reset")
	if req != nil {
		_, err := h.svc.ApproveAccountRequest(h.ctx, incident.Actor{UserID: a2.ID, Name: a2.Name, Grants: a2.Grants}, req.ID, "called back")
		h.must(err, "approve the reset")
	}
	return in
}

// storeTables lists the tables of an SQLite store but the migrations'
// own.
func storeTables(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' AND name <> 'schema_migrations' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		out = append(out, n)
	}
	return out
}

func count(t *testing.T, db *sql.DB, table string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// columnTypes lists, per column of a table, the SQLite storage classes
// its values have.
func columnTypes(t *testing.T, db *sql.DB, table string) map[string][]string {
	t.Helper()
	rows, err := db.Query(`SELECT name FROM pragma_table_info(?)`, table)
	if err != nil {
		t.Fatal(err)
	}
	var cols []string
	for rows.Next() {
		var c string
		rows.Scan(&c)
		cols = append(cols, c)
	}
	rows.Close()
	out := map[string][]string{}
	for _, c := range cols {
		rows, err := db.Query(`SELECT DISTINCT typeof("` + c + `") FROM ` + table + ` ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var ty string
			rows.Scan(&ty)
			out[c] = append(out[c], ty)
		}
		rows.Close()
	}
	return out
}

// leftIn lists what is in dir.
func leftIn(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// TestBackupOfPostgres copies a PostgreSQL store, filled through the
// service, into an SQLite file: every table holds as many rows as in
// PostgreSQL, of the storage classes an SQLite store filled the same way
// has; the chain verifies to PostgreSQL's head; records read back equal
// through the store; and the copy goes on as a store of its own, its
// next event linked to the copied head and its next ids after the
// copied ones.
func TestBackupOfPostgres(t *testing.T) {
	h := newHarness(t, backend{"postgres", openPostgres})
	in := fillForBackup(h)
	dir := t.TempDir()
	dst := filepath.Join(dir, "copy.db")
	if err := h.db.Backup(h.ctx, dst); err != nil {
		t.Fatalf("backup: %v", err)
	}
	if got := leftIn(t, dir); !slices.Equal(got, []string{"copy.db"}) {
		t.Errorf("the folder holds %v, want the copy alone", got)
	}
	fi, err := os.Stat(dst)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the copy: %v, mode %v, want 0600", err, fi.Mode().Perm())
	}
	cp, err := store.OpenSQLite(h.ctx, dst, h.clock.Now)
	if err != nil {
		t.Fatalf("open the copy: %v", err)
	}
	defer cp.Close()
	if v, _ := cp.SchemaVersion(h.ctx); v == 0 {
		t.Error("the copy has no schema version")
	}

	// A native SQLite store filled the same way: what SQLite itself
	// writes, to compare storage classes with.
	native := newHarness(t, backend{"sqlite", openSQLite})
	fillForBackup(native)
	tables := storeTables(t, cp.SQL())
	if len(tables) < 10 {
		t.Fatalf("the copy has tables %v", tables)
	}
	var empty []string
	for _, table := range tables {
		n := count(t, cp.SQL(), table)
		if pgn := count(t, h.db.SQL(), table); n != pgn {
			t.Errorf("%s: %d rows in the copy, %d in PostgreSQL", table, n, pgn)
		}
		if n == 0 {
			empty = append(empty, table)
			continue
		}
		if got, want := columnTypes(t, cp.SQL(), table), columnTypes(t, native.db.SQL(), table); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: storage classes in the copy %v, in an SQLite store %v", table, got, want)
		}
	}
	t.Logf("%d tables, empty: %v", len(tables), empty)
	for _, table := range []string{"account_requests", "approval_decisions", "approvals", "backlog_readings", "chain_head", "checklist_entries",
		"estate_versions", "eta_history", "events", "flags", "incidents", "login_throttle", "password_codes", "server_keys",
		"sessions", "status_updates", "system_states", "tokens", "users"} {
		if slices.Contains(empty, table) || !slices.Contains(tables, table) {
			t.Errorf("the fill leaves %s empty: the test checks too little", table)
		}
	}

	// The chain verifies to PostgreSQL's head.
	seq, hash, err := h.svc.ChainHead(h.ctx)
	h.must(err, "head")
	b, err := incident.VerifyBackup(h.ctx, cp, "copy.db", fi.Size())
	if err != nil {
		t.Fatalf("the copy does not verify: %v", err)
	}
	if b.Seq != seq || b.Hash != hash || b.Events != seq {
		t.Errorf("the copy ends at %d %s (%d events); PostgreSQL at %d %s", b.Seq, b.Hash, b.Events, seq, hash)
	}

	// Records read back the same through the store.
	read := func(db *store.DB) (inc *incident.Incident, u *incident.User, evs []incident.Event, sts []incident.StatusUpdate) {
		t.Helper()
		h.must(db.View(h.ctx, func(tx incident.Tx) error {
			var err error
			if inc, err = tx.Incident(in.ID); err != nil {
				return err
			}
			if u, err = tx.UserByName("rl"); err != nil {
				return err
			}
			if sts, err = tx.StatusUpdates(incident.StatusUpdateQuery{IncidentID: in.ID}); err != nil {
				return err
			}
			return tx.ScanEvents(0, func(e incident.Event) error { evs = append(evs, e); return nil })
		}), "read")
		return
	}
	pi, pu, pe, ps := read(h.db)
	ci, cu, ce, cs := read(cp)
	if !reflect.DeepEqual(ci, pi) {
		t.Errorf("the incident in the copy %+v, in PostgreSQL %+v", ci, pi)
	}
	if !reflect.DeepEqual(cu, pu) {
		t.Errorf("user rl in the copy %+v, in PostgreSQL %+v", cu, pu)
	}
	if !reflect.DeepEqual(cs, ps) || len(cs) == 0 {
		t.Errorf("status updates in the copy %+v, in PostgreSQL %+v", cs, ps)
	}
	if !reflect.DeepEqual(ce, pe) || int64(len(ce)) != seq {
		t.Errorf("the copy's %d events differ from PostgreSQL's %d", len(ce), len(pe))
	}
	readings := func(db *store.DB) (rs []incident.BacklogReading) {
		t.Helper()
		h.must(db.View(h.ctx, func(tx incident.Tx) (err error) {
			rs, err = tx.BacklogReadings(in.ID)
			return err
		}), "read the readings")
		return rs
	}
	if cr, pr := readings(cp), readings(h.db); !reflect.DeepEqual(cr, pr) || len(cr) != 2 {
		t.Errorf("backlog readings in the copy %+v, in PostgreSQL %+v", cr, pr)
	}

	// The append-only guard is back: the copy refuses to change an event.
	if _, err := cp.SQL().Exec(`UPDATE events SET actor = 'mallory' WHERE seq = 1`); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Errorf("changing an event of the copy: %v, want the append-only refusal", err)
	}

	// The copy goes on: a new event links to the copied head, a new user
	// takes the next id.
	svc := incident.New(incident.Config{Store: cp, Clock: h.clock.Now, Settings: incident.Settings{Password: fastPasswords}})
	var maxID int64
	h.must(cp.SQL().QueryRow(`SELECT MAX(id) FROM users`).Scan(&maxID), "max user id")
	nu, err := svc.BreakGlassAddUser(h.ctx, "laptop", testPassword, []incident.Grant{{Role: incident.RoleViewer}})
	h.must(err, "a user on the copy")
	if nu.ID != maxID+1 {
		t.Errorf("the copy's new user has id %d, want %d", nu.ID, maxID+1)
	}
	var next incident.Event
	h.must(cp.View(h.ctx, func(tx incident.Tx) error {
		evs, err := tx.Events(incident.EventQuery{After: seq})
		if len(evs) > 0 {
			next = evs[0]
		}
		return err
	}), "events after the copy")
	if next.Seq != seq+1 || next.PrevHash != hash {
		t.Errorf("the copy's next event %d links to %q; want %d linked to %q", next.Seq, next.PrevHash, seq+1, hash)
	}
	if rep, err := incident.VerifyStore(h.ctx, cp); err != nil || !rep.OK || rep.LastSeq != seq+1 {
		t.Errorf("the copy after a new event: %+v %v", rep, err)
	}
}

// TestBackupOfPostgresWhileWriting copies a PostgreSQL store five times while
// another goroutine keeps ticking a checklist item: each copy is the
// store at one commit, its head an event PostgreSQL committed, its chain
// head row that event, and the item's state in the copy the one its
// last tick in the copy set.
func TestBackupOfPostgresWhileWriting(t *testing.T) {
	h := newHarness(t, backend{"postgres", openPostgres})
	in := h.declare(incident.Declaration{TotalShutdown: true})
	tick := func(i int) error {
		_, err := h.svc.TickChecklist(h.ctx, h.as("forensics"), in.ID, "ad", incident.Tick{Item: "ioc-sweep", Done: i%2 == 0})
		return err
	}
	for i := range 1000 {
		h.must(tick(i), "tick")
	}
	stop := make(chan struct{})
	var ticks atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := tick(i); err != nil {
				t.Errorf("a tick during the backups: %v", err)
				return
			}
			ticks.Add(1)
		}
	})
	dir := t.TempDir()
	var last int64
	for i := range 5 {
		before, _, err := h.svc.ChainHead(h.ctx)
		h.must(err, "head")
		dst := filepath.Join(dir, fmt.Sprintf("copy-%d.db", i))
		if err := h.db.Backup(h.ctx, dst); err != nil {
			t.Fatalf("backup %d: %v", i, err)
		}
		cp, err := store.OpenSQLite(h.ctx, dst, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err := incident.VerifyBackup(h.ctx, cp, filepath.Base(dst), 0)
		if err != nil {
			cp.Close()
			t.Fatalf("copy %d does not verify: %v", i, err)
		}
		var hash string
		if err := h.db.SQL().QueryRow(`SELECT hash FROM events WHERE seq = $1`, b.Seq).Scan(&hash); err != nil || hash != b.Hash {
			t.Errorf("copy %d ends at event %d %s; PostgreSQL has it as %s (%v)", i, b.Seq, b.Hash, hash, err)
		}
		if b.Seq < before || b.Seq < last {
			t.Errorf("copy %d ends at %d, before the head %d when it began or the previous copy's %d", i, b.Seq, before, last)
		}
		last = b.Seq
		// The checklist row is the one the copy's last tick wrote.
		var lastTick incident.Event
		var done bool
		h.must(cp.View(h.ctx, func(tx incident.Tx) error {
			err := tx.ScanEvents(0, func(e incident.Event) error {
				if e.Type == incident.EventChecklistTicked || e.Type == incident.EventChecklistUnticked {
					lastTick = e
				}
				return nil
			})
			if err != nil {
				return err
			}
			es, err := tx.ChecklistEntries(in.ID, "ad")
			for _, e := range es {
				if e.Key == "ioc-sweep" {
					done = e.Done
				}
			}
			return err
		}), "read the copy")
		cp.Close()
		if want := lastTick.Type == incident.EventChecklistTicked; done != want {
			t.Errorf("copy %d: the item is done=%v, its last event in the copy %d is %s", i, done, lastTick.Seq, lastTick.Type)
		}
	}
	close(stop)
	wg.Wait()
	if ticks.Load() == 0 {
		t.Error("no tick committed while the backups ran")
	}
	t.Logf("%d ticks committed during 5 backups; the last copy ends at %d", ticks.Load(), last)
}

// TestBackupOfPostgresFailures: a cancelled backup, one onto an existing
// file or into a folder it cannot write, and one of a store whose schema
// differs from this phasegate's leave nothing behind and say why.
func TestBackupOfPostgresFailures(t *testing.T) {
	h := newHarness(t, backend{"postgres", openPostgres})
	h.declare(incident.Declaration{})
	for range 200 {
		h.svc.TickChecklist(h.ctx, h.as("forensics"), 1, "ad", incident.Tick{Item: "ioc-sweep", Done: true})
	}

	t.Run("cancelled", func(t *testing.T) {
		dir := t.TempDir()
		ctx, cancel := context.WithCancel(h.ctx)
		cancel()
		if err := h.db.Backup(ctx, filepath.Join(dir, "copy.db")); !errors.Is(err, context.Canceled) {
			t.Errorf("a cancelled backup: %v", err)
		}
		if got := leftIn(t, dir); len(got) != 0 {
			t.Errorf("a cancelled backup left %v", got)
		}
		// Cancelled at some point along the way: either a whole copy or
		// nothing.
		for i, d := range []time.Duration{time.Millisecond, 5 * time.Millisecond, 20 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond} {
			ctx, cancel := context.WithTimeout(h.ctx, d)
			dst := filepath.Join(dir, fmt.Sprintf("copy-%d.db", i))
			err := h.db.Backup(ctx, dst)
			cancel()
			switch {
			case err == nil:
				cp, err := store.OpenSQLite(h.ctx, dst, nil)
				h.must(err, "open")
				_, err = incident.VerifyBackup(h.ctx, cp, "copy", 0)
				cp.Close()
				h.must(err, "a copy finished before its deadline")
				os.Remove(dst)
			case errors.Is(err, context.DeadlineExceeded) && strings.Contains(err.Error(), "nothing written"):
			default:
				t.Errorf("a backup cancelled after %s: %v", d, err)
			}
			if got := leftIn(t, dir); len(got) != 0 {
				t.Errorf("a backup cancelled after %s left %v (%v)", d, got, err)
			}
		}
	})

	t.Run("existing", func(t *testing.T) {
		dir := t.TempDir()
		dst := filepath.Join(dir, "copy.db")
		os.WriteFile(dst, []byte("an older backup"), 0o600)
		if err := h.db.Backup(h.ctx, dst); phasegate.ErrorCode(err) != phasegate.ECONFLICT || !strings.Contains(err.Error(), "already exists") {
			t.Errorf("a backup onto a file: %v", err)
		}
		if b, _ := os.ReadFile(dst); string(b) != "an older backup" {
			t.Errorf("the file was changed: %q", b)
		}
		if got := leftIn(t, dir); !slices.Equal(got, []string{"copy.db"}) {
			t.Errorf("left %v", got)
		}
	})

	t.Run("unwritable", func(t *testing.T) {
		dir := t.TempDir()
		file := filepath.Join(dir, "a-file")
		os.WriteFile(file, nil, 0o600)
		if err := h.db.Backup(h.ctx, filepath.Join(file, "copy.db")); err == nil || !strings.Contains(err.Error(), "not a directory") {
			t.Errorf("a backup under a file: %v", err)
		}
		ro := filepath.Join(dir, "read-only")
		os.Mkdir(ro, 0o500)
		if os.Geteuid() == 0 {
			t.Log("running as root, who may write a 0500 folder: that case is not checked")
		} else if err := h.db.Backup(h.ctx, filepath.Join(ro, "copy.db")); !errors.Is(err, os.ErrPermission) {
			t.Errorf("a backup into a read-only folder: %v", err)
		}
		if got := leftIn(t, ro); len(got) != 0 {
			t.Errorf("left %v", got)
		}
	})

	// Each change to PostgreSQL's schema is undone in the same
	// transaction-less way after its case.
	for _, tc := range []struct {
		name, do, undo string
		want           []string
	}{
		{"a newer schema version", `INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_later.sql', '')`,
			`DELETE FROM schema_migrations WHERE version = 9999`, []string{"schema version 9999", "the two schemas differ"}},
		{"a column PostgreSQL has", `ALTER TABLE users ADD COLUMN nickname TEXT NOT NULL DEFAULT ''`,
			`ALTER TABLE users DROP COLUMN nickname`, []string{"users", "nickname", "the two schemas differ"}},
		{"a column PostgreSQL lacks", `ALTER TABLE sessions DROP COLUMN address`,
			`ALTER TABLE sessions ADD COLUMN address TEXT NOT NULL DEFAULT ''`, []string{"sessions", "no column address", "the two schemas differ"}},
		{"a table PostgreSQL has", `CREATE TABLE later_things (id BIGINT PRIMARY KEY)`,
			`DROP TABLE later_things`, []string{"later_things", "the two schemas differ"}},
		{"a table PostgreSQL lacks", `ALTER TABLE server_keys RENAME TO server_keys_old`,
			`ALTER TABLE server_keys_old RENAME TO server_keys`, []string{"server_keys", "the two schemas differ"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := h.db.SQL().Exec(tc.do); err != nil {
				t.Fatal(err)
			}
			defer func() {
				if _, err := h.db.SQL().Exec(tc.undo); err != nil {
					t.Fatal(err)
				}
			}()
			dir := t.TempDir()
			err := h.db.Backup(h.ctx, filepath.Join(dir, "copy.db"))
			if phasegate.ErrorCode(err) != phasegate.ECONFLICT {
				t.Errorf("got %v, want a conflict", err)
			}
			for _, w := range tc.want {
				if err != nil && !strings.Contains(err.Error(), w) {
					t.Errorf("%v: does not say %q", err, w)
				}
			}
			if got := leftIn(t, dir); len(got) != 0 {
				t.Errorf("left %v", got)
			}
		})
	}
	// Undone, it copies again.
	if err := h.db.Backup(h.ctx, filepath.Join(t.TempDir(), "copy.db")); err != nil {
		t.Errorf("after the schema was put back: %v", err)
	}
}
