package main

import (
	"context"
	"flag"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// synopses splits the synopsis of a usage (up to the first blank line)
// into one entry per "phasegate …" line with its continuation lines.
func synopses(usage string) []string {
	head, _, _ := strings.Cut(strings.TrimSpace(usage), "\n\n")
	var out []string
	for _, line := range strings.Split(head, "\n") {
		if i := strings.Index(line, "phasegate "); i >= 0 {
			out = append(out, line[i:])
		} else if len(out) > 0 {
			out[len(out)-1] += " " + strings.TrimSpace(line)
		}
	}
	return out
}

func namesFlag(text, name string) bool {
	return regexp.MustCompile(`--` + regexp.QuoteMeta(name) + `([^a-z-]|$)`).MatchString(text)
}

// Every flag a command (or one of its subcommands) takes is named in its
// synopsis line and described in its help, so 'phasegate help COMMAND'
// shows every flag there is. --server, --token and --format of the client
// commands are described once, below the synopses.
func TestUsageNamesEveryFlag(t *testing.T) {
	var sets []*flag.FlagSet
	flagSetHook = func(fs *flag.FlagSet) { sets = append(sets, fs) }
	defer func() { flagSetHook = nil }()
	for _, c := range commands() {
		entries := synopses(c.usage)
		if len(entries) == 0 {
			t.Errorf("%s: no synopsis line in its usage", c.name)
			continue
		}
		subRE := regexp.MustCompile(`^phasegate ` + regexp.QuoteMeta(c.name) + ` ([a-z][a-z-]*)`)
		var subs []string
		for _, en := range entries {
			if m := subRE.FindStringSubmatch(en); m != nil && !slices.Contains(subs, m[1]) {
				subs = append(subs, m[1])
			}
		}
		if len(subs) == 0 {
			subs = []string{""}
		}
		for _, sub := range subs {
			args := []string{c.name}
			synopsis := strings.Join(entries, " ")
			if sub != "" {
				args = append(args, sub)
				synopsis = ""
				for _, en := range entries {
					if strings.HasPrefix(en, "phasegate "+c.name+" "+sub+" ") || en == "phasegate "+c.name+" "+sub {
						synopsis += en + " "
					}
				}
			}
			sets = nil
			e, _, _ := testEnv("")
			if code := run(context.Background(), append(args, "--no-such-flag-here"), e); code != exitUsage {
				t.Errorf("%q with an unknown flag: exit %d, want %d", args, code, exitUsage)
			}
			if len(sets) != 1 {
				t.Errorf("%q: %d flag sets made, want 1", args, len(sets))
				continue
			}
			sets[0].VisitAll(func(f *flag.Flag) {
				client := strings.Contains(c.usage, strings.TrimSpace(clientFlagsUsage)) && slices.Contains([]string{"server", "token", "format"}, f.Name)
				if !client && !namesFlag(synopsis, f.Name) {
					t.Errorf("phasegate %s: the synopsis does not name --%s:\n%s", strings.Join(args, " "), f.Name, synopsis)
				}
				if !namesFlag(c.usage, f.Name) {
					t.Errorf("phasegate %s: the help does not describe --%s", strings.Join(args, " "), f.Name)
				}
			})
		}
	}
}

// No help text gives a fixed date as an example: the server refuses an
// expected day already over and a --by before the clock's start, so a
// date that was ahead when it was written is an example that fails.
func TestUsageGivesNoFixedDates(t *testing.T) {
	date := regexp.MustCompile(`\b20\d\d-\d\d-\d\d`)
	for _, c := range commands() {
		if m := date.FindAllString(c.usage, -1); m != nil {
			t.Errorf("phasegate help %s gives the date %s as an example; write YYYY-MM-DD (a day ahead) or a duration", c.name, strings.Join(m, ", "))
		}
	}
}
