package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/phasegate/phasegate/incident"
)

// TestStatusUpdateCommandsKeepTwoPeople drafts, edits, rejects, approves,
// publishes and withdraws a status update from the command line against
// the demo incident, then cancels its pending restart and closes it.
func TestStatusUpdateCommandsKeepTwoPeople(t *testing.T) {
	toks, as, _ := demoServer(t, "ivy=incident-commander", "cara=comms", "cole=comms", "rita=recovery-lead")
	ivy, cara, cole, rita := toks["ivy"], toks["cara"], toks["cole"], toks["rita"]
	day := time.Now().UTC().AddDate(0, 0, 10).Format(time.DateOnly)
	later := time.Now().UTC().AddDate(0, 0, 12).Format(time.DateOnly)

	// The live lines to insert, in words and as the API gives them.
	code, out, errb := as(cara, "update", "suggest", "1", "--audience", "suppliers")
	if code != 0 || !strings.Contains(out, "suppliers:") || !strings.Contains(out, "--service supplier-payments=") || strings.Contains(out, "retailers:") {
		t.Errorf("update suggest: %d %s %s", code, out, errb)
	}
	code, out, _ = as(cara, "update", "suggest", "1", "--format", "json")
	var sg incident.StatusSuggestions
	if code != 0 || json.Unmarshal([]byte(out), &sg) != nil || len(sg.Audiences) == 0 {
		t.Errorf("update suggest --format json: %d %.300s", code, out)
	}
	if code, out, errb = as(cara, "update", "suggest", "1", "--audience", "martians"); code != exitFailure || !strings.Contains(errb, `no audience "martians"`) || out != "" {
		t.Errorf("update suggest for an unknown audience: %d, stdout %q, stderr %s; want exit 1, nothing on stdout", code, out, errb)
	}

	// Bad use is said before anything is sent.
	bodyFile := filepath.Join(t.TempDir(), "body.txt")
	if err := os.WriteFile(bodyFile, []byte("We cannot pay suppliers this week.\nInvoices are safe.\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--title", "x", "--body", "y"}, "--audience"},
		{[]string{"--audience", "suppliers", "--body", "y"}, "--title"},
		{[]string{"--audience", "suppliers", "--title", "x"}, "--body"},
		{[]string{"--audience", "suppliers", "--title", "x", "--body", "y", "--body-file", bodyFile}, "not both"},
		{[]string{"--audience", "suppliers", "--title", "x", "--body", "y", "--service", "supplier-payments=sideways"}, "not a service state"},
		{[]string{"--audience", "suppliers", "--title", "x", "--body", "y", "--service", "supplier-payments=up@" + day}, "has no expected day"},
		{[]string{"--audience", "suppliers", "--title", "x", "--body", "y", "--service", "supplier-payments=down@Thursday"}, "write it as YYYY-MM-DD, a day ahead"},
	} {
		code, _, errb := as(cara, append([]string{"update", "draft", "1"}, c.args...)...)
		if code != exitUsage || !strings.Contains(errb, c.want) {
			t.Errorf("update draft %q: exit %d, stderr %s; want exit 2 and %q", c.args, code, errb, c.want)
		}
	}
	if code, _, errb = as(cara, "update", "draft", "1", "--audience", "suppliers", "--title", "x", "--body-file", filepath.Join(t.TempDir(), "nope.txt")); code != exitUsage ||
		!strings.Contains(errb, "--body-file") || !strings.Contains(errb, "nope.txt") || !strings.Contains(errb, "give a text file") {
		t.Errorf("update draft with a missing body file: %d %s", code, errb)
	}
	// The server's refusal names what is wrong.
	if code, _, errb = as(cara, "update", "draft", "1", "--audience", "suppliers", "--title", "x", "--body", "y", "--service", "nope=down"); code != exitFailure || !strings.Contains(errb, `no service "nope"`) {
		t.Errorf("update draft with an unknown service: %d %s", code, errb)
	}

	code, out, errb = as(cara, "update", "draft", "1", "--audience", "suppliers", "--title", "Supplier payments paused",
		"--body-file", bodyFile, "--service", "supplier-payments=down@"+day)
	m := regexp.MustCompile(`Drafted update (\d+) for suppliers`).FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("update draft: %d %s %s", code, out, errb)
	}
	id := m[1]
	if code, out, _ = as(cole, "update", "list", "1", "--status", "draft"); code != 0 || !strings.Contains(out, "Supplier payments paused") {
		t.Errorf("update list --status draft: %d %s", code, out)
	}
	if code, out, _ = as(cole, "update", "list", "1", "--status", "withdrawn"); code != 0 || !strings.Contains(out, "No withdrawn updates") {
		t.Errorf("update list --status withdrawn: %d %s", code, out)
	}
	if code, _, errb = as(cole, "update", "list", "1", "--status", "gone"); code != exitUsage || !strings.Contains(errb, "not a state of an update") {
		t.Errorf("update list --status gone: %d %s", code, errb)
	}
	// Its author cannot approve it.
	if code, _, errb = as(cara, "update", "approve", id); code != exitFailure || errb == "" {
		t.Errorf("the author approves: %d %s", code, errb)
	}

	// An edit of the title alone keeps the body and the service lines.
	if code, out, errb = as(cole, "update", "edit", id, "--title", "Supplier payments paused this week"); code != 0 || !strings.Contains(out, "revision 2") {
		t.Fatalf("update edit --title: %d %s %s", code, out, errb)
	}
	show := func() incident.StatusUpdate {
		t.Helper()
		code, out, errb := as(cole, "update", "show", id, "--format", "json")
		var u incident.StatusUpdate
		if code != 0 || json.Unmarshal([]byte(out), &u) != nil {
			t.Fatalf("update show --format json: %d %s %s", code, out, errb)
		}
		return u
	}
	u := show()
	if u.Title != "Supplier payments paused this week" || !strings.Contains(u.Body, "Invoices are safe.") || len(u.Services) != 1 ||
		u.Services[0].State != incident.ServiceDown || u.Services[0].ETA.Format(time.DateOnly) != day || u.Revision != 2 {
		t.Errorf("after editing the title, the update is %+v", u)
	}
	if code, _, errb = as(cole, "update", "edit", id); code != exitUsage || !strings.Contains(errb, "nothing to change") {
		t.Errorf("update edit with nothing: %d %s", code, errb)
	}
	if code, _, errb = as(cole, "update", "edit", id, "--drop-service", "payroll"); code != exitUsage || !strings.Contains(errb, "supplier-payments") {
		t.Errorf("update edit --drop-service of a line it lacks: %d %s", code, errb)
	}

	// Rejected with a note, edited into a draft again, approved, published.
	if code, _, errb = as(ivy, "update", "reject", id); code != exitUsage || !strings.Contains(errb, "--note") {
		t.Errorf("update reject without a note: %d %s", code, errb)
	}
	if code, out, errb = as(ivy, "update", "reject", id, "--note", "say when they resume"); code != 0 || !strings.Contains(out, "Rejected update "+id) {
		t.Fatalf("update reject: %d %s %s", code, out, errb)
	}
	if code, out, errb = as(cara, "update", "edit", id, "--body", "Payments resume when SAP is back.", "--service", "supplier-payments=partial@"+later); code != 0 {
		t.Fatalf("update edit --body --service: %d %s %s", code, out, errb)
	}
	if u = show(); u.Status != incident.UpdateDraft || u.Body != "Payments resume when SAP is back." || u.Services[0].State != incident.ServicePartial {
		t.Errorf("after the second edit: %+v", u)
	}
	if code, out, errb = as(ivy, "update", "approve", id, "--note", "checked with finance"); code != 0 || !strings.Contains(out, "Approved update "+id) {
		t.Fatalf("update approve: %d %s %s", code, out, errb)
	}
	if code, out, errb = as(cara, "update", "publish", id); code != 0 || !strings.Contains(out, "Published update "+id+" to suppliers") {
		t.Fatalf("update publish: %d %s %s", code, out, errb)
	}
	code, out, _ = as(cole, "update", "show", id)
	if code != 0 || !strings.Contains(out, "published (revision 3)") || !strings.Contains(out, "partly available, fully expected back") ||
		!strings.Contains(out, "Approved by ivy") || !strings.Contains(out, "Published by cara") {
		t.Errorf("update show: %d %s", code, out)
	}
	if code, _, errb = as(cara, "update", "edit", id, "--title", "late"); code != exitFailure || !strings.Contains(errb, "--corrects "+id) {
		t.Errorf("editing a published update: %d %s", code, errb)
	}
	// Taking it down needs why.
	if code, _, errb = as(cara, "update", "withdraw", id); code != exitFailure || !strings.Contains(errb, "note") {
		t.Errorf("update withdraw of a published update without a note: %d %s", code, errb)
	}
	if code, out, errb = as(cara, "update", "withdraw", id, "--note", "wrong date"); code != 0 || !strings.Contains(out, "off the status pages of suppliers") {
		t.Errorf("update withdraw: %d %s %s", code, out, errb)
	}

	// The demo's restart waits for a second person; its commander's
	// request is cancelled by another commander, not by a recovery lead.
	code, out, _ = as(ivy, "approval", "list", "1", "--status", "pending", "--format", "json")
	var pending struct {
		Approvals []incident.Approval `json:"approvals"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &pending) != nil || len(pending.Approvals) == 0 {
		t.Fatalf("approval list: %d %s", code, out)
	}
	ap := pending.Approvals[0]
	apID := strconv.FormatInt(ap.ID, 10)
	if code, _, errb = as(rita, "approval", "cancel", apID); code != exitFailure || errb == "" {
		t.Errorf("approval cancel by someone who may not: %d %s", code, errb)
	}
	if code, out, errb = as(ivy, "approval", "cancel", apID, "--note", "restart replanned"); code != 0 ||
		!strings.Contains(out, "Cancelled approval "+apID+": "+ap.SystemID) {
		t.Errorf("approval cancel: %d %s %s", code, out, errb)
	}
	if code, out, _ = as(ivy, "approval", "list", "1", "--status", "cancelled"); code != 0 || !strings.Contains(out, ap.SystemID) {
		t.Errorf("approval list --status cancelled: %d %s", code, out)
	}

	// Closing needs a reason, and a closed incident takes no new update.
	if code, _, errb = as(ivy, "incident", "close", "1"); code != exitUsage || !strings.Contains(errb, "--reason") {
		t.Errorf("incident close without a reason: %d %s", code, errb)
	}
	if code, _, errb = as(cara, "incident", "close", "1", "--reason", "done"); code != exitFailure || errb == "" {
		t.Errorf("incident close by comms: %d %s", code, errb)
	}
	if code, out, errb = as(ivy, "incident", "close", "1", "--reason", "every system back; handed to BAU"); code != 0 || !strings.Contains(out, "Closed incident 1") {
		t.Fatalf("incident close: %d %s %s", code, out, errb)
	}
	if code, out, _ = as(ivy, "incident", "list"); code != 0 || !strings.Contains(out, "closed ") {
		t.Errorf("incident list after closing: %d %s", code, out)
	}
	if code, _, errb = as(cara, "update", "draft", "1", "--audience", "suppliers", "--title", "x", "--body", "y"); code != exitFailure || errb == "" {
		t.Errorf("a draft in a closed incident: %d %s", code, errb)
	}
}
