package estate

import (
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"0m", 0},
		{"90m", 90 * time.Minute},
		{"4h", 4 * time.Hour},
		{"2d", 48 * time.Hour},
		{"1w", 7 * 24 * time.Hour},
		{"1.5d", 36 * time.Hour},
		{"1d12h", 36 * time.Hour},
		{"2h30m", 150 * time.Minute},
		{"1w2d3h4m", (9*24+3)*time.Hour + 4*time.Minute},
		{" 1d 12h ", 36 * time.Hour},
		{"2 d", 48 * time.Hour},
		{".5h", 30 * time.Minute},
		{"0.1h", 6 * time.Minute},
		{"0.4m", 0},
		{"0.5m", time.Minute}, // rounds half away from zero
		{"3650d", MaxDuration},
	} {
		got, err := ParseDuration(tc.in)
		if err != nil {
			t.Errorf("ParseDuration(%q): %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("ParseDuration(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestParseDurationErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "is empty (write a number and a unit, e.g. 90m, 4h, 2d, 1.5d, 1d12h or 1w)"},
		{"3", `"3" has no unit (add a unit: 3m for minutes, 3h for hours, 3d for days)`},
		{"1.", `"1." has no unit`},
		{"2 days", `unknown unit "days" in "2 days" (write 2d)`},
		{"2s", `unknown unit "s" in "2s" (the units are m (minutes), h (hours), d (days) and w (weeks)`},
		{"2D", `unknown unit "D" in "2D" (write 2d)`},
		{"-2d", "is negative"},
		{"12h1d", `units in "12h1d" are out of order or repeated`},
		{"1h1h", `units in "1h1h" are out of order or repeated`},
		{"1d12", `the last number in "1d12" has no unit`},
		{"1.2.3d", `"1.2.3" is not a number`},
		{"h", `"h" is not a duration`},
		{"3651d", `"3651d" is longer than 3650d`},
		{"99999999999999999999999w", `"99999999999999999999999w" is longer than 3650d`},
		{"1e9d", `unknown unit "e" in "1e9d"`},
		{"NaN", `"NaN" is not a duration`},
		{"Inf", `"Inf" is not a duration`},
		{strings.Repeat("1", 65) + "d", "is too long to be a duration"},
	} {
		_, err := ParseDuration(tc.in)
		if err == nil {
			t.Errorf("ParseDuration(%q): no error, want %q", tc.in, tc.want)
			continue
		}
		if !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("ParseDuration(%q) error\n got: %s\nwant: %s…", tc.in, err, tc.want)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for _, tc := range []struct {
		in   time.Duration
		want string
	}{
		{0, "0m"},
		{29 * time.Second, "0m"},
		{30 * time.Second, "1m"},
		{90 * time.Minute, "1h30m"},
		{48 * time.Hour, "2d"},
		{36 * time.Hour, "1d12h"},
		{14 * 24 * time.Hour, "14d"},
		{25*time.Hour + time.Minute, "1d1h1m"},
		{-90 * time.Minute, "-1h30m"},
		{time.Duration(-1 << 63), "-106751d23h47m"},
		{time.Duration(1<<63 - 1), "106751d23h47m"},
	} {
		if got := FormatDuration(tc.in); got != tc.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// Every whole-minute duration in range formats to text that parses back
// to itself.
func TestDurationRoundTrip(t *testing.T) {
	for m := time.Duration(0); m <= MaxDuration; m = m*3 + 7*time.Minute {
		d := m.Truncate(time.Minute)
		got, err := ParseDuration(FormatDuration(d))
		if err != nil || got != d {
			t.Fatalf("ParseDuration(FormatDuration(%v)) = %v, %v", d, got, err)
		}
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"2d", "1d12h", "1.5d", "90m", "0m", "3", "-1d", "1w2d3h4m", "3650d", "3650.0001d", "1e3d", ". d", "1..2h", "١d", "2d\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if d < 0 || d > MaxDuration || d%time.Minute != 0 {
			t.Fatalf("ParseDuration(%q) = %v: out of range or not whole minutes", s, d)
		}
		back, err := ParseDuration(FormatDuration(d))
		if err != nil || back != d {
			t.Fatalf("round trip of %q: %v → %q → %v, %v", s, d, FormatDuration(d), back, err)
		}
	})
}
