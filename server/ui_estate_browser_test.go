package server_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/phasegate/phasegate/incident"
)

// TestUIEstateInBrowser: on the demo estate, an incident commander
// reaches the estate page from the header, uploads a file with a
// problem (listed where it is), then the demo's files with the plant
// forest lowered to criticality 3 and a KRBTGT item gone from the
// corporate forest's checklist: the version waits for a second person,
// and the uploader is offered no approval. A second incident commander,
// in another browser context, approves it (a confirmation first); the
// first moves the incident to it. The page fits a phone.
func TestUIEstateInBrowser(t *testing.T) {
	browser := newBrowser(t)
	ts := newTestServer(t, backend{"sqlite", openSQLite}, serverOptions{estate: "demo", settings: uiSettings})
	v := ts.declare("ic", incident.Declaration{Name: "Northfield Motors ransomware", Kind: "ransomware", TotalShutdown: true})

	// The demo's files on disk, as someone would choose them; identity.yaml
	// weakened.
	dir := t.TempDir()
	files, err := demoFiles()
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range files {
		data := f.Data
		if f.Name == "identity.yaml" {
			s := string(data)
			for _, e := range [][2]string{
				{"    kind: identity\n    team: identity\n    criticality: 1\n    requires: [backup-platform, dns-dhcp, ntp-time, secure-admin-workstations]\n    clearance: {min: 1d",
					"    kind: identity\n    team: identity\n    criticality: 3\n    requires: [backup-platform, dns-dhcp, ntp-time, secure-admin-workstations]\n    clearance: {min: 1d"},
				{"      - KRBTGT password reset twice, at least 10 hours apart\n", ""},
			} {
				if !strings.Contains(s, e[0]) {
					t.Fatalf("identity.yaml lacks %q", e[0])
				}
				s = strings.Replace(s, e[0], e[1], 1)
			}
			data = []byte(s)
		}
		p := filepath.Join(dir, f.Name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	broken := filepath.Join(t.TempDir(), "estate.yaml")
	if err := os.WriteFile(broken, []byte("version: 1\nsystems:\n  - {id: crm, team: nobody, restore: 2h}\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	ic := newTab(t, browser, ts.url, "ic")
	acceptDialogs(ic)
	if !t.Run("an incident commander uploads a version that takes gates away", func(t *testing.T) {
		ic.t = t
		ic.login("ic")
		ic.submit(`nav.top-links a[href="/estate"]`)
		ic.sees("h1", "Estate versions")
		ic.sees("#version-1", "Version 1", "in use", fmt.Sprintf("incident %d", v.ID))
		// A file with a problem: nothing kept, the problem where it is.
		ic.do(chromedp.SetUploadFiles(chromedp.ID("estate-files"), []string{broken}))
		ic.submit("#upload-submit")
		ic.sees("#error", "the estate has")
		ic.sees("#problem-list", "estate.yaml:3:", "systems[crm].team", `"nobody" is not a team`)
		// The demo's files, weakened.
		ic.do(chromedp.SetUploadFiles(chromedp.ID("estate-files"), paths))
		ic.submit("#upload-submit")
		ic.sees(".flash-wait", "Uploaded estate version 2", "It takes 2 gates of a restart away, so it waits for a second person",
			"ad-forest-plant: the two-person rule (criticality 1 → 3)", "ad-forest-corp: clearance checklist item")
		ic.sees("#version-2", "waits for a second person", "ad-forest-plant", "You uploaded this version")
		if n := run(ic, chromedp.Evaluate[int](`document.querySelectorAll('form[action$="/approve"]').length`)); n != 0 {
			t.Errorf("the uploader is offered %d approve forms", n)
		}
		ic.open(fmt.Sprintf("/incidents/%d", v.ID))
		ic.sees("#estate-notice", "Estate version 2 is newer than this incident's (1)", "it waits for a second person: it takes 2 gates away")
	}) {
		return
	}

	ic2 := newTab(t, browser, ts.url, "ic2")
	acceptDialogs(ic2)
	t.Run("a second person approves", func(t *testing.T) {
		ic2.t = t
		ic2.login("ic2")
		ic2.open("/estate")
		ic2.sees("#version-2", "waits for a second person", "by ic", "ad-forest-plant", "loses the two-person rule")
		ic2.do(chromedp.SendKeys(chromedp.ID("approve-note-2"), "plant forest rebuilt as a read-only tier, CHG-1182"))
		ic2.shot("estate", "")
		ic2.submit("#approve-2") // asks "Approve estate version 2?"; OK
		ic2.sees(".flash-ok", "Approved estate version 2 (uploaded by ic)")
		ic2.sees("#version-2", "approved", "Approved by ic2")
		if vs := ts.estateVersions(); vs[0].ApprovedBy != "ic2" {
			t.Fatalf("after the approval version 2 is %+v", vs[0])
		}
	})

	t.Run("the incident moves to it", func(t *testing.T) {
		ic.t = t
		ic.open("/estate")
		ic.submit(chromedp.CSS(fmt.Sprintf("#move-%d-to-2", v.ID))) // asks first; OK
		ic.sees(".flash-ok", fmt.Sprintf("Moved incident %d from estate version 1 to 2", v.ID))
		ic.sees(chromedp.CSS(fmt.Sprintf("#incident-%d", v.ID)), "estate version 2", "the newest")
	})
	ic.t = t

	t.Run("phone width", func(t *testing.T) {
		ph := phoneTab(t, browser, ts.url, "ic2")
		ph.fitsPhone("/estate")
	})
}
