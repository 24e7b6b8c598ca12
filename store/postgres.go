package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
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
func (postgresDialect) lockWriters(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `SELECT seq FROM chain_head WHERE id = 1 FOR UPDATE`)
	return err
}

func (postgresDialect) beginView(ctx context.Context, db *sql.DB) (*sql.Tx, error) {
	return db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead})
}

func (postgresDialect) uniqueViolation(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23505"
}

// OpenPostgres opens the PostgreSQL database at dsn (a postgres:// URL or
// key=value string) and migrates it. clock stamps every transaction; nil
// means time.Now.
func OpenPostgres(ctx context.Context, dsn string, clock func() time.Time) (*DB, error) {
	pool, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open PostgreSQL: %w", err)
	}
	pool.SetMaxOpenConns(16)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: cannot reach PostgreSQL: %w", err)
	}
	db := &DB{d: postgresDialect{}, write: pool, read: pool, clock: clock}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}
