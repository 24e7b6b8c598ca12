package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestUnknownPageInABrowser: a browser asking for a page that does not
// exist gets the UI's error page, saying where to start; a script (no
// text/html in Accept) and any /api/ path get the JSON error.
func TestUnknownPageInABrowser(t *testing.T) {
	ts := newTestServer(t, backend{"sqlite", openSQLite}, serverOptions{})
	c := newUIClient(t, ts)
	req, err := http.NewRequest("GET", ts.url+"/nosuch", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	page := c.do(req).must(t, http.StatusNotFound).has(t, "there is no page at /nosuch", "/incidents")
	if ct := page.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("content type %q", ct)
	}
	r := ts.request(http.Header{}, "GET", "/nosuch", nil)
	if r.status != http.StatusNotFound || r.errorBody(t).Code != "not_found" {
		t.Errorf("a script's 404: %d %s", r.status, r.body)
	}
	req, _ = http.NewRequest("GET", ts.url+"/api/v1/nosuch", nil)
	req.Header.Set("Accept", "text/html")
	if a := c.do(req); a.status != http.StatusNotFound || !strings.Contains(a.body, `"code"`) {
		t.Errorf("an /api/ 404 asked as HTML: %d %s", a.status, a.body)
	}
}

// TestUnknownSystemPage: a system that is not in the incident's estate
// (a mistyped address, an old link) gets the error page, with the way
// back to the overview and to the list of systems to find the right one.
func TestUnknownSystemPage(t *testing.T) {
	ts, id := newUIServer(t)
	c := uiLogin(t, ts, "viewer")
	c.get(fmt.Sprintf("/incidents/%d/systems/no-such-system", id)).must(t, http.StatusNotFound).
		has(t, fmt.Sprintf(`href="/incidents/%d"`, id), fmt.Sprintf(`href="/incidents/%d/systems">find the system in its list`, id))
}
