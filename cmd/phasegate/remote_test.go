package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/phasegate/phasegate/forecast"
	"github.com/phasegate/phasegate/incident"
	"github.com/phasegate/phasegate/planner"
)

// pg runs the command in-process and returns its exit status and
// output.
func pg(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	e, out, errb := testEnv(stdin)
	code := run(context.Background(), args, e)
	return code, out.String(), errb.String()
}

// breakGlassToken adds a user with the role and returns a token for it,
// as an operator would with the break-glass commands.
func breakGlassToken(t *testing.T, db, name, role string, extra ...string) string {
	t.Helper()
	args := append([]string{"user", "add", name, "--role", role, "--db", db, "--create", "--password-stdin"}, extra...)
	if code, _, errb := pg(t, "a long enough password\n", args...); code != 0 {
		t.Fatalf("user add %s: exit %d: %s", name, code, errb)
	}
	code, out, errb := pg(t, "", "token", "create", "--user", name, "--db", db)
	if code != 0 || !strings.HasPrefix(out, incident.TokenPrefix) {
		t.Fatalf("token create for %s: exit %d: %s %s", name, code, out, errb)
	}
	return strings.TrimSpace(out)
}

func TestClientCommandsRunARecoveryStep(t *testing.T) {
	db := filepath.Join(t.TempDir(), "phasegate.db")
	// Set up before the server runs: users and tokens on the database.
	ic := breakGlassToken(t, db, "ivy", "incident-commander")
	fo := breakGlassToken(t, db, "fred", "forensics")
	rl := breakGlassToken(t, db, "rita", "recovery-lead")
	rl2 := breakGlassToken(t, db, "rob", "recovery-lead")
	e, _, _ := testEnv("")
	url, stop := startApp(t, serveConfig{db: db, demo: true}, e)
	defer stop()

	as := func(tok string, args ...string) (int, string, string) {
		t.Helper()
		return pg(t, "", append(args, "--server", url, "--token", tok)...)
	}
	code, out, errb := as(ic, "incident", "declare", "Scripted", "--kind", "ransomware")
	if code != 0 || !regexp.MustCompile(`Declared incident 2 "Scripted"`).MatchString(out) {
		t.Fatalf("incident declare: %d %s %s", code, out, errb)
	}
	// The demo's incident is still open: declared, but said.
	if !strings.Contains(errb, `Warning: incident 1 "`) || !strings.Contains(errb, "is open too") {
		t.Errorf("declaring beside an open incident does not warn: %q", errb)
	}
	// …in the command line's words, not the API's.
	if !strings.Contains(errb, "phasegate incident close 1 --reason TEXT, or phasegate incident close 2 --reason TEXT for this one") || strings.Contains(errb, "/api/") {
		t.Errorf("the warning does not say how to close one with the command: %q", errb)
	}
	if code, out, _ = as(ic, "incident", "list"); code != 0 || !strings.Contains(out, "Scripted") || !strings.Contains(out, "demo") {
		t.Errorf("incident list: %d %s", code, out)
	}
	if code, out, errb = as(fo, "incident", "isolate", "2", "--select", "kind=identity", "--reason", "domain compromise"); code != 0 || !strings.Contains(out, "Isolated") {
		t.Fatalf("incident isolate: %d %s %s", code, out, errb)
	}
	// A refused move shows the server's message and every reason; exit 1.
	code, _, errb = as(rl, "system", "transition", "2", "entra-id", "--to", "restoring", "--reason", "too early")
	if code != exitFailure || !strings.Contains(errb, "entra-id") || !strings.Contains(errb, "not cleared") {
		t.Errorf("refused transition: exit %d, stderr %s", code, errb)
	}
	// Take entra-id (criticality 1) through clearance and a two-person restore.
	if code, _, errb = as(fo, "system", "transition", "2", "entra-id", "--to", "investigating", "--reason", "start"); code != 0 {
		t.Fatalf("investigating: %s", errb)
	}
	code, out, _ = as(fo, "system", "show", "2", "entra-id", "--format", "json")
	var d incident.SystemDetail
	if code != 0 || json.Unmarshal([]byte(out), &d) != nil || len(d.Checklist) == 0 {
		t.Fatalf("system show --format json: %d %s", code, out)
	}
	for _, it := range d.Checklist {
		if code, _, errb = as(fo, "system", "tick", "2", "entra-id", it.Key, "--note", "done", "--evidence", "EV-"+it.Key); code != 0 {
			t.Fatalf("tick %s: %s", it.Key, errb)
		}
	}
	if code, out, errb = as(fo, "system", "transition", "2", "entra-id", "--to", "cleared", "--reason", "all items done"); code != 0 || !strings.Contains(out, "now cleared") {
		t.Fatalf("cleared: %d %s %s", code, out, errb)
	}
	code, out, errb = as(rl, "system", "transition", "2", "entra-id", "--to", "restoring", "--reason", "rebuild")
	m := regexp.MustCompile(`approval (\d+)`).FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("two-person restore: %d %s %s", code, out, errb)
	}
	if code, out, _ = as(rl2, "approval", "list", "2", "--status", "pending"); code != 0 || !strings.Contains(out, "entra-id") {
		t.Errorf("approval list: %d %s", code, out)
	}
	if code, _, errb = as(rl, "approval", "approve", m[1]); code != exitFailure || !strings.Contains(errb, "second person") {
		t.Errorf("self-approval: exit %d %s", code, errb)
	}
	if code, out, errb = as(rl2, "approval", "approve", m[1], "--note", "checked"); code != 0 || !strings.Contains(out, "now restoring") {
		t.Fatalf("approve: %d %s %s", code, out, errb)
	}
	code, out, _ = as(ic, "incident", "plan", "2", "--format", "json")
	var p planner.Plan
	if code != 0 || json.Unmarshal([]byte(out), &p) != nil || len(p.Systems) == 0 {
		t.Fatalf("incident plan --format json: %d %.200s", code, out)
	}
	if code, out, errb = as(ic, "incident", "plan", "2"); code != 0 || !strings.Contains(out, "Northfield") {
		t.Errorf("incident plan (text): %d %.300s %s", code, out, errb)
	}
	// The live forecast and the dates' history, in words and as JSON.
	if code, out, errb = as(ic, "incident", "forecast", "2", "--runs", "200", "--by", "2030-01-01"); code != 0 ||
		!strings.Contains(out, "Northfield Motors: restart forecast from 200 runs") || !strings.Contains(out, "Back by Wed 2 Jan 2030 00:00 UTC  100% of runs") {
		t.Errorf("incident forecast: %d %.600s %s", code, out, errb)
	}
	code, out, _ = as(ic, "incident", "forecast", "2", "--runs", "200", "--format", "json")
	var fr forecast.Result
	if code != 0 || json.Unmarshal([]byte(out), &fr) != nil || fr.Runs != 200 || len(fr.Services) == 0 {
		t.Errorf("incident forecast --format json: %d %.200s", code, out)
	}
	if code, _, errb = as(ic, "incident", "forecast", "2", "--by", "8 October"); code != exitFailure || !strings.Contains(errb, "not a date; write it like 21d") {
		t.Errorf("incident forecast --by with a bad date: %d %s", code, errb)
	}
	if code, out, errb = as(ic, "incident", "history", "2"); code != 0 || !strings.Contains(out, "Northfield Motors: how the dates moved") {
		t.Errorf("incident history: %d %s %s", code, out, errb)
	}
	if code, out, _ = as(ic, "incident", "show", "2", "--state", "restoring"); code != 0 || !strings.Contains(out, "entra-id") {
		t.Errorf("incident show --state restoring: %d %s", code, out)
	}
	// Going online needs a second person too: this time it is rejected.
	if code, _, errb = as(rl, "system", "transition", "2", "entra-id", "--to", "verifying", "--reason", "rebuilt"); code != 0 {
		t.Fatalf("verifying: %s", errb)
	}
	code, out, errb = as(rl, "system", "transition", "2", "entra-id", "--to", "online", "--reason", "verified")
	if m = regexp.MustCompile(`approval (\d+)`).FindStringSubmatch(out); code != 0 || m == nil {
		t.Fatalf("two-person online: %d %s %s", code, out, errb)
	}
	code, out, _ = as(rl2, "approval", "list", "2", "--status", "pending", "--format", "json")
	var pending struct {
		Approvals []incident.Approval `json:"approvals"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &pending) != nil || len(pending.Approvals) != 1 || pending.Approvals[0].To != incident.StateOnline {
		t.Errorf("approval list --format json: %d %s", code, out)
	}
	if code, out, errb = as(rl2, "approval", "reject", m[1], "--note", "not verified yet"); code != 0 || out != "Rejected approval "+m[1]+".\n" {
		t.Errorf("reject: %d %q %s", code, out, errb)
	}
	// No token, a bad token, an unreachable server: each says what to do.
	if code, _, errb = pg(t, "", "incident", "list", "--server", url); code != exitUsage || !strings.Contains(errb, "PHASEGATE_TOKEN") {
		t.Errorf("no token: %d %s", code, errb)
	}
	if code, _, errb = as("pgt_wrong", "incident", "list"); code != exitFailure || !strings.Contains(errb, "token is not valid") {
		t.Errorf("bad token: %d %s", code, errb)
	}
	if code, _, errb = pg(t, "", "incident", "list", "--server", "http://127.0.0.1:1", "--token", ic); code != exitFailure || !strings.Contains(errb, "cannot reach") {
		t.Errorf("unreachable server: %d %s", code, errb)
	}
	stop()
	if code, out, errb = pg(t, "", "audit", "verify", "--db", db); code != 0 || !strings.HasPrefix(out, "OK:") {
		t.Errorf("audit verify after the session: %d %s %s", code, out, errb)
	}
}

func TestUserAddChecksItsFlags(t *testing.T) {
	db := filepath.Join(t.TempDir(), "phasegate.db")
	for _, args := range [][]string{
		{"user", "add", "x", "--db", db},
		{"user", "add", "x", "--role", "wizard", "--db", db},
		{"user", "add", "x", "--role", "system-owner", "--db", db},
		{"user", "add", "x", "--role", "viewer", "--scope", "team=a", "--db", db},
		{"user", "add", "--role", "viewer", "--db", db},
		{"user", "remove", "x"},
		{"token", "create", "--db", db},
	} {
		if code, _, errb := pg(t, "", args...); code != exitUsage || errb == "" {
			t.Errorf("%v: exit %d (%s), want %d with a message", args, code, errb, exitUsage)
		}
	}
	// Generated password printed once, on stdout alone.
	code, out, errb := pg(t, "", "user", "add", "olga", "--role", "system-owner,viewer", "--scope", "team=erp,system=mes", "--db", db, "--create")
	if code != 0 || len(strings.TrimSpace(out)) < 16 || !strings.Contains(errb, "system-owner(team:erp,system:mes)") {
		t.Fatalf("user add with a generated password: %d %q %s", code, out, errb)
	}
	// Several roles: the token needs one named.
	if code, _, errb = pg(t, "", "token", "create", "--user", "olga", "--db", db); code != exitFailure || !strings.Contains(errb, "several roles") {
		t.Errorf("token for a user of several roles without --role: %d %s", code, errb)
	}
	if code, out, _ = pg(t, "", "token", "create", "--user", "olga", "--role", "viewer", "--db", db); code != 0 || !strings.HasPrefix(out, incident.TokenPrefix) {
		t.Errorf("token --role viewer: %d %s", code, out)
	}
	if code, _, errb = pg(t, "", "audit", "verify", "--db", filepath.Join(t.TempDir(), "none.db")); code != exitFailure || !strings.Contains(errb, "no database") {
		t.Errorf("verify of a missing database: %d %s", code, errb)
	}
}

// TestAuditVerifyNamesAnAlteredEvent alters one event in the SQLite file,
// as someone with the file (and the will to drop the append-only
// triggers) would, and expects audit verify to name it and fail.
func TestAuditVerifyNamesAnAlteredEvent(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "phasegate.db")
	breakGlassToken(t, db, "ivy", "incident-commander")
	e, _, _ := testEnv("")
	_, stop := startApp(t, serveConfig{db: db, demo: true}, e)
	stop()
	code, out, _ := pg(t, "", "audit", "verify", "--db", db)
	if code != 0 {
		t.Fatalf("verify before tampering: %d %s", code, out)
	}
	export := filepath.Join(dir, "export.jsonl")
	if code, _, errb := pg(t, "", "audit", "export", "--db", db, "--out", export); code != 0 {
		t.Fatalf("export: %s", errb)
	}
	if code, out, _ = pg(t, "", "audit", "verify", "--file", export); code != 0 || !strings.HasPrefix(out, "OK:") {
		t.Fatalf("verify of the export: %d %s", code, out)
	}
	if code, _, errb := pg(t, "", "audit", "export", "--db", db, "--out", export); code != exitFailure || !strings.Contains(errb, "already exists") {
		t.Errorf("export over an existing file: %d %s", code, errb)
	}
	// The export at the database is on the record, as its last event, by
	// cli:break-glass; a refused one (the file above) is not.
	body, _ := os.ReadFile(export)
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	var last incident.Event
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil || last.Type != incident.EventAuditExported ||
		last.Actor != incident.BreakGlassActor {
		t.Fatalf("the export's last event: %+v %v, want audit.exported by %s", last, err, incident.BreakGlassActor)
	}
	// The rest after it: nothing new but the record of this export.
	code, out, _ = pg(t, "", "audit", "export", "--db", db, "--after", fmt.Sprint(last.Seq))
	if n := strings.Count(out, "\n"); code != 0 || n != 1 || !strings.Contains(out, fmt.Sprintf(`"after_seq":%d`, last.Seq)) {
		t.Errorf("export --after %d: exit %d, %d lines: %s", last.Seq, code, n, out)
	}
	// A copy kept as evidence is read as it is: the same events, nothing
	// added.
	code, out, errb := pg(t, "", "audit", "export", "--db", db, "--evidence-copy")
	if n := strings.Count(out, "\n"); code != 0 || n != len(lines)+1 || !strings.Contains(errb, "without recording") {
		t.Errorf("export --evidence-copy: exit %d, %d lines (want %d), %s", code, n, len(lines)+1, errb)
	}
	code, out, _ = pg(t, "", "audit", "export", "--db", db, "--evidence-copy")
	if n := strings.Count(out, "\n"); code != 0 || n != len(lines)+1 {
		t.Errorf("a second export --evidence-copy sees %d events, want %d: it recorded something", n, len(lines)+1)
	}
	if code, _, errb := pg(t, "", "audit", "export", "--db", db, "--after", "-3"); code != exitUsage || !strings.Contains(errb, "0 or more") {
		t.Errorf("export --after -3: exit %d, %s", code, errb)
	}

	sqldb, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer sqldb.Close()
	var actor string
	if err := sqldb.QueryRow(`SELECT actor FROM events WHERE seq = 7`).Scan(&actor); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`DROP TRIGGER events_no_update`,
		`UPDATE events SET actor = 'someone-else' WHERE seq = 7`,
	} {
		if _, err := sqldb.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	code, out, errb = pg(t, "", "audit", "verify", "--db", db)
	if code != exitFailure || !strings.Contains(out, "event 7 was altered") || !strings.Contains(out, "first bad event: 7") {
		t.Fatalf("verify after altering event 7: exit %d\n%s%s", code, out, errb)
	}
	// Removing an event is named too.
	if _, err := sqldb.Exec(`UPDATE events SET actor = ? WHERE seq = 7`, actor); err != nil {
		t.Fatal(err)
	}
	sqldb.Exec(`DROP TRIGGER events_no_delete`)
	if _, err := sqldb.Exec(`DELETE FROM events WHERE seq = 12`); err != nil {
		t.Fatal(err)
	}
	code, out, _ = pg(t, "", "audit", "verify", "--db", db)
	if code != exitFailure || !strings.Contains(out, "first bad event: 13") || !strings.Contains(out, "12") {
		t.Fatalf("verify after removing event 12: exit %d\n%s", code, out)
	}
}

// clientServer starts a server on a new database with a break-glass user
// per name=role, and returns their tokens and a function that runs a
// client command as one of them against it.
func clientServer(t *testing.T, users ...string) (map[string]string, func(tok string, args ...string) (int, string, string), string) {
	t.Helper()
	toks, as, url, _ := clientServerOn(t, false, users...)
	return toks, as, url
}

// demoServer is clientServer on the demo (its estate and incident 1),
// and also returns the database's path.
func demoServer(t *testing.T, users ...string) (map[string]string, func(tok string, args ...string) (int, string, string), string) {
	t.Helper()
	toks, as, _, db := clientServerOn(t, true, users...)
	return toks, as, db
}

func clientServerOn(t *testing.T, demo bool, users ...string) (toks map[string]string, as func(tok string, args ...string) (int, string, string), url, db string) {
	t.Helper()
	db = filepath.Join(t.TempDir(), "phasegate.db")
	toks = map[string]string{}
	for _, u := range users {
		name, role, _ := strings.Cut(u, "=")
		toks[name] = breakGlassToken(t, db, name, role)
	}
	e, _, _ := testEnv("")
	url, stop := startApp(t, serveConfig{db: db, demo: demo}, e)
	t.Cleanup(func() { stop() })
	as = func(tok string, args ...string) (int, string, string) {
		t.Helper()
		return pg(t, "", append(args, "--server", url, "--token", tok)...)
	}
	return toks, as, url, db
}

// TestAccountCommandsNeedASecondAdmin: with two admins, an account made
// from the command line waits; the admin who asked cannot approve it, the
// other can and receives the new account's one-time code, with which its
// person sets a password that works.
func TestAccountCommandsNeedASecondAdmin(t *testing.T) {
	toks, as, url := clientServer(t, "ada=admin", "bob=admin")
	ada, bob := toks["ada"], toks["bob"]
	code, out, errb := as(ada, "account", "add", "ivy", "--role", "recovery-lead", "--reason", "IR firm, ticket 4711")
	m := regexp.MustCompile(`Account request (\d+) waits for a second admin: create user ivy with the roles recovery-lead`).FindStringSubmatch(out)
	if code != 0 || m == nil || hasCode(out) || !strings.Contains(out, "approves it receives the one-time code") {
		t.Fatalf("account add: exit %d: %s %s", code, out, errb)
	}
	if code, out, _ = as(bob, "account", "requests", "--status", "pending"); code != 0 ||
		!strings.Contains(out, "Dual control is on") || !strings.Contains(out, "IR firm, ticket 4711") {
		t.Errorf("account requests: %d %s", code, out)
	}
	if code, _, errb = as(ada, "account", "approve", m[1]); code != exitFailure || !strings.Contains(errb, "second person") {
		t.Errorf("approving one's own request: exit %d: %s", code, errb)
	}
	code, out, errb = as(bob, "account", "approve", m[1], "--note", "confirmed with the IR firm")
	ivyCode := codeLine("ivy").FindStringSubmatch(out)
	if code != 0 || !strings.Contains(out, "is approved") || ivyCode == nil {
		t.Fatalf("account approve: exit %d: %s %s", code, out, errb)
	}
	// ivy exists, sets her password with the code the approver received,
	// and logs in with it.
	const pw = "ivy's own passphrase"
	if code, out, errb = pg(t, ivyCode[1]+"\n"+pw+"\n", "account", "redeem", "ivy", "--server", url); code != 0 {
		t.Fatalf("ivy redeems her code: exit %d: %s %s", code, out, errb)
	}
	if _, err := login(t, url, "ivy", pw); err != nil {
		t.Fatalf("ivy logs in: %v", err)
	}
	// Disabling acts at once.
	if code, out, errb = as(bob, "account", "disable", "ivy", "--reason", "contract ended"); code != 0 || !strings.Contains(out, "Disabled ivy") {
		t.Fatalf("account disable: exit %d: %s %s", code, out, errb)
	}
	if code, _, errb = as(bob, "account", "disable", "nobody", "--reason", "x"); code == 0 || !strings.Contains(errb, `no user "nobody"`) {
		t.Errorf("disable an unknown user: exit %d: %s", code, errb)
	}
}

// TestEstateCommandsGuardTheGates uploads the demo estate from the
// command line (a directory with an items CSV), then a copy where the
// SAP database is no longer criticality 1: the copy waits for a second
// person, no incident may use it, and its uploader cannot approve it.
func TestEstateCommandsGuardTheGates(t *testing.T) {
	toks, as, _ := clientServer(t, "ivy=incident-commander", "rita=recovery-lead")
	ic, rl := toks["ivy"], toks["rita"]
	demo := filepath.Join("..", "..", "examples", "northfield-motors")
	code, out, errb := as(ic, "estate", "upload", demo)
	if code != 0 || !strings.Contains(out, "Uploaded estate version 1:") || strings.Contains(out, "second person") {
		t.Fatalf("estate upload: exit %d: %s %s", code, out, errb)
	}
	weak := copyDir(t, demo)
	erp := filepath.Join(weak, "erp.yaml")
	data, err := os.ReadFile(erp)
	if err != nil {
		t.Fatal(err)
	}
	data = []byte(strings.Replace(string(data), "    kind: data\n    team: dba\n    criticality: 1\n", "    kind: data\n    team: dba\n    criticality: 3\n", 1))
	if err := os.WriteFile(erp, data, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errb = as(ic, "estate", "upload", weak)
	if code != 0 || !strings.Contains(out, "until a second person approves it") || !strings.Contains(out, "sap-hana-prod: the two-person rule (criticality 1 → 3)") {
		t.Fatalf("weakened upload: exit %d: %s %s", code, out, errb)
	}
	if code, _, errb = as(ic, "incident", "declare", "on the weak estate"); code != exitFailure || !strings.Contains(errb, "second person") {
		t.Errorf("declare on a pending version: exit %d: %s", code, errb)
	}
	if code, _, errb = as(ic, "estate", "approve", "2"); code != exitFailure || !strings.Contains(errb, "uploaded estate version 2") {
		t.Errorf("uploader approves: exit %d: %s", code, errb)
	}
	if code, out, _ = as(rl, "estate", "versions"); code != 0 || !strings.Contains(out, "waits for a second person") {
		t.Errorf("estate versions: %d %s", code, out)
	}
	if code, out, errb = as(rl, "estate", "approve", "2", "--note", "sap-hana-prod is now a replica"); code != 0 || !strings.Contains(out, "Approved estate version 2") {
		t.Fatalf("approve: exit %d: %s %s", code, out, errb)
	}
	if code, out, errb = as(ic, "incident", "declare", "on the approved estate"); code != 0 || !strings.Contains(out, "estate version 2") {
		t.Errorf("declare once approved: exit %d: %s %s", code, out, errb)
	}
}

// copyDir copies the files of a directory (not its subdirectories) into
// a temporary one.
func copyDir(t *testing.T, dir string) string {
	t.Helper()
	out := t.TempDir()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range ents {
		if en.IsDir() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, en.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, en.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestIncidentUpdateNeedsASecondCommanderForFewerApprovals: from the
// command line, raising the approvals a restart needs acts at once;
// lowering waits until another commander asks for the same number.
func TestIncidentUpdateNeedsASecondCommanderForFewerApprovals(t *testing.T) {
	toks, as, _ := clientServer(t, "ivy=incident-commander", "ian=incident-commander")
	demo := filepath.Join("..", "..", "examples", "northfield-motors")
	if code, _, errb := as(toks["ivy"], "estate", "upload", demo); code != 0 {
		t.Fatalf("estate upload: %s", errb)
	}
	if code, _, errb := as(toks["ivy"], "incident", "declare", "Update test"); code != 0 {
		t.Fatalf("declare: %s", errb)
	}
	code, out, errb := as(toks["ivy"], "incident", "update", "1", "--required-approvals", "3")
	if code != 0 || !strings.Contains(out, "3 approvals for a two-person move") || strings.Contains(out, "Waiting") {
		t.Fatalf("raise: exit %d: %s %s", code, out, errb)
	}
	code, out, _ = as(toks["ivy"], "incident", "update", "1", "--required-approvals", "1")
	if code != 0 || !strings.Contains(out, "3 approvals") || !strings.Contains(out, "Waiting: ivy asks to need 1 approval instead of 3") {
		t.Fatalf("one commander lowering: exit %d: %s", code, out)
	}
	code, out, _ = as(toks["ian"], "incident", "update", "1", "--required-approvals", "1")
	if code != 0 || !strings.Contains(out, "1 approval for a two-person move") || strings.Contains(out, "Waiting") {
		t.Fatalf("second commander confirming: exit %d: %s", code, out)
	}
	if code, _, errb = as(toks["ian"], "incident", "update", "1"); code != exitUsage || !strings.Contains(errb, "nothing to change") {
		t.Errorf("update with nothing: exit %d: %s", code, errb)
	}
	if code, _, errb = as(toks["ian"], "incident", "update", "1", "--total-shutdown", "maybe"); code != exitUsage {
		t.Errorf("--total-shutdown maybe: exit %d: %s", code, errb)
	}
}

// TestIncidentShowListsRemovedSystemsApart: after an incident moves to an
// estate version without a system, incident show lists that system apart,
// saying in which version it left, and the counts above are those of the
// systems of the estate.
func TestIncidentShowListsRemovedSystemsApart(t *testing.T) {
	toks, as, _ := clientServer(t, "ivy=incident-commander", "rita=recovery-lead")
	ic, rl := toks["ivy"], toks["rita"]
	dir := t.TempDir()
	write := func(name, systems string) string {
		p := filepath.Join(dir, name)
		doc := "version: 1\norganization: Removal Ltd\ncurrency: GBP\nteams:\n  - {id: infra, capacity: 1}\nsystems:\n" + systems +
			"services:\n  - {id: s, requires: [db]}\n"
		if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	v1 := write("v1.yaml", "  - {id: db, kind: data, team: infra, restore: 1h}\n  - {id: app, kind: application, team: infra, restore: 1h}\n")
	v2 := write("v2.yaml", "  - {id: db, kind: data, team: infra, restore: 1h}\n")
	if code, out, errb := as(ic, "estate", "upload", v1); code != 0 {
		t.Fatalf("upload v1: exit %d: %s %s", code, out, errb)
	}
	if code, out, errb := as(ic, "incident", "declare", "Removal", "--total-shutdown"); code != 0 {
		t.Fatalf("declare: exit %d: %s %s", code, out, errb)
	}
	code, out, errb := as(ic, "estate", "upload", v2)
	if code != 0 || !strings.Contains(out, "app: the system, with every gate of its restart (removed from the estate)") {
		t.Fatalf("upload v2: exit %d: %s %s", code, out, errb)
	}
	if code, out, errb = as(rl, "estate", "approve", "2"); code != 0 {
		t.Fatalf("approve: exit %d: %s %s", code, out, errb)
	}
	if code, out, errb = as(ic, "incident", "update", "1", "--estate-version", "2"); code != 0 {
		t.Fatalf("move: exit %d: %s %s", code, out, errb)
	}
	code, out, errb = as(ic, "incident", "show", "1")
	if code != 0 {
		t.Fatalf("show: exit %d: %s %s", code, out, errb)
	}
	table, gone, ok := strings.Cut(out, "No longer in the estate (1 system, not counted above):")
	if !ok || !strings.Contains(out, "Systems: 1 isolated;") || strings.Contains(table, "app ") ||
		!regexp.MustCompile(`\n  app +removed from the estate in version 2, last isolated since `).MatchString(gone) {
		t.Fatalf("incident show:\n%s", out)
	}
}

// declareWarning swaps the API's endpoint in the server's warning for the
// command, naming the open incidents; a warning it does not know passes
// as it is.
func TestDeclareWarning(t *testing.T) {
	w := `incident 4 "Wyrley" is open too (declared 2026-01-02T03:04:05Z): both are now open, and the public status pages show what was published for each in its own section; if this one repeats it, close one of them (POST /api/v1/incidents/ID/close)`
	got := declareWarning(w, 7)
	if want := "close one of them: phasegate incident close 4 --reason TEXT, or phasegate incident close 7 --reason TEXT for this one"; !strings.HasSuffix(got, want) || strings.Contains(got, "POST") {
		t.Errorf("declareWarning = %q, want it to end %q", got, want)
	}
	if got := declareWarning("close one of them (POST /api/v1/incidents/ID/close)", 7); got != "close one of them: phasegate incident close ID --reason TEXT" {
		t.Errorf("without an incident id: %q", got)
	}
	if got := declareWarning("something else", 7); got != "something else" {
		t.Errorf("an unknown warning changed: %q", got)
	}
}

// Isolating everything again must not print a line per system: the
// systems already contained are counted by state (named when few), and
// only those that could not be isolated are listed, each with why.
func TestIsolationSummary(t *testing.T) {
	res := &incident.IsolationResult{Seq: 47, Isolated: []string{"crm"}}
	for i := 0; i < 130; i++ {
		res.Skipped = append(res.Skipped, incident.Skip{System: fmt.Sprintf("sys-%d", i), State: incident.StateIsolated, Why: "already contained"})
	}
	res.Skipped = append(res.Skipped,
		incident.Skip{System: "edr", State: incident.StateInvestigating, Why: "already contained"},
		incident.Skip{System: "old-app", Why: "not part of this incident"})
	var b strings.Builder
	writeIsolation(&b, 1, res)
	want := `Isolated 1 system (event 47).
Already contained, left as they are: 131 systems (130 isolated, 1 investigating); phasegate incident show 1 --state STATE lists them
Left alone 1 system:
  old-app: not part of this incident
`
	if b.String() != want {
		t.Errorf("many contained:\n%s\nwant:\n%s", b.String(), want)
	}

	// Nothing isolated: nothing recorded, and it says so.
	res = &incident.IsolationResult{Isolated: []string{}, Skipped: []incident.Skip{
		{System: "ad-forest-corp", State: incident.StateIsolated, Why: "already contained"},
		{System: "entra-id", State: incident.StateCleared, Why: "already contained"},
	}}
	b.Reset()
	writeIsolation(&b, 2, res)
	want = `Isolated nothing: no selected system was left to isolate, so nothing was recorded.
Already contained, left as they are: 2 systems (1 isolated, 1 cleared):
  ad-forest-corp, entra-id
`
	if b.String() != want {
		t.Errorf("few contained:\n%s\nwant:\n%s", b.String(), want)
	}
}

// An estate refused for one problem says it once, in the message; with
// several, the message counts them and each is listed.
func TestEstateUploadSaysEachProblemOnce(t *testing.T) {
	toks, as, _ := clientServer(t, "ivy=incident-commander")
	dir := t.TempDir()
	one := filepath.Join(dir, "one.yaml")
	os.WriteFile(one, []byte("version: 1\norganization: X\ncurrency: GBP\nteams: [{id: ops, name: O, capacity: 1}]\n"+
		"systems: [{id: a, name: A, kind: other, team: ops, restore: 1x}]\n"), 0o644)
	code, _, errb := as(toks["ivy"], "estate", "upload", one)
	if code != exitFailure || !strings.Contains(errb, "one.yaml:5:") || strings.Count(errb, `unknown unit "x"`) != 1 {
		t.Errorf("one problem: exit %d, stderr:\n%s", code, errb)
	}
	two := filepath.Join(dir, "two.yaml")
	os.WriteFile(two, []byte("version: 1\norganization: X\ncurrency: GBP\nteams: [{id: ops, name: O, capacity: 1}]\n"+
		"systems: [{id: a, name: A, kind: other, team: ops, restore: 1x}, {id: b, name: B, kind: other, team: nobody, restore: 1d}]\n"), 0o644)
	code, _, errb = as(toks["ivy"], "estate", "upload", two)
	if code != exitFailure || !strings.Contains(errb, "the estate has 2 problems") || strings.Count(errb, `unknown unit "x"`) != 1 ||
		strings.Count(errb, `"nobody" is not a team`) != 1 {
		t.Errorf("two problems: exit %d, stderr:\n%s", code, errb)
	}
}
