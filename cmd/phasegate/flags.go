package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/phasegate/phasegate/internal/suggest"
)

// flagSetHook, when not nil, sees every flag set a command makes (tests
// use it to compare each command's flags with its usage).
var flagSetHook func(*flag.FlagSet)

// newFlagSet returns a flag set that reports errors to the caller instead
// of printing and exiting, so bad use becomes a usageError (exit 2).
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if flagSetHook != nil {
		flagSetHook(fs)
	}
	return fs
}

// helpError asks for the command's help (-h or --help among its
// arguments): it is printed on standard output, exit status 0.
type helpError struct{}

func (helpError) Error() string { return "help requested" }

func isHelpFlag(s string) bool { return s == "-h" || s == "-help" || s == "--help" }

// parseArgs parses flags that may come before, between or after the
// positional arguments ("phasegate plan estate/ --seed 3"), as the usage
// lines promise. "--" ends the flags. Its errors name the flag as the
// docs write it (--seed) and say what is wrong with it.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	if err := checkFlagValues(fs, args); err != nil {
		return nil, err
	}
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, flagError(fs, err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		// fs.Parse stops at the first positional argument or after "--".
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// flagGiven reports whether the flag name was given on the command line.
func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}

func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// flagName is the flag an argument names ("--to=x" → "to"), or "" when
// the argument is not a flag.
func flagName(arg string) string {
	if len(arg) < 2 || arg[0] != '-' || arg == "--" {
		return ""
	}
	name, _, _ := strings.Cut(strings.TrimLeft(arg, "-"), "=")
	return name
}

// checkFlagValues catches a flag whose value is missing because the next
// argument is another flag ("--to --reason x"), which the flag package
// would take as the value.
func checkFlagValues(fs *flag.FlagSet, args []string) error {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return nil
		}
		name := flagName(a)
		f := fs.Lookup(name)
		if f == nil || strings.Contains(a, "=") || isBoolFlag(f) {
			continue
		}
		if i+1 == len(args) {
			return nil // the flag package says it needs a value
		}
		next := args[i+1]
		if n := flagName(next); n != "" && (fs.Lookup(n) != nil || isHelpFlag(next)) {
			return usagef("%s; the next argument, %s, is a flag", missingValue(f), next)
		}
		i++ // the value
	}
	return nil
}

// missingValue says that flag f was given without its value.
func missingValue(f *flag.Flag) string {
	if f.Usage != "" {
		return fmt.Sprintf("--%s is missing its value (%s): write --%s %s", f.Name, f.Usage, f.Name, valueHint(f))
	}
	return fmt.Sprintf("--%s is missing its value: write --%s %s", f.Name, f.Name, valueHint(f))
}

// valueHint is what a flag's value looks like, for a message.
func valueHint(f *flag.Flag) string {
	if g, ok := f.Value.(flag.Getter); ok {
		switch g.Get().(type) {
		case int, int64, uint, uint64:
			return "N"
		case time.Duration:
			return "DURATION"
		}
	}
	return "VALUE"
}

// kindOfValue says what a flag takes, for a message about a bad value.
func kindOfValue(f *flag.Flag) string {
	if g, ok := f.Value.(flag.Getter); ok {
		switch g.Get().(type) {
		case int, int64:
			return "a whole number"
		case uint, uint64:
			return "a whole number, 0 or more"
		case float64:
			return "a number"
		case time.Duration:
			return "a duration such as 30s, 10m or 1h30m"
		case bool:
			return "true or false"
		}
	}
	return "a valid value"
}

var (
	reUndefined  = regexp.MustCompile(`^flag provided but not defined: -+(.*)$`)
	reNeedsValue = regexp.MustCompile(`^flag needs an argument: -+(.*)$`)
	reBadValue   = regexp.MustCompile(`^invalid (?:boolean )?value "(.*)" for (?:flag )?-+([^:]*): `)
	reBadSyntax  = regexp.MustCompile(`^bad flag syntax: (.*)$`)
)

// flagError turns an error of the flag package into a usage error that
// names the flag as the docs write it and says what to do.
func flagError(fs *flag.FlagSet, err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return helpError{}
	}
	msg := err.Error()
	if m := reUndefined.FindStringSubmatch(msg); m != nil {
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		out := fmt.Sprintf("--%s is not a flag of phasegate %s", m[1], fs.Name())
		if c := closest(m[1], names); c != "" {
			out += fmt.Sprintf("; did you mean --%s?", c)
		}
		return usagef("%s", out)
	}
	if m := reNeedsValue.FindStringSubmatch(msg); m != nil {
		if f := fs.Lookup(m[1]); f != nil {
			return usagef("%s", missingValue(f))
		}
		return usagef("--%s is missing its value: write --%s VALUE", m[1], m[1])
	}
	if m := reBadValue.FindStringSubmatch(msg); m != nil {
		kind := "a valid value"
		if f := fs.Lookup(m[2]); f != nil {
			kind = kindOfValue(f)
			if isBoolFlag(f) {
				return usagef("--%s %q: the flag takes no value (or write --%s=true or --%s=false)", m[2], m[1], m[2], m[2])
			}
		}
		if _, after, ok := strings.Cut(msg, ": "); ok && kind == "a valid value" {
			kind += " (" + after + ")"
		}
		return usagef("--%s %q: give %s", m[2], m[1], kind)
	}
	if m := reBadSyntax.FindStringSubmatch(msg); m != nil {
		return usagef("%s is not a flag: write flags as --name VALUE or --name=VALUE", m[1])
	}
	return usagef("%s", msg)
}

// countFlag is an int flag that knows whether it was given, so that 0
// given is told apart from the default.
type countFlag struct {
	n   *int
	set *bool
}

func (c countFlag) String() string {
	if c.n == nil {
		return "0"
	}
	return strconv.Itoa(*c.n)
}

func (c countFlag) Set(s string) error {
	n, err := strconv.ParseInt(s, 0, strconv.IntSize)
	if err != nil {
		return errors.New("parse error")
	}
	*c.n, *c.set = int(n), true
	return nil
}

func (c countFlag) Get() any { return *c.n }

// closest returns the candidate nearest to s, or "" when none is near
// enough to be a plausible typo.
func closest(s string, candidates []string) string {
	return suggest.Nearest(s, candidates)
}
