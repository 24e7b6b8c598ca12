package main

import (
	"flag"
	"io"
	"strings"

	"github.com/phasegate/phasegate/internal/suggest"
)

// newFlagSet returns a flag set that reports errors to the caller instead
// of printing and exiting, so bad use becomes a usageError (exit 2).
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseArgs parses flags that may come before, between or after the
// positional arguments ("phasegate plan estate/ --seed 3"), as the usage
// lines promise. "--" ends the flags.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if err == flag.ErrHelp {
				return nil, usagef("-h is not a flag here; run 'phasegate help %s'", fs.Name())
			}
			return nil, usagef("%s", strings.TrimPrefix(err.Error(), "flag provided but not defined: "))
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

// closest returns the candidate nearest to s, or "" when none is near
// enough to be a plausible typo.
func closest(s string, candidates []string) string {
	return suggest.Nearest(s, candidates)
}
