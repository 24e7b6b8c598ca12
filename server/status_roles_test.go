package server_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/phasegate/phasegate/incident"
	"github.com/phasegate/phasegate/server"
)

// statusCalls are the role table's requests on the status update routes
// and the public status pages; nil for a route it does not know. Updates
// are written by ic2, who is no principal of the table, so no caller is
// refused for having written one; each call that changes an update gets
// a fresh one.
func (f *roleFixture) statusCalls(t *testing.T, ctx context.Context, rt server.Route) []call {
	ts := f.ts
	u := ts.users["ic2"]
	ic2 := incident.Actor{UserID: u.ID, Name: u.Name, Grants: u.Grants}
	u = ts.users["ic"]
	ic := incident.Actor{UserID: u.ID, Name: u.Name, Grants: u.Grants}
	draft := incident.StatusDraft{Audiences: []string{"customers"}, Title: "Role table", Body: "Nothing to see."}
	fresh := func(approved bool) int64 {
		t.Helper()
		up, err := ts.svc.DraftStatusUpdate(ctx, ic2, f.incident, draft)
		if err != nil {
			t.Fatal(err)
		}
		if approved {
			if _, err := ts.svc.ApproveStatusUpdate(ctx, ic, up.ID, incident.StatusApproval{}); err != nil {
				t.Fatal(err)
			}
		}
		return up.ID
	}
	upd := func(format string, approved bool) string { return fmt.Sprintf(format, fresh(approved)) }
	a := rt.Action
	switch rt.Method + " " + rt.Pattern {
	case "POST /api/v1/incidents/{id}/updates":
		return []call{{path: fmt.Sprintf("/api/v1/incidents/%d/updates", f.incident), action: a, body: draft}}
	case "GET /api/v1/incidents/{id}/updates":
		return []call{{path: fmt.Sprintf("/api/v1/incidents/%d/updates", f.incident), action: a}}
	case "GET /api/v1/incidents/{id}/updates/suggestions":
		return []call{{path: fmt.Sprintf("/api/v1/incidents/%d/updates/suggestions", f.incident), action: a}}
	case "GET /api/v1/updates/{id}":
		return []call{{path: upd("/api/v1/updates/%d", false), action: a}}
	case "PUT /api/v1/updates/{id}":
		return []call{{path: upd("/api/v1/updates/%d", false), action: a, body: draft}}
	case "POST /api/v1/updates/{id}/approve":
		return []call{{path: upd("/api/v1/updates/%d/approve", false), action: a, body: map[string]any{"note": "table"}}}
	case "POST /api/v1/updates/{id}/reject":
		return []call{{path: upd("/api/v1/updates/%d/reject", false), action: a, body: map[string]any{"note": "table"}}}
	case "POST /api/v1/updates/{id}/publish":
		return []call{{path: upd("/api/v1/updates/%d/publish", true), action: a}}
	case "POST /api/v1/updates/{id}/withdraw":
		return []call{{path: upd("/api/v1/updates/%d/withdraw", false), action: a, body: map[string]any{"note": "table"}}}
	case "GET /status/":
		return []call{{path: "/status/", public: true}, {label: "redirect", path: "/status", public: true},
			{label: "too deep", path: "/status/a/b/c", public: true}}
	case "GET /status/{audience}":
		return []call{{path: "/status/customers", public: true}, {label: "unknown audience", path: "/status/martians", public: true}}
	case "GET /status/{audience}/feed.atom":
		return []call{{path: "/status/customers/feed.atom", public: true}}
	}
	return nil
}
