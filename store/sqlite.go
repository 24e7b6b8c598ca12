package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"time"

	"modernc.org/sqlite"
)

// sqliteDialect: embedded SQLite through modernc.org/sqlite (pure Go).
type sqliteDialect struct{}

func (sqliteDialect) name() string           { return "sqlite" }
func (sqliteDialect) rebind(q string) string { return q }

// lockWriters has nothing to do: the writer pool has one connection and
// begins with BEGIN IMMEDIATE (_txlock), which takes SQLite's write lock
// at once, so writers from other processes (the break-glass commands)
// queue on busy_timeout instead of failing at commit.
func (sqliteDialect) lockWriters(context.Context, *sql.Tx) (time.Time, error) {
	return time.Time{}, nil
}

func (sqliteDialect) beginView(ctx context.Context, db *sql.DB) (*sql.Tx, error) {
	// A deferred BEGIN: WAL gives the reader a snapshot at its first read.
	return db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
}

func (sqliteDialect) uniqueViolation(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	// SQLITE_CONSTRAINT_UNIQUE and SQLITE_CONSTRAINT_PRIMARYKEY.
	return e.Code() == 2067 || e.Code() == 1555
}

// sqliteDSN builds the connection string: WAL so readers never block the
// writer; synchronous=FULL so an acknowledged commit survives a crash or
// SIGKILL (and power loss); foreign keys on; a busy timeout for writers
// in other processes.
func sqliteDSN(path string, write bool) string {
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "busy_timeout(10000)")
	if write {
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(1)")
	}
	return "file:" + path + "?" + q.Encode()
}

// sqliteBackupDSN is a reading connection that may run VACUUM INTO: no
// query_only, no write lock.
func sqliteBackupDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	return "file:" + path + "?" + q.Encode()
}

// OpenSQLite opens (creating if needed) the SQLite database at path and
// migrates it. clock stamps every transaction; nil means time.Now.
func OpenSQLite(ctx context.Context, path string, clock func() time.Time) (*DB, error) {
	if path == "" {
		return nil, fmt.Errorf("store: no database path given")
	}
	w, err := sql.Open("sqlite", sqliteDSN(path, true))
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	// One writer connection serialises every write transaction, and with
	// it the hash chain.
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	db := &DB{d: sqliteDialect{}, write: w, clock: clock, path: path}
	if err := db.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", sqliteDSN(path, false))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s for reading: %w", path, err)
	}
	r.SetMaxOpenConns(max(4, runtime.GOMAXPROCS(0)))
	db.read = r
	return db, nil
}
