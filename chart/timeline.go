package chart

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/planner"
)

// GroupBy is how the timeline groups its rows.
type GroupBy string

// The groupings of the timeline's rows.
const (
	GroupByWave GroupBy = "wave" // the default
	GroupByTeam GroupBy = "team"
	GroupByNone GroupBy = "none"
)

// TimelineOptions steer Timeline. The zero value draws every system,
// grouped by wave, 1200 pixels wide.
type TimelineOptions struct {
	// Title heads the picture; empty gives "Restart plan".
	Title string
	// Width in pixels; zero gives 1200. The height follows from the rows.
	Width float64
	// GroupBy groups the rows by wave (the default), by team, or not at all.
	GroupBy GroupBy
	// Filter selects the systems shown.
	Filter Filter
	// MaxRows caps the system rows (zero: no cap); the picture says how
	// many more systems matched but are not shown.
	MaxRows int
	// Now, when set, draws a dashed "now" line.
	Now *time.Time
	// States, keyed by system id, adds a state column: pattern and word.
	States map[string]State
	// HideServices leaves out the business services band.
	HideServices bool
	// IDPrefix prefixes every id in the SVG; give each picture on one web
	// page its own. Empty gives "pg-timeline".
	IDPrefix string
}

const timelineCSS = `.z{fill:#1e3a5a;fill-opacity:0.05}
.gh{fill:#e8ebef}
.ght{font-size:12px;font-weight:700}
.l{font-size:11px}
.lk{font-size:11px;font-weight:700}
.lc{font-size:9px}
.lkc{font-size:9px;font-weight:700}
.tag{font-size:10px;fill:#222}
.sw{stroke:#333;stroke-width:0.8}
.cb{stroke:#555;stroke-width:0.8;fill:url(#@-clear)}
.rb{fill:#3b78b5;stroke:#1d3f66;stroke-width:0.8}
.k{stroke:#000;stroke-width:2.4}
.svc{stroke:#888;stroke-width:1;stroke-dasharray:1 3}
.dia{fill:#000}
.eta{font-size:11px;font-weight:700;paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
`

// tlRow is one system row or one group heading.
type tlRow struct {
	sys     int    // index in p.Systems, or -1 for a heading
	heading string // for headings
}

// Timeline draws the plan as a Gantt chart: a row per selected system with
// a hatched bar for its forensic clearance and a solid bar for its restore,
// the critical path drawn with a thick outline and a ▶ marker, each
// business service's return as a labelled diamond, a calendar axis from
// p.Start in its location, an optional "now" line and state column, and a
// legend. It takes time linear in the plan's size (plus sorting).
func Timeline(w io.Writer, p *planner.Plan, o TimelineOptions) error {
	if p == nil {
		return phasegate.Errorf(phasegate.EINVALID, "chart: timeline: no plan given")
	}
	d, W, err := newDoc(o.IDPrefix, "pg-timeline", o.Width)
	if err != nil {
		return err
	}
	switch o.GroupBy {
	case "", GroupByWave, GroupByTeam, GroupByNone:
	default:
		return phasegate.Errorf(phasegate.EINVALID, "chart: timeline: group by %q: use wave, team or none", o.GroupBy)
	}
	sel, err := o.Filter.Select(p)
	if err != nil {
		return err
	}
	if o.MaxRows < 0 {
		return phasegate.Errorf(phasegate.EINVALID, "chart: timeline: MaxRows %d: give 0 for no limit or a positive number", o.MaxRows)
	}
	start := p.Start
	rows, shown := timelineRows(p, sel, o)
	notShown := len(sel) - shown

	// The hour range covers the whole plan, not just the selection, so
	// filtered views share one scale and can be compared side by side.
	lo, hi := 0.0, 0.0
	for i := range p.Systems {
		s := &p.Systems[i]
		if s.ClearanceStartHours != nil {
			lo, hi = hourRange(lo, hi, *s.ClearanceStartHours)
		}
		if s.ClearanceEndHours != nil {
			lo, hi = hourRange(lo, hi, *s.ClearanceEndHours)
		}
		lo, hi = hourRange(lo, hi, s.RestoreStartHours)
		lo, hi = hourRange(lo, hi, s.RestoreEndHours)
	}
	for _, sv := range p.Services {
		lo, hi = hourRange(lo, hi, sv.ETAHours)
	}
	lo, hi = hourRange(lo, hi, p.MakespanHours)
	nowH := math.NaN()
	if o.Now != nil {
		nowH = clampH(o.Now.Sub(start).Hours())
		lo, hi = hourRange(lo, hi, nowH)
	}
	if hi-lo < 1 {
		hi = lo + 1
	}
	hi += (hi - lo) * 0.02

	// Columns: labels, the optional state column, then the time axis.
	compact := shown > 400
	rowH, fs := 18.0, 11.0
	if compact {
		rowH, fs = 13.0, 9.0
	}
	labelW := 0.0
	for _, r := range rows {
		if r.sys >= 0 {
			labelW = max(labelW, textWidth(sysLabel(&p.Systems[r.sys]), fs, true))
		}
	}
	svcs := shownServices(p, o)
	for _, i := range svcs {
		labelW = max(labelW, textWidth(orID(p.Services[i].Name, p.Services[i].ID), 11, false))
	}
	labelW = math.Min(math.Max(labelW+18, 110), W*0.3)
	stateW, shortTags := 0.0, W < 700 || compact
	if len(o.States) > 0 {
		if shortTags {
			stateW = 50
		} else {
			stateW = 110
		}
	}
	x0 := margin + labelW + stateW + 8
	x1 := W - margin
	if x1-x0 < 120 { // a very narrow picture: give the bars room, cut labels
		labelW = math.Max(60, W-2*margin-stateW-8-120)
		x0 = margin + labelW + stateW + 8
	}
	sx := scaleX{lo, hi, x0, x1}
	ticks := timeTicks(start, lo, hi, sx.pxPerHour(), 11)

	// What the picture says, for the header and for screen readers.
	title := cmp.Or(o.Title, "Restart plan")
	crit := critIDs(p)
	sub := fmt.Sprintf("%s → %s · %s · %s in %s", longDate(start), longDate(at(start, p.MakespanHours)),
		duration(p.MakespanHours), plural(len(p.Systems), "system"), plural(len(p.Waves), "wave"))
	if len(crit) > 0 {
		sub += " · critical path: " + plural(len(crit), "system")
	}
	var showing string
	if !o.Filter.IsZero() {
		showing = fmt.Sprintf("Showing %d of %s: %s.", len(sel), plural(len(p.Systems), "system"), o.Filter)
	}
	var capNote string
	if notShown > 0 {
		capNote = fmt.Sprintf("%s more %s not shown (limit %d rows): filter by team, kind, service or search to see them.",
			formatQty(float64(notShown)), pluralWord(notShown, "system matches but is", "systems match but are"), o.MaxRows)
	}
	desc := timelineDesc(p, sel, shown, showing, capNote, o, nowH)

	// Vertical layout: header, legend, services band, rows, axis, notes.
	// body holds everything under the "now" line, top what goes over it.
	body, top := doc{id: d.id}, doc{id: d.id}
	y := margin
	y = body.header(W, y, title, sub, showing)
	items := []legendItem{
		{func(d *doc, x, y float64) { d.rect(x, y+2, 24, 10, "cb") }, "forensic clearance"},
		{func(d *doc, x, y float64) { d.rect(x, y+2, 24, 10, "rb") }, "restore"},
		{func(d *doc, x, y float64) {
			d.critMark(x+4, y+7, 5)
			d.rect(x+10, y+2, 14, 10, "rb k")
		}, "critical path: decides the end date"},
	}
	if len(svcs) > 0 {
		items = append(items, legendItem{func(d *doc, x, y float64) { d.marker(shapeDiamond, x+12, y+7, 6, "dia") }, "business service back"})
	}
	if !math.IsNaN(nowH) {
		items = append(items, legendItem{func(d *doc, x, y float64) { d.line(x+12, y-1, x+12, y+15, "now") }, "now"})
	}
	if len(o.States) > 0 {
		for _, l := range statesShown(p, rows, o.States) {
			label := string(l.state)
			if shortTags {
				label += " (" + l.tag + ")"
			}
			items = append(items, legendItem{stateSwatch(l), label})
		}
	}
	y += body.legend(margin, y, W-2*margin, items) + 8

	axisY := y + 14
	body.timeLabels(sx, ticks, axisY, start)
	if !math.IsNaN(nowH) && nowH >= lo && nowH <= hi {
		label := "now " + shortDate(at(start, nowH))
		nx := sx.x(nowH)
		if nx+4+textWidth(label, 11, true) > x1 {
			top.text(nx-4, axisY+14, "nowt", label, "text-anchor", "end")
		} else {
			top.text(nx+4, axisY+14, "nowt", label)
		}
	}
	y = axisY + 20
	gridTop := y

	if len(svcs) > 0 {
		y = timelineServices(&body, &top, p, svcs, sx, y, labelW)
	}
	if len(rows) == 0 {
		msg := "The plan has no systems."
		if len(p.Systems) > 0 {
			msg = "No systems match the filter (" + o.Filter.String() + ")."
		}
		body.text(margin, y+16, "note", msg)
		y += 24
	}
	crSet := make(map[string]bool, len(crit))
	for _, id := range crit {
		crSet[id] = true
	}
	zebra := false
	for _, r := range rows {
		if r.sys < 0 {
			body.rect(margin, y+1, W-2*margin, rowH+4, "gh")
			body.text(margin+4, y+rowH-1, "ght", fit(r.heading, W-2*margin-8, 12, true))
			y += rowH + 6
			zebra = false
			continue
		}
		s := &p.Systems[r.sys]
		if zebra {
			body.rect(margin, y, W-2*margin, rowH, "z")
		}
		zebra = !zebra
		timelineRow(&body, s, sx, y, rowH, fs, labelW, stateW, shortTags, o.States, s.Critical || crSet[s.ID], start)
		y += rowH
	}
	gridBottom := y
	y += 4
	body.timeLabels(sx, ticks, y+12, start)
	y += 20
	y = body.notes(W, y, capNote)
	H := y + margin

	d.begin(W, H, title, desc, timelineCSS)
	d.defs()
	// The grid goes first so bars draw over it.
	d.timeGrid(sx, start, ticks, gridTop-4, gridBottom)
	d.b = append(d.b, body.b...)
	if !math.IsNaN(nowH) && nowH >= lo && nowH <= hi {
		nx := sx.x(nowH)
		d.line(nx, gridTop-4, nx, gridBottom, "now")
	}
	d.b = append(d.b, top.b...)
	return d.end(w)
}

// timelineServices draws a row per business service, earliest first, with
// a diamond where it comes back, and returns the y below the band.
func timelineServices(d, top *doc, p *planner.Plan, svcs []int, sx scaleX, y, labelW float64) float64 {
	const rowH = 18.0
	d.rect(margin, y+1, sx.x1-margin, rowH+4, "gh")
	d.text(margin+4, y+rowH-1, "ght", "Business services: when each is back")
	y += rowH + 6
	for _, i := range svcs {
		sv := &p.Services[i]
		cy := y + rowH/2
		x := sx.x(sv.ETAHours)
		eta := shortDate(at(p.Start, sv.ETAHours))
		d.open("g")
		tip := fmt.Sprintf("%s (%s): back %s", orID(sv.Name, sv.ID), sv.ID, longDate(at(p.Start, sv.ETAHours)))
		if sv.LastSystem != "" {
			tip += ", when " + sv.LastSystem + " is restored"
		}
		d.elem("title", tip)
		d.text(margin+4, cy+4, "l", fit(orID(sv.Name, sv.ID), labelW-8, 11, false))
		d.line(sx.x(0), cy, x, cy, "svc")
		d.marker(shapeDiamond, x, cy, 6, "dia")
		// The date goes over the "now" line, so it is written on top.
		if x+10+textWidth(eta, 11, true) > sx.x1 {
			top.text(x-10, cy+4, "eta", eta, "text-anchor", "end")
		} else {
			top.text(x+10, cy+4, "eta", eta)
		}
		d.close("g")
		y += rowH
	}
	return y + 6
}

// shownServices lists the services the band shows, earliest back first:
// none when hidden, only the filter's service when it names one.
func shownServices(p *planner.Plan, o TimelineOptions) []int {
	if o.HideServices {
		return nil
	}
	var out []int
	for i, sv := range p.Services {
		if o.Filter.Service == "" || sv.ID == o.Filter.Service {
			out = append(out, i)
		}
	}
	slices.SortStableFunc(out, func(a, b int) int {
		return cmp.Or(cmp.Compare(clampH(p.Services[a].ETAHours), clampH(p.Services[b].ETAHours)),
			strings.Compare(p.Services[a].ID, p.Services[b].ID))
	})
	return out
}

// timelineRow draws one system: label, state, clearance and restore bars,
// and a tooltip that says why it starts when it does.
func timelineRow(d *doc, s *planner.SystemPlan, sx scaleX, y, rowH, fs, labelW, stateW float64,
	shortTags bool, states map[string]State, critical bool, start time.Time) {
	barH := math.Round(rowH * 0.62)
	by := y + (rowH-barH)/2
	d.open("g")
	d.elem("title", sysTip(s, start, states, critical))
	lx := margin + 4
	cls := "l"
	if critical {
		d.critMark(lx+4, y+rowH/2, math.Min(5, rowH/3))
		lx += 12
		cls = "lk"
	}
	if fs < 11 {
		cls += "c" // compact rows: smaller type
	}
	d.text(lx, y+rowH/2+fs*0.36, cls, fit(sysLabel(s), margin+labelW-lx-2, fs, critical))
	if stateW > 0 {
		if st, ok := states[s.ID]; ok {
			l := look(st)
			sxp := margin + labelW + 4
			d.rect(sxp, by, 14, barH, "sw "+l.pat)
			tag := string(l.state)
			if shortTags {
				tag = l.tag
			}
			d.text(sxp+18, y+rowH/2+fs*0.33, "tag", fit(tag, stateW-24, 10, false))
		}
	}
	k := ""
	if critical {
		k = " k"
	}
	if s.ClearanceStartHours != nil && s.ClearanceEndHours != nil {
		a, b := sx.x(*s.ClearanceStartHours), sx.x(*s.ClearanceEndHours)
		d.rect(math.Min(a, b), by, math.Max(math.Abs(b-a), 1.5), barH, "cb"+k)
	}
	a, b := sx.x(s.RestoreStartHours), sx.x(s.RestoreEndHours)
	d.rect(math.Min(a, b), by, math.Max(math.Abs(b-a), 1.5), barH, "rb"+k)
	d.close("g")
}

// sysTip is a system's tooltip: when, who, and why.
func sysTip(s *planner.SystemPlan, start time.Time, states map[string]State, critical bool) string {
	var b strings.Builder
	b.WriteString(sysLabel(s))
	if s.Name != "" {
		b.WriteString(" (" + s.ID + ")")
	}
	fmt.Fprintf(&b, ", team %s, wave %d", s.Team, s.Wave)
	if st, ok := states[s.ID]; ok {
		b.WriteString(", " + string(st))
	}
	if s.ClearanceStartHours != nil && s.ClearanceEndHours != nil {
		b.WriteString(". Clearance " + shortDate(at(start, *s.ClearanceStartHours)) + " → " + shortDate(at(start, *s.ClearanceEndHours)))
	}
	b.WriteString(". Restore " + shortDate(at(start, s.RestoreStartHours)) + " → " + shortDate(at(start, s.RestoreEndHours)))
	if s.WaitingOn != "" {
		b.WriteString(". Starts then because: " + s.WaitingOn)
	}
	if critical {
		b.WriteString(". On the critical path")
	}
	b.WriteString(".")
	return b.String()
}

// timelineRows orders the selected systems into rows under group headings
// and applies the row cap; it returns the rows and how many systems they
// show.
func timelineRows(p *planner.Plan, sel []int, o TimelineOptions) ([]tlRow, int) {
	ordered := slices.Clone(sel)
	begin := func(i int) float64 {
		s := &p.Systems[i]
		if s.ClearanceStartHours != nil {
			return clampH(*s.ClearanceStartHours)
		}
		return clampH(s.RestoreStartHours)
	}
	teamRank := map[string]int{}
	for i, t := range p.Teams {
		if _, ok := teamRank[t.ID]; !ok {
			teamRank[t.ID] = i
		}
	}
	rank := func(team string) int {
		if r, ok := teamRank[team]; ok {
			return r
		}
		return len(p.Teams)
	}
	group := func(i int) int {
		switch o.GroupBy {
		case GroupByTeam:
			return rank(p.Systems[i].Team)
		case GroupByNone:
			return 0
		}
		return p.Systems[i].Wave
	}
	slices.SortStableFunc(ordered, func(a, b int) int {
		sa, sb := &p.Systems[a], &p.Systems[b]
		c := cmp.Compare(group(a), group(b))
		if c == 0 && o.GroupBy == GroupByTeam {
			c = strings.Compare(sa.Team, sb.Team) // teams the plan does not list, by id
		}
		return cmp.Or(c, cmp.Compare(begin(a), begin(b)),
			cmp.Compare(clampH(sa.RestoreStartHours), clampH(sb.RestoreStartHours)),
			strings.Compare(sa.ID, sb.ID))
	})
	limit := len(ordered)
	if o.MaxRows > 0 && o.MaxRows < limit {
		limit = o.MaxRows
	}
	var rows []tlRow
	for k := 0; k < limit; {
		// One group: the run of systems with the same key.
		end := k + 1
		same := func(a, b int) bool {
			if group(a) != group(b) {
				return false
			}
			return o.GroupBy != GroupByTeam || p.Systems[a].Team == p.Systems[b].Team
		}
		for end < len(ordered) && same(ordered[k], ordered[end]) {
			end++
		}
		n := end - k
		showEnd := min(end, limit)
		if o.GroupBy != GroupByNone {
			h := groupHeading(p, ordered[k], o.GroupBy, n)
			if showEnd < end {
				h += fmt.Sprintf(" (first %d shown)", showEnd-k)
			}
			rows = append(rows, tlRow{sys: -1, heading: h})
		}
		for _, i := range ordered[k:showEnd] {
			rows = append(rows, tlRow{sys: i})
		}
		k = end
	}
	return rows, limit
}

// groupHeading names a group of rows.
func groupHeading(p *planner.Plan, i int, by GroupBy, n int) string {
	s := &p.Systems[i]
	if by == GroupByTeam {
		for _, t := range p.Teams {
			if t.ID == s.Team {
				name := t.ID
				if t.Name != "" && t.Name != t.ID {
					name = t.Name + " (" + t.ID + ")"
				}
				return fmt.Sprintf("Team %s · capacity %d · %s", name, t.Capacity, plural(n, "system"))
			}
		}
		return fmt.Sprintf("Team %s · %s", s.Team, plural(n, "system"))
	}
	h := fmt.Sprintf("Wave %d · %s", s.Wave, plural(n, "system"))
	if s.Wave == 0 {
		h += pluralWord(n, " that requires nothing", " that require nothing")
	}
	return h
}

// timelineDesc summarises the picture in sentences for screen readers.
func timelineDesc(p *planner.Plan, sel []int, shown int, showing, capNote string, o TimelineOptions, nowH float64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Gantt chart of the restart plan: %s in %s, from %s to %s (%s).",
		plural(len(p.Systems), "system"), plural(len(p.Waves), "wave"),
		longDate(p.Start), longDate(at(p.Start, p.MakespanHours)), duration(p.MakespanHours))
	if showing != "" {
		b.WriteString(" " + showing)
	}
	if crit := critIDs(p); len(crit) > 0 {
		b.WriteString(" Critical path: " + joinCapped(crit, " → ", 12) + ".")
	}
	if svcs := shownServices(p, o); len(svcs) > 0 {
		var parts []string
		for _, i := range svcs {
			s := &p.Services[i]
			parts = append(parts, orID(s.Name, s.ID)+" "+shortDate(at(p.Start, s.ETAHours)))
		}
		b.WriteString(" Services back: " + joinCapped(parts, "; ", 12) + ".")
	}
	if len(o.States) > 0 {
		b.WriteString(stateCounts(p, sel, o.States))
	}
	if !math.IsNaN(nowH) {
		b.WriteString(" The dashed line marks now, " + shortDate(at(p.Start, nowH)) + ".")
	}
	if capNote != "" {
		b.WriteString(fmt.Sprintf(" %d rows shown; %s", shown, capNote))
	}
	return b.String()
}

// stateCounts says how many selected systems are in each state.
func stateCounts(p *planner.Plan, sel []int, states map[string]State) string {
	counts := map[State]int{}
	for _, i := range sel {
		if st, ok := states[p.Systems[i].ID]; ok {
			counts[st]++
		}
	}
	var parts []string
	for _, l := range stateLooks {
		if n := counts[l.state]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, l.state))
			delete(counts, l.state)
		}
	}
	var other []State
	for st := range counts {
		other = append(other, st)
	}
	slices.Sort(other)
	for _, st := range other {
		parts = append(parts, fmt.Sprintf("%d %s", counts[st], st))
	}
	if len(parts) == 0 {
		return ""
	}
	return " States: " + strings.Join(parts, ", ") + "."
}

// statesShown lists the looks of the states among the rows, in legend order.
func statesShown(p *planner.Plan, rows []tlRow, states map[string]State) []stateLook {
	present := map[State]bool{}
	for _, r := range rows {
		if r.sys >= 0 {
			if st, ok := states[p.Systems[r.sys].ID]; ok {
				present[st] = true
			}
		}
	}
	return looksOf(present)
}

// looksOf orders a set of states for a legend: known states in life order,
// then unknown ones by name.
func looksOf(present map[State]bool) []stateLook {
	var out []stateLook
	for _, l := range stateLooks {
		if present[l.state] {
			out = append(out, l)
			delete(present, l.state)
		}
	}
	var other []State
	for st := range present {
		other = append(other, st)
	}
	slices.Sort(other)
	for _, st := range other {
		out = append(out, look(st))
	}
	return out
}

// critIDs is the critical path: the plan's list, else the systems flagged.
func critIDs(p *planner.Plan) []string {
	if len(p.CriticalPath) > 0 {
		return p.CriticalPath
	}
	var ids []string
	for _, s := range p.Systems {
		if s.Critical {
			ids = append(ids, s.ID)
		}
	}
	return ids
}

func sysLabel(s *planner.SystemPlan) string { return orID(s.Name, s.ID) }

func orID(name, id string) string {
	if strings.TrimSpace(name) != "" {
		return name
	}
	return id
}

// joinCapped joins at most n items and says how many more there are.
func joinCapped(items []string, sep string, n int) string {
	if len(items) <= n {
		return strings.Join(items, sep)
	}
	return strings.Join(items[:n], sep) + fmt.Sprintf("%s… and %d more", sep, len(items)-n)
}

func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
