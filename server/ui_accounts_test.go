package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/phasegate/phasegate/incident"
	"github.com/phasegate/phasegate/server"
)

// The accounts page over HTTP, as a browser without JavaScript: dual
// control (docs/adr/0007-dual-control-of-accounts.md) through the page's
// forms, the single-admin warning, disabling at once, and admins only.

// newAccountsServer is a SQLite server with the test users (one admin)
// and, when second is set, a second admin "admin2" made on the host.
func newAccountsServer(t *testing.T, second bool) *testServer {
	t.Helper()
	ts := newTestServer(t, backend{"sqlite", openSQLite}, serverOptions{settings: uiSettings})
	if second {
		u, err := ts.svc.BreakGlassAddUser(context.Background(), "admin2", testPassword, []incident.Grant{{Role: incident.RoleAdmin}})
		if err != nil {
			t.Fatal(err)
		}
		ts.users["admin2"] = u
	}
	return ts
}

// shownCode is the one-time code the page shows once.
var shownCode = regexp.MustCompile(`id="one-time-code-value"[^>]*value="([^"]+)"`)

// codeOn returns the one-time code a page shows, failing without one.
func codeOn(t *testing.T, r *uiAnswer) string {
	t.Helper()
	m := shownCode.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("%s: no one-time code shown; page: %s", r.req, text(r.body))
	}
	return m[1]
}

// revealCookie is the cookie that carries the key of a code to show.
func (c *uiClient) revealCookie() *http.Cookie {
	u, _ := url.Parse(c.ts.url + "/accounts")
	for _, ck := range c.hc.Jar.Cookies(u) {
		if ck.Name == "phasegate_reveal" {
			return ck
		}
	}
	return nil
}

func (ts *testServer) userNamed(name string) *incident.User {
	ts.t.Helper()
	var us struct {
		Users []incident.User `json:"users"`
	}
	ts.mustStatus(ts.do("admin", "GET", "/api/v1/users", nil), 200).decode(ts.t, &us)
	for i := range us.Users {
		if us.Users[i].Name == name {
			return &us.Users[i]
		}
	}
	return nil
}

// TestUIAccountDualControl: with two admins, one asks for a recovery
// lead through the page's form; the account waits, and the asker is shown
// no code; the asker cannot approve; the second admin rejects without a
// note (refused), then approves, and is shown the one-time code once
// (nobody else is); the new person sets their password with it and logs
// in. Disabling acts at once; enabling again, more roles and a reset
// wait, and the approver of the reset gets its code.
func TestUIAccountDualControl(t *testing.T) {
	ts := newAccountsServer(t, true)
	admin := uiLogin(t, ts, "admin")
	page := admin.get("/accounts").must(t, 200)
	page.has(t, "Dual control is on", "Account changes that give power wait for a second admin (", "ADR</abbr> 0007",
		"receives the one-time code", "No account change is waiting.", "admin2", "system-owner(team:apps)", `<option value="recovery-lead">`)
	page.lacks(t, "Only one admin")
	accountsPageChecks(t, page)

	// Ask for a recovery lead: it waits, and the asker gets no code.
	r := admin.post("/accounts/users", url.Values{"name": {"ivy"}, "role": {"recovery-lead"}, "reason": {"IR firm, ticket 4711"}}).
		must(t, http.StatusSeeOther)
	ar := regexp.MustCompile(`^/accounts#request-(\d+)$`).FindStringSubmatch(r.location)
	if ar == nil {
		t.Fatalf("create → %q, want the request on the accounts page", r.location)
	}
	if ck := admin.revealCookie(); ck != nil {
		t.Errorf("the asker was given a code to see: cookie %v", ck)
	}
	page = admin.get(r.location).must(t, 200)
	page.has(t, `class="flash flash-wait"`, "waits for a second admin: create user ivy with the roles recovery-lead",
		"the approving admin receives a one-time code for them to set their password", "IR firm, ticket 4711",
		"You asked for this change: another admin must approve it.", "Cancel the request")
	page.lacks(t, "one-time-code-value", "One-time code for ivy")
	accountsPageChecks(t, page)
	reqPath := "/accounts/requests/" + ar[1]
	if strings.Contains(page.body, `action="`+reqPath+`/approve"`) {
		t.Error("the asker is offered the approval of their own request")
	}
	if ts.userNamed("ivy") != nil {
		t.Fatal("ivy exists before a second admin approved")
	}
	// The asker approving by hand is refused, with the service's words.
	admin.follow(reqPath+"/approve", url.Values{"note": {"mine"}}).must(t, 200).
		has(t, `flash-error`, "cannot approve it: it needs a second person").lacks(t, "one-time-code-value")

	// The second admin: approve and reject offered; a rejection needs a note.
	admin2 := uiLogin(t, ts, "admin2")
	page = admin2.get("/accounts").must(t, 200)
	page.has(t, `action="`+reqPath+`/approve"`, `action="`+reqPath+`/reject"`, "Approve: create user ivy with the roles recovery-lead",
		"Requested by", "IR firm, ticket 4711", "Expires")
	page.lacks(t, "You asked for this change")
	accountsPageChecks(t, page)
	admin2.follow(reqPath+"/reject", url.Values{"note": {" "}}).has(t, "flash-error", "say why you reject")
	r = admin2.post(reqPath+"/approve", url.Values{"note": {"confirmed on the number on file"}}).must(t, http.StatusSeeOther)
	if r.location != "/accounts#one-time-code" {
		t.Fatalf("approve → %q, want the code", r.location)
	}
	// The code is the approver's alone: another admin's browser holding
	// the same cookie is shown nothing, and the approver still sees it.
	ck := admin2.revealCookie()
	if ck == nil {
		t.Fatal("no reveal cookie after approving an account")
	}
	u, _ := url.Parse(ts.url + "/accounts")
	admin.hc.Jar.SetCookies(u, []*http.Cookie{ck})
	admin.get("/accounts").must(t, 200).lacks(t, "one-time-code-value")
	done := admin2.get(r.location).must(t, 200)
	done.has(t, "Approved account request "+ar[1], "create user ivy with the roles recovery-lead", "Recently decided (1)",
		"approved", "confirmed on the number on file",
		"One-time code for ivy", "Your approval of account request "+ar[1]+" issued it.",
		"The account ivy exists now, without a password",
		"Give it to ivy through a channel you did not get from the caller (a number already on file)",
		`<a href="/set-password">/set-password</a> before`)
	code := codeOn(t, done)
	accountsPageChecks(t, done)
	ivy := ts.userNamed("ivy")
	if ivy == nil || len(ivy.Grants) != 1 || ivy.Grants[0].Role != incident.RoleRecoveryLead || ivy.CreatedBy != "admin" {
		t.Fatalf("after the approval ivy is %+v", ivy)
	}
	done.has(t, fmt.Sprintf(`id="user-%d"`, ivy.ID), "no password yet — code valid until")
	// Shown once: the next look has no code, and the cookie held only a
	// key, not the code.
	if strings.Contains(ck.Value, code) {
		t.Error("the cookie carries the code")
	}
	admin2.get("/accounts").must(t, 200).lacks(t, code, "one-time-code-value")
	// ivy sets her own password with it, and logs in.
	setPassword(t, ts, "ivy", code, "ivy's own long passphrase")
	mayLogIn(t, ts, "ivy", "ivy's own long passphrase")
	admin2.get("/accounts").must(t, 200).lacks(t, "no password yet")
	// Decided: no longer approvable.
	admin2.follow(reqPath+"/approve", nil).has(t, "flash-error", "no longer pending")

	// Disabling acts at once, even under dual control: rl's token stops.
	rl := ts.users["rl"]
	ts.mustStatus(ts.do("rl", "GET", "/api/v1/incidents", nil), 200)
	r = admin.post(fmt.Sprintf("/accounts/users/%d/disable", rl.ID), url.Values{"reason": {"phished: reported by the SOC"}}).
		must(t, http.StatusSeeOther)
	if want := fmt.Sprintf("/accounts#user-%d", rl.ID); r.location != want {
		t.Errorf("disable → %q, want %q", r.location, want)
	}
	admin.get(r.location).must(t, 200).has(t, "Disabled rl at once", "✖ disabled", "Enable rl")
	if u := ts.userNamed("rl"); u == nil || !u.Disabled {
		t.Fatalf("rl after disabling: %+v", u)
	}
	ts.mustStatus(ts.do("rl", "GET", "/api/v1/incidents", nil), 401)
	admin.post(fmt.Sprintf("/accounts/users/%d/promote", rl.ID), url.Values{"reason": {"x"}}).must(t, http.StatusNotFound).
		has(t, "use disable, enable, roles or reset")
	// Nobody disables themself; a disable needs a reason.
	admin.follow(fmt.Sprintf("/accounts/users/%d/disable", ts.users["admin"].ID), url.Values{"reason": {"x"}}).
		has(t, "flash-error", "you cannot disable yourself")
	admin.follow(fmt.Sprintf("/accounts/users/%d/disable", ts.users["ic"].ID), nil).has(t, "flash-error", "give a reason")
	// Enabling again waits for the second admin.
	admin.follow(fmt.Sprintf("/accounts/users/%d/enable", rl.ID), url.Values{"reason": {"new password issued in person"}}).
		has(t, "flash-wait", "waits for a second admin: enable rl again")
	if u := ts.userNamed("rl"); !u.Disabled {
		t.Fatal("rl is enabled without a second admin")
	}
	// So do more roles and a reset of another user's password; fewer
	// roles do not.
	admin.follow(fmt.Sprintf("/accounts/users/%d/roles", ts.users["comms"].ID),
		url.Values{"role": {"comms", "incident-commander"}, "reason": {"covers the night shift"}}).
		has(t, "flash-wait", "give comms the roles incident-commander, comms (now comms)")
	admin.follow(fmt.Sprintf("/accounts/users/%d/roles", ts.users["owner"].ID),
		url.Values{"role": {"viewer"}, "reason": {"left the apps team"}}).
		has(t, "flash-ok", "owner now holds the roles viewer")
	viewer := ts.users["viewer"]
	r = admin.post(fmt.Sprintf("/accounts/users/%d/reset", viewer.ID), url.Values{"reason": {"asked in person"}}).
		must(t, http.StatusSeeOther)
	page = admin.get(r.location).must(t, 200)
	page.has(t, "flash-wait", "reset the password of viewer: their password stops working and the approving admin receives a one-time code").
		lacks(t, "one-time-code-value")
	mayLogIn(t, ts, "viewer", testPassword) // nothing changed yet
	rq := regexp.MustCompile(`id="request-(\d+)"[^<]*\s*<header class="approval-h">\s*<h3>Request \d+: reset the password of viewer`).
		FindStringSubmatch(page.body)
	if rq == nil {
		t.Fatalf("no reset request listed: %s", text(page.body))
	}
	// The approver receives the code; the old password stops working.
	done = admin2.follow("/accounts/requests/"+rq[1]+"/approve", url.Values{"note": {"called back on file"}}).must(t, 200)
	done.has(t, "One-time code for viewer", "Your approval of account request "+rq[1]+" issued it.",
		"The old password of viewer no longer works")
	code = codeOn(t, done)
	if r := newUIClient(t, ts).post("/login", url.Values{"name": {"viewer"}, "password": {testPassword}}); r.status != http.StatusUnauthorized {
		t.Fatalf("the old password after an approved reset: %d, want 401", r.status)
	}
	setPassword(t, ts, "viewer", code, "the viewer's own phrase")
	mayLogIn(t, ts, "viewer", "the viewer's own phrase")
}

// TestUIAccountSingleAdmin: with one admin the page warns that account
// changes act alone, and they do: an account exists at once.
func TestUIAccountSingleAdmin(t *testing.T) {
	ts := newAccountsServer(t, false)
	admin := uiLogin(t, ts, "admin")
	page := admin.get("/accounts").must(t, 200)
	page.has(t, "Only one admin: account changes act at once, without a second person.", "Make a second admin first",
		"one enabled admin").lacks(t, "Dual control is on")
	accountsPageChecks(t, page)

	// Refused forms come back with what was typed and why.
	admin.post("/accounts/users", url.Values{"name": {"olga"}, "role": {"system-owner"}, "reason": {"ERP owner"}}).
		must(t, http.StatusUnprocessableEntity).has(t, "a system-owner role needs a scope", `value="olga"`, ">ERP owner</textarea>",
		`<option value="system-owner" selected>`)
	admin.post("/accounts/users", url.Values{"name": {"olga"}, "role": {"forensics"}, "teams": {"erp"}, "reason": {"x"}}).
		must(t, http.StatusBadRequest).has(t, "apply only to the system-owner role", `value="erp"`)
	admin.post("/accounts/users", url.Values{"name": {"ic"}, "role": {"viewer"}, "reason": {"x"}}).
		must(t, http.StatusConflict).has(t, "Refused")
	admin.post("/accounts/users", url.Values{"name": {"olga"}, "role": {"forensics"}}).
		must(t, http.StatusBadRequest).has(t, "give a reason")

	r := admin.post("/accounts/users", url.Values{"name": {"olga"}, "role": {"system-owner"}, "teams": {"erp, apps"},
		"systems": {"vault"}, "reason": {"ERP owner"}}).must(t, http.StatusSeeOther)
	if r.location != "/accounts#one-time-code" {
		t.Fatalf("create → %q, want the code", r.location)
	}
	page = admin.get(r.location).must(t, 200)
	page.has(t, "flash-ok", "Created the account olga with the roles system-owner(team:erp,team:apps,system:vault), without a password.",
		"One-time code for olga", "The account olga exists now, without a password",
		"Give it to olga through a channel you did not get from the caller (a number already on file)", "they set their own password at",
		"no password yet — code valid until").lacks(t, "Your approval")
	accountsPageChecks(t, page)
	code := codeOn(t, page)
	olga := ts.userNamed("olga")
	if olga == nil || !olga.NoPassword {
		t.Fatalf("olga after creating: %+v", olga)
	}
	// Shown once.
	admin.get("/accounts").must(t, 200).lacks(t, code, "one-time-code-value").has(t, "no password yet — code valid until")
	setPassword(t, ts, "olga", code, "olga's own long phrase")
	mayLogIn(t, ts, "olga", "olga's own long phrase")

	// A reset acts at once: the old password stops, a code is shown once.
	ic := ts.users["ic"]
	admin.get("/accounts").must(t, 200).has(t, fmt.Sprintf(`action="/accounts/users/%d/reset"`, ic.ID), "Reset the password of ic",
		"At once: the old password", "of ic stops working").lacks(t, "It waits for a second admin")
	admin.follow(fmt.Sprintf("/accounts/users/%d/reset", ic.ID), nil).has(t, "flash-error", "give a reason to reset the password of ic")
	r = admin.post(fmt.Sprintf("/accounts/users/%d/reset", ic.ID), url.Values{"reason": {"locked out, called from the number on file"}}).
		must(t, http.StatusSeeOther)
	if r.location != "/accounts#one-time-code" {
		t.Fatalf("reset → %q, want the code", r.location)
	}
	page = admin.get(r.location).must(t, 200)
	page.has(t, "flash-ok", "Reset the password of ic: their old password no longer works and their sessions ended.",
		"One-time code for ic", "The old password of ic no longer works")
	code = codeOn(t, page)
	if r := newUIClient(t, ts).post("/login", url.Values{"name": {"ic"}, "password": {testPassword}}); r.status != http.StatusUnauthorized {
		t.Fatalf("the old password after a reset: %d, want 401", r.status)
	}
	admin.get("/accounts").must(t, 200).lacks(t, code)
	// One's own password is not reset here: the service says why.
	admin.follow(fmt.Sprintf("/accounts/users/%d/reset", ts.users["admin"].ID), url.Values{"reason": {"x"}}).
		has(t, "flash-error", "you cannot reset your own password with a code")
	setPassword(t, ts, "ic", code, "ic's brand new phrase")
	mayLogIn(t, ts, "ic", "ic's brand new phrase")

	// Making a second admin switches dual control on, for good.
	admin.follow("/accounts/users", url.Values{"name": {"ada"}, "role": {"admin"}, "reason": {"second admin, ADR 0007"}}).
		has(t, "Created the account ada")
	admin.get("/accounts").must(t, 200).has(t, "Dual control is on").lacks(t, "Only one admin")
}

// TestUIAccountsAdminsOnly: the page, its forms and the header's link
// are for users.manage only.
func TestUIAccountsAdminsOnly(t *testing.T) {
	ts := newAccountsServer(t, false)
	admin := uiLogin(t, ts, "admin")
	admin.get("/incidents").must(t, 200).has(t, `<a href="/accounts">Accounts</a>`)
	admin.get("/accounts").must(t, 200).has(t, `<a href="/accounts" aria-current="page">Accounts</a>`)
	for _, user := range []string{"ic", "viewer", "forensics"} {
		c := uiLogin(t, ts, user)
		c.get("/incidents").must(t, 200).lacks(t, `href="/accounts"`, "Accounts")
		c.get("/accounts").must(t, http.StatusForbidden).has(t, "Not allowed", "users.manage").lacks(t, "Create an account")
		c.post("/accounts/users", url.Values{"name": {"mallory"}, "role": {"admin"}, "reason": {"x"}}).must(t, http.StatusForbidden)
		c.post(fmt.Sprintf("/accounts/users/%d/disable", ts.users["admin"].ID), url.Values{"reason": {"x"}}).must(t, http.StatusForbidden)
		c.post("/accounts/requests/1/approve", nil).must(t, http.StatusForbidden)
	}
	if ts.userNamed("mallory") != nil {
		t.Fatal("a non-admin created an account through the form")
	}
	if u := ts.userNamed("admin"); u.Disabled {
		t.Fatal("a non-admin disabled the admin through the form")
	}
	// Not logged in: to the login page.
	if r := newUIClient(t, ts).get("/accounts").must(t, http.StatusSeeOther); r.location != "/login?next=%2Faccounts" {
		t.Errorf("/accounts when logged out → %q", r.location)
	}
}

// TestUIAccountCodeExpired: the accounts list says, in words, that a
// code expired and what to do; the code no longer sets a password.
func TestUIAccountCodeExpired(t *testing.T) {
	settings := uiSettings
	settings.PasswordCodeTTL = time.Millisecond
	ts := newTestServer(t, backend{"sqlite", openSQLite}, serverOptions{settings: settings})
	code := issueCode(t, ts, "comms")
	time.Sleep(5 * time.Millisecond)
	admin := uiLogin(t, ts, "admin")
	admin.get("/accounts").must(t, 200).has(t, "no password — code expired", "reset again to issue a new one").
		lacks(t, "no password yet")
	newUIClient(t, ts).post("/set-password", url.Values{"name": {"comms"}, "code": {code.Code},
		"password": {"too late a phrase"}, "repeat": {"too late a phrase"}}).must(t, http.StatusUnauthorized).has(t, "Code not accepted")
}

// TestUIOneTimeCodeOnAnotherInstance: with two instances on one store
// behind one address, the page the form redirects to may be served by
// the other instance; it opens the sealed cookie with the key both read
// from the store and shows the code. A cookie tampered with shows
// nothing.
func TestUIOneTimeCodeOnAnotherInstance(t *testing.T) {
	ts := newAccountsServer(t, false)
	other := incident.New(incident.Config{Store: ts.db, Clock: time.Now, Settings: uiSettings})
	srv2, err := server.New(server.Config{Service: other})
	if err != nil {
		t.Fatal(err)
	}
	hs2 := httptest.NewServer(srv2)
	defer hs2.Close()
	admin := uiLogin(t, ts, "admin")
	r := admin.post("/accounts/users", url.Values{"name": {"olga"}, "role": {"forensics"}, "reason": {"DFIR firm"}}).
		must(t, http.StatusSeeOther)
	ck := admin.revealCookie()
	if ck == nil || strings.Contains(ck.Value, "olga") {
		t.Fatalf("reveal cookie %v: missing, or readable", ck)
	}
	ts2 := *ts
	ts2.url = hs2.URL
	onOther := &uiClient{t: t, ts: &ts2, name: "admin", hc: admin.hc} // same browser: same session and cookie
	code := codeOn(t, onOther.get(r.location).must(t, 200))
	if err := ts.svc.RedeemPasswordCode(context.Background(), "olga", code, "olga's own passphrase", incident.Client{}); err != nil {
		t.Fatalf("the code shown by the other instance does not work: %v", err)
	}
	// Tampered: a character in the middle of the sealed value changed.
	r = admin.post("/accounts/users", url.Values{"name": {"pia"}, "role": {"viewer"}, "reason": {"auditor"}}).must(t, http.StatusSeeOther)
	ck = admin.revealCookie()
	mid := len(ck.Value) / 2
	ck.Value = ck.Value[:mid] + map[bool]string{true: "A", false: "B"}[ck.Value[mid] != 'A'] + ck.Value[mid+1:]
	ck.Path = "/accounts" // replace the cookie, not add one beside it
	u, _ := url.Parse(ts.url + "/accounts")
	admin.hc.Jar.SetCookies(u, []*http.Cookie{ck})
	admin.get(r.location).must(t, 200).lacks(t, "one-time-code-value")
}
