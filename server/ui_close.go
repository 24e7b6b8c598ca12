package server

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/phasegate/phasegate/incident"
)

// Closing an incident from its overview (incident.update). Closing is
// permanent and cancels the pending approvals, so the form says so, says
// how many systems are not back, and needs a reason and a ticked "I
// understand": a confirmation that works without JavaScript.

// closeAnchor is the close form's place on the overview.
const closeAnchor = "#close"

// CanCloseIncident: the overview offers the close form.
func (p *uiPage) CanCloseIncident() bool {
	return p.Incident != nil && p.Incident.Open() && p.Actor.Can(incident.ActionIncidentUpdate, nil)
}

// NotBack counts the systems that are down because of the incident:
// neither untouched (running) nor back (online), as the service counts
// them when it closes.
func (d overviewData) NotBack() int {
	n := 0
	for _, c := range d.Counts {
		if c.State != incident.StateRunning && c.State != incident.StateOnline {
			n += c.N
		}
	}
	return n
}

// NotBackStates says the systems not back by state ("3 isolated, 1
// restoring").
func (d overviewData) NotBackStates() string {
	var out []string
	for _, c := range d.Counts {
		if c.State != incident.StateRunning && c.State != incident.StateOnline {
			out = append(out, fmt.Sprintf("%d %s", c.N, c.State))
		}
	}
	return strings.Join(out, ", ")
}

// handleCloseForm closes the incident: back to its overview, closed, or
// with what is missing (the reason, the tick) and nothing changed.
func (u *ui) handleCloseForm(w http.ResponseWriter, r *http.Request, a incident.Actor) {
	id, ok := u.incidentForm(w, r)
	if !ok {
		return
	}
	if err := a.Authorize(incident.ActionIncidentUpdate, nil); err != nil {
		u.fail(w, r, nil, err)
		return
	}
	back := incidentPath(id)
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	switch {
	case reason == "":
		u.decided(w, r, back+closeAnchor, uiFlash{}, invalidRequest(http.StatusBadRequest,
			"The incident is still open: give a reason to close it (what was recovered, or why it ends here); it goes in the record."))
		return
	case r.PostFormValue("confirm") != "yes":
		u.decided(w, r, back+closeAnchor, uiFlash{}, invalidRequest(http.StatusBadRequest,
			"The incident is still open: tick \"I understand that closing is permanent\" to close it."))
		return
	}
	view, err := u.s.svc.Incident(r.Context(), a, id)
	if err != nil {
		u.fail(w, r, nil, err)
		return
	}
	notBack, pending := 0, view.PendingApprovals
	for st, n := range view.Counts {
		if st != incident.StateRunning && st != incident.StateOnline {
			notBack += n
		}
	}
	in, err := u.s.svc.CloseIncident(r.Context(), a, id, reason)
	var f uiFlash
	if err == nil {
		f = uiFlash{Kind: "ok", Text: fmt.Sprintf("Closed incident %d %q. %d %s not back; %d pending %s cancelled. Nothing more can be changed in it.",
			in.ID, in.Name, notBack, plural(notBack, "system was", "systems were"), pending, plural(pending, "approval was", "approvals were"))}
	}
	u.decided(w, r, back, f, err)
}
