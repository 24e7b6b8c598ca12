package incident

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/phasegate/phasegate"
)

// MinPasswordLength is the shortest password accepted: length is what
// makes a password hard to guess (NIST SP 800-63B).
const MinPasswordLength = 12

var userNameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._@-]{0,63}$`)

func validateNewUser(name string, grants []Grant) error {
	if !userNameRE.MatchString(name) {
		return phasegate.Errorf(phasegate.EINVALID, "name: %q is not a valid user name; use 1 to 64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit", name)
	}
	return ValidateGrants(grants)
}

func validatePassword(p string) error {
	if len([]rune(p)) < MinPasswordLength {
		return phasegate.Errorf(phasegate.EINVALID, "password: use at least %d characters (a passphrase of a few words is fine)", MinPasswordLength)
	}
	if len(p) > 1024 {
		return phasegate.Errorf(phasegate.EINVALID, "password: at most 1024 bytes")
	}
	return nil
}

// CreateUser creates an account. Needs users.manage. Without a password
// the account gets a one-time code (the person sets their own password
// with it, see svc_codes.go), returned in the user's PasswordCode. Under
// dual control (see dualControl) an admin may not choose another person's
// password, and an account with a role beyond viewer is not created but
// asked for: the AccountRequest is returned, and the code goes to the
// admin who approves it.
func (s *Service) CreateUser(ctx context.Context, a Actor, nu NewUser) (*User, *AccountRequest, error) {
	if err := a.Authorize(ActionUsersManage, nil); err != nil {
		return nil, nil, err
	}
	hash, err := s.hashNewUser(&nu, true)
	if err != nil {
		return nil, nil, err
	}
	var u *User
	var req *AccountRequest
	err = s.update(ctx, func(w *writer) error {
		if err := s.checkGrantScopes(w, nu.Grants); err != nil {
			return err
		}
		if hash != "" {
			if err := refuseChosenPassword(w, a, "password"); err != nil {
				return err
			}
		}
		summary := fmt.Sprintf("create user %s with the roles %s", nu.Name, strings.Join(grantStrings(nu.Grants), ", "))
		if hash == "" {
			summary += "; the approving admin receives a one-time code for them to set their password"
		}
		var err error
		if req, err = s.askSecondAdmin(w, a, givesPower(nil, nu.Grants), &AccountRequest{Kind: ChangeUserCreate,
			UserName: nu.Name, Secret: hash, Reason: nu.Reason, Change: AccountChange{Roles: nu.Grants},
			Summary: summary}); err != nil || req != nil {
			return err
		}
		u = &User{Name: nu.Name, PasswordHash: hash, Grants: nu.Grants, CreatedBy: a.Name}
		if err := insertUser(w, a.Name, u, withReason(nil, nu.Reason)); err != nil {
			return err
		}
		if hash != "" {
			return nil
		}
		if u.PasswordCode, err = s.issueCode(w, a.Name, "", u, nil); err != nil {
			return err
		}
		u.NoPassword, u.CodeExpiresAt = true, u.PasswordCode.ExpiresAt
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return u, req, nil
}

// refuseChosenPassword refuses, under dual control, a password an admin
// chose for another person (field names it): whoever chose it could log
// in as that person. Phasegate itself and break-glass on the host may.
func refuseChosenPassword(tx Tx, a Actor, field string) error {
	on, err := dualControl(tx, a)
	if err != nil || !on {
		return err
	}
	return phasegate.Errorf(phasegate.EINVALID,
		"%s: with two admins, an admin does not choose another person's password; leave it out and a one-time code is issued (to the approving admin when the change waits for one), which the person uses to set their own at /set-password", field)
}

// hashNewUser trims and checks a new account and hashes its password.
// optional: without a password there is no hash (the account gets a
// one-time code instead).
func (s *Service) hashNewUser(nu *NewUser, optional bool) (string, error) {
	nu.Name = strings.TrimSpace(nu.Name)
	if err := validateNewUser(nu.Name, nu.Grants); err != nil {
		return "", err
	}
	if optional && nu.Password == "" {
		return "", nil
	}
	if err := validatePassword(nu.Password); err != nil {
		return "", err
	}
	return HashPassword(nu.Password, s.settings.Password, s.random)
}

func (s *Service) addUser(ctx context.Context, actor string, nu NewUser) (*User, error) {
	hash, err := s.hashNewUser(&nu, false)
	if err != nil {
		return nil, err
	}
	u := &User{Name: nu.Name, PasswordHash: hash, Grants: nu.Grants, CreatedBy: actor}
	err = s.update(ctx, func(w *writer) error {
		if err := s.checkGrantScopes(w, u.Grants); err != nil {
			return err
		}
		return insertUser(w, actor, u, nil)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// insertUser stores a new account with its event (extra: more of the
// event's payload) and latches dual control when it makes a second admin.
func insertUser(w *writer, actor string, u *User, extra map[string]any) error {
	u.CreatedAt = w.Now()
	if err := w.InsertUser(u); err != nil {
		return err
	}
	if _, err := w.event(actor, EventUserCreated, 0, "user:"+u.Name,
		withExtra(map[string]any{"name": u.Name, "roles": grantStrings(u.Grants)}, extra)); err != nil {
		return err
	}
	return latchDualControl(w, actor)
}

// withReason adds a non-empty reason to an event's extra payload.
func withReason(extra map[string]any, reason string) map[string]any {
	if reason = strings.TrimSpace(reason); reason == "" {
		return extra
	}
	if extra == nil {
		extra = map[string]any{}
	}
	extra["reason"] = reason
	return extra
}

// withExtra adds extra to an event's payload.
func withExtra(payload, extra map[string]any) map[string]any {
	maps.Copy(payload, extra)
	return payload
}

// Users lists the accounts. Needs users.manage.
func (s *Service) Users(ctx context.Context, a Actor) ([]User, error) {
	if err := a.Authorize(ActionUsersManage, nil); err != nil {
		return nil, err
	}
	var out []User
	err := s.view(ctx, func(tx Tx) (err error) {
		if out, err = tx.Users(); err != nil {
			return err
		}
		return withCodeState(tx, out)
	})
	return out, err
}

// User returns one account: one's own always, others with users.manage.
func (s *Service) User(ctx context.Context, a Actor, id int64) (*User, error) {
	if id != a.UserID {
		if err := a.Authorize(ActionUsersManage, nil); err != nil {
			return nil, err
		}
	}
	var out *User
	err := s.view(ctx, func(tx Tx) (err error) {
		if out, err = tx.User(id); err != nil {
			return err
		}
		one := []User{*out}
		err = withCodeState(tx, one)
		*out = one[0]
		return err
	})
	return out, err
}

// enabledAdmins counts the users who could still manage accounts.
func enabledAdmins(tx Tx) (int, error) {
	us, err := tx.Users()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, u := range us {
		if !u.Disabled && slices.ContainsFunc(u.Grants, func(g Grant) bool { return g.Role == RoleAdmin }) {
			n++
		}
	}
	return n, nil
}

// SetGrants replaces a user's roles. Needs users.manage. It refuses to
// leave no enabled admin. Under dual control, roles that add a role beyond
// viewer or widen a scope are asked for (the AccountRequest is returned);
// taking roles away acts at once.
func (s *Service) SetGrants(ctx context.Context, a Actor, userID int64, grants []Grant, reason string) (*User, *AccountRequest, error) {
	if err := a.Authorize(ActionUsersManage, nil); err != nil {
		return nil, nil, err
	}
	if err := ValidateGrants(grants); err != nil {
		return nil, nil, err
	}
	var out *User
	var req *AccountRequest
	err := s.update(ctx, func(w *writer) error {
		u, err := w.User(userID)
		if err != nil {
			return err
		}
		if err := s.checkGrantScopes(w, grants); err != nil {
			return err
		}
		if req, err = s.askSecondAdmin(w, a, givesPower(u.Grants, grants), &AccountRequest{Kind: ChangeUserRoles,
			UserID: u.ID, UserName: u.Name, Reason: reason, Change: AccountChange{Roles: grants, From: grantStrings(u.Grants)},
			Summary: fmt.Sprintf("give %s the roles %s (now %s)", u.Name,
				strings.Join(grantStrings(grants), ", "), orNone(grantStrings(u.Grants)))}); err != nil || req != nil {
			return err
		}
		out = u
		return setGrants(w, a.Name, u, grants, withReason(nil, reason))
	})
	return out, req, err
}

func orNone(ss []string) string {
	if len(ss) == 0 {
		return "none"
	}
	return strings.Join(ss, ", ")
}

// setGrants stores u's new roles with their event.
func setGrants(w *writer, actor string, u *User, grants []Grant, extra map[string]any) error {
	before := grantStrings(u.Grants)
	u.Grants = grants
	if err := updateKeepingAnAdmin(w, u, "; give another user the admin role first"); err != nil {
		return err
	}
	if _, err := w.event(actor, EventUserRoles, 0, "user:"+u.Name, withExtra(map[string]any{
		"name": u.Name, "from": before, "to": grantStrings(grants)}, extra)); err != nil {
		return err
	}
	return latchDualControl(w, actor)
}

// PasswordChange is a new password for a user.
type PasswordChange struct {
	Password string
	// Current is the user's present password, required to change one's
	// own: a stolen session must not be enough to lock its owner out.
	Current string
	Reason  string
}

// SetPassword changes a password: one's own always (with the current
// one), others with users.manage while dual control is off. The user's
// other sessions end. Under dual control another user's password is
// refused: an admin resets it with a one-time code instead
// (ResetPassword), since resetting someone else's password is how the
// help-desk attack takes over an account. (The AccountRequest result is
// kept for callers; it is always nil now.)
func (s *Service) SetPassword(ctx context.Context, a Actor, userID int64, pc PasswordChange) (*AccountRequest, error) {
	own := userID == a.UserID
	if !own {
		if err := a.Authorize(ActionUsersManage, nil); err != nil {
			return nil, err
		}
	} else if err := a.Authorize(ActionView, nil); err != nil {
		return nil, err
	}
	if err := validatePassword(pc.Password); err != nil {
		return nil, err
	}
	if own {
		if err := s.checkCurrentPassword(ctx, a, pc.Current); err != nil {
			return nil, err
		}
	}
	hash, err := HashPassword(pc.Password, s.settings.Password, s.random)
	if err != nil {
		return nil, err
	}
	err = s.update(ctx, func(w *writer) error {
		u, err := w.User(userID)
		if err != nil {
			return err
		}
		if !own {
			if err := refuseChosenPassword(w, a, "password"); phasegate.ErrorCode(err) == phasegate.EINVALID {
				return phasegate.Errorf(phasegate.EINVALID,
					"password: with two admins, an admin does not choose %s's password; reset it with a one-time code instead (POST /api/v1/users/%d/password-code), which goes to the approving admin to hand to them", u.Name, u.ID)
			} else if err != nil {
				return err
			}
		}
		keep := ""
		if own {
			keep = a.Session
		}
		return setPasswordHash(w, a.Name, u, hash, own, keep, withReason(nil, pc.Reason))
	})
	return nil, err
}

// checkCurrentPassword checks the actor's own password before they set a
// new one. A wrong one counts as a failed login (slowed, then locked
// out), so a stolen session cannot guess its way to the password. The
// slow hash check runs outside the write lock.
func (s *Service) checkCurrentPassword(ctx context.Context, a Actor, current string) error {
	var u *User
	var keys []string
	err := s.view(ctx, func(tx Tx) (err error) {
		if u, err = tx.User(a.UserID); err != nil {
			return err
		}
		keys = throttleKeys(u.Name, a.Address)
		return s.checkThrottles(tx, keys)
	})
	if err != nil {
		return err
	}
	if CheckPassword(u.PasswordHash, current) {
		return nil
	}
	if err := s.loginFailed(ctx, u.Name, "wrong current password", keys, Client{Address: a.Address}); phasegate.ErrorCode(err) != phasegate.EUNAUTHORIZED {
		return err
	}
	return phasegate.Errorf(phasegate.EFORBIDDEN,
		"current_password: give your current password to set a new one; what was given is not it")
}

// setPasswordHash stores u's new password hash with its event, and ends
// u's sessions but keep: whoever held the old password is logged out (a
// reset after the help-desk attack must end the attacker's session).
func setPasswordHash(w *writer, actor string, u *User, hash string, own bool, keep string, extra map[string]any) error {
	u.PasswordHash = hash
	if err := w.UpdateUser(u); err != nil {
		return err
	}
	if err := w.DeletePasswordCode(u.ID); err != nil { // a password set: a code waiting is void
		return err
	}
	ended, err := w.DeleteUserSessions(u.ID, keep)
	if err != nil {
		return err
	}
	_, err = w.event(actor, EventUserPassword, 0, "user:"+u.Name, withExtra(map[string]any{
		"name": u.Name, "own": own, "sessions_ended": ended}, extra))
	return err
}

// SetDisabled disables or re-enables a user; a disabled user's sessions
// stop working and its API tokens are revoked for good (re-enabling does
// not bring them back). Needs users.manage; nobody disables themself.
// Disabling acts at once, like containment; under dual control
// re-enabling is asked for (the AccountRequest is returned).
func (s *Service) SetDisabled(ctx context.Context, a Actor, userID int64, disabled bool, reason string) (*User, *AccountRequest, error) {
	if err := a.Authorize(ActionUsersManage, nil); err != nil {
		return nil, nil, err
	}
	if userID == a.UserID && disabled {
		return nil, nil, phasegate.Errorf(phasegate.ECONFLICT, "you cannot disable yourself; ask another admin")
	}
	var out *User
	var req *AccountRequest
	err := s.update(ctx, func(w *writer) error {
		u, err := w.User(userID)
		if err != nil {
			return err
		}
		if req, err = s.askSecondAdmin(w, a, !disabled && u.Disabled, &AccountRequest{Kind: ChangeUserEnable, UserID: u.ID,
			UserName: u.Name, Reason: reason,
			Summary: fmt.Sprintf("enable %s again (roles %s)", u.Name, orNone(grantStrings(u.Grants)))}); err != nil || req != nil {
			return err
		}
		out = u
		return setDisabled(w, a.Name, u, disabled, withReason(nil, reason))
	})
	return out, req, err
}

// updateKeepingAnAdmin stores u, refusing (ECONFLICT, with fix) a change
// that leaves no enabled admin.
func updateKeepingAnAdmin(w *writer, u *User, fix string) error {
	if err := w.UpdateUser(u); err != nil {
		return err
	}
	if n, err := enabledAdmins(w); err != nil {
		return err
	} else if n == 0 {
		return phasegate.Errorf(phasegate.ECONFLICT, "this would leave no enabled admin%s", fix)
	}
	return nil
}

// setDisabled stores u's disabled mark with its event. Disabling also
// revokes u's API tokens for good (tokens_revoked in the event says how
// many): an account disabled to contain a compromise does not get its
// old credentials back when it is enabled again.
func setDisabled(w *writer, actor string, u *User, disabled bool, extra map[string]any) error {
	u.Disabled = disabled
	if err := updateKeepingAnAdmin(w, u, ""); err != nil {
		return err
	}
	payload := map[string]any{"name": u.Name, "disabled": disabled}
	if disabled {
		n, err := revokeUserTokens(w, u.ID)
		if err != nil {
			return err
		}
		payload["tokens_revoked"] = n
	}
	if _, err := w.event(actor, EventUserDisabled, 0, "user:"+u.Name, withExtra(payload, extra)); err != nil {
		return err
	}
	return latchDualControl(w, actor)
}

// revokeUserTokens sets the revoked time of every active token of userID
// (not revoked, not expired), and returns how many it revoked.
func revokeUserTokens(w *writer, userID int64) (int, error) {
	toks, err := w.Tokens(userID)
	if err != nil {
		return 0, err
	}
	n := 0
	for i := range toks {
		tok := &toks[i]
		if tok.UserID != userID || !tok.RevokedAt.IsZero() || !tok.ExpiresAt.IsZero() && !w.Now().Before(tok.ExpiresAt) {
			continue
		}
		tok.RevokedAt = w.Now()
		if err := w.UpdateToken(tok); err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}

// CreateToken creates an API token acting with one role the user holds.
// One's own needs tokens.own; another user's needs tokens.all.
func (s *Service) CreateToken(ctx context.Context, a Actor, r TokenRequest) (*NewToken, error) {
	if r.UserID == 0 {
		r.UserID = a.UserID
	}
	action := ActionTokensOwn
	if r.UserID != a.UserID {
		action = ActionTokensAll
	}
	if err := a.Authorize(action, nil); err != nil {
		return nil, err
	}
	if a.ViaToken && r.UserID == a.UserID && r.Role != "" && !a.Has(r.Role) {
		return nil, phasegate.Errorf(phasegate.EFORBIDDEN, "a token acting as %s cannot create a token with another role", a.Grants[0].Role)
	}
	if a.ViaToken && r.Role == "" && len(a.Grants) == 1 && r.UserID == a.UserID {
		r.Role = a.Grants[0].Role
	}
	var out *NewToken
	err := s.update(ctx, func(w *writer) error {
		u, err := w.User(r.UserID)
		if err != nil {
			return err
		}
		if u.ID != a.UserID {
			if on, err := dualControl(w, a); err != nil {
				return err
			} else if on {
				return phasegate.Errorf(phasegate.ECONFLICT,
					"a token for %s would let whoever holds it act as %s, and account changes need a second admin: "+
						"%s creates their own token (POST /api/v1/tokens), or use `phasegate token create` on the server's host", u.Name, u.Name, u.Name)
			}
		}
		out, err = s.newToken(w, a.Name, u, r)
		return err
	})
	return out, err
}

func (s *Service) newToken(w *writer, actor string, u *User, r TokenRequest) (*NewToken, error) {
	if u.Disabled {
		return nil, phasegate.Errorf(phasegate.ECONFLICT, "user %s is disabled", u.Name)
	}
	role := r.Role
	if role == "" {
		if len(u.Grants) != 1 {
			return nil, phasegate.Errorf(phasegate.EINVALID, "role: %s holds several roles (%s); say which one the token acts as",
				u.Name, strings.Join(grantStrings(u.Grants), ", "))
		}
		role = u.Grants[0].Role
	}
	if !slices.ContainsFunc(u.Grants, func(g Grant) bool { return g.Role == role }) {
		return nil, phasegate.Errorf(phasegate.EINVALID, "role: %s does not hold the role %q; a token acts with one of the user's roles (%s)",
			u.Name, role, strings.Join(grantStrings(u.Grants), ", "))
	}
	if !r.ExpiresAt.IsZero() && !r.ExpiresAt.After(w.Now()) {
		return nil, phasegate.Errorf(phasegate.EINVALID, "expires_at: %s is in the past", FormatTime(r.ExpiresAt))
	}
	secret, err := newSecret(s.random)
	if err != nil {
		return nil, err
	}
	secret = TokenPrefix + secret
	tok := &Token{UserID: u.ID, Label: strings.TrimSpace(r.Label), Role: role, Hash: HashSecret(secret),
		CreatedAt: w.Now(), CreatedBy: actor, ExpiresAt: r.ExpiresAt.UTC().Truncate(time.Microsecond)}
	if err := w.InsertToken(tok); err != nil {
		return nil, err
	}
	payload := map[string]any{"token": tok.ID, "user": u.Name, "role": role, "label": tok.Label}
	if !tok.ExpiresAt.IsZero() {
		payload["expires_at"] = FormatTime(tok.ExpiresAt)
	}
	if _, err := w.event(actor, EventTokenCreated, 0, "user:"+u.Name, payload); err != nil {
		return nil, err
	}
	return &NewToken{Token: *tok, Secret: secret}, nil
}

// Tokens lists a user's tokens (userID 0: one's own). Another user's
// need tokens.all.
func (s *Service) Tokens(ctx context.Context, a Actor, userID int64) ([]Token, error) {
	if userID == 0 {
		userID = a.UserID
	}
	action := ActionTokensOwn
	if userID != a.UserID {
		action = ActionTokensAll
	}
	if err := a.Authorize(action, nil); err != nil {
		return nil, err
	}
	var out []Token
	err := s.view(ctx, func(tx Tx) (err error) {
		out, err = tx.Tokens(userID)
		return err
	})
	if out == nil {
		out = []Token{}
	}
	return out, err
}

// RevokeToken revokes a token. One's own needs tokens.own, another
// user's tokens.all.
func (s *Service) RevokeToken(ctx context.Context, a Actor, id int64) (*Token, error) {
	if err := a.Authorize(ActionView, nil); err != nil {
		return nil, err
	}
	var out *Token
	err := s.update(ctx, func(w *writer) error {
		tok, err := w.Token(id)
		if err != nil {
			return err
		}
		if tok.UserID != a.UserID && !a.Can(ActionTokensAll, nil) {
			// Someone else's token looks exactly like one that does not
			// exist: the answer must not tell a user which ids are live.
			return phasegate.Errorf(phasegate.ENOTFOUND, "there is no token %d", id)
		}
		if err := a.Authorize(ActionTokensOwn, nil); err != nil {
			return err
		}
		if !tok.RevokedAt.IsZero() {
			return phasegate.Errorf(phasegate.ECONFLICT, "token %d was already revoked at %s", tok.ID, FormatTime(tok.RevokedAt))
		}
		tok.RevokedAt = w.Now()
		if err := w.UpdateToken(tok); err != nil {
			return err
		}
		u, err := w.User(tok.UserID)
		if err != nil {
			return err
		}
		out = tok
		_, err = w.event(a.Name, EventTokenRevoked, 0, "user:"+u.Name, map[string]any{"token": tok.ID, "user": u.Name, "role": tok.Role})
		return err
	})
	return out, err
}

// BreakGlassActor is the actor recorded for the admin commands that work
// on the database directly (phasegate user add, phasegate token create).
const BreakGlassActor = "cli:break-glass"

// BreakGlassAddUser creates a user with roles without any permission
// check, for set-up and break-glass use by the command line on the
// database. The event names BreakGlassActor.
func (s *Service) BreakGlassAddUser(ctx context.Context, name, password string, grants []Grant) (*User, error) {
	return s.addUser(ctx, BreakGlassActor, NewUser{Name: name, Password: password, Grants: grants})
}

// BreakGlassCreateToken creates a token for a user without any
// permission check (command line on the database). Role empty picks the
// user's only role.
func (s *Service) BreakGlassCreateToken(ctx context.Context, userName string, role Role, label string) (*NewToken, error) {
	return s.BreakGlassIssueToken(ctx, userName, TokenRequest{Role: role, Label: label})
}

// BreakGlassIssueToken is BreakGlassCreateToken with every field of a
// token request (an expiry); r.UserID is ignored.
func (s *Service) BreakGlassIssueToken(ctx context.Context, userName string, r TokenRequest) (*NewToken, error) {
	r.UserID = 0
	var out *NewToken
	err := s.update(ctx, func(w *writer) error {
		u, err := w.UserByName(userName)
		if err != nil {
			return err
		}
		out, err = s.newToken(w, BreakGlassActor, u, r)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("token for %s: %w", userName, err)
	}
	return out, nil
}
