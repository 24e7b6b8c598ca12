package server

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/incident"
)

// The estate page: every estate version (who uploaded it, from which
// files, what it holds, which open incidents run on it), the versions
// that take a gate of a restart away and wait for a second person
// (docs/adr/0007-dual-control-of-accounts.md, "The gates in the estate
// are guarded too"), the upload form, and moving an open incident to a
// newer version. Everyone reads it; the forms are for estate.upload
// (upload, approve) and incident.update (move). Every rule is the
// service's. Not per incident, so not live: it holds forms.

// estatePath is the page every estate form returns to.
const estatePath = "/estate"

// Caps: what the page lists at most.
const (
	estateVersionsShown = 100
	estateProblemsShown = 500
	// weakensOpen: a version taking more gates away than this lists them
	// folded (a <details> the reader opens).
	weakensOpen = 12
)

// uiWeakening is one gate a version takes away, with the system page
// of an open incident that has the system (empty: none).
type uiWeakening struct {
	incident.Weakening
	URL string
}

// uiEstateVersion is one version with what the viewer may do with it.
type uiEstateVersion struct {
	incident.EstateVersion
	Newest, Pending bool
	// InUse are the open incidents running on it.
	InUse []incident.Incident
	Lost  []uiWeakening
	// Mine: the viewer uploaded it (and so cannot approve it).
	Mine       bool
	CanApprove bool
}

// Folded: the list of what it takes away is long and starts closed.
func (v uiEstateVersion) Folded() bool { return len(v.Lost) > weakensOpen }

// uiEstateMove is a newer version an open incident may be moved to.
type uiEstateMove struct {
	To     int
	Newest bool
	// Pending: the version waits for a second person; the service
	// refuses the move until then. Gates counts what it takes away.
	Pending bool
	Gates   int
}

// uiEstateIncident is an open incident with the versions it may move to.
type uiEstateIncident struct {
	incident.Incident
	// Newest is the newest version, when it is newer than the incident's
	// (0: the incident runs on the newest).
	Newest int
	Moves  []uiEstateMove
}

// estateRefusal is an upload the service refused: what was sent and
// every problem of the estate.
type estateRefusal struct {
	Files    []string
	Problems []estate.Problem
	// More counts the problems not listed.
	More int
}

type estateData struct {
	Versions []uiEstateVersion
	// MoreVersions counts the older versions not listed.
	MoreVersions int
	Incidents    []uiEstateIncident
	CanUpload    bool
	CanMove      bool
	Refused      *estateRefusal
}

func (u *ui) handleEstatePage(w http.ResponseWriter, r *http.Request, a incident.Actor) {
	u.showEstate(w, r, a, http.StatusOK, nil, nil)
}

// showEstate renders the estate page; formErr and refused are an upload
// the service refused (its problems listed on the page).
func (u *ui) showEstate(w http.ResponseWriter, r *http.Request, a incident.Actor, status int, formErr error, refused *estateRefusal) {
	p := u.page(a, nil, "estate", "Estate versions")
	ctx := r.Context()
	vs, err := u.s.svc.EstateVersions(ctx, a)
	if err != nil {
		u.fail(w, r, p, err)
		return
	}
	p.countEstates(vs)
	ins, err := u.s.svc.Incidents(ctx, a)
	if err != nil {
		u.fail(w, r, p, err)
		return
	}
	d := estateData{CanUpload: a.Can(incident.ActionEstateUpload, nil), CanMove: a.Can(incident.ActionIncidentUpdate, nil),
		Refused: refused}
	var open []incident.Incident // newest first
	for _, in := range ins {
		if in.Open() {
			open = append(open, in)
		}
	}
	links, err := u.weakenedLinks(r, a, vs, open)
	if err != nil {
		u.fail(w, r, p, err)
		return
	}
	for i, v := range vs {
		if i == estateVersionsShown {
			d.MoreVersions = len(vs) - i
			break
		}
		ev := uiEstateVersion{EstateVersion: v, Newest: i == 0, Pending: v.Pending(), Mine: v.UploadedBy == a.Name}
		ev.CanApprove = ev.Pending && !ev.Mine && !a.System && d.CanUpload
		for _, in := range open {
			if in.EstateVersion == v.Number {
				ev.InUse = append(ev.InUse, in)
			}
		}
		for _, wk := range v.Weakens {
			ev.Lost = append(ev.Lost, uiWeakening{Weakening: wk, URL: links[wk.System]})
		}
		d.Versions = append(d.Versions, ev)
	}
	for _, in := range open {
		d.Incidents = append(d.Incidents, estateMoves(in, vs))
	}
	if formErr != nil {
		p.Error = uiErrorOf(formErr)
	}
	p.Data = d
	u.render(w, r, status, "estate", p)
}

// estateMoves offers an open incident the newer versions worth moving
// to: the newest and, when the newest waits for a second person, the
// newest that does not. A pending one is offered too, saying beforehand
// that the service refuses it until it is approved.
func estateMoves(in incident.Incident, vs []incident.EstateVersion) uiEstateIncident {
	out := uiEstateIncident{Incident: in}
	if len(vs) == 0 || vs[0].Number <= in.EstateVersion {
		return out
	}
	out.Newest = vs[0].Number
	for i, v := range vs {
		if v.Number <= in.EstateVersion {
			break
		}
		if i == 0 || !v.Pending() {
			out.Moves = append(out.Moves, uiEstateMove{To: v.Number, Newest: i == 0, Pending: v.Pending(), Gates: len(v.Weakens)})
		}
		if !v.Pending() {
			break
		}
	}
	return out
}

// weakenedLinks finds, for each system a version takes a gate away
// from, the system page of the newest open incident whose estate has
// it: there the reader sees the gate as it stands.
func (u *ui) weakenedLinks(r *http.Request, a incident.Actor, vs []incident.EstateVersion, open []incident.Incident) (map[string]string, error) {
	need := map[string]bool{}
	for _, v := range vs {
		for _, wk := range v.Weakens {
			need[wk.System] = true
		}
	}
	links := map[string]string{}
	if len(need) == 0 || len(open) == 0 {
		return links, nil
	}
	has := map[int]map[string]bool{} // estate version → needed systems it has
	for _, in := range open {
		if _, done := has[in.EstateVersion]; !done {
			_, est, err := u.s.svc.Estate(r.Context(), a, in.EstateVersion)
			if err != nil {
				return nil, err
			}
			set := map[string]bool{}
			for i := range est.Systems {
				if need[est.Systems[i].ID] {
					set[est.Systems[i].ID] = true
				}
			}
			has[in.EstateVersion] = set
		}
		for id := range has[in.EstateVersion] {
			if _, ok := links[id]; !ok {
				links[id] = sysURL(in.ID, id)
			}
		}
	}
	return links, nil
}

// weakensText lists what a version takes away, one line each, for a
// flash message.
func weakensText(ws []incident.Weakening) []string {
	out := make([]string, len(ws))
	for i, wk := range ws {
		out[i] = wk.String()
	}
	return out
}

func gates(n int) string { return fmt.Sprintf("%d %s", n, plural(n, "gate", "gates")) }

// handleEstateUploadForm stores the files of the upload form as a new
// estate version. An invalid estate keeps nothing: the page comes back
// with every problem. A version that takes gates away is stored pending,
// and the message says what it takes and that a second person approves.
func (u *ui) handleEstateUploadForm(w http.ResponseWriter, r *http.Request, a incident.Actor) {
	if err := a.Authorize(incident.ActionEstateUpload, nil); err != nil {
		u.fail(w, r, u.page(a, nil, "estate", "Estate versions"), err)
		return
	}
	files, err := readEstateForm(w, r)
	var v *incident.EstateVersion
	if err == nil {
		v, err = u.s.svc.UploadEstate(r.Context(), a, files...)
	}
	if err != nil {
		if e := uiErrorOf(err); e.Status == http.StatusInternalServerError || e.Status == http.StatusForbidden {
			u.fail(w, r, nil, err)
			return
		}
		ref := &estateRefusal{}
		for _, f := range files {
			ref.Files = append(ref.Files, f.Name)
		}
		ref.Problems = errorBody(err).Errors
		if len(ref.Problems) > estateProblemsShown {
			ref.More = len(ref.Problems) - estateProblemsShown
			ref.Problems = ref.Problems[:estateProblemsShown]
		}
		u.showEstate(w, r, a, errorStatus(err), err, ref)
		return
	}
	what := fmt.Sprintf("from %s: %s, %s, %s", strings.Join(v.Sources, ", "),
		countOf(v.Systems, "system"), countOf(v.Services, "service"), countOf(v.Teams, "team"))
	f := uiFlash{Kind: "ok", Text: fmt.Sprintf("Uploaded estate version %d %s.", v.Number, what)}
	if v.Pending() {
		f = uiFlash{Kind: "wait", Text: fmt.Sprintf("Uploaded estate version %d %s. It takes %s of a restart away, so it waits for a second person: "+
			"until someone else holding estate.upload approves it on this page, no incident may use it.", v.Number, what, gates(len(v.Weakens))),
			Items: weakensText(v.Weakens)}
	}
	u.setFlash(w, f)
	redirect(w, r, fmt.Sprintf("%s#version-%d", estatePath, v.Number))
}

func countOf(n int, what string) string {
	return fmt.Sprintf("%s %s", numText(n), plural(n, what, what+"s"))
}

// estateForm starts an approve or move form: the action, and the form
// read. Without the action: the error page (403), not a message.
func (u *ui) estateForm(w http.ResponseWriter, r *http.Request, a incident.Actor, act incident.Action) bool {
	if err := a.Authorize(act, nil); err != nil {
		u.fail(w, r, u.page(a, nil, "estate", "Estate versions"), err)
		return false
	}
	if err := parseForm(w, r); err != nil {
		u.fail(w, r, nil, err)
		return false
	}
	return true
}

// handleEstateApproveForm approves a pending version (the service
// refuses the uploader, and a version that needs no approval).
func (u *ui) handleEstateApproveForm(w http.ResponseWriter, r *http.Request, a incident.Actor) {
	if !u.estateForm(w, r, a, incident.ActionEstateUpload) {
		return
	}
	n, err := pathInt(r, "version", "estate version")
	if err != nil {
		u.fail(w, r, nil, err)
		return
	}
	var f uiFlash
	v, err := u.s.svc.ApproveEstateVersion(r.Context(), a, int(n), strings.TrimSpace(r.PostFormValue("note")))
	if err == nil {
		f = uiFlash{Kind: "ok", Text: fmt.Sprintf("Approved estate version %d (uploaded by %s): incidents may now use it, without the %s it takes away.",
			v.Number, v.UploadedBy, gates(len(v.Weakens))), Items: weakensText(v.Weakens)}
	}
	u.decided(w, r, fmt.Sprintf("%s#version-%d", estatePath, n), f, err)
}

// handleEstateMoveForm moves an open incident to a newer version; the
// message lists the systems added and removed.
func (u *ui) handleEstateMoveForm(w http.ResponseWriter, r *http.Request, a incident.Actor) {
	if !u.estateForm(w, r, a, incident.ActionIncidentUpdate) {
		return
	}
	id, err := pathInt(r, "id", "incident id")
	if err != nil {
		u.fail(w, r, nil, err)
		return
	}
	back := fmt.Sprintf("%s#incident-%d", estatePath, id)
	version, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("version")))
	if err != nil || version <= 0 {
		u.decided(w, r, back, uiFlash{}, invalidRequest(http.StatusBadRequest,
			"the estate version %q is not a number; choose a version on the estate page", r.PostFormValue("version")))
		return
	}
	var f uiFlash
	mv, err := u.s.svc.MoveEstate(r.Context(), a, id, version)
	if err == nil {
		f = uiFlash{Kind: "ok", Text: moveText(id, mv)}
		for _, s := range mv.Added {
			f.Items = append(f.Items, fmt.Sprintf("added %s (%s)", s, mv.AddedState))
		}
		for _, s := range mv.Removed {
			f.Items = append(f.Items, "removed "+s)
		}
	}
	u.decided(w, r, back, f, err)
}

func moveText(id int64, mv *incident.EstateMove) string {
	t := fmt.Sprintf("Moved incident %d from estate version %d to %d: ", id, mv.From, mv.To)
	switch {
	case len(mv.Added) == 0 && len(mv.Removed) == 0:
		return t + "no system was added or removed."
	case len(mv.Removed) == 0:
		return t + fmt.Sprintf("%s added, none removed.", countOf(len(mv.Added), "system"))
	case len(mv.Added) == 0:
		return t + fmt.Sprintf("none added, %s removed.", countOf(len(mv.Removed), "system"))
	}
	return t + fmt.Sprintf("%s added, %s removed.", countOf(len(mv.Added), "system"), countOf(len(mv.Removed), "system"))
}
