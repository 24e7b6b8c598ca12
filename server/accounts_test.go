package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/phasegate/phasegate/incident"
)

// TestAccountRequestsOverHTTP runs the docs' example: with two admins, a
// new recovery lead and a password reset answer 202 and wait; the second
// admin approves over the API, receives the one-time code, and the person
// sets their own password with it.
func TestAccountRequestsOverHTTP(t *testing.T) {
	ts := newTestServer(t, backend{"sqlite", openSQLite}, serverOptions{})
	ctx := context.Background()
	if _, err := ts.svc.BreakGlassAddUser(ctx, "admin2", testPassword, []incident.Grant{{Role: incident.RoleAdmin}}); err != nil {
		t.Fatal(err)
	}
	tok, err := ts.svc.BreakGlassCreateToken(ctx, "admin2", "", "test")
	if err != nil {
		t.Fatal(err)
	}
	second := http.Header{"Authorization": {"Bearer " + tok.Secret}}

	var created struct {
		User    *incident.User           `json:"user"`
		Request *incident.AccountRequest `json:"request"`
	}
	// The requesting admin may not choose the password.
	r := ts.mustStatus(ts.do("admin", "POST", "/api/v1/users", map[string]any{"name": "ivy", "password": "admin knows this one",
		"roles": []incident.Grant{{Role: incident.RoleRecoveryLead}}}), 422)
	if !strings.Contains(string(r.body), "one-time code") {
		t.Errorf("a chosen password under dual control: %s", r.body)
	}
	r = ts.mustStatus(ts.do("admin", "POST", "/api/v1/users", map[string]any{"name": "ivy",
		"roles": []incident.Grant{{Role: incident.RoleRecoveryLead}}, "reason": "IR firm, ticket 4711"}), 202)
	r.decode(t, &created)
	if created.User != nil || created.Request == nil || strings.Contains(string(r.body), "password_code") ||
		r.header.Get("Location") != fmt.Sprintf("/api/v1/account-requests/%d", created.Request.ID) {
		t.Fatalf("202: %s (Location %q)", r.body, r.header.Get("Location"))
	}
	// (That ivy cannot log in before approval is checked on the service,
	// store/dualcontrol_test.go, where the clock can step past the
	// slow-down a failed login causes.)
	var users struct {
		Users []incident.User `json:"users"`
	}
	ts.mustStatus(ts.do("admin", "GET", "/api/v1/users", nil), 200).decode(t, &users)
	for _, u := range users.Users {
		if u.Name == "ivy" {
			t.Fatal("ivy exists before a second admin approved")
		}
	}
	var list struct {
		DualControl bool                      `json:"dual_control"`
		Requests    []incident.AccountRequest `json:"requests"`
	}
	ts.mustStatus(ts.request(second, "GET", "/api/v1/account-requests?status=pending", nil), 200).decode(t, &list)
	if !list.DualControl || len(list.Requests) != 1 || list.Requests[0].UserName != "ivy" {
		t.Fatalf("pending: %+v", list)
	}
	path := fmt.Sprintf("/api/v1/account-requests/%d/approve", created.Request.ID)
	ts.mustStatus(ts.do("admin", "POST", path, map[string]string{"note": "mine"}), 403)
	var done incident.AccountRequest
	ts.mustStatus(ts.request(second, "POST", path, map[string]string{"note": "confirmed on the number on file"}), 200).decode(t, &done)
	if done.Status != incident.ApprovalApproved || done.UserID == 0 || done.PasswordCode == nil {
		t.Fatalf("approved: %+v", done)
	}
	var again incident.AccountRequest
	ts.mustStatus(ts.do("admin", "GET", fmt.Sprintf("/api/v1/account-requests/%d", done.ID), nil), 200).decode(t, &again)
	if again.PasswordCode != nil {
		t.Fatal("the code is readable after the approval's answer")
	}
	// ivy, with the code the approver handed on and no login, sets her own.
	ts.mustStatus(ts.request(nil, "POST", "/api/v1/password-codes/redeem",
		map[string]string{"user": "ivy", "code": strings.ToLower(done.PasswordCode.Code), "password": "ivy's own passphrase"}), 204)
	ts.mustStatus(ts.request(nil, "POST", "/api/v1/session", map[string]string{"name": "ivy", "password": "ivy's own passphrase"}), 201)

	// The help-desk reset: choosing rl's password is refused; a reset
	// waits, and is rejected with a reason.
	r = ts.mustStatus(ts.do("admin", "PUT", fmt.Sprintf("/api/v1/users/%d/password", ts.users["rl"].ID),
		map[string]string{"password": "attacker chosen password"}), 422)
	if !strings.Contains(string(r.body), fmt.Sprintf("/api/v1/users/%d/password-code", ts.users["rl"].ID)) {
		t.Errorf("refusal does not say what to do: %s", r.body)
	}
	var waiting struct {
		Request incident.AccountRequest `json:"request"`
		Message string                  `json:"message"`
	}
	ts.mustStatus(ts.do("admin", "POST", fmt.Sprintf("/api/v1/users/%d/password-code", ts.users["rl"].ID),
		map[string]string{"reason": "caller says they lost it"}), 202).decode(t, &waiting)
	if waiting.Request.Kind != incident.ChangeUserReset || waiting.Message == "" {
		t.Fatalf("reset: %+v", waiting)
	}
	ts.mustStatus(ts.request(second, "POST", fmt.Sprintf("/api/v1/account-requests/%d/reject", waiting.Request.ID),
		map[string]string{}), 422)
	ts.mustStatus(ts.request(second, "POST", fmt.Sprintf("/api/v1/account-requests/%d/reject", waiting.Request.ID),
		map[string]string{"note": "rl asked for nothing"}), 200)
	ts.mustStatus(ts.request(nil, "POST", "/api/v1/session", map[string]string{"name": "rl", "password": testPassword}), 201)
	// A token for someone else is refused, with what to do instead.
	r = ts.mustStatus(ts.do("admin", "POST", "/api/v1/tokens", map[string]any{"user_id": ts.users["rl"].ID}), 409)
	if !strings.Contains(string(r.body), "phasegate token create") {
		t.Errorf("token refusal: %s", r.body)
	}
}

// TestPasswordCodesOverHTTP: with one admin, a new account and a reset
// answer the one-time code at once; redeeming needs no login, says why a
// code is refused, and is throttled like a login.
func TestPasswordCodesOverHTTP(t *testing.T) {
	// No slow-down after a failure (the store's clock is real time), and
	// a lock-out after three.
	ts := newTestServer(t, backend{"sqlite", openSQLite}, serverOptions{settings: incident.Settings{
		LoginDelay: time.Nanosecond, MaxLoginDelay: time.Nanosecond, MaxFailures: 3, Lockout: time.Hour}})
	var created struct {
		User *incident.User `json:"user"`
	}
	ts.mustStatus(ts.do("admin", "POST", "/api/v1/users", map[string]any{"name": "june",
		"roles": []incident.Grant{{Role: incident.RoleForensics}}}), 201).decode(t, &created)
	pc := created.User.PasswordCode
	if pc == nil || len(pc.Code) != 24 || pc.User != "june" || !created.User.NoPassword {
		t.Fatalf("created: %+v code %+v", created.User, pc)
	}
	var june incident.User
	ts.mustStatus(ts.do("admin", "GET", fmt.Sprintf("/api/v1/users/%d", created.User.ID), nil), 200).decode(t, &june)
	if june.PasswordCode != nil || !june.NoPassword || !june.CodeExpiresAt.Equal(pc.ExpiresAt) {
		t.Fatalf("june read back: %+v", june)
	}
	redeem := func(user, code, password string) *response {
		return ts.request(nil, "POST", "/api/v1/password-codes/redeem", map[string]string{"user": user, "code": code, "password": password})
	}
	ts.mustStatus(redeem("june", pc.Code, ""), 400)
	r := ts.mustStatus(redeem("june", pc.Code, "short"), 422)
	if !strings.Contains(string(r.body), "at least 12") {
		t.Errorf("short password: %s", r.body)
	}
	r = ts.mustStatus(redeem("june", "AAAA-AAAA-AAAA-AAAA-AAAA", "june's passphrase"), 401)
	if !strings.Contains(string(r.body), "ask an admin for a new code") {
		t.Errorf("wrong code: %s", r.body)
	}
	ts.mustStatus(redeem("june", pc.Code, "june's passphrase"), 204)
	ts.mustStatus(ts.request(nil, "POST", "/api/v1/session", map[string]string{"name": "june", "password": "june's passphrase"}), 201)
	ts.mustStatus(redeem("june", pc.Code, "another passphrase"), 401) // used up

	// A reset by the one admin: the code at once, the old password and
	// sessions gone.
	var reset struct {
		PasswordCode *incident.IssuedCode `json:"password_code"`
		Message      string               `json:"message"`
	}
	ts.mustStatus(ts.do("admin", "POST", fmt.Sprintf("/api/v1/users/%d/password-code", created.User.ID),
		map[string]string{"reason": "june's laptop was stolen"}), 201).decode(t, &reset)
	if reset.PasswordCode == nil || !strings.Contains(reset.Message, "/set-password") {
		t.Fatalf("reset: %+v", reset)
	}
	ts.mustStatus(ts.request(nil, "POST", "/api/v1/session", map[string]string{"name": "june", "password": "june's passphrase"}), 401)
	ts.mustStatus(redeem("june", reset.PasswordCode.Code, "june's new passphrase"), 204)
	// Guessing locks the name out like failed logins: then even the right
	// code waits (429, Retry-After).
	var kim struct {
		User *incident.User `json:"user"`
	}
	ts.mustStatus(ts.do("admin", "POST", "/api/v1/users", map[string]any{"name": "kim",
		"roles": []incident.Grant{{Role: incident.RoleViewer}}}), 201).decode(t, &kim)
	ts.mustStatus(redeem("kim", "BBBB-BBBB-BBBB-BBBB-BBBB", "kim's passphrase"), 401)
	ts.mustStatus(redeem("kim", "CCCC-CCCC-CCCC-CCCC-CCCC", "kim's passphrase"), 401)
	ts.mustStatus(redeem("kim", "not even a code", "kim's passphrase"), 401)
	r = ts.mustStatus(redeem("kim", kim.User.PasswordCode.Code, "kim's passphrase"), 429)
	if r.header.Get("Retry-After") == "" || !strings.Contains(string(r.body), "locked out") {
		t.Errorf("429: %v %s", r.header, r.body)
	}
	// Nobody but an admin issues codes.
	ts.mustStatus(ts.do("rl", "POST", fmt.Sprintf("/api/v1/users/%d/password-code", created.User.ID), map[string]string{}), 403)
	// The events say who issued and who used a code, never the code.
	evs, err := ts.svc.Events(context.Background(), ts.actor("admin"), incident.EventQuery{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	issued, used := 0, 0
	for _, e := range evs {
		if strings.Contains(string(e.Payload), pc.Code) || strings.Contains(string(e.Payload), reset.PasswordCode.Code) {
			t.Fatalf("a code leaks into the event log: %s %s", e.Type, e.Payload)
		}
		switch e.Type {
		case incident.EventPasswordCodeIssued:
			issued++
		case incident.EventPasswordCodeUsed:
			used++
		}
	}
	if issued != 3 || used != 2 {
		t.Errorf("events: %d issued, %d used; want 3 (june, her reset, kim) and 2", issued, used)
	}
}
