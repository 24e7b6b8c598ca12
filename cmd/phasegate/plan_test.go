package main

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var planArgs = []string{"--start", "2025-09-01T08:00:00Z", "--seed", "3", "--schedules", "300"}

func TestValidateDemo(t *testing.T) {
	r := runCLI(t, env{}, "validate", demoDir)
	if r.code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "valid") || !strings.Contains(r.stdout, "133 systems") {
		t.Errorf("stdout = %q, want it to say valid and count the systems", r.stdout)
	}
}

// TestValidateReportsEveryProblem checks the exit status and that each
// problem names file:line:column — across two files that merge.
func TestValidateReportsEveryProblem(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.yaml", `version: 1
organization: Broken Ltd
currency: GBP
teams:
  - {id: ops, capacity: 0}
systems:
  - id: a
    kind: application
    team: ops
    restore: 2x
    requires: [b]
`)
	write("b.yaml", `version: 1
systems:
  - id: b
    kind: database
    team: ops
    restore: 1h
    requires: [a]
    colour: red
`)
	r := runCLI(t, env{}, "validate", dir)
	if r.code != exitFailure {
		t.Fatalf("exit %d, want %d; stderr:\n%s", r.code, exitFailure, r.stderr)
	}
	for _, want := range []string{
		"a.yaml:5:",  // capacity 0
		"a.yaml:10:", // bad duration
		"b.yaml:4:",  // unknown kind
		"b.yaml:8:",  // unknown field
		"→",          // the cycle a → b → a
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if !regexp.MustCompile(`\d+ problems: the estate is not valid`).MatchString(r.stderr) {
		t.Errorf("stderr lacks the summary line:\n%s", r.stderr)
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{"plna"},
		{"plan"},
		{"plan", demoDir, "--objective", "fastest"},
		{"plan", demoDir, "--format", "pdf"},
		{"plan", demoDir, "--schedules", "-3"},
		{"plan", demoDir, "--start", "yesterday"},
		{"plan", demoDir, "--format", "svg", "--chart", "pie"},
		{"plan", demoDir, "--format", "svg", "--team", "no-such-team", "--schedules", "10"},
		{"validate", demoDir, "--strict"},
		{"import"},
		{"import", "csv", "x.csv"},
		{"bench", "--schedules", "many"},
	} {
		r := runCLI(t, env{}, args...)
		if r.code != exitUsage {
			t.Errorf("phasegate %s: exit %d, want %d; stderr:\n%s", strings.Join(args, " "), r.code, exitUsage, r.stderr)
		}
		if r.stderr == "" {
			t.Errorf("phasegate %s: no message on stderr", strings.Join(args, " "))
		}
	}
}

func TestMissingPathSaysWhatToDo(t *testing.T) {
	r := runCLI(t, env{}, "plan", "no/such/estate")
	if r.code != exitFailure || !strings.Contains(r.stderr, "no such file or directory; give the path") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestPlanJSONContract decodes the machine contract loosely, so a renamed
// or missing field fails here rather than in someone's script.
func TestPlanJSONContract(t *testing.T) {
	r := runCLI(t, env{}, append([]string{"plan", demoDir, "--format", "json"}, planArgs...)...)
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"objective", "start", "makespan_hours", "downtime_cost", "teams", "systems", "services", "waves", "critical_path"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("plan JSON lacks %q", k)
		}
	}
	if doc["objective"] != "cost" {
		t.Errorf("objective = %v, want cost (the demo's services carry costs)", doc["objective"])
	}
	if doc["start"] != "2025-09-01T08:00:00Z" {
		t.Errorf("start = %v", doc["start"])
	}
	systems := doc["systems"].([]any)
	sawNullClearance := false
	for _, s := range systems {
		m := s.(map[string]any)
		for _, k := range []string{"id", "team", "needs", "requires", "wave", "clearance_start_hours", "clearance_end_hours", "restore_start_hours", "restore_end_hours", "waiting_on", "critical"} {
			if _, ok := m[k]; !ok {
				t.Fatalf("system %v lacks %q", m["id"], k)
			}
		}
		if m["clearance_end_hours"] == nil {
			sawNullClearance = true
		}
		if m["waiting_on"] == "" {
			t.Errorf("system %v has no explanation", m["id"])
		}
	}
	if !sawNullClearance {
		t.Error("no system without clearance has clearance_end_hours: null (the demo has some)")
	}
	for _, s := range doc["services"].([]any) {
		m := s.(map[string]any)
		for _, k := range []string{"id", "eta_hours", "eta", "downtime_cost"} {
			if _, ok := m[k]; !ok {
				t.Fatalf("service %v lacks %q", m["id"], k)
			}
		}
	}
}

func TestPlanTextSections(t *testing.T) {
	r := runCLI(t, env{}, append([]string{"plan", demoDir}, planArgs...)...)
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{
		"Northfield Motors: restart plan",
		"All systems back",
		"Against plain dependency order",
		"cheaper",
		"When each business service is back",
		"Supplier payments",
		"Waves (",
		"Critical path",
		"Systems in order of restore start",
		"waits for",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("plan text lacks %q", want)
		}
	}
	// Same seed, same plan.
	again := runCLI(t, env{}, append([]string{"plan", demoDir}, planArgs...)...)
	if again.stdout != r.stdout {
		t.Error("two runs with the same seed printed different plans")
	}
}

// datedEstate starts its clock late on 30 December, an hour ahead of UTC,
// so the plan runs into the next year: two systems wait for their own
// clearance, two for a dependency, one for its team.
const datedEstate = `version: 1
organization: Dated Ltd
currency: GBP
start: 2025-12-30T22:00:00+01:00
clearance_team: forensics
teams:
  - {id: forensics, capacity: 1}
  - {id: ops, capacity: 1}
systems:
  - {id: net, kind: network, team: ops, restore: 1d, clearance: 12h}
  - {id: db, kind: data, team: ops, restore: 2d, requires: [net]}
  - {id: app, kind: application, team: ops, restore: 6h, requires: [db], clearance: 1d}
  - {id: mail, kind: saas, team: ops, restore: 4h}
  - {id: dns, kind: network, team: ops, restore: 2h}
`

// TestPlanTextShowsDates checks that the critical path and the systems'
// table give dates, as the services' table does, computed from the
// estate's start (no --start): a person reads "Wed 31 Dec 10:00", not
// "+12h". The critical path keeps each step's end as the time since the
// clock's start; the explanations say the date in place of the offset
// the JSON's waiting_on gives.
func TestPlanTextShowsDates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "estate.yaml")
	if err := os.WriteFile(path, []byte(datedEstate), 0o644); err != nil {
		t.Fatal(err)
	}
	start, err := time.Parse(time.RFC3339, "2025-12-30T22:00:00+01:00")
	if err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, env{}, "plan", path, "--format", "json")
	if r.code != exitOK {
		t.Fatalf("plan json: exit %d: %s", r.code, r.stderr)
	}
	var p struct {
		CriticalPath []string `json:"critical_path"`
		Systems      []struct {
			ID                string   `json:"id"`
			ClearanceStart    *float64 `json:"clearance_start_hours"`
			ClearanceEnd      *float64 `json:"clearance_end_hours"`
			RestoreStartHours float64  `json:"restore_start_hours"`
			RestoreEndHours   float64  `json:"restore_end_hours"`
			WaitingOn         string   `json:"waiting_on"`
			Wait              struct {
				Reason string `json:"reason"`
			} `json:"wait"`
		} `json:"systems"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, env{}, "plan", path)
	if r.code != exitOK {
		t.Fatalf("plan: exit %d: %s", r.code, r.stderr)
	}
	text := r.stdout
	critical, systems, ok := strings.Cut(text, "\nSystems in order of restore start")
	if !ok {
		t.Fatalf("no systems' table:\n%s", text)
	}
	_, critical, ok = strings.Cut(critical, "\nCritical path")
	if !ok {
		t.Fatalf("no critical path:\n%s", text)
	}
	date := func(h float64) string {
		return shortDate(start.Add(time.Duration(math.Round(h*60))*time.Minute), start)
	}
	// The dates are the start's zone's and carry the year once it differs.
	if want := "Wed 31 Dec 10:00"; date(12) != want {
		t.Fatalf("12h after the start reads %q, want %q", date(12), want)
	}
	if want := "Thu 1 Jan 2026 10:00"; date(36) != want {
		t.Fatalf("36h after the start reads %q, want %q", date(36), want)
	}
	row := regexp.MustCompile(`\s{2,}`)
	byID := map[string]int{}
	for i, s := range p.Systems {
		byID[s.ID] = i
	}
	if len(p.CriticalPath) == 0 {
		t.Fatal("no critical path in the JSON")
	}
	var cpLines []string
	for _, l := range strings.Split(strings.TrimSpace(critical), "\n")[1:] {
		cpLines = append(cpLines, strings.Join(row.Split(strings.TrimSpace(l), -1), "|"))
	}
	step := func(from, to float64, what, id, team string) {
		t.Helper()
		want := date(from) + "|→ " + date(to) + "|(+" + hoursText(to) + ")|" + what + "|" + id + "|" + team
		for _, l := range cpLines {
			if l == want {
				return
			}
		}
		t.Errorf("critical path lacks %q:\n%s", want, strings.Join(cpLines, "\n"))
	}
	sawClearance := false
	for _, id := range p.CriticalPath {
		s := p.Systems[byID[id]]
		if s.Wait.Reason == "clearance" {
			sawClearance = true
			step(*s.ClearanceStart, *s.ClearanceEnd, "clearance", id, "forensics")
		}
		step(s.RestoreStartHours, s.RestoreEndHours, "restore", id, "ops")
	}
	if !sawClearance {
		t.Errorf("critical path %v has no clearance step (net's starts the chain)", p.CriticalPath)
	}
	lines := strings.Split(strings.TrimSpace(systems), "\n")[1:]
	if len(lines) != 1+len(p.Systems) {
		t.Fatalf("systems' table has %d lines, want a header and %d systems:\n%s", len(lines), len(p.Systems), systems)
	}
	if !strings.HasPrefix(strings.TrimSpace(lines[0]), "Restore") {
		t.Errorf("systems' table header %q", lines[0])
	}
	reasons := map[string]bool{}
	for _, l := range lines[1:] {
		cells := row.Split(strings.TrimSpace(l), 6)
		if len(cells) != 6 {
			t.Fatalf("systems' row %q: %d cells", l, len(cells))
		}
		id := strings.TrimSuffix(cells[2], " *")
		i, ok := byID[id]
		if !ok {
			t.Fatalf("systems' row %q: no system %q in the JSON", l, id)
		}
		s := p.Systems[i]
		reasons[s.Wait.Reason] = true
		if cells[0] != date(s.RestoreStartHours) || cells[1] != date(s.RestoreEndHours) {
			t.Errorf("%s: restore %q, back %q; want %q, %q", id, cells[0], cells[1], date(s.RestoreStartHours), date(s.RestoreEndHours))
		}
		why := s.WaitingOn
		if s.RestoreStartHours > 0 {
			off := "+" + hoursText(s.RestoreStartHours)
			if !strings.Contains(why, off) {
				t.Errorf("%s: waiting_on %q lacks the offset %s", id, why, off)
			}
			why = strings.ReplaceAll(why, off, date(s.RestoreStartHours))
		}
		if cells[5] != why {
			t.Errorf("%s: why %q, want %q", id, cells[5], why)
		}
	}
	for _, r := range []string{"none", "clearance", "dependency", "team"} {
		if !reasons[r] {
			t.Errorf("no system waits for reason %q; the estate should show every kind of wait", r)
		}
	}
	if m := regexp.MustCompile(`\+\d`).FindString(systems); m != "" {
		t.Errorf("systems' table still gives an offset from the clock's start:\n%s", systems)
	}
}

func TestPlanSVGIsWellFormed(t *testing.T) {
	for _, extra := range [][]string{nil, {"--chart", "waves"}, {"--service", "supplier-payments", "--group", "team"}} {
		args := append(append([]string{"plan", demoDir, "--format", "svg"}, planArgs...), extra...)
		r := runCLI(t, env{}, args...)
		if r.code != exitOK {
			t.Fatalf("%v: exit %d: %s", extra, r.code, r.stderr)
		}
		if !strings.HasPrefix(strings.TrimSpace(r.stdout), "<svg") {
			t.Fatalf("%v: output does not start with <svg: %.80q", extra, r.stdout)
		}
		d := xml.NewDecoder(strings.NewReader(r.stdout))
		for {
			_, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%v: SVG is not well-formed: %v", extra, err)
			}
		}
	}
}

// TestImportPSPLIBThenPlan converts a J30 instance and plans it: the
// makespan must be the proven optimum (43 periods = 43 hours for j301_1).
func TestImportPSPLIBThenPlan(t *testing.T) {
	out := filepath.Join(t.TempDir(), "j301_1.yaml")
	r := runCLI(t, env{}, "import", "psplib", "../../testdata/psplib/j30/j301_1.sm", "--out", out)
	if r.code != exitOK {
		t.Fatalf("import: exit %d: %s", r.code, r.stderr)
	}
	r = runCLI(t, env{}, "plan", out, "--format", "json", "--start", "2025-01-01T00:00:00Z")
	if r.code != exitOK {
		t.Fatalf("plan: exit %d: %s", r.code, r.stderr)
	}
	var p struct {
		Objective     string  `json:"objective"`
		MakespanHours float64 `json:"makespan_hours"`
		Systems       []any   `json:"systems"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
		t.Fatal(err)
	}
	if p.Objective != "makespan" || p.MakespanHours != 43 || len(p.Systems) != 30 {
		t.Errorf("objective %s, makespan %vh, %d systems; want makespan, 43h (the proven optimum), 30", p.Objective, p.MakespanHours, len(p.Systems))
	}
}
