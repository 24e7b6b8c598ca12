package server_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/phasegate/phasegate/incident"
	"github.com/phasegate/phasegate/store"
)

// pastClock is the store's and the service's clock in a test that plays
// a recovery of several days: it starts days before the real time and is
// moved on by hand, staying behind the real time, which the pages are
// drawn at.
type pastClock struct{ ns atomic.Int64 }

func (c *pastClock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *pastClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// sqliteAt opens a SQLite store that stamps events with clock.
func sqliteAt(clock func() time.Time) backend {
	return backend{"sqlite", func(t testing.TB) *store.DB {
		t.Helper()
		db, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "phasegate.db"), clock)
		if err != nil {
			t.Fatalf("open SQLite: %v", err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}}
}

// TestUIHistoryAndWhatIfInBrowser plays three days of a recovery on the
// demo estate — systems cleared and restored, the SAP core cleared early
// and then found compromised again — recording the dates as the plan
// worker does, then in Chromium: the ETA history after those moves, and a
// what-if asked through the form, wrongly and then rightly; at phone
// width too.
func TestUIHistoryAndWhatIfInBrowser(t *testing.T) {
	browser := newBrowser(t)
	clock := &pastClock{}
	clock.ns.Store(time.Now().Add(-70 * time.Hour).Truncate(time.Hour).UnixNano())
	ts := newTestServer(t, sqliteAt(clock.Now), serverOptions{estate: "demo", settings: uiSettings, clock: clock.Now})
	v := ts.declare("ic", incident.Declaration{Name: "Northfield Motors ransomware", Kind: "ransomware", TotalShutdown: true,
		StartedAt: clock.Now().Add(-6 * time.Hour)})
	id := v.ID
	base := fmt.Sprintf("/incidents/%d", id)
	ts.recordETAs(id)
	clock.Advance(9 * time.Hour)
	progressDemo(t, ts, id, v.Systems, "")
	ts.recordETAs(id)
	clock.Advance(14 * time.Hour)
	ts.clear(id, "sap-s4-core") // three days of clearance done at once: everything sooner
	cleared := ts.recordETAs(id)
	clock.Advance(20 * time.Hour)
	ts.mustStatus(ts.do("forensics", "POST", path("/api/v1/incidents/%d/systems/%s/transition", id, "sap-s4-core"),
		map[string]string{"to": "compromised", "reason": "new web shell found on the application server"}), 200)
	ts.recordETAs(id)
	clock.Advance(22 * time.Hour) // nobody moves anything: the dates slip
	ts.recordETAs(id)
	if len(cleared) == 0 {
		t.Fatal("clearing the SAP core moved no date")
	}

	ic := newTab(t, browser, ts.url, "ic")
	ic.login("ic")

	t.Run("how the dates moved", func(t *testing.T) {
		ic.t = t
		ic.open(base)
		ic.submit(`#services a[href$="/history?service=supplier-payments"]`)
		ic.sees("h1", "How the dates moved")
		ic.sees("#eta-charts", "Supplier payments", "Expected back", "First said")
		ic.sees("#moves", "moved sap-s4-core from cleared to compromised", "new web shell found", "▲", "▼", "earlier", "later",
			"No system moved since the last record")
		ic.shot("eta-history", "")
		ic.open(base + "/history")
		if n := run(ic, chromedp.Evaluate[int](`document.querySelectorAll('#eta-charts svg').length`)); n != 14 {
			t.Errorf("%d pictures, want the whole restart's and the 13 services'", n)
		}
		ic.sees("#eta-_restart", "The whole restart", "Moved")
		// The event's link: the log's page that holds it, at the event.
		ic.submit(`#moves-table a[href*="/events?event="]`)
		if loc := ic.location(); !strings.Contains(loc, "#event-") {
			t.Errorf("the event link went to %s", loc)
		}
		ic.sees(":target", "moved")
	})
	ic.t = t

	t.Run("what if", func(t *testing.T) {
		ic.t = t
		ic.open(base)
		ic.submit(`nav a[href$="/whatif"]`)
		ic.sees("h1", "What if")
		// A typo first: the error beside the field, what was typed kept.
		ic.do(chromedp.SetValue(chromedp.ID("wi-cap-team-1"), "forensics"),
			chromedp.SendKeys(chromedp.ID("wi-cap-1"), "+2"),
			chromedp.SendKeys(chromedp.ID("wi-est-system-1"), "sap-s4-cor"),
			chromedp.SendKeys(chromedp.ID("wi-est-1"), "-1d"))
		ic.submit("#ask")
		ic.sees("#wi-est-system-1-err", "no system", "did you mean sap-s4-core?")
		if got := run(ic, chromedp.Value(chromedp.ID("wi-cap-1"))); got != "+2" {
			t.Errorf("the capacity typed reads %q after the error", got)
		}
		ic.do(chromedp.SetValue(chromedp.ID("wi-est-system-1"), "sap-s4-core"))
		ic.submit("#ask")
		ic.sees("#answer", "Team Forensics and incident response (DFIR retainer): 8 instead of 6",
			"The clearance of SAP S/4 core", "earlier", "Cost of downtime", "All systems back")
		if n := run(ic, chromedp.Evaluate[int](`document.querySelectorAll('#wi-table tbody tr').length`)); n != 13 {
			t.Errorf("%d services compared, want 13", n)
		}
		if later := run(ic, chromedp.Evaluate[string](`document.querySelector('#wi-summary').textContent`)); !strings.Contains(later, "0 later") {
			t.Errorf("more staff and a shorter clearance make a service later: %s", clip(later))
		}
		// The question is in the address: it can be bookmarked.
		if loc := ic.location(); !strings.Contains(loc, "cap-team-1=forensics") || !strings.Contains(loc, "est-system-1=sap-s4-core") {
			t.Errorf("the answer's address %s does not hold the question", loc)
		}
		ic.shot("whatif", "")
	})
	ic.t = t

	t.Run("phone width", func(t *testing.T) {
		ph := phoneTab(t, browser, ts.url, "ic")
		ph.fitsPhone(base+"/history", base+"/whatif?cap-team-1=forensics&cap-1=%2B2")
		// The history's pictures keep their size and scroll in their own
		// box: shrunk to the screen their 11 px labels read as 6 px.
		ph.open(base + "/history")
		w := run(ph, chromedp.Evaluate[float64](`document.querySelector('#eta-charts svg').getBoundingClientRect().width`))
		if vb := run(ph, chromedp.Evaluate[float64](`document.querySelector('#eta-charts svg').viewBox.baseVal.width`)); w < vb-1 {
			t.Errorf("a history picture is drawn %.0f px wide on a phone, %.0f %% of its %.0f: its labels are too small to read", w, 100*w/vb, vb)
		}
	})
}
