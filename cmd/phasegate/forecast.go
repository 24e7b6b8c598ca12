package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/forecast"
)

// The forecasting commands: forecast, impact, backlog and whatif. Each
// plans the estate once, re-runs the plan with sampled durations, and
// reports dates with their confidence and the money at stake.
func forecastCommands() []command {
	return []command{forecastCommand(), impactCommand(), backlogCommand(), whatifCommand()}
}

const forecastFlagsUsage = `  --runs          how many times the schedule is re-run with sampled durations
                  (default 10000)
  --seed          makes the forecast repeatable (default 1); the same seed gives
                  the same numbers on any machine and any number of cores
  --start         when the restart's clock starts, RFC 3339 (default: the
                  estate's start, else now)
  --distribution  pert (default) or triangular: how a {min, likely, max}
                  estimate is sampled (see docs/forecast.md)
  --objective     cost or makespan: what the plan being forecast minimises
  --schedules     how many schedules the planner may try for that plan, 1 to
                  10,000,000 (default: 5000, fewer for very large estates)`

func forecastCommand() command {
	return command{
		name:    "forecast",
		summary: "forecast when each service is back, with P50/P80/P95 dates",
		usage: `Usage: phasegate forecast PATH... [--runs N] [--seed N] [--by DATE] [--start TIME]
                          [--distribution pert|triangular] [--objective cost|makespan]
                          [--schedules N] [--format text|json|svg]

Plans the restart once, then re-runs that plan many times with every
three-point estimate sampled, and gives for each business service and for
the whole restart the dates it is back by with 50, 80 and 95% confidence,
beside the plan's own date.

  --by            when to be back by: a duration from the clock's start
                  (21d, 3w, 1d12h), a date a day ahead (YYYY-MM-DD, the end
                  of that day) or an RFC 3339 time; the chance of each
                  service making it. Before the clock's start is refused.
  --format        text (a summary for a person), json (the machine contract)
                  or svg (a fan chart: P50–P95 bands per service)
` + forecastFlagsUsage,
		run: runForecast,
	}
}

func impactCommand() command {
	return command{
		name:    "impact",
		summary: "what the outage has cost so far and will cost, per service",
		usage: `Usage: phasegate impact PATH... [--since DATE] [--runs N] [--seed N] [--start TIME]
                        [--distribution pert|triangular] [--objective cost|makespan]
                        [--schedules N] [--format text|json]

The impact ledger: from the incident's start until each service is back,
the revenue lost, the extra cost, the output not produced and the people
idle — so far, and projected at the plan's dates and at P50/P80/P95.

  --since         when the incident started (YYYY-MM-DD, the start of that
                  day, or an RFC 3339 time; default: the clock's start)
  --format        text or json
` + forecastFlagsUsage,
		run: runImpact,
	}
}

func backlogCommand() command {
	return command{
		name:    "backlog",
		summary: "how work piles up while services are down, and when it clears",
		usage: `Usage: phasegate backlog PATH... [--backlog ID] [--policy POLICY|all] [--surge=false] [--items]
                         [--since DATE] [--runs N] [--seed N] [--start TIME]
                         [--distribution pert|triangular] [--objective cost|makespan]
                         [--schedules N] [--format text|json|svg]

For each backlog: how much has piled up when its service is back (at the
plan's date and at P80) and when it is cleared; for backlogs that list
their items (e.g. supplier invoices), the order they are worked in and
when the critical suppliers and all suppliers are paid.

  --backlog       only this backlog (svg draws one: name it when there are
                  several)
  --policy        critical-first, oldest-first, smallest-supplier-first, or
                  all to compare them (default: each backlog's own)
  --surge         show when each backlog clears at surge capacity beside the
                  normal one (the default; --surge=false leaves it out)
  --items         list every item's place in the order (json only)
  --since         when the incident started (default: the clock's start)
  --format        text, json, or svg (the burn-down chart)
` + forecastFlagsUsage,
		run: runBacklog,
	}
}

func whatifCommand() command {
	return command{
		name:    "whatif",
		summary: "compare the restart with and without a change, side by side",
		usage: `Usage: phasegate whatif PATH... CHANGE... [--since DATE] [--runs N] [--seed N]
                        [--start TIME] [--distribution pert|triangular] [--objective cost|makespan]
                        [--schedules N] [--format text|json]
  CHANGE: --team-capacity TEAM=N | --clearance SYSTEM=DURATION | --restore SYSTEM=DURATION
          | --compromised SYSTEM | --drop-dependency A:B

Asks without changing anything: each service's date (at the plan and at
P80) and cost of downtime with the changes, beside the baseline. Both use
the same seed and the same draws for every system, so the differences
come from the changes. Changes (each flag may be repeated):

  --team-capacity TEAM=N        a team's capacity (forensics=8), or a change
                                (forensics=+2)
  --clearance SYSTEM=DURATION   a system's forensic clearance: 3d, 2d/3d/5d
                                (min/likely/max), -1d or +12h (every bound
                                moved), none (no clearance)
  --restore SYSTEM=DURATION     a system's restore, as for --clearance
  --compromised SYSTEM          found compromised again: back to pending, to
                                be cleared and restored again
  --drop-dependency A:B         A no longer waits for B (A a system or a
                                service)

  --since         when the incident started (default: the clock's start)
  --format        text or json
` + forecastFlagsUsage,
		run: runWhatIf,
	}
}

// forecastFlags are the flags every forecasting command shares.
type forecastFlags struct {
	planFlags
	formats []string // the formats the command writes; text and json when nil
	runs    int
	dist    string
	by      string
	since   string
}

func (f *forecastFlags) register(fs *flag.FlagSet) {
	f.planFlags.register(fs, "text or json")
	fs.IntVar(&f.runs, "runs", forecast.DefaultRuns, "runs")
	fs.StringVar(&f.dist, "distribution", string(forecast.PERT), "pert or triangular")
}

// resolve checks the flags and turns them into forecast options and the
// incident's start. checkStart compares --by and --since with the clock's
// start, which needs the estate (its start, when it gives one).
func (f *forecastFlags) resolve(est *estate.Estate, e env, checkStart bool) (forecast.Options, time.Time, error) {
	formats := f.formats
	if formats == nil {
		formats = []string{"text", "json"}
	}
	po, err := f.options(est, e, formats...)
	if err != nil {
		return forecast.Options{}, time.Time{}, err
	}
	if f.runs < 1 || f.runs > forecast.MaxRuns {
		return forecast.Options{}, time.Time{}, usagef("--runs %d: give a number from 1 to %d, e.g. --runs 10000", f.runs, forecast.MaxRuns)
	}
	dist := forecast.Distribution(f.dist)
	if !slices.Contains(forecast.Distributions, dist) {
		return forecast.Options{}, time.Time{}, usagef("--distribution %q: use pert or triangular, e.g. --distribution pert", f.dist)
	}
	opts := forecast.Options{
		Runs: f.runs, Seed: po.Seed, Distribution: dist, Start: po.Start,
		Objective: po.Objective, Schedules: po.Schedules,
	}
	if f.by != "" {
		t, err := parseBy(f.by, po.Start)
		if err != nil {
			return forecast.Options{}, time.Time{}, usagef("--by %q: %v", f.by, err)
		}
		if checkStart && t.Before(po.Start) {
			return forecast.Options{}, time.Time{}, usagef("--by %s is before the clock's start %s: no run can be back by then; give a later date, a time from the start such as --by 21d, or --start",
				t.Format(time.RFC3339), po.Start.Format(time.RFC3339))
		}
		opts.By = t
	}
	since := po.Start
	if f.since != "" {
		t, err := parseWhen(f.since, po.Start.Location(), false)
		if err != nil {
			return forecast.Options{}, time.Time{}, usagef("--since %q: %v", f.since, err)
		}
		if checkStart && t.After(po.Start) {
			return forecast.Options{}, time.Time{}, usagef("--since %s is after the clock's start %s; the incident must start before the restart is planned (or give --start)", t.Format(time.RFC3339), po.Start.Format(time.RFC3339))
		}
		since = t
	}
	return opts, since, nil
}

// parseBy reads --by: a date or time as parseWhen (a date meaning the end
// of that day), or a duration in the estate format counted from the
// clock's start ("21d", "3w", "1d12h").
func parseBy(s string, start time.Time) (time.Time, error) {
	t, err := parseWhen(s, start.Location(), true)
	if err == nil {
		return t, nil
	}
	if d, derr := estate.ParseDuration(s); derr == nil {
		return start.Add(d), nil
	}
	return time.Time{}, errors.New("not a date or a duration; write it like 21d (21 days from the clock's start), or a day ahead as YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ")
}

// parseWhen reads an RFC 3339 time or a date. A date alone means the start
// of that day, or with endOfDay its end (being back "by 8 October" means
// by the end of it), in loc.
func parseWhen(s string, loc *time.Location, endOfDay bool) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := time.ParseInLocation(time.DateOnly, s, loc)
	if err != nil {
		return time.Time{}, errors.New("not a date; write it as YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ")
	}
	if endOfDay {
		d = d.AddDate(0, 0, 1)
	}
	return d, nil
}

// load checks the flags, reads the estate and resolves the options.
func (f *forecastFlags) load(paths []string, e env) (*estate.Estate, forecast.Options, time.Time, error) {
	if len(paths) == 0 {
		return nil, forecast.Options{}, time.Time{}, usagef("give the estate: one or more files or directories, e.g. examples/northfield-motors")
	}
	// Check the flags before the (possibly slow) load, so a typo fails fast.
	if _, _, err := f.resolve(&estate.Estate{}, e, false); err != nil {
		return nil, forecast.Options{}, time.Time{}, err
	}
	est, err := loadEstate(paths, e)
	if err != nil {
		return nil, forecast.Options{}, time.Time{}, err
	}
	opts, since, err := f.resolve(est, e, true)
	if err != nil {
		return nil, forecast.Options{}, time.Time{}, err
	}
	return est, opts, since, nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func runForecast(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("forecast")
	ff := forecastFlags{formats: []string{"text", "json", "svg"}}
	ff.register(fs)
	fs.StringVar(&ff.by, "by", "", "date to be back by")
	paths, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	est, opts, _, err := ff.load(paths, e)
	if err != nil {
		return err
	}
	r, err := runWithProgress(ctx, e, est, opts)
	if err != nil {
		return err
	}
	switch ff.format {
	case "json":
		return writeJSON(e.stdout, r)
	case "svg":
		return writeFanSVG(e.stdout, est, r)
	}
	return writeForecastText(e.stdout, est, r)
}

// runWithProgress runs a forecast with a progress bar on a terminal.
func runWithProgress(ctx context.Context, e env, est *estate.Estate, opts forecast.Options) (*forecast.Result, error) {
	bar := newProgressBar(e, "forecast")
	opts.OnProgress = bar.report
	r, err := forecast.Run(ctx, est, opts)
	bar.done()
	return r, err
}

func runImpact(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("impact")
	var ff forecastFlags
	ff.register(fs)
	fs.StringVar(&ff.since, "since", "", "incident start")
	paths, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	est, opts, since, err := ff.load(paths, e)
	if err != nil {
		return err
	}
	r, err := runWithProgress(ctx, e, est, opts)
	if err != nil {
		return err
	}
	l, err := forecast.Impact(est, r, forecast.ImpactOptions{Since: since})
	if err != nil {
		return err
	}
	if ff.format == "json" {
		return writeJSON(e.stdout, l)
	}
	return writeImpactText(e.stdout, est, r, l)
}

// backlogReport is the JSON of `phasegate backlog`.
type backlogReport struct {
	Start    time.Time                 `json:"start"`
	Since    time.Time                 `json:"since"`
	Runs     int                       `json:"runs"`
	Seed     uint64                    `json:"seed"`
	Backlogs []forecast.BacklogOutlook `json:"backlogs"`
}

func runBacklog(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("backlog")
	ff := forecastFlags{formats: []string{"text", "json", "svg"}}
	ff.register(fs)
	fs.StringVar(&ff.since, "since", "", "incident start")
	only := fs.String("backlog", "", "backlog id")
	policy := fs.String("policy", "", "policy or all")
	surge := fs.Bool("surge", true, "show surge capacity")
	items := fs.Bool("items", false, "list every item")
	paths, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	var policies []string
	switch {
	case *policy == "":
	case *policy == "all":
		policies = forecast.Policies
	case slices.Contains(forecast.Policies, *policy):
		policies = []string{*policy}
	default:
		return usagef("--policy %q: use %s, or all to compare them, e.g. --policy all", *policy, joinOr(forecast.Policies))
	}
	if *items && ff.format != "json" {
		return usagef("--items lists thousands of lines: use it with --format json")
	}
	est, opts, since, err := ff.load(paths, e)
	if err != nil {
		return err
	}
	if len(est.Backlogs) == 0 {
		return fmt.Errorf("the estate has no backlogs; declare them under backlogs: (see docs/forecast.md)")
	}
	var ids []string
	for _, b := range est.Backlogs {
		ids = append(ids, b.ID)
	}
	if *only != "" && !slices.Contains(ids, *only) {
		return usagef("--backlog %q: no such backlog; the estate's are %s, e.g. --backlog %s", *only, strings.Join(ids, ", "), ids[0])
	}
	if ff.format == "svg" && *only == "" && len(ids) > 1 {
		return usagef("--format svg draws one backlog: choose it with --backlog, one of %s, e.g. --backlog %s", strings.Join(ids, ", "), ids[0])
	}
	r, err := runWithProgress(ctx, e, est, opts)
	if err != nil {
		return err
	}
	bs, err := forecast.Backlogs(est, r, forecast.BacklogOptions{Since: since, Policies: policies, Items: *items})
	if err != nil {
		return err
	}
	if *only != "" {
		bs = slices.DeleteFunc(bs, func(b forecast.BacklogOutlook) bool { return b.ID != *only })
	}
	if !*surge {
		for i := range bs {
			bs[i].DropSurge()
		}
	}
	switch ff.format {
	case "json":
		return writeJSON(e.stdout, backlogReport{Start: r.Start, Since: since, Runs: r.Runs, Seed: r.Seed, Backlogs: bs})
	case "svg":
		return writeBurnDownSVG(e.stdout, est, r, bs[0], *surge)
	}
	return writeBacklogText(e.stdout, est, r, since, bs, *surge)
}

// multiFlag collects a repeatable flag's values; they are parsed after
// all flags, so each bad one is a clear usage error.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func runWhatIf(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("whatif")
	var ff forecastFlags
	ff.register(fs)
	fs.StringVar(&ff.since, "since", "", "incident start")
	var capacity, clearance, restore, compromised, drop multiFlag
	fs.Var(&capacity, forecast.FlagTeamCapacity, "TEAM=N")
	fs.Var(&clearance, forecast.FlagClearance, "SYSTEM=DURATION")
	fs.Var(&restore, forecast.FlagRestore, "SYSTEM=DURATION")
	fs.Var(&compromised, forecast.FlagCompromised, "SYSTEM")
	fs.Var(&drop, forecast.FlagDropDependency, "A:B")
	paths, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	var sc forecast.Scenario
	for _, v := range capacity {
		c, err := forecast.ParseCapacityChange(v)
		if err != nil {
			return changeUsage(err)
		}
		sc.TeamCapacity = append(sc.TeamCapacity, c)
	}
	for k, list := range []multiFlag{clearance, restore} {
		for _, v := range list {
			flagName := forecast.FlagClearance
			if k == 1 {
				flagName = forecast.FlagRestore
			}
			c, err := forecast.ParseEstimateChange(flagName, v, k == 0)
			if err != nil {
				return changeUsage(err)
			}
			if k == 0 {
				sc.Clearance = append(sc.Clearance, c)
			} else {
				sc.Restore = append(sc.Restore, c)
			}
		}
	}
	for _, v := range compromised {
		id, err := forecast.ParseCompromised(v)
		if err != nil {
			return changeUsage(err)
		}
		sc.Compromised = append(sc.Compromised, id)
	}
	for _, v := range drop {
		d, err := forecast.ParseDependency(v)
		if err != nil {
			return changeUsage(err)
		}
		sc.DropDependency = append(sc.DropDependency, d)
	}
	if sc.Empty() {
		return usagef("give at least one change, e.g. --team-capacity forensics=8 or --clearance sap-s4-core=3d")
	}
	est, opts, since, err := ff.load(paths, e)
	if err != nil {
		return err
	}
	bar := newProgressBar(e, "whatif")
	opts.OnProgress = bar.report
	c, err := forecast.WhatIf(ctx, est, sc, opts, forecast.ImpactOptions{Since: since})
	bar.done()
	if err != nil {
		var ps estate.Problems
		if errors.As(err, &ps) {
			return usagef("the changes leave the estate invalid:\n  %s", strings.ReplaceAll(ps.Error(), "\n", "\n  "))
		}
		return changeUsage(err)
	}
	if ff.format == "json" {
		return writeJSON(e.stdout, c)
	}
	return writeWhatIfText(e.stdout, est, c)
}

// changeUsage turns a change that cannot be made into a usage error; other
// errors pass through.
func changeUsage(err error) error {
	var ce *forecast.ChangeError
	if errors.As(err, &ce) {
		return usagef("%s", ce.Error())
	}
	return err
}
