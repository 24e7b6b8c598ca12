package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/phasegate/phasegate/incident"
)

// Declaring and closing an incident from the UI, over HTTP as a browser
// without JavaScript.

// TestUIDeclareIncident: only incident commanders get the form on the
// list; a form missing a name or with a bad start comes back with what was
// typed and why; declared, the browser goes to the new incident's
// overview, warned that another incident is open too.
func TestUIDeclareIncident(t *testing.T) {
	ts, first := newUIServer(t)
	for _, user := range []string{"admin", "rl", "owner", "forensics", "comms", "viewer"} {
		r := uiLogin(t, ts, user).get("/incidents").must(t, 200)
		if strings.Contains(r.body, `action="/incidents"`) {
			t.Errorf("%s is offered the declare form", user)
		}
		r.lacks(t, "Declare an incident")
	}
	uiLogin(t, ts, "viewer").post("/incidents", url.Values{"name": {"x"}, "kind": {"ransomware"}}).
		must(t, http.StatusForbidden).has(t, "incident.declare")

	c := uiLogin(t, ts, "ic")
	page := c.get("/incidents").must(t, 200)
	page.has(t, `id="declare"`, `action="/incidents"`, "Declare an incident", `list="declare-kinds"`, `<option value="ransomware">`,
		"Total shutdown", "1 incident is open already", "Test ransomware", "version 1 — ")
	accountsPageChecks(t, page)

	// Refused: what was typed comes back, with what to do.
	r := c.post("/incidents", url.Values{"name": {""}, "kind": {"wiper"}, "required": {"2"}, "total_shutdown": {"yes"}}).
		must(t, http.StatusBadRequest)
	r.has(t, "name: give the incident a name", `value="wiper"`, `<option value="2" selected>`, `name="total_shutdown" value="yes" checked`)
	c.post("/incidents", url.Values{"name": {"Second"}, "kind": {"wiper"}, "started": {"yesterday"}}).
		must(t, http.StatusBadRequest).has(t, `"yesterday" is not a date and time; write it as 2025-09-14 06:30 (UTC)`, `value="Second"`)
	future := time.Now().UTC().Add(48 * time.Hour).Format("2006-01-02T15:04")
	c.post("/incidents", url.Values{"name": {"Second"}, "kind": {"wiper"}, "started": {future}}).
		must(t, http.StatusBadRequest).has(t, "is in the future")
	c.post("/incidents", url.Values{"name": {"Second"}, "kind": {"wiper"}, "version": {"9"}}).
		must(t, http.StatusNotFound).has(t, `value="Second"`)
	c.post("/incidents", url.Values{"name": {"Second"}, "kind": {"wiper"}, "required": {"9"}}).
		must(t, 422).has(t, "required_approvals: 9 is out of range")

	// Declared: to its overview, with the warning.
	started := time.Now().UTC().Add(-3 * time.Hour).Truncate(time.Minute)
	r = c.post("/incidents", url.Values{"name": {"Plant 2 wiper"}, "kind": {"wiper"}, "started": {started.Format("2006-01-02T15:04")},
		"required": {"2"}, "version": {"1"}, "total_shutdown": {"yes"}}).must(t, http.StatusSeeOther)
	ins, err := ts.svc.Incidents(context.Background(), incident.Actor{UserID: ts.users["ic"].ID, Name: "ic", Grants: ts.users["ic"].Grants})
	if err != nil {
		t.Fatal(err)
	}
	in := ins[0]
	if in.ID == first || in.Name != "Plant 2 wiper" || in.Kind != "wiper" || !in.TotalShutdown || in.RequiredApprovals != 2 ||
		!in.StartedAt.Equal(started) || in.DeclaredBy != "ic" || in.EstateVersion != 1 {
		t.Fatalf("declared %+v (started %s, want %s)", in, in.StartedAt, started)
	}
	if want := fmt.Sprintf("/incidents/%d", in.ID); r.location != want {
		t.Fatalf("declare → %q, want %q", r.location, want)
	}
	ov := c.get(r.location).must(t, 200)
	ov.has(t, "flash-wait", fmt.Sprintf("Declared incident %d \"Plant 2 wiper\" on estate version 1", in.ID),
		"every system starts isolated (total shutdown)", "needs 2 approvals", "Warning: another incident is open too.",
		fmt.Sprintf("Incident %d \"Test ransomware\" is open too", first), "close one of them from its overview")
	// The list now has both, and the form counts them.
	c.get("/incidents").must(t, 200).has(t, "Plant 2 wiper", "2 incidents are open already")

	// With none open, no warning; an empty start is now.
	for _, id := range []int64{first, in.ID} {
		ts.mustStatus(ts.do("ic", "POST", fmt.Sprintf("/api/v1/incidents/%d/close", id), map[string]string{"reason": "test"}), 200)
	}
	ov = c.follow("/incidents", url.Values{"name": {"Third"}, "kind": {"ransomware"}})
	ov.has(t, "flash-ok", "Declared incident", "every system starts running").lacks(t, "open too", "Warning")
}

// TestUICloseIncident: the overview offers incident commanders a close
// form saying it is permanent, how many systems are not back and that the
// pending approval will be cancelled; without the reason or the tick
// nothing closes and the page says what is missing; closed, the approval
// is cancelled and the overview offers nothing more.
func TestUICloseIncident(t *testing.T) {
	ts, id := newUIServer(t)
	ts.mustStatus(ts.transition("ic", id, "vault", incident.StateRestoring), 202) // a pending approval
	base := fmt.Sprintf("/incidents/%d", id)
	for _, user := range []string{"admin", "rl", "forensics", "viewer"} {
		c := uiLogin(t, ts, user)
		c.get(base).must(t, 200).lacks(t, base+"/close", "Close the incident")
		c.post(base+"/close", url.Values{"reason": {"x"}, "confirm": {"yes"}}).must(t, http.StatusForbidden).has(t, "incident.update")
	}
	c := uiLogin(t, ts, "ic")
	view, err := ts.svc.Incident(context.Background(), incident.Actor{UserID: ts.users["ic"].ID, Name: "ic", Grants: ts.users["ic"].Grants}, id)
	if err != nil {
		t.Fatal(err)
	}
	ov := c.get(base).must(t, 200)
	ov.has(t, `id="close"`, `action="`+base+`/close"`, "Closing is permanent",
		fmt.Sprintf("%d of %d systems are not back", len(view.Systems), len(view.Systems)), "1 pending approval will be cancelled",
		`name="confirm" value="yes" required`, "I understand that closing is permanent and cancels the pending approvals.")
	accountsPageChecks(t, ov)

	c.follow(base+"/close", url.Values{"reason": {"done"}}).has(t, "flash-error", `tick "I understand that closing is permanent"`)
	c.follow(base+"/close", url.Values{"reason": {"  "}, "confirm": {"yes"}}).has(t, "flash-error", "give a reason to close it")
	if v, _ := ts.svc.Incident(context.Background(), incident.Actor{UserID: ts.users["ic"].ID, Name: "ic", Grants: ts.users["ic"].Grants}, id); !v.Open() {
		t.Fatal("the incident closed without the reason or the tick")
	}

	r := c.post(base+"/close", url.Values{"reason": {"restored from the offline backups"}, "confirm": {"yes"}}).must(t, http.StatusSeeOther)
	if r.location != base {
		t.Errorf("close → %q, want %q", r.location, base)
	}
	page := c.get(base).must(t, 200)
	page.has(t, "flash-ok", "Closed incident", fmt.Sprintf("%d systems were not back; 1 pending approval was cancelled", len(view.Systems)), "closed")
	if a := actions(page.body); len(a) > 0 {
		t.Errorf("the closed incident's overview offers %v", a)
	}
	c.get(base+"/approvals?status=cancelled").must(t, 200).has(t, "vault")
	c.get(base+"/events").must(t, 200).has(t, "restored from the offline backups")
	// Twice: refused in words.
	c.follow(base+"/close", url.Values{"reason": {"again"}, "confirm": {"yes"}}).has(t, "flash-error", "closed")
}
