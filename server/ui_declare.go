package server

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/phasegate/phasegate/incident"
)

// The incidents list and its form to declare an incident (incident
// commanders: incident.declare). The form posts to /incidents; declared,
// the browser goes to the new incident's overview, with a warning when
// another incident is open too (as POST /api/v1/incidents warns). A
// refused form comes back with what was typed and why.

// incidentKinds are suggestions for an incident's kind: the service takes
// any text, so the field is free with these offered (and the kinds of
// earlier incidents).
var incidentKinds = []string{"ransomware", "wiper", "data theft and extortion", "supply-chain compromise",
	"insider", "business email compromise", "denial of service", "exercise"}

// declareForm is the declare form as typed (kept when refused).
type declareForm struct {
	Name, Kind, Started, Required, Version string
	TotalShutdown                          bool
}

// declareVersion is an estate version offered to the form.
type declareVersion struct {
	Number   int
	Label    string
	Pending  bool
	Selected bool
}

// declareData is what the declare form needs: nil on the page for those
// who may not declare.
type declareData struct {
	Form     declareForm
	Kinds    []string
	Versions []declareVersion
	// Required are the choices of required approvals (1 to the maximum).
	Required []int
	// Open lists the incidents open now (a second one is often a
	// duplicate: the form says so beforehand).
	Open []incident.Incident
	// NoEstate: no estate version can be used, so nothing can be
	// declared yet.
	NoEstate bool
}

type incidentsData struct {
	Incidents []incident.Incident
	Declare   *declareData
}

func (u *ui) handleIncidents(w http.ResponseWriter, r *http.Request, a incident.Actor) {
	u.showIncidents(w, r, a, http.StatusOK, nil, declareForm{})
}

// showIncidents renders the list; formErr and f are a declare form that
// was refused, shown again with what was typed.
func (u *ui) showIncidents(w http.ResponseWriter, r *http.Request, a incident.Actor, status int, formErr error, f declareForm) {
	p := &uiPage{Title: "Incidents", Actor: a, Nav: "incidents"}
	ins, err := u.s.svc.Incidents(r.Context(), a)
	if err != nil {
		u.fail(w, r, nil, err)
		return
	}
	d := incidentsData{Incidents: ins}
	if a.Can(incident.ActionIncidentDeclare, nil) {
		vs, err := u.s.svc.EstateVersions(r.Context(), a)
		if err != nil {
			u.fail(w, r, p, err)
			return
		}
		p.countEstates(vs)
		d.Declare = declareFormData(ins, vs, f)
	}
	if formErr != nil {
		p.Error = uiErrorOf(formErr)
	}
	p.Data = d
	u.render(w, r, status, "incidents", p)
}

// declareFormData fills the form: the kinds to suggest, the estate
// versions (newest first; those waiting for a second person shown but not
// choosable), the open incidents.
func declareFormData(ins []incident.Incident, vs []incident.EstateVersion, f declareForm) *declareData {
	d := &declareData{Form: f, Kinds: slices.Clone(incidentKinds)}
	for _, in := range ins {
		if k := strings.TrimSpace(in.Kind); k != "" && !slices.Contains(d.Kinds, k) {
			d.Kinds = append(d.Kinds, k)
		}
		if in.Open() {
			d.Open = append(d.Open, in)
		}
	}
	for n := 1; n <= incident.MaxRequiredApprovals; n++ {
		d.Required = append(d.Required, n)
	}
	if d.Form.Required == "" {
		d.Form.Required = "1"
	}
	chosen := false
	for i, v := range vs { // newest first
		if i == 20 {
			break
		}
		dv := declareVersion{Number: v.Number, Pending: v.Pending()}
		dv.Label = fmt.Sprintf("version %d — %d systems, uploaded %s by %s", v.Number, v.Systems, fmtWhen(v.UploadedAt), v.UploadedBy)
		if dv.Pending {
			dv.Label += " (waits for a second person: not usable yet)"
		} else if !chosen && (f.Version == "" || f.Version == strconv.Itoa(v.Number)) {
			dv.Selected, chosen = true, true
		}
		d.Versions = append(d.Versions, dv)
	}
	d.NoEstate = !slices.ContainsFunc(d.Versions, func(v declareVersion) bool { return !v.Pending })
	return d
}

// startedLayouts are the forms "when it started" is read in (UTC): what
// a datetime-local field sends, and what a person types.
var startedLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02"}

// parseStarted reads "when it started", in UTC; empty is now (zero).
func parseStarted(s string, now time.Time) (time.Time, error) {
	return parsePastTime(s, now, "when it started", "when the attack began or was found")
}

// parsePastTime reads a form's time of something that has happened, in
// UTC; empty is now (zero). field names the field in refusals, give says
// what to give instead of a time in the future.
func parsePastTime(s string, now time.Time, field, give string) (time.Time, error) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "UTC"))
	if s == "" {
		return time.Time{}, nil
	}
	for _, l := range startedLayouts {
		if t, err := time.Parse(l, s); err == nil {
			if t.After(now.Add(5 * time.Minute)) {
				return time.Time{}, invalidRequest(http.StatusBadRequest,
					"%s: %s is in the future; give %s (UTC), or leave it empty for now", field, fmtWhen(t), give)
			}
			return t, nil
		}
	}
	return time.Time{}, invalidRequest(http.StatusBadRequest,
		"%s: %q is not a date and time; write it as 2025-09-14 06:30 (UTC), or leave it empty for now", field, s)
}

// handleDeclareForm declares an incident and goes to its overview.
func (u *ui) handleDeclareForm(w http.ResponseWriter, r *http.Request, a incident.Actor) {
	if err := a.Authorize(incident.ActionIncidentDeclare, nil); err != nil {
		u.fail(w, r, nil, err)
		return
	}
	if err := parseForm(w, r); err != nil {
		u.fail(w, r, nil, err)
		return
	}
	f := declareForm{Name: strings.TrimSpace(r.PostFormValue("name")), Kind: strings.TrimSpace(r.PostFormValue("kind")),
		Started: strings.TrimSpace(r.PostFormValue("started")), Required: strings.TrimSpace(r.PostFormValue("required")),
		Version: strings.TrimSpace(r.PostFormValue("version")), TotalShutdown: r.PostFormValue("total_shutdown") != ""}
	again := func(err error) {
		if e := uiErrorOf(err); e.Status == http.StatusInternalServerError || e.Status == http.StatusForbidden {
			u.fail(w, r, nil, err)
			return
		}
		u.showIncidents(w, r, a, errorStatus(err), err, f)
	}
	d := incident.Declaration{Name: f.Name, Kind: f.Kind, TotalShutdown: f.TotalShutdown}
	switch {
	case f.Name == "":
		again(invalidRequest(http.StatusBadRequest, "name: give the incident a name people will recognise, e.g. \"ransomware September 2025\""))
		return
	case f.Kind == "":
		again(invalidRequest(http.StatusBadRequest, "kind: say what kind of incident it is, e.g. ransomware (choose one offered or type your own)"))
		return
	}
	var err error
	if d.StartedAt, err = parseStarted(f.Started, u.clock()); err != nil {
		again(err)
		return
	}
	if f.Required != "" {
		if d.RequiredApprovals, err = strconv.Atoi(f.Required); err != nil {
			again(invalidRequest(http.StatusBadRequest, "required approvals: choose how many people approve a restart, 1 to %d", incident.MaxRequiredApprovals))
			return
		}
	}
	if f.Version != "" {
		if d.EstateVersion, err = strconv.Atoi(f.Version); err != nil || d.EstateVersion < 1 {
			again(invalidRequest(http.StatusBadRequest, "estate version: choose one of the versions listed"))
			return
		}
	}
	view, err := u.s.svc.DeclareIncident(r.Context(), a, d)
	if err != nil {
		again(err)
		return
	}
	start := "every system starts running (isolate what must be contained)"
	if view.TotalShutdown {
		start = "every system starts isolated (total shutdown)"
	}
	fl := uiFlash{Kind: "ok", Text: fmt.Sprintf("Declared incident %d %q on estate version %d: %d systems; %s; a restart of a two-person system needs %d %s.",
		view.ID, view.Name, view.EstateVersion, len(view.Systems), start, view.RequiredApprovals, plural(view.RequiredApprovals, "approval", "approvals"))}
	if warns := u.alsoOpenWords(r, a, view.ID); len(warns) > 0 {
		fl.Kind, fl.Items = "wait", warns
		fl.Text += " Warning: another incident is open too."
	}
	u.setFlash(w, fl)
	redirect(w, r, incidentPath(view.ID))
}

// alsoOpenWords is the API's warning (alsoOpen) in the UI's words: every
// other open incident, and what to do if the new one repeats it.
func (u *ui) alsoOpenWords(r *http.Request, a incident.Actor, id int64) []string {
	ins, err := u.s.svc.Incidents(r.Context(), a)
	if err != nil {
		u.s.log.Warn("reading the open incidents after a declaration", "incident", id, "error", err)
		return nil
	}
	var out []string
	for _, in := range ins {
		if in.ID == id || !in.Open() {
			continue
		}
		out = append(out, fmt.Sprintf("Incident %d %q is open too (declared %s by %s): both are now open, and the public status "+
			"pages show what is published for each in its own section. If this one repeats it, close one of them from its overview.",
			in.ID, in.Name, fmtWhen(in.DeclaredAt), in.DeclaredBy))
	}
	return out
}
