package chart

import (
	"strings"
	"time"
)

// lineStyle is how one series is drawn: several series in one chart differ
// by dash pattern and marker shape, so they stay apart in black and white.
type lineStyle struct {
	class string // CSS class with stroke colour, width and dashes
	shape shape
}

// lineStyles cycle over the series of a chart.
var lineStyles = [...]lineStyle{
	{"s0", shapeCircle},
	{"s1", shapeSquare},
	{"s2", shapeTriangle},
	{"s3", shapeDiamond},
	{"s4", shapeCross},
}

// lineCSS styles lineStyles and the "whole" series; the marker classes
// (m0…) fill markers in the line's colour.
const lineCSS = `.s0{fill:none;stroke:#1f4e79;stroke-width:2.2}
.s1{fill:none;stroke:#b35806;stroke-width:2.2;stroke-dasharray:9 4}
.s2{fill:none;stroke:#2d7a46;stroke-width:2.2;stroke-dasharray:2 3}
.s3{fill:none;stroke:#6a3d9a;stroke-width:2.2;stroke-dasharray:10 3 2 3}
.s4{fill:none;stroke:#a50f15;stroke-width:1.6;stroke-dasharray:16 4}
.sw0{fill:none;stroke:#000;stroke-width:3.2}
.m0{fill:#1f4e79;stroke:#fff;stroke-width:1}
.m1{fill:#b35806;stroke:#fff;stroke-width:1}
.m2{fill:#2d7a46;stroke:#fff;stroke-width:1}
.m3{fill:#6a3d9a;stroke:#fff;stroke-width:1}
.m4{fill:none;stroke:#a50f15;stroke-width:2}
.mw0{fill:#000;stroke:#fff;stroke-width:1}
.yl{font-size:11px;fill:#333}
.lab{font-size:11px;font-weight:700;paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
.ev{stroke:#000;stroke-width:1.2;stroke-dasharray:1 3}
.evt{font-size:11px;paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
`

// markerClass is the marker class of a line class: s1 → m1, sw0 → mw0.
func markerClass(line string) string { return "m" + strings.TrimPrefix(line, "s") }

// plotArea is a rectangle with a time axis along the bottom and a value
// axis up the left.
type plotArea struct {
	sx     scaleX
	y0, y1 float64 // top and bottom in pixels
	v0, v1 float64 // values at bottom and top
}

func (a plotArea) y(v float64) float64 {
	v = finite(v)
	if a.v1 <= a.v0 {
		return a.y1
	}
	v = max(a.v0-(a.v1-a.v0), min(a.v1+(a.v1-a.v0), v)) // keep wild values near the plot
	return a.y1 - (v-a.v0)/(a.v1-a.v0)*(a.y1-a.y0)
}

// frame draws the grid, both axes and their labels; yLabel formats a value
// tick. Time labels go under the plot.
func (d *doc) frame(a plotArea, start time.Time, yTicks []float64, yLabel func(float64) string) {
	ticks := timeTicks(start, a.sx.lo, a.sx.hi, a.sx.pxPerHour(), 11)
	d.timeGrid(a.sx, start, ticks, a.y0, a.y1)
	for _, v := range yTicks {
		y := a.y(v)
		d.line(a.sx.x0, y, a.sx.x1, y, "grid")
		d.text(a.sx.x0-6, y+4, "yl", yLabel(v), "text-anchor", "end")
	}
	d.line(a.sx.x0, a.y1, a.sx.x1, a.y1, "ax")
	d.line(a.sx.x0, a.y0, a.sx.x0, a.y1, "ax")
	d.timeLabels(a.sx, ticks, a.y1+15, start)
}

// polyline draws a series through points already in pixels.
func (d *doc) polyline(xs, ys []float64, class string) {
	if len(xs) == 0 {
		return
	}
	var b strings.Builder
	for k := range xs {
		if k > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(num(xs[k]))
		b.WriteByte(',')
		b.WriteString(num(ys[k]))
	}
	d.leaf("polyline", "points", b.String(), "class", class)
}

// placeLabels stacks labels into rows so none overlaps another: each goes
// into the first row where it fits after the last label there. It returns
// each label's row and the number of rows.
func placeLabels(xs, widths []float64) ([]int, int) {
	var ends []float64
	rows := make([]int, len(xs))
	for k := range xs {
		r := 0
		for r < len(ends) && xs[k] < ends[r]+8 {
			r++
		}
		if r == len(ends) {
			ends = append(ends, 0)
		}
		ends[r] = xs[k] + widths[k]
		rows[k] = r
	}
	return rows, len(ends)
}
