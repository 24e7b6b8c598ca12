package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/incident"
)

// TestPermissionsFollowTheTable calls every action the service has as
// every role and checks allow/deny against incident.Permissions, and for
// the scoped system-owner also on a system outside its scope.
func TestPermissionsFollowTheTable(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		h.upload()
		roles := map[incident.Role]string{
			incident.RoleAdmin: "admin", incident.RoleIncidentCommander: "ic", incident.RoleRecoveryLead: "rl",
			incident.RoleSystemOwner: "owner", incident.RoleForensics: "forensics", incident.RoleComms: "comms",
			incident.RoleViewer: "viewer",
		}
		target, err := h.svc.BreakGlassAddUser(h.ctx, "target", testPassword, []incident.Grant{{Role: incident.RoleViewer}})
		h.must(err, "add target")
		n := 0
		// Each action gets a fresh incident (ready for the action) and
		// a call that would succeed, or fail for a reason other than
		// permission, when allowed. sys is the system acted on.
		type call func(a incident.Actor, in int64, sys string) error
		setup := func(sys string, prepare func(in int64)) func() int64 {
			return func() int64 {
				v := h.declare(incident.Declaration{RequiredApprovals: incident.MaxRequiredApprovals})
				if prepare != nil {
					prepare(v.ID)
				}
				return v.ID
			}
		}
		transition := func(to incident.State) call {
			return func(a incident.Actor, in int64, sys string) error {
				_, err := h.svc.Transition(h.ctx, a, in, sys, to, "perm test")
				return err
			}
		}
		var pending, update, readings int64
		statusPermDraft := incident.StatusDraft{Audiences: []string{"customers"}, Title: "perm test"}
		request := func(in int64, sys string) {
			if h.state(in, sys) != incident.StateCleared {
				h.clear(in, sys)
			}
			res, err := h.svc.Transition(h.ctx, h.as("rl2"), in, sys, incident.StateRestoring, "")
			h.must(err, "request")
			pending = res.Approval.ID
		}
		cases := []struct {
			action  incident.Action
			prepare func(in int64, sys string)
			do      call
		}{
			{incident.ActionView, nil, func(a incident.Actor, in int64, _ string) error {
				_, err := h.svc.Incident(h.ctx, a, in)
				return err
			}},
			{incident.ActionEstateUpload, nil, func(a incident.Actor, _ int64, _ string) error {
				_, err := h.svc.UploadEstate(h.ctx, a, estate.File{Name: "estate.yaml", Data: testEstate(t)})
				return err
			}},
			{incident.ActionIncidentDeclare, nil, func(a incident.Actor, _ int64, _ string) error {
				_, err := h.svc.DeclareIncident(h.ctx, a, incident.Declaration{Name: "x", Kind: "ransomware"})
				return err
			}},
			{incident.ActionIncidentUpdate, nil, func(a incident.Actor, in int64, _ string) error {
				name := "renamed"
				_, err := h.svc.UpdateIncident(h.ctx, a, in, incident.IncidentUpdate{Name: &name})
				return err
			}},
			{incident.ActionIsolate, nil, transition(incident.StateIsolated)},
			{incident.ActionIsolateBulk, nil, func(a incident.Actor, in int64, _ string) error {
				_, err := h.svc.Isolate(h.ctx, a, in, incident.Selector{All: true}, "perm test")
				return err
			}},
			{incident.ActionCompromise, nil, transition(incident.StateCompromised)},
			{incident.ActionInvestigate, func(in int64, sys string) { h.move("ic", in, sys, incident.StateIsolated) }, transition(incident.StateInvestigating)},
			{incident.ActionClear, func(in int64, sys string) {
				h.move("ic", in, sys, incident.StateIsolated)
				h.move("ic", in, sys, incident.StateInvestigating)
				h.tickAll(in, sys)
			}, transition(incident.StateCleared)},
			{incident.ActionRestore, func(in int64, sys string) { h.clear(in, sys) }, transition(incident.StateRestoring)},
			{incident.ActionVerify, nil, transition(incident.StateVerifying)},
			{incident.ActionOnline, nil, transition(incident.StateOnline)},
			{incident.ActionChecklistTick, func(in int64, sys string) { h.move("ic", in, sys, incident.StateIsolated) }, func(a incident.Actor, in int64, sys string) error {
				items, err := h.svc.Checklist(h.ctx, h.as("viewer"), in, sys)
				h.must(err, "checklist")
				_, err = h.svc.TickChecklist(h.ctx, a, in, sys, incident.Tick{Item: items[0].Key, Done: true})
				return err
			}},
			{incident.ActionApprovalDecide, request, func(a incident.Actor, _ int64, _ string) error {
				_, err := h.svc.Approve(h.ctx, a, pending, "perm test")
				return err
			}},
			{incident.ActionApprovalCancel, nil, func(a incident.Actor, in int64, sys string) error {
				ap, err := h.svc.Approval(h.ctx, h.as("viewer"), pending)
				h.must(err, "approval")
				if ap.Status != incident.ApprovalPending || ap.SystemID != sys || ap.IncidentID != in {
					request(in, sys)
				}
				_, err = h.svc.CancelApproval(h.ctx, a, pending, "perm test")
				return err
			}},
			// On an incident whose estate has backlogs (the others'
			// has none), made once.
			{incident.ActionBacklogRecord, nil, func(a incident.Actor, _ int64, _ string) error {
				if readings == 0 {
					v := h.uploadWithBacklogs()
					in, err := h.svc.DeclareIncident(h.ctx, h.as("ic"), incident.Declaration{Name: "readings", Kind: "ransomware", EstateVersion: v.Number})
					h.must(err, "declare on the estate with backlogs")
					readings = in.ID
				}
				_, err := h.svc.RecordBacklogReading(h.ctx, a, readings, incident.NewBacklogReading{Backlog: "invoices", Remaining: 100})
				if err != nil && phasegate.ErrorCode(err) != phasegate.EFORBIDDEN {
					t.Errorf("backlog.record as %s: %v, want it recorded or forbidden", a.Name, err)
				}
				return err
			}},
			{incident.ActionUsersManage, nil, func(a incident.Actor, _ int64, _ string) error {
				n++
				_, _, err := h.svc.CreateUser(h.ctx, a, incident.NewUser{Name: fmt.Sprintf("u%d", n), Password: testPassword,
					Grants: []incident.Grant{{Role: incident.RoleViewer}}})
				return err
			}},
			{incident.ActionTokensOwn, nil, func(a incident.Actor, _ int64, _ string) error {
				_, err := h.svc.CreateToken(h.ctx, a, incident.TokenRequest{Label: "own"})
				return err
			}},
			{incident.ActionTokensAll, nil, func(a incident.Actor, _ int64, _ string) error {
				_, err := h.svc.CreateToken(h.ctx, a, incident.TokenRequest{UserID: target.ID})
				return err
			}},
			{incident.ActionAuditExport, nil, func(a incident.Actor, _ int64, _ string) error {
				_, err := h.svc.VerifyAudit(h.ctx, a)
				return err
			}},
			{incident.ActionStatusDraft, nil, func(a incident.Actor, in int64, _ string) error {
				_, err := h.svc.DraftStatusUpdate(h.ctx, a, in, statusPermDraft)
				return err
			}},
			// Drafted (and approved) by ic2, who is no principal here, so
			// no caller is refused for having written it.
			{incident.ActionStatusApprove, func(in int64, _ string) {
				u, err := h.svc.DraftStatusUpdate(h.ctx, h.as("ic2"), in, statusPermDraft)
				h.must(err, "draft")
				update = u.ID
			}, func(a incident.Actor, _ int64, _ string) error {
				_, err := h.svc.ApproveStatusUpdate(h.ctx, a, update, incident.StatusApproval{})
				return err
			}},
			{incident.ActionStatusPublish, func(in int64, _ string) {
				u, err := h.svc.DraftStatusUpdate(h.ctx, h.as("comms"), in, statusPermDraft)
				h.must(err, "draft")
				_, err = h.svc.ApproveStatusUpdate(h.ctx, h.as("ic2"), u.ID, incident.StatusApproval{})
				h.must(err, "approve")
				update = u.ID
			}, func(a incident.Actor, _ int64, _ string) error {
				_, err := h.svc.PublishStatusUpdate(h.ctx, a, update)
				return err
			}},
		}
		tested := map[incident.Action]bool{}
		for _, c := range cases {
			tested[c.action] = true
			perm := incident.FindPermission(c.action)
			if perm == nil {
				t.Fatalf("action %s is not in the table", c.action)
			}
			// vault is in the owner's scope (team apps); ad is not.
			for _, sys := range []string{"vault", "ad"} {
				var prep func(int64)
				if c.prepare != nil {
					prep = func(in int64) { c.prepare(in, sys) }
				}
				in := setup(sys, prep)()
				for _, role := range incident.Roles {
					if sys == "ad" && role != incident.RoleSystemOwner {
						continue
					}
					err := c.do(h.as(roles[role]), in, sys)
					access := perm.Access[role]
					allowed := access == incident.Allowed || access == incident.Scoped && sys == "vault"
					forbidden := phasegate.ErrorCode(err) == phasegate.EFORBIDDEN
					if allowed == forbidden {
						t.Errorf("%s as %s on %s: allowed by the table = %v, got %v", c.action, role, sys, allowed, err)
					}
					if allowed && err != nil && phasegate.ErrorCode(err) == phasegate.EINTERNAL {
						t.Errorf("%s as %s: internal error %v", c.action, role, err)
					}
				}
			}
		}
		for _, p := range incident.Permissions {
			if !tested[p.Action] {
				t.Errorf("action %s has no permission test", p.Action)
			}
		}
		// Nobody (no actor) may do anything.
		_, err = h.svc.Incidents(h.ctx, incident.Actor{})
		wantCode(t, err, phasegate.EUNAUTHORIZED)
	})
}

// TestConcurrentWritersKeepTheChain has many goroutines write at once;
// the chain must have no gaps and verify.
func TestConcurrentWritersKeepTheChain(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		in := h.declare(incident.Declaration{TotalShutdown: true}) // isolated: ticks allowed
		items, err := h.svc.Checklist(h.ctx, h.as("viewer"), in.ID, "ad")
		h.must(err, "checklist")
		before := len(h.events(""))
		const workers, each = 8, 15
		var wg sync.WaitGroup
		errs := make(chan error, workers*each)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < each; i++ {
					it := items[(w+i)%len(items)]
					_, err := h.svc.TickChecklist(context.Background(), h.as("forensics"), in.ID, "ad",
						incident.Tick{Item: it.Key, Done: i%2 == 0, Note: fmt.Sprintf("w%d i%d", w, i)})
					if err != nil {
						errs <- err
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("concurrent tick: %v", err)
		}
		all := h.events("")
		if got, want := len(all)-before, workers*each; got != want {
			t.Fatalf("%d new events, want %d", got, want)
		}
		for i, e := range all {
			if e.Seq != int64(i+1) {
				t.Fatalf("event %d has seq %d: gap or duplicate", i+1, e.Seq)
			}
		}
		if rep := h.verify(); !rep.OK || rep.Events != int64(len(all)) {
			t.Fatalf("verify: %+v %+v", rep, rep.Problem)
		}
	})
}

// dropAppendOnly removes the triggers that refuse changes to events, as
// someone tampering with the database would.
func dropAppendOnly(t *testing.T, h *harness) {
	t.Helper()
	stmts := []string{`DROP TRIGGER events_no_update`, `DROP TRIGGER events_no_delete`}
	if h.db.Dialect() == "postgres" {
		stmts = []string{`DROP TRIGGER events_no_change ON events`}
	}
	for _, s := range stmts {
		if _, err := h.db.SQL().Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func TestTamperingIsNamed(t *testing.T) {
	type tamper struct {
		name      string
		sql       []string
		seq       int64
		check     string
		mentioned string
	}
	cases := []tamper{
		{"update payload", []string{`UPDATE events SET payload = '{"item":"forged"}' WHERE seq = 12`}, 12, "hash", "altered"},
		{"update actor", []string{`UPDATE events SET actor = 'mallory' WHERE seq = 7`}, 7, "hash", "altered"},
		{"delete", []string{`DELETE FROM events WHERE seq = 9`}, 10, "sequence", "missing"},
		{"swap", []string{
			`UPDATE events SET seq = -1 WHERE seq = 5`,
			`UPDATE events SET seq = 5 WHERE seq = 6`,
			`UPDATE events SET seq = 6 WHERE seq = -1`}, 5, "prev_hash", "does not link"},
		{"truncate tail", []string{`DELETE FROM events WHERE seq > 14`}, 15, "head", "removed"},
	}
	forEachStore(t, func(t *testing.T, h *harness) {
		in := h.declare(incident.Declaration{})
		h.clear(in.ID, "mail")
		h.clear(in.ID, "vault")
		n := len(h.events(""))
		if n < 16 {
			t.Fatalf("only %d events", n)
		}
		if rep := h.verify(); !rep.OK {
			t.Fatalf("untouched chain: %+v", rep.Problem)
		}
		// The append-only triggers refuse changes outright.
		if _, err := h.db.SQL().Exec(`UPDATE events SET actor = 'x' WHERE seq = 1`); err == nil {
			t.Fatal("an UPDATE of an event was not refused")
		}
		if _, err := h.db.SQL().Exec(`DELETE FROM events WHERE seq = 1`); err == nil {
			t.Fatal("a DELETE of an event was not refused")
		}
		dropAppendOnly(t, h)
		var export bytes.Buffer
		_, err := incident.ExportStore(h.ctx, h.db, &export, 0)
		h.must(err, "export")
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				tx, err := h.db.SQL().Begin()
				h.must(err, "begin")
				defer tx.Rollback()
				for _, s := range c.sql {
					if _, err := tx.Exec(s); err != nil {
						t.Fatalf("%s: %v", s, err)
					}
				}
				h.must(tx.Commit(), "commit")
				rep := h.verify()
				if rep.OK || rep.Problem == nil {
					t.Fatalf("tampering not detected: %+v", rep)
				}
				if rep.Problem.Seq != c.seq || rep.Problem.Check != c.check || !strings.Contains(rep.Problem.Message, c.mentioned) {
					t.Fatalf("problem %+v, want seq %d check %s mentioning %q", rep.Problem, c.seq, c.check, c.mentioned)
				}
				// Put the log back from the export for the next case.
				restore(t, h, export.Bytes())
				if rep := h.verify(); !rep.OK {
					t.Fatalf("restored chain: %+v", rep.Problem)
				}
			})
		}
	})
}

// restore rewrites the events table from an export.
func restore(t *testing.T, h *harness, export []byte) {
	t.Helper()
	tx, err := h.db.SQL().Begin()
	h.must(err, "begin")
	defer tx.Rollback()
	if _, err := tx.Exec(`DELETE FROM events`); err != nil {
		t.Fatal(err)
	}
	q := `INSERT INTO events (seq, at, actor, type, incident_id, subject, payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
	if h.db.Dialect() == "postgres" {
		q = `INSERT INTO events (seq, at, actor, type, incident_id, subject, payload, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`
	}
	for _, line := range bytes.Split(bytes.TrimSpace(export), []byte("\n")) {
		var e incident.Event
		h.must(json.Unmarshal(line, &e), "decode")
		if _, err := tx.Exec(q, e.Seq, incident.FormatTime(e.At), e.Actor, e.Type, e.IncidentID, e.Subject, string(e.Payload), e.PrevHash, e.Hash); err != nil {
			t.Fatal(err)
		}
	}
	h.must(tx.Commit(), "commit")
}

func TestExportRoundTrip(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		in := h.declare(incident.Declaration{})
		h.clear(in.ID, "vault")
		var buf bytes.Buffer
		n, err := h.svc.ExportAudit(h.ctx, h.as("forensics"), &buf, 0)
		h.must(err, "export")
		all := h.events("")
		if n != int64(len(all)) || all[len(all)-1].Type != incident.EventAuditExported {
			t.Fatalf("exported %d of %d events; last %s", n, len(all), all[len(all)-1].Type)
		}
		lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
		for i, line := range lines {
			var e incident.Event
			h.must(json.Unmarshal(line, &e), "decode line")
			if e.Seq != all[i].Seq || !e.At.Equal(all[i].At) || e.Hash != all[i].Hash || string(e.Payload) != string(all[i].Payload) {
				t.Fatalf("line %d differs from the log:\n%s\n%+v", i+1, line, all[i])
			}
		}
		rep, err := incident.VerifyExport(bytes.NewReader(buf.Bytes()))
		h.must(err, "verify export")
		if !rep.OK || rep.Events != n {
			t.Fatalf("export does not verify: %+v", rep)
		}
		// An edited export is caught too.
		forged := bytes.Replace(buf.Bytes(), []byte(`"actor":"forensics"`), []byte(`"actor":"mallory"`), 1)
		rep, err = incident.VerifyExport(bytes.NewReader(forged))
		h.must(err, "verify forged")
		if rep.OK || rep.Problem.Check != "hash" {
			t.Fatalf("forged export: %+v", rep)
		}
		_, err = h.svc.ExportAudit(h.ctx, h.as("viewer"), &buf, 0)
		wantCode(t, err, phasegate.EFORBIDDEN)
		// The rest of the log after what one has: the new events,
		// including the record of this export, which names where it began.
		var tail bytes.Buffer
		last := all[len(all)-1].Seq
		n, err = h.svc.ExportAudit(h.ctx, h.as("forensics"), &tail, last)
		h.must(err, "export after")
		lines = bytes.Split(bytes.TrimSpace(tail.Bytes()), []byte("\n"))
		var rec incident.Event
		h.must(json.Unmarshal(lines[len(lines)-1], &rec), "decode the record")
		if n != 1 || rec.Seq != last+1 || rec.Type != incident.EventAuditExported || !bytes.Contains(rec.Payload, []byte(fmt.Sprintf(`"after_seq":%d`, last))) {
			t.Fatalf("export after %d: %d events, last %+v", last, n, rec)
		}
		_, err = h.svc.ExportAudit(h.ctx, h.as("forensics"), &tail, -1)
		wantCode(t, err, phasegate.EINVALID)
	})
}

func TestMigrationsAcrossReopen(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			c := newClock()
			db, reopen := b.open(t, c)
			ctx := context.Background()
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			v1, err := db.SchemaVersion(ctx)
			if err != nil || v1 < 2 {
				t.Fatalf("schema version %d, %v", v1, err)
			}
			must(db.Update(ctx, func(tx incident.Tx) error {
				_, err := tx.AppendEvent(incident.Event{Actor: "t", Type: "test", Payload: json.RawMessage(`{}`)})
				return err
			}))
			db.Close()
			for i := 0; i < 2; i++ {
				db, err = reopen()
				must(err)
				v, err := db.SchemaVersion(ctx)
				if err != nil || v != v1 {
					t.Fatalf("reopen %d: schema version %d (%v), want %d", i, v, err, v1)
				}
				var rows int
				must(db.SQL().QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&rows))
				if rows != v1 {
					t.Fatalf("%d migration records, want %d", rows, v1)
				}
				seq, _, err := viewHead(db)
				if err != nil || seq != 1 {
					t.Fatalf("chain head %d after reopen (%v)", seq, err)
				}
				db.Close()
			}
			// A schema from a newer binary is refused.
			db, err = reopen()
			must(err)
			_, err = db.SQL().Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, '0999_future.sql', 'x')`)
			must(err)
			db.Close()
			db, err = reopen()
			if err == nil {
				db.Close()
			}
			if err == nil || !strings.Contains(err.Error(), "newer phasegate") {
				t.Fatalf("opening a newer schema: %v", err)
			}
		})
	}
}

func TestLoginThrottleAndLockout(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		s := h.svc.Settings()
		c := incident.Client{Address: "192.0.2.7"}
		res, err := h.svc.Login(h.ctx, "rl", testPassword, c)
		h.must(err, "login")
		a, err := h.svc.SessionActor(h.ctx, res.SessionSecret, c.Address)
		h.must(err, "session")
		if a.Name != "rl" || !a.Has(incident.RoleRecoveryLead) || a.ViaToken {
			t.Fatalf("session actor %+v", a)
		}
		// Failures slow the next attempt down.
		_, err = h.svc.Login(h.ctx, "rl", "wrong password!", c)
		pe := wantCode(t, err, phasegate.EUNAUTHORIZED)
		if ra, ok := pe.Details.(incident.RetryAfter); !ok || ra.Seconds < 1 {
			t.Fatalf("failure details %#v", pe.Details)
		}
		_, err = h.svc.Login(h.ctx, "rl", testPassword, c)
		pe = wantCode(t, err, phasegate.ETOOMANY)
		if ra := pe.Details.(incident.RetryAfter); ra.Locked || ra.Seconds < 1 {
			t.Fatalf("throttle details %+v", ra)
		}
		for i := 1; i < s.MaxFailures; i++ {
			h.clock.Advance(s.MaxLoginDelay)
			_, err = h.svc.Login(h.ctx, "rl", "wrong password!", c)
			wantCode(t, err, phasegate.EUNAUTHORIZED)
		}
		h.clock.Advance(s.MaxLoginDelay)
		_, err = h.svc.Login(h.ctx, "rl", testPassword, c)
		pe = wantCode(t, err, phasegate.ETOOMANY)
		if ra := pe.Details.(incident.RetryAfter); !ra.Locked {
			t.Fatalf("not locked out after %d failures: %+v", s.MaxFailures, ra)
		}
		if locks := h.events(incident.EventLockedOut); len(locks) != 1 || locks[0].Subject != "user:rl" {
			t.Fatalf("lockout events %+v", locks)
		}
		if n := len(h.events(incident.EventLoginFailed)); n != s.MaxFailures {
			t.Fatalf("%d login failure events, want %d", n, s.MaxFailures)
		}
		// Another user from another address is not affected.
		_, err = h.svc.Login(h.ctx, "ic", testPassword, incident.Client{Address: "198.51.100.1"})
		h.must(err, "other user")
		h.clock.Advance(s.Lockout)
		_, err = h.svc.Login(h.ctx, "rl", testPassword, c)
		h.must(err, "login after lockout")
		// Unknown users fail the same way.
		_, err = h.svc.Login(h.ctx, "nobody", testPassword, incident.Client{Address: "203.0.113.9"})
		wantCode(t, err, phasegate.EUNAUTHORIZED)
		// One's own sessions, this one first; ending the others keeps it
		// and is recorded; a session left idle is no longer listed.
		other, err := h.svc.Login(h.ctx, "rl", testPassword, incident.Client{Address: "192.0.2.8"})
		h.must(err, "second login")
		h.clock.Advance(2 * time.Minute)
		a, err = h.svc.SessionActor(h.ctx, res.SessionSecret, c.Address)
		h.must(err, "session")
		mine, err := h.svc.MySessions(h.ctx, a)
		h.must(err, "my sessions")
		// (Three: the login after the lockout above is still live.)
		if len(mine) != 3 || !mine[0].Current || mine[1].Current || mine[2].Current || !mine[0].LastSeenAt.After(mine[1].LastSeenAt) ||
			!slices.ContainsFunc(mine, func(v incident.SessionView) bool { return v.Address == "192.0.2.8" }) {
			t.Fatalf("my sessions %+v", mine)
		}
		if n, err := h.svc.EndOtherSessions(h.ctx, a); err != nil || n != 2 {
			t.Fatalf("end the others: %d %v", n, err)
		}
		_, err = h.svc.SessionActor(h.ctx, other.SessionSecret, "")
		wantCode(t, err, phasegate.EUNAUTHORIZED)
		if ev := h.events(incident.EventLogoutOthers); len(ev) != 1 || ev[0].Actor != "rl" {
			t.Fatalf("logout_others events %+v", ev)
		}
		h.clock.Advance(s.SessionIdle)
		if mine, err = h.svc.MySessions(h.ctx, a); err != nil || len(mine) != 0 {
			t.Fatalf("sessions after being left idle: %+v %v", mine, err)
		}
		res, err = h.svc.Login(h.ctx, "rl", testPassword, c)
		h.must(err, "login again")
		// Logout ends the session; idle sessions end too.
		h.must(h.svc.Logout(h.ctx, res.SessionSecret), "logout")
		_, err = h.svc.SessionActor(h.ctx, res.SessionSecret, "")
		wantCode(t, err, phasegate.EUNAUTHORIZED)
		res, err = h.svc.Login(h.ctx, "ic", testPassword, c)
		h.must(err, "login")
		h.clock.Advance(s.SessionIdle)
		_, err = h.svc.SessionActor(h.ctx, res.SessionSecret, "")
		wantCode(t, err, phasegate.EUNAUTHORIZED)
	})
}

func TestTokens(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		multi, err := h.svc.BreakGlassAddUser(h.ctx, "multi", testPassword, []incident.Grant{
			{Role: incident.RoleViewer}, {Role: incident.RoleSystemOwner, Systems: []string{"erp"}}})
		h.must(err, "add user")
		_, err = h.svc.BreakGlassCreateToken(h.ctx, "multi", "", "")
		wantCode(t, err, phasegate.EINVALID) // several roles: say which
		_, err = h.svc.BreakGlassCreateToken(h.ctx, "multi", incident.RoleAdmin, "")
		wantCode(t, err, phasegate.EINVALID) // not held
		nt, err := h.svc.BreakGlassCreateToken(h.ctx, "multi", incident.RoleSystemOwner, "ci")
		h.must(err, "token")
		if !strings.HasPrefix(nt.Secret, incident.TokenPrefix) || nt.Token.Hash == nt.Secret || nt.Token.Hash != incident.HashSecret(nt.Secret) {
			t.Fatalf("token %+v", nt)
		}
		a, err := h.svc.TokenActor(h.ctx, nt.Secret, "")
		h.must(err, "token actor")
		if !a.ViaToken || len(a.Grants) != 1 || a.Grants[0].Role != incident.RoleSystemOwner || a.Grants[0].Systems[0] != "erp" {
			t.Fatalf("token actor %+v", a)
		}
		toks, err := h.svc.Tokens(h.ctx, a, 0)
		h.must(err, "tokens")
		if len(toks) != 1 || toks[0].LastUsedAt.IsZero() {
			t.Fatalf("tokens %+v: last use not recorded", toks)
		}
		// Removing the role disables the token.
		_, _, err = h.svc.SetGrants(h.ctx, h.as("admin"), multi.ID, []incident.Grant{{Role: incident.RoleViewer}}, "")
		h.must(err, "set grants")
		_, err = h.svc.TokenActor(h.ctx, nt.Secret, "")
		wantCode(t, err, phasegate.EUNAUTHORIZED)
		// Revocation.
		own, err := h.svc.CreateToken(h.ctx, h.as("viewer"), incident.TokenRequest{Label: "laptop"})
		h.must(err, "own token")
		// Someone else's token reads exactly as one that does not exist,
		// so the answer does not tell which ids are live.
		_, errOther := h.svc.RevokeToken(h.ctx, h.as("comms"), own.Token.ID)
		wantCode(t, errOther, phasegate.ENOTFOUND)
		_, errNone := h.svc.RevokeToken(h.ctx, h.as("comms"), own.Token.ID+1000)
		wantCode(t, errNone, phasegate.ENOTFOUND)
		if a, b := strings.ReplaceAll(errOther.Error(), fmt.Sprint(own.Token.ID), "N"), strings.ReplaceAll(errNone.Error(), fmt.Sprint(own.Token.ID+1000), "N"); a != b {
			t.Fatalf("another's token answers %q, a missing one %q", errOther, errNone)
		}
		_, err = h.svc.RevokeToken(h.ctx, h.as("viewer"), own.Token.ID)
		h.must(err, "revoke")
		_, err = h.svc.TokenActor(h.ctx, own.Secret, "")
		wantCode(t, err, phasegate.EUNAUTHORIZED)
		_, err = h.svc.TokenActor(h.ctx, "pgt_forged", "")
		wantCode(t, err, phasegate.EUNAUTHORIZED)
		// The last admin cannot be removed.
		_, _, err = h.svc.SetGrants(h.ctx, h.as("admin"), h.as("admin").UserID, []incident.Grant{{Role: incident.RoleViewer}}, "")
		wantCode(t, err, phasegate.ECONFLICT)
		// Bootstrap does nothing once users exist.
		name, pw, err := h.svc.Bootstrap(h.ctx)
		if err != nil || name != "" || pw != "" {
			t.Fatalf("bootstrap on a populated store: %q %q %v", name, pw, err)
		}
	})
}

func TestBootstrapOnEmptyStore(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			c := newClock()
			db, _ := b.open(t, c)
			svc := incident.New(incident.Config{Store: db, Clock: c.Now, Settings: incident.Settings{Password: fastPasswords}})
			name, pw, err := svc.Bootstrap(context.Background())
			if err != nil || name != "admin" || len(pw) < 20 {
				t.Fatalf("bootstrap: %q %q %v", name, pw, err)
			}
			res, err := svc.Login(context.Background(), name, pw, incident.Client{})
			if err != nil || !res.Actor.Has(incident.RoleAdmin) {
				t.Fatalf("login as the bootstrap admin: %v", err)
			}
		})
	}
}

func viewHead(db interface {
	View(context.Context, func(incident.Tx) error) error
}) (int64, string, error) {
	var seq int64
	var hash string
	err := db.View(context.Background(), func(tx incident.Tx) (err error) {
		seq, hash, err = tx.ChainHead()
		return err
	})
	return seq, hash, err
}
