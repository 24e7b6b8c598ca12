package chart

import (
	"bytes"
	"encoding/xml"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// goldenCase is one picture kept in testdata/NAME.svg.
type goldenCase struct {
	name string
	draw func(tb testing.TB, w io.Writer) error
}

func goldenCases() []goldenCase {
	now := func(tb testing.TB) *time.Time {
		t := time.Date(2025, 9, 5, 14, 30, 0, 0, london(tb))
		return &t
	}
	return []goldenCase{
		{"timeline", func(tb testing.TB, w io.Writer) error {
			return Timeline(w, smallPlan(tb), TimelineOptions{Title: "Northfield Motors: restart plan", Now: now(tb), States: smallStates()})
		}},
		{"timeline-team", func(tb testing.TB, w io.Writer) error {
			return Timeline(w, smallPlan(tb), TimelineOptions{GroupBy: GroupByTeam})
		}},
		{"timeline-filtered", func(tb testing.TB, w io.Writer) error {
			return Timeline(w, smallPlan(tb), TimelineOptions{Filter: Filter{Service: "parts-ordering"}, MaxRows: 6, Now: now(tb), Width: 600, States: smallStates()})
		}},
		{"timeline-phone", func(tb testing.TB, w io.Writer) error {
			return Timeline(w, smallPlan(tb), TimelineOptions{Width: 380, States: smallStates(), Now: now(tb)})
		}},
		{"timeline-empty", func(tb testing.TB, w io.Writer) error {
			return Timeline(w, schedule(time.Date(2025, 9, 1, 8, 0, 0, 0, time.UTC), nil, nil, nil), TimelineOptions{})
		}},
		{"waves", func(tb testing.TB, w io.Writer) error {
			return Waves(w, smallPlan(tb), WavesOptions{Title: "Northfield Motors: restart waves", States: smallStates()})
		}},
		{"waves-filtered", func(tb testing.TB, w io.Writer) error {
			return Waves(w, smallPlan(tb), WavesOptions{Filter: Filter{Team: "apps"}, Width: 700})
		}},
		{"waves-compact", func(tb testing.TB, w io.Writer) error {
			p := bigPlan(tb, 400, 2)
			return Waves(w, p, WavesOptions{States: bigStates(p, 2)})
		}},
		{"fan", func(tb testing.TB, w io.Writer) error { return Fan(w, sampleFan(tb)) }},
		{"fan-phone", func(tb testing.TB, w io.Writer) error {
			c := sampleFan(tb)
			c.Width = 380
			return Fan(w, c)
		}},
		{"cdf", func(tb testing.TB, w io.Writer) error { return CDF(w, sampleFan(tb)) }},
		{"fan-empty", func(tb testing.TB, w io.Writer) error { return Fan(w, FanChart{Start: sampleFan(tb).Start}) }},
		{"burndown", func(tb testing.TB, w io.Writer) error { return BurnDown(w, sampleBurnDown(tb)) }},
		{"burndown-empty", func(tb testing.TB, w io.Writer) error { return BurnDown(w, BurnDownChart{}) }},
		{"eta-history", func(tb testing.TB, w io.Writer) error { return ETAHistory(w, sampleETAHistory(tb)) }},
		{"eta-history-back", func(tb testing.TB, w io.Writer) error {
			c := sampleETAHistory(tb)
			c.Title, c.Subtitle, c.Width = "Payroll", "", 380
			c.Steps = append(c.Steps[:2:2], ETAStep{At: 60, ETA: 58})
			return ETAHistory(w, c)
		}},
		{"eta-history-empty", func(tb testing.TB, w io.Writer) error { return ETAHistory(w, ETAHistoryChart{}) }},
		{"timeline-big", func(tb testing.TB, w io.Writer) error {
			p := bigPlan(tb, 300, 1)
			return Timeline(w, p, TimelineOptions{MaxRows: 120, States: bigStates(p, 1), Filter: Filter{Kind: "data"}})
		}},
	}
}

// TestGolden draws each picture and compares it byte for byte with its
// golden file; run with -update to accept a change after looking at it.
func TestGolden(t *testing.T) {
	for _, c := range goldenCases() {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := c.draw(t, &buf); err != nil {
				t.Fatal(err)
			}
			checkSVG(t, buf.Bytes())
			path := filepath.Join("testdata", c.name+".svg")
			if *update {
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./chart -run TestGolden -update to create it)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("%s differs from the golden file; look at the picture, then run with -update to accept it", path)
			}
			// Same input, same bytes.
			var again bytes.Buffer
			if err := c.draw(t, &again); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), again.Bytes()) {
				t.Errorf("%s: two draws of the same input differ", c.name)
			}
		})
	}
}

// checkSVG parses the whole document with encoding/xml and checks what
// every picture must have: one svg root with role="img", a title and a
// description, no reference to anything outside the document, and no
// NaN, Inf or negative size anywhere.
func checkSVG(tb testing.TB, b []byte) {
	tb.Helper()
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.Strict = true
	depth, roots := 0, 0
	var sawTitle, sawDesc, inStyle bool
	ids := map[string]bool{}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Fatalf("not well-formed XML: %v\n%s", err, excerpt(b, dec.InputOffset()))
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
				if t.Name.Local != "svg" || t.Name.Space != "http://www.w3.org/2000/svg" {
					tb.Fatalf("root is %v, want svg in the SVG namespace", t.Name)
				}
				if attr(t, "role") != "img" {
					tb.Errorf(`root has no role="img"`)
				}
			}
			if depth == 1 && t.Name.Local == "title" {
				sawTitle = true
			}
			if depth == 1 && t.Name.Local == "desc" {
				sawDesc = true
			}
			inStyle = t.Name.Local == "style"
			for _, a := range t.Attr {
				checkAttr(tb, t.Name.Local, a)
				if a.Name.Local == "id" {
					if ids[a.Value] {
						tb.Errorf("duplicate id %q", a.Value)
					}
					ids[a.Value] = true
				}
			}
			depth++
		case xml.EndElement:
			depth--
			inStyle = false
		case xml.CharData:
			if inStyle && (bytes.Contains(t, []byte("@import")) || bytes.Contains(t, []byte("url(http"))) {
				tb.Errorf("style refers outside the document: %s", t)
			}
		}
	}
	if roots != 1 {
		tb.Errorf("%d root elements, want 1", roots)
	}
	if !sawTitle || !sawDesc {
		tb.Errorf("title %v, desc %v: both are needed for screen readers", sawTitle, sawDesc)
	}
}

func checkAttr(tb testing.TB, elem string, a xml.Attr) {
	tb.Helper()
	v := a.Value
	if strings.Contains(v, "NaN") || strings.Contains(v, "Inf") {
		if a.Name.Local != "title" { // text may say anything; numbers may not
			tb.Errorf("<%s %s=%q>: not a number", elem, a.Name.Local, v)
		}
	}
	switch a.Name.Local {
	case "width", "height", "r":
		if strings.HasPrefix(v, "-") {
			tb.Errorf("<%s %s=%q>: negative size", elem, a.Name.Local, v)
		}
	case "href":
		tb.Errorf("<%s href=%q>: the pictures must not refer to anything", elem, v)
	}
	if strings.HasPrefix(v, "url(") && !strings.HasPrefix(v, "url(#") {
		tb.Errorf("<%s %s=%q>: refers outside the document", elem, a.Name.Local, v)
	}
}

func attr(t xml.StartElement, name string) string {
	for _, a := range t.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func excerpt(b []byte, off int64) string {
	lo := max(0, int(off)-200)
	hi := min(len(b), int(off)+200)
	return string(b[lo:hi])
}

// sampleFan is a forecast for the small plan's services, as the forecast
// package would give it: quantiles, a target of 8 October, and the
// distribution for two of them.
func sampleFan(tb testing.TB) FanChart {
	loc := london(tb)
	start := time.Date(2025, 9, 1, 8, 0, 0, 0, loc)
	// Back by the end of 8 October: 9 October 00:00.
	by := time.Date(2025, 10, 9, 0, 0, 0, 0, loc).Sub(start).Hours()
	day := 24.0
	prob := func(p float64) *float64 { return &p }
	mk := func(label string, det, p50, p80, p95, pBy float64, withCDF bool) FanSeries {
		s := FanSeries{Label: label, Deterministic: det * day, P50: p50 * day, P80: p80 * day, P95: p95 * day, Probability: prob(pBy)}
		if withCDF {
			s.CDF = smoothCDF(det*day*0.97, s.P50, s.P80, s.P95, p95*day*1.12)
		}
		return s
	}
	whole := mk("Whole restart (every system back)", 30, 35, 40.5, 45, 0.31, true)
	return FanChart{
		Title:    "Northfield Motors: when will we be back?",
		Subtitle: "Forecast from 10,000 simulated runs (seed 1), durations sampled from PERT distributions",
		Start:    start,
		ByHours:  &by,
		Series: []FanSeries{
			mk("Payroll", 3, 3.5, 4.2, 5, 1, false),
			mk("Supplier payments", 16, 19, 23, 27, 0.97, true),
			mk("Parts ordering for retailers", 19, 23, 28, 33, 0.9, false),
			mk("Vehicle registration", 19, 24, 29, 34, 0.88, false),
			mk("Vehicle production", 27, 32, 37.5, 42, 0.62, true),
		},
		Whole: &whole,
	}
}

// smoothCDF draws a plausible S-curve through the quantiles: a monotone
// cubic between each pair of known points.
func smoothCDF(first, p50, p80, p95, last float64) []CDFPoint {
	knots := []CDFPoint{{first, 0}, {p50, 0.5}, {p80, 0.8}, {p95, 0.95}, {last, 1}}
	var pts []CDFPoint
	for k := 1; k < len(knots); k++ {
		a, b := knots[k-1], knots[k]
		for i := range 12 {
			t := float64(i) / 12
			s := t * t * (3 - 2*t)
			pts = append(pts, CDFPoint{a.Hours + (b.Hours-a.Hours)*t, a.P + (b.P-a.P)*s})
		}
	}
	return append(pts, knots[len(knots)-1])
}

// sampleBurnDown is the supplier invoice backlog: it piles up for 35 days,
// then is worked off at normal capacity or with surge staff.
func sampleBurnDown(tb testing.TB) BurnDownChart {
	start := time.Date(2025, 9, 1, 8, 0, 0, 0, london(tb))
	day := 24.0
	back := 35 * day
	peak := 35 * 1800.0
	normal := back + peak/(2500-1800)*day
	surge := back + peak/(4000-1800)*day
	now := start.Add(20 * 24 * time.Hour)
	return BurnDownChart{
		Title:     "Supplier invoices waiting to be paid",
		Subtitle:  "1,800 invoices arrive a day; 2,500 a day can be paid normally, 4,000 with surge staff",
		Unit:      "invoices",
		Start:     start,
		DownUntil: &back,
		Now:       &now,
		Series: []BurnSeries{
			{Label: "normal capacity", Style: BurnNormal, Points: []Point{{0, 0}, {back, peak}, {normal, 0}}},
			{Label: "surge capacity", Style: BurnSurge, Points: []Point{{0, 0}, {back, peak}, {surge, 0}}},
		},
		Events: []Event{
			{back, "Supplier payments back"},
			{back + 3*day, "critical suppliers paid (surge)"},
			{back + 9*day, "critical suppliers paid (normal)"},
			{surge, "all suppliers paid (surge)"},
		},
	}
}

// sampleETAHistory is a service's date over the first three days of an
// incident: first promised for the 10th, a day later after a system was
// found compromised again, a little earlier, then later again.
func sampleETAHistory(tb testing.TB) ETAHistoryChart {
	start := time.Date(2025, 9, 1, 8, 0, 0, 0, london(tb))
	now := start.Add(75 * time.Hour)
	return ETAHistoryChart{
		Title:    "Vehicle production at Elmhurst",
		Subtitle: "4 moves since Mon 1 Sep",
		Start:    start,
		Now:      &now,
		Steps:    []ETAStep{{2, 216}, {20, 240}, {31, 230}, {50, 300}, {52.5, 296}},
	}
}
