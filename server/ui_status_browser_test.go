package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/phasegate/phasegate/incident"
)

// acceptDialogs answers OK to every confirmation the tab's page asks
// (the data-confirm buttons), as a person clicking through would.
func acceptDialogs(b *tab) {
	opening := chromedp.Events(b.ctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range opening {
			if err != nil {
				return
			}
			go chromedp.Do(b.ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
				_, err := cdp.Call(ctx, t, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
				return err
			}))
		}
	}()
}

// TestUIStatusUpdateInBrowser: comms drafts an update with the live ETA
// of supplier payments, cannot approve it; a second person in another
// browser context approves and publishes it; a supplier, not logged in,
// sees it on the public page — at desktop and phone width.
func TestUIStatusUpdateInBrowser(t *testing.T) {
	browser := newBrowser(t)
	ts := newTestServer(t, backend{"sqlite", openSQLite}, serverOptions{estate: "demo", settings: uiSettings})
	v := ts.declare("ic", incident.Declaration{Name: "Northfield Motors ransomware", Kind: "ransomware", TotalShutdown: true})
	base := fmt.Sprintf("/incidents/%d/updates", v.ID)
	var sg incident.StatusSuggestions
	ts.mustStatus(ts.do("comms", "GET", fmt.Sprintf("/api/v1/incidents/%d/updates/suggestions", v.ID), nil), 200).decode(t, &sg)
	var live incident.ServiceLine
	for _, a := range sg.Audiences {
		for _, s := range a.Services {
			if s.Line.Service == "supplier-payments" {
				live = s.Line
			}
		}
	}
	if live.ETA.IsZero() {
		t.Fatal("the live plan has no ETA for supplier payments")
	}
	const title = "Supplier payments resume: critical suppliers paid first"

	comms := newTab(t, browser, ts.url, "comms")
	var updatePath string
	if !t.Run("comms drafts with the live ETA", func(t *testing.T) {
		comms.t = t
		comms.login("comms")
		comms.open(fmt.Sprintf("/incidents/%d", v.ID))
		comms.submit(`nav a[href$="/updates"]`)
		comms.submit(`a[href$="/updates/new"]`)
		comms.sees("#svc-supplier-payments", "Supplier payments", "Live plan: expected back "+incident.ShortDate(live.ETA))
		if got := run(comms, chromedp.Value(chromedp.ID("eta-supplier-payments"))); got != live.ETA.Format("2006-01-02") {
			t.Errorf("the ETA field holds %q, want the live plan's day %s", got, live.ETA.Format("2006-01-02"))
		}
		comms.do(
			chromedp.Click(chromedp.CSS(`input[name=audience][value=suppliers]`)),
			chromedp.SendKeys(chromedp.ID("title"), title),
			chromedp.SendKeys(chromedp.ID("body"), "Payments restart in stages: **critical suppliers first**.\n\n- no invoice is lost\n- do not resend invoices"),
			chromedp.Click(chromedp.ID("inc-supplier-payments")),
			chromedp.SendKeys(chromedp.ID("note-supplier-payments"), "critical and single-source suppliers first"),
		)
		comms.shot("status-draft", "")
		comms.submit("#save")
		comms.sees(".flash-wait", "It waits for a second person")
		comms.sees("#preview", "critical suppliers first", "Supplier payments: expected back "+incident.ShortDate(live.ETA))
		comms.sees("#actions", "You wrote this update")
		if n := run(comms, chromedp.Evaluate[int](`document.querySelectorAll('#approve, #approve-publish, #publish').length`)); n != 0 {
			t.Errorf("the author is offered %d approve or publish buttons", n)
		}
		updatePath = strings.TrimPrefix(comms.location(), ts.url)
	}) {
		return
	}

	ic := newTab(t, browser, ts.url, "ic")
	acceptDialogs(ic)
	t.Run("a second person approves, then publishes", func(t *testing.T) {
		ic.t = t
		ic.login("ic")
		ic.open(base)
		ic.sees("#waiting-h", "Waiting for approval")
		ic.submit(chromedp.CSS(`a[href="` + updatePath + `"].btn`))
		ic.sees("#preview", "critical suppliers first")
		ic.shot("status-review", "")
		ic.do(chromedp.SendKeys(chromedp.ID("approve-note"), "checked against the plan"))
		ic.submit("#approve")
		ic.sees(".flash-ok", "Approved update")
		ic.submit("#publish") // asks "Publish this update to suppliers now?"; OK
		ic.sees(".flash-ok", "Published update", "status pages of suppliers")
		ic.sees("main", "Approved by", "checked against the plan")
	})

	t.Run("a supplier sees it without logging in", func(t *testing.T) {
		pub := newTab(t, browser, ts.url, "a supplier")
		pub.open("/status/suppliers")
		pub.sees("h1", "Service status for suppliers")
		pub.sees("main", title, "critical suppliers first", "no invoice is lost", "Not available", incident.ShortDate(live.ETA),
			"critical and single-source suppliers first")
		if n := run(pub, chromedp.Evaluate[int](`document.querySelectorAll('form, script').length`)); n != 0 {
			t.Errorf("the public page has %d forms or scripts", n)
		}
		pub.shot("status-public", "")
		pub.onPhone()
		pub.fitsPhone("/status/suppliers")
		pub.shot("status-public-phone", "")
		// Nobody else's page shows it.
		pub.open("/status/retailers")
		if strings.Contains(pub.text("main"), title) {
			t.Error("the retailers' page shows the suppliers' update")
		}
	})
}

// TestUIPublicStatusOnPhoneInBrowser: a colleague reads the public page on
// a phone: a service partly available, with a note, and one with a date
// fit the screen without scrolling sideways (the state's words wrap).
func TestUIPublicStatusOnPhoneInBrowser(t *testing.T) {
	browser := newBrowser(t)
	ts := newTestServer(t, backend{"sqlite", openSQLite}, serverOptions{estate: "demo", settings: uiSettings})
	v := ts.declare("ic", incident.Declaration{Name: "Northfield Motors ransomware", Kind: "ransomware", TotalShutdown: true})
	u, err := ts.svc.DraftStatusUpdate(context.Background(), ts.actor("comms"), v.ID, incident.StatusDraft{
		Audiences: []string{"colleagues"},
		Title:     "Plants stay closed this week; September pay is not affected",
		Body:      "Production at every plant remains paused.",
		Services: []incident.ServiceLine{
			{Service: "payroll", State: incident.ServicePartial, Note: "September pay is paid in full"},
			{Service: "email-collaboration", State: incident.ServiceDown, ETA: time.Now().Add(400 * time.Hour)},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ts.mustStatus(ts.do("ic", "POST", fmt.Sprintf("/api/v1/updates/%d/approve", u.ID), map[string]any{"publish": true, "revision": 1}), 200)

	pub := newTab(t, browser, ts.url, "a colleague on a phone")
	pub.onPhone()
	pub.fitsPhone("/status/colleagues")
	pub.sees("main", "Partly available", "September pay is paid in full", "Not available")
}
