package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/phasegate/phasegate/incident"
	"github.com/phasegate/phasegate/internal/bench"
)

// TestUIThousandsOfSystems: the pages stay usable with an estate of
// thousands of systems — capped timeline rows with a note saying how many
// more, a compact waves picture, filters, and lists in pages.
func TestUIThousandsOfSystems(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the estate of 2,000 systems takes a few seconds to plan")
	}
	ts := newTestServer(t, backend{"sqlite", openSQLite}, serverOptions{settings: uiSettings})
	est := bench.Estate(2000, 7)
	doc, err := json.Marshal(est)
	if err != nil {
		t.Fatal(err)
	}
	ts.mustStatus(ts.do("ic", "PUT", "/api/v1/estate", rawBody{"application/json", doc}), 201)
	v := ts.declare("ic", incident.Declaration{Name: "Big estate", Kind: "ransomware", TotalShutdown: true})
	base := fmt.Sprintf("/incidents/%d", v.ID)
	c := uiLogin(t, ts, "ic")
	timed := func(path string) *uiAnswer {
		t.Helper()
		start := time.Now()
		r := c.get(path).must(t, http.StatusOK)
		t.Logf("%-60s %7.0f ms %8d bytes", path, float64(time.Since(start).Microseconds())/1000, len(r.body))
		return r
	}
	timed(base).has(t, "of 2,000", "Waiting for approval")
	plan := timed(base + "/plan")
	plan.has(t, "1,880 more systems match but are not shown (limit 120 rows)", "2,000 systems are too many to draw as waves on this page")
	if len(plan.body) > 600<<10 {
		t.Errorf("the plan page of 2,000 systems weighs %d KiB; it should stay light", len(plan.body)>>10)
	}
	waves := timed(base + "/plan/waves.svg")
	waves.has(t, "Compact view")
	if ct := waves.header.Get("Content-Type"); ct != "image/svg+xml" {
		t.Errorf("waves.svg served as %q", ct)
	}
	timed(base+"/plan?team=team0003&rows=40").has(t, "(filtered)", `id="wv"`)
	timed(base+"/plan?q=System+12").has(t, "(filtered)")
	sys := timed(base + "/systems?page=3")
	sys.has(t, "Systems 201–300 of 2,000 (page 3 of 20)", "sys000200")
	timed(base+"/systems?kind=endpoint&state=isolated").has(t, "isolated")
	timed(base+"/systems/sys001999").has(t, "Clearance checklist")
	timed(base + "/events")
	if n := strings.Count(sys.body, "<tr>"); n > 101 {
		t.Errorf("the systems page lists %d rows, want at most 100 at once", n)
	}
}
