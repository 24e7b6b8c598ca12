package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/phasegate/phasegate/incident"
)

//go:embed migrations
var migrationFS embed.FS

// dialect is what differs between SQLite and PostgreSQL; sqlite.go and
// postgres.go each implement it.
type dialect interface {
	name() string
	// rebind turns the ? placeholders of the shared SQL into the
	// dialect's.
	rebind(q string) string
	// lockWriters is run first in every write transaction: it makes the
	// transaction the only writer until it ends. It returns the
	// database's clock once the lock is held, or the zero time where the
	// database has no clock of its own to offer (SQLite: same machine).
	lockWriters(ctx context.Context, tx *sql.Tx) (time.Time, error)
	// beginView starts a read-only transaction on a consistent snapshot.
	beginView(ctx context.Context, db *sql.DB) (*sql.Tx, error)
	// constraintViolation reports whether err is a unique or primary-key
	// violation.
	uniqueViolation(err error) bool
}

// DB is an open store. It implements incident.Store.
type DB struct {
	d     dialect
	write *sql.DB // SQLite: one connection, BEGIN IMMEDIATE
	read  *sql.DB // SQLite: a pool of readers; PostgreSQL: same as write
	// clock, when given, stamps every transaction (tests). Nil: the
	// database's clock where it has one (PostgreSQL), kept between writes
	// as local plus offset; else local.
	clock  func() time.Time
	local  func() time.Time
	offset atomic.Int64 // the database's clock minus local, in ns
	// closeFn releases dialect resources (e.g. a test's schema).
	closeFn func() error
	// path is the SQLite file ("" for PostgreSQL), for Backup.
	path string
}

// Dialect is "sqlite" or "postgres".
func (db *DB) Dialect() string { return db.d.name() }

// SQL returns the underlying write pool, for tools and tests that must
// reach under the store (e.g. the tamper tests). Do not use it to change
// data.
func (db *DB) SQL() *sql.DB { return db.write }

// Close closes the database.
func (db *DB) Close() error {
	var errs []error
	if db.read != db.write {
		errs = append(errs, db.read.Close())
	}
	errs = append(errs, db.write.Close())
	if db.closeFn != nil {
		errs = append(errs, db.closeFn())
	}
	return errors.Join(errs...)
}

// Update runs fn in a read-write transaction, serialised with every other
// writer.
func (db *DB) Update(ctx context.Context, fn func(incident.Tx) error) error {
	sqlTx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer sqlTx.Rollback()
	at, err := db.d.lockWriters(ctx, sqlTx)
	if err != nil {
		return fmt.Errorf("store: lock: %w", err)
	}
	t := &tx{ctx: ctx, tx: sqlTx, d: db.d, now: db.stamp(at), write: true}
	if err := fn(t); err != nil {
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// View runs fn in a read-only transaction.
func (db *DB) View(ctx context.Context, fn func(incident.Tx) error) error {
	sqlTx, err := db.d.beginView(ctx, db.read)
	if err != nil {
		return fmt.Errorf("store: begin read: %w", err)
	}
	defer sqlTx.Rollback()
	t := &tx{ctx: ctx, tx: sqlTx, d: db.d, now: db.now()}
	if err := fn(t); err != nil {
		return err
	}
	return sqlTx.Commit()
}

func (db *DB) now() time.Time {
	return db.Clock()().UTC().Truncate(time.Microsecond)
}

// Clock is the time as this store keeps it: the clock it was opened
// with, else the database's own (PostgreSQL: every write transaction is
// stamped by the database under the log's lock, and between writes this
// machine's clock is corrected by the offset last seen), else this
// machine's. Wire it into incident.Config.Clock and the server, so that
// instances sharing one database agree on when a session, an approval or
// a lock-out ends, and the log's times follow its order.
func (db *DB) Clock() func() time.Time {
	if db.clock != nil {
		return db.clock
	}
	return func() time.Time { return db.localClock()().Add(db.ClockOffset()) }
}

// ClockOffset is how far the database's clock is ahead of this
// machine's (negative: behind), as last measured; zero where the store
// keeps its own clock or the database has none (SQLite).
func (db *DB) ClockOffset() time.Duration { return time.Duration(db.offset.Load()) }

func (db *DB) localClock() func() time.Time {
	if db.local != nil {
		return db.local
	}
	return time.Now
}

// stamp is a write transaction's time: the clock given, else the
// database's (at, read once the lock was held; its offset from this
// machine's clock is kept for the reads between writes), else this
// machine's.
func (db *DB) stamp(at time.Time) time.Time {
	if db.clock != nil || at.IsZero() {
		return db.now()
	}
	// at was read just before the answer left the database, so this
	// underestimates the offset by the answer's trip: well under a
	// millisecond on a LAN.
	db.offset.Store(int64(at.Sub(db.localClock()())))
	return at.UTC().Truncate(time.Microsecond)
}

// measureClock sets the offset from one round trip, taking the
// database's answer as read halfway through it.
func (db *DB) measureClock(ctx context.Context) error {
	local := db.localClock()
	before := local()
	var at time.Time
	if err := db.read.QueryRowContext(ctx, `SELECT clock_timestamp()`).Scan(&at); err != nil {
		return fmt.Errorf("store: read the database's clock: %w", err)
	}
	after := local()
	db.offset.Store(int64(at.Sub(before.Add(after.Sub(before) / 2))))
	return nil
}

// migration is one numbered, embedded SQL file.
type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations(dialect string) ([]migration, error) {
	dir := path.Join("migrations", dialect)
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("migration %s: name must be NNNN_title.sql", e.Name())
		}
		b, err := fs.ReadFile(migrationFS, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{v, e.Name(), string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: expected number %04d (numbers are consecutive)", m.name, i+1)
		}
	}
	return ms, nil
}

// migrate applies the migrations this binary has and the database lacks,
// each in its own transaction with its record, and refuses a database
// migrated by a newer binary. It holds the writer lock throughout, so
// instances starting together migrate once.
func (db *DB) migrate(ctx context.Context) error {
	ms, err := loadMigrations(db.d.name())
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("store: create schema_migrations: %w", err)
	}
	for {
		done, err := db.migrateOne(ctx, ms)
		if err != nil {
			return err
		}
		if done {
			return nil
		}
	}
}

func (db *DB) migrateOne(ctx context.Context, ms []migration) (done bool, err error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("store: migrate: %w", err)
	}
	defer tx.Rollback()
	if db.d.name() == "postgres" {
		// chain_head may not exist yet: lock the migrations table.
		if _, err := tx.ExecContext(ctx, `LOCK TABLE schema_migrations IN EXCLUSIVE MODE`); err != nil {
			return false, fmt.Errorf("store: migrate: lock: %w", err)
		}
	}
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return false, fmt.Errorf("store: migrate: read version: %w", err)
	}
	if current > len(ms) {
		return false, fmt.Errorf("store: the database schema is at version %d but this phasegate knows only up to %d: "+
			"it was written by a newer phasegate; upgrade phasegate instead of using an older binary", current, len(ms))
	}
	if current == len(ms) {
		return true, nil
	}
	m := ms[current]
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return false, fmt.Errorf("store: migration %s failed: %w", m.name, err)
	}
	if _, err := tx.ExecContext(ctx, db.d.rebind(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
		m.version, m.name, incident.FormatTime(db.now())); err != nil {
		return false, fmt.Errorf("store: record migration %s: %w", m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("store: commit migration %s: %w", m.name, err)
	}
	return false, nil
}

// SchemaVersion returns the highest migration applied.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := db.read.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}
