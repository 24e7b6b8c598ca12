package server_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/phasegate/phasegate/incident"
	"github.com/phasegate/phasegate/server"
)

// openAPIDoc is the part of the OpenAPI document the tests read.
type openAPIDoc struct {
	OpenAPI string                          `yaml:"openapi"`
	Paths   map[string]map[string]yaml.Node `yaml:"paths"`
}

type openAPIOperation struct {
	OperationID string               `yaml:"operationId"`
	Action      string               `yaml:"x-phasegate-action"`
	Security    *[]map[string]any    `yaml:"security"`
	Responses   map[string]yaml.Node `yaml:"responses"`
}

var httpMethods = map[string]bool{"get": true, "put": true, "post": true, "delete": true, "patch": true, "head": true, "options": true}

func loadOpenAPI(t *testing.T) (openAPIDoc, map[string]any) {
	t.Helper()
	var doc openAPIDoc
	if err := yaml.Unmarshal(server.OpenAPI(), &doc); err != nil {
		t.Fatalf("api/openapi.yaml: %v", err)
	}
	var raw map[string]any
	if err := yaml.Unmarshal(server.OpenAPI(), &raw); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi: %q, want 3.1.0", doc.OpenAPI)
	}
	return doc, raw
}

// operations lists "METHOD /path" → operation.
func (d openAPIDoc) operations(t *testing.T) map[string]openAPIOperation {
	out := map[string]openAPIOperation{}
	for p, item := range d.Paths {
		for m, node := range item {
			if !httpMethods[m] {
				continue
			}
			var op openAPIOperation
			if err := node.Decode(&op); err != nil {
				t.Fatalf("%s %s: %v", m, p, err)
			}
			out[strings.ToUpper(m)+" "+p] = op
		}
	}
	return out
}

// TestOpenAPIMatchesTheRoutes checks the document against the routes
// the server registers, both ways, and the permission each names.
func TestOpenAPIMatchesTheRoutes(t *testing.T) {
	doc, raw := loadOpenAPI(t)
	ops := doc.operations(t)
	ts := newTestServer(t, backend{"sqlite", openSQLite}, serverOptions{})
	registered := map[string]server.Route{}
	for _, rt := range ts.srv.Routes() {
		key := rt.Method + " " + rt.Pattern
		registered[key] = rt
		op, ok := ops[key]
		if !ok {
			t.Errorf("route %s is served but not in api/openapi.yaml", key)
			continue
		}
		if op.OperationID == "" {
			t.Errorf("%s: no operationId", key)
		}
		if _, ok := op.Responses["401"]; rt.Access != server.AccessPublic && !ok {
			t.Errorf("%s needs authentication but documents no 401", key)
		}
		if rt.Access == server.AccessPublic && (op.Security == nil || len(*op.Security) != 0) {
			t.Errorf("%s is public but the document does not say security: []", key)
		}
		if rt.Access == server.AccessAction {
			if _, ok := op.Responses["403"]; !ok {
				t.Errorf("%s needs %s but documents no 403", key, rt.Action)
			}
			if op.Action != string(rt.Action) {
				t.Errorf("%s: x-phasegate-action %q, but the route needs %q", key, op.Action, rt.Action)
			}
			if incident.FindPermission(rt.Action) == nil {
				t.Errorf("%s: action %q is not in incident.Permissions", key, rt.Action)
			}
		}
	}
	for key := range ops {
		if _, ok := registered[key]; !ok {
			t.Errorf("api/openapi.yaml documents %s, which the server does not serve", key)
		}
	}
	// Every $ref resolves.
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				if k == "$ref" {
					ref, _ := c.(string)
					if !resolves(raw, ref) {
						t.Errorf("%s: $ref %q does not resolve", at, ref)
					}
					continue
				}
				walk(c, at+"/"+k)
			}
		case []any:
			for i, c := range x {
				walk(c, fmt.Sprintf("%s[%d]", at, i))
			}
		}
	}
	walk(raw, "")
}

func resolves(doc map[string]any, ref string) bool {
	if !strings.HasPrefix(ref, "#/") {
		return false
	}
	var cur any = doc
	for _, part := range strings.Split(ref[2:], "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		if cur, ok = m[part]; !ok {
			return false
		}
	}
	return true
}

// TestOpenAPIDocumentsTheStatusesServed drives the server through the
// role table and the main flows, then reads from the metrics which
// statuses each route answered, and checks each is documented.
func TestOpenAPIDocumentsTheStatusesServed(t *testing.T) {
	doc, _ := loadOpenAPI(t)
	ops := doc.operations(t)
	ts := newTestServer(t, backend{"sqlite", openSQLite}, serverOptions{estate: "small"})
	runRoleTable(t, ts)
	// Statuses the table does not reach: 202, guards' 409, 404, 400.
	id := ts.shutdown()
	ts.clear(id, "ad")
	ts.mustStatus(ts.transition("rl", id, "ad", incident.StateRestoring), 202)
	ts.mustStatus(ts.transition("rl", id, "db", incident.StateRestoring), 409)
	ts.mustStatus(ts.do("viewer", "GET", "/api/v1/incidents/999", nil), 404)
	ts.mustStatus(ts.do("viewer", "GET", "/api/v1/incidents/x/systems/ad", nil), 400)
	ts.mustStatus(ts.do("ic", "POST", path("/api/v1/incidents/%d/systems/ad/checklist", id), `{"item": 1}`), 400)
	ts.mustStatus(ts.do("ic", "POST", path("/api/v1/incidents/%d/systems/nope/checklist", id), `{"item": "x", "done": true}`), 404)

	families, err := ts.metrics.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, mf := range families {
		if mf.GetName() != "phasegate_http_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			route, status := labels["route"], labels["status"]
			if route == "unmatched" {
				continue
			}
			op, ok := ops[route]
			if !ok {
				t.Errorf("route %s answered but is not documented", route)
				continue
			}
			seen++
			if _, ok := op.Responses[status]; !ok {
				var doc []string
				for s := range op.Responses {
					doc = append(doc, s)
				}
				sort.Strings(doc)
				t.Errorf("%s answered %s, which api/openapi.yaml does not document (it lists %s)", route, status, strings.Join(doc, ", "))
			}
		}
	}
	if seen < len(ts.srv.Routes()) {
		t.Errorf("only %d route/status pairs seen for %d routes", seen, len(ts.srv.Routes()))
	}
}
