package incident

import (
	"context"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/phasegate/phasegate"
)

// One-time password codes: how a person gets a password nobody else
// knows (docs/adr/0008-one-time-password-codes.md). An admin never
// chooses another person's password once dual control is on: a new
// account or a reset gets a code instead, shown once to whoever made the
// change take effect (the approving admin under dual control), handed to
// the person through a channel on file, and redeemed by the person, who
// sets their own password. After that only they know it; a code someone
// else redeemed first is a code the person finds used, and says so.

// Events of password codes: account events (see Actor.MaySee).
const (
	EventPasswordCodeIssued = "user.password_code_issued"
	EventPasswordCodeUsed   = "user.password_code_used"
)

// PasswordCode is a stored one-time code: only its SHA-256 is kept. A
// user has at most one; issuing another replaces it.
type PasswordCode struct {
	UserID     int64
	Hash       string
	IssuedBy   string // who asked for it
	ApprovedBy string // the second admin, "" when it acted at once
	IssuedAt   time.Time
	ExpiresAt  time.Time
}

// IssuedCode is a code as shown once to the person who hands it on. It
// is set only in the answer that issued it: never stored, listed or
// logged.
type IssuedCode struct {
	User      string    `json:"user"`
	Code      string    `json:"code"`
	ExpiresAt time.Time `json:"expires_at"`
}

// codeAlphabet is Crockford's base 32: no I, L, O or U, so a code read
// over the phone is not misheard; normalizeCode maps the look-alikes.
const codeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// codeLength is the code's length in characters: 20 × 5 = 100 bits.
const codeLength = 20

// newCode returns a random code in groups of four: XXXX-XXXX-XXXX-XXXX-XXXX.
func newCode(random io.Reader) (string, error) {
	b := make([]byte, codeLength)
	if _, err := io.ReadFull(random, b); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	var sb strings.Builder
	for i, c := range b {
		if i > 0 && i%4 == 0 {
			sb.WriteByte('-')
		}
		sb.WriteByte(codeAlphabet[c&31]) // 256 is a multiple of 32: uniform
	}
	return sb.String(), nil
}

// normalizeCode reads a code as a person types it: any case, with or
// without dashes and spaces, O for 0 and I or L for 1. It returns ""
// for anything that cannot be a code.
func normalizeCode(s string) string {
	var sb strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch r {
		case '-', ' ', '\t':
			continue
		case 'O':
			r = '0'
		case 'I', 'L':
			r = '1'
		}
		if !strings.ContainsRune(codeAlphabet, r) {
			return ""
		}
		sb.WriteRune(r)
	}
	if sb.Len() != codeLength {
		return ""
	}
	return sb.String()
}

// hashCode is how a code is stored: SHA-256 of its normal form. A fast
// hash suffices: 100 random bits, and redeeming is throttled.
func hashCode(code string) string { return HashSecret("password-code:" + normalizeCode(code)) }

// issueCode gives u a new one-time code (replacing any), makes u's
// password unusable and ends u's sessions: a reset locks the account
// until the person sets a new password. It records the event, without
// the code.
func (s *Service) issueCode(w *writer, actor, approver string, u *User, extra map[string]any) (*IssuedCode, error) {
	code, err := newCode(s.random)
	if err != nil {
		return nil, err
	}
	now := w.Now()
	pc := PasswordCode{UserID: u.ID, Hash: hashCode(code), IssuedBy: actor, ApprovedBy: approver,
		IssuedAt: now, ExpiresAt: now.Add(s.settings.PasswordCodeTTL)}
	if err := w.PutPasswordCode(pc); err != nil {
		return nil, err
	}
	ended := 0
	if u.PasswordHash != "" {
		u.PasswordHash = ""
		if err := w.UpdateUser(u); err != nil {
			return nil, err
		}
		if ended, err = w.DeleteUserSessions(u.ID, ""); err != nil {
			return nil, err
		}
	}
	payload := map[string]any{"name": u.Name, "expires_at": FormatTime(pc.ExpiresAt), "sessions_ended": ended}
	if approver != "" {
		payload["approved_by"] = approver
	}
	if _, err := w.event(actor, EventPasswordCodeIssued, 0, "user:"+u.Name, withExtra(payload, extra)); err != nil {
		return nil, err
	}
	return &IssuedCode{User: u.Name, Code: code, ExpiresAt: pc.ExpiresAt}, nil
}

// ResetPassword issues a one-time code for another user to set a new
// password: their old password stops working and their sessions end at
// once. Needs users.manage. Under dual control it is asked for (the
// AccountRequest is returned) and the code goes to the admin who
// approves, not to the one who asked: resetting someone's password is how
// the help-desk attack takes over an account. Otherwise the code is
// returned, to be shown once.
func (s *Service) ResetPassword(ctx context.Context, a Actor, userID int64, reason string) (*IssuedCode, *AccountRequest, error) {
	if err := a.Authorize(ActionUsersManage, nil); err != nil {
		return nil, nil, err
	}
	if userID == a.UserID {
		return nil, nil, phasegate.Errorf(phasegate.EINVALID,
			"user: you cannot reset your own password with a code; change it with your current one (PUT /api/v1/users/%d/password)", userID)
	}
	var code *IssuedCode
	var req *AccountRequest
	err := s.update(ctx, func(w *writer) error {
		u, err := w.User(userID)
		if err != nil {
			return err
		}
		if req, err = s.askSecondAdmin(w, a, true, &AccountRequest{Kind: ChangeUserReset, UserID: u.ID, UserName: u.Name,
			Reason: reason, Summary: fmt.Sprintf("reset the password of %s: their password stops working and the approving admin receives a one-time code for them", u.Name)}); err != nil || req != nil {
			return err
		}
		code, err = s.issueCode(w, a.Name, "", u, withReason(nil, reason))
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return code, req, nil
}

// RedeemPasswordCode sets a user's password with a one-time code, without
// a login: the person the code was handed to chooses a password nobody
// else knows. A wrong, used or expired code counts as a failed login
// (slowed, then locked out), and every attempt is an event. On success
// the code is used up and every session of the user ends.
func (s *Service) RedeemPasswordCode(ctx context.Context, name, code, password string, c Client) error {
	name = strings.TrimSpace(name)
	if err := validatePassword(password); err != nil {
		return err
	}
	keys := throttleKeys(name, c.Address)
	var user *User
	var pc *PasswordCode
	var now time.Time
	err := s.view(ctx, func(tx Tx) error {
		now = tx.Now()
		if err := s.checkThrottles(tx, keys); err != nil {
			return err
		}
		u, err := tx.UserByName(name)
		if err != nil {
			if isNotFound(err) {
				return nil
			}
			return err
		}
		user = u
		if pc, err = tx.PasswordCode(u.ID); err != nil && !isNotFound(err) {
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	why := ""
	given := hashCode(code)
	switch {
	case user == nil:
		why = "password code for an unknown user"
	case pc == nil:
		why = "password code: none issued or already used"
	case subtle.ConstantTimeCompare([]byte(given), []byte(pc.Hash)) != 1 || normalizeCode(code) == "":
		why = "password code: wrong code"
	case !now.Before(pc.ExpiresAt):
		why = "password code: expired at " + FormatTime(pc.ExpiresAt)
	case user.Disabled:
		why = "password code: user disabled"
	}
	if why != "" {
		if err := s.loginFailed(ctx, name, why, keys, c); phasegate.ErrorCode(err) != phasegate.EUNAUTHORIZED {
			return err
		}
		return phasegate.Errorf(phasegate.EUNAUTHORIZED,
			"code: this code does not set a password for %q: it is wrong, used or expired, or the name is not the one it was issued for; check both, or ask an admin for a new code", name)
	}
	hash, err := HashPassword(password, s.settings.Password, s.random)
	if err != nil {
		return err
	}
	return s.update(ctx, func(w *writer) error {
		// Read again under the write lock: the code may have been used
		// or replaced since.
		still, err := w.PasswordCode(user.ID)
		if err != nil || still.Hash != pc.Hash {
			return phasegate.Errorf(phasegate.ECONFLICT, "code: the code was used or replaced a moment ago; ask an admin for a new code")
		}
		u, err := w.User(user.ID)
		if err != nil {
			return err
		}
		if err := w.DeletePasswordCode(u.ID); err != nil {
			return err
		}
		u.PasswordHash = hash
		if err := w.UpdateUser(u); err != nil {
			return err
		}
		ended, err := w.DeleteUserSessions(u.ID, "")
		if err != nil {
			return err
		}
		if err := w.DeleteThrottle(keys[0]); err != nil {
			return err
		}
		_, err = w.event(u.Name, EventPasswordCodeUsed, 0, "user:"+u.Name, map[string]any{
			"name": u.Name, "issued_by": pc.IssuedBy, "issued_at": FormatTime(pc.IssuedAt),
			"address": c.Address, "user_agent": c.UserAgent, "sessions_ended": ended})
		return err
	})
}

// withCodeState fills what the accounts list says of a password: none
// yet, and until when a code waits to be used.
func withCodeState(tx Tx, us []User) error {
	codes, err := tx.PasswordCodes()
	if err != nil {
		return err
	}
	until := make(map[int64]time.Time, len(codes))
	for _, c := range codes {
		until[c.UserID] = c.ExpiresAt
	}
	for i := range us {
		us[i].NoPassword = us[i].PasswordHash == ""
		us[i].CodeExpiresAt = until[us[i].ID]
	}
	return nil
}

// SealKey returns the 32-byte key called name that every instance sharing
// the store uses alike, making it on first use. The accounts page seals
// the one-time code it shows once with it, so the page after the form's
// redirect may be served by any instance. Keys are not events.
func (s *Service) SealKey(ctx context.Context, name string) ([]byte, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(s.random, b); err != nil {
		return nil, fmt.Errorf("random: %w", err)
	}
	var got string
	err := s.store.Update(ctx, func(tx Tx) (err error) {
		got, err = tx.ServerKey(name, hex.EncodeToString(b))
		return err
	})
	if err != nil {
		return nil, err
	}
	key, err := hex.DecodeString(got)
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("incident: stored key %q is not 32 bytes of hex", name)
	}
	return key, nil
}
