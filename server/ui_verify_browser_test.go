package server_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/phasegate/phasegate/incident"
	"github.com/phasegate/phasegate/internal/healthtest"
)

// TestUIVerifyInBrowser: a recovery lead clicks "Run the checks now" on
// a verifying gateway whose health page answers 503 and reads what
// failed; on a phone, with the health page up, they run the checks again
// by keyboard (focus, Enter) and read that they passed. The page, with
// its long check URL, fits the phone.
func TestUIVerifyInBrowser(t *testing.T) {
	browser := newBrowser(t)
	health := healthtest.New(t)
	ts, id := verifyServer(t, health.URL)
	ts.mustStatus(ts.transition("rl", id, "gw", incident.StateVerifying), 200)
	sys := fmt.Sprintf("/incidents/%d/systems/gw", id)

	rl := newTab(t, browser, ts.url, "rl")
	rl.login("rl")
	rl.open(sys)
	rl.sees("#verify", "Verify checks", "GET "+health.URL+"/health", "Not run since it entered verifying")
	rl.submit("#verify-run")
	rl.sees(".flash-error", "The check of gw failed: it cannot go online until they pass.", "HTTP 503")
	rl.sees("#verify", "✖ Failed: run by rl", "failed: HTTP 503")
	rl.shot("system-verify", "#verify")

	health.Set(true)
	ph := phoneTab(t, browser, ts.url, "rl")
	ph.fitsPhone(sys)
	ph.do(chromedp.Focus(chromedp.ID("verify-run")))
	ctx, cancel := context.WithTimeout(ph.ctx, 20*time.Second)
	defer cancel()
	if _, err := chromedp.RunResponse(ctx, chromedp.KeyEvent(kb.Enter)); err != nil {
		t.Fatalf("pressing Enter on the focused button: %v", err)
	}
	ph.do(chromedp.WaitReady(chromedp.ID("main")))
	ph.sees(".flash-ok", "The check of gw passed: it may now move to online.")
	ph.sees("#verify", "✔ Passed: run by rl", "ok: HTTP 200")
	if w := run(ph, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > phoneWidth {
		t.Errorf("the system page after a run is %d px wide on a %d px screen", w, phoneWidth)
	}
}
