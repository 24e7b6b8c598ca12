package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/incident"
)

// requestTypes are the bodies the API decodes.
func requestTypes() []func() any {
	return []func() any{
		func() any { return &TransitionRequest{} },
		func() any { return &IsolateRequest{} },
		func() any { return &incident.Tick{} },
		func() any { return &incident.Declaration{} },
		func() any { return &incidentPatch{} },
		func() any { return &createUserRequest{} },
		func() any { return &incident.TokenRequest{} },
		func() any { return &noteRequest{} },
		func() any { return &loginRequest{} },
		func() any { return &rolesRequest{} },
		func() any { return &passwordRequest{} },
		func() any { return &disabledRequest{} },
	}
}

// checkDecodeError holds every decode failure to the same contract: a
// 400 (or 413) EINVALID with a sentence.
func checkDecodeError(t *testing.T, data []byte, err error) {
	var br *badRequest
	if !errors.As(err, &br) || br.status != http.StatusBadRequest {
		t.Fatalf("decoding %q: %v (%T), want a 400 badRequest", data, err, err)
	}
	if phasegate.ErrorCode(err) != phasegate.EINVALID || phasegate.ErrorMessage(err) == "" {
		t.Fatalf("decoding %q: code %q message %q", data, phasegate.ErrorCode(err), phasegate.ErrorMessage(err))
	}
}

// FuzzDecodeRequest feeds arbitrary bytes to every request decoder: it
// must never panic, must fail with a 400 that says why, and what it
// accepts must survive a round trip through JSON unchanged.
func FuzzDecodeRequest(f *testing.F) {
	for _, s := range []string{
		`{"to": "cleared", "reason": "every item done"}`,
		`{"selector": {"all": true}, "reason": "shutdown"}`,
		`{"selector": {"kind": "identity", "team": "infra", "systems": ["ad"]}, "reason": "x"}`,
		`{"item": "forensic-image", "done": true, "note": "n", "evidence": "E-1"}`,
		`{"name": "x", "kind": "ransomware", "started_at": "2025-09-01T06:30:00Z", "total_shutdown": true}`,
		`{"name": null, "estate_version": 2}`,
		`{"name": "bob", "roles": [{"role": "system-owner", "teams": ["apps"]}]}`,
		`{"user_id": 3, "role": "viewer", "expires_at": "2030-01-01T00:00:00Z"}`,
		`{"password": "a long new password", "current_password": "the old one", "reason": "rotation"}`,
		`{"disabled": true, "reason": "phone stolen"}`,
		`{"roles": [{"role": "recovery-lead"}], "reason": "IR firm, ticket 4711"}`,
		`{"to": "x", "reason": "y", "to": "z"}`,
		`{"to": "\ud800", "reason": ""}`,
		`{"started_at": "yesterday"}`,
		`{} {}`, `[]`, `null`, `"x"`, ``, `{"a":`, "\xff\xfe",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, mk := range requestTypes() {
			dst := mk()
			err := decodeBytes(data, dst)
			if err != nil {
				checkDecodeError(t, data, err)
				continue
			}
			again, err := json.Marshal(dst)
			if err != nil {
				t.Fatalf("decoded %q into %T but cannot encode it: %v", data, dst, err)
			}
			back := mk()
			if err := decodeBytes(again, back); err != nil {
				t.Fatalf("%T: re-encoded %s does not decode: %v", dst, again, err)
			}
			if !reflect.DeepEqual(normalize(t, dst), normalize(t, back)) {
				t.Fatalf("%T: %q decoded to %+v, its round trip to %+v", dst, data, dst, back)
			}
			// The checks after decoding never panic and refuse with 400.
			switch v := dst.(type) {
			case *TransitionRequest:
				if err := v.check(); err != nil {
					checkDecodeError(t, data, err)
				}
			case *IsolateRequest:
				if err := v.check(); err != nil {
					checkDecodeError(t, data, err)
				} else if v.Selector.Validate() != nil {
					t.Fatalf("%q: check passed a selector Validate refuses", data)
				}
			case *incident.Tick:
				if err := checkTick(v); err != nil {
					checkDecodeError(t, data, err)
				}
			}
		}
	})
}

// normalize compares decoded values through their JSON, so that nil and
// empty slices, and times' monotonic parts, do not count as differences.
func normalize(t *testing.T, v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// FuzzIsolateSelector fuzzes the selector of a bulk isolation field by
// field: whatever is accepted selects something definite.
func FuzzIsolateSelector(f *testing.F) {
	f.Add(true, "", "", "", "ad", "why")
	f.Add(false, "identity", "core", "infra", "", "why")
	f.Add(false, "", "", "", "", "why")
	f.Add(false, "not-a-kind", "", "", "", "why")
	f.Add(true, "identity", "", "", "", "")
	f.Fuzz(func(t *testing.T, all bool, kind, tag, team, sys, reason string) {
		sel := map[string]any{"all": all, "kind": kind, "tag": tag, "team": team}
		if sys != "" {
			sel["systems"] = []string{sys}
		}
		body, _ := json.Marshal(map[string]any{"selector": sel, "reason": reason})
		var req IsolateRequest
		if err := decodeBytes(body, &req); err != nil {
			checkDecodeError(t, body, err)
			return
		}
		if err := req.check(); err != nil {
			checkDecodeError(t, body, err)
			return
		}
		if req.Reason == "" {
			t.Fatalf("%s: accepted without a reason", body)
		}
		s := *req.Selector
		if s.All && (s.Kind != "" || s.Tag != "" || s.Team != "" || len(s.Systems) > 0) {
			t.Fatalf("%s: accepted all together with a filter", body)
		}
		if !s.All && s.Kind == "" && s.Tag == "" && s.Team == "" && len(s.Systems) == 0 {
			t.Fatalf("%s: accepted a selector that selects nothing definite", body)
		}
	})
}

// FuzzUploadName checks that no file name of an upload leaves it.
func FuzzUploadName(f *testing.F) {
	for _, s := range []string{"estate.yaml", "plants/north.yaml", "../etc/passwd", "/abs", `..\x`, "a/../../b", ".", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		n, err := cleanUploadName(name)
		if err != nil {
			checkDecodeError(t, []byte(name), err)
			return
		}
		if n == "" || n == "." || n[0] == '/' || n == ".." || len(n) >= 3 && n[:3] == "../" {
			t.Fatalf("cleanUploadName(%q) = %q leaves the upload", name, n)
		}
	})
}

// FuzzFormGrants feeds arbitrary roles and scopes to the accounts page's
// reading of its role fields: never a panic; what it accepts is valid,
// holds each role once, in the permission table's order, and carries a
// scope only on the system-owner role.
func FuzzFormGrants(f *testing.F) {
	f.Add("recovery-lead", "", "", "")
	f.Add("system-owner", "viewer", "apps, infra", "erp")
	f.Add("viewer", "", "apps", "")
	f.Add("admin", "admin", " , ,", "")
	f.Add("nobody", "", "", "")
	f.Add("", "", "", "")
	f.Fuzz(func(t *testing.T, r1, r2, teams, systems string) {
		gs, err := formGrants([]string{r1, r2}, teams, systems)
		if err != nil {
			if phasegate.ErrorMessage(err) == "" {
				t.Fatalf("refusal without a sentence: %v", err)
			}
			return
		}
		if len(gs) == 0 {
			t.Fatal("accepted no role")
		}
		if err := incident.ValidateGrants(gs); err != nil {
			t.Fatalf("accepted invalid grants %+v: %v", gs, err)
		}
		for i, g := range gs {
			if i > 0 && slices.Index(incident.Roles, gs[i-1].Role) >= slices.Index(incident.Roles, g.Role) {
				t.Fatalf("roles repeated or out of order: %+v", gs)
			}
			if g.Role != incident.RoleSystemOwner && (len(g.Teams) > 0 || len(g.Systems) > 0) {
				t.Fatalf("a scope on %s: %+v", g.Role, g)
			}
			for _, x := range append(slices.Clone(g.Teams), g.Systems...) {
				if x == "" || strings.TrimSpace(x) != x || strings.Contains(x, ",") {
					t.Fatalf("scope entry %q not trimmed or split", x)
				}
			}
		}
	})
}
