package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/phasegate/phasegate/estate"
	northfield "github.com/phasegate/phasegate/examples/northfield-motors"
	"github.com/phasegate/phasegate/planner"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const demoDir = "../../examples/northfield-motors"

// demoArgs fix everything that could vary: the clock, the seed, and a
// smaller effort than the defaults so the tests stay fast.
var demoArgs = []string{"--start", "2025-09-15T08:00:00Z", "--seed", "7", "--runs", "500", "--schedules", "200"}

type cliResult struct {
	stdout, stderr string
	code           int
}

func runCLI(t *testing.T, e env, args ...string) cliResult {
	t.Helper()
	var out, errb bytes.Buffer
	e.stdout, e.stderr = &out, &errb
	if e.now == nil {
		e.now = func() time.Time { return time.Date(2025, 9, 15, 8, 0, 0, 0, time.UTC) }
	}
	if e.getenv == nil {
		e.getenv = func(string) string { return "" }
	}
	code := run(context.Background(), args, e)
	return cliResult{out.String(), errb.String(), code}
}

func demo(cmd string, extra ...string) []string {
	return append(append([]string{cmd, demoDir}, demoArgs...), extra...)
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to write it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it after a deliberate change)\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// TestForecastCommandsGolden runs each forecasting command on the demo
// estate with a fixed start and seed and compares the text with golden
// files.
func TestForecastCommandsGolden(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"forecast.txt", demo("forecast", "--by", "2025-10-20")},
		{"impact.txt", demo("impact", "--since", "2025-09-01")},
		{"backlog.txt", demo("backlog", "--policy", "all", "--surge")},
		{"whatif.txt", demo("whatif", "--team-capacity", "forensics=+2", "--clearance", "sap-s4-core=1d", "--drop-dependency", "elmhurst-mes:jit-calloff")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, env{}, tt.args...)
			if r.code != exitOK || r.stderr != "" {
				t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
			}
			golden(t, tt.name, r.stdout)
		})
	}
}

// TestForecastJSONContract checks the fields the issue promises, and that
// the same seed gives the same bytes whatever the number of cores.
func TestForecastJSONContract(t *testing.T) {
	args := demo("forecast", "--by", "2025-10-20", "--format", "json")
	prev := runtime.GOMAXPROCS(1)
	one := runCLI(t, env{}, args...)
	runtime.GOMAXPROCS(max(2, prev))
	two := runCLI(t, env{}, args...)
	runtime.GOMAXPROCS(prev)
	if one.code != exitOK {
		t.Fatalf("exit %d: %s", one.code, one.stderr)
	}
	if one.stdout != two.stdout {
		t.Error("the same seed gave different JSON on one core and on two")
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(one.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"runs", "seed", "distribution", "start", "services", "restart"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("no %q in the forecast JSON", k)
		}
	}
	if doc["runs"] != 500.0 || doc["seed"] != 7.0 || doc["distribution"] != "pert" {
		t.Errorf("runs %v, seed %v, distribution %v", doc["runs"], doc["seed"], doc["distribution"])
	}
	outlooks := []any{doc["restart"]}
	outlooks = append(outlooks, doc["services"].([]any)...)
	if len(outlooks) != 14 {
		t.Errorf("%d outlooks, want 13 services and the restart", len(outlooks))
	}
	for _, o := range outlooks {
		m := o.(map[string]any)
		for _, k := range []string{"id", "name", "p50", "p80", "p95"} {
			s, _ := m[k].(string)
			if s == "" {
				t.Errorf("%v: %s missing", m["id"], k)
			}
			if k[0] == 'p' {
				if _, err := time.Parse(time.RFC3339, s); err != nil {
					t.Errorf("%v: %s %q is not RFC 3339", m["id"], k, s)
				}
			}
		}
		for _, k := range []string{"p50_hours", "p80_hours", "p95_hours", "deterministic_hours", "probability_by"} {
			if _, ok := m[k].(float64); !ok {
				t.Errorf("%v: %s missing or not a number", m["id"], k)
			}
		}
	}
}

// TestBacklogShowsSuppliersPaid: the demo's invoice backlog, under every
// policy, says when the critical suppliers and all suppliers are paid.
func TestBacklogShowsSuppliersPaid(t *testing.T) {
	r := runCLI(t, env{}, demo("backlog", "--policy", "all", "--format", "json", "--surge=false")...)
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var doc struct {
		Backlogs []struct {
			ID       string
			Policies []struct {
				Policy string
				Normal struct {
					Suppliers         int     `json:"suppliers"`
					CriticalSuppliers int     `json:"critical_suppliers"`
					CriticalPaidDays  float64 `json:"critical_paid_days"`
					SuppliersPaidDays float64 `json:"suppliers_paid_days"`
					Payments          []any   `json:"supplier_payments"`
				}
				Surge *struct{}
			}
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, b := range doc.Backlogs {
		if len(b.Policies) == 0 {
			continue
		}
		found = true
		if len(b.Policies) != 3 {
			t.Errorf("%s: %d policies, want 3", b.ID, len(b.Policies))
		}
		for _, p := range b.Policies {
			n := p.Normal
			if n.Suppliers < 300 || n.CriticalSuppliers == 0 || len(n.Payments) != n.Suppliers || n.CriticalPaidDays <= 0 || n.SuppliersPaidDays < n.CriticalPaidDays {
				t.Errorf("%s %s: %d suppliers (%d critical) paid within %v days, critical within %v", b.ID, p.Policy, n.Suppliers, n.CriticalSuppliers, n.SuppliersPaidDays, n.CriticalPaidDays)
			}
			if p.Surge != nil {
				t.Errorf("%s %s: surge shown with --surge=false", b.ID, p.Policy)
			}
		}
	}
	if !found {
		t.Error("no backlog with items in the demo's JSON")
	}
}

// TestForecastUsageErrors: every bad flag value is exit 2 with a message
// naming the flag, the value and what to write instead.
func TestForecastUsageErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"forecast", demoDir, "--runs", "0"}, []string{"--runs 0", "--runs 10000"}},
		{[]string{"forecast", demoDir, "--by", "next week"}, []string{`--by "next week"`, "21d", "a day ahead as YYYY-MM-DD"}},
		// The clock starts at the test's now (15 September 2025): a --by
		// before it would say "0% of runs", not that it cannot be.
		{[]string{"forecast", demoDir, "--by", "2025-09-10"}, []string{"--by 2025-09-11T00:00:00Z is before the clock's start 2025-09-15T08:00:00Z", "--by 21d"}},
		{[]string{"forecast", demoDir, "--start", "2025-10-01T00:00:00Z", "--by", "2025-09-30T23:59:00Z"}, []string{"before the clock's start"}},
		{[]string{"forecast", demoDir, "--by", "-3d"}, []string{`--by "-3d"`, "not a date or a duration"}},
		{[]string{"forecast", demoDir, "--distribution", "normal"}, []string{`--distribution "normal"`, "pert"}},
		{[]string{"impact", demoDir, "--format", "svg"}, []string{`--format "svg"`}},
		{[]string{"forecast"}, []string{"give the estate"}},
		{[]string{"impact", demoDir, "--start", "2025-09-15T08:00:00Z", "--since", "2025-09-20"}, []string{"--since 2025-09-20", "after the clock's start"}},
		{[]string{"backlog", demoDir, "--policy", "loudest"}, []string{`--policy "loudest"`, "--policy all"}},
		{[]string{"backlog", demoDir, "--items"}, []string{"--items", "--format json"}},
		{[]string{"whatif", demoDir}, []string{"at least one change", "--team-capacity forensics=8"}},
		{[]string{"whatif", demoDir, "--team-capacity", "forensics"}, []string{`--team-capacity "forensics"`, "e.g. --team-capacity forensics=8"}},
		{[]string{"whatif", demoDir, "--team-capacity", "forensic=8"}, []string{`no team "forensic"`, "did you mean --team-capacity forensics=8?"}},
		{[]string{"whatif", demoDir, "--team-capacity", "forensics=0"}, []string{"at least 1"}},
		// A change that changes nothing is refused before any run, saying
		// what is there already.
		{[]string{"whatif", demoDir, "--team-capacity", "identity=+0"}, []string{`--team-capacity "identity=+0": changes nothing: team identity has capacity 2 already`, "e.g. --team-capacity identity=+1"}},
		{[]string{"whatif", demoDir, "--team-capacity", "forensics=6"}, []string{"changes nothing: team forensics has capacity 6 already", "e.g. --team-capacity forensics=7"}},
		{[]string{"whatif", demoDir, "--restore", "sap-s4-core=2d/3d/6d"}, []string{"changes nothing: the restore of sap-s4-core is 2d/3d/6d already"}},
		{[]string{"whatif", demoDir, "--clearance", "sap-s4-core=3"}, []string{`--clearance "sap-s4-core=3"`, "no unit", "e.g. --clearance sap-s4-core=3d"}},
		{[]string{"whatif", demoDir, "--restore", "sap-s4-cor=2d"}, []string{`no system "sap-s4-cor"`, "did you mean --restore sap-s4-core=2d?"}},
		{[]string{"whatif", demoDir, "--restore", "sap-s4-core=none"}, []string{"needs a restore"}},
		{[]string{"whatif", demoDir, "--drop-dependency", "elmhurst-mes"}, []string{`--drop-dependency "elmhurst-mes"`, "elmhurst-mes:sap-s4-core"}},
		{[]string{"whatif", demoDir, "--drop-dependency", "elmhurst-mes:sap"}, []string{"does not require sap", "e.g. --drop-dependency elmhurst-mes:"}},
		{[]string{"whatif", demoDir, "--compromised", "crm-sas"}, []string{`no system "crm-sas"`, "did you mean --compromised crm-saas?"}},
	} {
		r := runCLI(t, env{}, tt.args...)
		if r.code != exitUsage {
			t.Errorf("%q: exit %d, want %d (stderr %q)", tt.args, r.code, exitUsage, r.stderr)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%q: stderr %q does not say %q", tt.args, r.stderr, w)
			}
		}
	}
}

// TestProgressBar: on a terminal the forecast draws its progress on
// stderr and clears it; elsewhere stderr stays empty.
func TestProgressBar(t *testing.T) {
	clock := time.Date(2025, 9, 15, 8, 0, 0, 0, time.UTC)
	tick := func() time.Time { clock = clock.Add(time.Second); return clock }
	r := runCLI(t, env{isTerminal: true, now: tick}, demo("forecast")...)
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "forecast: [") || !strings.Contains(r.stderr, "500 of 500 runs") || !strings.HasSuffix(r.stderr, "\r\033[K") {
		t.Errorf("terminal stderr %q: want a bar that reaches 500 runs and is cleared", r.stderr)
	}
	if r := runCLI(t, env{}, demo("forecast")...); r.stderr != "" {
		t.Errorf("stderr %q when it is not a terminal, want nothing", r.stderr)
	}
}

// TestPlanImpactHook checks the impact section written for `phasegate
// plan` against the plan's own cost.
func TestPlanImpactHook(t *testing.T) {
	est, err := northfield.Estate()
	if err != nil {
		t.Fatal(err)
	}
	p, err := planner.Make(est, planner.Options{Seed: 1, Schedules: 100, Start: time.Date(2025, 9, 15, 8, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := writePlanImpact(&b, est, p); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, w := range []string{"A day now costs  ", "£48.8m", money(est.Currency, p.DowntimeCost) + ": ", " vehicles", "person-days", "phasegate impact"} {
		if !strings.Contains(out, w) {
			t.Errorf("plan impact section does not say %q:\n%s", w, out)
		}
	}
	b.Reset()
	if err := writePlanImpact(&b, &estate.Estate{}, &planner.Plan{}); err != nil || b.Len() != 0 {
		t.Errorf("an estate without services: %v, %q; want nothing written", err, b.String())
	}
}

// TestForecastSVG: --format svg writes the fan chart of the forecast and
// the burn-down of one backlog.
func TestForecastSVG(t *testing.T) {
	r := runCLI(t, env{}, demo("forecast", "--format", "svg", "--by", "2025-10-20")...)
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, w := range []string{"<svg", "When will Northfield Motors be back?", "Vehicle production at Elmhurst", "All systems back", "</svg>"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("fan chart without %q", w)
		}
	}
	r = runCLI(t, env{}, demo("backlog", "--format", "svg", "--backlog", "supplier-invoices", "--surge")...)
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, w := range []string{"<svg", "Unpaid supplier invoices", "(surge)", "critical suppliers paid", "</svg>"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("burn-down without %q", w)
		}
	}
	r = runCLI(t, env{}, demo("backlog", "--format", "svg")...)
	if r.code != exitUsage || !strings.Contains(r.stderr, "--backlog supplier-invoices") {
		t.Errorf("svg of several backlogs: exit %d, %q; want a usage error naming the choice", r.code, r.stderr)
	}
	r = runCLI(t, env{}, demo("backlog", "--backlog", "nope")...)
	if r.code != exitUsage || !strings.Contains(r.stderr, `--backlog "nope"`) {
		t.Errorf("unknown backlog: exit %d, %q", r.code, r.stderr)
	}
}

// TestForecastByDuration: --by 21d is 21 days from the clock's start, the
// same forecast as that time written out; and the README's example run
// with no --start after that day is refused, where it said "0% of runs".
func TestForecastByDuration(t *testing.T) {
	rel := runCLI(t, env{}, demo("forecast", "--by", "3w", "--format", "json")...)
	abs := runCLI(t, env{}, demo("forecast", "--by", "2025-10-06T08:00:00Z", "--format", "json")...)
	if rel.code != exitOK || abs.code != exitOK {
		t.Fatalf("exit %d, %d: %s %s", rel.code, abs.code, rel.stderr, abs.stderr)
	}
	if rel.stdout != abs.stdout {
		t.Error("--by 3w and --by 2025-10-06T08:00:00Z (three weeks after --start) gave different forecasts")
	}
	var doc struct {
		By *time.Time `json:"by"`
	}
	if err := json.Unmarshal([]byte(rel.stdout), &doc); err != nil || doc.By == nil ||
		!doc.By.Equal(time.Date(2025, 10, 6, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("by %v (%v)", doc.By, err)
	}
	// The README's example, without --start: the clock starts now.
	later := env{now: func() time.Time { return time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC) }}
	if r := runCLI(t, later, "forecast", demoDir, "--runs", "200", "--schedules", "100", "--by", "2025-10-08"); r.code != exitUsage ||
		!strings.Contains(r.stderr, "before the clock's start") {
		t.Errorf("--by 2025-10-08 in March 2026: exit %d, %q", r.code, r.stderr)
	}
	if r := runCLI(t, later, "forecast", demoDir, "--runs", "200", "--schedules", "100", "--by", "21d"); r.code != exitOK ||
		!strings.Contains(r.stdout, "Back by Sun 22 Mar 2026") {
		t.Errorf("--by 21d in March 2026: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
}
