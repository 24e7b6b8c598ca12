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

// Backup writes a consistent copy of the store to dst, an SQLite file,
// while the store stays in use. Of an SQLite store, VACUUM INTO reads one
// snapshot, so the copy is the database as it stood at one commit, and
// in WAL mode the writer is never held up. Of a PostgreSQL store, every
// table is read in one read-only REPEATABLE READ transaction, one
// snapshot too, into a new SQLite store (backup_postgres.go): the shared
// store can be carried to a laptop when everything else is down, or
// handed over as one file.
//
// It writes dst+".partial" first and renames it, so a crash, a full disk
// or a cancelled ctx never leaves a half copy under the final name; dst
// must not exist. The copy is a database like any other: serve --db,
// audit verify --db and audit export --db read it.
func (db *DB) Backup(ctx context.Context, dst string) error {
	if _, err := os.Lstat(dst); err == nil {
		return phasegate.Errorf(phasegate.ECONFLICT, "%s already exists; choose a new name so no backup is overwritten", dst)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("store: backup to %s: %w", dst, err)
	}
	partial := dst + ".partial"
	// An unfinished copy from a crash goes, with the journal files SQLite
	// keeps beside it: a stale -wal would be read into the new copy.
	for _, p := range partialFiles(partial) {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("store: backup: removing an unfinished copy %s: %w", p, err)
		}
	}
	// Created empty first, readable by its owner only: the copy holds what
	// the database holds (password, session and token hashes). VACUUM
	// INTO fills an empty file, and SQLite makes a new database in one.
	f, err := os.OpenFile(partial, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	f.Close()
	if db.path == "" {
		err = db.copyPostgres(ctx, partial)
	} else {
		err = db.vacuumInto(ctx, partial)
	}
	if err == nil {
		// A backup cancelled as it ended leaves nothing either.
		err = ctx.Err()
	}
	if err == nil {
		err = syncFile(partial)
	}
	if err == nil {
		err = os.Rename(partial, dst)
	}
	if err != nil {
		for _, p := range partialFiles(partial) {
			os.Remove(p)
		}
		if cerr := ctx.Err(); cerr != nil {
			// Whatever the step said (SQLite says "interrupted"), it
			// was the cancel.
			return fmt.Errorf("store: backup to %s stopped, nothing written: %w", dst, cerr)
		}
		return fmt.Errorf("store: backup to %s: %w", dst, err)
	}
	// The rename made durable too, where the filesystem allows syncing a
	// folder (not every one does; the copy itself is already on disk).
	_ = syncFile(filepath.Dir(dst))
	return nil
}

// partialFiles are the unfinished copy and the files SQLite may keep
// beside it while it is written.
func partialFiles(partial string) []string {
	return []string{partial, partial + "-wal", partial + "-shm", partial + "-journal"}
}

// vacuumInto copies an SQLite store into the empty file at path.
func (db *DB) vacuumInto(ctx context.Context, path string) error {
	// Its own connection: the pool's readers are query_only, which SQLite
	// takes to forbid VACUUM INTO, and the writer must stay free.
	c, err := sql.Open("sqlite", sqliteBackupDSN(db.path))
	if err != nil {
		return fmt.Errorf("open %s: %w", db.path, err)
	}
	defer c.Close()
	c.SetMaxOpenConns(1)
	if _, err := c.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		return fmt.Errorf("copying %s: %w", db.path, err)
	}
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
