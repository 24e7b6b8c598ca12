package store_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/incident"
	"github.com/phasegate/phasegate/store"
)

// TestBackupWhileWriting copies an SQLite store while another goroutine
// keeps committing events: every copy is a database whose chain verifies
// to its own head, holds at least what was committed before it began, is
// readable by its owner only, and never overwrites a file.
func TestBackupWhileWriting(t *testing.T) {
	h := newHarness(t, backend{"sqlite", openSQLite})
	in := h.declare(incident.Declaration{})
	h.clear(in.ID, "vault")

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := h.svc.ExportAudit(h.ctx, h.as("forensics"), io.Discard, 0); err != nil {
				t.Errorf("a write during the backups: %v", err)
				return
			}
		}
	})
	dir := t.TempDir()
	var last int64
	for i := range 3 {
		before := len(h.events(""))
		dst := filepath.Join(dir, "copy"+string(rune('a'+i))+".db")
		if err := h.db.Backup(h.ctx, dst); err != nil {
			t.Fatalf("backup %d: %v", i, err)
		}
		fi, err := os.Stat(dst)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("the copy %s: %v, mode %v, want 0600", dst, err, fi.Mode().Perm())
		}
		if _, err := os.Stat(dst + ".partial"); !os.IsNotExist(err) {
			t.Errorf("the unfinished copy is left behind: %v", err)
		}
		cp, err := store.OpenSQLite(h.ctx, dst, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err := incident.VerifyBackup(h.ctx, cp, filepath.Base(dst), fi.Size())
		cp.Close()
		if err != nil {
			t.Fatalf("copy %d does not verify: %v", i, err)
		}
		if b.Events < int64(before) || b.Seq != b.Events || b.Seq < last || b.Hash == "" {
			t.Fatalf("copy %d: %+v, %d events committed before it began, the previous copy ended at %d", i, b, before, last)
		}
		last = b.Seq
	}
	close(stop)
	wg.Wait()

	// Never over a file; an unfinished copy from a crash is replaced.
	taken := filepath.Join(dir, "copya.db")
	if err := h.db.Backup(h.ctx, taken); phasegate.ErrorCode(err) != phasegate.ECONFLICT {
		t.Errorf("a backup over %s: %v, want a conflict", taken, err)
	}
	fresh := filepath.Join(dir, "fresh.db")
	if err := os.WriteFile(fresh+".partial", []byte("half a copy"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := h.db.Backup(h.ctx, fresh); err != nil {
		t.Fatalf("a backup where a crash left half a copy: %v", err)
	}
}

// TestVerifyBackupCatchesAnAlteredCopy: a copy changed after it was made
// does not verify, and the error says what to keep.
func TestVerifyBackupCatchesAnAlteredCopy(t *testing.T) {
	h := newHarness(t, backend{"sqlite", openSQLite})
	h.declare(incident.Declaration{})
	dst := filepath.Join(t.TempDir(), "copy.db")
	if err := h.db.Backup(h.ctx, dst); err != nil {
		t.Fatal(err)
	}
	cp, err := store.OpenSQLite(h.ctx, dst, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	for _, q := range []string{`DROP TRIGGER IF EXISTS events_no_update`, `UPDATE events SET actor = 'mallory' WHERE seq = 2`} {
		if _, err := cp.SQL().Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	_, err = incident.VerifyBackup(h.ctx, cp, "copy.db", 0)
	if phasegate.ErrorCode(err) != phasegate.ECONFLICT || !strings.Contains(err.Error(), "does not verify") || !strings.Contains(err.Error(), "event 2") {
		t.Errorf("an altered copy: %v", err)
	}
}

// BenchmarkBackup measures a backup of a store of 20,000 events (the
// copy only: verifying it is BenchmarkVerify's business): VACUUM INTO of
// an SQLite store, and the table by table copy of a PostgreSQL store
// into a new SQLite file.
func BenchmarkBackup(b *testing.B) {
	for _, be := range backends() {
		b.Run(be.name, func(b *testing.B) {
			h := newHarness(b, be)
			in := h.declare(incident.Declaration{TotalShutdown: true})
			for i := 0; i < 20_000; i++ {
				if _, err := h.svc.TickChecklist(h.ctx, h.as("forensics"), in.ID, "ad", incident.Tick{Item: "ioc-sweep", Done: i%2 == 0}); err != nil {
					b.Fatal(err)
				}
			}
			dir := b.TempDir()
			var size int64
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				dst := filepath.Join(dir, fmt.Sprintf("copy-%d.db", i))
				if err := h.db.Backup(h.ctx, dst); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				fi, _ := os.Stat(dst)
				size = fi.Size()
				os.Remove(dst)
				b.StartTimer()
			}
			b.ReportMetric(float64(size)/(1<<20), "MiB")
		})
	}
}
