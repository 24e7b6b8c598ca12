package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/incident"
)

// "Your account" (/me) over HTTP, as a browser without JavaScript: every
// role reaches it from the header; one's own password changes with the
// current one and ends the other sessions; one's own API tokens are
// listed, created (the secret shown once, never in an address) and
// revoked.

// TestUIMePage: every role gets the page, linked from its name in the
// header, with its roles and what they allow, and labelled forms.
func TestUIMePage(t *testing.T) {
	ts, _ := newUIServer(t)
	for _, user := range []string{"admin", "ic", "rl", "owner", "forensics", "comms", "viewer"} {
		c := uiLogin(t, ts, user)
		c.get("/incidents").must(t, 200).has(t, `<a class="who-name" href="/me"`)
		r := c.get("/me").must(t, 200)
		r.has(t, "Your account: "+user, grantsOf(ts, user), "They let you:", "view incidents",
			`action="/me/password"`, `action="/me/tokens"`, `autocomplete="current-password"`, `autocomplete="new-password"`,
			"Your API tokens (1 works)", `aria-current="page"`)
		accountsPageChecks(t, r)
	}
	uiLogin(t, ts, "owner").get("/me").has(t, "system-owner(team:apps), on what it owns")
	uiLogin(t, ts, "ic").get("/me").has(t, "declare an incident")
	uiLogin(t, ts, "viewer").get("/me").lacks(t, "declare an incident")
	// Not logged in: to the login page, and back here after.
	if r := newUIClient(t, ts).get("/me").must(t, http.StatusSeeOther); r.location != "/login?next=%2Fme" {
		t.Errorf("/me without a login → %q", r.location)
	}
}

func grantsOf(ts *testServer, user string) string {
	var out []string
	for _, g := range ts.users[user].Grants {
		out = append(out, g.String())
	}
	return strings.Join(out, ", ")
}

// TestUIMePassword: a mismatch, an empty field, a wrong current password
// and a short one are refused in words, nothing typed sent back; the
// right one changes the password, ends the other sessions (not this one)
// and the new password logs in, the old no longer.
func TestUIMePassword(t *testing.T) {
	ts, _ := newUIServer(t)
	c := uiLogin(t, ts, "rl")
	other := uiLogin(t, ts, "rl") // another browser of the same person
	const mine = "rl's brand new passphrase"
	for _, tc := range []struct {
		form   url.Values
		status int
		want   string
	}{
		{url.Values{"current": {testPassword}, "password": {mine}, "repeat": {mine + "x"}}, 400, "the two new passwords differ"},
		{url.Values{"current": {""}, "password": {mine}, "repeat": {mine}}, 400, "give your current password"},
		{url.Values{"current": {testPassword}, "password": {""}, "repeat": {mine}}, 400, "type the new password twice"},
		{url.Values{"current": {"not-the-password"}, "password": {mine}, "repeat": {mine}}, 403, "Your current password is not right; type the password you log in with now"},
		{url.Values{"current": {testPassword}, "password": {"short"}, "repeat": {"short"}}, 422, "use at least 12 characters"},
	} {
		r := c.post("/me/password", tc.form).must(t, tc.status)
		r.has(t, tc.want, `id="password-error"`).lacks(t, mine, "not-the-password", `value="short"`, "current_password", "Not allowed")
		accountsPageChecks(t, r)
	}
	r := c.post("/me/password", url.Values{"current": {testPassword}, "password": {mine}, "repeat": {mine}}).must(t, http.StatusSeeOther)
	if r.location != "/me#password" {
		t.Errorf("changed → %q", r.location)
	}
	c.get("/me").must(t, 200).has(t, "flash-ok", "Your password is changed", "this one stays")
	if r := other.get("/me"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/login") {
		t.Errorf("the other session after the change: %d → %q, want the login page", r.status, r.location)
	}
	mayLogIn(t, ts, "rl", mine)
	if r := newUIClient(t, ts).post("/login", url.Values{"name": {"rl"}, "password": {testPassword}}); r.status == http.StatusSeeOther {
		t.Error("the old password still logs in")
	}
	// The event log tells it, without the password.
	if strings.Contains(ts.logs.String(), mine) {
		t.Error("the new password is in the server's log")
	}
}

// TestUIMeSessions: the page lists where one is logged in, this browser
// first and marked; "log out everywhere else" ends the others, not this
// one, says how many, and is on the record. A token reading the page has
// no sessions to show or end.
func TestUIMeSessions(t *testing.T) {
	ts, _ := newUIServer(t)
	c := uiLogin(t, ts, "comms")
	laptop, phone := uiLogin(t, ts, "comms"), uiLogin(t, ts, "comms")
	uiLogin(t, ts, "viewer") // someone else's session is never listed
	page := c.get("/me").must(t, 200)
	page.has(t, "Where you are logged in (3)", `id="session-list"`, `aria-current="true"`, "127.0.0.1", `id="sessions-form"`, "Log out everywhere else")
	if n := strings.Count(page.body, "<strong>this browser</strong>"); n != 1 {
		t.Errorf("this browser marked %d times, want once", n)
	}
	if i, j := strings.Index(page.body, "this browser"), strings.Index(page.body, "another browser"); i < 0 || j < 0 || i > j {
		t.Error("this browser is not listed first")
	}
	r := c.post("/me/sessions/end-others", nil).must(t, http.StatusSeeOther)
	if r.location != "/me#sessions" {
		t.Errorf("ended → %q", r.location)
	}
	c.get("/me").must(t, 200).has(t, "flash-ok", "Logged out of 2 other sessions; this one stays", "Where you are logged in (1)").
		lacks(t, `id="sessions-form"`, "another browser")
	for _, other := range []*uiClient{laptop, phone} {
		if r := other.get("/me"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/login") {
			t.Errorf("another session after ending the others: %d → %q, want the login page", r.status, r.location)
		}
	}
	uiLogin(t, ts, "viewer").get("/me").must(t, 200).has(t, "Where you are logged in (2)")
	c.post("/me/sessions/end-others", nil).must(t, http.StatusSeeOther)
	c.get("/me").has(t, "You had no other session; nothing changed.")

	evs, err := ts.svc.Events(context.Background(), ts.actor("admin"), incident.EventQuery{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	var ended []string
	for _, e := range evs {
		if e.Type == incident.EventLogoutOthers {
			ended = append(ended, e.Actor+" "+string(e.Payload))
		}
	}
	if len(ended) != 2 || !strings.Contains(ended[0], `comms {"name":"comms","sessions_ended":2}`) {
		t.Errorf("the record of it: %q", ended)
	}

	// Through a token: the page shows no sessions, and the service says
	// why it cannot end them.
	tok, err := ts.svc.BreakGlassCreateToken(context.Background(), "comms", "", "sessions test")
	if err != nil {
		t.Fatal(err)
	}
	r2 := ts.request(http.Header{"Authorization": {"Bearer " + tok.Secret}}, "GET", "/me", nil)
	if r2.status != 200 || strings.Contains(string(r2.body), "Where you are logged in") {
		t.Errorf("/me with a token: %d, sessions shown: %v", r2.status, strings.Contains(string(r2.body), "Where you are logged in"))
	}
	if _, err := ts.svc.EndOtherSessions(context.Background(), ts.actor("comms")); phasegate.ErrorCode(err) != phasegate.EINVALID {
		t.Errorf("ending sessions without one's own: %v, want EINVALID", err)
	}
}

var tokenSecret = regexp.MustCompile(`id="new-token-value" class="secret mono" value="([^"]+)"`)

// TestUIMeTokens: the list shows one's tokens; a new one's secret is
// shown once, on the page after the POST (never in its address, the flash
// or the log; sealed in its cookie), and works as a bearer token; a role
// one does not hold and a missing label are refused with what was typed;
// revoking stops it at once; another person's token cannot be revoked
// here, and another person cannot open one's sealed secret.
func TestUIMeTokens(t *testing.T) {
	ts, _ := newUIServer(t)
	c := uiLogin(t, ts, "forensics")
	c.get("/me").must(t, 200).has(t, `id="token-list"`, "test", "forensics", "✔ works", "Revoke", `<option value="30d" selected>`)

	c.post("/me/tokens", url.Values{"label": {""}, "role": {"forensics"}, "expiry": {"7d"}}).
		must(t, http.StatusBadRequest).has(t, "label: say what the token is for", `id="token-error"`, `<option value="7d" selected>`)
	c.post("/me/tokens", url.Values{"label": {"edr export"}, "role": {"admin"}, "expiry": {"7d"}}).
		must(t, 422).has(t, `forensics does not hold the role "admin"`, `value="edr export"`)
	c.post("/me/tokens", url.Values{"label": {"edr export"}, "role": {"forensics"}, "expiry": {"forever"}}).
		must(t, http.StatusBadRequest).has(t, "expires: choose one of the lifetimes offered")

	r := c.post("/me/tokens", url.Values{"label": {"edr export"}, "role": {"forensics"}, "expiry": {"7d"}}).must(t, http.StatusSeeOther)
	if r.location != "/me#new-token" {
		t.Fatalf("created → %q", r.location)
	}
	var sealed string
	for _, ck := range (&http.Response{Header: r.header}).Cookies() {
		if ck.Name == "phasegate_new_token" {
			sealed = ck.String()
		}
	}
	if !strings.Contains(sealed, "Path=/me") || !strings.Contains(sealed, "HttpOnly") || !strings.Contains(sealed, "SameSite=Strict") {
		t.Errorf("the secret's cookie is %q", sealed)
	}
	page := c.get("/me").must(t, 200)
	m := tokenSecret.FindStringSubmatch(page.body)
	if m == nil || !strings.HasPrefix(m[1], incident.TokenPrefix) {
		t.Fatalf("no secret shown: %s", text(page.body))
	}
	secret := m[1]
	page.has(t, "Your new token", "edr export", "shown only this once", "Created token", "acting as forensics", "in 7 d")
	if strings.Contains(r.location, secret) || strings.Contains(sealed, secret) || strings.Contains(ts.logs.String(), secret) {
		t.Error("the secret is in an address, the cookie in clear or the log")
	}
	// Once.
	c.get("/me").must(t, 200).lacks(t, secret, "Your new token")
	// It works, as forensics.
	h := http.Header{"Authorization": {"Bearer " + secret}}
	ts.mustStatus(ts.request(h, "GET", "/api/v1/incidents", nil), 200)

	// Another person cannot open it.
	r = c.post("/me/tokens", url.Values{"label": {"second"}, "role": {"forensics"}, "expiry": {"never"}}).must(t, http.StatusSeeOther)
	rl := uiLogin(t, ts, "rl")
	u, _ := url.Parse(ts.url + "/me")
	var cookies []*http.Cookie
	for _, ck := range (&http.Response{Header: r.header}).Cookies() {
		if ck.Name == "phasegate_new_token" {
			cookies = append(cookies, &http.Cookie{Name: ck.Name, Value: ck.Value})
		}
	}
	rl.hc.Jar.SetCookies(u, cookies)
	rl.get("/me").must(t, 200).lacks(t, "Your new token", incident.TokenPrefix)
	c.get("/me").must(t, 200).has(t, "Your new token", "does not expire")

	// Revoke: at once.
	var id int64
	for _, tok := range listTokens(t, ts, "forensics") {
		if tok.Label == "edr export" {
			id = tok.ID
		}
	}
	// rl cannot revoke it from their page.
	rl.follow(fmt.Sprintf("/me/tokens/%d/revoke", id), nil).has(t, "flash-error", fmt.Sprintf("you have no token %d", id))
	ts.mustStatus(ts.request(h, "GET", "/api/v1/incidents", nil), 200)
	page = c.follow(fmt.Sprintf("/me/tokens/%d/revoke", id), nil)
	page.has(t, "flash-ok", fmt.Sprintf("Revoked token %d \"edr export\"", id), "✖ revoked")
	ts.mustStatus(ts.request(h, "GET", "/api/v1/incidents", nil), http.StatusUnauthorized)
	c.follow(fmt.Sprintf("/me/tokens/%d/revoke", id), nil).has(t, "flash-error", "already revoked")
}

func listTokens(t *testing.T, ts *testServer, user string) []incident.Token {
	t.Helper()
	var res struct {
		Tokens []incident.Token `json:"tokens"`
	}
	ts.mustStatus(ts.do(user, "GET", "/api/v1/tokens", nil), 200).decode(t, &res)
	return res.Tokens
}
