package incident

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/phasegate/phasegate"
)

// ChangeKind names an account change that waits for a second admin
// before it takes effect, once dual control is on (see dualControl and
// docs/adr/0007-dual-control-of-accounts.md).
type ChangeKind string

// The account changes that give power.
const (
	ChangeUserCreate   ChangeKind = "user.create"   // an account with a role beyond viewer
	ChangeUserRoles    ChangeKind = "user.roles"    // roles that add a role or widen a scope
	ChangeUserPassword ChangeKind = "user.password" // another user's password
	ChangeUserEnable   ChangeKind = "user.enable"   // a disabled account back in use
	// ChangeUserReset: another user's password reset with a one-time
	// code, which goes to the approving admin (svc_codes.go).
	ChangeUserReset ChangeKind = "user.reset"
)

// Events of account requests: account events (see Actor.MaySee).
const (
	EventAccountRequested = "user.change_requested"
	EventAccountApproved  = "user.change_approved"
	EventAccountRejected  = "user.change_rejected"
	EventAccountCancelled = "user.change_cancelled"
	EventAccountExpired   = "user.change_expired"
	// EventDualControl: two enabled admins exist; from now on account
	// changes that give power wait for a second admin, for good.
	EventDualControl = "user.dual_control_on"
)

// AccountRequest is a change waiting for (or decided by) a second person.
type AccountRequest struct {
	ID   int64      `json:"id"`
	Kind ChangeKind `json:"kind"`
	// UserID is the account changed: 0 for a new account until it is
	// created.
	UserID   int64         `json:"user_id,omitempty"`
	UserName string        `json:"user,omitempty"`
	Change   AccountChange `json:"change"`
	// Secret is the password hash a user.create or user.password request
	// sets; it never leaves the store. A user.create without one gives the
	// approver a one-time code for the new account.
	Secret string `json:"-"`
	// PasswordCode is the one-time code an approval issued (user.reset, and
	// user.create without a password), set only in the approver's answer.
	PasswordCode *IssuedCode `json:"password_code,omitempty"`
	// Summary says in one sentence what approving does.
	Summary       string         `json:"summary"`
	Reason        string         `json:"reason,omitempty"`
	RequestedBy   string         `json:"requested_by"`
	RequestedByID int64          `json:"requested_by_id"`
	RequestedAt   time.Time      `json:"requested_at"`
	ExpiresAt     time.Time      `json:"expires_at"`
	Status        ApprovalStatus `json:"status"`
	DecidedBy     string         `json:"decided_by,omitempty"`
	DecidedByID   int64          `json:"decided_by_id,omitempty"`
	DecidedAt     time.Time      `json:"decided_at,omitzero"`
	Note          string         `json:"note,omitempty"`
	// Seq is the last event about the request.
	Seq int64 `json:"seq"`
}

// AccountChange is what a request changes, by kind.
type AccountChange struct {
	// Roles: user.create and user.roles, the roles the user will hold;
	// From: user.roles, the roles held when it was asked.
	Roles []Grant  `json:"roles,omitempty"`
	From  []string `json:"from,omitempty"`
}

// AccountQuery selects account requests.
type AccountQuery struct {
	Status ApprovalStatus // "": all
}

// flagDualControl is set once two enabled admins exist (latchDualControl).
const flagDualControl = "accounts.dual_control"

// dualControl reports whether an account change that gives power must
// wait for a second admin: once two enabled admins have existed, always
// (the switch is latched, so disabling the other admin does not leave one
// person alone in charge again); before that there is nobody to ask.
// phasegate itself (start-up, demo) and break-glass on the host act at
// once.
func dualControl(tx Tx, a Actor) (bool, error) {
	if a.System {
		return false, nil
	}
	on, err := tx.Flag(flagDualControl)
	if err != nil || on {
		return on, err
	}
	n, err := enabledAdmins(tx)
	return n >= 2, err
}

// latchDualControl sets the dual-control switch for good, with an event,
// when two enabled admins exist.
func latchDualControl(w *writer, actor string) error {
	on, err := w.Flag(flagDualControl)
	if err != nil || on {
		return err
	}
	n, err := enabledAdmins(w)
	if err != nil || n < 2 {
		return err
	}
	if err := w.SetFlag(flagDualControl, actor); err != nil {
		return err
	}
	_, err = w.event(actor, EventDualControl, 0, "accounts", map[string]any{
		"admins": n, "rule": "an account change that gives power now waits for a second admin"})
	return err
}

// DualControl reports whether account changes that give power wait for a
// second admin. Needs users.manage.
func (s *Service) DualControl(ctx context.Context, a Actor) (bool, error) {
	if err := a.Authorize(ActionUsersManage, nil); err != nil {
		return false, err
	}
	var on bool
	err := s.view(ctx, func(tx Tx) (err error) {
		on, err = dualControl(tx, Actor{})
		return err
	})
	return on, err
}

// askSecondAdmin stores r as a pending request asked by a, with its
// event, when the change gives power (need) and dual control is on; it
// returns r then, and nil when the change acts at once.
func (s *Service) askSecondAdmin(w *writer, a Actor, need bool, r *AccountRequest) (*AccountRequest, error) {
	if !need {
		return nil, nil
	}
	if on, err := dualControl(w, a); err != nil || !on {
		return nil, err
	}
	if r.Kind == ChangeUserCreate {
		if _, err := w.UserByName(r.UserName); err == nil {
			return nil, phasegate.Errorf(phasegate.ECONFLICT, "name: a user named %q already exists; choose another name", r.UserName)
		}
	}
	if err := s.requestChange(w, a, r); err != nil {
		return nil, err
	}
	return r, nil
}

// requestChange stores r as pending, asked by a, with its event.
func (s *Service) requestChange(w *writer, a Actor, r *AccountRequest) error {
	pending, err := w.AccountRequests(AccountQuery{Status: ApprovalPending})
	if err != nil {
		return err
	}
	for i := range pending {
		p := &pending[i]
		if expired, err := expireAccountRequestIfDue(w, p); err != nil {
			return err
		} else if !expired && p.Kind == r.Kind && p.UserName == r.UserName {
			return phasegate.Errorf(phasegate.ECONFLICT,
				"account request %d (%s, asked by %s) is already waiting for a second person; it is decided or cancelled first",
				p.ID, p.Summary, p.RequestedBy)
		}
	}
	now := w.Now()
	r.RequestedBy, r.RequestedByID, r.RequestedAt = a.Name, a.UserID, now
	r.ExpiresAt, r.Status = now.Add(s.settings.ApprovalTTL), ApprovalPending
	if err := w.InsertAccountRequest(r); err != nil {
		return err
	}
	e, err := w.event(a.Name, EventAccountRequested, 0, "user:"+r.UserName, map[string]any{
		"request": r.ID, "kind": r.Kind, "summary": r.Summary, "reason": r.Reason, "change": r.Change,
		"expires_at": FormatTime(r.ExpiresAt)})
	if err != nil {
		return err
	}
	r.Seq = e.Seq
	return w.UpdateAccountRequest(r)
}

// expireAccountRequestIfDue marks a pending request expired when its time has
// passed.
func expireAccountRequestIfDue(w *writer, r *AccountRequest) (bool, error) {
	if r.Status != ApprovalPending || w.Now().Before(r.ExpiresAt) {
		return false, nil
	}
	_, err := closeAccountRequest(w, SystemActorPrefix+"approval-expiry", 0, r, ApprovalExpired, EventAccountExpired,
		"nobody decided before "+FormatTime(r.ExpiresAt))
	return true, err
}

// closeAccountRequest ends a request as status with a note and records it.
func closeAccountRequest(w *writer, actor string, actorID int64, r *AccountRequest, status ApprovalStatus, typ, note string) (*AccountRequest, error) {
	r.Status, r.DecidedBy, r.DecidedByID, r.DecidedAt, r.Note = status, actor, actorID, w.Now(), note
	e, err := w.event(actor, typ, 0, "user:"+r.UserName, map[string]any{
		"request": r.ID, "kind": r.Kind, "summary": r.Summary, "note": note})
	if err != nil {
		return nil, err
	}
	r.Seq = e.Seq
	return r, w.UpdateAccountRequest(r)
}

// AccountRequests lists account requests, newest first; pending ones
// whose time passed are shown expired. Needs users.manage (the event log
// shows them to auditors too).
func (s *Service) AccountRequests(ctx context.Context, a Actor, q AccountQuery) ([]AccountRequest, error) {
	if err := a.Authorize(ActionUsersManage, nil); err != nil {
		return nil, err
	}
	var all []AccountRequest
	err := s.view(ctx, func(tx Tx) (err error) {
		all, err = tx.AccountRequests(q)
		return err
	})
	out := []AccountRequest{}
	for _, r := range all {
		if r.Status == ApprovalPending && !s.clock().Before(r.ExpiresAt) {
			if q.Status == ApprovalPending {
				continue
			}
			r.Status = ApprovalExpired
		}
		out = append(out, r)
	}
	return out, err
}

// AccountRequestByID returns one request. Needs users.manage.
func (s *Service) AccountRequestByID(ctx context.Context, a Actor, id int64) (*AccountRequest, error) {
	return viewOne(ctx, s, a, ActionUsersManage, func(tx Tx) (*AccountRequest, error) { return tx.AccountRequest(id) })
}

// openAccountRequest loads a request, checks allowed (before anything about its
// state: someone who may not act learns nothing more), refuses one no
// longer pending (a request found expired is marked so and committed),
// and runs fn on a pending one.
func (s *Service) openAccountRequest(ctx context.Context, id int64, allowed func(r *AccountRequest) error, fn func(w *writer, r *AccountRequest) error) error {
	var refused error
	err := s.update(ctx, func(w *writer) error {
		r, err := w.AccountRequest(id)
		if err != nil {
			return err
		}
		if err := allowed(r); err != nil {
			return err
		}
		if expired, err := expireAccountRequestIfDue(w, r); err != nil {
			return err
		} else if expired {
			refused = phasegate.Errorf(phasegate.ECONFLICT, "account request %d expired at %s; ask again", r.ID, FormatTime(r.ExpiresAt))
			return nil
		}
		if r.Status != ApprovalPending {
			return phasegate.Errorf(phasegate.ECONFLICT, "account request %d is %s, no longer pending", r.ID, r.Status)
		}
		return fn(w, r)
	})
	if err != nil {
		return err
	}
	return refused
}

// mayDecideAccount: users.manage, a person, not the requester.
func mayDecideAccount(a Actor, r *AccountRequest, verb string) error {
	if err := a.Authorize(ActionUsersManage, nil); err != nil {
		return err
	}
	if a.System {
		return phasegate.Errorf(phasegate.EFORBIDDEN, "%s is phasegate itself and cannot %s account request %d: it needs a second person", a.Name, verb, r.ID)
	}
	if a.UserID == r.RequestedByID {
		if verb == "reject" {
			return phasegate.Errorf(phasegate.EFORBIDDEN, "%s asked for account request %d; cancel it instead of rejecting it", a.Name, r.ID)
		}
		return phasegate.Errorf(phasegate.EFORBIDDEN,
			"%s asked for account request %d and cannot approve it: it needs a second person", a.Name, r.ID)
	}
	return nil
}

// ApproveAccountRequest approves a pending request and makes the change, in one
// transaction, after checking it again (a name taken since, the last
// admin…). The requester cannot approve; the approver needs users.manage.
func (s *Service) ApproveAccountRequest(ctx context.Context, a Actor, id int64, note string) (*AccountRequest, error) {
	if err := a.Authorize(ActionView, nil); err != nil {
		return nil, err
	}
	var out *AccountRequest
	allowed := func(r *AccountRequest) error { return mayDecideAccount(a, r, "approve") }
	err := s.openAccountRequest(ctx, id, allowed, func(w *writer, r *AccountRequest) error {
		code, err := s.applyChange(w, r, a.Name)
		if err != nil {
			return err
		}
		out, err = closeAccountRequest(w, a.Name, a.UserID, r, ApprovalApproved, EventAccountApproved, strings.TrimSpace(note))
		if out != nil {
			out.PasswordCode = code
		}
		return err
	})
	return out, err
}

// RejectAccountRequest rejects a pending request with a note saying why.
func (s *Service) RejectAccountRequest(ctx context.Context, a Actor, id int64, note string) (*AccountRequest, error) {
	if err := a.Authorize(ActionView, nil); err != nil {
		return nil, err
	}
	note = strings.TrimSpace(note)
	var out *AccountRequest
	allowed := func(r *AccountRequest) error {
		if err := mayDecideAccount(a, r, "reject"); err != nil {
			return err
		}
		if note == "" {
			return phasegate.Errorf(phasegate.EINVALID, "note: say why you reject account request %d; the admin who asked reads it", r.ID)
		}
		return nil
	}
	err := s.openAccountRequest(ctx, id, allowed, func(w *writer, r *AccountRequest) (err error) {
		out, err = closeAccountRequest(w, a.Name, a.UserID, r, ApprovalRejected, EventAccountRejected, note)
		return err
	})
	return out, err
}

// CancelAccountRequest withdraws a pending request: the requester always
// may, other admins too.
func (s *Service) CancelAccountRequest(ctx context.Context, a Actor, id int64, note string) (*AccountRequest, error) {
	if err := a.Authorize(ActionView, nil); err != nil {
		return nil, err
	}
	var out *AccountRequest
	allowed := func(r *AccountRequest) error {
		if a.UserID != 0 && a.UserID == r.RequestedByID {
			return nil
		}
		return a.Authorize(ActionUsersManage, nil)
	}
	err := s.openAccountRequest(ctx, id, allowed, func(w *writer, r *AccountRequest) (err error) {
		out, err = closeAccountRequest(w, a.Name, a.UserID, r, ApprovalCancelled, EventAccountCancelled, strings.TrimSpace(note))
		return err
	})
	return out, err
}

// applyChange makes an approved change, recorded as done by its requester
// and approved by approver. A change that issues a one-time code returns
// it, for the approver alone.
func (s *Service) applyChange(w *writer, r *AccountRequest, approver string) (*IssuedCode, error) {
	extra := withReason(map[string]any{"request": r.ID, "approved_by": approver}, r.Reason)
	if r.Kind == ChangeUserCreate || r.Kind == ChangeUserRoles {
		// Checked again: the estate may have changed since it was asked.
		if err := s.checkGrantScopes(w, r.Change.Roles); err != nil {
			return nil, err
		}
	}
	if r.Kind == ChangeUserCreate {
		u := &User{Name: r.UserName, PasswordHash: r.Secret, Grants: r.Change.Roles, CreatedBy: r.RequestedBy}
		if err := insertUser(w, r.RequestedBy, u, extra); err != nil {
			return nil, err
		}
		r.UserID = u.ID
		if r.Secret != "" {
			return nil, nil
		}
		return s.issueCode(w, r.RequestedBy, approver, u, map[string]any{"request": r.ID})
	}
	u, err := w.User(r.UserID)
	if err != nil {
		return nil, err
	}
	switch r.Kind {
	case ChangeUserRoles:
		return nil, setGrants(w, r.RequestedBy, u, r.Change.Roles, extra)
	case ChangeUserPassword: // asked before one-time codes; kept so such requests can be decided
		return nil, setPasswordHash(w, r.RequestedBy, u, r.Secret, false, "", extra)
	case ChangeUserReset:
		return s.issueCode(w, r.RequestedBy, approver, u, withReason(map[string]any{"request": r.ID}, r.Reason))
	case ChangeUserEnable:
		return nil, setDisabled(w, r.RequestedBy, u, false, extra)
	}
	return nil, fmt.Errorf("incident: account request %d: unknown kind %q", r.ID, r.Kind)
}

// givesPower reports whether grants add a role beyond viewer, or widen a
// scope, to those held before.
func givesPower(before, after []Grant) bool {
	held := grantStrings(before)
	for _, g := range after {
		if g.Role != RoleViewer && !slices.Contains(held, g.String()) {
			return true
		}
	}
	return false
}
