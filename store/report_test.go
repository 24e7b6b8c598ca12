package store_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/incident"
)

// TestIncidentReport runs a recovery with every kind of decision the
// report must show, then checks the report against what was done: the
// bulk isolation and a compromise, both clearances of a system with the
// evidence of each, the approvals with their approvers, the published
// update, the account created meanwhile, the service back and its cost,
// and the record that carries the report's digest.
func TestIncidentReport(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		_, err := h.svc.UploadEstate(h.ctx, h.as("admin"), estate.File{Name: "estate.yaml", Data: statusEstate(h.t)})
		h.must(err, "upload the status estate")
		id := h.declare(incident.Declaration{}).ID
		_, err = h.svc.Isolate(h.ctx, h.as("forensics"), id, incident.Selector{All: true}, "pull the plug")
		h.must(err, "isolate all")
		h.clock.Advance(6 * time.Hour)
		h.clear(id, "vault")
		firstClear := h.events(incident.EventChecklistTicked)
		h.move("forensics", id, "vault", incident.StateCompromised)
		h.move("forensics", id, "vault", incident.StateIsolated)
		h.clock.Advance(2 * time.Hour)
		h.clear(id, "vault")
		h.bringOnline(id, "vault")
		h.clock.Advance(time.Hour)
		h.clear(id, "mail")
		h.bringOnline(id, "mail") // email is back
		up := h.publishUpdate(id, supplierDraft())
		_, _, err = h.svc.CreateUser(h.ctx, h.as("admin"), incident.NewUser{Name: "contractor", Password: testPassword,
			Grants: []incident.Grant{{Role: incident.RoleViewer}}})
		h.must(err, "create user")
		h.clock.Advance(time.Hour)

		_, err = h.svc.Report(h.ctx, h.as("viewer"), id)
		wantCode(t, err, phasegate.EFORBIDDEN)
		before := h.events("")
		r, err := h.svc.Report(h.ctx, h.as("ic"), id)
		h.must(err, "report")

		// On the record: the report read the log to its head, verified it,
		// and its own event comes next with its digest.
		last := before[len(before)-1]
		if r.ThroughSeq != last.Seq || !r.Chain.OK || r.Chain.LastSeq != last.Seq || r.Chain.LastHash != last.Hash {
			t.Fatalf("through %d, chain %+v; the log ends at %d", r.ThroughSeq, r.Chain, last.Seq)
		}
		recs := h.events(incident.EventAuditReported)
		if len(recs) != 1 || r.Record == nil || recs[0].Seq != r.Record.Seq || recs[0].Hash != r.Record.Hash || recs[0].Actor != "ic" {
			t.Fatalf("record %+v, events %+v", r.Record, recs)
		}
		digest, err := incident.ReportDigest(r)
		h.must(err, "digest")
		var rec struct {
			Digest  string `json:"digest"`
			Through int64  `json:"through_seq"`
		}
		h.must(json.Unmarshal(recs[0].Payload, &rec), "record payload")
		if digest != r.Record.Digest || rec.Digest != digest || rec.Through != r.ThroughSeq || !strings.HasPrefix(digest, "sha256:") {
			t.Fatalf("digest %s, record %s, event %+v", digest, r.Record.Digest, rec)
		}
		// The JSON handed over gives the same digest; a changed word does not.
		doc, err := json.Marshal(r)
		h.must(err, "encode")
		var back incident.Report
		h.must(json.Unmarshal(doc, &back), "decode")
		if d, _ := incident.ReportDigest(&back); d != digest {
			t.Fatalf("the report's JSON gives digest %s, recorded %s", d, digest)
		}
		back.Containment[0].Reason = "routine maintenance"
		if d, _ := incident.ReportDigest(&back); d == digest {
			t.Fatal("an altered report has the recorded digest")
		}

		// Checked against an export of the log, as whoever receives it
		// would: the JSON as served passes; a changed word fails, and so
		// does an export made before the report.
		var export bytes.Buffer
		_, err = incident.ExportStore(h.ctx, h.db, &export, 0)
		h.must(err, "export")
		c, err := incident.CheckReport(doc, bytes.NewReader(export.Bytes()))
		h.must(err, "check")
		if !c.OK() || !c.Recorded || !c.DigestOK || c.Digest != digest || c.Chain == nil || !c.Chain.OK {
			t.Fatalf("check of the report as made: %+v", c)
		}
		altered := bytes.Replace(doc, []byte("pull the plug"), []byte("routine maintenance"), 1)
		c, err = incident.CheckReport(altered, bytes.NewReader(export.Bytes()))
		h.must(err, "check altered")
		if c.OK() || c.DigestOK || c.Recorded || len(c.Problems) != 2 {
			t.Fatalf("check of an altered report: %+v", c)
		}
		var partial bytes.Buffer
		_, err = incident.ExportStore(h.ctx, h.db, &partial, 5)
		h.must(err, "partial export")
		c, err = incident.CheckReport(doc, &partial)
		h.must(err, "check against a partial export")
		if c.OK() || !strings.Contains(strings.Join(c.Problems, " "), "starts at event 6") {
			t.Fatalf("check against an export made with --after 5: %+v", c.Problems)
		}
		cut := export.Bytes()[:bytes.LastIndexByte(bytes.TrimSpace(export.Bytes()), '\n')+1]
		c, err = incident.CheckReport(doc, bytes.NewReader(cut))
		h.must(err, "check against an older export")
		if c.OK() || c.Recorded || !strings.Contains(strings.Join(c.Problems, " "), "no event") {
			t.Fatalf("check against an export without the report's event: %+v", c)
		}

		// Containment: the bulk isolation, the compromise, and vault
		// contained again after it.
		if len(r.Containment) != 3 || r.Containment[2].To != incident.StateIsolated {
			t.Fatalf("containment %+v", r.Containment)
		}
		bulk, comp := r.Containment[0], r.Containment[1]
		if bulk.Selector != "all" || bulk.By != "forensics" || bulk.Reason != "pull the plug" || bulk.To != incident.StateIsolated {
			t.Errorf("bulk isolation %+v", bulk)
		}
		if comp.To != incident.StateCompromised || !slices.Equal(comp.Systems, []string{"vault"}) {
			t.Errorf("compromise %+v", comp)
		}
		// Clearances: vault twice, each on its own ticks; mail once.
		var vault []incident.ReportClearance
		for _, c := range r.Clearances {
			if c.System == "vault" {
				vault = append(vault, c)
			}
		}
		if len(vault) != 2 || len(r.Clearances) != 3 || vault[0].Name != "Secrets vault" {
			t.Fatalf("clearances %+v", r.Clearances)
		}
		items, err := h.svc.Checklist(h.ctx, h.as("viewer"), id, "vault")
		h.must(err, "checklist")
		for i, c := range vault {
			if len(c.Items) != len(items) {
				t.Fatalf("clearance %d of vault shows %d items, the checklist has %d", i, len(c.Items), len(items))
			}
			for _, it := range c.Items {
				if it.By != "forensics" || it.Evidence != "case-1/"+it.Item || it.Text == "" || it.Seq > c.Seq {
					t.Errorf("clearance %d item %+v", i, it)
				}
			}
		}
		// The second clearance rests on the ticks made after the
		// compromise, not on the first ones.
		if vault[1].Items[0].Seq <= firstClear[len(firstClear)-1].Seq {
			t.Errorf("the second clearance shows a tick from before the compromise: %+v", vault[1].Items[0])
		}
		// Approvals: vault's restore and online, each by rl2.
		if r.Summary.ApprovalsGranted != 2 || len(r.Approvals) != 2 {
			t.Fatalf("approvals %+v, summary %+v", r.Approvals, r.Summary)
		}
		for _, ap := range r.Approvals {
			if ap.SystemID != "vault" || len(ap.Decisions) != 1 || ap.Decisions[0].UserName != "rl2" || ap.RequestedBy != "rl" {
				t.Errorf("approval %+v", ap)
			}
		}
		// The system's history carries who approved its restart.
		var vs *incident.ReportSystem
		for i := range r.Systems {
			if r.Systems[i].ID == "vault" {
				vs = &r.Systems[i]
			}
		}
		if vs == nil || vs.State != incident.StateOnline || !vs.TwoPerson {
			t.Fatalf("vault's history %+v", vs)
		}
		lastStep := vs.Steps[len(vs.Steps)-1]
		if lastStep.To != incident.StateOnline || !slices.Equal(lastStep.ApprovedBy, []string{"rl2"}) || lastStep.Approval == 0 {
			t.Errorf("vault's last step %+v", lastStep)
		}
		// The update, and the account created while the incident ran.
		if len(r.Updates) != 1 || r.Updates[0].ID != up.ID || r.Updates[0].PublishedBy != "comms" || r.Updates[0].ApprovedBy != "ic" {
			t.Errorf("updates %+v", r.Updates)
		}
		if !slices.ContainsFunc(r.Access.Events, func(e incident.Event) bool {
			return e.Type == incident.EventUserCreated && e.Subject == "user:contractor"
		}) {
			t.Errorf("the account created during the incident is not in the report: %+v", r.Access.Events)
		}
		// Services: email back with its downtime, build still down with an
		// ETA, and what it cost.
		if len(r.Services) != 2 {
			t.Fatalf("services %+v", r.Services)
		}
		email, build := r.Services[1], r.Services[0]
		if !email.Back || email.BackAt.IsZero() || email.DownHours <= 0 || build.Back || build.ETA.IsZero() {
			t.Errorf("services %+v", r.Services)
		}
		if r.Summary.ServicesBack != 1 || r.Summary.Restarts != 2 || r.Summary.Clearances != 3 || r.Summary.UpdatesPublished != 1 {
			t.Errorf("summary %+v", r.Summary)
		}
		if r.Impact == nil || r.Impact.Total.SoFar.Total <= 0 || r.Impact.Total.Deterministic.Total < r.Impact.Total.SoFar.Total {
			t.Errorf("impact %+v", r.Impact)
		}

		// A later report lists the earlier one, and names an altered event.
		dropAppendOnly(t, h)
		if _, err := h.db.SQL().Exec(`UPDATE events SET actor = 'mallory' WHERE seq = ?`, bulkSeq(r)); err != nil {
			if _, err := h.db.SQL().Exec(`UPDATE events SET actor = 'mallory' WHERE seq = $1`, bulkSeq(r)); err != nil {
				t.Fatalf("tamper: %v", err)
			}
		}
		r2, err := h.svc.Report(h.ctx, h.as("forensics"), id)
		h.must(err, "second report")
		if r2.Chain.OK || r2.Chain.Problem == nil || r2.Chain.Problem.Seq != bulkSeq(r) {
			t.Fatalf("the second report's chain %+v; event %d was altered", r2.Chain, bulkSeq(r))
		}
		if !slices.ContainsFunc(r2.Access.Events, func(e incident.Event) bool { return e.Seq == r.Record.Seq }) {
			t.Errorf("the second report does not list the first")
		}

		// A request cancelled by someone else, then the close: who, why.
		h.clear(id, "ad")
		res, err := h.svc.Transition(h.ctx, h.as("rl"), id, "ad", incident.StateRestoring, "rebuild")
		h.must(err, "request ad")
		_, err = h.svc.CancelApproval(h.ctx, h.as("ic"), res.Approval.ID, "wrong backup")
		h.must(err, "cancel")
		_, err = h.svc.CloseIncident(h.ctx, h.as("ic"), id, "handed to business as usual")
		h.must(err, "close")
		r3, err := h.svc.Report(h.ctx, h.as("ic"), id)
		h.must(err, "third report")
		if r3.Closed == nil || r3.Closed.Reason != "handed to business as usual" || r3.Closed.By != "ic" || r3.Closed.NotBack == 0 {
			t.Errorf("closed %+v", r3.Closed)
		}
		i := slices.IndexFunc(r3.Approvals, func(a incident.ReportApproval) bool { return a.ID == res.Approval.ID })
		if i < 0 || r3.Approvals[i].Status != incident.ApprovalCancelled || r3.Approvals[i].ClosedBy != "ic" || r3.Approvals[i].ClosedSeq == 0 {
			t.Errorf("the cancelled request %+v", r3.Approvals)
		}
	})
}

func bulkSeq(r *incident.Report) int64 { return r.Containment[0].Seq }

// BenchmarkReport measures the incident report over a log of some
// thousands of events: one pass that verifies the chain and reads the
// incident's events, the live plan, and the event that records it.
func BenchmarkReport(b *testing.B) {
	for _, be := range backends() {
		b.Run(be.name, func(b *testing.B) {
			h := newHarness(b, be)
			in := h.declare(incident.Declaration{TotalShutdown: true})
			for i := range 5000 {
				h.svc.TickChecklist(h.ctx, h.as("forensics"), in.ID, "ad", incident.Tick{Item: "ioc-sweep", Done: i%2 == 0, Evidence: "x"})
			}
			n := len(h.events(""))
			b.ResetTimer()
			for b.Loop() {
				r, err := h.svc.Report(h.ctx, h.as("ic"), in.ID)
				if err != nil || !r.Chain.OK {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n), "events")
		})
	}
}
