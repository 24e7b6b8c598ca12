package chart

import (
	"fmt"
	"sort"
	"strings"

	"github.com/phasegate/phasegate/forecast"
)

// FanOf turns a forecast into a fan chart (for Fan or CDF): services in
// the order they are back at P80, the whole restart last. org names the
// estate in the title. The CLI and the server draw the same picture.
func FanOf(org string, r *forecast.Result) FanChart {
	series := func(o forecast.Outlook) FanSeries {
		s := FanSeries{Label: orID(o.Name, o.ID), Deterministic: o.DeterministicHours,
			P50: o.P50Hours, P80: o.P80Hours, P95: o.P95Hours, Probability: o.ProbabilityBy}
		for _, p := range o.CDF {
			s.CDF = append(s.CDF, CDFPoint{Hours: p.Hours, P: p.Probability})
		}
		return s
	}
	c := FanChart{
		Title:    fmt.Sprintf("When will %s be back?", orID(org, "the estate")),
		Subtitle: fmt.Sprintf("%s, %s durations, seed %d", plural(r.Runs, "run"), strings.ToUpper(string(r.Distribution)), r.Seed),
		Start:    r.Start,
	}
	svcs := append([]forecast.Outlook(nil), r.Services...)
	sort.SliceStable(svcs, func(i, j int) bool { return svcs[i].P80Hours < svcs[j].P80Hours })
	for _, o := range svcs {
		c.Series = append(c.Series, series(o))
	}
	whole := series(r.Restart)
	whole.Label = "All systems back"
	c.Whole = &whole
	if r.By != nil {
		h := r.By.Sub(r.Start).Hours()
		c.ByHours = &h
	}
	return c
}

// BurnDownOf turns one backlog's outlook into a burn-down: at the plan's
// date, normal capacity and (with surge) normal plus surge capacity, with
// the service's return at the plan and at P80 and, for listed items, when
// the suppliers are paid under the first policy. org names the estate.
func BurnDownOf(org string, r *forecast.Result, b forecast.BacklogOutlook, surge bool) BurnDownChart {
	unit := orID(b.Unit, "items")
	c := BurnDownChart{
		Title:    orID(b.Name, b.ID),
		Subtitle: fmt.Sprintf("%s: piles up while %s is down; at the plan's date (%s, seed %d)", org, orID(b.ServiceName, b.Service), plural(r.Runs, "run"), r.Seed),
		Unit:     unit,
		Start:    r.Start,
	}
	points := func(bd []forecast.BurnPoint) []Point {
		var ps []Point
		for _, p := range bd {
			ps = append(ps, Point{Hours: p.Hours, Value: p.Remaining})
		}
		return ps
	}
	d := b.Deterministic
	c.Series = append(c.Series, BurnSeries{Label: fmt.Sprintf("%s a day", formatQty(d.Normal.CapacityPerDay)), Style: BurnNormal, Points: points(d.Normal.BurnDown)})
	if surge && d.Surge != nil {
		c.Series = append(c.Series, BurnSeries{Label: fmt.Sprintf("%s a day (surge)", formatQty(d.Surge.CapacityPerDay)), Style: BurnSurge, Points: points(d.Surge.BurnDown)})
	}
	down := d.ReturnHours
	c.DownUntil = &down
	c.Events = append(c.Events, Event{Hours: d.ReturnHours, Label: "back at the plan's date"})
	if b.P80 != nil && b.P80.ReturnHours != d.ReturnHours {
		c.Events = append(c.Events, Event{Hours: b.P80.ReturnHours, Label: "back at P80"})
	}
	if len(b.Policies) > 0 {
		p := b.Policies[0]
		work := d.ReturnHours // the listed items' days count from the work's start
		if !d.WorkFrom.IsZero() {
			work = d.WorkFromHours
		}
		if n := p.Normal; n.CriticalSuppliers > 0 {
			c.Events = append(c.Events, Event{Hours: work + 24*n.CriticalPaidDays, Label: fmt.Sprintf("critical suppliers paid (%s)", p.Policy)})
		}
		if n := p.Normal; n.Suppliers > 0 {
			c.Events = append(c.Events, Event{Hours: work + 24*n.SuppliersPaidDays, Label: fmt.Sprintf("all listed %s paid (%s)", unit, p.Policy)})
		}
	}
	for _, r := range b.Readings {
		c.Counts = append(c.Counts, Point{Hours: r.Hours, Value: r.Remaining})
	}
	if b.Measured != nil {
		c.Subtitle += fmt.Sprintf("; from the count of %s on %s", formatQty(b.Measured.Remaining), shortDate(b.Measured.At))
	}
	return c
}
