package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/phasegate/phasegate/incident"
)

// TestAccountRequestsOverHTTP runs the docs' example: with two admins, a
// new recovery lead and a password reset answer 202 and wait; the second
// admin approves over the API and the account works.
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
		User     *incident.User           `json:"user"`
		Request  *incident.AccountRequest `json:"request"`
		Password string                   `json:"password"`
	}
	r := ts.mustStatus(ts.do("admin", "POST", "/api/v1/users", map[string]any{"name": "ivy",
		"roles": []incident.Grant{{Role: incident.RoleRecoveryLead}}, "reason": "IR firm, ticket 4711"}), 202)
	r.decode(t, &created)
	if created.User != nil || created.Request == nil || created.Password == "" ||
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
	if done.Status != incident.ApprovalApproved || done.UserID == 0 {
		t.Fatalf("approved: %+v", done)
	}
	ts.mustStatus(ts.request(nil, "POST", "/api/v1/session", map[string]string{"name": "ivy", "password": created.Password}), 201)

	// The help-desk reset waits too, and is rejected with a reason.
	var waiting struct {
		Request incident.AccountRequest `json:"request"`
		Message string                  `json:"message"`
	}
	ts.mustStatus(ts.do("admin", "PUT", fmt.Sprintf("/api/v1/users/%d/password", ts.users["rl"].ID),
		map[string]string{"password": "attacker chosen password"}), 202).decode(t, &waiting)
	if waiting.Request.Kind != incident.ChangeUserPassword || waiting.Message == "" {
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
