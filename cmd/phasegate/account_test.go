package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"strings"
	"testing"

	"github.com/phasegate/phasegate/incident"
)

// codeLine finds the one-time code printed for name.
func codeLine(name string) *regexp.Regexp {
	return regexp.MustCompile(`One-time code for ` + regexp.QuoteMeta(name) + ` \(shown only this once, valid until [^)]+\): (\S+)`)
}

// hasCode reports whether s shows a one-time code anywhere:
// XXXX-XXXX-XXXX-XXXX-XXXX.
func hasCode(s string) bool {
	return regexp.MustCompile(`[0-9A-Z]{4}(-[0-9A-Z]{4}){4}`).MatchString(s)
}

// login logs name in over the API, as the browser does, and returns a
// client holding the session cookie.
func login(t *testing.T, url, name, password string) (*http.Client, error) {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Jar: jar}
	c := &apiClient{base: url, http: hc}
	var sess json.RawMessage
	_, err = c.do(context.Background(), "POST", "/api/v1/session", map[string]string{"name": name, "password": password}, &sess)
	return hc, err
}

// ownToken logs name in and creates a token of their own, as a person
// does once they have set their password.
func ownToken(t *testing.T, url, name, password string) string {
	t.Helper()
	hc, err := login(t, url, name, password)
	if err != nil {
		t.Fatalf("%s logs in: %v", name, err)
	}
	res, err := hc.Post(url+"/api/v1/tokens", "application/json", bytes.NewReader([]byte(`{"label":"cli"}`)))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var tok incident.NewToken
	if err := json.NewDecoder(res.Body).Decode(&tok); err != nil || res.StatusCode != http.StatusCreated || tok.Secret == "" {
		t.Fatalf("%s creates a token: %s %v", name, res.Status, err)
	}
	return tok.Secret
}

// TestAccountCodesSetPasswordsNobodyElseKnows: an account made from the
// command line gets a one-time code, not a password; its person sets
// their own password with account redeem (no token) and logs in with
// it; a code works once. With two admins a reset waits, and the code
// goes to the admin who approves, never to the one who asked.
func TestAccountCodesSetPasswordsNobodyElseKnows(t *testing.T) {
	toks, as, url := clientServer(t, "ada=admin")
	ada := toks["ada"]
	redeem := func(user, stdin string) (int, string, string) {
		t.Helper()
		return pg(t, stdin, "account", "redeem", user, "--server", url)
	}

	// One admin: the account is created at once, with a code printed once.
	code, out, errb := as(ada, "account", "add", "ivy", "--role", "recovery-lead", "--reason", "IR firm, ticket 4711")
	first := codeLine("ivy").FindStringSubmatch(out)
	if code != 0 || first == nil || !strings.Contains(out, "Created user ivy") ||
		!strings.Contains(out, "phasegate account redeem ivy --server "+url) || !strings.Contains(out, url+"/set-password") {
		t.Fatalf("account add: exit %d:\n%s%s", code, out, errb)
	}
	if strings.Contains(out, "Password") {
		t.Errorf("account add prints a password:\n%s", out)
	}

	// Bad use of redeem is exit status 2 and says what to give.
	if code, _, errb = pg(t, "", "account", "redeem", "--server", url); code != exitUsage || !strings.Contains(errb, "give your user name") {
		t.Errorf("redeem without a user: exit %d: %s", code, errb)
	}
	if code, _, errb = pg(t, first[1]+"\nx\n", "account", "redeem", "ivy", "--server", url, "--token", ada); code != exitUsage || !strings.Contains(errb, "takes no token") {
		t.Errorf("redeem with a token: exit %d: %s", code, errb)
	}
	if code, _, errb = redeem("ivy", ""); code != exitUsage || !strings.Contains(errb, "no one-time code") {
		t.Errorf("redeem with nothing on stdin: exit %d: %s", code, errb)
	}
	if code, _, errb = redeem("ivy", first[1]+"\n"); code != exitUsage || !strings.Contains(errb, "no new password") {
		t.Errorf("redeem with no password: exit %d: %s", code, errb)
	}
	if code, _, errb = pg(t, "x\ny\n", "account", "redeem", "ivy", "--server", "localhost:1"); code != exitUsage || !strings.Contains(errb, "give the server's URL") {
		t.Errorf("redeem with a bad --server: exit %d: %s", code, errb)
	}
	// The server's refusal is shown as it said it (too short: 422, exit 1),
	// and the code still works after it.
	if code, _, errb = redeem("ivy", first[1]+"\nshort\n"); code != exitFailure || !strings.Contains(errb, "at least 12 characters") {
		t.Errorf("redeem with a short password: exit %d: %s", code, errb)
	}

	// ivy sets her password, without a token, and logs in with it.
	const ivyPassword = "correct horse battery staple"
	code, out, errb = redeem("ivy", first[1]+"\n"+ivyPassword+"\n")
	if code != 0 || strings.TrimSpace(out) != "Password set for ivy; log in with it." {
		t.Fatalf("account redeem: exit %d: %s%s", code, out, errb)
	}
	if _, err := login(t, url, "ivy", ivyPassword); err != nil {
		t.Fatalf("ivy logs in with the password she set: %v", err)
	}

	// A second admin, made the same way: dual control is on from now.
	code, out, errb = as(ada, "account", "add", "bob", "--role", "admin")
	bobCode := codeLine("bob").FindStringSubmatch(out)
	if code != 0 || bobCode == nil {
		t.Fatalf("account add bob: exit %d: %s%s", code, out, errb)
	}
	const bobPassword = "a passphrase bob chose himself"
	if code, out, errb = redeem("bob", bobCode[1]+"\n"+bobPassword+"\n"); code != 0 {
		t.Fatalf("bob redeems: exit %d: %s%s", code, out, errb)
	}
	bob := ownToken(t, url, "bob", bobPassword)
	if code, out, _ = as(ada, "account", "requests"); code != 0 || !strings.Contains(out, "Dual control is on") {
		t.Fatalf("account requests after a second admin: exit %d: %s", code, out)
	}

	// The requester of a reset gets no code: the reset waits.
	if code, _, errb = as(ada, "account", "reset", "nobody"); code != exitFailure || !strings.Contains(errb, `no user "nobody"`) {
		t.Errorf("reset an unknown user: exit %d: %s", code, errb)
	}
	code, adaOut, errb := as(ada, "account", "reset", "ivy", "--reason", "lost her phone, ticket 4712")
	m := regexp.MustCompile(`Account request (\d+) waits for a second admin: reset the password of ivy`).FindStringSubmatch(adaOut)
	if code != 0 || m == nil || !strings.Contains(adaOut, "phasegate account approve "+m[1]) || !strings.Contains(adaOut, "still works") {
		t.Fatalf("account reset under dual control: exit %d:\n%s%s", code, adaOut, errb)
	}
	if hasCode(adaOut + errb) {
		t.Fatalf("the admin who asked for the reset sees a code:\n%s%s", adaOut, errb)
	}
	// Until approved, ivy's password still works.
	if _, err := login(t, url, "ivy", ivyPassword); err != nil {
		t.Fatalf("ivy logs in while the reset waits: %v", err)
	}

	// The approving admin receives the code, once.
	code, out, errb = as(bob, "account", "approve", m[1], "--note", "called ivy back on the number on file")
	second := codeLine("ivy").FindStringSubmatch(out)
	if code != 0 || second == nil || !strings.Contains(out, "is approved") {
		t.Fatalf("account approve of a reset: exit %d:\n%s%s", code, out, errb)
	}
	if second[1] == first[1] {
		t.Fatalf("the reset gave the used code again: %s", second[1])
	}
	if code, out, _ = as(ada, "account", "requests", "--status", "approved"); code != 0 || hasCode(out) || strings.Contains(out, second[1]) {
		t.Errorf("the requests list shows a code: exit %d:\n%s", code, out)
	}

	// ivy sets a new password with it, and logs in.
	const newPassword = "another passphrase, only ivy's"
	if code, out, errb = redeem("ivy", second[1]+"\n"+newPassword+"\n"); code != 0 || !strings.Contains(out, "Password set for ivy") {
		t.Fatalf("redeem the reset's code: exit %d: %s%s", code, out, errb)
	}
	if _, err := login(t, url, "ivy", newPassword); err != nil {
		t.Fatalf("ivy logs in with her new password: %v", err)
	}

	// A used code does not work again, and says what to do. (Last: a
	// failure slows the next attempts from this address.)
	code, out, errb = redeem("ivy", second[1]+"\nyet another passphrase\n")
	if code != exitFailure || out != "" || !strings.Contains(errb, "wrong, used or expired") || !strings.Contains(errb, "ask an admin for a new code") {
		t.Errorf("redeem a used code: exit %d: %s%s", code, out, errb)
	}
}
