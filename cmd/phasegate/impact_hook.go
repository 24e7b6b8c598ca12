package main

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"

	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/forecast"
	"github.com/phasegate/phasegate/planner"
)

// writePlanImpact writes the short impact section of `phasegate plan`:
// what the outage costs if the plan holds, counted from the clock's start.
// writePlanText calls it after the services' table. It writes nothing for
// an estate without services.
func writePlanImpact(w io.Writer, est *estate.Estate, p *planner.Plan) error {
	if len(est.Services) == 0 {
		return nil
	}
	l, err := forecast.PlanImpact(est, p, forecast.ImpactOptions{})
	if err != nil {
		return err
	}
	bw := &errWriter{w: w}
	cur := l.Currency
	t := l.Total.Deterministic
	fmt.Fprintf(bw, "\nWhat the outage costs if the plan holds, from the clock's start\n")
	tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  A day now costs\t%s\n", money(cur, l.LossPerDay))
	fmt.Fprintf(tw, "  Until every service is back\t%s: %s revenue lost, %s extra cost\n", money(cur, t.Total), money(cur, t.RevenueLost), money(cur, t.ExtraCost))
	if len(t.Output) > 0 {
		var parts []string
		for _, a := range t.Output {
			parts = append(parts, groupThousands(int64(math.Round(a.Amount)))+" "+a.Unit)
		}
		fmt.Fprintf(tw, "  Output lost\t%s\n", strings.Join(parts, ", "))
	}
	if t.PersonDays > 0 {
		fmt.Fprintf(tw, "  People idle\t%s person-days\n", groupThousands(int64(math.Round(t.PersonDays))))
	}
	tw.Flush()
	fmt.Fprintf(bw, "  For the cost so far and at P50/P80/P95: phasegate impact PATH --since DATE\n")
	return bw.err
}
