package server_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/phasegate/phasegate/incident"
)

// TestUIAccountsInBrowser: with two admins, one asks for a recovery lead
// on the accounts page (reached from the header's link) and is shown the
// password once; the second admin, in another browser context, approves
// it, and the new account logs in. Disabling asks for confirmation and
// acts at once. The page fits a phone.
func TestUIAccountsInBrowser(t *testing.T) {
	browser := newBrowser(t)
	ts := newAccountsServer(t, true)

	admin := newTab(t, browser, ts.url, "admin")
	acceptDialogs(admin)
	var password, reqID string
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
		admin.sees(".flash-wait", "waits for a second admin: create user ivy with the roles recovery-lead")
		admin.sees("#new-password", "Password of the new account ivy", "It does not work yet")
		password = run(admin, chromedp.Value(chromedp.ID("new-password-value")))
		if len(password) < incident.MinPasswordLength {
			t.Fatalf("the password shown is %q", password)
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
	t.Run("a second admin approves", func(t *testing.T) {
		admin2.t = t
		admin2.login("admin2")
		admin2.open("/accounts")
		admin2.sees("#request-"+chromedp.CSS(reqID), "create user ivy with the roles recovery-lead", "IR firm, ticket 4711", "admin")
		if strings.Contains(admin2.text("main"), password) {
			t.Fatal("the second admin is shown the password")
		}
		admin2.do(chromedp.SendKeys(chromedp.ID("ar-approve-note-"+reqID), "confirmed with the IR firm on the number on file"))
		admin2.shot("accounts", "")
		admin2.submit(chromedp.CSS("#approve-" + reqID))
		admin2.sees(".flash-ok", "Approved account request "+reqID)
		admin2.sees("#decided", "approved", "admin2", "confirmed with the IR firm on the number on file")
		ivy := ts.userNamed("ivy")
		if ivy == nil || ivy.Grants[0].Role != incident.RoleRecoveryLead {
			t.Fatalf("after the approval ivy is %+v", ivy)
		}
		admin2.sees(chromedp.CSS(fmt.Sprintf("#user-%d", ivy.ID)), "ivy", "recovery-lead", "enabled")
		ts.mustStatus(ts.request(nil, "POST", "/api/v1/session", map[string]string{"name": "ivy", "password": password}), 201)
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
	})
}
