package forecast

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/planner"
)

// DefaultRuns is how many runs a forecast makes when none is asked for:
// enough that P95 moves by well under an hour between seeds on the demo.
const DefaultRuns = 10_000

// MaxRuns bounds a forecast's effort.
const MaxRuns = 1_000_000

// maxCells bounds the per-run results kept in memory (runs × services).
const maxCells = 64 << 20

// cdfPoints is how many points an empirical CDF has at most.
const cdfPoints = 41

// Options steer one forecast.
type Options struct {
	// Runs is how many times the schedule is re-run with sampled
	// durations; 0 picks DefaultRuns.
	Runs int
	// Seed makes the forecast repeatable: the same seed gives the same
	// numbers whatever the number of workers. The planner's search for
	// the deterministic plan uses it too.
	Seed uint64
	// Distribution of three-point estimates; empty picks PERT.
	Distribution Distribution
	// Start is the clock origin: when the schedule starts (for a recovery
	// under way, "now"). When zero, the estate's start is used.
	Start time.Time
	// Progress, keyed by system id, forecasts from the middle of a
	// recovery: work under way keeps what remains of it.
	Progress map[string]planner.Progress
	// Follow is the order of work of a plan to forecast (a live plan's
	// Plan.Order): kept unless the search finds one clearly better
	// (planner.Model.SolveFollowing), so the forecast's dates are those of
	// that plan's order. Nil searches afresh.
	Follow []planner.ActivityRef
	// Objective and Schedules steer the planner's search for the
	// deterministic plan, whose activity list every run re-decodes.
	Objective planner.Objective
	Schedules int
	// By, when not zero, asks for the probability of each service being
	// back by then.
	By time.Time
	// Workers run in parallel, each with its own decoder; 0 picks
	// GOMAXPROCS. The numbers do not depend on it.
	Workers int
	// OnProgress, when not nil, is told how many runs are done, in
	// increasing order, about every half percent and once at the end.
	// Calls never overlap.
	OnProgress func(done, total int)
}

// Outlook is the forecast of one service (or of the whole restart): the
// dates it is back by with 50, 80 and 95% confidence, the deterministic
// plan's date for comparison, and the empirical CDF for charts. Hours
// count from Result.Start.
type Outlook struct {
	ID                 string    `json:"id"`
	Name               string    `json:"name"`
	P50                time.Time `json:"p50"`
	P80                time.Time `json:"p80"`
	P95                time.Time `json:"p95"`
	P50Hours           float64   `json:"p50_hours"`
	P80Hours           float64   `json:"p80_hours"`
	P95Hours           float64   `json:"p95_hours"`
	Deterministic      time.Time `json:"deterministic"`
	DeterministicHours float64   `json:"deterministic_hours"`
	MinHours           float64   `json:"min_hours"`
	MeanHours          float64   `json:"mean_hours"`
	MaxHours           float64   `json:"max_hours"`
	// ProbabilityBy is the share of runs in which it is back by
	// Result.By; nil without By.
	ProbabilityBy *float64 `json:"probability_by,omitempty"`
	// ProbabilityByPlan is the share of runs in which it is back by the
	// deterministic plan's date: how much of a promise that date is.
	ProbabilityByPlan float64 `json:"probability_by_plan"`
	// CDF is the empirical distribution: each point is a time and the
	// share of runs back by then, increasing in both.
	CDF []CDFPoint `json:"cdf"`
}

// CDFPoint is one point of an empirical CDF.
type CDFPoint struct {
	Hours       float64   `json:"hours"`
	Time        time.Time `json:"time"`
	Probability float64   `json:"probability"`
}

// Result is a forecast. Its JSON encoding is the contract of
// `phasegate forecast --format json`.
type Result struct {
	Runs         int               `json:"runs"`
	Seed         uint64            `json:"seed"`
	Distribution Distribution      `json:"distribution"`
	Start        time.Time         `json:"start"`
	By           *time.Time        `json:"by,omitempty"`
	Objective    planner.Objective `json:"objective"`
	Currency     string            `json:"currency,omitempty"`
	Services     []Outlook         `json:"services"`
	// Restart is when the last system is back.
	Restart Outlook `json:"restart"`
	// Warnings name what the forecast could not take at face value, e.g.
	// work under way past its maximum estimate.
	Warnings []string `json:"warnings,omitempty"`
	// Plan is the deterministic plan whose activity list every run
	// re-decodes.
	Plan *planner.Plan `json:"-"`

	// eta holds each run's results, Runs rows of cols minutes: one per
	// service, then the makespan.
	eta  []int
	cols int
}

// RestartID is the id of the whole restart's outlook.
const RestartID = "restart"

// Run forecasts the restart of a valid estate: it plans it once, then
// re-runs the plan's activity list Runs times with sampled durations.
func Run(ctx context.Context, e *estate.Estate, opts Options) (*Result, error) {
	runs, dist, start, err := resolve(e, opts)
	if err != nil {
		return nil, err
	}
	m, err := planner.Compile(e, opts.Progress)
	if err != nil {
		return nil, err
	}
	sol, err := m.SolveFollowing(planner.SolveOptions{Objective: opts.Objective, Schedules: opts.Schedules, Seed: opts.Seed}, opts.Follow)
	if err != nil {
		return nil, err
	}
	return simulate(ctx, e, m, sol, opts, runs, dist, start)
}

// resolve checks a forecast's options against the estate and gives the
// runs, the distribution and the clock's start they stand for.
func resolve(e *estate.Estate, opts Options) (runs int, dist Distribution, start time.Time, err error) {
	if e == nil {
		return 0, "", time.Time{}, fmt.Errorf("forecast: no estate given")
	}
	runs = opts.Runs
	switch {
	case runs == 0:
		runs = DefaultRuns
	case runs < 0 || runs > MaxRuns:
		return 0, "", time.Time{}, fmt.Errorf("forecast: %d runs; give between 1 and %d, or 0 for the default %d", runs, MaxRuns, DefaultRuns)
	}
	dist = opts.Distribution
	if dist == "" {
		dist = PERT
	}
	if !slices.Contains(Distributions, dist) {
		return 0, "", time.Time{}, fmt.Errorf("forecast: unknown distribution %q; use %q or %q", dist, PERT, Triangular)
	}
	if opts.Workers < 0 {
		return 0, "", time.Time{}, fmt.Errorf("forecast: %d workers; give a positive number, or 0 for one per core", opts.Workers)
	}
	start = opts.Start
	if start.IsZero() {
		start = e.Start
	}
	if start.IsZero() {
		return 0, "", time.Time{}, fmt.Errorf("forecast: no start time: give the time the restart's clock starts (the estate names none)")
	}
	if cells := runs * (len(e.Services) + 1); cells > maxCells {
		return 0, "", time.Time{}, fmt.Errorf("forecast: %d runs of %d services is more than the forecast keeps in memory; ask for at most %d runs", runs, len(e.Services), maxCells/(len(e.Services)+1))
	}
	return runs, dist, start, nil
}

// runScenario forecasts a what-if's changed estate e. The planner's search
// starts from the baseline's activity list carried over (carryOver), so
// its plan is never worse than keeping that order of work; kept is the
// forecast of that order itself, nil when the search ended on it.
func runScenario(ctx context.Context, e *estate.Estate, base *Result, opts Options) (own, kept *Result, err error) {
	runs, dist, start, err := resolve(e, opts)
	if err != nil {
		return nil, nil, err
	}
	m, err := planner.Compile(e, opts.Progress)
	if err != nil {
		return nil, nil, err
	}
	carried := carryOver(m, base)
	sol, err := m.Solve(planner.SolveOptions{Objective: opts.Objective, Schedules: opts.Schedules, Seed: opts.Seed,
		Initial: [][]int{carried}})
	if err != nil {
		return nil, nil, err
	}
	if own, err = simulate(ctx, e, m, sol, opts, runs, dist, start); err != nil || slices.Equal(sol.Order, carried) {
		return own, nil, err
	}
	keep, err := m.Evaluate(carried, sol.Objective)
	if err != nil {
		return nil, nil, err
	}
	opts.OnProgress = nil // its runs are not counted in the progress shown
	kept, err = simulate(ctx, e, m, keep, opts, runs, dist, start)
	return own, kept, err
}

// carryOver is the activity list of another forecast (of the estate
// before a what-if's changes) for model m (planner.Model.CarryOver).
func carryOver(m *planner.Model, from *Result) []int { return m.CarryOver(from.Plan.Order) }

// simulate re-decodes the solution's activity list runs times with
// sampled durations and summarises the runs.
func simulate(ctx context.Context, e *estate.Estate, m *planner.Model, sol *planner.Solution, opts Options, runs int, dist Distribution, start time.Time) (*Result, error) {
	plan := m.Explain(e, sol, start)
	plan.Seed = opts.Seed

	acts := m.Activities()
	det := m.Durations()
	samplers := make([]sampler, len(acts))
	keys := make([]uint64, len(acts))
	var random []int // activities with spread
	var warnings []string
	for a, act := range acts {
		s := &e.Systems[act.SystemIndex]
		est := s.Restore
		if act.Kind == planner.KindClearance {
			est = *s.Clearance
		}
		var elapsed time.Duration
		if act.Pinned {
			elapsed = opts.Progress[s.ID].Elapsed
			if elapsed >= est.Max {
				warnings = append(warnings, fmt.Sprintf("system %s: its %s has been under way for %s, past its maximum estimate of %s; the forecast gives it a minute more, as the plan does — update the estimate",
					s.ID, act.Kind, estate.FormatDuration(elapsed), estate.FormatDuration(est.Max)))
			}
		}
		sm, err := newSampler(est, dist, det[a], act.Pinned, elapsed)
		if err != nil {
			return nil, fmt.Errorf("forecast: system %s, %s: %w", s.ID, act.Kind, err)
		}
		samplers[a] = sm
		// The stream of an activity is keyed by its system and kind, not
		// by its index, so a what-if that adds or drops a clearance
		// leaves every other activity's draws as they were.
		keys[a] = mix64(uint64(act.SystemIndex)<<1 | uint64(act.Kind) + 0x632be59bd9b4e019)
		if sm.mode != samplerFixed {
			random = append(random, a)
		}
	}

	ns := len(m.Services())
	res := &Result{
		Runs: runs, Seed: opts.Seed, Distribution: dist, Start: start,
		Objective: sol.Objective, Currency: e.Currency, Warnings: warnings, Plan: plan,
		cols: ns + 1,
	}
	res.eta = make([]int, runs*res.cols)

	workers := opts.Workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	const chunk = 64
	workers = max(1, min(workers, (runs+chunk-1)/chunk))
	var (
		next, done atomic.Int64
		mu         sync.Mutex
		reported   int
		wg         sync.WaitGroup
		firstErr   error
		errOnce    sync.Once
	)
	step := max(1, runs/200)
	report := func(n int) {
		if opts.OnProgress == nil {
			return
		}
		mu.Lock()
		if n > reported {
			reported = n
			opts.OnProgress(n, runs)
		}
		mu.Unlock()
	}
	order := sol.Order
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dec := m.NewDecoder()
			dur := slices.Clone(det)
			for a := range samplers {
				if samplers[a].mode == samplerFixed {
					dur[a] = samplers[a].minutes
				}
			}
			pcg := rand.NewPCG(0, 0)
			r := rand.New(pcg)
			for {
				if ctx.Err() != nil {
					return
				}
				lo := int(next.Add(chunk)) - chunk
				if lo >= runs {
					return
				}
				hi := min(lo+chunk, runs)
				for i := lo; i < hi; i++ {
					base := mix64(opts.Seed ^ mix64(uint64(i)+0x9e3779b97f4a7c15))
					for _, a := range random {
						pcg.Seed(base, keys[a])
						dur[a] = samplers[a].draw(r)
					}
					if err := dec.Decode(order, dur); err != nil {
						errOnce.Do(func() { firstErr = err })
						return
					}
					row := res.eta[i*res.cols : (i+1)*res.cols]
					for s := range ns {
						row[s] = dec.ServiceETA(s)
					}
					row[ns] = dec.Makespan()
				}
				n := int(done.Add(int64(hi - lo)))
				if n/step != (n-(hi-lo))/step || n == runs {
					report(n)
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	if !opts.By.IsZero() {
		by := opts.By
		res.By = &by
	}
	col := make([]int, runs)
	for s := range ns + 1 {
		for i := range runs {
			col[i] = res.eta[i*res.cols+s]
		}
		slices.Sort(col)
		var o Outlook
		if s < ns {
			sv := &e.Services[s]
			o = res.outlook(col, sol.ServiceETA[s], opts.By)
			o.ID, o.Name = sv.ID, sv.Name
			res.Services = append(res.Services, o)
		} else {
			o = res.outlook(col, sol.Makespan, opts.By)
			o.ID, o.Name = RestartID, "Whole restart (last system back)"
			res.Restart = o
		}
	}
	if res.Services == nil {
		res.Services = []Outlook{}
	}
	return res, nil
}

// outlook summarises one sorted column of run results (minutes).
func (r *Result) outlook(sorted []int, det int, by time.Time) Outlook {
	at := func(min int) time.Time { return r.Start.Add(time.Duration(min) * time.Minute) }
	hours := func(min int) float64 { return float64(min) / 60 }
	n := len(sorted)
	p50, p80, p95 := rank(sorted, 50), rank(sorted, 80), rank(sorted, 95)
	sum := 0.0
	for _, v := range sorted {
		sum += float64(v)
	}
	o := Outlook{
		P50: at(p50), P80: at(p80), P95: at(p95),
		P50Hours: hours(p50), P80Hours: hours(p80), P95Hours: hours(p95),
		Deterministic: at(det), DeterministicHours: hours(det),
		MinHours: hours(sorted[0]), MeanHours: sum / float64(n) / 60, MaxHours: hours(sorted[n-1]),
		ProbabilityByPlan: float64(countAtMost(sorted, det)) / float64(n),
	}
	if !by.IsZero() {
		limit := by.Sub(r.Start).Minutes()
		k := 0
		if limit >= 0 {
			k = countAtMost(sorted, int(math.Floor(limit)))
		}
		p := float64(k) / float64(n)
		o.ProbabilityBy = &p
	}
	for k := range cdfPoints {
		v := sorted[min(n-1, k*(n-1)/(cdfPoints-1))]
		if len(o.CDF) > 0 && o.CDF[len(o.CDF)-1].Hours == hours(v) {
			continue
		}
		o.CDF = append(o.CDF, CDFPoint{Hours: hours(v), Time: at(v), Probability: float64(countAtMost(sorted, v)) / float64(n)})
	}
	return o
}

// rank is the nearest-rank percentile of a sorted sample: the smallest
// value with at least pct% of the sample at or below it. It is monotone
// in pct, so P50 ≤ P80 ≤ P95 always.
func rank(sorted []int, pct int) int {
	n := len(sorted)
	i := (pct*n+99)/100 - 1
	return sorted[max(0, min(n-1, i))]
}

// countAtMost counts the values ≤ v in a sorted slice.
func countAtMost(sorted []int, v int) int {
	i, _ := slices.BinarySearch(sorted, v+1)
	return i
}

// mix64 is the SplitMix64 finaliser: it turns (seed, run, activity) keys
// into well-spread seeds for each run's generator.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
