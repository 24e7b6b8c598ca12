package store

import (
	"context"
	"testing"
	"time"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/incident"
	"github.com/phasegate/phasegate/internal/pgtest"
)

// TestPostgresBoundsTheWriteLock: a PostgreSQL store's sessions wait a
// bounded time for the event log's lock and end a frozen transaction
// (unless the URL says otherwise); a write that finds the lock held past
// the timeout — an instance stuck in the middle of a write — is refused
// with EUNAVAILABLE, changing nothing, and the next write once the lock
// is free goes through.
func TestPostgresBoundsTheWriteLock(t *testing.T) {
	ctx := context.Background()
	dsn, _ := pgtest.Schema(t, "locktimeout")
	db, err := OpenPostgres(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for name, want := range map[string]string{"lock_timeout": "30s", "idle_in_transaction_session_timeout": "1min"} {
		var got string
		if err := db.read.QueryRowContext(ctx, `SHOW `+name).Scan(&got); err != nil || got != want {
			t.Errorf("%s = %q (%v), want %q by default", name, got, err, want)
		}
	}

	short, err := OpenPostgres(ctx, dsn+"&lock_timeout=300ms", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer short.Close()
	// A stuck writer: another session holding the log's lock.
	stuck, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stuck.ExecContext(ctx, `SELECT seq FROM chain_head WHERE id = 1 FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	write := func() error {
		return short.Update(ctx, func(tx incident.Tx) error {
			_, err := tx.AppendEvent(incident.Event{Type: "test.written", Actor: "test"})
			return err
		})
	}
	began := time.Now()
	err = write()
	if phasegate.ErrorCode(err) != phasegate.EUNAVAILABLE {
		t.Fatalf("a write while the lock is held: %v, want EUNAVAILABLE", err)
	}
	t.Logf("refused after %s: %v", time.Since(began).Round(time.Millisecond), err)
	if seq, _ := head(t, short); seq != 0 {
		t.Errorf("the refused write left event %d", seq)
	}
	stuck.Rollback()
	if err := write(); err != nil {
		t.Fatalf("a write once the lock is free: %v", err)
	}
	if seq, _ := head(t, short); seq != 1 {
		t.Errorf("the log's head is %d after one write, want 1", seq)
	}
}

func head(t *testing.T, db *DB) (int64, string) {
	t.Helper()
	var seq int64
	var hash string
	if err := db.View(context.Background(), func(tx incident.Tx) (err error) {
		seq, hash, err = tx.ChainHead()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return seq, hash
}
