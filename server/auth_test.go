package server_test

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/phasegate/phasegate/incident"
)

func TestLoginSetsAHardenedCookieAndLogoutEndsIt(t *testing.T) {
	ts := newTestServer(t, backend{"sqlite", openSQLite}, serverOptions{})
	r := ts.request(http.Header{}, "POST", "/api/v1/session", map[string]string{"name": "viewer", "password": testPassword})
	ts.mustStatus(r, 201)
	cookies := (&http.Response{Header: r.header}).Cookies()
	if len(cookies) != 1 {
		t.Fatalf("login set %d cookies, want 1", len(cookies))
	}
	c := cookies[0]
	if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
		t.Errorf("session cookie %+v: want HttpOnly, SameSite=Lax, Path=/", c)
	}
	if strings.Contains(string(r.body), c.Value) {
		t.Errorf("the session id appears in the login answer; it belongs in the cookie only")
	}
	h := http.Header{"Cookie": {c.String()}}
	var me struct {
		Name     string            `json:"name"`
		ViaToken bool              `json:"via_token"`
		Actions  []incident.Action `json:"actions"`
	}
	ts.mustStatus(ts.request(h, "GET", "/api/v1/me", nil), 200).decode(t, &me)
	if me.Name != "viewer" || me.ViaToken || len(me.Actions) == 0 {
		t.Errorf("/me with the session: %+v", me)
	}
	ts.mustStatus(ts.request(h, "DELETE", "/api/v1/session", nil), 204)
	ts.mustStatus(ts.request(h, "GET", "/api/v1/me", nil), 401)
}

func TestSecureCookieFlag(t *testing.T) {
	// The server sets Secure when told to (cmd/phasegate decides: auto =
	// not on plain HTTP on loopback).
	ts := newTestServer(t, backend{"sqlite", openSQLite}, serverOptions{})
	r := ts.request(http.Header{}, "POST", "/api/v1/session", map[string]string{"name": "viewer", "password": testPassword})
	if c := (&http.Response{Header: r.header}).Cookies(); len(c) != 1 || c[0].Secure {
		t.Errorf("a server configured without SecureCookies sent %+v", c)
	}
}

func TestNothingAnswersWithoutAuthentication(t *testing.T) {
	ts := newTestServer(t, backend{"sqlite", openSQLite}, serverOptions{estate: "small"})
	public := map[string]bool{"GET /healthz": true, "GET /metrics": true, "POST /api/v1/session": true,
		"POST /api/v1/password-codes/redeem": true,
		"GET /status/":                       true, "GET /status/{audience}": true, "GET /status/{audience}/feed.atom": true}
	for _, rt := range ts.srv.Routes() {
		key := rt.Method + " " + rt.Pattern
		r := ts.request(http.Header{}, rt.Method, fillPattern(rt.Pattern), nil)
		if public[key] {
			if r.status == 401 {
				t.Errorf("%s is public but answered 401", key)
			}
			continue
		}
		if r.status != 401 {
			t.Errorf("%s without credentials: %d, want 401: %s", key, r.status, r.body)
			continue
		}
		if r.header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: 401 without WWW-Authenticate", key)
		}
	}
	// A bad token, a malformed header and a forged cookie are 401 too.
	for _, h := range []http.Header{
		{"Authorization": {"Bearer pgt_not-a-token"}},
		{"Authorization": {"Basic YWRtaW46YWRtaW4="}},
		{"Cookie": {"phasegate_session=forged"}},
	} {
		if r := ts.request(h, "GET", "/api/v1/incidents", nil); r.status != 401 {
			t.Errorf("%v: %d, want 401", h, r.status)
		}
	}
	// Unknown paths answer in JSON, 404, and 405 with Allow.
	if r := ts.do("viewer", "GET", "/api/v1/nowhere", nil); r.status != 404 || r.errorBody(t).Code != "not_found" {
		t.Errorf("unknown path: %d %s", r.status, r.body)
	}
	if r := ts.do("viewer", "DELETE", "/api/v1/incidents", nil); r.status != 405 || r.header.Get("Allow") == "" {
		t.Errorf("wrong method: %d %v %s", r.status, r.header, r.body)
	}
}

// fillPattern turns a route pattern into a concrete path.
func fillPattern(p string) string {
	r := strings.NewReplacer("{id}", "1", "{system}", "erp", "{version}", "1")
	return r.Replace(p)
}

func TestLoginThrottlingAndLockout(t *testing.T) {
	settings := incident.Settings{
		// Delays long enough that an immediate retry lands inside them
		// even on a loaded machine.
		LoginDelay: 500 * time.Millisecond, MaxLoginDelay: 500 * time.Millisecond,
		MaxFailures: 3, Lockout: time.Hour, FailureWindow: time.Hour,
	}
	forEachBackend(t, serverOptions{settings: settings}, func(t *testing.T, ts *testServer) {
		login := func(pw string) *response {
			return ts.request(http.Header{}, "POST", "/api/v1/session", map[string]string{"name": "comms", "password": pw})
		}
		if r := login("wrong"); r.status != 401 {
			t.Fatalf("wrong password: %d %s", r.status, r.body)
		}
		// At once again: slowed.
		r := login("wrong")
		if r.status != 429 {
			t.Fatalf("second failure at once: %d %s, want 429", r.status, r.body)
		}
		if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra < 1 {
			t.Errorf("429 without a Retry-After in seconds: %q", r.header.Get("Retry-After"))
		}
		if e := r.errorBody(t); e.RetryAfter < 1 || e.Code != "too_many" {
			t.Errorf("429 body %+v", e)
		}
		// Wait out the delays, failing until the lockout.
		var last *response
		for i := 0; i < 20; i++ {
			time.Sleep(550 * time.Millisecond)
			last = login("wrong")
			if last.status == 429 && last.errorBody(t).Locked {
				break
			}
		}
		if last.status != 429 || !last.errorBody(t).Locked {
			t.Fatalf("no lockout after repeated failures: %d %s", last.status, last.body)
		}
		// Locked: even the right password is refused.
		if r := login(testPassword); r.status != 429 {
			t.Errorf("the right password during the lockout: %d, want 429", r.status)
		}
		// Other users are not locked out by it (the address limit is
		// higher than the user limit).
		ts.mustStatus(ts.request(http.Header{}, "POST", "/api/v1/session", map[string]string{"name": "viewer", "password": testPassword}), 201)
		var m strings.Builder
		res, err := http.Get(ts.url + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(&m, res.Body)
		res.Body.Close()
		if !strings.Contains(m.String(), `phasegate_login_failures_total{reason="credentials"}`) ||
			!strings.Contains(m.String(), `phasegate_login_failures_total{reason="throttled"}`) {
			t.Errorf("metrics do not count the failed logins")
		}
	})
}

func TestCrossOriginPostIsRefused(t *testing.T) {
	ts := newTestServer(t, backend{"sqlite", openSQLite}, serverOptions{estate: "small"})
	h := ts.login("ic")
	h.Set("Origin", "https://evil.example")
	h.Set("Sec-Fetch-Site", "cross-site")
	r := ts.request(h, "POST", "/api/v1/incidents", incident.Declaration{Name: "csrf", Kind: "ransomware"})
	if r.status != 403 || !strings.Contains(r.errorBody(t).Message, "cross-origin") {
		t.Fatalf("cross-site POST with the session cookie: %d %s, want 403 cross-origin", r.status, r.body)
	}
	// A cross-site login (login CSRF) is refused as well.
	r = ts.request(http.Header{"Sec-Fetch-Site": {"cross-site"}}, "POST", "/api/v1/session", map[string]string{"name": "ic", "password": testPassword})
	if r.status != 403 {
		t.Errorf("cross-site login: %d, want 403", r.status)
	}
	// The same request from the same origin goes through.
	h.Set("Origin", ts.url)
	h.Set("Sec-Fetch-Site", "same-origin")
	ts.mustStatus(ts.request(h, "POST", "/api/v1/incidents", incident.Declaration{Name: "same site", Kind: "ransomware"}), 201)
	// Reading stays allowed cross-site (safe method).
	h.Set("Sec-Fetch-Site", "cross-site")
	ts.mustStatus(ts.request(h, "GET", "/api/v1/incidents", nil), 200)
}

func TestRequestDecodingErrors(t *testing.T) {
	ts := newTestServer(t, backend{"sqlite", openSQLite}, serverOptions{estate: "small"})
	id := ts.shutdown()
	p := path("/api/v1/incidents/%d/systems/wiki/transition", id)
	cases := []struct {
		body    any
		status  int
		mention string
	}{
		{`{"to": "investigating", "reason": "x", "extra": 1}`, 400, `unknown field "extra"`},
		{`{"to": "investigating", "reason": "x", "extra": 1}`, 400, "reason, to"},
		{`{"to": 3, "reason": "x"}`, 400, `field "to"`},
		{`{"to": "investigating",`, 400, "ends in the middle"},
		{`{"to": "investigating"} {}`, 400, "more than one"},
		{`[]`, 400, "JSON object"},
		{``, 400, "empty"},
		{`{"reason": "x"}`, 400, `"to"`},
		{rawBody{"text/plain", []byte(`{}`)}, 415, "Content-Type: application/json"},
		{`{"to": "investigating", "reason": "` + strings.Repeat("x", 2<<20) + `"}`, 413, "larger than"},
	}
	for _, c := range cases {
		r := ts.do("ic", "POST", p, c.body)
		if r.status != c.status {
			t.Errorf("body %.60v: status %d, want %d: %s", c.body, r.status, c.status, r.body)
			continue
		}
		if e := r.errorBody(t); !strings.Contains(e.Message, c.mention) || e.Code != "invalid" {
			t.Errorf("body %.60v: %+v does not mention %q", c.body, e, c.mention)
		}
	}
	// A bad started_at names the format.
	r := ts.do("ic", "POST", "/api/v1/incidents", `{"name": "x", "kind": "ransomware", "started_at": "yesterday"}`)
	if r.status != 400 || !strings.Contains(r.errorBody(t).Message, "RFC 3339") {
		t.Errorf("bad started_at: %d %s", r.status, r.body)
	}
	// An id that is not a number.
	if r := ts.do("viewer", "GET", "/api/v1/incidents/abc", nil); r.status != 400 {
		t.Errorf("incident id abc: %d, want 400", r.status)
	}
	if r := ts.do("viewer", "GET", "/api/v1/incidents/999", nil); r.status != 404 || r.errorBody(t).Code != "not_found" {
		t.Errorf("incident 999: %d %s, want 404", r.status, r.body)
	}
}

func TestEstateUploadErrorsNameFileLineAndField(t *testing.T) {
	ts := newTestServer(t, backend{"sqlite", openSQLite}, serverOptions{})
	bad := []byte("version: 1\norganization: X\nteams:\n  - {id: a, capacity: 1}\nsystems:\n  - {id: s1, kind: application, team: nobody, criticality: 2, restore: 1h}\n")
	r := ts.do("admin", "PUT", "/api/v1/estate?name=bad.yaml", rawBody{"application/yaml", bad})
	if r.status != 422 {
		t.Fatalf("invalid estate: %d %s, want 422", r.status, r.body)
	}
	e := r.errorBody(t)
	if len(e.Errors) == 0 {
		t.Fatalf("422 without errors: %s", r.body)
	}
	found := false
	for _, p := range e.Errors {
		if p.File == "bad.yaml" && p.Line == 6 && p.Column > 0 && strings.Contains(p.Field, "team") && p.Message != "" {
			found = true
		}
	}
	if !found {
		t.Errorf("no problem names bad.yaml line 6, field team: %+v", e.Errors)
	}
	// A good upload is 201 with the version, listed afterwards.
	data := mustRead(t, "testdata/estate.yaml")
	var ver incident.EstateVersion
	ts.mustStatus(ts.do("admin", "PUT", "/api/v1/estate", rawBody{"application/yaml", data}), 201).decode(t, &ver)
	if ver.Number != 1 || ver.Systems != 8 {
		t.Errorf("uploaded version %+v", ver)
	}
	var vs struct {
		Versions []incident.EstateVersion `json:"versions"`
	}
	ts.mustStatus(ts.do("viewer", "GET", "/api/v1/estate/versions", nil), 200).decode(t, &vs)
	if len(vs.Versions) != 1 || vs.Versions[0].SHA256 != ver.SHA256 {
		t.Errorf("versions %+v", vs.Versions)
	}
	if r := ts.do("admin", "PUT", "/api/v1/estate", rawBody{"text/csv", data}); r.status != 415 {
		t.Errorf("estate as text/csv: %d, want 415", r.status)
	}
}
