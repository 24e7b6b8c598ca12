package server_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/phasegate/phasegate/incident"
)

// TestUIForecastInBrowser opens the forecast and the backlogs as a viewer
// in Chromium, mid-recovery: asks for the chance of being back by a date
// from the form, finds one supplier's payment dates, and checks both
// pages at phone width.
func TestUIForecastInBrowser(t *testing.T) {
	browser := newBrowser(t)
	ts := newTestServer(t, backend{"sqlite", openSQLite}, serverOptions{estate: "demo", settings: uiSettings})
	started := time.Now().Add(-75 * time.Hour).Truncate(time.Hour)
	v := ts.declare("ic", incident.Declaration{Name: "Northfield Motors ransomware", Kind: "ransomware", StartedAt: started, TotalShutdown: true})
	progressDemo(t, ts, v.ID, v.Systems, "")
	base := fmt.Sprintf("/incidents/%d", v.ID)

	vw := newTab(t, browser, ts.url, "viewer")
	vw.login("viewer")

	t.Run("forecast", func(t *testing.T) {
		vw.t = t
		vw.open(base)
		vw.submit(`nav a[href$="/forecast"]`)
		vw.sees("h1", "Forecast")
		vw.sees("#forecast-services", "Vehicle production at Elmhurst", "All systems back", "The plan holds")
		vw.sees("#ledger", "What the outage costs", "All services", "vehicles")
		if n := run(vw, chromedp.Evaluate[int](`document.querySelectorAll('#forecast-chart svg').length`)); n != 1 {
			t.Fatalf("%d pictures in the fan chart's section, want 1", n)
		}
		// The chance of being back by a date, asked from the form.
		by := time.Now().UTC().AddDate(0, 0, 40).Format(time.DateOnly)
		vw.do(chromedp.SetValue(chromedp.ID("f-by"), by))
		vw.submit(`form[aria-label="What to forecast"] button[type=submit]`)
		vw.sees("#forecast-numbers", "All back by")
		vw.sees("#forecast-services", "Back by")
		if n := run(vw, chromedp.Evaluate[int](postForms)); n != 0 {
			t.Errorf("the viewer is offered %d forms that change something on the forecast", n)
		}
		vw.shot("forecast", "")
		vw.shot("forecast-fan", "#forecast-chart .picture")
	})
	vw.t = t

	t.Run("backlogs and one supplier", func(t *testing.T) {
		vw.t = t
		vw.open(base + "/backlogs")
		vw.sees("#backlog-supplier-invoices", "Unpaid supplier invoices", "When suppliers are paid, by policy", "critical-first")
		who := run(vw, chromedp.Evaluate[string](`document.querySelector('#backlog-supplier-invoices table.suppliers tbody th').firstChild.textContent.trim()`))
		if who == "" {
			t.Fatal("the invoices backlog lists no supplier")
		}
		vw.do(chromedp.SendKeys(chromedp.ID("f-supplier"), who))
		vw.submit(`form[role=search] button[type=submit]`)
		vw.sees("#backlog-supplier-invoices", "Suppliers matching", who, "1 of")
		vw.shot("backlogs", "")
	})
	vw.t = t

	t.Run("a recovery lead records a count", func(t *testing.T) {
		rl := newTab(t, browser, ts.url, "rl")
		rl.login("rl")
		rl.open(base + "/backlogs")
		rl.sees("#backlog-supplier-invoices", "Not counted yet")
		rl.do(chromedp.Click(chromedp.CSS(`#backlog-supplier-invoices details.count-form summary`)))
		// The service's state left to the systems: supplier payments are
		// down in the demo, so the count waits for their return.
		rl.do(chromedp.SendKeys(chromedp.ID("count-supplier-invoices"), "11,200"),
			chromedp.SendKeys(chromedp.ID("count-note-supplier-invoices"), "AP ledger, 09:00 run"))
		rl.submit(`#backlog-supplier-invoices details.count-form button[type=submit]`)
		rl.sees(".flash-ok", "Recorded: 11,200 outstanding in supplier-invoices")
		rl.sees("#backlog-supplier-invoices", "Counted: 11,200", "the service down then", "start from this count")
		if n := run(rl, chromedp.Evaluate[int](`document.querySelectorAll('#backlog-supplier-invoices svg title').length`)); n == 0 {
			t.Error("the burn-down has no titled parts")
		}
		rl.shot("backlogs-counted", "#backlog-supplier-invoices")
	})

	t.Run("phone width", func(t *testing.T) {
		ph := phoneTab(t, browser, ts.url, "viewer")
		ph.fitsPhone(base+"/forecast?width=narrow", base+"/backlogs?width=narrow")
	})
}
