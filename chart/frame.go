package chart

import (
	"math"
	"strconv"
	"strings"

	"github.com/phasegate/phasegate"
)

// Layout constants shared by the pictures, in pixels (SVG user units).
const (
	margin       = 16.0
	defaultWidth = 1200.0
	minWidth     = 320.0
	maxWidth     = 20000.0
)

// newDoc checks the options every picture shares and starts a document.
func newDoc(idPrefix, defaultID string, width float64) (*doc, float64, error) {
	id := idPrefix
	if id == "" {
		id = defaultID
	}
	if !validID(id) {
		return nil, 0, phasegate.Errorf(phasegate.EINVALID,
			"chart: IDPrefix %q: use a letter followed by letters, digits, '-' or '_' (at most 64), e.g. %q", idPrefix, defaultID)
	}
	w := finite(width)
	switch {
	case w == 0:
		w = defaultWidth
	case w < minWidth:
		w = minWidth
	case w > maxWidth:
		w = maxWidth
	}
	return &doc{id: id, b: make([]byte, 0, 16<<10)}, w, nil
}

// validID reports whether s is safe as an XML id and a CSS selector.
func validID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i, c := range s {
		letter := (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if i == 0 && !letter {
			return false
		}
		if !letter && !(c >= '0' && c <= '9') && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

// header writes the title and the wrapped subtitle lines from y (the top of
// the title) and returns the y below them.
func (d *doc) header(w, y float64, title string, subs ...string) float64 {
	for _, line := range wrap(title, w-2*margin, 18, true) {
		d.text(margin, y+18, "title", line)
		y += 24
	}
	for _, s := range subs {
		if s == "" {
			continue
		}
		for _, line := range wrap(s, w-2*margin, 12, false) {
			d.text(margin, y+14, "sub", line)
			y += 17
		}
	}
	return y + 6
}

// notes writes wrapped italic notes and returns the y below them.
func (d *doc) notes(w, y float64, notes ...string) float64 {
	for _, s := range notes {
		if s == "" {
			continue
		}
		for _, line := range wrap(s, w-2*margin, 12, false) {
			d.text(margin, y+14, "note", line)
			y += 17
		}
	}
	return y
}

// scaleX maps hours to x across [x0, x1] for the hour range [lo, hi].
type scaleX struct{ lo, hi, x0, x1 float64 }

func (s scaleX) x(h float64) float64 {
	h = clampH(h)
	if s.hi <= s.lo {
		return s.x0
	}
	return s.x0 + (h-s.lo)/(s.hi-s.lo)*(s.x1-s.x0)
}

func (s scaleX) pxPerHour() float64 {
	if s.hi <= s.lo {
		return 1
	}
	return (s.x1 - s.x0) / (s.hi - s.lo)
}

// hourRange widens [lo, hi] to include v, ignoring NaN.
func hourRange(lo, hi, v float64) (float64, float64) {
	if math.IsNaN(v) {
		return lo, hi
	}
	v = clampH(v)
	return math.Min(lo, v), math.Max(hi, v)
}

// plural writes "1 system", "3 systems", "1,200 systems".
func plural(n int, one string) string {
	s := formatQty(float64(n)) + " " + one
	switch {
	case n == 1:
	case strings.HasSuffix(one, "y") && !strings.HasSuffix(one, "ay") && !strings.HasSuffix(one, "ey"):
		s = s[:len(s)-1] + "ies"
	default:
		s += "s"
	}
	return s
}

// pct writes a probability as a whole percentage, clamped to 0–100.
func pct(p float64) string {
	p = math.Max(0, math.Min(1, finite(p)))
	return strconv.Itoa(int(math.Round(p*100))) + "%"
}
