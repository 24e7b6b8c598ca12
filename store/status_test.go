package store_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/incident"
)

// statusEstate is the test estate with audiences on its services: build
// concerns colleagues and suppliers, email colleagues and "partners" (an
// audience only this estate names).
func statusEstate(t testing.TB) []byte {
	t.Helper()
	s := string(testEstate(t))
	for old, aud := range map[string]string{
		"revenue_per_day: 1000000}": "revenue_per_day: 1000000, audiences: [colleagues, suppliers]}",
		"cost_per_day: 1000}":       "cost_per_day: 1000, audiences: [colleagues, partners]}",
	} {
		if !strings.Contains(s, old) {
			t.Fatalf("testdata/estate.yaml no longer has %q: adapt statusEstate", old)
		}
		s = strings.Replace(s, old, aud, 1)
	}
	return []byte(s)
}

// statusIncident uploads the status estate and declares an incident on it.
func (h *harness) statusIncident() int64 {
	h.t.Helper()
	_, err := h.svc.UploadEstate(h.ctx, h.as("admin"), estate.File{Name: "estate.yaml", Data: statusEstate(h.t)})
	h.must(err, "upload the status estate")
	return h.declare(incident.Declaration{TotalShutdown: true}).ID
}

func supplierDraft() incident.StatusDraft {
	return incident.StatusDraft{
		Audiences: []string{"suppliers"},
		Title:     "Supplier payments resume",
		Body:      "Critical suppliers are paid first.\n\n- invoices are **not** lost\n- call us if in doubt",
		Services:  []incident.ServiceLine{{Service: "build", State: incident.ServiceDown, ETA: time.Date(2025, 9, 24, 15, 30, 0, 0, time.UTC)}},
	}
}

func (h *harness) draft(user string, in int64, d incident.StatusDraft) *incident.StatusUpdate {
	h.t.Helper()
	u, err := h.svc.DraftStatusUpdate(h.ctx, h.as(user), in, d)
	h.must(err, "draft")
	return u
}

// publishUpdate drafts as comms, approves as ic and publishes as comms.
func (h *harness) publishUpdate(in int64, d incident.StatusDraft) *incident.StatusUpdate {
	h.t.Helper()
	u := h.draft("comms", in, d)
	_, err := h.svc.ApproveStatusUpdate(h.ctx, h.as("ic"), u.ID, incident.StatusApproval{Revision: u.Revision})
	h.must(err, "approve")
	u, err = h.svc.PublishStatusUpdate(h.ctx, h.as("comms"), u.ID)
	h.must(err, "publish")
	return u
}

func TestStatusUpdateStoreRoundTrip(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		in := h.declare(incident.Declaration{})
		at := h.clock.Now()
		u := &incident.StatusUpdate{IncidentID: in.ID, Status: incident.UpdateApproved, Revision: 3,
			Audiences: []string{"suppliers", "regulators"}, Title: "T ‘quoted’ <b>", Body: "line 1\nline 2",
			Services: []incident.ServiceLine{{Service: "build", Name: "Build vehicles", State: incident.ServicePartial,
				ETA: at.Add(48 * time.Hour), Note: "plant 1 first"}},
			Corrects: 7, SupersededBy: 9, Author: "comms", AuthorID: 8,
			Contributors: []incident.Contributor{{ID: 8, Name: "comms"}, {ID: 0, Name: "demo"}},
			CreatedAt:    at, UpdatedAt: at.Add(time.Minute), ApprovedBy: "ic", ApprovedByID: 2, ApprovedAt: at.Add(2 * time.Minute),
			ApprovalNote: "ok", PublishedBy: "x", PublishedAt: at.Add(3 * time.Minute), ClosedBy: "y",
			ClosedAt: at.Add(4 * time.Minute), ClosedNote: "z", Seq: 42}
		h.must(h.db.Update(h.ctx, func(tx incident.Tx) error { return tx.InsertStatusUpdate(u) }), "insert")
		if u.ID != 1 {
			t.Fatalf("first id %d, want 1", u.ID)
		}
		read := func(id int64) *incident.StatusUpdate {
			t.Helper()
			var got *incident.StatusUpdate
			h.must(h.db.View(h.ctx, func(tx incident.Tx) (err error) { got, err = tx.StatusUpdate(id); return err }), "read")
			return got
		}
		if got := read(1); !reflect.DeepEqual(got, u) {
			t.Fatalf("read back:\n got %+v\nwant %+v", got, u)
		}
		// Every mutable field is stored; the rest is not touched.
		v := *u
		v.Status, v.Revision, v.Audiences, v.Title, v.Body, v.Services = incident.UpdateDraft, 4, []string{"colleagues"}, "new", "", []incident.ServiceLine{}
		v.Corrects, v.SupersededBy, v.Contributors = 0, 0, []incident.Contributor{{ID: 1, Name: "a"}}
		v.UpdatedAt, v.ApprovedBy, v.ApprovedByID, v.ApprovedAt, v.ApprovalNote = at.Add(time.Hour), "", 0, time.Time{}, ""
		v.PublishedBy, v.PublishedAt, v.ClosedBy, v.ClosedAt, v.ClosedNote, v.Seq = "", time.Time{}, "", time.Time{}, "", 43
		v.Author, v.AuthorID = "ignored", 99
		h.must(h.db.Update(h.ctx, func(tx incident.Tx) error { return tx.UpdateStatusUpdate(&v) }), "update")
		want := v
		want.Author, want.AuthorID = u.Author, u.AuthorID
		if got := read(1); !reflect.DeepEqual(got, &want) {
			t.Fatalf("after update:\n got %+v\nwant %+v", got, &want)
		}
		// Lists: newest first, by incident and by states.
		other := h.declare(incident.Declaration{Name: "other", Kind: "ransomware"})
		for i, st := range []incident.UpdateStatus{incident.UpdatePublished, incident.UpdateWithdrawn, incident.UpdatePublished} {
			inc := in.ID
			if i == 2 {
				inc = other.ID
			}
			x := &incident.StatusUpdate{IncidentID: inc, Status: st, Revision: 1, Audiences: []string{"suppliers"}, Title: "x",
				Author: "comms", CreatedAt: at, UpdatedAt: at}
			h.must(h.db.Update(h.ctx, func(tx incident.Tx) error { return tx.InsertStatusUpdate(x) }), "insert")
		}
		list := func(q incident.StatusUpdateQuery) []int64 {
			var ids []int64
			h.must(h.db.View(h.ctx, func(tx incident.Tx) error {
				us, err := tx.StatusUpdates(q)
				for _, u := range us {
					ids = append(ids, u.ID)
					if u.Services == nil || u.Contributors == nil || u.Audiences == nil {
						t.Errorf("update %d: a nil list after reading: %+v", u.ID, u)
					}
				}
				return err
			}), "list")
			return ids
		}
		for _, c := range []struct {
			q    incident.StatusUpdateQuery
			want []int64
		}{
			{incident.StatusUpdateQuery{}, []int64{4, 3, 2, 1}},
			{incident.StatusUpdateQuery{IncidentID: in.ID}, []int64{3, 2, 1}},
			{incident.StatusUpdateQuery{Statuses: []incident.UpdateStatus{incident.UpdatePublished}}, []int64{4, 2}},
			{incident.StatusUpdateQuery{IncidentID: in.ID, Statuses: []incident.UpdateStatus{incident.UpdatePublished, incident.UpdateDraft}}, []int64{2, 1}},
			{incident.StatusUpdateQuery{IncidentID: 99}, nil},
		} {
			if got := list(c.q); !slices.Equal(got, c.want) {
				t.Errorf("StatusUpdates(%+v) = %v, want %v", c.q, got, c.want)
			}
		}
		err := h.db.View(h.ctx, func(tx incident.Tx) error { _, err := tx.StatusUpdate(99); return err })
		wantCode(t, err, phasegate.ENOTFOUND)
		err = h.db.Update(h.ctx, func(tx incident.Tx) error { return tx.UpdateStatusUpdate(&incident.StatusUpdate{ID: 99}) })
		wantCode(t, err, phasegate.ENOTFOUND)
		// A status update belongs to an incident that exists.
		err = h.db.Update(h.ctx, func(tx incident.Tx) error {
			return tx.InsertStatusUpdate(&incident.StatusUpdate{IncidentID: 999, Status: incident.UpdateDraft})
		})
		if err == nil {
			t.Fatal("an update of incident 999 was stored")
		}
	})
}

func TestStatusUpdateTwoPersonRule(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		in := h.statusIncident()
		u := h.draft("comms", in, supplierDraft())
		if u.Status != incident.UpdateDraft || u.Revision != 1 || u.Services[0].Name != "Build vehicles" {
			t.Fatalf("drafted %+v", u)
		}
		// The author cannot approve, reject or (before approval) publish.
		_, err := h.svc.ApproveStatusUpdate(h.ctx, h.as("comms"), u.ID, incident.StatusApproval{})
		if pe := wantCode(t, err, phasegate.EFORBIDDEN); !strings.Contains(pe.Message, "second person") {
			t.Errorf("self-approval refused with %q; say a second person approves", pe.Message)
		}
		_, err = h.svc.RejectStatusUpdate(h.ctx, h.as("comms"), u.ID, "no")
		wantCode(t, err, phasegate.EFORBIDDEN)
		_, err = h.svc.PublishStatusUpdate(h.ctx, h.as("comms"), u.ID)
		if pe := wantCode(t, err, phasegate.ECONFLICT); !strings.Contains(pe.Message, "second person approves") {
			t.Errorf("publishing a draft refused with %q", pe.Message)
		}
		// Neither may a viewer or a recovery lead approve.
		for _, who := range []string{"viewer", "rl", "admin"} {
			_, err = h.svc.ApproveStatusUpdate(h.ctx, h.as(who), u.ID, incident.StatusApproval{})
			wantCode(t, err, phasegate.EFORBIDDEN)
		}
		// A second person approves the revision they read.
		got, err := h.svc.ApproveStatusUpdate(h.ctx, h.as("ic"), u.ID, incident.StatusApproval{Note: "good", Revision: 1})
		h.must(err, "approve")
		if got.Status != incident.UpdateApproved || got.ApprovedBy != "ic" || got.ApprovalNote != "good" || got.ApprovedAt.IsZero() {
			t.Fatalf("approved %+v", got)
		}
		// Approving again is a conflict, not a second approval.
		_, err = h.svc.ApproveStatusUpdate(h.ctx, h.as("ic2"), u.ID, incident.StatusApproval{})
		wantCode(t, err, phasegate.ECONFLICT)
		// The author may publish what a second person approved.
		got, err = h.svc.PublishStatusUpdate(h.ctx, h.as("comms"), u.ID)
		h.must(err, "publish")
		if got.Status != incident.UpdatePublished || got.PublishedBy != "comms" || got.PublishedAt.IsZero() {
			t.Fatalf("published %+v", got)
		}
		// Published is final: no edit, no second publication.
		_, err = h.svc.EditStatusUpdate(h.ctx, h.as("comms"), u.ID, 0, supplierDraft())
		if pe := wantCode(t, err, phasegate.ECONFLICT); !strings.Contains(pe.Message, "correction") {
			t.Errorf("editing a published update refused with %q; point to corrections", pe.Message)
		}
		_, err = h.svc.PublishStatusUpdate(h.ctx, h.as("ic"), u.ID)
		wantCode(t, err, phasegate.ECONFLICT)

		// Every step is an event, in order, with the update's content
		// hash the same when approved and when published.
		var types []string
		var hashes []string
		for _, e := range h.events("") {
			if e.Subject != "status:1" {
				continue
			}
			types = append(types, e.Type)
			var p struct {
				Hash string `json:"content_sha256"`
			}
			json.Unmarshal(e.Payload, &p)
			hashes = append(hashes, p.Hash)
		}
		if want := []string{incident.EventStatusDrafted, incident.EventStatusApproved, incident.EventStatusPublished}; !slices.Equal(types, want) {
			t.Fatalf("events %v, want %v", types, want)
		}
		if hashes[0] == "" || hashes[0] != hashes[1] || hashes[1] != hashes[2] || hashes[2] != got.ContentHash() {
			t.Errorf("content hashes drafted/approved/published %v, update %s", hashes, got.ContentHash())
		}
		if rep := h.verify(); !rep.OK {
			t.Fatalf("chain: %+v", rep.Problem)
		}
	})
}

func TestStatusUpdateEditNeedsReapproval(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		in := h.statusIncident()
		u := h.draft("comms", in, supplierDraft())
		_, err := h.svc.ApproveStatusUpdate(h.ctx, h.as("ic"), u.ID, incident.StatusApproval{})
		h.must(err, "approve")
		// ic2 edits the approved text: it is a draft again, revision 2,
		// and the approval is gone (the event says whose).
		d := supplierDraft()
		d.Title = "Supplier payments resume on Thursday"
		got, err := h.svc.EditStatusUpdate(h.ctx, h.as("ic2"), u.ID, 1, d)
		h.must(err, "edit")
		if got.Status != incident.UpdateDraft || got.Revision != 2 || got.ApprovedBy != "" || got.Title != d.Title {
			t.Fatalf("after the edit: %+v", got)
		}
		if names := []string{got.Contributors[0].Name, got.Contributors[1].Name}; !slices.Equal(names, []string{"comms", "ic2"}) {
			t.Errorf("contributors %v", got.Contributors)
		}
		edits := h.events(incident.EventStatusEdited)
		var p map[string]any
		json.Unmarshal(edits[len(edits)-1].Payload, &p)
		if p["approval_cleared"] != "ic" || p["previous_status"] != "approved" || p["title"] != d.Title {
			t.Errorf("edit event payload %v", p)
		}
		// The old approval does not carry over.
		_, err = h.svc.PublishStatusUpdate(h.ctx, h.as("comms"), u.ID)
		wantCode(t, err, phasegate.ECONFLICT)
		// A stale edit (revision 1) is refused.
		_, err = h.svc.EditStatusUpdate(h.ctx, h.as("comms"), u.ID, 1, d)
		wantCode(t, err, phasegate.ECONFLICT)
		// Neither writer may approve; an approval of a revision the
		// approver did not read is refused.
		for _, who := range []string{"comms", "ic2"} {
			_, err = h.svc.ApproveStatusUpdate(h.ctx, h.as(who), u.ID, incident.StatusApproval{})
			wantCode(t, err, phasegate.EFORBIDDEN)
		}
		_, err = h.svc.ApproveStatusUpdate(h.ctx, h.as("ic"), u.ID, incident.StatusApproval{Revision: 1})
		wantCode(t, err, phasegate.ECONFLICT)
		// Approve and publish in one step.
		got, err = h.svc.ApproveStatusUpdate(h.ctx, h.as("ic"), u.ID, incident.StatusApproval{Revision: 2, Publish: true})
		h.must(err, "approve and publish")
		if got.Status != incident.UpdatePublished || got.PublishedBy != "ic" {
			t.Fatalf("approve+publish: %+v", got)
		}
		// A rejection needs a note, goes back to the writers, and an edit
		// makes a draft of it again.
		r := h.draft("comms", in, supplierDraft())
		_, err = h.svc.RejectStatusUpdate(h.ctx, h.as("ic"), r.ID, " ")
		wantCode(t, err, phasegate.EINVALID)
		rej, err := h.svc.RejectStatusUpdate(h.ctx, h.as("ic"), r.ID, "say which suppliers")
		h.must(err, "reject")
		if rej.Status != incident.UpdateRejected || rej.ClosedNote != "say which suppliers" || rej.ClosedBy != "ic" {
			t.Fatalf("rejected %+v", rej)
		}
		_, err = h.svc.ApproveStatusUpdate(h.ctx, h.as("ic"), r.ID, incident.StatusApproval{})
		wantCode(t, err, phasegate.ECONFLICT)
		again, err := h.svc.EditStatusUpdate(h.ctx, h.as("comms"), r.ID, 0, supplierDraft())
		h.must(err, "edit after rejection")
		if again.Status != incident.UpdateDraft || again.ClosedNote != "" {
			t.Fatalf("edited after rejection: %+v", again)
		}
	})
}

func TestStatusUpdateCorrectionChain(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		in := h.statusIncident()
		d := supplierDraft()
		d.Audiences = []string{"suppliers", "colleagues"}
		a := h.publishUpdate(in, d)
		// A correction of a draft is refused.
		dr := h.draft("comms", in, supplierDraft())
		_, err := h.svc.DraftStatusUpdate(h.ctx, h.as("comms"), in, incident.StatusDraft{Title: "x", Corrects: dr.ID})
		wantCode(t, err, phasegate.ECONFLICT)
		// It must reach everyone the original reached.
		_, err = h.svc.DraftStatusUpdate(h.ctx, h.as("comms"), in, incident.StatusDraft{Title: "x", Audiences: []string{"suppliers"}, Corrects: a.ID})
		if pe := wantCode(t, err, phasegate.EINVALID); !strings.Contains(pe.Message, "colleagues") {
			t.Errorf("narrower correction refused with %q; name the missing audience", pe.Message)
		}
		// Empty audiences: the same as the original's.
		c := d
		c.Title, c.Corrects, c.Audiences = "Correction: supplier payments resume on Friday", a.ID, nil
		c.Services = []incident.ServiceLine{{Service: "build", State: incident.ServiceDown, ETA: time.Date(2025, 9, 26, 9, 0, 0, 0, time.UTC)}}
		b := h.publishUpdate(in, c)
		if !slices.Equal(b.Audiences, d.Audiences) || b.Corrects != a.ID {
			t.Fatalf("correction %+v", b)
		}
		old, err := h.svc.StatusUpdate(h.ctx, h.as("viewer"), a.ID)
		h.must(err, "read the original")
		if old.Status != incident.UpdateSuperseded || old.SupersededBy != b.ID {
			t.Fatalf("original after the correction: %+v", old)
		}
		// The superseded one cannot be corrected again; the correction can.
		_, err = h.svc.DraftStatusUpdate(h.ctx, h.as("comms"), in, incident.StatusDraft{Title: "x", Corrects: a.ID})
		if pe := wantCode(t, err, phasegate.ECONFLICT); !strings.Contains(pe.Message, "correct that one") {
			t.Errorf("%q", pe.Message)
		}
		// One publication, two events: published and superseded, the
		// second right after the first.
		pubs, sups := h.events(incident.EventStatusPublished), h.events(incident.EventStatusSuperseded)
		if len(sups) != 1 || sups[0].Seq != pubs[len(pubs)-1].Seq+1 || sups[0].Subject != "status:1" {
			t.Fatalf("superseded events %+v after %+v", sups, pubs)
		}
		// Two corrections of one update race: the second one to publish
		// is refused and nothing of it is written.
		x := h.publishUpdate(in, supplierDraft())
		c1 := h.draft("comms", in, incident.StatusDraft{Title: "c1", Corrects: x.ID})
		c2 := h.draft("comms", in, incident.StatusDraft{Title: "c2", Corrects: x.ID})
		for _, c := range []*incident.StatusUpdate{c1, c2} {
			_, err := h.svc.ApproveStatusUpdate(h.ctx, h.as("ic"), c.ID, incident.StatusApproval{})
			h.must(err, "approve")
		}
		_, err = h.svc.PublishStatusUpdate(h.ctx, h.as("comms"), c1.ID)
		h.must(err, "publish c1")
		before := len(h.events(""))
		_, err = h.svc.PublishStatusUpdate(h.ctx, h.as("comms"), c2.ID)
		wantCode(t, err, phasegate.ECONFLICT)
		if after := len(h.events("")); after != before {
			t.Errorf("a refused publication wrote %d events", after-before)
		}
		if got, _ := h.svc.StatusUpdate(h.ctx, h.as("viewer"), c2.ID); got.Status != incident.UpdateApproved {
			t.Errorf("refused correction is %s, want still approved", got.Status)
		}

		// The public view shows the correction and the corrected update
		// (marked), and the services' state from the correction.
		pub, err := h.svc.PublicStatus(h.ctx)
		h.must(err, "public status")
		v, ok := pub.For("suppliers")
		if !ok || len(v.Incidents) != 1 {
			t.Fatalf("suppliers: %+v", v)
		}
		var ids []int64
		for _, u := range v.Incidents[0].Updates {
			ids = append(ids, u.ID)
		}
		if want := []int64{c1.ID, x.ID, b.ID, a.ID}; !slices.Equal(ids, want) {
			t.Fatalf("suppliers see updates %v, want %v (newest first)", ids, want)
		}
		if u := v.Incidents[0].Updates[3]; u.SupersededBy != b.ID || !u.SupersededAt.Equal(b.PublishedAt) {
			t.Errorf("the corrected update is not marked: %+v", u)
		}
		if u := v.Incidents[0].Updates[2]; u.Corrects != a.ID || !u.CorrectsPublishedAt.Equal(a.PublishedAt) {
			t.Errorf("the correction does not point back: %+v", u)
		}
		// c1 corrected x and says nothing of build: b's line stands.
		if s := v.Incidents[0].Services[0]; s.Service != "build" || s.UpdateID != b.ID || !s.ETA.Equal(c.Services[0].ETA) {
			t.Errorf("build's published state comes from update %d (%+v), want %d (the newest live one)", s.UpdateID, s, b.ID)
		}
	})
}

func TestStatusUpdateWithdraw(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		in := h.statusIncident()
		p := h.publishUpdate(in, supplierDraft())
		// Taking a published update down needs a reason.
		_, err := h.svc.WithdrawStatusUpdate(h.ctx, h.as("comms"), p.ID, "")
		wantCode(t, err, phasegate.EINVALID)
		got, err := h.svc.WithdrawStatusUpdate(h.ctx, h.as("comms"), p.ID, "sent to the wrong audience")
		h.must(err, "withdraw")
		if got.Status != incident.UpdateWithdrawn || got.PublishedAt.IsZero() {
			t.Fatalf("withdrawn %+v", got)
		}
		pub, err := h.svc.PublicStatus(h.ctx)
		h.must(err, "public")
		if v, _ := pub.For("suppliers"); len(v.Incidents) != 0 {
			t.Fatalf("a withdrawn update is still public: %+v", v)
		}
		if !pub.Changed.Equal(got.ClosedAt) {
			t.Errorf("Changed %v, want the withdrawal %v", pub.Changed, got.ClosedAt)
		}
		// A draft: its writer may withdraw it; another comms user only
		// with status.approve (ic has it); a viewer never.
		d := h.draft("comms", in, supplierDraft())
		_, err = h.svc.WithdrawStatusUpdate(h.ctx, h.as("viewer"), d.ID, "")
		wantCode(t, err, phasegate.EFORBIDDEN)
		_, err = h.svc.WithdrawStatusUpdate(h.ctx, h.as("comms"), d.ID, "")
		h.must(err, "withdraw own draft")
		_, err = h.svc.WithdrawStatusUpdate(h.ctx, h.as("comms"), d.ID, "")
		wantCode(t, err, phasegate.ECONFLICT)
	})
}

func TestStatusUpdateValidation(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		in := h.statusIncident()
		_, err := h.svc.DraftStatusUpdate(h.ctx, h.as("comms"), in, incident.StatusDraft{
			Audiences: []string{"suppliers", "martians"},
			Title:     "two\nlines",
			Body:      "bell \a",
			Services: []incident.ServiceLine{
				{Service: "email", State: incident.ServiceUp},
				{Service: "nope", State: "fine"},
				{Service: "build", State: incident.ServiceUp, ETA: time.Now()},
				{Service: "build", State: incident.ServiceDown},
			},
		})
		pe := wantCode(t, err, phasegate.EINVALID)
		want := []string{
			"title: must be one line",
			"body: contains the control character U+0007",
			`audiences[1]: "martians" is not an audience of this estate; use one of: colleagues, suppliers, retailers, customers, regulators, partners`,
			"services[0].service: email does not concern suppliers (its audiences: colleagues, partners)",
			`services[1].service: the estate has no service "nope"; its services are: build, email`,
			`services[1].state: "fine" is not a service state`,
			"services[2].eta: build is up; an ETA is only for a service that is down or partly available",
			"services[3].service: build is listed twice",
		}
		if len(pe.Reasons) != len(want) {
			t.Fatalf("reasons:\n%s", strings.Join(pe.Reasons, "\n"))
		}
		for i, w := range want {
			if !strings.HasPrefix(pe.Reasons[i], w) {
				t.Errorf("reason %d:\n got %q\nwant %q…", i, pe.Reasons[i], w)
			}
		}
		_, err = h.svc.DraftStatusUpdate(h.ctx, h.as("comms"), in, incident.StatusDraft{})
		pe = wantCode(t, err, phasegate.EINVALID)
		if len(pe.Reasons) != 2 || !strings.HasPrefix(pe.Reasons[0], "title:") || !strings.HasPrefix(pe.Reasons[1], "audiences:") {
			t.Errorf("empty draft: %q", pe.Reasons)
		}
		// Nothing was written.
		if evs := h.events(incident.EventStatusDrafted); len(evs) != 0 {
			t.Errorf("%d drafts recorded", len(evs))
		}
		// An audience only the estate names is fine; so is a closed
		// incident refusing everything.
		u := h.draft("comms", in, incident.StatusDraft{Audiences: []string{"partners"}, Title: "Email is back",
			Services: []incident.ServiceLine{{Service: "email", State: incident.ServiceUp}}})
		_, err = h.svc.CloseIncident(h.ctx, h.as("ic"), in, "done")
		h.must(err, "close")
		_, err = h.svc.ApproveStatusUpdate(h.ctx, h.as("ic"), u.ID, incident.StatusApproval{})
		wantCode(t, err, phasegate.ECONFLICT)
		_, err = h.svc.DraftStatusUpdate(h.ctx, h.as("comms"), in, supplierDraft())
		wantCode(t, err, phasegate.ECONFLICT)
	})
}

// TestPublicStatusShowsOnlyWhatWasPublished: drafts, approved, rejected
// and withdrawn updates, and incidents with nothing published, stay off
// the public view; a closed incident's last updates stay on it until
// another incident opens.
func TestPublicStatusShowsOnlyWhatWasPublished(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		pub, err := h.svc.PublicStatus(h.ctx)
		h.must(err, "public status of an empty store")
		if len(pub.Incidents) != 0 || !slices.Equal(pub.Audiences, estate.Audiences) || !pub.Changed.IsZero() {
			t.Fatalf("empty store: %+v", pub)
		}
		in := h.statusIncident()
		pub, err = h.svc.PublicStatus(h.ctx)
		h.must(err, "public")
		if pub.Organization != "Test Works Ltd" || !slices.Contains(pub.Audiences, "partners") {
			t.Fatalf("organisation and audiences: %+v", pub)
		}
		if v, _ := pub.For("suppliers"); len(v.Incidents) != 0 {
			t.Fatalf("an incident with nothing published shows: %+v", v)
		}
		h.draft("comms", in, supplierDraft())
		ap := h.draft("comms", in, supplierDraft())
		_, err = h.svc.ApproveStatusUpdate(h.ctx, h.as("ic"), ap.ID, incident.StatusApproval{})
		h.must(err, "approve")
		rj := h.draft("comms", in, supplierDraft())
		_, err = h.svc.RejectStatusUpdate(h.ctx, h.as("ic"), rj.ID, "no")
		h.must(err, "reject")
		p := h.publishUpdate(in, supplierDraft())
		pub, err = h.svc.PublicStatus(h.ctx)
		h.must(err, "public")
		if len(pub.Incidents) != 1 || len(pub.Incidents[0].Updates) != 1 || pub.Incidents[0].Updates[0].ID != p.ID {
			t.Fatalf("public view: %+v", pub.Incidents)
		}
		if !pub.Changed.Equal(p.PublishedAt) {
			t.Errorf("Changed %v, want %v", pub.Changed, p.PublishedAt)
		}
		if v, _ := pub.For("colleagues"); len(v.Incidents) != 0 {
			t.Errorf("colleagues see an update sent to suppliers: %+v", v)
		}
		if _, ok := pub.For("martians"); ok {
			t.Error("an unknown audience has a page")
		}
		// Closed: still shown (as closed) while no other incident is open.
		h.clock.Advance(time.Hour)
		closed, err := h.svc.CloseIncident(h.ctx, h.as("ic"), in, "over")
		h.must(err, "close")
		pub, err = h.svc.PublicStatus(h.ctx)
		h.must(err, "public")
		if len(pub.Incidents) != 1 || !pub.Incidents[0].ClosedAt.Equal(closed.ClosedAt) || !pub.Changed.Equal(closed.ClosedAt) {
			t.Fatalf("after closing: %+v", pub)
		}
		next := h.declare(incident.Declaration{Name: "second", Kind: "ransomware"})
		pub, err = h.svc.PublicStatus(h.ctx)
		h.must(err, "public")
		if len(pub.Incidents) != 1 || pub.Incidents[0].ID != next.ID || len(pub.Incidents[0].Updates) != 0 {
			t.Fatalf("with a new incident open: %+v", pub.Incidents)
		}
	})
}

func TestStatusSuggestionsOfferLiveETAs(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		in := h.statusIncident()
		sg, err := h.svc.StatusSuggestions(h.ctx, h.as("viewer"), in)
		h.must(err, "suggestions")
		var auds []string
		for _, a := range sg.Audiences {
			auds = append(auds, a.Audience)
		}
		if want := []string{"colleagues", "suppliers", "partners"}; !slices.Equal(auds, want) {
			t.Fatalf("audiences with services %v, want %v", auds, want)
		}
		s := sg.Audiences[1].Services[0]
		if s.Line.Service != "build" || s.Line.State != incident.ServiceDown || !s.Line.ETA.After(sg.PlannedAt) || !s.Changed {
			t.Fatalf("build for suppliers: %+v", s)
		}
		if want := "Build vehicles: expected back " + incident.ShortDate(s.Line.ETA); s.Text != want {
			t.Errorf("text %q, want %q", s.Text, want)
		}
		// Once the live line is published, it is no longer a change.
		h.publishUpdate(in, incident.StatusDraft{Audiences: []string{"suppliers"}, Title: "Build", Services: []incident.ServiceLine{s.Line}})
		sg, err = h.svc.StatusSuggestions(h.ctx, h.as("viewer"), in)
		h.must(err, "suggestions")
		s2 := sg.Audiences[1].Services[0]
		if s2.Changed || s2.Published.State != incident.ServiceDown || !s2.Published.ETA.Equal(s.Line.ETA) {
			t.Errorf("after publishing the suggestion: %+v", s2)
		}
		if c := sg.Audiences[0].Services[0]; !c.Changed || c.Published.State != "" {
			t.Errorf("colleagues were told nothing yet: %+v", c)
		}
		_, err = h.svc.StatusSuggestions(h.ctx, incident.Actor{}, in)
		wantCode(t, err, phasegate.EUNAUTHORIZED)
	})
}

// TestStatusUpdateETAs: an ETA before the incident started, or on a day
// already over, is refused for a service not back, naming its line; today
// is still a promise.
func TestStatusUpdateETAs(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		in := h.statusIncident()
		d := supplierDraft()
		d.Services[0].ETA = h.clock.Now().AddDate(0, 0, -2)
		_, err := h.svc.DraftStatusUpdate(h.ctx, h.as("comms"), in, d)
		if pe := wantCode(t, err, phasegate.EINVALID); len(pe.Reasons) != 1 ||
			!strings.HasPrefix(pe.Reasons[0], "services[0].eta: ") || !strings.Contains(pe.Reasons[0], "before the incident started") {
			t.Errorf("an ETA before the incident: %q", pe.Reasons)
		}
		// Later today (23:00) is still allowed.
		d.Services[0].ETA = h.clock.Now().UTC().Truncate(24 * time.Hour).Add(23 * time.Hour)
		h.draft("comms", in, d)
		// An incident that started ten days ago: a day since then that
		// is over is refused too, in an edit as in a draft.
		old := h.declare(incident.Declaration{TotalShutdown: true, StartedAt: h.clock.Now().AddDate(0, 0, -10)}).ID
		d.Services[0].ETA = h.clock.Now().AddDate(0, 0, -2)
		_, err = h.svc.DraftStatusUpdate(h.ctx, h.as("comms"), old, d)
		if pe := wantCode(t, err, phasegate.EINVALID); len(pe.Reasons) != 1 || !strings.Contains(pe.Reasons[0], "is in the past; build is not back") {
			t.Errorf("an ETA on a day over: %q", pe.Reasons)
		}
		d.Services[0].State, d.Services[0].ETA = incident.ServiceUp, time.Time{}
		u := h.draft("comms", old, d)
		d.Services[0].State, d.Services[0].ETA = incident.ServiceDown, h.clock.Now().AddDate(0, 0, -3)
		_, err = h.svc.EditStatusUpdate(h.ctx, h.as("comms"), u.ID, 0, d)
		wantCode(t, err, phasegate.EINVALID)
	})
}
