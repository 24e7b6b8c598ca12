package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/phasegate/phasegate/chart"
	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/forecast"
)

// fanChart turns a forecast into the chart package's fan chart: services
// in the order they are back at P80, the whole restart last.
func fanChart(est *estate.Estate, r *forecast.Result) chart.FanChart {
	series := func(o forecast.Outlook) chart.FanSeries {
		s := chart.FanSeries{Label: orDefault(o.Name, o.ID), Deterministic: o.DeterministicHours,
			P50: o.P50Hours, P80: o.P80Hours, P95: o.P95Hours, Probability: o.ProbabilityBy}
		for _, p := range o.CDF {
			s.CDF = append(s.CDF, chart.CDFPoint{Hours: p.Hours, P: p.Probability})
		}
		return s
	}
	c := chart.FanChart{
		Title:    fmt.Sprintf("When will %s be back?", orDefault(est.Organization, "the estate")),
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

// burnDownChart turns one backlog's outlook into the chart package's
// burn-down: at the plan's date, normal capacity and (with surge) surge
// capacity, with the service's return at the plan and at P80 and, for
// listed items, when the suppliers are paid under the first policy.
func burnDownChart(est *estate.Estate, r *forecast.Result, b forecast.BacklogOutlook, surge bool) chart.BurnDownChart {
	unit := orDefault(b.Unit, "items")
	c := chart.BurnDownChart{
		Title:    orDefault(b.Name, b.ID),
		Subtitle: fmt.Sprintf("%s: piles up while %s is down; at the plan's date (%s, seed %d)", est.Organization, orDefault(b.ServiceName, b.Service), plural(r.Runs, "run"), r.Seed),
		Unit:     unit,
		Start:    r.Start,
	}
	points := func(bd []forecast.BurnPoint) []chart.Point {
		var ps []chart.Point
		for _, p := range bd {
			ps = append(ps, chart.Point{Hours: p.Hours, Value: p.Remaining})
		}
		return ps
	}
	d := b.Deterministic
	c.Series = append(c.Series, chart.BurnSeries{Label: fmt.Sprintf("%s a day", number(d.Normal.CapacityPerDay)), Style: chart.BurnNormal, Points: points(d.Normal.BurnDown)})
	if surge && d.Surge != nil {
		c.Series = append(c.Series, chart.BurnSeries{Label: fmt.Sprintf("%s a day (surge)", number(d.Surge.CapacityPerDay)), Style: chart.BurnSurge, Points: points(d.Surge.BurnDown)})
	}
	down := d.ReturnHours
	c.DownUntil = &down
	c.Events = append(c.Events, chart.Event{Hours: d.ReturnHours, Label: "back at the plan's date"})
	if b.P80 != nil && b.P80.ReturnHours != d.ReturnHours {
		c.Events = append(c.Events, chart.Event{Hours: b.P80.ReturnHours, Label: "back at P80"})
	}
	if len(b.Policies) > 0 {
		p := b.Policies[0]
		if n := p.Normal; n.CriticalSuppliers > 0 {
			c.Events = append(c.Events, chart.Event{Hours: d.ReturnHours + 24*n.CriticalPaidDays, Label: fmt.Sprintf("critical suppliers paid (%s)", p.Policy)})
		}
		if n := p.Normal; n.Suppliers > 0 {
			c.Events = append(c.Events, chart.Event{Hours: d.ReturnHours + 24*n.SuppliersPaidDays, Label: fmt.Sprintf("all listed %s paid (%s)", unit, p.Policy)})
		}
	}
	return c
}

func writeFanSVG(w io.Writer, est *estate.Estate, r *forecast.Result) error {
	return chart.Fan(w, fanChart(est, r))
}

func writeBurnDownSVG(w io.Writer, est *estate.Estate, r *forecast.Result, b forecast.BacklogOutlook, surge bool) error {
	return chart.BurnDown(w, burnDownChart(est, r, b, surge))
}
