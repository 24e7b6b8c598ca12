package estate

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
)

// MaxDuration is the longest duration the format accepts. A restore or a
// clearance longer than ten years is a typo, and the bound keeps every sum
// the planner makes far from overflowing time.Duration.
const MaxDuration = 3650 * 24 * time.Hour

// durationUnits are the units of the duration syntax, largest first: a
// compound duration must name them in this order, each at most once.
var durationUnits = []struct {
	sym     byte
	minutes float64
	name    string
}{
	{'w', 7 * 24 * 60, "weeks"},
	{'d', 24 * 60, "days"},
	{'h', 60, "hours"},
	{'m', 1, "minutes"},
}

// durationProblem is why a duration does not parse, with a fix.
type durationProblem struct {
	msg, fix string
}

const durationExample = "write a number and a unit, e.g. 90m, 4h, 2d, 1.5d, 1d12h or 1w"

// ParseDuration reads a duration in the estate format: a number and a unit
// (m minutes, h hours, d days of 24 hours, w weeks of 7 days), decimals
// allowed ("1.5d"), several parts largest first ("1d12h", "2h30m"). The
// result is rounded to whole minutes. A bare number, an unknown unit, a
// negative duration or one longer than MaxDuration is an error.
func ParseDuration(s string) (time.Duration, error) {
	d, p := parseDuration(s)
	if p != nil {
		return 0, errors.New(p.msg + " (" + p.fix + ")")
	}
	return d, nil
}

func parseDuration(s string) (time.Duration, *durationProblem) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, &durationProblem{"is empty", durationExample}
	}
	if len(t) > 64 {
		return 0, &durationProblem{"is too long to be a duration", durationExample}
	}
	if t[0] == '-' {
		return 0, &durationProblem{"is negative; durations cannot be", "write how long the work takes, e.g. 4h"}
	}
	if t[0] == '+' {
		t = t[1:]
	}
	var total float64
	next := 0 // index into durationUnits of the largest unit still allowed
	parts := 0
	for i := 0; i < len(t); {
		for i < len(t) && t[i] == ' ' {
			i++
		}
		if i == len(t) {
			break
		}
		start := i
		for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
			i++
		}
		num := t[start:i]
		if num == "" {
			return 0, &durationProblem{strconv.Quote(s) + " is not a duration", durationExample}
		}
		v, err := strconv.ParseFloat(num, 64)
		if err != nil || strings.Count(num, ".") > 1 || num == "." {
			return 0, &durationProblem{strconv.Quote(num) + " is not a number", durationExample}
		}
		for i < len(t) && t[i] == ' ' {
			i++
		}
		if i == len(t) {
			if parts == 0 {
				return 0, &durationProblem{strconv.Quote(s) + " has no unit", "add a unit: " + num + "m for minutes, " + num + "h for hours, " + num + "d for days"}
			}
			return 0, &durationProblem{"the last number in " + strconv.Quote(s) + " has no unit", durationExample}
		}
		ustart := i
		for i < len(t) && (t[i] < '0' || t[i] > '9') && t[i] != '.' && t[i] != ' ' {
			i++
		}
		unit := t[ustart:i]
		u := -1
		if len(unit) == 1 {
			for k := range durationUnits {
				if durationUnits[k].sym == unit[0] {
					u = k
				}
			}
		}
		if u < 0 {
			fix := "the units are m (minutes), h (hours), d (days) and w (weeks); " + durationExample
			if sym := unitWord(unit); sym != "" {
				fix = "write " + num + sym
			}
			return 0, &durationProblem{"unknown unit " + strconv.Quote(unit) + " in " + strconv.Quote(s), fix}
		}
		if u < next {
			return 0, &durationProblem{"units in " + strconv.Quote(s) + " are out of order or repeated", "name each unit once, largest first, e.g. 1d12h or 2h30m"}
		}
		next = u + 1
		parts++
		total += v * durationUnits[u].minutes
		if total > MaxDuration.Minutes() {
			return 0, &durationProblem{strconv.Quote(s) + " is longer than 3650d", "a restore or clearance that long is a mistake; check the number and the unit"}
		}
	}
	return time.Duration(math.Round(total)) * time.Minute, nil
}

// FormatDuration writes d in the estate format, rounded to whole minutes:
// days, hours and minutes, largest first, zero parts left out ("2d",
// "1d12h", "1h30m", "0m"). ParseDuration reads it back.
func FormatDuration(d time.Duration) string {
	neg := d < 0
	// uint64 so that the most negative duration does not overflow.
	u := uint64(d)
	if neg {
		u = -u
	}
	m := (u + uint64(time.Minute)/2) / uint64(time.Minute)
	if m == 0 {
		return "0m"
	}
	var b []byte
	if neg {
		b = append(b, '-')
	}
	if days := m / (24 * 60); days > 0 {
		b = strconv.AppendUint(b, days, 10)
		b = append(b, 'd')
	}
	if h := m / 60 % 24; h > 0 {
		b = strconv.AppendUint(b, h, 10)
		b = append(b, 'h')
	}
	if mm := m % 60; mm > 0 {
		b = strconv.AppendUint(b, mm, 10)
		b = append(b, 'm')
	}
	return string(b)
}

// unitWord maps a unit written out ("days", "hrs") to its symbol.
func unitWord(w string) string {
	switch strings.ToLower(w) {
	case "min", "mins", "minute", "minutes":
		return "m"
	case "h", "hr", "hrs", "hour", "hours":
		return "h"
	case "d", "day", "days":
		return "d"
	case "w", "wk", "wks", "week", "weeks":
		return "w"
	}
	return ""
}
