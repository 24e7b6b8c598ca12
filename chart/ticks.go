package chart

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// maxHours bounds every time a picture handles (about 114 years either side
// of the start): time.Duration overflows at about 292 years, and nothing a
// recovery plans is that far away.
const maxHours = 1e6

// clampH makes an hour figure safe to draw: NaN becomes 0 and the rest is
// held within ±maxHours.
func clampH(h float64) float64 {
	if math.IsNaN(h) {
		return 0
	}
	return math.Max(-maxHours, math.Min(maxHours, h))
}

// finite turns NaN and ±Inf into 0 for quantities.
func finite(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return f
}

// at is the wall-clock time h hours after start, in start's location.
// Hours are floats: 09:37 may come back as 09:36:59.9999, which a label
// cut to the minute shows as 09:36 beside a text that says 09:37, so the
// time is rounded to the second.
func at(start time.Time, h float64) time.Time {
	return start.Add(time.Duration(math.Round(clampH(h)*3600)) * time.Second)
}

// niceStep is the smallest step of the form {1, 2, 2.5, 5} × 10^k that
// divides span into at most n intervals.
func niceStep(span float64, n int) float64 {
	span = math.Abs(finite(span))
	if n < 1 {
		n = 1
	}
	if span == 0 {
		return 1
	}
	raw := span / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw*(1-1e-9) {
			return m * mag
		}
	}
	return 10 * mag
}

// valueTicks gives round tick values covering [lo, hi] with at most about n
// intervals; the first and last ticks enclose the range, so they can serve as
// the axis ends.
func valueTicks(lo, hi float64, n int) []float64 {
	lo, hi = finite(lo), finite(hi)
	if hi < lo {
		lo, hi = hi, lo
	}
	if hi == lo {
		hi = lo + 1
	}
	step := niceStep(hi-lo, n)
	first := math.Floor(lo/step+1e-9) * step
	last := math.Ceil(hi/step-1e-9) * step
	var ticks []float64
	for i := 0; ; i++ {
		v := first + float64(i)*step
		if v > last+step*1e-9 || i > 1000 {
			break
		}
		// Rounding to the step's precision turns 0.30000000000000004 into 0.3.
		ticks = append(ticks, roundTo(v, step))
	}
	return ticks
}

// roundTo rounds v to the number of decimals step needs.
func roundTo(v, step float64) float64 {
	d := 0
	for s := step; s < 1 && d < 12; s *= 10 {
		d++
	}
	p := math.Pow(10, float64(d+1))
	return math.Round(v*p) / p
}

// formatQty writes a quantity with thousands separators and only the
// decimals it needs: 12,500 or 2.5 or 0.25.
func formatQty(v float64) string {
	v = finite(v)
	neg := v < 0
	v = math.Abs(v)
	s := strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	if neg && s != "0" {
		b.WriteByte('-')
	}
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

// timeTick is one tick on a time axis.
type timeTick struct {
	Hours float64 // from the picture's start
	Label string
	// Major marks the boundary of the next larger unit (midnight on an
	// hourly axis, Monday on a daily one, the first of the month on a
	// weekly one, January on a monthly one): drawn as a stronger grid line.
	Major bool
}

type unit int

const (
	unitHour unit = iota
	unitDay
	unitWeek
	unitMonth
	unitYear
)

// timeStep is a candidate spacing for time ticks.
type timeStep struct {
	unit unit
	n    int
}

// hours is the step's nominal length, for estimating how many ticks it makes.
func (s timeStep) hours() float64 {
	per := [...]float64{1, 24, 24 * 7, 24 * 30.44, 24 * 365.25}
	return per[s.unit] * float64(s.n)
}

// timeSteps are tried from finest to coarsest.
var timeSteps = [...]timeStep{
	{unitHour, 1}, {unitHour, 2}, {unitHour, 3}, {unitHour, 6}, {unitHour, 12},
	{unitDay, 1}, {unitDay, 2}, {unitWeek, 1}, {unitWeek, 2},
	{unitMonth, 1}, {unitMonth, 2}, {unitMonth, 3}, {unitMonth, 6},
	{unitYear, 1}, {unitYear, 2}, {unitYear, 5}, {unitYear, 10}, {unitYear, 20},
	{unitYear, 50}, {unitYear, 100},
}

// timeTicks picks the finest calendar step (hours, days, weeks, months,
// years) whose labels fit side by side when the axis is drawn at pxPerHour,
// and returns its ticks within [lo, hi] hours after start. Ticks fall on
// round local times in start's location (midnight, Mondays, the first of
// the month), so they stay right across daylight-saving changes.
func timeTicks(start time.Time, lo, hi, pxPerHour, fontSize float64) []timeTick {
	pxPerHour = finite(pxPerHour)
	if pxPerHour <= 0 {
		pxPerHour = 1
	}
	return pickTicks(start, lo, hi, func(st timeStep, ticks []timeTick) bool {
		widest := 0.0
		for _, t := range ticks {
			widest = max(widest, textWidth(t.Label, fontSize, false))
		}
		return st.hours()*pxPerHour >= widest+10
	})
}

// dateTicks is timeTicks for a time axis drawn upwards: the finest step
// that leaves at least gap pixels between ticks at pxPerHour.
func dateTicks(start time.Time, lo, hi, pxPerHour, gap float64) []timeTick {
	pxPerHour = finite(pxPerHour)
	if pxPerHour <= 0 {
		pxPerHour = 1
	}
	return pickTicks(start, lo, hi, func(st timeStep, _ []timeTick) bool { return st.hours()*pxPerHour >= gap })
}

// pickTicks returns the ticks of the finest step fits accepts (the
// coarsest when it accepts none) within [lo, hi] hours after start.
func pickTicks(start time.Time, lo, hi float64, fits func(timeStep, []timeTick) bool) []timeTick {
	lo, hi = clampH(lo), clampH(hi)
	if hi < lo {
		lo, hi = hi, lo
	}
	if hi == lo {
		hi = lo + 1
	}
	var last []timeTick
	for _, st := range timeSteps {
		if (hi-lo)/st.hours() > 400 {
			continue // far too fine to fit; don't even generate it
		}
		ticks := st.ticks(start, lo, hi)
		last = ticks
		if fits(st, ticks) {
			return ticks
		}
	}
	return last
}

// ticks lists the step's ticks in [lo, hi].
func (s timeStep) ticks(start time.Time, lo, hi float64) []timeTick {
	loc := start.Location()
	from := at(start, lo).In(loc)
	y, m, d := from.Date()
	var t time.Time
	switch s.unit {
	case unitHour:
		t = time.Date(y, m, d, from.Hour()-from.Hour()%s.n, 0, 0, 0, loc)
	case unitDay:
		t = time.Date(y, m, d, 0, 0, 0, 0, loc)
	case unitWeek:
		back := (int(from.Weekday()) + 6) % 7 // days since Monday
		t = time.Date(y, m, d-back, 0, 0, 0, 0, loc)
	case unitMonth:
		t = time.Date(y, m-time.Month((int(m)-1)%s.n), 1, 0, 0, 0, 0, loc)
	case unitYear:
		t = time.Date(y-((y%s.n)+s.n)%s.n, 1, 1, 0, 0, 0, 0, loc)
	}
	var out []timeTick
	for k := 0; k < 2000; k++ {
		var tk time.Time
		switch s.unit {
		case unitHour:
			tk = t.Add(time.Duration(k*s.n) * time.Hour)
		case unitDay:
			tk = time.Date(y, m, t.Day()+k*s.n, 0, 0, 0, 0, loc)
		case unitWeek:
			tk = time.Date(t.Year(), t.Month(), t.Day()+7*k*s.n, 0, 0, 0, 0, loc)
		case unitMonth:
			tk = time.Date(t.Year(), t.Month()+time.Month(k*s.n), 1, 0, 0, 0, 0, loc)
		case unitYear:
			tk = time.Date(t.Year()+k*s.n, 1, 1, 0, 0, 0, 0, loc)
		}
		h := tk.Sub(start).Hours()
		if h > hi+1e-9 {
			break
		}
		if h < lo-1e-9 {
			continue
		}
		out = append(out, s.label(tk, h))
	}
	return out
}

// label names a tick the way a person reads a calendar.
func (s timeStep) label(t time.Time, h float64) timeTick {
	tk := timeTick{Hours: h}
	switch s.unit {
	case unitHour:
		if t.Hour() == 0 && t.Minute() == 0 {
			tk.Label, tk.Major = t.Format("Mon 2 Jan"), true
		} else {
			tk.Label = t.Format("15:04")
		}
	case unitDay:
		tk.Label, tk.Major = t.Format("Mon 2 Jan"), t.Weekday() == time.Monday
	case unitWeek:
		tk.Label, tk.Major = t.Format("2 Jan"), t.Day() <= 7
	case unitMonth:
		tk.Label, tk.Major = t.Format("Jan 2006"), t.Month() == time.January
	case unitYear:
		tk.Label, tk.Major = t.Format("2006"), true
	}
	return tk
}

// The date formats of texts and titles.
func longDate(t time.Time) string { return t.Format("Mon 2 Jan 2006 15:04 MST") }
func shortDate(t time.Time) string {
	if t.Hour() == 0 && t.Minute() == 0 {
		return t.Format("Mon 2 Jan")
	}
	return t.Format("Mon 2 Jan 15:04")
}
func dayDate(t time.Time) string { return t.Format("Mon 2 Jan") }

// targetDate names a target moment. A midnight is the end of the day
// before: "back by 8 October" means by 9 October 00:00, and a label
// saying 9 October would read as a day late.
func targetDate(t time.Time, date func(time.Time) string) string {
	if endOfDay(t) {
		return "end of " + dayDate(t.Add(-time.Nanosecond))
	}
	return date(t)
}

// targetDay is the day a target falls on, for a short column header:
// a midnight counts for the day it ends.
func targetDay(t time.Time) time.Time {
	if endOfDay(t) {
		return t.Add(-time.Nanosecond)
	}
	return t
}

func endOfDay(t time.Time) bool {
	return t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0
}

// duration says how long h hours is in the unit a person would use.
func duration(h float64) string {
	h = finite(h)
	switch {
	case math.Abs(h) < 48:
		return trimNum(h, 1) + " h"
	case math.Abs(h) < 24*7*3:
		return trimNum(h/24, 1) + " days"
	default:
		return trimNum(h/24/7, 1) + " weeks"
	}
}

// trimNum formats f with at most d decimals and no trailing zeros.
func trimNum(f float64, d int) string {
	s := strconv.FormatFloat(finite(f), 'f', d, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}
