package chart

import (
	"strings"
)

// State is where a system stands in the recovery, as the incident tracks
// it. The pictures show it by fill pattern and a text tag, never by colour
// alone. A state not listed here is drawn plain grey with its own name.
type State string

// The states a picture knows how to draw.
const (
	StateRunning       State = "running"       // still up, not contained
	StateIsolated      State = "isolated"      // cut off from the network
	StateInvestigating State = "investigating" // forensic clearance under way
	StateCleared       State = "cleared"       // cleared, restore not started
	StateRestoring     State = "restoring"     // being rebuilt or restored
	StateVerifying     State = "verifying"     // restored, being checked
	StateOnline        State = "online"        // back in service
	StateCompromised   State = "compromised"   // known bad
)

// stateLook is how one state is drawn.
type stateLook struct {
	state State
	tag   string // short tag for compact nodes
	pat   string // pattern id (see patternDefs)
}

// stateLooks is in the order the legend lists them: the life of a system
// through a recovery.
var stateLooks = [...]stateLook{
	{StateCompromised, "BAD", "s-compromised"},
	{StateRunning, "RUN", "s-running"},
	{StateIsolated, "ISO", "s-isolated"},
	{StateInvestigating, "INV", "s-investigating"},
	{StateCleared, "CLR", "s-cleared"},
	{StateRestoring, "RST", "s-restoring"},
	{StateVerifying, "VER", "s-verifying"},
	{StateOnline, "ON", "s-online"},
}

// look returns how st is drawn; unknown states get a plain grey fill and
// their own (shortened) name as the tag.
func look(st State) stateLook {
	for _, l := range stateLooks {
		if l.state == st {
			return l
		}
	}
	tag := []rune(strings.ToUpper(string(st)))
	return stateLook{state: st, tag: string(tag[:min(3, len(tag))]), pat: "s-other"}
}

// patternDefs are the fills every picture may use. Each pairs a light tint
// (for colour screens) with a distinct texture of dark lines or dots (for
// black-and-white print), so no two are told apart by colour alone.
// The ids are prefixed with the document's id when written.
const patternDefs = `<pattern id="@-s-compromised" width="6" height="6" patternUnits="userSpaceOnUse"><rect width="6" height="6" fill="#f7c4bd"/><path d="M0 0L6 6M6 0L0 6" stroke="#a50f15" stroke-width="1.4"/></pattern>
<pattern id="@-s-running" width="8" height="8" patternUnits="userSpaceOnUse"><rect width="8" height="8" fill="#ffffff"/></pattern>
<pattern id="@-s-isolated" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fde3bf"/><path d="M0 0V6" stroke="#b35806" stroke-width="2.2"/></pattern>
<pattern id="@-s-investigating" width="5" height="5" patternUnits="userSpaceOnUse"><rect width="5" height="5" fill="#fff1a6"/><circle cx="2.5" cy="2.5" r="1.3" fill="#6b5300"/></pattern>
<pattern id="@-s-cleared" width="5" height="5" patternUnits="userSpaceOnUse"><rect width="5" height="5" fill="#dbeaf7"/><path d="M0 2.5H5" stroke="#2166ac" stroke-width="1.3"/></pattern>
<pattern id="@-s-restoring" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(-45)"><rect width="6" height="6" fill="#cfe3f1"/><path d="M0 0V6" stroke="#08468a" stroke-width="2.2"/></pattern>
<pattern id="@-s-verifying" width="5" height="5" patternUnits="userSpaceOnUse"><rect width="5" height="5" fill="#e9dcf2"/><path d="M2.5 0V5" stroke="#5e3391" stroke-width="1.3"/></pattern>
<pattern id="@-s-online" width="8" height="8" patternUnits="userSpaceOnUse"><rect width="8" height="8" fill="#2d8a4e"/></pattern>
<pattern id="@-s-other" width="8" height="8" patternUnits="userSpaceOnUse"><rect width="8" height="8" fill="#d9d9d9"/></pattern>
<pattern id="@-clear" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/><path d="M0 0V6" stroke="#6b6b6b" stroke-width="1.6"/></pattern>
<pattern id="@-p95" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="8" height="8" fill="#e4eef8"/><path d="M0 0V8" stroke="#5b84b1" stroke-width="1"/></pattern>
<pattern id="@-p80" width="4" height="4" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="4" height="4" fill="#9fc0e0"/><path d="M0 0V4" stroke="#173f6b" stroke-width="1.4"/></pattern>
<pattern id="@-down" width="10" height="10" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="10" height="10" fill="#f3f3f3"/><path d="M0 0V10" stroke="#c8c8c8" stroke-width="2"/></pattern>
`

// defs writes the pattern block with this document's ids.
func (d *doc) defs() {
	d.raw("<defs>\n")
	d.raw(strings.ReplaceAll(patternDefs, `id="@-`, `id="`+d.id+"-"))
	d.raw("</defs>\n")
}

// baseCSS is shared by every picture. Selectors are scoped to the root id
// by scopeCSS, so two pictures inlined in one web page cannot restyle each
// other or the page; "@" stands for the root id. It must not contain <, >,
// & or quotes.
const baseCSS = `.bg{fill:#fff}
text{fill:#1a1a1a;font-size:12px}
.title{font-size:18px;font-weight:700}
.sub{font-size:12px;fill:#3a3a3a}
.note{font-size:12px;font-style:italic;fill:#222}
.leg{font-size:12px}
.tick{font-size:11px;fill:#333}
.tickM{font-size:11px;fill:#000;font-weight:700}
.ax{stroke:#333;stroke-width:1}
.grid{stroke:#dcdcdc;stroke-width:1}
.gridd{stroke:#efefef;stroke-width:1}
.gridM{stroke:#b0b0b0;stroke-width:1}
.now{stroke:#c00000;stroke-width:2;stroke-dasharray:7 4}
.nowt{font-size:11px;font-weight:700;fill:#c00000;paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
.target{stroke:#000;stroke-width:1.5;stroke-dasharray:2 3}
.targett{font-size:11px;font-weight:700}
.box{fill:none;stroke:#444;stroke-width:1}
.mk{fill:#000;stroke:none}
.mkw{fill:#fff;stroke:#000;stroke-width:1.5}
`

// patternCSS gives each state a class that fills with its pattern.
func patternCSS() string {
	var b strings.Builder
	for _, l := range stateLooks {
		b.WriteString("." + l.pat + "{fill:url(#@-" + l.pat + ")}\n")
	}
	b.WriteString(".s-other{fill:url(#@-s-other)}\n")
	return b.String()
}

// scopeCSS prefixes every selector with #id.
func scopeCSS(id, css string) string {
	var b strings.Builder
	for rule := range strings.SplitSeq(css, "}") {
		rule = strings.TrimSpace(rule)
		if rule == "" {
			continue
		}
		sel, body, ok := strings.Cut(rule, "{")
		if !ok {
			continue
		}
		for i, s := range strings.Split(sel, ",") {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("#" + id + " " + strings.TrimSpace(s))
		}
		b.WriteString("{" + body + "}\n")
	}
	return b.String()
}

// shape is a marker shape; several series in one chart differ by shape and
// line style as well as colour.
type shape int

const (
	shapeCircle shape = iota
	shapeSquare
	shapeTriangle
	shapeDiamond
	shapeCross
)

// marker draws a marker centred on (x, y) with radius r.
func (d *doc) marker(s shape, x, y, r float64, class string) {
	switch s {
	case shapeCircle:
		d.leaf("circle", "cx", num(x), "cy", num(y), "r", num(r), "class", class)
	case shapeSquare:
		d.rect(x-r*0.85, y-r*0.85, r*1.7, r*1.7, class)
	case shapeTriangle:
		d.leaf("path", "d", "M"+num(x)+" "+num(y-r)+"L"+num(x+r)+" "+num(y+r*0.8)+"H"+num(x-r)+"Z", "class", class)
	case shapeDiamond:
		d.leaf("path", "d", "M"+num(x)+" "+num(y-r)+"L"+num(x+r)+" "+num(y)+"L"+num(x)+" "+num(y+r)+"L"+num(x-r)+" "+num(y)+"Z", "class", class)
	case shapeCross:
		d.leaf("path", "d", "M"+num(x-r)+" "+num(y-r)+"L"+num(x+r)+" "+num(y+r)+"M"+num(x+r)+" "+num(y-r)+"L"+num(x-r)+" "+num(y+r), "class", class)
	}
}

// critMark draws the critical-path marker: a solid right-pointing triangle.
func (d *doc) critMark(x, y, r float64) {
	d.leaf("path", "d", "M"+num(x-r*0.8)+" "+num(y-r)+"L"+num(x+r*0.9)+" "+num(y)+"L"+num(x-r*0.8)+" "+num(y+r)+"Z", "class", "mk")
}

// legendItem is one entry of a legend: a swatch drawn in a 24×14 box whose
// top-left corner is (x, y), and a label.
type legendItem struct {
	swatch func(d *doc, x, y float64)
	label  string
}

// legend lays items out left to right from (x, y), wrapping within width,
// and returns the height used.
func (d *doc) legend(x, y, width float64, items []legendItem) float64 {
	const sw, rowH, gap = 24.0, 20.0, 18.0
	cx, cy := x, y
	for _, it := range items {
		label := fit(it.label, width-sw-6, 12, false)
		w := sw + 6 + textWidth(label, 12, false)
		if cx > x && cx+w > x+width {
			cx, cy = x, cy+rowH
		}
		it.swatch(d, cx, cy)
		d.text(cx+sw+6, cy+11, "leg", label)
		cx += w + gap
	}
	if len(items) == 0 {
		return 0
	}
	return cy - y + rowH
}

// stateSwatch is a legend swatch for a state: its pattern and its tag.
func stateSwatch(l stateLook) func(d *doc, x, y float64) {
	return func(d *doc, x, y float64) {
		d.rect(x, y, 24, 14, "sw "+l.pat)
	}
}
