package main

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/phasegate/phasegate/incident"
)

// TestTokenCommandsOverTheAPI: a user makes, lists and revokes their own
// tokens over the API; the new token is printed once, alone, and works
// until it is revoked. The help tells the client commands from the
// break-glass create.
func TestTokenCommandsOverTheAPI(t *testing.T) {
	toks, as, _ := clientServer(t, "vic=viewer")
	vic := toks["vic"]
	if code, _, errb := as(vic, "token", "new"); code != exitUsage || !strings.Contains(errb, "--label") {
		t.Errorf("token new without a label: %d %s", code, errb)
	}
	if code, _, errb := as(vic, "token", "new", "--label", "x", "--expires", "yesterday"); code != exitUsage || !strings.Contains(errb, "--expires") {
		t.Errorf("token new --expires yesterday: %d %s", code, errb)
	}
	if code, _, errb := as(vic, "token", "new", "--label", "x", "--role", "admin"); code != exitFailure || !strings.Contains(errb, "role") {
		t.Errorf("token new with a role vic lacks: %d %s", code, errb)
	}
	code, out, errb := as(vic, "token", "new", "--label", "nightly export", "--expires", "30d")
	if code != 0 || !strings.HasPrefix(out, incident.TokenPrefix) || strings.Count(out, "\n") != 1 ||
		!regexp.MustCompile(`Created token \d+ "nightly export" acting as viewer; it expires `).MatchString(errb) {
		t.Fatalf("token new: %d %q %s", code, out, errb)
	}
	nightly := strings.TrimSpace(out)
	code, out, _ = as(nightly, "token", "list")
	if code != 0 || !strings.Contains(out, "nightly export") || strings.Count(out, "\n") != 3 {
		t.Errorf("token list with the new token: %d %s", code, out)
	}
	code, out, _ = as(vic, "token", "list", "--format", "json")
	var list struct {
		Tokens []incident.Token `json:"tokens"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list.Tokens) != 2 {
		t.Fatalf("token list --format json: %d %s", code, out)
	}
	var id string
	for _, tk := range list.Tokens {
		if tk.Label == "nightly export" {
			id = strconv.FormatInt(tk.ID, 10)
		}
	}
	if code, out, errb = as(vic, "token", "revoke", id); code != 0 || out != "Revoked token "+id+" \"nightly export\": it no longer works.\n" {
		t.Errorf("token revoke: %d %q %s", code, out, errb)
	}
	if code, _, errb = as(nightly, "token", "list"); code != exitFailure || !strings.Contains(errb, "not valid") {
		t.Errorf("a revoked token still works: %d %s", code, errb)
	}
	if code, out, _ = as(vic, "token", "list"); code != 0 || !strings.Contains(out, "revoked ") {
		t.Errorf("token list after revoking: %d %s", code, out)
	}
	if code, _, errb = as(vic, "token", "revoke", id); code != exitFailure || !strings.Contains(errb, "already revoked") {
		t.Errorf("revoking twice: %d %s", code, errb)
	}
	if code, _, errb = as(vic, "token", "revoke", "nightly"); code != exitUsage || !strings.Contains(errb, "not an id") {
		t.Errorf("token revoke with a name: %d %s", code, errb)
	}
	code, out, _ = pg(t, "", "help", "token")
	if code != 0 || !strings.Contains(out, "phasegate token new --label TEXT") || !strings.Contains(out, "create is break-glass") {
		t.Errorf("help token: %d %s", code, out)
	}
}
