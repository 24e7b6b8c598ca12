package main

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
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
	r := runCLI(t, env{}, "import", "psplib", "testdata/j301_1.sm", "--out", out)
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
