package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/incident"
)

// maxFormBody bounds a form post of the UI.
const maxFormBody = 1 << 20

// parseForm reads a posted form, bounded in size.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		return invalidRequest(http.StatusBadRequest, "the form could not be read (%v); reload the page and send it again", err)
	}
	return nil
}

type loginData struct {
	Next string
	Name string
}

func (u *ui) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	next := localPath(r.URL.Query().Get("next"), "/")
	// Already logged in: straight on.
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		if _, err := u.s.authenticate(r); err == nil {
			redirect(w, r, next)
			return
		}
	}
	// name: the set-password page sends the person here with theirs.
	name := strings.TrimSpace(r.URL.Query().Get("name"))
	u.render(w, r, http.StatusOK, "login", &uiPage{Title: "Log in", Data: loginData{Next: next, Name: name}})
}

func (u *ui) handleLogin(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		u.render(w, r, http.StatusBadRequest, "login", &uiPage{Title: "Log in", Error: uiErrorOf(err), Data: loginData{Next: "/"}})
		return
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	password := r.PostFormValue("password")
	data := loginData{Next: localPath(r.PostFormValue("next"), "/"), Name: name}
	if name == "" || password == "" {
		u.render(w, r, http.StatusBadRequest, "login", &uiPage{Title: "Log in", Data: data,
			Error: &uiError{Status: http.StatusBadRequest, Code: phasegate.EINVALID, Message: "Give both your user name and your password."}})
		return
	}
	res, err := u.s.svc.Login(r.Context(), name, password,
		incident.Client{Address: clientAddress(r), UserAgent: r.UserAgent()})
	if err != nil {
		e := u.refusedCredentials(w, err, "credentials")
		u.render(w, r, e.Status, "login", &uiPage{Title: "Log in", Error: e, Data: data})
		return
	}
	if info := requestInfoFrom(r.Context()); info != nil {
		info.actor = res.User.Name
	}
	http.SetCookie(w, u.s.sessionCookie(res.SessionSecret, res.Session.ExpiresAt))
	redirect(w, r, data.Next)
}

// refusedCredentials counts a refused login or code (reason: the wrong
// credentials' label) and returns the error to show; when throttled it
// sets Retry-After and says when to try again.
func (u *ui) refusedCredentials(w http.ResponseWriter, err error, reason string) *uiError {
	u.s.metrics.credentialsRefused(err, reason)
	e := uiErrorOf(err)
	if b := errorBody(err); phasegate.ErrorCode(err) == phasegate.ETOOMANY && b.RetryAfter > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(b.RetryAfter))
		e.Message += fmt.Sprintf(" Try again in %s.", (time.Duration(b.RetryAfter) * time.Second).String())
	}
	return e
}

func (u *ui) handleLogout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		if err := u.s.svc.Logout(r.Context(), c.Value); err != nil && phasegate.ErrorCode(err) != phasegate.ENOTFOUND {
			u.fail(w, r, nil, err)
			return
		}
	}
	http.SetCookie(w, u.s.sessionCookie("", time.Time{}))
	u.setFlash(w, uiFlash{Kind: "ok", Text: "You are logged out."})
	redirect(w, r, "/login")
}

// ---- setting a password with a one-time code

// The set-password page is public, like the login page: a person whose
// account is new or was reset has no password to log in with, only the
// one-time code an admin handed them (svc_codes.go). Here they choose a
// password nobody else knows. A wrong code counts as a failed login:
// slowed, then locked out, as the service decides.

const setPasswordPath = "/set-password"

// setPasswordData is the form as typed: only the user name is ever sent
// back, never the code or a password.
type setPasswordData struct {
	Name      string
	MinLength int
}

func (u *ui) setPasswordPage(w http.ResponseWriter, r *http.Request, status int, e *uiError, name string) {
	u.render(w, r, status, "set_password", &uiPage{Title: "Set your password", Error: e,
		Data: setPasswordData{Name: name, MinLength: incident.MinPasswordLength}})
}

func (u *ui) handleSetPasswordPage(w http.ResponseWriter, r *http.Request) {
	u.setPasswordPage(w, r, http.StatusOK, nil, strings.TrimSpace(r.URL.Query().Get("user")))
}

func (u *ui) handleSetPassword(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		u.setPasswordPage(w, r, http.StatusBadRequest, uiErrorOf(err), "")
		return
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	code := r.PostFormValue("code")
	password, repeat := r.PostFormValue("password"), r.PostFormValue("repeat")
	check := func(msg string, reasons ...string) {
		u.setPasswordPage(w, r, http.StatusBadRequest, &uiError{Status: http.StatusBadRequest, Code: phasegate.EINVALID,
			Title: "Please check", Message: msg, Reasons: reasons}, name)
	}
	var missing []string
	for _, f := range []struct{ value, says string }{
		{name, "User name: the name of your account, as the admin wrote it."},
		{strings.TrimSpace(code), "One-time code: the code the admin gave you."},
		{password, "New password: the password you choose."},
		{repeat, "Repeat the new password: type it a second time."},
	} {
		if f.value == "" {
			missing = append(missing, f.says)
		}
	}
	if len(missing) > 0 {
		check("Fill in every field; these are empty:", missing...)
		return
	}
	if password != repeat {
		check("The two new passwords differ: type the same password in “New password” and “Repeat the new password”.")
		return
	}
	err := u.s.svc.RedeemPasswordCode(r.Context(), name, code, password,
		incident.Client{Address: clientAddress(r), UserAgent: r.UserAgent()})
	if err != nil {
		e := u.refusedCredentials(w, err, "password_code")
		switch phasegate.ErrorCode(err) {
		case phasegate.EUNAUTHORIZED:
			e.Title = "Code not accepted"
		case phasegate.EINTERNAL:
			u.fail(w, r, nil, err)
			return
		}
		u.setPasswordPage(w, r, e.Status, e, name)
		return
	}
	if info := requestInfoFrom(r.Context()); info != nil {
		info.actor = name
	}
	u.setFlash(w, uiFlash{Kind: "ok", Text: "Your password is set; log in with it."})
	redirect(w, r, "/login?name="+url.QueryEscape(name))
}
