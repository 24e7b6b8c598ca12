package incident

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/phasegate/phasegate"
)

// BootstrapAdmin is the name of the first user.
const BootstrapAdmin = "admin"

// Bootstrap creates the first user, "admin" with the admin role and a
// random password, when the store has no user. It returns the password
// (to print once), or "" when users exist.
func (s *Service) Bootstrap(ctx context.Context) (name, password string, err error) {
	secret, err := newSecret(s.random)
	if err != nil {
		return "", "", err
	}
	password = secret[:24] // 144 bits: plenty, and short enough to type
	hash, err := HashPassword(password, s.settings.Password, s.random)
	if err != nil {
		return "", "", err
	}
	created := false
	err = s.update(ctx, func(w *writer) error {
		n, err := w.CountUsers()
		if err != nil || n > 0 {
			return err
		}
		u := &User{Name: BootstrapAdmin, PasswordHash: hash, Grants: []Grant{{Role: RoleAdmin}}, CreatedAt: w.Now(), CreatedBy: SystemActorPrefix + "bootstrap"}
		if err := w.InsertUser(u); err != nil {
			return err
		}
		created = true
		_, err = w.event(SystemActorPrefix+"bootstrap", EventUserCreated, 0, "user:"+u.Name, map[string]any{
			"name": u.Name, "roles": grantStrings(u.Grants), "bootstrap": true})
		return err
	})
	if err != nil || !created {
		return "", "", err
	}
	return BootstrapAdmin, password, nil
}

func grantStrings(gs []Grant) []string {
	out := make([]string, len(gs))
	for i, g := range gs {
		out[i] = g.String()
	}
	return out
}

func (s *Service) dummy() string {
	s.dummyOnce.Do(func() {
		s.dummyHash, _ = HashPassword("phasegate-dummy-password", s.settings.Password, s.random)
	})
	return s.dummyHash
}

// throttleWait says how long a key must still wait before its next
// attempt, and whether it is locked out.
func (s *Service) throttleWait(th LoginThrottle, now time.Time) (time.Duration, bool) {
	if now.Before(th.LockedUntil) {
		return th.LockedUntil.Sub(now), true
	}
	if th.Failures == 0 || now.Sub(th.LastFailure) > s.settings.FailureWindow {
		return 0, false
	}
	delay := s.settings.LoginDelay << min(th.Failures-1, 16)
	if delay > s.settings.MaxLoginDelay || delay <= 0 {
		delay = s.settings.MaxLoginDelay
	}
	if wait := th.LastFailure.Add(delay).Sub(now); wait > 0 {
		return wait, false
	}
	return 0, false
}

func throttleKeys(name, address string) []string {
	keys := []string{"user:" + strings.ToLower(name)}
	if address != "" {
		keys = append(keys, "addr:"+address)
	}
	return keys
}

func tooMany(wait time.Duration, locked bool) error {
	secs := int((wait + time.Second - 1) / time.Second)
	msg := fmt.Sprintf("too many failed logins: wait %d seconds before trying again", secs)
	if locked {
		msg = fmt.Sprintf("too many failed logins: locked out for %d more seconds; ask an admin if this was not you", secs)
	}
	return &phasegate.Error{Code: phasegate.ETOOMANY, Message: msg, Details: RetryAfter{Seconds: secs, Locked: locked}}
}

// Login checks a user name and password. Failures are slowed and, after
// MaxFailures, locked out (ETOOMANY with Details RetryAfter); every
// attempt that reaches the password check is an event. The session secret
// in the result is shown once.
func (s *Service) Login(ctx context.Context, name, password string, c Client) (*LoginResult, error) {
	name = strings.TrimSpace(name)
	keys := throttleKeys(name, c.Address)
	var user *User
	// Read the throttles and the user outside the writer lock: the
	// password hash is slow and must not hold up other writers.
	err := s.view(ctx, func(tx Tx) error {
		if err := s.checkThrottles(tx, keys); err != nil {
			return err
		}
		u, err := tx.UserByName(name)
		if err != nil && !isNotFound(err) {
			return err
		}
		user = u
		return nil
	})
	if err != nil {
		if phasegate.ErrorCode(err) == phasegate.ETOOMANY {
			s.log.Warn("login throttled", "user", name, "address", c.Address)
		}
		return nil, err
	}
	why := ""
	switch {
	case user == nil:
		CheckPassword(s.dummy(), password)
		why = "unknown user"
	case !CheckPassword(user.PasswordHash, password):
		why = "wrong password"
	case user.Disabled:
		why = "user disabled"
	}
	if why != "" {
		return nil, s.loginFailed(ctx, name, why, keys, c)
	}
	secret, err := newSecret(s.random)
	if err != nil {
		return nil, err
	}
	var res *LoginResult
	err = s.update(ctx, func(w *writer) error {
		now := w.Now()
		sess := &Session{Hash: HashSecret(secret), UserID: user.ID, CreatedAt: now, LastSeenAt: now,
			ExpiresAt: now.Add(s.settings.SessionTTL), Address: c.Address}
		if _, err := w.DeleteExpiredSessions(now); err != nil {
			return err
		}
		if err := w.InsertSession(sess); err != nil {
			return err
		}
		if err := w.DeleteThrottle(keys[0]); err != nil {
			return err
		}
		if _, err := w.event(user.Name, EventLoginSucceeded, 0, "user:"+user.Name, map[string]any{
			"name": user.Name, "address": c.Address, "user_agent": c.UserAgent}); err != nil {
			return err
		}
		res = &LoginResult{SessionSecret: secret, Session: *sess, User: *user,
			Actor: Actor{UserID: user.ID, Name: user.Name, Grants: user.Grants, Address: c.Address}}
		return nil
	})
	return res, err
}

// checkThrottles refuses (ETOOMANY) while any of keys is slowed down or
// locked out.
func (s *Service) checkThrottles(tx Tx, keys []string) error {
	for _, k := range keys {
		th, err := tx.Throttle(k)
		if err != nil {
			return err
		}
		if wait, locked := s.throttleWait(th, tx.Now()); wait > 0 {
			return tooMany(wait, locked)
		}
	}
	return nil
}

// loginFailed counts a failure against the user name and the address,
// locks them out when they reach their limit, and records the events.
func (s *Service) loginFailed(ctx context.Context, name, why string, keys []string, c Client) error {
	var wait time.Duration
	var locked bool
	err := s.update(ctx, func(w *writer) error {
		now := w.Now()
		if _, err := w.event(name, EventLoginFailed, 0, "user:"+name, map[string]any{
			"name": name, "address": c.Address, "reason": why, "user_agent": c.UserAgent}); err != nil {
			return err
		}
		for i, k := range keys {
			th, err := w.Throttle(k)
			if err != nil {
				return err
			}
			if now.Sub(th.LastFailure) > s.settings.FailureWindow && !now.Before(th.LockedUntil) {
				th.Failures = 0
			}
			th.Failures++
			th.LastFailure = now
			limit := s.settings.MaxFailures
			if i > 0 {
				limit = s.settings.AddressFailures
			}
			if th.Failures >= limit && !now.Before(th.LockedUntil) {
				th.LockedUntil = now.Add(s.settings.Lockout)
				if _, err := w.event(SystemActorPrefix+"login-throttle", EventLockedOut, 0, k, map[string]any{
					"key": k, "failures": th.Failures, "until": FormatTime(th.LockedUntil), "address": c.Address}); err != nil {
					return err
				}
			}
			if err := w.PutThrottle(th); err != nil {
				return err
			}
			if wt, l := s.throttleWait(th, now); wt > wait {
				wait, locked = wt, l
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return &phasegate.Error{Code: phasegate.EUNAUTHORIZED, Message: "wrong user name or password",
		Details: RetryAfter{Seconds: int((wait + time.Second - 1) / time.Second), Locked: locked}}
}

// Logout ends a session. Ending an unknown session does nothing.
func (s *Service) Logout(ctx context.Context, sessionSecret string) error {
	return s.update(ctx, func(w *writer) error {
		sess, err := w.SessionByHash(HashSecret(sessionSecret))
		if isNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		u, err := w.User(sess.UserID)
		if err != nil {
			return err
		}
		if err := w.DeleteSession(sess.Hash); err != nil {
			return err
		}
		_, err = w.event(u.Name, EventLogout, 0, "user:"+u.Name, map[string]any{"name": u.Name})
		return err
	})
}

// SessionView is one of a user's sessions as its owner sees it: when it
// began and was last used, from where, and when it ends if left alone
// (idle or at its limit, whichever is first); never its hash.
type SessionView struct {
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	Address    string    `json:"address,omitempty"`
	// Current: the session the request came with.
	Current bool `json:"current"`
}

// MySessions lists the actor's own live sessions, the one it came with
// first, then the most recently seen: someone who fears their account was
// used sees where it is logged in. Needs view.
func (s *Service) MySessions(ctx context.Context, a Actor) ([]SessionView, error) {
	if err := a.Authorize(ActionView, nil); err != nil {
		return nil, err
	}
	var out []SessionView
	err := s.view(ctx, func(tx Tx) error {
		ss, err := tx.UserSessions(a.UserID)
		if err != nil {
			return err
		}
		now := tx.Now()
		for _, x := range ss {
			ends := s.sessionEnds(&x)
			if !now.Before(ends) {
				continue
			}
			v := SessionView{CreatedAt: x.CreatedAt, LastSeenAt: x.LastSeenAt, ExpiresAt: ends, Address: x.Address,
				Current: a.Session != "" && x.Hash == a.Session}
			if v.Current {
				out = append([]SessionView{v}, out...)
			} else {
				out = append(out, v)
			}
		}
		return nil
	})
	return out, err
}

// EndOtherSessions logs the actor out everywhere but the browser it asks
// from, and records how many sessions it ended (auth.logout_others). Only
// a logged-in browser may: a token has no session of its own to keep.
func (s *Service) EndOtherSessions(ctx context.Context, a Actor) (int, error) {
	if err := a.Authorize(ActionView, nil); err != nil {
		return 0, err
	}
	if a.Session == "" || a.System {
		return 0, phasegate.Errorf(phasegate.EINVALID, "log out of your other sessions from a logged-in browser: an API token has no session of its own to keep")
	}
	var ended int
	err := s.update(ctx, func(w *writer) error {
		u, err := w.User(a.UserID)
		if err != nil {
			return err
		}
		if ended, err = w.DeleteUserSessions(u.ID, a.Session); err != nil {
			return err
		}
		_, err = w.event(u.Name, EventLogoutOthers, 0, "user:"+u.Name, map[string]any{"name": u.Name, "sessions_ended": ended})
		return err
	})
	return ended, err
}

// touchEvery limits last-seen and last-used writes to one a minute per
// session or token.
const touchEvery = time.Minute

var errSessionGone = phasegate.Errorf(phasegate.EUNAUTHORIZED, "your session has ended; log in again")

// SessionActor returns the actor of a live session (EUNAUTHORIZED when
// the session is unknown, expired or its user disabled).
func (s *Service) SessionActor(ctx context.Context, sessionSecret, address string) (Actor, error) {
	var sess *Session
	var user *User
	err := s.view(ctx, func(tx Tx) error {
		var err error
		sess, err = tx.SessionByHash(HashSecret(sessionSecret))
		if isNotFound(err) {
			return errSessionGone
		}
		if err != nil {
			return err
		}
		now := tx.Now()
		if !now.Before(s.sessionEnds(sess)) {
			return errSessionGone
		}
		user, err = tx.User(sess.UserID)
		if err != nil {
			return err
		}
		if user.Disabled {
			return errSessionGone
		}
		if now.Sub(sess.LastSeenAt) >= touchEvery {
			sess.LastSeenAt = now
			return errTouch
		}
		return nil
	})
	if err == errTouch {
		err = s.store.Update(ctx, func(tx Tx) error { return tx.UpdateSession(sess) })
		if isNotFound(err) {
			err = errSessionGone
		}
	}
	if err != nil {
		return Actor{}, err
	}
	return Actor{UserID: user.ID, Name: user.Name, Grants: user.Grants, Address: address, Session: sess.Hash}, nil
}

var errTouch = fmt.Errorf("touch")

// sessionEnds is when a session ends unless used again: at its absolute
// limit or once left idle, whichever comes first.
func (s *Service) sessionEnds(sess *Session) time.Time {
	if idle := sess.LastSeenAt.Add(s.settings.SessionIdle); idle.Before(sess.ExpiresAt) {
		return idle
	}
	return sess.ExpiresAt
}

var errTokenBad = phasegate.Errorf(phasegate.EUNAUTHORIZED, "the API token is not valid (unknown, revoked or expired); create a new one")

// TokenActor returns the actor of an API token, acting with the token's
// one role, and records when it was last used.
func (s *Service) TokenActor(ctx context.Context, tokenSecret, address string) (Actor, error) {
	if !strings.HasPrefix(tokenSecret, TokenPrefix) {
		return Actor{}, errTokenBad
	}
	var tok *Token
	var actor Actor
	err := s.view(ctx, func(tx Tx) error {
		var err error
		tok, err = tx.TokenByHash(HashSecret(tokenSecret))
		if isNotFound(err) {
			return errTokenBad
		}
		if err != nil {
			return err
		}
		now := tx.Now()
		if !tok.RevokedAt.IsZero() || !tok.ExpiresAt.IsZero() && !now.Before(tok.ExpiresAt) {
			return errTokenBad
		}
		u, err := tx.User(tok.UserID)
		if err != nil {
			return err
		}
		if u.Disabled {
			return phasegate.Errorf(phasegate.EUNAUTHORIZED, "the API token's user %s is disabled", u.Name)
		}
		for _, g := range u.Grants {
			if g.Role == tok.Role {
				actor = Actor{UserID: u.ID, Name: u.Name, Grants: []Grant{g}, ViaToken: true, TokenID: tok.ID, Address: address}
			}
		}
		if actor.UserID == 0 {
			return phasegate.Errorf(phasegate.EUNAUTHORIZED, "the API token acts as %s, a role %s no longer holds", tok.Role, u.Name)
		}
		if now.Sub(tok.LastUsedAt) >= touchEvery {
			tok.LastUsedAt = now
			return errTouch
		}
		return nil
	})
	if err == errTouch {
		// Re-read inside the write: a revocation since must not be undone.
		err = s.store.Update(ctx, func(tx Tx) error {
			fresh, err := tx.Token(tok.ID)
			if err != nil {
				return err
			}
			fresh.LastUsedAt = tx.Now()
			return tx.UpdateToken(fresh)
		})
	}
	if err != nil {
		return Actor{}, err
	}
	return actor, nil
}

// RetryAfter is the Details of an ETOOMANY login refusal (and of a failed
// login: how long the next attempt must wait).
type RetryAfter struct {
	Seconds int  `json:"retry_after"`
	Locked  bool `json:"locked"`
}
