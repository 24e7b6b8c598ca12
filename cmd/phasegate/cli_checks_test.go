package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// user add acts on an existing database unless --create says to make
// one: a typo in --db must not make a new, empty database.
func TestUserAddNeedsTheDatabaseOrCreate(t *testing.T) {
	dir := t.TempDir()
	typo := filepath.Join(dir, "typo.db")
	code, out, errb := pg(t, "", "user", "add", "z", "--role", "viewer", "--db", typo)
	if code != exitFailure || out != "" || !strings.Contains(errb, "no database there") || !strings.Contains(errb, "--create") {
		t.Errorf("user add on a missing database: exit %d, stdout %q, stderr %s", code, out, errb)
	}
	if _, err := os.Stat(typo); err == nil {
		t.Errorf("user add made %s", typo)
	}
	if code, _, errb = pg(t, "", "user", "add", "z", "--role", "viewer", "--db", filepath.Join(dir, "no", "such", "z.db"), "--create"); code != exitFailure ||
		!strings.Contains(errb, "does not exist; create it, or give another --db PATH") || strings.Contains(errb, "(14)") {
		t.Errorf("user add --create in a missing folder: exit %d, stderr %s", code, errb)
	}
	if code, out, errb = pg(t, "", "user", "add", "z", "--role", "viewer", "--db", typo, "--create"); code != exitOK || strings.TrimSpace(out) == "" {
		t.Errorf("user add --create: exit %d, stdout %q, stderr %s", code, out, errb)
	}
	for _, args := range [][]string{
		{"user", "add", "y", "--role", "viewer", "--db", typo, "--postgres", "postgres://127.0.0.1/x"},
		{"token", "create", "--user", "z", "--db", typo, "--postgres", "postgres://127.0.0.1/x"},
		{"audit", "verify", "--db", typo, "--postgres", "postgres://127.0.0.1/x"},
		{"serve", "--db", typo, "--postgres", "postgres://127.0.0.1/x"},
	} {
		if code, _, errb := pg(t, "", args...); code != exitUsage || !strings.Contains(errb, "choose one") {
			t.Errorf("%q: exit %d, stderr %s; want exit 2 saying to choose one", args, code, errb)
		}
	}
}

// A PostgreSQL that cannot be reached is one line saying where and what
// to check, without the URL's password.
func TestPostgresConnectErrorIsOneLine(t *testing.T) {
	code, _, errb := pg(t, "", "token", "create", "--user", "z", "--postgres", "postgres://ann:s3cret@127.0.0.1:1/x")
	if code != exitFailure || strings.Count(strings.TrimSpace(errb), "\n") != 0 || strings.Contains(errb, "s3cret") ||
		!strings.Contains(errb, "cannot connect to PostgreSQL at 127.0.0.1:1/x") || !strings.Contains(errb, "check the --postgres URL") {
		t.Errorf("unreachable PostgreSQL: exit %d, stderr:\n%s", code, errb)
	}
}

// serve checks the estate (and the rest of what it is given) before it
// creates the first admin, whose password it prints only once; and its
// log says how many admins there are.
func TestServeChecksItsInputsBeforeTheFirstAdmin(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "phasegate.db")
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("version: 1\nsystems:\n  - {id: a, kind: nonsense}\n"), 0o600)
	for _, cfg := range []serveConfig{
		{db: db, addr: "127.0.0.1:0", estatePaths: []string{bad}},
		{db: db, addr: "127.0.0.1:0", probeCA: filepath.Join(dir, "no-ca.pem")},
	} {
		cfg.settings = fastSettings
		e, out, errb := testEnv("")
		var log bytes.Buffer
		cfg.logWriter = &log
		app := newApp(cfg, e)
		err := app.Open(context.Background())
		app.Close()
		if err == nil || strings.Contains(out.String(), "Created user") {
			t.Fatalf("a start that fails: err %v, stdout:\n%s\nstderr:\n%s", err, out, errb)
		}
	}
	e, out, _ := testEnv("")
	_, stop := startApp(t, serveConfig{db: db}, e)
	stop()
	if !strings.Contains(out.String(), `Created user "admin"`) {
		t.Errorf("the first good start does not create the admin:\n%s", out)
	}

	// A database made with a viewer alone has no admin, and the log says so.
	other := filepath.Join(dir, "viewers.db")
	if code, _, errb := pg(t, "", "user", "add", "vic", "--role", "viewer", "--db", other, "--create"); code != 0 {
		t.Fatal(errb)
	}
	var log lockedBuffer
	e, _, _ = testEnv("")
	app := newApp(serveConfig{db: other, addr: "127.0.0.1:0", settings: fastSettings, logWriter: &log}, e)
	if err := app.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	app.Close()
	if s := log.String(); !strings.Contains(s, "there is no enabled admin") || strings.Contains(s, "there is one admin") {
		t.Errorf("log of a start with no admin:\n%s", s)
	}
}

// audit verify --file speaks of a file: hints that fit, an empty export
// fails, and an intact one reminds to compare its end with the server.
func TestAuditVerifyFile(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "phasegate.db")
	if code, _, errb := pg(t, "", "user", "add", "ann", "--role", "admin", "--db", db, "--create"); code != 0 {
		t.Fatal(errb)
	}
	pg(t, "", "user", "add", "bob", "--role", "viewer", "--db", db)
	export := filepath.Join(dir, "export.jsonl")
	if code, _, errb := pg(t, "", "audit", "export", "--db", db, "--out", export); code != 0 {
		t.Fatal(errb)
	}
	code, out, errb := pg(t, "", "audit", "verify", "--file", export)
	// Two users added, and the record of the export itself.
	if code != exitOK || !strings.HasPrefix(out, "OK: 3 events") || !strings.Contains(errb, "phasegate audit verify --db") || !strings.Contains(errb, "/api/v1/audit/verify") {
		t.Errorf("verify an intact export: exit %d\n%s%s", code, out, errb)
	}
	empty := filepath.Join(dir, "empty.jsonl")
	os.WriteFile(empty, nil, 0o600)
	if code, out, errb = pg(t, "", "audit", "verify", "--file", empty); code != exitFailure || strings.Contains(out, "OK") || !strings.Contains(errb, "holds no events") {
		t.Errorf("verify an empty export: exit %d\n%s%s", code, out, errb)
	}
	if code, _, errb = pg(t, "", "audit", "verify", "--file", filepath.Join(dir, "nosuch.jsonl")); code != exitFailure ||
		!strings.Contains(errb, "phasegate audit export") || strings.Contains(errb, "estate") {
		t.Errorf("verify a missing export: exit %d, stderr %s", code, errb)
	}
	data, _ := os.ReadFile(export)
	tampered := filepath.Join(dir, "tampered.jsonl")
	os.WriteFile(tampered, bytes.Replace(data, []byte(`"bob"`), []byte(`"eve"`), 1), 0o600)
	if code, out, errb = pg(t, "", "audit", "verify", "--file", tampered); code != exitFailure || !strings.HasPrefix(out, "BROKEN") ||
		!strings.Contains(errb, "keep the file as evidence") || strings.Contains(errb, "copy of the database") {
		t.Errorf("verify a tampered export: exit %d\n%s%s", code, out, errb)
	}
	if code, _, errb = pg(t, "", "import", "psplib", filepath.Join(dir, "nosuch.sm")); code != exitFailure ||
		!strings.Contains(errb, "PSPLIB") || strings.Contains(errb, "estate file") {
		t.Errorf("import a missing file: exit %d, stderr %s", code, errb)
	}
	// A file that is not PSPLIB is named once, as typed, with where it
	// ends (its one line: not a line past its end).
	notSM := filepath.Join(dir, "estate.yaml")
	os.WriteFile(notSM, []byte("version: 1\n"), 0o600)
	if code, _, errb = pg(t, "", "import", "psplib", notSM); code != exitFailure ||
		!strings.HasPrefix(errb, "phasegate import: "+notSM+": the file ends (after line 1) ") || strings.Count(errb, "estate.yaml") != 1 {
		t.Errorf("import a file that is not PSPLIB: exit %d, stderr %s", code, errb)
	}
}

// Options that would change nothing in the chosen format are refused,
// and --schedules takes 1 to planner.MaxSchedules.
func TestPlanRefusesOptionsWithoutEffect(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--chart", "waves"}, "--chart chooses what the picture shows, and --format text draws none"},
		{[]string{"--team", "network"}, "add --format svg"},
		{[]string{"--format", "json", "--search", "sap"}, "--format json draws none"},
		{[]string{"--format", "svg", "--chart", "waves", "--group", "team"}, "--group arranges the timeline's rows"},
		{[]string{"--schedules", "0"}, "1 to 10000000"},
		{[]string{"--schedules", "-1"}, "1 to 10000000"},
		{[]string{"--schedules", "99999999999"}, "1 to 10000000"},
	} {
		r := runCLI(t, env{}, append([]string{"plan", demoDir}, c.args...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, c.want) {
			t.Errorf("plan %q: exit %d, stderr %q; want exit 2 and %q", c.args, r.code, r.stderr, c.want)
		}
	}
	if r := runCLI(t, env{}, "forecast", demoDir, "--schedules", "0"); r.code != exitUsage || !strings.Contains(r.stderr, "1 to 10000000") {
		t.Errorf("forecast --schedules 0: exit %d, stderr %q", r.code, r.stderr)
	}
}

// token create names --role for a user of several roles, and --expires
// gives the token an end.
func TestTokenCreateRoleAndExpiry(t *testing.T) {
	db := filepath.Join(t.TempDir(), "phasegate.db")
	if code, _, errb := pg(t, "", "user", "add", "ic2", "--role", "incident-commander,viewer", "--db", db, "--create"); code != 0 {
		t.Fatal(errb)
	}
	if code, _, errb := pg(t, "", "token", "create", "--user", "ic2", "--db", db); code != exitFailure || !strings.Contains(errb, "--role") {
		t.Errorf("token for a user of several roles: exit %d, stderr %s", code, errb)
	}
	code, out, errb := pg(t, "", "token", "create", "--user", "ic2", "--role", "viewer", "--expires", "30d", "--db", db)
	if code != 0 || strings.TrimSpace(out) == "" || !strings.Contains(errb, "; it expires 20") {
		t.Errorf("token --expires 30d: exit %d, stdout %q, stderr %s", code, out, errb)
	}
	for _, bad := range []string{"soon", "2001-01-01", "-3h"} {
		if code, _, errb := pg(t, "", "token", "create", "--user", "ic2", "--role", "viewer", "--expires", bad, "--db", db); code != exitUsage || !strings.Contains(errb, "--expires") {
			t.Errorf("--expires %s: exit %d, stderr %s", bad, code, errb)
		}
	}
}
