package server_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/phasegate/phasegate/incident"
)

// TestUIDeclareCloseAndAccountInBrowser: an incident commander declares
// an incident from the list's form (kind typed, total shutdown ticked)
// and lands on its overview, warned that another incident is open; closes
// it from the overview's form (a reason and "I understand", no script
// needed); then, from their name in the header, creates an API token and
// is shown its secret once. The pages fit a phone.
func TestUIDeclareCloseAndAccountInBrowser(t *testing.T) {
	browser := newBrowser(t)
	ts, first := newUIServer(t)
	ic := newTab(t, browser, ts.url, "ic")
	ic.login("ic")

	var id int64
	if !t.Run("declare", func(t *testing.T) {
		ic.t = t
		ic.open("/incidents")
		ic.sees("#declare", "Declare an incident", "1 incident is open already", "Test ransomware")
		ic.do(
			chromedp.SendKeys(chromedp.ID("declare-name"), "Plant 2 wiper"),
			chromedp.SendKeys(chromedp.ID("declare-kind"), "wiper"),
			chromedp.SetValue(chromedp.ID("declare-required"), "2"),
			chromedp.Click(chromedp.ID("declare-shutdown")),
		)
		ic.shot("declare", "#declare")
		ic.submit("#declare-submit")
		ic.sees(".flash-wait", "Declared incident", "\"Plant 2 wiper\"", "every system starts isolated (total shutdown)",
			"needs 2 approvals", fmt.Sprintf("Incident %d \"Test ransomware\" is open too", first))
		ic.sees(".incident-name", "Plant 2 wiper")
		loc := ic.location()
		if _, err := fmt.Sscanf(loc[strings.LastIndex(loc, "/incidents/"):], "/incidents/%d", &id); err != nil || id == first {
			t.Fatalf("after declaring the browser is at %s", loc)
		}
	}) {
		return
	}

	t.Run("close", func(t *testing.T) {
		ic.t = t
		ic.sees("#close", "Closing is permanent", "systems are not back")
		ic.do(
			chromedp.SendKeys(chromedp.ID("close-reason"), "declared twice: the attack is Test ransomware"),
			chromedp.Click(chromedp.ID("close-confirm")),
		)
		ic.shot("close", "#close")
		ic.submit("#close-submit")
		ic.sees(".flash-ok", "Closed incident", "\"Plant 2 wiper\"")
		if n := run(ic, chromedp.Evaluate[int](`document.querySelectorAll('#close-form').length`)); n != 0 {
			t.Error("the closed incident still offers the close form")
		}
		ic.sees(".incident-name", "closed")
	})

	t.Run("your account: a token shown once", func(t *testing.T) {
		ic.t = t
		ic.submit(".who a.who-name") // a link: the page it opens
		ic.sees("h1", "Your account: ic")
		ic.sees("#roles", "incident-commander", "declare an incident")
		ic.do(chromedp.SendKeys(chromedp.ID("token-label"), "status board"))
		ic.submit("#token-submit")
		ic.sees("#new-token", "Your new token", "status board", "shown only this once")
		secret := run(ic, chromedp.Value(chromedp.ID("new-token-value")))
		if !strings.HasPrefix(secret, incident.TokenPrefix) {
			t.Fatalf("the secret shown is %q", secret)
		}
		if strings.Contains(ic.location(), secret) {
			t.Error("the secret is in the address")
		}
		ic.shot("account", "")
		ic.open("/me")
		if strings.Contains(ic.text("main"), secret) {
			t.Error("the secret is shown a second time")
		}
		ic.sees("#token-list", "status board", "works")
	})
	ic.t = t

	t.Run("phone width", func(t *testing.T) {
		ph := phoneTab(t, browser, ts.url, "ic")
		ph.fitsPhone("/incidents", "/me", fmt.Sprintf("/incidents/%d", first))
	})
}
