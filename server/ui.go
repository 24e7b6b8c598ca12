package server

// The web UI: server-rendered HTML pages beside the JSON API, on the same
// mux, authentication and service. Every page works without JavaScript
// (plain links and forms that POST and redirect); ui.js only adds live
// updates over the event stream and confirmations. Templates and assets
// are embedded and parsed when the server is built, so a broken template
// stops the server at start-up, not a user in the middle of a recovery.
//
// docs/ui.md describes the pages, the routes and how to add a page that
// uses the layout.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/incident"
)

//go:embed templates/*.html static/*
var uiFiles embed.FS

// ui is the web front end: the parsed templates, the embedded assets and
// the server whose service and authentication it uses.
type ui struct {
	s *Server
	// pages maps a page's name (its template file without .html) to the
	// layout and parts cloned with that page.
	pages  map[string]*template.Template
	static map[string]uiAsset
	// version changes whenever an asset does: asset URLs carry it, so
	// browsers may cache them for good.
	version string
	// clock is the time pages are drawn at ("now" lines, "5 min ago").
	clock func() time.Time
	plans planCache
	// reveals seals the one-time codes the accounts page shows once.
	reveals revealSealer
}

type uiAsset struct {
	data        []byte
	contentType string
	etag        string
}

// uiRoute is one page or form target of the UI.
type uiRoute struct {
	pattern string
	handler http.HandlerFunc
}

// mountUI parses the templates, loads the assets and registers the UI's
// routes on the server's mux. They are not API routes: they stay out of
// Routes(), the OpenAPI document and the API's role table.
func (s *Server) mountUI() error {
	u, err := newUI(s, s.clock)
	if err != nil {
		return err
	}
	for _, rt := range append(u.routes(), u.statusUIRoutes()...) {
		s.mux.Handle(rt.pattern, rt.handler)
	}
	s.notFoundPage = u.handleNotFound
	return nil
}

func newUI(s *Server, clock func() time.Time) (*ui, error) {
	u := &ui{s: s, clock: clock, pages: map[string]*template.Template{}, static: map[string]uiAsset{}}
	if err := u.loadStatic(); err != nil {
		return nil, err
	}
	if err := u.parseTemplates(); err != nil {
		return nil, err
	}
	return u, nil
}

// uiShared are the templates every page is parsed with: the layout and
// the parts (state badges, flash, pager, ...).
var uiShared = []string{"templates/layout.html", "templates/parts.html"}

func (u *ui) parseTemplates() error {
	pages, err := parsePages(uiFiles, u.funcs())
	if err != nil {
		return err
	}
	u.pages = pages
	return nil
}

// parsePages parses every page of fsys (templates/*.html) with the
// layout and the parts. A page that does not parse, or defines no "main"
// block, is an error naming its file.
func parsePages(fsys fs.FS, funcs template.FuncMap) (map[string]*template.Template, error) {
	base, err := template.New("layout").Funcs(funcs).ParseFS(fsys, uiShared...)
	if err != nil {
		return nil, fmt.Errorf("server: UI templates: %w", err)
	}
	names, err := fs.Glob(fsys, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("server: UI templates: %w", err)
	}
	pages := map[string]*template.Template{}
	for _, name := range names {
		if slices.Contains(uiShared, name) {
			continue
		}
		t, err := base.Clone()
		if err == nil {
			t, err = t.ParseFS(fsys, name)
		}
		if err != nil {
			return nil, fmt.Errorf("server: UI template %s: %w", name, err)
		}
		if t.Lookup("main") == nil {
			return nil, fmt.Errorf("server: UI template %s defines no \"main\" block; every page must", name)
		}
		// html/template escapes a page at its first execution; do it now
		// with an empty page (page data sits inside {{with .Data}}), so
		// that an escaping error stops the server at start-up.
		if err := t.ExecuteTemplate(io.Discard, "layout", &uiPage{}); err != nil {
			return nil, fmt.Errorf("server: UI template %s: %w", name, err)
		}
		pages[strings.TrimSuffix(path.Base(name), ".html")] = t
	}
	return pages, nil
}

func (u *ui) loadStatic() error {
	names, err := fs.Glob(uiFiles, "static/*")
	if err != nil {
		return err
	}
	all := sha256.New()
	for _, name := range names {
		data, err := uiFiles.ReadFile(name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		all.Write(sum[:])
		ct := mime.TypeByExtension(path.Ext(name))
		switch path.Ext(name) {
		case ".css":
			ct = "text/css; charset=utf-8"
		case ".js":
			ct = "text/javascript; charset=utf-8"
		case ".svg":
			ct = "image/svg+xml"
		}
		if ct == "" {
			ct = "application/octet-stream"
		}
		u.static[path.Base(name)] = uiAsset{data: data, contentType: ct, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	}
	u.version = hex.EncodeToString(all.Sum(nil)[:6])
	return nil
}

// ---- pages, rendering and errors

// uiPage is what the layout renders: who is looking, where they are, a
// message carried over a redirect, an error to show, and the page's own
// data. A page added later (e.g. comms) fills it the same way.
type uiPage struct {
	Title string
	// Actor is who is logged in (zero on the login page).
	Actor incident.Actor
	// Incident is the incident the page is about, for the navigation
	// (nil outside one).
	Incident *incident.Incident
	// Pending is the incident's count of pending approvals (shown in the
	// navigation).
	Pending int
	// Nav is the key of the navigation entry to mark as current.
	Nav string
	// WaitingEstates and WaitingAccounts count what waits for a second
	// person outside any incident: estate versions that take a gate
	// away, and account requests (counted for admins only). The header
	// shows them beside its links.
	WaitingEstates, WaitingAccounts int
	// estatesCounted: the page read the estate versions itself and
	// counted them (countEstates), so rendering need not read them again.
	estatesCounted bool
	// Flash is a message from the previous request (after a redirect).
	Flash *uiFlash
	// Error is shown above the page: what went wrong and every reason.
	Error *uiError
	// Live is the event stream URL the page refreshes itself from (with
	// JavaScript); empty: the page is not live.
	Live string
	Now  time.Time
	// Static is the assets' version, for their URLs.
	Static string
	Data   any
}

// uiError is an error shown on a page.
type uiError struct {
	Status  int
	Code    string
	Message string
	Reasons []string
	// Title, when set, is the heading instead of the status's.
	Title string
}

func uiErrorOf(err error) *uiError {
	b := errorBody(err)
	return &uiError{Status: errorStatus(err), Code: b.Code, Message: b.Message, Reasons: b.Reasons}
}

// Heading is a short title for the error box.
func (e *uiError) Heading() string {
	if e.Title != "" {
		return e.Title
	}
	switch e.Status {
	case http.StatusConflict:
		return "Refused"
	case http.StatusForbidden:
		return "Not allowed"
	case http.StatusNotFound:
		return "Not found"
	case http.StatusTooManyRequests:
		return "Too many attempts"
	case http.StatusUnauthorized:
		return "Not logged in"
	case http.StatusInternalServerError:
		return "Something went wrong"
	}
	return "Please check"
}

// navEntry is one link of the navigation bar.
type navEntry struct {
	Key, Label, Href string
	Current          bool
	// Count is shown beside the label when > 0 (pending approvals).
	Count int
}

// uiNav is the incident's navigation bar, in order. Action, when set, is
// what a user needs for the entry to be shown (and Open: only while the
// incident is open). A page added later gets its entry here.
var uiNav = []struct {
	Key, Label, Path string
	Action           incident.Action
	Open             bool
}{
	{"overview", "Overview", "", "", false},
	{"plan", "Plan", "/plan", "", false},
	{"forecast", "Forecast", "/forecast", "", false},
	{"whatif", "What if", "/whatif", "", false},
	{"backlogs", "Backlogs", "/backlogs", "", false},
	{"systems", "Systems", "/systems", "", false},
	{"containment", "Containment", "/isolate", incident.ActionIsolateBulk, true},
	{"approvals", "Approvals", "/approvals", "", false},
	{"updates", "Status updates", "/updates", "", false},
	{"events", "Event log", "/events", "", false},
}

// NavEntries lists the navigation entries the actor may use for the
// page's incident.
func (p *uiPage) NavEntries() []navEntry {
	if p.Incident == nil {
		return nil
	}
	base := fmt.Sprintf("/incidents/%d", p.Incident.ID)
	var entries []navEntry
	for _, n := range uiNav {
		if n.Action != "" && !p.Actor.Can(n.Action, nil) || n.Open && !p.Incident.Open() {
			continue
		}
		e := navEntry{Key: n.Key, Label: n.Label, Href: base + n.Path, Current: n.Key == p.Nav}
		if n.Key == "approvals" {
			e.Count = p.Pending
		}
		entries = append(entries, e)
	}
	return entries
}

// RoleNames lists the actor's roles for the header.
func (p *uiPage) RoleNames() string {
	var out []string
	for _, g := range p.Actor.Grants {
		out = append(out, g.String())
	}
	return strings.Join(out, ", ")
}

// securityHeaders are sent with every page: nothing may be loaded from
// elsewhere, scripts only from our own assets (the charts' inline <style>
// needs 'unsafe-inline' for styles), forms post only here, and no site may
// frame the pages.
func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "+
		"img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "+
		"form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
}

// render writes a page with the layout. The page is built in memory first
// so that a template error becomes a clean 500, not half a page.
// countWaiting fills the header's counts of what waits for a second
// person. A failure only leaves a count out: the page still renders.
func (u *ui) countWaiting(ctx context.Context, p *uiPage) {
	if !p.estatesCounted {
		if vs, err := u.s.svc.EstateVersions(ctx, p.Actor); err == nil {
			p.countEstates(vs)
		}
	}
	if p.Actor.Can(incident.ActionUsersManage, nil) {
		if rs, err := u.s.svc.AccountRequests(ctx, p.Actor, incident.AccountQuery{Status: incident.ApprovalPending}); err == nil {
			p.WaitingAccounts = len(rs)
		}
	}
}

// countEstates counts the estate versions waiting for a second person,
// for the header, from versions the page has read anyway.
func (p *uiPage) countEstates(vs []incident.EstateVersion) {
	p.WaitingEstates, p.estatesCounted = 0, true
	for _, v := range vs {
		if v.Pending() {
			p.WaitingEstates++
		}
	}
}

func (u *ui) render(w http.ResponseWriter, r *http.Request, status int, name string, p *uiPage) {
	t, ok := u.pages[name]
	if !ok {
		u.s.log.Error("UI page template missing", "page", name)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	p.Static = u.version
	if p.Error != nil {
		// The request's log line names the error the page shows.
		if info := requestInfoFrom(r.Context()); info != nil {
			info.errCode = p.Error.Code
		}
	}
	if p.Now.IsZero() {
		p.Now = u.clock()
	}
	// The page's own refresh must not take a message meant for the page
	// the user opens next.
	if p.Flash == nil && !isRefresh(r) {
		p.Flash = u.takeFlash(w, r)
	}
	if p.Actor.Name != "" {
		u.countWaiting(r.Context(), p)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		u.s.log.LogAttrs(r.Context(), slog.LevelError, "UI page failed to render",
			slog.String("page", name), slog.String("path", r.URL.Path), slog.String("error", err.Error()))
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	securityHeaders(h)
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// fail shows an error page for err: not logged in goes to the login page;
// everything else is the error page with the status of its code.
func (u *ui) fail(w http.ResponseWriter, r *http.Request, p *uiPage, err error) {
	e := uiErrorOf(err)
	if info := requestInfoFrom(r.Context()); info != nil {
		info.errCode = e.Code
	}
	if e.Status == http.StatusUnauthorized {
		u.toLogin(w, r)
		return
	}
	if e.Status == http.StatusInternalServerError {
		u.s.log.LogAttrs(r.Context(), slog.LevelError, "internal error",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("error", err.Error()))
	}
	if p == nil {
		p = &uiPage{}
	}
	if p.Actor.Name == "" {
		p.Actor = actorFrom(r.Context())
	}
	p.Title, p.Error, p.Data, p.Live = e.Heading(), e, nil, ""
	u.render(w, r, e.Status, "error", p)
}

// decided ends a decision form (approve, reject, publish, …): back to the
// page it came from, with f or, when err refused the decision, why. An
// internal error gets the error page instead.
func (u *ui) decided(w http.ResponseWriter, r *http.Request, back string, f uiFlash, err error) {
	if err != nil {
		e := uiErrorOf(err)
		if e.Status == http.StatusInternalServerError {
			u.fail(w, r, nil, err)
			return
		}
		if info := requestInfoFrom(r.Context()); info != nil {
			info.errCode = e.Code
		}
		f = uiFlash{Kind: "error", Text: e.Message, Items: e.Reasons}
	}
	u.setFlash(w, f)
	redirect(w, r, back)
}

// toLogin sends a visitor who is not logged in to the login page, to come
// back here afterwards.
func (u *ui) toLogin(w http.ResponseWriter, r *http.Request) {
	next := r.URL.RequestURI()
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		// Only a form's "back" is wanted: a visitor who is not logged in
		// must not make the server read, or spool to disk, a large body
		// (an estate upload sent after the session ended).
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
		next = localPath(r.FormValue("back"), "/")
	}
	target := "/login"
	if next != "/" && next != "" {
		target += "?next=" + url.QueryEscape(next)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// localPath returns p when it is a path on this site ("/…", not "//…"
// or "/\…", which browsers read as another host), else def: a redirect
// target from a form must never lead elsewhere.
func localPath(p, def string) string {
	if p == "" || p[0] != '/' || strings.HasPrefix(p, "//") || strings.HasPrefix(p, `/\`) ||
		strings.ContainsAny(p, "\r\n\t\\") {
		return def
	}
	if u, err := url.Parse(p); err != nil || u.Scheme != "" || u.Host != "" {
		return def
	}
	return p
}

// authed wraps a page or form handler: it finds the actor (session cookie
// or token), sends visitors who are not logged in to the login page, and
// records the actor for the request log.
func (u *ui) authed(h func(http.ResponseWriter, *http.Request, incident.Actor)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, err := u.s.authenticate(r)
		if err != nil {
			if phasegate.ErrorCode(err) == phasegate.EINTERNAL {
				u.fail(w, r, nil, err)
				return
			}
			u.toLogin(w, r)
			return
		}
		if info := requestInfoFrom(r.Context()); info != nil {
			info.actor = a.Name
			if a.ViaToken {
				info.actor += " (token)"
			}
		}
		r = r.WithContext(context.WithValue(r.Context(), actorKey, a))
		if err := a.Authorize(incident.ActionView, nil); err != nil {
			u.fail(w, r, &uiPage{Actor: a}, err)
			return
		}
		h(w, r, a)
	}
}

// ---- flash messages

// uiFlash is a message carried from a form's POST to the page it
// redirects to, in a short-lived cookie.
type uiFlash struct {
	// Kind is "ok", "wait" (waiting for a second person) or "error".
	Kind  string   `json:"k"`
	Text  string   `json:"t"`
	Items []string `json:"i,omitempty"`
}

const flashCookie = "phasegate_flash"

// maxFlashItems keeps the cookie small: a bulk isolation of thousands
// lists the first few and counts the rest.
const maxFlashItems = 40

func (u *ui) setFlash(w http.ResponseWriter, f uiFlash) {
	if len(f.Items) > maxFlashItems {
		more := len(f.Items) - maxFlashItems
		f.Items = append(f.Items[:maxFlashItems:maxFlashItems], fmt.Sprintf("… and %d more", more))
	}
	data, _ := json.Marshal(f)
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: base64.RawURLEncoding.EncodeToString(data),
		Path: "/", MaxAge: 120, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: u.s.secure})
}

// takeFlash reads the flash cookie and clears it.
func (u *ui) takeFlash(w http.ResponseWriter, r *http.Request) *uiFlash {
	c, err := r.Cookie(flashCookie)
	if err != nil || c.Value == "" {
		return nil
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: u.s.secure})
	data, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return nil
	}
	var f uiFlash
	if json.Unmarshal(data, &f) != nil || f.Text == "" {
		return nil
	}
	switch f.Kind {
	case "ok", "wait", "error":
	default:
		f.Kind = "ok"
	}
	return &f
}

// redirect answers a form's POST: 303 to the page to show next.
func redirect(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// ---- static assets

func (u *ui) handleStatic(w http.ResponseWriter, r *http.Request) {
	a, ok := u.static[r.PathValue("name")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("ETag", a.etag)
	if r.URL.Query().Get("v") == u.version {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, a.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write(a.data)
}

// handleNotFound is the error page for a page that does not exist.
func (u *ui) handleNotFound(w http.ResponseWriter, r *http.Request) {
	u.fail(w, r, nil, phasegate.Errorf(phasegate.ENOTFOUND,
		"there is no page at %s; start from the list of incidents (/incidents) or the public status pages (/status/)", r.URL.Path))
}
