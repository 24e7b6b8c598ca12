package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib" // also registers the "pgx" database/sql driver

	"github.com/phasegate/phasegate"
)

// postgresDialect: PostgreSQL through pgx's database/sql driver.
type postgresDialect struct{}

func (postgresDialect) name() string { return "postgres" }

// rebind turns ? into $1, $2, … (the shared SQL has no ? in literals).
func (postgresDialect) rebind(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// lockWriters takes the row lock on the chain head. Every write
// transaction takes it first, so writers (across every instance sharing
// the database) run one at a time: the chain has no forks and guards read
// the latest committed state (READ COMMITTED sees it once the lock is
// held).
//
// The wait is bounded (lock_timeout, DefaultLockTimeout): an instance
// frozen in the middle of a write (a paused VM, a cut network) would
// otherwise hold every writer of every instance for as long as it stays
// frozen. A write that waited that long is refused, changing nothing,
// with EUNAVAILABLE (503: ask again); PostgreSQL ends the frozen
// session itself after DefaultIdleInTransaction, which frees the lock.
// lockWriters takes the chain head's row lock and then reads the
// database's clock: the outer SELECT is evaluated above the subquery's
// lock, so the time is when this writer got the log, and the log's times
// follow its order whatever the instances' own clocks say.
func (postgresDialect) lockWriters(ctx context.Context, tx *sql.Tx) (time.Time, error) {
	var at time.Time
	err := tx.QueryRowContext(ctx, `SELECT clock_timestamp() FROM (SELECT seq FROM chain_head WHERE id = 1 FOR UPDATE) AS head`).Scan(&at)
	var e *pgconn.PgError
	if errors.As(err, &e) && e.Code == "55P03" { // lock_not_available
		return time.Time{}, phasegate.Errorf(phasegate.EUNAVAILABLE,
			"another writer has held the event log for longer than the lock timeout, so nothing was changed: try again; "+
				"if it lasts, an instance may be stuck in the middle of a write (PostgreSQL ends such a session after %s; "+
				"look in pg_stat_activity for one idle in transaction)", DefaultIdleInTransaction)
	}
	return at, err
}

// Session settings a phasegate store sets on its PostgreSQL connections
// unless the URL gives them (e.g. ?lock_timeout=10s): how long a write
// waits for the event log's lock, and how long PostgreSQL lets a session
// sit idle inside a transaction before it ends it. No phasegate
// transaction waits on a person or on the network between statements.
const (
	DefaultLockTimeout       = 30 * time.Second
	DefaultIdleInTransaction = time.Minute
)

func (postgresDialect) beginView(ctx context.Context, db *sql.DB) (*sql.Tx, error) {
	return db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead})
}

func (postgresDialect) uniqueViolation(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23505"
}

// OpenPostgres opens the PostgreSQL database at dsn (a postgres:// URL or
// key=value string) and migrates it. clock stamps every transaction; nil
// means PostgreSQL's own clock (DB.Clock), so that every instance on the
// database keeps one time.
func OpenPostgres(ctx context.Context, dsn string, clock func() time.Time) (*DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, phasegate.Errorf(phasegate.EINVALID, "the PostgreSQL URL cannot be read (%v); write it as postgres://USER@HOST:5432/DATABASE", err)
	}
	for name, d := range map[string]time.Duration{
		"lock_timeout":                        DefaultLockTimeout,
		"idle_in_transaction_session_timeout": DefaultIdleInTransaction,
	} {
		if _, given := cfg.RuntimeParams[name]; !given {
			cfg.RuntimeParams[name] = strconv.FormatInt(d.Milliseconds(), 10)
		}
	}
	pool := stdlib.OpenDB(*cfg)
	pool.SetMaxOpenConns(16)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: cannot reach PostgreSQL: %w", err)
	}
	db := &DB{d: postgresDialect{}, write: pool, read: pool, clock: clock}
	if clock == nil {
		if err := db.measureClock(ctx); err != nil {
			pool.Close()
			return nil, err
		}
	}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}
