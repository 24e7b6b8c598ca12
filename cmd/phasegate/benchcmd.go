package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/internal/bench"
)

func benchCommand() command {
	return command{
		name:    "bench",
		summary: "measure the planner on this machine and print tables",
		usage: `Usage: phasegate bench [--suite j30,speed,scale] [--psplib DIR] [--schedules 1000,5000]
                       [--seed N] [--systems 10000,100000]
       phasegate bench --generate N [--seed N] [--out FILE]

Measures what docs/benchmarks.md reports, on this machine:
  j30    quality: mean % above the proven optimum on the 480 PSPLIB J30
         instances, and how many are solved to optimum
  speed  5,000 schedules of generated 120-activity, 4-resource instances
  scale  whole plans of generated estates (10,000 and 100,000 systems)

  --psplib     the PSPLIB folder holding j30/ and j30opt.sm (default: the
               PHASEGATE_PSPLIB variable, else testdata/psplib in a clone
               of the repository)
  --suite      which suites, comma-separated (default: all three)
  --schedules  the J30 budgets, comma-separated (default 1000,5000)
  --systems    the estate sizes of the scale suite (default 10000,100000)
  --seed       makes the runs repeatable (default 1)
  --generate   write a generated estate of N systems (the scale suite's
               generator) as YAML instead, to time whole commands on it,
               e.g. phasegate bench --generate 100000 --out big.yaml, then
               time phasegate plan big.yaml --format json`,
		run: runBench,
	}
}

func runBench(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("bench")
	suites := fs.String("suite", "", "suites")
	dir := fs.String("psplib", "", "PSPLIB folder")
	schedules := fs.String("schedules", "", "J30 budgets")
	systems := fs.String("systems", "", "scale sizes")
	seed := fs.Uint64("seed", 1, "seed")
	generate := fs.Int("generate", 0, "systems to generate")
	out := fs.String("out", "", "file for --generate")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q; bench takes only flags", pos[0])
	}
	if *generate != 0 || *out != "" {
		return writeGenerated(e, *generate, *seed, *out)
	}
	cfg := bench.Config{Seed: *seed, PSPLIBDir: *dir}
	if *suites != "" {
		cfg.Suites = strings.Split(*suites, ",")
	}
	if cfg.Schedules, err = intList("--schedules", *schedules); err != nil {
		return err
	}
	if cfg.ScaleSystems, err = intList("--systems", *systems); err != nil {
		return err
	}
	needJ30 := len(cfg.Suites) == 0
	for _, s := range cfg.Suites {
		needJ30 = needJ30 || s == bench.SuiteJ30
	}
	if cfg.PSPLIBDir == "" {
		cfg.PSPLIBDir = e.getenv("PHASEGATE_PSPLIB")
	}
	if cfg.PSPLIBDir == "" {
		cfg.PSPLIBDir = filepath.Join("testdata", "psplib")
	}
	if needJ30 {
		if _, err := os.Stat(filepath.Join(cfg.PSPLIBDir, "j30opt.sm")); err != nil {
			return usagef("no PSPLIB J30 set at %s (j30opt.sm missing); give its folder with --psplib DIR, or leave j30 out with --suite speed,scale", cfg.PSPLIBDir)
		}
	}
	return bench.Run(ctx, e.stdout, cfg)
}

// intList parses "1000,5000" into numbers, naming the flag when one is bad.
func intList(flag, s string) ([]int, error) {
	if s == "" {
		return nil, nil
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, usagef("%s %q: give positive whole numbers separated by commas, e.g. %s 1000,5000", flag, s, flag)
		}
		out = append(out, n)
	}
	return out, nil
}

// writeGenerated writes the scale suite's generated estate as YAML.
func writeGenerated(e env, systems int, seed uint64, out string) error {
	if systems <= 0 || systems > 1_000_000 {
		return usagef("--generate %d: give the number of systems, from 1 to 1,000,000, e.g. --generate 100000", systems)
	}
	est := bench.Estate(systems, seed)
	doc, err := estate.EncodeYAML(est)
	if err != nil {
		return err
	}
	if out == "" {
		_, err = e.stdout.Write(doc)
		return err
	}
	if err := os.WriteFile(out, doc, 0o644); err != nil {
		return fileError(out, err)
	}
	fmt.Fprintf(e.stderr, "wrote %s: %s\n", out, describeEstate(est))
	return nil
}
