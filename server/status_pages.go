package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/phasegate/phasegate/incident"
)

// The public status pages (GET /status/, /status/{audience} and its Atom
// feed) are rendered once per change and served from memory: every page
// and feed, plain and gzipped, with its ETag, is in one immutable
// snapshot swapped atomically. A request does no database work and no
// rendering — a map lookup, a few header assignments of pre-built values
// and one write — so thousands of suppliers polling at once cost little,
// and an unknown audience is a 404 from the same map.
//
// Published events that change the pages (incident.PublicEvents) mark
// the snapshot stale, and so does a clock every statusRefresh (another
// instance sharing the database may have published). The next request
// rebuilds it while every concurrent request is served the previous
// snapshot; the API's publish and withdraw rebuild at once, so their
// caller sees the change. Nothing runs in the background but the
// goroutine that marks the snapshot stale: no database work outlives the
// requests that asked for it.

//go:embed status_templates
var statusTemplateFS embed.FS

// statusRefresh is how often the pages are rebuilt whatever happens; an
// unchanged page keeps its bytes and ETag.
const statusRefresh = 30 * time.Second

// statusRetry is how long a failed rebuild (the store not answering) is
// not retried; the last pages are served meanwhile.
const statusRetry = 5 * time.Second

// statusCacheControl lets browsers and proxies reuse a page briefly and
// serve it stale while they fetch a fresh one — or for a day if the
// server is down, when a status page matters most.
const statusCacheControl = "public, max-age=15, stale-while-revalidate=60, stale-if-error=86400"

// statusPages holds the rendered pages and rebuilds them.
type statusPages struct {
	svc  *incident.Service
	log  *slog.Logger
	tmpl *template.Template
	css  string

	cur     atomic.Pointer[statusSnapshot]
	stale   atomic.Bool
	retryAt atomic.Int64 // UnixNano before which a failed rebuild is not retried
	mu      sync.Mutex   // one rebuild at a time
	builds  prometheus.Counter

	// Header values shared by every response, built once: assigning a
	// slice to the header map allocates nothing.
	hCache, hVary, hGzip, hNosniff, hReferrer, hCSP, hFrame []string
}

// cachedPage is one response, ready to send.
type cachedPage struct {
	status   int
	body, gz []byte
	// Header values, pre-built.
	hType, hETag, hGzETag, hLen, hGzLen, hModified []string
	etag, gzETag, modified                         string
	modTime                                        time.Time // Last-Modified, to the second
}

// statusSnapshot is every public response at one moment.
type statusSnapshot struct {
	index   *cachedPage
	pages   map[string]*cachedPage // audience → HTML page
	feeds   map[string]*cachedPage // audience → Atom feed
	missing *cachedPage
}

func newStatusPages(svc *incident.Service, log *slog.Logger, m *Metrics) (*statusPages, error) {
	cssBytes, err := statusTemplateFS.ReadFile("status_templates/status.css")
	if err != nil {
		return nil, err
	}
	css := string(cssBytes)
	tmpl, err := template.New("status").Funcs(statusFuncs).ParseFS(statusTemplateFS, "status_templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("server: status page templates: %w", err)
	}
	sum := sha256.Sum256([]byte(css))
	csp := "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; " +
		"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	p := &statusPages{
		svc: svc, log: log, tmpl: tmpl, css: css,
		hCache: []string{statusCacheControl}, hVary: []string{"Accept-Encoding"}, hGzip: []string{"gzip"},
		hNosniff: []string{"nosniff"}, hReferrer: []string{"no-referrer"}, hCSP: []string{csp},
		hFrame: []string{"DENY"},
	}
	p.builds = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "phasegate_status_page_builds_total",
		Help: "Renderings of the public status pages: one per published change (and per refresh), not per request.",
	})
	if err := m.reg.Register(p.builds); err != nil {
		// Two servers on one registry share the counter.
		are, ok := err.(prometheus.AlreadyRegisteredError)
		if !ok {
			return nil, fmt.Errorf("server: status page metrics: %w", err)
		}
		p.builds = are.ExistingCollector.(prometheus.Counter)
	}
	p.stale.Store(true)
	return p, nil
}

var statusFuncs = template.FuncMap{
	"iso":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"when": func(t time.Time) string { return t.UTC().Format("Mon 2 Jan 2006, 15:04 UTC") },
	"day":  incident.ShortDate,
	"inc":  func(i int) int { return i + 1 },
	"stateClass": func(s incident.ServiceState) string {
		if s == "" {
			return "none"
		}
		return string(s)
	},
	// Marks that read in black and white and to a screen reader the
	// label beside them says it in words.
	"stateMark": func(s incident.ServiceState) string {
		switch s {
		case incident.ServiceDown:
			return "✕"
		case incident.ServicePartial:
			return "◐"
		case incident.ServiceUp:
			return "✓"
		}
		return "?"
	},
	"markdown": renderMarkdown,
}

// watch marks the pages stale after every published event that may
// change them and every statusRefresh, until the broker closes.
func (p *statusPages) watch(b *Broker) {
	sub, _, ok := b.subscribe()
	if !ok {
		return
	}
	defer func() { b.unsubscribe(sub) }()
	tick := time.NewTicker(statusRefresh)
	defer tick.Stop()
	for {
		select {
		case e, ok := <-sub.ch:
			if !ok {
				if b.isClosed() {
					return
				}
				// Dropped for falling behind: events were missed.
				p.stale.Store(true)
				if sub, _, ok = b.subscribe(); !ok {
					return
				}
				continue
			}
			if incident.PublicEvents[e.Type] {
				p.stale.Store(true)
			}
		case <-tick.C:
			p.stale.Store(true)
		}
	}
}

// current returns the pages to serve, rebuilding them first when they
// are stale and no other request is already at it (that one's callers
// get the previous pages meanwhile). Nil: no pages could be built yet.
func (p *statusPages) current(ctx context.Context) *statusSnapshot {
	snap := p.cur.Load()
	if snap != nil && !p.stale.Load() {
		return snap
	}
	if time.Now().UnixNano() < p.retryAt.Load() {
		return snap
	}
	if snap != nil {
		if !p.mu.TryLock() {
			return snap
		}
	} else {
		p.mu.Lock()
	}
	defer p.mu.Unlock()
	if s := p.cur.Load(); s != nil && !p.stale.Load() {
		return s // built while this request waited
	}
	// The request's client may go; the rebuild serves the others too.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := p.rebuildLocked(ctx); err != nil {
		p.retryAt.Store(time.Now().Add(statusRetry).UnixNano())
		p.log.Error("rebuilding the public status pages; serving the last ones", "error", err)
	}
	return p.cur.Load()
}

// rebuild renders the pages now.
func (p *statusPages) rebuild(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rebuildLocked(ctx)
}

// rebuildLocked reads the public status and renders every page and
// feed. Pages whose bytes did not change keep their cached response.
func (p *statusPages) rebuildLocked(ctx context.Context) error {
	// Marked fresh before reading: an event committed during the
	// rebuild marks it stale again.
	p.stale.Store(false)
	pub, err := p.svc.PublicStatus(ctx)
	if err != nil {
		p.stale.Store(true)
		return err
	}
	old := p.cur.Load()
	now := time.Now()
	reuse := func(prev map[string]*cachedPage, key string, next *cachedPage) *cachedPage {
		if prev != nil {
			c := prev[key]
			if c != nil && c.etag == next.etag {
				return c
			}
			if c != nil {
				next.modifiedAfter(c, now)
			}
		}
		next.compress()
		return next
	}
	snap := &statusSnapshot{pages: map[string]*cachedPage{}, feeds: map[string]*cachedPage{}}
	var oldPages, oldFeeds map[string]*cachedPage
	if old != nil {
		oldPages, oldFeeds = old.pages, old.feeds
	}
	var links []audienceLink
	for _, aud := range pub.Audiences {
		v, _ := pub.For(aud)
		html, err := p.render("page.html", pageData{Organization: pub.Organization, Title: audienceTitle(pub.Organization, aud),
			Heading: "Service status for " + audienceWords(aud), Feed: "/status/" + aud + "/feed.atom", View: v})
		if err != nil {
			return err
		}
		snap.pages[aud] = reuse(oldPages, aud, newCachedPage(http.StatusOK, "text/html; charset=utf-8", html, v.Updated))
		feed, err := atomFeed(v)
		if err != nil {
			return err
		}
		snap.feeds[aud] = reuse(oldFeeds, aud, newCachedPage(http.StatusOK, "application/atom+xml; charset=utf-8", feed, v.Updated))
		links = append(links, audienceLink{Name: aud, Title: "Service status for " + audienceWords(aud), Updated: v.Updated})
	}
	index, err := p.render("index.html", pageData{Organization: pub.Organization, Title: pageTitle(pub.Organization, "Service status"),
		Heading: "Service status", Audiences: links})
	if err != nil {
		return err
	}
	snap.index = newCachedPage(http.StatusOK, "text/html; charset=utf-8", index, pub.Changed)
	missing, err := p.render("missing.html", pageData{Organization: pub.Organization, Title: pageTitle(pub.Organization, "No such status page"),
		Heading: "No such status page"})
	if err != nil {
		return err
	}
	snap.missing = newCachedPage(http.StatusNotFound, "text/html; charset=utf-8", missing, time.Time{})
	if old != nil {
		if old.index.etag == snap.index.etag {
			snap.index = old.index
		} else {
			snap.index.modifiedAfter(old.index, now)
		}
		if old.missing.etag == snap.missing.etag {
			snap.missing = old.missing
		}
	}
	snap.index.compress()
	snap.missing.compress()
	p.cur.Store(snap)
	p.builds.Inc()
	return nil
}

// pageData is what the templates see.
type pageData struct {
	Organization, Title, Heading, Feed string
	CSS                                template.CSS
	View                               *incident.AudienceView
	Audiences                          []audienceLink
}

type audienceLink struct {
	Name, Title string
	Updated     time.Time
}

func (p *statusPages) render(name string, d pageData) ([]byte, error) {
	d.CSS = template.CSS(p.css)
	var b bytes.Buffer
	if err := p.tmpl.ExecuteTemplate(&b, name, d); err != nil {
		return nil, fmt.Errorf("server: rendering status page %s: %w", name, err)
	}
	return b.Bytes(), nil
}

func audienceWords(a string) string { return strings.ReplaceAll(a, "-", " ") }

func audienceTitle(org, aud string) string {
	return pageTitle(org, "Service status for "+audienceWords(aud))
}

func pageTitle(org, what string) string {
	if org == "" {
		return what
	}
	return what + " — " + org
}

func newCachedPage(status int, ctype string, body []byte, modified time.Time) *cachedPage {
	sum := sha256.Sum256(body)
	tag := hex.EncodeToString(sum[:12])
	c := &cachedPage{status: status, body: body, etag: `"` + tag + `"`, gzETag: `"` + tag + `-gz"`}
	c.hType = []string{ctype}
	c.hETag, c.hGzETag = []string{c.etag}, []string{c.gzETag}
	c.hLen = []string{strconv.Itoa(len(body))}
	if !modified.IsZero() {
		c.setModified(modified)
	}
	return c
}

// modifiedAfter makes c's Last-Modified later than prev's, the page it
// replaces with other bytes: a change the content's own dates do not show
// (an estate that renames a service; two changes in one second) still
// moves Last-Modified, to now.
func (c *cachedPage) modifiedAfter(prev *cachedPage, now time.Time) {
	if prev.modTime.IsZero() || c.modTime.After(prev.modTime) {
		return
	}
	t := now.UTC().Truncate(time.Second)
	if !t.After(prev.modTime) {
		t = prev.modTime.Add(time.Second)
	}
	c.setModified(t)
}

func (c *cachedPage) setModified(t time.Time) {
	c.modTime = t.UTC().Truncate(time.Second)
	c.modified = c.modTime.Format(http.TimeFormat)
	c.hModified = []string{c.modified}
}

// compress makes the gzip variant once.
func (c *cachedPage) compress() {
	if c.gz != nil {
		return
	}
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zw.Write(c.body)
	zw.Close()
	c.gz = b.Bytes()
	c.hGzLen = []string{strconv.Itoa(len(c.gz))}
}

func (p *statusPages) handleIndex(w http.ResponseWriter, r *http.Request) {
	snap := p.current(r.Context())
	if snap == nil {
		p.unavailable(w)
		return
	}
	if r.URL.Path != "/status/" {
		p.serve(w, r, snap.missing)
		return
	}
	p.serve(w, r, snap.index)
}

func (p *statusPages) handlePage(w http.ResponseWriter, r *http.Request) {
	snap := p.current(r.Context())
	if snap == nil {
		p.unavailable(w)
		return
	}
	page := snap.pages[r.PathValue("audience")]
	if page == nil {
		page = snap.missing
	}
	p.serve(w, r, page)
}

func (p *statusPages) handleFeed(w http.ResponseWriter, r *http.Request) {
	snap := p.current(r.Context())
	if snap == nil {
		p.unavailable(w)
		return
	}
	page := snap.feeds[r.PathValue("audience")]
	if page == nil {
		page = snap.missing
	}
	p.serve(w, r, page)
}

func (p *statusPages) unavailable(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Retry-After", "5")
	h.Set("Cache-Control", "no-store")
	http.Error(w, "The status pages are being prepared; try again in a few seconds.", http.StatusServiceUnavailable)
}

// serve sends a cached page: 304 when the client has it, the gzip
// variant when the client takes it, no body for HEAD.
func (p *statusPages) serve(w http.ResponseWriter, r *http.Request, c *cachedPage) {
	h := w.Header()
	gz := c.gz != nil && acceptsGzip(r.Header["Accept-Encoding"])
	etag, hETag := c.etag, c.hETag
	if gz {
		etag, hETag = c.gzETag, c.hGzETag
	}
	h["Cache-Control"] = p.hCache
	h["Vary"] = p.hVary
	h["Etag"] = hETag
	if c.hModified != nil {
		h["Last-Modified"] = c.hModified
	}
	h["X-Content-Type-Options"] = p.hNosniff
	if c.status == http.StatusOK && notModified(r, etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h["Content-Type"] = c.hType
	h["Referrer-Policy"] = p.hReferrer
	h["Content-Security-Policy"] = p.hCSP
	h["X-Frame-Options"] = p.hFrame
	body := c.body
	h["Content-Length"] = c.hLen
	if gz {
		h["Content-Encoding"] = p.hGzip
		h["Content-Length"] = c.hGzLen
		body = c.gz
	}
	w.WriteHeader(c.status)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// notModified: If-None-Match names the ETag (or *). If-Modified-Since is
// not honoured: Last-Modified has a resolution of one second and, after a
// restart, comes from the content's own dates, which a change such as a
// renamed service does not move; a 304 on it could keep a stale page.
// Every client that got a Last-Modified from here got an ETag with it.
func notModified(r *http.Request, etag string) bool {
	for _, v := range r.Header["If-None-Match"] {
		if etagListHas(v, etag) {
			return true
		}
	}
	return false
}

// etagListHas reports whether a comma-separated If-None-Match list holds
// etag or *, comparing weakly (W/ ignored), without allocating.
func etagListHas(list, etag string) bool {
	for len(list) > 0 {
		var item string
		if i := strings.IndexByte(list, ','); i >= 0 {
			item, list = list[:i], list[i+1:]
		} else {
			item, list = list, ""
		}
		item = strings.TrimSpace(item)
		item = strings.TrimPrefix(item, "W/")
		if item == "*" || item == etag {
			return true
		}
	}
	return false
}

// acceptsGzip reads Accept-Encoding: gzip (or *) with a q-value above 0.
func acceptsGzip(values []string) bool {
	for _, v := range values {
		for len(v) > 0 {
			var item string
			if i := strings.IndexByte(v, ','); i >= 0 {
				item, v = v[:i], v[i+1:]
			} else {
				item, v = v, ""
			}
			name, params, _ := strings.Cut(item, ";")
			name = strings.TrimSpace(name)
			if !strings.EqualFold(name, "gzip") && name != "*" {
				continue
			}
			q := strings.TrimSpace(params)
			if qv, ok := strings.CutPrefix(q, "q="); ok {
				if f, err := strconv.ParseFloat(strings.TrimSpace(qv), 64); err != nil || f <= 0 {
					continue
				}
			}
			return true
		}
	}
	return false
}

// quietRoute reports whether a route's requests are logged at debug
// level only: the public status pages, which crowds poll.
func quietRoute(pattern string) bool { return strings.HasPrefix(pattern, "GET /status/") }
