package main

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/planner"
)

// writePlanText writes a plan as a summary for a person: the headline
// dates and cost, how much the optimisation buys over plain dependency
// order, each service's return, the waves, the critical path and every
// system's start with the reason for it.
func writePlanText(w io.Writer, est *estate.Estate, p *planner.Plan) error {
	bw := &errWriter{w: w}
	cur := est.Currency
	objective := "cost of downtime"
	if p.Objective == planner.ObjectiveMakespan {
		objective = "time until the last system is back"
	}
	loc := p.Start.Location()
	fmt.Fprintf(bw, "%s: restart plan, minimising the %s\n\n", orDefault(est.Organization, "Estate"), objective)
	tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  Clock starts\t%s\n", longDate(p.Start))
	fmt.Fprintf(tw, "  All systems back\t%s, after %s\n", longDate(p.End.In(loc)), hoursText(p.MakespanHours))
	if p.LowerBoundHours > 0 {
		fmt.Fprintf(tw, "  No plan can finish before\t%s (lower bound from dependencies and team capacity)\n", hoursText(p.LowerBoundHours))
	}
	if len(p.Services) > 0 {
		fmt.Fprintf(tw, "  Cost of downtime\t%s\n", money(cur, p.DowntimeCost))
	}
	if b := p.Baseline; b != nil {
		fmt.Fprintf(tw, "  Against plain dependency order\t%s\n", baselineText(cur, p, b))
	}
	fmt.Fprintf(tw, "  Planner effort\t%s, seed %d\n", plural(p.Schedules, "schedule"), p.Seed)
	tw.Flush()

	if len(p.Services) > 0 {
		fmt.Fprintf(bw, "\nWhen each business service is back\n")
		svcs := append([]planner.ServicePlan(nil), p.Services...)
		sort.SliceStable(svcs, func(i, j int) bool { return svcs[i].ETAHours < svcs[j].ETAHours })
		tw = tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "  Service\tBack on\tAfter\tCost of downtime\tLast system back\n")
		for _, s := range svcs {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", orDefault(s.Name, s.ID), shortDate(s.ETA.In(loc), p.Start), hoursText(s.ETAHours), money(cur, s.DowntimeCost), s.LastSystem)
		}
		fmt.Fprintf(tw, "  Total\t\t\t%s\t\n", money(cur, p.DowntimeCost))
		tw.Flush()
		if err := writePlanImpact(bw, est, p); err != nil {
			return err
		}
	}

	fmt.Fprintf(bw, "\nWaves (wave 0 requires nothing; each later wave needs the one before)\n")
	for i, wave := range p.Waves {
		fmt.Fprintf(bw, "  Wave %d, %s: %s\n", i, plural(len(wave), "system"), wrapList(wave, 8+len(fmt.Sprint(i))))
	}

	if len(p.CriticalPath) > 0 {
		byID := make(map[string]*planner.SystemPlan, len(p.Systems))
		for i := range p.Systems {
			byID[p.Systems[i].ID] = &p.Systems[i]
		}
		// Dates, as in the services' table; each step's end also as the
		// time since the clock's start, the chain's running total.
		fmt.Fprintf(bw, "\nCritical path: the chain that decides when the last system is back\n")
		tw = tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
		step := func(from, to float64, what, id, team string) {
			fmt.Fprintf(tw, "  %s\t→ %s\t(+%s)\t%s\t%s\t%s\n", shortDate(hoursAfter(p.Start, from), p.Start),
				shortDate(hoursAfter(p.Start, to), p.Start), hoursText(to), what, id, team)
		}
		for _, id := range p.CriticalPath {
			s := byID[id]
			if s == nil {
				continue
			}
			if s.ClearanceEndHours != nil && *s.ClearanceEndHours == s.RestoreStartHours && s.Wait.Reason == "clearance" {
				step(*s.ClearanceStartHours, *s.ClearanceEndHours, "clearance", s.ID, est.ClearanceTeam)
			}
			step(s.RestoreStartHours, s.RestoreEndHours, "restore", s.ID, s.Team)
		}
		tw.Flush()
	}

	fmt.Fprintf(bw, "\nSystems in order of restore start (* on the critical path)\n")
	systems := append([]planner.SystemPlan(nil), p.Systems...)
	sort.SliceStable(systems, func(i, j int) bool {
		if systems[i].RestoreStartHours != systems[j].RestoreStartHours {
			return systems[i].RestoreStartHours < systems[j].RestoreStartHours
		}
		return systems[i].ID < systems[j].ID
	})
	tw = tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  Restore\tBack\tSystem\tTeam\tWave\tWhy it starts then\n")
	for _, s := range systems {
		mark := ""
		if s.Critical {
			mark = " *"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s%s\t%s\t%d\t%s\n", shortDate(s.RestoreStart.In(loc), p.Start), shortDate(s.RestoreEnd.In(loc), p.Start),
			s.ID, mark, s.Team, s.Wave, s.WaitingOnAt(shortDate(s.RestoreStart.In(loc), p.Start)))
	}
	tw.Flush()
	return bw.err
}

// hoursAfter is the time h hours after the plan's start, to the minute
// (the planner's unit), in the start's zone.
func hoursAfter(start time.Time, h float64) time.Time {
	return start.Add(time.Duration(math.Round(h*60)) * time.Minute)
}

func baselineText(cur string, p *planner.Plan, b *planner.Baseline) string {
	var parts []string
	dt := b.MakespanHours - p.MakespanHours
	switch {
	case dt > 0.01:
		parts = append(parts, hoursText(dt)+" earlier")
	case dt < -0.01:
		parts = append(parts, hoursText(-dt)+" later")
	default:
		parts = append(parts, "same finish")
	}
	if len(p.Services) > 0 && b.DowntimeCost > 0 {
		dc := b.DowntimeCost - p.DowntimeCost
		pct := 100 * dc / b.DowntimeCost
		switch {
		case dc > 0.5:
			parts = append(parts, fmt.Sprintf("%s (%.1f%%) cheaper", money(cur, dc), pct))
		case dc < -0.5:
			parts = append(parts, fmt.Sprintf("%s (%.1f%%) dearer", money(cur, -dc), -pct))
		default:
			parts = append(parts, "same cost")
		}
		return fmt.Sprintf("%s (that order: all back after %s, %s)", strings.Join(parts, ", "), hoursText(b.MakespanHours), money(cur, b.DowntimeCost))
	}
	return fmt.Sprintf("%s (that order: all back after %s)", strings.Join(parts, ", "), hoursText(b.MakespanHours))
}

// hoursText writes a number of hours the way a recovery team says it:
// 45m, 8h, 3d 4h, 2w 1d.
func hoursText(h float64) string {
	mins := int64(math.Round(h * 60))
	if mins == 0 {
		return "0h"
	}
	neg := mins < 0
	if neg {
		mins = -mins
	}
	d, rem := mins/(24*60), mins%(24*60)
	hh, mm := rem/60, rem%60
	var parts []string
	if d > 0 {
		parts = append(parts, fmt.Sprintf("%dd", d))
	}
	if hh > 0 {
		parts = append(parts, fmt.Sprintf("%dh", hh))
	}
	if mm > 0 && d == 0 {
		parts = append(parts, fmt.Sprintf("%dm", mm))
	}
	if len(parts) == 0 { // whole days with only minutes left over
		parts = append(parts, fmt.Sprintf("%dd", d))
	}
	s := strings.Join(parts, " ")
	if neg {
		return "-" + s
	}
	return s
}

func longDate(t time.Time) string { return t.Format("Mon 2 Jan 2006 15:04 MST") }

// shortDate leaves the year out when it is the plan's start year.
func shortDate(t, start time.Time) string {
	if t.Year() == start.Year() {
		return t.Format("Mon 2 Jan 15:04")
	}
	return t.Format("Mon 2 Jan 2006 15:04")
}

// money writes an amount compactly: £950, £31.2k, £31.2m, £1.23bn.
func money(cur string, v float64) string {
	sym, ok := estate.CurrencySymbol(cur)
	prefix, suffix := sym, ""
	if !ok {
		prefix, suffix = "", " "+cur
		if cur == "" {
			suffix = ""
		}
	}
	a := math.Abs(v)
	var s string
	switch {
	case a >= 1e9:
		s = trimZero(fmt.Sprintf("%.2f", v/1e9)) + "bn"
	case a >= 1e6:
		s = trimZero(fmt.Sprintf("%.1f", v/1e6)) + "m"
	case a >= 1e4:
		s = trimZero(fmt.Sprintf("%.1f", v/1e3)) + "k"
	default:
		s = groupThousands(int64(math.Round(v)))
	}
	return prefix + s + suffix
}

func trimZero(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	return s
}

func groupThousands(n int64) string {
	neg := n < 0
	if neg {
		n = -n
	}
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	switch {
	case strings.HasSuffix(noun, "y"):
		noun = strings.TrimSuffix(noun, "y") + "ies"
	default:
		noun += "s"
	}
	return groupThousands(int64(n)) + " " + noun
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func joinPaths(paths []string) string { return strings.Join(paths, " ") }

func joinOr(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

// wrapList joins ids with commas, wrapping at about 100 columns with the
// given indent after the first line.
func wrapList(ids []string, indent int) string {
	var b strings.Builder
	col := indent + 12
	for i, id := range ids {
		if i > 0 {
			b.WriteString(",")
			if col+len(id)+2 > 100 {
				b.WriteString("\n" + strings.Repeat(" ", indent+4))
				col = indent + 4
			} else {
				b.WriteString(" ")
				col++
			}
		}
		b.WriteString(id)
		col += len(id) + 1
	}
	return b.String()
}

// errWriter remembers the first write error so rendering code can write
// freely and check once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}
