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

// eventsPerPage is how many events the log shows at once.
const eventsPerPage = 50

type eventsData struct {
	ID                          int64
	Type, Actor, System, Search string
	All                         bool
	CanAll                      bool
	Types, Actors               []option
	Events                      []uiEvent
	Matched                     int
	Pager                       pager
	Filtered                    bool
	// Audit is the chain's verification, for those who may audit.
	CanAudit bool
	Audit    *incident.VerifyReport
	Auditors string
}

func (u *ui) handleEventsPage(w http.ResponseWriter, r *http.Request, a incident.Actor) {
	in, ok := u.incidentOf(w, r, a)
	if !ok {
		return
	}
	p := u.page(a, in, "events", "Event log")
	q := r.URL.Query()
	d := eventsData{ID: in.ID(), Type: q.Get("type"), Actor: strings.TrimSpace(q.Get("actor")),
		System: strings.TrimSpace(q.Get("system")), Search: strings.TrimSpace(q.Get("q")),
		CanAudit: a.Can(incident.ActionAuditExport, nil), Auditors: rolesText(incident.ActionAuditExport)}
	// The whole log (logins, accounts, other incidents) only for those
	// the event stream shows it to.
	d.CanAll = d.CanAudit || a.Can(incident.ActionUsersManage, nil)
	d.All = d.CanAll && q.Get("scope") == "all"
	d.Filtered = d.Type != "" || d.Actor != "" || d.System != "" || d.Search != ""
	if d.CanAudit {
		rep, err := u.s.svc.VerifyAudit(r.Context(), a)
		if err != nil {
			u.fail(w, r, p, err)
			return
		}
		d.Audit = rep
	}
	scope := in.ID()
	if d.All {
		scope = 0
	}
	types, actors := map[string]int{}, map[string]int{}
	search := strings.ToLower(d.Search)
	var matched []uiEvent
	err := u.scanEvents(r, a, scope, func(e incident.Event) bool {
		if !a.MaySee(e) {
			return true
		}
		types[e.Type]++
		actors[e.Actor]++
		if d.Type != "" && e.Type != d.Type || d.Actor != "" && !strings.EqualFold(e.Actor, d.Actor) ||
			d.System != "" && !eventMentions(e, d.System) {
			return true
		}
		ev := describeEvent(e)
		if search != "" && !strings.Contains(strings.ToLower(ev.Actor+" "+ev.Before+" "+ev.System+" "+ev.After+" "+ev.Detail+" "+e.Type+" "+e.Subject), search) {
			return true
		}
		matched = append(matched, ev)
		return true
	})
	if err != nil {
		u.fail(w, r, p, err)
		return
	}
	slices.Reverse(matched)
	d.Types, d.Actors = countOptions(types), countOptions(actors)
	d.Matched = len(matched)
	page := 1
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 1 {
		page = n
	} else if seq, err := strconv.ParseInt(q.Get("event"), 10, 64); err == nil {
		// A link to one event (from the ETA history): the page that holds it.
		if i := slices.IndexFunc(matched, func(e uiEvent) bool { return e.Seq == seq }); i >= 0 {
			page = i/eventsPerPage + 1
		}
	}
	pages := max(1, (len(matched)+eventsPerPage-1)/eventsPerPage)
	page = min(page, pages)
	lo, hi := (page-1)*eventsPerPage, min(page*eventsPerPage, len(matched))
	d.Events = matched[lo:hi]
	link := func(n int) string {
		scope := ""
		if d.All {
			scope = "all"
		}
		return withQuery(fmt.Sprintf("/incidents/%d/events", in.ID()), "type", d.Type, "actor", d.Actor, "system", d.System,
			"q", d.Search, "scope", scope, "page", strconv.Itoa(n))
	}
	if pages > 1 {
		d.Pager.Where = fmt.Sprintf("Events %s–%s of %s, newest first (page %d of %d)", fmtNum(lo+1), fmtNum(hi), fmtNum(len(matched)), page, pages)
		if page > 1 {
			d.Pager.Prev, d.Pager.PrevLabel = link(page-1), "Newer"
		}
		if page < pages {
			d.Pager.Next, d.Pager.NextLabel = link(page+1), "Older"
		}
	}
	status := http.StatusOK
	if d.System != "" && in.ix.Systems[d.System] == nil && d.Matched == 0 {
		p.Error = uiErrorOf(phasegate.Errorf(phasegate.ENOTFOUND,
			"no system %q in this incident's estate; give a system's id, as shown under its name on the systems page", d.System))
		status = http.StatusNotFound
	}
	p.Data = d
	u.render(w, r, status, "events", p)
}

// countOptions lists map keys with their counts, by key.
func countOptions(m map[string]int) []option {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]option, 0, len(keys))
	for _, k := range keys {
		out = append(out, option{k, fmt.Sprintf("%s (%d)", k, m[k])})
	}
	return out
}
