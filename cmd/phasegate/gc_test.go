package main

import (
	"runtime/debug"
	"testing"
)

// TestTuneGC: the short-lived commands collect at GOGC 200; serve and
// bench, and any run where the user set GOGC, keep what they have.
func TestTuneGC(t *testing.T) {
	orig := debug.SetGCPercent(100)
	defer debug.SetGCPercent(orig)
	none := func(string) string { return "" }
	for _, c := range []struct {
		args   []string
		getenv func(string) string
		want   int
	}{
		{[]string{"plan", "x"}, none, 200},
		{[]string{"forecast", "x"}, none, 200},
		{[]string{"validate", "x"}, none, 200},
		{[]string{"serve", "--demo"}, none, 100},
		{[]string{"bench"}, none, 100},
		{nil, none, 100},
		{[]string{"plan", "x"}, func(k string) string {
			if k == "GOGC" {
				return "50"
			}
			return ""
		}, 100},
	} {
		debug.SetGCPercent(100)
		tuneGC(c.args, c.getenv)
		if got := debug.SetGCPercent(100); got != c.want {
			t.Errorf("%v: GOGC %d, want %d", c.args, got, c.want)
		}
	}
}
