package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/incident"
	"github.com/phasegate/phasegate/server"
	"github.com/phasegate/phasegate/store"
)

// The admin commands work on the database directly, for set-up and for
// break-glass use when the server is down. They need no login: whoever
// can open the database already holds everything in it. Their events
// name incident.BreakGlassActor.

// subcommand is one verb of a command with several (user add, audit
// verify).
type subcommand struct {
	name string
	run  func(ctx context.Context, args []string, e env) error
}

func dispatch(cmd string, subs []subcommand, args []string, e env) (func(context.Context, []string, env) error, []string, error) {
	var names []string
	for _, s := range subs {
		names = append(names, s.name)
	}
	if len(args) == 0 {
		return nil, nil, usagef("give what to do: %s", joinOr(names))
	}
	for _, a := range args {
		if a == "--" {
			break
		}
		if isHelpFlag(a) {
			return nil, nil, helpError{}
		}
	}
	for _, s := range subs {
		if s.name == args[0] {
			return s.run, args[1:], nil
		}
	}
	msg := fmt.Sprintf("%q is not something %s does; use %s", args[0], cmd, joinOr(names))
	if c := closest(args[0], names); c != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", c)
	}
	return nil, nil, usagef("%s", msg)
}

func runSub(cmd string, subs []subcommand) func(context.Context, []string, env) error {
	return func(ctx context.Context, args []string, e env) error {
		run, rest, err := dispatch(cmd, subs, args, e)
		if err != nil {
			return err
		}
		return run(ctx, rest, e)
	}
}

// dbFlags are --db and --postgres.
type dbFlags struct {
	db       string
	postgres string
	fs       *flag.FlagSet
	// creates: the command can create a database with --create.
	creates bool
}

func (d *dbFlags) register(fs *flag.FlagSet) {
	d.fs = fs
	fs.StringVar(&d.db, "db", "./phasegate.db", "SQLite database file")
	fs.StringVar(&d.postgres, "postgres", "", "PostgreSQL URL")
}

// open opens the store. Unless create, it refuses a SQLite path with no
// database, instead of creating an empty one (a typo in --db would
// otherwise make a new database and act on it).
func (d *dbFlags) open(ctx context.Context, create bool) (*store.DB, error) {
	if err := checkOneStore(d.fs != nil && flagGiven(d.fs, "db"), d.postgres); err != nil {
		return nil, err
	}
	if d.postgres == "" && !create {
		if _, err := os.Stat(d.db); err != nil {
			msg := fmt.Sprintf("%s: no database there; give the server's database with --db PATH (or --postgres URL)", d.db)
			if d.creates {
				msg += ", or add --create to make a new one"
			}
			return nil, errors.New(msg)
		}
	}
	return openStore(ctx, d.db, d.postgres)
}

// checkOneStore refuses --db and --postgres together: which one was
// meant cannot be guessed.
func checkOneStore(dbGiven bool, postgres string) error {
	if dbGiven && postgres != "" {
		return usagef("--db and --postgres both given: choose one, --db PATH for SQLite or --postgres URL for PostgreSQL")
	}
	if postgres != "" && !strings.HasPrefix(postgres, "postgres://") && !strings.HasPrefix(postgres, "postgresql://") {
		return usagef("--postgres %q: give a postgres:// URL, e.g. postgres://user@host:5432/phasegate", redactURL(postgres))
	}
	return nil
}

// openStore opens the SQLite database at path, or PostgreSQL when
// postgres is set, and says what is wrong and what to do when it cannot.
func openStore(ctx context.Context, path, postgres string) (*store.DB, error) {
	if postgres != "" {
		db, err := store.OpenPostgres(ctx, postgres, nil) // PostgreSQL's clock
		if err != nil {
			return nil, postgresError(postgres, err)
		}
		return db, nil
	}
	if dir := filepath.Dir(path); dir != "" {
		if _, err := os.Stat(dir); os.IsNotExist(err) {
			return nil, fmt.Errorf("%s: the folder %s does not exist; create it, or give another --db PATH", path, dir)
		}
	}
	db, err := store.OpenSQLite(ctx, path, time.Now)
	if err != nil {
		cause := err
		if u := errors.Unwrap(err); u != nil && strings.HasPrefix(err.Error(), "store: open ") {
			cause = u
		}
		return nil, fmt.Errorf("%s: cannot open the SQLite database (%v); check that it is a phasegate database you may read and write, or give another --db PATH", path, cause)
	}
	return db, nil
}

// postgresError puts a failed connection to PostgreSQL on one line,
// without the URL's password.
func postgresError(dsn string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "store: cannot reach PostgreSQL: ")
	msg = strings.TrimPrefix(msg, "store: open PostgreSQL: ")
	msg = strings.ReplaceAll(msg, dsn, redactURL(dsn))
	// pgx lists one line per address tried; the last says why.
	lines := strings.Split(strings.TrimSpace(msg), "\n")
	if last := strings.TrimSpace(lines[len(lines)-1]); len(lines) > 1 && last != "" {
		msg = strings.TrimSpace(strings.TrimSuffix(lines[0], ":")) + ": " + last
	}
	where := "the server"
	if u, perr := url.Parse(dsn); perr == nil && u.Host != "" {
		where = u.Host + u.Path
	}
	return fmt.Errorf("cannot connect to PostgreSQL at %s (%s); check the --postgres URL (user, host, port, database) and that PostgreSQL runs and lets this user in", where, msg)
}

// redactURL hides a URL's password.
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	return s
}

func breakGlassService(db *store.DB) *incident.Service {
	return incident.New(incident.Config{Store: db, Clock: db.Clock()})
}

// breakGlassAdmin is the actor of the commands that act on the database
// directly and are recorded (audit export, audit report).
func breakGlassAdmin() incident.Actor {
	return incident.Actor{Name: incident.BreakGlassActor, Grants: []incident.Grant{{Role: incident.RoleAdmin}}, System: true}
}

// where names the database for a person: its path, or PostgreSQL.
func (d *dbFlags) where() string {
	if d.postgres != "" {
		return "the PostgreSQL database"
	}
	return d.db
}

// ---- user

func userCommand() command {
	return command{
		name:    "user",
		summary: "add a user directly in the database (set-up and break-glass)",
		usage: `Usage: phasegate user add NAME --role ROLE[,ROLE] [--scope team=X|system=Y[,...]]
                         [--password-stdin] [--db PATH [--create] | --postgres URL]

Creates an account without the server, e.g. the first people of a recovery
or an admin when every admin is locked out. Without --password-stdin a
random password is generated and printed once.

  --role            admin, incident-commander, recovery-lead, system-owner,
                    forensics, comms or viewer; several separated by commas
  --scope           what a system-owner owns: team=ID or system=ID, several
                    separated by commas (required with system-owner)
  --password-stdin  read the password from the first line of standard input
  --db, --postgres  the database (default ./phasegate.db); it must exist
  --create          create the SQLite database when there is none, to add
                    the first people before the server's first start (the
                    server then creates no admin of its own)`,
		run: runSub("user", []subcommand{{"add", runUserAdd}}),
	}
}

func runUserAdd(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("user")
	d := dbFlags{creates: true}
	d.register(fs)
	var roles, scope string
	var pwStdin, create bool
	fs.BoolVar(&create, "create", false, "create the database when there is none")
	fs.StringVar(&roles, "role", "", "roles")
	fs.StringVar(&scope, "scope", "", "scope of system-owner")
	fs.BoolVar(&pwStdin, "password-stdin", false, "read the password from stdin")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("give one user name: phasegate user add NAME --role ROLE")
	}
	grants, err := parseGrants(roles, scope)
	if err != nil {
		return err
	}
	password := ""
	if pwStdin {
		line, err := bufio.NewReader(e.stdin).ReadString('\n')
		if err != nil && err != io.EOF {
			return fmt.Errorf("reading the password from standard input: %v", err)
		}
		password = strings.TrimRight(line, "\r\n")
		if password == "" {
			return usagef("--password-stdin: standard input holds no password; pipe one in, or leave the flag out to generate one")
		}
	} else if password, err = server.RandomPassword(); err != nil {
		return err
	}
	if create && d.postgres != "" {
		return usagef("--create goes with --db PATH: a PostgreSQL database is created by its administrator")
	}
	db, err := d.open(ctx, create)
	if err != nil {
		return err
	}
	defer db.Close()
	u, err := breakGlassService(db).BreakGlassAddUser(ctx, pos[0], password, grants)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "Created user %q (id %d) with %s.\n", u.Name, u.ID, grantsText(u.Grants))
	if !pwStdin {
		fmt.Fprintf(e.stderr, "Password, shown only this once:\n")
		fmt.Fprintln(e.stdout, password)
	}
	return nil
}

// parseGrants reads --role a,b and --scope team=x,system=y; the scope
// goes to the system-owner grant.
func parseGrants(roles, scope string) ([]incident.Grant, error) {
	if strings.TrimSpace(roles) == "" {
		return nil, usagef("give the user's roles with --role, e.g. --role incident-commander")
	}
	var teams, systems []string
	if scope != "" {
		for _, term := range strings.Split(scope, ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(term), "=")
			switch {
			case ok && k == "team" && v != "":
				teams = append(teams, v)
			case ok && k == "system" && v != "":
				systems = append(systems, v)
			default:
				return nil, usagef("--scope %q: write team=ID or system=ID, several separated by commas", term)
			}
		}
	}
	var grants []incident.Grant
	hasOwner := false
	for _, name := range strings.Split(roles, ",") {
		r, err := incident.ParseRole(name)
		if err != nil {
			return nil, usagef("--role: %s", err)
		}
		g := incident.Grant{Role: r}
		if r == incident.RoleSystemOwner {
			g.Teams, g.Systems, hasOwner = teams, systems, true
			if len(teams) == 0 && len(systems) == 0 {
				return nil, usagef("--role system-owner needs --scope team=ID or --scope system=ID: what does the user own?")
			}
		}
		grants = append(grants, g)
	}
	if scope != "" && !hasOwner {
		return nil, usagef("--scope applies only to the system-owner role; add it to --role or leave --scope out")
	}
	return grants, nil
}

func grantsText(gs []incident.Grant) string {
	parts := make([]string, len(gs))
	for i, g := range gs {
		parts[i] = g.String()
	}
	return "roles " + strings.Join(parts, ", ")
}

// ---- token

func runTokenCreate(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("token")
	var d dbFlags
	d.register(fs)
	var user, role, label, expires string
	fs.StringVar(&user, "user", "", "user name")
	fs.StringVar(&role, "role", "", "role")
	fs.StringVar(&label, "label", "", "label")
	fs.StringVar(&expires, "expires", "", "a duration (30d) or a date")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q; name the user with --user NAME", pos[0])
	}
	if user == "" {
		return usagef("give the user with --user NAME")
	}
	var r incident.Role
	if role != "" {
		if r, err = incident.ParseRole(role); err != nil {
			return usagef("--role: %s", err)
		}
	}
	var until time.Time
	if expires != "" {
		if until, err = parseExpiry(expires, e.now()); err != nil {
			return usagef("--expires %q: %v", expires, err)
		}
	}
	db, err := d.open(ctx, false)
	if err != nil {
		return err
	}
	defer db.Close()
	t, err := breakGlassService(db).BreakGlassIssueToken(ctx, user, incident.TokenRequest{Role: r, Label: label, ExpiresAt: until})
	if err != nil {
		if role == "" && phasegate.ErrorCode(err) == phasegate.EINVALID && strings.Contains(err.Error(), "several roles") {
			return fmt.Errorf("%v: give it with --role ROLE", err)
		}
		return err
	}
	expiry := "never expires"
	if !t.Token.ExpiresAt.IsZero() {
		expiry = "expires " + t.Token.ExpiresAt.Format(time.RFC3339)
	}
	fmt.Fprintf(e.stderr, "Created token %d for %s acting as %s; it %s. It is shown only this once:\n", t.Token.ID, user, t.Token.Role, expiry)
	fmt.Fprintln(e.stdout, t.Secret)
	return nil
}

// parseExpiry reads --expires: a duration from now (12h, 30d), a date
// (the end of that day, UTC) or an RFC 3339 time. It must be later than
// now.
func parseExpiry(s string, now time.Time) (time.Time, error) {
	var t time.Time
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil {
			t = now.Add(time.Duration(n) * 24 * time.Hour)
		}
	}
	if t.IsZero() {
		if d, err := time.ParseDuration(s); err == nil {
			t = now.Add(d)
		} else if t, err = parseWhen(s, time.UTC, true); err != nil {
			return time.Time{}, errors.New("give a duration (12h, 30d), a date a day ahead (YYYY-MM-DD) or an RFC 3339 time")
		}
	}
	if !t.After(now) {
		return time.Time{}, fmt.Errorf("%s is not in the future; give a later time", t.Format(time.RFC3339))
	}
	return t, nil
}

// ---- audit

func auditCommand() command {
	return command{
		name:    "audit",
		summary: "verify or export the hash-chained event log",
		usage: `Usage: phasegate audit verify [--db PATH | --postgres URL | --file EXPORT.jsonl]
       phasegate audit export [--db PATH | --postgres URL] [--out FILE] [--after SEQ] [--evidence-copy]
       phasegate audit report ID [--db PATH | --postgres URL] [--out FILE]
       phasegate audit check-report REPORT [--export EVENTS.jsonl]

verify walks the hash chain of every event and names the first one that was
altered, removed or reordered (exit status 1). With --file it checks an
export instead of a database, as a regulator would.

export writes the log as JSON Lines, one event per line with its hashes,
to FILE or standard output (--after SEQ: only the events after SEQ). The
export is recorded in the log first, by cli:break-glass, as one through the
server is; --evidence-copy reads a copy kept as evidence and records
nothing in it.

check-report checks a copy of an incident report (the HTML document or its
JSON, from phasegate incident report) with no server: that its content
gives the digest it was recorded with, that an HTML document's visible text
is what its data gives, and, with --export, that a verified export of the
log holds the event that recorded it (exit status 1 if not).

report makes the incident report on the database directly, for when the
server is down: the same document as phasegate incident report (by default
phasegate-incident-ID-report-SEQ.html, SEQ the event that records it; --out
FILE.json: its JSON), recorded in the log the same way, by cli:break-glass.`,
		run: runSub("audit", []subcommand{{"verify", runAuditVerify}, {"export", runAuditExport}, {"check-report", runAuditCheckReport}, {"report", runAuditReport}}),
	}
}

func runAuditVerify(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("audit")
	var d dbFlags
	d.register(fs)
	var file string
	fs.StringVar(&file, "file", "", "a JSON Lines export")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q; give the database with --db PATH or an export with --file", pos[0])
	}
	var rep *incident.VerifyReport
	what := ""
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return pathError(file, err, "give the path of a file written by 'phasegate audit export --out FILE'")
		}
		defer f.Close()
		rep, err = incident.VerifyExport(f)
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		what = file
	} else {
		db, err := d.open(ctx, false)
		if err != nil {
			return err
		}
		defer db.Close()
		if rep, err = incident.VerifyStore(ctx, db); err != nil {
			return err
		}
		what = d.where()
	}
	if !rep.OK {
		p := rep.Problem
		fmt.Fprintf(e.stdout, "BROKEN: %s\n", p.Message)
		fmt.Fprintf(e.stdout, "first bad event: %d (check %s); %s before it verified\n", p.Seq, p.Check, plural(int(rep.Events), "event"))
		if file != "" {
			fmt.Fprintf(e.stderr, "the export %s was altered, cut or reordered after it was written, or is not an export of phasegate; "+
				"keep the file as evidence, and export the log again from the server's database (phasegate audit export --db PATH --out FILE) to compare\n", file)
		} else {
			fmt.Fprintf(e.stderr, "the event log of %s has been altered, removed from or reordered; keep a copy of the database as evidence before changing anything\n", what)
		}
		return &silentError{code: exitFailure}
	}
	if file != "" && rep.Events == 0 {
		fmt.Fprintf(e.stderr, "%s holds no events: an empty export is evidence of nothing; export the log with 'phasegate audit export --db PATH --out FILE' and verify that\n", file)
		return &silentError{code: exitFailure}
	}
	fmt.Fprintf(e.stdout, "OK: %s, the hash chain is intact; last event %d, hash %s\n", plural(int(rep.Events), "event"), rep.LastSeq, rep.LastHash)
	if file != "" {
		fmt.Fprintf(e.stderr, "Events cut off the end of an export leave no trace in the file: compare the last event and hash above "+
			"with the server's head ('phasegate audit verify --db PATH', or GET /api/v1/audit/verify).\n")
	}
	return nil
}

func runAuditExport(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("audit")
	var d dbFlags
	d.register(fs)
	var out string
	var after int64
	fs.StringVar(&out, "out", "", "output file")
	fs.Int64Var(&after, "after", 0, "only events after this seq")
	var copyOnly bool
	fs.BoolVar(&copyOnly, "evidence-copy", false, "the database is a copy kept as evidence: read it, record nothing in it")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q; write to a file with --out FILE", pos[0])
	}
	if after < 0 {
		return usagef("--after %d: give an event number, 0 or more, to export the events after it", after)
	}
	db, err := d.open(ctx, false)
	if err != nil {
		return err
	}
	defer db.Close()
	// An export taken at the database is recorded as one taken through
	// the server is, by cli:break-glass: whoever walks off with the log
	// leaves their mark in it. A copy kept as evidence is read as it is.
	export := func(w io.Writer) (int64, error) {
		if copyOnly {
			return incident.ExportStore(ctx, db, w, after)
		}
		return breakGlassService(db).ExportAudit(ctx, breakGlassAdmin(), w, after)
	}
	if copyOnly {
		fmt.Fprintf(e.stderr, "--evidence-copy: reading %s without recording the export in it; use this on a copy kept as evidence, never on the server's database.\n", d.where())
	}
	if out == "" {
		_, err := export(e.stdout)
		return err
	}
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if os.IsExist(err) {
			return fmt.Errorf("%s already exists; choose a new file so no export is overwritten", out)
		}
		return outError(out, err)
	}
	bw := bufio.NewWriter(f)
	n, err := export(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", out, err)
	}
	fmt.Fprintf(e.stderr, "Wrote %s to %s.\n", plural(int(n), "event"), out)
	return nil
}
