package server

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/incident"
)

// The accounts page: the users, the account requests waiting for a
// second admin (dual control, docs/adr/0007-dual-control-of-accounts.md),
// the recently decided ones, and the forms that create an account,
// change roles, reset a password, disable and enable. Admins only
// (users.manage). Every rule is the service's: a change that gives power
// comes back as an account request, and the page says so. Not per
// incident, so not live: it holds forms being typed into.
//
// No admin chooses or sees another person's password: a new account and
// a reset get a one-time code (docs/adr/0008-one-time-password-codes.md),
// shown once to the admin who made the change take effect, who hands it
// on; the person sets their own password at /set-password (ui_login.go).

// accountsPath is the page every accounts form returns to.
const accountsPath = "/accounts"

// decidedShown caps the recently decided requests the page lists.
const decidedShown = 20

// CanManageUsers: the header links to the accounts page.
func (p *uiPage) CanManageUsers() bool { return p.Actor.Can(incident.ActionUsersManage, nil) }

// createAccountForm is the create form as typed (kept when refused).
type createAccountForm struct {
	Name, Role, Teams, Systems, Reason string
}

// uiAccount is one user with what the page offers for it.
type uiAccount struct {
	incident.User
	Roles string
	// Self: the viewer's own account (not disabled by themself, no
	// reset form: one's own password is set elsewhere).
	Self bool
	// Password says in words where the account's password stands when it
	// has none (a code waiting or expired); PasswordKind is "waiting",
	// "expired" or "" (it has one).
	Password, PasswordKind string
	// Held marks the roles the user holds, for the roles form; Teams and
	// Systems are the system-owner grant's scope.
	Held           map[incident.Role]bool
	Teams, Systems string
	// Waiting are the pending requests about this account.
	Waiting []incident.AccountRequest
}

// uiAccountRequest is an account request with what the viewer may do.
type uiAccountRequest struct {
	incident.AccountRequest
	// Mine: the viewer asked for it (cancel, not approve).
	Mine      bool
	CanDecide bool
	Kind      string
}

type accountsData struct {
	DualControl bool
	// Admins counts the enabled admins.
	Admins  int
	Waiting []uiAccountRequest
	Decided []uiAccountRequest
	// MoreDecided counts the decided requests not listed.
	MoreDecided int
	Users       []uiAccount
	Roles       []incident.Role
	Form        createAccountForm
	// Reveal is a one-time code shown this once.
	Reveal *reveal
}

// changeWords says what a kind of request changes, for the list.
func changeWords(k incident.ChangeKind) string {
	switch k {
	case incident.ChangeUserCreate:
		return "new account"
	case incident.ChangeUserRoles:
		return "roles"
	case incident.ChangeUserReset:
		return "password reset (one-time code)"
	case incident.ChangeUserPassword:
		return "new password (asked before one-time codes)"
	case incident.ChangeUserEnable:
		return "enable again"
	}
	return string(k)
}

func (u *ui) handleAccountsPage(w http.ResponseWriter, r *http.Request, a incident.Actor) {
	u.showAccounts(w, r, a, http.StatusOK, nil, createAccountForm{})
}

// showAccounts renders the accounts page; formErr and f are a create
// form that was refused (shown again with what was typed).
func (u *ui) showAccounts(w http.ResponseWriter, r *http.Request, a incident.Actor, status int, formErr error, f createAccountForm) {
	p := u.page(a, nil, "accounts", "Accounts")
	if err := a.Authorize(incident.ActionUsersManage, nil); err != nil {
		u.fail(w, r, p, err)
		return
	}
	ctx := r.Context()
	on, err := u.s.svc.DualControl(ctx, a)
	if err != nil {
		u.fail(w, r, p, err)
		return
	}
	users, err := u.s.svc.Users(ctx, a)
	if err != nil {
		u.fail(w, r, p, err)
		return
	}
	reqs, err := u.s.svc.AccountRequests(ctx, a, incident.AccountQuery{})
	if err != nil {
		u.fail(w, r, p, err)
		return
	}
	d := accountsData{DualControl: on, Roles: incident.Roles, Form: f}
	waiting := map[int64][]incident.AccountRequest{}
	for _, rq := range reqs { // newest first
		v := uiAccountRequest{AccountRequest: rq, Kind: changeWords(rq.Kind)}
		v.Mine = a.UserID != 0 && rq.RequestedByID == a.UserID
		if rq.Status != incident.ApprovalPending {
			if len(d.Decided) < decidedShown {
				d.Decided = append(d.Decided, v)
			} else {
				d.MoreDecided++
			}
			continue
		}
		v.CanDecide = !v.Mine && !a.System
		d.Waiting = append(d.Waiting, v)
		if rq.UserID != 0 {
			waiting[rq.UserID] = append(waiting[rq.UserID], rq)
		}
	}
	now := u.clock()
	for _, us := range users {
		acc := uiAccount{User: us, Roles: grantsText(us.Grants), Self: us.ID == a.UserID,
			Held: map[incident.Role]bool{}, Waiting: waiting[us.ID]}
		acc.PasswordKind, acc.Password = passwordState(us, now)
		for _, g := range us.Grants {
			acc.Held[g.Role] = true
			if g.Role == incident.RoleSystemOwner {
				acc.Teams, acc.Systems = strings.Join(g.Teams, ", "), strings.Join(g.Systems, ", ")
			}
			if g.Role == incident.RoleAdmin && !us.Disabled {
				d.Admins++
			}
		}
		d.Users = append(d.Users, acc)
	}
	// A code issued by the form that led here, shown once, and only to
	// whoever sent that form.
	if c, err := r.Cookie(revealCookie); err == nil {
		http.SetCookie(w, u.revealCookie("", -1))
		d.Reveal = u.openReveal(ctx, a, c.Value, u.clock())
	}
	if formErr != nil {
		p.Error = uiErrorOf(formErr)
	}
	p.Data = d
	u.render(w, r, status, "accounts", p)
}

// passwordState says where an account's password stands, when it has
// none: a code waiting to be used (until when), or none that works.
func passwordState(us incident.User, now time.Time) (kind, words string) {
	switch {
	case !us.NoPassword:
		return "", ""
	case now.Before(us.CodeExpiresAt):
		return "waiting", fmt.Sprintf("no password yet — code valid until %s (%s)", fmtWhen(us.CodeExpiresAt), fmtRel(now, us.CodeExpiresAt))
	case !us.CodeExpiresAt.IsZero():
		return "expired", fmt.Sprintf("no password — code expired %s; reset again to issue a new one", fmtWhen(us.CodeExpiresAt))
	}
	return "expired", "no password and no code waiting; reset it to issue a one-time code"
}

func grantsText(gs []incident.Grant) string {
	out := make([]string, len(gs))
	for i, g := range gs {
		out[i] = g.String()
	}
	return strings.Join(out, ", ")
}

// splitList reads a comma-separated field: trimmed, empty entries left
// out.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// formGrants reads roles and the system-owner scope from a form: the
// roles chosen, and teams and systems for a system-owner. A scope
// without the system-owner role is refused rather than dropped.
func formGrants(roles []string, teams, systems string) ([]incident.Grant, error) {
	var gs []incident.Grant
	owner := false
	for _, name := range roles {
		if strings.TrimSpace(name) == "" {
			continue
		}
		role, err := incident.ParseRole(name)
		if err != nil {
			return nil, err
		}
		if slices.ContainsFunc(gs, func(g incident.Grant) bool { return g.Role == role }) {
			continue
		}
		g := incident.Grant{Role: role}
		if role == incident.RoleSystemOwner {
			g.Teams, g.Systems, owner = splitList(teams), splitList(systems), true
		}
		gs = append(gs, g)
	}
	if len(gs) == 0 {
		return nil, invalidRequest(http.StatusBadRequest, "choose a role: an account needs at least one")
	}
	if !owner && (splitList(teams) != nil || splitList(systems) != nil) {
		return nil, invalidRequest(http.StatusBadRequest,
			"the teams and systems of a scope apply only to the system-owner role; choose it or leave the scope empty")
	}
	// Roles in the permission table's order, whatever the form's.
	slices.SortFunc(gs, func(x, y incident.Grant) int {
		return slices.Index(incident.Roles, x.Role) - slices.Index(incident.Roles, y.Role)
	})
	return gs, incident.ValidateGrants(gs)
}

// accountForm starts an accounts form: users.manage, and the form read.
func (u *ui) accountForm(w http.ResponseWriter, r *http.Request, a incident.Actor) bool {
	p := u.page(a, nil, "accounts", "Accounts")
	if err := a.Authorize(incident.ActionUsersManage, nil); err != nil {
		u.fail(w, r, p, err)
		return false
	}
	if err := parseForm(w, r); err != nil {
		u.fail(w, r, p, err)
		return false
	}
	return true
}

// waitFlash says that a change waits for a second admin, and what
// approving it does.
func waitFlash(rq *incident.AccountRequest) uiFlash {
	return uiFlash{Kind: "wait", Text: fmt.Sprintf(
		"Account request %d waits for a second admin: %s. Nothing has changed yet; another admin approves or rejects it on this page, "+
			"and it expires %s.", rq.ID, rq.Summary, fmtWhen(rq.ExpiresAt))}
}

// handleCreateAccountForm creates an account without a password: its
// one-time code is shown once on the page it redirects to. Under dual
// control an account with a role beyond viewer becomes a request
// instead, and the code goes to the admin who approves it.
func (u *ui) handleCreateAccountForm(w http.ResponseWriter, r *http.Request, a incident.Actor) {
	if !u.accountForm(w, r, a) {
		return
	}
	f := createAccountForm{Name: strings.TrimSpace(r.PostFormValue("name")), Role: r.PostFormValue("role"),
		Teams: r.PostFormValue("teams"), Systems: r.PostFormValue("systems"), Reason: strings.TrimSpace(r.PostFormValue("reason"))}
	again := func(err error) {
		if e := uiErrorOf(err); e.Status == http.StatusInternalServerError || e.Status == http.StatusForbidden {
			u.fail(w, r, nil, err)
			return
		}
		u.showAccounts(w, r, a, errorStatus(err), err, f)
	}
	if f.Name == "" {
		again(invalidRequest(http.StatusBadRequest, "give the new account a name"))
		return
	}
	grants, err := formGrants([]string{f.Role}, f.Teams, f.Systems)
	if err != nil {
		again(err)
		return
	}
	if f.Reason == "" {
		again(invalidRequest(http.StatusBadRequest, "give a reason: who the account is for and why (a second admin reads it before approving)"))
		return
	}
	us, rq, err := u.s.svc.CreateUser(r.Context(), a, incident.NewUser{Name: f.Name, Grants: grants, Reason: f.Reason})
	if err != nil {
		again(err)
		return
	}
	if rq != nil {
		u.setFlash(w, waitFlash(rq))
		redirect(w, r, fmt.Sprintf("%s#request-%d", accountsPath, rq.ID))
		return
	}
	u.setFlash(w, uiFlash{Kind: "ok", Text: fmt.Sprintf("Created the account %s with the roles %s, without a password.", us.Name, grantsText(us.Grants))})
	u.revealCode(w, r, a, us.PasswordCode, reveal{}, fmt.Sprintf("%s#user-%d", accountsPath, us.ID))
}

// handleAccountChangeForm changes one account: disable (at once),
// enable, roles, reset (a one-time code, shown once); the last three
// become requests under dual control when they give power.
func (u *ui) handleAccountChangeForm(w http.ResponseWriter, r *http.Request, a incident.Actor) {
	if !u.accountForm(w, r, a) {
		return
	}
	id, err := pathInt(r, "user", "user id")
	if err != nil {
		u.fail(w, r, nil, err)
		return
	}
	change := r.PathValue("change")
	if !slices.Contains([]string{"disable", "enable", "roles", "reset"}, change) {
		u.fail(w, r, nil, phasegate.Errorf(phasegate.ENOTFOUND, "no account change %q: use disable, enable, roles or reset", change))
		return
	}
	ctx := r.Context()
	us, err := u.s.svc.User(ctx, a, id)
	if err != nil {
		u.fail(w, r, nil, err)
		return
	}
	back := fmt.Sprintf("%s#user-%d", accountsPath, id)
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if reason == "" {
		u.decided(w, r, back, uiFlash{}, invalidRequest(http.StatusBadRequest,
			"give a reason to %s %s: the other admins read it", changeVerb(change), us.Name))
		return
	}
	var f uiFlash
	var rq *incident.AccountRequest
	switch change {
	case "disable":
		if _, _, err = u.s.svc.SetDisabled(ctx, a, id, true, reason); err == nil {
			f = uiFlash{Kind: "ok", Text: fmt.Sprintf("Disabled %s at once: their sessions no longer work and their API tokens are revoked for good.", us.Name)}
		}
	case "enable":
		var done *incident.User
		if done, rq, err = u.s.svc.SetDisabled(ctx, a, id, false, reason); err == nil && rq == nil {
			f = uiFlash{Kind: "ok", Text: fmt.Sprintf("Enabled %s again, with the roles %s.", done.Name, grantsText(done.Grants))}
		}
	case "roles":
		var grants []incident.Grant
		if grants, err = formGrants(r.PostForm["role"], r.PostFormValue("teams"), r.PostFormValue("systems")); err == nil {
			var done *incident.User
			if done, rq, err = u.s.svc.SetGrants(ctx, a, id, grants, reason); err == nil && rq == nil {
				f = uiFlash{Kind: "ok", Text: fmt.Sprintf("%s now holds the roles %s.", done.Name, grantsText(done.Grants))}
			}
		}
	case "reset":
		var code *incident.IssuedCode
		if code, rq, err = u.s.svc.ResetPassword(ctx, a, id, reason); err == nil && rq == nil {
			u.setFlash(w, uiFlash{Kind: "ok", Text: fmt.Sprintf(
				"Reset the password of %s: their old password no longer works and their sessions ended.", us.Name)})
			u.revealCode(w, r, a, code, reveal{Reset: true}, back)
			return
		}
	}
	if err == nil && rq != nil {
		f = waitFlash(rq)
	}
	u.decided(w, r, back, f, err)
}

func changeVerb(change string) string {
	switch change {
	case "roles":
		return "change the roles of"
	case "reset":
		return "reset the password of"
	}
	return change
}

// handleAccountDecisionForm approves, rejects or cancels an account
// request, then returns to the page with what happened.
func (u *ui) handleAccountDecisionForm(w http.ResponseWriter, r *http.Request, a incident.Actor) {
	if !u.accountForm(w, r, a) {
		return
	}
	id, err := pathInt(r, "request", "account request id")
	if err != nil {
		u.fail(w, r, nil, err)
		return
	}
	ctx := r.Context()
	note := strings.TrimSpace(r.PostFormValue("note"))
	var f uiFlash
	var rq *incident.AccountRequest
	switch r.PathValue("decision") {
	case "approve":
		if rq, err = u.s.svc.ApproveAccountRequest(ctx, a, id, note); err == nil {
			f = uiFlash{Kind: "ok", Text: fmt.Sprintf("Approved account request %d: done — %s.", id, rq.Summary)}
			if rq.PasswordCode != nil { // the code is the approver's to hand on
				u.setFlash(w, f)
				u.revealCode(w, r, a, rq.PasswordCode, reveal{Request: rq.ID, Reset: rq.Kind == incident.ChangeUserReset}, accountsPath)
				return
			}
		}
	case "reject":
		if rq, err = u.s.svc.RejectAccountRequest(ctx, a, id, note); err == nil {
			f = uiFlash{Kind: "ok", Text: fmt.Sprintf("Rejected account request %d: nothing changes (%s).", id, rq.Summary)}
		}
	case "cancel":
		if rq, err = u.s.svc.CancelAccountRequest(ctx, a, id, note); err == nil {
			f = uiFlash{Kind: "ok", Text: fmt.Sprintf("Cancelled account request %d: nothing changes (%s).", id, rq.Summary)}
		}
	default:
		err = phasegate.Errorf(phasegate.ENOTFOUND, "no decision %q: use approve, reject or cancel", r.PathValue("decision"))
	}
	u.decided(w, r, accountsPath, f, err)
}

// ---- one-time codes shown once

// A one-time code is shown once, on the page the form redirects to. It
// travels there sealed in a short-lived cookie (path /accounts, HttpOnly,
// SameSite=Strict): AES-256-GCM under a key every instance sharing the
// store reads alike (Service.SealKey), with the actor who sent the form
// as additional data, so only they can open it and any instance can serve
// the page. The page clears the cookie as it shows the code. Never in a
// URL, never stored.

const (
	revealCookie = "phasegate_reveal"
	revealTTL    = 2 * time.Minute
	revealKey    = "accounts.reveal"
)

// revealAnchor is where on the accounts page a code is shown.
const revealAnchor = "#one-time-code"

// reveal is a one-time code to show once, to the admin who hands it on.
type reveal struct {
	// Name is the account's; Code and ExpiresAt the code's.
	Name      string
	Code      string
	ExpiresAt time.Time
	// Request is the account request whose approval issued the code (0:
	// issued at once, by the form that led here).
	Request int64
	// Reset: a reset of an existing account (not a new one).
	Reset bool
	// Until: the cookie is not opened after this.
	Until time.Time
}

// revealSealer holds the AEAD for reveals, made on first use.
type revealSealer struct {
	mu   sync.Mutex
	aead cipher.AEAD
}

func (u *ui) revealAEAD(ctx context.Context) (cipher.AEAD, error) {
	u.reveals.mu.Lock()
	defer u.reveals.mu.Unlock()
	if u.reveals.aead != nil {
		return u.reveals.aead, nil
	}
	key, err := u.s.svc.SealKey(ctx, revealKey)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	if u.reveals.aead, err = cipher.NewGCM(block); err != nil {
		return nil, err
	}
	return u.reveals.aead, nil
}

// revealAD binds a sealed reveal to the actor it is for.
func revealAD(a incident.Actor) []byte {
	return []byte(fmt.Sprintf("phasegate reveal for user %d %q", a.UserID, a.Name))
}

// sealReveal returns the cookie value carrying rv for a.
func (u *ui) sealReveal(ctx context.Context, a incident.Actor, rv reveal) (string, error) {
	return u.sealJSON(ctx, revealAD(a), rv)
}

// sealJSON seals v (as JSON) for a cookie, under the key every instance
// shares, bound to ad: a reveal opens only for whom it was made.
func (u *ui) sealJSON(ctx context.Context, ad []byte, v any) (string, error) {
	aead, err := u.revealAEAD(ctx)
	if err != nil {
		return "", err
	}
	plain, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(aead.Seal(nonce, nonce, plain, ad)), nil
}

// openJSON opens what sealJSON sealed with the same ad into v; false when
// the value is not one, or was sealed for another.
func (u *ui) openJSON(ctx context.Context, ad []byte, value string, v any) bool {
	sealed, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil {
		return false
	}
	aead, err := u.revealAEAD(ctx)
	if err != nil || len(sealed) < aead.NonceSize() {
		return false
	}
	plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], ad)
	return err == nil && json.Unmarshal(plain, v) == nil
}

// openReveal returns the reveal a cookie value carries for a; nil when it
// is not one, it is someone else's, or its time has passed.
func (u *ui) openReveal(ctx context.Context, a incident.Actor, value string, now time.Time) *reveal {
	var rv reveal
	if !u.openJSON(ctx, revealAD(a), value, &rv) || !now.Before(rv.Until) {
		return nil
	}
	return &rv
}

// showOnce seals a one-time code into the cookie the next accounts page
// of a opens, and reports whether it could. When it cannot (no key, no
// randomness) the code is lost: the caller then says so, and a reset
// issues a new one.
func (u *ui) showOnce(ctx context.Context, w http.ResponseWriter, a incident.Actor, rv reveal) bool {
	rv.Until = u.clock().Add(revealTTL)
	value, err := u.sealReveal(ctx, a, rv)
	if err != nil {
		u.s.log.Error("sealing a one-time code to show", "error", err)
		return false
	}
	http.SetCookie(w, u.revealCookie(value, int(revealTTL/time.Second)))
	return true
}

// revealCode ends a form that issued a one-time code (its flash already
// set): the code is kept for the accounts page, shown there once; back is
// where to go if there is no code to show.
func (u *ui) revealCode(w http.ResponseWriter, r *http.Request, a incident.Actor, code *incident.IssuedCode, rv reveal, back string) {
	if code == nil {
		redirect(w, r, back)
		return
	}
	rv.Name, rv.Code, rv.ExpiresAt = code.User, code.Code, code.ExpiresAt
	if !u.showOnce(r.Context(), w, a, rv) {
		u.setFlash(w, uiFlash{Kind: "error", Text: fmt.Sprintf(
			"The one-time code for %s was issued but could not be sealed to show you (see the server's log). "+
				"Nobody has seen it: reset the password of %s again to issue a new one.", code.User, code.User)})
		redirect(w, r, back)
		return
	}
	redirect(w, r, accountsPath+revealAnchor)
}

func (u *ui) revealCookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: revealCookie, Value: value, Path: accountsPath, MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: u.s.secure}
}
