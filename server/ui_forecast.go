package server

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/phasegate/phasegate/chart"
	"github.com/phasegate/phasegate/forecast"
	"github.com/phasegate/phasegate/incident"
)

// The forecast pages: the live Monte Carlo forecast of an incident with
// its fan chart and impact ledger (/forecast), and the backlogs with their
// burn-downs and the supplier payment policies (/backlogs). Both read the
// same live forecast as the API (liveBaseline: cached, off the request
// path when another page asked first) and change nothing, so their forms
// are GETs whose address can be bookmarked or sent on.

// forecastQuery is the forecast page's form.
type forecastQuery struct {
	Runs int
	// By is the target date as typed (YYYY-MM-DD); ByTime its end, UTC.
	By     string
	ByTime time.Time
	Chart  string // fan or cdf
	Narrow bool
}

// runChoices are the run counts the forms offer, besides the server's
// default: more runs, steadier percentiles, a longer wait.
var runChoices = []int{500, 2_000, 10_000, 20_000}

// runOptions lists the run counts a live forecast may make here.
func (u *ui) runOptions() (opts []option, def int) {
	cfg := u.s.live.cfg
	choices := append(slices.Clone(runChoices), cfg.DefaultRuns)
	slices.Sort(choices)
	for _, n := range slices.Compact(choices) {
		if n > cfg.MaxRuns {
			continue
		}
		label := fmtNum(n) + " runs"
		if n == cfg.DefaultRuns {
			label += " (default)"
		}
		opts = append(opts, option{Value: strconv.Itoa(n), Label: label})
	}
	return opts, cfg.DefaultRuns
}

// readRuns reads the runs field: one of the offered counts opts, else
// the default def with a message saying why.
func (u *ui) readRuns(r *http.Request, opts []option, def int) (int, string) {
	v := r.URL.Query().Get("runs")
	if v == "" {
		return def, ""
	}
	for _, o := range opts {
		if o.Value == v {
			n, _ := strconv.Atoi(v)
			return n, ""
		}
	}
	return def, fmt.Sprintf("%q runs is not offered; choose one of the list (at most %s). Showing %s runs.", v, fmtNum(u.s.live.cfg.MaxRuns), fmtNum(def))
}

// forecastRow is one business service (or the whole restart) on the
// forecast page.
type forecastRow struct {
	forecast.Outlook
	Back   bool
	Impact *forecast.ServiceImpact
}

type forecastData struct {
	ID          int64
	Query       forecastQuery
	RunsOptions []option
	// QueryErrors are the form's fields that could not be read, by name.
	QueryErrors map[string]string
	Result      *forecast.Result
	Rows        []forecastRow
	Restart     forecastRow
	Chart       template.HTML
	ChartLink   string
	Ledger      *forecast.Ledger
	Currency    string
	// Output lists the units of output not produced (vehicles, ...).
	Output []string
}

// ByLabel names the target day: the day whose end ByTime is.
func (d forecastData) ByLabel() string {
	if d.Query.ByTime.IsZero() {
		return ""
	}
	return fmtDay(d.Query.ByTime.Add(-time.Nanosecond))
}

// Table is the services' rows and the whole restart's, last.
func (d forecastData) Table() []forecastRow { return append(slices.Clone(d.Rows), d.Restart) }

// OutputAt is how much of unit f says was not produced.
func (forecastData) OutputAt(f *forecast.Figures, unit string) float64 {
	if f == nil {
		return 0
	}
	for _, a := range f.Output {
		if a.Unit == unit {
			return a.Amount
		}
	}
	return 0
}

// liveForecastOf computes (or takes from the cache) the live forecast of
// the page's incident.
func (u *ui) liveForecastOf(r *http.Request, a incident.Actor, in *uiIncident, q liveQuery) (*liveBase, error) {
	sn, err := u.s.svc.Snapshot(r.Context(), a, in.ID())
	if err != nil {
		return nil, err
	}
	return u.s.liveBaseline(r.Context(), a, sn, q)
}

func (u *ui) handleForecastPage(w http.ResponseWriter, r *http.Request, a incident.Actor) {
	in, ok := u.incidentOf(w, r, a)
	if !ok {
		return
	}
	p := u.page(a, in, "forecast", "Forecast")
	qv := r.URL.Query()
	d := forecastData{ID: in.ID(), Currency: in.est.Currency, QueryErrors: map[string]string{}}
	fq := forecastQuery{By: strings.TrimSpace(qv.Get("by")), Chart: qv.Get("chart"), Narrow: narrowAsked(r)}
	var msg string
	var def int
	d.RunsOptions, def = u.runOptions()
	fq.Runs, msg = u.readRuns(r, d.RunsOptions, def)
	if msg != "" {
		d.QueryErrors["runs"] = msg
	}
	if fq.Chart != "cdf" {
		fq.Chart = "fan"
	}
	if fq.By != "" {
		t, err := parseBy(fq.By)
		if err != nil {
			d.QueryErrors["by"] = err.Error() + "."
		} else {
			fq.ByTime = t
		}
	}
	b, err := u.liveForecastOf(r, a, in, liveQuery{runs: fq.Runs, by: fq.ByTime, byText: fq.By})
	if early := (*byBeforeStart)(nil); errors.As(err, &early) {
		d.QueryErrors["by"] = "That day is over: pick today or a later day."
		fq.ByTime = time.Time{}
		b, err = u.liveForecastOf(r, a, in, liveQuery{runs: fq.Runs})
	}
	d.Query = fq
	if err != nil {
		u.fail(w, r, p, err)
		return
	}
	res := b.result
	d.Result = res
	l, err := forecast.Impact(b.snap.Estate, res, forecast.ImpactOptions{Since: b.since, Down: b.downMap()})
	if err != nil {
		// The page still shows the dates; the log says why the money is
		// missing.
		u.s.log.Warn("impact ledger of the live forecast", "incident", in.ID(), "error", err)
	} else {
		d.Ledger = l
	}
	impact := map[string]*forecast.ServiceImpact{}
	if d.Ledger != nil {
		for i := range d.Ledger.Services {
			si := &d.Ledger.Services[i]
			impact[si.ID] = si
			if si.OutputPerDay != nil && !slices.Contains(d.Output, si.OutputPerDay.Unit) {
				d.Output = append(d.Output, si.OutputPerDay.Unit)
			}
		}
	}
	for _, o := range res.Services {
		row := forecastRow{Outlook: o, Impact: impact[o.ID]}
		row.Back = row.Impact != nil && row.Impact.Back || row.Impact == nil && o.P95Hours <= 0
		d.Rows = append(d.Rows, row)
	}
	// Back first, then in the order they are back at P80 (as the chart).
	slices.SortStableFunc(d.Rows, func(x, y forecastRow) int {
		if x.Back != y.Back {
			if x.Back {
				return -1
			}
			return 1
		}
		return cmp.Compare(x.P80Hours, y.P80Hours)
	})
	d.Restart = forecastRow{Outlook: res.Restart, Back: res.Restart.P95Hours <= 0}

	c := chart.FanOf(in.est.Organization, res)
	c.Subtitle = fmt.Sprintf("As of %s: %s", res.Start.Format("2 Jan 2006 15:04 MST"), c.Subtitle)
	c.IDPrefix = "pg-" + fq.Chart
	c.Width = pictureWidth(fq.Narrow)
	draw := chart.Fan
	if fq.Chart == "cdf" {
		draw = chart.CDF
	}
	var buf bytes.Buffer
	if err := draw(&buf, c); err != nil {
		u.fail(w, r, p, fmt.Errorf("drawing the forecast of incident %d: %w", in.ID(), err))
		return
	}
	d.Chart = template.HTML(buf.String())
	by := ""
	if !fq.ByTime.IsZero() {
		by = fq.By
	}
	d.ChartLink = withQuery(fmt.Sprintf("/api/v1/incidents/%d/forecast", in.ID()), "format", "svg", "chart", fq.Chart,
		"runs", strconv.Itoa(fq.Runs), "by", by)
	p.Data = d
	u.render(w, r, http.StatusOK, "forecast", p)
}

// backlogView is one backlog on the backlogs page.
type backlogView struct {
	forecast.BacklogOutlook
	Chart template.HTML
	// Suppliers are the listed items' suppliers matching the search, with
	// when each is paid under every policy; Matched counts them all.
	Suppliers []supplierRow
	Matched   int
	Total     int
}

// supplierRow is one supplier and when it is paid under each policy (in
// forecast.Policies order), at normal capacity.
type supplierRow struct {
	forecast.SupplierPaid
	Paid []forecast.SupplierPaid
}

// Surge reports whether the backlog names surge capacity.
func (b backlogView) Surge() bool { return b.SurgeCapacityPerDay > 0 }

// backlogCaseRow is the backlog at one return date, labelled.
type backlogCaseRow struct {
	forecast.BacklogCase
	Label string
}

// clearingView is one way a backlog clears, with what its days count
// from.
type clearingView struct {
	forecast.Clearing
	From string
}

// from is what the case's clearing days count from: the return, or a
// count taken after it.
func (c backlogCaseRow) from() string {
	if c.WorkFromHours != c.ReturnHours {
		return "the count"
	}
	return "the return"
}

// NormalClearing is the case's clearing at normal capacity.
func (c backlogCaseRow) NormalClearing() clearingView { return clearingView{c.Normal, c.from()} }

// SurgeClearing is the case's clearing at surge capacity, if any.
func (c backlogCaseRow) SurgeClearing() *clearingView {
	if c.Surge == nil {
		return nil
	}
	return &clearingView{*c.Surge, c.from()}
}

// Cases are the backlog at the plan's date and, when known, at P80.
func (b backlogView) Cases() []backlogCaseRow {
	rows := []backlogCaseRow{{b.Deterministic, "At the plan's date"}}
	if b.P80 != nil {
		rows = append(rows, backlogCaseRow{*b.P80, "At P80"})
	}
	return rows
}

// PolicyRows are the policy table's rows: each policy at normal capacity
// and, when there is one, at surge capacity.
func (b backlogView) PolicyRows() []policyRow {
	var rows []policyRow
	for _, p := range b.Policies {
		rows = append(rows, policyRow{Policy: p.Policy, Own: p.Policy == b.Policy, PolicyClearing: p.Normal})
		if p.Surge != nil {
			rows = append(rows, policyRow{Policy: p.Policy, Own: p.Policy == b.Policy, Surge: true, PolicyClearing: *p.Surge})
		}
	}
	return rows
}

type policyRow struct {
	forecast.PolicyClearing
	Policy string
	Own    bool
	Surge  bool
}

type backlogsData struct {
	ID       int64
	Currency string
	Result   *forecast.Result
	Backlogs []backlogView
	Policies []string
	Search   string
	Narrow   bool
	// MaxSuppliers is how many suppliers a backlog lists without a search.
	MaxSuppliers int
}

// maxSupplierRows caps the suppliers listed per backlog: beyond it the
// page says to search.
const maxSupplierRows = 50

func (u *ui) handleBacklogsPage(w http.ResponseWriter, r *http.Request, a incident.Actor) {
	in, ok := u.incidentOf(w, r, a)
	if !ok {
		return
	}
	p := u.page(a, in, "backlogs", "Backlogs")
	qv := r.URL.Query()
	d := backlogsData{ID: in.ID(), Currency: in.est.Currency, Policies: forecast.Policies,
		Search: strings.TrimSpace(qv.Get("supplier")), Narrow: narrowAsked(r), MaxSuppliers: maxSupplierRows}
	if len(in.est.Backlogs) == 0 {
		p.Data = d
		u.render(w, r, http.StatusOK, "backlogs", p)
		return
	}
	// The snapshot read now, not the forecast's (which may be kept from
	// before the latest count).
	sn, err := u.s.svc.Snapshot(r.Context(), a, in.ID())
	if err != nil {
		u.fail(w, r, p, err)
		return
	}
	b, err := u.s.liveBaseline(r.Context(), a, sn, liveQuery{runs: u.s.live.cfg.DefaultRuns})
	if err != nil {
		u.fail(w, r, p, err)
		return
	}
	d.Result = b.result
	bs, err := forecast.Backlogs(b.snap.Estate, b.result, forecast.BacklogOptions{Since: b.since, Policies: forecast.Policies,
		Readings: readingsByBacklog(sn.Readings)})
	if err != nil {
		u.fail(w, r, p, fmt.Errorf("backlogs of incident %d: %w", in.ID(), err))
		return
	}
	now := b.result.Start
	for i, bo := range bs {
		v := backlogView{BacklogOutlook: bo}
		c := chart.BurnDownOf(in.est.Organization, b.result, bo, v.Surge())
		c.Now = &now
		c.IDPrefix = fmt.Sprintf("pg-burn%d", i)
		c.Width = pictureWidth(d.Narrow)
		var buf bytes.Buffer
		if err := chart.BurnDown(&buf, c); err != nil {
			u.fail(w, r, p, fmt.Errorf("drawing backlog %s of incident %d: %w", bo.ID, in.ID(), err))
			return
		}
		v.Chart = template.HTML(buf.String())
		v.Suppliers, v.Matched, v.Total = supplierRows(bo, d.Search, maxSupplierRows)
		d.Backlogs = append(d.Backlogs, v)
	}
	p.Data = d
	u.render(w, r, http.StatusOK, "backlogs", p)
}

// supplierRows lists the suppliers of a backlog's listed items whose name
// contains search (any case), in the order the backlog's own policy pays
// them, at most limit; matched counts all that match, total all suppliers.
func supplierRows(b forecast.BacklogOutlook, search string, limit int) (rows []supplierRow, matched, total int) {
	own := slices.IndexFunc(b.Policies, func(p forecast.PolicyOutlook) bool { return p.Policy == b.Policy })
	if own < 0 {
		return nil, 0, 0
	}
	// Each policy's payment of each supplier, by name.
	paid := make([]map[string]forecast.SupplierPaid, len(b.Policies))
	for i, p := range b.Policies {
		paid[i] = make(map[string]forecast.SupplierPaid, len(p.Normal.SupplierPayments))
		for _, sp := range p.Normal.SupplierPayments {
			paid[i][sp.Supplier] = sp
		}
	}
	sps := slices.Clone(b.Policies[own].Normal.SupplierPayments)
	slices.SortStableFunc(sps, func(x, y forecast.SupplierPaid) int {
		return cmp.Or(cmp.Compare(x.Days, y.Days), strings.Compare(x.Supplier, y.Supplier))
	})
	needle := strings.ToLower(search)
	for _, sp := range sps {
		if needle != "" && !strings.Contains(strings.ToLower(sp.Supplier), needle) {
			continue
		}
		matched++
		if len(rows) == limit {
			continue
		}
		row := supplierRow{SupplierPaid: sp}
		for i := range b.Policies {
			row.Paid = append(row.Paid, paid[i][sp.Supplier])
		}
		rows = append(rows, row)
	}
	return rows, matched, len(sps)
}
