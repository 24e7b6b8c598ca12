package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/phasegate/phasegate/incident"
)

// TestUIAccountsInBrowser: with two admins, one asks for a recovery lead
// on the accounts page (reached from the header's link) and is shown no
// code; the second admin, in another browser context, approves it and is
// shown the one-time code once; the new person, in a fresh browser
// context, follows the login page's link, sets their password by
// keyboard alone and logs in with it. Disabling asks for confirmation and
// acts at once. The pages fit a phone.
func TestUIAccountsInBrowser(t *testing.T) {
	browser := newBrowser(t)
	ts := newAccountsServer(t, true)

	admin := newTab(t, browser, ts.url, "admin")
	acceptDialogs(admin)
	var reqID string
	if !t.Run("an admin asks for an account", func(t *testing.T) {
		admin.t = t
		admin.login("admin")
		admin.submit(`nav.top-links a[href="/accounts"]`)
		admin.sees("h1", "Accounts")
		admin.sees("#dual-control", "Account changes that give power wait for a second admin")
		admin.do(
			chromedp.SendKeys(chromedp.ID("new-name"), "ivy"),
			chromedp.SetValue(chromedp.ID("new-role"), "recovery-lead"),
			chromedp.SendKeys(chromedp.ID("new-reason"), "IR firm, ticket 4711"),
		)
		admin.submit("#create-submit")
		admin.sees(".flash-wait", "waits for a second admin: create user ivy with the roles recovery-lead",
			"the approving admin receives a one-time code")
		if n := run(admin, chromedp.Evaluate[int](`document.querySelectorAll('#one-time-code').length`)); n != 0 {
			t.Error("the asker is shown a one-time code")
		}
		admin.sees("#account-requests", "You asked for this change: another admin must approve it.")
		reqID = run(admin, chromedp.Evaluate[string](`document.querySelector('#account-requests article').id.replace('request-', '')`))
		if n := run(admin, chromedp.Evaluate[int](`document.querySelectorAll('form[action$="/approve"]').length`)); n != 0 {
			t.Errorf("the asker is offered %d approve forms", n)
		}
	}) {
		return
	}

	admin2 := newTab(t, browser, ts.url, "admin2")
	var code string
	if !t.Run("a second admin approves and is shown the code", func(t *testing.T) {
		admin2.t = t
		admin2.login("admin2")
		admin2.open("/accounts")
		admin2.sees("#request-"+chromedp.CSS(reqID), "create user ivy with the roles recovery-lead", "IR firm, ticket 4711", "admin")
		admin2.do(chromedp.SendKeys(chromedp.ID("ar-approve-note-"+reqID), "confirmed with the IR firm on the number on file"))
		admin2.shot("accounts", "")
		admin2.submit(chromedp.CSS("#approve-" + reqID))
		admin2.sees(".flash-ok", "Approved account request "+reqID)
		admin2.sees("#one-time-code", "One-time code for ivy", "Your approval of account request "+reqID+" issued it.",
			"Give it to ivy through a channel you did not get from the caller", "/set-password")
		code = run(admin2, chromedp.Value(chromedp.ID("one-time-code-value")))
		if len(strings.ReplaceAll(code, "-", "")) != 20 {
			t.Fatalf("the code shown is %q", code)
		}
		admin2.sees("#decided", "approved", "admin2", "confirmed with the IR firm on the number on file")
		ivy := ts.userNamed("ivy")
		if ivy == nil || ivy.Grants[0].Role != incident.RoleRecoveryLead || !ivy.NoPassword {
			t.Fatalf("after the approval ivy is %+v", ivy)
		}
		admin2.sees(chromedp.CSS(fmt.Sprintf("#user-%d", ivy.ID)), "ivy", "recovery-lead", "enabled", "no password yet — code valid until")
		// Shown once.
		admin2.open("/accounts")
		if strings.Contains(admin2.text("main"), code) {
			t.Error("the code is shown a second time")
		}
	}) {
		return
	}

	t.Run("the new person sets their password and logs in", func(t *testing.T) {
		ivy := newTab(t, browser, ts.url, "ivy")
		ivy.open("/login")
		ivy.submit("#set-password-link")
		ivy.sees("h1", "Set your password")
		focused := func() string { return run(ivy, chromedp.Evaluate[string](`document.activeElement.id`)) }
		if f := focused(); f != "name" {
			t.Fatalf("the set-password page starts with focus on %q, want the user name", f)
		}
		// By keyboard alone: the fields in order, Enter sends.
		const mine = "ivy's own long passphrase"
		for _, step := range []struct{ keys, next string }{
			{"ivy", "code"}, {code, "password"}, {mine, "repeat"},
		} {
			ivy.do(chromedp.KeyEvent(step.keys), chromedp.KeyEvent(kb.Tab))
			if f := focused(); f != step.next {
				t.Fatalf("Tab went to %q, want %q", f, step.next)
			}
		}
		ivy.shot("set-password", ".login")
		ctx, cancel := context.WithTimeout(ivy.ctx, 20*time.Second)
		defer cancel()
		if _, err := chromedp.RunResponse(ctx, chromedp.KeyEvent(mine+kb.Enter)); err != nil {
			t.Fatalf("Enter in the repeat field: %v", err)
		}
		ivy.do(chromedp.WaitReady(chromedp.ID("main")))
		ivy.sees(".flash-ok", "Your password is set; log in with it.")
		if name := run(ivy, chromedp.Value(chromedp.ID("name"))); name != "ivy" {
			t.Errorf("the login form's name is %q, want ivy", name)
		}
		ivy.do(chromedp.SendKeys(chromedp.ID("password"), mine))
		ivy.submit("#login-form button[type=submit]")
		if loc := ivy.location(); strings.Contains(loc, "/login") {
			t.Fatalf("ivy is still on the login page: %s", clip(ivy.text("main")))
		}
		ivy.sees(".who-name", "ivy")
	})

	t.Run("disabling asks, then acts at once", func(t *testing.T) {
		admin.t = t
		rl := ts.users["rl"]
		admin.open("/accounts")
		admin.do(chromedp.SendKeys(chromedp.ID(fmt.Sprintf("disable-reason-%d", rl.ID)), "phished: reported by the SOC"))
		admin.submit(chromedp.CSS(fmt.Sprintf("#disable-%d", rl.ID))) // asks "Disable rl now?"; OK
		admin.sees(".flash-ok", "Disabled rl at once")
		admin.sees(chromedp.CSS(fmt.Sprintf("#user-%d", rl.ID)), "disabled", "Enable rl")
		if u := ts.userNamed("rl"); u == nil || !u.Disabled {
			t.Fatalf("rl after disabling: %+v", u)
		}
	})
	admin.t = t

	t.Run("phone width", func(t *testing.T) {
		ph := phoneTab(t, browser, ts.url, "admin")
		ph.fitsPhone("/accounts")
		// A reset approved on a phone: the code's card fits too.
		a := incident.Actor{UserID: ts.users["admin"].ID, Name: "admin", Grants: ts.users["admin"].Grants}
		_, rq, err := ts.svc.ResetPassword(context.Background(), a, ts.users["comms"].ID, "lost phone, called back on file")
		if err != nil || rq == nil {
			t.Fatalf("reset: %v %+v", err, rq)
		}
		ph2 := phoneTab(t, browser, ts.url, "admin2")
		ph2.open("/accounts")
		ph2.submit(chromedp.CSS(fmt.Sprintf("#approve-%d", rq.ID)))
		ph2.sees("#one-time-code", "One-time code for comms", "The old password of comms no longer works")
		if w := run(ph2, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > phoneWidth {
			t.Errorf("the accounts page with a code shown is %d px wide on a %d px screen", w, phoneWidth)
		}
		anon := newTab(t, browser, ts.url, "nobody on a phone")
		anon.onPhone()
		anon.fitsPhone("/set-password", "/login")
	})
}
