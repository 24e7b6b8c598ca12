package server

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/incident"
)

// isolateForm is the bulk containment form: which systems and why.
type isolateForm struct {
	Scope  string // all, kind, tag, team
	Kind   string
	Tag    string
	Team   string
	Reason string
}

func (f isolateForm) selector() (incident.Selector, error) {
	var sel incident.Selector
	switch f.Scope {
	case "all":
		sel.All = true
	case "kind":
		sel.Kind = f.Kind
	case "tag":
		sel.Tag = f.Tag
	case "team":
		sel.Team = f.Team
	default:
		return sel, invalidRequest(http.StatusBadRequest, "choose what to isolate: every system, or a kind, a tag or a team")
	}
	if err := sel.Validate(); err != nil {
		return sel, invalidRequest(http.StatusBadRequest, "choose the %s to isolate", f.Scope)
	}
	return sel, nil
}

// isolateRow is one selected system in the confirmation.
type isolateRow struct {
	ID, Name    string
	State       incident.State
	Criticality int
	TwoPerson   bool
	Team, Kind  string
	Why         string // why it is left alone
}

type isolateData struct {
	ID    int64
	Form  isolateForm
	Kinds []option
	Tags  []option
	Teams []option
	// Preview: the confirmation step.
	Preview     bool
	Selector    string
	Will        []isolateRow
	Skip        []isolateRow
	TwoPerson   int
	Fingerprint string
	Changed     bool
}

func readIsolateForm(r *http.Request) isolateForm {
	return isolateForm{Scope: r.FormValue("scope"), Kind: r.FormValue("kind"), Tag: r.FormValue("tag"),
		Team: r.FormValue("team"), Reason: strings.TrimSpace(r.FormValue("reason"))}
}

func (u *ui) handleIsolatePage(w http.ResponseWriter, r *http.Request, a incident.Actor) {
	u.isolate(w, r, a, false)
}

func (u *ui) handleIsolateForm(w http.ResponseWriter, r *http.Request, a incident.Actor) {
	u.isolate(w, r, a, true)
}

// isolate serves the three steps of a bulk containment: the form (GET),
// the confirmation listing exactly which systems will be isolated (POST
// step=preview), and the isolation itself (POST step=confirm, with the
// fingerprint of the list confirmed: if the selection changed meanwhile,
// the new list is shown to confirm again).
func (u *ui) isolate(w http.ResponseWriter, r *http.Request, a incident.Actor, post bool) {
	in, ok := u.incidentOf(w, r, a)
	if !ok {
		return
	}
	p := u.page(a, in, "containment", "Bulk containment")
	if err := a.Authorize(incident.ActionIsolateBulk, nil); err != nil {
		u.fail(w, r, p, err)
		return
	}
	if !in.view.Open() {
		u.fail(w, r, p, phasegate.Errorf(phasegate.ECONFLICT, "the incident is closed: nothing can be isolated in it"))
		return
	}
	if post {
		if err := parseForm(w, r); err != nil {
			u.fail(w, r, p, err)
			return
		}
	}
	d := isolateData{ID: in.ID(), Form: readIsolateForm(r)}
	d.Teams, d.Kinds, _ = planOptions(in.est)
	d.Tags = estateTags(in.est)
	if d.Form.Scope == "" {
		d.Form.Scope = "all"
	}
	if !post {
		p.Data = d
		u.render(w, r, http.StatusOK, "isolate", p)
		return
	}
	fail := func(err error) {
		p.Error = uiErrorOf(err)
		p.Data = d
		u.render(w, r, p.Error.Status, "isolate", p)
	}
	sel, err := d.Form.selector()
	if err != nil {
		fail(err)
		return
	}
	if d.Form.Reason == "" {
		fail(invalidRequest(http.StatusBadRequest, "give a reason: every containment is recorded with why"))
		return
	}
	if err := u.previewIsolation(&d, in, sel); err != nil {
		fail(err)
		return
	}
	if r.PostFormValue("step") != "confirm" {
		p.Data = d
		u.render(w, r, http.StatusOK, "isolate", p)
		return
	}
	if r.PostFormValue("fingerprint") != d.Fingerprint {
		// Someone moved systems since the list was shown: show the
		// new list to confirm.
		d.Changed = true
		p.Data = d
		u.render(w, r, http.StatusConflict, "isolate", p)
		return
	}
	res, err := u.s.svc.Isolate(r.Context(), a, in.ID(), sel, d.Form.Reason)
	if err != nil {
		fail(err)
		return
	}
	f := uiFlash{Kind: "ok", Text: fmt.Sprintf("Isolated %d %s (%s) at once; %d left alone.",
		len(res.Isolated), plural(len(res.Isolated), "system", "systems"), d.Selector, len(res.Skipped))}
	if len(res.Isolated) == 0 {
		f.Text = fmt.Sprintf("Nothing to isolate (%s): all %d selected %s already contained or cannot be isolated; nothing was recorded.",
			d.Selector, len(res.Skipped), plural(len(res.Skipped), "system is", "systems are"))
	}
	f.Items = res.Isolated
	u.setFlash(w, f)
	redirect(w, r, incidentPath(in.ID()))
}

// previewIsolation lists what the selector picks, split as the service
// will split it: isolated now, or left alone and why.
func (u *ui) previewIsolation(d *isolateData, in *uiIncident, sel incident.Selector) error {
	picked, err := sel.Select(in.est)
	if err != nil {
		return err
	}
	d.Preview, d.Selector = true, selectorWords(sel)
	h := sha256.New()
	for _, sys := range picked {
		row := isolateRow{ID: sys.ID, Name: cmp.Or(sys.Name, sys.ID), Criticality: sys.Criticality, TwoPerson: sys.NeedsTwoPersons(),
			Team: sys.Team, Kind: string(sys.Kind)}
		st := in.byID[sys.ID]
		switch {
		case st == nil || st.Removed:
			row.Why = "not part of this incident"
		case st.State.Contained():
			row.State, row.Why = st.State, "already contained"
		case incident.FindEdge(st.State, incident.StateIsolated) == nil:
			row.State, row.Why = st.State, "cannot be isolated from "+string(st.State)
		default:
			row.State = st.State
		}
		if row.Why != "" {
			d.Skip = append(d.Skip, row)
			continue
		}
		d.Will = append(d.Will, row)
		if row.TwoPerson {
			d.TwoPerson++
		}
		fmt.Fprintf(h, "%s=%s\n", row.ID, row.State)
	}
	d.Fingerprint = hex.EncodeToString(h.Sum(nil)[:12])
	return nil
}

func selectorWords(sel incident.Selector) string {
	switch {
	case sel.All:
		return "every system"
	case sel.Kind != "":
		return "every system of kind " + sel.Kind
	case sel.Tag != "":
		return "every system tagged " + sel.Tag
	case sel.Team != "":
		return "every system of team " + sel.Team
	}
	return sel.String()
}

// estateTags lists the tags the estate's systems carry, with counts.
func estateTags(e *estate.Estate) []option {
	n := map[string]int{}
	for _, s := range e.Systems {
		for _, t := range s.Tags {
			n[t]++
		}
	}
	return countOptions(n)
}
