package server_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/phasegate/phasegate/incident"
)

// The ETA history page over a real server and SQLite file. The test
// servers run no plan worker: the tests record the dates as it would,
// with Service.RecordETAs after each change.

func (ts *testServer) recordETAs(id int64) []incident.ETAChange {
	ts.t.Helper()
	cs, err := ts.svc.RecordETAs(context.Background(), id)
	if err != nil {
		ts.t.Fatalf("recording the dates of incident %d: %v", id, err)
	}
	return cs
}

// TestHistoryPage: a viewer sees each date's first record, then the move
// a transition made, with the event that made it (linked to the event
// log's page that holds it), a service back as back, and a filter by
// service; without logging in, the login page.
func TestHistoryPage(t *testing.T) {
	ts, id := newUIServer(t)
	base := fmt.Sprintf("/incidents/%d/history", id)
	if r := newUIClient(t, ts).get(base).must(t, http.StatusSeeOther); !strings.HasPrefix(r.location, "/login?next=") {
		t.Fatalf("not logged in: redirected to %q, want the login page", r.location)
	}
	v := uiLogin(t, ts, "viewer")

	empty := v.get(base).must(t, 200)
	empty.has(t, "How the dates moved", "No dates recorded yet", "0 dates recorded")
	if a := actions(empty.body); len(a) > 0 {
		t.Errorf("the history offers a viewer forms that change something: %v", a)
	}

	if got := len(ts.recordETAs(id)); got != 3 {
		t.Fatalf("%d first dates recorded, want the restart's and two services'", got)
	}
	first := v.get(base).must(t, 200)
	first.has(t, "3 dates recorded", "first said", "Build vehicles", "Email", "The whole restart", "not since it was first recorded").
		lacks(t, "No dates recorded yet", "▲", "▼")
	if n := strings.Count(first.body, "<svg "); n != 3 {
		t.Errorf("%d pictures, want one per date", n)
	}

	// Active Directory cleared at once, not in four hours: the chain to
	// the ERP, and so building vehicles, is done sooner.
	ts.clear(id, "ad")
	moved := ts.recordETAs(id)
	var build *incident.ETAChange
	for i := range moved {
		if moved[i].Subject == "service:build" {
			build = &moved[i]
		}
	}
	if build == nil || !build.ETA.Before(build.Previous) {
		t.Fatalf("clearing Active Directory moved %+v, want build's date earlier", moved)
	}
	shift := build.ETA.Sub(build.Previous).Hours()
	page := v.get(base).must(t, 200)
	page.has(t, "▼", fmt.Sprintf("%s h earlier", strings.TrimSuffix(fmt.Sprintf("%.1f", -shift), ".0")),
		"moved", ">ad</a> from investigating to cleared", fmt.Sprintf(`href="/incidents/%d/events?event=%d#event-%d"`, id, build.Seq, build.Seq),
		"earlier): <strong>")
	// The event's link opens the log's page holding it, at the event.
	v.get(fmt.Sprintf("/incidents/%d/events?event=%d", id, build.Seq)).must(t, 200).has(t, fmt.Sprintf(`id="event-%d"`, build.Seq))

	// Email back: its card and its last move say so.
	ts.bringOnline(id, "mail")
	ts.recordETAs(id)
	only := v.get(base+"?service=email").must(t, 200)
	only.has(t, `<span class="tag tag-back">back</span>`, "Back</dt>", ">mail</a> from verifying to online").lacks(t, "Build vehicles</a>")
	if n := strings.Count(only.body, "<svg "); n != 1 {
		t.Errorf("filtered to one service: %d pictures", n)
	}
	v.get(base+"?service=emial").must(t, http.StatusNotFound).has(t, `no business service "emial"`)

	// The overview and the plan link here.
	v.get(fmt.Sprintf("/incidents/%d", id)).must(t, 200).has(t, base+"?service=build", "how it moved")
	v.get(fmt.Sprintf("/incidents/%d/plan", id)).must(t, 200).has(t, `href="`+base+`"`)
}

// TestHistoryPageCapped: more dates recorded than the page lists (200);
// the table lists the newest and says how many there are and where the
// rest are.
func TestHistoryPageCapped(t *testing.T) {
	clock := newLiveClock()
	ts := newTestServer(t, backend{"sqlite", openSQLite}, serverOptions{estate: "small", settings: uiSettings, clock: clock.Now})
	id := ts.declare("ic", incident.Declaration{Name: "Slipping", Kind: "ransomware", TotalShutdown: true}).ID
	// Nobody works: every date slips with the clock, three records a
	// minute.
	total := 0
	for range 100 {
		total += len(ts.recordETAs(id))
		clock.Advance(time.Minute)
	}
	if total <= 250 {
		t.Fatalf("%d dates recorded, want well over the 200 the page lists", total)
	}
	v := uiLogin(t, ts, "viewer")
	page := v.get(fmt.Sprintf("/incidents/%d/history", id)).must(t, 200)
	page.has(t, fmt.Sprintf("%s dates recorded", fmtThousands(total)), fmt.Sprintf("Showing the newest 200 of %s", fmtThousands(total)),
		fmt.Sprintf("GET /api/v1/incidents/%d/plan/history", id), "1 min later", "99 times (99 later, 0 earlier)",
		"No system moved since the last record")
	if n := len(regexp.MustCompile(`<tr>\s*<td data-label="Recorded">`).FindAllString(page.body, -1)); n != 200 {
		t.Errorf("%d moves listed, want the newest 200", n)
	}
	if len(page.body) > 600_000 {
		t.Errorf("the page weighs %d bytes with %d dates", len(page.body), total)
	}
}

// fmtThousands writes n as the pages do: 1,203.
func fmtThousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
