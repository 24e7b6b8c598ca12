package chart

import (
	"strings"
	"testing"
	"time"

	"github.com/phasegate/phasegate/forecast"
)

// TestFanOf: services in the order they are back at P80, the whole
// restart last, the target date in hours from the start.
func TestFanOf(t *testing.T) {
	start := time.Date(2025, 9, 15, 8, 0, 0, 0, time.UTC)
	by := start.Add(100 * time.Hour)
	p := 0.5
	r := &forecast.Result{Runs: 2000, Seed: 3, Distribution: forecast.PERT, Start: start, By: &by,
		Services: []forecast.Outlook{
			{ID: "late", Name: "Late", P50Hours: 50, P80Hours: 90, P95Hours: 120, ProbabilityBy: &p,
				CDF: []forecast.CDFPoint{{Hours: 40, Probability: 0.1}, {Hours: 120, Probability: 1}}},
			{ID: "soon", P50Hours: 10, P80Hours: 20, P95Hours: 30},
		},
		Restart: forecast.Outlook{ID: forecast.RestartID, P50Hours: 60, P80Hours: 95, P95Hours: 130}}
	c := FanOf("Acme", r)
	if c.Title != "When will Acme be back?" || c.Subtitle != "2,000 runs, PERT durations, seed 3" || !c.Start.Equal(start) {
		t.Errorf("title %q, subtitle %q, start %v", c.Title, c.Subtitle, c.Start)
	}
	if len(c.Series) != 2 || c.Series[0].Label != "soon" || c.Series[1].Label != "Late" {
		t.Fatalf("series %+v, want soon (by its id) then Late", c.Series)
	}
	if s := c.Series[1]; s.P80 != 90 || s.Probability != &p || len(s.CDF) != 2 || s.CDF[1] != (CDFPoint{Hours: 120, P: 1}) {
		t.Errorf("Late: %+v", s)
	}
	if c.Whole == nil || c.Whole.Label != "All systems back" || c.Whole.P95 != 130 || c.ByHours == nil || *c.ByHours != 100 {
		t.Errorf("whole %+v, by %v", c.Whole, c.ByHours)
	}
}

// TestBurnDownOf: normal capacity always, surge only when asked, the
// return at the plan and at P80, and when suppliers are paid.
func TestBurnDownOf(t *testing.T) {
	start := time.Date(2025, 9, 15, 8, 0, 0, 0, time.UTC)
	r := &forecast.Result{Runs: 500, Seed: 1, Start: start}
	b := forecast.BacklogOutlook{ID: "inv", Name: "Invoices", Service: "pay", Unit: "invoices",
		Deterministic: forecast.BacklogCase{ReturnHours: 48,
			Normal: forecast.Clearing{CapacityPerDay: 900, BurnDown: []forecast.BurnPoint{{Hours: 0, Remaining: 10}, {Hours: 48, Remaining: 100}, {Hours: 96, Remaining: 0}}},
			Surge:  &forecast.Clearing{CapacityPerDay: 1800, BurnDown: []forecast.BurnPoint{{Hours: 0, Remaining: 10}, {Hours: 60, Remaining: 0}}}},
		P80: &forecast.BacklogCase{ReturnHours: 72},
		Policies: []forecast.PolicyOutlook{{Policy: forecast.PolicyCriticalFirst,
			Normal: forecast.PolicyClearing{CriticalSuppliers: 2, CriticalPaidDays: 0.5, Suppliers: 9, SuppliersPaidDays: 2}}},
	}
	c := BurnDownOf("Acme", r, b, false)
	if len(c.Series) != 1 || c.Series[0].Label != "900 a day" || len(c.Series[0].Points) != 3 || c.Unit != "invoices" {
		t.Errorf("without surge: %+v", c.Series)
	}
	if c.DownUntil == nil || *c.DownUntil != 48 {
		t.Errorf("down until %v, want the return at 48h", c.DownUntil)
	}
	want := []Event{{48, "back at the plan's date"}, {72, "back at P80"},
		{60, "critical suppliers paid (critical-first)"}, {96, "all listed invoices paid (critical-first)"}}
	if len(c.Events) != len(want) {
		t.Fatalf("events %+v, want %+v", c.Events, want)
	}
	for i := range want {
		if c.Events[i] != want[i] {
			t.Errorf("event %d: %+v, want %+v", i, c.Events[i], want[i])
		}
	}
	if c := BurnDownOf("Acme", r, b, true); len(c.Series) != 2 || c.Series[1].Label != "1,800 a day (surge)" || c.Series[1].Style != BurnSurge {
		t.Errorf("with surge: %+v", c.Series)
	}
}

// TestBurnDownShowsCounts: the counts recorded for a backlog are drawn as
// solid diamonds, named in the legend and told in the description, the
// subtitle says the figures start from the latest, and amounts in the
// hundreds are said in whole units.
func TestBurnDownShowsCounts(t *testing.T) {
	start := time.Date(2025, 9, 15, 8, 0, 0, 0, time.UTC)
	r := &forecast.Result{Runs: 500, Seed: 1, Start: start}
	latest := forecast.BacklogReading{At: start.Add(-24 * time.Hour), Hours: -24, Remaining: 11200}
	b := forecast.BacklogOutlook{ID: "invoices", Service: "ap", Unit: "invoices",
		Readings: []forecast.BacklogReading{{At: start.Add(-72 * time.Hour), Hours: -72, Remaining: 9000}, latest},
		Measured: &latest,
		Deterministic: forecast.BacklogCase{ReturnHours: 48, Normal: forecast.Clearing{CapacityPerDay: 900,
			BurnDown: []forecast.BurnPoint{{Hours: -24, Remaining: 11200}, {Hours: 48, Remaining: 14000.4}, {Hours: 120, Remaining: 0}}}}}
	c := BurnDownOf("Acme", r, b, false)
	if len(c.Counts) != 2 || c.Counts[1] != (Point{Hours: -24, Value: 11200}) {
		t.Fatalf("counts %+v, want both readings", c.Counts)
	}
	if want := "from the count of 11,200 on "; !strings.Contains(c.Subtitle, want) {
		t.Errorf("subtitle %q lacks %q", c.Subtitle, want)
	}
	var buf strings.Builder
	if err := BurnDown(&buf, c); err != nil {
		t.Fatal(err)
	}
	svg := buf.String()
	// Whole units once there are hundreds: the accrual's fractions are
	// nobody's count.
	for _, want := range []string{"<title>counted</title>", "Counted: 9,000 on ", ", 11,200 on ", ">counted<", ">peak 14,000<", "peaks at 14,000 invoices"} {
		if !strings.Contains(svg, want) {
			t.Errorf("the SVG lacks %q", want)
		}
	}
	if n := strings.Count(svg, `class="mk"`); n != 3 { // two counts and the legend's swatch
		t.Errorf("%d solid markers, want 3", n)
	}
}
