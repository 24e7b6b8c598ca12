package main

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/phasegate/phasegate/incident"
)

// TestAccountRolesAndEnableWaitForASecondAdmin: with two admins, giving
// roles and enabling an account wait for the other admin, and say so;
// taking a role away acts at once. account list shows where each stands.
func TestAccountRolesAndEnableWaitForASecondAdmin(t *testing.T) {
	toks, as, _ := clientServer(t, "ada=admin", "bob=admin", "vic=viewer")
	ada, bob := toks["ada"], toks["bob"]
	code, out, errb := as(ada, "account", "list")
	if code != 0 || !regexp.MustCompile(`vic\s+viewer\s+enabled`).MatchString(out) || !strings.Contains(out, "bob") {
		t.Fatalf("account list: %d %s %s", code, out, errb)
	}
	if code, _, errb = as(toks["vic"], "account", "list"); code != exitFailure || errb == "" {
		t.Errorf("account list by a viewer: %d %s", code, errb)
	}
	if code, _, errb = as(ada, "account", "roles", "vic"); code != exitUsage || !strings.Contains(errb, "--role") {
		t.Errorf("account roles without --role: %d %s", code, errb)
	}
	if code, _, errb = as(ada, "account", "roles", "vic", "--role", "wizard"); code != exitUsage || !strings.Contains(errb, "wizard") {
		t.Errorf("account roles with an unknown role: %d %s", code, errb)
	}
	code, out, errb = as(ada, "account", "roles", "vic", "--role", "viewer", "--role", "recovery-lead", "--reason", "IR firm, ticket 4711")
	m := regexp.MustCompile(`Account request (\d+) waits for a second admin`).FindStringSubmatch(out)
	if code != 0 || m == nil || !strings.Contains(out, "Until then vic keeps the roles viewer") {
		t.Fatalf("account roles under dual control: %d %s %s", code, out, errb)
	}
	if code, out, errb = as(bob, "account", "approve", m[1]); code != 0 || !strings.Contains(out, "is approved") {
		t.Fatalf("account approve: %d %s %s", code, out, errb)
	}
	if code, out, _ = as(bob, "account", "list"); code != 0 || !regexp.MustCompile(`vic\s+viewer, recovery-lead\s+enabled`).MatchString(out) {
		t.Errorf("account list after the roles: %d %s", code, out)
	}
	// Taking a role away acts at once.
	if code, out, errb = as(ada, "account", "roles", "vic", "--role", "viewer"); code != 0 || out != "vic now has the roles viewer.\n" {
		t.Errorf("account roles taking one away: %d %q %s", code, out, errb)
	}
	// Enabling waits; it is refused for an account that is not disabled.
	if code, _, errb = as(ada, "account", "enable", "vic"); code != exitFailure || !strings.Contains(errb, "vic is not disabled") {
		t.Errorf("account enable of an enabled account: %d %s", code, errb)
	}
	if code, _, errb = as(ada, "account", "disable", "vic", "--reason", "laptop stolen"); code != 0 {
		t.Fatalf("account disable: %d %s", code, errb)
	}
	code, out, errb = as(ada, "account", "enable", "vic", "--reason", "new laptop", "--format", "json")
	var waiting struct {
		Request *incident.AccountRequest `json:"request"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &waiting) != nil || waiting.Request == nil || waiting.Request.Kind != incident.ChangeUserEnable {
		t.Fatalf("account enable --format json: %d %s %s", code, out, errb)
	}
	if code, out, _ = as(bob, "account", "list"); code != 0 || !regexp.MustCompile(`vic\s+viewer\s+disabled`).MatchString(out) {
		t.Errorf("account list while enabling waits: %d %s", code, out)
	}
	if code, out, errb = as(bob, "account", "approve", strconv.FormatInt(waiting.Request.ID, 10)); code != 0 || !strings.Contains(out, "is approved") {
		t.Fatalf("account approve (enable): %d %s %s", code, out, errb)
	}
	if code, out, _ = as(bob, "account", "list"); code != 0 || !regexp.MustCompile(`vic\s+viewer\s+enabled`).MatchString(out) {
		t.Errorf("account list after enabling: %d %s", code, out)
	}
}
