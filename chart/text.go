package chart

import "strings"

// fontStack lists system fonts only: the pictures are drawn offline, in a
// crisis room whose network may be down, so nothing is ever fetched.
const fontStack = "system-ui, -apple-system, Segoe UI, Roboto, Helvetica Neue, Arial, Liberation Sans, DejaVu Sans, sans-serif"

// advance holds the advance widths of printable ASCII (0x20..0x7E) in a
// Helvetica-like sans serif, in thousandths of an em. The font a reader's
// system picks may be wider: widthSlack (and 1.14 more for bold) makes the
// estimate cover DejaVu Sans, the widest common system font, as measured
// in Chromium.
var advance = [95]uint16{
	278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // space .. /
	556, 556, 556, 556, 556, 556, 556, 556, 556, 556, // 0..9
	278, 278, 584, 584, 584, 556, 1015, // : ; < = > ? @
	667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, // A..M
	722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, // N..Z
	278, 278, 278, 469, 556, 333, // [ \ ] ^ _ `
	556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, // a..m
	556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, // n..z
	334, 260, 334, 584, // { | } ~
}

// widthSlack covers the spread between the fonts a system may pick.
const widthSlack = 1.16

// textWidth estimates how wide s is, in pixels, at the given font size.
// It errs on the wide side so labels are cut before they overlap.
func textWidth(s string, size float64, bold bool) float64 {
	var em float64
	for _, r := range s {
		switch {
		case r >= 0x20 && r <= 0x7E:
			em += float64(advance[r-0x20]) / 1000
		case r >= 0x1100 && isWide(r):
			em += 1
		default:
			em += 0.6
		}
	}
	w := em * size * widthSlack
	if bold {
		w *= 1.14
	}
	return w
}

// isWide reports runes drawn about one em wide: CJK, Hangul, full-width forms.
func isWide(r rune) bool {
	return (r >= 0x1100 && r <= 0x115F) || (r >= 0x2E80 && r <= 0xA4CF) ||
		(r >= 0xAC00 && r <= 0xD7A3) || (r >= 0xF900 && r <= 0xFAFF) ||
		(r >= 0xFF00 && r <= 0xFF60) || (r >= 0xFFE0 && r <= 0xFFE6)
}

// fit shortens s with an ellipsis so it is at most width pixels wide.
func fit(s string, width, size float64, bold bool) string {
	if textWidth(s, size, bold) <= width {
		return s
	}
	ell := textWidth("…", size, bold)
	if width < ell {
		return ""
	}
	var b strings.Builder
	used := ell
	for _, r := range s {
		rw := textWidth(string(r), size, bold)
		if used+rw > width {
			break
		}
		used += rw
		b.WriteRune(r)
	}
	return strings.TrimRight(b.String(), " ") + "…"
}

// wrap breaks s into lines no wider than width, at spaces; a word wider
// than a line is cut with fit.
func wrap(s string, width, size float64, bold bool) []string {
	var lines []string
	cur := ""
	for _, word := range strings.Fields(s) {
		try := word
		if cur != "" {
			try = cur + " " + word
		}
		if textWidth(try, size, bold) <= width {
			cur = try
			continue
		}
		if cur != "" {
			lines = append(lines, cur)
		}
		cur = fit(word, width, size, bold)
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}
