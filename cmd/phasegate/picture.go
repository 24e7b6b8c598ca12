package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/chart"
	"github.com/phasegate/phasegate/planner"
)

// pictureFlags choose and filter the picture of a plan.
type pictureFlags struct {
	chart   string
	group   string
	team    string
	kind    string
	service string
	search  string
}

func (p *pictureFlags) register(fs interface {
	StringVar(*string, string, string, string)
}) {
	fs.StringVar(&p.chart, "chart", "timeline", "timeline or waves")
	fs.StringVar(&p.group, "group", "wave", "wave, team or none")
	fs.StringVar(&p.team, "team", "", "only this team's systems")
	fs.StringVar(&p.kind, "kind", "", "only systems of this kind")
	fs.StringVar(&p.service, "service", "", "only what this service needs")
	fs.StringVar(&p.search, "search", "", "only systems whose id or name contains this")
}

func (p *pictureFlags) check() error {
	switch p.chart {
	case "timeline", "waves":
	default:
		return usagef("--chart %q: use timeline or waves", p.chart)
	}
	switch chart.GroupBy(p.group) {
	case chart.GroupByWave, chart.GroupByTeam, chart.GroupByNone:
	default:
		return usagef("--group %q: use wave, team or none", p.group)
	}
	return nil
}

// checkGiven refuses the picture's flags where they would change
// nothing: without --format svg, and --group on the waves chart (it groups
// the timeline's rows).
func (p *pictureFlags) checkGiven(fs *flag.FlagSet, format string) error {
	for _, name := range []string{"chart", "group", "team", "kind", "service", "search"} {
		if flagGiven(fs, name) && format != "svg" {
			return usagef("--%s chooses what the picture shows, and --format %s draws none: add --format svg, or leave --%s out", name, format, name)
		}
	}
	if flagGiven(fs, "group") && p.chart == "waves" {
		return usagef("--group arranges the timeline's rows, and --chart waves has none: leave --group out, or draw --chart timeline")
	}
	return nil
}

func (p *pictureFlags) filter() chart.Filter {
	return chart.Filter{Team: p.team, Kind: p.kind, Service: p.service, Search: p.search}
}

// write draws the plan. A filter naming a team or service the plan does not
// have is the user's mistake: the chart's error lists the valid ones.
func (p *pictureFlags) write(w io.Writer, plan *planner.Plan) error {
	var err error
	switch p.chart {
	case "waves":
		err = chart.Waves(w, plan, chart.WavesOptions{Filter: p.filter()})
	default:
		err = chart.Timeline(w, plan, chart.TimelineOptions{GroupBy: chart.GroupBy(p.group), Filter: p.filter()})
	}
	if phasegate.ErrorCode(err) == phasegate.EINVALID {
		return usagef("%s", strings.TrimPrefix(phasegate.ErrorMessage(err), "chart: "))
	}
	if err != nil {
		return fmt.Errorf("cannot draw the plan: %w", err)
	}
	return nil
}
