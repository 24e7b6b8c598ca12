package chart

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// FanChart is a forecast to draw: for each business service (and for the
// whole restart) when it is back, as quantiles of many simulated runs.
// Hours count from Start. Fan and CDF both draw it.
type FanChart struct {
	// Title heads the picture; empty gives "When will we be back?".
	Title string
	// Subtitle says where the numbers come from, e.g. "10,000 runs, seed 1".
	Subtitle string
	Start    time.Time
	Series   []FanSeries
	// Whole is the whole restart (every system back); drawn last, in bold,
	// under a rule. Optional.
	Whole *FanSeries
	// ByHours is a target ("back by 8 October"): a dotted line, and each
	// series' Probability of being back by then. Optional.
	ByHours *float64
	// Width in pixels; zero gives 1200.
	Width float64
	// IDPrefix prefixes every id in the SVG; give each picture on one web
	// page its own. Empty gives "pg-fan" (Fan) or "pg-cdf" (CDF).
	IDPrefix string
}

// FanSeries is one service's forecast.
type FanSeries struct {
	Label string
	// Deterministic is the plan's date (every duration at its likely
	// value); P50, P80 and P95 are the forecast's quantiles, in hours.
	Deterministic, P50, P80, P95 float64
	// Probability is the chance of being back by the chart's ByHours, 0–1.
	Probability *float64
	// CDF is the distribution, for the CDF picture: points of (hours,
	// probability of being back by then), in any order. Optional; without
	// it the CDF picture plots the three quantiles.
	CDF []CDFPoint
}

// CDFPoint is one point of a cumulative distribution.
type CDFPoint struct {
	Hours float64
	P     float64 // 0–1
}

const fanCSS = `.lbl{font-size:12px}
.lblw{font-size:12px;font-weight:700}
.b95{stroke:#1f3b5a;stroke-width:0.8;fill:url(#@-p95)}
.b80{stroke:#1f3b5a;stroke-width:0.8;fill:url(#@-p80)}
.q50{stroke:#000;stroke-width:3}
.q80{stroke:#000;stroke-width:2}
.det{fill:#fff;stroke:#000;stroke-width:2}
.th{font-size:11px;font-weight:700;fill:#333}
.thk{font-size:12px;font-weight:700;fill:#000;text-decoration:underline}
.td{font-size:12px;paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
.tdw{font-size:12px;font-weight:700;paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
.rule{stroke:#000;stroke-width:1}
.pr{font-size:11px;font-weight:700;paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
.z{fill:#1e3a5a;fill-opacity:0.05}
`

// fanRow is a series prepared for drawing: quantiles clamped and ordered.
type fanRow struct {
	FanSeries
	whole bool
}

// sane returns a copy of s whose numbers are finite, within range and in
// order (P50 ≤ P80 ≤ P95), so bad input draws something honest-looking
// instead of a band that runs backwards.
func (s FanSeries) sane() FanSeries {
	s.Deterministic = clampH(finite(s.Deterministic))
	q := []float64{clampH(finite(s.P50)), clampH(finite(s.P80)), clampH(finite(s.P95))}
	slices.Sort(q)
	s.P50, s.P80, s.P95 = q[0], q[1], q[2]
	if s.Probability != nil {
		p := math.Max(0, math.Min(1, finite(*s.Probability)))
		s.Probability = &p
	}
	return s
}

// rows lists the series to draw, the whole restart last.
func (c FanChart) rows() []fanRow {
	var rows []fanRow
	for _, s := range c.Series {
		rows = append(rows, fanRow{FanSeries: s.sane()})
	}
	if c.Whole != nil {
		rows = append(rows, fanRow{FanSeries: c.Whole.sane(), whole: true})
	}
	return rows
}

// hourSpan is the hour range every row and the target fit in.
func (c FanChart) hourSpan(rows []fanRow) (float64, float64) {
	lo, hi := 0.0, 0.0
	for _, r := range rows {
		lo, hi = hourRange(lo, hi, r.Deterministic)
		lo, hi = hourRange(lo, hi, r.P50)
		lo, hi = hourRange(lo, hi, r.P95)
		for _, pt := range r.CDF {
			lo, hi = hourRange(lo, hi, pt.Hours)
		}
	}
	if c.ByHours != nil {
		lo, hi = hourRange(lo, hi, *c.ByHours)
	}
	if hi-lo < 1 {
		hi = lo + 1
	}
	return lo, hi + (hi-lo)*0.03
}

// Fan draws the forecast as a fan chart: a row per service and one for the
// whole restart, each a band from the date it is 50% likely to be back by
// to the date it is 95% likely, the part up to 80% densely hatched, the
// plan's own date as a hollow circle, an optional target line with each
// row's chance of making it, and a table of the dates beside the bands
// (under them on narrow pictures).
func Fan(w io.Writer, c FanChart) error {
	d, W, err := newDoc(c.IDPrefix, "pg-fan", c.Width)
	if err != nil {
		return err
	}
	rows := c.rows()
	lo, hi := c.hourSpan(rows)
	var byH float64
	if c.ByHours != nil {
		byH = clampH(*c.ByHours)
	}
	// Dates with hours only when the whole picture spans a few days.
	date := dayDate
	if hi-lo < 96 {
		date = shortDate
	}
	when := func(h float64) string { return date(at(c.Start, h)) }

	labelW := 100.0
	for _, r := range rows {
		labelW = max(labelW, textWidth(r.Label, 12, r.whole)+12)
	}
	labelW = math.Min(labelW, W*0.28)
	cols := []string{"plan", "50% by", "80% by", "95% by"}
	if c.ByHours != nil {
		cols = append(cols, "by "+targetDay(at(c.Start, byH)).Format("2 Jan"))
	}
	colW := 62.0
	for _, h := range []float64{lo, hi} {
		colW = max(colW, textWidth(when(h), 12, true)+14)
	}
	for _, h := range cols {
		colW = max(colW, textWidth(h, 11, true)+10)
	}
	tableW := colW * float64(len(cols))
	x0 := margin + labelW
	x1 := W - margin - tableW - 10
	// A narrow picture (a phone) puts each label above its band and the
	// dates under it, so the bands get the full width.
	narrow := W < 700 || x1-x0 < (W-2*margin)*0.35
	rowH, bandY := 34.0, 17.0
	if narrow {
		x0, x1 = margin+6, W-margin-6
		rowH, bandY = 64, 34
	}
	sx := scaleX{lo, hi, x0, x1}
	ticks := timeTicks(c.Start, lo, hi, sx.pxPerHour(), 11)

	title := cmp.Or(c.Title, "When will we be back?")
	desc := fanDesc(c, rows, when, date)
	var body, over doc
	body.id, over.id = d.id, d.id
	y := body.header(W, margin, title, c.Subtitle)
	items := []legendItem{
		{func(d *doc, x, y float64) { d.rect(x, y+1, 24, 12, "b80") }, "50% to 80% likely back"},
		{func(d *doc, x, y float64) { d.rect(x, y+1, 24, 12, "b95") }, "80% to 95%"},
		{func(d *doc, x, y float64) { d.line(x+12, y-1, x+12, y+15, "q50") }, "even chance (50%)"},
		{func(d *doc, x, y float64) {
			d.leaf("circle", "cx", num(x+12), "cy", num(y+7), "r", "5", "class", "det")
		}, "plan date (every task takes its likely time)"},
	}
	if c.ByHours != nil {
		items = append(items, legendItem{func(d *doc, x, y float64) { d.line(x+12, y-1, x+12, y+15, "target") }, "target: " + targetDate(at(c.Start, byH), date)})
	}
	y += body.legend(margin, y, W-2*margin, items) + 10

	axisY := y + 12
	body.timeLabels(sx, ticks, axisY, c.Start)
	if !narrow {
		for k, h := range cols {
			cls := "th"
			if k == 2 {
				cls = "thk" // the date to plan on
			}
			body.text(x1+10+float64(k)*colW+colW-6, axisY, cls, h, "text-anchor", "end")
		}
	}
	y = axisY + 10
	gridTop := y
	if len(rows) == 0 {
		body.text(margin, y+18, "note", "No forecast to show.")
		y += 28
	}
	for k, r := range rows {
		if r.whole {
			body.line(margin, y+1, W-margin, y+1, "rule")
			y += 4
		} else if k%2 == 1 {
			body.rect(margin, y, W-2*margin, rowH, "z")
		}
		cy := y + bandY
		lc := "lbl"
		if r.whole {
			lc = "lblw"
		}
		if narrow {
			body.text(margin+4, y+15, lc, fit(r.Label, W-2*margin-8, 12, r.whole))
		} else {
			body.text(margin+4, cy+4, lc, fit(r.Label, labelW-10, 12, r.whole))
		}
		fanBand(&body, &over, r, sx, cy, c.ByHours != nil, byH, when)
		vals := []string{when(r.Deterministic), when(r.P50), when(r.P80), when(r.P95)}
		if c.ByHours != nil {
			v := "–"
			if r.Probability != nil {
				v = pct(*r.Probability)
			}
			vals = append(vals, v)
		}
		if narrow {
			short := func(h float64) string { return at(c.Start, h).Format("2 Jan") }
			line := "50% " + short(r.P50) + " · 80% " + short(r.P80) + " · 95% " + short(r.P95)
			cls := "td"
			if r.whole {
				cls = "tdw"
			}
			over.text(margin+4, y+rowH-8, cls, fit(line, W-2*margin-8, 12, r.whole))
		} else {
			for k, v := range vals {
				cls := "td"
				if r.whole || k == 2 {
					cls = "tdw"
				}
				body.text(x1+10+float64(k)*colW+colW-6, cy+4, cls, v, "text-anchor", "end")
			}
		}
		y += rowH
	}
	gridBottom := y
	y += 4
	body.timeLabels(sx, ticks, y+12, c.Start)
	H := y + 20 + margin

	d.begin(W, H, title, desc, fanCSS)
	d.defs()
	d.timeGrid(sx, c.Start, ticks, gridTop-6, gridBottom)
	d.b = append(d.b, body.b...)
	if c.ByHours != nil && byH >= lo && byH <= hi {
		tx := sx.x(byH)
		d.line(tx, gridTop-6, tx, gridBottom, "target")
	}
	d.b = append(d.b, over.b...)
	return d.end(w)
}

// fanBand draws one row's band, quantile marks and plan date, centred on
// cy; the probability at the target goes into over, above the target line.
func fanBand(d, over *doc, r fanRow, sx scaleX, cy float64, hasTarget bool, byH float64, when func(float64) string) {
	d.open("g")
	d.elem("title", fmt.Sprintf("%s: 50%% likely back by %s, 80%% by %s, 95%% by %s; plan date %s",
		r.Label, when(r.P50), when(r.P80), when(r.P95), when(r.Deterministic)))
	a, b, c := sx.x(r.P50), sx.x(r.P80), sx.x(r.P95)
	const bandH = 16.0
	d.rect(a, cy-bandH/2, math.Max(c-a, 1), bandH, "b95")
	d.rect(a, cy-bandH/2, math.Max(b-a, 1), bandH, "b80")
	d.line(a, cy-bandH/2-3, a, cy+bandH/2+3, "q50")
	d.line(b, cy-bandH/2-2, b, cy+bandH/2+2, "q80")
	d.leaf("circle", "cx", num(sx.x(r.Deterministic)), "cy", num(cy), "r", "5", "class", "det")
	d.close("g")
	if hasTarget && r.Probability != nil {
		tx := sx.x(byH)
		over.text(tx+4, cy-bandH/2-1, "pr", pct(*r.Probability))
	}
}

// fanDesc summarises the forecast in sentences.
func fanDesc(c FanChart, rows []fanRow, when func(float64) string, date func(time.Time) string) string {
	var b strings.Builder
	b.WriteString("Fan chart of when each business service is back. ")
	if c.Subtitle != "" {
		b.WriteString(c.Subtitle + ". ")
	}
	for _, r := range rows {
		fmt.Fprintf(&b, "%s: 50%% likely by %s, 80%% by %s, 95%% by %s; the plan says %s",
			r.Label, when(r.P50), when(r.P80), when(r.P95), when(r.Deterministic))
		if c.ByHours != nil && r.Probability != nil {
			fmt.Fprintf(&b, "; %s chance by %s", pct(*r.Probability), targetDate(at(c.Start, *c.ByHours), date))
		}
		b.WriteString(". ")
	}
	if len(rows) == 0 {
		b.WriteString("No forecast to show.")
	}
	return strings.TrimSpace(b.String())
}
