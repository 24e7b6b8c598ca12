package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/forecast"
	"github.com/phasegate/phasegate/incident"
	"github.com/phasegate/phasegate/planner"
)

func incidentPath(id int64) string { return fmt.Sprintf("/incidents/%d", id) }

// uiIncident is an incident as the pages need it: every system's state,
// the estate it runs on, and lookups.
type uiIncident struct {
	view *incident.IncidentView
	est  *estate.Estate
	ix   *estate.Index
	byID map[string]*incident.SystemView
}

func (in *uiIncident) ID() int64 { return in.view.ID }

// incidentOf reads the incident named in the path for a page or form;
// when it cannot, it shows the error page and ok is false.
func (u *ui) incidentOf(w http.ResponseWriter, r *http.Request, a incident.Actor) (in *uiIncident, ok bool) {
	in, err := u.loadIncident(r, a)
	if err != nil {
		u.fail(w, r, u.page(a, nil, "", ""), err)
		return nil, false
	}
	return in, true
}

// loadIncident reads the incident named in the path with the state of
// every system and the estate version it runs on.
func (u *ui) loadIncident(r *http.Request, a incident.Actor) (*uiIncident, error) {
	id, err := pathInt(r, "id", "incident id")
	if err != nil {
		return nil, err
	}
	view, err := u.s.svc.Incident(r.Context(), a, id)
	if err != nil {
		return nil, err
	}
	_, est, err := u.s.svc.Estate(r.Context(), a, view.EstateVersion)
	if err != nil {
		return nil, err
	}
	in := &uiIncident{view: view, est: est, ix: est.Index(), byID: make(map[string]*incident.SystemView, len(view.Systems))}
	for i := range view.Systems {
		in.byID[view.Systems[i].SystemID] = &view.Systems[i]
	}
	return in, nil
}

// page starts the page of an incident: the navigation, the pending count
// and the live event stream.
func (u *ui) page(a incident.Actor, in *uiIncident, nav, title string) *uiPage {
	p := &uiPage{Title: title, Actor: a, Nav: nav}
	if in != nil {
		p.Incident = &in.view.Incident
		p.Pending = in.view.PendingApprovals
		p.Live = fmt.Sprintf("/api/v1/events/stream?incident=%d", in.ID())
	}
	return p
}

// stillPage starts a page of an incident that does not refresh itself at
// events: one with a form being typed into, or whose data come after the
// event.
func (u *ui) stillPage(a incident.Actor, in *uiIncident, nav, title string) *uiPage {
	p := u.page(a, in, nav, title)
	p.Live = ""
	return p
}

// isRefresh: the page's own script fetching a fresh copy (it must not
// take a flash message meant for a page the user opens).
func isRefresh(r *http.Request) bool { return r.Header.Get("X-Phasegate-Refresh") != "" }

// ---- the plan and its impact

// uiPlan is the live plan with its impact ledger.
type uiPlan struct {
	// snap is the state the plan was computed from: the live forecast
	// of the same page starts from it too.
	snap   *incident.Snapshot
	plan   *planner.Plan
	ledger *forecast.Ledger
	bySys  map[string]*planner.SystemPlan
}

// livePlan computes the incident's plan from now and what the outage has
// cost so far and will cost in all, shared between pages for the same
// state (planCache).
func (u *ui) livePlan(r *http.Request, a incident.Actor, in *uiIncident) (*uiPlan, error) {
	return u.plans.get(in.ID(), planKey(in), u.clock(), func() (*uiPlan, error) {
		return u.computePlan(r, a, in)
	})
}

// livePlanOrNote is livePlan for a page that can do without the plan: an
// error the user can act on (an estate that cannot be planned) comes back
// as a note for the page; only an internal one is an error.
func (u *ui) livePlanOrNote(r *http.Request, a incident.Actor, in *uiIncident) (*uiPlan, *uiError, error) {
	lp, err := u.livePlan(r, a, in)
	switch {
	case err == nil:
		return lp, nil, nil
	case phasegate.ErrorCode(err) == phasegate.EINTERNAL:
		return nil, nil, err
	}
	return nil, uiErrorOf(err), nil
}

func (u *ui) computePlan(r *http.Request, a incident.Actor, in *uiIncident) (*uiPlan, error) {
	ctx := r.Context()
	// The snapshot first: the plan starts at or after it, so the
	// downtime measured up to it fits the ledger.
	sn, err := u.s.svc.Snapshot(ctx, a, in.ID())
	if err != nil {
		return nil, err
	}
	p, err := u.s.svc.LivePlan(ctx, a, in.ID())
	if err != nil {
		return nil, err
	}
	lp := &uiPlan{snap: sn, plan: p, bySys: make(map[string]*planner.SystemPlan, len(p.Systems))}
	for i := range p.Systems {
		lp.bySys[p.Systems[i].ID] = &p.Systems[i]
	}
	// The ledger is a view of the plan: without it the pages still show
	// the plan, and the log says why.
	down, err := u.s.svc.Downtimes(ctx, a, sn)
	if err != nil {
		u.s.log.Warn("service downtimes of the live plan", "incident", in.ID(), "error", err)
		return lp, nil
	}
	since := sn.Incident.StartedAt.UTC()
	if since.After(p.Start) {
		since = p.Start
	}
	dm := make(map[string]time.Duration, len(down))
	for _, d := range down {
		dm[d.Service] = d.Down
	}
	l, err := forecast.PlanImpact(sn.Estate, p, forecast.ImpactOptions{Since: since, Down: dm})
	if err != nil {
		u.s.log.Warn("impact ledger of the live plan", "incident", in.ID(), "error", err)
		return lp, nil
	}
	lp.ledger = l
	return lp, nil
}

// ---- events in words

// uiEvent is one event of the log, said in a sentence: actor, what was
// done (with the system as a link), and the reason or note.
type uiEvent struct {
	Seq    int64
	At     time.Time
	Actor  string
	Type   string
	Before string
	// System is linked between Before and After when set.
	System    string
	SystemURL string
	After     string
	Detail    string
	Hash      string
}

// describeEvent turns an event into words. Unknown types fall back to the
// type and subject, so a newer event still reads sensibly.
func describeEvent(e incident.Event) uiEvent {
	var p map[string]any
	json.Unmarshal(e.Payload, &p)
	s := func(k string) string {
		switch v := p[k].(type) {
		case string:
			return v
		case float64:
			return fmt.Sprint(v)
		case bool:
			return fmt.Sprint(v)
		}
		return ""
	}
	ev := uiEvent{Seq: e.Seq, At: e.At, Actor: e.Actor, Type: e.Type, Hash: e.Hash}
	if sys := s("system"); sys != "" && e.IncidentID != 0 {
		ev.System, ev.SystemURL = sys, sysURL(e.IncidentID, sys)
	}
	switch e.Type {
	case incident.EventSystemTransitioned:
		ev.Before = "moved"
		ev.After = fmt.Sprintf("from %s to %s", s("from"), s("to"))
		if p["bulk"] == true {
			ev.After += " (bulk containment)"
		}
		if ap := s("approval"); ap != "" {
			ev.After += " after approval " + ap
		}
		ev.Detail = s("reason")
	case incident.EventSystemChecked:
		if run, ok := checkRunOf(e); ok {
			ev.Before, ev.After = checkRunWords(run)
		}
	case incident.EventBulkIsolation:
		n := 0
		if l, ok := p["isolated"].([]any); ok {
			n = len(l)
		}
		sk := 0
		if l, ok := p["skipped"].([]any); ok {
			sk = len(l)
		}
		ev.Before = fmt.Sprintf("isolated %d %s (%s); %d left alone", n, plural(n, "system", "systems"), selectorText(p["selector"]), sk)
		ev.Detail = s("reason")
	case incident.EventChecklistTicked, incident.EventChecklistUnticked:
		verb := "ticked"
		if e.Type == incident.EventChecklistUnticked {
			verb = "unticked"
		}
		ev.Before = fmt.Sprintf("%s “%s” on", verb, s("text"))
		var parts []string
		if n := s("note"); n != "" {
			parts = append(parts, n)
		}
		if ref := s("evidence"); ref != "" {
			parts = append(parts, "evidence "+ref)
		}
		ev.Detail = strings.Join(parts, "; ")
	case incident.EventApprovalRequested:
		ev.Before = "asked for a second person to approve moving"
		ev.After = fmt.Sprintf("to %s (request %s)", s("to"), s("approval"))
		ev.Detail = s("reason")
	case incident.EventApprovalApproved:
		ev.Before = "approved moving"
		ev.After = fmt.Sprintf("to %s (request %s, %s of %s approvals)", s("to"), s("approval"), s("approvals"), s("required"))
		ev.Detail = s("note")
	case incident.EventApprovalRejected:
		ev.Before = "rejected moving"
		ev.After = fmt.Sprintf("to %s (request %s)", s("to"), s("approval"))
		ev.Detail = s("note")
	case incident.EventApprovalCancelled:
		ev.Before = "withdrew the request to move"
		ev.After = fmt.Sprintf("to %s (request %s)", s("to"), s("approval"))
		ev.Detail = s("note")
	case incident.EventBacklogMeasured:
		n, _ := p["remaining"].(float64)
		ev.Before = fmt.Sprintf("counted %s outstanding in backlog %s", fmtFloat(n), s("backlog"))
		state := "its service down"
		if p["service_back"] == true {
			state = "its service back"
		}
		if t, err := time.Parse(incident.TimeFormat, s("at")); err == nil {
			ev.After = fmt.Sprintf("at %s (%s)", fmtWhen(t), state)
		} else {
			ev.After = "(" + state + ")"
		}
		ev.Detail = s("note")
	case incident.EventApprovalExpired:
		ev.Before = "expired the request to move"
		ev.After = fmt.Sprintf("to %s (request %s): nobody decided in time", s("to"), s("approval"))
	case incident.EventIncidentDeclared:
		ev.Before = fmt.Sprintf("declared the incident “%s”", s("name"))
	case incident.EventIncidentUpdated:
		ev.Before = "changed the incident's settings"
		approvals := func(k string) string {
			n, _ := p[k].(float64)
			return fmt.Sprintf("%d %s", int(n), plural(int(n), "approval", "approvals"))
		}
		switch {
		case s("required_approvals_lowering_asked") != "":
			ev.Before = fmt.Sprintf("asked to need %s for a restart; it waits for a second incident commander",
				approvals("required_approvals_lowering_asked"))
		case s("lowering_asked_by") != "":
			ev.Before = fmt.Sprintf("confirmed %s's request: a restart now needs %s", s("lowering_asked_by"), approvals("required_approvals"))
		}
		ev.Detail = payloadText(e.Payload)
	case incident.EventIncidentEstate:
		ev.Before = fmt.Sprintf("moved the incident to estate version %s", s("to"))
	case incident.EventIncidentClosed:
		ev.Before = "closed the incident"
		if n, _ := p["not_back_total"].(float64); n > 0 {
			ev.Before += fmt.Sprintf(" with %d %s not back", int(n), plural(int(n), "system", "systems"))
		}
		ev.Detail = s("reason")
	case incident.EventEstateUploaded:
		ev.Before = "uploaded " + strings.ReplaceAll(e.Subject, ":", " version ")
		if p["pending"] == true {
			n := 0
			if l, ok := p["weakens"].([]any); ok {
				n = len(l)
			}
			ev.Before += fmt.Sprintf(", which takes %d %s of a restart away and waits for a second person", n, plural(n, "gate", "gates"))
		}
	case incident.EventStatusDrafted, incident.EventStatusEdited:
		verb := "drafted"
		if e.Type == incident.EventStatusEdited {
			verb = "edited"
		}
		ev.Before = fmt.Sprintf("%s status update %s (revision %s) for %s: “%s”", verb, s("update"), s("revision"), listText(p["audiences"]), s("title")) + correcting(s("corrects"))
		if ap := s("approval_cleared"); ap != "" {
			ev.Detail = fmt.Sprintf("the approval by %s no longer holds: the text changed", ap)
		}
	case incident.EventStatusApproved:
		ev.Before = fmt.Sprintf("approved status update %s (revision %s) written by %s", s("update"), s("revision"), s("author"))
		ev.Detail = s("note")
	case incident.EventStatusRejected:
		ev.Before = fmt.Sprintf("rejected status update %s (revision %s)", s("update"), s("revision"))
		ev.Detail = s("note")
	case incident.EventStatusPublished:
		ev.Before = fmt.Sprintf("published status update %s to %s (approved by %s)", s("update"), listText(p["audiences"]), s("approved_by")) + correcting(s("corrects"))
	case incident.EventStatusSuperseded:
		ev.Before = fmt.Sprintf("marked status update %s as corrected by update %s", s("update"), s("superseded_by"))
	case incident.EventStatusWithdrawn:
		ev.Before = fmt.Sprintf("withdrew status update %s (it was %s)", s("update"), s("previous_status"))
		if p["was_public"] == true {
			ev.Before += "; it is no longer on the public pages"
		}
		ev.Detail = s("note")
	case incident.EventUserCreated:
		ev.Before = fmt.Sprintf("created user %s with the roles %s", s("name"), listText(p["roles"])) + approvedBy(s("approved_by"))
		ev.Detail = s("reason")
	case incident.EventUserRoles:
		ev.Before = fmt.Sprintf("changed the roles of %s from %s to %s", s("name"), orNothing(listText(p["from"])), orNothing(listText(p["to"]))) +
			approvedBy(s("approved_by"))
		ev.Detail = s("reason")
	case incident.EventUserPassword:
		if p["own"] == true {
			ev.Before = "changed their own password"
		} else {
			ev.Before = "set a new password for " + s("name") + approvedBy(s("approved_by"))
		}
		ev.Before += sessionsEnded(p, "other ")
		ev.Detail = s("reason")
	case incident.EventPasswordCodeIssued:
		ev.Before = "issued a one-time password code for " + s("name")
		var how []string
		if rq := s("request"); rq != "" {
			how = append(how, "account request "+rq)
		}
		if by := s("approved_by"); by != "" {
			how = append(how, "approved by "+by)
		}
		if len(how) > 0 {
			ev.Before += " (" + strings.Join(how, ", ") + ")"
		}
		if t, err := time.Parse(incident.TimeFormat, s("expires_at")); err == nil {
			ev.Before += ", valid until " + fmtWhen(t)
		}
		ev.Before += sessionsEnded(p, "")
		ev.Detail = s("reason")
	case incident.EventPasswordCodeUsed:
		ev.Before = "set their password with a one-time code issued by " + s("issued_by")
		if t, err := time.Parse(incident.TimeFormat, s("issued_at")); err == nil {
			ev.Before += " at " + fmtWhen(t)
		}
		ev.Before += sessionsEnded(p, "")
		var from []string
		for _, k := range []string{"address", "user_agent"} {
			if v := s(k); v != "" {
				from = append(from, v)
			}
		}
		if len(from) > 0 {
			ev.Detail = "from " + strings.Join(from, ", ")
		}
	case incident.EventUserDisabled:
		if p["disabled"] == true {
			ev.Before = "disabled user " + s("name")
			if n, ok := p["tokens_revoked"].(float64); ok && n > 0 {
				ev.Before += fmt.Sprintf("; %d API %s revoked for good", int(n), plural(int(n), "token", "tokens"))
			}
		} else {
			ev.Before = "enabled user " + s("name") + " again" + approvedBy(s("approved_by"))
		}
		ev.Detail = s("reason")
	case incident.EventTokenCreated:
		ev.Before = "created API token " + s("token")
		if l := s("label"); l != "" {
			ev.Before += " “" + l + "”"
		}
		ev.Before += " for " + s("user") + " (role " + s("role")
		if t, err := time.Parse(incident.TimeFormat, s("expires_at")); err == nil {
			ev.Before += ", expires " + fmtWhen(t)
		} else {
			ev.Before += ", no expiry"
		}
		ev.Before += ")"
	case incident.EventTokenRevoked:
		ev.Before = fmt.Sprintf("revoked API token %s of %s (role %s)", s("token"), s("user"), s("role"))
	case incident.EventAccountRequested:
		ev.Before = fmt.Sprintf("asked a second admin to approve: %s (account request %s)", s("summary"), s("request"))
		ev.Detail = s("reason")
	case incident.EventAccountApproved, incident.EventAccountRejected, incident.EventAccountCancelled:
		verb := map[string]string{incident.EventAccountApproved: "approved", incident.EventAccountRejected: "rejected",
			incident.EventAccountCancelled: "withdrew"}[e.Type]
		ev.Before = fmt.Sprintf("%s account request %s: %s", verb, s("request"), s("summary"))
		ev.Detail = s("note")
	case incident.EventAccountExpired:
		ev.Before = fmt.Sprintf("expired account request %s (%s): nobody decided in time", s("request"), s("summary"))
	case incident.EventDualControl:
		ev.Before = "switched dual control of accounts on: " + s("rule")
	case incident.EventEstateApproved:
		ev.Before = fmt.Sprintf("approved estate version %s, uploaded by %s, that takes gates of a restart away", s("number"), s("uploaded_by"))
		ev.Detail = s("note")
	case incident.EventLoginSucceeded:
		ev.Before = "logged in"
	case incident.EventLoginFailed:
		ev.Before = "failed to log in"
		ev.Detail = s("reason")
	case incident.EventLogout:
		ev.Before = "logged out"
	case incident.EventLogoutOthers:
		ev.Before = fmt.Sprintf("logged out of every other session (%s ended)", s("sessions_ended"))
	case incident.EventAuditExported:
		ev.Before = fmt.Sprintf("exported the event log (through event %s)", s("through_seq"))
		if after := s("after_seq"); after != "" {
			ev.Before = fmt.Sprintf("exported the event log (events after %s, through event %s)", after, s("through_seq"))
		}
	case incident.EventAuditBackedUp:
		ev.Before = fmt.Sprintf("backed up the database to %s (events 1 to %s, the chain verified; last hash %s)", s("file"), s("through_seq"), s("head"))
	case incident.EventAuditReported:
		ev.Before = fmt.Sprintf("made a report of the incident from events 1 to %s, digest %s", s("through_seq"), s("digest"))
		if p["chain_ok"] == false {
			ev.Before += "; the chain did not verify"
		}
	default:
		ev.Before = e.Type
		if e.Subject != "" {
			ev.Before += " " + e.Subject
		}
		ev.Detail = payloadText(e.Payload)
	}
	return ev
}

// Text is the event in one line of plain text, as the event log says it:
// for notifications and the incident report.
func (ev uiEvent) Text() string {
	text := ev.Actor + " " + ev.Before
	if ev.System != "" {
		text += " " + ev.System
	}
	if ev.After != "" {
		text += " " + ev.After
	}
	if ev.Detail != "" {
		text += " — “" + ev.Detail + "”"
	}
	return text
}

// checkRunOf reads a system.verified event; ok is false for another type.
func checkRunOf(e incident.Event) (run incident.CheckRun, ok bool) {
	if e.Type != incident.EventSystemChecked || json.Unmarshal(e.Payload, &run) != nil {
		return incident.CheckRun{}, false
	}
	run.IncidentID, run.By, run.At, run.Seq = e.IncidentID, e.Actor, e.At, e.Seq
	return run, true
}

// failedChecks lists the checks of a run that failed, each with what it
// found: "GET https://gw/health → 200: HTTP 503 in 12 ms, want 200".
func failedChecks(results []incident.CheckResult) []string {
	var out []string
	for _, r := range results {
		if !r.OK {
			out = append(out, r.Check+": "+r.Detail)
		}
	}
	return out
}

// checkRunWords says a run of a system's checks around the system's
// name: "ran the 2 checks of" gw "and they passed", or what failed, and
// when the run did not count for going online, why.
func checkRunWords(run incident.CheckRun) (before, after string) {
	n := len(run.Results)
	before = fmt.Sprintf("ran the %d checks of", n)
	they := "they"
	if n == 1 {
		before, they = "ran the check of", "it"
	}
	failed := failedChecks(run.Results)
	switch {
	case run.Passed:
		after = "and " + they + " passed"
	case len(failed) < n:
		after = fmt.Sprintf("and %d of them failed: %s", len(failed), strings.Join(failed, "; "))
	default:
		after = fmt.Sprintf("and %s failed: %s", they, strings.Join(failed, "; "))
	}
	switch {
	case run.Counts:
	case run.State == incident.StateOnline:
		after += " (run while it was online: it does not count for going online)"
	case run.State == incident.StateVerifying || run.State == "":
		after += " (the system moved while they ran: the run does not count for going online)"
	default:
		after += fmt.Sprintf(" (the system moved to %s while they ran: the run does not count for going online)", run.State)
	}
	return before, after
}

// sessionsEnded says how many sessions a password change ended ("" for
// none); other qualifies them ("other " when the actor's own stayed).
func sessionsEnded(p map[string]any, other string) string {
	n, _ := p["sessions_ended"].(float64)
	if n <= 0 {
		return ""
	}
	return fmt.Sprintf("; %d %s%s ended", int(n), other, plural(int(n), "session", "sessions"))
}

// approvedBy says who approved an account change that waited ("": it
// did not wait).
func approvedBy(who string) string {
	if who == "" {
		return ""
	}
	return ", approved by " + who
}

// orNothing is a list's text, or "no role" for an empty one.
func orNothing(list string) string {
	if list == "" {
		return "no role"
	}
	return list
}

// correcting names the update a status update corrects ("" or "0": none).
func correcting(id string) string {
	if id == "" || id == "0" {
		return ""
	}
	return ", correcting update " + id
}

// listText joins a payload's list of strings ("suppliers, retailers").
func listText(v any) string {
	l, _ := v.([]any)
	parts := make([]string, 0, len(l))
	for _, x := range l {
		if s, ok := x.(string); ok {
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		return "no audience"
	}
	return strings.Join(parts, ", ")
}

// selectorText says what a bulk isolation selected.
func selectorText(v any) string {
	m, _ := v.(map[string]any)
	if m["all"] == true {
		return "all systems"
	}
	var parts []string
	for _, k := range []string{"kind", "tag", "team"} {
		if s, ok := m[k].(string); ok && s != "" {
			parts = append(parts, k+" "+s)
		}
	}
	if l, ok := m["systems"].([]any); ok && len(l) > 0 {
		parts = append(parts, fmt.Sprintf("%d named", len(l)))
	}
	if len(parts) == 0 {
		return "a selection"
	}
	return strings.Join(parts, ", ")
}

// payloadText is a compact key: value rendering of a payload, for events
// without a sentence of their own.
func payloadText(raw json.RawMessage) string {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil || len(m) == 0 {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString("; ")
		}
		v, _ := json.Marshal(m[k])
		fmt.Fprintf(&b, "%s: %s", k, strings.Trim(string(v), `"`))
	}
	return b.String()
}

// eventMentions reports whether an event is about a system.
func eventMentions(e incident.Event, systemID string) bool {
	if e.Subject == "system:"+systemID {
		return true
	}
	if !strings.HasPrefix(e.Subject, "approval:") && e.Type != incident.EventBulkIsolation {
		return false
	}
	var p struct {
		System   string   `json:"system"`
		Isolated []string `json:"isolated"`
	}
	json.Unmarshal(e.Payload, &p)
	return p.System == systemID || slices.Contains(p.Isolated, systemID)
}

// ---- approvals with the viewer's choices

// uiApproval is an approval request with what the viewer may do about it
// and, when they may not, why.
type uiApproval struct {
	incident.Approval
	SystemName string
	SystemURL  string
	// Action is the URL the decision forms post to (…/approve, …/reject,
	// …/cancel); Back is the page to return to.
	Action    string
	Back      string
	Approvals int
	CanDecide bool
	CanCancel bool
	WhyNot    string
}

func (u *ui) approvalView(a incident.Actor, in *uiIncident, ap incident.Approval, back string) uiApproval {
	v := uiApproval{Approval: ap, SystemName: ap.SystemID, SystemURL: sysURL(ap.IncidentID, ap.SystemID),
		Action: fmt.Sprintf("/incidents/%d/approvals/%d", ap.IncidentID, ap.ID), Back: back, Approvals: ap.Approvals()}
	var sys *estate.System
	if in != nil {
		if s := in.ix.Systems[ap.SystemID]; s != nil {
			sys = s
			v.SystemName = s.Name
		}
	}
	if ap.Status != incident.ApprovalPending {
		return v
	}
	open := in == nil || in.view.Open()
	decided := slices.ContainsFunc(ap.Decisions, func(d incident.Decision) bool { return d.UserID == a.UserID })
	switch {
	case !open:
		v.WhyNot = "The incident is closed."
	case a.UserID != 0 && a.UserID == ap.RequestedByID:
		v.WhyNot = "You asked for this move: under the two-person rule someone else must approve it."
	case decided:
		v.WhyNot = "You have already decided on this request; it waits for another person."
	case !a.Can(incident.ActionApprovalDecide, sys):
		v.WhyNot = "Approving needs the role " + rolesText(incident.ActionApprovalDecide) + "."
	default:
		v.CanDecide = true
	}
	v.CanCancel = open && (a.UserID != 0 && a.UserID == ap.RequestedByID || a.Can(incident.ActionApprovalCancel, sys))
	return v
}

// rolesText names the roles that may do an action, scoped ones marked.
func rolesText(action incident.Action) string {
	p := incident.FindPermission(action)
	var out []string
	for _, r := range incident.RolesFor(action) {
		if p.Access[r] == incident.Scoped {
			out = append(out, string(r)+" (of the system or its team)")
		} else {
			out = append(out, string(r))
		}
	}
	switch len(out) {
	case 0:
		return "(none)"
	case 1:
		return out[0]
	}
	return strings.Join(out[:len(out)-1], ", ") + " or " + out[len(out)-1]
}

// withQuery returns path?query, leaving out empty values.
func withQuery(path string, kv ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			q.Set(kv[i], kv[i+1])
		}
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}
