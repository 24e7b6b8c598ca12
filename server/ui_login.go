package server

import (
	"fmt"
	"net/http"
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
	u.render(w, r, http.StatusOK, "login", &uiPage{Title: "Log in", Data: loginData{Next: next}})
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
		e := uiErrorOf(err)
		switch phasegate.ErrorCode(err) {
		case phasegate.ETOOMANY:
			u.s.metrics.loginFailed("throttled")
			if b := errorBody(err); b.RetryAfter > 0 {
				w.Header().Set("Retry-After", fmt.Sprint(b.RetryAfter))
				e.Message += fmt.Sprintf(" Try again in %s.", (time.Duration(b.RetryAfter) * time.Second).String())
			}
		case phasegate.EUNAUTHORIZED:
			u.s.metrics.loginFailed("credentials")
		}
		if info := requestInfoFrom(r.Context()); info != nil {
			info.errCode = e.Code
		}
		u.render(w, r, e.Status, "login", &uiPage{Title: "Log in", Error: e, Data: data})
		return
	}
	if info := requestInfoFrom(r.Context()); info != nil {
		info.actor = res.User.Name
	}
	http.SetCookie(w, u.s.sessionCookie(res.SessionSecret, res.Session.ExpiresAt))
	redirect(w, r, data.Next)
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
