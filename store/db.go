package store

import (
	"context"
	"errors"
	"time"

	"github.com/phasegate/phasegate/incident"
)

// DB is an open store.
type DB struct{}

// OpenSQLite opens (creating if needed) the SQLite database at path.
func OpenSQLite(ctx context.Context, path string, clock func() time.Time) (*DB, error) {
	return nil, errors.New("store: not implemented yet")
}

// OpenPostgres opens the PostgreSQL database at dsn.
func OpenPostgres(ctx context.Context, dsn string, clock func() time.Time) (*DB, error) {
	return nil, errors.New("store: not implemented yet")
}

func (db *DB) Update(ctx context.Context, fn func(incident.Tx) error) error { return nil }
func (db *DB) View(ctx context.Context, fn func(incident.Tx) error) error   { return nil }
func (db *DB) Close() error                                                 { return nil }
