package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/chart"
	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/forecast"
	"github.com/phasegate/phasegate/incident"
)

// The live forecast of an incident: from every system's state now, the
// Monte Carlo forecast (GET …/forecast, JSON or a fan or CDF chart), the
// impact ledger (…/impact), the backlogs (…/backlogs, JSON or a
// burn-down) and what-if questions (POST …/whatif). All need view — the
// plan's permission — and change nothing. Forecasts are computed off the
// request path and kept a while in a liveCache (livecache.go).

// liveRoutes are the live forecast's endpoints.
func (s *Server) liveRoutes() []Route {
	const v = incident.ActionView
	return []Route{
		{"GET", "/api/v1/incidents/{id}/forecast", AccessAction, v, false, s.handleLiveForecast},
		{"GET", "/api/v1/incidents/{id}/impact", AccessAction, v, false, s.handleLiveImpact},
		{"GET", "/api/v1/incidents/{id}/backlogs", AccessAction, v, false, s.handleLiveBacklogs},
		{"POST", "/api/v1/incidents/{id}/whatif", AccessAction, v, false, s.handleLiveWhatIf},
	}
}

// liveQuery is what a live forecast is asked for.
type liveQuery struct {
	runs int
	seed uint64
	// seedGiven: without it the seed is the incident's id, so the
	// forecast's deterministic plan is the live plan (GET …/plan).
	seedGiven bool
	by        time.Time
	// byAfter, with byRelative, is a target given as a duration from the
	// forecast's start (by=21d): resolved against the snapshot's now.
	byAfter    time.Duration
	byRelative bool
	byText     string // by as asked, for errors
	// within bounds the wait for a page that can do without the forecast
	// (errNotReady after it; the computation goes on); 0: no bound.
	within time.Duration
}

// parseLiveQuery reads runs, seed and by, and refuses parameters the
// route does not know (a misspelt one would otherwise be ignored).
func (s *Server) parseLiveQuery(r *http.Request, known ...string) (liveQuery, error) {
	q := r.URL.Query()
	known = append(known, "runs", "seed")
	for name := range q {
		if !slices.Contains(known, name) {
			slices.Sort(known)
			return liveQuery{}, invalidRequest(http.StatusBadRequest,
				"unknown query parameter %q; this route takes %s", name, strings.Join(known, ", "))
		}
	}
	lq := liveQuery{runs: s.live.cfg.DefaultRuns}
	if v := q.Get("runs"); v != "" {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil || n < 1:
			return lq, invalidRequest(http.StatusBadRequest, "runs=%q: give a whole number of runs from 1 to %d (default %d)", v, s.live.cfg.MaxRuns, s.live.cfg.DefaultRuns)
		case n > s.live.cfg.MaxRuns:
			return lq, invalidRequest(http.StatusBadRequest, "runs=%d is more than the %d a live forecast may make; ask for fewer, or run phasegate forecast on the command line", n, s.live.cfg.MaxRuns)
		}
		lq.runs = n
	}
	if v := q.Get("seed"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return lq, invalidRequest(http.StatusBadRequest, "seed=%q: give a whole number ≥ 0, e.g. seed=1", v)
		}
		lq.seed, lq.seedGiven = n, true
	}
	if v := q.Get("by"); v != "" {
		lq.byText = v
		t, err := parseBy(v)
		if err != nil {
			d, derr := estate.ParseDuration(v)
			if derr != nil {
				return lq, invalidRequest(http.StatusBadRequest, "by=%q: %v, or a duration from now such as 21d", v, err)
			}
			lq.byAfter, lq.byRelative = d, true
		}
		lq.by = t
	}
	return lq, nil
}

// byBeforeStart is a target date before the forecast's start: no run can
// be back by then, so it is refused (400) rather than answered "0%".
type byBeforeStart struct{ br *badRequest }

func (e *byBeforeStart) Error() string { return e.br.Error() }
func (e *byBeforeStart) Unwrap() error { return e.br }

// resolveBy is q's target as a time, for a forecast starting at start.
func (q liveQuery) resolveBy(start time.Time) (time.Time, error) {
	if q.byRelative {
		return start.Add(q.byAfter), nil
	}
	if !q.by.IsZero() && q.by.Before(start) {
		return time.Time{}, &byBeforeStart{br: invalidRequest(http.StatusBadRequest,
			"by=%s (%s) is before the forecast's start, now (%s): no run can be back by then; give a later date, or a duration from now such as by=21d",
			q.byText, q.by.Format(time.RFC3339), start.Format(time.RFC3339)).(*badRequest)}
	}
	return q.by, nil
}

// parseBy reads a target date: an RFC 3339 time, or a date meaning the
// end of that day in UTC ("back by 8 October").
func parseBy(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, errors.New("not a date; write it like 21d (from now), YYYY-MM-DD a day ahead (the end of that day, UTC), or an RFC 3339 time")
	}
	return d.AddDate(0, 0, 1), nil
}

// wantSVG decides between JSON and a picture: format=svg or json, else
// an Accept header that asks for SVG and not JSON. pictures names the
// chart parameters that ask for a picture by themselves.
func wantSVG(r *http.Request, pictures ...string) (bool, error) {
	q := r.URL.Query()
	switch f := q.Get("format"); f {
	case "svg":
		return true, nil
	case "json":
		for _, p := range pictures {
			if q.Get(p) != "" {
				return false, invalidRequest(http.StatusBadRequest, "%s=%s draws a picture: leave out format=json, or use format=svg", p, q.Get(p))
			}
		}
		return false, nil
	case "":
	default:
		return false, invalidRequest(http.StatusBadRequest, "format=%q: use json (the default) or svg", f)
	}
	for _, p := range pictures {
		if q.Get(p) != "" {
			return true, nil
		}
	}
	svg, js := false, false
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil || params["q"] == "0" {
			continue
		}
		switch mt {
		case "image/svg+xml":
			svg = true
		case "application/json":
			js = true
		}
	}
	return svg && !js, nil
}

// writeSVG sends a picture. It may not run anything: it is drawn from
// the estate's names, so a Content-Security-Policy keeps it inert when
// opened on its own.
func writeSVG(w http.ResponseWriter, svg []byte) {
	h := w.Header()
	h.Set("Content-Type", "image/svg+xml; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.WriteHeader(http.StatusOK)
	w.Write(svg)
}

// liveBase is a live forecast with what the ledger and backlogs need.
type liveBase struct {
	snap   *incident.Snapshot
	result *forecast.Result
	down   []incident.Downtime
	// since is the incident's start, or now if it starts later.
	since time.Time
}

// coresFor is how many cores a forecast of runs is worth: one per
// thousand runs, so small ones leave the others free.
func coresFor(runs int) int { return max(1, (runs+999)/1000) }

// liveBaseline returns the live forecast of the incident in sn, from the
// cache or computed for it.
func (s *Server) liveBaseline(ctx context.Context, a incident.Actor, sn *incident.Snapshot, q liveQuery) (*liveBase, error) {
	if !q.seedGiven {
		q.seed = uint64(sn.Incident.ID)
	}
	by, err := q.resolveBy(sn.Now)
	if err != nil {
		return nil, err
	}
	key := liveKey{incident: sn.Incident.ID, estate: sn.Incident.EstateVersion, seq: sn.Seq, runs: q.runs, seed: q.seed}
	switch {
	case q.byRelative:
		// Keyed by the duration: a forecast kept from a moment ago
		// answers it from its own start.
		key.byAfter, key.byRelative = q.byAfter, true
	case !by.IsZero():
		key.by = by.UnixNano()
	}
	v, err := s.live.getWithin(ctx, key, sn.Now, "forecast", func(ctx context.Context) (any, int, error) {
		opts := forecast.Options{Runs: q.runs, Seed: q.seed, Start: sn.Now, Progress: sn.Progress(), By: by,
			Schedules: s.svc.Settings().PlanSchedules}
		if !q.seedGiven {
			// The forecast of the live plan: its order of work, unless a
			// clearly better one turns up (a seed asked for searches
			// afresh).
			opts.Follow = sn.Follow
		}
		var res *forecast.Result
		err := s.live.withCores(ctx, coresFor(q.runs), func(workers int) (err error) {
			opts.Workers = workers
			res, err = forecast.Run(ctx, sn.Estate, opts)
			return err
		})
		if err != nil {
			return nil, 0, err
		}
		down, err := s.svc.Downtimes(ctx, a, sn)
		if err != nil {
			return nil, 0, err
		}
		since := sn.Incident.StartedAt.UTC()
		if since.After(sn.Now) {
			since = sn.Now
		}
		return &liveBase{snap: sn, result: res, down: down, since: since}, q.runs * (len(sn.Estate.Services) + 1), nil
	}, q.within)
	if err != nil {
		return nil, err
	}
	return v.(*liveBase), nil
}

// downMap is the downtime of each service, for the impact ledger.
func (b *liveBase) downMap() map[string]time.Duration {
	m := make(map[string]time.Duration, len(b.down))
	for _, d := range b.down {
		m[d.Service] = d.Down
	}
	return m
}

// liveError sends the error of a live computation. A client that left
// gets nothing; a server shutting down says so.
func (s *Server) liveError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case r.Context().Err() != nil:
		return
	case errors.Is(err, errShuttingDown):
		w.Header().Set("Retry-After", "5")
		writeJSON(w, http.StatusServiceUnavailable, ErrorResponse{Code: "unavailable",
			Message: "the server is shutting down; ask again in a few seconds"})
		return
	}
	s.writeError(w, r, err)
}

// snapshot reads the incident of the path as it stands now.
func (s *Server) snapshot(r *http.Request) (*incident.Snapshot, error) {
	id, err := pathInt(r, "id", "incident id")
	if err != nil {
		return nil, err
	}
	return s.svc.Snapshot(r.Context(), actorFrom(r.Context()), id)
}

// liveOf reads the incident of the path and its live forecast for q; on
// failure it has answered and ok is false.
func (s *Server) liveOf(w http.ResponseWriter, r *http.Request, q liveQuery) (sn *incident.Snapshot, b *liveBase, ok bool) {
	sn, err := s.snapshot(r)
	if err != nil {
		s.writeError(w, r, err)
		return nil, nil, false
	}
	b, err = s.liveBaseline(r.Context(), actorFrom(r.Context()), sn, q)
	if err != nil {
		s.liveError(w, r, err)
		return nil, nil, false
	}
	return sn, b, true
}

func (s *Server) handleLiveForecast(w http.ResponseWriter, r *http.Request) {
	q, err := s.parseLiveQuery(r, "by", "format", "chart")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	svg, err := wantSVG(r, "chart")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	kind := r.URL.Query().Get("chart")
	if kind != "" && kind != "fan" && kind != "cdf" {
		s.writeError(w, r, invalidRequest(http.StatusBadRequest, "chart=%q: use fan (P50–P95 bands, the default) or cdf (the chance of being back by each date)", kind))
		return
	}
	sn, b, ok := s.liveOf(w, r, q)
	if !ok {
		return
	}
	if !svg {
		writeJSON(w, http.StatusOK, b.result)
		return
	}
	c := chart.FanOf(sn.Estate.Organization, b.result)
	c.Subtitle = fmt.Sprintf("Incident %d, as of %s: %s", sn.Incident.ID, b.result.Start.Format("2 Jan 2006 15:04 MST"), c.Subtitle)
	var buf bytes.Buffer
	draw := chart.Fan
	if kind == "cdf" {
		draw = chart.CDF
	}
	if err := draw(&buf, c); err != nil {
		s.writeError(w, r, fmt.Errorf("drawing the forecast of incident %d: %w", sn.Incident.ID, err))
		return
	}
	writeSVG(w, buf.Bytes())
}

// liveImpactResponse is the impact ledger (forecast.Ledger, as
// `phasegate impact --format json`) with each service's downtime from the
// record: when it came back, or since when it is down.
type liveImpactResponse struct {
	*forecast.Ledger
	Downtime []incident.Downtime `json:"downtime"`
}

func (s *Server) handleLiveImpact(w http.ResponseWriter, r *http.Request) {
	q, err := s.parseLiveQuery(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	sn, b, ok := s.liveOf(w, r, q)
	if !ok {
		return
	}
	l, err := forecast.Impact(sn.Estate, b.result, forecast.ImpactOptions{Since: b.since, Down: b.downMap()})
	if err != nil {
		s.writeError(w, r, fmt.Errorf("impact of incident %d: %w", sn.Incident.ID, err))
		return
	}
	writeJSON(w, http.StatusOK, liveImpactResponse{Ledger: l, Downtime: nonNil(b.down)})
}

// liveBacklogsResponse is the backlogs, as `phasegate backlog --format
// json`.
type liveBacklogsResponse struct {
	Start    time.Time                 `json:"start"`
	Since    time.Time                 `json:"since"`
	Runs     int                       `json:"runs"`
	Seed     uint64                    `json:"seed"`
	Backlogs []forecast.BacklogOutlook `json:"backlogs"`
}

func (s *Server) handleLiveBacklogs(w http.ResponseWriter, r *http.Request) {
	q, err := s.parseLiveQuery(r, "policy", "surge", "items", "backlog", "format")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	svg, err := wantSVG(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	qv := r.URL.Query()
	var policies []string
	switch p := qv.Get("policy"); {
	case p == "":
	case p == "all":
		policies = forecast.Policies
	case slices.Contains(forecast.Policies, p):
		policies = []string{p}
	default:
		s.writeError(w, r, invalidRequest(http.StatusBadRequest, "policy=%q: use %s, or all to compare them", p, strings.Join(forecast.Policies, ", ")))
		return
	}
	flag := func(name string) (bool, error) {
		v := qv.Get(name)
		if v == "" {
			return false, nil
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return false, invalidRequest(http.StatusBadRequest, "%s=%q: use true or false", name, v)
		}
		return b, nil
	}
	surge, err := flag("surge")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	items, err := flag("items")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	sn, err := s.snapshot(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var ids []string
	for _, b := range sn.Estate.Backlogs {
		ids = append(ids, b.ID)
	}
	only := qv.Get("backlog")
	switch {
	case only != "" && !slices.Contains(ids, only):
		msg := fmt.Sprintf("backlog=%q: estate version %d has no such backlog", only, sn.Incident.EstateVersion)
		if len(ids) > 0 {
			msg += "; its backlogs are " + strings.Join(ids, ", ")
		}
		s.writeError(w, r, invalidRequest(http.StatusBadRequest, "%s", msg))
		return
	case svg && len(ids) == 0:
		s.writeError(w, r, phasegate.Errorf(phasegate.ENOTFOUND, "estate version %d has no backlogs to draw; declare them under backlogs: in the estate", sn.Incident.EstateVersion))
		return
	case svg && only == "" && len(ids) > 1:
		s.writeError(w, r, invalidRequest(http.StatusBadRequest, "a burn-down draws one backlog: choose it with backlog=ID, one of %s", strings.Join(ids, ", ")))
		return
	}
	b, err := s.liveBaseline(r.Context(), actorFrom(r.Context()), sn, q)
	if err != nil {
		s.liveError(w, r, err)
		return
	}
	bs, err := forecast.Backlogs(sn.Estate, b.result, forecast.BacklogOptions{Since: b.since, Policies: policies, Items: items,
		Readings: readingsByBacklog(sn.Readings)})
	if err != nil {
		s.writeError(w, r, fmt.Errorf("backlogs of incident %d: %w", sn.Incident.ID, err))
		return
	}
	if only != "" {
		bs = slices.DeleteFunc(bs, func(b forecast.BacklogOutlook) bool { return b.ID != only })
	}
	if !surge {
		for i := range bs {
			bs[i].DropSurge()
		}
	}
	if !svg {
		writeJSON(w, http.StatusOK, liveBacklogsResponse{Start: b.result.Start, Since: b.since, Runs: b.result.Runs, Seed: b.result.Seed, Backlogs: nonNil(bs)})
		return
	}
	c := chart.BurnDownOf(sn.Estate.Organization, b.result, bs[0], surge)
	now := b.result.Start
	c.Now = &now
	var buf bytes.Buffer
	if err := chart.BurnDown(&buf, c); err != nil {
		s.writeError(w, r, fmt.Errorf("drawing backlog %s of incident %d: %w", bs[0].ID, sn.Incident.ID, err))
		return
	}
	writeSVG(w, buf.Bytes())
}

// scenarioBody is the JSON of a what-if, read strictly (an unknown field
// is refused) before forecast.Scenario parses each change.
type scenarioBody struct {
	TeamCapacity   []string `json:"team_capacity"`
	Clearance      []string `json:"clearance"`
	Restore        []string `json:"restore"`
	Compromised    []string `json:"compromised"`
	DropDependency []string `json:"drop_dependency"`
}

// changeError turns a change that cannot be made into a 400 naming the
// field, the change and, when there is one, the nearest that would do.
func changeError(ce *forecast.ChangeError) error {
	msg := fmt.Sprintf("%s: %q %s", ce.Field(), ce.Value, ce.Msg)
	switch {
	case ce.Suggested:
		msg += fmt.Sprintf("; did you mean %q?", ce.Example)
	case ce.Example != "":
		msg += "; e.g. " + ce.Example
	}
	return invalidRequest(http.StatusBadRequest, "%s", msg)
}

// scenarioError maps what Scenario.Apply refuses: a change that cannot
// be made (400), an estate the changes leave invalid (422).
func scenarioError(err error) error {
	var ce *forecast.ChangeError
	if errors.As(err, &ce) {
		return changeError(ce)
	}
	var ps estate.Problems
	if errors.As(err, &ps) {
		msg := fmt.Sprintf("the changes leave the estate with %d problems", len(ps))
		if len(ps) == 1 {
			msg = "the changes leave the estate with a problem: " + ps[0].String()
		}
		return &phasegate.Error{Code: phasegate.EINVALID, Message: msg, Details: ps}
	}
	return err
}

func (s *Server) handleLiveWhatIf(w http.ResponseWriter, r *http.Request) {
	q, err := s.parseLiveQuery(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var body scenarioBody
	if err := checkJSONType(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	data, err := readLimited(w, r, maxJSONBody)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := decodeBytes(data, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	var sc forecast.Scenario
	if err := json.Unmarshal(data, &sc); err != nil {
		var ce *forecast.ChangeError
		if errors.As(err, &ce) {
			s.writeError(w, r, changeError(ce))
		} else {
			s.writeError(w, r, invalidRequest(http.StatusBadRequest, "the scenario cannot be read: %v", err))
		}
		return
	}
	if sc.Empty() {
		s.writeError(w, r, invalidRequest(http.StatusBadRequest,
			`give at least one change, e.g. {"team_capacity": ["forensics=+2"]}; the fields are: %s`, fieldList(&body)))
		return
	}
	sn, err := s.snapshot(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.liveWhatIf(r.Context(), actorFrom(r.Context()), sn, sc, q)
	if err != nil {
		s.liveError(w, r, scenarioError(err))
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// liveWhatIf answers a what-if on the incident in sn: the scenario beside
// the live forecast of q (the baseline, from the cache), computed off the
// request path in the live cache and kept there like a forecast. The
// changes are checked first, so a bad one is refused at once rather than
// after a forecast. Errors are as Scenario.Apply gives them (a
// *forecast.ChangeError, estate.Problems) for the caller to show:
// scenarioError turns them into the API's. The API's POST …/whatif and
// the what-if page both ask here.
func (s *Server) liveWhatIf(ctx context.Context, a incident.Actor, sn *incident.Snapshot, sc forecast.Scenario, q liveQuery) (*forecast.Comparison, error) {
	if _, _, _, err := sc.Apply(sn.Estate, sn.Progress()); err != nil {
		return nil, err
	}
	if !q.seedGiven {
		q.seed, q.seedGiven = uint64(sn.Incident.ID), true
	}
	text, err := json.Marshal(sc)
	if err != nil {
		return nil, err
	}
	key := liveKey{incident: sn.Incident.ID, estate: sn.Incident.EstateVersion, seq: sn.Seq, runs: q.runs, seed: q.seed, scenario: string(text)}
	v, err := s.live.get(ctx, key, sn.Now, "whatif", func(ctx context.Context) (any, int, error) {
		// The baseline first, from the cache: it takes cores of its own.
		b, err := s.liveBaseline(ctx, a, sn, q)
		if err != nil {
			return nil, 0, err
		}
		opts := forecast.Options{Runs: q.runs, Seed: q.seed, Start: sn.Now, Progress: sn.Progress(),
			Schedules: s.svc.Settings().PlanSchedules}
		var c *forecast.Comparison
		err = s.live.withCores(ctx, coresFor(q.runs), func(workers int) (err error) {
			opts.Workers = workers
			c, err = forecast.Compare(ctx, sn.Estate, b.result, sc, opts, forecast.ImpactOptions{Since: b.since, Down: b.downMap()})
			return err
		})
		if err != nil {
			return nil, 0, err
		}
		// The comparison holds the baseline too, which may outlive its
		// own entry: count both.
		return c, 2 * q.runs * (len(sn.Estate.Services) + 1), nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*forecast.Comparison), nil
}
