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
	TickClosed string // why one who may tick cannot now (incident.CheckTickable)
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
	// Verify is the verify checks section (nil: the estate gives the
	// system no checks); ByHand: no checks, and it is verifying, so the
	// page says it is verified by hand.
	Verify *verifySection
	ByHand bool
}

// verifySection is what the system page shows of the system's verify
// checks (docs/adr/0010-verify-checks.md): each check in words with what
// the run that counts for going online found, a later run that did not
// count, and the button, for those who may run them.
type verifySection struct {
	Checks []verifyCheck
	// Run is the run that counts: made while verifying, the system not
	// moving meanwhile. Nil: none since the system entered verifying.
	Run *incident.CheckRun
	// Later is a run made since the system last moved that did not count
	// (run while online, or the system moved while it ran), read from its
	// event; nil when there is none.
	Later *incident.CheckRun
	// LaterFailed lists Later's failed checks, each with what it found.
	LaterFailed []string
	State       incident.State
	// Runnable: the system is verifying or online, when checks run; Can:
	// and the viewer may run them (else Roles says who may).
	Runnable bool
	Can      bool
	Roles    string
	// Longest is the longest check's timeout in seconds: a run takes at
	// most that long.
	Longest int
}

// verifyCheck is one check in words and what the counting run found.
type verifyCheck struct {
	Text string
	// Result is nil when the run did not make this check (the estate
	// changed since) or there is no run.
	Result *incident.CheckResult
}

// checkText is a check in words, with how long it may take.
func checkText(c estate.Check) string {
	t := c.TimeoutSeconds
	if t == 0 {
		t = estate.DefaultCheckTimeout
	}
	return fmt.Sprintf("%s, within %d s", c, t)
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
	if err := incident.CheckTickable(sys.ID, det.State); d.CanTick && err != nil {
		d.CanTick, d.TickClosed = false, phasegate.ErrorMessage(err)+"."
	}
	u.systemMoves(&d, a, in, sys, det)
	d.Verify, d.ByHand = verifyOf(a, in, sys, det), len(det.Verify) == 0 && det.State == incident.StateVerifying
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
	var lastRun *incident.CheckRun // the newest run since the system last moved
	err = u.scanEvents(r, a, in.ID(), func(e incident.Event) bool {
		if eventMentions(e, sysID) {
			hist = append(hist, e)
			if run, ok := checkRunOf(e); ok && run.Seq > det.LastSeq {
				lastRun = &run
			}
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
	if v := d.Verify; v != nil && lastRun != nil && !lastRun.Counts && (v.Run == nil || lastRun.Seq > v.Run.Seq) {
		v.Later, v.LaterFailed = lastRun, failedChecks(lastRun.Results)
	}
	if formErr != nil {
		p.Error = uiErrorOf(formErr)
	}
	p.Data = d
	u.render(w, r, status, "system", p)
}

// verifyOf is the verify checks section of a system with checks (nil
// without): the checks and the run that counts, and whether the viewer
// may run them now.
func verifyOf(a incident.Actor, in *uiIncident, sys *estate.System, det *incident.SystemDetail) *verifySection {
	if len(det.Verify) == 0 {
		return nil
	}
	v := &verifySection{Run: det.LastCheck, State: det.State, Roles: rolesText(incident.ActionVerify),
		Runnable: in.view.Open() && !det.Removed && (det.State == incident.StateVerifying || det.State == incident.StateOnline)}
	v.Can = v.Runnable && a.Can(incident.ActionVerify, sys)
	for _, c := range det.Verify {
		vc := verifyCheck{Text: checkText(c)}
		if v.Run != nil {
			for i, r := range v.Run.Results {
				if r.Check == c.String() {
					vc.Result = &v.Run.Results[i]
					break
				}
			}
		}
		v.Checks = append(v.Checks, vc)
		v.Longest = max(v.Longest, cmp.Or(c.TimeoutSeconds, estate.DefaultCheckTimeout))
	}
	return v
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
		g := incident.GuardInput{System: sys, From: det.State, To: to, Checklist: det.Checklist, LastCheck: det.LastCheck}
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
	err := checkTick(&t)
	if done := r.PostFormValue("done"); err == nil && done != "true" && done != "false" {
		err = errNoDone // the page's forms always send it
	}
	if err != nil {
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

// handleVerifyForm runs the system's verify checks now (POST from the
// system page) and goes back to the page saying whether they passed. The
// answer waits for the checks: at most the longest check's timeout.
func (u *ui) handleVerifyForm(w http.ResponseWriter, r *http.Request, a incident.Actor) {
	id, ok := u.systemForm(w, r, a)
	if !ok {
		return
	}
	sysID := r.PathValue("system")
	run, err := u.s.svc.VerifySystem(r.Context(), a, id, sysID)
	if err != nil {
		// 403, or 409 (no checks, or not verifying or online): the page
		// again with the service's words.
		u.showSystem(w, r, a, errorStatus(err), err, "")
		return
	}
	// The run's state tells a run that does not count from one that does.
	u.setFlash(w, verifyFlash(sysID, run))
	redirect(w, r, sysURL(id, sysID)+"#verify")
}

// verifyFlash says what a run of the checks found, and what it means
// for the system, by the state it was in when the run was recorded.
func verifyFlash(sysID string, run *incident.CheckRun) uiFlash {
	state := run.State
	n := len(run.Results)
	what := fmt.Sprintf("The %d checks of %s", n, sysID)
	if n == 1 {
		what = "The check of " + sysID
	}
	failed := failedChecks(run.Results)
	if !run.Passed && len(failed) < n {
		what = fmt.Sprintf("%d of the %d checks of %s", len(failed), n, sysID)
	}
	switch {
	case run.Passed && run.Counts:
		return uiFlash{Kind: "ok", Text: what + " passed: it may now move to online."}
	case run.Passed && state == incident.StateOnline:
		return uiFlash{Kind: "ok", Text: fmt.Sprintf("%s passed. %s is online: the run is on the record and changes nothing.", what, sysID)}
	case run.Passed:
		return uiFlash{Kind: "wait", Text: fmt.Sprintf("%s passed, but %s; run them again.", what, notCounting(sysID, state))}
	case run.Counts:
		return uiFlash{Kind: "error", Items: failed, Text: what + " failed: it cannot go online until they pass. Fix what they found, then run them again."}
	case state == incident.StateOnline:
		return uiFlash{Kind: "error", Items: failed, Text: fmt.Sprintf(
			"%s failed while it is online. It stays online: if it is not working, re-isolate it (or mark it compromised if the attacker is back).", what)}
	}
	return uiFlash{Kind: "error", Items: failed, Text: fmt.Sprintf("%s failed, and %s.", what, notCounting(sysID, state))}
}

// notCounting says why a run made while not verifying, or while the
// system moved, does not count for going online.
func notCounting(sysID string, state incident.State) string {
	switch state {
	case "":
		return "this run does not count for going online"
	case incident.StateVerifying:
		return fmt.Sprintf("%s moved while they ran, so this run does not count for going online", sysID)
	}
	return fmt.Sprintf("%s moved while they ran (it is %s now), so this run does not count for going online", sysID, state)
}
