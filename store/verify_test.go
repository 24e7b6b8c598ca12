package store_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/incident"
	"github.com/phasegate/phasegate/internal/healthtest"
	"github.com/phasegate/phasegate/probe"
)

// moveDuring is a prober that, the first time it runs, moves the system
// back to restoring before the checks answer: a run the system outlived.
type moveDuring struct {
	inner *probe.Prober
	once  atomic.Bool
	move  func()
}

func (m *moveDuring) Probe(ctx context.Context, c estate.Check) incident.CheckResult {
	if m.move != nil && m.once.CompareAndSwap(false, true) {
		m.move()
	}
	return m.inner.Probe(ctx, c)
}

// TestVerifyChecksGateOnline: a system with checks goes online only after
// a run of them, made while it was verifying, passed; a failed run says
// which check failed and what it found; a run the system outlived does not
// count; a two-person system's approval checks it again.
func TestVerifyChecksGateOnline(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		srv := healthtest.New(t)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		h.must(err, "listen")
		defer ln.Close()
		doc := fmt.Sprintf(`version: 1
organization: Verify Ltd
currency: GBP
teams:
  - {id: infra, capacity: 2}
systems:
  - id: net
    kind: network
    team: infra
    restore: 4h
    verify:
      - {http: "%s/health", contains: OK}
      - {tcp: "%s"}
  - id: vault
    kind: infrastructure
    team: infra
    criticality: 1
    restore: 2h
    verify: [{http: "%s/health"}]
  - {id: mail, kind: saas, team: infra, restore: 2h}
`, srv.URL, ln.Addr(), srv.URL)
		_, err = h.svc.UploadEstate(h.ctx, h.as("admin"), estate.File{Name: "verify.yaml", Data: []byte(doc)})
		h.must(err, "upload")
		in, err := h.svc.DeclareIncident(h.ctx, h.as("ic"), incident.Declaration{Name: "verify", Kind: "ransomware"})
		h.must(err, "declare")
		mover := &moveDuring{inner: probe.New(nil)}
		svc := incident.New(incident.Config{Store: h.db, Clock: h.clock.Now, Prober: mover,
			Settings: incident.Settings{Password: fastPasswords, PlanSchedules: 20}})
		verify := func(user, sys string) (*incident.CheckRun, error) {
			return svc.VerifySystem(h.ctx, h.as(user), in.ID, sys)
		}
		online := func(sys string) error {
			_, err := h.svc.Transition(h.ctx, h.as("rl"), in.ID, sys, incident.StateOnline, "checked")
			return err
		}
		// moveApproved makes a move, with rl2's approval where it waits.
		moveApproved := func(sys string, to incident.State) {
			t.Helper()
			res, err := h.svc.Transition(h.ctx, h.as("rl"), in.ID, sys, to, "test")
			h.must(err, "move "+sys)
			if !res.Done {
				_, err := h.svc.Approve(h.ctx, h.as("rl2"), res.Approval.ID, "ok")
				h.must(err, "approve "+sys)
			}
		}
		for _, sys := range []string{"net", "vault", "mail"} {
			h.clear(in.ID, sys)
			moveApproved(sys, incident.StateRestoring)
		}
		_, err = verify("rl", "net")
		wantCode(t, err, phasegate.ECONFLICT) // restoring: nothing to verify yet
		h.move("rl", in.ID, "net", incident.StateVerifying)

		// No run yet.
		if e := wantCode(t, online("net"), phasegate.ECONFLICT); e != nil && !strings.Contains(strings.Join(e.Reasons, " "), "not run since it entered verifying") {
			t.Errorf("online without a run: %+v", e.Reasons)
		}
		_, err = verify("viewer", "net")
		wantCode(t, err, phasegate.EFORBIDDEN)
		_, err = svc.VerifySystem(h.ctx, h.as("owner"), in.ID, "net") // system-owner of apps, not infra
		wantCode(t, err, phasegate.EFORBIDDEN)

		// The live plan says why it is not back yet.
		planNote := func() string {
			t.Helper()
			p, err := h.svc.LivePlan(h.ctx, h.as("viewer"), in.ID)
			h.must(err, "live plan")
			for _, sp := range p.Systems {
				if sp.ID == "net" {
					return sp.WaitingOn
				}
			}
			t.Fatal("net is not in the live plan")
			return ""
		}
		if note := planNote(); !strings.Contains(note, "not run yet") {
			t.Errorf("plan says of net %q", note)
		}

		// The system answers 503: the run fails, and says so.
		run, err := verify("rl", "net")
		h.must(err, "verify")
		if note := planNote(); !strings.Contains(note, "failed at") || !strings.Contains(note, "HTTP 503") {
			t.Errorf("plan says of net after a failed run %q", note)
		}
		if run.Passed || !run.Counts || len(run.Results) != 2 || run.Results[0].OK || !run.Results[1].OK {
			t.Fatalf("run while down: %+v", run)
		}
		e := wantCode(t, online("net"), phasegate.ECONFLICT)
		if e != nil && (len(e.Reasons) != 1 || !strings.Contains(e.Reasons[0], "HTTP 503") || !strings.Contains(e.Reasons[0], "/health")) {
			t.Errorf("online after a failed run: %+v", e.Reasons)
		}

		// A run the system outlives does not count.
		srv.Set(true)
		mover.move = func() { h.move("rl", in.ID, "net", incident.StateRestoring) }
		run, err = verify("rl", "net")
		h.must(err, "verify while moving")
		if !run.Passed || run.Counts {
			t.Fatalf("run the system outlived: %+v", run)
		}
		h.move("rl", in.ID, "net", incident.StateVerifying)
		wantCode(t, online("net"), phasegate.ECONFLICT) // entering verifying again forgot the failed run too

		run, err = verify("rl", "net")
		h.must(err, "verify when up")
		if !run.Passed || !run.Counts {
			t.Fatalf("run when up: %+v", run)
		}
		d, err := h.svc.System(h.ctx, h.as("viewer"), in.ID, "net")
		h.must(err, "system")
		if d.LastCheck == nil || d.LastCheck.Seq != run.Seq || len(d.Verify) != 2 {
			t.Fatalf("system detail: verify %+v last %+v", d.Verify, d.LastCheck)
		}
		h.must(online("net"), "online after the checks passed")
		run, err = verify("rl", "net")
		h.must(err, "verify online")
		if run.Counts {
			t.Error("a run while online counts for a later restore")
		}

		// The two-person system: the request needs a passed run, and the
		// approval checks again (the run is forgotten when it re-enters
		// verifying).
		h.move("rl", in.ID, "vault", incident.StateVerifying)
		srv.Set(false)
		_, err = verify("rl", "vault")
		h.must(err, "verify vault")
		wantCode(t, online("vault"), phasegate.ECONFLICT)
		srv.Set(true)
		_, err = verify("rl", "vault")
		h.must(err, "verify vault again")
		res, err := h.svc.Transition(h.ctx, h.as("rl"), in.ID, "vault", incident.StateOnline, "checked")
		h.must(err, "ask to put vault online")
		if res.Done || res.Approval == nil {
			t.Fatalf("vault went online without a second person: %+v", res)
		}
		// The system moves back and forth before the second person
		// decides: the request is cancelled with the move, and a new one
		// needs a new passed run.
		h.move("rl2", in.ID, "vault", incident.StateRestoring)
		h.move("rl2", in.ID, "vault", incident.StateVerifying)
		if _, err := h.svc.Approve(h.ctx, h.as("rl2"), res.Approval.ID, "fine"); err == nil {
			t.Fatal("an approval asked before the system went back to restoring still applied")
		}
		wantCode(t, online("vault"), phasegate.ECONFLICT)
		// A passed run, a request, then the system falls over and a new
		// run fails before the second person decides: the approval is
		// refused with what failed.
		_, err = verify("rl", "vault")
		h.must(err, "verify vault once more")
		res, err = h.svc.Transition(h.ctx, h.as("rl"), in.ID, "vault", incident.StateOnline, "checked")
		h.must(err, "ask again")
		srv.Set(false)
		_, err = verify("rl", "vault")
		h.must(err, "verify vault while down")
		_, err = h.svc.Approve(h.ctx, h.as("rl2"), res.Approval.ID, "looks fine to me")
		if e := wantCode(t, err, phasegate.ECONFLICT); e != nil && !strings.Contains(strings.Join(e.Reasons, " "), "HTTP 503") {
			t.Errorf("approval over a failed run: %+v", e)
		}
		srv.Set(true)
		_, err = verify("rl", "vault")
		h.must(err, "verify vault when back")
		d2, err := h.svc.Approve(h.ctx, h.as("rl2"), res.Approval.ID, "checks pass again")
		h.must(err, "approve after the checks pass")
		if !d2.Done || h.state(in.ID, "vault") != incident.StateOnline {
			t.Fatalf("vault: %+v, state %s", d2, h.state(in.ID, "vault"))
		}

		// No checks: verified by hand, as before; verify says there is nothing to run.
		h.move("rl", in.ID, "mail", incident.StateVerifying)
		_, err = verify("rl", "mail")
		wantCode(t, err, phasegate.ECONFLICT)
		h.must(online("mail"), "a system without checks")

		runs := h.events(incident.EventSystemChecked)
		if len(runs) != 9 || !strings.Contains(string(runs[0].Payload), `"passed":false`) || !strings.Contains(string(runs[0].Payload), "HTTP 503") {
			t.Fatalf("%d system.verified events; first %s", len(runs), runs[0].Payload)
		}
		if rep := h.verify(); !rep.OK {
			t.Fatalf("chain: %+v", rep.Problem)
		}
	})
}

// TestRemovingAVerifyCheckWaitsForASecondPerson: a new estate version that
// drops or loosens a system's check takes evidence away and is pending,
// also when the version it is compared with is read from the store (a
// fresh service, nothing cached); adding a check or changing a timeout
// is not.
func TestRemovingAVerifyCheckWaitsForASecondPerson(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		doc := func(checks string) estate.File {
			return estate.File{Name: "e.yaml", Data: []byte(`version: 1
organization: Gate Ltd
currency: GBP
teams:
  - {id: infra, capacity: 1}
systems:
  - {id: gw, kind: network, team: infra, restore: 1h, verify: [` + checks + `]}
`)}
		}
		_, err := h.svc.UploadEstate(h.ctx, h.as("admin"), doc(`{http: "https://gw.example/health", contains: UP}, {tcp: "gw.example:443"}`))
		h.must(err, "v1")
		fresh := incident.New(incident.Config{Store: h.db, Clock: h.clock.Now, Settings: incident.Settings{Password: fastPasswords}})
		v2, err := fresh.UploadEstate(h.ctx, h.as("ic"), doc(`{http: "https://gw.example/health", contains: UP, timeout_seconds: 20}, {tcp: "gw.example:443"}, {tcp: "gw.example:22"}`))
		h.must(err, "v2")
		if v2.Pending() {
			t.Fatalf("a longer timeout and one more check weaken: %+v", v2.Weakens)
		}
		fresh = incident.New(incident.Config{Store: h.db, Clock: h.clock.Now, Settings: incident.Settings{Password: fastPasswords}})
		v3, err := fresh.UploadEstate(h.ctx, h.as("ic"), doc(`{http: "https://gw.example/health"}, {tcp: "gw.example:22"}`))
		h.must(err, "v3")
		if !v3.Pending() || len(v3.Weakens) != 2 {
			t.Fatalf("v3 weakens %+v, want the contains check and the 443 check", v3.Weakens)
		}
		got := v3.Weakens[0].String() + " | " + v3.Weakens[1].String()
		for _, want := range []string{`GET https://gw.example/health → 200 containing "UP"`, "TCP gw.example:443 opens"} {
			if !strings.Contains(got, want) {
				t.Errorf("weakens %q lacks %q", got, want)
			}
		}
	})
}

// TestVerifyAllRunsEveryVerifyingSystem: the checks of every verifying
// system with checks run at once, each recorded; systems without checks
// are listed as verified by hand; one not yet verifying is left alone; a
// system owner (scoped) and a viewer may not run them all.
func TestVerifyAllRunsEveryVerifyingSystem(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		up, down := healthtest.New(t), healthtest.New(t)
		up.Set(true)
		doc := fmt.Sprintf(`version: 1
organization: Verify Ltd
currency: GBP
teams:
  - {id: infra, capacity: 4}
systems:
  - {id: a, kind: network, team: infra, restore: 1h, verify: [{http: "%s/health"}]}
  - {id: b, kind: network, team: infra, restore: 1h, verify: [{http: "%s/health"}]}
  - {id: c, kind: network, team: infra, restore: 1h, verify: [{http: "%s/health"}]}
  - {id: box, kind: application, team: infra, restore: 1h}
`, up.URL, down.URL, up.URL)
		_, err := h.svc.UploadEstate(h.ctx, h.as("admin"), estate.File{Name: "all.yaml", Data: []byte(doc)})
		h.must(err, "upload")
		in, err := h.svc.DeclareIncident(h.ctx, h.as("ic"), incident.Declaration{Name: "all", Kind: "ransomware"})
		h.must(err, "declare")
		for _, sys := range []string{"a", "b", "c", "box"} {
			h.clear(in.ID, sys)
			h.move("rl", in.ID, sys, incident.StateRestoring)
			if sys != "c" {
				h.move("rl", in.ID, sys, incident.StateVerifying)
			}
		}
		svc := incident.New(incident.Config{Store: h.db, Clock: h.clock.Now, Prober: probe.New(nil),
			Settings: incident.Settings{Password: fastPasswords, PlanSchedules: 20}})
		for _, who := range []string{"viewer", "owner"} {
			_, err := svc.VerifyAll(h.ctx, h.as(who), in.ID)
			wantCode(t, err, phasegate.EFORBIDDEN)
		}
		res, err := svc.VerifyAll(h.ctx, h.as("rl"), in.ID)
		h.must(err, "verify all")
		got := map[string]bool{}
		for _, r := range res.Runs {
			got[r.SystemID] = r.Passed
		}
		if len(res.Runs) != 2 || !got["a"] || got["b"] || res.Passed != 1 || res.Failed != 1 ||
			len(res.ByHand) != 1 || res.ByHand[0] != "box" {
			t.Fatalf("verify all: %+v", res)
		}
		h.must(func() error {
			_, err := h.svc.Transition(h.ctx, h.as("rl"), in.ID, "a", incident.StateOnline, "checks pass")
			return err
		}(), "a online")
		if n := len(h.events(incident.EventSystemChecked)); n != 2 {
			t.Errorf("%d runs recorded, want 2", n)
		}
	})
}
