package forecast

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/phasegate/phasegate/estate"
)

// Comparison is the answer to a what-if: each service's ETA and cost of
// downtime in the baseline and in the scenario, deterministic and at P80,
// side by side. Both forecasts use the same seed and draw each system's
// durations from the same streams (common random numbers), so the
// differences come from the changes, not from sampling noise. Its JSON
// encoding is the contract of `phasegate whatif --format json`.
type Comparison struct {
	// Changes are the scenario's changes in the text form of
	// `phasegate whatif`.
	Changes  []string  `json:"changes"`
	Notes    []string  `json:"notes,omitempty"`
	Runs     int       `json:"runs"`
	Seed     uint64    `json:"seed"`
	Start    time.Time `json:"start"`
	Since    time.Time `json:"since"`
	Currency string    `json:"currency"`
	Services []Delta   `json:"services"`
	// Restart compares when the last system is back and the total cost
	// of downtime.
	Restart Delta `json:"restart"`

	Baseline, Scenario             *Result `json:"-"`
	BaselineLedger, ScenarioLedger *Ledger `json:"-"`
}

// Side is one side of a comparison. Hours count from Comparison.Start;
// costs are of the whole outage, from Comparison.Since.
type Side struct {
	Deterministic      time.Time `json:"deterministic"`
	DeterministicHours float64   `json:"deterministic_hours"`
	P80                time.Time `json:"p80"`
	P80Hours           float64   `json:"p80_hours"`
	Cost               float64   `json:"cost"`
	CostP80            float64   `json:"cost_p80"`
}

// Delta compares one service (or the whole restart) between the baseline
// and the scenario. The differences are scenario minus baseline: negative
// is sooner or cheaper.
type Delta struct {
	ID            string  `json:"id"`
	Name          string  `json:"name"`
	Baseline      Side    `json:"baseline"`
	Scenario      Side    `json:"scenario"`
	DeltaHours    float64 `json:"delta_hours"`
	DeltaP80Hours float64 `json:"delta_p80_hours"`
	DeltaCost     float64 `json:"delta_cost"`
	DeltaCostP80  float64 `json:"delta_cost_p80"`
}

// WhatIf forecasts the estate as it is and with the scenario's changes,
// with the same options (seed, runs, progress), and compares them.
// opts.OnProgress sees both forecasts' runs as one count.
func WhatIf(ctx context.Context, e *estate.Estate, sc Scenario, opts Options, impact ImpactOptions) (*Comparison, error) {
	if e == nil {
		return nil, fmt.Errorf("forecast: no estate given")
	}
	// Check the scenario before spending a forecast on the baseline.
	if _, _, _, err := sc.Apply(e, opts.Progress); err != nil {
		return nil, err
	}
	runs := opts.Runs
	if runs == 0 {
		runs = DefaultRuns
	}
	bo := opts
	if report := opts.OnProgress; report != nil {
		bo.OnProgress = func(done, _ int) { report(done, 2*runs) }
	}
	base, err := Run(ctx, e, bo)
	if err != nil {
		return nil, err
	}
	return compare(ctx, e, base, sc, opts, impact, runs)
}

// Compare is WhatIf with the baseline already forecast: base must be the
// result of Run on e with opts (a server keeps it in a cache). Only the
// scenario is forecast; opts.OnProgress sees its runs.
func Compare(ctx context.Context, e *estate.Estate, base *Result, sc Scenario, opts Options, impact ImpactOptions) (*Comparison, error) {
	if e == nil || base == nil {
		return nil, fmt.Errorf("forecast: Compare needs the estate and its baseline forecast")
	}
	return compare(ctx, e, base, sc, opts, impact, 0)
}

// compare forecasts the scenario and sets it beside the baseline; offset
// is how many runs OnProgress has already been told of.
func compare(ctx context.Context, e *estate.Estate, base *Result, sc Scenario, opts Options, impact ImpactOptions, offset int) (*Comparison, error) {
	changed, prog, notes, err := sc.Apply(e, opts.Progress)
	if err != nil {
		return nil, err
	}
	baseL, err := Impact(e, base, impact)
	if err != nil {
		return nil, err
	}
	levels := reserveLevels(e, changed)
	so := opts
	so.Progress = prog
	// progressFrom reports a forecast's runs after the first runs already
	// told of: the scenario's, then each reserve level's.
	progressFrom := func(first int) func(done, total int) {
		report := opts.OnProgress
		if report == nil {
			return nil
		}
		total := offset + base.Runs*(1+len(levels))
		return func(done, _ int) { report(first+done, total) }
	}
	so.OnProgress = progressFrom(offset)
	// The re-planned list may hold up worse under uncertainty than the
	// baseline's order of work: a change that only helps would then look
	// harmful at P80. Keeping that order is a plan of the scenario too:
	// the better of the two at P80 is the answer.
	scen, kept, err := runScenario(ctx, changed, base, so)
	if err != nil {
		return nil, fmt.Errorf("the scenario: %w", err)
	}
	scenL, err := Impact(changed, scen, impact)
	if err != nil {
		return nil, fmt.Errorf("the scenario: %w", err)
	}
	var why string // the note on the plan chosen, when it is not the re-planned one
	consider := func(r *Result, on *estate.Estate, note string) error {
		if r == nil {
			return nil
		}
		l, err := Impact(on, r, impact)
		if err != nil {
			return fmt.Errorf("the scenario: %w", err)
		}
		if lessOutcome(r, l, scen, scenL) {
			scen, scenL, why = r, l, note
		}
		return nil
	}
	if err := consider(kept, changed, "the scenario keeps the baseline's order of work: re-planned, it came out worse at P80"); err != nil {
		return nil, err
	}
	// More people need not all work at once: a plan for fewer is a plan
	// of the scenario too, and scheduling more work at once can come out
	// worse at P80 (a list scheduler's anomaly). Trying the steps between
	// keeps the answer from promising more for +1 than for +3.
	for i, lv := range levels {
		o := so
		o.OnProgress = progressFrom(offset + base.Runs*(1+i))
		own, keptLv, err := runScenario(ctx, lv.estate, base, o)
		if err != nil {
			return nil, fmt.Errorf("the scenario: %w", err)
		}
		note := "the answer keeps people in reserve: " + lv.note + "; with more at once it came out worse at P80"
		if err := consider(own, lv.estate, note); err != nil {
			return nil, err
		}
		if err := consider(keptLv, lv.estate, note+" (and it keeps the baseline's order of work)"); err != nil {
			return nil, err
		}
	}
	if why != "" {
		notes = append(notes, why)
	}
	c := &Comparison{
		Changes: sc.Changes(), Notes: notes, Runs: base.Runs, Seed: base.Seed, Start: base.Start,
		Since: baseL.Since, Currency: e.Currency,
		Baseline: base, Scenario: scen, BaselineLedger: baseL, ScenarioLedger: scenL,
	}
	if c.Changes == nil {
		c.Changes = []string{}
	}
	side := func(o Outlook, cost, costP80 float64) Side {
		return Side{Deterministic: o.Deterministic, DeterministicHours: o.DeterministicHours, P80: o.P80, P80Hours: o.P80Hours, Cost: cost, CostP80: costP80}
	}
	delta := func(id, name string, b, s Side) Delta {
		return Delta{ID: id, Name: name, Baseline: b, Scenario: s,
			DeltaHours: s.DeterministicHours - b.DeterministicHours, DeltaP80Hours: s.P80Hours - b.P80Hours,
			DeltaCost: s.Cost - b.Cost, DeltaCostP80: s.CostP80 - b.CostP80}
	}
	c.Services = make([]Delta, len(e.Services))
	for i := range e.Services {
		bs, ss := baseL.Services[i], scenL.Services[i]
		c.Services[i] = delta(e.Services[i].ID, e.Services[i].Name,
			side(base.Services[i], bs.Deterministic.Total, bs.P80.Total),
			side(scen.Services[i], ss.Deterministic.Total, ss.P80.Total))
	}
	c.Restart = delta(RestartID, base.Restart.Name,
		side(base.Restart, baseL.Total.Deterministic.Total, baseL.Total.P80.Total),
		side(scen.Restart, scenL.Total.Deterministic.Total, scenL.Total.P80.Total))
	return c, nil
}

// lessOutcome reports whether forecast a (with ledger al) is better than
// b: a lower total cost at P80, then when the whole restart is back at
// P80, then the same for the deterministic plan.
func lessOutcome(a *Result, al *Ledger, b *Result, bl *Ledger) bool {
	ka := [4]float64{al.Total.P80.Total, a.Restart.P80Hours, al.Total.Deterministic.Total, a.Restart.DeterministicHours}
	kb := [4]float64{bl.Total.P80.Total, b.Restart.P80Hours, bl.Total.Deterministic.Total, b.Restart.DeterministicHours}
	for i := range ka {
		if ka[i] != kb[i] {
			return ka[i] < kb[i]
		}
	}
	return false
}

// reserveLevel is the scenario with its raised capacities only partly
// used.
type reserveLevel struct {
	estate *estate.Estate
	note   string // e.g. "platform works at most 4 at once of the 6 it has"
}

// maxReserveLevels bounds the extra forecasts a what-if spends on steps
// between the baseline's capacities and the scenario's; every step up to
// everyStepTo is tried, so answers for up to everyStepTo+1 more people
// never buy less for more, then steps double.
const (
	maxReserveLevels = 6
	everyStepTo      = 4
)

// reserveLevels are the scenario changed with each raised team's capacity
// raised by only j, for j = 1, 2, 3, 4, 8, 16 below the largest raise.
// None when no capacity rises by more than one.
func reserveLevels(base, changed *estate.Estate) []reserveLevel {
	most := 0
	for i := range changed.Teams {
		most = max(most, changed.Teams[i].Capacity-base.Teams[i].Capacity)
	}
	var steps []int
	for j := 1; j < most && len(steps) < maxReserveLevels; j++ {
		if j > everyStepTo {
			j = 2 * steps[len(steps)-1]
			if j >= most {
				break
			}
		}
		steps = append(steps, j)
	}
	levels := make([]reserveLevel, 0, len(steps))
	for _, j := range steps {
		lv := cloneEstate(changed)
		var parts []string
		for i := range lv.Teams {
			from, to := base.Teams[i].Capacity, changed.Teams[i].Capacity
			if to-from > j {
				lv.Teams[i].Capacity = from + j
				parts = append(parts, fmt.Sprintf("%s works at most %d at once of the %d it has", lv.Teams[i].ID, from+j, to))
			}
		}
		levels = append(levels, reserveLevel{estate: lv, note: strings.Join(parts, ", ")})
	}
	return levels
}
