package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phasegate/phasegate/incident"
)

// TestIncidentReportAndItsCheck: the report of the demo incident is
// written as a document, checked with no server against an export made
// after it, and a copy with one word changed fails the check.
func TestIncidentReportAndItsCheck(t *testing.T) {
	dir := t.TempDir()
	toks, as, db := demoServer(t, "ivy=incident-commander", "val=viewer")
	ic, viewer := toks["ivy"], toks["val"]

	if code, _, errb := as(viewer, "incident", "report", "1", "--out", filepath.Join(dir, "no.html")); code != exitFailure || !strings.Contains(errb, "audit.export") {
		t.Errorf("a viewer's report: exit %d, %s", code, errb)
	}
	doc := filepath.Join(dir, "report.html")
	code, out, errb := as(ic, "incident", "report", "1", "--out", doc)
	if code != 0 || !strings.Contains(out, "Wrote the report of incident 1") || !strings.Contains(out, "hash chain verified") ||
		!strings.Contains(out, "audit check-report") {
		t.Fatalf("incident report: exit %d, %s %s", code, out, errb)
	}
	page, err := os.ReadFile(doc)
	if err != nil || !bytes.Contains(page, []byte("<!doctype html>")) || !bytes.Contains(page, []byte("Forensic clearances")) {
		t.Fatalf("the document: %v, %.200s", err, page)
	}
	export := filepath.Join(dir, "events.jsonl")
	if code, _, errb := pg(t, "", "audit", "export", "--db", db, "--out", export); code != 0 {
		t.Fatalf("audit export: %s", errb)
	}
	code, out, errb = pg(t, "", "audit", "check-report", doc, "--export", export)
	if code != 0 || !strings.Contains(out, "OK: this is the report the log recorded") {
		t.Fatalf("check-report: exit %d, %s %s", code, out, errb)
	}
	// One word changed in the data it carries: caught, by the digest and
	// by the log.
	rep, _, err := incident.ParseReport(page)
	if err != nil || len(rep.Services) == 0 {
		t.Fatalf("parse: %v", err)
	}
	name := rep.Services[0].Name
	forged := filepath.Join(dir, "forged.html")
	os.WriteFile(forged, bytes.Replace(page, []byte(`"`+name+`"`), []byte(`"`+name+` (restored)"`), 1), 0o600)
	code, out, _ = pg(t, "", "audit", "check-report", forged, "--export", export)
	if code != exitFailure || strings.Count(out, "PROBLEM:") != 3 { // digest, log, and the text no longer its data
		t.Errorf("check of a forged copy: exit %d, %s", code, out)
	}

	// The visible text edited, the data left alone: caught too.
	visible := filepath.Join(dir, "visible.html")
	os.WriteFile(visible, bytes.Replace(page, []byte("Forensic clearances</h2>"), []byte("Forensic clearances (all clean)</h2>"), 1), 0o600)
	code, out, _ = pg(t, "", "audit", "check-report", visible, "--export", export)
	if code != exitFailure || !strings.Contains(out, "visible text") {
		t.Errorf("check of a copy with its visible text edited: exit %d, %s", code, out)
	}
	if got, want := defaultReportName(rep), fmt.Sprintf("phasegate-incident-1-report-%d.html", rep.Record.Seq); got != want {
		t.Errorf("default name %q, want %q (one per report, never overwritten)", got, want)
	}

	// Break-glass: the same document on the database directly, recorded
	// by cli:break-glass, checked against a later export.
	offline := filepath.Join(dir, "offline.html")
	code, out, errb = pg(t, "", "audit", "report", "1", "--db", db, "--out", offline)
	if code != 0 || !strings.Contains(out, "Wrote the report of incident 1") {
		t.Fatalf("audit report: exit %d, %s %s", code, out, errb)
	}
	export2 := filepath.Join(dir, "events2.jsonl")
	if code, _, errb := pg(t, "", "audit", "export", "--db", db, "--out", export2); code != 0 {
		t.Fatalf("audit export: %s", errb)
	}
	code, out, _ = pg(t, "", "audit", "check-report", offline, "--export", export2)
	if code != 0 || !strings.Contains(out, "OK: this is the report the log recorded") || !strings.Contains(out, "by cli:break-glass") {
		t.Errorf("check of the break-glass report: exit %d, %s", code, out)
	}
	if code, _, errb := pg(t, "", "audit", "report", "1", "--db", filepath.Join(dir, "nosuch.db")); code == 0 || !strings.Contains(errb, "no database there") {
		t.Errorf("a report of a database that is not there: exit %d, %s", code, errb)
	}

	// As JSON, to a file or to standard output.
	js := filepath.Join(dir, "report.json")
	if code, _, errb := as(ic, "incident", "report", "1", "--out", js); code != 0 {
		t.Fatalf("report as JSON: %s", errb)
	}
	code, out, _ = pg(t, "", "audit", "check-report", js)
	if code != 0 || !strings.Contains(out, "OK as far as it goes") {
		t.Errorf("check without an export: exit %d, %s", code, out)
	}
	code, out, _ = as(ic, "incident", "report", "1", "--format", "json")
	var r incident.Report
	if code != 0 || json.Unmarshal([]byte(out), &r) != nil || r.Record == nil || r.Incident.ID != 1 {
		t.Errorf("--format json: exit %d, %.200s", code, out)
	}
	if code, _, errb := pg(t, "", "audit", "check-report", filepath.Join(dir, "missing.html")); code != exitFailure || !strings.Contains(errb, "no such file") {
		t.Errorf("missing file: exit %d, %s", code, errb)
	}
}
