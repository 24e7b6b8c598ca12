package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/phasegate/phasegate"
)

// Backup writes a consistent copy of an SQLite store to dst while the
// store stays in use: VACUUM INTO reads one snapshot, so the copy is the
// database as it stood at one commit, and in WAL mode the writer is never
// held up. It writes dst+".partial" first and renames it, so a crash or a
// full disk never leaves a half copy under the final name; dst must not
// exist. The copy is a database like any other: serve --db, audit verify
// --db and audit export --db read it.
//
// PostgreSQL has its own tools for this (pg_dump, base backups and WAL
// archiving); Backup refuses it and says so.
func (db *DB) Backup(ctx context.Context, dst string) error {
	if db.path == "" {
		return phasegate.Errorf(phasegate.EINVALID,
			"backing up a PostgreSQL store is PostgreSQL's own job: use pg_dump (e.g. pg_dump -Fc -f phasegate.dump DATABASE) or its continuous archiving")
	}
	if _, err := os.Lstat(dst); err == nil {
		return phasegate.Errorf(phasegate.ECONFLICT, "%s already exists; choose a new name so no backup is overwritten", dst)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("store: backup to %s: %w", dst, err)
	}
	partial := dst + ".partial"
	if err := os.Remove(partial); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("store: backup: removing an unfinished copy %s: %w", partial, err)
	}
	// Created empty first, readable by its owner only: the copy holds what
	// the database holds (password, session and token hashes). VACUUM
	// INTO fills an empty file.
	f, err := os.OpenFile(partial, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	f.Close()
	// Its own connection: the pool's readers are query_only, which SQLite
	// takes to forbid VACUUM INTO, and the writer must stay free.
	c, err := sql.Open("sqlite", sqliteBackupDSN(db.path))
	if err != nil {
		return fmt.Errorf("store: backup: open %s: %w", db.path, err)
	}
	defer c.Close()
	c.SetMaxOpenConns(1)
	if _, err := c.ExecContext(ctx, `VACUUM INTO ?`, partial); err != nil {
		os.Remove(partial)
		return fmt.Errorf("store: backup of %s to %s: %w", db.path, partial, err)
	}
	if err := syncFile(partial); err != nil {
		os.Remove(partial)
		return fmt.Errorf("store: backup: %w", err)
	}
	if err := os.Rename(partial, dst); err != nil {
		os.Remove(partial)
		return fmt.Errorf("store: backup: %w", err)
	}
	// The rename made durable too, where the filesystem allows syncing a
	// folder (not every one does; the copy itself is already on disk).
	_ = syncFile(filepath.Dir(dst))
	return nil
}

// syncFile flushes a file (or a directory, after a rename) to disk.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
