package server

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/incident"
)

type approvalsData struct {
	ID       int64
	Status   string
	Statuses []option
	Pending  []uiApproval
	Closed   []uiApproval
	Rule     string
	Required int
	// Lowering: a commander asked to need fewer approvals; it waits for
	// a second incident commander (nil when none).
	Lowering *incident.Lowering
	// CanSet: the actor may change how many approvals a restart needs
	// (incident.update, open incident); Choices are 1 to the maximum.
	CanSet  bool
	Choices []option
}

func (u *ui) handleApprovalsPage(w http.ResponseWriter, r *http.Request, a incident.Actor) {
	in, ok := u.incidentOf(w, r, a)
	if !ok {
		return
	}
	p := u.page(a, in, "approvals", "Approvals")
	status := incident.ApprovalStatus(r.URL.Query().Get("status"))
	d := approvalsData{ID: in.ID(), Status: string(status), Required: max(1, in.view.RequiredApprovals),
		Rule: rolesText(incident.ActionApprovalDecide), Lowering: in.view.Lowering,
		CanSet: in.view.Open() && a.Can(incident.ActionIncidentUpdate, nil)}
	for n := 1; n <= incident.MaxRequiredApprovals; n++ {
		d.Choices = append(d.Choices, option{strconv.Itoa(n), fmt.Sprintf("%d %s", n, plural(n, "person", "people"))})
	}
	for _, s := range []incident.ApprovalStatus{incident.ApprovalPending, incident.ApprovalApproved, incident.ApprovalRejected,
		incident.ApprovalCancelled, incident.ApprovalExpired} {
		d.Statuses = append(d.Statuses, option{string(s), string(s)})
	}
	if status != "" && !slices.ContainsFunc(d.Statuses, func(o option) bool { return o.Value == string(status) }) {
		u.fail(w, r, p, invalidRequest(http.StatusBadRequest,
			"status=%q: use pending, approved, rejected, cancelled or expired", status))
		return
	}
	aps, err := u.s.svc.Approvals(r.Context(), a, incident.ApprovalQuery{IncidentID: in.ID(), Status: status})
	if err != nil {
		u.fail(w, r, p, err)
		return
	}
	back := withQuery(fmt.Sprintf("/incidents/%d/approvals", in.ID()), "status", string(status))
	// Newest first.
	for _, ap := range slices.Backward(aps) {
		v := u.approvalView(a, in, ap, back)
		if ap.Status == incident.ApprovalPending {
			d.Pending = append(d.Pending, v)
		} else {
			d.Closed = append(d.Closed, v)
		}
	}
	p.Data = d
	u.render(w, r, http.StatusOK, "approvals", p)
}

// incidentForm reads the incident id of a form's path and the form; when
// it cannot, it has answered and ok is false.
func (u *ui) incidentForm(w http.ResponseWriter, r *http.Request) (id int64, ok bool) {
	id, err := pathInt(r, "id", "incident id")
	if err == nil {
		err = parseForm(w, r)
	}
	if err != nil {
		u.fail(w, r, nil, err)
		return 0, false
	}
	return id, true
}

// handleDecisionForm approves, rejects or withdraws a request, then
// returns to the page the form was on with what happened.
func (u *ui) handleDecisionForm(w http.ResponseWriter, r *http.Request, a incident.Actor) {
	id, ok := u.incidentForm(w, r)
	if !ok {
		return
	}
	back := localPath(r.PostFormValue("back"), fmt.Sprintf("/incidents/%d/approvals", id))
	apID, err := pathInt(r, "approval", "approval id")
	if err != nil {
		u.fail(w, r, nil, err)
		return
	}
	ctx := r.Context()
	ap, err := u.s.svc.Approval(ctx, a, apID)
	if err == nil && ap.IncidentID != id {
		err = phasegate.Errorf(phasegate.ENOTFOUND, "approval %d belongs to incident %d, not %d", apID, ap.IncidentID, id)
	}
	if err != nil {
		u.fail(w, r, nil, err)
		return
	}
	note := strings.TrimSpace(r.PostFormValue("note"))
	var f uiFlash
	switch r.PathValue("decision") {
	case "approve":
		var d *incident.Decided
		if d, err = u.s.svc.Approve(ctx, a, apID, note); err == nil {
			if d.Done {
				f = uiFlash{Kind: "ok", Text: fmt.Sprintf("Approved request %d: %s moved to %s.", apID, ap.SystemID, ap.To)}
			} else {
				f = uiFlash{Kind: "wait", Text: fmt.Sprintf("Approved request %d (%d of %d approvals): it waits for another person.",
					apID, d.Approval.Approvals(), d.Approval.Required)}
			}
		}
	case "reject":
		if _, err = u.s.svc.Reject(ctx, a, apID, note); err == nil {
			f = uiFlash{Kind: "ok", Text: fmt.Sprintf("Rejected request %d: %s stays %s.", apID, ap.SystemID, ap.From)}
		}
	case "cancel":
		if _, err = u.s.svc.CancelApproval(ctx, a, apID, note); err == nil {
			f = uiFlash{Kind: "ok", Text: fmt.Sprintf("Withdrew request %d.", apID)}
		}
	default:
		err = phasegate.Errorf(phasegate.ENOTFOUND, "no decision %q: use approve, reject or cancel", r.PathValue("decision"))
	}
	u.decided(w, r, back, f, err)
}

// handleRequiredApprovalsForm sets how many approvals a restart needs.
// Raising acts at once; fewer waits for a second incident commander to
// ask for the same number (the service keeps the first request).
func (u *ui) handleRequiredApprovalsForm(w http.ResponseWriter, r *http.Request, a incident.Actor) {
	id, ok := u.incidentForm(w, r)
	if !ok {
		return
	}
	back := fmt.Sprintf("/incidents/%d/approvals", id)
	n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("required")))
	if err != nil {
		u.decided(w, r, back, uiFlash{}, invalidRequest(http.StatusBadRequest,
			"choose how many people approve a restart, 1 to %d", incident.MaxRequiredApprovals))
		return
	}
	in, err := u.s.svc.UpdateIncident(r.Context(), a, id, incident.IncidentUpdate{RequiredApprovals: &n})
	var f uiFlash
	switch {
	case err != nil:
	case in.RequiredApprovals == n:
		f = uiFlash{Kind: "ok", Text: fmt.Sprintf("A restart of a two-person system now needs %d %s.", n, plural(n, "approval", "approvals"))}
	default:
		f = uiFlash{Kind: "wait", Text: fmt.Sprintf("You asked to need %d %s instead of %d. Fewer approvals is a gate taken away: "+
			"it takes effect when another incident commander asks for the same number.", n, plural(n, "approval", "approvals"), in.RequiredApprovals)}
	}
	u.decided(w, r, back, f, err)
}
