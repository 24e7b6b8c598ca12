package server_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/incident"
)

// The estate page over HTTP, as a browser without JavaScript: uploads
// through its multipart form, an invalid estate's problems, a version
// that takes a gate away waiting for a second person (ADR 0007, "The
// gates in the estate are guarded too"), approval through the form,
// moving an incident, and who may do what.

// postFiles sends the estate page's upload form as a browser does: one
// file input named "files" with every chosen file.
func (c *uiClient) postFiles(path string, files []estate.File) *uiAnswer {
	c.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range files {
		w, err := mw.CreateFormFile("files", f.Name)
		if err != nil {
			c.t.Fatal(err)
		}
		w.Write(f.Data)
	}
	if len(files) == 0 { // a file input with nothing chosen
		if _, err := mw.CreateFormFile("files", ""); err != nil {
			c.t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		c.t.Fatal(err)
	}
	req, err := http.NewRequest("POST", c.ts.url+path, &buf)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", c.ts.url)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return c.do(req)
}

// smallEstate is testdata/estate.yaml with each of edits (old → new)
// applied once.
func smallEstate(t testing.TB, edits ...string) []byte {
	t.Helper()
	s := string(mustRead(t, "testdata/estate.yaml"))
	for i := 0; i+1 < len(edits); i += 2 {
		if !strings.Contains(s, edits[i]) {
			t.Fatalf("testdata/estate.yaml lacks %q", edits[i])
		}
		s = strings.Replace(s, edits[i], edits[i+1], 1)
	}
	return []byte(s)
}

// Edits of the small estate: vault (criticality 1) made criticality 3
// loses its two-person rule; a CRM system added; the wiki removed.
var (
	vaultLowered = []string{"criticality: 1, restore: 2h}", "criticality: 3, restore: 2h}"}
	crmAdded     = []string{"  - {id: vault,", "  - {id: crm, name: CRM, kind: saas, team: apps, criticality: 3, restore: 2h}\n  - {id: vault,"}
	wikiRemoved  = []string{"  - {id: wiki, name: Wiki, kind: application, team: apps, criticality: 4, restore: 2h}\n", ""}
)

func (ts *testServer) estateVersions() []incident.EstateVersion {
	ts.t.Helper()
	var vs struct {
		Versions []incident.EstateVersion `json:"versions"`
	}
	ts.mustStatus(ts.do("viewer", "GET", "/api/v1/estate/versions", nil), 200).decode(ts.t, &vs)
	return vs.Versions
}

// estatePageChecks: unique ids and a label for every control.
func estatePageChecks(t *testing.T, r *uiAnswer) {
	t.Helper()
	accountsPageChecks(t, r)
}

// TestUIEstateUpload: the page lists the version the incident runs on;
// a valid estate uploaded through the form becomes the newest version;
// an invalid one keeps nothing and lists every problem with file, line,
// column, field and fix; an empty form and a form not sent as multipart
// are refused with a sentence.
func TestUIEstateUpload(t *testing.T) {
	ts, id := newUIServer(t)
	ic := uiLogin(t, ts, "ic")
	ic.get("/incidents").must(t, 200).has(t, `<a href="/estate">Estate</a>`)
	page := ic.get("/estate").must(t, 200)
	page.has(t, "<h1>Estate versions</h1>", `<a href="/estate" aria-current="page">Estate</a>`,
		`id="version-1"`, "Version 1", "by ic", "estate.yaml", "8 systems, 2 services, 3 teams",
		fmt.Sprintf(`<a href="/incidents/%d">incident %d: Test ransomware</a>`, id, id), "newest", "▶ in use",
		"it takes no gate of a restart away", "the newest.",
		`action="/estate/versions" enctype="multipart/form-data"`, `<input type="file" id="estate-files" name="files" multiple required`)
	page.lacks(t, "/move", "waits for a second person</span>")
	estatePageChecks(t, page)

	// A valid estate: a new version, the newest, and the incident may
	// move to it.
	r := ic.postFiles("/estate/versions", []estate.File{{Name: "estate.yaml", Data: smallEstate(t, crmAdded...)}}).
		must(t, http.StatusSeeOther)
	if r.location != "/estate#version-2" {
		t.Fatalf("upload → %q", r.location)
	}
	page = ic.get(r.location).must(t, 200)
	page.has(t, "flash-ok", "Uploaded estate version 2 from estate.yaml: 9 systems, 2 services, 3 teams.",
		`id="version-2"`, "version 2 is newer.", fmt.Sprintf(`action="/estate/incidents/%d/move"`, id),
		fmt.Sprintf(`id="move-%d-to-2"`, id), fmt.Sprintf("Move incident %d to version 2", id),
		`data-confirm="Move incident 1 (Test ransomware) from estate version 1 to 2?`)
	estatePageChecks(t, page)
	if vs := ts.estateVersions(); len(vs) != 2 || vs[0].UploadedBy != "ic" || vs[0].Pending() {
		t.Fatalf("after the upload the versions are %+v", vs)
	}

	// An invalid estate, in two files: nothing kept, every problem shown
	// where it is and how to fix it.
	bad := smallEstate(t, "team: apps, criticality: 4", "team: nobody, criticality: 4")
	more := []byte("version: 1\nsystems:\n  - {id: crm, name: CRM, kind: saas, team: apps, criticality: 9, restore: 2h}\n")
	page = ic.postFiles("/estate/versions", []estate.File{{Name: "estate.yaml", Data: bad}, {Name: "more.yaml", Data: more}}).
		must(t, http.StatusUnprocessableEntity)
	page.has(t, `id="error"`, "Please check", "the estate has 2 problems; fix them and upload again",
		"Nothing was kept from estate.yaml, more.yaml.", `id="problem-list"`,
		"more.yaml:3:", "team", "criticality",
		`<input type="file" id="estate-files"`)
	for _, p := range problemsOf(t, ts, [][]byte{bad, more}) {
		page.has(t, fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column), fmt.Sprintf("line %d, column %d", p.Line, p.Column),
			p.Field, p.Message, p.Fix)
	}
	estatePageChecks(t, page)
	if vs := ts.estateVersions(); len(vs) != 2 {
		t.Fatalf("an invalid estate was kept: %d versions", len(vs))
	}

	// Nothing chosen, or not a multipart form: refused, saying so.
	ic.postFiles("/estate/versions", nil).must(t, http.StatusBadRequest).has(t, "no file was chosen")
	ic.post("/estate/versions", url.Values{"files": {"estate.yaml"}}).must(t, http.StatusUnsupportedMediaType).
		has(t, "not sent as multipart/form-data")
	if vs := ts.estateVersions(); len(vs) != 2 {
		t.Fatalf("a refused form kept a version: %d versions", len(vs))
	}
}

// problemsOf are the problems the API names for the same files, for the
// page to show each one.
func problemsOf(t *testing.T, ts *testServer, files [][]byte) []estate.Problem {
	t.Helper()
	body, ct := multipartFiles(t, []estate.File{{Name: "estate.yaml", Data: files[0]}, {Name: "more.yaml", Data: files[1]}})
	e := ts.mustStatus(ts.do("ic", "PUT", "/api/v1/estate", rawBody{ct, body}), http.StatusUnprocessableEntity).errorBody(t)
	if len(e.Errors) != 2 {
		t.Fatalf("the API names %d problems: %+v", len(e.Errors), e.Errors)
	}
	return e.Errors
}

// TestUIEstateGate: a version where a criticality-1 system becomes
// criticality 3 and a system is removed waits for a second person; the page and the overview
// say so; the uploader gets no Approve button and a POST by them is
// refused with the service's words; moving to it is refused; a second
// person approves through the form, and moving the incident to it lists
// the systems added and removed.
func TestUIEstateGate(t *testing.T) {
	ts, id := newUIServer(t)
	ic := uiLogin(t, ts, "ic")
	edits := append(append(append([]string{}, vaultLowered...), crmAdded...), wikiRemoved...)
	r := ic.postFiles("/estate/versions", []estate.File{{Name: "estate.yaml", Data: smallEstate(t, edits...)}}).
		must(t, http.StatusSeeOther)
	page := ic.get(r.location).must(t, 200)
	page.has(t, "flash-wait", "Uploaded estate version 2 from estate.yaml: 8 systems, 2 services, 3 teams.",
		"It takes 2 gates of a restart away, so it waits for a second person",
		"vault: the two-person rule (criticality 1 → 3)", "wiki: the system, with every gate of its restart (removed from the estate)")
	page.has(t, "◷ waits for a second person", "Waits for a second person:", "it takes 2 gates of a restart away",
		fmt.Sprintf(`<a href="/incidents/%d/systems/vault">vault</a>: loses the two-person rule (criticality 1 → 3)`, id),
		"You uploaded this version: another person holding <code>estate.upload</code> must approve it.",
		"Version 2 takes 2 gates of a restart away", "moving to it is refused until someone approves it.")
	page.lacks(t, `action="/estate/versions/2/approve"`)
	estatePageChecks(t, page)

	// The uploader approving by hand: refused, with the service's words.
	ic.follow("/estate/versions/2/approve", url.Values{"note": {"mine"}}).must(t, 200).
		has(t, "flash-error", "ic uploaded estate version 2 and cannot approve it: taking gates away needs a second person")
	// Moving to it: refused while it waits.
	ic.follow(fmt.Sprintf("/estate/incidents/%d/move", id), url.Values{"version": {"2"}}).must(t, 200).
		has(t, "flash-error", "estate version 2 takes away gates of a restart (vault: the two-person rule (criticality 1 → 3); wiki: the system, with every gate of its restart (removed from the estate))",
			"waits for a second person to approve it")
	// The overview says a newer version waits.
	ic.get(fmt.Sprintf("/incidents/%d", id)).must(t, 200).has(t, `id="estate-notice"`,
		"Estate version 2 is newer than this incident's (1)", "; it waits for a second person: it takes 2 gates away.",
		fmt.Sprintf(`href="/estate#incident-%d"`, id))
	if v := ts.estateVersions()[0]; !v.Pending() {
		t.Fatalf("version 2 is not pending after the refusals: %+v", v)
	}

	// A second person (ic2) approves through the form.
	ic2 := uiLogin(t, ts, "ic2")
	page = ic2.get("/estate").must(t, 200)
	page.has(t, `action="/estate/versions/2/approve"`, `id="approve-note-2"`, "Approve version 2",
		`data-confirm="Approve estate version 2? Incidents may then use it, without the 2 gates it takes away."`)
	page.lacks(t, "You uploaded this version")
	estatePageChecks(t, page)
	page = ic2.follow("/estate/versions/2/approve", url.Values{"note": {"vault is a read replica now, CHG-88"}}).must(t, 200)
	page.has(t, "flash-ok", "Approved estate version 2 (uploaded by ic): incidents may now use it, without the 2 gates it takes away.",
		"✔ approved", "Approved by ic2", "it took 2 gates of a restart away", "vault</a>: loses the two-person rule")
	page.lacks(t, `action="/estate/versions/2/approve"`, "◷ waits for a second person")
	if v := ts.estateVersions()[0]; v.Pending() || v.ApprovedBy != "ic2" {
		t.Fatalf("after the approval version 2 is %+v", v)
	}
	// Approved: not again.
	ic2.follow("/estate/versions/2/approve", nil).has(t, "flash-error", "estate version 2 was already approved by ic2")

	// The overview still says a newer version exists, no longer waiting.
	ov := ic.get(fmt.Sprintf("/incidents/%d", id)).must(t, 200)
	ov.has(t, "Estate version 2 is newer than this incident's (1)").lacks(t, "it waits for a second person")

	// Moving the incident: the message lists what changed.
	r = ic.post(fmt.Sprintf("/estate/incidents/%d/move", id), url.Values{"version": {"2"}}).must(t, http.StatusSeeOther)
	if want := fmt.Sprintf("/estate#incident-%d", id); r.location != want {
		t.Errorf("move → %q, want %q", r.location, want)
	}
	page = ic.get(r.location).must(t, 200)
	page.has(t, "flash-ok", fmt.Sprintf("Moved incident %d from estate version 1 to 2: 1 system added, 1 system removed.", id),
		"<li>added crm (isolated)</li>", "<li>removed wiki</li>", "the newest.")
	page.lacks(t, "/move")
	var view incident.IncidentView
	ts.mustStatus(ts.do("ic", "GET", fmt.Sprintf("/api/v1/incidents/%d", id), nil), 200).decode(t, &view)
	if view.EstateVersion != 2 {
		t.Fatalf("the incident runs on estate version %d after the move", view.EstateVersion)
	}
	ic.get(fmt.Sprintf("/incidents/%d", id)).must(t, 200).lacks(t, "is newer than this incident's")
	// Not twice, and not by a bad version.
	ic.follow(fmt.Sprintf("/estate/incidents/%d/move", id), url.Values{"version": {"2"}}).
		has(t, "flash-error", "it can only move to a newer version")
	ic.follow(fmt.Sprintf("/estate/incidents/%d/move", id), url.Values{"version": {"two"}}).
		has(t, "flash-error", `the estate version "two" is not a number`)
}

// TestUIEstatePendingBesideApproved: when the newest version waits and
// an older newer one does not, the incident is offered both, the
// waiting one saying beforehand that it is refused.
func TestUIEstatePendingBesideApproved(t *testing.T) {
	ts, id := newUIServer(t)
	ic := uiLogin(t, ts, "ic")
	ic.postFiles("/estate/versions", []estate.File{{Name: "estate.yaml", Data: smallEstate(t, crmAdded...)}}).must(t, http.StatusSeeOther)
	ic.postFiles("/estate/versions", []estate.File{{Name: "estate.yaml", Data: smallEstate(t, append(append([]string{}, crmAdded...), vaultLowered...)...)}}).
		must(t, http.StatusSeeOther)
	page := ic.get("/estate").must(t, 200)
	page.has(t, fmt.Sprintf(`id="move-%d-to-3"`, id), fmt.Sprintf(`id="move-%d-to-2"`, id),
		fmt.Sprintf(`aria-describedby="move-%d-to-3-note"`, id), "version 3 is newer.")
	estatePageChecks(t, page)
	page = ic.follow(fmt.Sprintf("/estate/incidents/%d/move", id), url.Values{"version": {"2"}})
	page.has(t, "flash-ok", "Moved incident 1 from estate version 1 to 2: 1 system added, none removed.", "<li>added crm (isolated)</li>")
	page.has(t, fmt.Sprintf(`id="move-%d-to-3"`, id)).lacks(t, fmt.Sprintf(`id="move-%d-to-2"`, id))
}

// TestUIEstateRoles: everyone reads the page and has the header's link;
// upload and approve are for estate.upload, moving for incident.update;
// the others get no form and 403 on the form targets.
func TestUIEstateRoles(t *testing.T) {
	ts, id := newUIServer(t)
	ts.mustStatus(ts.do("ic", "PUT", "/api/v1/estate", rawBody{"application/yaml", smallEstate(t, vaultLowered...)}), 201)
	move := fmt.Sprintf("/estate/incidents/%d/move", id)
	cases := map[string]struct{ upload, approve, move bool }{
		"admin":     {upload: true, approve: true},
		"ic":        {upload: true, move: true}, // uploaded version 2
		"ic2":       {upload: true, approve: true, move: true},
		"rl":        {upload: true, approve: true},
		"owner":     {},
		"forensics": {},
		"comms":     {},
		"viewer":    {},
	}
	for user, w := range cases {
		t.Run(user, func(t *testing.T) {
			c := uiLogin(t, ts, user)
			page := c.get("/estate").must(t, 200)
			page.has(t, `<a href="/estate" aria-current="page">Estate <span class="count" aria-label="1 waiting for a second person">1</span></a>`,
				"Version 2", "◷ waits for a second person",
				"vault</a>: loses the two-person rule (criticality 1 → 3)")
			estatePageChecks(t, page)
			want := map[string]bool{"/estate/versions": w.upload, "/estate/versions/2/approve": w.approve, move: w.move}
			got := map[string]bool{}
			for _, a := range actions(page.body) {
				got[a] = true
				if _, ok := want[a]; !ok {
					t.Errorf("unexpected form target %s", a)
				}
			}
			for target, wanted := range want {
				if got[target] != wanted {
					t.Errorf("form %s offered: %v, want %v", target, got[target], wanted)
				}
			}
			if !w.upload {
				c.postFiles("/estate/versions", []estate.File{{Name: "estate.yaml", Data: smallEstate(t, crmAdded...)}}).
					must(t, http.StatusForbidden).has(t, "Not allowed", "estate.upload")
				c.post("/estate/versions/2/approve", url.Values{"note": {"x"}}).must(t, http.StatusForbidden).has(t, "estate.upload")
			}
			if !w.move {
				c.post(move, url.Values{"version": {"2"}}).must(t, http.StatusForbidden).has(t, "incident.update")
			}
			if !w.upload {
				page.lacks(t, "Upload a new version", `type="file"`)
			}
		})
	}
	if vs := ts.estateVersions(); len(vs) != 2 || !vs[0].Pending() {
		t.Fatalf("after the refused forms the versions are %+v", vs)
	}
	// Not logged in: to the login page.
	if r := newUIClient(t, ts).get("/estate").must(t, http.StatusSeeOther); r.location != "/login?next=%2Festate" {
		t.Errorf("/estate when logged out → %q", r.location)
	}
	newUIClient(t, ts).get("/login").must(t, 200).lacks(t, `href="/estate"`)
	// An upload after the session ended (here: 3 MB) goes to the login
	// page, unread, and keeps nothing.
	big := smallEstate(t, "# A small estate", "#"+strings.Repeat(" padding", 3<<20/8))
	if r := newUIClient(t, ts).postFiles("/estate/versions", []estate.File{{Name: "estate.yaml", Data: big}}).
		must(t, http.StatusSeeOther); r.location != "/login" {
		t.Errorf("an upload when logged out → %q", r.location)
	}
	if vs := ts.estateVersions(); len(vs) != 2 {
		t.Fatalf("an upload when logged out kept a version: %d versions", len(vs))
	}
}
