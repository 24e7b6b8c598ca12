package incident

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/forecast"
	"github.com/phasegate/phasegate/planner"
)

// The incident report: what regulators, insurers and the police ask for
// afterwards, in one document — who contained what and why, on what
// evidence each system was cleared, who approved each restart, what the
// public was told, which accounts changed while it ran, what the outage
// cost — read from the hash-chained log in one pass that also verifies
// the chain. Generating it is itself an event (audit.reported) that
// carries the report's digest, so a copy handed over can later be shown
// to be the one the log recorded (ADR 0012).

// EventAuditReported records that a report of an incident was generated:
// by whom, from which events, and the digest of what it said.
const EventAuditReported = "audit.reported"

// Report is an incident report. Its JSON encoding is the contract of
// GET /api/v1/incidents/{id}/report.
type Report struct {
	Incident     Incident  `json:"incident"`
	Organization string    `json:"organization"`
	Currency     string    `json:"currency"`
	GeneratedAt  time.Time `json:"generated_at"`
	GeneratedBy  string    `json:"generated_by"`
	// ThroughSeq is the last event the report read: everything in it
	// follows from the log up to there.
	ThroughSeq int64 `json:"through_seq"`
	// Chain is the verification of the whole log up to ThroughSeq, made
	// in the same read as the report.
	Chain    VerifyReport    `json:"chain"`
	Summary  ReportSummary   `json:"summary"`
	Services []ReportService `json:"services"`
	// Impact is what the outage has cost so far, and would cost by the
	// live plan, from the record of each service's downtime.
	Impact *forecast.Ledger `json:"impact,omitempty"`
	// Containment is every isolation and compromise, oldest first: one
	// entry per bulk action, one per system otherwise.
	Containment []ReportContainment `json:"containment"`
	// Clearances is every time a system was declared cleared, with the
	// checklist as it stood then: who ticked each item, when, the note and
	// the evidence reference.
	Clearances []ReportClearance `json:"clearances"`
	// Closed is how the incident was closed: by whom, why, and how many
	// systems were not back (nil while it is open).
	Closed *ReportClose `json:"closed,omitempty"`
	// Approvals is every two-person request, with each decision, and who
	// cancelled it (or let it expire).
	Approvals []ReportApproval `json:"approvals"`
	// Updates is every status update that was published (also those
	// later superseded or withdrawn), with who drafted, approved and
	// published it.
	Updates []StatusUpdate `json:"updates"`
	// Access is what changed in accounts, tokens and the estate while the
	// incident ran, and reports made of it before.
	Access ReportAccess `json:"access"`
	// Systems is the history of every system that moved, by id.
	Systems []ReportSystem `json:"systems"`
	// Record is the audit.reported event that put the report on the
	// record. It is not part of the digest.
	Record *ReportRecord `json:"record,omitempty"`
}

// ReportSummary is the report's headline figures.
type ReportSummary struct {
	Systems int `json:"systems"`
	// States counts the systems in each state now.
	States       map[State]int `json:"states"`
	Services     int           `json:"services"`
	ServicesBack int           `json:"services_back"`
	// Days since the incident started, to the report (or its close).
	Days float64 `json:"days"`
	// Events of the incident in the log.
	Events      int `json:"events"`
	Isolations  int `json:"isolations"`
	Compromises int `json:"compromises"`
	Clearances  int `json:"clearances"`
	// Restarts counts moves to online.
	Restarts int `json:"restarts"`
	// ApprovalsGranted and ApprovalsRefused count two-person requests
	// that were carried out, and that were rejected, cancelled or expired.
	ApprovalsGranted int `json:"approvals_granted"`
	ApprovalsRefused int `json:"approvals_refused"`
	UpdatesPublished int `json:"updates_published"`
}

// ReportService is one business service's outage.
type ReportService struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Audiences []string `json:"audiences,omitempty"`
	Back      bool     `json:"back"`
	// BackAt is when it last came back; ETA, for one still down, when the
	// live plan expects it.
	BackAt    time.Time `json:"back_at,omitzero"`
	ETA       time.Time `json:"eta,omitzero"`
	DownHours float64   `json:"down_hours"`
}

// Recorded is where a line of the report comes from: the event, when it
// was recorded, and by whom.
type Recorded struct {
	Seq int64     `json:"seq"`
	At  time.Time `json:"at"`
	By  string    `json:"by"`
}

func recorded(e Event) Recorded { return Recorded{e.Seq, e.At, e.Actor} }

// ReportClose is the closing of an incident.
type ReportClose struct {
	Recorded
	Reason string `json:"reason"`
	// NotBack counts the systems that were not back (running or online).
	NotBack int `json:"not_back"`
}

// ReportApproval is a two-person request; ClosedBy and ClosedSeq say who
// cancelled it or let it expire, and in which event.
type ReportApproval struct {
	Approval
	ClosedBy  string `json:"closed_by,omitempty"`
	ClosedSeq int64  `json:"closed_seq,omitempty"`
}

// ReportContainment is one containment action.
type ReportContainment struct {
	Recorded
	// To is isolated or compromised.
	To     State  `json:"to"`
	Reason string `json:"reason"`
	// Selector is what a bulk isolation chose ("all", "kind=ot"); empty
	// for one system.
	Selector string   `json:"selector,omitempty"`
	Systems  []string `json:"systems"`
}

// ReportClearance is one system declared cleared, on the evidence of its
// checklist as it stood.
type ReportClearance struct {
	Recorded
	System string       `json:"system"`
	Name   string       `json:"name"`
	Reason string       `json:"reason,omitempty"`
	Items  []ReportTick `json:"items"`
}

// ReportTick is one checklist item ticked.
type ReportTick struct {
	Recorded
	Item     string `json:"item"`
	Text     string `json:"text"`
	Note     string `json:"note,omitempty"`
	Evidence string `json:"evidence,omitempty"`
}

// ReportAccess is what happened to accounts, tokens and the estate while
// the incident ran: the events themselves, and counts of logins.
type ReportAccess struct {
	Events       []Event `json:"events"`
	Logins       int     `json:"logins"`
	FailedLogins int     `json:"failed_logins"`
	Lockouts     int     `json:"lockouts"`
}

// ReportSystem is one system's history in the incident.
type ReportSystem struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	Kind        estate.Kind  `json:"kind"`
	Team        string       `json:"team"`
	Criticality int          `json:"criticality"`
	TwoPerson   bool         `json:"two_person"`
	State       State        `json:"state"`
	Steps       []ReportStep `json:"steps"`
}

// ReportStep is one move of a system, or one run of its checks.
type ReportStep struct {
	Recorded
	// Kind is "moved" or "checked".
	Kind   string `json:"kind"`
	From   State  `json:"from,omitempty"`
	To     State  `json:"to,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Approval is the two-person request a move carried out, and
	// ApprovedBy who approved it.
	Approval   int64    `json:"approval,omitempty"`
	ApprovedBy []string `json:"approved_by,omitempty"`
	Bulk       bool     `json:"bulk,omitempty"`
	// Passed and Failed: a run of checks, and what each failing one found.
	Passed bool     `json:"passed,omitempty"`
	Failed []string `json:"failed,omitempty"`
}

// ReportRecord is the event that recorded a report.
type ReportRecord struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
	// Digest is "sha256:" and the hex SHA-256 of the report's JSON without
	// its record, in canonical form (RFC 8785; see ReportDigest).
	Digest string `json:"digest"`
}

// ReportDigest is the digest a report's record carries: the SHA-256 of
// the canonical JSON (RFC 8785) of the report without its record. Anyone
// holding the JSON can recompute it and find it in the audit.reported
// event of an export of the log.
func ReportDigest(r *Report) (string, error) {
	c := *r
	c.Record = nil
	doc, err := json.Marshal(&c)
	if err != nil {
		return "", err
	}
	return digestJSON(doc)
}

// digestJSON is ReportDigest of a report's JSON as given: its members
// but "record", canonical.
func digestJSON(doc []byte) (string, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(doc, &m); err != nil {
		return "", fmt.Errorf("not a phasegate incident report: %v", err)
	}
	delete(m, "record")
	doc, err := json.Marshal(m)
	if err != nil {
		return "", err
	}
	canon, err := CanonicalJSON(doc)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(canon)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// Report builds the report of an incident, verifying the whole chain in
// the same read, and records it (audit.reported, with its digest). Needs
// audit.export: the report holds what the log holds, account events
// included.
func (s *Service) Report(ctx context.Context, a Actor, incidentID int64) (*Report, error) {
	if err := a.Authorize(ActionAuditExport, nil); err != nil {
		return nil, err
	}
	var (
		r      = &Report{GeneratedBy: a.Name}
		b      reportBuilder
		states []SystemState
	)
	err := s.view(ctx, func(tx Tx) error {
		l, err := s.load(tx, incidentID)
		if err != nil {
			return err
		}
		b = reportBuilder{in: l.in, est: l.est, from: l.in.StartedAt, to: l.in.ClosedAt}
		if l.in.DeclaredAt.Before(b.from) {
			b.from = l.in.DeclaredAt
		}
		var v Verifier
		if err := tx.ScanEvents(0, func(e Event) error {
			v.Add(e)
			b.add(e)
			return nil
		}); err != nil {
			return err
		}
		seq, hash, err := tx.ChainHead()
		if err != nil {
			return err
		}
		r.Chain, r.ThroughSeq = v.Finish(seq, hash), seq
		if states, err = tx.SystemStates(incidentID); err != nil {
			return err
		}
		aps, err := tx.Approvals(ApprovalQuery{IncidentID: incidentID})
		if err != nil {
			return err
		}
		for _, ap := range aps {
			ra := ReportApproval{Approval: ap}
			if c, ok := b.approvalsClosed[ap.ID]; ok {
				ra.ClosedBy, ra.ClosedSeq = c.By, c.Seq
			}
			r.Approvals = append(r.Approvals, ra)
		}
		ups, err := tx.StatusUpdates(StatusUpdateQuery{IncidentID: incidentID})
		if err != nil {
			return err
		}
		for _, u := range ups {
			if !u.PublishedAt.IsZero() {
				r.Updates = append(r.Updates, u)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	now := s.clock().UTC().Truncate(time.Second)
	r.GeneratedAt = now
	b.finish(r, states, now)
	if err := s.reportImpact(r, &b, states, now); err != nil {
		return nil, err
	}
	digest, err := ReportDigest(r)
	if err != nil {
		return nil, err
	}
	err = s.update(ctx, func(w *writer) error {
		e, err := w.event(a.Name, EventAuditReported, incidentID, "audit", map[string]any{
			"through_seq": r.ThroughSeq, "digest": digest, "chain_ok": r.Chain.OK})
		if err != nil {
			return err
		}
		r.Record = &ReportRecord{Seq: e.Seq, Hash: e.Hash, Digest: digest}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// reportImpact fills the services' ETAs and the impact ledger from the
// live plan of the states the report read. Once the incident is closed,
// its clock stops at the close.
func (s *Service) reportImpact(r *Report, b *reportBuilder, states []SystemState, now time.Time) error {
	at := now
	if !b.in.Open() && b.in.ClosedAt.Before(at) {
		at = b.in.ClosedAt.UTC().Truncate(time.Second)
	}
	down := ServiceDowntimes(b.est, b.in.StartedAt, states, b.moves, at)
	downMap := make(map[string]time.Duration, len(down))
	for i, d := range down {
		downMap[d.Service] = d.Down
		rs := &r.Services[i]
		rs.Back, rs.BackAt, rs.DownHours = d.Back, d.BackAt, d.DownHours
	}
	for _, rs := range r.Services {
		if rs.Back {
			r.Summary.ServicesBack++
		}
	}
	if len(b.est.Services) == 0 {
		return nil
	}
	p, err := s.plan(b.est, planner.Options{Start: at, Progress: Progress(states, at),
		Schedules: s.settings.PlanSchedules, Seed: uint64(b.in.ID)})
	if err != nil {
		return err
	}
	for i := range r.Services {
		if !r.Services[i].Back && i < len(p.Services) {
			r.Services[i].ETA = p.Services[i].ETA
		}
	}
	since := b.in.StartedAt.UTC()
	if since.After(at) {
		since = at
	}
	r.Impact, err = forecast.PlanImpact(b.est, p, forecast.ImpactOptions{Since: since, Down: downMap})
	return err
}

// reportBuilder reads the log one event at a time.
type reportBuilder struct {
	in       *Incident
	est      *estate.Estate
	from, to time.Time // the window of the account events (to zero: open)

	events      int
	moves       []Move
	containment []ReportContainment
	clearances  []ReportClearance
	access      ReportAccess
	systems     map[string]*ReportSystem
	// ticks is each system's checklist as the log has it so far.
	ticks map[string]map[string]ReportTick
	// approvalsClosed: who cancelled each request, or let it expire.
	approvalsClosed map[int64]Recorded
	closed          *ReportClose
}

// transitionPayload is what a system.transitioned event says.
type transitionPayload struct {
	System     string   `json:"system"`
	From       State    `json:"from"`
	To         State    `json:"to"`
	Reason     string   `json:"reason"`
	Bulk       bool     `json:"bulk"`
	Approval   int64    `json:"approval"`
	ApprovedBy []string `json:"approved_by"`
}

func (b *reportBuilder) add(e Event) {
	if e.IncidentID != b.in.ID {
		if e.IncidentID == 0 && !e.At.Before(b.from) && (b.to.IsZero() || !e.At.After(b.to)) {
			b.addAccess(e)
		}
		return
	}
	b.events++
	if b.systems == nil {
		b.systems = map[string]*ReportSystem{}
		b.ticks = map[string]map[string]ReportTick{}
	}
	switch e.Type {
	case EventSystemTransitioned:
		var p transitionPayload
		if json.Unmarshal(e.Payload, &p) != nil || p.System == "" {
			return
		}
		b.moves = append(b.moves, Move{Seq: e.Seq, At: e.At, System: p.System, From: p.From, To: p.To})
		b.system(p.System).Steps = append(b.system(p.System).Steps, ReportStep{Recorded: recorded(e), Kind: "moved",
			From: p.From, To: p.To, Reason: p.Reason, Approval: p.Approval, ApprovedBy: p.ApprovedBy, Bulk: p.Bulk})
		switch {
		case (p.To == StateIsolated || p.To == StateCompromised) && !p.Bulk:
			b.containment = append(b.containment, ReportContainment{Recorded: recorded(e), To: p.To,
				Reason: p.Reason, Systems: []string{p.System}})
		case p.To == StateCleared:
			c := ReportClearance{Recorded: recorded(e), System: p.System, Reason: p.Reason, Items: []ReportTick{}}
			if sys := findSystem(b.est, p.System); sys != nil {
				c.Name = sys.Name
			}
			for _, t := range b.ticks[p.System] {
				c.Items = append(c.Items, t)
			}
			slices.SortFunc(c.Items, func(x, y ReportTick) int { return cmp.Compare(x.Seq, y.Seq) })
			b.clearances = append(b.clearances, c)
		}
		if p.To == StateCompromised {
			// The checklist starts again (svc_system.go's move).
			delete(b.ticks, p.System)
		}
	case EventIncidentDeclared:
		var p struct {
			Initial State `json:"initial_state"`
		}
		if json.Unmarshal(e.Payload, &p) == nil && p.Initial == StateIsolated {
			// A total shutdown: every system starts isolated.
			ids := make([]string, len(b.est.Systems))
			for i := range b.est.Systems {
				ids[i] = b.est.Systems[i].ID
			}
			b.containment = append(b.containment, ReportContainment{Recorded: recorded(e), To: StateIsolated,
				Reason: "declared as a total shutdown: every system isolated from the start", Selector: "all", Systems: ids})
		}
	case EventIncidentClosed:
		var p struct {
			Reason  string `json:"reason"`
			NotBack int    `json:"not_back_total"`
		}
		if json.Unmarshal(e.Payload, &p) == nil {
			b.closed = &ReportClose{Recorded: recorded(e), Reason: p.Reason, NotBack: p.NotBack}
		}
	case EventApprovalCancelled, EventApprovalExpired:
		var p struct {
			Approval int64 `json:"approval"`
		}
		if json.Unmarshal(e.Payload, &p) == nil && p.Approval != 0 {
			if b.approvalsClosed == nil {
				b.approvalsClosed = map[int64]Recorded{}
			}
			b.approvalsClosed[p.Approval] = recorded(e)
		}
	case EventBulkIsolation:
		var p struct {
			Selector Selector `json:"selector"`
			Reason   string   `json:"reason"`
			Isolated []string `json:"isolated"`
		}
		if json.Unmarshal(e.Payload, &p) != nil {
			return
		}
		b.containment = append(b.containment, ReportContainment{Recorded: recorded(e), To: StateIsolated,
			Reason: p.Reason, Selector: p.Selector.String(), Systems: orEmpty(p.Isolated)})
	case EventChecklistTicked, EventChecklistUnticked:
		var p struct {
			System   string `json:"system"`
			Item     string `json:"item"`
			Text     string `json:"text"`
			Done     bool   `json:"done"`
			Note     string `json:"note"`
			Evidence string `json:"evidence"`
		}
		if json.Unmarshal(e.Payload, &p) != nil || p.System == "" {
			return
		}
		if b.ticks[p.System] == nil {
			b.ticks[p.System] = map[string]ReportTick{}
		}
		if p.Done {
			b.ticks[p.System][p.Item] = ReportTick{Recorded: recorded(e), Item: p.Item, Text: p.Text, Note: p.Note, Evidence: p.Evidence}
		} else {
			delete(b.ticks[p.System], p.Item)
		}
	case EventSystemChecked:
		var p struct {
			System  string        `json:"system"`
			Passed  bool          `json:"passed"`
			Results []CheckResult `json:"results"`
		}
		if json.Unmarshal(e.Payload, &p) != nil || p.System == "" {
			return
		}
		st := ReportStep{Recorded: recorded(e), Kind: "checked", Passed: p.Passed}
		for _, res := range p.Results {
			if !res.OK {
				st.Failed = append(st.Failed, res.Check+": "+res.Detail)
			}
		}
		b.system(p.System).Steps = append(b.system(p.System).Steps, st)
	default:
		if strings.HasPrefix(e.Type, "audit.") {
			b.access.Events = append(b.access.Events, e)
		}
	}
}

// addAccess keeps an event outside any incident that the report of an
// incident running at the time should show.
func (b *reportBuilder) addAccess(e Event) {
	switch {
	case e.Type == EventLoginSucceeded:
		b.access.Logins++
	case e.Type == EventLoginFailed:
		b.access.FailedLogins++
	case e.Type == EventLockedOut:
		b.access.Lockouts++
		b.access.Events = append(b.access.Events, e)
	case strings.HasPrefix(e.Type, "user."), strings.HasPrefix(e.Type, "token."),
		strings.HasPrefix(e.Type, "estate."), strings.HasPrefix(e.Type, "audit."):
		b.access.Events = append(b.access.Events, e)
	}
}

// system returns the history of a system, started on first use.
func (b *reportBuilder) system(id string) *ReportSystem {
	if rs, ok := b.systems[id]; ok {
		return rs
	}
	rs := &ReportSystem{ID: id, Steps: []ReportStep{}}
	if sys := findSystem(b.est, id); sys != nil {
		rs.Name, rs.Kind, rs.Team, rs.Criticality = sys.Name, sys.Kind, sys.Team, sys.Criticality
		rs.TwoPerson = sys.NeedsTwoPersons()
	}
	b.systems[id] = rs
	return rs
}

// finish fills the report from what the builder read and the systems'
// states now.
func (b *reportBuilder) finish(r *Report, states []SystemState, now time.Time) {
	r.Incident, r.Organization, r.Currency = *b.in, b.est.Organization, b.est.Currency
	r.Containment, r.Clearances, r.Closed = orEmpty(b.containment), orEmpty(b.clearances), b.closed
	r.Access = b.access
	r.Access.Events = orEmpty(r.Access.Events)
	r.Approvals, r.Updates = orEmpty(r.Approvals), orEmpty(r.Updates)
	end := now
	if !b.in.Open() {
		end = b.in.ClosedAt
	}
	sm := &r.Summary
	sm.Systems, sm.Services, sm.Events = len(b.est.Systems), len(b.est.Services), b.events
	sm.Days = max(0, end.Sub(b.in.StartedAt).Hours()/24)
	sm.States = map[State]int{}
	for _, st := range states {
		sm.States[st.State]++
		if rs, ok := b.systems[st.SystemID]; ok {
			rs.State = st.State
		}
	}
	for _, c := range r.Containment {
		if c.To == StateCompromised {
			sm.Compromises++
		} else {
			sm.Isolations += len(c.Systems)
		}
	}
	sm.Clearances = len(r.Clearances)
	for _, m := range b.moves {
		if m.To == StateOnline {
			sm.Restarts++
		}
	}
	for _, ap := range r.Approvals {
		switch ap.Status {
		case ApprovalApproved:
			sm.ApprovalsGranted++
		case ApprovalRejected, ApprovalCancelled, ApprovalExpired:
			sm.ApprovalsRefused++
		}
	}
	sm.UpdatesPublished = len(r.Updates)
	r.Systems = make([]ReportSystem, 0, len(b.systems))
	for _, rs := range b.systems {
		r.Systems = append(r.Systems, *rs)
	}
	slices.SortFunc(r.Systems, func(x, y ReportSystem) int { return strings.Compare(x.ID, y.ID) })
	r.Services = make([]ReportService, len(b.est.Services))
	for i, sv := range b.est.Services {
		r.Services[i] = ReportService{ID: sv.ID, Name: cmp.Or(sv.Name, sv.ID), Audiences: sv.Audiences}
	}
}

// orEmpty is s, or an empty slice for nil: lists encode as [], not null.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
