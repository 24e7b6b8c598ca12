package chart

import "time"

// timeGrid draws a vertical grid line per tick from y0 to y1; ticks at the
// boundary of a larger unit are drawn stronger.
func (d *doc) timeGrid(sx scaleX, ticks []timeTick, y0, y1 float64) {
	if y1 <= y0 {
		return
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
