package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/phasegate/phasegate/planner"
	"github.com/phasegate/phasegate/psplib"
)

// Quality is how close the planner comes to proven optima on a set.
type Quality struct {
	Set         string
	Schedules   int
	Instances   int
	Optimal     int     // solved to the proven optimum
	MeanDevPct  float64 // mean % above the optimum
	MaxDevPct   float64
	MeanPasses  float64 // SSGS passes actually spent (early stop at the bound)
	Elapsed     time.Duration
	WorstName   string
	BelowOptima []string // must stay empty: a schedule below a proven optimum is a bug
}

// LoadJ30 reads the J30 instances and their optima from dir (holding
// j30/ and j30opt.sm).
func LoadJ30(dir string) ([]*psplib.Instance, []int, error) {
	data, err := os.ReadFile(filepath.Join(dir, "j30opt.sm"))
	if err != nil {
		return nil, nil, fmt.Errorf("bench: %w (give the PSPLIB folder that holds j30opt.sm and j30/)", err)
	}
	opts, err := psplib.ParseOptima("j30opt.sm", data)
	if err != nil {
		return nil, nil, err
	}
	var ins []*psplib.Instance
	var best []int
	for _, o := range opts {
		name := o.Name("j30") + ".sm"
		p := filepath.Join(dir, "j30", name)
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, nil, fmt.Errorf("bench: %w", err)
		}
		in, err := psplib.Parse(p, data)
		if err != nil {
			return nil, nil, err
		}
		ins = append(ins, in)
		best = append(best, o.Makespan)
	}
	return ins, best, nil
}

// RunQuality plans every instance with the given budget and compares the
// makespans with the optima.
func RunQuality(ctx context.Context, set string, ins []*psplib.Instance, optima []int, schedules int, seed uint64) (Quality, error) {
	q := Quality{Set: set, Schedules: schedules, Instances: len(ins)}
	t0 := time.Now()
	worst := -1.0
	passes := 0
	for i, in := range ins {
		if err := ctx.Err(); err != nil {
			return q, err
		}
		m, err := planner.Compile(psplib.ToEstate(in), nil)
		if err != nil {
			return q, fmt.Errorf("%s: %w", in.Name, err)
		}
		sol, err := m.Solve(planner.SolveOptions{Schedules: schedules, Seed: seed, Workers: 1})
		if err != nil {
			return q, fmt.Errorf("%s: %w", in.Name, err)
		}
		ms := sol.Makespan / 60
		passes += sol.Schedules
		dev := 100 * float64(ms-optima[i]) / float64(optima[i])
		switch {
		case ms < optima[i]:
			q.BelowOptima = append(q.BelowOptima, in.Name)
		case ms == optima[i]:
			q.Optimal++
		}
		q.MeanDevPct += dev
		if dev > worst {
			worst, q.WorstName = dev, in.Name
		}
	}
	q.Elapsed = time.Since(t0)
	if len(ins) > 0 {
		q.MeanDevPct /= float64(len(ins))
		q.MeanPasses = float64(passes) / float64(len(ins))
	}
	q.MaxDevPct = worst
	return q, nil
}
