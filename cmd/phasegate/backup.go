package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/phasegate/phasegate/incident"
	"github.com/phasegate/phasegate/store"
)

// Backups of the store: the database is the record regulators, insurers
// and the police will ask for, and the one machine it lives on may be
// the next to fail. A backup is a consistent copy made while the server
// runs (store.DB.Backup), an SQLite file whatever the store, its chain
// verified to its head, and recorded in the live log with that head
// (audit.backed_up), so the log vouches for the copy. `phasegate backup`
// makes one by hand; `serve --backup-dir DIR` makes one every
// --backup-every while there is something new, and keeps the last
// --backup-keep.

func backupCommand() command {
	return command{
		name:    "backup",
		summary: "copy the database to an SQLite file while the server runs, verified and recorded",
		usage: `Usage: phasegate backup [--db PATH | --postgres URL] [--out FILE]

Writes a consistent copy of the database while the server keeps running,
verifies the copy's hash chain to its last event, and records the backup
in the database's own log (audit.backed_up, by cli:break-glass, with the
copy's last event and hash), so the log vouches for the copy.

The copy is one SQLite file, a database like any other, whatever the
store: phasegate audit verify --db FILE checks it, phasegate audit export
--db FILE reads it, phasegate serve --db FILE runs on it (on a laptop,
when the servers and the PostgreSQL they share are down). Of SQLite it is
VACUUM INTO: one snapshot, the writer never held up. Of PostgreSQL every
table is read in one read-only snapshot while the servers go on writing;
the copy needs the store's schema to be this phasegate's (a store a newer
phasegate migrated is refused: back it up with that one).

  --db PATH       the server's SQLite database (default ./phasegate.db)
  --postgres URL  the server's PostgreSQL database instead (postgres://...)
  --out FILE      where to write the copy; it must not exist (default
                  phasegate-backup-TIME.db in the current folder)

To back up on a schedule, give the server --backup-dir DIR (see
phasegate help serve).`,
		run: runBackup,
	}
}

func runBackup(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("backup")
	var d dbFlags
	d.register(fs)
	out := fs.String("out", "", "the copy to write")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q; name the copy with --out FILE", pos[0])
	}
	dst := *out
	if dst == "" {
		dst = backupName(e.now())
	}
	// The cheap check first: a wrong --out needs no database opened.
	if dir := filepath.Dir(dst); !isDir(dir) {
		return fmt.Errorf("%s: the folder %s does not exist; create it, or choose another --out", dst, dir)
	}
	st, err := d.open(ctx, false)
	if err != nil {
		return err
	}
	defer st.Close()
	b, ev, err := makeBackup(ctx, st, breakGlassService(st), breakGlassAdmin(), dst)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Wrote %s: %s, %s, the chain verified to event %d (hash %s).\n",
		dst, plural(int(b.Events), "event"), byteSize(b.Bytes), b.Seq, b.Hash)
	fmt.Fprintf(e.stdout, "Recorded as event %d in %s. Keep the copy on another machine; check it with: phasegate audit verify --db %s\n",
		ev.Seq, d.where(), dst)
	return nil
}

// makeBackup copies the store to dst, verifies the copy's chain and
// records the backup in the store's log as actor.
func makeBackup(ctx context.Context, st *store.DB, svc *incident.Service, actor incident.Actor, dst string) (*incident.Backup, incident.Event, error) {
	if err := st.Backup(ctx, dst); err != nil {
		return nil, incident.Event{}, err
	}
	b, err := verifyCopy(ctx, dst)
	if err != nil {
		return nil, incident.Event{}, err
	}
	ev, err := svc.RecordBackup(ctx, actor, *b)
	if err != nil {
		return nil, incident.Event{}, fmt.Errorf("the copy %s was made and verifies, but recording it in the log failed: %w", dst, err)
	}
	return b, ev, nil
}

// verifyCopy opens a fresh copy and walks its chain.
func verifyCopy(ctx context.Context, path string) (*incident.Backup, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	cp, err := store.OpenSQLite(ctx, path, nil)
	if err != nil {
		return nil, fmt.Errorf("the copy %s cannot be opened: %w", path, err)
	}
	defer cp.Close()
	return incident.VerifyBackup(ctx, cp, filepath.Base(path), fi.Size())
}

// backupPrefix and backupTime name scheduled copies so that their names
// sort by time and a prune never touches anything else.
const (
	backupPrefix = "phasegate-backup-"
	backupTime   = "20060102T150405Z"
)

func backupName(t time.Time) string {
	return backupPrefix + t.UTC().Format(backupTime) + ".db"
}

// isBackupName: a name backupName gives, and nothing else.
func isBackupName(name string) bool {
	stamp, ok := strings.CutPrefix(name, backupPrefix)
	if !ok {
		return false
	}
	stamp, ok = strings.CutSuffix(stamp, ".db")
	if !ok {
		return false
	}
	_, err := time.Parse(backupTime, stamp)
	return err == nil
}

// byteSize says a size the way a person reads it.
func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// backupSchedule makes a backup into dir every interval while the log has
// grown since the last one, and keeps the newest keep copies.
type backupSchedule struct {
	st    *store.DB
	svc   *incident.Service
	dir   string
	every time.Duration
	keep  int
	now   func() time.Time
	log   *slog.Logger
	// lastSeq is the event that recorded the last backup: a log that ends
	// there has nothing new to copy.
	lastSeq int64
}

// backupActor is phasegate's own name for the scheduled backups.
var backupActor = incident.SystemActor("backup", incident.RoleAdmin)

func (b *backupSchedule) run(ctx context.Context) {
	t := time.NewTicker(b.every)
	defer t.Stop()
	b.once(ctx) // one at start: the copy is there before the first change
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			b.once(ctx)
		}
	}
}

// once makes one backup if there is something new, then prunes.
func (b *backupSchedule) once(ctx context.Context) {
	head, _, err := b.svc.ChainHead(ctx)
	if err != nil {
		b.log.Error("backup: reading the log's head", "error", err)
		return
	}
	if head == 0 || head == b.lastSeq {
		return
	}
	if b.lastSeq > 0 {
		fresh, err := b.newSince(ctx, b.lastSeq)
		if err != nil {
			b.log.Error("backup: reading the log since the last backup", "error", err)
			return
		}
		if !fresh {
			b.lastSeq = head
			return
		}
	}
	dst := filepath.Join(b.dir, backupName(b.now()))
	bk, ev, err := makeBackup(ctx, b.st, b.svc, backupActor, dst)
	if err != nil {
		if ctx.Err() == nil {
			b.log.Error("backup failed; the server goes on, the next try is at the next interval", "to", dst, "error", err)
		}
		return
	}
	b.lastSeq = ev.Seq
	b.log.Info("backup written", "to", dst, "events", bk.Events, "through_seq", bk.Seq, "bytes", bk.Bytes, "recorded_as", ev.Seq)
	if err := pruneBackups(b.dir, b.keep); err != nil {
		b.log.Error("backup: removing old copies", "dir", b.dir, "error", err)
	}
}

// newSince reports whether the log has something after seq besides the
// records of scheduled backups. Another instance on the same PostgreSQL
// store backs it up too: its record alone is nothing new, else each
// instance would copy the other's record every interval, forever.
func (b *backupSchedule) newSince(ctx context.Context, seq int64) (bool, error) {
	for {
		evs, err := b.svc.Events(ctx, backupActor, incident.EventQuery{After: seq, Limit: 100})
		if err != nil || len(evs) == 0 {
			return false, err
		}
		for _, e := range evs {
			if e.Type != incident.EventAuditBackedUp || e.Actor != backupActor.Name {
				return true, nil
			}
			seq = e.Seq
		}
	}
}

// pruneBackups removes the oldest copies in dir beyond keep; only files
// named as backupName names them, so nothing else in dir is touched.
func pruneBackups(dir string, keep int) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() && isBackupName(e.Name()) {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names) // by time: the names sort as their times do
	var errs []error
	for len(names) > keep {
		if err := os.Remove(filepath.Join(dir, names[0])); err != nil {
			errs = append(errs, err)
		}
		names = names[1:]
	}
	return errors.Join(errs...)
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}
