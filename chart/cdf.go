package chart

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// cdfLevels are the probabilities the CDF picture marks with grid lines.
var cdfLevels = [...]float64{0, 0.25, 0.5, 0.8, 0.95, 1}

// curve is one series' cumulative distribution, sorted by hours.
type curve struct {
	pts   []CDFPoint
	exact bool // from the series' CDF, not just its three quantiles
}

// curveOf prepares a series' points: finite, probabilities within 0–1,
// sorted by time. A series without a CDF gets its three quantiles, which
// are exact points of the same curve.
func curveOf(r fanRow) curve {
	if len(r.CDF) == 0 {
		return curve{pts: []CDFPoint{{r.P50, 0.5}, {r.P80, 0.8}, {r.P95, 0.95}}}
	}
	pts := make([]CDFPoint, len(r.CDF))
	for k, pt := range r.CDF {
		pts[k] = CDFPoint{clampH(finite(pt.Hours)), math.Max(0, math.Min(1, finite(pt.P)))}
	}
	slices.SortStableFunc(pts, func(a, b CDFPoint) int { return cmp.Or(cmp.Compare(a.Hours, b.Hours), cmp.Compare(a.P, b.P)) })
	return curve{pts: pts, exact: true}
}

// at is the curve's probability at h by linear interpolation; ok is false
// outside the points.
func (c curve) at(h float64) (float64, bool) {
	if len(c.pts) == 0 || h < c.pts[0].Hours || h > c.pts[len(c.pts)-1].Hours {
		return 0, false
	}
	k, _ := slices.BinarySearchFunc(c.pts, h, func(p CDFPoint, h float64) int { return cmp.Compare(p.Hours, h) })
	if k < len(c.pts) && c.pts[k].Hours == h {
		return c.pts[k].P, true
	}
	a, b := c.pts[k-1], c.pts[k]
	return a.P + (b.P-a.P)*(h-a.Hours)/(b.Hours-a.Hours), true
}

// crossing is when the curve first reaches level p; ok is false if never.
func (c curve) crossing(p float64) (float64, bool) {
	for k, pt := range c.pts {
		if pt.P >= p {
			if k == 0 || pt.P == c.pts[k-1].P {
				return pt.Hours, true
			}
			a := c.pts[k-1]
			return a.Hours + (pt.Hours-a.Hours)*(p-a.P)/(pt.P-a.P), true
		}
	}
	return 0, false
}

// CDF draws the forecast as cumulative curves: for each series, the
// probability (up the side) of being back by each date (along the bottom).
// Series differ by dash pattern and marker shape as well as colour; the
// whole restart is a thick black line. Markers sit where each curve crosses
// 50%, 80% and 95%. A series without a CDF is drawn through its three
// quantiles only, and its legend entry says so. With ByHours, a dotted
// target line and each series' chance of making it.
func CDF(w io.Writer, c FanChart) error {
	d, W, err := newDoc(c.IDPrefix, "pg-cdf", c.Width)
	if err != nil {
		return err
	}
	rows := c.rows()
	lo, hi := c.hourSpan(rows)
	date := dayDate
	if hi-lo < 96 {
		date = shortDate
	}
	when := func(h float64) string { return date(at(c.Start, h)) }
	var byH float64
	if c.ByHours != nil {
		byH = clampH(*c.ByHours)
	}
	target := func() string { return targetDate(at(c.Start, byH), date) }

	title := cmp.Or(c.Title, "Chance of being back, by date")
	curves := make([]curve, len(rows))
	for k, r := range rows {
		curves[k] = curveOf(r)
	}
	// The chance at the target: as given, else read off an exact curve.
	chance := make([]*float64, len(rows))
	for k, r := range rows {
		switch {
		case r.Probability != nil:
			chance[k] = r.Probability
		case c.ByHours != nil && curves[k].exact:
			if p, ok := curves[k].at(byH); ok {
				chance[k] = &p
			}
		}
	}

	var body doc
	body.id = d.id
	y := body.header(W, margin, title, c.Subtitle)
	plotH := math.Min(380, math.Max(200, W*0.4))
	a := plotArea{sx: scaleX{lo, hi, margin + 44, W - margin - 10}, y0: y + 24, y1: y + 18 + plotH, v0: 0, v1: 1}
	body.frame(a, c.Start, cdfLevels[:], func(v float64) string { return pct(v) })
	body.text(margin, a.y0-8, "yl", "chance of being back by then")
	if c.ByHours != nil && byH >= lo && byH <= hi {
		tx := a.sx.x(byH)
		body.line(tx, a.y0-6, tx, a.y1, "target")
		label := "target " + target()
		if tx+4+textWidth(label, 11, true) > a.sx.x1 {
			body.text(tx-4, a.y0-8, "targett", label, "text-anchor", "end")
		} else {
			body.text(tx+4, a.y0-8, "targett", label)
		}
	}
	styles := make([]lineStyle, len(rows))
	for k, r := range rows {
		st := lineStyles[k%len(lineStyles)]
		if r.whole {
			st = lineStyle{"sw0", shapeCircle}
		}
		styles[k] = st
		cv := curves[k]
		xs := make([]float64, len(cv.pts))
		ys := make([]float64, len(cv.pts))
		for i, pt := range cv.pts {
			xs[i], ys[i] = a.sx.x(pt.Hours), a.y(pt.P)
		}
		body.open("g")
		body.elem("title", r.Label)
		body.polyline(xs, ys, st.class)
		for _, lvl := range []float64{0.5, 0.8, 0.95} {
			if h, ok := cv.crossing(lvl); ok {
				body.marker(st.shape, a.sx.x(h), a.y(lvl), 4.5, markerClass(st.class))
			}
		}
		body.close("g")
	}
	y = a.y1 + 30

	// The legend: one line per series, with its dates and its chance.
	for k, r := range rows {
		st := styles[k]
		body.line(margin, y+7, margin+36, y+7, st.class)
		body.marker(st.shape, margin+18, y+7, 4.5, markerClass(st.class))
		text := r.Label + ": " + seriesDates(r, curves[k], when)
		if chance[k] != nil && c.ByHours != nil {
			text += "; " + pct(*chance[k]) + " chance by " + target()
		}
		if !curves[k].exact {
			text += " (only these three points are known)"
		}
		cls := "leg"
		if r.whole {
			cls = "lab"
		}
		body.text(margin+44, y+11, cls, fit(text, W-2*margin-44, 12, r.whole))
		y += 20
	}
	if len(rows) == 0 {
		body.text(margin, y+12, "note", "No forecast to show.")
		y += 20
	}
	H := y + margin

	var desc strings.Builder
	desc.WriteString("Cumulative chart: the chance, from 0 to 100%, of each service being back by each date. ")
	if c.Subtitle != "" {
		desc.WriteString(c.Subtitle + ". ")
	}
	for k, r := range rows {
		fmt.Fprintf(&desc, "%s: %s", r.Label, seriesDates(r, curves[k], when))
		if chance[k] != nil && c.ByHours != nil {
			fmt.Fprintf(&desc, "; %s chance by %s", pct(*chance[k]), target())
		}
		desc.WriteString(". ")
	}
	d.begin(W, H, title, strings.TrimSpace(desc.String()), lineCSS)
	d.b = append(d.b, body.b...)
	return d.end(w)
}

// seriesDates says when a series reaches 50%, 80% and 95%.
func seriesDates(r fanRow, cv curve, when func(float64) string) string {
	var parts []string
	for _, lvl := range []float64{0.5, 0.8, 0.95} {
		if h, ok := cv.crossing(lvl); ok {
			parts = append(parts, pct(lvl)+" by "+when(h))
		}
	}
	if len(parts) == 0 {
		return "no date reaches 50%"
	}
	return strings.Join(parts, ", ")
}
