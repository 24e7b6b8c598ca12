// Package healthtest gives a test a health page on 127.0.0.1 for the
// estate's verify checks: it answers 503 "starting" until the test says
// the system is up, then 200 "OK". Only tests import it.
package healthtest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// Page is a running health page; URL + "/health" is where a check points.
type Page struct {
	*httptest.Server
	up atomic.Bool
}

// New starts a health page that is down, closed when the test ends.
func New(t testing.TB) *Page {
	t.Helper()
	p := &Page{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !p.up.Load() {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, "OK")
	}))
	t.Cleanup(p.Close)
	return p
}

// Set says whether the system is up.
func (p *Page) Set(up bool) { p.up.Store(up) }

// Estate is a small estate whose gateway gw (team infra) has one HTTP
// check against the page, wanting "OK" within 2 s; more is appended to
// its systems, e.g. "  - {id: box, kind: application, team: infra, restore: 1h}\n".
func (p *Page) Estate(more string) []byte {
	return fmt.Appendf(nil, `version: 1
organization: Verify Ltd
currency: GBP
teams:
  - {id: infra, capacity: 2}
systems:
  - id: gw
    kind: network
    team: infra
    restore: 1h
    verify: [{http: "%s/health", contains: OK, timeout_seconds: 2}]
%s`, p.URL, more)
}
