package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/phasegate/phasegate/forecast"
	"github.com/phasegate/phasegate/incident"
)

// The comms pages, driven like a browser without JavaScript: comms
// drafts, a second person approves and publishes, the public page shows
// it.

func newCommsServer(t *testing.T) (*testServer, int64) {
	t.Helper()
	ts := newTestServer(t, backend{"sqlite", openSQLite}, serverOptions{estate: "demo", settings: uiSettings})
	v := ts.declare("ic", incident.Declaration{Name: "Comms test", Kind: "ransomware", TotalShutdown: true})
	return ts, v.ID
}

func draftValues(title string, audiences ...string) url.Values {
	return url.Values{"title": {title}, "body": {"Critical suppliers are paid **first**."}, "audience": audiences,
		"service": {"supplier-payments"}, "state-supplier-payments": {"down"}, "eta-supplier-payments": {"2031-03-14"},
		"note-supplier-payments": {"UK first"}}
}

func TestUIStatusDraftApprovePublish(t *testing.T) {
	ts, id := newCommsServer(t)
	base := fmt.Sprintf("/incidents/%d/updates", id)
	comms := uiLogin(t, ts, "comms")

	list := comms.get(base).must(t, 200)
	list.has(t, `href="`+base+`" aria-current="page"`, "Write a status update", "Nothing has been published yet")
	// The live forecast first: the form waits for it only a moment
	// (uiForecastWait), which a loaded machine running -race can miss;
	// asked for here, the form finds it kept.
	var fr forecast.Result
	ts.mustStatus(ts.do("viewer", "GET", fmt.Sprintf("/api/v1/incidents/%d/forecast", id), nil), 200).decode(t, &fr)
	// The form offers every service with the live plan's line.
	form := comms.get(base+"/new").must(t, 200)
	form.has(t, `name="audience" value="suppliers"`, `id="inc-supplier-payments"`, "Live plan: expected back",
		"Nothing published yet", `<label for="title">Title</label>`)
	// Beside the plan's day, the day the live forecast is 80 % sure of.
	found := false
	for _, o := range fr.Services {
		if o.ID == "supplier-payments" {
			found = true
			row := rowOf(t, form.body, `id="svc-supplier-payments"`)
			if w := "80 % sure by " + uiDay(o.P80); !strings.Contains(row, w) {
				t.Errorf("the draft form's supplier payments row lacks %q: %s", w, text(row))
			}
		}
	}
	if !found {
		t.Error("the live forecast has no supplier-payments")
	}

	// Invalid: no audience. The form comes back with what was typed and why.
	bad := comms.post(base, draftValues("Supplier payments resume")).must(t, http.StatusUnprocessableEntity)
	bad.has(t, `role="alert"`, "audiences: name who the update is for", `value="Supplier payments resume"`, `value="UK first"`)

	// Drafted: the author cannot approve it and is told why.
	r := comms.post(base, draftValues("Supplier payments resume", "suppliers")).must(t, http.StatusSeeOther)
	upd := r.location
	if !strings.HasPrefix(upd, base+"/") {
		t.Fatalf("draft redirects to %q", upd)
	}
	page := comms.get(upd).must(t, 200)
	page.has(t, "Drafted update", "It waits for a second person", "As the public will read it", "<strong>first</strong>",
		"Supplier payments: expected back Fri 14 Mar — UK first", "You wrote this update")
	page.lacks(t, `id="approve"`, `id="publish"`)
	// Posting the approval anyway is refused by the service.
	comms.follow(upd+"/approve", url.Values{"revision": {"1"}}).has(t, "cannot approve it")

	// The public page does not show a draft.
	if strings.Contains(string(ts.get("/status/suppliers").body), "Supplier payments resume") {
		t.Fatal("a draft is on the public page")
	}

	// A second person, in another browser, approves and publishes.
	ic := uiLogin(t, ts, "ic")
	ic.get(base).must(t, 200).has(t, "Review and approve")
	review := ic.get(upd).must(t, 200)
	review.has(t, `id="approve"`, `id="approve-publish"`, `id="reject"`)
	done := ic.follow(upd+"/approve-publish", url.Values{"revision": {"1"}, "note": {"checked with legal"}})
	done.has(t, "Approved and published update", "Approved by", "checked with legal", "Published",
		"drafted revision 1", "approved revision 1", "published revision 1 to suppliers")
	pub := string(ts.get("/status/suppliers").body)
	if !strings.Contains(pub, "Supplier payments resume") || !strings.Contains(pub, "Fri 14 Mar") {
		t.Fatal("the published update is not on the public page at once")
	}
	// Published: a correction is offered, no edit.
	after := comms.get(upd).must(t, 200)
	after.has(t, `id="correct"`).lacks(t, `id="edit"`)
	corr := comms.get(base+"/new?corrects="+strings.TrimPrefix(upd, base+"/")).must(t, 200)
	corr.has(t, "Correct update", `value="Correction: Supplier payments resume"`, `name="corrects"`)
}

func TestUIStatusEditNeedsApprovalAgain(t *testing.T) {
	ts, id := newCommsServer(t)
	base := fmt.Sprintf("/incidents/%d/updates", id)
	comms, ic := uiLogin(t, ts, "comms"), uiLogin(t, ts, "ic")
	upd := comms.post(base, draftValues("Payments resume", "suppliers")).must(t, http.StatusSeeOther).location
	ic.follow(upd+"/approve", url.Values{"revision": {"1"}}).has(t, "Approved update")
	comms.get(upd).has(t, `id="publish"`, "it will need approving again")
	comms.get(upd+"/edit").must(t, 200).has(t, `name="revision" value="1"`, `value="Payments resume"`)
	v := draftValues("Payments resume on Thursday", "suppliers")
	v.Set("revision", "1")
	comms.follow(upd, v).has(t, "Its approval no longer holds", "draft", "revision 2")
	// ic's approval of revision 1 no longer counts: the page offers approval again.
	ic.get(upd).has(t, `id="approve"`, `name="revision" value="2"`).lacks(t, `id="publish"`)
	// A stale form (revision 1) is refused with why.
	ic.follow(upd+"/approve", url.Values{"revision": {"1"}}).has(t, "someone changed it since you read it")
	// Sent back with a note.
	ic.follow(upd+"/reject", url.Values{"note": {"name the supplier desk"}}).has(t, "Sent update", "name the supplier desk")
}

func TestUIStatusRoles(t *testing.T) {
	ts, id := newCommsServer(t)
	base := fmt.Sprintf("/incidents/%d/updates", id)
	comms := uiLogin(t, ts, "comms")
	upd := comms.post(base, draftValues("Payments resume", "suppliers")).must(t, http.StatusSeeOther).location
	for _, user := range []string{"viewer", "rl", "forensics", "admin"} {
		t.Run(user, func(t *testing.T) {
			c := uiLogin(t, ts, user)
			c.get(base).must(t, 200).lacks(t, "Write a status update", "Review and approve")
			if got := actions(c.get(upd).must(t, 200).body); len(got) > 0 {
				t.Errorf("%s is offered %v", user, got)
			}
			c.get(base+"/new").must(t, http.StatusForbidden).has(t, "status.draft")
		})
	}
	// A missing update, or one of another incident, is 404.
	comms.get(base+"/999").must(t, http.StatusNotFound)
	other := ts.declare("ic", incident.Declaration{Name: "other", Kind: "ransomware"})
	comms.get(fmt.Sprintf("/incidents/%d/updates/%s", other.ID, upd[strings.LastIndex(upd, "/")+1:])).must(t, http.StatusNotFound)
}
