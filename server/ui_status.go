package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/incident"
)

// The comms pages: the list of an incident's status updates, the form
// that drafts or edits one (with the live plan's state and ETA of every
// service offered, per audience), and one update's page, where a second
// person approves or rejects it and it is published, withdrawn or
// corrected. Plain forms that post and redirect, like the rest of the UI;
// every rule is the service's (the pages only leave out buttons the
// viewer may not use, and say why).

// statusUIRoutes are the comms pages, mounted with the UI's.
func (u *ui) statusUIRoutes() []uiRoute {
	a := u.authed
	return []uiRoute{
		{"GET /incidents/{id}/updates", a(u.handleUpdatesPage)},
		{"GET /incidents/{id}/updates/new", a(u.handleNewUpdatePage)},
		{"POST /incidents/{id}/updates", a(u.handleDraftForm)},
		{"GET /incidents/{id}/updates/{update}", a(u.handleUpdatePage)},
		{"GET /incidents/{id}/updates/{update}/edit", a(u.handleEditUpdatePage)},
		{"POST /incidents/{id}/updates/{update}", a(u.handleEditForm)},
		{"POST /incidents/{id}/updates/{update}/{action}", a(u.handleUpdateAction)},
	}
}

// statusPage starts a comms page. It is not live: the UI's live parts
// follow system moves, and a refresh must not replace a form being
// typed into.
func (u *ui) statusPage(a incident.Actor, in *uiIncident, title string) *uiPage {
	return u.stillPage(a, in, "updates", title)
}

func updatesPath(in int64) string        { return fmt.Sprintf("/incidents/%d/updates", in) }
func updatePath(in, update int64) string { return fmt.Sprintf("/incidents/%d/updates/%d", in, update) }

// uiUpdate is one update as the pages show it, with what the viewer may
// do to it.
type uiUpdate struct {
	incident.StatusUpdate
	URL     string
	Preview template.HTML // the body as the public page renders it
	// Writers lists who wrote a revision.
	Writers    string
	CanEdit    bool
	CanApprove bool
	CanReject  bool
	CanPublish bool
	// CanApprovePublish: approve and publish in one step.
	CanApprovePublish bool
	CanWithdraw       bool
	CanCorrect        bool
	// WhyNot says why the viewer cannot approve (e.g. they wrote it).
	WhyNot string
}

func (u *ui) updateView(a incident.Actor, up incident.StatusUpdate) uiUpdate {
	v := uiUpdate{StatusUpdate: up, URL: updatePath(up.IncidentID, up.ID), Preview: renderMarkdown(up.Body)}
	wrote := false
	var names []string
	for _, c := range up.Contributors {
		names = append(names, c.Name)
		if a.UserID != 0 && c.ID == a.UserID || a.UserID == 0 && c.Name == a.Name {
			wrote = true
		}
	}
	v.Writers = strings.Join(names, ", ")
	draft, approve, publish := a.Can(incident.ActionStatusDraft, nil), a.Can(incident.ActionStatusApprove, nil), a.Can(incident.ActionStatusPublish, nil)
	switch up.Status {
	case incident.UpdateDraft:
		v.CanEdit = draft
		v.CanApprove, v.CanReject = approve && !wrote, approve && !wrote
		v.CanApprovePublish = v.CanApprove && publish
		v.CanWithdraw = draft && wrote || approve
		switch {
		case wrote && approve:
			v.WhyNot = "You wrote this update: a second person who did not write it approves it."
		case !approve:
			v.WhyNot = "A second person holding " + rolesText(incident.ActionStatusApprove) + " approves it."
		}
	case incident.UpdateApproved:
		v.CanEdit = draft
		v.CanReject = approve && !wrote
		v.CanPublish = publish
		v.CanWithdraw = draft && wrote || approve
	case incident.UpdateRejected:
		v.CanEdit = draft
		v.CanWithdraw = draft && wrote || approve
	case incident.UpdatePublished:
		v.CanWithdraw = publish
		v.CanCorrect = draft
	}
	return v
}

type updatesData struct {
	ID int64
	// Waiting: drafts and approved updates; Published: public now
	// (superseded ones too); Closed: rejected and withdrawn.
	Waiting, Public, Closed []uiUpdate
	CanDraft                bool
	Open                    bool
	Rule                    string
}

func (u *ui) handleUpdatesPage(w http.ResponseWriter, r *http.Request, a incident.Actor) {
	in, ok := u.incidentOf(w, r, a)
	if !ok {
		return
	}
	p := u.statusPage(a, in, "Status updates")
	ups, err := u.s.svc.StatusUpdates(r.Context(), a, in.ID())
	if err != nil {
		u.fail(w, r, p, err)
		return
	}
	d := updatesData{ID: in.ID(), Open: in.view.Open(), CanDraft: a.Can(incident.ActionStatusDraft, nil) && in.view.Open(),
		Rule: rolesText(incident.ActionStatusApprove)}
	for _, up := range ups {
		v := u.updateView(a, up)
		switch up.Status {
		case incident.UpdateDraft, incident.UpdateApproved:
			d.Waiting = append(d.Waiting, v)
		case incident.UpdatePublished, incident.UpdateSuperseded:
			d.Public = append(d.Public, v)
		default:
			d.Closed = append(d.Closed, v)
		}
	}
	p.Data = d
	u.render(w, r, http.StatusOK, "status_updates", p)
}

// draftForm is the draft form's content: what was typed (or the update
// being edited) and, per service, the live plan's line beside it.
type draftForm struct {
	ID       int64
	UpdateID int64 // 0: a new update
	Revision int
	Corrects int64
	Title    string
	Body     string
	// Audiences are every audience the estate knows, ticked or not.
	Audiences []formAudience
	Services  []formService
	States    []option
	PlannedAt time.Time
	Action    string
	Cancel    string
}

type formAudience struct {
	Name    string
	Checked bool
}

// formService is one service row: include it or not, its state, ETA day
// and note, and what the live plan and the last publication say.
type formService struct {
	ID, Name  string
	Audiences string
	Include   bool
	State     string
	ETA       string // yyyy-mm-dd
	Note      string
	Live      string // the live plan's line, e.g. "expected back Wed 24 Sep"
	// P80 is the day the live forecast is 80 % sure of ("" when the
	// service is back or there is no forecast).
	P80       string
	Published string // what its audiences were last told
	Changed   bool
}

// newDraftForm builds the form for an incident: every service that
// names an audience, with the live plan's state and ETA filled in (not
// ticked) so the writer inserts them by ticking the row.
func (u *ui) newDraftForm(r *http.Request, a incident.Actor, in *uiIncident) (*draftForm, error) {
	sg, err := u.s.svc.StatusSuggestions(r.Context(), a, in.ID())
	if err != nil {
		return nil, err
	}
	f := &draftForm{ID: in.ID(), PlannedAt: sg.PlannedAt, Action: updatesPath(in.ID()), Cancel: updatesPath(in.ID())}
	for _, s := range incident.ServiceStates {
		f.States = append(f.States, option{string(s), s.Label()})
	}
	for _, aud := range incident.AudiencesOf(in.est) {
		f.Audiences = append(f.Audiences, formAudience{Name: aud})
	}
	type seen struct {
		live      incident.ServiceLine
		published []string
		changed   bool
	}
	lines := map[string]*seen{}
	for _, as := range sg.Audiences {
		for _, s := range as.Services {
			x := lines[s.Line.Service]
			if x == nil {
				x = &seen{live: s.Line}
				lines[s.Line.Service] = x
			}
			if s.Published.State != "" {
				x.published = append(x.published, as.Audience+": "+strings.TrimPrefix(s.Published.Sentence(), s.Published.Name+": "))
			}
			x.changed = x.changed || s.Changed
		}
	}
	for _, svc := range in.est.Services {
		x := lines[svc.ID]
		if x == nil {
			continue
		}
		fs := formService{ID: svc.ID, Name: x.live.Name, Audiences: strings.Join(svc.Audiences, ", "),
			State: string(x.live.State), Live: strings.TrimPrefix(x.live.Sentence(), x.live.Name+": "),
			Published: strings.Join(x.published, "; "), Changed: x.changed && len(x.published) > 0}
		if !x.live.ETA.IsZero() {
			fs.ETA = x.live.ETA.Format(time.DateOnly)
		}
		f.Services = append(f.Services, fs)
	}
	// The day to promise: the live forecast's P80 beside the plan's own
	// day, which few runs keep. Without a forecast the form still works.
	if b, err := u.liveForecastOf(r, a, in, liveQuery{runs: u.s.live.cfg.DefaultRuns, within: uiForecastWait}); err != nil {
		if !errors.Is(err, errNotReady) {
			u.s.log.Warn("live forecast for a status update's form", "incident", in.ID(), "error", err)
		}
	} else {
		p80 := map[string]time.Time{}
		for _, o := range b.result.Services {
			if o.P95Hours > 0 {
				p80[o.ID] = o.P80
			}
		}
		for i := range f.Services {
			if t, ok := p80[f.Services[i].ID]; ok && f.Services[i].ETA != "" {
				f.Services[i].P80 = fmtDay(t)
			}
		}
	}
	return f, nil
}

// fill puts an update's (or a submitted draft's) content into the form.
func (f *draftForm) fill(d incident.StatusDraft) {
	f.Title, f.Body, f.Corrects = d.Title, d.Body, d.Corrects
	for i := range f.Audiences {
		f.Audiences[i].Checked = slices.Contains(d.Audiences, f.Audiences[i].Name)
	}
	for i := range f.Services {
		s := &f.Services[i]
		s.Include = false
		for _, l := range d.Services {
			if l.Service == s.ID {
				s.Include, s.State, s.Note, s.ETA = true, string(l.State), l.Note, ""
				if !l.ETA.IsZero() {
					s.ETA = l.ETA.UTC().Format(time.DateOnly)
				}
			}
		}
	}
}

// parseDraftForm reads the form's fields into a draft; a date that does
// not parse is an error naming the service.
func parseDraftForm(r *http.Request) (incident.StatusDraft, int, error) {
	d := incident.StatusDraft{Title: r.PostFormValue("title"), Body: r.PostFormValue("body"), Audiences: r.PostForm["audience"]}
	if c := r.PostFormValue("corrects"); c != "" {
		n, err := strconv.ParseInt(c, 10, 64)
		if err != nil {
			return d, 0, invalidRequest(http.StatusBadRequest, "corrects=%q is not an update id", c)
		}
		d.Corrects = n
	}
	rev, _ := strconv.Atoi(r.PostFormValue("revision"))
	var reasons []string
	for _, id := range r.PostForm["service"] {
		l := incident.ServiceLine{Service: id, State: incident.ServiceState(r.PostFormValue("state-" + id)),
			Note: r.PostFormValue("note-" + id)}
		if v := strings.TrimSpace(r.PostFormValue("eta-" + id)); v != "" && l.State != incident.ServiceUp {
			t, err := time.Parse(time.DateOnly, v)
			if err != nil {
				reasons = append(reasons, fmt.Sprintf("%s: the expected day %q is not a date; write it as YYYY-MM-DD, a day ahead", id, v))
				continue
			}
			l.ETA = t
		}
		d.Services = append(d.Services, l)
	}
	if d.Audiences == nil {
		d.Audiences = []string{}
	}
	if len(reasons) > 0 {
		return d, rev, &phasegate.Error{Code: phasegate.EINVALID, Message: "the status update cannot be saved; fix what is listed", Reasons: reasons}
	}
	return d, rev, nil
}

func (u *ui) handleNewUpdatePage(w http.ResponseWriter, r *http.Request, a incident.Actor) {
	in, ok := u.incidentOf(w, r, a)
	if !ok {
		return
	}
	p := u.statusPage(a, in, "Write a status update")
	if err := a.Authorize(incident.ActionStatusDraft, nil); err != nil {
		u.fail(w, r, p, err)
		return
	}
	f, err := u.newDraftForm(r, a, in)
	if err != nil {
		u.fail(w, r, p, err)
		return
	}
	// ?corrects=N starts a correction from the published update.
	if c := r.URL.Query().Get("corrects"); c != "" {
		n, err := strconv.ParseInt(c, 10, 64)
		var old *incident.StatusUpdate
		if err == nil {
			old, err = u.s.svc.StatusUpdate(r.Context(), a, n)
		}
		if err != nil || old.IncidentID != in.ID() {
			u.fail(w, r, p, phasegate.Errorf(phasegate.ENOTFOUND, "incident %d has no status update %q to correct", in.ID(), c))
			return
		}
		f.fill(incident.StatusDraft{Audiences: old.Audiences, Title: "Correction: " + old.Title, Body: old.Body,
			Services: old.Services, Corrects: old.ID})
		p.Title = "Correct a published update"
	}
	p.Data = f
	u.render(w, r, http.StatusOK, "status_edit", p)
}

func (u *ui) handleDraftForm(w http.ResponseWriter, r *http.Request, a incident.Actor) {
	in, ok := u.incidentOf(w, r, a)
	if !ok {
		return
	}
	p := u.statusPage(a, in, "Write a status update")
	if err := parseForm(w, r); err != nil {
		u.fail(w, r, p, err)
		return
	}
	d, _, err := parseDraftForm(r)
	var up *incident.StatusUpdate
	if err == nil {
		up, err = u.s.svc.DraftStatusUpdate(r.Context(), a, in.ID(), d)
	}
	if err != nil {
		u.formAgain(w, r, a, in, p, d, 0, 0, err)
		return
	}
	u.setFlash(w, uiFlash{Kind: "wait", Text: fmt.Sprintf("Drafted update %d. It waits for a second person to approve it.", up.ID)})
	redirect(w, r, updatePath(in.ID(), up.ID))
}

// formAgain shows the form again with what was typed and what is wrong
// (422 for content, the error's own status otherwise).
func (u *ui) formAgain(w http.ResponseWriter, r *http.Request, a incident.Actor, in *uiIncident, p *uiPage,
	d incident.StatusDraft, updateID int64, revision int, err error) {
	e := uiErrorOf(err)
	if e.Status == http.StatusInternalServerError || e.Status == http.StatusForbidden {
		u.fail(w, r, p, err)
		return
	}
	f, ferr := u.newDraftForm(r, a, in)
	if ferr != nil {
		u.fail(w, r, p, ferr)
		return
	}
	f.fill(d)
	if updateID != 0 {
		f.UpdateID, f.Revision = updateID, revision
		f.Action, f.Cancel = updatePath(in.ID(), updateID), updatePath(in.ID(), updateID)
	}
	p.Error, p.Data = e, f
	u.render(w, r, e.Status, "status_edit", p)
}

// loadUpdate reads the update named in the path; it must belong to the
// incident in the path.
func (u *ui) loadUpdate(r *http.Request, a incident.Actor, in *uiIncident) (*incident.StatusUpdate, error) {
	id, err := pathInt(r, "update", "status update id")
	if err != nil {
		return nil, err
	}
	up, err := u.s.svc.StatusUpdate(r.Context(), a, id)
	if err == nil && up.IncidentID != in.ID() {
		err = phasegate.Errorf(phasegate.ENOTFOUND, "status update %d belongs to incident %d, not %d", id, up.IncidentID, in.ID())
	}
	return up, err
}

type updateData struct {
	ID     int64
	Update uiUpdate
	// PublicURLs are the public pages the update is (or will be) on.
	PublicURLs []option
	History    []uiEvent
}

func (u *ui) handleUpdatePage(w http.ResponseWriter, r *http.Request, a incident.Actor) {
	in, ok := u.incidentOf(w, r, a)
	if !ok {
		return
	}
	p := u.statusPage(a, in, "Status update")
	up, err := u.loadUpdate(r, a, in)
	if err != nil {
		u.fail(w, r, p, err)
		return
	}
	d := updateData{ID: in.ID(), Update: u.updateView(a, *up)}
	for _, aud := range up.Audiences {
		d.PublicURLs = append(d.PublicURLs, option{"/status/" + url.PathEscape(aud), aud})
	}
	// Its history, from the event log.
	evs, err := u.s.svc.Events(r.Context(), a, incident.EventQuery{IncidentID: in.ID(), After: max(0, up.Seq-1000), Limit: 1000})
	if err == nil {
		subject := fmt.Sprintf("status:%d", up.ID)
		for _, e := range slices.Backward(evs) {
			if e.Subject == subject {
				d.History = append(d.History, statusEvent(e))
			}
		}
	}
	p.Title = fmt.Sprintf("Status update %d", up.ID)
	p.Data = d
	u.render(w, r, http.StatusOK, "status_update", p)
}

func (u *ui) handleEditUpdatePage(w http.ResponseWriter, r *http.Request, a incident.Actor) {
	in, ok := u.incidentOf(w, r, a)
	if !ok {
		return
	}
	p := u.statusPage(a, in, "Edit a status update")
	up, err := u.loadUpdate(r, a, in)
	if err == nil {
		err = a.Authorize(incident.ActionStatusDraft, nil)
	}
	if err == nil && !up.Status.Editable() {
		err = phasegate.Errorf(phasegate.ECONFLICT, "status update %d is %s and can no longer be edited; write a correction instead", up.ID, up.Status)
	}
	if err != nil {
		u.fail(w, r, p, err)
		return
	}
	f, err := u.newDraftForm(r, a, in)
	if err != nil {
		u.fail(w, r, p, err)
		return
	}
	f.fill(incident.StatusDraft{Audiences: up.Audiences, Title: up.Title, Body: up.Body, Services: up.Services, Corrects: up.Corrects})
	f.UpdateID, f.Revision = up.ID, up.Revision
	f.Action, f.Cancel = updatePath(in.ID(), up.ID), updatePath(in.ID(), up.ID)
	p.Data = f
	u.render(w, r, http.StatusOK, "status_edit", p)
}

func (u *ui) handleEditForm(w http.ResponseWriter, r *http.Request, a incident.Actor) {
	in, ok := u.incidentOf(w, r, a)
	if !ok {
		return
	}
	p := u.statusPage(a, in, "Edit a status update")
	if err := parseForm(w, r); err != nil {
		u.fail(w, r, p, err)
		return
	}
	up, err := u.loadUpdate(r, a, in)
	if err != nil {
		u.fail(w, r, p, err)
		return
	}
	d, rev, err := parseDraftForm(r)
	if err == nil {
		_, err = u.s.svc.EditStatusUpdate(r.Context(), a, up.ID, rev, d)
	}
	if err != nil {
		u.formAgain(w, r, a, in, p, d, up.ID, up.Revision, err)
		return
	}
	text := fmt.Sprintf("Saved update %d as a new revision.", up.ID)
	if up.Status == incident.UpdateApproved {
		text += " Its approval no longer holds: a second person approves it again."
	}
	u.setFlash(w, uiFlash{Kind: "wait", Text: text})
	redirect(w, r, updatePath(in.ID(), up.ID))
}

// handleUpdateAction approves (and publishes), rejects, publishes or
// withdraws an update, then shows it with what happened.
func (u *ui) handleUpdateAction(w http.ResponseWriter, r *http.Request, a incident.Actor) {
	in, ok := u.incidentOf(w, r, a)
	if !ok {
		return
	}
	if err := parseForm(w, r); err != nil {
		u.fail(w, r, nil, err)
		return
	}
	up, err := u.loadUpdate(r, a, in)
	if err != nil {
		u.fail(w, r, u.statusPage(a, in, "Status update"), err)
		return
	}
	ctx := r.Context()
	note := r.PostFormValue("note")
	rev, _ := strconv.Atoi(r.PostFormValue("revision"))
	var f uiFlash
	var done *incident.StatusUpdate
	switch r.PathValue("action") {
	case "approve", "approve-publish":
		publish := r.PathValue("action") == "approve-publish"
		done, err = u.s.svc.ApproveStatusUpdate(ctx, a, up.ID, incident.StatusApproval{Note: note, Revision: rev, Publish: publish})
		f = uiFlash{Kind: "ok", Text: fmt.Sprintf("Approved update %d. Anyone holding %s may publish it now.", up.ID,
			rolesText(incident.ActionStatusPublish))}
		if publish {
			f.Text = fmt.Sprintf("Approved and published update %d: it is on the status pages of %s.", up.ID, strings.Join(up.Audiences, ", "))
		}
	case "reject":
		done, err = u.s.svc.RejectStatusUpdate(ctx, a, up.ID, note)
		f = uiFlash{Kind: "ok", Text: fmt.Sprintf("Sent update %d back to its writers.", up.ID)}
	case "publish":
		done, err = u.s.svc.PublishStatusUpdate(ctx, a, up.ID)
		f = uiFlash{Kind: "ok", Text: fmt.Sprintf("Published update %d: it is on the status pages of %s.", up.ID, strings.Join(up.Audiences, ", "))}
	case "withdraw":
		done, err = u.s.svc.WithdrawStatusUpdate(ctx, a, up.ID, note)
		f = uiFlash{Kind: "ok", Text: fmt.Sprintf("Withdrew update %d.", up.ID)}
	default:
		err = phasegate.Errorf(phasegate.ENOTFOUND, "no action %q: use approve, approve-publish, reject, publish or withdraw", r.PathValue("action"))
	}
	if err == nil && !done.PublishedAt.IsZero() {
		u.s.refreshAfterPublishing(ctx)
	}
	u.decided(w, r, updatePath(in.ID(), up.ID), f, err)
}

// statusEvent says a status update's event in words.
func statusEvent(e incident.Event) uiEvent {
	var p struct {
		Revision     int      `json:"revision"`
		Note         string   `json:"note"`
		Audiences    []string `json:"audiences"`
		Cleared      string   `json:"approval_cleared"`
		SupersededBy int64    `json:"superseded_by"`
		WasPublic    bool     `json:"was_public"`
	}
	json.Unmarshal(e.Payload, &p)
	v := uiEvent{Seq: e.Seq, At: e.At, Actor: e.Actor, Type: e.Type, Detail: p.Note}
	switch e.Type {
	case incident.EventStatusDrafted:
		v.Before = fmt.Sprintf("drafted revision %d", p.Revision)
	case incident.EventStatusEdited:
		v.Before = fmt.Sprintf("wrote revision %d", p.Revision)
		if p.Cleared != "" {
			v.Before += ", so " + p.Cleared + "'s approval no longer holds"
		}
	case incident.EventStatusApproved:
		v.Before = fmt.Sprintf("approved revision %d", p.Revision)
	case incident.EventStatusRejected:
		v.Before = fmt.Sprintf("sent revision %d back", p.Revision)
	case incident.EventStatusPublished:
		v.Before = fmt.Sprintf("published revision %d to %s", p.Revision, strings.Join(p.Audiences, ", "))
	case incident.EventStatusSuperseded:
		v.Before = fmt.Sprintf("published its correction, update %d", p.SupersededBy)
	case incident.EventStatusWithdrawn:
		v.Before = "withdrew it"
		if p.WasPublic {
			v.Before += " from the public pages"
		}
	default:
		v.Before = e.Type
	}
	return v
}
