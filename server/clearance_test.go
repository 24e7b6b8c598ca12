package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/incident"
)

// TestTickNeedsDone: a tick that does not say done is refused (400,
// naming the field) instead of unticking the item; the UI form's post
// is held to the same.
func TestTickNeedsDone(t *testing.T) {
	ts, id := newUIServer(t)
	ts.mustStatus(ts.transition("forensics", id, "db", incident.StateInvestigating), 200)
	tick := path("/api/v1/incidents/%d/systems/db/checklist", id)
	ts.mustStatus(ts.do("forensics", "POST", tick, `{"item":"forensic-image","done":true}`), 200)

	e := ts.mustStatus(ts.do("forensics", "POST", tick, `{"item":"forensic-image"}`), http.StatusBadRequest).errorBody(t)
	if e.Code != phasegate.EINVALID || !strings.Contains(e.Message, `"done"`) {
		t.Errorf("no done: %+v, want invalid naming done", e)
	}
	var cl struct {
		Items []incident.ChecklistItem `json:"items"`
	}
	ts.mustStatus(ts.do("viewer", "GET", tick, nil), 200).decode(t, &cl)
	if len(cl.Items) == 0 || cl.Items[0].Key != "forensic-image" || !cl.Items[0].Done {
		t.Fatalf("the refused tick changed the item: %+v", cl.Items)
	}
	// A missing item is still said first; done false still unticks.
	ts.mustStatus(ts.do("forensics", "POST", tick, `{"done":true}`), http.StatusBadRequest)
	ts.mustStatus(ts.do("forensics", "POST", tick, `{"item":"forensic-image","done":false}`), 200)

	c := uiLogin(t, ts, "forensics")
	sys := fmt.Sprintf("/incidents/%d/systems/db", id)
	c.post(sys+"/checklist", url.Values{"item": {"forensic-image"}}).must(t, http.StatusBadRequest).has(t, "done")
	c.post(sys+"/checklist", url.Values{"item": {"forensic-image"}, "done": {"yes"}}).must(t, http.StatusBadRequest)
}

// TestTickRefusedOutsideClearance: over the API a cleared system's tick
// is 409 saying how to reopen the clearance, and its page offers no tick
// form but says why.
func TestTickRefusedOutsideClearance(t *testing.T) {
	ts, id := newUIServer(t) // vault is cleared
	tick := path("/api/v1/incidents/%d/systems/vault/checklist", id)
	e := ts.mustStatus(ts.do("forensics", "POST", tick, `{"item":"ioc-sweep","done":false,"note":"IOC found after all"}`),
		http.StatusConflict).errorBody(t)
	if !strings.Contains(e.Message, "move it back to investigating") {
		t.Errorf("refusal %q does not say how to reopen the clearance", e.Message)
	}
	c := uiLogin(t, ts, "forensics")
	sys := fmt.Sprintf("/incidents/%d/systems/vault", id)
	c.get(sys).must(t, 200).lacks(t, sys+"/checklist").has(t, `id="tick-closed"`, "move it back to investigating")
	c.post(sys+"/checklist", url.Values{"item": {"ioc-sweep"}, "done": {"false"}}).must(t, http.StatusConflict)

	ts.mustStatus(ts.transition("forensics", id, "vault", incident.StateInvestigating), 200)
	ts.mustStatus(ts.do("forensics", "POST", tick, `{"item":"ioc-sweep","done":false,"note":"IOC found after all"}`), 200)
	c.get(sys).must(t, 200).has(t, sys+"/checklist").lacks(t, `id="tick-closed"`)
}

// TestUnknownIncidentListsAre404: the approvals and events of an incident
// that does not exist are 404, not empty lists.
func TestUnknownIncidentListsAre404(t *testing.T) {
	ts, id := newUIServer(t)
	for _, p := range []string{"/api/v1/incidents/99/approvals", "/api/v1/incidents/99/events"} {
		e := ts.mustStatus(ts.do("viewer", "GET", p, nil), http.StatusNotFound).errorBody(t)
		if !strings.Contains(e.Message, "no incident 99") {
			t.Errorf("%s: %q", p, e.Message)
		}
	}
	ts.mustStatus(ts.do("viewer", "GET", path("/api/v1/incidents/%d/approvals", id), nil), 200)
	ts.mustStatus(ts.do("viewer", "GET", path("/api/v1/incidents/%d/events", id), nil), 200)
}

// TestCloseNeedsAReason: closing without a reason is refused naming the
// field; with one, the incident closes and its log says how many systems
// were not back.
func TestCloseNeedsAReason(t *testing.T) {
	ts, id := newUIServer(t)
	closePath := path("/api/v1/incidents/%d/close", id)
	for _, body := range []any{nil, `{}`, `{"reason":"  "}`} {
		e := ts.mustStatus(ts.do("ic", "POST", closePath, body), http.StatusUnprocessableEntity).errorBody(t)
		if e.Code != phasegate.EINVALID || !strings.HasPrefix(e.Message, "reason:") {
			t.Errorf("close with %v: %+v", body, e)
		}
	}
	ts.mustStatus(ts.do("ic", "POST", closePath, map[string]string{"reason": "handed over"}), 200)
	c := uiLogin(t, ts, "viewer")
	c.get(fmt.Sprintf("/incidents/%d/events", id)).must(t, 200).has(t, "closed the incident with 8 systems not back", "handed over")
}
