package server

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/chart"
	"github.com/phasegate/phasegate/incident"
)

// The ETA history page: how each business service's expected date (and
// the whole restart's) moved over the incident, and which event moved
// it. The dates are the plan worker's records (Service.ETAHistory, the
// API's GET …/plan/history): one each time a recomputed plan moved a
// headline date.

// maxHistoryRows is how many moves the page lists: beyond a few hundred
// a table is scrolled, not read. The pictures draw every move; the API
// gives them all.
const maxHistoryRows = 200

// historyRestart is the service filter's value for the whole restart:
// no service's id (ids start with a letter or a digit).
const historyRestart = "_restart"

// historyKey is the filter's value for a recorded date's subject.
func historyKey(subject string) string {
	if subject == incident.SubjectRestart {
		return historyRestart
	}
	return strings.TrimPrefix(subject, "service:")
}

// etaSubject is one date with a history: a service's, or the restart's.
type etaSubject struct {
	Key, Name string
	// Back: the live plan has the service back (for the restart: every
	// system back).
	Back bool
	// Latest is the date recorded last and when it was recorded; First
	// the first date recorded. Zero: none recorded yet.
	Latest, LatestAt, First time.Time
	Moves, Later, Earlier   int
	// Drift is how far the latest date is from the first, in hours.
	Drift float64
	Chart template.HTML
}

// etaMove is one recorded date in the table of moves.
type etaMove struct {
	At        time.Time
	Key, Name string
	From, To  time.Time
	// First: the first date recorded for it (nothing to move from).
	First bool
	// Back: the date is not after the time it was recorded.
	Back  bool
	Shift float64 // hours, later positive
	// Waiting is the system the service then waited on last.
	Waiting string
	Seq     int64
	// Again: no system moved since the date's previous record (the same
	// last event): time passed, or the estate changed.
	Again bool
	// Event is the event that moved the date (nil when the log does
	// not have it, or the viewer may not see it).
	Event    *uiEvent
	EventURL string
}

type historyData struct {
	ID       int64
	Service  string
	Services []option
	Subjects []etaSubject
	Moves    []etaMove
	// Total is how many moves match; Moves holds the newest of them, at
	// most MaxRows.
	Total, MaxRows int
	Recorded       int
	FilterError    *uiError
	PlanError      *uiError
	API            string
	// Refresh says how often the plan is recomputed with nothing
	// happening ("" when never).
	Refresh string
}

// refreshText says a refresh period in words: "hour", "3 hours",
// "15 minutes".
func refreshText(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d == time.Hour:
		return "hour"
	case d%time.Hour == 0:
		return fmt.Sprintf("%d hours", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%d minutes", d/time.Minute)
	}
	return d.String()
}

func (u *ui) handleHistoryPage(w http.ResponseWriter, r *http.Request, a incident.Actor) {
	in, ok := u.incidentOf(w, r, a)
	if !ok {
		return
	}
	// Dates are recorded a few seconds after a change, by the plan
	// worker: a refresh at the event would miss them.
	p := u.stillPage(a, in, "", "How the dates moved")
	d := historyData{ID: in.ID(), Service: strings.TrimSpace(r.URL.Query().Get("service")), MaxRows: maxHistoryRows,
		API: fmt.Sprintf("/api/v1/incidents/%d/plan/history", in.ID()), Refresh: refreshText(u.s.svc.Settings().PlanRefresh)}
	d.Services = append(d.Services, option{historyRestart, "The whole restart (every system back)"})
	names := map[string]string{historyRestart: "The whole restart"}
	for _, s := range in.est.Services {
		d.Services = append(d.Services, option{s.ID, cmp.Or(s.Name, s.ID)})
		names[s.ID] = cmp.Or(s.Name, s.ID)
	}
	if _, ok := names[d.Service]; d.Service != "" && !ok {
		d.FilterError = uiErrorOf(phasegate.Errorf(phasegate.ENOTFOUND,
			"no business service %q in this incident's estate; choose one from the list", d.Service))
		p.Data = d
		u.render(w, r, d.FilterError.Status, "history", p)
		return
	}
	changes, err := u.s.svc.ETAHistory(r.Context(), a, in.ID())
	if err != nil {
		u.fail(w, r, p, err)
		return
	}
	d.Recorded = len(changes)
	back := map[string]bool{}
	lp, note, err := u.livePlanOrNote(r, a, in)
	if err != nil {
		u.fail(w, r, p, err)
		return
	}
	if d.PlanError = note; lp != nil {
		back[historyRestart] = !lp.plan.End.After(lp.plan.Start)
		if lp.ledger != nil {
			for i, s := range lp.ledger.Services {
				if i < len(in.est.Services) {
					back[in.est.Services[i].ID] = s.Back
				}
			}
		}
	}

	// Every date by what it is the date of, in the order recorded.
	bySubject := map[string][]incident.ETAChange{}
	again := incident.TimePassed(changes)
	var moves []etaMove
	for i, c := range changes {
		key := historyKey(c.Subject)
		if _, ok := names[key]; !ok || d.Service != "" && key != d.Service {
			continue // a service of an earlier estate version, or filtered out
		}
		bySubject[key] = append(bySubject[key], c)
		m := etaMove{At: c.At, Key: key, Name: names[key], From: c.Previous, To: c.ETA, First: c.Previous.IsZero(),
			Back: !c.ETA.After(c.At), Seq: c.Seq}
		if !m.First {
			m.Shift = c.ETA.Sub(c.Previous).Hours()
			m.Again = again[i]
		}
		var detail struct {
			LastSystem string `json:"last_system"`
		}
		json.Unmarshal(c.Detail, &detail)
		m.Waiting = detail.LastSystem
		moves = append(moves, m)
	}
	d.Total = len(moves)
	slices.Reverse(moves)
	d.Moves = moves[:min(len(moves), maxHistoryRows)]
	if err := u.describeMoves(r, a, in, d.Moves); err != nil {
		u.fail(w, r, p, err)
		return
	}

	now := u.clock()
	keys := []string{historyRestart}
	for _, s := range in.est.Services {
		keys = append(keys, s.ID)
	}
	width := 600.0
	if d.Service != "" {
		width = 1100
	}
	for _, key := range keys {
		if d.Service != "" && key != d.Service {
			continue
		}
		sub := etaSubjectOf(key, names[key], back[key], bySubject[key])
		svg, err := historyChart(sub, bySubject[key], in.view.StartedAt, now, width, len(d.Subjects))
		if err != nil {
			u.fail(w, r, p, err)
			return
		}
		sub.Chart = svg
		d.Subjects = append(d.Subjects, sub)
	}
	// The restart first; then services still down, soonest first; then
	// those back.
	if len(d.Subjects) > 1 {
		slices.SortStableFunc(d.Subjects[1:], func(a, b etaSubject) int {
			if a.Back != b.Back {
				if a.Back {
					return 1
				}
				return -1
			}
			return a.Latest.Compare(b.Latest)
		})
	}
	p.Data = d
	u.render(w, r, http.StatusOK, "history", p)
}

// etaSubjectOf sums up one date's records (in the order recorded).
func etaSubjectOf(key, name string, back bool, cs []incident.ETAChange) etaSubject {
	s := etaSubject{Key: key, Name: name, Back: back}
	if len(cs) == 0 {
		return s
	}
	first, last := cs[0], cs[len(cs)-1]
	s.First, s.Latest, s.LatestAt = first.ETA, last.ETA, last.At
	s.Moves = len(cs) - 1
	s.Drift = last.ETA.Sub(first.ETA).Hours()
	for i := 1; i < len(cs); i++ {
		switch cs[i].ETA.Compare(cs[i-1].ETA) {
		case 1:
			s.Later++
		case -1:
			s.Earlier++
		}
	}
	return s
}

// historyChart draws one date's records as a step line over the
// incident, from its start to now; n numbers the picture on the page.
func historyChart(s etaSubject, cs []incident.ETAChange, start, now time.Time, width float64, n int) (template.HTML, error) {
	// The card around the picture says how often it moved; the picture
	// (which may be saved alone) says so in its description.
	c := chart.ETAHistoryChart{Title: s.Name, Start: start, Now: &now, Width: width, IDPrefix: fmt.Sprintf("eta-%d", n)}
	for _, ch := range cs {
		c.Steps = append(c.Steps, chart.ETAStep{At: ch.At.Sub(start).Hours(), ETA: ch.ETA.Sub(start).Hours()})
	}
	var buf bytes.Buffer
	if err := chart.ETAHistory(&buf, c); err != nil {
		return "", fmt.Errorf("drawing the date history of %s: %w", s.Key, err)
	}
	return template.HTML(buf.String()), nil
}

// describeMoves finds the event that moved each date and says it in
// words, reading the log only over the stretch the moves span.
func (u *ui) describeMoves(r *http.Request, a incident.Actor, in *uiIncident, moves []etaMove) error {
	if len(moves) == 0 {
		return nil
	}
	want := map[int64][]int{}
	lo, hi := moves[0].Seq, moves[0].Seq
	for i, m := range moves {
		if m.Seq > 0 {
			want[m.Seq] = append(want[m.Seq], i)
			lo, hi = min(lo, m.Seq), max(hi, m.Seq)
		}
	}
	if len(want) == 0 {
		return nil
	}
	return u.scanEventsFrom(r, a, in.ID(), lo-1, func(e incident.Event) bool {
		if e.Seq > hi {
			return false
		}
		if idx := want[e.Seq]; idx != nil && a.MaySee(e) {
			ev := describeEvent(e)
			for _, i := range idx {
				moves[i].Event = &ev
				moves[i].EventURL = eventURL(in.ID(), e.Seq)
			}
		}
		return true
	})
}

// eventURL is the event log's page that holds one event, at the event.
func eventURL(incidentID, seq int64) string {
	return fmt.Sprintf("/incidents/%d/events?event=%d#event-%d", incidentID, seq, seq)
}
