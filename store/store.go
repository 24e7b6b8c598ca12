// Package store keeps incidents, accounts and the hash-chained event log
// in SQL: embedded SQLite (modernc.org/sqlite, the default) or PostgreSQL
// (pgx through database/sql). It implements incident.Store. The SQL is
// written once (store.go, tx.go); what differs between the two lives in
// sqlite.go and postgres.go, and each has its own numbered migrations.
package store

import (
	"context"
	"strings"
	"time"

	"github.com/phasegate/phasegate/incident"
)

// Open opens the store named by dsn: a postgres:// or postgresql:// URL
// opens PostgreSQL, anything else is a SQLite file path. It runs the
// migrations and refuses a schema newer than this binary knows. clock
// stamps every transaction (Tx.Now); nil means the database's own clock
// on PostgreSQL and this machine's on SQLite (DB.Clock).
func Open(ctx context.Context, dsn string, clock func() time.Time) (*DB, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return OpenPostgres(ctx, dsn, clock)
	}
	return OpenSQLite(ctx, dsn, clock)
}

var _ incident.Store = (*DB)(nil)
