package chart

import (
	"math"
	"slices"
	"testing"
	"time"
)

func TestNiceStep(t *testing.T) {
	for _, c := range []struct {
		span float64
		n    int
		want float64
	}{
		{10, 5, 2}, {1, 5, 0.2}, {7, 3, 2.5}, {100, 10, 10}, {101, 10, 20},
		{63000, 6, 20000}, {0, 5, 1}, {3, 0, 5}, {math.NaN(), 4, 1}, {-10, 5, 2},
	} {
		if got := niceStep(c.span, c.n); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("niceStep(%v, %d) = %v, want %v", c.span, c.n, got, c.want)
		}
	}
}

func TestValueTicks(t *testing.T) {
	for _, c := range []struct {
		lo, hi float64
		n      int
		want   []float64
	}{
		{0, 63000, 6, []float64{0, 20000, 40000, 60000, 80000}},
		{0, 0.3, 3, []float64{0, 0.1, 0.2, 0.3}},
		{0, 1, 4, []float64{0, 0.25, 0.5, 0.75, 1}},
		{0, 0, 5, []float64{0, 0.2, 0.4, 0.6, 0.8, 1}},
		{5, -5, 2, []float64{-5, 0, 5}},
		{12, 97, 5, []float64{0, 20, 40, 60, 80, 100}},
	} {
		if got := valueTicks(c.lo, c.hi, c.n); !slices.Equal(got, c.want) {
			t.Errorf("valueTicks(%v, %v, %d) = %v, want %v", c.lo, c.hi, c.n, got, c.want)
		}
	}
	// Whatever the range: increasing, enclosing it, and not too many.
	for _, r := range [][2]float64{{0, 1e-9}, {-1e300, 1e300}, {1e15, 1e15 + 3}, {0.001, 0.0013}, {math.Inf(1), 3}} {
		ticks := valueTicks(r[0], r[1], 6)
		if len(ticks) < 2 || len(ticks) > 1001 {
			t.Errorf("valueTicks(%v, %v): %d ticks", r[0], r[1], len(ticks))
			continue
		}
		if !slices.IsSorted(ticks) {
			t.Errorf("valueTicks(%v, %v) = %v: not increasing", r[0], r[1], ticks)
		}
	}
}

func TestFormatQty(t *testing.T) {
	for v, want := range map[float64]string{
		0: "0", 63000: "63,000", 1234567.5: "1,234,567.5", -1200: "-1,200", 0.25: "0.25",
		999: "999", 1000: "1,000", 2.999: "3", math.NaN(): "0", -0.001: "0",
	} {
		if got := formatQty(v); got != want {
			t.Errorf("formatQty(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestDuration(t *testing.T) {
	for h, want := range map[float64]string{5: "5 h", 30.26: "30.3 h", 72: "3 days", 24 * 35: "5 weeks", 0: "0 h", -3: "-3 h"} {
		if got := duration(h); got != want {
			t.Errorf("duration(%v) = %q, want %q", h, got, want)
		}
	}
}

// TestTimeTicksSteps checks that the step follows the density: hours when
// there is room, then days, weeks, months.
func TestTimeTicksSteps(t *testing.T) {
	loc := london(t)
	start := time.Date(2025, 9, 1, 8, 0, 0, 0, loc)
	for _, c := range []struct {
		name      string
		span, pph float64 // hours, pixels per hour
		want      []string
	}{
		{"half a day, wide", 12, 80, []string{"08:00", "09:00", "10:00"}},
		{"three days", 72, 7, []string{"12:00", "Tue 2 Sep", "12:00", "Wed 3 Sep"}},
		{"a month", 24 * 30, 3.5, []string{"Tue 2 Sep", "Wed 3 Sep"}},
		{"a month, narrow", 24 * 30, 0.6, []string{"8 Sep", "15 Sep", "22 Sep"}},
		{"a year", 24 * 365, 0.1, []string{"Oct 2025", "Nov 2025"}},
	} {
		ticks := timeTicks(start, 0, c.span, c.pph, 11)
		var got []string
		for _, tk := range ticks {
			got = append(got, tk.Label)
		}
		if len(got) < len(c.want) || !slices.Equal(got[:len(c.want)], c.want) {
			t.Errorf("%s: labels %v, want them to begin %v", c.name, got, c.want)
		}
	}
}

// TestTimeTicksInvariants: for many ranges and densities, ticks are inside
// the range, increasing, their labels don't overlap at the density given,
// and they fall on round local times, across daylight-saving changes.
func TestTimeTicksInvariants(t *testing.T) {
	loc := london(t)
	starts := []time.Time{
		time.Date(2025, 9, 1, 8, 0, 0, 0, loc),
		time.Date(2025, 10, 24, 23, 30, 0, 0, loc), // clocks go back on the 26th
		time.Date(2026, 3, 28, 5, 0, 0, 0, loc),    // and forward on the 29th
		time.Date(2025, 12, 31, 12, 0, 0, 0, time.UTC),
	}
	for _, start := range starts {
		for _, span := range []float64{0.5, 5, 30, 100, 24 * 9, 24 * 40, 24 * 200, 24 * 800, 24 * 365 * 30} {
			for _, pph := range []float64{0.001, 0.05, 0.5, 3, 20, 200} {
				ticks := timeTicks(start, -span/10, span, pph, 11)
				for k, tk := range ticks {
					if tk.Hours < -span/10-1e-6 || tk.Hours > span+1e-6 {
						t.Fatalf("%v span %v: tick %v outside the range", start, span, tk)
					}
					if tk.Label == "" {
						t.Fatalf("%v span %v: empty label", start, span)
					}
					lt := at(start, tk.Hours).In(loc)
					if lt.Minute() != 0 || lt.Second() != 0 {
						t.Fatalf("%v span %v: tick %q at %v is not on the hour", start, span, tk.Label, lt)
					}
					if k == 0 {
						continue
					}
					prev := ticks[k-1]
					if tk.Hours <= prev.Hours {
						t.Fatalf("%v span %v: ticks not increasing: %v then %v", start, span, prev, tk)
					}
					// Labels fit unless even the coarsest step is too dense.
					gap := (tk.Hours - prev.Hours) * pph
					if w := textWidth(prev.Label, 11, false); gap < w && span*pph > 2000 {
						t.Fatalf("%v span %v at %v px/h: %q (%.0f px) overlaps the next tick %.0f px on", start, span, pph, prev.Label, w, gap)
					}
				}
			}
		}
	}
}

func TestTimeTicksCalendar(t *testing.T) {
	loc := london(t)
	start := time.Date(2025, 10, 20, 8, 0, 0, 0, loc)
	days := timeStep{unitDay, 1}.ticks(start, 0, 24*10)
	for _, tk := range days {
		if lt := at(start, tk.Hours).In(loc); lt.Hour() != 0 {
			t.Errorf("day tick %q at %v: not midnight (DST on 26 Oct)", tk.Label, lt)
		}
	}
	if got, want := days[6].Hours-days[5].Hours, 25.0; got != want { // 26 Oct has 25 hours
		t.Errorf("day across the DST change is %v hours, want %v", got, want)
	}
	for _, tk := range (timeStep{unitWeek, 1}).ticks(start, 0, 24*60) {
		if lt := at(start, tk.Hours).In(loc); lt.Weekday() != time.Monday || lt.Hour() != 0 {
			t.Errorf("week tick %q at %v: not Monday midnight", tk.Label, lt)
		}
	}
	for _, tk := range (timeStep{unitMonth, 3}).ticks(start, 0, 24*800) {
		if lt := at(start, tk.Hours).In(loc); lt.Day() != 1 || (lt.Month()-1)%3 != 0 {
			t.Errorf("quarter tick %q at %v: not the first of a quarter", tk.Label, lt)
		}
	}
	// A range wider than a lifetime still ends, with few ticks.
	if ticks := timeTicks(start, -maxHours, maxHours, 0.0001, 11); len(ticks) == 0 || len(ticks) > 2000 {
		t.Errorf("±%v hours: %d ticks", maxHours, len(ticks))
	}
}

func TestTextFit(t *testing.T) {
	if w := textWidth("MMMM", 10, false); w <= textWidth("iiii", 10, false) {
		t.Errorf("M is not wider than i: %v", w)
	}
	long := "Supplier EDI gateway for the Elmhurst plant"
	got := fit(long, 80, 11, false)
	if textWidth(got, 11, false) > 80 || got == long || got[len(got)-len("…"):] != "…" {
		t.Errorf("fit(%q, 80) = %q", long, got)
	}
	if got := fit("short", 200, 11, false); got != "short" {
		t.Errorf("fit kept %q", got)
	}
	if got := fit("anything", 2, 11, false); got != "" {
		t.Errorf("fit into 2 px = %q, want empty", got)
	}
	lines := wrap("Left to right in the order systems can come back", 120, 12, false)
	if len(lines) < 2 {
		t.Errorf("wrap gave %q", lines)
	}
	for _, l := range lines {
		if textWidth(l, 12, false) > 120 {
			t.Errorf("wrapped line %q is too wide", l)
		}
	}
}

func TestEscape(t *testing.T) {
	in := "a<b>&\"c'\x00\x01\tok\xff\uFFFE é ✓"
	got := string(appendEscaped(nil, in))
	want := "a&lt;b&gt;&amp;&quot;c&apos;\uFFFD\uFFFD\tok\uFFFD\uFFFD é ✓"
	if got != want {
		t.Errorf("appendEscaped(%q) = %q, want %q", in, got, want)
	}
	for f, want := range map[float64]string{1.25: "1.3", -0.04: "0", 3: "3", math.Inf(1): "0", math.NaN(): "0", 1e7: "10000000"} {
		if got := num(f); got != want {
			t.Errorf("num(%v) = %q, want %q", f, got, want)
		}
	}
}

// TestAtGivesTheMinuteBack: a plan's times are whole minutes carried as
// float hours; at gives each minute back exactly, so a label cut to the
// minute says what the text beside it says (09:37, not 09:36).
func TestAtGivesTheMinuteBack(t *testing.T) {
	start := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	for m := range 200_000 {
		if got, want := at(start, float64(m)/60), start.Add(time.Duration(m)*time.Minute); !got.Equal(want) {
			t.Fatalf("minute %d: at gives %s, want %s", m, got.Format(time.RFC3339Nano), want.Format(time.RFC3339))
		}
	}
}
