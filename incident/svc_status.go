package incident

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/estate"
)

// Status update events. Each carries the update's id and revision; those
// that fix its content (drafted, edited) carry the whole content, and
// those that act on it (approved, published) its content_sha256, so the
// log proves that what was published is what a second person approved.
const (
	EventStatusDrafted    = "status.drafted"
	EventStatusEdited     = "status.edited"
	EventStatusApproved   = "status.approved"
	EventStatusRejected   = "status.rejected"
	EventStatusPublished  = "status.published"
	EventStatusSuperseded = "status.superseded"
	EventStatusWithdrawn  = "status.withdrawn"
)

// PublicEvents are the event types after which the public status pages
// may read differently; a server rebuilds its pages after any of them.
var PublicEvents = map[string]bool{
	EventStatusPublished: true, EventStatusSuperseded: true, EventStatusWithdrawn: true,
	EventIncidentDeclared: true, EventIncidentClosed: true, EventIncidentEstate: true,
	EventEstateUploaded: true,
}

func updateSubject(id int64) string { return fmt.Sprintf("status:%d", id) }

func contentPayload(u *StatusUpdate) map[string]any {
	return map[string]any{
		"update": u.ID, "revision": u.Revision, "audiences": u.Audiences, "title": u.Title, "body": u.Body,
		"services": u.Services, "corrects": u.Corrects, "content_sha256": u.ContentHash(),
	}
}

// DraftStatusUpdate writes a new update for one or more audiences of an
// open incident. Needs status.draft. A correction (d.Corrects) must name
// a published update of the same incident and reach at least its
// audiences (empty audiences: the same ones).
func (s *Service) DraftStatusUpdate(ctx context.Context, a Actor, incidentID int64, d StatusDraft) (*StatusUpdate, error) {
	if err := a.Authorize(ActionStatusDraft, nil); err != nil {
		return nil, err
	}
	var out *StatusUpdate
	err := s.update(ctx, func(w *writer) error {
		l, err := s.loadOpen(w, incidentID)
		if err != nil {
			return err
		}
		if d.Corrects != 0 {
			old, err := w.StatusUpdate(d.Corrects)
			if err != nil {
				return phasegate.Errorf(phasegate.EINVALID, "corrects: there is no status update %d", d.Corrects)
			}
			if len(d.Audiences) == 0 {
				d.Audiences = slices.Clone(old.Audiences)
			}
			if err := canCorrect(old, l.in.ID, d.Audiences); err != nil {
				return err
			}
		}
		now := w.Now()
		if err := normalizeDraftAt(l.est, &d, now, l.in.StartedAt); err != nil {
			return err
		}
		u := &StatusUpdate{IncidentID: l.in.ID, Status: UpdateDraft, Revision: 1,
			Audiences: d.Audiences, Title: d.Title, Body: d.Body, Services: nonNilLines(d.Services), Corrects: d.Corrects,
			Author: a.Name, AuthorID: a.UserID, CreatedAt: now, UpdatedAt: now}
		u.addContributor(a)
		if err := w.InsertStatusUpdate(u); err != nil {
			return err
		}
		if err := recordUpdate(w, a, u, EventStatusDrafted, contentPayload(u)); err != nil {
			return err
		}
		out = u
		return w.UpdateStatusUpdate(u)
	})
	return out, err
}

// canCorrect checks that old may be corrected by a new update to
// audiences in incident incidentID.
func canCorrect(old *StatusUpdate, incidentID int64, audiences []string) error {
	if old.IncidentID != incidentID {
		return phasegate.Errorf(phasegate.EINVALID, "corrects: status update %d belongs to incident %d, not %d",
			old.ID, old.IncidentID, incidentID)
	}
	if old.Status != UpdatePublished {
		what := "it is " + string(old.Status)
		if old.Status == UpdateSuperseded {
			what = fmt.Sprintf("it was already corrected by update %d; correct that one", old.SupersededBy)
		}
		return phasegate.Errorf(phasegate.ECONFLICT, "status update %d cannot be corrected: %s; only a published update can be", old.ID, what)
	}
	var missing []string
	for _, aud := range old.Audiences {
		if !slices.Contains(audiences, strings.TrimSpace(aud)) {
			missing = append(missing, aud)
		}
	}
	if len(missing) > 0 {
		return phasegate.Errorf(phasegate.EINVALID,
			"audiences: a correction must reach everyone the corrected update reached; add %s", strings.Join(missing, ", "))
	}
	return nil
}

func nonNilLines(ls []ServiceLine) []ServiceLine {
	if ls == nil {
		return []ServiceLine{}
	}
	return ls
}

// StatusUpdates lists an incident's updates in every state, newest
// first. Needs view.
func (s *Service) StatusUpdates(ctx context.Context, a Actor, incidentID int64) ([]StatusUpdate, error) {
	if err := a.Authorize(ActionView, nil); err != nil {
		return nil, err
	}
	var out []StatusUpdate
	err := s.view(ctx, func(tx Tx) (err error) {
		if _, err = tx.Incident(incidentID); err != nil {
			return err
		}
		out, err = tx.StatusUpdates(StatusUpdateQuery{IncidentID: incidentID})
		return err
	})
	if out == nil {
		out = []StatusUpdate{}
	}
	return out, err
}

// StatusUpdate returns one update. Needs view.
func (s *Service) StatusUpdate(ctx context.Context, a Actor, id int64) (*StatusUpdate, error) {
	return viewOne(ctx, s, a, ActionView, func(tx Tx) (*StatusUpdate, error) { return tx.StatusUpdate(id) })
}

// changeUpdate loads an update of an open incident for a change.
func (s *Service) changeUpdate(ctx context.Context, id int64, fn func(w *writer, u *StatusUpdate, l *loaded) error) error {
	return s.update(ctx, func(w *writer) error {
		u, err := w.StatusUpdate(id)
		if err != nil {
			return err
		}
		l, err := s.loadOpen(w, u.IncidentID)
		if err != nil {
			return err
		}
		return fn(w, u, l)
	})
}

func checkRevision(u *StatusUpdate, revision int) error {
	if revision != 0 && revision != u.Revision {
		return phasegate.Errorf(phasegate.ECONFLICT,
			"status update %d is at revision %d, not %d: someone changed it since you read it; read it again",
			u.ID, u.Revision, revision)
	}
	return nil
}

// EditStatusUpdate replaces the content of an update not yet published:
// a new revision. An approved or rejected update becomes a draft again
// and needs a new approval. revision, when not 0, must be the revision
// the editor read. Needs status.draft.
func (s *Service) EditStatusUpdate(ctx context.Context, a Actor, id int64, revision int, d StatusDraft) (*StatusUpdate, error) {
	if err := a.Authorize(ActionStatusDraft, nil); err != nil {
		return nil, err
	}
	var out *StatusUpdate
	err := s.changeUpdate(ctx, id, func(w *writer, u *StatusUpdate, l *loaded) error {
		if !u.Status.Editable() {
			return phasegate.Errorf(phasegate.ECONFLICT,
				"status update %d is %s and can no longer be edited; draft a correction (corrects: %d) instead", u.ID, u.Status, u.ID)
		}
		if err := checkRevision(u, revision); err != nil {
			return err
		}
		if d.Corrects != 0 && d.Corrects != u.Corrects {
			return phasegate.Errorf(phasegate.EINVALID, "corrects: an edit cannot change which update this one corrects (%d); draft a new update", u.Corrects)
		}
		d.Corrects = u.Corrects
		if len(d.Audiences) == 0 {
			d.Audiences = slices.Clone(u.Audiences)
		}
		if u.Corrects != 0 {
			old, err := w.StatusUpdate(u.Corrects)
			if err != nil {
				return err
			}
			if err := canCorrect(old, l.in.ID, d.Audiences); err != nil {
				return err
			}
		}
		if err := normalizeDraftAt(l.est, &d, w.Now(), l.in.StartedAt); err != nil {
			return err
		}
		was, approver := u.Status, u.ApprovedBy
		u.Audiences, u.Title, u.Body, u.Services = d.Audiences, d.Title, d.Body, nonNilLines(d.Services)
		u.Revision++
		u.Status, u.UpdatedAt = UpdateDraft, w.Now()
		u.ApprovedBy, u.ApprovedByID, u.ApprovedAt, u.ApprovalNote = "", 0, time.Time{}, ""
		u.ClosedBy, u.ClosedAt, u.ClosedNote = "", time.Time{}, ""
		u.addContributor(a)
		payload := contentPayload(u)
		payload["previous_status"] = was
		if was == UpdateApproved {
			payload["approval_cleared"] = approver
		}
		if err := recordUpdate(w, a, u, EventStatusEdited, payload); err != nil {
			return err
		}
		out = u
		return w.UpdateStatusUpdate(u)
	})
	return out, err
}

// StatusApproval is a second person's approval of a status update.
type StatusApproval struct {
	Note string `json:"note,omitempty"`
	// Revision, when not 0, is the revision the approver read: a newer
	// one is refused (ECONFLICT), so nobody approves unseen words.
	Revision int `json:"revision,omitempty"`
	// Publish publishes the update in the same step (needs
	// status.publish too).
	Publish bool `json:"publish,omitempty"`
}

// ApproveStatusUpdate approves a draft: the two-person rule for what the
// company says in public. Nobody who wrote a revision of it may approve
// it. Needs status.approve (and status.publish with Publish).
func (s *Service) ApproveStatusUpdate(ctx context.Context, a Actor, id int64, ap StatusApproval) (*StatusUpdate, error) {
	if err := a.Authorize(ActionStatusApprove, nil); err != nil {
		return nil, err
	}
	if ap.Publish {
		if err := a.Authorize(ActionStatusPublish, nil); err != nil {
			return nil, err
		}
	}
	ap.Note = strings.TrimSpace(ap.Note)
	var out *StatusUpdate
	err := s.changeUpdate(ctx, id, func(w *writer, u *StatusUpdate, l *loaded) error {
		if u.Status != UpdateDraft {
			return phasegate.Errorf(phasegate.ECONFLICT, "status update %d is %s; only a draft can be approved", u.ID, u.Status)
		}
		if u.contributed(a) {
			return phasegate.Errorf(phasegate.EFORBIDDEN,
				"%s wrote status update %d (or a revision of it) and cannot approve it: a second person who did not write it approves", a.Name, u.ID)
		}
		if err := checkRevision(u, ap.Revision); err != nil {
			return err
		}
		now := w.Now()
		u.Status, u.UpdatedAt = UpdateApproved, now
		u.ApprovedBy, u.ApprovedByID, u.ApprovedAt, u.ApprovalNote = a.Name, a.UserID, now, ap.Note
		if err := recordUpdate(w, a, u, EventStatusApproved, map[string]any{
			"update": u.ID, "revision": u.Revision, "content_sha256": u.ContentHash(), "note": ap.Note,
			"author": u.Author,
		}); err != nil {
			return err
		}
		if ap.Publish {
			if err := publish(w, a, u); err != nil {
				return err
			}
		}
		out = u
		return w.UpdateStatusUpdate(u)
	})
	return out, err
}

// RejectStatusUpdate sends a draft or an approved update back to its
// authors with a note. Its writers withdraw it instead. Needs
// status.approve.
func (s *Service) RejectStatusUpdate(ctx context.Context, a Actor, id int64, note string) (*StatusUpdate, error) {
	if err := a.Authorize(ActionStatusApprove, nil); err != nil {
		return nil, err
	}
	note = strings.TrimSpace(note)
	if note == "" {
		return nil, phasegate.Errorf(phasegate.EINVALID, "note: say what should change, so the author can fix it")
	}
	var out *StatusUpdate
	err := s.changeUpdate(ctx, id, func(w *writer, u *StatusUpdate, l *loaded) error {
		if u.Status != UpdateDraft && u.Status != UpdateApproved {
			return phasegate.Errorf(phasegate.ECONFLICT, "status update %d is %s; only a draft or an approved update can be rejected", u.ID, u.Status)
		}
		if u.contributed(a) {
			return phasegate.Errorf(phasegate.EFORBIDDEN, "%s wrote status update %d; withdraw it instead of rejecting it", a.Name, u.ID)
		}
		was := u.Status
		now := w.Now()
		u.Status, u.UpdatedAt = UpdateRejected, now
		u.ApprovedBy, u.ApprovedByID, u.ApprovedAt, u.ApprovalNote = "", 0, time.Time{}, ""
		u.ClosedBy, u.ClosedAt, u.ClosedNote = a.Name, now, note
		if err := recordUpdate(w, a, u, EventStatusRejected, map[string]any{
			"update": u.ID, "revision": u.Revision, "note": note, "previous_status": was,
		}); err != nil {
			return err
		}
		out = u
		return w.UpdateStatusUpdate(u)
	})
	return out, err
}

// PublishStatusUpdate puts an approved update on its audiences' status
// pages and feeds. Anyone holding status.publish may, its author
// included: the second person has already approved this very revision.
// Publishing a correction marks the update it corrects superseded.
func (s *Service) PublishStatusUpdate(ctx context.Context, a Actor, id int64) (*StatusUpdate, error) {
	if err := a.Authorize(ActionStatusPublish, nil); err != nil {
		return nil, err
	}
	var out *StatusUpdate
	err := s.changeUpdate(ctx, id, func(w *writer, u *StatusUpdate, l *loaded) error {
		if u.Status != UpdateApproved {
			hint := ""
			if u.Status == UpdateDraft || u.Status == UpdateRejected {
				hint = "; a second person approves it first"
			}
			return phasegate.Errorf(phasegate.ECONFLICT, "status update %d is %s; only an approved update can be published%s", u.ID, u.Status, hint)
		}
		if err := publish(w, a, u); err != nil {
			return err
		}
		out = u
		return w.UpdateStatusUpdate(u)
	})
	return out, err
}

// recordUpdate writes the event of a change to u, of type typ, and marks
// u with its seq, in w's transaction. The caller stores u.
func recordUpdate(w *writer, a Actor, u *StatusUpdate, typ string, payload any) error {
	e, err := w.event(a.Name, typ, u.IncidentID, updateSubject(u.ID), payload)
	if err != nil {
		return err
	}
	u.Seq = e.Seq
	return nil
}

// publish makes an approved update public, and supersedes what it
// corrects, in w's transaction. The caller stores u.
func publish(w *writer, a Actor, u *StatusUpdate) error {
	now := w.Now()
	var old *StatusUpdate
	if u.Corrects != 0 {
		var err error
		if old, err = w.StatusUpdate(u.Corrects); err != nil {
			return err
		}
		if err := canCorrect(old, u.IncidentID, u.Audiences); err != nil {
			return err
		}
	}
	u.Status, u.UpdatedAt, u.PublishedBy, u.PublishedAt = UpdatePublished, now, a.Name, now
	if err := recordUpdate(w, a, u, EventStatusPublished, map[string]any{
		"update": u.ID, "revision": u.Revision, "content_sha256": u.ContentHash(), "audiences": u.Audiences,
		"approved_by": u.ApprovedBy, "corrects": u.Corrects,
	}); err != nil {
		return err
	}
	if old == nil {
		return nil
	}
	old.Status, old.SupersededBy, old.UpdatedAt = UpdateSuperseded, u.ID, now
	old.ClosedBy, old.ClosedAt, old.ClosedNote = a.Name, now, fmt.Sprintf("corrected by status update %d", u.ID)
	if err := recordUpdate(w, a, old, EventStatusSuperseded, map[string]any{
		"update": old.ID, "superseded_by": u.ID,
	}); err != nil {
		return err
	}
	return w.UpdateStatusUpdate(old)
}

// WithdrawStatusUpdate discards an update before publication, or takes a
// published one off the pages (a wrong audience, say; to fix words,
// publish a correction instead). Unpublished: its writers may with
// status.draft, anyone else needs status.approve. Published: needs
// status.publish and a note saying why.
func (s *Service) WithdrawStatusUpdate(ctx context.Context, a Actor, id int64, note string) (*StatusUpdate, error) {
	if err := a.Authorize(ActionStatusDraft, nil); err != nil {
		return nil, err
	}
	note = strings.TrimSpace(note)
	var out *StatusUpdate
	err := s.changeUpdate(ctx, id, func(w *writer, u *StatusUpdate, l *loaded) error {
		switch {
		case u.Status == UpdatePublished:
			if err := a.Authorize(ActionStatusPublish, nil); err != nil {
				return err
			}
			if note == "" {
				return phasegate.Errorf(phasegate.EINVALID, "note: say why a published update is taken down; it stays in the event log")
			}
		case u.Status.Editable():
			if !u.contributed(a) {
				if err := a.Authorize(ActionStatusApprove, nil); err != nil {
					return err
				}
			}
		default:
			return phasegate.Errorf(phasegate.ECONFLICT, "status update %d is %s and cannot be withdrawn", u.ID, u.Status)
		}
		was := u.Status
		now := w.Now()
		u.Status, u.UpdatedAt = UpdateWithdrawn, now
		u.ClosedBy, u.ClosedAt, u.ClosedNote = a.Name, now, note
		if err := recordUpdate(w, a, u, EventStatusWithdrawn, map[string]any{
			"update": u.ID, "revision": u.Revision, "note": note, "previous_status": was,
			"was_public": was == UpdatePublished,
		}); err != nil {
			return err
		}
		out = u
		return w.UpdateStatusUpdate(u)
	})
	return out, err
}

// PublicStatus reads what the public status pages show (see
// PublicStatus). It needs no actor: everything in it was published.
func (s *Service) PublicStatus(ctx context.Context) (*PublicStatus, error) {
	var out *PublicStatus
	err := s.view(ctx, func(tx Tx) error {
		ins, err := tx.Incidents()
		if err != nil {
			return err
		}
		var pick []Incident
		for _, in := range ins {
			if in.Open() {
				pick = append(pick, in)
			}
		}
		if len(pick) == 0 {
			for _, in := range ins {
				if len(pick) == 0 || in.ClosedAt.After(pick[0].ClosedAt) {
					pick = []Incident{in}
				}
			}
		}
		slices.SortFunc(pick, func(a, b Incident) int { return int(a.ID - b.ID) })
		var shown []shownIncident
		var audiences []string
		org := ""
		for i := range pick {
			est, err := s.estateVersion(tx, pick[i].EstateVersion)
			if err != nil {
				return err
			}
			ups, err := tx.StatusUpdates(StatusUpdateQuery{IncidentID: pick[i].ID,
				Statuses: []UpdateStatus{UpdatePublished, UpdateSuperseded, UpdateWithdrawn}})
			if err != nil {
				return err
			}
			shown = append(shown, shownIncident{in: &pick[i], est: est, updates: ups})
			audiences = mergeAudiences(audiences, AudiencesOf(est))
			if org == "" {
				org = est.Organization
			}
		}
		if len(shown) == 0 {
			var est *estate.Estate
			v, err := tx.LatestEstateVersion()
			switch {
			case err == nil:
				if est, err = s.estateVersion(tx, v.Number); err != nil {
					return err
				}
				org = est.Organization
			case !isNotFound(err):
				return err
			}
			audiences = AudiencesOf(est)
		}
		out = publicStatus(org, audiences, shown)
		return nil
	})
	return out, err
}

func mergeAudiences(a, b []string) []string {
	for _, x := range b {
		if !slices.Contains(a, x) {
			a = append(a, x)
		}
	}
	return a
}
