package server

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/incident"
	"github.com/phasegate/phasegate/planner"
)

// historyLimit caps the events a system page lists; the event log has
// the rest.
const historyLimit = 100

// move is one transition offered on a system page.
type move struct {
	To        incident.State
	Why       string
	TwoPerson bool
	Danger    bool
	// Forward: a step along the recovery (isolated → … → online), drawn
	// as the main action; steps back are drawn plainly.
	Forward bool
	// Refused lists what the guards would say now; the button stays, so
	// the refusal and its reasons can be seen.
	Refused []string
}

// deniedMove is a move the state machine allows but the viewer's roles do
// not: listed so they know whom to ask.
type deniedMove struct {
	To    incident.State
	Roles string
}

type linkRow struct {
	ID, Name string
	State    incident.State
	Up       bool
}

type systemData struct {
	ID         int64
	Open       bool
	Sys        *estate.System
	View       incident.SystemView
	TwoPerson  bool
	Required   int
	Approvers  string
	Moves      []move
	Denied     []deniedMove
	Reason     string
	Checklist  []incident.ChecklistItem
	CanTick    bool
	Approvals  []uiApproval
	Requires   []linkRow
	Dependents []linkRow
	Services   []option
	// Pending is the system's open approval request, if any.
	Pending *uiApproval
	Plan    *planner.SystemPlan
	History []uiEvent
	More    bool
	// Focus is the id of the element the error is about.
	Focus string
}

func (u *ui) handleSystemPage(w http.ResponseWriter, r *http.Request, a incident.Actor) {
	u.showSystem(w, r, a, http.StatusOK, nil, "")
}

// showSystem renders a system page, with an error (a guard's refusal)
// and the reason the user had typed, when a form failed.
func (u *ui) showSystem(w http.ResponseWriter, r *http.Request, a incident.Actor, status int, formErr error, reason string) {
	in, ok := u.incidentOf(w, r, a)
	if !ok {
		return
	}
	sysID := r.PathValue("system")
	p := u.page(a, in, "systems", sysID)
	det, err := u.s.svc.System(r.Context(), a, in.ID(), sysID)
	if err != nil {
		u.fail(w, r, p, err)
		return
	}
	sys := in.ix.Systems[sysID]
	if sys == nil {
		u.fail(w, r, p, phasegate.Errorf(phasegate.ENOTFOUND, "system %q is not in estate version %d", sysID, in.view.EstateVersion))
		return
	}
	p.Title = cmp.Or(sys.Name, sys.ID)
	d := systemData{ID: in.ID(), Open: in.view.Open(), Sys: sys, View: det.SystemView, TwoPerson: sys.NeedsTwoPersons(),
		Required: max(1, in.view.RequiredApprovals), Approvers: rolesText(incident.ActionApprovalDecide),
		Checklist: det.Checklist, Reason: reason,
		CanTick: in.view.Open() && a.Can(incident.ActionChecklistTick, sys)}
	u.systemMoves(&d, a, in, sys, det)
	for _, ap := range slices.Backward(det.Approvals) {
		d.Approvals = append(d.Approvals, u.approvalView(a, in, ap, sysURL(in.ID(), sysID)))
		if ap.Status == incident.ApprovalPending && d.Pending == nil {
			d.Pending = &d.Approvals[len(d.Approvals)-1]
		}
	}
	// A move already asked for waits for its approval: offered again, it
	// would only replace the request.
	if d.Pending != nil {
		d.Moves = slices.DeleteFunc(d.Moves, func(m move) bool { return m.To == d.Pending.To })
	}
	i := in.ix.SystemAt[sysID]
	link := func(j int) linkRow {
		s := &in.est.Systems[j]
		row := linkRow{ID: s.ID, Name: cmp.Or(s.Name, s.ID)}
		if sv := in.byID[s.ID]; sv != nil {
			row.State = sv.State
			row.Up = sv.State == incident.StateOnline || sv.State == incident.StateRunning
		}
		return row
	}
	for _, j := range in.ix.Requires[i] {
		d.Requires = append(d.Requires, link(j))
	}
	for _, j := range in.ix.Dependents[i] {
		d.Dependents = append(d.Dependents, link(j))
	}
	for _, j := range in.ix.ServicesOf[i] {
		s := in.est.Services[j]
		d.Services = append(d.Services, option{s.ID, cmp.Or(s.Name, s.ID)})
	}
	if lp, err := u.livePlan(r, a, in); err == nil {
		if sp := lp.bySys[sysID]; sp != nil {
			d.Plan = sp
		}
	}
	var hist []incident.Event
	err = u.scanEvents(r, a, in.ID(), func(e incident.Event) bool {
		if eventMentions(e, sysID) {
			hist = append(hist, e)
			if len(hist) > historyLimit {
				hist, d.More = hist[1:], true
			}
		}
		return true
	})
	if err != nil {
		u.fail(w, r, p, err)
		return
	}
	for _, e := range slices.Backward(hist) {
		d.History = append(d.History, describeEvent(e))
	}
	if formErr != nil {
		p.Error = uiErrorOf(formErr)
		if info := requestInfoFrom(r.Context()); info != nil {
			info.errCode = p.Error.Code
		}
	}
	p.Data = d
	u.render(w, r, status, "system", p)
}

// systemMoves lists the moves the viewer may make now, each with what the
// guards would say, and the moves only other roles may make.
func (u *ui) systemMoves(d *systemData, a incident.Actor, in *uiIncident, sys *estate.System, det *incident.SystemDetail) {
	if !in.view.Open() || det.Removed {
		return
	}
	var states map[string]incident.State
	for _, to := range det.Next {
		e := incident.FindEdge(det.State, to)
		if e == nil {
			continue
		}
		if !a.Can(e.Action, sys) {
			d.Denied = append(d.Denied, deniedMove{To: to, Roles: rolesText(e.Action)})
			continue
		}
		m := move{To: to, Why: e.Why, TwoPerson: incident.NeedsApproval(sys, det.State, to), Danger: to == incident.StateCompromised,
			Forward: to != incident.StateCompromised && slices.Index(incident.States, to) > slices.Index(incident.States, det.State)}
		g := incident.GuardInput{System: sys, From: det.State, To: to, Checklist: det.Checklist}
		if to == incident.StateRestoring {
			if states == nil {
				states = make(map[string]incident.State, len(in.view.Systems))
				for _, s := range in.view.Systems {
					states[s.SystemID] = s.State
				}
			}
			g.States = states
		}
		var refusal *phasegate.Error
		if err := incident.CheckTransition(g); errors.As(err, &refusal) {
			m.Refused = refusal.Reasons
			if len(m.Refused) == 0 {
				m.Refused = []string{refusal.Message}
			}
		}
		d.Moves = append(d.Moves, m)
	}
}

// systemForm reads a form posted from the system page and the incident
// id of its path; when it cannot, it has answered and ok is false.
func (u *ui) systemForm(w http.ResponseWriter, r *http.Request, a incident.Actor) (id int64, ok bool) {
	if err := parseForm(w, r); err != nil {
		u.showSystem(w, r, a, errorStatus(err), err, "")
		return 0, false
	}
	id, err := pathInt(r, "id", "incident id")
	if err != nil {
		u.fail(w, r, nil, err)
		return 0, false
	}
	return id, true
}

// handleTransitionForm moves a system (POST from the system page).
func (u *ui) handleTransitionForm(w http.ResponseWriter, r *http.Request, a incident.Actor) {
	id, ok := u.systemForm(w, r, a)
	if !ok {
		return
	}
	sysID := r.PathValue("system")
	to := incident.State(r.PostFormValue("to"))
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	var err error
	switch {
	case !to.Valid():
		err = invalidRequest(http.StatusBadRequest, "choose the state to move to with one of the buttons")
	case reason == "":
		err = invalidRequest(http.StatusBadRequest, "give a reason: every move is recorded with why")
	}
	if err != nil {
		u.showSystem(w, r, a, errorStatus(err), err, reason)
		return
	}
	res, err := u.s.svc.Transition(r.Context(), a, id, sysID, to, reason)
	if err != nil {
		// 409: the guards' reasons, listed on the page, the reason kept.
		u.showSystem(w, r, a, errorStatus(err), err, reason)
		return
	}
	back := sysURL(id, sysID)
	if !res.Done && res.Approval != nil {
		ap := res.Approval
		u.setFlash(w, uiFlash{Kind: "wait", Text: fmt.Sprintf(
			"Waiting for a second person's approval: request %d asks to move %s from %s to %s. "+
				"Someone else holding %s must approve it; you cannot approve your own request.",
			ap.ID, sysID, ap.From, ap.To, rolesText(incident.ActionApprovalDecide))})
		redirect(w, r, back+fmt.Sprintf("#approval-%d", ap.ID))
		return
	}
	u.setFlash(w, uiFlash{Kind: "ok", Text: fmt.Sprintf("%s is now %s.", sysID, res.System.State)})
	redirect(w, r, back)
}

// handleTickForm ticks or unticks a checklist item (POST from the
// system page).
func (u *ui) handleTickForm(w http.ResponseWriter, r *http.Request, a incident.Actor) {
	id, ok := u.systemForm(w, r, a)
	if !ok {
		return
	}
	sysID := r.PathValue("system")
	t := incident.Tick{Item: r.PostFormValue("item"), Done: r.PostFormValue("done") == "true",
		Note: strings.TrimSpace(r.PostFormValue("note")), Evidence: strings.TrimSpace(r.PostFormValue("evidence"))}
	if err := checkTick(&t); err != nil {
		u.showSystem(w, r, a, errorStatus(err), err, "")
		return
	}
	item, err := u.s.svc.TickChecklist(r.Context(), a, id, sysID, t)
	if err != nil {
		u.showSystem(w, r, a, errorStatus(err), err, "")
		return
	}
	verb := "Ticked"
	if !item.Done {
		verb = "Unticked"
	}
	u.setFlash(w, uiFlash{Kind: "ok", Text: fmt.Sprintf("%s “%s” on %s.", verb, item.Text, sysID)})
	redirect(w, r, sysURL(id, sysID)+"#check-"+item.Key)
}
