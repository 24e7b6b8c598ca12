package server

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/forecast"
	"github.com/phasegate/phasegate/incident"
	"github.com/phasegate/phasegate/internal/suggest"
)

// The what-if page: a question to the planner that changes nothing —
// more people for a team, a shorter or longer clearance or restore, a
// system found compromised again, a dependency dropped — answered beside
// the live forecast, service by service. It is a GET form, so a question
// can be bookmarked and sent to someone; the answer is computed as the
// API's POST …/whatif computes it (liveWhatIf), and kept in the same
// cache.

// whatIfKind is one kind of change on the form: its fields in the order
// shown, and how many rows it shows at first. The form shows one empty
// row more than are filled in, up to maxWhatIfRows, so more changes need
// no script.
type whatIfKind struct {
	name                 string // in the list of problems above the form
	target, phase, value whatIfSpec
	rows                 int
}

// whatIfSpec is one field of a row; its name and id end in the row's
// number. choices says what it offers: "teams" or "phases" (a drop-down),
// or the datalist a text field suggests from ("systems", "needers").
type whatIfSpec struct {
	name, label, hint, choices string
	wide                       bool
}

// The kinds of change, in the form's order.
const (
	kindCapacity = iota
	kindEstimate
	kindCompromised
	kindDrop
)

var whatIfKinds = [...]whatIfKind{
	kindCapacity: {name: "people in a team", rows: 2,
		target: whatIfSpec{name: "cap-team-", label: "Team", choices: "teams"},
		value:  whatIfSpec{name: "cap-", label: "Capacity", hint: "6 sets it, +2 adds two, -1 takes one away"}},
	kindEstimate: {name: "clearance or restore", rows: 2,
		target: whatIfSpec{name: "est-system-", label: "System", hint: "its id", choices: "systems"},
		phase:  whatIfSpec{name: "est-phase-", label: "Which", choices: "phases"},
		value:  whatIfSpec{name: "est-", label: "Takes", hint: "3d, 2d/3d/5d, -1d, +12h, or none (no clearance)"}},
	kindCompromised: {name: "compromised again", rows: 1,
		target: whatIfSpec{name: "bad-", label: "System", hint: "its id", choices: "systems", wide: true}},
	kindDrop: {name: "dependency", rows: 1,
		target: whatIfSpec{name: "dep-", label: "System or service", hint: "its id", choices: "needers"},
		value:  whatIfSpec{name: "dep-requires-", label: "No longer waits for", hint: "a system's id", choices: "systems"}},
}

const maxWhatIfRows = 8

// whatIfRow is one row of the form: what was typed, and what is wrong
// with it beside each field.
type whatIfRow struct {
	N                       int
	Target, Value, Phase    string
	TargetError, ValueError string
	// Controls are the row's fields as the page shows them.
	Controls []whatIfControl
	// change is the row's change in its text form (String of the parsed
	// change), to find the row a refusal of the forecast is about.
	change string
}

// whatIfControl is one field of a row on the page (template wi-field):
// a drop-down when it has Options, else a text field suggesting from
// the datalist List.
type whatIfControl struct {
	ID, Name, Label, Hint, List string
	Options                     []option
	Value, Error                string
	Wide                        bool
}

// check sets a row's errors when a field is missing or its target names
// nothing of its kind; it reports whether the row can be read.
func (r *whatIfRow) check(noTarget, noValue string, known func(string) bool, unknown func(string) string) bool {
	switch {
	case r.Target == "":
		r.TargetError = noTarget
	case !known(r.Target):
		r.TargetError = unknown(r.Target)
	}
	if r.Value == "" {
		r.ValueError = noValue
	}
	return r.TargetError == "" && r.ValueError == ""
}

func (r whatIfRow) empty() bool { return r.Target == "" && r.Value == "" }

// whatIfForm is the form's rows, by kind.
type whatIfForm struct {
	Capacity, Estimate, Compromised, Drop []whatIfRow
}

func (f *whatIfForm) kinds() [4]*[]whatIfRow {
	return [4]*[]whatIfRow{kindCapacity: &f.Capacity, kindEstimate: &f.Estimate, kindCompromised: &f.Compromised, kindDrop: &f.Drop}
}

// problems lists what is wrong with each row, for the box above the
// form (the same words stand beside each field).
func (f *whatIfForm) problems() []string {
	var out []string
	for k, rows := range f.kinds() {
		for _, r := range *rows {
			for _, e := range []string{r.TargetError, r.ValueError} {
				if e != "" {
					out = append(out, fmt.Sprintf("%s, row %d: %s", whatIfKinds[k].name, r.N, e))
				}
			}
		}
	}
	return out
}

// readWhatIfForm reads the rows typed in (empty ones dropped, the rest
// numbered from 1) and pads each kind with empty rows.
func readWhatIfForm(q url.Values) whatIfForm {
	var f whatIfForm
	for k, rows := range f.kinds() {
		kind := whatIfKinds[k]
		get := func(f whatIfSpec, n int) string {
			if f.name == "" {
				return ""
			}
			return strings.TrimSpace(q.Get(f.name + strconv.Itoa(n)))
		}
		for n := 1; n <= maxWhatIfRows; n++ {
			r := whatIfRow{Target: get(kind.target, n), Value: get(kind.value, n), Phase: get(kind.phase, n)}
			if !r.empty() {
				*rows = append(*rows, r)
			}
		}
		for shown := min(maxWhatIfRows, max(kind.rows, len(*rows)+1)); len(*rows) < shown; {
			*rows = append(*rows, whatIfRow{})
		}
		for i := range *rows {
			(*rows)[i].N = i + 1
		}
	}
	return f
}

// scenario checks each row against the estate and turns the rows into
// a scenario and the changes said in words. A row that cannot be read
// gets its error beside the field; the forecast checks the rest.
func (f *whatIfForm) scenario(e *estate.Estate, ix *estate.Index) (forecast.Scenario, []string) {
	var sc forecast.Scenario
	var words []string
	systemName := func(id string) string {
		if s := ix.Systems[id]; s != nil && s.Name != "" {
			return fmt.Sprintf("%s (%s)", s.Name, id)
		}
		return id
	}
	var teamIDs, systemIDs, neederIDs []string
	for _, t := range e.Teams {
		teamIDs = append(teamIDs, t.ID)
	}
	for _, s := range e.Systems {
		systemIDs = append(systemIDs, s.ID)
	}
	neederIDs = append(slices.Clone(systemIDs), serviceIDs(e)...)
	anID := "a system's id"
	if len(systemIDs) > 0 {
		anID = systemIDs[0]
	}
	// unknown says an id names nothing of its kind, with the nearest one.
	unknown := func(what string, ids []string) func(string) string {
		return func(id string) string {
			msg := fmt.Sprintf("no %s %q in the estate", what, id)
			if near := suggest.Nearest(id, ids); near != "" {
				return msg + fmt.Sprintf("; did you mean %s?", near)
			}
			return msg + "; choose one from the list"
		}
	}
	isTeam := func(id string) bool { return ix.Teams[id] != nil }
	isSystem := func(id string) bool { return ix.Systems[id] != nil }
	// reason is what the forecast's parser refuses, with an example in
	// the form's words rather than the command line's.
	reason := func(err error, example string) string {
		var ce *forecast.ChangeError
		if errors.As(err, &ce) {
			return ce.Msg + "; e.g. " + example
		}
		return err.Error()
	}

	for i := range f.Capacity {
		r := &f.Capacity[i]
		if r.empty() || !r.check("choose the team", "give the capacity: write 6 to set it, +2 to add two people, -1 to take one away",
			isTeam, unknown("team", teamIDs)) {
			continue
		}
		c, err := forecast.ParseCapacityChange(r.Target + "=" + r.Value)
		if err != nil {
			r.ValueError = reason(err, "6, +2 or -1")
			continue
		}
		r.change = c.String()
		sc.TeamCapacity = append(sc.TeamCapacity, c)
		t := ix.Teams[r.Target]
		n := c.Capacity
		if c.Relative {
			n += t.Capacity
		}
		words = append(words, fmt.Sprintf("Team %s: %d instead of %d", cmp.Or(t.Name, t.ID), n, t.Capacity))
	}
	for i := range f.Estimate {
		r := &f.Estimate[i]
		clearance := r.Phase != "restore"
		if clearance {
			r.Phase = "clearance"
		}
		if r.empty() || !r.check("give the system's id", "give how long it takes: write 3d, 2d/3d/5d (shortest/likely/longest), "+
			"-1d or +12h to move every bound, or none to need no clearance", isSystem, unknown("system", systemIDs)) {
			continue
		}
		flag := forecast.FlagClearance
		if !clearance {
			flag = forecast.FlagRestore
		}
		c, err := forecast.ParseEstimateChange(flag, r.Target+"="+r.Value, clearance)
		if err != nil {
			r.ValueError = reason(err, "3d, 2d/3d/5d, -1d or none")
			continue
		}
		r.change = c.String()
		s := ix.Systems[r.Target]
		now := "none"
		cur := &s.Restore
		if clearance {
			cur = s.Clearance
		}
		if cur != nil {
			now = estimateText(*cur)
		}
		what := fmt.Sprintf("%s of %s", r.Phase, systemName(s.ID))
		switch {
		case c.Remove:
			words = append(words, fmt.Sprintf("No clearance for %s (instead of %s)", systemName(s.ID), now))
		case c.Estimate != nil:
			words = append(words, fmt.Sprintf("The %s: %s instead of %s", what, estimateText(*c.Estimate), now))
		case c.Shift < 0:
			words = append(words, fmt.Sprintf("The %s: %s shorter than %s", what, estate.FormatDuration(-c.Shift), now))
		default:
			words = append(words, fmt.Sprintf("The %s: %s longer than %s", what, estate.FormatDuration(c.Shift), now))
		}
		if clearance {
			sc.Clearance = append(sc.Clearance, c)
		} else {
			sc.Restore = append(sc.Restore, c)
		}
	}
	for i := range f.Compromised {
		r := &f.Compromised[i]
		if r.empty() {
			continue
		}
		id, err := forecast.ParseCompromised(r.Target)
		switch {
		case err != nil:
			r.TargetError = reason(err, anID)
		case !isSystem(id):
			r.TargetError = unknown("system", systemIDs)(id)
		default:
			r.change = id
			sc.Compromised = append(sc.Compromised, id)
			words = append(words, fmt.Sprintf("%s found compromised again: cleared and restored again", systemName(id)))
		}
	}
	for i := range f.Drop {
		r := &f.Drop[i]
		isNeeder := func(id string) bool { return isSystem(id) || ix.Services[id] != nil }
		if r.empty() || !r.check("give the system (or service) that waits", "give the system it need no longer wait for",
			isNeeder, unknown("system or service", neederIDs)) {
			continue
		}
		d, err := forecast.ParseDependency(r.Target + ":" + r.Value)
		if err != nil {
			r.ValueError = reason(err, anID)
			continue
		}
		r.change = d.String()
		sc.DropDependency = append(sc.DropDependency, d)
		name := systemName(d.System)
		if s := ix.Services[d.System]; s != nil {
			name = fmt.Sprintf("the service %s", cmp.Or(s.Name, s.ID))
		}
		words = append(words, fmt.Sprintf("%s no longer waits for %s", name, systemName(d.Requires)))
	}
	return sc, words
}

// lay sets each row's controls: what was typed, the errors, and the
// choices of the drop-downs and the suggestions of the text fields.
func (f *whatIfForm) lay(teams []option) {
	phases := []option{{"clearance", "forensic clearance"}, {"restore", "restore"}}
	for k, rows := range f.kinds() {
		kind := whatIfKinds[k]
		for i := range *rows {
			r := &(*rows)[i]
			r.Controls = nil
			for _, c := range []struct {
				spec         whatIfSpec
				value, error string
			}{{kind.target, r.Target, r.TargetError}, {kind.phase, r.Phase, ""}, {kind.value, r.Value, r.ValueError}} {
				if c.spec.name == "" {
					continue
				}
				ctl := whatIfControl{ID: "wi-" + c.spec.name + strconv.Itoa(r.N), Name: c.spec.name + strconv.Itoa(r.N),
					Label: c.spec.label, Hint: c.spec.hint, Value: c.value, Error: c.error, Wide: c.spec.wide}
				switch c.spec.choices {
				case "teams":
					ctl.Options = []option{{"", "(choose a team)"}}
					if c.error != "" && c.value != "" {
						ctl.Options = append(ctl.Options, option{c.value, c.value + " (as asked)"})
					}
					ctl.Options = append(ctl.Options, teams...)
				case "phases":
					ctl.Options = phases
				case "":
					// A value typed freely: no suggestions.
				default:
					ctl.List = "wi-" + c.spec.choices
				}
				r.Controls = append(r.Controls, ctl)
			}
		}
	}
}

// place puts a change the forecast refuses beside the row it is about;
// false when no row is.
func (f *whatIfForm) place(ce *forecast.ChangeError) bool {
	kind := map[string]int{forecast.FlagTeamCapacity: kindCapacity, forecast.FlagClearance: kindEstimate,
		forecast.FlagRestore: kindEstimate, forecast.FlagCompromised: kindCompromised, forecast.FlagDropDependency: kindDrop}
	k, ok := kind[ce.Flag]
	if !ok {
		return false
	}
	rows := f.kinds()[k]
	for i := range *rows {
		r := &(*rows)[i]
		if r.change != ce.Value || r.change == "" {
			continue
		}
		if k == kindCompromised {
			r.TargetError = ce.Msg
		} else {
			r.ValueError = ce.Msg
		}
		return true
	}
	return false
}

// estimateText writes an estimate as the what-if's changes are written:
// 3d, or 2d/3d/5d.
func estimateText(e estate.Estimate) string {
	return strings.TrimPrefix(forecast.EstimateChange{Estimate: &e}.String(), "=")
}

func serviceIDs(e *estate.Estate) []string {
	ids := make([]string, len(e.Services))
	for i, s := range e.Services {
		ids[i] = s.ID
	}
	return ids
}

// whatIfAnswer is the comparison as the page shows it.
type whatIfAnswer struct {
	Changes []string
	Notes   []string
	// Services are in the order they are back in the baseline.
	Services            []whatIfLine
	Restart             whatIfLine
	Sooner, Later, Same int
	Start               time.Time
	Runs                int
	API, Body           string
}

// whatIfLine is one service (or the whole restart) before and after.
type whatIfLine struct {
	ID, Name              string
	Plan, P80             whatIfDates
	Currency              string
	CostBefore, CostAfter float64
	CostShift             float64
}

// whatIfDates is one date before and after; a date not after the
// forecast's start is back (already, or at once).
type whatIfDates struct {
	Before, After         time.Time
	BeforeBack, AfterBack bool
	Shift                 float64 // hours, later positive
}

func whatIfLineOf(d forecast.Delta, currency string) whatIfLine {
	dates := func(b, a time.Time, bh, ah, shift float64) whatIfDates {
		return whatIfDates{Before: b, After: a, BeforeBack: bh <= 0, AfterBack: ah <= 0, Shift: shift}
	}
	return whatIfLine{ID: d.ID, Name: cmp.Or(d.Name, d.ID),
		Plan:     dates(d.Baseline.Deterministic, d.Scenario.Deterministic, d.Baseline.DeterministicHours, d.Scenario.DeterministicHours, d.DeltaHours),
		P80:      dates(d.Baseline.P80, d.Scenario.P80, d.Baseline.P80Hours, d.Scenario.P80Hours, d.DeltaP80Hours),
		Currency: currency, CostBefore: d.Baseline.Cost, CostAfter: d.Scenario.Cost, CostShift: d.DeltaCost}
}

type whatIfData struct {
	ID       int64
	Form     whatIfForm
	Teams    []option
	Systems  []option
	Needers  []option
	Currency string
	MaxRows  int
	// Asked: the form was sent (a question, or the button alone).
	Asked  bool
	Error  *uiError
	Answer *whatIfAnswer
}

func (u *ui) handleWhatIfPage(w http.ResponseWriter, r *http.Request, a incident.Actor) {
	in, ok := u.incidentOf(w, r, a)
	if !ok {
		return
	}
	// A refresh at an event must not replace a form being typed into.
	p := u.stillPage(a, in, "whatif", "What if")
	q := r.URL.Query()
	d := whatIfData{ID: in.ID(), Currency: in.est.Currency, MaxRows: maxWhatIfRows, Form: readWhatIfForm(q)}
	for _, t := range in.est.Teams {
		d.Teams = append(d.Teams, option{t.ID, fmt.Sprintf("%s (now %d)", cmp.Or(t.Name, t.ID), t.Capacity)})
	}
	for _, s := range in.est.Systems {
		d.Systems = append(d.Systems, option{s.ID, cmp.Or(s.Name, s.ID)})
	}
	d.Needers = slices.Clone(d.Systems)
	for _, s := range in.est.Services {
		d.Needers = append(d.Needers, option{s.ID, "service: " + cmp.Or(s.Name, s.ID)})
	}
	sc, words := d.Form.scenario(in.est, in.ix)
	problems := d.Form.problems()
	d.Asked = q.Has("ask") || !sc.Empty() || len(problems) > 0
	show := func(status int, e *uiError) {
		d.Error = e
		d.Form.lay(d.Teams)
		p.Data = d
		u.render(w, r, status, "whatif", p)
	}
	switch n := len(problems); {
	case !d.Asked:
		show(http.StatusOK, nil)
		return
	case n > 0:
		show(http.StatusBadRequest, &uiError{Status: http.StatusBadRequest, Reasons: problems, Message: fmt.Sprintf(
			"%d %s cannot be asked as written; each is said again beside its field. Nothing was computed.", n, plural(n, "thing", "things"))})
		return
	case sc.Empty():
		show(http.StatusBadRequest, &uiError{Status: http.StatusBadRequest, Message: "Give at least one change below, " +
			"e.g. a team and +2 for two more people, then ask again."})
		return
	}
	sn, err := u.s.svc.Snapshot(r.Context(), a, in.ID())
	if err != nil {
		u.fail(w, r, p, err)
		return
	}
	c, err := u.s.liveWhatIf(r.Context(), a, sn, sc, liveQuery{runs: u.s.live.cfg.DefaultRuns})
	var ce *forecast.ChangeError
	var ps estate.Problems
	switch {
	case err == nil:
	case r.Context().Err() != nil:
		return // the browser left
	case errors.As(err, &ce) && d.Form.place(ce):
		show(http.StatusBadRequest, &uiError{Status: http.StatusBadRequest, Reasons: d.Form.problems(),
			Message: "1 change cannot be made; it is said again beside its field. Nothing was computed."})
		return
	case errors.As(err, &ps):
		e := &uiError{Status: http.StatusUnprocessableEntity, Message: "These changes together leave the estate with problems the planner cannot work with; change or remove one and ask again."}
		for _, pr := range ps {
			e.Reasons = append(e.Reasons, pr.String())
		}
		show(http.StatusUnprocessableEntity, e)
		return
	default:
		u.fail(w, r, p, scenarioError(err))
		return
	}
	body, _ := json.Marshal(sc)
	ans := &whatIfAnswer{Changes: words, Notes: c.Notes, Restart: whatIfLineOf(c.Restart, c.Currency), Start: c.Start, Runs: c.Runs,
		API: fmt.Sprintf("/api/v1/incidents/%d/whatif", in.ID()), Body: string(body)}
	ans.Restart.Name = "All systems back"
	for _, sd := range c.Services {
		ans.Services = append(ans.Services, whatIfLineOf(sd, c.Currency))
	}
	slices.SortStableFunc(ans.Services, func(a, b whatIfLine) int { return a.Plan.Before.Compare(b.Plan.Before) })
	for _, l := range ans.Services {
		switch moveWay(l.Plan.Shift) {
		case "":
			ans.Same++
		case "earlier":
			ans.Sooner++
		default:
			ans.Later++
		}
	}
	d.Answer = ans
	show(http.StatusOK, nil)
}
