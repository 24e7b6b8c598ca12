package chart

import (
	"bytes"
	"math"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/phasegate/phasegate/planner"
)

func draw(t *testing.T, f func(*bytes.Buffer) error) string {
	t.Helper()
	var b bytes.Buffer
	if err := f(&b); err != nil {
		t.Fatal(err)
	}
	checkSVG(t, b.Bytes())
	return b.String()
}

// restoreBars counts the restore bars drawn, less the legend's two.
func restoreBars(svg string) int { return strings.Count(svg, `class="rb`) - 2 }

func TestTimelineRowCap(t *testing.T) {
	p := bigPlan(t, 300, 4)
	svg := draw(t, func(b *bytes.Buffer) error { return Timeline(b, p, TimelineOptions{MaxRows: 50}) })
	if got := restoreBars(svg); got != 50 {
		t.Errorf("%d rows drawn, want 50", got)
	}
	if !strings.Contains(svg, "250 more systems match but are not shown (limit 50 rows)") {
		t.Errorf("no honest note about the 250 systems not shown")
	}
	// Not capped: every system, and no note.
	svg = draw(t, func(b *bytes.Buffer) error { return Timeline(b, p, TimelineOptions{}) })
	if got := restoreBars(svg); got != 300 {
		t.Errorf("%d rows drawn, want 300", got)
	}
	if strings.Contains(svg, "not shown") {
		t.Errorf("a note about systems not shown, with none left out")
	}
}

func TestTimelineContent(t *testing.T) {
	p := smallPlan(t)
	now := time.Date(2025, 9, 5, 14, 30, 0, 0, london(t))
	svg := draw(t, func(b *bytes.Buffer) error {
		return Timeline(b, p, TimelineOptions{Now: &now, States: smallStates(), GroupBy: GroupByTeam})
	})
	// One clearance bar per system with a clearance, one restore bar each.
	clears := 0
	for _, s := range p.Systems {
		if s.ClearanceStartHours != nil {
			clears++
		}
	}
	if got := strings.Count(svg, `class="cb`) - 1; got != clears {
		t.Errorf("%d clearance bars, want %d", got, clears)
	}
	if got := restoreBars(svg); got != len(p.Systems) {
		t.Errorf("%d restore bars, want %d", got, len(p.Systems))
	}
	// The critical path: thick outlines on its systems' bars only.
	crit := 0
	for _, s := range p.Systems {
		if s.Critical {
			crit++
		}
	}
	if got := strings.Count(svg, `class="rb k"`) - 1; got != crit {
		t.Errorf("%d critical restore bars, want %d", got, crit)
	}
	for _, want := range []string{
		"Team Plant OT (ot) · capacity 2 · 4 systems", // team headings
		"now Fri 5 Sep 14:30",                         // the now line's label
		`class="now"`,
		"Vehicle production", // services band
		"Wed 10 Sep 18:00",   // its ETA
		">quarantined<",      // an unknown state keeps its own word
		"Parts ordering &lt;retail&gt;",
		"Starts then because: waits for",         // the why, in the tooltip
		"Critical path: core-net → ad → vsphere", // the description
	} {
		if !strings.Contains(svg, want) {
			t.Errorf("timeline lacks %q", want)
		}
	}
	// Every state's pattern is referenced from its rows.
	for id, st := range smallStates() {
		if !strings.Contains(svg, `class="sw `+look(st).pat+`"`) || !strings.Contains(svg, "."+look(st).pat+"{fill:url(#pg-timeline-"+look(st).pat+")}") {
			t.Errorf("%s: pattern for %s not used", id, st)
		}
	}
}

func TestTimelineGroupsInOrder(t *testing.T) {
	p := smallPlan(t)
	svg := draw(t, func(b *bytes.Buffer) error { return Timeline(b, p, TimelineOptions{}) })
	heads := regexp.MustCompile(`>Wave (\d+) ·`).FindAllStringSubmatch(svg, -1)
	var got []string
	for _, h := range heads {
		got = append(got, h[1])
	}
	if want := []string{"0", "1", "2", "3", "4", "5", "6"}; !slices.Equal(got, want) {
		t.Errorf("wave headings %v, want %v", got, want)
	}
}

// wavesEdges counts the dependency edges drawn, less the legend's one.
func wavesEdges(svg string) (all, critical int) {
	return strings.Count(svg, `class="e"`) + strings.Count(svg, `class="ek"`) - 1, strings.Count(svg, `class="ek"`)
}

func TestWavesEdges(t *testing.T) {
	p := smallPlan(t)
	deps := 0
	for _, s := range p.Systems {
		deps += len(s.Requires)
	}
	svg := draw(t, func(b *bytes.Buffer) error { return Waves(b, p, WavesOptions{}) })
	all, crit := wavesEdges(svg)
	if all != deps {
		t.Errorf("%d edges, want %d", all, deps)
	}
	if want := len(p.CriticalPath) - 1; crit != want {
		t.Errorf("%d critical edges, want %d", crit, want)
	}
	// Filtered to one team: only edges inside it, and the rest counted.
	svg = draw(t, func(b *bytes.Buffer) error { return Waves(b, p, WavesOptions{Filter: Filter{Team: "ot"}}) })
	if all, _ := wavesEdges(svg); all != 2 { // mes-elm → plc-elm, mes-rav → plc-rav
		t.Errorf("%d edges within team ot, want 2", all)
	}
	if !strings.Contains(svg, "needs 2 systems not shown") {
		t.Errorf("no legend for requirements outside the filter")
	}
}

func TestWavesCompact(t *testing.T) {
	p := bigPlan(t, 500, 5)
	svg := draw(t, func(b *bytes.Buffer) error { return Waves(b, p, WavesOptions{}) })
	all, crit := wavesEdges(svg)
	if !strings.Contains(svg, "Compact view: 500 systems") {
		t.Errorf("the compact view does not say so")
	}
	if all != crit || crit != len(p.CriticalPath)-1 {
		t.Errorf("compact view drew %d edges (%d critical), want only the critical path's %d", all, crit, len(p.CriticalPath)-1)
	}
	// A filter small enough brings every edge back.
	svg = draw(t, func(b *bytes.Buffer) error { return Waves(b, p, WavesOptions{Filter: Filter{Team: "team-03"}}) })
	if strings.Contains(svg, "Compact view") {
		t.Errorf("a filtered view of %d systems is still compact", strings.Count(svg, `class="n`))
	}
}

// TestBarycentre: the sweeps never make crossings worse than the starting
// order, and untangle a graph that starts fully crossed.
func TestBarycentre(t *testing.T) {
	// Two waves; a_i requires b_(n-1-i): in id order every pair crosses.
	start := time.Date(2025, 9, 1, 8, 0, 0, 0, time.UTC)
	var specs []sysSpec
	const n = 6
	for i := range n {
		specs = append(specs, sysSpec{id: string(rune('a'+i)) + "-top", team: "x", restore: 1})
	}
	for i := range n {
		specs = append(specs, sysSpec{id: string(rune('a'+i)) + "-down", team: "x", restore: 1,
			requires: []string{string(rune('a'+n-1-i)) + "-top"}})
	}
	p := schedule(start, nil, specs, nil)
	check := func(p *planner.Plan, wantZero bool) {
		sel, _ := Filter{}.Select(p)
		idx := indexByID(p)
		in := make([][]int, len(p.Systems))
		out := make([][]int, len(p.Systems))
		for _, i := range sel {
			for _, r := range p.Systems[i].Requires {
				if j, ok := idx[r]; ok {
					in[i] = append(in[i], j)
					out[j] = append(out[j], i)
				}
			}
		}
		initial := layoutWavesNoSweep(p, sel)
		colOf := make([]int, len(p.Systems))
		for c, col := range initial {
			for _, i := range col {
				colOf[i] = c
			}
		}
		before := crossings(initial, in, colOf)
		lay := layoutWaves(p, sel, in, out)
		after := crossings(lay.nodes, in, colOf)
		if after > before {
			t.Errorf("crossings went from %d to %d", before, after)
		}
		if wantZero && after != 0 {
			t.Errorf("crossings %d (from %d), want 0", after, before)
		}
		if !wantZero && before > 0 && after >= before {
			t.Logf("no gain: %d crossings", before)
		}
	}
	check(p, true)
	for seed := range uint64(5) {
		check(bigPlan(t, 200, seed), false)
	}
}

// layoutWavesNoSweep is the starting order: by team, then id.
func layoutWavesNoSweep(p *planner.Plan, sel []int) [][]int {
	return layoutWaves(p, sel, make([][]int, len(p.Systems)), make([][]int, len(p.Systems))).nodes
}

func TestInversions(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for range 100 {
		a := make([]int, rng.IntN(40))
		for i := range a {
			a[i] = rng.IntN(10)
		}
		want := 0
		for i := range a {
			for j := i + 1; j < len(a); j++ {
				if a[i] > a[j] {
					want++
				}
			}
		}
		if got := inversions(slices.Clone(a), make([]int, len(a))); got != want {
			t.Fatalf("inversions(%v) = %d, want %d", a, got, want)
		}
	}
}

func TestFanAndCDFContent(t *testing.T) {
	c := sampleFan(t)
	svg := draw(t, func(b *bytes.Buffer) error { return Fan(b, c) })
	for _, want := range []string{"80% by", "by 8 Oct", "Wed 8 Oct", "62%", "Whole restart", "Vehicle production: 50% likely by Fri 3 Oct, 80% by Wed 8 Oct, 95% by Mon 13 Oct"} {
		if !strings.Contains(svg, want) {
			t.Errorf("fan chart lacks %q", want)
		}
	}
	if got, want := strings.Count(svg, `class="b80"`)-1, len(c.Series)+1; got != want {
		t.Errorf("%d bands, want %d", got, want)
	}
	svg = draw(t, func(b *bytes.Buffer) error { return CDF(b, c) })
	if got, want := strings.Count(svg, "<polyline"), len(c.Series)+1; got != want {
		t.Errorf("%d curves, want %d", got, want)
	}
	if !strings.Contains(svg, "Payroll: 50% by Thu 4 Sep, 80% by Fri 5 Sep, 95% by Sat 6 Sep; 100% chance by end of Wed 8 Oct (only these three points are known)") {
		t.Errorf("CDF legend does not say which series have only three points")
	}
}

func TestCurve(t *testing.T) {
	cv := curveOf(fanRow{FanSeries: FanSeries{CDF: []CDFPoint{{30, 1}, {10, 0}, {20, 0.5}}}})
	if p, ok := cv.at(15); !ok || p != 0.25 {
		t.Errorf("at(15) = %v %v, want 0.25", p, ok)
	}
	if _, ok := cv.at(40); ok {
		t.Errorf("at(40) beyond the points should not be known")
	}
	if h, ok := cv.crossing(0.8); !ok || h != 26 {
		t.Errorf("crossing(0.8) = %v %v, want 26", h, ok)
	}
	// Quantiles out of order are put in order rather than drawn backwards.
	s := FanSeries{P50: 30, P80: 10, P95: 20}.sane()
	if s.P50 != 10 || s.P80 != 20 || s.P95 != 30 {
		t.Errorf("sane() = %v %v %v", s.P50, s.P80, s.P95)
	}
}

func TestBurnDownContent(t *testing.T) {
	svg := draw(t, func(b *bytes.Buffer) error { return BurnDown(b, sampleBurnDown(t)) })
	for _, want := range []string{"peak 63,000", "surge capacity: cleared Mon 3 Nov", "normal capacity: cleared Sun 4 Jan",
		"service down until Mon 6 Oct", "critical suppliers paid (surge) · Thu 9 Oct", `stroke-dasharray:9 4`, "invoices waiting"} {
		if !strings.Contains(svg, want) {
			t.Errorf("burn-down lacks %q", want)
		}
	}
}

func TestETAHistoryContent(t *testing.T) {
	svg := draw(t, func(b *bytes.Buffer) error { return ETAHistory(b, sampleETAHistory(t)) })
	for _, want := range []string{"latest: Sat 13 Sep 16:00", "first: Wed 10 Sep 08:00", "It moved 4 times (2 later, 2 earlier)",
		"3.3 days later than first said", "Thu 11 Sep", `class="now"`} {
		if !strings.Contains(svg, want) {
			t.Errorf("ETA history lacks %q", want)
		}
	}
	if got := strings.Count(svg, `class="m0"`); got != 5+1 {
		t.Errorf("%d markers, want one per recorded date and the latest", got)
	}
}

// TestETAHistoryThousands: a history of thousands of changes is drawn
// through at most a few points per pixel column, and its latest date is
// still the one labelled.
func TestETAHistoryThousands(t *testing.T) {
	c := sampleETAHistory(t)
	c.Steps = nil
	for i := range 20_000 {
		eta := 200 + 40*math.Sin(float64(i)/300) + float64(i%7)
		c.Steps = append(c.Steps, ETAStep{At: float64(i) * 70 / 20_000, ETA: eta})
	}
	c.Steps = append(c.Steps, ETAStep{At: 70, ETA: 260})
	svg := draw(t, func(b *bytes.Buffer) error { return ETAHistory(b, c) })
	points := regexp.MustCompile(`<polyline points="([^"]*)" class="s0"/>`).FindAllStringSubmatch(svg, -1)
	if len(points) != 2 { // the legend's and the line
		t.Fatalf("%d step lines, want the legend's and one", len(points))
	}
	if n := strings.Count(points[1][1], " ") + 1; n > historyPoints*600+2 {
		t.Errorf("%d points for 20,001 dates in 600 pixels: want at most %d per column", n, historyPoints)
	}
	if len(svg) > 120_000 {
		t.Errorf("the picture weighs %d bytes", len(svg))
	}
	if !strings.Contains(svg, "latest: Fri 12 Sep 04:00") || strings.Count(svg, `class="m0"`) != 1 {
		t.Error("the latest date is not the one labelled, or every date has a marker")
	}
}
