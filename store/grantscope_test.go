package store_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/incident"
)

// TestGrantScopesNameWhatTheEstateHas: a system-owner scope that names a
// team or a system the latest estate version lacks grants nothing, so it
// is refused, naming it and the valid ones, wherever grants are set:
// creating an account, changing roles, break-glass, and approving a
// request under dual control (checked again then). Before any estate is
// uploaded every scope is accepted: the estate may come later.
func TestGrantScopesNameWhatTheEstateHas(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		admin := h.as("admin")
		owner := func(teams, systems []string) []incident.Grant {
			return []incident.Grant{{Role: incident.RoleSystemOwner, Teams: teams, Systems: systems}}
		}
		// No estate yet: accepted.
		early, _, err := h.svc.CreateUser(h.ctx, admin, incident.NewUser{Name: "early", Password: testPassword, Grants: owner([]string{"plant-it"}, nil)})
		h.must(err, "a scope before any estate")

		h.upload()
		for _, c := range []struct {
			name   string
			grants []incident.Grant
			want   []string
		}{
			{"unknown team", owner([]string{"nosuch-team"}, nil), []string{`the system-owner role is scoped to the team "nosuch-team", which estate version 1 (the latest) does not have, so it would grant nothing`,
				"the teams are apps, forensics, infra"}},
			{"misspelt system", owner(nil, []string{"vualt"}), []string{`system "vualt"`, `did you mean "vault"?`, "the systems are ad, db, erp, mail, net, plc, vault"}},
			{"one good, one bad", owner([]string{"apps"}, []string{"erp", "crm"}), []string{`system "crm"`}},
		} {
			_, _, err := h.svc.CreateUser(h.ctx, admin, incident.NewUser{Name: "own", Password: testPassword, Grants: c.grants})
			e := wantCode(t, err, phasegate.EINVALID)
			for _, w := range c.want {
				if e != nil && !strings.Contains(e.Message, w) {
					t.Errorf("%s: create: %q lacks %q", c.name, e.Message, w)
				}
			}
			_, _, err = h.svc.SetGrants(h.ctx, admin, early.ID, c.grants, "")
			wantCode(t, err, phasegate.EINVALID)
			_, err = h.svc.BreakGlassAddUser(h.ctx, "own", testPassword, c.grants)
			wantCode(t, err, phasegate.EINVALID)
		}
		us, err := h.svc.Users(h.ctx, admin)
		h.must(err, "users")
		for _, u := range us {
			if u.Name == "own" {
				t.Fatal("a refused account was made")
			}
		}
		// Scopes the estate has are fine, and grants without a scope are not
		// looked at.
		_, _, err = h.svc.CreateUser(h.ctx, admin, incident.NewUser{Name: "own", Password: testPassword, Grants: owner([]string{"apps"}, []string{"ad"})})
		h.must(err, "a good scope")
		_, _, err = h.svc.SetGrants(h.ctx, admin, early.ID, []incident.Grant{{Role: incident.RoleViewer}}, "")
		h.must(err, "no scope")

		// Under dual control the request is checked when asked and again
		// when approved: here the latest estate lost vault in between.
		a2, _, err := h.svc.CreateUser(h.ctx, admin, incident.NewUser{Name: "admin2", Password: testPassword, Grants: []incident.Grant{{Role: incident.RoleAdmin}}})
		h.must(err, "second admin")
		admin2 := incident.Actor{UserID: a2.ID, Name: a2.Name, Grants: a2.Grants}
		_, _, err = h.svc.CreateUser(h.ctx, admin, incident.NewUser{Name: "vaulty", Grants: owner(nil, []string{"vualt"})})
		wantCode(t, err, phasegate.EINVALID)
		_, req, err := h.svc.CreateUser(h.ctx, admin, incident.NewUser{Name: "vaulty", Grants: owner(nil, []string{"vault"})})
		h.must(err, "request")
		if req == nil {
			t.Fatal("no account request under dual control")
		}
		_, _, err = h.svc.SetGrants(h.ctx, admin, early.ID, owner([]string{"nosuch"}, nil), "")
		wantCode(t, err, phasegate.EINVALID)
		doc := bytes.Replace(testEstate(t), []byte("  - {id: vault, name: Secrets vault, kind: infrastructure, team: apps, criticality: 1, restore: 2h}\n"), nil, 1)
		_, err = h.svc.UploadEstate(h.ctx, h.as("ic"), estate.File{Name: "no-vault.yaml", Data: doc})
		h.must(err, "upload without vault")
		_, err = h.svc.ApproveAccountRequest(h.ctx, admin2, req.ID, "")
		if e := wantCode(t, err, phasegate.EINVALID); e != nil && !strings.Contains(e.Message, `system "vault", which estate version 2`) {
			t.Errorf("approval: %s", e.Message)
		}
	})
}
