package store_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/incident"
)

// TestDualControlOfAccounts is the help-desk attack against phasegate
// itself: one fooled or stolen admin account resets two people's
// passwords (or creates two accounts) and approves its own restart. Once
// two admins exist, every account change that gives power waits for the
// other one; what takes power away acts at once.
func TestDualControlOfAccounts(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		admin := h.as("admin")
		login := func(name, pw string) error {
			h.clock.Advance(time.Minute) // past the slow-down after a failure
			_, err := h.svc.Login(h.ctx, name, pw, incident.Client{Address: "192.0.2.7"})
			return err
		}

		// Set-up: one admin, nobody to ask; changes act at once.
		on, err := h.svc.DualControl(h.ctx, admin)
		h.must(err, "dual control")
		if on {
			t.Fatal("dual control is on with one admin")
		}
		u, req, err := h.svc.CreateUser(h.ctx, admin, incident.NewUser{Name: "carol", Password: testPassword,
			Grants: []incident.Grant{{Role: incident.RoleRecoveryLead}}})
		if err != nil || u == nil || req != nil {
			t.Fatalf("set-up: carol was not created at once: %v %+v %+v", err, u, req)
		}
		if len(h.events(incident.EventDualControl)) != 0 {
			t.Fatal("dual control switched on without a second admin")
		}
		a2, req, err := h.svc.CreateUser(h.ctx, admin, incident.NewUser{Name: "admin2", Password: testPassword,
			Grants: []incident.Grant{{Role: incident.RoleAdmin}}})
		if err != nil || a2 == nil || req != nil {
			t.Fatalf("set-up: the second admin was not created at once: %v %+v", err, req)
		}
		admin2 := incident.Actor{UserID: a2.ID, Name: a2.Name, Grants: a2.Grants}
		if evs := h.events(incident.EventDualControl); len(evs) != 1 || evs[0].Actor != "admin" {
			t.Fatalf("dual control events %+v, want one by admin", evs)
		}

		// A new account with power waits; the requester cannot approve,
		// and cannot choose its password either.
		_, _, err = h.svc.CreateUser(h.ctx, admin, incident.NewUser{Name: "mallory", Password: testPassword,
			Grants: []incident.Grant{{Role: incident.RoleIncidentCommander}}})
		if e := wantCode(t, err, phasegate.EINVALID); e != nil && !strings.Contains(e.Message, "one-time code") {
			t.Errorf("a chosen password under dual control: %s", e.Message)
		}
		u, req, err = h.svc.CreateUser(h.ctx, admin, incident.NewUser{Name: "mallory",
			Grants: []incident.Grant{{Role: incident.RoleIncidentCommander}}, Reason: "new IR consultant"})
		h.must(err, "create mallory")
		if u != nil || req == nil || req.Kind != incident.ChangeUserCreate || req.Status != incident.ApprovalPending || req.PasswordCode != nil {
			t.Fatalf("mallory: user %+v request %+v, want a pending user.create and no code for the requester", u, req)
		}
		if !strings.Contains(req.Summary, "incident-commander") || req.Reason != "new IR consultant" {
			t.Errorf("summary %q reason %q", req.Summary, req.Reason)
		}
		_, err = h.svc.ApproveAccountRequest(h.ctx, admin, req.ID, "")
		wantCode(t, err, phasegate.EFORBIDDEN)
		_, err = h.svc.ApproveAccountRequest(h.ctx, h.as("ic"), req.ID, "")
		wantCode(t, err, phasegate.EFORBIDDEN) // not an admin
		_, _, err = h.svc.CreateUser(h.ctx, admin, incident.NewUser{Name: "mallory",
			Grants: []incident.Grant{{Role: incident.RoleIncidentCommander}}})
		wantCode(t, err, phasegate.ECONFLICT) // already waiting
		done, err := h.svc.ApproveAccountRequest(h.ctx, admin2, req.ID, "called her on the number we hold")
		h.must(err, "admin2 approves")
		if done.Status != incident.ApprovalApproved || done.UserID == 0 || done.DecidedBy != "admin2" {
			t.Fatalf("approved request %+v", done)
		}
		if done.PasswordCode == nil || done.PasswordCode.User != "mallory" {
			t.Fatalf("the approver got no one-time code for mallory: %+v", done.PasswordCode)
		}
		if seen, err := h.svc.AccountRequestByID(h.ctx, admin, req.ID); err != nil || seen.PasswordCode != nil {
			t.Fatalf("the requester reads the request back with the code: %v %+v", err, seen)
		}
		h.must(h.svc.RedeemPasswordCode(h.ctx, "mallory", done.PasswordCode.Code, "mallory's own passphrase", incident.Client{}), "mallory sets her password")
		h.must(login("mallory", "mallory's own passphrase"), "mallory logs in once approved")
		created := h.events(incident.EventUserCreated)
		last := created[len(created)-1]
		if last.Actor != "admin" || !strings.Contains(string(last.Payload), `"approved_by":"admin2"`) ||
			!strings.Contains(string(last.Payload), `"reason":"new IR consultant"`) {
			t.Errorf("user.created after approval: actor %s payload %s", last.Actor, last.Payload)
		}
		_, err = h.svc.ApproveAccountRequest(h.ctx, admin2, req.ID, "")
		wantCode(t, err, phasegate.ECONFLICT) // no longer pending

		// The help-desk reset: an admin cannot choose the password; a
		// reset waits for a second admin, and the old password keeps
		// working until then; rejected, nothing changes.
		rl := h.as("rl")
		_, err = h.svc.SetPassword(h.ctx, admin, rl.UserID, incident.PasswordChange{Password: "attacker chosen password", Reason: "caller says they lost it"})
		if e := wantCode(t, err, phasegate.EINVALID); e != nil && !strings.Contains(e.Message, "password-code") {
			t.Errorf("choosing another's password under dual control: %s", e.Message)
		}
		code, req, err := h.svc.ResetPassword(h.ctx, admin, rl.UserID, "caller says they lost it")
		h.must(err, "reset rl")
		if code != nil || req == nil || req.Kind != incident.ChangeUserReset {
			t.Fatalf("reset of another user's password acted at once: %+v %+v", code, req)
		}
		h.must(login("rl", testPassword), "rl's own password still works")
		_, err = h.svc.RejectAccountRequest(h.ctx, admin2, req.ID, " ")
		wantCode(t, err, phasegate.EINVALID)
		_, err = h.svc.RejectAccountRequest(h.ctx, admin, req.ID, "mine")
		wantCode(t, err, phasegate.EFORBIDDEN) // the requester cancels instead
		rej, err := h.svc.RejectAccountRequest(h.ctx, admin2, req.ID, "rl is at their desk and asked for nothing")
		h.must(err, "reject")
		if rej.Status != incident.ApprovalRejected || rej.PasswordCode != nil {
			t.Fatalf("rejected: %+v", rej)
		}
		h.must(login("rl", testPassword), "a rejected reset changes nothing")
		// One's own password needs nobody.
		h.clock.Advance(time.Minute) // past the slow-down of the failed logins above
		_, err = h.svc.SetPassword(h.ctx, rl, rl.UserID, incident.PasswordChange{Password: "rl's own new password", Current: "not rl's password"})
		wantCode(t, err, phasegate.EFORBIDDEN) // a stolen session cannot lock rl out
		// … nor guess the password there: a wrong one is a failed login,
		// slowed like one.
		_, err = h.svc.SetPassword(h.ctx, rl, rl.UserID, incident.PasswordChange{Password: "rl's own new password", Current: "another guess"})
		wantCode(t, err, phasegate.ETOOMANY)
		if fails := h.events(incident.EventLoginFailed); len(fails) == 0 || !strings.Contains(string(fails[len(fails)-1].Payload), "wrong current password") {
			t.Errorf("a wrong current password is not recorded as a failed login")
		}
		h.clock.Advance(time.Minute)
		req, err = h.svc.SetPassword(h.ctx, rl, rl.UserID, incident.PasswordChange{Password: "rl's own new password", Current: testPassword})
		if err != nil || req != nil {
			t.Fatalf("own password: %v %+v", err, req)
		}
		h.must(login("rl", "rl's own new password"), "own password")

		// Roles: adding power waits, taking it away does not.
		viewer := h.as("viewer")
		_, req, err = h.svc.SetGrants(h.ctx, admin, viewer.UserID,
			[]incident.Grant{{Role: incident.RoleViewer}, {Role: incident.RoleRecoveryLead}}, "")
		h.must(err, "grant")
		if req == nil || req.Kind != incident.ChangeUserRoles || !slices.Equal(req.Change.From, []string{"viewer"}) {
			t.Fatalf("grant: %+v", req)
		}
		got, err := h.svc.User(h.ctx, admin, viewer.UserID)
		h.must(err, "user")
		if len(got.Grants) != 1 {
			t.Fatalf("roles changed before approval: %+v", got.Grants)
		}
		cancelled, err := h.svc.CancelAccountRequest(h.ctx, admin, req.ID, "wrong person")
		h.must(err, "cancel own")
		if cancelled.Status != incident.ApprovalCancelled {
			t.Fatalf("cancelled: %+v", cancelled)
		}
		owner := h.as("owner")
		u, req, err = h.svc.SetGrants(h.ctx, admin, owner.UserID, []incident.Grant{{Role: incident.RoleViewer}}, "")
		if err != nil || req != nil || u == nil {
			t.Fatalf("taking roles away waited: %v %+v", err, req)
		}
		// A wider scope is more power.
		_, req, err = h.svc.SetGrants(h.ctx, admin, owner.UserID, []incident.Grant{{Role: incident.RoleViewer},
			{Role: incident.RoleSystemOwner, Teams: []string{"apps", "infra"}}}, "")
		if err != nil || req == nil {
			t.Fatalf("a wider scope acted at once: %v %+v", err, req)
		}
		// An account with only viewer needs nobody; its code goes to the
		// admin who made it.
		u, req, err = h.svc.CreateUser(h.ctx, admin, incident.NewUser{Name: "auditor",
			Grants: []incident.Grant{{Role: incident.RoleViewer}}})
		if err != nil || u == nil || req != nil || u.PasswordCode == nil || !u.NoPassword {
			t.Fatalf("viewer account waited, or came without a code: %v %+v %+v", err, u, req)
		}

		// A token for someone else would act as them: refused.
		_, err = h.svc.CreateToken(h.ctx, admin, incident.TokenRequest{UserID: rl.UserID, Role: incident.RoleRecoveryLead})
		if e := wantCode(t, err, phasegate.ECONFLICT); e != nil && !strings.Contains(e.Message, "phasegate token create") {
			t.Errorf("token refusal does not say what to do: %s", e.Message)
		}

		// Disabling acts at once, like containment — and does not switch
		// dual control off: the remaining admin still cannot act alone.
		u, req, err = h.svc.SetDisabled(h.ctx, admin, admin2.UserID, true, "suspected compromise")
		if err != nil || req != nil || !u.Disabled {
			t.Fatalf("disable: %v %+v %+v", err, u, req)
		}
		if evs := h.events(incident.EventUserDisabled); !strings.Contains(string(evs[len(evs)-1].Payload), `"reason":"suspected compromise"`) {
			t.Errorf("the reason for disabling is not recorded: %s", evs[len(evs)-1].Payload)
		}
		_, req, err = h.svc.CreateUser(h.ctx, admin, incident.NewUser{Name: "sock",
			Grants: []incident.Grant{{Role: incident.RoleRecoveryLead}}})
		if err != nil || req == nil {
			t.Fatalf("with the other admin disabled, an account with power was created at once: %v", err)
		}
		_, req2, err := h.svc.SetDisabled(h.ctx, admin, admin2.UserID, false, "false alarm")
		if err != nil || req2 == nil || req2.Kind != incident.ChangeUserEnable {
			t.Fatalf("re-enabling acted at once: %v %+v", err, req2)
		}
		// Break-glass on the host is the way out, recorded as such.
		if _, err := h.svc.BreakGlassAddUser(h.ctx, "admin3", testPassword, []incident.Grant{{Role: incident.RoleAdmin}}); err != nil {
			t.Fatal(err)
		}
		// phasegate itself (start-up, demo) acts at once.
		u, req, err = h.svc.CreateUser(h.ctx, incident.SystemActor("demo", incident.RoleAdmin), incident.NewUser{Name: "demo-lead",
			Password: testPassword, Grants: []incident.Grant{{Role: incident.RoleRecoveryLead}}})
		if err != nil || u == nil || req != nil {
			t.Fatalf("system actor: %v %+v", err, req)
		}

		// A request nobody decides expires.
		pending, err := h.svc.AccountRequests(h.ctx, admin, incident.AccountQuery{Status: incident.ApprovalPending})
		h.must(err, "pending")
		if len(pending) != 3 {
			t.Fatalf("pending: %d, want 3 (owner's scope, sock, admin2 enabled): %+v", len(pending), pending)
		}
		h.clock.Advance(25 * time.Hour)
		a3, err := h.svc.User(h.ctx, admin, mustUserID(t, h, "admin3"))
		h.must(err, "admin3")
		_, err = h.svc.ApproveAccountRequest(h.ctx, incident.Actor{UserID: a3.ID, Name: a3.Name, Grants: a3.Grants}, pending[0].ID, "")
		if e := wantCode(t, err, phasegate.ECONFLICT); e != nil && !strings.Contains(e.Message, "expired") {
			t.Errorf("expired request: %s", e.Message)
		}
		pending, err = h.svc.AccountRequests(h.ctx, admin, incident.AccountQuery{Status: incident.ApprovalPending})
		h.must(err, "pending")
		if len(pending) != 0 {
			t.Fatalf("expired requests still pending: %+v", pending)
		}
		if len(h.events(incident.EventAccountExpired)) != 1 {
			t.Errorf("expiry events: %d, want 1 (the one touched)", len(h.events(incident.EventAccountExpired)))
		}
		// The sweep closes the two nobody touched.
		if n, err := h.svc.ExpireDue(h.ctx); err != nil || n != 2 || len(h.events(incident.EventAccountExpired)) != 3 {
			t.Errorf("the sweep closed %d (%v), %d expiry events; want 2 and 3", n, err, len(h.events(incident.EventAccountExpired)))
		}
		// Others than admins do not see account requests.
		_, err = h.svc.AccountRequests(h.ctx, h.as("ic"), incident.AccountQuery{})
		wantCode(t, err, phasegate.EFORBIDDEN)
		if rep := h.verify(); !rep.OK {
			t.Fatalf("chain: %+v", rep.Problem)
		}
	})
}

func mustUserID(t *testing.T, h *harness, name string) int64 {
	t.Helper()
	us, err := h.svc.Users(h.ctx, h.as("admin"))
	h.must(err, "users")
	for _, u := range us {
		if u.Name == name {
			return u.ID
		}
	}
	t.Fatalf("no user %s", name)
	return 0
}

// TestPasswordChangeEndsOtherSessions: whoever held the old password is
// logged out when it changes — by the user (their current session
// stays) or by an approved reset (every session ends).
func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		login := func() string {
			t.Helper()
			res, err := h.svc.Login(h.ctx, "rl", testPassword, incident.Client{Address: "192.0.2.8"})
			h.must(err, "login")
			return res.SessionSecret
		}
		alive := func(secret string) bool {
			_, err := h.svc.SessionActor(h.ctx, secret, "")
			return err == nil
		}
		attacker, mine := login(), login()
		me, err := h.svc.SessionActor(h.ctx, mine, "")
		h.must(err, "session")
		_, err = h.svc.SetPassword(h.ctx, me, me.UserID, incident.PasswordChange{Password: testPassword, Current: testPassword})
		h.must(err, "own password")
		if alive(attacker) || !alive(mine) {
			t.Fatalf("after changing one's own password: other session alive %v, own %v; want false, true", alive(attacker), alive(mine))
		}
		// An admin's reset, approved by a second admin, ends every session
		// and the old password; the code the approver hands on sets the new.
		a2, _, err := h.svc.CreateUser(h.ctx, h.as("admin"), incident.NewUser{Name: "admin2", Password: testPassword,
			Grants: []incident.Grant{{Role: incident.RoleAdmin}}})
		h.must(err, "second admin")
		_, req, err := h.svc.ResetPassword(h.ctx, h.as("admin"), me.UserID, "locked out")
		h.must(err, "reset")
		if !alive(mine) {
			t.Fatal("a reset waiting for approval already ended the session")
		}
		done, err := h.svc.ApproveAccountRequest(h.ctx, incident.Actor{UserID: a2.ID, Name: a2.Name, Grants: a2.Grants}, req.ID, "")
		h.must(err, "approve")
		if alive(mine) {
			t.Fatal("the session outlived an approved password reset")
		}
		_, err = h.svc.Login(h.ctx, "rl", testPassword, incident.Client{Address: "192.0.2.8"})
		wantCode(t, err, phasegate.EUNAUTHORIZED)
		h.clock.Advance(time.Minute)
		h.must(h.svc.RedeemPasswordCode(h.ctx, "rl", done.PasswordCode.Code, "rl chose this one", incident.Client{}), "redeem")
		_, err = h.svc.Login(h.ctx, "rl", "rl chose this one", incident.Client{Address: "192.0.2.8"})
		h.must(err, "login with the password set by code")
	})
}
