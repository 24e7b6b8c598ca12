package server_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/phasegate/phasegate/incident"
)

// TestIncidentReportOverHTTP: the report as JSON and as one HTML document
// that shows the record, the evidence and the approvers, and carries data
// whose digest is the one the log recorded; refused to those who may not
// audit, and to a format it does not know.
func TestIncidentReportOverHTTP(t *testing.T) {
	ts := newTestServer(t, backend{"sqlite", openSQLite}, serverOptions{estate: "small"})
	in := ts.declare("ic", incident.Declaration{Name: "Report <test> \u202eevil", Kind: "ransomware"})
	ts.mustStatus(ts.do("forensics", "POST", path("/api/v1/incidents/%d/isolate", in.ID),
		map[string]any{"selector": map[string]bool{"all": true}, "reason": "pull the plug"}), 200)
	ts.mustStatus(ts.transition("forensics", in.ID, "vault", incident.StateInvestigating), 200)
	ts.tickAll("forensics", in.ID, "vault")
	ts.mustStatus(ts.transition("forensics", in.ID, "vault", incident.StateCleared), 200)
	var res incident.TransitionResult
	ts.mustStatus(ts.transition("rl", in.ID, "vault", incident.StateRestoring), 202).decode(t, &res)
	ts.mustStatus(ts.do("rl2", "POST", path("/api/v1/approvals/%d/approve", res.Approval.ID), map[string]string{"note": "backup hash checked"}), 200)

	report := path("/api/v1/incidents/%d/report", in.ID)
	ts.mustStatus(ts.do("viewer", "GET", report, nil), 403)
	ts.mustStatus(ts.do("ic", "GET", report+"?format=pdf", nil), 400)
	ts.mustStatus(ts.do("ic", "GET", "/api/v1/incidents/999/report", nil), 404)

	// Asking whether it is there (HEAD: link checkers, prefetch) makes
	// no report, and records nothing.
	// The whole log's head (an export's event belongs to no incident).
	var before struct {
		LastSeq int64 `json:"last_seq"`
	}
	ts.mustStatus(ts.do("ic", "GET", "/api/v1/audit/verify", nil), 200).decode(t, &before)
	ts.mustStatus(ts.do("ic", "HEAD", report+"?format=html", nil), 200)
	ts.mustStatus(ts.do("viewer", "HEAD", report, nil), 403)
	ts.mustStatus(ts.do("ic", "HEAD", "/api/v1/audit/export", nil), 200) // an export is recorded too
	var after struct {
		LastSeq int64 `json:"last_seq"`
	}
	ts.mustStatus(ts.do("ic", "GET", "/api/v1/audit/verify", nil), 200).decode(t, &after)
	if after.LastSeq != before.LastSeq {
		t.Errorf("a HEAD request made a report or an export: the log moved from %d to %d", before.LastSeq, after.LastSeq)
	}

	var rep incident.Report
	ts.mustStatus(ts.do("ic", "GET", report, nil), 200).decode(t, &rep)
	if !rep.Chain.OK || rep.Record == nil || len(rep.Clearances) != 1 || len(rep.Approvals) != 1 || rep.Incident.Name != "Report <test> \u202eevil" {
		t.Fatalf("report: chain %+v record %+v clearances %d approvals %d", rep.Chain, rep.Record, len(rep.Clearances), len(rep.Approvals))
	}
	if d, err := incident.ReportDigest(&rep); err != nil || d != rep.Record.Digest {
		t.Fatalf("the JSON's digest %s (%v), recorded %s", d, err, rep.Record.Digest)
	}

	page := ts.mustStatus(ts.do("forensics", "GET", report+"?format=html", nil), 200)
	if ct := page.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("content type %q", ct)
	}
	if csp := page.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	html := string(page.body)
	for _, want := range []string{
		"Report &lt;test&gt; [U+202E]evil", // escaped; a direction control shown, not obeyed
		"hash chain verified</strong>",
		"isolated 8 systems at once (all)", "pull the plug",
		"Secrets vault (vault): cleared", "CASE-vault-", // the evidence of each item
		"✓ approved by rl2", "backup hash checked",
		"approved by rl2 (request",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("the HTML report lacks %q", want)
		}
	}
	if strings.Contains(html[:strings.Index(html, `<script type="application/json"`)], "\u202e") {
		t.Error("a direction control reaches the text a person reads")
	}
	// The data it carries is a report whose digest the log recorded.
	m := regexp.MustCompile(`(?s)<script type="application/json" id="phasegate-report">(.*?)</script>`).FindStringSubmatch(html)
	if m == nil {
		t.Fatal("the HTML report carries no data block")
	}
	var embedded incident.Report
	if err := json.Unmarshal([]byte(strings.TrimSpace(m[1])), &embedded); err != nil {
		t.Fatalf("the embedded data: %v", err)
	}
	d, err := incident.ReportDigest(&embedded)
	if err != nil || embedded.Record == nil || d != embedded.Record.Digest || embedded.Record.Seq <= rep.Record.Seq {
		t.Fatalf("embedded digest %s (%v), record %+v; the first report was event %d", d, err, embedded.Record, rep.Record.Seq)
	}
	// Each report is an event, by whoever made it.
	var evs struct {
		Events []incident.Event `json:"events"`
	}
	ts.mustStatus(ts.do("ic", "GET", path("/api/v1/incidents/%d/events?after=%d", in.ID, rep.Record.Seq-1), nil), 200).decode(t, &evs)
	var reported []string
	for _, e := range evs.Events {
		if e.Type == incident.EventAuditReported {
			reported = append(reported, fmt.Sprintf("%d:%s", e.Seq, e.Actor))
		}
	}
	if want := []string{fmt.Sprintf("%d:ic", rep.Record.Seq), fmt.Sprintf("%d:forensics", embedded.Record.Seq)}; strings.Join(reported, " ") != strings.Join(want, " ") {
		t.Errorf("audit.reported events %v, want %v", reported, want)
	}

	// The UI offers it on the event log, and serves the same document.
	h := ts.login("ic")
	events := ts.mustStatus(ts.request(h, "GET", path("/incidents/%d/events", in.ID), nil), 200)
	if !strings.Contains(string(events.body), path("/incidents/%d/report", in.ID)) {
		t.Error("the event log page does not link the report")
	}
	ui := ts.mustStatus(ts.request(h, "GET", path("/incidents/%d/report", in.ID), nil), 200)
	if !strings.Contains(string(ui.body), `id="phasegate-report"`) {
		t.Error("the UI's report is not the document")
	}
	vh := ts.login("viewer")
	if r := ts.request(vh, "GET", path("/incidents/%d/report", in.ID), nil); r.status != 403 || !strings.Contains(string(r.body), "audit.export") {
		t.Errorf("viewer: status %d, body %.300s", r.status, r.body)
	}
}
