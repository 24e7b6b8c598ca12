// Package bench measures the planner: quality against the proven optima of
// PSPLIB J30, speed on generated 120-activity instances and scale on
// generated estates of up to 100,000 systems. The command line exposes it
// as `phasegate bench`; the same measures run as Go benchmarks
// (`go test -bench . ./internal/bench/`).
package bench

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/metrics"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/phasegate/phasegate/planner"
	"github.com/phasegate/phasegate/psplib"
)

// Suites that Run knows.
const (
	SuiteJ30   = "j30"   // quality against the J30 optima
	SuiteSpeed = "speed" // 5,000 schedules of generated 120-activity instances
	SuiteScale = "scale" // whole plans of generated 10,000- and 100,000-system estates
)

// Config selects what Run measures.
type Config struct {
	// PSPLIBDir holds j30/ and j30opt.sm (needed by the j30 suite).
	PSPLIBDir string
	// Suites to run; empty runs all three.
	Suites []string
	// Schedules are the J30 budgets; empty means 1,000 and 5,000.
	Schedules []int
	// Seed makes the runs repeatable.
	Seed uint64
	// SpeedInstances is how many 120-activity instances to time (default 12).
	SpeedInstances int
	// ScaleSystems are the estate sizes of the scale suite (default
	// 10,000 and 100,000).
	ScaleSystems []int
}

// Run measures the selected suites and prints one table per suite.
func Run(ctx context.Context, w io.Writer, cfg Config) error {
	suites := cfg.Suites
	if len(suites) == 0 {
		suites = []string{SuiteJ30, SuiteSpeed, SuiteScale}
	}
	for _, s := range suites {
		if !slices.Contains([]string{SuiteJ30, SuiteSpeed, SuiteScale}, s) {
			return fmt.Errorf("bench: unknown suite %q; choose from %s, %s and %s", s, SuiteJ30, SuiteSpeed, SuiteScale)
		}
	}
	fmt.Fprintf(w, "machine: %d CPUs (GOMAXPROCS %d), %s %s/%s\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(w, "CPU time counts both cores: on a shared machine it shows the cost when the wall clock does not.\n\n")
	for _, s := range suites {
		var err error
		switch s {
		case SuiteJ30:
			err = runJ30(ctx, w, cfg)
		case SuiteSpeed:
			err = runSpeed(ctx, w, cfg)
		case SuiteScale:
			err = runScale(ctx, w, cfg)
		}
		if err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	return nil
}

func runJ30(ctx context.Context, w io.Writer, cfg Config) error {
	if cfg.PSPLIBDir == "" {
		return fmt.Errorf("bench: the j30 suite needs the PSPLIB folder (holding j30/ and j30opt.sm)")
	}
	ins, opt, err := LoadJ30(cfg.PSPLIBDir)
	if err != nil {
		return err
	}
	budgets := cfg.Schedules
	if len(budgets) == 0 {
		budgets = []int{1000, 5000}
	}
	fmt.Fprintf(w, "J30 quality (%d instances, proven optima; one core)\n", len(ins))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "schedules\tmean % above optimum\toptimal\tworst %\tworst instance\tmean passes\ttime\t")
	for _, b := range budgets {
		q, err := RunQuality(ctx, "j30", ins, opt, b, cfg.Seed)
		if err != nil {
			return err
		}
		if len(q.BelowOptima) > 0 {
			return fmt.Errorf("bench: schedules below the proven optimum for %v: the decoder is wrong", q.BelowOptima)
		}
		fmt.Fprintf(tw, "%d\t%.3f\t%d/%d\t%.2f\t%s\t%.0f\t%v\t\n", b, q.MeanDevPct, q.Optimal, q.Instances, q.MaxDevPct, q.WorstName, q.MeanPasses, q.Elapsed.Round(time.Millisecond))
	}
	return tw.Flush()
}

// SpeedConfigs are the ProGen parameters of the generated 120-activity
// instances: network complexity, resource factor and strength varied.
func SpeedConfigs(n int) []psplib.GenConfig {
	var out []psplib.GenConfig
	ncs := []float64{1.5, 1.8, 2.1}
	rfs := []float64{0.25, 0.5, 0.75, 1}
	rss := []float64{0.1, 0.2, 0.3, 0.5}
	for i := range n {
		out = append(out, psplib.GenConfig{Jobs: 120, Resources: 4, NC: ncs[i%3], RF: rfs[i%4], RS: rss[(i/4)%4]})
	}
	return out
}

func runSpeed(ctx context.Context, w io.Writer, cfg Config) error {
	n := cfg.SpeedInstances
	if n <= 0 {
		n = 12
	}
	fmt.Fprintf(w, "Speed: 5,000 schedules of generated 120-activity, 4-resource instances (one core)\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "instance\tNC\tRF\tRS\tschedules\ttime\tCPU time\ttime per 5,000\tmakespan\tlower bound\t")
	var total time.Duration
	var perSched []float64
	for i, gc := range SpeedConfigs(n) {
		if err := ctx.Err(); err != nil {
			return err
		}
		in := psplib.Generate(gc, uint64(i)+1)
		m, err := planner.Compile(psplib.ToEstate(in), nil)
		if err != nil {
			return err
		}
		t0, c0 := time.Now(), cpuTime()
		sol, err := m.Solve(planner.SolveOptions{Schedules: 5000, Seed: cfg.Seed, Workers: 1})
		cpu := cpuTime() - c0
		if err != nil {
			return err
		}
		el := time.Since(t0)
		total += el
		per := el.Seconds() / float64(sol.Schedules) * 5000
		perSched = append(perSched, per)
		fmt.Fprintf(tw, "%d\t%.1f\t%.2f\t%.2f\t%d\t%v\t%v\t%.3fs\t%d\t%d\t\n", i+1, gc.NC, gc.RF, gc.RS, sol.Schedules, el.Round(time.Millisecond), cpu.Round(time.Millisecond), per, sol.Makespan/60, sol.LowerBound/60)
	}
	slices.Sort(perSched)
	fmt.Fprintf(tw, "median\t\t\t\t\t\t\t%.3fs\t\t\t\n", perSched[len(perSched)/2])
	fmt.Fprintf(tw, "max\t\t\t\t\t\t\t%.3fs\t\t\t\n", perSched[len(perSched)-1])
	return tw.Flush()
}

func runScale(ctx context.Context, w io.Writer, cfg Config) error {
	sizes := cfg.ScaleSystems
	if len(sizes) == 0 {
		sizes = []int{10_000, 100_000}
	}
	fmt.Fprintf(w, "Scale: whole plans (compile, solve with the default budget, explain) of generated estates\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "systems\trequires\tservices\tschedules\tplan time\tCPU time\tpeak memory\tmakespan h\tbaseline h\tlower bound h\tcost vs baseline\t")
	for _, n := range sizes {
		if err := ctx.Err(); err != nil {
			return err
		}
		e := Estate(n, cfg.Seed+1)
		deps := 0
		for i := range e.Systems {
			deps += len(e.Systems[i].Requires)
		}
		runtime.GC()
		peak := newPeakHeap()
		t0, c0 := time.Now(), cpuTime()
		p, err := planner.Make(e, planner.Options{Seed: cfg.Seed})
		el, cpu := time.Since(t0), cpuTime()-c0
		heap := peak.stop()
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%v\t%v\t%d MiB\t%.1f\t%.1f\t%.1f\t%+.1f%%\t\n", n, deps, len(e.Services), p.Schedules, el.Round(time.Millisecond), cpu.Round(time.Millisecond), heap>>20,
			p.MakespanHours, p.Baseline.MakespanHours, p.LowerBoundHours, 100*(p.DowntimeCost/p.Baseline.DowntimeCost-1))
	}
	return tw.Flush()
}

// peakHeap samples the memory the Go runtime holds from the OS (through
// runtime/metrics, which does not stop the world) while a run goes on.
type peakHeap struct {
	done chan struct{}
	max  chan uint64
}

func newPeakHeap() *peakHeap {
	p := &peakHeap{done: make(chan struct{}), max: make(chan uint64)}
	go func() {
		sample := []metrics.Sample{{Name: "/memory/classes/total:bytes"}}
		var top uint64
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			top = max(top, sample[0].Value.Uint64())
			select {
			case <-p.done:
				p.max <- top
				return
			case <-t.C:
			}
		}
	}()
	return p
}

func (p *peakHeap) stop() uint64 {
	close(p.done)
	return <-p.max
}
