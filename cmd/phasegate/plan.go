package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"time"

	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/planner"
)

func validateCommand() command {
	return command{
		name:    "validate",
		summary: "check an estate and report every problem with file, line and column",
		usage: `Usage: phasegate validate PATH...

PATH is an estate file (YAML or JSON) or a directory of them; several paths
merge into one estate. Every problem is reported at once as
file:line:column: field: message (how to fix it).

Exit status: 0 valid, 1 invalid, 2 bad command-line use.`,
		run: runValidate,
	}
}

func runValidate(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("validate")
	paths, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	est, err := loadEstate(paths, e)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s: valid — %s\n", joinPaths(paths), describeEstate(est))
	return nil
}

func describeEstate(est *estate.Estate) string {
	items := 0
	for _, b := range est.Backlogs {
		items += len(b.Items)
	}
	deps := 0
	for _, s := range est.Systems {
		deps += len(s.Requires)
	}
	s := fmt.Sprintf("%s: %s, %s, %s, %s",
		orDefault(est.Organization, "unnamed organisation"),
		plural(len(est.Systems), "system"), plural(deps, "dependency"),
		plural(len(est.Teams), "team"), plural(len(est.Services), "service"))
	if len(est.Backlogs) > 0 {
		s += ", " + plural(len(est.Backlogs), "backlog")
		if items > 0 {
			s += fmt.Sprintf(" (%s)", plural(items, "item"))
		}
	}
	return s
}

func planCommand() command {
	return command{
		name:    "plan",
		summary: "plan the phased restart of an estate",
		usage: `Usage: phasegate plan PATH... [--objective cost|makespan] [--schedules N] [--seed N]
                      [--start TIME] [--format text|json|svg] [--chart timeline|waves]
                      [--group wave|team|none] [--team T] [--kind K] [--service S] [--search TEXT]

Plans when each system is cleared and restored so that dependencies are met
and no team works beyond its capacity, and says why each system starts when
it does.

  --objective   cost: minimise the total cost of downtime (the default when a
                service carries a cost); makespan: bring the last system back
                as early as possible (the default otherwise)
  --schedules   how many schedules the planner may try, 1 to 10,000,000 (default:
                5000, fewer for very large estates); more is slower and
                rarely worse
  --seed        makes the plan repeatable (default 1)
  --start       when the plan's clock starts, RFC 3339 (default: the estate's
                start, else now)
  --format      text (a summary for a person), json (the machine contract) or
                svg (a picture: the timeline, or the waves with --chart waves)
  --chart       with --format svg: timeline (a Gantt chart with the critical
                path; the default) or waves (the estate laid out by waves)
  --group       timeline rows grouped by wave (default), team or none
  --team, --kind, --service, --search
                with --format svg: draw only the systems of a team, of a kind,
                that a service needs, or whose id or name contains TEXT`,
		run: runPlan,
	}
}

// planFlags are the flags every planning command shares.
type planFlags struct {
	objective    string
	schedules    int
	schedulesSet bool // --schedules given (0 given is refused, not the default)
	seed         uint64
	start        string
	format       string
}

func (p *planFlags) register(fs *flag.FlagSet, formats string) {
	fs.StringVar(&p.objective, "objective", "", "cost or makespan")
	fs.Var(countFlag{&p.schedules, &p.schedulesSet}, "schedules", "schedules to try")
	fs.Uint64Var(&p.seed, "seed", 1, "random seed")
	fs.StringVar(&p.start, "start", "", "plan start, RFC 3339")
	fs.StringVar(&p.format, "format", "text", formats)
}

// options checks the flags and turns them into planner options.
func (p *planFlags) options(est *estate.Estate, e env, formats ...string) (planner.Options, error) {
	var opts planner.Options
	switch p.objective {
	case "", string(planner.ObjectiveCost), string(planner.ObjectiveMakespan):
		opts.Objective = planner.Objective(p.objective)
	default:
		return opts, usagef("--objective %q: use cost or makespan", p.objective)
	}
	if p.schedulesSet && (p.schedules < 1 || p.schedules > planner.MaxSchedules) {
		return opts, usagef("--schedules %d: give how many schedules the planner may try, 1 to %d (e.g. --schedules 5000), or leave the flag out for the default",
			p.schedules, planner.MaxSchedules)
	}
	ok := false
	for _, f := range formats {
		ok = ok || f == p.format
	}
	if !ok {
		return opts, usagef("--format %q: use one of %s", p.format, joinOr(formats))
	}
	opts.Schedules = p.schedules
	opts.Seed = p.seed
	switch {
	case p.start != "":
		t, err := time.Parse(time.RFC3339, p.start)
		if err != nil {
			return opts, usagef("--start %q: not an RFC 3339 time; write it as YYYY-MM-DDTHH:MM:SSZ, e.g. YYYY-MM-DDT08:00:00Z", p.start)
		}
		opts.Start = t
	case !est.Start.IsZero():
		opts.Start = est.Start
	default:
		opts.Start = e.now().Truncate(time.Minute)
	}
	return opts, nil
}

func runPlan(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("plan")
	var pf planFlags
	pf.register(fs, "text, json or svg")
	var pic pictureFlags
	pic.register(fs)
	paths, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return usagef("give the estate: one or more files or directories, e.g. examples/northfield-motors")
	}
	// Check the flags before the (possibly slow) load, so a typo fails fast.
	if _, err := pf.options(&estate.Estate{}, e, "text", "json", "svg"); err != nil {
		return err
	}
	if err := pic.check(); err != nil {
		return err
	}
	if err := pic.checkGiven(fs, pf.format); err != nil {
		return err
	}
	est, err := loadEstate(paths, e)
	if err != nil {
		return err
	}
	opts, err := pf.options(est, e, "text", "json", "svg")
	if err != nil {
		return err
	}
	plan, err := planner.Make(est, opts)
	if err != nil {
		return err
	}
	switch pf.format {
	case "svg":
		return pic.write(e.stdout, plan)
	case "json":
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(plan)
	default:
		return writePlanText(e.stdout, est, plan)
	}
}
