package chart

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// doc builds one SVG document in memory and writes it out at the end, so a
// picture is either written whole or not at all, and every element goes
// through the same escaping.
type doc struct {
	b  []byte
	id string // the root element's id; prefixes every other id and scopes the CSS
}

// num formats a coordinate: one decimal place is finer than any screen or
// printer needs and keeps big pictures small. NaN and ±Inf become 0 so a bad
// number can never make the document invalid.
func num(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "0"
	}
	f = math.Round(f*10) / 10
	if f == 0 { // also turns -0 into 0
		return "0"
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// appendEscaped appends s with the five XML specials escaped. Characters XML
// 1.0 forbids (most control characters, invalid UTF-8, U+FFFE, U+FFFF)
// become U+FFFD, so whatever a user typed into a name stays well-formed.
func appendEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c == '&':
				b = append(b, "&amp;"...)
			case c == '<':
				b = append(b, "&lt;"...)
			case c == '>':
				b = append(b, "&gt;"...)
			case c == '"':
				b = append(b, "&quot;"...)
			case c == '\'':
				b = append(b, "&apos;"...)
			case c == '\t' || c == '\n' || c == '\r' || c >= 0x20:
				b = append(b, c)
			default:
				b = append(b, "\uFFFD"...)
			}
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || r == 0xFFFE || r == 0xFFFF || (r >= 0x80 && r <= 0x9F) {
			b = append(b, "\uFFFD"...)
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return b
}

// attrs appends ` k="v"` pairs; values are escaped.
func (d *doc) attrs(kv []string) {
	for i := 0; i+1 < len(kv); i += 2 {
		d.b = append(d.b, ' ')
		d.b = append(d.b, kv[i]...)
		d.b = append(d.b, '=', '"')
		d.b = appendEscaped(d.b, kv[i+1])
		d.b = append(d.b, '"')
	}
}

// open starts an element: open("g", "class", "x").
func (d *doc) open(name string, kv ...string) {
	d.b = append(d.b, '<')
	d.b = append(d.b, name...)
	d.attrs(kv)
	d.b = append(d.b, '>')
}

// close ends an element opened with open.
func (d *doc) close(name string) {
	d.b = append(d.b, "</"...)
	d.b = append(d.b, name...)
	d.b = append(d.b, ">\n"...)
}

// leaf writes an element with no content: <rect .../>.
func (d *doc) leaf(name string, kv ...string) {
	d.b = append(d.b, '<')
	d.b = append(d.b, name...)
	d.attrs(kv)
	d.b = append(d.b, "/>\n"...)
}

// elem writes an element whose content is escaped text.
func (d *doc) elem(name, text string, kv ...string) {
	d.open(name, kv...)
	d.b = appendEscaped(d.b, text)
	d.close(name)
}

// raw appends markup the package wrote itself (never user text).
func (d *doc) raw(s string) { d.b = append(d.b, s...) }

// text writes a <text> element at (x, y) with a class.
func (d *doc) text(x, y float64, class, s string, kv ...string) {
	d.elem("text", s, append([]string{"x", num(x), "y", num(y), "class", class}, kv...)...)
}

// rect writes a rectangle; negative sizes are clamped to zero.
func (d *doc) rect(x, y, w, h float64, class string, kv ...string) {
	d.leaf("rect", append([]string{"x", num(x), "y", num(y), "width", num(max(w, 0)), "height", num(max(h, 0)), "class", class}, kv...)...)
}

// line writes a straight line.
func (d *doc) line(x1, y1, x2, y2 float64, class string, kv ...string) {
	d.leaf("line", append([]string{"x1", num(x1), "y1", num(y1), "x2", num(x2), "y2", num(y2), "class", class}, kv...)...)
}

// begin writes the root element, the title and the description (the
// accessible name and summary screen readers announce), and the styles.
func (d *doc) begin(w, h float64, title, desc, css string) {
	d.b = append(d.b, `<svg xmlns="http://www.w3.org/2000/svg" version="1.1"`...)
	d.attrs([]string{
		"id", d.id,
		"role", "img",
		"aria-labelledby", d.id + "-title " + d.id + "-desc",
		"viewBox", "0 0 " + num(w) + " " + num(h),
		"width", num(w), "height", num(h),
		"font-family", fontStack,
	})
	d.b = append(d.b, ">\n"...)
	d.elem("title", title, "id", d.id+"-title")
	d.elem("desc", desc, "id", d.id+"-desc")
	d.open("style")
	// "@" in the CSS stands for the root id, so fills can name this
	// document's own patterns.
	d.b = appendEscaped(d.b, strings.ReplaceAll(scopeCSS(d.id, baseCSS+patternCSS()+css), "@", d.id))
	d.close("style")
	// A white page, so the picture reads the same on a dark web page and on paper.
	d.rect(0, 0, w, h, "bg")
}

// end closes the root and writes the whole document to w.
func (d *doc) end(w io.Writer) error {
	d.b = append(d.b, "</svg>\n"...)
	if _, err := w.Write(d.b); err != nil {
		return fmt.Errorf("chart: writing the SVG: %w", err)
	}
	return nil
}
