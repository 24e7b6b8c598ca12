package server_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/phasegate/phasegate/forecast"
	"github.com/phasegate/phasegate/incident"
	"github.com/phasegate/phasegate/server"
)

// liveCalls are the live forecast routes' calls in the role table test:
// small forecasts, each key computed once and shared by every principal.
func (f *roleFixture) liveCalls(rt server.Route) []call {
	in := fmt.Sprintf("/api/v1/incidents/%d", f.incident)
	a := rt.Action
	switch rt.Method + " " + rt.Pattern {
	case "GET /api/v1/incidents/{id}/forecast":
		return []call{{path: in + "/forecast?runs=50", action: a}, {label: "svg", path: in + "/forecast?runs=50&format=svg", action: a}}
	case "GET /api/v1/incidents/{id}/impact":
		return []call{{path: in + "/impact?runs=50", action: a}}
	case "GET /api/v1/incidents/{id}/backlogs":
		return []call{{path: in + "/backlogs?runs=50", action: a}}
	case "POST /api/v1/incidents/{id}/whatif":
		return []call{{path: in + "/whatif?runs=50", action: a, body: map[string][]string{"team_capacity": {"apps=+1"}}}}
	}
	return nil
}

// liveClock is the service's clock in the live tests: frozen an hour
// after the real time (so every event the store stamps with the real
// time is in its past), moved on by hand.
type liveClock struct{ ns atomic.Int64 }

func newLiveClock() *liveClock {
	c := &liveClock{}
	c.ns.Store(time.Now().Add(time.Hour).Truncate(time.Second).UnixNano())
	return c
}

func (c *liveClock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *liveClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// newLiveServer is a server with the live tests' estate.
func newLiveServer(t testing.TB, b backend, opts serverOptions) *testServer {
	t.Helper()
	ts := newTestServer(t, b, opts)
	ts.mustStatus(ts.do("ic", "PUT", "/api/v1/estate", rawBody{"application/yaml", mustRead(t, "testdata/live-estate.yaml")}), 201)
	return ts
}

// liveIncident declares a total shutdown that began two days before
// the clock's now, and brings the network back (so the forecast starts
// from a recovery under way).
func (ts *testServer) liveIncident(clock *liveClock) int64 {
	ts.t.Helper()
	id := ts.declare("ic", incident.Declaration{Name: "live", Kind: "ransomware", TotalShutdown: true,
		StartedAt: clock.Now().Add(-48 * time.Hour)}).ID
	ts.bringOnline(id, "net")
	return id
}

// counter reads a counter of the server's metrics (0 when never counted).
func (ts *testServer) counter(name string, labels map[string]string) float64 {
	ts.t.Helper()
	fams, err := ts.metrics.Registry().Gather()
	if err != nil {
		ts.t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	metric:
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if v, ok := labels[l.GetName()]; ok && v != l.GetValue() {
					continue metric
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

func (ts *testServer) computations(kind string) float64 {
	return ts.counter("phasegate_live_forecast_computations_total", map[string]string{"kind": kind})
}

// wellFormedSVG checks an answer is an SVG document that parses as XML.
func wellFormedSVG(t *testing.T, r *response) {
	t.Helper()
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "image/svg+xml") {
		t.Fatalf("%s: Content-Type %q, want image/svg+xml", r.req, ct)
	}
	dec := xml.NewDecoder(bytes.NewReader(r.body))
	root := ""
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: not well-formed XML: %v", r.req, err)
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
	if root != "svg" {
		t.Fatalf("%s: root element %q, want svg", r.req, root)
	}
}

// forEachLiveBackend runs fn on a live server over SQLite and over
// PostgreSQL, each with its own clock.
func forEachLiveBackend(t *testing.T, opts serverOptions, fn func(t *testing.T, ts *testServer, clock *liveClock)) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			clock := newLiveClock()
			o := opts
			o.clock = clock.Now
			fn(t, newLiveServer(t, b, o), clock)
		})
	}
}

// liveForecast is the part of a forecast the tests read.
type liveForecast struct {
	Runs     int       `json:"runs"`
	Seed     uint64    `json:"seed"`
	Start    time.Time `json:"start"`
	Services []struct {
		ID            string    `json:"id"`
		P50           time.Time `json:"p50"`
		P80           time.Time `json:"p80"`
		P95           time.Time `json:"p95"`
		P50Hours      float64   `json:"p50_hours"`
		P80Hours      float64   `json:"p80_hours"`
		P95Hours      float64   `json:"p95_hours"`
		Deterministic time.Time `json:"deterministic"`
		ProbabilityBy *float64  `json:"probability_by"`
	} `json:"services"`
	Restart struct {
		P50Hours float64 `json:"p50_hours"`
		P95Hours float64 `json:"p95_hours"`
	} `json:"restart"`
}

func TestLiveForecast(t *testing.T) {
	forEachLiveBackend(t, serverOptions{}, func(t *testing.T, ts *testServer, clock *liveClock) {
		id := ts.liveIncident(clock)
		var f liveForecast
		ts.mustStatus(ts.do("viewer", "GET", path("/api/v1/incidents/%d/forecast?by=%s", id, clock.Now().Add(72*time.Hour).Format(time.RFC3339)), nil), 200).decode(t, &f)
		if f.Runs != server.DefaultLiveRuns || f.Seed != uint64(id) || !f.Start.Equal(clock.Now()) {
			t.Errorf("runs %d, seed %d, start %v; want the default %d runs, the incident's id %d, the clock's now %v",
				f.Runs, f.Seed, f.Start, server.DefaultLiveRuns, id, clock.Now())
		}
		if len(f.Services) != 3 {
			t.Fatalf("%d services, want 3", len(f.Services))
		}
		for _, o := range f.Services {
			if !(o.P50Hours <= o.P80Hours && o.P80Hours <= o.P95Hours) || o.P50.Before(f.Start) || o.ProbabilityBy == nil {
				t.Errorf("%s: P50 %v, P80 %v, P95 %v, probability by %v", o.ID, o.P50Hours, o.P80Hours, o.P95Hours, o.ProbabilityBy)
			}
		}
		// A target as a duration from the forecast's start: by=3d is the
		// same as that time written out.
		var rel struct {
			By       time.Time `json:"by"`
			Services []struct {
				ProbabilityBy *float64 `json:"probability_by"`
			} `json:"services"`
		}
		ts.mustStatus(ts.do("viewer", "GET", path("/api/v1/incidents/%d/forecast?by=3d", id), nil), 200).decode(t, &rel)
		if !rel.By.Equal(clock.Now().Add(72*time.Hour)) || len(rel.Services) != 3 {
			t.Errorf("by=3d: by %v, want %v", rel.By, clock.Now().Add(72*time.Hour))
		}
		for i, o := range rel.Services {
			if o.ProbabilityBy == nil || *o.ProbabilityBy != *f.Services[i].ProbabilityBy {
				t.Errorf("by=3d, service %d: probability %v, want %v as by=%s", i, o.ProbabilityBy, *f.Services[i].ProbabilityBy,
					clock.Now().Add(72*time.Hour).Format(time.RFC3339))
			}
		}
		// Three-point estimates: the whole restart has a spread.
		if f.Restart.P95Hours <= f.Restart.P50Hours {
			t.Errorf("restart P50 %vh, P95 %vh: no spread", f.Restart.P50Hours, f.Restart.P95Hours)
		}
		// The deterministic plan is the live plan's (same seed, same now).
		var plan struct {
			Services []struct {
				ID  string    `json:"id"`
				ETA time.Time `json:"eta"`
			} `json:"services"`
		}
		ts.mustStatus(ts.do("viewer", "GET", path("/api/v1/incidents/%d/plan", id), nil), 200).decode(t, &plan)
		for i, s := range plan.Services {
			if s.ID != f.Services[i].ID || !s.ETA.Equal(f.Services[i].Deterministic) {
				t.Errorf("%s: plan ETA %v, forecast's deterministic %v", s.ID, s.ETA, f.Services[i].Deterministic)
			}
		}

		// Pictures: by format, by Accept, the CDF.
		for _, c := range []struct {
			path   string
			accept string
			want   string
		}{
			{"/forecast?format=svg", "", "When will Live Test Motors be back?"},
			{"/forecast", "image/svg+xml", "All systems back"},
			{"/forecast?chart=cdf", "", "<svg"},
		} {
			h := http.Header{"Authorization": {"Bearer " + ts.tokens["viewer"]}}
			if c.accept != "" {
				h.Set("Accept", c.accept)
			}
			r := ts.mustStatus(ts.request(h, "GET", path("/api/v1/incidents/%d", id)+c.path, nil), 200)
			wellFormedSVG(t, r)
			if !bytes.Contains(r.body, []byte(c.want)) {
				t.Errorf("%s: the picture does not say %q", r.req, c.want)
			}
		}
		h := http.Header{"Authorization": {"Bearer " + ts.tokens["viewer"]}, "Accept": {"application/json, image/svg+xml"}}
		if r := ts.request(h, "GET", path("/api/v1/incidents/%d/forecast", id), nil); !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
			t.Errorf("Accept naming JSON and SVG: %s, want JSON", r.header.Get("Content-Type"))
		}

		for _, c := range []struct {
			query string
			want  int
			says  string
		}{
			{"runs=20001", 400, "more than the 20000"},
			{"runs=0", 400, "from 1 to 20000"},
			{"runs=many", 400, "runs="},
			{"seed=-1", 400, "seed="},
			{"by=next+week", 400, "write it like 21d"},
			{"by=next+week", 400, "such as 21d"},
			// Before the forecast's start (now): refused, not "0% of runs".
			{"by=2025-01-01", 400, "by=2025-01-01 (2025-01-02T00:00:00Z) is before the forecast's start"},
			{"by=-3d", 400, "by=\"-3d\""},
			{"format=png", 400, "json (the default) or svg"},
			{"chart=pie", 400, "fan"},
			{"chart=cdf&format=json", 400, "draws a picture"},
			{"rusn=5", 400, "unknown query parameter \"rusn\""},
		} {
			r := ts.do("viewer", "GET", path("/api/v1/incidents/%d/forecast?", id)+c.query, nil)
			if r.status != c.want || !strings.Contains(r.errorBody(t).Message, c.says) {
				t.Errorf("%s: %d %s, want %d saying %q", r.req, r.status, r.body, c.want, c.says)
			}
		}
		ts.mustStatus(ts.do("viewer", "GET", "/api/v1/incidents/999/forecast", nil), 404)
	})
}

// TestLiveForecastIsDeterministic: the same seed gives the same bytes —
// computed again after eviction, and on SQLite and PostgreSQL alike.
func TestLiveForecastIsDeterministic(t *testing.T) {
	frozen := newLiveClock()
	got := map[string][]byte{}
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			// One forecast kept at a time, so asking again recomputes.
			ts := newLiveServer(t, b, serverOptions{clock: frozen.Now, live: server.LiveConfig{CacheEntries: 1}})
			id := ts.declare("ic", incident.Declaration{Name: "live", Kind: "ransomware", TotalShutdown: true,
				StartedAt: frozen.Now().Add(-48 * time.Hour)}).ID
			ask := func(seed int) []byte {
				return ts.mustStatus(ts.do("viewer", "GET", path("/api/v1/incidents/%d/forecast?runs=500&seed=%d", id, seed), nil), 200).body
			}
			first := ask(7)
			other := ask(8)
			again := ask(7)
			if n := ts.computations("forecast"); n != 3 {
				t.Errorf("%v computations, want 3 (the second seed evicted the first)", n)
			}
			if !bytes.Equal(first, again) {
				t.Errorf("seed 7 computed twice differs:\n%s\n%s", first, again)
			}
			if bytes.Equal(first, other) {
				t.Error("seeds 7 and 8 gave the same forecast")
			}
			got[b.name] = first
		})
	}
	if a, b := got["sqlite"], got["postgres"]; a != nil && b != nil && !bytes.Equal(a, b) {
		t.Errorf("SQLite and PostgreSQL forecasts differ:\n%s\n%s", a, b)
	}
}

// TestLiveForecastSingleFlight: many clients asking at once for the same
// forecast cause one computation; what is kept is served until an event
// or the clock moves the incident on.
func TestLiveForecastSingleFlight(t *testing.T) {
	clock := newLiveClock()
	ts := newLiveServer(t, backend{"sqlite", openSQLite}, serverOptions{clock: clock.Now})
	id := ts.liveIncident(clock)
	const clients = 12
	var wg sync.WaitGroup
	bodies := make([][]byte, clients)
	for i := range clients {
		wg.Go(func() {
			// Forecast, impact and backlogs all stand on the same forecast.
			route := []string{"forecast", "impact", "backlogs"}[i%3]
			r := ts.do("viewer", "GET", path("/api/v1/incidents/%d/%s?runs=20000", id, route), nil)
			if r.status != 200 {
				t.Errorf("%s: %d %s", r.req, r.status, r.body)
			}
			if route == "forecast" {
				bodies[i] = r.body
			}
		})
	}
	wg.Wait()
	if n := ts.computations("forecast"); n != 1 {
		t.Fatalf("%d concurrent requests: %v computations, want 1", clients, n)
	}
	for i := 3; i < clients; i += 3 {
		if !bytes.Equal(bodies[0], bodies[i]) {
			t.Errorf("client %d got another forecast than client 0", i)
		}
	}
	res := func(r string) float64 {
		return ts.counter("phasegate_live_forecast_requests_total", map[string]string{"kind": "forecast", "result": r})
	}
	t.Logf("%d requests: %v computed, %v waited for it, %v served it kept", clients, res("computed"), res("shared"), res("hit"))
	if res("computed") != 1 || res("shared")+res("hit") != clients-1 {
		t.Errorf("computed %v, shared %v, hit %v", res("computed"), res("shared"), res("hit"))
	}
	// A minute on, the forecast is computed again from the new now; an
	// event moves it on at once.
	clock.Advance(server.DefaultLiveMaxAge)
	ts.mustStatus(ts.do("viewer", "GET", path("/api/v1/incidents/%d/forecast?runs=20000", id), nil), 200)
	ts.mustStatus(ts.do("viewer", "GET", path("/api/v1/incidents/%d/forecast?runs=20000", id), nil), 200)
	if n := ts.computations("forecast"); n != 2 {
		t.Errorf("after a minute: %v computations, want 2", n)
	}
	ts.mustStatus(ts.transition("forensics", id, "db", incident.StateInvestigating), 200)
	ts.mustStatus(ts.do("viewer", "GET", path("/api/v1/incidents/%d/forecast?runs=20000", id), nil), 200)
	if n := ts.computations("forecast"); n != 3 {
		t.Errorf("after an event: %v computations, want 3", n)
	}
}

// liveImpact is the part of the impact ledger the tests read.
type liveImpact struct {
	Currency string    `json:"currency"`
	Since    time.Time `json:"since"`
	Now      time.Time `json:"now"`
	Services []struct {
		ID    string           `json:"id"`
		Back  bool             `json:"back"`
		SoFar forecast.Figures `json:"so_far"`
		P80   forecast.Figures `json:"p80"`
	} `json:"services"`
	Total struct {
		SoFar         forecast.Figures `json:"so_far"`
		Deterministic forecast.Figures `json:"deterministic"`
		P50           forecast.Figures `json:"p50"`
		P95           forecast.Figures `json:"p95"`
	} `json:"total"`
	LossPerDay float64             `json:"loss_per_day"`
	Downtime   []incident.Downtime `json:"downtime"`
}

// TestLiveImpact: the cost so far grows with the clock for services still
// down; a service back counts until it came back and no further.
func TestLiveImpact(t *testing.T) {
	forEachLiveBackend(t, serverOptions{}, func(t *testing.T, ts *testServer, clock *liveClock) {
		id := ts.liveIncident(clock)
		ts.bringOnline(id, "mail") // email is back
		started := clock.Now().Add(-48 * time.Hour)
		var events struct {
			Events []incident.Event `json:"events"`
		}
		ts.mustStatus(ts.do("viewer", "GET", path("/api/v1/incidents/%d/events?limit=1000", id), nil), 200).decode(t, &events)
		var mailBack time.Time
		for _, e := range events.Events {
			if m, ok := incident.MoveOf(e); ok && m.System == "mail" && m.To == incident.StateOnline {
				mailBack = e.At
			}
		}

		var a liveImpact
		ts.mustStatus(ts.do("viewer", "GET", path("/api/v1/incidents/%d/impact", id), nil), 200).decode(t, &a)
		if a.Currency != "GBP" || !a.Since.Equal(started) || !a.Now.Equal(clock.Now()) {
			t.Errorf("currency %s, since %v, now %v", a.Currency, a.Since, a.Now)
		}
		byID := func(l liveImpact, id string) (forecast.Figures, bool) {
			for _, s := range l.Services {
				if s.ID == id {
					return s.SoFar, s.Back
				}
			}
			t.Fatalf("no service %s", id)
			return forecast.Figures{}, false
		}
		email, back := byID(a, "email")
		if wantDays := mailBack.Sub(started).Hours() / 24; !back || math.Abs(email.Days-wantDays) > 1e-6 || math.Abs(email.Total-1000*wantDays) > 1e-3 {
			t.Errorf("email, back at %v: back %v, %v days so far (%v), want %v days", mailBack, back, email.Days, email.Total, wantDays)
		}
		build, _ := byID(a, "build")
		if build.Days < 2 || build.Output[0].Unit != "vehicles" {
			t.Errorf("build so far: %+v, want at least the two days since the start", build)
		}
		if !(a.Total.SoFar.Total < a.Total.P50.Total && a.Total.P50.Total <= a.Total.P95.Total) {
			t.Errorf("so far %v, P50 %v, P95 %v: want so far < P50 ≤ P95", a.Total.SoFar.Total, a.Total.P50.Total, a.Total.P95.Total)
		}
		if a.LossPerDay != 1000000+50000 {
			t.Errorf("loss per day %v, want build's and payments' (email is back)", a.LossPerDay)
		}
		for _, d := range a.Downtime {
			if d.Service == "email" && (!d.Back || !d.BackAt.Equal(mailBack) || math.Abs(d.DownHours-mailBack.Sub(started).Hours()) > 1e-9) {
				t.Errorf("email's downtime %+v, want back at %v after %v", d, mailBack, mailBack.Sub(started))
			}
		}

		// A day later: build and payments cost a day more, email nothing.
		clock.Advance(24 * time.Hour)
		var b liveImpact
		ts.mustStatus(ts.do("viewer", "GET", path("/api/v1/incidents/%d/impact", id), nil), 200).decode(t, &b)
		email2, _ := byID(b, "email")
		build2, _ := byID(b, "build")
		if email2.Days != email.Days || email2.Total != email.Total {
			t.Errorf("email, back, cost %v and then %v: it still accrues", email.Total, email2.Total)
		}
		if d := build2.RevenueLost - build.RevenueLost; math.Abs(d-1000000) > 1e-3 {
			t.Errorf("build's revenue lost grew by %v in a day, want 1,000,000", d)
		}
		if d := b.Total.SoFar.Total - a.Total.SoFar.Total; math.Abs(d-1050000) > 1e-3 {
			t.Errorf("the total so far grew by %v in a day, want 1,050,000", d)
		}
	})
}

// liveBacklogs is the part of the backlogs answer the tests read.
type liveBacklogs struct {
	Start    time.Time                 `json:"start"`
	Since    time.Time                 `json:"since"`
	Backlogs []forecast.BacklogOutlook `json:"backlogs"`
}

func TestLiveBacklogs(t *testing.T) {
	clock := newLiveClock()
	ts := newLiveServer(t, backend{"sqlite", openSQLite}, serverOptions{clock: clock.Now})
	id := ts.liveIncident(clock)
	var bl liveBacklogs
	ts.mustStatus(ts.do("comms", "GET", path("/api/v1/incidents/%d/backlogs?policy=all&surge=true&items=true", id), nil), 200).decode(t, &bl)
	if len(bl.Backlogs) != 1 {
		t.Fatalf("%d backlogs, want 1", len(bl.Backlogs))
	}
	b := bl.Backlogs[0]
	c := b.Deterministic
	// 5 listed invoices plus 100 a day from the incident's start, two
	// days before the clock, until payments are back.
	if want := 5 + 100*(2+c.ReturnHours/24); math.Abs(c.SizeAtReturn-want) > 1e-6 {
		t.Errorf("size at return %v, want %v (5 listed + 100 a day since the incident's start)", c.SizeAtReturn, want)
	}
	if c.Surge == nil || c.Surge.CapacityPerDay != 600 || c.Normal.CapacityPerDay != 300 {
		t.Errorf("capacities: normal %+v, surge %+v; want 300, and 300 + 300 surging", c.Normal, c.Surge)
	}
	if len(b.Policies) != 3 || b.Policies[0].Normal.CriticalSuppliers != 1 || len(b.Policies[0].Normal.Items) != 5 {
		t.Errorf("policies %+v", b.Policies)
	}
	var plain liveBacklogs
	ts.mustStatus(ts.do("comms", "GET", path("/api/v1/incidents/%d/backlogs", id), nil), 200).decode(t, &plain)
	if p := plain.Backlogs[0]; p.Deterministic.Surge != nil || len(p.Policies) != 1 || p.Policies[0].Normal.Items != nil {
		t.Errorf("without surge, policy or items: %+v", p)
	}
	r := ts.mustStatus(ts.do("comms", "GET", path("/api/v1/incidents/%d/backlogs?format=svg&surge=1", id), nil), 200)
	wellFormedSVG(t, r)
	for _, want := range []string{"Unpaid invoices", "(surge)", "critical suppliers paid"} {
		if !bytes.Contains(r.body, []byte(want)) {
			t.Errorf("the burn-down does not say %q", want)
		}
	}
	for _, c := range []struct{ query, says string }{
		{"policy=loudest-first", "critical-first, oldest-first, smallest-supplier-first"},
		{"backlog=orders", "its backlogs are invoices"},
		{"surge=maybe", "true or false"},
	} {
		r := ts.do("comms", "GET", path("/api/v1/incidents/%d/backlogs?", id)+c.query, nil)
		if r.status != 400 || !strings.Contains(r.errorBody(t).Message, c.says) {
			t.Errorf("%s: %d %s, want 400 saying %q", r.req, r.status, r.body, c.says)
		}
	}
}

// TestLiveWhatIfChangesNothing: a what-if answers with the comparison and
// leaves the incident as it was: no event appended, no state moved.
func TestLiveWhatIfChangesNothing(t *testing.T) {
	forEachLiveBackend(t, serverOptions{}, func(t *testing.T, ts *testServer, clock *liveClock) {
		ctx := context.Background()
		id := ts.liveIncident(clock)
		ts.mustStatus(ts.transition("forensics", id, "db", incident.StateInvestigating), 200)
		before := ts.mustStatus(ts.do("viewer", "GET", path("/api/v1/incidents/%d", id), nil), 200).body
		headBefore, _, err := ts.svc.ChainHead(ctx)
		if err != nil {
			t.Fatal(err)
		}

		var c forecast.Comparison
		ts.mustStatus(ts.do("viewer", "POST", path("/api/v1/incidents/%d/whatif?runs=500", id),
			map[string][]string{"team_capacity": {"apps=+2"}, "restore": {"erp=-12h"}}), 200).decode(t, &c)
		if len(c.Changes) != 2 || len(c.Services) != 3 || c.Runs != 500 || c.Seed != uint64(id) || c.Currency != "GBP" {
			t.Errorf("comparison: %+v", c)
		}
		for _, d := range c.Services {
			if d.ID == "build" && (d.DeltaHours >= 0 || d.DeltaCost >= 0) {
				t.Errorf("a shorter ERP restore and more apps staff move build by %vh and %v, want sooner and cheaper", d.DeltaHours, d.DeltaCost)
			}
		}
		// The baseline is the live forecast: what /forecast says, side by side.
		var f liveForecast
		ts.mustStatus(ts.do("viewer", "GET", path("/api/v1/incidents/%d/forecast?runs=500", id), nil), 200).decode(t, &f)
		for i, d := range c.Services {
			if !d.Baseline.P80.Equal(f.Services[i].P80) {
				t.Errorf("%s: baseline P80 %v, the live forecast's %v", d.ID, d.Baseline.P80, f.Services[i].P80)
			}
		}

		for _, bad := range []struct {
			body any
			want int
			says string
		}{
			{map[string][]string{"team_capacity": {"app=+2"}}, 400, `team_capacity: "app=+2" no team "app" in the estate; did you mean "apps=+2"?`},
			{map[string][]string{"clearance": {"erp=soon"}}, 400, "clearance:"},
			{map[string][]string{"compromised": {"nope"}}, 400, "compromised:"},
			{map[string][]string{"team_capacity": {"apps=+0"}}, 400, `team_capacity: "apps=+0" changes nothing: team apps has capacity`},
			{map[string][]string{"team-capacity": {"apps=3"}}, 400, `unknown field "team-capacity"`},
			{map[string][]string{}, 400, "give at least one change"},
			{`[1]`, 400, "send a JSON object"},
		} {
			r := ts.do("viewer", "POST", path("/api/v1/incidents/%d/whatif", id), bad.body)
			if r.status != bad.want || !strings.Contains(r.errorBody(t).Message, bad.says) {
				t.Errorf("what-if %v: %d %s, want %d saying %q", bad.body, r.status, r.body, bad.want, bad.says)
			}
		}
		ts.mustStatus(ts.do("viewer", "POST", "/api/v1/incidents/999/whatif", map[string][]string{"team_capacity": {"apps=3"}}), 404)

		after := ts.mustStatus(ts.do("viewer", "GET", path("/api/v1/incidents/%d", id), nil), 200).body
		headAfter, _, err := ts.svc.ChainHead(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if headAfter != headBefore {
			t.Errorf("the what-ifs appended events %d to %d", headBefore+1, headAfter)
		}
		if !bytes.Equal(before, after) {
			t.Errorf("the incident changed:\n%s\n%s", before, after)
		}
	})
}

// TestLiveWhatIfInvalidEstate: changes that leave the estate invalid are
// 422 with every problem.
func TestLiveWhatIfInvalidEstate(t *testing.T) {
	clock := newLiveClock()
	ts := newLiveServer(t, backend{"sqlite", openSQLite}, serverOptions{clock: clock.Now})
	id := ts.liveIncident(clock)
	r := ts.do("viewer", "POST", path("/api/v1/incidents/%d/whatif", id), map[string][]string{"restore": {"erp=+3000d", "erp=+1000d"}})
	var e server.ErrorResponse
	r.decode(t, &e)
	if r.status != 422 || len(e.Errors) == 0 || !strings.Contains(e.Message, "leave the estate") {
		t.Fatalf("a restore of over ten years: %d %s, want 422 with the estate's problems", r.status, r.body)
	}
	if !strings.Contains(e.Errors[0].Field, "erp") && !strings.Contains(e.Errors[0].Message, "erp") {
		t.Errorf("the problem does not name erp: %+v", e.Errors[0])
	}
}
