package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

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
}

func (d *dbFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&d.db, "db", "./phasegate.db", "SQLite database file")
	fs.StringVar(&d.postgres, "postgres", "", "PostgreSQL URL")
}

// open opens the store. mustExist refuses a SQLite path with no database
// (reading commands), instead of creating an empty one.
func (d *dbFlags) open(ctx context.Context, mustExist bool) (*store.DB, error) {
	if d.postgres != "" {
		if !strings.HasPrefix(d.postgres, "postgres://") && !strings.HasPrefix(d.postgres, "postgresql://") {
			return nil, usagef("--postgres %q: give a postgres:// URL", d.postgres)
		}
		return store.OpenPostgres(ctx, d.postgres, time.Now)
	}
	if mustExist {
		if _, err := os.Stat(d.db); err != nil {
			return nil, fmt.Errorf("%s: no database there; give the server's database with --db PATH (or --postgres URL)", d.db)
		}
	}
	db, err := store.OpenSQLite(ctx, d.db, time.Now)
	if err != nil {
		return nil, fmt.Errorf("%w; check --db", err)
	}
	return db, nil
}

func breakGlassService(db *store.DB) *incident.Service {
	return incident.New(incident.Config{Store: db, Clock: time.Now})
}

// ---- user

func userCommand() command {
	return command{
		name:    "user",
		summary: "add a user directly in the database (set-up and break-glass)",
		usage: `Usage: phasegate user add NAME --role ROLE[,ROLE] [--scope team=X|system=Y[,...]]
                         [--password-stdin] [--db PATH | --postgres URL]

Creates an account without the server, e.g. the first people of a recovery
or an admin when every admin is locked out. Without --password-stdin a
random password is generated and printed once.

  --role            admin, incident-commander, recovery-lead, system-owner,
                    forensics, comms or viewer; several separated by commas
  --scope           what a system-owner owns: team=ID or system=ID, several
                    separated by commas (required with system-owner)
  --password-stdin  read the password from the first line of standard input
  --db, --postgres  the database (default ./phasegate.db)`,
		run: runSub("user", []subcommand{{"add", runUserAdd}}),
	}
}

func runUserAdd(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("user")
	var d dbFlags
	d.register(fs)
	var roles, scope string
	var pwStdin bool
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
	db, err := d.open(ctx, false)
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

func tokenCommand() command {
	return command{
		name:    "token",
		summary: "create an API token directly in the database (set-up and break-glass)",
		usage: `Usage: phasegate token create --user NAME [--role ROLE] [--label TEXT]
                            [--db PATH | --postgres URL]

Creates an API token for a user and prints it once, alone on standard
output, so a script can capture it:

    export PHASEGATE_TOKEN=$(phasegate token create --user ci --role viewer)

  --user            whose token it is
  --role            the one role the token acts with; it must be one the user
                    holds (default: the user's only role)
  --label           a note on what the token is for
  --db, --postgres  the database (default ./phasegate.db)`,
		run: runSub("token", []subcommand{{"create", runTokenCreate}}),
	}
}

func runTokenCreate(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("token")
	var d dbFlags
	d.register(fs)
	var user, role, label string
	fs.StringVar(&user, "user", "", "user name")
	fs.StringVar(&role, "role", "", "role")
	fs.StringVar(&label, "label", "", "label")
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
	db, err := d.open(ctx, true)
	if err != nil {
		return err
	}
	defer db.Close()
	t, err := breakGlassService(db).BreakGlassCreateToken(ctx, user, r, label)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "Created token %d for %s acting as %s. It is shown only this once:\n", t.Token.ID, user, t.Token.Role)
	fmt.Fprintln(e.stdout, t.Secret)
	return nil
}

// ---- audit

func auditCommand() command {
	return command{
		name:    "audit",
		summary: "verify or export the hash-chained event log",
		usage: `Usage: phasegate audit verify [--db PATH | --postgres URL | --file EXPORT.jsonl]
       phasegate audit export [--db PATH | --postgres URL] [--out FILE] [--after SEQ]

verify walks the hash chain of every event and names the first one that was
altered, removed or reordered (exit status 1). With --file it checks an
export instead of a database, as a regulator would.

export writes the log as JSON Lines, one event per line with its hashes,
to FILE or standard output.`,
		run: runSub("audit", []subcommand{{"verify", runAuditVerify}, {"export", runAuditExport}}),
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
			return fileError(file, err)
		}
		defer f.Close()
		rep, err = incident.VerifyExport(f)
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		what = file
	} else {
		db, err := d.open(ctx, true)
		if err != nil {
			return err
		}
		defer db.Close()
		if rep, err = incident.VerifyStore(ctx, db); err != nil {
			return err
		}
		what = d.db
		if d.postgres != "" {
			what = "the PostgreSQL database"
		}
	}
	if !rep.OK {
		p := rep.Problem
		fmt.Fprintf(e.stdout, "BROKEN: %s\n", p.Message)
		fmt.Fprintf(e.stdout, "first bad event: %d (check %s); %d events before it verified\n", p.Seq, p.Check, rep.Events)
		fmt.Fprintf(e.stderr, "the event log of %s has been altered, removed from or reordered; keep a copy of the database as evidence before changing anything\n", what)
		return &silentError{code: exitFailure}
	}
	fmt.Fprintf(e.stdout, "OK: %d events, the hash chain is intact; last event %d, hash %s\n", rep.Events, rep.LastSeq, rep.LastHash)
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
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q; write to a file with --out FILE", pos[0])
	}
	db, err := d.open(ctx, true)
	if err != nil {
		return err
	}
	defer db.Close()
	if out == "" {
		_, err := incident.ExportStore(ctx, db, e.stdout, after)
		return err
	}
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if os.IsExist(err) {
			return fmt.Errorf("%s already exists; choose a new file so no export is overwritten", out)
		}
		return fileError(out, err)
	}
	bw := bufio.NewWriter(f)
	n, err := incident.ExportStore(ctx, db, bw, after)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", out, err)
	}
	fmt.Fprintf(e.stderr, "Wrote %d events to %s.\n", n, out)
	return nil
}
