package incident

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/estate"
)

// UpdateStatus is where a status update stands. See
// docs/adr/0004-status-updates.md for who may move it where.
type UpdateStatus string

// The states of a status update.
const (
	// UpdateDraft is being written and waits for a second person.
	UpdateDraft UpdateStatus = "draft"
	// UpdateApproved: a second person approved this revision; it is not
	// public until published. An edit makes it a draft again.
	UpdateApproved UpdateStatus = "approved"
	// UpdateRejected: sent back with a note; an edit makes it a draft.
	UpdateRejected UpdateStatus = "rejected"
	// UpdatePublished is on the status pages and feeds of its audiences.
	UpdatePublished UpdateStatus = "published"
	// UpdateSuperseded was published, then corrected by a later update;
	// it stays on the pages, marked as corrected.
	UpdateSuperseded UpdateStatus = "superseded"
	// UpdateWithdrawn was discarded before publication, or taken off the
	// pages after it.
	UpdateWithdrawn UpdateStatus = "withdrawn"
)

// UpdateStatuses lists every state.
var UpdateStatuses = []UpdateStatus{UpdateDraft, UpdateApproved, UpdateRejected, UpdatePublished,
	UpdateSuperseded, UpdateWithdrawn}

// Valid reports whether s is one of UpdateStatuses.
func (s UpdateStatus) Valid() bool { return slices.Contains(UpdateStatuses, s) }

// Public reports whether an update in this state is on the status pages.
func (s UpdateStatus) Public() bool { return s == UpdatePublished || s == UpdateSuperseded }

// Editable reports whether an update in this state may still be edited.
func (s UpdateStatus) Editable() bool {
	return s == UpdateDraft || s == UpdateApproved || s == UpdateRejected
}

// ServiceState is a business service's state as told to an audience: a
// public word, not the state of the systems behind it.
type ServiceState string

// The service states an update may publish.
const (
	ServiceDown    ServiceState = "down"
	ServicePartial ServiceState = "partial"
	ServiceUp      ServiceState = "up"
)

// ServiceStates lists every service state.
var ServiceStates = []ServiceState{ServiceDown, ServicePartial, ServiceUp}

// Label is how the state reads on a status page.
func (s ServiceState) Label() string {
	switch s {
	case ServiceDown:
		return "Not available"
	case ServicePartial:
		return "Partly available"
	case ServiceUp:
		return "Available"
	}
	return "No update yet"
}

// Limits of a status update: enough for a long notice, small enough that
// a page of them stays cheap to render and to read on a phone.
const (
	MaxUpdateTitle     = 200  // characters
	MaxUpdateBody      = 8000 // characters
	MaxUpdateAudiences = 20
	MaxUpdateServices  = 100
	MaxServiceNote     = 300 // characters
)

// ServiceLine is one service's state and published ETA in an update.
type ServiceLine struct {
	Service string       `json:"service"`
	Name    string       `json:"name"` // from the estate; filled in on validation
	State   ServiceState `json:"state"`
	// ETA is the published date the service is expected back (only for
	// down and partial); zero when none is given.
	ETA  time.Time `json:"eta,omitzero"`
	Note string    `json:"note,omitempty"`
}

// StatusDraft is what an author writes: the content of a new update or of
// an edit.
type StatusDraft struct {
	Audiences []string      `json:"audiences"`
	Title     string        `json:"title"`
	Body      string        `json:"body"`
	Services  []ServiceLine `json:"services"`
	// Corrects is the published update this one corrects (0: none). When
	// it is published, the corrected update is marked superseded.
	Corrects int64 `json:"corrects,omitempty"`
}

// Contributor is someone who wrote a revision of an update: none of them
// may approve it.
type Contributor struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// StatusUpdate is a message to one or more audiences, through drafting,
// a second person's approval and publication.
type StatusUpdate struct {
	ID         int64        `json:"id"`
	IncidentID int64        `json:"incident_id"`
	Status     UpdateStatus `json:"status"`
	// Revision counts the versions of the content: 1 when drafted, one
	// more per edit. An approval is of one revision.
	Revision  int           `json:"revision"`
	Audiences []string      `json:"audiences"`
	Title     string        `json:"title"`
	Body      string        `json:"body"`
	Services  []ServiceLine `json:"services"`
	Corrects  int64         `json:"corrects,omitempty"`
	// SupersededBy is the published correction of this update.
	SupersededBy int64         `json:"superseded_by,omitempty"`
	Author       string        `json:"author"`
	AuthorID     int64         `json:"author_id"`
	Contributors []Contributor `json:"contributors"`
	CreatedAt    time.Time     `json:"created_at"`
	UpdatedAt    time.Time     `json:"updated_at"`
	ApprovedBy   string        `json:"approved_by,omitempty"`
	ApprovedByID int64         `json:"approved_by_id,omitempty"`
	ApprovedAt   time.Time     `json:"approved_at,omitzero"`
	ApprovalNote string        `json:"approval_note,omitempty"`
	PublishedBy  string        `json:"published_by,omitempty"`
	PublishedAt  time.Time     `json:"published_at,omitzero"`
	// ClosedBy, ClosedAt and ClosedNote record the last rejection,
	// withdrawal or supersession.
	ClosedBy   string    `json:"closed_by,omitempty"`
	ClosedAt   time.Time `json:"closed_at,omitzero"`
	ClosedNote string    `json:"closed_note,omitempty"`
	// Seq is the last event about the update.
	Seq int64 `json:"seq"`
}

// StatusUpdateQuery selects status updates.
type StatusUpdateQuery struct {
	IncidentID int64          // 0: every incident
	Statuses   []UpdateStatus // empty: every state
}

// ContentHash is the SHA-256 of the update's content (audiences, title,
// body, services, what it corrects) in canonical JSON: the events of its
// approval and publication carry it, so the log shows that what was
// published is what was approved.
func (u *StatusUpdate) ContentHash() string {
	return contentHash(StatusDraft{Audiences: u.Audiences, Title: u.Title, Body: u.Body, Services: u.Services, Corrects: u.Corrects})
}

func contentHash(d StatusDraft) string {
	raw, err := MarshalPayload(d)
	if err != nil {
		// Only strings, numbers and times: cannot fail.
		panic(fmt.Sprintf("incident: status content: %v", err))
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// contributed reports whether the actor wrote a revision of u. A user is
// matched by id; phasegate's own actors (SystemActor, no id) by name.
func (u *StatusUpdate) contributed(a Actor) bool {
	for _, c := range u.Contributors {
		if a.UserID != 0 && c.ID == a.UserID || a.UserID == 0 && c.ID == 0 && c.Name == a.Name {
			return true
		}
	}
	return false
}

func (u *StatusUpdate) addContributor(a Actor) {
	if !u.contributed(a) {
		u.Contributors = append(u.Contributors, Contributor{ID: a.UserID, Name: a.Name})
	}
}

// AudiencesOf lists the audiences an estate knows: the usual ones
// (estate.Audiences) first, then those its services name, sorted.
func AudiencesOf(est *estate.Estate) []string {
	out := slices.Clone(estate.Audiences)
	var extra []string
	if est != nil {
		for _, svc := range est.Services {
			for _, a := range svc.Audiences {
				if !slices.Contains(out, a) && !slices.Contains(extra, a) {
					extra = append(extra, a)
				}
			}
		}
	}
	slices.Sort(extra)
	return append(out, extra...)
}

// ServicesFor lists the estate's services whose audiences include a, in
// estate order.
func ServicesFor(est *estate.Estate, a string) []*estate.Service {
	var out []*estate.Service
	for i := range est.Services {
		if slices.Contains(est.Services[i].Audiences, a) {
			out = append(out, &est.Services[i])
		}
	}
	return out
}

// NormalizeDraft trims d, fills in the services' names and checks it
// against the estate. Every problem is listed in the error's Reasons,
// each naming its field.
func NormalizeDraft(est *estate.Estate, d *StatusDraft) error {
	var reasons []string
	bad := func(format string, args ...any) { reasons = append(reasons, fmt.Sprintf(format, args...)) }

	d.Title = strings.TrimSpace(d.Title)
	switch n := utf8.RuneCountInString(d.Title); {
	case n == 0:
		bad("title: an update needs a title, e.g. \"Supplier payments resume on Thursday\"")
	case n > MaxUpdateTitle:
		bad("title: %d characters is too long; keep it under %d", n, MaxUpdateTitle)
	}
	if msg := badText(d.Title, false); msg != "" {
		bad("title: %s", msg)
	}
	d.Body = strings.TrimSpace(strings.ReplaceAll(d.Body, "\r\n", "\n"))
	if n := utf8.RuneCountInString(d.Body); n > MaxUpdateBody {
		bad("body: %d characters is too long; keep it under %d, or split it into two updates", n, MaxUpdateBody)
	}
	if msg := badText(d.Body, true); msg != "" {
		bad("body: %s", msg)
	}

	known := AudiencesOf(est)
	var auds []string
	for i, a := range d.Audiences {
		a = strings.TrimSpace(a)
		switch {
		case !slices.Contains(known, a):
			bad("audiences[%d]: %q is not an audience of this estate; use one of: %s", i, shorten(a), strings.Join(known, ", "))
		case !slices.Contains(auds, a):
			auds = append(auds, a)
		}
	}
	switch {
	case len(d.Audiences) == 0:
		bad("audiences: name who the update is for, e.g. [suppliers]; the estate knows: %s", strings.Join(known, ", "))
	case len(auds) > MaxUpdateAudiences:
		bad("audiences: %d is too many; at most %d", len(auds), MaxUpdateAudiences)
	}
	d.Audiences = auds

	if len(d.Services) > MaxUpdateServices {
		bad("services: %d lines is too many; at most %d", len(d.Services), MaxUpdateServices)
	}
	ix := est.Index()
	seen := map[string]bool{}
	for i := range d.Services {
		l := &d.Services[i]
		at := fmt.Sprintf("services[%d]", i)
		l.Service = strings.TrimSpace(l.Service)
		svc := ix.Services[l.Service]
		switch {
		case l.Service == "":
			bad("%s.service: name the service, e.g. %q", at, firstService(est))
		case svc == nil:
			bad("%s.service: the estate has no service %q%s", at, shorten(l.Service), suggestService(est, l.Service))
		case seen[l.Service]:
			bad("%s.service: %s is listed twice; give each service one line", at, l.Service)
		default:
			seen[l.Service] = true
			l.Name = svc.Name
			if l.Name == "" {
				l.Name = svc.ID
			}
			if len(auds) > 0 && !slices.ContainsFunc(auds, func(a string) bool { return slices.Contains(svc.Audiences, a) }) {
				who := "no audience"
				if len(svc.Audiences) > 0 {
					who = strings.Join(svc.Audiences, ", ")
				}
				bad("%s.service: %s does not concern %s (its audiences: %s); add one of its audiences or leave it out",
					at, l.Service, strings.Join(auds, ", "), who)
			}
		}
		if !slices.Contains(ServiceStates, l.State) {
			bad("%s.state: %q is not a service state; use down, partial or up", at, shorten(string(l.State)))
		}
		if !l.ETA.IsZero() {
			if l.State == ServiceUp {
				bad("%s.eta: %s is up; an ETA is only for a service that is down or partly available", at, l.Service)
			}
			l.ETA = l.ETA.UTC().Truncate(time.Minute)
		}
		l.Note = strings.TrimSpace(l.Note)
		if n := utf8.RuneCountInString(l.Note); n > MaxServiceNote {
			bad("%s.note: %d characters is too long; keep it under %d", at, n, MaxServiceNote)
		}
		if msg := badText(l.Note, false); msg != "" {
			bad("%s.note: %s", at, msg)
		}
	}
	if d.Corrects < 0 {
		bad("corrects: %d is not an update id", d.Corrects)
	}
	if len(reasons) > 0 {
		return &phasegate.Error{Code: phasegate.EINVALID, Message: "the status update cannot be saved; fix what is listed",
			Reasons: reasons}
	}
	return nil
}

// normalizeDraftAt is NormalizeDraft, and refuses ETAs that cannot be
// promised at now for an incident that started at started (see
// checkETAs); every reason in one error.
func normalizeDraftAt(est *estate.Estate, d *StatusDraft, now, started time.Time) error {
	err := NormalizeDraft(est, d)
	late := checkETAs(d, now, started)
	if len(late) == 0 {
		return err
	}
	var reasons []string
	if e, ok := err.(*phasegate.Error); ok {
		reasons = e.Reasons
	} else if err != nil {
		return err
	}
	return &phasegate.Error{Code: phasegate.EINVALID, Message: "the status update cannot be saved; fix what is listed",
		Reasons: append(reasons, late...)}
}

// checkETAs refuses an ETA before the incident started, and one on a day
// already over (UTC, as pages show it: today is still a promise). An
// ETA is only for a service down or partly available, so one in the past
// tells the public a date that was missed as if it still held.
func checkETAs(d *StatusDraft, now, started time.Time) []string {
	day := func(t time.Time) time.Time {
		t = t.UTC()
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	}
	var bad []string
	for i, l := range d.Services {
		if l.ETA.IsZero() || l.State == ServiceUp {
			continue
		}
		at := fmt.Sprintf("services[%d].eta", i)
		switch {
		case l.ETA.Before(started):
			bad = append(bad, fmt.Sprintf("%s: %s is before the incident started (%s); give when %s is expected back, or no ETA",
				at, l.ETA.UTC().Format(time.RFC3339), started.UTC().Format(time.RFC3339), l.Service))
		case day(l.ETA).Before(day(now)):
			bad = append(bad, fmt.Sprintf("%s: %s is in the past; %s is not back, so give a new date (the live plan's is in the suggestions) or no ETA",
				at, ShortDate(l.ETA), l.Service))
		}
	}
	return bad
}

// badText names what is wrong with a text: invalid UTF-8, or control
// characters other than line breaks and tabs (multiline texts only).
func badText(s string, multiline bool) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8 text"
	}
	for _, r := range s {
		if r == '\n' || r == '\t' {
			if !multiline {
				return "must be one line"
			}
			continue
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return fmt.Sprintf("contains the control character %U; remove it", r)
		}
	}
	return ""
}

func shorten(s string) string {
	if utf8.RuneCountInString(s) <= 40 {
		return s
	}
	return string([]rune(s)[:40]) + "…"
}

func firstService(est *estate.Estate) string {
	if len(est.Services) > 0 {
		return est.Services[0].ID
	}
	return "supplier-payments"
}

func suggestService(est *estate.Estate, id string) string {
	var ids []string
	for _, s := range est.Services {
		ids = append(ids, s.ID)
	}
	if len(ids) == 0 {
		return "; the estate names no services"
	}
	if len(ids) > 12 {
		ids = append(ids[:12], "…")
	}
	return "; its services are: " + strings.Join(ids, ", ")
}

// ShortDate is how status pages write an ETA: the day, e.g. "Wed 24 Sep"
// (UTC). A day, not an hour: a published promise should not be more
// precise than the plan behind it.
func ShortDate(t time.Time) string { return t.UTC().Format("Mon 2 Jan") }

// Sentence is the line a status page shows for a service, e.g.
// "Supplier payments: expected back Wed 24 Sep".
func (l ServiceLine) Sentence() string {
	name := l.Name
	if name == "" {
		name = l.Service
	}
	switch {
	case l.State == ServiceUp:
		return name + ": available again"
	case !l.ETA.IsZero() && l.State == ServicePartial:
		return name + ": partly available, fully expected back " + ShortDate(l.ETA)
	case !l.ETA.IsZero():
		return name + ": expected back " + ShortDate(l.ETA)
	case l.State == ServicePartial:
		return name + ": partly available"
	case l.State == ServiceDown:
		return name + ": not available"
	}
	return name
}
