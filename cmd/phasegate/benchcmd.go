package main

import (
	"context"
	"encoding/json"
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
       phasegate bench --generate N [--seed N] [--out FILE | --out DIR/] [--format yaml|json]

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
               generator) instead, to time whole commands on it, e.g.
               phasegate bench --generate 100000 --out big.json, then
               time phasegate plan big.json --format json
  --out        where: a FILE (JSON when it ends in .json, else YAML), or
               a directory DIR/ (with the slash) to get the estate split
               over one file per group of ten teams plus estate.yaml or
               estate.json for the rest, as large organisations keep it;
               without --out, standard output
  --format     yaml or json (default: from the file name; yaml for DIR/
               and standard output)

Both formats read fast: phasegate validate takes about 0.5 s and 160 MB
on the 100,000-system estate, as JSON or as the YAML written here.
phasegate reads JSON and block-style YAML with readers of its own that
build one system at a time. YAML they leave to the general YAML parser
(anchors, tags, text over several lines...), which builds the whole
file's node tree first, takes about four times as long.`,
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
	out := fs.String("out", "", "file or DIR/ for --generate")
	format := fs.String("format", "", "yaml or json for --generate")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q; bench takes only flags", pos[0])
	}
	if flagGiven(fs, "generate") || *out != "" || *format != "" {
		return writeGenerated(e, *generate, *seed, *out, *format)
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

// writeGenerated writes the scale suite's generated estate: as YAML or
// JSON, to standard output, one file, or a directory of files.
func writeGenerated(e env, systems int, seed uint64, out, format string) error {
	if systems <= 0 || systems > 1_000_000 {
		return usagef("--generate %d: give the number of systems, from 1 to 1,000,000, e.g. --generate 100000", systems)
	}
	dir := strings.HasSuffix(out, "/") || strings.HasSuffix(out, string(filepath.Separator))
	ext := strings.ToLower(filepath.Ext(out))
	switch {
	case format == "" && !dir && ext == ".json":
		format = "json"
	case format == "":
		format = "yaml"
	case format != "yaml" && format != "json":
		return usagef("--format %q: write yaml or json", format)
	case !dir && out != "" && (format == "json") != (ext == ".json"):
		return usagef("--format %s does not suit %s: name the file with .json for JSON and anything else for YAML, or give a directory DIR/", format, out)
	}
	est := bench.Estate(systems, seed)
	if !dir {
		doc, err := encodeEstate(est, format)
		if err != nil {
			return err
		}
		if out == "" {
			_, err = e.stdout.Write(doc)
			return err
		}
		if err := os.WriteFile(out, doc, 0o644); err != nil {
			return outError(out, err)
		}
		fmt.Fprintf(e.stderr, "wrote %s: %s\n", out, describeEstate(est))
		return nil
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return outError(out, err)
	}
	parts := splitByTeams(est, 10)
	for i, part := range parts {
		name := "estate." + format
		if i > 0 {
			name = fmt.Sprintf("teams-%03d.%s", i, format)
		}
		doc, err := encodeEstate(part, format)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(out, name), doc, 0o644); err != nil {
			return outError(filepath.Join(out, name), err)
		}
	}
	fmt.Fprintf(e.stderr, "wrote %s to %s: %s\n", plural(len(parts), "file"), out, describeEstate(est))
	return nil
}

func encodeEstate(est *estate.Estate, format string) ([]byte, error) {
	if format == "json" {
		doc, err := json.Marshal(est)
		return append(doc, '\n'), err
	}
	return estate.EncodeYAML(est)
}

// splitByTeams splits an estate into files as teams keep them: the first
// holds the top-level values and the teams that own no system (such as
// the forensic investigators), the services and the backlogs; each other
// holds a group of per teams and their systems. Every file repeats the
// top-level values, which the merge allows as they agree.
func splitByTeams(est *estate.Estate, per int) []*estate.Estate {
	top := func() *estate.Estate {
		return &estate.Estate{Version: est.Version, Organization: est.Organization, Currency: est.Currency,
			Start: est.Start, ClearanceTeam: est.ClearanceTeam}
	}
	owns := map[string]bool{}
	for _, s := range est.Systems {
		owns[s.Team] = true
	}
	first := top()
	first.Services, first.Backlogs = est.Services, est.Backlogs
	parts := []*estate.Estate{first}
	group := map[string]*estate.Estate{}
	var cur *estate.Estate
	for _, t := range est.Teams {
		if !owns[t.ID] {
			first.Teams = append(first.Teams, t)
			continue
		}
		if cur == nil || len(cur.Teams) == per {
			cur = top()
			parts = append(parts, cur)
		}
		cur.Teams = append(cur.Teams, t)
		group[t.ID] = cur
	}
	for _, s := range est.Systems {
		p := group[s.Team]
		p.Systems = append(p.Systems, s)
	}
	return parts
}
