package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/phasegate/phasegate/incident"
	"github.com/phasegate/phasegate/internal/pgtest"
	"github.com/phasegate/phasegate/store"
)

// TestBackupCommandOfPostgres: phasegate backup --postgres copies the
// shared store, while a server runs on it, into one SQLite file that
// audit verify, audit export and serve --db take; the PostgreSQL log
// records the backup with the copy's head.
func TestBackupCommandOfPostgres(t *testing.T) {
	dsn, _ := pgtest.Schema(t, "backupcmd")
	e, _, _ := testEnv("")
	_, stop := startApp(t, serveConfig{postgres: dsn, demo: true}, e)
	defer stop()
	if code, _, errb := pg(t, "a long enough password\n", "user", "add", "ines", "--role", "incident-commander", "--postgres", dsn, "--password-stdin"); code != 0 {
		t.Fatalf("user add: %s", errb)
	}

	dir := t.TempDir()
	copyPath := filepath.Join(dir, "copy.db")
	code, out, errb := pg(t, "", "backup", "--postgres", dsn, "--out", copyPath)
	if code != 0 || !strings.Contains(out, "Wrote "+copyPath) || !strings.Contains(out, "in the PostgreSQL database") {
		t.Fatalf("backup: exit %d, %s %s", code, out, errb)
	}
	code, verified, errb := pg(t, "", "audit", "verify", "--db", copyPath)
	if code != 0 || !strings.HasPrefix(verified, "OK:") {
		t.Fatalf("verify of the copy: exit %d, %s %s", code, verified, errb)
	}
	// The copy's events are PostgreSQL's, up to the event the record of
	// the backup names.
	_, fromCopy, _ := pg(t, "", "audit", "export", "--db", copyPath, "--evidence-copy")
	_, fromPG, _ := pg(t, "", "audit", "export", "--postgres", dsn, "--evidence-copy")
	var rec incident.Event
	var recLine int
	lines := strings.Split(strings.TrimSpace(fromPG), "\n")
	for i, line := range lines {
		var ev incident.Event
		if json.Unmarshal([]byte(line), &ev) == nil && ev.Type == incident.EventAuditBackedUp {
			rec, recLine = ev, i
		}
	}
	var p struct {
		File string `json:"file"`
		Seq  int64  `json:"through_seq"`
	}
	if err := json.Unmarshal(rec.Payload, &p); err != nil || rec.Actor != incident.BreakGlassActor || p.File != "copy.db" || p.Seq > int64(recLine) {
		t.Fatalf("the record of the backup: %+v at line %d (%v)", rec, recLine, err)
	}
	if want := strings.Join(lines[:p.Seq], "\n"); strings.TrimSpace(fromCopy) != want {
		t.Errorf("the copy's export differs from PostgreSQL's up to event %d:\n%s\nwant\n%s", p.Seq, fromCopy, want)
	}

	// The copy runs a server of its own, with the users it had.
	e2, _, _ := testEnv("")
	_, stop2 := startApp(t, serveConfig{db: copyPath}, e2)
	if err := stop2(); err != nil {
		t.Errorf("serve --db on the copy: %v", err)
	}
	if code, out, _ := pg(t, "", "audit", "verify", "--db", copyPath); code != 0 || !strings.HasPrefix(out, "OK:") {
		t.Errorf("the copy after serving: exit %d, %s", code, out)
	}

	if code, _, errb := pg(t, "", "backup", "--postgres", dsn, "--out", copyPath); code != exitFailure || !strings.Contains(errb, "already exists") {
		t.Errorf("a backup over the copy: exit %d, %s", code, errb)
	}
	if code, _, errb := pg(t, "", "backup", "--postgres", dsn, "--db", copyPath); code != exitUsage || !strings.Contains(errb, "choose one") {
		t.Errorf("a backup of both: exit %d, %s", code, errb)
	}
}

// TestBackupScheduleOfTwoInstances: two servers backing up one PostgreSQL
// store (each into its own folder) copy it when something happened, not
// because the other recorded a backup: the other's record is all that
// is new, and copying it would make each instance back up every interval
// forever, recording it in the log each time.
func TestBackupScheduleOfTwoInstances(t *testing.T) {
	ctx := context.Background()
	dsn, _ := pgtest.Schema(t, "backuptwo")
	schedule := func() *backupSchedule {
		st, err := store.OpenPostgres(ctx, dsn, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		svc := incident.New(incident.Config{Store: st, Clock: time.Now, Settings: fastSettings})
		return &backupSchedule{st: st, svc: svc, dir: t.TempDir(), every: time.Hour, keep: 48,
			now: time.Now, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	}
	a, b := schedule(), schedule()
	if _, err := a.svc.BreakGlassAddUser(ctx, "ivy", "a long enough password", []incident.Grant{{Role: incident.RoleIncidentCommander}}); err != nil {
		t.Fatal(err)
	}
	copies := func(s *backupSchedule) int {
		names, _ := filepath.Glob(filepath.Join(s.dir, backupPrefix+"*.db"))
		return len(names)
	}
	records := func() int {
		evs, err := a.svc.Events(ctx, backupActor, incident.EventQuery{})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range evs {
			if e.Type == incident.EventAuditBackedUp {
				n++
			}
		}
		return n
	}
	// The names have the second in them: each look is a second apart.
	look := func(s *backupSchedule) { time.Sleep(1100 * time.Millisecond); s.once(ctx) }
	look(a)
	look(b)
	if copies(a) != 1 || copies(b) != 1 {
		t.Fatalf("the first looks made %d and %d copies, want one each", copies(a), copies(b))
	}
	for range 2 { // nothing happens but the backups
		look(a)
		look(b)
	}
	if copies(a) != 1 || copies(b) != 1 || records() != 2 {
		t.Errorf("with nothing new but each other's backups, the instances made %d and %d copies (want 1 each), "+
			"and the log records %d backups (want 2)", copies(a), copies(b), records())
	}
	// Something happens: each copies it at its next look.
	if _, err := b.svc.BreakGlassAddUser(ctx, "jo", "a long enough password", []incident.Grant{{Role: incident.RoleViewer}}); err != nil {
		t.Fatal(err)
	}
	look(a)
	look(b)
	if copies(a) != 2 || copies(b) != 2 {
		t.Errorf("after a change: %d and %d copies, want 2 each", copies(a), copies(b))
	}
}
