package chart

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/planner"
)

// Nasty values for the property tests: what a buggy caller or a corrupted
// store could hand the pictures.
var (
	nastyStrings = []string{"", "a", "sap-erp", "<script>&amp;\"'", "\x00\x1f\x7f", "\xff\xfe", "é✓漢字", "\uFFFE",
		strings.Repeat("long name ", 40), "]]>", "--", " "}
	nastyHours = []float64{0, 1, 24, 0.001, -5, 1e12, -1e12, math.NaN(), math.Inf(1), math.Inf(-1), 720, 5e5}
)

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

func nastyHour(rng *rand.Rand) float64 {
	if rng.IntN(3) == 0 {
		return pick(rng, nastyHours)
	}
	return rng.Float64() * 1000
}

// randomPlan makes a plan with anything in it: sizes 0, 1 or up to 60,
// broken references, odd names, NaN and infinite hours, negative waves.
func randomPlan(rng *rand.Rand) *planner.Plan {
	n := pick(rng, []int{0, 1, 2, rng.IntN(60)})
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("s%d", i)
		if rng.IntN(8) == 0 {
			ids[i] = pick(rng, nastyStrings)
		}
	}
	anyID := func() string {
		if n == 0 || rng.IntN(6) == 0 {
			return pick(rng, nastyStrings)
		}
		return ids[rng.IntN(n)]
	}
	loc := time.FixedZone(pick(rng, []string{"X", "<&>", ""}), rng.IntN(40000)-20000)
	start := time.Date(1990+rng.IntN(60), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), rng.IntN(24), 0, 0, 0, loc)
	if rng.IntN(10) == 0 {
		start = time.Time{}
	}
	p := &planner.Plan{Start: start, MakespanHours: nastyHour(rng)}
	for t := range rng.IntN(4) {
		p.Teams = append(p.Teams, planner.TeamPlan{ID: fmt.Sprintf("t%d", t), Name: pick(rng, nastyStrings), Capacity: rng.IntN(5) - 1})
	}
	for i := range n {
		s := planner.SystemPlan{ID: ids[i], Name: pick(rng, nastyStrings), Kind: pick(rng, []string{"data", "ot", ""}),
			Team: fmt.Sprintf("t%d", rng.IntN(4)), Wave: rng.IntN(8) - 1, RestoreStartHours: nastyHour(rng), RestoreEndHours: nastyHour(rng),
			Critical: rng.IntN(5) == 0, WaitingOn: pick(rng, nastyStrings)}
		if rng.IntN(2) == 0 {
			a, b := nastyHour(rng), nastyHour(rng)
			s.ClearanceStartHours, s.ClearanceEndHours = &a, &b
		}
		for range rng.IntN(4) {
			s.Requires = append(s.Requires, anyID())
		}
		p.Systems = append(p.Systems, s)
	}
	for range rng.IntN(4) {
		p.CriticalPath = append(p.CriticalPath, anyID())
	}
	for k := range rng.IntN(5) {
		sv := planner.ServicePlan{ID: fmt.Sprintf("v%d", k), Name: pick(rng, nastyStrings), ETAHours: nastyHour(rng)}
		for range rng.IntN(4) {
			sv.Requires = append(sv.Requires, anyID())
		}
		p.Services = append(p.Services, sv)
	}
	waves := map[int][]string{}
	for _, s := range p.Systems {
		waves[max(0, s.Wave)] = append(waves[max(0, s.Wave)], s.ID)
	}
	for w := range 8 {
		if len(waves[w]) > 0 {
			p.Waves = append(p.Waves, waves[w])
		}
	}
	return p
}

func randomStates(rng *rand.Rand, p *planner.Plan) map[string]State {
	if rng.IntN(3) == 0 {
		return nil
	}
	m := map[string]State{}
	for _, s := range p.Systems {
		if rng.IntN(4) > 0 {
			st := stateLooks[rng.IntN(len(stateLooks))].state
			if rng.IntN(6) == 0 {
				st = State(pick(rng, nastyStrings))
			}
			m[s.ID] = st
		}
	}
	return m
}

func randomFilter(rng *rand.Rand, p *planner.Plan) Filter {
	var f Filter
	if rng.IntN(4) == 0 && len(p.Teams) > 0 {
		f.Team = p.Teams[rng.IntN(len(p.Teams))].ID
	}
	if rng.IntN(4) == 0 && len(p.Services) > 0 {
		f.Service = p.Services[rng.IntN(len(p.Services))].ID
	}
	if rng.IntN(4) == 0 {
		f.Kind = pick(rng, []string{"data", "ot", "none"})
	}
	if rng.IntN(4) == 0 {
		f.Search = pick(rng, []string{"s1", "a", "<", "é"})
	}
	return f
}

func randomTime(rng *rand.Rand, start time.Time) *time.Time {
	if rng.IntN(2) == 0 {
		return nil
	}
	t := start.Add(time.Duration(rng.Float64()*2000-500) * time.Hour)
	if rng.IntN(8) == 0 {
		t = time.Time{}
	}
	return &t
}

var widths = []float64{0, -5, 1, 300, 380, 700, 1200, 1e9, math.NaN(), math.Inf(1)}

func randomFan(rng *rand.Rand) FanChart {
	c := FanChart{Title: pick(rng, nastyStrings), Subtitle: pick(rng, nastyStrings), Width: pick(rng, widths),
		Start: time.Date(2025, 9, 1, 8, 0, 0, 0, time.UTC)}
	series := func() FanSeries {
		s := FanSeries{Label: pick(rng, nastyStrings), Deterministic: nastyHour(rng), P50: nastyHour(rng), P80: nastyHour(rng), P95: nastyHour(rng)}
		if rng.IntN(2) == 0 {
			p := pick(rng, []float64{0, 0.5, 1, -1, 7, math.NaN()})
			s.Probability = &p
		}
		for range rng.IntN(30) {
			s.CDF = append(s.CDF, CDFPoint{nastyHour(rng), pick(rng, []float64{0, 0.3, 0.5, 1, 2, -1, math.NaN(), rng.Float64()})})
		}
		return s
	}
	for range pick(rng, []int{0, 1, rng.IntN(12)}) {
		c.Series = append(c.Series, series())
	}
	if rng.IntN(2) == 0 {
		w := series()
		c.Whole = &w
	}
	if rng.IntN(2) == 0 {
		h := nastyHour(rng)
		c.ByHours = &h
	}
	return c
}

func randomBurnDown(rng *rand.Rand) BurnDownChart {
	c := BurnDownChart{Title: pick(rng, nastyStrings), Unit: pick(rng, nastyStrings), Width: pick(rng, widths),
		Start: time.Date(2025, 9, 1, 8, 0, 0, 0, time.UTC)}
	for range pick(rng, []int{0, 1, rng.IntN(6)}) {
		s := BurnSeries{Label: pick(rng, nastyStrings), Style: pick(rng, []BurnStyle{"", BurnNormal, BurnSurge})}
		for range rng.IntN(20) {
			s.Points = append(s.Points, Point{nastyHour(rng), pick(rng, []float64{0, 1, 63000, -4, 1e300, math.NaN(), math.Inf(1)})})
		}
		c.Series = append(c.Series, s)
	}
	for range rng.IntN(8) {
		c.Events = append(c.Events, Event{nastyHour(rng), pick(rng, nastyStrings)})
	}
	if rng.IntN(2) == 0 {
		h := nastyHour(rng)
		c.DownUntil = &h
	}
	c.Now = randomTime(rng, c.Start)
	return c
}

func randomETAHistory(rng *rand.Rand) ETAHistoryChart {
	c := ETAHistoryChart{Title: pick(rng, nastyStrings), Subtitle: pick(rng, nastyStrings), Width: pick(rng, widths),
		Start: time.Date(2025, 9, 1, 8, 0, 0, 0, time.UTC)}
	for range pick(rng, []int{0, 1, rng.IntN(80), 2000}) {
		c.Steps = append(c.Steps, ETAStep{nastyHour(rng), nastyHour(rng)})
	}
	c.Now = randomTime(rng, c.Start)
	return c
}

// draws runs every picture on random input.
func draws(rng *rand.Rand) map[string]func(*bytes.Buffer) error {
	p := randomPlan(rng)
	to := TimelineOptions{Title: pick(rng, nastyStrings), Width: pick(rng, widths), GroupBy: pick(rng, []GroupBy{"", GroupByWave, GroupByTeam, GroupByNone}),
		Filter: randomFilter(rng, p), MaxRows: pick(rng, []int{0, 1, 5}), Now: randomTime(rng, p.Start), States: randomStates(rng, p), HideServices: rng.IntN(4) == 0}
	wo := WavesOptions{Title: pick(rng, nastyStrings), Width: pick(rng, widths), Filter: randomFilter(rng, p), States: randomStates(rng, p), MaxNodes: pick(rng, []int{0, 3, 1000})}
	fan, bd, eh := randomFan(rng), randomBurnDown(rng), randomETAHistory(rng)
	return map[string]func(*bytes.Buffer) error{
		"timeline": func(b *bytes.Buffer) error { return Timeline(b, p, to) },
		"waves":    func(b *bytes.Buffer) error { return Waves(b, p, wo) },
		"fan":      func(b *bytes.Buffer) error { return Fan(b, fan) },
		"cdf":      func(b *bytes.Buffer) error { return CDF(b, fan) },
		"burndown": func(b *bytes.Buffer) error { return BurnDown(b, bd) },
		"history":  func(b *bytes.Buffer) error { return ETAHistory(b, eh) },
	}
}

// TestPropertyAnyInput: whatever the input, every picture is well-formed,
// accessible, free of NaN, Inf and negative sizes, and the same twice.
func TestPropertyAnyInput(t *testing.T) {
	runs := 150
	if testing.Short() {
		runs = 60
	}
	for seed := range uint64(runs) {
		for name, draw := range draws(rand.New(rand.NewPCG(seed, 3))) {
			var a, b bytes.Buffer
			if err := draw(&a); err != nil {
				t.Fatalf("seed %d %s: %v", seed, name, err)
			}
			checkSVG(t, a.Bytes())
			checkSize(t, a.Bytes())
			if err := draw(&b); err != nil || !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Fatalf("seed %d %s: a second draw differs (%v)", seed, name, err)
			}
		}
	}
}

var rootSize = regexp.MustCompile(`<svg [^>]*viewBox="0 0 ([0-9.]+) ([0-9.]+)"`)

// checkSize: the picture has a positive size a browser can handle.
func checkSize(tb testing.TB, b []byte) {
	tb.Helper()
	m := rootSize.FindSubmatch(b)
	if m == nil {
		tb.Fatalf("no viewBox on the root")
	}
	for _, s := range m[1:] {
		v, err := strconv.ParseFloat(string(s), 64)
		if err != nil || v <= 0 || v > 1e6 {
			tb.Fatalf("picture size %s: want a positive size under 1e6", s)
		}
	}
}

// TestBadOptions: options a caller can get wrong give EINVALID and write
// nothing.
func TestBadOptions(t *testing.T) {
	p := smallPlan(t)
	for name, draw := range map[string]func(*bytes.Buffer) error{
		"nil plan":      func(b *bytes.Buffer) error { return Timeline(b, nil, TimelineOptions{}) },
		"nil plan (w)":  func(b *bytes.Buffer) error { return Waves(b, nil, WavesOptions{}) },
		"group by":      func(b *bytes.Buffer) error { return Timeline(b, p, TimelineOptions{GroupBy: "kind"}) },
		"max rows":      func(b *bytes.Buffer) error { return Timeline(b, p, TimelineOptions{MaxRows: -1}) },
		"max nodes":     func(b *bytes.Buffer) error { return Waves(b, p, WavesOptions{MaxNodes: -1}) },
		"id prefix":     func(b *bytes.Buffer) error { return Fan(b, FanChart{IDPrefix: "1abc"}) },
		"id prefix css": func(b *bytes.Buffer) error { return CDF(b, FanChart{IDPrefix: "a b{}"}) },
		"id prefix eta": func(b *bytes.Buffer) error { return ETAHistory(b, ETAHistoryChart{IDPrefix: "-eta"}) },
		"style": func(b *bytes.Buffer) error {
			return BurnDown(b, BurnDownChart{Series: []BurnSeries{{Style: "dotted"}}})
		},
	} {
		var b bytes.Buffer
		err := draw(&b)
		if phasegate.ErrorCode(err) != phasegate.EINVALID {
			t.Errorf("%s: error %v, want EINVALID", name, err)
		}
		if b.Len() != 0 {
			t.Errorf("%s: wrote %d bytes with an error", name, b.Len())
		}
	}
}

// TestTwoPicturesOnOnePage: with their own prefixes, two pictures share no
// id and each one's CSS is scoped to its own root.
func TestTwoPicturesOnOnePage(t *testing.T) {
	p := smallPlan(t)
	var page bytes.Buffer
	page.WriteString("<page>")
	if err := Timeline(&page, p, TimelineOptions{IDPrefix: "tl1"}); err != nil {
		t.Fatal(err)
	}
	if err := Timeline(&page, p, TimelineOptions{IDPrefix: "tl2"}); err != nil {
		t.Fatal(err)
	}
	page.WriteString("</page>")
	ids := regexp.MustCompile(` id="([^"]+)"`).FindAllStringSubmatch(page.String(), -1)
	seen := map[string]bool{}
	for _, m := range ids {
		if seen[m[1]] {
			t.Errorf("id %q used twice on the page", m[1])
		}
		seen[m[1]] = true
	}
	css := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindAllStringSubmatch(page.String(), -1)
	for k, m := range css {
		for _, line := range strings.Split(strings.TrimSpace(m[1]), "\n") {
			if !strings.HasPrefix(line, fmt.Sprintf("#tl%d ", k+1)) {
				t.Errorf("picture %d: CSS rule %q is not scoped to its root", k+1, line)
			}
		}
	}
}

// TestWriteError: a failing writer's error comes back.
func TestWriteError(t *testing.T) {
	err := Fan(failWriter{}, FanChart{})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("error %v, want the writer's", err)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, fmt.Errorf("disk full") }
