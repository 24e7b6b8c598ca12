package chart

import (
	"math"
	"time"
)

// timeGrid draws a vertical grid line per tick from y0 to y1; ticks at the
// boundary of a larger unit are drawn stronger. When the labelled ticks are
// more than a day apart, faint lines mark each midnight in between, so a
// reader can still count days.
func (d *doc) timeGrid(sx scaleX, start time.Time, ticks []timeTick, y0, y1 float64) {
	if y1 <= y0 {
		return
	}
	if len(ticks) >= 2 && ticks[1].Hours-ticks[0].Hours > 30 && 24*sx.pxPerHour() >= 8 && sx.hi-sx.lo < 24*1500 {
		k := 0
		for _, day := range (timeStep{unitDay, 1}).ticks(start, sx.lo, sx.hi) {
			for k < len(ticks) && ticks[k].Hours < day.Hours-1e-6 {
				k++
			}
			if k < len(ticks) && math.Abs(ticks[k].Hours-day.Hours) < 1e-6 {
				continue // a labelled tick is already there
			}
			x := sx.x(day.Hours)
			d.line(x, y0, x, y1, "gridd")
		}
	}
	for _, t := range ticks {
		x := sx.x(t.Hours)
		cls := "grid"
		if t.Major {
			cls = "gridM"
		}
		d.line(x, y0, x, y1, cls)
	}
}

// timeLabels writes each tick's label just right of its grid line, with
// its baseline at y; a label that would run past the right edge is left
// out rather than drawn over the margin. When there is room before the
// first tick, the axis's own start is labelled too, so a reader always
// knows where the picture begins.
func (d *doc) timeLabels(sx scaleX, ticks []timeTick, y float64, start time.Time) {
	first := sx.x1
	if len(ticks) > 0 {
		first = sx.x(ticks[0].Hours)
	}
	if label := shortDate(at(start, sx.lo)); sx.x0+3+textWidth(label, 11, false)+10 <= first {
		d.text(sx.x0+3, y, "tick", label)
	}
	for _, t := range ticks {
		x := sx.x(t.Hours)
		cls := "tick"
		if t.Major {
			cls = "tickM"
		}
		if x+3+textWidth(t.Label, 11, t.Major) > sx.x1+margin-2 {
			continue
		}
		d.text(x+3, y, cls, t.Label)
	}
}
