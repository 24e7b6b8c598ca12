package incident

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/estate"
)

// Measured backlog readings: during a recovery the team counts what a
// backlog really holds outstanding ("11,200 invoices unpaid at 09:00").
// The estate's rates only say how a backlog should grow and shrink; a
// reading says where it stands, so the backlog forecast can start from
// what is measured rather than from what is assumed. Each reading is a
// backlog.measured event, written in the same transaction as the
// reading.

// MaxReadingNote bounds a reading's note, in characters.
const MaxReadingNote = 500

// readingFuture is how far after the transaction's time a reading may
// be taken: a count cannot be from the future, but clocks differ a
// little.
const readingFuture = time.Minute

// BacklogReading is one count of what a backlog of an incident's estate
// held outstanding at a time.
type BacklogReading struct {
	ID         int64  `json:"id"`
	IncidentID int64  `json:"incident_id"`
	Backlog    string `json:"backlog"` // the estate's backlog id
	// At is when the count was taken.
	At time.Time `json:"at"`
	// Remaining is the units outstanding then: listed items and the
	// rest together.
	Remaining float64 `json:"remaining"`
	// ServiceBack: the backlog's service was back (every system it
	// requires up) at At.
	ServiceBack bool      `json:"service_back"`
	Note        string    `json:"note,omitempty"`
	RecordedBy  string    `json:"recorded_by"`
	RecordedAt  time.Time `json:"recorded_at"`
	// Seq is its backlog.measured event.
	Seq int64 `json:"seq"`
}

// NewBacklogReading is a reading to record.
type NewBacklogReading struct {
	Backlog   string  `json:"backlog"`
	Remaining float64 `json:"remaining"`
	// At is when the count was taken; zero: now (the transaction's
	// time).
	At time.Time `json:"at,omitzero"`
	// ServiceBack says whether the backlog's service was back at At;
	// nil: whether it is back now, from the incident's current states.
	ServiceBack *bool  `json:"service_back,omitempty"`
	Note        string `json:"note,omitempty"`
}

// RecordBacklogReading records a count of what one of the incident's
// backlogs holds outstanding, with its backlog.measured event. Needs
// backlog.record; the incident must be open, the backlog one of its
// estate version's, the count finite and not negative, taken after the
// incident started and not in the future.
func (s *Service) RecordBacklogReading(ctx context.Context, a Actor, incidentID int64, r NewBacklogReading) (*BacklogReading, error) {
	if err := a.Authorize(ActionBacklogRecord, nil); err != nil {
		return nil, err
	}
	var out *BacklogReading
	err := s.update(ctx, func(w *writer) error {
		l, err := s.loadOpen(w, incidentID)
		if err != nil {
			return err
		}
		b, err := l.backlog(r.Backlog)
		if err != nil {
			return err
		}
		now := w.Now()
		at := r.At.UTC().Truncate(time.Microsecond)
		if r.At.IsZero() {
			at = now
		}
		note := strings.TrimSpace(strings.ReplaceAll(r.Note, "\r\n", "\n"))
		if err := checkReading(b, r.Remaining, at, now, l.in.StartedAt, note); err != nil {
			return err
		}
		back := false
		if r.ServiceBack != nil {
			back = *r.ServiceBack
		} else {
			states, err := w.SystemStates(incidentID)
			if err != nil {
				return err
			}
			back = serviceBackNow(l.est, b.Service, states, now)
		}
		rd := &BacklogReading{IncidentID: incidentID, Backlog: b.ID, At: at, Remaining: r.Remaining,
			ServiceBack: back, Note: note, RecordedBy: a.Name, RecordedAt: now}
		e, err := w.event(a.Name, EventBacklogMeasured, incidentID, "backlog:"+b.ID, map[string]any{
			"backlog": b.ID, "remaining": rd.Remaining, "at": FormatTime(at), "service_back": back, "note": note})
		if err != nil {
			return err
		}
		rd.Seq = e.Seq
		if err := w.InsertBacklogReading(rd); err != nil {
			return err
		}
		out = rd
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// BacklogReadings lists an incident's readings, oldest first (by the
// time each count was taken, then as recorded). Needs view.
func (s *Service) BacklogReadings(ctx context.Context, a Actor, incidentID int64) ([]BacklogReading, error) {
	if err := a.Authorize(ActionView, nil); err != nil {
		return nil, err
	}
	var out []BacklogReading
	err := s.view(ctx, func(tx Tx) (err error) {
		if _, err = tx.Incident(incidentID); err != nil {
			return err
		}
		out, err = tx.BacklogReadings(incidentID)
		return err
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []BacklogReading{}
	}
	return out, nil
}

// backlog returns the backlog id names in the incident's estate version,
// or ENOTFOUND naming the nearest id and the ones there are.
func (l *loaded) backlog(id string) (*estate.Backlog, error) {
	id = strings.TrimSpace(id)
	var ids []string
	for i := range l.est.Backlogs {
		if l.est.Backlogs[i].ID == id {
			return &l.est.Backlogs[i], nil
		}
		ids = append(ids, l.est.Backlogs[i].ID)
	}
	if id == "" {
		if len(ids) == 0 {
			return nil, phasegate.Errorf(phasegate.EINVALID,
				"backlog: name the backlog the count is of; estate version %d of incident %d has no backlogs (add them under backlogs: in the estate)",
				l.in.EstateVersion, l.in.ID)
		}
		return nil, phasegate.Errorf(phasegate.EINVALID, "backlog: name the backlog the count is of, e.g. %q", ids[0])
	}
	msg := fmt.Sprintf("incident %d has no backlog %q in estate version %d", l.in.ID, shorten(id), l.in.EstateVersion)
	if len(ids) == 0 {
		return nil, phasegate.Errorf(phasegate.ENOTFOUND,
			"%s: it has no backlogs at all; add them under backlogs: in the estate (docs/estate-format.md) and move the incident to that version", msg)
	}
	few, more := someIDs(ids)
	if more > 0 {
		few += fmt.Sprintf(" and %d more", more)
	}
	return nil, phasegate.Errorf(phasegate.ENOTFOUND, "%s%s; its backlogs are %s", msg, didYouMean(id, ids), few)
}

// checkReading refuses a count that cannot be one: not a finite number
// of units or fewer than none, taken in the future or before the
// incident started, with a note too long or holding control characters.
// Every problem is listed at once.
func checkReading(b *estate.Backlog, remaining float64, at, now, started time.Time, note string) error {
	var reasons []string
	bad := func(format string, args ...any) { reasons = append(reasons, fmt.Sprintf(format, args...)) }
	unit := b.Unit
	if unit == "" {
		unit = "units"
	}
	switch {
	case math.IsNaN(remaining) || math.IsInf(remaining, 0):
		bad("remaining: %v is not a count; give how many %s are outstanding, e.g. 11200", remaining, unit)
	case remaining < 0:
		bad("remaining: %v is fewer than none; give how many %s are outstanding (0 when the backlog is cleared)", remaining, unit)
	}
	switch {
	case at.After(now.Add(readingFuture)):
		bad("at: %s is in the future (it is %s now): a count cannot be from the future; give when it was taken, or leave at out for now",
			at.Format(time.RFC3339), now.Format(time.RFC3339))
	case at.Before(started):
		bad("at: %s is before the incident started (%s); give when the count was taken during the incident",
			at.Format(time.RFC3339), started.UTC().Format(time.RFC3339))
	}
	if n := utf8.RuneCountInString(note); n > MaxReadingNote {
		bad("note: %d characters is too long; keep it to %d at most", n, MaxReadingNote)
	}
	if msg := badText(note, true); msg != "" {
		bad("note: %s", msg)
	}
	switch len(reasons) {
	case 0:
		return nil
	case 1:
		return phasegate.Errorf(phasegate.EINVALID, "%s", reasons[0])
	}
	return &phasegate.Error{Code: phasegate.EINVALID,
		Message: fmt.Sprintf("the reading of %s cannot be recorded; fix what is listed", b.ID), Reasons: reasons}
}

// serviceBackNow reports whether a service is back given the systems'
// current states: every system it requires is up (running or online), as
// ServiceDowntimes decides it for the impact ledger and the report.
func serviceBackNow(est *estate.Estate, service string, states []SystemState, now time.Time) bool {
	for _, d := range ServiceDowntimes(est, now, states, nil, now) {
		if d.Service == service {
			return d.Back
		}
	}
	return false
}
