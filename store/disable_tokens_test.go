package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/incident"
)

// TestDisablingRevokesTokens: disabling an account revokes its active API
// tokens for good, in the same step, and says how many; enabling it again
// (approved by a second admin under dual control) does not bring them
// back. Another user's tokens are left alone.
func TestDisablingRevokesTokens(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		admin := h.as("admin")
		comms := h.as("comms")
		nt, err := h.svc.CreateToken(h.ctx, comms, incident.TokenRequest{Label: "statuspage"})
		h.must(err, "comms token")
		nt2, err := h.svc.CreateToken(h.ctx, comms, incident.TokenRequest{Label: "short", ExpiresAt: h.clock.Now().Add(time.Hour)})
		h.must(err, "comms expiring token")
		nt3, err := h.svc.CreateToken(h.ctx, comms, incident.TokenRequest{Label: "old"})
		h.must(err, "comms old token")
		_, err = h.svc.RevokeToken(h.ctx, comms, nt3.Token.ID)
		h.must(err, "revoke old")
		other, err := h.svc.CreateToken(h.ctx, h.as("viewer"), incident.TokenRequest{Label: "viewer's"})
		h.must(err, "viewer token")
		_, err = h.svc.TokenActor(h.ctx, nt.Secret, "192.0.2.1")
		h.must(err, "comms token works")
		h.clock.Advance(2 * time.Hour) // nt2 expires: not active, not counted

		// A second admin turns dual control on: enabling waits for them.
		a2, _, err := h.svc.CreateUser(h.ctx, admin, incident.NewUser{Name: "admin2", Password: testPassword,
			Grants: []incident.Grant{{Role: incident.RoleAdmin}}})
		h.must(err, "admin2")
		admin2 := incident.Actor{UserID: a2.ID, Name: a2.Name, Grants: a2.Grants}

		_, _, err = h.svc.SetDisabled(h.ctx, admin, comms.UserID, true, "suspected compromise")
		h.must(err, "disable")
		evs := h.events(incident.EventUserDisabled)
		if p := string(evs[len(evs)-1].Payload); !strings.Contains(p, `"tokens_revoked":1`) {
			t.Errorf("user.disabled payload does not say one token was revoked: %s", p)
		}
		_, err = h.svc.TokenActor(h.ctx, nt.Secret, "192.0.2.1")
		wantCode(t, err, phasegate.EUNAUTHORIZED)

		_, req, err := h.svc.SetDisabled(h.ctx, admin, comms.UserID, false, "false alarm")
		if err != nil || req == nil {
			t.Fatalf("enabling did not wait for a second admin: %v %+v", err, req)
		}
		_, err = h.svc.ApproveAccountRequest(h.ctx, admin2, req.ID, "checked with comms on the number on file")
		h.must(err, "approve enable")
		u, err := h.svc.User(h.ctx, admin, comms.UserID)
		h.must(err, "comms")
		if u.Disabled {
			t.Fatalf("comms still disabled after approval")
		}
		_, err = h.svc.TokenActor(h.ctx, nt.Secret, "192.0.2.1")
		if e := wantCode(t, err, phasegate.EUNAUTHORIZED); e != nil && !strings.Contains(e.Message, "revoked") {
			t.Errorf("old token refused for another reason: %s", e.Message)
		}
		toks, err := h.svc.Tokens(h.ctx, comms, 0)
		h.must(err, "comms tokens")
		for _, tok := range toks {
			switch tok.ID {
			case nt.Token.ID:
				if tok.RevokedAt.IsZero() {
					t.Errorf("token %d not marked revoked: %+v", tok.ID, tok)
				}
			case nt2.Token.ID:
				if !tok.RevokedAt.IsZero() {
					t.Errorf("expired token %d marked revoked: %+v", tok.ID, tok)
				}
			case nt3.Token.ID:
				if tok.RevokedAt.Equal(h.clock.Now()) {
					t.Errorf("already revoked token %d revoked again: %+v", tok.ID, tok)
				}
			}
		}
		// A new token works; the viewer's was never touched.
		fresh, err := h.svc.CreateToken(h.ctx, comms, incident.TokenRequest{Label: "new"})
		h.must(err, "new token")
		_, err = h.svc.TokenActor(h.ctx, fresh.Secret, "192.0.2.1")
		h.must(err, "new token works")
		_, err = h.svc.TokenActor(h.ctx, other.Secret, "192.0.2.1")
		h.must(err, "viewer's token works")
		if rep := h.verify(); !rep.OK {
			t.Fatalf("chain: %+v", rep.Problem)
		}
	})
}
