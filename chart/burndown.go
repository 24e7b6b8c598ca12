package chart

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/phasegate/phasegate"
)

// BurnStyle is how a burn-down series is drawn.
type BurnStyle string

// The burn-down styles.
const (
	BurnNormal BurnStyle = "normal" // normal capacity: solid (the default)
	BurnSurge  BurnStyle = "surge"  // surge capacity: dashed
)

// BurnDownChart is one backlog over time: it grows while its service is
// down, then is worked off at normal or at surge capacity.
type BurnDownChart struct {
	// Title heads the picture; empty gives "Backlog".
	Title    string
	Subtitle string
	// Unit names what piles up, e.g. "invoices".
	Unit   string
	Start  time.Time
	Series []BurnSeries
	// Events are dated markers: service back, critical suppliers paid, ...
	Events []Event
	// Counts are what was counted waiting at times during the recovery
	// (Hours from Start), drawn as solid diamonds over the lines: what
	// was measured beside what is forecast.
	Counts []Point
	// DownUntil, when set, shades the time before it: the service is down.
	DownUntil *float64
	// Now, when set, draws a dashed "now" line.
	Now *time.Time
	// Width in pixels; zero gives 1200.
	Width float64
	// IDPrefix prefixes every id in the SVG; give each picture on one web
	// page its own. Empty gives "pg-burndown".
	IDPrefix string
}

// BurnSeries is one line: how much is waiting at each time.
type BurnSeries struct {
	Label string
	Style BurnStyle
	// Points are (hours from Start, amount waiting), in any order.
	Points []Point
}

// Point is one point of a series.
type Point struct {
	Hours float64
	Value float64
}

// Event is a dated marker on a chart.
type Event struct {
	Hours float64
	Label string
}

// BurnDown draws a backlog's burn-down: amount waiting up the side, dates
// along the bottom; normal capacity solid, surge dashed, each series
// labelled where it is cleared; the time the service is down shaded and
// hatched; events as dotted lines with their labels stacked so none
// overlaps; the peak labelled.
func BurnDown(w io.Writer, c BurnDownChart) error {
	d, W, err := newDoc(c.IDPrefix, "pg-burndown", c.Width)
	if err != nil {
		return err
	}
	for k, s := range c.Series {
		switch s.Style {
		case "", BurnNormal, BurnSurge:
		default:
			return phasegate.Errorf(phasegate.EINVALID, "chart: burn-down series %d (%q): style %q: use normal or surge", k+1, s.Label, s.Style)
		}
	}
	unit := cmp.Or(strings.TrimSpace(c.Unit), "items")
	type prepared struct {
		BurnSeries
		pts []Point
	}
	lo, hi, vmax := 0.0, 0.0, 0.0
	// clean bounds a list of points, sorts it by time and widens the
	// ranges drawn to hold it.
	clean := func(in []Point) []Point {
		pts := make([]Point, len(in))
		for i, pt := range in {
			pts[i] = Point{clampH(finite(pt.Hours)), math.Max(0, math.Min(1e15, finite(pt.Value)))}
			lo, hi = hourRange(lo, hi, pts[i].Hours)
			vmax = math.Max(vmax, pts[i].Value)
		}
		slices.SortStableFunc(pts, func(a, b Point) int { return cmp.Compare(a.Hours, b.Hours) })
		return pts
	}
	series := make([]prepared, len(c.Series))
	for k, s := range c.Series {
		series[k] = prepared{s, clean(s.Points)}
	}
	counts := clean(c.Counts)
	for _, e := range c.Events {
		lo, hi = hourRange(lo, hi, e.Hours)
	}
	if c.DownUntil != nil {
		lo, hi = hourRange(lo, hi, *c.DownUntil)
	}
	nowH := math.NaN()
	if c.Now != nil {
		nowH = clampH(c.Now.Sub(c.Start).Hours())
		lo, hi = hourRange(lo, hi, nowH)
	}
	if hi-lo < 1 {
		hi = lo + 1
	}
	hi += (hi - lo) * 0.03
	date := dayDate
	if hi-lo < 96 {
		date = shortDate
	}
	when := func(h float64) string { return date(at(c.Start, h)) }
	// amount writes what waits: whole units once there are hundreds (an
	// accrual over part of a day gives fractions nobody counts).
	amount := func(v float64) string {
		if v >= 100 {
			v = math.Round(v)
		}
		return formatQty(v)
	}
	yt := valueTicks(0, math.Max(vmax, 1), 6)

	title := cmp.Or(c.Title, "Backlog")
	var body, over doc
	body.id, over.id = d.id, d.id
	y := body.header(W, margin, title, c.Subtitle)
	var items []legendItem
	for k, s := range series {
		cls := "s0"
		if s.Style == BurnSurge {
			cls = "s1"
		}
		shp := lineStyles[k%len(lineStyles)].shape
		items = append(items, legendItem{func(d *doc, x, y float64) {
			d.line(x, y+7, x+24, y+7, cls)
			d.marker(shp, x+12, y+7, 4, markerClass(cls))
		}, s.Label})
	}
	if len(counts) > 0 {
		items = append(items, legendItem{func(d *doc, x, y float64) { d.marker(shapeDiamond, x+12, y+7, 5, "mk") }, "counted"})
	}
	if c.DownUntil != nil {
		items = append(items, legendItem{func(d *doc, x, y float64) { d.rect(x, y+1, 24, 12, "sw down") }, "service down"})
	}
	if !math.IsNaN(nowH) {
		items = append(items, legendItem{func(d *doc, x, y float64) { d.line(x+12, y-1, x+12, y+15, "now") }, "now"})
	}
	y += body.legend(margin, y, W-2*margin, items) + 6

	// Event labels stack in rows above the plot so none overlaps another.
	yLabW := 0.0
	for _, v := range yt {
		yLabW = max(yLabW, textWidth(formatQty(v), 11, false))
	}
	sx := scaleX{lo, hi, margin + yLabW + 12, W - margin - 10}
	evs := slices.Clone(c.Events)
	slices.SortStableFunc(evs, func(a, b Event) int { return cmp.Compare(clampH(a.Hours), clampH(b.Hours)) })
	exs, ews := make([]float64, len(evs)), make([]float64, len(evs))
	labels := make([]string, len(evs))
	for k, e := range evs {
		labels[k] = fit(e.Label+" · "+when(e.Hours), W*0.45, 11, false)
		ews[k] = textWidth(labels[k], 11, false)
		exs[k] = math.Min(sx.x(e.Hours)+3, sx.x1-ews[k]) // keep labels inside the picture
	}
	evRow, nEvRows := placeLabels(exs, ews)
	body.text(margin, y+12, "yl", unit+" waiting")
	y += 18
	evTop := y
	y += float64(nEvRows) * 15
	a := plotArea{sx: sx, y0: y + 6, y1: y + 6 + math.Min(360, math.Max(200, W*0.32)), v0: 0, v1: yt[len(yt)-1]}
	if c.DownUntil != nil {
		x := sx.x(*c.DownUntil)
		body.rect(sx.x(lo), a.y0, x-sx.x(lo), a.y1-a.y0, "down")
		body.text(sx.x(lo)+6, a.y0+14, "evt", fit("service down until "+when(*c.DownUntil), math.Max(0, x-sx.x(lo)-10), 11, false))
	}
	body.frame(a, c.Start, yt, formatQty)
	for k, e := range evs {
		x := sx.x(e.Hours)
		ly := evTop + float64(evRow[k])*15 + 11
		body.line(x, ly+3, x, a.y1, "ev")
		over.text(exs[k], ly, "evt", labels[k])
	}
	if !math.IsNaN(nowH) {
		x := sx.x(nowH)
		body.line(x, a.y0, x, a.y1, "now")
		over.text(x+4, a.y0+30, "nowt", "now "+shortDate(at(c.Start, nowH)))
	}

	var desc strings.Builder
	fmt.Fprintf(&desc, "Burn-down chart of %s waiting over time.", unit)
	if c.Subtitle != "" {
		desc.WriteString(" " + c.Subtitle + ".")
	}
	if c.DownUntil != nil {
		desc.WriteString(" The service is down until " + when(*c.DownUntil) + ".")
	}
	for k, s := range series {
		cls := "s0"
		if s.Style == BurnSurge {
			cls = "s1"
		}
		shp := lineStyles[k%len(lineStyles)].shape
		xs, ys := make([]float64, len(s.pts)), make([]float64, len(s.pts))
		peak := -1
		for i, pt := range s.pts {
			xs[i], ys[i] = sx.x(pt.Hours), a.y(pt.Value)
			if peak < 0 || pt.Value > s.pts[peak].Value {
				peak = i
			}
		}
		body.open("g")
		body.elem("title", s.Label)
		body.polyline(xs, ys, cls)
		body.close("g")
		fmt.Fprintf(&desc, " %s:", s.Label)
		if peak >= 0 {
			pk := s.pts[peak]
			fmt.Fprintf(&desc, " peaks at %s %s on %s", amount(pk.Value), unit, when(pk.Hours))
			if k == 0 {
				over.text(xs[peak]+6, ys[peak]-6, "lab", fmt.Sprintf("peak %s", amount(pk.Value)))
			}
		}
		// Where the line reaches zero after its peak, the backlog is cleared.
		cleared := false
		for i := max(peak, 0); i < len(s.pts); i++ {
			if s.pts[i].Value == 0 && peak >= 0 && s.pts[peak].Value > 0 {
				body.marker(shp, xs[i], ys[i], 5, markerClass(cls))
				label := s.Label + ": cleared " + when(s.pts[i].Hours)
				row := float64(k % 3)
				lx := math.Min(xs[i]+8, sx.x1-textWidth(label, 11, true))
				over.text(lx, a.y1-10-row*16, "lab", label)
				fmt.Fprintf(&desc, ", cleared %s", when(s.pts[i].Hours))
				cleared = true
				break
			}
		}
		if !cleared && len(s.pts) > 0 {
			last := s.pts[len(s.pts)-1]
			fmt.Fprintf(&desc, ", %s still waiting on %s", amount(last.Value), when(last.Hours))
		}
		desc.WriteString(".")
	}
	if len(counts) > 0 {
		over.open("g")
		over.elem("title", "counted")
		desc.WriteString(" Counted:")
		for i, pt := range counts {
			over.marker(shapeDiamond, sx.x(pt.Hours), a.y(pt.Value), 6, "mk")
			sep := ","
			if i == len(counts)-1 {
				sep = "."
			}
			fmt.Fprintf(&desc, " %s on %s%s", amount(pt.Value), when(pt.Hours), sep)
		}
		over.close("g")
	}
	for _, e := range evs {
		fmt.Fprintf(&desc, " %s: %s.", e.Label, when(e.Hours))
	}
	if len(series) == 0 {
		body.text(sx.x0+10, a.y0+20, "note", "No backlog to show.")
		desc.WriteString(" No backlog to show.")
	}
	H := a.y1 + 24 + margin

	d.begin(W, H, title, desc.String(), lineCSS+".sw{stroke:#333;stroke-width:0.8}\n.down{fill:url(#@-down)}\n")
	d.defs()
	d.b = append(d.b, body.b...)
	d.b = append(d.b, over.b...)
	return d.end(w)
}
