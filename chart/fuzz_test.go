package chart

import (
	"bytes"
	"testing"
	"time"

	"github.com/phasegate/phasegate"
)

// checkDraw is what every fuzz target asserts: either a well-formed,
// accessible picture of a sane size, or an EINVALID error and nothing
// written.
func checkDraw(t *testing.T, buf *bytes.Buffer, err error) {
	t.Helper()
	if err != nil {
		if phasegate.ErrorCode(err) != phasegate.EINVALID {
			t.Fatalf("error %v: want EINVALID for bad options", err)
		}
		if buf.Len() != 0 {
			t.Fatalf("wrote %d bytes along with an error", buf.Len())
		}
		return
	}
	checkSVG(t, buf.Bytes())
	checkSize(t, buf.Bytes())
}

func FuzzTimeline(f *testing.F) {
	f.Add(uint16(22), uint64(1), 1200.0, "wave", "", "", "", "", 0, "isolated", "SAP <ERP>", 24.0)
	f.Add(uint16(0), uint64(2), 0.0, "team", "team-01", "data", "svc-01", "sys", 5, "", "", -3.0)
	f.Add(uint16(300), uint64(3), 380.0, "none", "nope", "", "", "\xff", 1, "weird\x00", "\u202e", 1e9)
	f.Fuzz(func(t *testing.T, n uint16, seed uint64, width float64, groupBy, team, kind, service, search string,
		maxRows int, state, name string, nowH float64) {
		p := bigPlan(t, int(n%400), seed)
		if len(p.Systems) > 0 {
			p.Systems[0].Name = name
			p.Systems[0].WaitingOn = name
		}
		states := map[string]State{}
		for i, s := range p.Systems {
			if i%3 == 0 {
				states[s.ID] = State(state)
			}
		}
		now := at(p.Start, nowH)
		for _, draw := range []func(*bytes.Buffer) error{
			func(b *bytes.Buffer) error {
				return Timeline(b, p, TimelineOptions{Title: name, Width: width, GroupBy: GroupBy(groupBy), MaxRows: maxRows, Now: &now, States: states,
					Filter: Filter{Team: team, Kind: kind, Service: service, Search: search}})
			},
			func(b *bytes.Buffer) error {
				return Waves(b, p, WavesOptions{Title: name, Width: width, MaxNodes: maxRows, States: states,
					Filter: Filter{Team: team, Kind: kind, Service: service, Search: search}})
			},
		} {
			var buf bytes.Buffer
			checkDraw(t, &buf, draw(&buf))
		}
	})
}

func FuzzForecast(f *testing.F) {
	f.Add("Vehicle production", 648.0, 768.0, 900.0, 1008.0, 888.0, 0.62, 700.0, 0.3, 1200.0, "")
	f.Add("", 0.0, 0.0, 0.0, 0.0, -1.0, 2.0, -5.0, -1.0, 0.0, "pg-x")
	f.Add("<&>", 1e300, -1e300, 5.0, 5.0, 5.0, -0.0, 5.0, 0.5, 380.0, "1bad")
	f.Fuzz(func(t *testing.T, label string, det, p50, p80, p95, by, prob, cdfH, cdfP, width float64, prefix string) {
		s := FanSeries{Label: label, Deterministic: det, P50: p50, P80: p80, P95: p95, Probability: &prob,
			CDF: []CDFPoint{{cdfH, cdfP}, {p50, 0.5}, {p95, 0.95}}}
		c := FanChart{Title: label, Subtitle: label, Start: time.Date(2025, 9, 1, 8, 0, 0, 0, time.UTC), Series: []FanSeries{s, {Label: label}},
			Whole: &s, ByHours: &by, Width: width, IDPrefix: prefix}
		for _, draw := range []func(*bytes.Buffer) error{
			func(b *bytes.Buffer) error { return Fan(b, c) },
			func(b *bytes.Buffer) error { return CDF(b, c) },
		} {
			var buf bytes.Buffer
			checkDraw(t, &buf, draw(&buf))
		}
	})
}

func FuzzBurnDown(f *testing.F) {
	f.Add("normal", "invoices", 840.0, 63000.0, 2000.0, 0.0, 840.0, "surge", 1200.0, "Supplier payments back")
	f.Add("", "", 0.0, 0.0, 0.0, 0.0, 0.0, "", 0.0, "")
	f.Add("x", "\x00", -1e18, 1e308, 5.0, -5.0, 1e6, "dotted", 380.0, "]]>")
	f.Fuzz(func(t *testing.T, label, unit string, h1, v1, h2, v2, down float64, style string, width float64, event string) {
		c := BurnDownChart{Title: label, Unit: unit, Start: time.Date(2025, 9, 1, 8, 0, 0, 0, time.UTC), DownUntil: &down, Width: width,
			Series: []BurnSeries{{Label: label, Style: BurnStyle(style), Points: []Point{{0, 0}, {h1, v1}, {h2, v2}}}, {Label: unit, Points: []Point{{h2, v1}}}},
			Events: []Event{{h1, event}, {h2, event}, {down, label}}}
		var buf bytes.Buffer
		checkDraw(t, &buf, BurnDown(&buf, c))
	})
}

func FuzzETAHistory(f *testing.F) {
	f.Add("Vehicle production", 2.0, 216.0, 20.0, 240.0, 52.5, 296.0, 75.0, 600.0, "")
	f.Add("", 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, "pg-x")
	f.Add("<&>\x00", -1e300, 1e300, 5.0, -5.0, 1e9, 4.0, -1e6, 380.0, "1bad")
	f.Fuzz(func(t *testing.T, title string, at1, eta1, at2, eta2, at3, eta3, nowH, width float64, prefix string) {
		start := time.Date(2025, 9, 1, 8, 0, 0, 0, time.UTC)
		now := at(start, nowH)
		c := ETAHistoryChart{Title: title, Subtitle: title, Start: start, Now: &now, Width: width, IDPrefix: prefix,
			Steps: []ETAStep{{at1, eta1}, {at2, eta2}, {at3, eta3}}}
		var buf bytes.Buffer
		checkDraw(t, &buf, ETAHistory(&buf, c))
	})
}
