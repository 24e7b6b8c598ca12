package server

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/phasegate/phasegate/forecast"
	"github.com/phasegate/phasegate/incident"
)

// Counting a backlog from its page (backlog.record): a person who counted
// what is really outstanding — the unpaid invoices in the finance system,
// the vehicles waiting for registration — records it, and the page's
// figures start from it (forecast.BacklogOptions.Readings).

// readingsByBacklog gives an incident's counts to the forecast, by
// backlog.
func readingsByBacklog(rs []incident.BacklogReading) map[string][]forecast.BacklogReading {
	if len(rs) == 0 {
		return nil
	}
	out := make(map[string][]forecast.BacklogReading)
	for _, r := range rs {
		out[r.Backlog] = append(out[r.Backlog], forecast.BacklogReading{At: r.At, Remaining: r.Remaining, ServiceBack: r.ServiceBack})
	}
	return out
}

// CanCountBacklogs: the backlogs page offers the count form.
func (p *uiPage) CanCountBacklogs() bool {
	return p.Incident != nil && p.Incident.Open() && p.Actor.Can(incident.ActionBacklogRecord, nil)
}

// parseCount reads a count as people write it: "11200", "11,200",
// "11 200".
func parseCount(s string) (float64, error) {
	clean := strings.NewReplacer(",", "", " ", "", "\u00a0", "", "_", "").Replace(strings.TrimSpace(s))
	v, err := strconv.ParseFloat(clean, 64)
	if err != nil || clean == "" {
		return 0, invalidRequest(http.StatusBadRequest,
			"The count was not recorded: %q is not a number; give how many are outstanding, e.g. 11200", s)
	}
	return v, nil
}

// handleBacklogCountForm records a count and returns to the backlog on
// its page, with what was recorded or what was wrong.
func (u *ui) handleBacklogCountForm(w http.ResponseWriter, r *http.Request, a incident.Actor) {
	id, ok := u.incidentForm(w, r)
	if !ok {
		return
	}
	if err := a.Authorize(incident.ActionBacklogRecord, nil); err != nil {
		u.fail(w, r, nil, err)
		return
	}
	backlog := strings.TrimSpace(r.PostFormValue("backlog"))
	back := fmt.Sprintf("/incidents/%d/backlogs#backlog-%s", id, backlog)
	remaining, err := parseCount(r.PostFormValue("remaining"))
	if err != nil {
		u.decided(w, r, back, uiFlash{}, err)
		return
	}
	at, err := parsePastTime(r.PostFormValue("at"), u.clock(), "The count was not recorded: when it was counted", "when the count was taken")
	if err != nil {
		u.decided(w, r, back, uiFlash{}, err)
		return
	}
	nr := incident.NewBacklogReading{Backlog: backlog, Remaining: remaining, At: at, Note: strings.TrimSpace(r.PostFormValue("note"))}
	switch r.PostFormValue("service_back") {
	case "yes":
		yes := true
		nr.ServiceBack = &yes
	case "no":
		no := false
		nr.ServiceBack = &no
	}
	rd, err := u.s.svc.RecordBacklogReading(r.Context(), a, id, nr)
	var f uiFlash
	if err == nil {
		state := "its service down"
		if rd.ServiceBack {
			state = "its service back"
		}
		f = uiFlash{Kind: "ok", Text: fmt.Sprintf("Recorded: %s outstanding in %s on %s, %s. The figures below start from it.",
			fmtFloat(rd.Remaining), rd.Backlog, fmtWhen(rd.At), state)}
	}
	u.decided(w, r, back, f, err)
}
