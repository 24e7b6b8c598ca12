package server

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/incident"
)

// "Your account" (/me), for everyone logged in, linked from the header's
// name: the roles one holds and what they allow, changing one's own
// password (with the current one, as PUT /api/v1/users/{id}/password
// does for one's own: the other sessions end), and one's own API tokens
// (tokens.own): list, create, revoke. A new token's secret is shown once,
// on the page the form leads to: it travels there sealed in a two-minute
// cookie (path /me, HttpOnly, SameSite=Strict) under the key the
// accounts page's one-time codes use (ui_accounts.go), bound to the
// user; never in an address, the store or a log.

const (
	mePath = "/me"
	// meTokenCookie carries a new token's secret to the page, sealed.
	meTokenCookie = "phasegate_new_token"
	// meTokenAnchor is where on the page a new secret is shown.
	meTokenAnchor = "#new-token"
)

// tokenExpiries are the lifetimes offered for a new token; Value is
// the form's.
var tokenExpiries = []tokenExpiry{
	{"1d", "1 day", 1},
	{"7d", "7 days", 7},
	{"30d", "30 days", 30},
	{"90d", "90 days", 90},
	{"365d", "1 year", 365},
	{"never", "never (revoke it by hand)", 0},
}

// tokenExpiry is a lifetime offered for a new token (Days 0: none).
type tokenExpiry struct {
	Value, Label string
	Days         int
}

// defaultTokenExpiry is chosen beforehand: a token outlives the incident
// only if someone means it to.
const defaultTokenExpiry = "30d"

// meTokenForm is the token form as typed (kept when refused).
type meTokenForm struct {
	Label, Role, Expiry string
}

// uiToken is one of the user's tokens with its status in words.
type uiToken struct {
	incident.Token
	// Status is "active", "expired" or "revoked".
	Status string
}

// mePermission is one thing the user may do, and through which role.
type mePermission struct {
	Description string
	Via         string
}

// newTokenReveal is a new token's secret, shown once.
type newTokenReveal struct {
	ID        int64         `json:"id"`
	Label     string        `json:"label"`
	Role      incident.Role `json:"role"`
	Secret    string        `json:"secret"`
	ExpiresAt time.Time     `json:"expires_at"`
	Until     time.Time     `json:"until"`
}

type meData struct {
	Roles       string
	Permissions []mePermission
	ViaToken    bool
	CanTokens   bool
	Tokens      []uiToken
	// Active counts the tokens that work.
	Active      int
	Form        meTokenForm
	Expiries    []tokenExpiry
	RoleChoices []incident.Role
	// NewToken is a token just created, its secret shown this once.
	NewToken *newTokenReveal
	// Sessions are where one is logged in, this browser first (none when
	// the page is read with a token).
	Sessions []incident.SessionView
	// PasswordError and TokenError say what was wrong with the form sent
	// (the page's error box says it too); the anchor is beside the form.
	PasswordError, TokenError string
}

func (u *ui) handleMePage(w http.ResponseWriter, r *http.Request, a incident.Actor) {
	u.showMe(w, r, a, http.StatusOK, "", nil, meTokenForm{})
}

// showMe renders the page; which ("password" or "token") and formErr are a
// form that was refused, shown beside it (and what was typed in the token
// form; a password is never sent back).
func (u *ui) showMe(w http.ResponseWriter, r *http.Request, a incident.Actor, status int, which string, formErr error, f meTokenForm) {
	p := u.page(a, nil, "me", "Your account")
	d := meData{Roles: grantsText(a.Grants), ViaToken: a.ViaToken, CanTokens: a.Can(incident.ActionTokensOwn, nil),
		Form: f, Expiries: tokenExpiries}
	if d.Form.Expiry == "" {
		d.Form.Expiry = defaultTokenExpiry
	}
	for _, g := range a.Grants {
		d.RoleChoices = append(d.RoleChoices, g.Role)
	}
	if d.Form.Role == "" && len(d.RoleChoices) > 0 {
		d.Form.Role = string(d.RoleChoices[0])
	}
	for _, pm := range incident.Permissions {
		var via []string
		for _, g := range a.Grants {
			switch pm.Access[g.Role] {
			case incident.Allowed:
				via = append(via, string(g.Role))
			case incident.Scoped:
				via = append(via, g.String()+", on what it owns")
			}
		}
		if via != nil {
			if len(a.Grants) == 1 && via[0] == string(a.Grants[0].Role) {
				via = nil // one role, whole: saying it on every line adds nothing
			}
			d.Permissions = append(d.Permissions, mePermission{Description: pm.Description, Via: strings.Join(via, "; ")})
		}
	}
	now := u.clock()
	if !a.ViaToken && !a.System {
		ss, err := u.s.svc.MySessions(r.Context(), a)
		if err != nil {
			u.fail(w, r, p, err)
			return
		}
		d.Sessions = ss
	}
	if d.CanTokens {
		ts, err := u.s.svc.Tokens(r.Context(), a, 0)
		if err != nil {
			u.fail(w, r, p, err)
			return
		}
		for _, t := range ts {
			v := uiToken{Token: t, Status: "active"}
			switch {
			case !t.RevokedAt.IsZero():
				v.Status = "revoked"
			case !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt):
				v.Status = "expired"
			default:
				d.Active++
			}
			d.Tokens = append(d.Tokens, v)
		}
		// Those that work first, newest first within each.
		slices.SortStableFunc(d.Tokens, func(x, y uiToken) int {
			if (x.Status == "active") != (y.Status == "active") {
				if x.Status == "active" {
					return -1
				}
				return 1
			}
			return y.CreatedAt.Compare(x.CreatedAt)
		})
		if c, err := r.Cookie(meTokenCookie); err == nil {
			http.SetCookie(w, u.meTokenCookie("", -1))
			d.NewToken = u.openTokenReveal(r.Context(), a, c.Value, now)
		}
	}
	if formErr != nil {
		p.Error = uiErrorOf(formErr)
		switch which {
		case "password":
			if strings.HasPrefix(p.Error.Message, "current_password:") {
				// The service names the API's field; the page says it in words.
				p.Error.Title = "Please check"
				p.Error.Message = "Your current password is not right; type the password you log in with now, then the new one twice."
			}
			d.PasswordError = p.Error.Message
		case "token":
			d.TokenError = p.Error.Message
		}
	}
	p.Data = d
	u.render(w, r, status, "me", p)
}

// handleMeSessionsForm logs one out everywhere but this browser: for
// someone who fears their account is in use elsewhere (then they change
// their password, which does the same and shuts the door).
func (u *ui) handleMeSessionsForm(w http.ResponseWriter, r *http.Request, a incident.Actor) {
	if !u.meForm(w, r, a) {
		return
	}
	n, err := u.s.svc.EndOtherSessions(r.Context(), a)
	var f uiFlash
	if err == nil {
		f = uiFlash{Kind: "ok", Text: fmt.Sprintf("Logged out of %d other %s; this one stays. If you did not start them, change your password now, and tell an admin.",
			n, plural(n, "session", "sessions"))}
		if n == 0 {
			f.Text = "You had no other session; nothing changed."
		}
	}
	u.decided(w, r, mePath+"#sessions", f, err)
}

// meForm reads a form of the page; false: the error page was sent.
func (u *ui) meForm(w http.ResponseWriter, r *http.Request, a incident.Actor) bool {
	if err := parseForm(w, r); err != nil {
		u.fail(w, r, u.page(a, nil, "me", "Your account"), err)
		return false
	}
	return true
}

// handleMePasswordForm changes one's own password: the current one, the
// new one twice. Done: the other sessions ended, this one stays.
func (u *ui) handleMePasswordForm(w http.ResponseWriter, r *http.Request, a incident.Actor) {
	if !u.meForm(w, r, a) {
		return
	}
	current, pw, repeat := r.PostFormValue("current"), r.PostFormValue("password"), r.PostFormValue("repeat")
	refuse := func(err error) {
		if e := uiErrorOf(err); e.Status == http.StatusInternalServerError {
			u.fail(w, r, nil, err)
			return
		}
		u.showMe(w, r, a, errorStatus(err), "password", err, meTokenForm{})
	}
	switch {
	case a.System || a.UserID == 0:
		refuse(phasegate.Errorf(phasegate.ECONFLICT, "this login is not a person's account; it has no password to change"))
		return
	case current == "":
		refuse(invalidRequest(http.StatusBadRequest, "give your current password: a session left open must not be enough to lock you out"))
		return
	case pw == "" || repeat == "":
		refuse(invalidRequest(http.StatusBadRequest, "type the new password twice, in both fields"))
		return
	case pw != repeat:
		refuse(invalidRequest(http.StatusBadRequest, "the two new passwords differ; type the same new password in both fields"))
		return
	case pw == current:
		refuse(invalidRequest(http.StatusBadRequest, "the new password is the current one; choose a different one"))
		return
	}
	if _, err := u.s.svc.SetPassword(r.Context(), a, a.UserID, incident.PasswordChange{Password: pw, Current: current}); err != nil {
		refuse(err)
		return
	}
	text := "Your password is changed. Every other session of yours (other browsers, other devices) has ended; this one stays. Your API tokens still work."
	if a.ViaToken {
		text = "Your password is changed. Every session of yours has ended. Your API tokens still work."
	}
	u.setFlash(w, uiFlash{Kind: "ok", Text: text})
	redirect(w, r, mePath+"#password")
}

// handleMeTokenForm creates one of one's own tokens: its secret is shown
// once on the page the form leads to.
func (u *ui) handleMeTokenForm(w http.ResponseWriter, r *http.Request, a incident.Actor) {
	if !u.meForm(w, r, a) {
		return
	}
	f := meTokenForm{Label: strings.TrimSpace(r.PostFormValue("label")), Role: strings.TrimSpace(r.PostFormValue("role")),
		Expiry: r.PostFormValue("expiry")}
	refuse := func(err error) {
		if e := uiErrorOf(err); e.Status == http.StatusInternalServerError {
			u.fail(w, r, nil, err)
			return
		}
		u.showMe(w, r, a, errorStatus(err), "token", err, f)
	}
	if err := a.Authorize(incident.ActionTokensOwn, nil); err != nil {
		refuse(err)
		return
	}
	if f.Label == "" {
		refuse(invalidRequest(http.StatusBadRequest, "label: say what the token is for (e.g. \"monitoring script on jump host\"), so that you know which to revoke"))
		return
	}
	role, err := incident.ParseRole(f.Role)
	if err != nil {
		refuse(invalidRequest(http.StatusBadRequest, "role: choose one of your roles (%s) for the token to act as", grantsText(a.Grants)))
		return
	}
	req := incident.TokenRequest{Role: role, Label: f.Label}
	i := slices.IndexFunc(tokenExpiries, func(e tokenExpiry) bool { return e.Value == f.Expiry })
	if i < 0 {
		refuse(invalidRequest(http.StatusBadRequest, "expires: choose one of the lifetimes offered"))
		return
	}
	if days := tokenExpiries[i].Days; days > 0 {
		req.ExpiresAt = u.clock().Add(time.Duration(days) * 24 * time.Hour)
	}
	nt, err := u.s.svc.CreateToken(r.Context(), a, req)
	if err != nil {
		refuse(err)
		return
	}
	rv := newTokenReveal{ID: nt.Token.ID, Label: nt.Token.Label, Role: nt.Token.Role, Secret: nt.Secret, ExpiresAt: nt.Token.ExpiresAt,
		Until: u.clock().Add(revealTTL)}
	value, err := u.sealTokenReveal(r.Context(), a, rv)
	if err != nil {
		u.s.log.Error("sealing a new token's secret to show", "error", err)
		// Nobody has seen the secret: a token nobody holds is revoked at
		// once, so that it does not linger.
		if _, rerr := u.s.svc.RevokeToken(r.Context(), a, nt.Token.ID); rerr != nil {
			u.s.log.Error("revoking a token whose secret could not be shown", "token", nt.Token.ID, "error", rerr)
		}
		u.setFlash(w, uiFlash{Kind: "error", Text: fmt.Sprintf("Token %d was created but its secret could not be shown to you (see the server's log), "+
			"so it was revoked at once. Create another.", nt.Token.ID)})
		redirect(w, r, mePath+"#tokens")
		return
	}
	http.SetCookie(w, u.meTokenCookie(value, int(revealTTL/time.Second)))
	u.setFlash(w, uiFlash{Kind: "ok", Text: fmt.Sprintf("Created token %d %q, acting as %s.", nt.Token.ID, nt.Token.Label, nt.Token.Role)})
	redirect(w, r, mePath+meTokenAnchor)
}

// handleMeRevokeForm revokes one of one's own tokens, at once.
func (u *ui) handleMeRevokeForm(w http.ResponseWriter, r *http.Request, a incident.Actor) {
	if !u.meForm(w, r, a) {
		return
	}
	id, err := pathInt(r, "token", "token id")
	if err != nil {
		u.fail(w, r, nil, err)
		return
	}
	back := mePath + "#tokens"
	// Only one's own, here: another user's token is the accounts
	// business (tokens.all), not this page's.
	ts, err := u.s.svc.Tokens(r.Context(), a, 0)
	if err != nil {
		u.decided(w, r, back, uiFlash{}, err)
		return
	}
	if !slices.ContainsFunc(ts, func(t incident.Token) bool { return t.ID == id }) {
		u.decided(w, r, back, uiFlash{}, phasegate.Errorf(phasegate.ENOTFOUND,
			"you have no token %d; the list below shows yours (reload it if you revoked it elsewhere)", id))
		return
	}
	t, err := u.s.svc.RevokeToken(r.Context(), a, id)
	var f uiFlash
	if err == nil {
		f = uiFlash{Kind: "ok", Text: fmt.Sprintf("Revoked token %d %q: it no longer works, from now on.", t.ID, t.Label)}
	}
	u.decided(w, r, back, f, err)
}

// ---- a new token's secret, shown once

// tokenRevealAD binds a sealed secret to the user it is for, apart from
// the accounts page's codes.
func tokenRevealAD(a incident.Actor) []byte {
	return []byte(fmt.Sprintf("phasegate new token for user %d %q", a.UserID, a.Name))
}

func (u *ui) sealTokenReveal(ctx context.Context, a incident.Actor, rv newTokenReveal) (string, error) {
	return u.sealJSON(ctx, tokenRevealAD(a), rv)
}

// openTokenReveal returns the secret a cookie carries for a; nil when it
// is not one, it is someone else's or its time has passed.
func (u *ui) openTokenReveal(ctx context.Context, a incident.Actor, value string, now time.Time) *newTokenReveal {
	var rv newTokenReveal
	if !u.openJSON(ctx, tokenRevealAD(a), value, &rv) || !now.Before(rv.Until) || rv.Secret == "" {
		return nil
	}
	return &rv
}

func (u *ui) meTokenCookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: meTokenCookie, Value: value, Path: mePath, MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: u.s.secure}
}
