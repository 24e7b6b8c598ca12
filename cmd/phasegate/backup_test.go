package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/phasegate/phasegate/incident"
	"github.com/phasegate/phasegate/internal/pgtest"
	"github.com/phasegate/phasegate/store"
)

// TestBackupCommand: phasegate backup copies the database while the
// server runs; the copy verifies as a database of its own, and the live
// log records the backup with the copy's head, so the log vouches for it.
// It never writes over a file, and says what is wrong when it cannot.
func TestBackupCommand(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "phasegate.db")
	breakGlassToken(t, db, "ivy", "incident-commander")
	e, _, _ := testEnv("")
	_, stop := startApp(t, serveConfig{db: db, demo: true}, e)
	defer stop()

	copyPath := filepath.Join(dir, "copy.db")
	code, out, errb := pg(t, "", "backup", "--db", db, "--out", copyPath)
	if code != 0 || !strings.Contains(out, "Wrote "+copyPath) || !strings.Contains(out, "the chain verified to event") {
		t.Fatalf("backup: exit %d, %s %s", code, out, errb)
	}
	if code, out, _ := pg(t, "", "audit", "verify", "--db", copyPath); code != 0 || !strings.HasPrefix(out, "OK:") {
		t.Fatalf("verify of the copy: exit %d, %s", code, out)
	}
	// The live log's newest event is the record of it, naming the copy's
	// head as the copy itself has it.
	_, exported, _ := pg(t, "", "audit", "export", "--db", db, "--evidence-copy")
	var rec incident.Event
	for line := range strings.Lines(exported) {
		var ev incident.Event
		if json.Unmarshal([]byte(line), &ev) == nil && ev.Type == incident.EventAuditBackedUp {
			rec = ev
		}
	}
	var p struct {
		File string `json:"file"`
		Seq  int64  `json:"through_seq"`
		Head string `json:"head"`
	}
	if err := json.Unmarshal(rec.Payload, &p); err != nil || rec.Actor != incident.BreakGlassActor || p.File != "copy.db" {
		t.Fatalf("the record of the backup: %+v (%v)", rec, err)
	}
	cp, err := store.OpenSQLite(context.Background(), copyPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := incident.VerifyStore(context.Background(), cp)
	cp.Close()
	if err != nil || rep.LastSeq != p.Seq || rep.LastHash != p.Head || p.Seq >= rec.Seq {
		t.Fatalf("the copy ends at %d %s; the record names %d %s and is event %d (%v)", rep.LastSeq, rep.LastHash, p.Seq, p.Head, rec.Seq, err)
	}

	if code, _, errb := pg(t, "", "backup", "--db", db, "--out", copyPath); code != exitFailure || !strings.Contains(errb, "already exists") {
		t.Errorf("a backup over the copy: exit %d, %s", code, errb)
	}
	if code, _, errb := pg(t, "", "backup", "--db", filepath.Join(dir, "nosuch.db")); code != exitFailure || !strings.Contains(errb, "no database there") {
		t.Errorf("a backup of nothing: exit %d, %s", code, errb)
	}
	if code, _, errb := pg(t, "", "backup", "--db", db, "extra"); code != exitUsage || !strings.Contains(errb, "--out FILE") {
		t.Errorf("a backup with an extra argument: exit %d, %s", code, errb)
	}
	// A folder that is not there is named, not the copy's partial file.
	missing := filepath.Join(dir, "nosuch", "copy.db")
	if code, _, errb := pg(t, "", "backup", "--db", db, "--out", missing); code != exitFailure ||
		!strings.Contains(errb, "the folder "+filepath.Dir(missing)+" does not exist; create it, or choose another --out") || strings.Contains(errb, ".partial") {
		t.Errorf("a backup into a missing folder: exit %d, %s", code, errb)
	}
}

// TestBackupSchedule: the scheduled backup copies at once, then only when
// the log has grown (its own record does not count), keeps the newest
// copies and never touches another file in the folder.
func TestBackupSchedule(t *testing.T) {
	ctx := context.Background()
	dir, backups := t.TempDir(), t.TempDir()
	st, err := store.OpenSQLite(ctx, filepath.Join(dir, "phasegate.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := incident.New(incident.Config{Store: st, Clock: time.Now, Settings: fastSettings})
	if _, err := svc.BreakGlassAddUser(ctx, "ivy", "a long enough password", []incident.Grant{{Role: incident.RoleIncidentCommander}}); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(backups, "notes.txt")
	os.WriteFile(other, []byte("keep me"), 0o600)
	os.WriteFile(filepath.Join(backups, "phasegate-backup-later.db"), []byte("not one of ours"), 0o600)

	clock := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	b := &backupSchedule{st: st, svc: svc, dir: backups, every: time.Hour, keep: 2,
		now: func() time.Time { return clock }, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ours := func() []string {
		es, _ := os.ReadDir(backups)
		var names []string
		for _, e := range es {
			if isBackupName(e.Name()) {
				names = append(names, e.Name())
			}
		}
		return names
	}
	b.once(ctx)
	if got := ours(); len(got) != 1 || got[0] != "phasegate-backup-20261122T100000Z.db" {
		t.Fatalf("after the first: %v", got)
	}
	clock = clock.Add(time.Hour)
	b.once(ctx)
	if got := ours(); len(got) != 1 {
		t.Fatalf("nothing new but its own record, yet a copy was made: %v", got)
	}
	for i := range 3 {
		if _, err := svc.BreakGlassAddUser(ctx, "user"+string(rune('a'+i)), "a long enough password", []incident.Grant{{Role: incident.RoleViewer}}); err != nil {
			t.Fatal(err)
		}
		clock = clock.Add(time.Hour)
		b.once(ctx)
	}
	want := []string{"phasegate-backup-20261122T130000Z.db", "phasegate-backup-20261122T140000Z.db"}
	if got := ours(); !slices.Equal(got, want) {
		t.Fatalf("kept %v, want the newest two %v", got, want)
	}
	for _, f := range []string{other, filepath.Join(backups, "phasegate-backup-later.db")} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("%s, not a backup, was touched: %v", f, err)
		}
	}
}

// TestServeBackupFlags: the scheduled backups' flags are checked before
// the server starts.
func TestServeBackupFlags(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--backup-dir", filepath.Join(dir, "nope")}, exitFailure, "no such folder"},
		{[]string{"--backup-dir", dir, "--backup-every", "10s"}, exitUsage, "at least 1m"},
		{[]string{"--backup-dir", dir, "--backup-keep", "0"}, exitUsage, "keep at least 1"},
	} {
		args := append([]string{"serve", "--addr", "127.0.0.1:0", "--db", filepath.Join(dir, "x.db")}, tc.args...)
		if code, _, errb := pg(t, "", args...); code != tc.code || !strings.Contains(errb, tc.want) {
			t.Errorf("%v: exit %d, %s; want %d and %q", tc.args, code, errb, tc.code, tc.want)
		}
	}
}

// TestServeBacksUpAtStart: serve --backup-dir writes its first copy as it
// starts, and the copy verifies; of a PostgreSQL store too, one SQLite
// file.
func TestServeBacksUpAtStart(t *testing.T) {
	dsn, _ := pgtest.Schema(t, "servebackup")
	for name, cfg := range map[string]serveConfig{
		"sqlite":   {db: filepath.Join(t.TempDir(), "phasegate.db")},
		"postgres": {postgres: dsn},
	} {
		t.Run(name, func(t *testing.T) {
			backups := t.TempDir()
			cfg.demo, cfg.backupDir, cfg.backupEvery, cfg.backupKeep = true, backups, time.Hour, 2
			e, _, _ := testEnv("")
			_, stop := startApp(t, cfg, e)
			defer stop()
			var names []string
			for deadline := time.Now().Add(30 * time.Second); len(names) == 0 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
				names, _ = filepath.Glob(filepath.Join(backups, backupPrefix+"*.db"))
			}
			if len(names) != 1 {
				t.Fatalf("no backup at start: %v", names)
			}
			if code, out, _ := pg(t, "", "audit", "verify", "--db", names[0]); code != 0 || !strings.HasPrefix(out, "OK:") {
				t.Errorf("the first backup does not verify: exit %d, %s", code, out)
			}
		})
	}
}
