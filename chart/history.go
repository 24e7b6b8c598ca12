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

// ETAHistoryChart is how one date moved over an incident: when a business
// service (or the whole restart) was expected back, each time the plan
// was recomputed. Both axes are times: when the date was recorded along
// the bottom, the date itself up the side, so a line going up is a date
// slipping later.
type ETAHistoryChart struct {
	// Title heads the picture; empty gives "When it is expected back".
	Title    string
	Subtitle string
	// Start is the origin of every hour figure (the incident's start):
	// the time axis begins there.
	Start time.Time
	// Steps are the recorded dates, in any order.
	Steps []ETAStep
	// Now, when set, draws a dashed "now" line and holds the last date
	// until it.
	Now *time.Time
	// Width in pixels; zero gives 600 (pictures of this kind are shown
	// several to a page).
	Width float64
	// IDPrefix prefixes every id in the SVG; give each picture on one web
	// page its own. Empty gives "pg-eta".
	IDPrefix string
}

// ETAStep is one recorded date: at At (hours from Start) the plan said
// back at ETA (hours from Start). An ETA at or before At means back.
type ETAStep struct {
	At  float64
	ETA float64
}

// historyPoints is the most points a step line is drawn through per pixel
// column: the first, lowest, highest and last date recorded in it. A
// history of thousands of changes stays a picture of the same size.
const historyPoints = 4

// ETAHistory draws a step line of the date over time: flat while the date
// held, a vertical jump where the plan moved it. The first date is marked
// as a dotted reference line, the latest is labelled at the right, a date
// that means back is marked as such, and the description says in words
// how far the date moved and how often.
func ETAHistory(w io.Writer, c ETAHistoryChart) error {
	d, W, err := newDoc(c.IDPrefix, "pg-eta", cmp.Or(c.Width, 600))
	if err != nil {
		return err
	}
	steps := make([]ETAStep, len(c.Steps))
	for i, s := range c.Steps {
		steps[i] = ETAStep{clampH(finite(s.At)), clampH(finite(s.ETA))}
	}
	slices.SortStableFunc(steps, func(a, b ETAStep) int { return cmp.Compare(a.At, b.At) })

	lo, hi := 0.0, 0.0
	vlo, vhi := math.Inf(1), math.Inf(-1)
	for _, s := range steps {
		lo, hi = hourRange(lo, hi, s.At)
		vlo, vhi = math.Min(vlo, s.ETA), math.Max(vhi, s.ETA)
	}
	nowH := math.NaN()
	if c.Now != nil {
		nowH = clampH(c.Now.Sub(c.Start).Hours())
		lo, hi = hourRange(lo, hi, nowH)
	}
	if hi-lo < 1 {
		hi = lo + 1
	}
	if len(steps) == 0 {
		vlo, vhi = lo, hi
	}
	pad := math.Max((vhi-vlo)*0.08, 1)
	vlo, vhi = vlo-pad, vhi+pad
	when := func(h float64) string { return shortDate(at(c.Start, h)) }

	title := cmp.Or(c.Title, "When it is expected back")
	var body, over doc
	body.id, over.id = d.id, d.id
	y := body.header(W, margin, title, c.Subtitle)
	items := []legendItem{{func(d *doc, x, y float64) {
		d.polyline([]float64{x, x + 10, x + 10, x + 24}, []float64{y + 11, y + 11, y + 3, y + 3}, "s0")
	}, "date expected back"}}
	if len(steps) > 0 {
		items = append(items, legendItem{func(d *doc, x, y float64) { d.line(x, y+7, x+24, y+7, "ref") }, "first date"})
	}
	if !math.IsNaN(nowH) {
		items = append(items, legendItem{func(d *doc, x, y float64) { d.line(x+12, y-1, x+12, y+15, "now") }, "now"})
	}
	y += body.legend(margin, y, W-2*margin, items) + 8

	plotH := math.Min(260, math.Max(150, W*0.3))
	yt := dateTicks(c.Start, vlo, vhi, plotH/(vhi-vlo), 18)
	yLabels := make([]string, len(yt))
	yLabW := 0.0
	for k, t := range yt {
		yLabels[k] = t.Label
		if k == 0 || t.Major {
			yLabels[k] = shortDate(at(c.Start, t.Hours))
		}
		yLabW = max(yLabW, textWidth(yLabels[k], 11, false))
	}
	sx := scaleX{lo, hi + (hi-lo)*0.02, margin + yLabW + 12, W - margin - 10}
	a := plotArea{sx: sx, y0: y + 4, y1: y + 4 + plotH, v0: vlo, v1: vhi}
	body.frame(a, c.Start, nil, nil)
	for k, t := range yt {
		yy := a.y(t.Hours)
		body.line(sx.x0, yy, sx.x1, yy, "grid")
		body.text(sx.x0-6, yy+4, "yl", yLabels[k], "text-anchor", "end")
	}

	var desc strings.Builder
	fmt.Fprintf(&desc, "%s: a step chart of the date expected back, as each recomputed plan said it.", title)
	if c.Subtitle != "" {
		desc.WriteString(" " + c.Subtitle + ".")
	}
	if len(steps) == 0 {
		body.text(sx.x0+10, a.y0+20, "note", "No date recorded yet.")
		desc.WriteString(" No date recorded yet.")
	} else {
		end := sx.hi
		if !math.IsNaN(nowH) {
			end = nowH
		}
		xs, ys := stepLine(sx, a, steps, end)
		body.polyline(xs, ys, "s0")
		first, last := steps[0], steps[len(steps)-1]
		fy := a.y(first.ETA)
		body.line(sx.x0, fy, sx.x1, fy, "ref")
		over.text(sx.x0+4, fy-4, "evt", fit("first: "+when(first.ETA), (sx.x1-sx.x0)/2, 11, false))
		lx, ly := sx.x(last.At), a.y(last.ETA)
		if len(steps) <= 60 {
			for _, s := range steps {
				body.marker(shapeCircle, sx.x(s.At), a.y(s.ETA), 3, "m0")
			}
		}
		body.marker(shapeCircle, lx, ly, 5, "m0")
		label := "latest: " + when(last.ETA)
		if last.ETA <= last.At {
			label = "back " + when(last.ETA)
		}
		label = fit(label, sx.x1-sx.x0, 11, true)
		ty := ly - 8
		if ty < a.y0+12 {
			ty = ly + 17
		}
		over.text(math.Max(sx.x0+4, math.Min(lx+8, sx.x1-textWidth(label, 11, true)-4)), ty, "lab", label)

		later, earlier := 0, 0
		for i := 1; i < len(steps); i++ {
			switch {
			case steps[i].ETA > steps[i-1].ETA:
				later++
			case steps[i].ETA < steps[i-1].ETA:
				earlier++
			}
		}
		fmt.Fprintf(&desc, " First recorded %s: back %s.", when(first.At), when(first.ETA))
		if len(steps) > 1 {
			fmt.Fprintf(&desc, " It moved %s (%s later, %s earlier); last on %s, to %s: %s than first said.",
				plural(len(steps)-1, "time"), formatQty(float64(later)), formatQty(float64(earlier)), when(last.At), when(last.ETA), movedBy(last.ETA-first.ETA))
		}
		if last.ETA <= last.At {
			desc.WriteString(" It is back.")
		}
	}
	if !math.IsNaN(nowH) {
		x := sx.x(nowH)
		body.line(x, a.y0, x, a.y1, "now")
	}
	H := a.y1 + 24 + margin

	d.begin(W, H, title, desc.String(), lineCSS+".ref{stroke:#555;stroke-width:1.2;stroke-dasharray:2 3}\n")
	d.b = append(d.b, body.b...)
	d.b = append(d.b, over.b...)
	return d.end(w)
}

// stepLine turns steps (sorted by At) into the pixels of a step line held
// until end: at most historyPoints points per pixel column.
func stepLine(sx scaleX, a plotArea, steps []ETAStep, end float64) (xs, ys []float64) {
	add := func(x, y float64) {
		if n := len(xs); n > 0 && xs[n-1] == x && ys[n-1] == y {
			return
		}
		xs, ys = append(xs, x), append(ys, y)
	}
	for i := 0; i < len(steps); {
		col := math.Round(sx.x(steps[i].At))
		j := i
		lowest, highest := steps[i].ETA, steps[i].ETA
		for j+1 < len(steps) && math.Round(sx.x(steps[j+1].At)) == col {
			j++
			lowest, highest = math.Min(lowest, steps[j].ETA), math.Max(highest, steps[j].ETA)
		}
		x := sx.x(steps[i].At)
		if len(ys) > 0 {
			add(x, ys[len(ys)-1]) // the previous date held until now
		}
		for _, v := range [historyPoints]float64{steps[i].ETA, lowest, highest, steps[j].ETA} {
			add(x, a.y(v))
		}
		i = j + 1
	}
	if last := sx.x(end); len(xs) > 0 && last > xs[len(xs)-1] {
		add(last, ys[len(ys)-1])
	}
	return xs, ys
}

// movedBy says how far a date moved: "2 days later", "5 h earlier", "no
// later".
func movedBy(h float64) string {
	switch {
	case math.Abs(h) < 1.0/60:
		return "no later"
	case h > 0:
		return duration(h) + " later"
	}
	return duration(-h) + " earlier"
}
