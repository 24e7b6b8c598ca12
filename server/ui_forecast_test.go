package server_test

import (
	"fmt"
	"html"
	"math"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/phasegate/phasegate/forecast"
	"github.com/phasegate/phasegate/incident"
	"github.com/phasegate/phasegate/server"
)

// demoForecastServer is a server on the demo estate, its clock frozen,
// with a total shutdown that began three days before: the forecast and
// backlog pages and the API then answer for the same moment.
func demoForecastServer(t *testing.T) (*testServer, int64, *liveClock) {
	t.Helper()
	clock := newLiveClock()
	ts := newTestServer(t, backend{"sqlite", openSQLite}, serverOptions{estate: "demo", settings: uiSettings, clock: clock.Now})
	id := ts.declare("ic", incident.Declaration{Name: "Northfield Motors ransomware", Kind: "ransomware",
		TotalShutdown: true, StartedAt: clock.Now().Add(-72 * time.Hour)}).ID
	return ts, id, clock
}

func uiWhen(t time.Time) string { return server.FmtWhen(t) }

func TestUIForecastPage(t *testing.T) {
	ts, id, clock := demoForecastServer(t)
	base := fmt.Sprintf("/incidents/%d", id)
	c := uiLogin(t, ts, "viewer")

	t.Run("dates and chances as the API gives them", func(t *testing.T) {
		// A day after the clock, whatever day the test runs: one before it
		// is refused.
		by := clock.Now().AddDate(0, 0, 40).Format(time.DateOnly)
		var api forecast.Result
		ts.mustStatus(ts.do("viewer", "GET", base2api(base)+"/forecast?runs=500&by="+by, nil), 200).decode(t, &api)
		page := c.get(base+"/forecast?runs=500&by="+by).must(t, 200)
		page.has(t, "When each business service is back", "Fan chart", "500 runs", "What the outage costs",
			`<svg`, `aria-current="page">Forecast`)
		if len(api.Services) == 0 {
			t.Fatal("the demo forecast has no services")
		}
		for _, o := range api.Services {
			if o.P95Hours <= 0 {
				t.Fatalf("%s is back already in a total shutdown's forecast", o.ID)
			}
			// Each service's row: its name, then the plan's date, P50, P80
			// and P95 as the API has them, and the chances.
			row := rowOf(t, page.body, o.Name)
			for _, w := range []string{uiWhen(o.Deterministic), uiWhen(o.P50), uiWhen(o.P80), uiWhen(o.P95), pctText(o.ProbabilityByPlan)} {
				if !strings.Contains(row, w) {
					t.Errorf("the row of %s lacks %q: %s", o.ID, w, text(row))
				}
			}
			if o.ProbabilityBy == nil {
				t.Fatalf("the API gave no probability_by for %s", o.ID)
			}
			if w := pctText(*o.ProbabilityBy); !strings.Contains(row, w) {
				t.Errorf("the row of %s lacks its chance %q of being back by %s: %s", o.ID, w, by, text(row))
			}
		}
		row := rowOf(t, page.body, "All systems back")
		if w := uiWhen(api.Restart.P80); !strings.Contains(row, w) {
			t.Errorf("the whole restart's row lacks P80 %q: %s", w, text(row))
		}
		// The rows run in the order services are back at P80.
		last := -1
		for _, o := range sortedByP80(api.Services) {
			at := strings.Index(page.body, ">"+o.Name+"<")
			if at < last {
				t.Errorf("%s is listed before a service back earlier at P80", o.Name)
			}
			last = at
		}
	})

	t.Run("the ledger as the API gives it", func(t *testing.T) {
		var l struct {
			Total struct {
				SoFar forecast.Figures  `json:"so_far"`
				P80   *forecast.Figures `json:"p80"`
			} `json:"total"`
			LossPerDay float64 `json:"loss_per_day"`
		}
		ts.mustStatus(ts.do("viewer", "GET", base2api(base)+"/impact?runs=500", nil), 200).decode(t, &l)
		if l.Total.P80 == nil || l.Total.SoFar.Total <= 0 {
			t.Fatalf("the demo's impact has no P80 total or nothing lost so far: %+v", l.Total)
		}
		page := c.get(base+"/forecast?runs=500").must(t, 200)
		row := rowOf(t, page.body, "All services")
		for _, w := range []string{moneyText(l.Total.SoFar.Total), moneyText(l.Total.P80.Total), moneyText(l.LossPerDay)} {
			if !strings.Contains(row, w) {
				t.Errorf("the ledger's total row lacks %q: %s", w, text(row))
			}
		}
		// Vehicles not built: a unit of output, on the plants' rows.
		page.has(t, "Not produced (P80)", "vehicles")
	})

	t.Run("the overview's dates to promise", func(t *testing.T) {
		var api forecast.Result
		ts.mustStatus(ts.do("viewer", "GET", base2api(base)+"/forecast", nil), 200).decode(t, &api)
		ov := c.get(base).must(t, 200)
		ov.has(t, "80 % sure by", "80 % sure by "+uiDay(api.Restart.P80))
		for _, o := range api.Services {
			if row := rowOf(t, ov.body, ">"+o.Name+"</a>"); !strings.Contains(row, uiWhen(o.P80)) {
				t.Errorf("the overview's row of %s lacks its P80 %q: %s", o.ID, uiWhen(o.P80), text(row))
			}
		}
	})

	t.Run("a bad date or run count is said beside its field", func(t *testing.T) {
		page := c.get(base+"/forecast?by=8+October&runs=7").must(t, 200)
		page.has(t, `id="f-by-err"`, "not a date; write it like 21d", `aria-invalid="true"`,
			`"7" runs is not offered`, "When each business service is back")
		// The form keeps what was typed.
		page.has(t, `value="8 October"`)
		// A day already over: said beside the field, not "0 %".
		past := clock.Now().AddDate(0, 0, -2).Format(time.DateOnly)
		c.get(base+"/forecast?by="+past).must(t, 200).has(t, `id="f-by-err"`, "That day is over", `value="`+past+`"`,
			"When each business service is back")
	})

	t.Run("the cumulative picture", func(t *testing.T) {
		c.get(base+"/forecast?chart=cdf&runs=500").must(t, 200).has(t, "The chance of being back by each date", `id="pg-cdf`)
	})

	t.Run("only after logging in", func(t *testing.T) {
		anon := newUIClient(t, ts)
		r := anon.get(base + "/forecast")
		if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/login") {
			t.Errorf("without a login the forecast page answers %d → %q, want a redirect to /login", r.status, r.location)
		}
	})
}

func TestUIBacklogsPage(t *testing.T) {
	ts, id, clock := demoForecastServer(t)
	base := fmt.Sprintf("/incidents/%d", id)
	c := uiLogin(t, ts, "viewer")

	var api struct {
		Backlogs []forecast.BacklogOutlook `json:"backlogs"`
	}
	ts.mustStatus(ts.do("viewer", "GET", base2api(base)+"/backlogs?policy=all&surge=true", nil), 200).decode(t, &api)
	var invoices *forecast.BacklogOutlook
	for i, b := range api.Backlogs {
		if len(b.Policies) > 0 {
			invoices = &api.Backlogs[i]
		}
	}
	if invoices == nil || len(invoices.Policies) != len(forecast.Policies) {
		t.Fatalf("the demo has no backlog with listed items under every policy: %+v", api.Backlogs)
	}

	page := c.get(base+"/backlogs").must(t, 200)
	page.has(t, `aria-current="page">Backlogs`, "When suppliers are paid, by policy")
	for _, b := range api.Backlogs {
		sec := sectionOf(t, page.body, "backlog-"+b.ID)
		for _, w := range []string{b.Name, uiWhen(b.Deterministic.Return), numText(b.Deterministic.SizeAtReturn), "<svg"} {
			if !strings.Contains(sec, w) {
				t.Errorf("backlog %s lacks %q: %s", b.ID, w, text(sec))
			}
		}
		if b.Deterministic.Normal.Cleared != nil {
			if w := uiWhen(*b.Deterministic.Normal.Cleared); !strings.Contains(sec, w) {
				t.Errorf("backlog %s lacks its clearing %q at normal capacity", b.ID, w)
			}
		}
	}
	// Every policy's promise to critical suppliers and to all.
	sec := sectionOf(t, page.body, "backlog-"+invoices.ID)
	for _, p := range invoices.Policies {
		row := rowOf(t, sec, `data-label="Policy">`+p.Policy)
		for _, w := range []string{uiDay(p.Normal.CriticalPaid), uiDay(p.Normal.SuppliersPaid)} {
			if !strings.Contains(row, w) {
				t.Errorf("policy %s lacks %q: %s", p.Policy, w, text(row))
			}
		}
	}

	t.Run("when one supplier is paid under each policy", func(t *testing.T) {
		sp := invoices.Policies[0].Normal.SupplierPayments
		if len(sp) < 2 {
			t.Fatalf("the invoices backlog pays %d suppliers", len(sp))
		}
		who := sp[len(sp)/2].Supplier
		r := c.get(base+"/backlogs?supplier="+strings.ReplaceAll(who, " ", "+")).must(t, 200)
		r.has(t, "Suppliers matching")
		row := rowOf(t, sectionOf(t, r.body, "backlog-"+invoices.ID), `data-label="Supplier">`+html.EscapeString(who))
		for _, p := range invoices.Policies {
			for _, s := range p.Normal.SupplierPayments {
				if s.Supplier == who && !strings.Contains(row, uiDay(s.Paid)) {
					t.Errorf("%s under %s: the row lacks %q: %s", who, p.Policy, uiDay(s.Paid), text(row))
				}
			}
		}
		c.get(base+"/backlogs?supplier=zzzz-no-such").must(t, 200).has(t, "No supplier's name contains")
	})

	t.Run("a count recorded from the page, and the figures starting from it", func(t *testing.T) {
		if strings.Contains(sectionOf(t, page.body, "backlog-"+invoices.ID), "Record a count") {
			t.Error("a viewer is offered the count form")
		}
		rl := uiLogin(t, ts, "rl")
		sec := sectionOf(t, rl.get(base+"/backlogs").must(t, 200).body, "backlog-"+invoices.ID)
		if !strings.Contains(sec, "Record a count") || !strings.Contains(sec, "Not counted yet") {
			t.Fatalf("the recovery lead's page offers no count form: %s", text(sec))
		}
		bad := rl.follow(base+"/backlogs/readings", url.Values{"backlog": {invoices.ID}, "remaining": {"lots"}})
		bad.has(t, `&#34;lots&#34; is not a number`)
		future := clock.Now().Add(48 * time.Hour).UTC().Format("2006-01-02T15:04")
		rl.follow(base+"/backlogs/readings", url.Values{"backlog": {invoices.ID}, "remaining": {"5"}, "at": {future}}).
			has(t, "The count was not recorded: when it was counted:", "is in the future; give when the count was taken (UTC)")
		// Counted a day ago, the service down: the return finds the count
		// plus a day and more of what arrives.
		at := clock.Now().Add(-24 * time.Hour).UTC()
		ok := rl.follow(base+"/backlogs/readings", url.Values{"backlog": {invoices.ID}, "remaining": {"1,234"},
			"at": {at.Format("2006-01-02T15:04")}, "service_back": {"no"}, "note": {"AP ledger, 09:00 run"}})
		ok.has(t, "Recorded: 1,234 outstanding in "+invoices.ID, "Counted: 1,234")
		var after struct {
			Backlogs []forecast.BacklogOutlook `json:"backlogs"`
		}
		ts.mustStatus(ts.do("viewer", "GET", base2api(base)+"/backlogs?backlog="+invoices.ID, nil), 200).decode(t, &after)
		got := after.Backlogs[0]
		at = at.Truncate(time.Minute)
		if got.Measured == nil || got.Measured.Remaining != 1234 || !got.Measured.At.Equal(at) || got.Measured.ServiceBack {
			t.Fatalf("measured %+v, want 1,234 at %s with the service down", got.Measured, at)
		}
		days := (got.Deterministic.ReturnHours - got.Measured.Hours) / 24
		if want := 1234 + got.AccruesPerDay*days; math.Abs(got.Deterministic.SizeAtReturn-want) > 1e-6 {
			t.Errorf("size at return %v, want the count and %.2f days of arrivals: %v", got.Deterministic.SizeAtReturn, days, want)
		}
		if sec := sectionOf(t, rl.get(base+"/backlogs").must(t, 200).body, "backlog-"+invoices.ID); !strings.Contains(sec, numText(got.Deterministic.SizeAtReturn)) ||
			!strings.Contains(sec, "<title>counted</title>") {
			t.Errorf("the page lacks the new size %s or the counted diamond: %s", numText(got.Deterministic.SizeAtReturn), text(sec))
		}
	})

	t.Run("an estate without backlogs says how to declare them", func(t *testing.T) {
		ts2, id2 := newUIServer(t)
		uiLogin(t, ts2, "viewer").get(fmt.Sprintf("/incidents/%d/backlogs", id2)).must(t, 200).
			has(t, "The estate declares no backlogs", "backlogs:")
	})
}

// base2api turns a page's incident path into the API's.
func base2api(base string) string { return "/api/v1" + base }

// rowOf returns the table row of page that contains label, unescaped.
func rowOf(t *testing.T, page, label string) string {
	t.Helper()
	at := strings.Index(page, label)
	if at < 0 {
		t.Fatalf("the page has no %q: %s", label, text(page))
	}
	start := strings.LastIndex(page[:at], "<tr")
	end := strings.Index(page[at:], "</tr>")
	if start < 0 || end < 0 {
		t.Fatalf("%q is not in a table row", label)
	}
	return html.UnescapeString(page[start : at+end])
}

// sectionOf returns the section with the given id.
func sectionOf(t *testing.T, page, id string) string {
	t.Helper()
	at := strings.Index(page, `id="`+id+`"`)
	if at < 0 {
		t.Fatalf("the page has no section %q", id)
	}
	end := strings.Index(page[at:], "</section>")
	if end < 0 {
		t.Fatalf("section %q does not end", id)
	}
	return page[at : at+end]
}

func sortedByP80(os []forecast.Outlook) []forecast.Outlook {
	out := append([]forecast.Outlook(nil), os...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].P80Hours < out[j-1].P80Hours; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func uiDay(t time.Time) string   { return server.FmtDay(t) }
func pctText(p float64) string   { return server.PctOf(p) }
func numText(v float64) string   { return server.NumText(v) }
func moneyText(v float64) string { return server.FmtMoney("GBP", v) }
