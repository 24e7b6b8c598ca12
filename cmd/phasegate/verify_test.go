package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phasegate/phasegate/incident"
	"github.com/phasegate/phasegate/internal/healthtest"
)

// TestSystemVerifyRunsTheChecks: an estate whose gateway has an HTTP
// check against a real server on 127.0.0.1 is uploaded from the command
// line; while the health page answers 503, system verify lists the
// failing check with what it found and exits 1, and the move to online
// is refused with it; a viewer may not run the checks. Once the page is
// up the run passes (exit 0, and as JSON), system show lists the check
// with the run, and the move succeeds. Run again while online and down,
// it fails and says the system stays online.
func TestSystemVerifyRunsTheChecks(t *testing.T) {
	health := healthtest.New(t)
	dir := t.TempDir()
	doc := health.Estate("  - {id: box, kind: application, team: infra, restore: 1h}\n")
	if err := os.WriteFile(filepath.Join(dir, "estate.yaml"), doc, 0o644); err != nil {
		t.Fatal(err)
	}
	toks, as, _ := clientServer(t, "ivy=incident-commander", "fred=forensics", "rita=recovery-lead", "vic=viewer")
	ic, fo, rl, viewer := toks["ivy"], toks["fred"], toks["rita"], toks["vic"]
	must := func(tok string, args ...string) string {
		t.Helper()
		code, out, errb := as(tok, args...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s %s", strings.Join(args, " "), code, out, errb)
		}
		return out
	}
	must(ic, "estate", "upload", dir)
	must(ic, "incident", "declare", "Verify", "--total-shutdown")
	for _, sys := range []string{"gw", "box"} {
		must(fo, "system", "transition", "1", sys, "--to", "investigating", "--reason", "start")
		var d incident.SystemDetail
		if err := json.Unmarshal([]byte(must(fo, "system", "show", "1", sys, "--format", "json")), &d); err != nil {
			t.Fatal(err)
		}
		for _, it := range d.Checklist {
			must(fo, "system", "tick", "1", sys, it.Key, "--evidence", "EV-"+it.Key)
		}
		must(fo, "system", "transition", "1", sys, "--to", "cleared", "--reason", "clean")
		must(rl, "system", "transition", "1", sys, "--to", "restoring", "--reason", "rebuild")
		must(rl, "system", "transition", "1", sys, "--to", "verifying", "--reason", "rebuilt")
	}
	check := fmt.Sprintf(`GET %s/health → 200 containing "OK"`, health.URL)
	out := must(rl, "system", "show", "1", "gw")
	for _, want := range []string{"Verify checks: not run since it entered verifying (phasegate system verify 1 gw):", "  -     " + check} {
		if !strings.Contains(out, want) {
			t.Errorf("system show before a run lacks %q:\n%s", want, out)
		}
	}
	if out = must(rl, "system", "show", "1", "box"); !strings.Contains(out, "Verify checks: none in the estate; it is verified by hand.") {
		t.Errorf("system show of a system without checks:\n%s", out)
	}

	code, _, errb := as(viewer, "system", "verify", "1", "gw")
	if code != exitFailure || !strings.Contains(errb, "system.verify") {
		t.Errorf("a viewer runs the checks: exit %d: %s", code, errb)
	}
	code, _, errb = as(rl, "system", "verify", "1", "box")
	if code != exitFailure || !strings.Contains(errb, "box has no checks in the estate") {
		t.Errorf("checks of a system without: exit %d: %s", code, errb)
	}

	code, out, errb = as(rl, "system", "verify", "1", "gw")
	if code != exitFailure || errb != "" || !strings.Contains(out, "gw: 1 check, run by rita at ") ||
		!strings.Contains(out, "  FAIL  "+check+": HTTP 503") || !strings.Contains(out, "want 200") ||
		!strings.Contains(out, "Checks failed: gw cannot go online until they pass.") || strings.Contains(out, "does not count") {
		t.Errorf("a failing run: exit %d:\n%s%s", code, out, errb)
	}
	code, _, errb = as(rl, "system", "transition", "1", "gw", "--to", "online", "--reason", "looks up")
	if code != exitFailure || !strings.Contains(errb, "HTTP 503") {
		t.Errorf("online after a failed run: exit %d: %s", code, errb)
	}
	// Every verifying system at once: gw fails, box has no checks.
	code, out, errb = as(rl, "incident", "verify", "1")
	if code != exitFailure || !strings.Contains(out, "  FAIL  "+check) || !strings.Contains(out, "Verifying without checks (verified by hand): box") ||
		!strings.Contains(out, "1 system: 0 passed, 1 failed.") {
		t.Errorf("incident verify: exit %d:\n%s%s", code, out, errb)
	}
	if code, _, errb = as(viewer, "incident", "verify", "1"); code != exitFailure || !strings.Contains(errb, "system.verify") {
		t.Errorf("a viewer runs every check: exit %d: %s", code, errb)
	}

	health.Set(true)
	code, out, errb = as(rl, "system", "verify", "1", "gw")
	if code != 0 || !strings.Contains(out, "  ok    "+check+": HTTP 200") || !strings.HasSuffix(out, "Checks passed.\n") {
		t.Errorf("a passing run: exit %d:\n%s%s", code, out, errb)
	}
	code, out, _ = as(rl, "system", "verify", "1", "gw", "--format", "json")
	var run incident.CheckRun
	if code != 0 || json.Unmarshal([]byte(out), &run) != nil || !run.Passed || !run.Counts || len(run.Results) != 1 || run.By != "rita" {
		t.Errorf("system verify --format json: exit %d: %s", code, out)
	}
	out = must(rl, "system", "show", "1", "gw")
	if !strings.Contains(out, "Verify checks: the run that counts passed (rita, ") || !strings.Contains(out, "  ok    "+check+": HTTP 200") {
		t.Errorf("system show after a passing run:\n%s", out)
	}
	must(rl, "system", "transition", "1", "gw", "--to", "online", "--reason", "checks passed")

	health.Set(false)
	code, out, errb = as(rl, "system", "verify", "1", "gw")
	if code != exitFailure || !strings.Contains(out, "Checks failed while gw is online. It stays online") ||
		!strings.Contains(out, "phasegate system transition 1 gw --to isolated") {
		t.Errorf("a failing run while online: exit %d:\n%s%s", code, out, errb)
	}
	code, out, _ = as(rl, "system", "verify", "1", "gw", "--format", "json")
	if code != exitFailure || json.Unmarshal([]byte(out), &run) != nil || run.Passed || run.Counts {
		t.Errorf("a failing run as JSON: exit %d: %s", code, out)
	}
}
