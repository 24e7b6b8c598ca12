package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/incident"
	"github.com/phasegate/phasegate/server"
)

// principal is who calls in the role table test: nobody, a user logged
// in with a session holding one role, or a token acting with one role of
// a user who holds them all.
type principal struct {
	name   string
	header func() http.Header
	actor  incident.Actor // zero for nobody
	user   *incident.User
}

// roleFixture is the state the role table test calls the routes on.
type roleFixture struct {
	ts       *testServer
	est      *estate.Estate
	incident int64
	approval int64 // a pending request on vault that stays pending
	target   *incident.User
	// admin2 is a second admin, no principal of the table: with two
	// admins, account changes that give power wait for one of them.
	admin2 incident.Actor
	// readings is an incident on an estate with backlogs, for the
	// backlog readings (0 until the first call needs it).
	readings int64
	n        atomic.Int64
}

// call is one request of the table: a concrete path and body, and the
// permission it needs (sys: the system it acts on, for scoped grants).
type call struct {
	label  string
	path   string
	body   any
	action incident.Action // "" for anyone authenticated
	public bool
	sys    string
	// own: the caller's own resource (always allowed).
	own bool
	// stream: read the headers only.
	stream bool
	// hidden: a refusal answers 404, as if the resource did not exist
	// (someone else's token: its id is not theirs to learn).
	hidden bool
}

// TestEveryRouteAsEveryRole calls every registered route as every role —
// with a session, with a token scoped to the role, and as nobody — and
// checks allow or deny against incident.Permissions (through
// incident.Actor.Can, the function the service itself uses), not against
// a second table written here.
func TestEveryRouteAsEveryRole(t *testing.T) {
	ts := newTestServer(t, backend{"sqlite", openSQLite}, serverOptions{estate: "small"})
	runRoleTable(t, ts)
}

// runRoleTable calls every route as every principal on ts; the OpenAPI
// test reuses it to see which statuses the routes really answer.
func runRoleTable(t *testing.T, ts *testServer) {
	ctx := context.Background()
	f := &roleFixture{ts: ts}
	f.setUp(t, ctx)

	principals := []principal{{name: "nobody", header: func() http.Header { return http.Header{} }}}
	sessionUsers := map[incident.Role]string{
		incident.RoleAdmin: "admin", incident.RoleIncidentCommander: "ic", incident.RoleRecoveryLead: "rl",
		incident.RoleSystemOwner: "owner", incident.RoleForensics: "forensics", incident.RoleComms: "comms",
		incident.RoleViewer: "viewer",
	}
	var all []incident.Grant
	for _, r := range incident.Roles {
		g := incident.Grant{Role: r}
		if r == incident.RoleSystemOwner {
			g.Teams = []string{"apps"}
		}
		all = append(all, g)
	}
	multi, err := ts.svc.BreakGlassAddUser(ctx, "multi", testPassword, all)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range incident.Roles {
		name := sessionUsers[r]
		if name == "" {
			t.Fatalf("no session user for role %s: add one to the test", r)
		}
		u := ts.users[name]
		h := ts.login(name)
		principals = append(principals, principal{name: "session:" + string(r), user: u,
			header: func() http.Header { return h.Clone() },
			actor:  incident.Actor{UserID: u.ID, Name: u.Name, Grants: u.Grants}})
		tok, err := ts.svc.BreakGlassCreateToken(ctx, "multi", r, "role test")
		if err != nil {
			t.Fatal(err)
		}
		var grant incident.Grant
		for _, g := range multi.Grants {
			if g.Role == r {
				grant = g
			}
		}
		bearer := http.Header{"Authorization": {"Bearer " + tok.Secret}}
		principals = append(principals, principal{name: "token:" + string(r), user: multi,
			header: func() http.Header { return bearer.Clone() },
			actor:  incident.Actor{UserID: multi.ID, Name: multi.Name, Grants: []incident.Grant{grant}, ViaToken: true}})
	}

	checked := 0
	for _, rt := range ts.srv.Routes() {
		key := rt.Method + " " + rt.Pattern
		for _, p := range principals {
			calls := f.calls(t, ctx, rt, p)
			if calls == nil {
				t.Fatalf("route %s has no fixture in the role table test: add one to roleFixture.calls", key)
			}
			for _, c := range calls {
				r := f.do(t, p, rt.Method, c)
				allowed := c.public || p.actor.Name != "" && (c.action == "" || c.own || p.actor.Can(c.action, f.system(c.sys)))
				checked++
				switch {
				case c.public && (r.status == 401 || r.status == 403):
					t.Errorf("%s [%s] as %s: %d, but the route is public: %s", key, c.label, p.name, r.status, r.body)
				case p.actor.Name == "" && !c.public && r.status != 401:
					t.Errorf("%s [%s] as nobody: %d, want 401", key, c.label, r.status)
				case p.actor.Name != "" && allowed && (r.status == 401 || r.status == 403):
					t.Errorf("%s [%s] as %s: %d, but %s may %s: %s", key, c.label, p.name, r.status, p.name, c.action, r.body)
				case p.actor.Name != "" && !allowed && c.hidden && r.status != 404:
					t.Errorf("%s [%s] as %s: %d, want 404 (%s may not %s, nor learn it exists): %s", key, c.label, p.name, r.status, p.name, c.action, r.body)
				case p.actor.Name != "" && !allowed && !c.hidden && r.status != 403:
					t.Errorf("%s [%s] as %s: %d, want 403 (%s may not %s): %s", key, c.label, p.name, r.status, p.name, c.action, r.body)
				}
			}
		}
	}
	t.Logf("%d routes × %d principals: %d calls checked", len(ts.srv.Routes()), len(principals), checked)
}

func (f *roleFixture) system(id string) *estate.System {
	if id == "" {
		return nil
	}
	for i := range f.est.Systems {
		if f.est.Systems[i].ID == id {
			return &f.est.Systems[i]
		}
	}
	panic("no system " + id)
}

// setUp builds an incident where every transition the table asks for
// is refused by a guard after the permission check, so the state does
// not move between principals: db (apps) and plc (infra) are cleared but
// what they require is not online; mail is investigating with its
// checklist unfinished. vault's restore waits for more approvals than
// there are approvers; ad is cleared, for fresh requests to reject and
// cancel.
func (f *roleFixture) setUp(t *testing.T, ctx context.Context) {
	ts := f.ts
	as := func(name string) incident.Actor {
		u := ts.users[name]
		return incident.Actor{UserID: u.ID, Name: u.Name, Grants: u.Grants}
	}
	ic, ic2, fo := as("ic"), as("ic2"), as("forensics")
	_, est, err := ts.svc.Estate(ctx, ic, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.est = est
	in, err := ts.svc.DeclareIncident(ctx, ic, incident.Declaration{Name: "roles", Kind: "ransomware", TotalShutdown: true})
	if err != nil {
		t.Fatal(err)
	}
	f.incident = in.ID
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	move := func(a incident.Actor, sys string, to incident.State) *incident.TransitionResult {
		t.Helper()
		res, err := ts.svc.Transition(ctx, a, f.incident, sys, to, "fixture")
		must(err)
		return res
	}
	clear := func(sys string) {
		move(fo, sys, incident.StateInvestigating)
		items, err := ts.svc.Checklist(ctx, fo, f.incident, sys)
		must(err)
		for _, it := range items {
			_, err := ts.svc.TickChecklist(ctx, fo, f.incident, sys, incident.Tick{Item: it.Key, Done: true})
			must(err)
		}
		move(fo, sys, incident.StateCleared)
	}
	for _, sys := range []string{"db", "plc", "vault", "ad"} {
		clear(sys)
	}
	move(fo, "mail", incident.StateInvestigating)
	r := 5 // more than the table has approvers (ic, rl, owner, multi)
	_, err = ts.svc.UpdateIncident(ctx, ic, f.incident, incident.IncidentUpdate{RequiredApprovals: &r})
	must(err)
	res := move(ic2, "vault", incident.StateRestoring)
	if res.Done || res.Approval == nil {
		t.Fatalf("vault's restore did not wait for approval: %+v", res)
	}
	f.approval = res.Approval.ID
	f.target, err = ts.svc.BreakGlassAddUser(ctx, "target", testPassword, []incident.Grant{{Role: incident.RoleViewer}})
	must(err)
	_, err = ts.svc.BreakGlassAddUser(ctx, "login-user", testPassword, []incident.Grant{{Role: incident.RoleViewer}})
	must(err)
	a2, err := ts.svc.BreakGlassAddUser(ctx, "admin2", testPassword, []incident.Grant{{Role: incident.RoleAdmin}})
	must(err)
	f.admin2 = incident.Actor{UserID: a2.ID, Name: a2.Name, Grants: a2.Grants}
}

// tableBacklogs is an estate file merged with testdata/estate.yaml: a
// backlog of the build service.
const tableBacklogs = `version: 1
backlogs:
  - {id: invoices, service: build, unit: invoices, accrues_per_day: 100, capacity_per_day: 300}
`

// readingsIncident returns an incident whose estate has a backlog,
// declaring it (on a new estate version) the first time: the table's
// own incident stays on version 1, which has none.
func (f *roleFixture) readingsIncident(t *testing.T, ctx context.Context) int64 {
	if f.readings != 0 {
		return f.readings
	}
	u := f.ts.users["ic"]
	ic := incident.Actor{UserID: u.ID, Name: u.Name, Grants: u.Grants}
	v, err := f.ts.svc.UploadEstate(ctx, ic, estate.File{Name: "estate.yaml", Data: mustRead(t, "testdata/estate.yaml")},
		estate.File{Name: "backlogs.yaml", Data: []byte(tableBacklogs)})
	if err != nil {
		t.Fatal(err)
	}
	in, err := f.ts.svc.DeclareIncident(ctx, ic, incident.Declaration{Name: "readings", Kind: "ransomware", EstateVersion: v.Number})
	if err != nil {
		t.Fatal(err)
	}
	f.readings = in.ID
	return f.readings
}

// freshAccountRequest cancels admin2's pending account requests and asks
// again (a new password for target), returning the request's id.
func (f *roleFixture) freshAccountRequest(t *testing.T, ctx context.Context) int64 {
	ts := f.ts
	pend, err := ts.svc.AccountRequests(ctx, f.admin2, incident.AccountQuery{Status: incident.ApprovalPending})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range pend {
		if _, err := ts.svc.CancelAccountRequest(ctx, f.admin2, r.ID, "fixture"); err != nil {
			t.Fatal(err)
		}
	}
	_, req, err := ts.svc.ResetPassword(ctx, f.admin2, f.target.ID, "fixture")
	if err != nil || req == nil {
		t.Fatalf("account request: %v %+v", err, req)
	}
	return req.ID
}

// freshApproval cancels ad's pending request, if any, and asks again
// (as ic2, who is no principal of the table), returning its id.
func (f *roleFixture) freshApproval(t *testing.T, ctx context.Context) int64 {
	ts := f.ts
	u := ts.users["ic2"]
	ic2 := incident.Actor{UserID: u.ID, Name: u.Name, Grants: u.Grants}
	pend, err := ts.svc.Approvals(ctx, ic2, incident.ApprovalQuery{IncidentID: f.incident, SystemID: "ad", Status: incident.ApprovalPending})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range pend {
		if _, err := ts.svc.CancelApproval(ctx, ic2, a.ID, "fixture"); err != nil {
			t.Fatal(err)
		}
	}
	res, err := ts.svc.Transition(ctx, ic2, f.incident, "ad", incident.StateRestoring, "fixture")
	if err != nil || res.Approval == nil {
		t.Fatalf("ad approval: %v %+v", err, res)
	}
	return res.Approval.ID
}

// calls returns the requests to make on a route as p; nil when the
// route is unknown to the test.
func (f *roleFixture) calls(t *testing.T, ctx context.Context, rt server.Route, p principal) []call {
	id := f.incident
	n := f.n.Add(1)
	in := func(format string, args ...any) string {
		return fmt.Sprintf("/api/v1/incidents/%d", id) + fmt.Sprintf(format, args...)
	}
	a := rt.Action
	switch rt.Method + " " + rt.Pattern {
	case "GET /healthz", "GET /metrics":
		return []call{{path: rt.Pattern, public: true}}
	case "POST /api/v1/session":
		return []call{{path: rt.Pattern, public: true, body: map[string]string{"name": "login-user", "password": testPassword}}}
	case "DELETE /api/v1/session", "GET /api/v1/me", "GET /api/v1/openapi.yaml":
		return []call{{path: rt.Pattern}}
	case "PUT /api/v1/estate":
		return []call{{path: rt.Pattern, action: a, body: rawBody{"application/yaml", mustRead(t, "testdata/estate.yaml")}}}
	case "GET /api/v1/estate/versions":
		return []call{{path: rt.Pattern, action: a}}
	case "GET /api/v1/estate/versions/{version}":
		return []call{{path: "/api/v1/estate/versions/1", action: a}}
	case "POST /api/v1/estate/versions/{version}/approve":
		// Version 1 takes nothing away: allowed callers get 409, the rest 403.
		return []call{{path: "/api/v1/estate/versions/1/approve", action: a, body: map[string]string{"note": "table"}}}
	case "POST /api/v1/incidents":
		return []call{{path: rt.Pattern, action: a, body: incident.Declaration{Name: "table", Kind: "ransomware"}}}
	case "GET /api/v1/incidents":
		return []call{{path: rt.Pattern, action: a}}
	case "GET /api/v1/incidents/{id}":
		return []call{{path: in(""), action: a}}
	case "PATCH /api/v1/incidents/{id}":
		return []call{{path: in(""), action: a, body: map[string]string{"name": fmt.Sprintf("roles %d", n)}}}
	case "POST /api/v1/incidents/{id}/close":
		// A fresh incident each time, so the fixture stays open.
		u := f.ts.users["ic"]
		v, err := f.ts.svc.DeclareIncident(ctx, incident.Actor{UserID: u.ID, Name: u.Name, Grants: u.Grants},
			incident.Declaration{Name: "to close", Kind: "ransomware"})
		if err != nil {
			t.Fatal(err)
		}
		return []call{{path: fmt.Sprintf("/api/v1/incidents/%d/close", v.ID), action: a, body: map[string]string{"reason": "done"}}}
	case "POST /api/v1/incidents/{id}/isolate":
		return []call{{path: in("/isolate"), action: a,
			body: map[string]any{"selector": map[string][]string{"systems": {"mail"}}, "reason": "table"}}}
	case "GET /api/v1/incidents/{id}/systems/{system}":
		return []call{{path: in("/systems/erp"), action: a}}
	case "POST /api/v1/incidents/{id}/systems/{system}/transition":
		// Each refused by a guard after the permission check (see
		// setUp), so the state does not move.
		restore := incident.FindEdge(incident.StateCleared, incident.StateRestoring).Action
		return []call{
			{label: "db restore (apps)", path: in("/systems/db/transition"), sys: "db", action: restore,
				body: map[string]string{"to": "restoring", "reason": "table"}},
			{label: "plc restore (infra)", path: in("/systems/plc/transition"), sys: "plc",
				action: restore,
				body:   map[string]string{"to": "restoring", "reason": "table"}},
			{label: "mail clear (apps)", path: in("/systems/mail/transition"), sys: "mail",
				action: incident.FindEdge(incident.StateInvestigating, incident.StateCleared).Action,
				body:   map[string]string{"to": "cleared", "reason": "table"}},
		}
	case "GET /api/v1/incidents/{id}/systems/{system}/checklist":
		return []call{{path: in("/systems/erp/checklist"), action: a}}
	case "POST /api/v1/incidents/{id}/verify":
		return []call{{path: in("/verify"), action: a}}
	case "POST /api/v1/incidents/{id}/systems/{system}/verify":
		// The table's estate gives no checks: an allowed caller is told
		// so (409), one not allowed is refused first (403).
		return []call{
			{label: "wiki (apps)", path: in("/systems/wiki/verify"), sys: "wiki", action: a},
			{label: "net (infra)", path: in("/systems/net/verify"), sys: "net", action: a},
		}
	case "POST /api/v1/incidents/{id}/systems/{system}/checklist":
		return []call{
			{label: "wiki (apps)", path: in("/systems/wiki/checklist"), sys: "wiki", action: a,
				body: incident.Tick{Item: "forensic-image", Done: true, Note: "table"}},
			{label: "net (infra)", path: in("/systems/net/checklist"), sys: "net", action: a,
				body: incident.Tick{Item: "config-known-good", Done: true, Note: "table"}},
		}
	case "GET /api/v1/incidents/{id}/approvals":
		return []call{{path: in("/approvals"), action: a}}
	case "GET /api/v1/incidents/{id}/plan":
		return []call{{path: in("/plan"), action: a}}
	case "GET /api/v1/incidents/{id}/plan/history":
		return []call{{path: in("/plan/history"), action: a}}
	case "GET /api/v1/incidents/{id}/events":
		return []call{{path: in("/events?after=0&limit=5"), action: a}}
	case "POST /api/v1/incidents/{id}/backlogs/readings":
		// An allowed caller records a reading (201).
		return []call{{path: fmt.Sprintf("/api/v1/incidents/%d/backlogs/readings", f.readingsIncident(t, ctx)), action: a,
			body: map[string]any{"backlog": "invoices", "remaining": 11200 - n, "note": "role table"}}}
	case "GET /api/v1/incidents/{id}/backlogs/readings":
		return []call{{path: fmt.Sprintf("/api/v1/incidents/%d/backlogs/readings", f.readingsIncident(t, ctx)), action: a}}
	case "GET /api/v1/incidents/{id}/report":
		return []call{{path: in("/report"), action: a}, {label: "html", path: in("/report?format=html"), action: a}}
	case "GET /api/v1/approvals/{id}":
		return []call{{path: fmt.Sprintf("/api/v1/approvals/%d", f.approval), action: a}}
	case "POST /api/v1/approvals/{id}/approve":
		return []call{{path: fmt.Sprintf("/api/v1/approvals/%d/approve", f.approval), sys: "vault", action: a,
			body: map[string]string{"note": "table"}}}
	case "POST /api/v1/approvals/{id}/reject":
		return []call{{path: fmt.Sprintf("/api/v1/approvals/%d/reject", f.freshApproval(t, ctx)), sys: "ad", action: a,
			body: map[string]string{"note": "table"}}}
	case "POST /api/v1/approvals/{id}/cancel":
		return []call{{path: fmt.Sprintf("/api/v1/approvals/%d/cancel", f.freshApproval(t, ctx)), action: a,
			body: map[string]string{"note": "table"}}}
	case "GET /api/v1/events/stream":
		return []call{{path: rt.Pattern, action: a, stream: true}}
	case "GET /api/v1/users":
		return []call{{path: rt.Pattern, action: a}}
	case "POST /api/v1/users":
		return []call{{path: rt.Pattern, action: a, body: map[string]any{"name": fmt.Sprintf("new-%d", n),
			"roles": []incident.Grant{{Role: incident.RoleViewer}}}}}
	case "GET /api/v1/users/{id}":
		return append(f.ownCall(p, fmt.Sprintf("/api/v1/users/%d", ownID(p)), nil),
			call{label: "another user", path: fmt.Sprintf("/api/v1/users/%d", f.target.ID), action: a})
	case "PUT /api/v1/users/{id}/roles":
		return []call{{path: fmt.Sprintf("/api/v1/users/%d/roles", f.target.ID), action: a,
			body: map[string]any{"roles": []incident.Grant{{Role: incident.RoleViewer}}}}}
	case "PUT /api/v1/users/{id}/password":
		// Only the other user's password: changing one's own would lock
		// the principal's session out of the rest of the table.
		return []call{{label: "another user", path: fmt.Sprintf("/api/v1/users/%d/password", f.target.ID), action: a,
			body: map[string]string{"password": "another long password 1"}}}
	case "POST /api/v1/users/{id}/password-code":
		return []call{{path: fmt.Sprintf("/api/v1/users/%d/password-code", f.target.ID), action: a,
			body: map[string]string{"reason": "role table"}}}
	case "POST /api/v1/password-codes/redeem":
		// A fresh code for each call, from phasegate itself (which acts
		// at once): a wrong code answers 401 like a failed login.
		u, err := f.ts.svc.BreakGlassAddUser(ctx, fmt.Sprintf("code-user-%d", n), testPassword, []incident.Grant{{Role: incident.RoleViewer}})
		if err != nil {
			t.Fatal(err)
		}
		code, _, err := f.ts.svc.ResetPassword(ctx, incident.SystemActor("role-table", incident.RoleAdmin), u.ID, "role table")
		if err != nil || code == nil {
			t.Fatalf("code for the role table: %v", err)
		}
		return []call{{path: rt.Pattern, public: true, body: map[string]string{"user": u.Name,
			"code": code.Code, "password": "a long enough password"}}}
	case "PUT /api/v1/users/{id}/disabled":
		return []call{{path: fmt.Sprintf("/api/v1/users/%d/disabled", f.target.ID), action: a,
			body: map[string]bool{"disabled": false}}}
	case "GET /api/v1/account-requests":
		return []call{{path: rt.Pattern + "?status=pending", action: a}}
	case "GET /api/v1/account-requests/{id}":
		return []call{{path: fmt.Sprintf("/api/v1/account-requests/%d", f.freshAccountRequest(t, ctx)), action: a}}
	case "POST /api/v1/account-requests/{id}/approve", "POST /api/v1/account-requests/{id}/reject",
		"POST /api/v1/account-requests/{id}/cancel":
		verb := rt.Pattern[strings.LastIndex(rt.Pattern, "/")+1:]
		return []call{{path: fmt.Sprintf("/api/v1/account-requests/%d/%s", f.freshAccountRequest(t, ctx), verb), action: a,
			body: map[string]string{"note": "table"}}}
	case "GET /api/v1/tokens":
		return append(f.ownCall(p, rt.Pattern, nil),
			call{label: "another user", path: fmt.Sprintf("/api/v1/tokens?user_id=%d", f.target.ID), action: a})
	case "POST /api/v1/tokens":
		own := map[string]any{"label": "own"}
		if len(p.actor.Grants) > 0 {
			own["role"] = p.actor.Grants[0].Role
		}
		return append(f.ownCall(p, rt.Pattern, own),
			call{label: "another user", path: rt.Pattern, action: a, body: map[string]any{"user_id": f.target.ID, "role": "viewer"}})
	case "DELETE /api/v1/tokens/{id}":
		tok, err := f.ts.svc.BreakGlassCreateToken(ctx, "target", "", "to revoke")
		if err != nil {
			t.Fatal(err)
		}
		return []call{{label: "another user's", path: fmt.Sprintf("/api/v1/tokens/%d", tok.Token.ID), action: a, hidden: true}}
	case "GET /api/v1/audit/verify", "GET /api/v1/audit/export":
		return []call{{path: rt.Pattern, action: a}}
	}
	if calls := f.liveCalls(rt); calls != nil { // live_test.go
		return calls
	}
	return f.statusCalls(t, ctx, rt) // status_roles_test.go
}

func ownID(p principal) int64 {
	if p.user == nil {
		return 1
	}
	return p.user.ID
}

// ownCall is the call on the caller's own resource (for nobody: some
// resource, which must still be 401).
func (f *roleFixture) ownCall(p principal, path string, body any) []call {
	return []call{{label: "own", path: path, body: body, own: true}}
}

func (f *roleFixture) do(t *testing.T, p principal, method string, c call) *response {
	t.Helper()
	h := p.header()
	if method == "DELETE" && c.path == "/api/v1/session" && h.Get("Cookie") != "" {
		// Log out a fresh session, not the one the table uses.
		h = f.ts.login(p.user.Name)
	}
	if !c.stream {
		return f.ts.request(h, method, c.path, c.body)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, method, f.ts.url+c.path, nil)
	req.Header = h
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return &response{status: res.StatusCode, header: res.Header, req: method + " " + c.path}
}

func TestATokenCannotMintAStrongerOne(t *testing.T) {
	ts := newTestServer(t, backend{"sqlite", openSQLite}, serverOptions{})
	ctx := context.Background()
	if _, err := ts.svc.BreakGlassAddUser(ctx, "both", testPassword,
		[]incident.Grant{{Role: incident.RoleViewer}, {Role: incident.RoleAdmin}}); err != nil {
		t.Fatal(err)
	}
	tok, err := ts.svc.BreakGlassCreateToken(ctx, "both", incident.RoleViewer, "viewer only")
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{"Authorization": {"Bearer " + tok.Secret}}
	r := ts.request(h, "POST", "/api/v1/tokens", map[string]string{"role": "admin"})
	if r.status != 403 {
		t.Fatalf("a viewer token minting an admin token: %d %s, want 403", r.status, r.body)
	}
	// Acting as viewer, it cannot manage users either, though its user
	// could with a session.
	if r := ts.request(h, "GET", "/api/v1/users", nil); r.status != 403 {
		t.Errorf("viewer token listing users: %d, want 403", r.status)
	}
}
