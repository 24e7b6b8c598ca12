package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/phasegate/phasegate/incident"
)

// The public set-password page over HTTP, as a browser without
// JavaScript: a person with a one-time code and no login sets their own
// password, then logs in; wrong, used and expired codes are refused in
// words; nothing typed but the user name comes back.

// issueCode resets name's password as the test admin (one admin: at
// once) and returns the code.
func issueCode(t *testing.T, ts *testServer, name string) *incident.IssuedCode {
	t.Helper()
	admin := incident.Actor{UserID: ts.users["admin"].ID, Name: "admin", Grants: ts.users["admin"].Grants}
	code, rq, err := ts.svc.ResetPassword(context.Background(), admin, ts.users[name].ID, "test: "+name+" forgot it")
	if err != nil || rq != nil || code == nil {
		t.Fatalf("reset %s: %v %+v %+v", name, err, rq, code)
	}
	return code
}

// setPassword redeems a one-time code through the public form, as a
// browser that is not logged in, and checks that it sends the person to
// the login page.
func setPassword(t *testing.T, ts *testServer, name, code, password string) {
	t.Helper()
	c := newUIClient(t, ts)
	r := c.post("/set-password", url.Values{"name": {name}, "code": {code}, "password": {password}, "repeat": {password}}).
		must(t, http.StatusSeeOther)
	if want := "/login?name=" + url.QueryEscape(name); r.location != want {
		t.Fatalf("set-password → %q, want %q", r.location, want)
	}
	c.get(r.location).must(t, 200).has(t, "Your password is set; log in with it.", `value="`+name+`"`)
}

// mayLogIn checks that name logs in with password through the form.
func mayLogIn(t *testing.T, ts *testServer, name, password string) {
	t.Helper()
	r := newUIClient(t, ts).post("/login", url.Values{"name": {name}, "password": {password}, "next": {"/incidents"}})
	if r.status != http.StatusSeeOther || r.location != "/incidents" {
		t.Fatalf("log in as %s: %d → %q; page: %s", name, r.status, r.location, text(r.body))
	}
}

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

// TestUISetPassword: the page answers without a login; its form is
// labelled for password managers; a mismatch, an empty field, a short
// password and a wrong code are refused with what to do; the right code
// sets the password (login works with it, not with the old one) and a
// second use of it is refused; the event log tells both in words.
func TestUISetPassword(t *testing.T) {
	ts, id := newUIServer(t)
	c := newUIClient(t, ts)
	page := c.get("/set-password").must(t, 200)
	page.has(t, "Set your password", `action="/set-password"`,
		`<label for="name">User name</label>`, `autocomplete="username"`,
		`<label for="code">One-time code`, `autocomplete="one-time-code"`,
		`<label for="password">New password`, `<label for="repeat">Repeat the new password</label>`, `autocomplete="new-password"`,
		`minlength="12"`, "Ask an admin to", "reset your password again").lacks(t, "Log out")
	accountsPageChecks(t, page)
	c.get("/login").must(t, 200).has(t, `<a href="/set-password" id="set-password-link">Got a one-time code from an admin? Set your password</a>`)
	c.get("/set-password?user=rl").must(t, 200).has(t, `id="name" name="name" type="text" value="rl"`)

	code := issueCode(t, ts, "rl")
	const mine = "rl's very own passphrase"
	post := func(f url.Values, status int) *uiAnswer {
		t.Helper()
		r := c.post("/set-password", f).must(t, status)
		// Nothing secret comes back.
		r.lacks(t, code.Code, mine, "wrong-but-long-enough", "AAAA-BBBB")
		return r
	}
	post(url.Values{"name": {"rl"}, "code": {code.Code}, "password": {mine}, "repeat": {mine + "!"}}, http.StatusBadRequest).
		has(t, "The two new passwords differ", `value="rl"`, `role="alert"`)
	post(url.Values{"name": {"rl"}, "code": {" "}, "password": {mine}}, http.StatusBadRequest).
		has(t, "Fill in every field", "One-time code: the code the admin gave you.", "Repeat the new password: type it a second time.").
		lacks(t, "User name: the name")
	// Neither of those was an attempt: the right code still works later.
	post(url.Values{"name": {"rl"}, "code": {code.Code}, "password": {"short"}, "repeat": {"short"}}, http.StatusUnprocessableEntity).
		has(t, "password: use at least 12 characters")
	post(url.Values{"name": {"rl"}, "code": {"AAAA-BBBB-CCCC-DDDD-EEEE"}, "password": {mine}, "repeat": {mine}}, http.StatusUnauthorized).
		has(t, "Code not accepted", "this code does not set a password for", "ask an admin for a new code", `value="rl"`)
	time.Sleep(5 * time.Millisecond) // the throttle's delay after a failure

	// The right code, typed as a person might: lower case, spaces.
	typed := url.Values{"name": {"rl"}, "code": {" " + toLowerSpaced(code.Code) + " "}, "password": {mine}, "repeat": {mine}}
	r := c.post("/set-password", typed).must(t, http.StatusSeeOther)
	if r.location != "/login?name=rl" {
		t.Fatalf("set-password → %q, want the login page", r.location)
	}
	c.get(r.location).must(t, 200).has(t, "Your password is set; log in with it.", `value="rl"`)
	mayLogIn(t, ts, "rl", mine)
	if r := newUIClient(t, ts).post("/login", url.Values{"name": {"rl"}, "password": {testPassword}}); r.status != http.StatusUnauthorized {
		t.Errorf("the old password after setting a new one: %d, want 401", r.status)
	}
	time.Sleep(5 * time.Millisecond)
	// Used: a second redemption is refused.
	post(url.Values{"name": {"rl"}, "code": {code.Code}, "password": {"another long passphrase"}, "repeat": {"another long passphrase"}},
		http.StatusUnauthorized).has(t, "Code not accepted", "wrong, used or expired")
	time.Sleep(5 * time.Millisecond)
	mayLogIn(t, ts, "rl", mine)

	// The event log, in words.
	uiLogin(t, ts, "admin").get(fmt.Sprintf("/incidents/%d/events?scope=all", id)).must(t, 200).has(t,
		"issued a one-time password code for rl, valid until", "test: rl forgot it",
		"set their password with a one-time code issued by admin at").
		lacks(t, "user.password_code_issued user:", "user.password_code_used user:")
}

// toLowerSpaced writes a code as someone reading it aloud might type it.
func toLowerSpaced(code string) string {
	out := []rune{}
	for _, r := range code {
		switch {
		case r == '-':
			out = append(out, ' ')
		case r >= 'A' && r <= 'Z':
			out = append(out, r+'a'-'A')
		default:
			out = append(out, r)
		}
	}
	return string(out)
}

// TestUISetPasswordThrottled: wrong codes are slowed like logins, and the
// form says for how long.
func TestUISetPasswordThrottled(t *testing.T) {
	ts := newTestServer(t, backend{"sqlite", openSQLite}, serverOptions{})
	code := issueCode(t, ts, "rl")
	c := newUIClient(t, ts)
	f := url.Values{"name": {"rl"}, "code": {"AAAA-BBBB-CCCC-DDDD-EEEE"}, "password": {"a long new passphrase"}, "repeat": {"a long new passphrase"}}
	c.post("/set-password", f).must(t, http.StatusUnauthorized)
	f.Set("code", code.Code)
	r := c.post("/set-password", f).must(t, http.StatusTooManyRequests)
	r.has(t, "Too many attempts", "Try again in", `value="rl"`).lacks(t, code.Code)
	if r.header.Get("Retry-After") == "" {
		t.Error("no Retry-After on a throttled redemption")
	}
}
