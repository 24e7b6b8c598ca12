package main

import (
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeDemoPublishesStatusUpdates: the demo's public pages show its
// two updates at once, each to its own audience, with the live ETAs.
func TestServeDemoPublishesStatusUpdates(t *testing.T) {
	e, out, _ := testEnv("")
	url, stop := startApp(t, serveConfig{db: filepath.Join(t.TempDir(), "phasegate.db"), demo: true}, e)
	defer stop()
	if !strings.Contains(out.String(), "Published 2 demo status updates") {
		t.Errorf("start-up output:\n%s", out)
	}
	get := func(path string) string {
		t.Helper()
		res, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d", path, res.StatusCode)
		}
		return string(b)
	}
	sup := get("/status/suppliers")
	for _, want := range []string{"Supplier payments resume: critical suppliers paid first", "Supplier payments",
		"critical and single-source suppliers first", "expected back"} {
		if !strings.Contains(sup, want) {
			t.Errorf("the suppliers' page lacks %q", want)
		}
	}
	if strings.Contains(sup, "September pay") {
		t.Error("the suppliers see the colleagues' update")
	}
	if col := get("/status/colleagues"); !strings.Contains(col, "September pay is not affected") {
		t.Error("the colleagues' page lacks their update")
	}
	if feed := get("/status/suppliers/feed.atom"); strings.Count(feed, "<entry>") != 1 {
		t.Errorf("the suppliers' feed:\n%s", feed)
	}
}
