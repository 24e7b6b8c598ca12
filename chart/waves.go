package chart

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/planner"
)

// WavesOptions steer Waves. The zero value draws every system, 1200
// pixels wide at least.
type WavesOptions struct {
	// Title heads the picture; empty gives "Restart waves".
	Title string
	// Width in pixels; zero gives 1200. Many waves widen the picture so
	// each column stays readable.
	Width float64
	// Filter selects the systems shown.
	Filter Filter
	// States, keyed by system id, fills each node with its state's pattern
	// and writes the state under its name.
	States map[string]State
	// MaxNodes is the most systems drawn with every dependency; above it
	// the picture switches to a compact form (smaller nodes, only the
	// critical path's dependencies drawn) and says so. Zero gives 300.
	MaxNodes int
	// IDPrefix prefixes every id in the SVG; give each picture on one web
	// page its own. Empty gives "pg-waves".
	IDPrefix string
}

const wavesCSS = `.col{font-size:12px;font-weight:700}
.colc{font-size:11px;fill:#444}
.n{fill:#fff;stroke:#555;stroke-width:1}
.nk{fill:#fff;stroke:#000;stroke-width:3}
.sw{stroke:#333;stroke-width:0.6}
.nl{font-size:11px}
.nlk{font-size:11px;font-weight:700}
.ns{font-size:10px;fill:#333}
.cl{font-size:9px}
.clk{font-size:9px;font-weight:700}
.tg{font-size:7px;font-weight:700;fill:#000;paint-order:stroke;stroke:#fff;stroke-width:2px}
.e{fill:none;stroke:#8c8c8c;stroke-width:1;marker-end:url(#@-arrow)}
.ek{fill:none;stroke:#000;stroke-width:2.5;marker-end:url(#@-arrow)}
.hid{font-size:9px;fill:#555}
`

// wavesLayout is where every shown system goes.
type wavesLayout struct {
	cols  []int   // wave number of each column
	nodes [][]int // per column, system indexes top to bottom
}

// Waves draws the estate as columns of waves, left to right in the order
// they can come back: each system a node showing its state (pattern and
// word), each dependency an edge from what is needed to what needs it, the
// critical path with thick outlines and edges. Nodes in a wave are ordered
// to reduce edge crossings (barycentre heuristic). Above MaxNodes systems it
// draws a compact form with only the critical path's edges, and says so.
func Waves(w io.Writer, p *planner.Plan, o WavesOptions) error {
	if p == nil {
		return phasegate.Errorf(phasegate.EINVALID, "chart: waves: no plan given")
	}
	if o.MaxNodes < 0 {
		return phasegate.Errorf(phasegate.EINVALID, "chart: waves: MaxNodes %d: give 0 for the default (300) or a positive number", o.MaxNodes)
	}
	d, W, err := newDoc(o.IDPrefix, "pg-waves", o.Width)
	if err != nil {
		return err
	}
	sel, err := o.Filter.Select(p)
	if err != nil {
		return err
	}
	maxNodes := cmp.Or(o.MaxNodes, 300)
	compact := len(sel) > maxNodes

	idx := indexByID(p)
	shown := make([]bool, len(p.Systems))
	for _, i := range sel {
		shown[i] = true
	}
	crit := critIDs(p)
	onPath := make([]bool, len(p.Systems))
	critEdge := map[[2]int]bool{}
	for k, id := range crit {
		if i, ok := idx[id]; ok {
			onPath[i] = true
			if k > 0 {
				if j, ok := idx[crit[k-1]]; ok {
					critEdge[[2]int{j, i}] = true
				}
			}
		}
	}
	for i := range p.Systems {
		onPath[i] = onPath[i] || p.Systems[i].Critical
	}
	// Edges among the shown systems: from what is required to what
	// requires it. hidden counts requirements the filter left out.
	in := make([][]int, len(p.Systems))
	out := make([][]int, len(p.Systems))
	hidden := make([]int, len(p.Systems))
	edges := 0
	for _, i := range sel {
		for _, r := range p.Systems[i].Requires {
			j, ok := idx[r]
			switch {
			case !ok || j == i:
			case shown[j]:
				in[i] = append(in[i], j)
				out[j] = append(out[j], i)
				edges++
			default:
				hidden[i]++
			}
		}
	}
	lay := layoutWaves(p, sel, in, out)

	// Geometry.
	nodeW, nodeH, gapY := 170.0, 34.0, 8.0
	if compact {
		nodeW, nodeH, gapY = 130, 14, 2
	}
	ncol := len(lay.cols)
	colW := nodeW + 50
	if ncol > 0 {
		colW = math.Max(colW, (W-2*margin)/float64(ncol))
	}
	nodeW = math.Min(colW-40, math.Max(nodeW, colW*0.7))
	W = math.Max(W, 2*margin+float64(ncol)*colW)

	title := cmp.Or(o.Title, "Restart waves")
	sub := fmt.Sprintf("Left to right in the order systems can come back: each wave needs only the waves before it. %s in %s, %s.",
		plural(len(p.Systems), "system"), plural(len(p.Waves), "wave"), plural(countDeps(p, idx), "dependency"))
	var showing string
	if !o.Filter.IsZero() {
		showing = fmt.Sprintf("Showing %d of %s: %s.", len(sel), plural(len(p.Systems), "system"), o.Filter)
	}
	var compactNote string
	if compact {
		compactNote = fmt.Sprintf("Compact view: %s and %s are too many to draw one by one, so only the critical path's dependencies are drawn; each column says how many links it has. Filter by team, kind, service or search (to at most %d systems) to see every dependency.",
			plural(len(sel), "system"), plural(edges, "dependency"), maxNodes)
	}

	var body doc
	body.id = d.id
	y := body.header(W, margin, title, sub, showing)
	items := []legendItem{
		{func(d *doc, x, y float64) { d.rect(x+1, y+1, 22, 12, "n") }, "system"},
		{func(d *doc, x, y float64) {
			d.leaf("path", "d", "M"+num(x)+" "+num(y+7)+"H"+num(x+24), "class", "e")
		}, "is needed by"},
		{func(d *doc, x, y float64) {
			d.rect(x+2, y+2, 20, 10, "nk")
			d.critMark(x+3, y+7, 4)
		}, "critical path: decides the end date"},
	}
	if !compact && slices.ContainsFunc(hidden, func(n int) bool { return n > 0 }) {
		items = append(items, legendItem{func(d *doc, x, y float64) { d.text(x+4, y+11, "hid", "+2") }, "needs 2 systems not shown"})
	}
	present := map[State]bool{}
	for _, i := range sel {
		if st, ok := o.States[p.Systems[i].ID]; ok {
			present[st] = true
		}
	}
	for _, l := range looksOf(present) {
		label := string(l.state)
		if compact {
			label += " (" + l.tag + ")"
		}
		items = append(items, legendItem{stateSwatch(l), label})
	}
	y += body.legend(margin, y, W-2*margin, items) + 4
	y = body.notes(W, y, compactNote)
	y += 8

	// Column headings.
	colX := func(c int) float64 { return margin + float64(c)*colW + (colW-nodeW)/2 }
	for c, wave := range lay.cols {
		x := colX(c)
		body.text(x, y+13, "col", fmt.Sprintf("Wave %d", wave))
		links := 0
		for _, i := range lay.nodes[c] {
			links += len(in[i])
		}
		info := plural(len(lay.nodes[c]), "system")
		if compact {
			info += ", " + plural(links, "link") + " in"
		}
		body.text(x, y+27, "colc", fit(info, nodeW, 11, false))
	}
	y += 36
	top := y

	// Node positions.
	px := make(map[int]float64, len(sel))
	py := make(map[int]float64, len(sel))
	bottom := top
	for c, col := range lay.nodes {
		for k, i := range col {
			px[i] = colX(c)
			py[i] = top + float64(k)*(nodeH+gapY)
			bottom = math.Max(bottom, py[i]+nodeH)
		}
	}
	if len(sel) == 0 {
		msg := "The plan has no systems."
		if len(p.Systems) > 0 {
			msg = "No systems match the filter (" + o.Filter.String() + ")."
		}
		body.text(margin, y+16, "note", msg)
		bottom = y + 24
	}

	// Edges first, so nodes draw over their ends.
	var edgeBuf doc
	edgeBuf.id = d.id
	for _, c := range lay.nodes {
		for _, i := range c {
			for _, j := range in[i] {
				k := critEdge[[2]int{j, i}]
				if compact && !k {
					continue
				}
				x1, y1 := px[j]+nodeW, py[j]+nodeH/2
				x2, y2 := px[i]-4, py[i]+nodeH/2
				mx := (x1 + x2) / 2
				if x2 < x1 { // same column or backwards: loop out to the right
					mx = math.Max(x1, x2) + 30
				}
				cls := "e"
				if k {
					cls = "ek"
				}
				edgeBuf.leaf("path", "d", "M"+num(x1)+" "+num(y1)+"C"+num(mx)+" "+num(y1)+" "+num(mx)+" "+num(y2)+" "+num(x2)+" "+num(y2),
					"class", cls)
			}
		}
	}
	body.b = append(body.b, edgeBuf.b...)
	for _, col := range lay.nodes {
		for _, i := range col {
			wavesNode(&body, p, i, px[i], py[i], nodeW, nodeH, compact, onPath[i], hidden[i], o.States)
		}
	}
	H := bottom + margin

	desc := wavesDesc(p, sel, lay, edges, showing, compactNote, o.States)
	d.begin(W, H, title, desc, wavesCSS)
	d.raw("<defs>\n")
	d.raw(`<marker id="` + d.id + `-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" markerUnits="userSpaceOnUse" orient="auto"><path d="M0 0L10 5L0 10Z" fill="#444"/></marker>` + "\n")
	d.raw("</defs>\n")
	d.defs()
	d.b = append(d.b, body.b...)
	return d.end(w)
}

// wavesNode draws one system: a box with its state's pattern in a strip on
// the left, its name, and its state (or team) under the name.
func wavesNode(d *doc, p *planner.Plan, i int, x, y, w, h float64, compact, critical bool, hidden int, states map[string]State) {
	s := &p.Systems[i]
	d.open("g")
	d.elem("title", sysTip(s, p.Start, states, critical))
	cls := "n"
	if critical {
		cls = "nk"
	}
	d.rect(x, y, w, h, cls)
	st, hasState := states[s.ID]
	l := look(st)
	strip := 14.0
	if compact {
		strip = 18
	}
	if hasState {
		d.rect(x, y, strip, h, "sw "+l.pat)
	}
	tx := x + strip + 4
	if critical {
		d.critMark(tx+3, y+h/2, math.Min(4, h/3))
		tx += 10
	}
	if compact {
		if hasState {
			d.text(x+strip/2, y+h/2+2.5, "tg", l.tag, "text-anchor", "middle")
		}
		lc := "cl"
		if critical {
			lc = "clk"
		}
		d.text(tx, y+h/2+3.2, lc, fit(sysLabel(s), x+w-tx-3, 9, critical))
	} else {
		lc := "nl"
		if critical {
			lc = "nlk"
		}
		d.text(tx, y+14, lc, fit(sysLabel(s), x+w-tx-4, 11, critical))
		second := "team " + s.Team
		if hasState {
			second = string(st) + " · " + second
		}
		d.text(tx, y+27, "ns", fit(second, x+w-tx-4, 10, false))
	}
	if hidden > 0 && !compact {
		d.text(x-4, y+h-3, "hid", fmt.Sprintf("+%d", hidden), "text-anchor", "end")
	}
	d.close("g")
}

// layoutWaves puts the selected systems into wave columns and orders each
// column to reduce crossings: start grouped by team, then alternate sweeps
// left to right (order by the mean position of what a node needs) and right
// to left (by the mean position of what needs it), keeping the order with
// the fewest crossings between neighbouring columns. Each sweep is linear in
// nodes plus edges, plus a sort per column.
func layoutWaves(p *planner.Plan, sel []int, in, out [][]int) wavesLayout {
	byWave := map[int][]int{}
	for _, i := range sel {
		byWave[p.Systems[i].Wave] = append(byWave[p.Systems[i].Wave], i)
	}
	var lay wavesLayout
	for wave := range byWave {
		lay.cols = append(lay.cols, wave)
	}
	slices.Sort(lay.cols)
	for _, wave := range lay.cols {
		col := byWave[wave]
		slices.SortStableFunc(col, func(a, b int) int {
			sa, sb := &p.Systems[a], &p.Systems[b]
			return cmp.Or(strings.Compare(sa.Team, sb.Team), strings.Compare(sa.ID, sb.ID))
		})
		lay.nodes = append(lay.nodes, col)
	}
	// Indexed by system; colOf is -1 for systems not shown.
	pos := make([]float64, len(p.Systems))
	colOf := make([]int, len(p.Systems))
	for i := range colOf {
		colOf[i] = -1
	}
	for c, col := range lay.nodes {
		for k, i := range col {
			pos[i], colOf[i] = float64(k), c
		}
	}
	best := cloneCols(lay.nodes)
	bestX := crossings(lay.nodes, in, colOf)
	key := make([]float64, len(p.Systems))
	sweep := func(c int, nb [][]int) {
		col := lay.nodes[c]
		for _, i := range col {
			sum, n := 0.0, 0
			for _, j := range nb[i] {
				if colOf[j] >= 0 {
					sum += pos[j]
					n++
				}
			}
			if n > 0 {
				key[i] = sum / float64(n)
			} else {
				key[i] = pos[i] // no neighbours: stay put
			}
		}
		slices.SortStableFunc(col, func(a, b int) int { return cmp.Compare(key[a], key[b]) })
		for k, i := range col {
			pos[i] = float64(k)
		}
	}
	for round := 0; round < 4 && bestX > 0; round++ {
		for c := 1; c < len(lay.nodes); c++ {
			sweep(c, in)
		}
		for c := len(lay.nodes) - 2; c >= 0; c-- {
			sweep(c, out)
		}
		if x := crossings(lay.nodes, in, colOf); x < bestX {
			best, bestX = cloneCols(lay.nodes), x
		}
	}
	lay.nodes = best
	return lay
}

func cloneCols(cols [][]int) [][]int {
	out := make([][]int, len(cols))
	for i, c := range cols {
		out[i] = slices.Clone(c)
	}
	return out
}

// crossings counts the crossings between edges joining neighbouring
// columns: sort each pair's edges by their left end and count inversions
// of their right ends (merge sort, so E log E).
func crossings(cols [][]int, in [][]int, colOf []int) int {
	pos := make([]int, len(colOf))
	for _, col := range cols {
		for k, i := range col {
			pos[i] = k
		}
	}
	total := 0
	for c := 1; c < len(cols); c++ {
		var pairs [][2]int
		for _, i := range cols[c] {
			for _, j := range in[i] {
				if colOf[j] == c-1 {
					pairs = append(pairs, [2]int{pos[j], pos[i]})
				}
			}
		}
		slices.SortFunc(pairs, func(a, b [2]int) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) })
		right := make([]int, len(pairs))
		for k, pr := range pairs {
			right[k] = pr[1]
		}
		total += inversions(right, make([]int, len(right)))
	}
	return total
}

// inversions counts pairs a[i] > a[j] with i < j, sorting a.
func inversions(a, tmp []int) int {
	if len(a) < 2 {
		return 0
	}
	m := len(a) / 2
	n := inversions(a[:m], tmp[:m]) + inversions(a[m:], tmp[m:])
	i, j, k := 0, m, 0
	for i < m && j < len(a) {
		if a[j] < a[i] {
			tmp[k] = a[j]
			n += m - i
			j++
		} else {
			tmp[k] = a[i]
			i++
		}
		k++
	}
	k += copy(tmp[k:], a[i:m])
	copy(tmp[k:], a[j:])
	copy(a, tmp[:len(a)])
	return n
}

// countDeps counts the plan's dependencies between systems it has.
func countDeps(p *planner.Plan, idx map[string]int) int {
	n := 0
	for _, s := range p.Systems {
		for _, r := range s.Requires {
			if _, ok := idx[r]; ok {
				n++
			}
		}
	}
	return n
}

// wavesDesc summarises the picture for screen readers.
func wavesDesc(p *planner.Plan, sel []int, lay wavesLayout, edges int, showing, compactNote string, states map[string]State) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Graph of the restart waves: %s in %s, left to right in the order they can come back, with %s drawn as arrows from what is needed to what needs it.",
		plural(len(sel), "system"), plural(len(lay.cols), "wave"), plural(edges, "dependency"))
	if showing != "" {
		b.WriteString(" " + showing)
	}
	var per []string
	for c, wave := range lay.cols {
		per = append(per, fmt.Sprintf("wave %d: %d", wave, len(lay.nodes[c])))
	}
	if len(per) > 0 {
		b.WriteString(" Systems per wave: " + joinCapped(per, ", ", 20) + ".")
	}
	if crit := critIDs(p); len(crit) > 0 {
		b.WriteString(" Critical path: " + joinCapped(crit, " → ", 12) + ".")
	}
	if len(states) > 0 {
		b.WriteString(stateCounts(p, sel, states))
	}
	if compactNote != "" {
		b.WriteString(" " + compactNote)
	}
	return b.String()
}
