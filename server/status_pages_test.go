package server_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/phasegate/phasegate/incident"
)

// plainClient does not ask for gzip on its own (Go's default transport
// would, and would hide Content-Encoding).
var plainClient = &http.Client{Transport: &http.Transport{DisableCompression: true}}

type publicPage struct {
	status int
	header http.Header
	body   []byte
}

func (ts *testServer) get(path string, header ...string) publicPage {
	ts.t.Helper()
	return ts.fetch("GET", path, header...)
}

func (ts *testServer) fetch(method, path string, header ...string) publicPage {
	ts.t.Helper()
	req, err := http.NewRequest(method, ts.url+path, nil)
	if err != nil {
		ts.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := plainClient.Do(req)
	if err != nil {
		ts.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		ts.t.Fatal(err)
	}
	return publicPage{res.StatusCode, res.Header, body}
}

// statusFixture is the demo estate with an incident in which comms wrote
// updates in every state; only one is published.
type statusFixture struct {
	ts        *testServer
	incident  int64
	published *incident.StatusUpdate
	// secrets must appear on no public page.
	secrets []string
}

const hostileTitle = `Payments <script>alert("x")</script> & "quotes" resume`

func newStatusFixture(t testing.TB) *statusFixture {
	ts := newTestServer(t, backend{"sqlite", openSQLite}, serverOptions{estate: "demo"})
	ctx := context.Background()
	f := &statusFixture{ts: ts}
	in := ts.declare("ic", incident.Declaration{Name: "Operation Nightjar", Kind: "ransomware", TotalShutdown: true})
	f.incident = in.ID
	writer, err := ts.svc.BreakGlassAddUser(ctx, "zelda-quartermain", testPassword, []incident.Grant{{Role: incident.RoleComms}})
	if err != nil {
		t.Fatal(err)
	}
	ts.users[writer.Name] = writer
	zelda, ic := ts.actor("zelda-quartermain"), ts.actor("ic")
	draft := func(title, body string) *incident.StatusUpdate {
		t.Helper()
		u, err := ts.svc.DraftStatusUpdate(ctx, zelda, in.ID, incident.StatusDraft{Audiences: []string{"suppliers"},
			Title: title, Body: body, Services: []incident.ServiceLine{{Service: "supplier-payments", State: incident.ServiceDown,
				ETA: time.Date(2031, 3, 14, 9, 0, 0, 0, time.UTC)}}})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	draft("Draft-secret-title", "draft-secret-body")
	ap := draft("Approved-secret-title", "approved-secret-body")
	must(ts.svc.ApproveStatusUpdate(ctx, ic, ap.ID, incident.StatusApproval{Note: "approval-secret-note"}))
	rj := draft("Rejected-secret-title", "rejected-secret-body")
	must(ts.svc.RejectStatusUpdate(ctx, ic, rj.ID, "rejection-secret-note"))
	wd := draft("Withdrawn-secret-title", "withdrawn-secret-body")
	must(ts.svc.ApproveStatusUpdate(ctx, ic, wd.ID, incident.StatusApproval{Publish: true}))
	must(ts.svc.WithdrawStatusUpdate(ctx, zelda, wd.ID, "withdrawal-secret-note"))
	pub, err := ts.svc.DraftStatusUpdate(ctx, zelda, in.ID, incident.StatusDraft{Audiences: []string{"suppliers", "regulators"},
		Title: hostileTitle, Body: "Critical suppliers are paid **first**.\n\n<img src=x onerror=alert(1)>\n- [supplier desk](https://example.com/desk)",
		Services: []incident.ServiceLine{{Service: "supplier-payments", State: incident.ServicePartial, Note: "UK first"}}})
	if err != nil {
		t.Fatal(err)
	}
	f.published, err = ts.svc.ApproveStatusUpdate(ctx, ic, pub.ID, incident.StatusApproval{Publish: true})
	if err != nil {
		t.Fatal(err)
	}
	f.secrets = []string{"secret", "Operation Nightjar", "zelda", "quartermain", "status.", "system.", "incident.",
		"approval", "2031", "Mar 14", "14 Mar"}
	return f
}

// TestStatusPages reads the pages of one fixture (the tests that change
// it have their own).
func TestStatusPages(t *testing.T) {
	f := newStatusFixture(t)
	t.Run("nothing internal", func(t *testing.T) { statusPagesShowNothingInternal(t, f) })
	t.Run("hostile text escaped", func(t *testing.T) { statusPagesEscapeHostileText(t, f) })
	t.Run("accessible and self-contained", func(t *testing.T) { statusPagesAreAccessibleAndSelfContained(t, f) })
}

// statusPagesShowNothingInternal: no system, event, draft, note, user,
// incident name or unpublished ETA on any public page or feed.
func statusPagesShowNothingInternal(t *testing.T, f *statusFixture) {
	ts := f.ts
	_, est, err := ts.svc.Estate(context.Background(), ts.actor("viewer"), 0)
	if err != nil {
		t.Fatal(err)
	}
	// The live plan's ETAs are internal until someone publishes them.
	sg, err := ts.svc.StatusSuggestions(context.Background(), ts.actor("viewer"), f.incident)
	if err != nil {
		t.Fatal(err)
	}
	today := incident.ShortDate(time.Now())
	secrets := slices.Clone(f.secrets)
	for _, a := range sg.Audiences {
		for _, s := range a.Services {
			if !s.Line.ETA.IsZero() && incident.ShortDate(s.Line.ETA) != today {
				secrets = append(secrets, incident.ShortDate(s.Line.ETA))
			}
		}
	}
	var serviceNames string
	for _, s := range est.Services {
		serviceNames += s.Name + "\n"
	}
	for _, s := range est.Systems {
		secrets = append(secrets, s.ID)
		if !strings.Contains(serviceNames, s.Name) && !strings.Contains(est.Organization, s.Name) {
			secrets = append(secrets, s.Name)
		}
	}
	paths := []string{"/status/", "/status/no-such-audience", "/status/a/b"}
	for _, a := range incident.AudiencesOf(est) {
		paths = append(paths, "/status/"+a, "/status/"+a+"/feed.atom")
	}
	for _, p := range paths {
		pg := ts.get(p)
		if pg.status != 200 && pg.status != 404 {
			t.Fatalf("%s: %d", p, pg.status)
		}
		body := string(pg.body)
		for _, s := range secrets {
			if s == "" || len(s) < 3 {
				continue
			}
			if i := strings.Index(strings.ToLower(body), strings.ToLower(s)); i >= 0 {
				t.Errorf("%s shows %q, which was never published: …%s…", p, s, body[max(0, i-80):min(len(body), i+80)])
			}
		}
	}
	// What was published is there, for its audiences only.
	sup := string(ts.get("/status/suppliers").body)
	for _, want := range []string{"Supplier payments", "Partly available", "UK first", "<strong>first</strong>",
		`<a href="https://example.com/desk" rel="nofollow noopener">supplier desk</a>`, "Northfield Motors"} {
		if !strings.Contains(sup, want) {
			t.Errorf("the suppliers' page lacks %q", want)
		}
	}
	if reg := string(ts.get("/status/regulators").body); !strings.Contains(reg, "resume") {
		t.Error("the regulators' page lacks the update sent to them")
	}
	if ret := string(ts.get("/status/retailers").body); strings.Contains(ret, "resume") || !strings.Contains(ret, "No updates have been published for retailers") {
		t.Errorf("the retailers' page shows an update not sent to them:\n%s", ret)
	}
}

func statusPagesEscapeHostileText(t *testing.T, f *statusFixture) {
	body := string(f.ts.get("/status/suppliers").body)
	if strings.Contains(body, "<script") || strings.Contains(body, "<img") || strings.Contains(body, "onerror=alert") && !strings.Contains(body, "&lt;img") {
		t.Fatalf("hostile text reached the page unescaped:\n%s", body)
	}
	for _, want := range []string{
		"Payments &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;quotes&#34; resume",
		"&lt;img src=x onerror=alert(1)&gt;",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks the escaped %q", want)
		}
	}
	// The feed carries the same text, XML-escaped, and reads back whole.
	feed := parseFeed(t, f.ts.get("/status/suppliers/feed.atom").body)
	if got := feed.Entries[0].Title; got != hostileTitle {
		t.Errorf("feed title %q, want %q", got, hostileTitle)
	}
	if c := feed.Entries[0].Content.Body; strings.Contains(c, "<img") || !strings.Contains(c, "&lt;img") {
		t.Errorf("feed content is not escaped HTML: %q", c)
	}
}

// statusPagesAreAccessibleAndSelfContained checks the structure a screen
// reader and a phone rely on, and that nothing is loaded from elsewhere.
func statusPagesAreAccessibleAndSelfContained(t *testing.T, f *statusFixture) {
	for _, p := range []string{"/status/", "/status/suppliers", "/status/retailers", "/status/nope"} {
		pg := f.ts.get(p)
		body := string(pg.body)
		for _, want := range []string{`<html lang="en">`, `<meta name="viewport" content="width=device-width, initial-scale=1">`,
			"<header>", `<main id="main">`, "<footer>", `<a class="skip" href="#main">`, "<title>", "<style>"} {
			if !strings.Contains(body, want) {
				t.Errorf("%s lacks %s", p, want)
			}
		}
		if n := strings.Count(body, "<h1>"); n != 1 {
			t.Errorf("%s has %d h1 headings, want 1", p, n)
		}
		// Headings do not skip a level.
		level := 0
		for _, m := range regexp.MustCompile(`<h([1-6])[ >]`).FindAllStringSubmatch(body, -1) {
			l := int(m[1][0] - '0')
			if l > level+1 {
				t.Errorf("%s: h%d follows h%d", p, l, level)
			}
			level = l
		}
		for _, bad := range []string{"<script", "<img", "<iframe", `src="`, "@import", "url(", `<link rel="stylesheet"`} {
			if strings.Contains(body, bad) {
				t.Errorf("%s holds %q: the page must stand alone", p, bad)
			}
		}
		// The only absolute links are those an update published.
		for _, m := range regexp.MustCompile(`href="([^"]*)"`).FindAllStringSubmatch(body, -1) {
			if !strings.HasPrefix(m[1], "/") && !strings.HasPrefix(m[1], "#") && m[1] != "https://example.com/desk" {
				t.Errorf("%s links to %s", p, m[1])
			}
		}
		// The policy allows exactly the page's own style element.
		csp := pg.header.Get("Content-Security-Policy")
		style := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindStringSubmatch(body)
		if style == nil {
			t.Fatalf("%s has no style element", p)
		}
		sum := sha256.Sum256([]byte(style[1]))
		if want := "style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, want) {
			t.Errorf("%s: Content-Security-Policy %q does not allow the page's style (%s)", p, csp, want)
		}
	}
	// The services table has headers a screen reader can announce, and
	// every state is written in words beside its mark.
	body := string(f.ts.get("/status/suppliers").body)
	for _, want := range []string{`<th scope="col">Service</th>`, `<th scope="row">Supplier payments</th>`,
		`<span class="mark" aria-hidden="true">◐</span> Partly available`, "<caption>"} {
		if !strings.Contains(body, want) {
			t.Errorf("suppliers' page lacks %s", want)
		}
	}
}

func TestStatusPagesCaching(t *testing.T) {
	f := newStatusFixture(t)
	ts := f.ts
	builds := func() float64 { return counterValue(t, ts, "phasegate_status_page_builds_total") }

	first := ts.get("/status/suppliers")
	if first.status != 200 {
		t.Fatalf("status %d", first.status)
	}
	h := first.header
	etag := h.Get("ETag")
	for k, want := range map[string]string{
		"Content-Type":           "text/html; charset=utf-8",
		"Cache-Control":          "public, max-age=15, stale-while-revalidate=60, stale-if-error=86400",
		"Vary":                   "Accept-Encoding",
		"X-Content-Type-Options": "nosniff",
		"Content-Length":         fmt.Sprint(len(first.body)),
		"Last-Modified":          f.published.PublishedAt.UTC().Format(http.TimeFormat),
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if !regexp.MustCompile(`^"[0-9a-f]{24}"$`).MatchString(etag) || h.Get("Content-Encoding") != "" {
		t.Fatalf("ETag %q, Content-Encoding %q", etag, h.Get("Content-Encoding"))
	}
	// Crowds polling are not logged one line each (the metrics count
	// them); the API still is.
	ts.mustStatus(ts.do("viewer", "GET", "/api/v1/me", nil), 200)
	if logs := ts.logs.String(); strings.Contains(logs, `route="GET /status/{audience}"`) || !strings.Contains(logs, `route="GET /api/v1/me"`) {
		t.Errorf("status page hits are logged at info, or API requests are not:\n%s", logs)
	}

	// Served from memory: many requests, no rendering.
	n := builds()
	for range 50 {
		if pg := ts.get("/status/suppliers"); !bytes.Equal(pg.body, first.body) || pg.header.Get("ETag") != etag {
			t.Fatal("the page changed though nothing was published")
		}
		ts.get("/status/martians")
	}
	if got := builds(); got != n {
		t.Errorf("%v renderings for 100 requests and no change", got-n)
	}

	// Conditional requests.
	for _, inm := range []string{etag, `W/` + etag, `"other", ` + etag, "*"} {
		pg := ts.get("/status/suppliers", "If-None-Match", inm)
		if pg.status != 304 || len(pg.body) != 0 || pg.header.Get("ETag") != etag || pg.header.Get("Cache-Control") == "" {
			t.Errorf("If-None-Match %s: %d, %d bytes, ETag %q", inm, pg.status, len(pg.body), pg.header.Get("ETag"))
		}
	}
	if pg := ts.get("/status/suppliers", "If-None-Match", `"stale"`); pg.status != 200 {
		t.Errorf("a stale ETag: %d, want 200", pg.status)
	}
	// If-Modified-Since is not honoured (a second's resolution, dates a
	// restart takes from the content): the ETag revalidates.
	if pg := ts.get("/status/suppliers", "If-Modified-Since", h.Get("Last-Modified")); pg.status != 200 {
		t.Errorf("If-Modified-Since: %d, want 200", pg.status)
	}

	// gzip, pre-compressed, with its own ETag.
	gz := ts.get("/status/suppliers", "Accept-Encoding", "br, gzip;q=0.8")
	if gz.header.Get("Content-Encoding") != "gzip" || gz.header.Get("ETag") == etag || gz.header.Get("Vary") != "Accept-Encoding" {
		t.Fatalf("gzip answer: %v", gz.header)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz.body))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(plain, first.body) {
		t.Fatalf("gunzipped page differs from the plain one (%v)", err)
	}
	if len(gz.body)*2 > len(first.body) {
		t.Errorf("gzip saves little: %d of %d bytes", len(gz.body), len(first.body))
	}
	if pg := ts.get("/status/suppliers", "Accept-Encoding", "gzip", "If-None-Match", gz.header.Get("ETag")); pg.status != 304 {
		t.Errorf("If-None-Match with the gzip ETag: %d", pg.status)
	}
	if pg := ts.get("/status/suppliers", "Accept-Encoding", "gzip;q=0, identity"); pg.header.Get("Content-Encoding") != "" {
		t.Error("gzip;q=0 got gzip")
	}

	// HEAD: the headers, no body.
	head := ts.fetch("HEAD", "/status/suppliers")
	if head.status != 200 || len(head.body) != 0 || head.header.Get("Content-Length") != fmt.Sprint(len(first.body)) {
		t.Errorf("HEAD: %d, %d bytes, Content-Length %s", head.status, len(head.body), head.header.Get("Content-Length"))
	}

	// Unknown or absurd audiences: the 404 page, from memory.
	for _, p := range []string{"/status/martians", "/status/" + strings.Repeat("x", 2000), "/status/a/b/c", "/status/suppliers/feed.rss"} {
		pg := ts.get(p)
		if pg.status != 404 || !strings.Contains(string(pg.body), "No such status page") {
			t.Errorf("%s: %d", p, pg.status)
		}
	}
	if got := builds(); got != n {
		t.Errorf("%v renderings after requests for unknown pages", got-n)
	}
	if pg := ts.get("/status"); pg.status != 200 || !strings.Contains(string(pg.body), `href="/status/suppliers"`) {
		t.Errorf("/status (redirected): %d", pg.status)
	}

	// Publishing changes the page and its ETag at once; one rendering.
	ctx := context.Background()
	u, err := ts.svc.DraftStatusUpdate(ctx, ts.actor("comms"), f.incident, incident.StatusDraft{Audiences: []string{"suppliers"},
		Title: "Second update"})
	if err != nil {
		t.Fatal(err)
	}
	r := ts.do("ic", "POST", fmt.Sprintf("/api/v1/updates/%d/approve", u.ID), map[string]any{"publish": true, "revision": 1})
	ts.mustStatus(r, 200)
	after := ts.get("/status/suppliers", "If-None-Match", etag)
	if after.status != 200 || after.header.Get("ETag") == etag || !strings.Contains(string(after.body), "Second update") {
		t.Fatalf("after publishing: %d, ETag %s", after.status, after.header.Get("ETag"))
	}
	// Pages that did not change keep their ETag.
	if got := ts.get("/status/retailers").header.Get("ETag"); got == "" || got != ts.get("/status/retailers").header.Get("ETag") {
		t.Error("retailers' ETag unstable")
	}
}

func counterValue(t *testing.T, ts *testServer, name string) float64 {
	t.Helper()
	mfs, err := ts.metrics.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// TestStatusPagesFollowChangesMadeElsewhere: a change made through the
// service (not the API), or by another instance, shows on the next
// request after the event, without a restart.
func TestStatusPagesFollowChangesMadeElsewhere(t *testing.T) {
	f := newStatusFixture(t)
	ts := f.ts
	before := ts.get("/status/suppliers").header.Get("ETag")
	if _, err := ts.svc.WithdrawStatusUpdate(context.Background(), ts.actor("comms"), f.published.ID, "wrong audience"); err != nil {
		t.Fatal(err)
	}
	// The stale mark is set by a goroutine reading the event broker:
	// wait for it, not for a time.
	deadline := time.Now().Add(10 * time.Second)
	for {
		pg := ts.get("/status/suppliers")
		if pg.header.Get("ETag") != before {
			if strings.Contains(string(pg.body), "resume") {
				t.Fatal("the withdrawn update is still shown")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the page did not follow a withdrawal made through the service")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Atom, as much of RFC 4287 as the feed uses.
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Author  []atomName  `xml:"author"`
	Links   []atomLink  `xml:"link"`
	Entries []atomEntry `xml:"entry"`
}

type atomName struct {
	Name string `xml:"name"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr"`
	Href string `xml:"href,attr"`
	Type string `xml:"type,attr"`
}

type atomEntry struct {
	ID        string     `xml:"id"`
	Title     string     `xml:"title"`
	Updated   string     `xml:"updated"`
	Published string     `xml:"published"`
	Links     []atomLink `xml:"link"`
	Content   struct {
		Type string `xml:"type,attr"`
		Body string `xml:",chardata"`
	} `xml:"content"`
}

var uuidURN = regexp.MustCompile(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func parseFeed(t *testing.T, data []byte) atomFeed {
	t.Helper()
	var f atomFeed
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	if err := d.Decode(&f); err != nil {
		t.Fatalf("the feed is not Atom XML: %v\n%s", err, data)
	}
	if !uuidURN.MatchString(f.ID) || f.Title == "" || len(f.Author) != 1 || f.Author[0].Name == "" {
		t.Errorf("feed id %q, title %q, author %+v", f.ID, f.Title, f.Author)
	}
	if _, err := time.Parse(time.RFC3339, f.Updated); err != nil {
		t.Errorf("feed updated %q: %v", f.Updated, err)
	}
	var self bool
	for _, l := range f.Links {
		self = self || l.Rel == "self" && strings.HasSuffix(l.Href, "/feed.atom")
	}
	if !self {
		t.Errorf("no rel=self link: %+v", f.Links)
	}
	for _, e := range f.Entries {
		if !uuidURN.MatchString(e.ID) || e.Title == "" || e.Content.Type != "html" || len(e.Links) == 0 {
			t.Errorf("entry %+v lacks a required element", e)
		}
		for _, ts := range []string{e.Updated, e.Published} {
			if _, err := time.Parse(time.RFC3339, ts); err != nil {
				t.Errorf("entry %s time %q: %v", e.ID, ts, err)
			}
		}
	}
	return f
}

func TestStatusFeedIsAtom(t *testing.T) {
	f := newStatusFixture(t)
	ts := f.ts
	pg := ts.get("/status/suppliers/feed.atom")
	if ct := pg.header.Get("Content-Type"); pg.status != 200 || ct != "application/atom+xml; charset=utf-8" {
		t.Fatalf("feed: %d %s", pg.status, ct)
	}
	feed := parseFeed(t, pg.body)
	if len(feed.Entries) != 1 || feed.Updated != f.published.PublishedAt.UTC().Format(time.RFC3339Nano) {
		t.Fatalf("feed: %+v", feed)
	}
	orig := feed.Entries[0]
	// A correction: a new entry first; the original keeps its id and
	// gets a later updated time and a marked title.
	ctx := context.Background()
	c, err := ts.svc.DraftStatusUpdate(ctx, ts.actor("comms"), f.incident, incident.StatusDraft{Title: "Correction: payments resume Friday",
		Corrects: f.published.ID})
	if err != nil {
		t.Fatal(err)
	}
	ts.mustStatus(ts.do("ic", "POST", fmt.Sprintf("/api/v1/updates/%d/approve", c.ID), map[string]any{}), 200)
	ts.mustStatus(ts.do("comms", "POST", fmt.Sprintf("/api/v1/updates/%d/publish", c.ID), nil), 200)
	feed2 := parseFeed(t, ts.get("/status/suppliers/feed.atom").body)
	if len(feed2.Entries) != 2 || feed2.Entries[0].Title != "Correction: payments resume Friday" {
		t.Fatalf("after the correction: %+v", feed2.Entries)
	}
	old := feed2.Entries[1]
	was, _ := time.Parse(time.RFC3339, orig.Updated)
	now, _ := time.Parse(time.RFC3339, old.Updated)
	if old.ID != orig.ID || !now.After(was) || old.Published != orig.Published || !strings.HasPrefix(old.Title, "[Corrected] ") {
		t.Errorf("corrected entry %+v, was %+v", old, orig)
	}
	if feed2.ID != feed.ID || feed2.Updated != feed2.Entries[0].Updated {
		t.Errorf("feed id moved or updated wrong: %s %s", feed2.ID, feed2.Updated)
	}
	// The page marks both.
	body := string(ts.get("/status/suppliers").body)
	for _, want := range []string{`class="superseded"`, "<strong>Corrected.</strong>", "<strong>Correction</strong> of"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	// Feeds of other audiences are valid too, empty or not.
	for _, a := range []string{"retailers", "regulators", "colleagues"} {
		parseFeed(t, ts.get("/status/"+a+"/feed.atom").body)
	}
}

// TestStatusUpdatesOverTheAPI runs the flow over HTTP: draft, a refused
// self-approval, approval, an edit that needs approving again, publish.
func TestStatusUpdatesOverTheAPI(t *testing.T) {
	forEachBackend(t, serverOptions{estate: "demo"}, func(t *testing.T, ts *testServer) {
		in := ts.declare("ic", incident.Declaration{Name: "api", Kind: "ransomware", TotalShutdown: true})
		var sg incident.StatusSuggestions
		ts.mustStatus(ts.do("comms", "GET", fmt.Sprintf("/api/v1/incidents/%d/updates/suggestions", in.ID), nil), 200).decode(t, &sg)
		var line *incident.ServiceSuggestion
		for _, a := range sg.Audiences {
			for i := range a.Services {
				if a.Audience == "suppliers" && a.Services[i].Line.Service == "supplier-payments" {
					line = &a.Services[i]
				}
			}
		}
		if line == nil || line.Line.State != incident.ServiceDown || !strings.HasPrefix(line.Text, "Supplier payments: expected back ") {
			t.Fatalf("suggestion for supplier payments: %+v", line)
		}
		r := ts.do("comms", "POST", fmt.Sprintf("/api/v1/incidents/%d/updates", in.ID), incident.StatusDraft{
			Audiences: []string{"suppliers"}, Title: "Supplier payments resume", Services: []incident.ServiceLine{line.Line}})
		ts.mustStatus(r, 201)
		var u incident.StatusUpdate
		r.decode(t, &u)
		if r.header.Get("Location") != fmt.Sprintf("/api/v1/updates/%d", u.ID) {
			t.Errorf("Location %q", r.header.Get("Location"))
		}
		up := func(format string) string { return fmt.Sprintf(format, u.ID) }
		if e := ts.mustStatus(ts.do("comms", "POST", up("/api/v1/updates/%d/approve"), nil), 403).errorBody(t); !strings.Contains(e.Message, "second person") {
			t.Errorf("self-approval: %s", e.Message)
		}
		ts.mustStatus(ts.do("viewer", "POST", up("/api/v1/updates/%d/approve"), nil), 403)
		ts.mustStatus(ts.do("ic", "POST", up("/api/v1/updates/%d/approve"), map[string]any{"revision": 1, "note": "ok"}), 200)
		// An edit after approval: a draft again, revision 2.
		var edited incident.StatusUpdate
		ts.mustStatus(ts.do("comms", "PUT", up("/api/v1/updates/%d"), map[string]any{"revision": 1, "title": "Supplier payments resume Thursday",
			"body": "", "services": []incident.ServiceLine{line.Line}}), 200).decode(t, &edited)
		if edited.Status != incident.UpdateDraft || edited.Revision != 2 || !slices.Equal(edited.Audiences, []string{"suppliers"}) {
			t.Fatalf("edited: %+v", edited)
		}
		ts.mustStatus(ts.do("comms", "POST", up("/api/v1/updates/%d/publish"), nil), 409)
		ts.mustStatus(ts.do("ic", "POST", up("/api/v1/updates/%d/approve"), map[string]any{"revision": 1}), 409)
		ts.mustStatus(ts.do("ic", "POST", up("/api/v1/updates/%d/approve"), map[string]any{"revision": 2}), 200)
		ts.mustStatus(ts.do("comms", "POST", up("/api/v1/updates/%d/publish"), nil), 200)
		// Invalid content: 422 with every reason.
		e := ts.mustStatus(ts.do("comms", "POST", fmt.Sprintf("/api/v1/incidents/%d/updates", in.ID), map[string]any{
			"audiences": []string{"nobody"}, "title": ""}), 422).errorBody(t)
		if len(e.Reasons) != 2 {
			t.Errorf("reasons %q", e.Reasons)
		}
		ts.mustStatus(ts.do("comms", "POST", fmt.Sprintf("/api/v1/incidents/%d/updates", in.ID), `{"title": 1}`), 400)
		var list struct {
			Updates []incident.StatusUpdate `json:"updates"`
		}
		ts.mustStatus(ts.do("viewer", "GET", fmt.Sprintf("/api/v1/incidents/%d/updates", in.ID), nil), 200).decode(t, &list)
		if len(list.Updates) != 1 || list.Updates[0].Status != incident.UpdatePublished {
			t.Fatalf("list: %+v", list.Updates)
		}
		// The page shows it at once, with the published ETA's day.
		body := string(ts.get("/status/suppliers").body)
		if !strings.Contains(body, "Supplier payments resume Thursday") || !strings.Contains(body, incident.ShortDate(line.Line.ETA)) {
			t.Errorf("the page does not show the published update and its ETA")
		}
		// The log holds every step, and the chain verifies.
		var evs struct {
			Events []incident.Event `json:"events"`
		}
		ts.mustStatus(ts.do("ic", "GET", fmt.Sprintf("/api/v1/incidents/%d/events?limit=100", in.ID), nil), 200).decode(t, &evs)
		var types []string
		for _, e := range evs.Events {
			if strings.HasPrefix(e.Type, "status.") {
				types = append(types, e.Type)
			}
		}
		want := []string{"status.drafted", "status.approved", "status.edited", "status.approved", "status.published"}
		if !slices.Equal(types, want) {
			t.Errorf("events %v, want %v", types, want)
		}
		// The UI's event log reads each of them as a sentence, not as
		// its raw payload.
		page := string(ts.mustStatus(ts.do("ic", "GET", fmt.Sprintf("/incidents/%d/events", in.ID), nil), 200).body)
		for _, w := range []string{"drafted status update", "edited status update", "approved status update", "published status update"} {
			if !strings.Contains(page, w) {
				t.Errorf("the event log page does not say %q", w)
			}
		}
		if strings.Contains(page, "content_sha256") {
			t.Errorf("the event log page shows a status event's raw payload")
		}
		var rep incident.VerifyReport
		ts.mustStatus(ts.do("ic", "GET", "/api/v1/audit/verify", nil), 200).decode(t, &rep)
		if !rep.OK {
			t.Errorf("chain: %+v", rep.Problem)
		}
	})
}

// A PUT replaces the content, so one that leaves out the body or the
// service lines is refused rather than saved blank (and then approved
// and published blank by a second person who trusted the diff).
func TestEditUpdateNeedsTheWholeContent(t *testing.T) {
	ts := newTestServer(t, backends()[0], serverOptions{estate: "demo"})
	in := ts.declare("ic", incident.Declaration{Name: "put", Kind: "ransomware", TotalShutdown: true})
	line := incident.ServiceLine{Service: "supplier-payments", State: incident.ServiceDown}
	var u incident.StatusUpdate
	ts.mustStatus(ts.do("comms", "POST", fmt.Sprintf("/api/v1/incidents/%d/updates", in.ID), incident.StatusDraft{
		Audiences: []string{"suppliers"}, Title: "Supplier payments resume", Body: "Critical suppliers first.",
		Services: []incident.ServiceLine{line}}), 201).decode(t, &u)
	path := fmt.Sprintf("/api/v1/updates/%d", u.ID)

	// The example docs/api.md used to give: only the new title.
	e := ts.mustStatus(ts.do("comms", "PUT", path, map[string]any{"revision": 1, "audiences": []string{"suppliers"},
		"title": "Supplier payments resume Thursday"}), 422).errorBody(t)
	if !strings.Contains(e.Message, "body, services") || len(e.Reasons) != 2 ||
		!strings.HasPrefix(e.Reasons[0], "body:") || !strings.HasPrefix(e.Reasons[1], "services:") {
		t.Errorf("a PUT without body and services: %q %q", e.Message, e.Reasons)
	}
	e = ts.mustStatus(ts.do("comms", "PUT", path, map[string]any{"revision": 1, "body": "x", "services": []any{}}), 422).errorBody(t)
	if !strings.Contains(e.Message, "title") {
		t.Errorf("a PUT without a title: %q", e.Message)
	}
	var got incident.StatusUpdate
	ts.mustStatus(ts.do("comms", "GET", path, nil), 200).decode(t, &got)
	if got.Revision != 1 || got.Body != "Critical suppliers first." || len(got.Services) != 1 {
		t.Fatalf("a refused PUT changed the update: %+v", got)
	}

	// The whole content, as GET gives it, with the title changed.
	ts.mustStatus(ts.do("comms", "PUT", path, map[string]any{"revision": 1, "audiences": got.Audiences,
		"title": "Supplier payments resume Thursday", "body": got.Body, "services": got.Services}), 200).decode(t, &got)
	if got.Revision != 2 || got.Body != "Critical suppliers first." || len(got.Services) != 1 {
		t.Fatalf("a whole PUT: %+v", got)
	}
	// A time that does not parse names its field and line.
	e = ts.mustStatus(ts.do("comms", "PUT", path, map[string]any{"revision": 2, "title": "t", "body": "",
		"services": []map[string]any{{"service": "supplier-payments", "state": "down"}, {"service": "parts-supply", "state": "down", "eta": "soon"}}}), 400).errorBody(t)
	if want := `field services[1].eta (the line of parts-supply): "soon" is not an RFC 3339 time`; !strings.Contains(e.Message, want) {
		t.Errorf("a bad ETA: %q, want it to say %q", e.Message, want)
	}
	// An ETA on a day already over, for a service still down.
	e = ts.mustStatus(ts.do("comms", "PUT", path, map[string]any{"revision": 2, "title": "t", "body": "",
		"services": []map[string]any{{"service": "supplier-payments", "state": "down", "eta": "2020-01-01T00:00:00Z"}}}), 422).errorBody(t)
	if len(e.Reasons) != 1 || !strings.HasPrefix(e.Reasons[0], "services[0].eta: ") {
		t.Errorf("an ETA in the past: %q", e.Reasons)
	}
	// Emptied on purpose: allowed.
	ts.mustStatus(ts.do("comms", "PUT", path, map[string]any{"revision": 2, "title": "Supplier payments",
		"body": "", "services": []any{}}), 200).decode(t, &got)
	if got.Revision != 3 || got.Body != "" || len(got.Services) != 0 || !slices.Equal(got.Audiences, []string{"suppliers"}) {
		t.Fatalf("an emptied PUT: %+v", got)
	}
}

// A withdrawal changes the page, so its Last-Modified and "Last updated"
// move too; withdrawing the only update leaves the page saying so, with
// the time it changed.
func TestStatusPagesWithdrawalMovesLastModified(t *testing.T) {
	f := newStatusFixture(t)
	ts := f.ts
	before := ts.get("/status/suppliers")
	lm, err := http.ParseTime(before.header.Get("Last-Modified"))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // Last-Modified counts seconds
	r := ts.do("ic", "POST", fmt.Sprintf("/api/v1/updates/%d/withdraw", f.published.ID), map[string]any{"note": "wrong audience"})
	var u incident.StatusUpdate
	ts.mustStatus(r, 200).decode(t, &u)
	after := ts.get("/status/suppliers")
	if after.header.Get("ETag") == before.header.Get("ETag") {
		t.Fatal("the page did not change")
	}
	got, err := http.ParseTime(after.header.Get("Last-Modified"))
	if err != nil || !got.After(lm) || !got.Equal(u.ClosedAt.UTC().Truncate(time.Second)) {
		t.Errorf("Last-Modified %q after the withdrawal at %v; before it %v", after.header.Get("Last-Modified"), u.ClosedAt, lm)
	}
	body := string(after.body)
	if !strings.Contains(body, "No updates have been published for suppliers") ||
		!strings.Contains(body, `Last updated <time datetime="`+u.ClosedAt.UTC().Format(time.RFC3339)+`"`) {
		t.Errorf("the page after the withdrawal:\n%s", body)
	}
	feed := parseFeed(t, ts.get("/status/suppliers/feed.atom").body)
	if at, err := time.Parse(time.RFC3339, feed.Updated); err != nil || !at.Equal(u.ClosedAt) {
		t.Errorf("the feed's updated %q, want the withdrawal's time %v", feed.Updated, u.ClosedAt)
	}
}

// Two open incidents: declaring the second one warns; the page names each
// incident's section by its latest update (never the internal name), lists
// in each only the services it spoke of, and an incident that published
// nothing to the audience adds nothing.
func TestStatusPagesShowEachIncidentApart(t *testing.T) {
	ts := newTestServer(t, backends()[0], serverOptions{estate: "demo"})
	ctx := context.Background()
	declare := func(name string) (int64, []string) {
		var res struct {
			ID       int64    `json:"id"`
			Warnings []string `json:"warnings"`
		}
		ts.mustStatus(ts.do("ic", "POST", "/api/v1/incidents", incident.Declaration{Name: name, Kind: "ransomware"}), 201).decode(t, &res)
		return res.ID, res.Warnings
	}
	one, w := declare("Internal-name-one")
	if len(w) != 0 {
		t.Errorf("the first incident warns: %q", w)
	}
	two, w := declare("Internal-name-two")
	if len(w) != 1 || !strings.Contains(w[0], fmt.Sprintf(`incident %d "Internal-name-one" is open too`, one)) {
		t.Errorf("the second incident's warnings: %q", w)
	}
	three, _ := declare("Internal-name-three")
	publish := func(in int64, title string, lines ...incident.ServiceLine) {
		t.Helper()
		u, err := ts.svc.DraftStatusUpdate(ctx, ts.actor("comms"), in, incident.StatusDraft{Audiences: []string{"suppliers"},
			Title: title, Services: lines})
		if err == nil {
			_, err = ts.svc.ApproveStatusUpdate(ctx, ts.actor("ic"), u.ID, incident.StatusApproval{Publish: true})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	publish(one, "Supplier payments stopped", incident.ServiceLine{Service: "supplier-payments", State: incident.ServiceDown})
	publish(two, "Second disruption: phones")
	if _, err := ts.svc.DraftStatusUpdate(ctx, ts.actor("comms"), three, incident.StatusDraft{Audiences: []string{"suppliers"},
		Title: "Draft-of-three"}); err != nil {
		t.Fatal(err)
	}
	// The pages follow the published events.
	var body string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if body = string(ts.get("/status/suppliers").body); strings.Contains(body, "Second disruption") || time.Now().After(deadline) {
			break
		}
	}
	for _, want := range []string{"2 disruptions are under way", "Services: Supplier payments stopped", "Updates: Supplier payments stopped",
		"Updates: Second disruption: phones", "Not available"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page does not say %q", want)
		}
	}
	for _, not := range []string{"Internal-name", "Draft-of-three", "No update yet", "Services: Second disruption"} {
		if strings.Contains(body, not) {
			t.Errorf("the page says %q", not)
		}
	}
	if n := strings.Count(body, "<h2 id=\"updates-"); n != 2 {
		t.Errorf("%d update sections, want 2", n)
	}
}
