package main

import (
	"slices"
	"strings"
	"testing"
)

func TestParseArgsInterspersed(t *testing.T) {
	tests := []struct {
		args     []string
		wantPos  []string
		wantSeed uint64
		wantFmt  string
	}{
		{[]string{"a", "--seed", "3", "b"}, []string{"a", "b"}, 3, "text"},
		{[]string{"--format=json", "a"}, []string{"a"}, 1, "json"},
		{[]string{"a", "b", "--format", "json", "--seed=9"}, []string{"a", "b"}, 9, "json"},
		{[]string{"a", "--", "--seed"}, []string{"a", "--seed"}, 1, "text"},
		{nil, nil, 1, "text"},
	}
	for _, tt := range tests {
		fs := newFlagSet("plan")
		var pf planFlags
		pf.register(fs, "")
		pos, err := parseArgs(fs, tt.args)
		if err != nil {
			t.Fatalf("parseArgs(%q): %v", tt.args, err)
		}
		if !slices.Equal(pos, tt.wantPos) {
			t.Errorf("parseArgs(%q) positional = %q, want %q", tt.args, pos, tt.wantPos)
		}
		if pf.seed != tt.wantSeed || pf.format != tt.wantFmt {
			t.Errorf("parseArgs(%q): seed=%d format=%q, want %d %q", tt.args, pf.seed, pf.format, tt.wantSeed, tt.wantFmt)
		}
	}
}

func TestParseArgsUnknownFlagIsUsageError(t *testing.T) {
	fs := newFlagSet("plan")
	var pf planFlags
	pf.register(fs, "")
	_, err := parseArgs(fs, []string{"x", "--sead", "3"})
	ue, ok := err.(*usageError)
	if !ok {
		t.Fatalf("err = %v (%T), want *usageError", err, err)
	}
	if want := "--sead is not a flag of phasegate plan; did you mean --seed?"; ue.msg != want {
		t.Errorf("message = %q, want %q", ue.msg, want)
	}
}

// A bad flag names the command, the flag as the docs write it (two
// dashes) and what is wrong with it, and points to the command's help.
func TestFlagErrorsSayWhatIsWrong(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"plan", "x", "--bogus"}, "phasegate plan: --bogus is not a flag of phasegate plan\n"},
		{[]string{"plan", "x", "--seed", "abc"}, `phasegate plan: --seed "abc": give a whole number, 0 or more`},
		{[]string{"plan", "x", "--schedules", "many"}, `phasegate plan: --schedules "many": give a whole number`},
		{[]string{"plan", "x", "--format"}, "phasegate plan: --format is missing its value (text, json or svg): write --format VALUE"},
		{[]string{"serve", "--follow", "often"}, `phasegate serve: --follow "often": give a duration such as 30s`},
		{[]string{"incident", "isolate", "1", "--all=maybe", "--reason", "x"}, `--all "maybe": the flag takes no value`},
		{[]string{"system", "transition", "2", "edr-platform", "--to", "--reason", "x"},
			"phasegate system: --to is missing its value (state): write --to VALUE; the next argument, --reason, is a flag"},
		{[]string{"system", "transition", "2", "edr-platform", "extra", "--to", "online", "--reason", "x"},
			`phasegate system: too many arguments: "extra" is one more than it takes`},
		{[]string{"system", "transition", "2", "--to", "online", "--reason", "x"}, "give the incident and the system"},
		{[]string{"approval", "reject", "6", "--token", "t"}, "give why with --note"},
		// A state no move leads to is refused here, before the server, with
		// the states a system can be moved to (not running: only a start).
		{[]string{"system", "transition", "2", "edr-platform", "--to", "clearde", "--reason", "x", "--token", "t"},
			`phasegate system: --to "clearde": not a state a system can move to; did you mean "cleared"? The states are isolated,`},
		{[]string{"system", "transition", "2", "edr-platform", "--to", "running", "--reason", "x", "--token", "t"},
			`--to "running": not a state a system can move to; use isolated, investigating, cleared, restoring, verifying, online or compromised`},
		// The API's URL copied from a curl line instead of the server's.
		{[]string{"incident", "list", "--server", "http://127.0.0.1:1/api/v1/", "--token", "t"},
			`--server "http://127.0.0.1:1/api/v1/": give the server's own URL, without the API's path: --server http://127.0.0.1:1`},
	} {
		r := runCLI(t, env{}, c.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, c.want) {
			t.Errorf("phasegate %s: exit %d, stderr:\n%s\nwant exit %d and %q", strings.Join(c.args, " "), r.code, r.stderr, exitUsage, c.want)
		}
		if help := "run 'phasegate help " + c.args[0] + "'"; !strings.Contains(r.stderr, help) {
			t.Errorf("phasegate %s: stderr does not point to %s:\n%s", strings.Join(c.args, " "), help, r.stderr)
		}
	}
}

// -h and --help print the command's help on standard output, exit 0, on
// every command and subcommand; help answers for help and version too.
func TestHelpFlagPrintsTheCommandsHelp(t *testing.T) {
	for _, c := range commands() {
		for _, args := range [][]string{{c.name, "--help"}, {c.name, "-h"}, {c.name, "x", "--help"}} {
			r := runCLI(t, env{}, args...)
			if r.code != exitOK || !strings.HasPrefix(r.stdout, c.summary) || !strings.Contains(r.stdout, "Usage: phasegate "+c.name) {
				t.Errorf("phasegate %s: exit %d, stdout %.60q, stderr %q", strings.Join(args, " "), r.code, r.stdout, r.stderr)
			}
		}
	}
	for _, args := range [][]string{{"user", "add", "--help"}, {"system", "transition", "1", "x", "-h"}} {
		if r := runCLI(t, env{}, args...); r.code != exitOK || !strings.Contains(r.stdout, "Usage: phasegate "+args[0]) {
			t.Errorf("phasegate %s: exit %d, stdout %.60q, stderr %q", strings.Join(args, " "), r.code, r.stdout, r.stderr)
		}
	}
	for _, cmd := range []string{"help", "version"} {
		if r := runCLI(t, env{}, "help", cmd); r.code != exitOK || !strings.Contains(r.stdout, "Usage: phasegate "+cmd) {
			t.Errorf("phasegate help %s: exit %d, stdout %q, stderr %q", cmd, r.code, r.stdout, r.stderr)
		}
	}
}

func TestHoursText(t *testing.T) {
	for _, tt := range []struct {
		h    float64
		want string
	}{
		{0, "0h"}, {0.75, "45m"}, {8, "8h"}, {24, "1d"}, {76, "3d 4h"}, {24*14 + 0.5, "14d"}, {-2, "-2h"},
	} {
		if got := hoursText(tt.h); got != tt.want {
			t.Errorf("hoursText(%v) = %q, want %q", tt.h, got, tt.want)
		}
	}
}

func TestMoney(t *testing.T) {
	for _, tt := range []struct {
		cur  string
		v    float64
		want string
	}{
		{"GBP", 950, "£950"}, {"GBP", 31200, "£31.2k"}, {"GBP", 31_200_000, "£31.2m"},
		{"GBP", 1_230_000_000, "£1.23bn"}, {"CHF", 5_000_000, "5m CHF"}, {"EUR", 2_000_000, "€2m"},
	} {
		if got := money(tt.cur, tt.v); got != tt.want {
			t.Errorf("money(%s, %v) = %q, want %q", tt.cur, tt.v, got, tt.want)
		}
	}
}

func TestUnknownCommandSuggests(t *testing.T) {
	if got := closest("plna", commandNames()); got != "plan" {
		t.Errorf("closest(plna) = %q, want plan", got)
	}
	if got := closest("zzzzzzzz", commandNames()); got != "" {
		t.Errorf("closest(zzzzzzzz) = %q, want none", got)
	}
}

// A bad server URL that came from $PHASEGATE_SERVER is named as such: the
// person never typed --server.
func TestBadServerFromTheEnvironment(t *testing.T) {
	getenv := func(url string) func(string) string {
		return func(k string) string {
			if k == "PHASEGATE_SERVER" {
				return url
			}
			return ""
		}
	}
	for _, c := range []struct{ url, want string }{
		{"http://127.0.0.1:1/api/v1", `PHASEGATE_SERVER "http://127.0.0.1:1/api/v1": give the server's own URL, without the API's path: PHASEGATE_SERVER=http://127.0.0.1:1`},
		{"127.0.0.1:8080", `PHASEGATE_SERVER "127.0.0.1:8080": give the server's URL, e.g. http://127.0.0.1:8080`},
	} {
		r := runCLI(t, env{getenv: getenv(c.url)}, "incident", "list", "--token", "t")
		if r.code != exitUsage || !strings.Contains(r.stderr, c.want) {
			t.Errorf("PHASEGATE_SERVER=%s: exit %d, %s; want %q", c.url, r.code, r.stderr, c.want)
		}
	}
	// Typed, the flag is named even when the variable is set.
	r := runCLI(t, env{getenv: getenv("http://127.0.0.1:8080")}, "incident", "list", "--token", "t", "--server", "http://127.0.0.1:1/api")
	if !strings.Contains(r.stderr, `--server "http://127.0.0.1:1/api"`) {
		t.Errorf("a typed --server: %s", r.stderr)
	}
}
