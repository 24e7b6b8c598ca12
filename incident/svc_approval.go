package incident

import (
	"context"
	"fmt"
	"strings"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/estate"
)

// requestApproval opens a two-person request for a move that passed its
// guards.
func (s *Service) requestApproval(w *writer, a Actor, l *loaded, sys *estate.System, st *SystemState, to State, reason string) (*Approval, error) {
	pending, err := w.Approvals(ApprovalQuery{IncidentID: l.in.ID, SystemID: sys.ID, Status: ApprovalPending})
	if err != nil {
		return nil, err
	}
	for i := range pending {
		ap := &pending[i]
		if expired, err := expireIfDue(w, ap); err != nil {
			return nil, err
		} else if expired {
			continue
		}
		if ap.To == to {
			return nil, &phasegate.Error{Code: phasegate.ECONFLICT,
				Message: fmt.Sprintf("approval request %d to move %s to %s is already waiting (asked by %s); a second person approves it",
					ap.ID, sys.ID, to, ap.RequestedBy)}
		}
	}
	now := w.Now()
	ap := &Approval{IncidentID: l.in.ID, SystemID: sys.ID, From: st.State, To: to, Reason: reason,
		RequestedBy: a.Name, RequestedByID: a.UserID, RequestedAt: now, ExpiresAt: now.Add(s.settings.ApprovalTTL),
		Required: max(1, l.in.RequiredApprovals), Status: ApprovalPending, Decisions: []Decision{}}
	if err := w.InsertApproval(ap); err != nil {
		return nil, err
	}
	e, err := w.event(a.Name, EventApprovalRequested, l.in.ID, fmt.Sprintf("approval:%d", ap.ID), map[string]any{
		"approval": ap.ID, "system": sys.ID, "from": ap.From, "to": to, "reason": reason,
		"required": ap.Required, "expires_at": FormatTime(ap.ExpiresAt), "criticality": sys.Criticality,
	})
	if err != nil {
		return nil, err
	}
	ap.Seq = e.Seq
	return ap, w.UpdateApproval(ap)
}

// expireIfDue marks a pending request expired when its time has passed.
func expireIfDue(w *writer, ap *Approval) (bool, error) {
	if ap.Status != ApprovalPending || w.Now().Before(ap.ExpiresAt) {
		return false, nil
	}
	ap.Status, ap.ClosedAt, ap.ClosedNote = ApprovalExpired, w.Now(), "nobody decided before "+FormatTime(ap.ExpiresAt)
	if err := w.UpdateApproval(ap); err != nil {
		return false, err
	}
	_, err := w.event(SystemActorPrefix+"approval-expiry", EventApprovalExpired, ap.IncidentID, fmt.Sprintf("approval:%d", ap.ID),
		map[string]any{"approval": ap.ID, "system": ap.SystemID, "to": ap.To})
	return true, err
}

// Approvals lists approval requests. Needs view. An incident that does
// not exist is ENOTFOUND, not an empty list. Pending requests whose time
// has passed are shown expired (and left out of a list of pending ones)
// before the expiry sweep (RunExpiry) records it.
func (s *Service) Approvals(ctx context.Context, a Actor, q ApprovalQuery) ([]Approval, error) {
	if err := a.Authorize(ActionView, nil); err != nil {
		return nil, err
	}
	var all []Approval
	err := s.view(ctx, func(tx Tx) (err error) {
		if q.IncidentID != 0 {
			// An incident that does not exist is not one without requests.
			if _, err = tx.Incident(q.IncidentID); err != nil {
				return err
			}
		}
		all, err = tx.Approvals(q)
		return err
	})
	out := make([]Approval, 0, len(all))
	now := s.clock()
	for _, ap := range all {
		if ap.Status == ApprovalPending && !now.Before(ap.ExpiresAt) {
			if q.Status == ApprovalPending {
				continue
			}
			ap.Status = ApprovalExpired
		}
		out = append(out, ap)
	}
	return out, err
}

// Approval returns one approval request. Needs view.
func (s *Service) Approval(ctx context.Context, a Actor, id int64) (*Approval, error) {
	return viewOne(ctx, s, a, ActionView, func(tx Tx) (*Approval, error) { return tx.Approval(id) })
}

// openRequest loads a request with its incident and system and asks
// allowed whether the actor may act on it — before anything about the
// request's state, so that someone who may not act is refused (403)
// whatever that state, and learns nothing more. Then it refuses a request
// no longer pending or in a closed incident (409): a request found
// expired is marked so and committed. fn runs on a pending request.
// sys is nil in allowed when the system left the estate (a scoped grant
// does not cover it); such requests are never pending.
func (s *Service) openRequest(ctx context.Context, id int64, allowed func(ap *Approval, sys *estate.System) error, fn func(w *writer, ap *Approval, l *loaded, sys *estate.System) error) error {
	var refused error
	err := s.update(ctx, func(w *writer) error {
		ap, err := w.Approval(id)
		if err != nil {
			return err
		}
		l, err := s.load(w, ap.IncidentID)
		if err != nil {
			return err
		}
		sys := findSystem(l.est, ap.SystemID)
		if err := allowed(ap, sys); err != nil {
			return err
		}
		expired, err := expireIfDue(w, ap)
		if err != nil {
			return err
		}
		if expired {
			refused = phasegate.Errorf(phasegate.ECONFLICT, "approval request %d expired at %s; ask again", ap.ID, FormatTime(ap.ExpiresAt))
			return nil
		}
		if ap.Status != ApprovalPending {
			return phasegate.Errorf(phasegate.ECONFLICT, "approval request %d is %s, no longer pending", ap.ID, ap.Status)
		}
		if err := requireOpen(l.in); err != nil {
			return err
		}
		if sys == nil {
			_, err := l.system(ap.SystemID)
			return err
		}
		return fn(w, ap, l, sys)
	})
	if err != nil {
		return err
	}
	return refused
}

// mayDecide is the permission to approve or reject a request: approval.decide
// on its system, a person (not phasegate itself), and not the requester.
func mayDecide(a Actor, ap *Approval, sys *estate.System, verb string) error {
	if err := a.Authorize(ActionApprovalDecide, sys); err != nil {
		return err
	}
	if a.System {
		return phasegate.Errorf(phasegate.EFORBIDDEN, "%s is phasegate itself and cannot %s request %d: the two-person rule needs people", a.Name, verb, ap.ID)
	}
	if a.UserID == ap.RequestedByID {
		if verb == "reject" {
			return phasegate.Errorf(phasegate.EFORBIDDEN, "%s asked for request %d; cancel it instead of rejecting it", a.Name, ap.ID)
		}
		return phasegate.Errorf(phasegate.EFORBIDDEN,
			"%s asked for request %d and cannot approve it: the two-person rule needs a second person", a.Name, ap.ID)
	}
	return nil
}

// Approve records the actor's approval. The requester cannot approve,
// nobody approves twice, and the actor needs approval.decide on the
// system. When the approvals reach the request's Required the move
// happens in the same transaction, after every guard is checked again.
func (s *Service) Approve(ctx context.Context, a Actor, id int64, note string) (*Decided, error) {
	if err := a.Authorize(ActionView, nil); err != nil {
		return nil, err
	}
	var out *Decided
	allowed := func(ap *Approval, sys *estate.System) error { return mayDecide(a, ap, sys, "approve") }
	err := s.openRequest(ctx, id, allowed, func(w *writer, ap *Approval, l *loaded, sys *estate.System) error {
		if err := w.InsertDecision(Decision{ApprovalID: ap.ID, UserID: a.UserID, UserName: a.Name, Approve: true, Note: note, At: w.Now()}); err != nil {
			return err
		}
		ap.Decisions = append(ap.Decisions, Decision{ApprovalID: ap.ID, UserID: a.UserID, UserName: a.Name, Approve: true, Note: note, At: w.Now()})
		n := ap.Approvals()
		if _, err := w.event(a.Name, EventApprovalApproved, l.in.ID, fmt.Sprintf("approval:%d", ap.ID), map[string]any{
			"approval": ap.ID, "system": sys.ID, "to": ap.To, "note": note, "approvals": n, "required": ap.Required,
		}); err != nil {
			return err
		}
		out = &Decided{}
		if n >= ap.Required {
			st, err := w.SystemState(l.in.ID, sys.ID)
			if err != nil {
				return err
			}
			if st.State != ap.From {
				return phasegate.Errorf(phasegate.ECONFLICT, "%s is now %s, not %s as when request %d was made; ask again",
					sys.ID, st.State, ap.From, ap.ID)
			}
			// Guards again: a dependency may have gone down since the
			// request. Refusing rolls back this approval too.
			if err := s.guard(w, l, sys, st.State, ap.To); err != nil {
				return err
			}
			approvers := make([]string, 0, n)
			for _, d := range ap.Decisions {
				if d.Approve {
					approvers = append(approvers, d.UserName)
				}
			}
			if _, err := s.move(w, ap.RequestedBy, l, sys, st, ap.To, ap.Reason, map[string]any{
				"approval": ap.ID, "approved_by": approvers}); err != nil {
				return err
			}
			ap.Status, ap.ClosedAt, ap.ClosedNote = ApprovalApproved, w.Now(), "approved by "+strings.Join(approvers, ", ")
			if err := w.UpdateApproval(ap); err != nil {
				return err
			}
			d, err := systemDetail(w, l, sys)
			if err != nil {
				return err
			}
			out.Done, out.System = true, &d.SystemView
		}
		fresh, err := w.Approval(ap.ID)
		if err != nil {
			return err
		}
		out.Approval = *fresh
		return nil
	})
	return out, err
}

// Reject rejects a pending request with a note. Needs approval.decide;
// the requester cannot reject their own request (they cancel it).
func (s *Service) Reject(ctx context.Context, a Actor, id int64, note string) (*Approval, error) {
	if err := a.Authorize(ActionView, nil); err != nil {
		return nil, err
	}
	note = strings.TrimSpace(note)
	var out *Approval
	allowed := func(ap *Approval, sys *estate.System) error {
		if err := mayDecide(a, ap, sys, "reject"); err != nil {
			return err
		}
		if note == "" {
			return phasegate.Errorf(phasegate.EINVALID, "note: say why the request is rejected")
		}
		return nil
	}
	err := s.openRequest(ctx, id, allowed, func(w *writer, ap *Approval, l *loaded, sys *estate.System) error {
		if err := w.InsertDecision(Decision{ApprovalID: ap.ID, UserID: a.UserID, UserName: a.Name, Approve: false, Note: note, At: w.Now()}); err != nil {
			return err
		}
		var err error
		out, err = closeRequest(w, a, l, ap, sys, ApprovalRejected, EventApprovalRejected, note)
		return err
	})
	return out, err
}

// closeRequest ends a pending request as status with the actor's note,
// records it as an event of type typ, and returns the request as stored.
func closeRequest(w *writer, a Actor, l *loaded, ap *Approval, sys *estate.System, status ApprovalStatus, typ, note string) (*Approval, error) {
	ap.Status, ap.ClosedAt, ap.ClosedNote = status, w.Now(), note
	if err := w.UpdateApproval(ap); err != nil {
		return nil, err
	}
	if _, err := w.event(a.Name, typ, l.in.ID, fmt.Sprintf("approval:%d", ap.ID), map[string]any{
		"approval": ap.ID, "system": sys.ID, "to": ap.To, "note": note,
	}); err != nil {
		return nil, err
	}
	return w.Approval(ap.ID)
}

// CancelApproval withdraws a pending request: the requester always may,
// others need approval.cancel.
func (s *Service) CancelApproval(ctx context.Context, a Actor, id int64, note string) (*Approval, error) {
	if err := a.Authorize(ActionView, nil); err != nil {
		return nil, err
	}
	var out *Approval
	allowed := func(ap *Approval, sys *estate.System) error {
		if a.UserID != 0 && a.UserID == ap.RequestedByID || a.System && a.Name == ap.RequestedBy {
			return nil
		}
		return a.Authorize(ActionApprovalCancel, sys)
	}
	err := s.openRequest(ctx, id, allowed, func(w *writer, ap *Approval, l *loaded, sys *estate.System) error {
		var err error
		out, err = closeRequest(w, a, l, ap, sys, ApprovalCancelled, EventApprovalCancelled, note)
		return err
	})
	return out, err
}
