package server

import (
	"cmp"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/phasegate/phasegate/forecast"
	"github.com/phasegate/phasegate/incident"
)

// stateCount is one segment of the states bar.
type stateCount struct {
	State incident.State
	N     int
	Pct   float64
}

// serviceRow is one business service on the overview.
type serviceRow struct {
	ID, Name   string
	Back       bool
	ETA        time.Time
	LastSystem string
	Why        string
	PerDay     float64
	SoFar      float64
	// P80 is the live forecast's date, 80 % sure (zero without one).
	P80 time.Time
}

// milestone is a system coming back next, and why then.
type milestone struct {
	When      time.Time
	System    string
	Name      string
	Critical  bool
	Why       string
	Restoring bool
}

type overviewData struct {
	ID            int64
	Open          bool
	Started       time.Time
	Days          float64
	Up, Total     int
	Online        int
	Running       int
	Counts        []stateCount
	ServicesBack  int
	ServicesTotal int
	Currency      string
	HasLedger     bool
	CostSoFar     float64
	CostProjected float64
	LossPerDay    float64
	PlanError     *uiError
	End           time.Time
	// EndP80 is when every system is back, 80 % sure; HasForecast says
	// whether the live forecast could be made.
	EndP80      time.Time
	HasForecast bool
	// ForecastPending: the forecast takes longer than a page may wait
	// (a large estate); it goes on, for the next look.
	ForecastPending bool
	Services        []serviceRow
	Milestones      []milestone
	Recent          []uiEvent
	Pending         []uiApproval
	CanIsolate      bool
	// Estate is a newer estate version than the incident runs on (nil:
	// none).
	Estate *estateNotice
}

// estateNotice says that a newer estate version exists than the
// incident's, and whether it waits for a second person.
type estateNotice struct {
	Newest, Current int
	Pending         bool
	// Gates counts what the newest version takes away.
	Gates int
}

// newerEstate reads the estate versions for the overview's notice (and
// the header's count).
func (u *ui) newerEstate(r *http.Request, p *uiPage, in *uiIncident) (*estateNotice, error) {
	vs, err := u.s.svc.EstateVersions(r.Context(), p.Actor)
	if err != nil {
		return nil, err
	}
	p.countEstates(vs)
	if len(vs) == 0 || vs[0].Number <= in.view.EstateVersion {
		return nil, nil
	}
	return &estateNotice{Newest: vs[0].Number, Current: in.view.EstateVersion, Pending: vs[0].Pending(), Gates: len(vs[0].Weakens)}, nil
}

// recentEvents is how many of the latest events the overview lists.
const recentEvents = 12

func (u *ui) handleOverview(w http.ResponseWriter, r *http.Request, a incident.Actor) {
	in, ok := u.incidentOf(w, r, a)
	if !ok {
		return
	}
	now := u.clock()
	p := u.page(a, in, "overview", "Overview")
	d := overviewData{ID: in.ID(), Open: in.view.Open(), Started: in.view.StartedAt, Total: len(in.view.Systems),
		Days: now.Sub(in.view.StartedAt).Hours() / 24, Currency: in.est.Currency, ServicesTotal: len(in.est.Services),
		CanIsolate: a.Can(incident.ActionIsolateBulk, nil) && in.view.Open()}
	if d.Days < 0 {
		d.Days = 0
	}
	live := 0
	for _, s := range in.view.Systems {
		if s.Removed {
			continue
		}
		live++
		switch s.State {
		case incident.StateOnline:
			d.Up++
			d.Online++
		case incident.StateRunning:
			d.Up++
			d.Running++
		}
	}
	d.Total = live
	for _, st := range incident.States {
		if n := in.view.Counts[st]; n > 0 {
			d.Counts = append(d.Counts, stateCount{State: st, N: n, Pct: float64(n) * 100 / float64(max(1, live))})
		}
	}

	lp, note, err := u.livePlanOrNote(r, a, in)
	if err != nil {
		u.fail(w, r, p, err)
		return
	}
	if d.PlanError = note; lp != nil {
		u.overviewPlan(&d, in, lp)
		// The dates to promise beside the plan's: the live forecast, the
		// forecast page's (same cache), from the state the plan was
		// computed from. Without it the page still shows the plan, and
		// the log says why.
		b, err := u.s.liveBaseline(r.Context(), a, lp.snap, liveQuery{runs: u.s.live.cfg.DefaultRuns, within: uiForecastWait})
		switch {
		case errors.Is(err, errNotReady):
			d.ForecastPending = true
		case err != nil:
			u.s.log.Warn("live forecast for the overview", "incident", in.ID(), "error", err)
		default:
			overviewForecast(&d, b.result)
		}
	}

	evs, err := u.latestEvents(r, a, in, recentEvents)
	if err != nil {
		u.fail(w, r, p, err)
		return
	}
	for _, e := range evs {
		d.Recent = append(d.Recent, describeEvent(e))
	}
	aps, err := u.s.svc.Approvals(r.Context(), a, incident.ApprovalQuery{IncidentID: in.ID(), Status: incident.ApprovalPending})
	if err != nil {
		u.fail(w, r, p, err)
		return
	}
	for _, ap := range aps {
		d.Pending = append(d.Pending, u.approvalView(a, in, ap, incidentPath(in.ID())))
	}
	if d.Estate, err = u.newerEstate(r, p, in); err != nil {
		u.fail(w, r, p, err)
		return
	}
	p.Data = d
	u.render(w, r, http.StatusOK, "overview", p)
}

// overviewPlan fills the numbers that come from the live plan.
func (u *ui) overviewPlan(d *overviewData, in *uiIncident, lp *uiPlan) {
	p := lp.plan
	d.End = p.End
	if l := lp.ledger; l != nil {
		d.HasLedger = true
		d.CostSoFar = l.Total.SoFar.Total
		d.CostProjected = l.Total.Deterministic.Total
		d.LossPerDay = l.LossPerDay
	}
	for i, sp := range p.Services {
		row := serviceRow{ID: sp.ID, Name: cmp.Or(sp.Name, sp.ID), ETA: sp.ETA, LastSystem: sp.LastSystem}
		if lp.ledger != nil && i < len(lp.ledger.Services) {
			si := lp.ledger.Services[i]
			row.Back, row.PerDay, row.SoFar = si.Back, si.RevenuePerDay+si.CostPerDay, si.SoFar.Total
		}
		if row.Back {
			d.ServicesBack++
		} else if sys := lp.bySys[sp.LastSystem]; sys != nil {
			row.Why = whyDated(*sys, u.clock())
		}
		d.Services = append(d.Services, row)
	}
	// Services still down first, soonest back first; then those back.
	slices.SortStableFunc(d.Services, func(a, b serviceRow) int {
		if a.Back != b.Back {
			if a.Back {
				return 1
			}
			return -1
		}
		return a.ETA.Compare(b.ETA)
	})
	// The next systems to come back, with why then.
	var ms []milestone
	for _, sp := range p.Systems {
		if sp.Wait.Reason == "done" {
			continue
		}
		st := in.byID[sp.ID]
		ms = append(ms, milestone{When: sp.RestoreEnd, System: sp.ID, Name: cmp.Or(sp.Name, sp.ID), Critical: sp.Critical,
			Why: whyDated(sp, u.clock()), Restoring: st != nil && (st.State == incident.StateRestoring || st.State == incident.StateVerifying)})
	}
	slices.SortStableFunc(ms, func(a, b milestone) int { return a.When.Compare(b.When) })
	d.Milestones = ms[:min(len(ms), 8)]
}

// uiForecastWait is how long a page that can do without the live
// forecast (the overview, the status form) waits for it.
const uiForecastWait = 2 * time.Second

// overviewForecast adds each service's P80 date and the whole restart's.
func overviewForecast(d *overviewData, r *forecast.Result) {
	p80 := make(map[string]time.Time, len(r.Services))
	for _, o := range r.Services {
		p80[o.ID] = o.P80
	}
	for i := range d.Services {
		d.Services[i].P80 = p80[d.Services[i].ID]
	}
	d.EndP80, d.HasForecast = r.Restart.P80, true
}

// latestEvents returns up to n of the incident's newest events, newest
// first. It reads from a little before the latest state change to the
// end of the log, widening the window until it has n (or the whole log):
// a long log is not read from the start for every page.
func (u *ui) latestEvents(r *http.Request, a incident.Actor, in *uiIncident, n int) ([]incident.Event, error) {
	var head int64
	for _, s := range in.view.Systems {
		head = max(head, s.LastSeq)
	}
	window := int64(4 * n)
	for {
		from := max(0, head-window)
		var out []incident.Event
		err := u.scanEventsFrom(r, a, in.ID(), from, func(e incident.Event) bool {
			out = append(out, e)
			if len(out) > n {
				out = out[1:]
			}
			return true
		})
		if err != nil {
			return nil, err
		}
		if len(out) >= n || from == 0 {
			slices.Reverse(out)
			return out, nil
		}
		window *= 8
	}
}

// scanEvents calls fn for every event of the incident (0: all events) in
// order, page by page, until fn returns false.
func (u *ui) scanEvents(r *http.Request, a incident.Actor, incidentID int64, fn func(incident.Event) bool) error {
	return u.scanEventsFrom(r, a, incidentID, 0, fn)
}

// scanEventsFrom is scanEvents from the events after seq after.
func (u *ui) scanEventsFrom(r *http.Request, a incident.Actor, incidentID, after int64, fn func(incident.Event) bool) error {
	for {
		evs, err := u.s.svc.Events(r.Context(), a, incident.EventQuery{After: after, IncidentID: incidentID, Limit: 1000})
		if err != nil {
			return err
		}
		for _, e := range evs {
			if !fn(e) {
				return nil
			}
			after = e.Seq
		}
		if len(evs) < 1000 {
			return nil
		}
	}
}
