package server

import (
	"bytes"
	"cmp"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/chart"
	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/incident"
	"github.com/phasegate/phasegate/planner"
)

// planQuery is the plan page's filter form (GET): what to draw.
type planQuery struct {
	Team, Kind, Service, Search string
	Group                       string // wave, team, none
	Rows                        int    // timeline row cap
	Narrow                      bool   // phone-width pictures
}

// maxInlineWaves is the most systems the plan page draws as waves: beyond
// it the picture (compact, but one node per system) weighs megabytes, so
// the page says to filter, and links to the picture alone.
const maxInlineWaves = 600

// Timeline rows drawn by default, and at most: beyond a few hundred rows
// a Gantt chart is no longer read, only scrolled.
const (
	defaultPlanRows = 120
	maxPlanRows     = 2000
)

func readPlanQuery(r *http.Request) planQuery {
	q := r.URL.Query()
	pq := planQuery{Team: q.Get("team"), Kind: q.Get("kind"), Service: q.Get("service"),
		Search: strings.TrimSpace(q.Get("q")), Group: q.Get("group"), Rows: defaultPlanRows, Narrow: narrowAsked(r)}
	switch pq.Group {
	case "team", "none":
	default:
		pq.Group = "wave"
	}
	if n, err := strconv.Atoi(q.Get("rows")); err == nil && n > 0 {
		pq.Rows = min(n, maxPlanRows)
	}
	return pq
}

func (pq planQuery) filter() chart.Filter {
	return chart.Filter{Team: pq.Team, Kind: pq.Kind, Service: pq.Service, Search: pq.Search}
}

// values renders the query back, for the links to the pictures alone.
func (pq planQuery) values() string {
	kv := []string{"team", pq.Team, "kind", pq.Kind, "service", pq.Service, "q", pq.Search}
	if pq.Group != "wave" {
		kv = append(kv, "group", pq.Group)
	}
	if pq.Rows != defaultPlanRows {
		kv = append(kv, "rows", strconv.Itoa(pq.Rows))
	}
	if pq.Narrow {
		kv = append(kv, "width", "narrow")
	}
	s := withQuery("", kv...)
	return strings.TrimPrefix(s, "?")
}

// narrowAsked reports whether the page's form asks for pictures drawn
// for a phone (its width field, template width-field).
func narrowAsked(r *http.Request) bool { return r.URL.Query().Get("width") == "narrow" }

// pictureWidth is the width a page draws its pictures at: a phone's, or
// 0 for the chart's own (wide) default.
func pictureWidth(narrow bool) float64 {
	if narrow {
		return 380
	}
	return 0
}

type option struct {
	Value, Label string
}

type planData struct {
	ID       int64
	Query    planQuery
	Teams    []option
	Kinds    []option
	Services []option
	Filtered bool
	// FilterError: the filter names no such team or service.
	FilterError *uiError
	Timeline    template.HTML
	Waves       template.HTML
	// Links is the query of the pictures alone (encoded: a URL, not a
	// value to escape again, which would make "team=x" "team%3dx").
	Links    template.URL
	Plan     *planner.Plan
	Currency string
	Critical []option
	Shown    int
	Total    int
	// TimelineCut: how many of the systems shown the timeline leaves
	// out (its row cap); AllRows and AllRowsLink draw them all (up to
	// maxPlanRows).
	TimelineCut int
	AllRows     int
	AllRowsLink template.URL
	// WavesSkipped: too many systems selected to draw the waves inline.
	WavesSkipped bool
	MaxWaves     int
}

func (u *ui) handlePlanPage(w http.ResponseWriter, r *http.Request, a incident.Actor) {
	in, ok := u.incidentOf(w, r, a)
	if !ok {
		return
	}
	p := u.page(a, in, "plan", "Restart plan")
	pq := readPlanQuery(r)
	d := planData{ID: in.ID(), Query: pq, Filtered: !pq.filter().IsZero(), Currency: in.est.Currency}
	d.Teams, d.Kinds, d.Services = planOptions(in.est)
	lp, err := u.livePlan(r, a, in)
	if err != nil {
		u.fail(w, r, p, err)
		return
	}
	d.Plan, d.Total = lp.plan, len(lp.plan.Systems)
	for _, id := range lp.plan.CriticalPath {
		name := id
		if s := lp.bySys[id]; s != nil {
			name = cmp.Or(s.Name, id)
		}
		d.Critical = append(d.Critical, option{Value: id, Label: name})
	}
	status := http.StatusOK
	if idx, err := pq.filter().Select(lp.plan); err != nil {
		d.FilterError = uiErrorOf(err)
		status = d.FilterError.Status
	} else {
		d.Shown, d.MaxWaves = len(idx), maxInlineWaves
		if d.Shown > pq.Rows {
			all := pq
			all.Rows = min(d.Shown, maxPlanRows)
			d.TimelineCut, d.AllRows, d.AllRowsLink = d.Shown-pq.Rows, all.Rows, template.URL(all.values())
		}
		now := u.clock()
		tl, err := u.drawPlan(lp.plan, in, pq, "timeline", now, "tl")
		if err == nil && len(idx) <= maxInlineWaves {
			var wv []byte
			wv, err = u.drawPlan(lp.plan, in, pq, "waves", now, "wv")
			d.Waves = template.HTML(wv)
		}
		d.WavesSkipped = len(idx) > maxInlineWaves
		if err != nil {
			u.fail(w, r, p, err)
			return
		}
		d.Timeline = template.HTML(tl)
	}
	d.Links = template.URL(pq.values())
	p.Data = d
	u.render(w, r, status, "plan", p)
}

// planOptions are the choices of the filter form, from the estate.
func planOptions(e *estate.Estate) (teams, kinds, services []option) {
	for _, t := range e.Teams {
		teams = append(teams, option{t.ID, cmp.Or(t.Name, t.ID)})
	}
	seen := map[estate.Kind]bool{}
	for _, s := range e.Systems {
		seen[s.Kind] = true
	}
	for _, k := range estate.Kinds {
		if seen[k] {
			kinds = append(kinds, option{string(k), string(k)})
		}
	}
	for _, s := range e.Services {
		services = append(services, option{s.ID, cmp.Or(s.Name, s.ID)})
	}
	return teams, kinds, services
}

// chartStates maps every system's state for the pictures.
func chartStates(in *uiIncident) map[string]chart.State {
	m := make(map[string]chart.State, len(in.view.Systems))
	for _, s := range in.view.Systems {
		m[s.SystemID] = chart.State(s.State)
	}
	return m
}

// drawPlan draws one picture of the plan: "timeline" or "waves".
func (u *ui) drawPlan(p *planner.Plan, in *uiIncident, pq planQuery, picture string, now time.Time, prefix string) ([]byte, error) {
	var buf bytes.Buffer
	width := pictureWidth(pq.Narrow)
	var err error
	switch picture {
	case "timeline":
		group := chart.GroupBy(pq.Group)
		err = chart.Timeline(&buf, p, chart.TimelineOptions{Title: "Restart timeline", Width: width, GroupBy: group,
			Filter: pq.filter(), MaxRows: pq.Rows, Now: &now, States: chartStates(in), IDPrefix: prefix})
	case "waves":
		err = chart.Waves(&buf, p, chart.WavesOptions{Title: "Restart waves", Width: width, Filter: pq.filter(),
			States: chartStates(in), IDPrefix: prefix})
	default:
		return nil, phasegate.Errorf(phasegate.ENOTFOUND, "no picture %q; use timeline.svg or waves.svg", picture)
	}
	return buf.Bytes(), err
}

// handlePlanPicture serves one picture alone as an SVG file, with the
// same filters as the page: for printing, or pinning to a wall.
func (u *ui) handlePlanPicture(w http.ResponseWriter, r *http.Request, a incident.Actor) {
	in, ok := u.incidentOf(w, r, a)
	if !ok {
		return
	}
	name, ok := strings.CutSuffix(r.PathValue("picture"), ".svg")
	if !ok || (name != "timeline" && name != "waves") {
		u.fail(w, r, u.page(a, in, "plan", ""), phasegate.Errorf(phasegate.ENOTFOUND,
			"no picture %q; use timeline.svg or waves.svg", r.PathValue("picture")))
		return
	}
	lp, err := u.livePlan(r, a, in)
	if err != nil {
		u.fail(w, r, u.page(a, in, "plan", ""), err)
		return
	}
	svg, err := u.drawPlan(lp.plan, in, readPlanQuery(r), name, u.clock(), "pg-"+name)
	if err != nil {
		u.fail(w, r, u.page(a, in, "plan", ""), err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "image/svg+xml")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Disposition", fmt.Sprintf(`inline; filename="incident-%d-%s.svg"`, in.ID(), name))
	w.Write(svg)
}
