package server

import (
	"fmt"
	"html/template"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/incident"
	"github.com/phasegate/phasegate/planner"
)

// funcs are the template functions: formatting of dates, durations, money
// and counts in the words a tired reader takes in at a glance. Dates are
// in UTC and say so: a recovery team spans time zones and must read the
// same clock.
func (u *ui) funcs() template.FuncMap {
	return template.FuncMap{
		"when":      func(t time.Time) string { return fmtWhenAt(t, u.clock()) },
		"why":       func(sp planner.SystemPlan) string { return whyDated(sp, u.clock()) },
		"day":       func(t time.Time) string { return fmtDayAt(t, u.clock()) },
		"iso":       func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"rel":       fmtRel,
		"money":     fmtMoney,
		"num":       numText,
		"fnum":      fmtFloat,
		"hours":     fmtHours,
		"shift":     fmtShift,
		"moved":     moveWay,
		"costShift": fmtCostShift,
		"pct":       pct,
		"pctf":      pctOf,
		"days":      func(d float64) string { return fmtHours(d * 24) },
		"addf":      func(a, b float64) float64 { return a + b },
		"sysURL":    sysURL,
		"stateIcon": stateIcon,
		"add":       func(a, b int) int { return a + b },
		"join":      strings.Join,
		"query":     url.QueryEscape,
		"plural":    plural,
		"selectField": func(id, name, label, anyLabel string, options []option, selected string) selectField {
			return selectField{ID: id, Name: name, Label: label, Any: anyLabel, Options: options, Selected: selected}
		},
	}
}

// selectField is one drop-down of a list page's filter form (template
// "select-field"). Its first choice, Any, filters nothing.
type selectField struct {
	ID, Name, Label, Any string
	Options              []option
	Selected             string
}

func fmtWhen(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("Mon 2 Jan 15:04 UTC")
}

func fmtDay(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("Mon 2 Jan")
}

// fmtWhenAt and fmtDayAt write t as fmtWhen and fmtDay do, with its
// year when it is not now's: backlogs cleared in the new year must not
// read as if they came before this year's dates.
func fmtWhenAt(t, now time.Time) string {
	if t.IsZero() || t.UTC().Year() == now.UTC().Year() {
		return fmtWhen(t)
	}
	return t.UTC().Format("Mon 2 Jan 2006 15:04 UTC")
}

func fmtDayAt(t, now time.Time) string {
	if t.IsZero() || t.UTC().Year() == now.UTC().Year() {
		return fmtDay(t)
	}
	return t.UTC().Format("Mon 2 Jan 2006")
}

// whyDated is a system's "why then" with dates, not offsets from the
// plan's start: a reader should not have to count from it.
func whyDated(sp planner.SystemPlan, now time.Time) string {
	return sp.WaitingOnAt(fmtWhenAt(sp.RestoreStart, now))
}

// fmtRel says how far t is from now: "in 3 d 4 h", "25 min ago". It
// rounds to the unit it shows, so that a date 32 days away that the page
// reaches a few seconds after the plan's start reads "in 32 d" (as the
// plan's own "32 d from now"), not "in 31 d".
func fmtRel(now, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	d := t.Sub(now)
	future := d > 0
	if !future {
		d = -d
	}
	switch {
	case d < time.Minute:
		return "just now"
	case d < 48*time.Hour:
		d = d.Round(time.Minute)
	default:
		d = d.Round(time.Hour)
		if d >= 10*24*time.Hour {
			d = d.Round(24 * time.Hour)
		}
	}
	var s string
	switch {
	case d < time.Hour:
		s = fmt.Sprintf("%d min", int(d/time.Minute))
	case d < 48*time.Hour:
		h := int(d / time.Hour)
		m := int((d % time.Hour) / time.Minute)
		if m == 0 || h >= 10 {
			s = fmt.Sprintf("%d h", h)
		} else {
			s = fmt.Sprintf("%d h %d min", h, m)
		}
	default:
		days := int(d / (24 * time.Hour))
		h := int((d % (24 * time.Hour)) / time.Hour)
		if h == 0 || days >= 10 {
			s = fmt.Sprintf("%d d", days)
		} else {
			s = fmt.Sprintf("%d d %d h", days, h)
		}
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

// fmtHours says a length of time given in hours: "36 h", "4.5 d".
func fmtHours(h float64) string {
	switch {
	case h <= 0 || math.IsNaN(h):
		return "0 h"
	case h < 48:
		return strconv.FormatFloat(math.Round(h*10)/10, 'f', -1, 64) + " h"
	default:
		return strconv.FormatFloat(math.Round(h/24*10)/10, 'f', -1, 64) + " d"
	}
}

// fmtShift says in words how far a date moved, given in hours (later
// positive): "2 days later", "5 h earlier", "40 min later", "no change"
// (under a minute).
func fmtShift(h float64) string {
	dir := moveWay(h)
	if dir == "" {
		return "no change"
	}
	h = math.Abs(h)
	var s string
	switch {
	case h < 1:
		s = fmt.Sprintf("%d min", int(math.Round(h*60)))
	case h < 48:
		s = strconv.FormatFloat(math.Round(h*10)/10, 'f', -1, 64) + " h"
	default:
		s = strconv.FormatFloat(math.Round(h/24*10)/10, 'f', -1, 64) + " days"
	}
	return s + " " + dir
}

// moveWay says which way a date moved (hours, later positive): "later",
// "earlier", or "" when it moved less than a minute.
func moveWay(h float64) string {
	switch {
	case math.IsNaN(h) || math.Abs(h) < 1.0/60:
		return ""
	case h > 0:
		return "later"
	}
	return "earlier"
}

// fmtCostShift says a change of cost in words: "£1.2m more", "£350k
// less", "no change" (under one unit of the currency).
func fmtCostShift(currency string, v float64) string {
	switch {
	case math.IsNaN(v) || math.Abs(v) < 1:
		return "no change"
	case v > 0:
		return fmtMoney(currency, v) + " more"
	}
	return fmtMoney(currency, -v) + " less"
}

// fmtMoney writes an amount with three significant figures and a scale:
// £1.48bn, £496m, €12.5k.
func fmtMoney(currency string, v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		v = 0
	}
	sym, ok := estate.CurrencySymbol(currency)
	if !ok && currency != "" {
		sym = currency + " "
	}
	neg := v < 0
	v = math.Abs(v)
	var s string
	switch {
	case v >= 1e9:
		s = sig3(v/1e9) + "bn"
	case v >= 1e6:
		s = sig3(v/1e6) + "m"
	case v >= 1e4:
		s = sig3(v/1e3) + "k"
	default:
		s = fmtNum(int(math.Round(v)))
	}
	if neg {
		return "−" + sym + s
	}
	return sym + s
}

// sig3 writes v (≥ 1) with three significant figures, without trailing
// zeros.
func sig3(v float64) string {
	dec := 2
	switch {
	case v >= 100:
		dec = 0
	case v >= 10:
		dec = 1
	}
	return strconv.FormatFloat(v, 'f', dec, 64)
}

// numText writes any whole number (int, int64, a float rounded) with
// thousands separators.
func numText(v any) string {
	switch n := v.(type) {
	case int:
		return fmtNum(n)
	case int64:
		return fmtNum(int(n))
	case float64:
		return fmtNum(int(math.Round(n)))
	}
	return fmt.Sprint(v)
}

// fmtNum writes a whole number with thousands separators.
func fmtNum(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "−" + b.String()
	}
	return b.String()
}

// fmtFloat writes v with one decimal (none when whole) and thousands
// separators: 1,800, 12.5.
func fmtFloat(v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return "0"
	case math.Abs(v) >= 1e17: // beyond whole tenths in an int
		return strconv.FormatFloat(v, 'g', 6, 64)
	}
	tenths := int(math.Round(math.Abs(v) * 10))
	s := fmtNum(tenths / 10)
	if d := tenths % 10; d != 0 {
		s += "." + strconv.Itoa(d)
	}
	if v < 0 && tenths != 0 {
		return "−" + s
	}
	return s
}

// pctOf writes a share (0–1) as a whole percentage; near the ends it says
// "< 1 %" and "> 99 %" rather than round to a certainty the runs did not
// show.
func pctOf(p float64) string {
	switch {
	case math.IsNaN(p) || p <= 0:
		return "0 %"
	case p < 0.01:
		return "< 1 %"
	case p > 0.99 && p < 1:
		return "> 99 %"
	case p >= 1:
		return "100 %"
	}
	return strconv.Itoa(int(math.Round(p*100))) + " %"
}

// pct is part of whole as a whole percentage (0 when whole is 0).
func pct(part, whole int) int {
	if whole <= 0 {
		return 0
	}
	return int(math.Round(float64(part) * 100 / float64(whole)))
}

func sysURL(incidentID int64, systemID string) string {
	return fmt.Sprintf("/incidents/%d/systems/%s", incidentID, url.PathEscape(systemID))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// stateIcon is a shape for each state, so a state never depends on colour
// alone (the word is always written beside it).
func stateIcon(s incident.State) string {
	switch s {
	case incident.StateRunning:
		return "○"
	case incident.StateIsolated:
		return "■"
	case incident.StateInvestigating:
		return "◔"
	case incident.StateCleared:
		return "◑"
	case incident.StateRestoring:
		return "◕"
	case incident.StateVerifying:
		return "◉"
	case incident.StateOnline:
		return "●"
	case incident.StateCompromised:
		return "✖"
	}
	return "?"
}
