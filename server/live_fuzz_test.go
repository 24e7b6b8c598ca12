package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/forecast"
)

// FuzzLiveQuery feeds arbitrary query strings and Accept headers to the
// live routes' parameter parsing: it never panics, refuses with a 400
// that says why, and what it accepts is within bounds.
func FuzzLiveQuery(f *testing.F) {
	for _, s := range [][2]string{
		{"runs=2000&seed=7&by=2025-10-08", ""},
		{"by=2025-10-08T17:00:00Z&format=svg&chart=cdf", ""},
		{"runs=20001", "image/svg+xml"},
		{"runs=-1&seed=18446744073709551616", "application/json, image/svg+xml;q=0"},
		{"format=json&chart=fan", "image/svg+xml;q=0.5"},
		{"%zz&runs", ";;;,,"},
		{"by=2025-02-30", "*/*"},
	} {
		f.Add(s[0], s[1])
	}
	s := &Server{live: newLiveCache(LiveConfig{}, nil)}
	f.Fuzz(func(t *testing.T, rawQuery, accept string) {
		r := &http.Request{URL: &url.URL{RawQuery: rawQuery}, Header: http.Header{"Accept": {accept}}}
		q, err := s.parseLiveQuery(r, "by", "format", "chart")
		if err != nil {
			checkDecodeError(t, []byte(rawQuery), err)
		} else if q.runs < 1 || q.runs > s.live.cfg.MaxRuns {
			t.Fatalf("%q: %d runs accepted", rawQuery, q.runs)
		}
		if _, err := wantSVG(r, "chart"); err != nil {
			checkDecodeError(t, []byte(rawQuery), err)
		}
		for _, v := range r.URL.Query()["by"] {
			if by, err := parseBy(v); err == nil && by.IsZero() {
				t.Fatalf("by=%q: a zero time accepted", v)
			}
		}
	})
}

// FuzzScenarioBody feeds arbitrary bodies to the what-if's reading: a body
// that cannot be read is a 400; a change that cannot be made a 400 naming
// its field; changes that leave the estate invalid a 422; and a scenario
// that is read writes back to the same changes.
func FuzzScenarioBody(f *testing.F) {
	for _, s := range []string{
		`{"team_capacity": ["apps=+2"], "restore": ["erp=-12h"]}`,
		`{"team_capacity": ["app=+2"]}`,
		`{"clearance": ["erp=none", "db=2h/3h/5h"], "compromised": ["mail"]}`,
		`{"restore": ["erp=+3000d", "erp=+1000d"]}`,
		`{"drop_dependency": ["erp:db", "build:erp"]}`,
		`{"compromised": ["nope"], "team-capacity": []}`,
		`{"restore": ["erp=none"]}`,
		`{}`, `[]`, `{"clearance": "erp=1h"}`, ``,
	} {
		f.Add([]byte(s))
	}
	est := liveEstate(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var body scenarioBody
		if err := decodeBytes(data, &body); err != nil {
			checkDecodeError(t, data, err)
			return
		}
		var sc forecast.Scenario
		if err := json.Unmarshal(data, &sc); err != nil {
			var ce *forecast.ChangeError
			if !errors.As(err, &ce) {
				t.Fatalf("%q: read strictly, but the scenario fails with %v (%T)", data, err, err)
			}
			err := changeError(ce)
			checkDecodeError(t, data, err)
			if !strings.HasPrefix(phasegate.ErrorMessage(err), ce.Field()+": ") {
				t.Fatalf("%q: %q does not start with the field %s", data, phasegate.ErrorMessage(err), ce.Field())
			}
			return
		}
		again, err := json.Marshal(sc)
		if err != nil {
			t.Fatal(err)
		}
		var back forecast.Scenario
		if err := json.Unmarshal(again, &back); err != nil || !slices.Equal(back.Changes(), sc.Changes()) {
			t.Fatalf("%q: written back as %s, read again as %v (%v)", data, again, back.Changes(), err)
		}
		if _, _, _, err := sc.Apply(est, nil); err != nil {
			err := scenarioError(err)
			var br *badRequest
			switch {
			case phasegate.ErrorCode(err) != phasegate.EINVALID || phasegate.ErrorMessage(err) == "":
				t.Fatalf("%q: applying it fails with %v (%T), want EINVALID", data, err, err)
			case errors.As(err, &br):
				checkDecodeError(t, data, err) // a change that cannot be made: 400
			case errorStatus(err) != http.StatusUnprocessableEntity:
				t.Fatalf("%q: status %d, want 422 for an estate left invalid", data, errorStatus(err))
			}
		}
	})
}

// FuzzWhatIfForm feeds arbitrary query strings to the what-if page's form:
// reading it, checking its rows against the estate and laying it out
// never panic; a form with a problem names it beside its field; and a
// scenario the form accepts is one the estate can be asked, or refused
// with a change error or the estate's problems, never anything else.
func FuzzWhatIfForm(f *testing.F) {
	for _, s := range []string{
		"cap-team-1=apps&cap-1=%2B2&ask=1",
		"cap-team-1=app&cap-1=six",
		"cap-team-1=apps&cap-1=0&cap-team-2=apps&cap-2=-1",
		"est-system-1=erp&est-phase-1=clearance&est-1=2h/3h/5h",
		"est-system-1=erp&est-phase-1=restore&est-1=none&est-system-2=db&est-phase-2=clearance&est-2=-1d",
		"bad-1=mail&bad-2=nope",
		"dep-1=db&dep-requires-1=net&dep-2=build&dep-requires-2=erp",
		"cap-team-9=apps&cap-9=%2B1&cap-team-99=apps",
		"%zz&ask",
	} {
		f.Add(s)
	}
	est := liveEstate(f)
	ix := est.Index()
	teams := []option{}
	for _, t := range est.Teams {
		teams = append(teams, option{t.ID, t.Name})
	}
	f.Fuzz(func(t *testing.T, rawQuery string) {
		q, _ := url.ParseQuery(rawQuery)
		form := readWhatIfForm(q)
		sc, words := form.scenario(est, ix)
		problems := form.problems()
		for _, p := range problems {
			if strings.TrimSpace(p) == "" || !strings.Contains(p, "row ") {
				t.Fatalf("%q: problem %q does not say which row", rawQuery, p)
			}
		}
		form.lay(teams)
		if len(problems) > 0 || sc.Empty() {
			return
		}
		if len(words) == 0 {
			t.Fatalf("%q: a scenario accepted without saying its changes", rawQuery)
		}
		if _, _, _, err := sc.Apply(est, nil); err != nil {
			var ce *forecast.ChangeError
			var ps estate.Problems
			if !errors.As(err, &ce) && !errors.As(err, &ps) {
				t.Fatalf("%q: the scenario fails with %v (%T)", rawQuery, err, err)
			}
		}
	})
}

// liveEstate is the live tests' estate, parsed.
func liveEstate(f *testing.F) *estate.Estate {
	f.Helper()
	data, err := os.ReadFile("testdata/live-estate.yaml")
	if err != nil {
		f.Fatal(err)
	}
	est, err := estate.Parse(estate.File{Name: "live-estate.yaml", Data: data})
	if err != nil {
		f.Fatal(err)
	}
	return est
}
