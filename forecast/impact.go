package forecast

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/planner"
)

// ImpactOptions steer the impact ledger.
type ImpactOptions struct {
	// Since is when the incident started: every service counts as down
	// from then. Zero: the clock's start (nothing lost so far).
	Since time.Time
	// Back holds, for a recovery under way, when services that are back
	// already came back. A service that is back but not listed counts as
	// down until the clock's start ("now").
	Back map[string]time.Time
	// Down holds, for a recovery under way, how long each service has
	// been down between Since and the clock's start, from the record (the
	// server adds up the stretches from the incident's events). For the
	// services it lists it replaces "down from Since" and Back: a service
	// that is back counts only that; one still down, that plus the time
	// until its ETA. It cannot exceed the time since Since.
	Down map[string]time.Duration
}

// Amount is a quantity of some unit, e.g. 31,000 vehicles.
type Amount struct {
	Amount float64 `json:"amount"`
	Unit   string  `json:"unit"`
}

// Figures is what an outage costs over a stretch of downtime.
type Figures struct {
	// Days down: for one service, from the incident's start until it is
	// back; for the total, until the last service is back.
	Days        float64 `json:"days"`
	RevenueLost float64 `json:"revenue_lost"`
	ExtraCost   float64 `json:"extra_cost"`
	// Total is RevenueLost + ExtraCost.
	Total float64 `json:"total"`
	// Output not produced, by unit (e.g. vehicles).
	Output []Amount `json:"output,omitempty"`
	// PersonDays is people idle × days down.
	PersonDays float64 `json:"person_days,omitempty"`
}

// ServiceImpact is one service's line of the ledger. Projections cover the
// whole outage, from the incident's start until the service is back.
type ServiceImpact struct {
	ID            string  `json:"id"`
	Name          string  `json:"name"`
	RevenuePerDay float64 `json:"revenue_per_day"`
	CostPerDay    float64 `json:"cost_per_day"`
	OutputPerDay  *Amount `json:"output_per_day,omitempty"`
	PeopleIdle    int     `json:"people_idle,omitempty"`
	// Back reports whether the service is back at the clock's start.
	Back          bool     `json:"back"`
	SoFar         Figures  `json:"so_far"`
	Deterministic Figures  `json:"deterministic"`
	P50           *Figures `json:"p50,omitempty"`
	P80           *Figures `json:"p80,omitempty"`
	P95           *Figures `json:"p95,omitempty"`
}

// Ledger is the impact ledger: what the outage has cost so far and what it
// is projected to cost at the deterministic plan and at P50/P80/P95, per
// service and in total, in the estate's currency. Its JSON encoding is
// the contract of `phasegate impact --format json`.
type Ledger struct {
	Currency string `json:"currency"`
	// Since is when the incident started, Now the clock's start.
	Since time.Time `json:"since"`
	Now   time.Time `json:"now"`
	// Runs is how many forecast runs the percentiles come from (0: the
	// ledger of a deterministic plan, without percentiles).
	Runs int    `json:"runs"`
	Seed uint64 `json:"seed"`
	// LossPerDay is what a day costs now: revenue and cost per day of the
	// services still down.
	LossPerDay float64         `json:"loss_per_day"`
	Services   []ServiceImpact `json:"services"`
	// Total's percentiles are percentiles of the total over the runs (not
	// sums of the services' percentiles), each figure on its own.
	Total struct {
		SoFar         Figures  `json:"so_far"`
		Deterministic Figures  `json:"deterministic"`
		P50           *Figures `json:"p50,omitempty"`
		P80           *Figures `json:"p80,omitempty"`
		P95           *Figures `json:"p95,omitempty"`
	} `json:"total"`
}

// Impact builds the ledger of a forecast of the estate it was run on.
func Impact(e *estate.Estate, r *Result, opts ImpactOptions) (*Ledger, error) {
	if r == nil || r.Plan == nil {
		return nil, fmt.Errorf("forecast: no forecast given for the impact ledger")
	}
	if len(e.Services) != r.cols-1 {
		return nil, fmt.Errorf("forecast: the forecast has %d services, the estate %d; build the ledger from the estate the forecast ran on", r.cols-1, len(e.Services))
	}
	l, lb, err := newLedger(e, r.Plan, opts)
	if err != nil {
		return nil, err
	}
	l.Runs, l.Seed = r.Runs, r.Seed
	ns := len(e.Services)
	// Each service's percentiles follow from its ETA's, downtime being
	// monotone in the ETA.
	for s := range ns {
		o := r.Services[s]
		si := &l.Services[s]
		for _, q := range []struct {
			dst **Figures
			h   float64
		}{{&si.P50, o.P50Hours}, {&si.P80, o.P80Hours}, {&si.P95, o.P95Hours}} {
			f := lb.service(s, lb.days(s, q.h*60))
			*q.dst = &f
		}
	}
	// The totals: each figure of each run, then its percentiles.
	units := lb.units
	nf := 5 + len(units) // days, revenue, cost, total, person-days, outputs
	vals := make([][]float64, nf)
	for k := range vals {
		vals[k] = make([]float64, r.Runs)
	}
	out := make([]float64, len(units))
	for i := range r.Runs {
		row := r.eta[i*r.cols : (i+1)*r.cols]
		var days, rev, cost, pd float64
		clear(out)
		for s := range ns {
			d := lb.days(s, float64(row[s]))
			sv := &e.Services[s]
			days = max(days, d)
			rev += sv.RevenuePerDay * d
			cost += sv.CostPerDay * d
			pd += float64(sv.PeopleIdle) * d
			if u := lb.unit[s]; u >= 0 {
				out[u] += sv.OutputPerDay.Amount * d
			}
		}
		vals[0][i], vals[1][i], vals[2][i], vals[3][i], vals[4][i] = days, rev, cost, rev+cost, pd
		for u := range units {
			vals[5+u][i] = out[u]
		}
	}
	for k := range vals {
		slices.Sort(vals[k])
	}
	for _, q := range []struct {
		dst **Figures
		pct int
	}{{&l.Total.P50, 50}, {&l.Total.P80, 80}, {&l.Total.P95, 95}} {
		f := Figures{Days: rankF(vals[0], q.pct), RevenueLost: rankF(vals[1], q.pct), ExtraCost: rankF(vals[2], q.pct), Total: rankF(vals[3], q.pct), PersonDays: rankF(vals[4], q.pct)}
		for u, unit := range units {
			f.Output = append(f.Output, Amount{Amount: rankF(vals[5+u], q.pct), Unit: unit})
		}
		*q.dst = &f
	}
	return l, nil
}

// PlanImpact builds the ledger of a deterministic plan, without
// percentiles: what `phasegate plan` shows.
func PlanImpact(e *estate.Estate, p *planner.Plan, opts ImpactOptions) (*Ledger, error) {
	if p == nil {
		return nil, fmt.Errorf("forecast: no plan given for the impact ledger")
	}
	l, _, err := newLedger(e, p, opts)
	return l, err
}

// ledgerBasis is what the ledger needs to turn an ETA into figures.
type ledgerBasis struct {
	e      *estate.Estate
	before []float64 // per service: days down before the clock's start
	back   []bool    // per service: back at the clock's start
	units  []string  // output units, in order of first appearance
	unit   []int     // per service: index in units, or -1
}

// days is how long service s is down in all if it is back eta minutes
// after the clock's start.
func (b *ledgerBasis) days(s int, etaMinutes float64) float64 {
	if b.back[s] {
		return b.before[s]
	}
	return b.before[s] + etaMinutes/(24*60)
}

func (b *ledgerBasis) service(s int, days float64) Figures {
	sv := &b.e.Services[s]
	f := Figures{Days: days, RevenueLost: sv.RevenuePerDay * days, ExtraCost: sv.CostPerDay * days, PersonDays: float64(sv.PeopleIdle) * days}
	f.Total = f.RevenueLost + f.ExtraCost
	if b.unit[s] >= 0 {
		f.Output = []Amount{{Amount: sv.OutputPerDay.Amount * days, Unit: sv.OutputPerDay.Unit}}
	}
	return f
}

// newLedger fills the ledger's so-far and deterministic figures.
func newLedger(e *estate.Estate, p *planner.Plan, opts ImpactOptions) (*Ledger, *ledgerBasis, error) {
	if e == nil {
		return nil, nil, fmt.Errorf("forecast: no estate given for the impact ledger")
	}
	if len(p.Services) != len(e.Services) {
		return nil, nil, fmt.Errorf("forecast: the plan has %d services, the estate %d; build the ledger from the estate the plan was made for", len(p.Services), len(e.Services))
	}
	now := p.Start
	since := opts.Since
	if since.IsZero() {
		since = now
	}
	if since.After(now) {
		return nil, nil, fmt.Errorf("forecast: the incident's start %s is after the clock's start %s; the outage cannot start later than now", since.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	for id, t := range opts.Back {
		if !slices.ContainsFunc(e.Services, func(s estate.Service) bool { return s.ID == id }) {
			return nil, nil, fmt.Errorf("forecast: service %q is listed as back but is not in the estate", id)
		}
		if t.Before(since) || t.After(now) {
			return nil, nil, fmt.Errorf("forecast: service %q is listed as back at %s, outside the incident (%s to %s)", id, t.Format(time.RFC3339), since.Format(time.RFC3339), now.Format(time.RFC3339))
		}
	}
	for id, d := range opts.Down {
		if !slices.ContainsFunc(e.Services, func(s estate.Service) bool { return s.ID == id }) {
			return nil, nil, fmt.Errorf("forecast: service %q has a downtime but is not in the estate", id)
		}
		if d < 0 || d > now.Sub(since) {
			return nil, nil, fmt.Errorf("forecast: service %q is listed as down for %s, outside 0 to the %s since the incident's start", id, d, now.Sub(since))
		}
	}
	ns := len(e.Services)
	b := &ledgerBasis{e: e, before: make([]float64, ns), back: make([]bool, ns), unit: make([]int, ns)}
	l := &Ledger{Currency: e.Currency, Since: since, Now: now, Services: make([]ServiceImpact, ns)}
	sinceDays := now.Sub(since).Hours() / 24
	done := make(map[string]bool, len(p.Systems))
	for i := range p.Systems {
		done[p.Systems[i].ID] = p.Systems[i].Wait.Reason == "done"
	}
	var detRev, detCost, detPD, detDays float64
	var soRev, soCost, soPD, soDays float64
	detOut := map[string]float64{}
	soOut := map[string]float64{}
	for s := range ns {
		sv := &e.Services[s]
		b.unit[s] = -1
		if o := sv.OutputPerDay; o != nil && o.Amount != 0 {
			k := slices.Index(b.units, o.Unit)
			if k < 0 {
				k = len(b.units)
				b.units = append(b.units, o.Unit)
			}
			b.unit[s] = k
		}
		// A service is back at the clock's start when nothing it needs
		// is left to restore: the plan puts its ETA at 0.
		sp := &p.Services[s]
		back := sp.ETAHours == 0 && allDone(done, sv)
		b.back[s] = back
		b.before[s] = sinceDays
		if t, ok := opts.Back[sv.ID]; ok && back {
			b.before[s] = t.Sub(since).Hours() / 24
		}
		if d, ok := opts.Down[sv.ID]; ok {
			b.before[s] = d.Hours() / 24
		}
		si := ServiceImpact{ID: sv.ID, Name: sv.Name, RevenuePerDay: sv.RevenuePerDay, CostPerDay: sv.CostPerDay, PeopleIdle: sv.PeopleIdle, Back: back}
		if sv.OutputPerDay != nil {
			si.OutputPerDay = &Amount{Amount: sv.OutputPerDay.Amount, Unit: sv.OutputPerDay.Unit}
		}
		si.SoFar = b.service(s, b.before[s])
		si.Deterministic = b.service(s, b.days(s, sp.ETAHours*60))
		if !back {
			l.LossPerDay += sv.LossPerDay()
		}
		l.Services[s] = si
		soRev += si.SoFar.RevenueLost
		soCost += si.SoFar.ExtraCost
		soPD += si.SoFar.PersonDays
		soDays = max(soDays, si.SoFar.Days)
		detRev += si.Deterministic.RevenueLost
		detCost += si.Deterministic.ExtraCost
		detPD += si.Deterministic.PersonDays
		detDays = max(detDays, si.Deterministic.Days)
		if k := b.unit[s]; k >= 0 {
			soOut[b.units[k]] += si.SoFar.Output[0].Amount
			detOut[b.units[k]] += si.Deterministic.Output[0].Amount
		}
	}
	l.Total.SoFar = Figures{Days: soDays, RevenueLost: soRev, ExtraCost: soCost, Total: soRev + soCost, PersonDays: soPD}
	l.Total.Deterministic = Figures{Days: detDays, RevenueLost: detRev, ExtraCost: detCost, Total: detRev + detCost, PersonDays: detPD}
	for _, u := range b.units {
		l.Total.SoFar.Output = append(l.Total.SoFar.Output, Amount{Amount: soOut[u], Unit: u})
		l.Total.Deterministic.Output = append(l.Total.Deterministic.Output, Amount{Amount: detOut[u], Unit: u})
	}
	if l.Services == nil {
		l.Services = []ServiceImpact{}
	}
	return l, b, nil
}

// allDone reports whether every system the service requires is back at
// the plan's start (the plan's reason "done").
func allDone(done map[string]bool, sv *estate.Service) bool {
	for _, id := range sv.Requires {
		if !done[id] {
			return false
		}
	}
	return true
}

// rankF is the nearest-rank percentile of a sorted float sample.
func rankF(sorted []float64, pct int) float64 {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	i := (pct*n+99)/100 - 1
	v := sorted[max(0, min(n-1, i))]
	if math.IsNaN(v) {
		return 0
	}
	return v
}
