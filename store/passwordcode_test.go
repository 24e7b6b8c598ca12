package store_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/incident"
)

// TestPasswordCodes: a code sets a password once, for the name it was
// issued for, before it expires; a newer code voids an older one, a
// disabled account cannot use one, a password set another way voids it,
// and of two people redeeming the same code at once exactly one wins.
func TestPasswordCodes(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		admin := h.as("admin")
		c := incident.Client{Address: "192.0.2.9"}
		redeem := func(name, code, pw string) error {
			h.clock.Advance(time.Minute) // past any slow-down a failure caused
			return h.svc.RedeemPasswordCode(h.ctx, name, code, pw, c)
		}
		login := func(name, pw string) error {
			h.clock.Advance(time.Minute)
			_, err := h.svc.Login(h.ctx, name, pw, c)
			return err
		}
		u, req, err := h.svc.CreateUser(h.ctx, admin, incident.NewUser{Name: "nell", Grants: []incident.Grant{{Role: incident.RoleForensics}}})
		if err != nil || req != nil || u.PasswordCode == nil {
			t.Fatalf("create: %v %+v %+v", err, u, req)
		}
		first := u.PasswordCode
		if !first.ExpiresAt.Equal(h.clock.Now().Add(24 * time.Hour)) {
			t.Errorf("code expires %s, want 24 h after %s", first.ExpiresAt, h.clock.Now())
		}
		// No password works before the code is used, not even an empty one.
		wantCode(t, login("nell", ""), phasegate.EUNAUTHORIZED)
		// A newer code voids the older.
		second, _, err := h.svc.ResetPassword(h.ctx, admin, u.ID, "the first one was sent to the wrong address")
		h.must(err, "second code")
		wantCode(t, redeem("nell", first.Code, "nell's passphrase"), phasegate.EUNAUTHORIZED)
		// The code is read as a person types it: lower case, spaces for
		// dashes, O for 0 and l for 1.
		typed := strings.ToLower(strings.ReplaceAll(second.Code, "-", " "))
		typed = strings.ReplaceAll(strings.ReplaceAll(typed, "0", "o"), "1", "l")
		// Issued for nell, not for someone else.
		wantCode(t, redeem("rl", second.Code, "nell's passphrase"), phasegate.EUNAUTHORIZED)
		wantCode(t, redeem("nell", second.Code, "short"), phasegate.EINVALID)
		h.must(redeem("nell", " "+typed+" ", "nell's passphrase"), "redeem "+typed)
		h.must(login("nell", "nell's passphrase"), "login")
		wantCode(t, redeem("nell", second.Code, "another passphrase"), phasegate.EUNAUTHORIZED) // used up
		h.must(login("nell", "nell's passphrase"), "the used code changed nothing")

		// Expiry.
		third, _, err := h.svc.ResetPassword(h.ctx, admin, u.ID, "")
		h.must(err, "third code")
		h.clock.Advance(24 * time.Hour)
		wantCode(t, redeem("nell", third.Code, "nell's next passphrase"), phasegate.EUNAUTHORIZED)
		users, err := h.svc.Users(h.ctx, admin)
		h.must(err, "users")
		for _, us := range users {
			if us.Name == "nell" && (!us.NoPassword || !us.CodeExpiresAt.Equal(third.ExpiresAt)) {
				t.Errorf("nell listed with no_password %v, code until %s; want true, %s", us.NoPassword, us.CodeExpiresAt, third.ExpiresAt)
			}
		}

		// A disabled account cannot use its code.
		fourth, _, err := h.svc.ResetPassword(h.ctx, admin, u.ID, "")
		h.must(err, "fourth code")
		_, _, err = h.svc.SetDisabled(h.ctx, admin, u.ID, true, "left the firm")
		h.must(err, "disable")
		wantCode(t, redeem("nell", fourth.Code, "nell's next passphrase"), phasegate.EUNAUTHORIZED)
		// A password set by the (only) admin voids the waiting code.
		_, _, err = h.svc.SetDisabled(h.ctx, admin, u.ID, false, "back")
		h.must(err, "enable")
		_, err = h.svc.SetPassword(h.ctx, admin, u.ID, incident.PasswordChange{Password: "set by the one admin"})
		h.must(err, "set password")
		wantCode(t, redeem("nell", fourth.Code, "nell's next passphrase"), phasegate.EUNAUTHORIZED)
		// One's own password is changed with the current one, not a code.
		_, _, err = h.svc.ResetPassword(h.ctx, admin, admin.UserID, "")
		wantCode(t, err, phasegate.EINVALID)
		_, _, err = h.svc.ResetPassword(h.ctx, h.as("rl"), u.ID, "")
		wantCode(t, err, phasegate.EFORBIDDEN)

		// Two redemptions of one code at once: one sets the password.
		fifth, _, err := h.svc.ResetPassword(h.ctx, admin, u.ID, "")
		h.must(err, "fifth code")
		h.clock.Advance(time.Hour)
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() {
				errs[i] = h.svc.RedeemPasswordCode(h.ctx, "nell", fifth.Code, "racing passphrase "+string(rune('a'+i)), incident.Client{Address: "198.51.100.1"})
			})
		}
		wg.Wait()
		won := -1
		for i, err := range errs {
			if err == nil {
				if won >= 0 {
					t.Fatalf("two redemptions of one code succeeded: %d and %d", won, i)
				}
				won = i
			} else if c := phasegate.ErrorCode(err); c != phasegate.ECONFLICT && c != phasegate.EUNAUTHORIZED && c != phasegate.ETOOMANY {
				t.Errorf("redemption %d: %v", i, err)
			}
		}
		if won < 0 {
			t.Fatalf("no redemption succeeded: %v", errs)
		}
		h.must(login("nell", "racing passphrase "+string(rune('a'+won))), "the winner's password")

		used := 0
		for _, e := range h.events("") {
			for _, code := range []string{first.Code, second.Code, third.Code, fourth.Code, fifth.Code} {
				if strings.Contains(string(e.Payload), code) || strings.Contains(string(e.Payload), strings.ReplaceAll(code, "-", "")) {
					t.Fatalf("a code leaks into %s: %s", e.Type, e.Payload)
				}
			}
			if e.Type == incident.EventPasswordCodeUsed {
				used++
				if e.Actor != "nell" || !strings.Contains(string(e.Payload), `"issued_by":"admin"`) {
					t.Errorf("code used: actor %s payload %s", e.Actor, e.Payload)
				}
			}
		}
		if used != 2 {
			t.Errorf("%d codes used, want 2", used)
		}
		if rep := h.verify(); !rep.OK {
			t.Fatalf("chain: %+v", rep.Problem)
		}
	})
}

// TestSealKeyIsSharedByTheInstances: instances sharing a store that ask
// for a key at the same moment get the same one, and keep getting it.
func TestSealKeyIsSharedByTheInstances(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		other, err := h.reopen()
		h.must(err, "second connection")
		defer other.Close()
		b := incident.New(incident.Config{Store: other, Clock: h.clock.Now, Settings: incident.Settings{Password: fastPasswords}})
		var wg sync.WaitGroup
		keys := make([][]byte, 6)
		for i := range keys {
			svc := h.svc
			if i%2 == 1 {
				svc = b
			}
			wg.Go(func() {
				k, err := svc.SealKey(h.ctx, "test.key")
				if err != nil {
					t.Error(err)
				}
				keys[i] = k
			})
		}
		wg.Wait()
		for i := range keys {
			if len(keys[i]) != 32 || string(keys[i]) != string(keys[0]) {
				t.Fatalf("key %d differs: %x vs %x", i, keys[i], keys[0])
			}
		}
		again, err := b.SealKey(h.ctx, "test.key")
		h.must(err, "again")
		other2, err := h.svc.SealKey(h.ctx, "another.key")
		h.must(err, "another")
		if string(again) != string(keys[0]) || string(other2) == string(keys[0]) {
			t.Fatal("a key changed, or two names share one")
		}
	})
}
