package server

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/incident"
)

// SessionCookie names the cookie that carries a browser's session id.
const SessionCookie = "phasegate_session"

// ActorFrom returns the authenticated actor of a request (the zero Actor
// on public routes). A front end beside the API uses it too.
func ActorFrom(ctx context.Context) incident.Actor { return actorFrom(ctx) }

func actorFrom(ctx context.Context) incident.Actor {
	a, _ := ctx.Value(actorKey).(incident.Actor)
	return a
}

// authenticate finds who is calling: an API token in the Authorization
// header, else the session cookie. A request with neither, or with one
// that is not valid, is EUNAUTHORIZED.
func (s *Server) authenticate(r *http.Request) (incident.Actor, error) {
	addr := clientAddress(r)
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, secret, _ := strings.Cut(h, " ")
		secret = strings.TrimSpace(secret)
		if !strings.EqualFold(scheme, "Bearer") || secret == "" {
			return incident.Actor{}, phasegate.Errorf(phasegate.EUNAUTHORIZED,
				"the Authorization header is not \"Bearer TOKEN\"; send an API token that way, or log in at POST /api/v1/session")
		}
		return s.svc.TokenActor(r.Context(), secret, addr)
	}
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		return s.svc.SessionActor(r.Context(), c.Value, addr)
	}
	return incident.Actor{}, phasegate.Errorf(phasegate.EUNAUTHORIZED,
		"log in first: send Authorization: Bearer TOKEN, or log in at POST /api/v1/session")
}

// authenticated wraps a route's handler: it finds the actor, refuses
// anonymous callers (401), and — for routes that need one action — refuses
// at once callers who hold no role that may ever do it (403). Scopes, own
// resources and state-machine edges are the service's to decide.
func (s *Server) authenticated(rt Route, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, err := s.authenticate(r)
		if err != nil {
			if phasegate.ErrorCode(err) == phasegate.EINTERNAL {
				s.writeError(w, r, err)
				return
			}
			// Never say more than "not logged in" about a credential
			// that did not work.
			if c := phasegate.ErrorCode(err); c != phasegate.EUNAUTHORIZED && c != phasegate.ETOOMANY {
				err = phasegate.Errorf(phasegate.EUNAUTHORIZED, "%s", phasegate.ErrorMessage(err))
			}
			s.writeError(w, r, err)
			return
		}
		if info := requestInfoFrom(r.Context()); info != nil {
			info.actor = a.Name
			if a.ViaToken {
				info.actor += " (token)"
			}
		}
		if rt.Access == AccessAction && !mayEver(a, rt.Action) {
			s.writeError(w, r, a.Authorize(rt.Action, nil))
			return
		}
		next(w, r.WithContext(context.WithValue(r.Context(), actorKey, a)))
	}
}

// mayEver reports whether any of the actor's grants allows the action on
// something (a scoped grant counts).
func mayEver(a incident.Actor, action incident.Action) bool {
	p := incident.FindPermission(action)
	if p == nil {
		return false
	}
	for _, g := range a.Grants {
		if p.Access[g.Role] != incident.Denied {
			return true
		}
	}
	return false
}

func forbiddenf(format string, args ...any) error {
	return phasegate.Errorf(phasegate.EFORBIDDEN, format, args...)
}

// loginRequest is the body of POST /api/v1/session.
type loginRequest struct {
	Name     string `json:"name"`
	Password string `json:"password"`
}

// loginResponse is who logged in, with the roles in force and when the
// session ends. The session id travels only in the cookie.
type loginResponse struct {
	User      incident.User    `json:"user"`
	Roles     []incident.Grant `json:"roles"`
	ExpiresAt time.Time        `json:"expires_at"`
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if err := decodeJSON(w, r, &req, 64<<10); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.Name == "" || req.Password == "" {
		s.writeError(w, r, invalidRequest(http.StatusBadRequest, "give both name and password"))
		return
	}
	res, err := s.svc.Login(r.Context(), req.Name, req.Password,
		incident.Client{Address: clientAddress(r), UserAgent: r.UserAgent()})
	if err != nil {
		s.metrics.credentialsRefused(err, "credentials")
		s.writeError(w, r, err)
		return
	}
	if info := requestInfoFrom(r.Context()); info != nil {
		info.actor = res.User.Name
	}
	http.SetCookie(w, s.sessionCookie(res.SessionSecret, res.Session.ExpiresAt))
	writeJSON(w, http.StatusCreated, loginResponse{User: res.User, Roles: res.User.Grants, ExpiresAt: res.Session.ExpiresAt})
}

func (s *Server) sessionCookie(value string, expires time.Time) *http.Cookie {
	c := &http.Cookie{
		Name: SessionCookie, Value: value, Path: "/",
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure,
	}
	if value == "" {
		c.MaxAge = -1
	} else if !expires.IsZero() {
		c.Expires = expires
	}
	return c
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		if err := s.svc.Logout(r.Context(), c.Value); err != nil && phasegate.ErrorCode(err) != phasegate.ENOTFOUND {
			s.writeError(w, r, err)
			return
		}
	}
	http.SetCookie(w, s.sessionCookie("", time.Time{}))
	w.WriteHeader(http.StatusNoContent)
}

// meResponse is the caller: who, with which roles in force, how
// authenticated, and which actions the roles allow (scoped ones marked).
type meResponse struct {
	UserID   int64            `json:"user_id"`
	Name     string           `json:"name"`
	Roles    []incident.Grant `json:"roles"`
	ViaToken bool             `json:"via_token"`
	TokenID  int64            `json:"token_id,omitempty"`
	// Actions the caller may do anywhere; ScopedActions only on the
	// systems and teams of a scoped grant.
	Actions       []incident.Action `json:"actions"`
	ScopedActions []incident.Action `json:"scoped_actions"`
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) {
	a := actorFrom(r.Context())
	me := meResponse{UserID: a.UserID, Name: a.Name, Roles: a.Grants, ViaToken: a.ViaToken, TokenID: a.TokenID,
		Actions: []incident.Action{}, ScopedActions: []incident.Action{}}
	for _, p := range incident.Permissions {
		switch {
		case a.Can(p.Action, nil):
			me.Actions = append(me.Actions, p.Action)
		case mayEver(a, p.Action):
			me.ScopedActions = append(me.ScopedActions, p.Action)
		}
	}
	slices.Sort(me.Actions)
	slices.Sort(me.ScopedActions)
	writeJSON(w, http.StatusOK, me)
}
