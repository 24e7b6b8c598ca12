package server

import (
	"cmp"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/phasegate/phasegate/incident"
)

// systemsPerPage is how many rows the systems list shows at once.
const systemsPerPage = 100

type systemRow struct {
	ID, Name      string
	State         incident.State
	Kind, Team    string
	Criticality   int
	TwoPerson     bool
	Done, Total   int
	Pending       int64
	Back          time.Time
	BackKnown     bool
	Why           string
	CriticalPath  bool
	StateSince    time.Time
	Removed       bool
	ChecklistDone bool
}

type pager struct {
	Prev, Next           string
	PrevLabel, NextLabel string
	Where                string
}

type systemsData struct {
	ID                int64
	State, Team, Kind string
	Search            string
	States            []option
	Teams, Kinds      []option
	Rows              []systemRow
	Matched, Total    int
	Pager             pager
	Filtered          bool
	// ToVerify counts the verifying systems with checks; CanVerifyAll:
	// the actor may run them all (system.verify on every system).
	ToVerify     int
	CanVerifyAll bool
}

func (u *ui) handleSystems(w http.ResponseWriter, r *http.Request, a incident.Actor) {
	in, ok := u.incidentOf(w, r, a)
	if !ok {
		return
	}
	p := u.page(a, in, "systems", "Systems")
	q := r.URL.Query()
	d := systemsData{ID: in.ID(), State: q.Get("state"), Team: q.Get("team"), Kind: q.Get("kind"),
		Search: strings.TrimSpace(q.Get("q")), Total: len(in.view.Systems)}
	d.Filtered = d.State != "" || d.Team != "" || d.Kind != "" || d.Search != ""
	for i := range in.est.Systems {
		if sv := in.byID[in.est.Systems[i].ID]; sv != nil && sv.State == incident.StateVerifying && len(in.est.Systems[i].Verify) > 0 {
			d.ToVerify++
		}
	}
	d.CanVerifyAll = in.view.Open() && a.Can(incident.ActionVerify, nil)
	d.Teams, d.Kinds, _ = planOptions(in.est)
	for _, st := range incident.States {
		d.States = append(d.States, option{string(st), fmt.Sprintf("%s (%d)", st, in.view.Counts[st])})
	}
	// The live plan says when each system is due back and why then; the
	// list works without it.
	lp, err := u.livePlan(r, a, in)
	if err != nil {
		lp = nil
	}
	search := strings.ToLower(d.Search)
	var rows []systemRow
	// Estate order: the order the people who wrote the estate chose.
	for _, sys := range in.est.Systems {
		sv := in.byID[sys.ID]
		if sv == nil {
			continue
		}
		if d.State != "" && string(sv.State) != d.State || d.Team != "" && sys.Team != d.Team ||
			d.Kind != "" && string(sys.Kind) != d.Kind ||
			search != "" && !strings.Contains(strings.ToLower(sys.ID), search) && !strings.Contains(strings.ToLower(sys.Name), search) {
			continue
		}
		row := systemRow{ID: sys.ID, Name: cmp.Or(sys.Name, sys.ID), State: sv.State, Kind: string(sys.Kind), Team: sys.Team,
			Criticality: sys.Criticality, TwoPerson: sys.NeedsTwoPersons(), Done: sv.ChecklistDone, Total: sv.ChecklistTotal,
			Pending: sv.PendingApproval, StateSince: sv.Since, Removed: sv.Removed}
		if lp != nil {
			if sp := lp.bySys[sys.ID]; sp != nil && sp.Wait.Reason != "done" {
				row.Back, row.BackKnown, row.Why, row.CriticalPath = sp.RestoreEnd, true, whyDated(*sp, u.clock()), sp.Critical
			}
		}
		rows = append(rows, row)
	}
	d.Matched = len(rows)
	page := 1
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 1 {
		page = n
	}
	pages := max(1, (len(rows)+systemsPerPage-1)/systemsPerPage)
	page = min(page, pages)
	lo, hi := (page-1)*systemsPerPage, min(page*systemsPerPage, len(rows))
	d.Rows = rows[lo:hi]
	base := fmt.Sprintf("/incidents/%d/systems", in.ID())
	link := func(n int) string {
		return withQuery(base, "state", d.State, "team", d.Team, "kind", d.Kind, "q", d.Search, "page", strconv.Itoa(n))
	}
	if pages > 1 {
		d.Pager.Where = fmt.Sprintf("Systems %s–%s of %s (page %d of %d)", fmtNum(lo+1), fmtNum(hi), fmtNum(len(rows)), page, pages)
		if page > 1 {
			d.Pager.Prev, d.Pager.PrevLabel = link(page-1), "Previous"
		}
		if page < pages {
			d.Pager.Next, d.Pager.NextLabel = link(page+1), fmt.Sprintf("Next %d", min(systemsPerPage, len(rows)-hi))
		}
	}
	p.Data = d
	u.render(w, r, http.StatusOK, "systems", p)
}

// handleVerifyAllForm runs the checks of every verifying system with
// checks (POST from the systems page) and goes back to the verifying
// systems saying what they found.
func (u *ui) handleVerifyAllForm(w http.ResponseWriter, r *http.Request, a incident.Actor) {
	in, ok := u.incidentOf(w, r, a)
	if !ok {
		return
	}
	back := fmt.Sprintf("/incidents/%d/systems?state=verifying", in.ID())
	if err := parseForm(w, r); err != nil {
		u.fail(w, r, u.page(a, in, "systems", "Systems"), err)
		return
	}
	res, err := u.s.svc.VerifyAll(r.Context(), a, in.ID())
	if err != nil {
		u.fail(w, r, u.page(a, in, "systems", "Systems"), err)
		return
	}
	u.setFlash(w, verifyAllFlash(res))
	redirect(w, r, back)
}

// verifyAllFlash says what a run of every verifying system's checks found.
func verifyAllFlash(res *incident.VerifyAllResult) uiFlash {
	var failed []string
	for _, run := range res.Runs {
		for _, f := range failedChecks(run.Results) {
			failed = append(failed, run.SystemID+": "+f)
		}
	}
	text := fmt.Sprintf("Ran the checks of %d verifying %s: %d passed, %d failed.", len(res.Runs),
		plural(len(res.Runs), "system", "systems"), res.Passed, res.Failed)
	if len(res.Runs) == 0 {
		text = "No verifying system has checks to run."
	}
	if len(res.ByHand) > 0 {
		text += fmt.Sprintf(" Verified by hand (no checks in the estate): %s.", strings.Join(res.ByHand, ", "))
	}
	kind := "ok"
	if res.Failed > 0 {
		kind = "error"
		text += " Those that failed cannot go online until their checks pass:"
	}
	return uiFlash{Kind: kind, Text: text, Items: failed}
}
