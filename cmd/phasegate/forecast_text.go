package main

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/forecast"
	"github.com/phasegate/phasegate/incident"
)

// writeForecastText writes a forecast for a person: the whole restart's
// P50/P80/P95 against the plan's date, then each service's.
func writeForecastText(w io.Writer, est *estate.Estate, r *forecast.Result) error {
	bw := &errWriter{w: w}
	loc := r.Start.Location()
	fmt.Fprintf(bw, "%s: restart forecast from %s (%s, seed %d)\n\n", orDefault(est.Organization, "Estate"), plural(r.Runs, "run"), strings.ToUpper(string(r.Distribution)), r.Seed)
	tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
	rs := r.Restart
	fmt.Fprintf(tw, "  Clock starts\t%s\n", longDate(r.Start))
	for _, q := range []struct {
		name string
		t    time.Time
		h    float64
	}{{"P50", rs.P50, rs.P50Hours}, {"P80", rs.P80, rs.P80Hours}, {"P95", rs.P95, rs.P95Hours}} {
		fmt.Fprintf(tw, "  All systems back, %s\t%s, after %s\n", q.name, longDate(q.t.In(loc)), hoursText(q.h))
	}
	fmt.Fprintf(tw, "  The plan says\t%s, after %s: %s of runs are back by then\n", longDate(rs.Deterministic.In(loc)), hoursText(rs.DeterministicHours), percent(rs.ProbabilityByPlan))
	if r.By != nil {
		fmt.Fprintf(tw, "  Back by %s\t%s of runs\n", longDate(r.By.In(loc)), percent(*rs.ProbabilityBy))
	}
	tw.Flush()

	if len(r.Services) > 0 {
		fmt.Fprintf(bw, "\nWhen each business service is back (P80: the date to promise with 80%% confidence)\n")
		svcs := append([]forecast.Outlook(nil), r.Services...)
		sort.SliceStable(svcs, func(i, j int) bool { return svcs[i].P80Hours < svcs[j].P80Hours })
		tw = tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
		head := "  Service\tPlan\tP50\tP80\tP95\tBy the plan's date"
		if r.By != nil {
			head += "\tBy " + r.By.In(loc).Format("2 Jan 15:04")
		}
		fmt.Fprintln(tw, head)
		for _, o := range svcs {
			line := fmt.Sprintf("  %s\t%s\t%s\t%s\t%s\t%s", orDefault(o.Name, o.ID),
				shortDate(o.Deterministic.In(loc), r.Start), shortDate(o.P50.In(loc), r.Start),
				shortDate(o.P80.In(loc), r.Start), shortDate(o.P95.In(loc), r.Start), percent(o.ProbabilityByPlan))
			if o.ProbabilityBy != nil {
				line += "\t" + percent(*o.ProbabilityBy)
			}
			fmt.Fprintln(tw, line)
		}
		tw.Flush()
	}
	writeNotes(bw, r.Warnings)
	return bw.err
}

func writeNotes(w io.Writer, notes []string) {
	if len(notes) == 0 {
		return
	}
	fmt.Fprintln(w)
	for _, n := range notes {
		fmt.Fprintf(w, "Note: %s\n", n)
	}
}

// percent writes a share as a whole percentage, keeping "<1%" and ">99%"
// apart from the certain 0% and 100%.
func percent(p float64) string {
	switch {
	case p <= 0:
		return "0%"
	case p >= 1:
		return "100%"
	case p < 0.01:
		return "<1%"
	case p > 0.99:
		return ">99%"
	}
	return fmt.Sprintf("%.0f%%", math.Round(p*100))
}

// writeImpactText writes the impact ledger: totals by figure and by
// percentile, then each service.
func writeImpactText(w io.Writer, est *estate.Estate, r *forecast.Result, l *forecast.Ledger) error {
	bw := &errWriter{w: w}
	cur := l.Currency
	fmt.Fprintf(bw, "%s: what the outage costs, from %s (seed %d)\n\n", orDefault(est.Organization, "Estate"), plural(l.Runs, "run"), l.Seed)
	tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
	started := longDate(l.Since)
	if d := l.Now.Sub(l.Since); d > 0 {
		started += fmt.Sprintf(", %s before the clock starts", hoursText(d.Hours()))
	}
	fmt.Fprintf(tw, "  Incident started\t%s\n", started)
	fmt.Fprintf(tw, "  Clock starts (now)\t%s\n", longDate(l.Now))
	so := l.Total.SoFar
	fmt.Fprintf(tw, "  Lost so far\t%s (%s revenue, %s extra cost)\n", money(cur, so.Total), money(cur, so.RevenueLost), money(cur, so.ExtraCost))
	fmt.Fprintf(tw, "  Each day now costs\t%s\n", money(cur, l.LossPerDay))
	t := l.Total
	fmt.Fprintf(tw, "  Projected in all\t%s at the plan; %s at P50, %s at P80, %s at P95\n", money(cur, t.Deterministic.Total), money(cur, t.P50.Total), money(cur, t.P80.Total), money(cur, t.P95.Total))
	tw.Flush()

	fmt.Fprintf(bw, "\nThe whole outage, from the incident's start until every service is back\n")
	cols := []*forecast.Figures{&t.SoFar, &t.Deterministic, t.P50, t.P80, t.P95}
	var rows [][]string
	row := func(name string, f func(*forecast.Figures) string) {
		r := []string{name}
		for _, c := range cols {
			r = append(r, f(c))
		}
		rows = append(rows, r)
	}
	row("", func(*forecast.Figures) string { return "" })
	copy(rows[0][1:], []string{"So far", "Plan", "P50", "P80", "P95"})
	row("Revenue lost", func(f *forecast.Figures) string { return money(cur, f.RevenueLost) })
	row("Extra cost", func(f *forecast.Figures) string { return money(cur, f.ExtraCost) })
	row("Total", func(f *forecast.Figures) string { return money(cur, f.Total) })
	row("Days until all back", func(f *forecast.Figures) string { return hoursText(f.Days * 24) })
	for k, a := range t.Deterministic.Output {
		row("Output lost, "+a.Unit, func(f *forecast.Figures) string { return groupThousands(int64(math.Round(f.Output[k].Amount))) })
	}
	if t.Deterministic.PersonDays > 0 {
		row("Person-days idle", func(f *forecast.Figures) string { return groupThousands(int64(math.Round(f.PersonDays))) })
	}
	writeTable(bw, rows)

	if len(l.Services) > 0 {
		fmt.Fprintf(bw, "\nCost of downtime per service, from the incident's start until it is back\n")
		svcs := append([]forecast.ServiceImpact(nil), l.Services...)
		sort.SliceStable(svcs, func(i, j int) bool { return svcs[i].P80.Total > svcs[j].P80.Total })
		rows := [][]string{{"Service", "Per day", "So far", "Plan", "P50", "P80", "P95", "Output lost at P80"}}
		for _, s := range svcs {
			out := ""
			if len(s.P80.Output) > 0 {
				out = groupThousands(int64(math.Round(s.P80.Output[0].Amount))) + " " + s.P80.Output[0].Unit
			}
			name := orDefault(s.Name, s.ID)
			if s.Back {
				name += " (back)"
			}
			rows = append(rows, []string{name, money(cur, s.RevenuePerDay+s.CostPerDay),
				money(cur, s.SoFar.Total), money(cur, s.Deterministic.Total), money(cur, s.P50.Total), money(cur, s.P80.Total), money(cur, s.P95.Total), out})
		}
		writeTable(bw, rows)
	}
	fmt.Fprintf(bw, "\nA service is down from the incident's start until the last system it requires is back.\nTotals at P50/P80/P95 are percentiles of each total over the runs, not sums of the services' percentiles.\n")
	writeNotes(bw, r.Warnings)
	return bw.err
}

// writeTable writes rows indented by two spaces, the first column flush
// left and the others (figures) flush right.
func writeTable(w io.Writer, rows [][]string) {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		b.WriteString("  ")
		for i, c := range r {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
			if i == 0 {
				b.WriteString(c + pad)
			} else {
				b.WriteString("  " + pad + c)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// writeBacklogText writes each backlog: its size and clearing at the plan
// and at P80, and for listed items when the suppliers are paid under each
// policy.
func writeBacklogText(w io.Writer, est *estate.Estate, r *forecast.Result, since time.Time, bs []forecast.BacklogOutlook, surge bool) error {
	bw := &errWriter{w: w}
	loc := r.Start.Location()
	fmt.Fprintf(bw, "%s: backlogs, from %s (seed %d)\n", orDefault(est.Organization, "Estate"), plural(r.Runs, "run"), r.Seed)
	fmt.Fprintf(bw, "  Clock starts %s", longDate(r.Start))
	if since.Before(r.Start) {
		fmt.Fprintf(bw, "; incident started %s", longDate(since.In(loc)))
	}
	fmt.Fprintln(bw)
	for _, b := range bs {
		unit := orDefault(b.Unit, "items")
		fmt.Fprintf(bw, "\n%s (%s), piling up while %s is down\n", orDefault(b.Name, b.ID), b.ID, orDefault(b.ServiceName, b.Service))
		rates := fmt.Sprintf("  %s %s arrive a day; %s a day are cleared", number(b.AccruesPerDay), unit, number(b.CapacityPerDay))
		if b.SurgeCapacityPerDay > 0 {
			rates += fmt.Sprintf(", %s with surge capacity (%s more)", number(b.CapacityPerDay+b.SurgeCapacityPerDay), number(b.SurgeCapacityPerDay))
		}
		fmt.Fprintln(bw, rates)
		if b.ListedItems > 0 {
			listed := fmt.Sprintf("  %s listed one by one", plural(b.ListedItems, strings.TrimSuffix(unit, "s")))
			if b.ListedAmount > 0 {
				listed += fmt.Sprintf(" (%s)", money(est.Currency, b.ListedAmount))
			}
			fmt.Fprintln(bw, listed+", on top of those arriving; worked first, the others queue behind them")
		}
		tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
		head := fmt.Sprintf("  \tService back\tPiled up\tCleared at %s a day", number(b.CapacityPerDay))
		if surge && b.SurgeCapacityPerDay > 0 {
			head += fmt.Sprintf("\tCleared at %s a day (surge)", number(b.CapacityPerDay+b.SurgeCapacityPerDay))
		}
		fmt.Fprintln(tw, head)
		cases := []struct {
			name string
			c    *forecast.BacklogCase
		}{{"At the plan", &b.Deterministic}, {"At P80", b.P80}}
		for _, c := range cases {
			if c.c == nil {
				continue
			}
			line := fmt.Sprintf("  %s\t%s (%s)\t%s\t%s", c.name, shortDate(c.c.Return.In(loc), r.Start), hoursText(c.c.ReturnHours),
				groupThousands(int64(math.Round(c.c.SizeAtReturn))), clearingText(c.c.Normal, unit, r.Start))
			if surge && c.c.Surge != nil {
				line += "\t" + clearingText(*c.c.Surge, unit, r.Start)
			}
			fmt.Fprintln(tw, line)
		}
		tw.Flush()
		if len(b.Policies) == 0 {
			continue
		}
		first := b.Policies[0].Normal
		fmt.Fprintf(bw, "\n  Listed %s by policy: when suppliers are paid, counted from the service's return\n", unit)
		fmt.Fprintf(bw, "  (dates at the plan / at P80)\n")
		tw = tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "  Policy\tCapacity\t%d critical suppliers paid\tAll %s suppliers paid\n", first.CriticalSuppliers, groupThousands(int64(first.Suppliers)))
		for _, p := range b.Policies {
			pcs := []*forecast.PolicyClearing{&p.Normal}
			if surge && p.Surge != nil {
				pcs = append(pcs, p.Surge)
			}
			for _, pc := range pcs {
				fmt.Fprintf(tw, "  %s\t%s a day\t%s\t%s\n", p.Policy, number(pc.CapacityPerDay),
					paidText(pc.CriticalSuppliers, pc.CriticalPaidDays, pc.CriticalPaid, pc.CriticalPaidP80, loc),
					paidText(pc.Suppliers, pc.SuppliersPaidDays, pc.SuppliersPaid, pc.SuppliersPaidP80, loc))
			}
		}
		tw.Flush()
		for _, p := range b.Policies {
			if p.Normal.Suppliers == 0 {
				continue
			}
			s := fmt.Sprintf("  %s: ", p.Policy)
			if p.Normal.CriticalSuppliers > 0 {
				s += fmt.Sprintf("critical suppliers are all paid within %s of restart, every supplier within %s", daysText(p.Normal.CriticalPaidDays), daysText(p.Normal.SuppliersPaidDays))
			} else {
				s += fmt.Sprintf("every supplier is paid within %s of restart", daysText(p.Normal.SuppliersPaidDays))
			}
			if surge && p.Surge != nil {
				s += fmt.Sprintf(" (with surge capacity %s and %s)", daysText(p.Surge.CriticalPaidDays), daysText(p.Surge.SuppliersPaidDays))
			}
			fmt.Fprintln(bw, s+".")
		}
	}
	return bw.err
}

func clearingText(c forecast.Clearing, unit string, start time.Time) string {
	if !c.Clears {
		return fmt.Sprintf("never: it grows by %s %s a day", number(-c.NetPerDay), unit)
	}
	return fmt.Sprintf("%s (%s after return)", shortDate(c.Cleared.In(start.Location()), start), daysText(c.DaysAfterReturn))
}

func paidText(n int, days float64, at, p80 time.Time, loc *time.Location) string {
	if n == 0 {
		return "none listed"
	}
	s := "within " + daysText(days) + ": " + at.In(loc).Format("2 Jan")
	if !p80.IsZero() {
		s += " / " + p80.In(loc).Format("2 Jan")
	}
	return s
}

// daysText writes a number of days the way hoursText writes hours.
func daysText(d float64) string { return hoursText(d * 24) }

// number writes a rate or count with thousands grouped and at most one
// decimal.
func number(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return groupThousands(int64(v))
	}
	return trimZero(fmt.Sprintf("%.1f", v))
}

// writeWhatIfText writes a what-if comparison: the changes, then each
// service's date and cost of downtime in the baseline and the scenario.
func writeWhatIfText(w io.Writer, est *estate.Estate, c *forecast.Comparison) error {
	bw := &errWriter{w: w}
	loc := c.Start.Location()
	cur := c.Currency
	fmt.Fprintf(bw, "%s: what if\n", orDefault(est.Organization, "Estate"))
	for _, ch := range c.Changes {
		fmt.Fprintf(bw, "  %s\n", ch)
	}
	fmt.Fprintf(bw, "Baseline and scenario from %s each (seed %d), with the same draws for every system\n", plural(c.Runs, "run"), c.Seed)
	writeNotes(bw, c.Notes)

	rows := append(append([]forecast.Delta(nil), c.Services...), c.Restart)
	sort.SliceStable(rows[:len(c.Services)], func(i, j int) bool { return rows[i].Baseline.P80Hours < rows[j].Baseline.P80Hours })
	name := func(d forecast.Delta) string {
		if d.ID == forecast.RestartID {
			return "All systems back"
		}
		return orDefault(d.Name, d.ID)
	}
	fmt.Fprintf(bw, "\nWhen each business service is back\n")
	tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  Service\tPlan: baseline\tscenario\tchange\tP80: baseline\tscenario\tchange")
	for _, d := range rows {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\n", name(d),
			shortDate(d.Baseline.Deterministic.In(loc), c.Start), shortDate(d.Scenario.Deterministic.In(loc), c.Start), deltaHours(d.DeltaHours),
			shortDate(d.Baseline.P80.In(loc), c.Start), shortDate(d.Scenario.P80.In(loc), c.Start), deltaHours(d.DeltaP80Hours))
	}
	tw.Flush()

	fmt.Fprintf(bw, "\nCost of downtime, from the incident's start\n")
	table := [][]string{{"Service", "Plan: baseline", "scenario", "change", "P80: baseline", "scenario", "change"}}
	for _, d := range rows {
		n := name(d)
		if d.ID == forecast.RestartID {
			n = "Total"
		}
		table = append(table, []string{n,
			money(cur, d.Baseline.Cost), money(cur, d.Scenario.Cost), deltaMoney(cur, d.DeltaCost),
			money(cur, d.Baseline.CostP80), money(cur, d.Scenario.CostP80), deltaMoney(cur, d.DeltaCostP80)})
	}
	writeTable(bw, table)
	return bw.err
}

func deltaHours(h float64) string {
	if math.Abs(h) < 1.0/120 {
		return "same"
	}
	if h < 0 {
		return "−" + hoursText(-h)
	}
	return "+" + hoursText(h)
}

func deltaMoney(cur string, v float64) string {
	if math.Abs(v) < 0.5 {
		return "same"
	}
	if v < 0 {
		return "−" + money(cur, -v)
	}
	return "+" + money(cur, v)
}

// writeHistoryText lists how the live plan's headline dates moved, in
// the order recorded: when, whose date, from → to, by how much, and the
// event it is recorded against (the last before the plan was
// recomputed; the same as the record before it when nothing moved but
// time).
func writeHistoryText(w io.Writer, est *estate.Estate, cs []incident.ETAChange) error {
	bw := &errWriter{w: w}
	name := func(subject string) string {
		if subject == incident.SubjectRestart {
			return "All systems back"
		}
		id := strings.TrimPrefix(subject, "service:")
		for _, s := range est.Services {
			if s.ID == id {
				return orDefault(s.Name, id)
			}
		}
		return id
	}
	fmt.Fprintf(bw, "%s: how the dates moved (%s)\n", orDefault(est.Organization, "Estate"), plural(len(cs), "record"))
	if len(cs) == 0 {
		fmt.Fprintln(bw, "  Nothing recorded yet: the plan is recorded a few seconds after each change, and every hour.")
		return bw.err
	}
	start := cs[0].At
	tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  Recorded\tDate of\tFrom\tTo\tMoved\tEvent")
	again := incident.TimePassed(cs)
	for i, c := range cs {
		from, moved := "first said", ""
		if !c.Previous.IsZero() {
			from = shortDate(c.Previous.UTC(), start)
			moved = deltaHours(c.ETA.Sub(c.Previous).Hours())
		}
		ev := fmt.Sprintf("#%d", c.Seq)
		if again[i] {
			ev += " (nothing moved since: time passed)"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", shortDate(c.At.UTC(), start), name(c.Subject), from, shortDate(c.ETA.UTC(), start), moved, ev)
	}
	tw.Flush()
	return bw.err
}
