package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/phasegate/phasegate/incident"
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

// shownPassword is the password the page shows once.
var shownPassword = regexp.MustCompile(`id="new-password-value"[^>]*value="([^"]+)"`)

// accountsPageChecks: unique ids, and a label for every control.
func accountsPageChecks(t *testing.T, r *uiAnswer) {
	t.Helper()
	seen := map[string]bool{}
	for _, m := range idAttr.FindAllStringSubmatch(r.body, -1) {
		if seen[m[1]] {
			t.Errorf("%s: id %q appears twice", r.req, m[1])
		}
		seen[m[1]] = true
	}
	for _, m := range controlID.FindAllStringSubmatch(r.body, -1) {
		if !strings.Contains(r.body, `for="`+m[1]+`"`) {
			t.Errorf("%s: control %q has no <label for>", r.req, m[1])
		}
	}
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
// lead through the page's form; the account waits, its password shown
// once; the asker cannot approve; the second admin rejects without a
// note (refused), then approves, and the account exists and logs in.
// Disabling acts at once; enabling again waits.
func TestUIAccountDualControl(t *testing.T) {
	ts := newAccountsServer(t, true)
	admin := uiLogin(t, ts, "admin")
	page := admin.get("/accounts").must(t, 200)
	page.has(t, "Dual control is on", "Account changes that give power wait for a second admin (", "ADR</abbr> 0007",
		"No account change is waiting.", "admin2", "system-owner(team:apps)", `<option value="recovery-lead">`)
	page.lacks(t, "Only one admin")
	accountsPageChecks(t, page)

	// Ask for a recovery lead.
	r := admin.post("/accounts/users", url.Values{"name": {"ivy"}, "role": {"recovery-lead"}, "reason": {"IR firm, ticket 4711"}}).
		must(t, http.StatusSeeOther)
	if r.location != "/accounts#new-password" {
		t.Fatalf("create → %q", r.location)
	}
	// The password is the asker's alone: another admin's browser holding
	// the same cookie is shown nothing, and the asker still sees it.
	admin2 := uiLogin(t, ts, "admin2")
	u, _ := url.Parse(ts.url + "/accounts")
	copied := false
	for _, ck := range admin.hc.Jar.Cookies(u) {
		if ck.Name == "phasegate_reveal" {
			admin2.hc.Jar.SetCookies(u, []*http.Cookie{ck})
			copied = true
		}
	}
	if !copied {
		t.Fatal("no reveal cookie after creating an account")
	}
	admin2.get("/accounts").must(t, 200).lacks(t, "new-password-value")
	page = admin.get(r.location).must(t, 200)
	page.has(t, `class="flash flash-wait"`, "waits for a second admin: create user ivy with the roles recovery-lead",
		"Password of the new account ivy", "It does not work yet", "IR firm, ticket 4711",
		"You asked for this change: another admin must approve it.", "Cancel the request")
	m := shownPassword.FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("no password shown: %s", text(page.body))
	}
	password := m[1]
	accountsPageChecks(t, page)
	ar := regexp.MustCompile(`action="/accounts/requests/(\d+)/cancel"`).FindStringSubmatch(page.body)
	if ar == nil {
		t.Fatal("no request to cancel on the asker's page")
	}
	reqPath := "/accounts/requests/" + ar[1]
	if strings.Contains(page.body, `action="`+reqPath+`/approve"`) {
		t.Error("the asker is offered the approval of their own request")
	}
	// Shown once: the next look has no password, and the cookie held
	// only a key, not the password.
	admin.get("/accounts").must(t, 200).lacks(t, password, "new-password-value")
	if ts.userNamed("ivy") != nil {
		t.Fatal("ivy exists before a second admin approved")
	}
	// The asker approving by hand is refused, with the service's words.
	admin.follow(reqPath+"/approve", url.Values{"note": {"mine"}}).must(t, 200).
		has(t, `flash-error`, "cannot approve it: it needs a second person")

	// The second admin: approve and reject offered; a rejection needs a note.
	page = admin2.get("/accounts").must(t, 200)
	page.has(t, `action="`+reqPath+`/approve"`, `action="`+reqPath+`/reject"`, "Approve: create user ivy with the roles recovery-lead",
		"Requested by", "IR firm, ticket 4711", "Expires")
	page.lacks(t, password, "You asked for this change")
	accountsPageChecks(t, page)
	admin2.follow(reqPath+"/reject", url.Values{"note": {" "}}).has(t, "flash-error", "say why you reject")
	done := admin2.follow(reqPath+"/approve", url.Values{"note": {"confirmed on the number on file"}}).must(t, 200)
	done.has(t, "Approved account request "+ar[1], "create user ivy with the roles recovery-lead", "Recently decided (1)",
		"approved", "confirmed on the number on file")
	ivy := ts.userNamed("ivy")
	if ivy == nil || len(ivy.Grants) != 1 || ivy.Grants[0].Role != incident.RoleRecoveryLead || ivy.CreatedBy != "admin" {
		t.Fatalf("after the approval ivy is %+v", ivy)
	}
	done.has(t, fmt.Sprintf(`id="user-%d"`, ivy.ID))
	ts.mustStatus(ts.request(nil, "POST", "/api/v1/session", map[string]string{"name": "ivy", "password": password}), 201)
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
	admin.post(fmt.Sprintf("/accounts/users/%d/promote", rl.ID), url.Values{"reason": {"x"}}).must(t, http.StatusNotFound)
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
	// So do more roles and another user's password; fewer roles do not.
	admin.follow(fmt.Sprintf("/accounts/users/%d/roles", ts.users["comms"].ID),
		url.Values{"role": {"comms", "incident-commander"}, "reason": {"covers the night shift"}}).
		has(t, "flash-wait", "give comms the roles incident-commander, comms (now comms)")
	admin.follow(fmt.Sprintf("/accounts/users/%d/roles", ts.users["owner"].ID),
		url.Values{"role": {"viewer"}, "reason": {"left the apps team"}}).
		has(t, "flash-ok", "owner now holds the roles viewer")
	page = admin.follow(fmt.Sprintf("/accounts/users/%d/password", ts.users["viewer"].ID), url.Values{"reason": {"asked in person"}})
	page.has(t, "flash-wait", "set a new password for viewer", "New password for viewer", "It does not work yet")
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

	page = admin.follow("/accounts/users", url.Values{"name": {"olga"}, "role": {"system-owner"}, "teams": {"erp, apps"},
		"systems": {"vault"}, "reason": {"ERP owner"}}).must(t, 200)
	page.has(t, "flash-ok", "Created the account olga with the roles system-owner(team:erp,team:apps,system:vault).",
		"The account olga exists now and this password works.")
	m := shownPassword.FindStringSubmatch(page.body)
	if m == nil {
		t.Fatal("no password shown")
	}
	ts.mustStatus(ts.request(nil, "POST", "/api/v1/session", map[string]string{"name": "olga", "password": m[1]}), 201)
	if ts.userNamed("olga") == nil {
		t.Fatal("olga does not exist")
	}
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
