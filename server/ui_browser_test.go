package server_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/phasegate/phasegate/incident"
)

// The browser tests drive Debian's headless Chromium against a real
// server on 127.0.0.1 with a real SQLite file: the flows of a recovery as
// people click through them. Without Chromium they skip, saying why;
// with CI set they fail, so a CI machine cannot pass them by accident.
//
// PHASEGATE_SCREENSHOTS=docs/screenshots (relative to the repository
// root, or absolute) saves screenshots of the main pages there.

// chromiumPath finds the browser, or skips (fails under CI).
func chromiumPath(t *testing.T) string {
	t.Helper()
	path := os.Getenv("PHASEGATE_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("Chromium is missing at %s and CI is set: install it (apt-get install -y chromium) "+
				"or point PHASEGATE_CHROMIUM at it; the browser tests must run in CI", path)
		}
		t.Skipf("browser tests skipped: no Chromium at %s (apt-get install -y chromium, or set PHASEGATE_CHROMIUM); "+
			"with CI set this is a failure", path)
	}
	return path
}

// newBrowser starts one headless Chromium with a fresh profile; each
// tab() opens a tab in a browser context of its own (its own cookies).
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	alloc, cancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	t.Cleanup(cancel)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	t.Cleanup(cancelCtx)
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("starting Chromium: %v", err)
	}
	return ctx
}

// tab is one person at one browser: their own cookies.
type tab struct {
	t    *testing.T
	ctx  context.Context
	base string
	who  string
}

func newTab(t *testing.T, browser context.Context, base, who string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	// The first action opens the tab; it must run on the tab's own
	// context, not one with a deadline, or the tab closes with it.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatalf("opening a tab for %s: %v", who, err)
	}
	return &tab{t: t, ctx: ctx, base: base, who: who}
}

func (b *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s in the browser: %v (at %s)", b.who, err, b.location())
	}
}

func run[T any](b *tab, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("%s in the browser: %v (at %s)", b.who, err, b.location())
	}
	return v
}

func (b *tab) location() string {
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	return loc
}

// open loads a page of the site and waits for its main content.
func (b *tab) open(path string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.base+path), chromedp.WaitReady(chromedp.ID("main")))
}

// phoneWidth is the narrow screen every page must fit, in CSS pixels.
const phoneWidth = 375

// onPhone makes the tab a phone's screen.
func (b *tab) onPhone() {
	b.t.Helper()
	b.do(chromedp.EmulateViewport(phoneWidth, 812, chromedp.EmulateMobile))
}

// phoneTab is a new tab with a phone's screen, logged in as user.
func phoneTab(t *testing.T, browser context.Context, base, user string) *tab {
	t.Helper()
	ph := newTab(t, browser, base, user+" on a phone")
	ph.onPhone()
	ph.login(user)
	return ph
}

// fitsPhone opens each page (on a tab made a phone with onPhone) and
// checks that it does not scroll sideways.
func (b *tab) fitsPhone(paths ...string) {
	b.t.Helper()
	for _, p := range paths {
		b.open(p)
		if w := run(b, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > phoneWidth {
			b.t.Errorf("%s is %d px wide on a %d px screen: it scrolls sideways", p, w, phoneWidth)
		}
	}
}

// submit clicks a button that posts a form and waits for the page that
// answers (after any redirect).
func (b *tab) submit(sel chromedp.CSS) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(sel)); err != nil {
		b.t.Fatalf("%s clicking %s: %v (at %s)", b.who, sel, err, b.location())
	}
	b.do(chromedp.WaitReady(chromedp.ID("main")))
}

// text is the text of the first element matching sel (as written, not as
// styled: headings may be set in capitals).
func (b *tab) text(sel chromedp.CSS) string {
	b.t.Helper()
	return run(b, chromedp.TextContent(sel))
}

func (b *tab) sees(sel chromedp.CSS, want ...string) {
	b.t.Helper()
	got := b.text(sel)
	for _, w := range want {
		if !strings.Contains(got, w) {
			b.t.Errorf("%s at %s: %s lacks %q; it reads: %s", b.who, b.location(), sel, w, clip(got))
		}
	}
}

func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 1500 {
		return s[:1500] + "…"
	}
	return s
}

// login logs in through the form, by mouse.
func (b *tab) login(user string) {
	b.t.Helper()
	b.open("/login")
	b.do(chromedp.SendKeys(chromedp.ID("name"), user), chromedp.SendKeys(chromedp.ID("password"), testPassword))
	b.submit("#login-form button[type=submit]")
	if loc := b.location(); strings.Contains(loc, "/login") {
		b.t.Fatalf("%s is still on the login page: %s", user, clip(b.text("main")))
	}
}

// shot saves a screenshot of the page (or of one element), at most
// maxShotHeight pixels from its top, when PHASEGATE_SCREENSHOTS names a
// directory.
func (b *tab) shot(name string, sel chromedp.CSS) {
	b.t.Helper()
	dir := screenshotDir(b.t)
	if dir == "" {
		return
	}
	if sel == "" {
		sel = "body"
	}
	png := run(b, clipShot(string(sel), maxShotHeight))
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// maxShotHeight keeps the screenshots in the repository small: the top of
// a long page says what it is.
const maxShotHeight = 1800

// clipShot captures the element matching sel, cut at maxH pixels.
func clipShot(sel string, maxH float64) chromedp.Action[[]byte] {
	return func(ctx context.Context, t *chromedp.Target) ([]byte, error) {
		rect, err := chromedp.Evaluate[[]float64](fmt.Sprintf(`(() => { const r = document.querySelector(%q).getBoundingClientRect();
			return [r.left + window.scrollX, r.top + window.scrollY, r.width, r.height]; })()`, sel))(ctx, t)
		if err != nil {
			return nil, err
		}
		if len(rect) != 4 || rect[2] <= 0 || rect[3] <= 0 {
			return nil, fmt.Errorf("screenshot of %s: the element has no size (%v)", sel, rect)
		}
		yes := true
		r, err := cdp.Call(ctx, t, page.CaptureScreenshot, page.CaptureScreenshotParams{
			CaptureBeyondViewport: &yes, FromSurface: &yes, Format: page.CaptureScreenshotFormatPng,
			Clip: &page.Viewport{X: rect[0], Y: rect[1], Width: rect[2], Height: min(rect[3], maxH), Scale: 1},
		})
		if err != nil {
			return nil, err
		}
		return r.Data, nil
	}
}

func screenshotDir(t *testing.T) string {
	dir := os.Getenv("PHASEGATE_SCREENSHOTS")
	if dir == "" {
		return ""
	}
	if !filepath.IsAbs(dir) {
		// Relative to the repository root, wherever go test runs.
		root, err := filepath.Abs("..")
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(root, dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// postForms counts the forms of the page that change something (logging
// out aside).
const postForms = `document.querySelectorAll('form[method=post]:not([action="/logout"])').length`

// TestUIInBrowser walks through a recovery in Chromium: keyboard-only
// login, the overview, bulk containment with its confirmation, a guard's
// refusal and its reasons, a checklist tick, a two-person restart
// approved by a second person in another browser context (the first
// person's overview updating live), and a viewer offered no action; at
// phone width too.
func TestUIInBrowser(t *testing.T) {
	browser := newBrowser(t)
	ts := newTestServer(t, backend{"sqlite", openSQLite}, serverOptions{estate: "demo", settings: uiSettings})
	started := time.Now().Add(-75 * time.Hour).Truncate(time.Hour)
	v := ts.declare("ic", incident.Declaration{Name: "Northfield Motors ransomware", Kind: "ransomware", StartedAt: started})
	id := v.ID
	base := fmt.Sprintf("/incidents/%d", id)
	// The system the two-person flow runs on: criticality 1, nothing
	// required, so only its own clearance stands in the way.
	var target incident.SystemView
	for _, s := range v.Systems {
		if s.TwoPerson && len(s.Requires) == 0 {
			target = s
			break
		}
	}
	if target.SystemID == "" {
		t.Fatal("the demo estate has no two-person system without dependencies")
	}
	sysPath := base + "/systems/" + target.SystemID

	ic := newTab(t, browser, ts.url, "ic")

	if !t.Run("keyboard-only login", func(t *testing.T) {
		ic.t = t
		ic.open("/login")
		focused := func() string {
			return run(ic, chromedp.Evaluate[string](`document.activeElement.id || document.activeElement.className`))
		}
		if f := focused(); f != "name" {
			t.Fatalf("the login page starts with focus on %q, want the user name", f)
		}
		ic.do(chromedp.KeyEvent("ic"), chromedp.KeyEvent(kb.Tab))
		if f := focused(); f != "password" {
			t.Fatalf("Tab from the user name went to %q, want the password", f)
		}
		ctx, cancel := context.WithTimeout(ic.ctx, 20*time.Second)
		defer cancel()
		if _, err := chromedp.RunResponse(ctx, chromedp.KeyEvent(testPassword+kb.Enter)); err != nil {
			t.Fatalf("Enter in the password field: %v", err)
		}
		ic.do(chromedp.WaitReady(chromedp.ID("main")))
		if loc := ic.location(); !strings.HasSuffix(loc, base) {
			t.Fatalf("after logging in the browser is at %s, want the incident overview", loc)
		}
		// The first Tab reaches the skip link, visibly; Enter skips the
		// header to the main content.
		ic.do(chromedp.KeyEvent(kb.Tab))
		if f := focused(); f != "skip" {
			t.Fatalf("the first Tab focuses %q, want the skip link", f)
		}
		if outline := run(ic, chromedp.Evaluate[string](`getComputedStyle(document.activeElement).outlineStyle`)); outline == "none" {
			t.Error("the focused skip link shows no outline")
		}
		if top := run(ic, chromedp.Evaluate[float64](`document.activeElement.getBoundingClientRect().top`)); top < 0 {
			t.Errorf("the focused skip link is off screen (top %v)", top)
		}
		ic.do(chromedp.KeyEvent(kb.Enter))
		if f := run(ic, chromedp.Evaluate[string](`document.activeElement.id`)); f != "main" {
			t.Errorf("the skip link moved focus to %q, want main", f)
		}
	}) {
		return
	}
	ic.t = t

	t.Run("overview", func(t *testing.T) {
		ic.t = t
		ic.open(base)
		ic.sees("h1", "Incident overview")
		ic.sees("#numbers", "Systems up", "133", "Services restored", "Days since it began", "Cost so far", "Projected cost")
		ic.sees("#services", "Vehicle production at Elmhurst", "back")
		ic.sees("#recent", "declared the incident")
	})
	ic.t = t

	if !t.Run("bulk containment with confirmation", func(t *testing.T) {
		ic.t = t
		ic.open(base)
		ic.submit(`nav a[href$="/isolate"]`)
		ic.sees("#two-person-rule", "Containment acts at once")
		ic.do(chromedp.Click(chromedp.CSS(`input[name=scope][value=all]`)),
			chromedp.SendKeys(chromedp.ID("iso-reason"), "Ransomware on the network: shut everything down"))
		ic.submit("#preview-isolate")
		ic.sees("#confirm", "Isolate 133 systems now?", "under the two-person rule", target.Name)
		ic.shot("containment-confirm", "")
		if n := run(ic, chromedp.Evaluate[int](`document.querySelectorAll('#will-isolate tbody tr').length`)); n != 133 {
			t.Fatalf("the confirmation lists %d systems, want 133", n)
		}
		// Nothing happened yet.
		var iv incident.IncidentView
		ts.mustStatus(ts.do("ic", "GET", "/api/v1"+base, nil), 200).decode(t, &iv)
		if iv.Counts[incident.StateIsolated] != 0 {
			t.Fatalf("systems isolated before the confirmation: %v", iv.Counts)
		}
		ic.submit("#confirm-isolate")
		ic.sees(".flash-ok", "Isolated 133 systems (every system) at once")
		ts.mustStatus(ts.do("ic", "GET", "/api/v1"+base, nil), 200).decode(t, &iv)
		if iv.Counts[incident.StateIsolated] != 133 {
			t.Fatalf("after confirming: %v, want 133 isolated", iv.Counts)
		}
	}) {
		return
	}
	ic.t = t

	// A recovery a few days in, for the pictures: some systems back, some
	// being cleared (through the API, as another team would).
	progressDemo(t, ts, id, v.Systems, target.SystemID)

	if !t.Run("guard refuses and says why; checklist tick", func(t *testing.T) {
		ic.t = t
		ic.open(sysPath)
		ic.do(chromedp.SendKeys(chromedp.ID("reason"), "start the forensic clearance"))
		ic.submit(`button[name=to][value=investigating]`)
		ic.sees(".flash-ok", target.SystemID+" is now investigating")
		// Clearing with the checklist undone: refused, every reason listed,
		// the reason typed kept.
		ic.do(chromedp.SendKeys(chromedp.ID("reason"), "all looks fine"))
		ic.submit(`button[name=to][value=cleared]`)
		ic.sees("#error", "Refused", "is not done")
		if n := run(ic, chromedp.Evaluate[int](`document.querySelectorAll('#error .reasons li').length`)); n < 5 {
			t.Errorf("%d reasons listed, want one per undone item", n)
		}
		if got := run(ic, chromedp.Value(chromedp.ID("reason"))); got != "all looks fine" {
			t.Errorf("the reason field holds %q after the refusal", got)
		}
		ic.shot("system-refused", "")
		// Tick the first item with a note and an evidence reference.
		first := run(ic, chromedp.AttributeValue(chromedp.CSS(`#checklist input[name=item]`), "value"))
		if !first.Exists {
			t.Fatal("no checklist item to tick")
		}
		key := first.Value
		ic.do(chromedp.SendKeys(chromedp.ID("note-"+key), "imaged both disks"),
			chromedp.SendKeys(chromedp.ID("ev-"+key), "CASE-2025-0917"))
		ic.submit(chromedp.CSS(`#check-` + key + ` button[type=submit]`))
		ic.sees(".flash-ok", "Ticked")
		ic.sees("#check-"+chromedp.CSS(key), "Ticked by ic", "imaged both disks", "CASE-2025-0917")

	}) {
		return
	}
	ic.t = t

	// The other items, as the forensic team would tick them.
	ts.tickAll("forensics", id, target.SystemID)

	var approvalPath string
	if !t.Run("two-person restart requested", func(t *testing.T) {
		ic.t = t
		ic.open(sysPath)
		ic.do(chromedp.SendKeys(chromedp.ID("reason"), "every clearance item done"))
		ic.submit(`button[name=to][value=cleared]`)
		ic.sees(".flash-ok", "is now cleared")
		ic.do(chromedp.SendKeys(chromedp.ID("reason"), "restore from the clean build"))
		ic.submit(`button[name=to][value=restoring]`)
		ic.sees(".flash-wait", "Waiting for a second person's approval", "you cannot approve your own request")
		ic.sees("#approvals", "pending", "restore from the clean build", "You asked for this move")
		approvalPath = run(ic, chromedp.Evaluate[string](`document.querySelector('#approvals form[action$="/cancel"]').getAttribute('action').replace(/\/cancel$/, '')`))
		ic.shot("system", "")
	}) {
		return
	}
	ic.t = t

	// ic watches the overview while rl approves elsewhere.
	ic.open(base)
	ic.sees("#pending", target.Name)
	if live := run(ic, chromedp.Poll[string](`(document.querySelector('[data-live-status]')||{}).textContent.startsWith('Live') && document.querySelector('[data-live-status]').textContent`)); live == "" {
		t.Fatal("the overview's live updates did not start")
	}

	rl := newTab(t, browser, ts.url, "rl")
	t.Run("second person approves in another browser context", func(t *testing.T) {
		rl.t = t
		rl.login("rl")
		rl.open(base + "/approvals")
		rl.sees("#approval-list", target.Name, "Approve the move to restoring")
		rl.shot("approvals", "")
		rl.do(chromedp.SendKeys(chromedp.CSS(`form[action="`+approvalPath+`/approve"] input[name=note]`), "build hash checked"))
		rl.submit(chromedp.CSS(`form[action="` + approvalPath + `/approve"] button.btn-primary`))
		rl.sees(".flash-ok", "moved to restoring")
		var sv incident.SystemView
		ts.mustStatus(ts.do("ic", "GET", "/api/v1"+sysPath, nil), 200).decode(t, &sv)
		if sv.State != incident.StateRestoring {
			t.Fatalf("%s is %s after the approval, want restoring", target.SystemID, sv.State)
		}
	})

	t.Run("overview updates live", func(t *testing.T) {
		ic.t = t
		// No reload: the event stream brings the change.
		ctx, cancel := context.WithTimeout(ic.ctx, 15*time.Second)
		defer cancel()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector('#pending').textContent.includes('Nothing is waiting')`,
			chromedp.WithPollingInterval(100*time.Millisecond))); err != nil {
			t.Fatalf("the overview did not update itself after the approval: %v; #pending reads %s", err, clip(ic.text("#pending")))
		}
		ic.sees("#recent", "approved moving")
		ic.shot("overview", "")
	})
	ic.t = t

	t.Run("pictures and the event log", func(t *testing.T) {
		ic.t = t
		ic.open(base + "/plan")
		ic.sees("#plan-summary", "All back", "Critical path")
		if n := run(ic, chromedp.Evaluate[int](`document.querySelectorAll('.picture svg').length`)); n != 2 {
			t.Fatalf("%d pictures on the plan page, want the timeline and the waves", n)
		}
		ic.shot("plan-timeline", "#timeline .picture")
		ic.shot("plan-waves", "#waves .picture")
		// Filtered by a team, from the form.
		ic.do(chromedp.SetValue(chromedp.ID("f-team"), "identity"))
		ic.submit(`form[role=search] button[type=submit]`)
		ic.sees("#plan-summary", "(filtered)")
		ic.open(base + "/events")
		ic.sees("#audit", "Audit chain verified")
		ic.sees("#event-list", "approved moving", "rl")
		ic.shot("event-log", "")
		// The incident report, linked from the event log (opened by its
		// address: the log page refreshes itself at events, and a click
		// could land on a node it just replaced): the record, then the
		// two-person decision just made, with its approver.
		if n := run(ic, chromedp.Evaluate[int](`document.querySelectorAll('a[href="`+base+`/report"]').length`)); n != 1 {
			t.Errorf("the event log links the report %d times, want once", n)
		}
		ic.open(base + "/report")
		ic.sees("section.box", "hash chain verified", "recorded as event")
		ic.sees("#approvals + table", target.SystemID, "approved by rl")
		if n := run(ic, chromedp.Evaluate[int](`document.scripts.length`)); n != 1 {
			t.Errorf("the report has %d script elements, want only its data block", n)
		}
		ic.shot("incident-report", "")
	})
	ic.t = t

	t.Run("viewer sees no action", func(t *testing.T) {
		vw := newTab(t, browser, ts.url, "viewer")
		vw.login("viewer")
		for _, p := range []string{base, sysPath, base + "/systems/" + v.Systems[0].SystemID, base + "/approvals", base + "/events", base + "/plan", base + "/systems",
			base + "/history", base + "/whatif?cap-team-1=forensics&cap-1=%2B1"} {
			vw.open(p)
			if n := run(vw, chromedp.Evaluate[int](postForms)); n != 0 {
				t.Errorf("the viewer is offered %d forms that change something at %s", n, p)
			}
			if n := run(vw, chromedp.Evaluate[int](`[...document.querySelectorAll('button')].filter(b => /Move to|Approve|Reject|Tick|Isolate/.test(b.textContent)).length`)); n != 0 {
				t.Errorf("the viewer sees %d action buttons at %s", n, p)
			}
		}
		if n := run(vw, chromedp.Evaluate[int](`document.querySelectorAll('nav a[href$="/isolate"]').length`)); n != 0 {
			t.Error("the viewer's navigation offers containment")
		}
	})

	t.Run("phone width", func(t *testing.T) {
		ph := phoneTab(t, browser, ts.url, "ic")
		ph.fitsPhone(base, sysPath, base+"/events", base+"/isolate")
		ph.open(base)
		ph.sees("#numbers", "Systems up")
		ph.shot("overview-phone", "")
	})
}

// progressDemo moves a few systems along, as teams working in parallel
// would: three systems with nothing required back online (two-person ones
// approved by a second person), two under investigation.
func progressDemo(t *testing.T, ts *testServer, id int64, systems []incident.SystemView, skip string) {
	t.Helper()
	move := func(user, sys string, to incident.State) {
		t.Helper()
		r := ts.transition(user, id, sys, to)
		if r.status == 202 {
			var res incident.TransitionResult
			r.decode(t, &res)
			ts.mustStatus(ts.do("rl", "POST", fmt.Sprintf("/api/v1/approvals/%d/approve", res.Approval.ID),
				map[string]string{"note": "second pair of eyes"}), 200)
			return
		}
		ts.mustStatus(r, 200)
	}
	back, clearing := 0, 0
	for _, s := range systems {
		if len(s.Requires) > 0 || s.SystemID == skip {
			continue
		}
		switch {
		case back < 3:
			move("forensics", s.SystemID, incident.StateInvestigating)
			ts.tickAll("forensics", id, s.SystemID)
			move("forensics", s.SystemID, incident.StateCleared)
			for _, st := range []incident.State{incident.StateRestoring, incident.StateVerifying, incident.StateOnline} {
				move("ic", s.SystemID, st)
			}
			back++
		case clearing < 2:
			move("forensics", s.SystemID, incident.StateInvestigating)
			clearing++
		}
	}
}
