package forecast

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/internal/suggest"
	"github.com/phasegate/phasegate/planner"
)

// Scenario is a set of changes to try without changing anything: more
// capacity for a team, a shorter or longer clearance or restore, a system
// found compromised again, a dependency removed. Each change has a text
// form, the one `phasegate whatif` takes (see the Parse functions), which
// String writes back. In JSON a scenario is those text forms, e.g.
// {"team_capacity": ["forensics=8"], "drop_dependency": ["mes:sap"]}.
type Scenario struct {
	TeamCapacity   []CapacityChange
	Clearance      []EstimateChange
	Restore        []EstimateChange
	Compromised    []string
	DropDependency []Dependency
}

// scenarioJSON is the JSON form of a Scenario.
type scenarioJSON struct {
	TeamCapacity   []string `json:"team_capacity,omitempty"`
	Clearance      []string `json:"clearance,omitempty"`
	Restore        []string `json:"restore,omitempty"`
	Compromised    []string `json:"compromised,omitempty"`
	DropDependency []string `json:"drop_dependency,omitempty"`
}

// MarshalJSON writes each change in its text form.
func (sc Scenario) MarshalJSON() ([]byte, error) {
	var j scenarioJSON
	for _, c := range sc.TeamCapacity {
		j.TeamCapacity = append(j.TeamCapacity, c.String())
	}
	for _, c := range sc.Clearance {
		j.Clearance = append(j.Clearance, c.String())
	}
	for _, c := range sc.Restore {
		j.Restore = append(j.Restore, c.String())
	}
	j.Compromised = sc.Compromised
	for _, d := range sc.DropDependency {
		j.DropDependency = append(j.DropDependency, d.String())
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads the text forms; a bad one is a *ChangeError whose
// Field names the JSON field.
func (sc *Scenario) UnmarshalJSON(data []byte) error {
	var j scenarioJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	var out Scenario
	for _, v := range j.TeamCapacity {
		c, err := ParseCapacityChange(v)
		if err != nil {
			return err
		}
		out.TeamCapacity = append(out.TeamCapacity, c)
	}
	for k, list := range [][]string{j.Clearance, j.Restore} {
		for _, v := range list {
			flag := FlagClearance
			if k == 1 {
				flag = FlagRestore
			}
			c, err := ParseEstimateChange(flag, v, k == 0)
			if err != nil {
				return err
			}
			if k == 0 {
				out.Clearance = append(out.Clearance, c)
			} else {
				out.Restore = append(out.Restore, c)
			}
		}
	}
	for _, v := range j.Compromised {
		id, err := ParseCompromised(v)
		if err != nil {
			return err
		}
		out.Compromised = append(out.Compromised, id)
	}
	for _, v := range j.DropDependency {
		d, err := ParseDependency(v)
		if err != nil {
			return err
		}
		out.DropDependency = append(out.DropDependency, d)
	}
	*sc = out
	return nil
}

// CapacityChange sets a team's capacity ("forensics=8") or changes it by
// a number ("forensics=+2").
type CapacityChange struct {
	Team     string `json:"team"`
	Capacity int    `json:"capacity"`
	Relative bool   `json:"relative,omitempty"`
}

// EstimateChange sets a system's clearance or restore to a new estimate
// ("sap=3d", "sap=2d/3d/5d"), shifts every bound of the current one
// ("sap=-1d"), or — for a clearance — removes it ("sap=none").
type EstimateChange struct {
	System   string           `json:"system"`
	Estimate *estate.Estimate `json:"estimate,omitempty"`
	Shift    time.Duration    `json:"shift,omitempty"`
	Remove   bool             `json:"remove,omitempty"`
}

// Dependency is one entry of a system's (or a service's) requires:
// System no longer waits for Requires ("mes:sap").
type Dependency struct {
	System   string `json:"system"`
	Requires string `json:"requires"`
}

// ChangeError is a change that cannot be made, named by its flag (e.g.
// "team-capacity") and its text, with an example of one that can — when
// Suggested, the nearest one that would.
type ChangeError struct {
	Flag      string
	Value     string
	Msg       string
	Example   string
	Suggested bool
}

// Field is the change's field in the JSON form of a Scenario, e.g.
// "team_capacity".
func (e *ChangeError) Field() string { return strings.ReplaceAll(e.Flag, "-", "_") }

func (e *ChangeError) Error() string {
	s := fmt.Sprintf("--%s %q: %s", e.Flag, e.Value, e.Msg)
	switch {
	case e.Suggested:
		s += "; did you mean --" + e.Flag + " " + e.Example + "?"
	case e.Example != "":
		s += "; e.g. --" + e.Flag + " " + e.Example
	}
	return s
}

// Flag names of the changes, as `phasegate whatif` spells them.
const (
	FlagTeamCapacity   = "team-capacity"
	FlagClearance      = "clearance"
	FlagRestore        = "restore"
	FlagCompromised    = "compromised"
	FlagDropDependency = "drop-dependency"
)

// maxChangeText bounds a change's text: ids are short, and so is a
// duration.
const maxChangeText = 512

func changeErr(flag, value, msg, example string) *ChangeError {
	return &ChangeError{Flag: flag, Value: value, Msg: msg, Example: example}
}

// checkID reports what is wrong with an id in a change, or "".
func checkID(id, what string) string {
	switch {
	case id == "":
		return "the " + what + " is missing"
	case strings.ContainsFunc(id, func(r rune) bool { return r <= ' ' || r == '=' || r == ':' || r == 0x7f }):
		return "the " + what + " " + strconv.Quote(id) + " has a space or a control character in it"
	}
	return ""
}

func splitChange(flag, s, sep, example, what string) (string, string, error) {
	if len(s) > maxChangeText {
		return "", "", changeErr(flag, shorten(s), "is too long", example)
	}
	id, val, ok := strings.Cut(s, sep)
	if !ok {
		return "", "", changeErr(flag, s, "has no "+strconv.Quote(sep), example)
	}
	id = strings.TrimSpace(id)
	val = strings.TrimSpace(val)
	if msg := checkID(id, what); msg != "" {
		return "", "", changeErr(flag, s, msg, example)
	}
	return id, val, nil
}

// ParseCapacityChange reads TEAM=N (the new capacity, at least 1) or
// TEAM=+N / TEAM=-N (a change).
func ParseCapacityChange(s string) (CapacityChange, error) {
	const ex = "forensics=8 or forensics=+2"
	team, val, err := splitChange(FlagTeamCapacity, s, "=", ex, "team")
	if err != nil {
		return CapacityChange{}, err
	}
	c := CapacityChange{Team: team}
	num := val
	if strings.HasPrefix(val, "+") || strings.HasPrefix(val, "-") {
		c.Relative = true
		num = val[1:]
	}
	n, err := strconv.Atoi(num)
	if err != nil || num == "" || num[0] < '0' || num[0] > '9' || n > 1_000_000 {
		return CapacityChange{}, changeErr(FlagTeamCapacity, s, strconv.Quote(val)+" is not a whole number of at most 1000000", ex)
	}
	if strings.HasPrefix(val, "-") {
		n = -n
	}
	if !c.Relative && n < 1 {
		return CapacityChange{}, changeErr(FlagTeamCapacity, s, "a team needs a capacity of at least 1", ex)
	}
	c.Capacity = n
	return c, nil
}

func (c CapacityChange) String() string {
	if c.Relative {
		return fmt.Sprintf("%s=%+d", c.Team, c.Capacity)
	}
	return fmt.Sprintf("%s=%d", c.Team, c.Capacity)
}

// ParseEstimateChange reads SYSTEM=DURATION (a single-point estimate),
// SYSTEM=MIN/LIKELY/MAX (a three-point one), SYSTEM=+DURATION or
// SYSTEM=-DURATION (every bound moved by that much, never below zero),
// and, when removable (clearances), SYSTEM=none. flag names the change
// in errors.
func ParseEstimateChange(flag, s string, removable bool) (EstimateChange, error) {
	ex := "sap-s4-core=3d, sap-s4-core=2d/3d/5d or sap-s4-core=-1d"
	if removable {
		ex += " (none removes it)"
	}
	sys, val, err := splitChange(flag, s, "=", ex, "system")
	if err != nil {
		return EstimateChange{}, err
	}
	c := EstimateChange{System: sys}
	dur := func(v string) (time.Duration, error) {
		d, err := estate.ParseDuration(v)
		if err != nil {
			msg := err.Error()
			if !strings.Contains(msg, strconv.Quote(v)) {
				msg = strconv.Quote(v) + " " + msg
			}
			return 0, changeErr(flag, s, msg, ex)
		}
		return d, nil
	}
	switch {
	case val == "none":
		if !removable {
			return EstimateChange{}, changeErr(flag, s, "every system needs a restore; give how long it takes", ex)
		}
		c.Remove = true
	case strings.HasPrefix(val, "+") || strings.HasPrefix(val, "-"):
		d, err := dur(val[1:])
		if err != nil {
			return EstimateChange{}, err
		}
		if d == 0 {
			return EstimateChange{}, changeErr(flag, s, "a shift of zero changes nothing", ex)
		}
		if val[0] == '-' {
			d = -d
		}
		c.Shift = d
	case strings.Contains(val, "/"):
		parts := strings.Split(val, "/")
		if len(parts) != 3 {
			return EstimateChange{}, changeErr(flag, s, "a three-point estimate is MIN/LIKELY/MAX", ex)
		}
		var ds [3]time.Duration
		for i, p := range parts {
			if ds[i], err = dur(strings.TrimSpace(p)); err != nil {
				return EstimateChange{}, err
			}
		}
		if ds[0] > ds[1] || ds[1] > ds[2] {
			return EstimateChange{}, changeErr(flag, s, "the estimate must be ordered min ≤ likely ≤ max", ex)
		}
		c.Estimate = &estate.Estimate{Min: ds[0], Likely: ds[1], Max: ds[2]}
	default:
		d, err := dur(val)
		if err != nil {
			return EstimateChange{}, err
		}
		p := estate.Point(d)
		c.Estimate = &p
	}
	return c, nil
}

func (c EstimateChange) String() string {
	switch {
	case c.Remove:
		return c.System + "=none"
	case c.Estimate != nil && c.Estimate.Fixed():
		return c.System + "=" + estate.FormatDuration(c.Estimate.Likely)
	case c.Estimate != nil:
		return fmt.Sprintf("%s=%s/%s/%s", c.System, estate.FormatDuration(c.Estimate.Min), estate.FormatDuration(c.Estimate.Likely), estate.FormatDuration(c.Estimate.Max))
	case c.Shift < 0:
		return c.System + "=-" + estate.FormatDuration(-c.Shift)
	}
	return c.System + "=+" + estate.FormatDuration(c.Shift)
}

// ParseDependency reads SYSTEM:REQUIRES.
func ParseDependency(s string) (Dependency, error) {
	const ex = "elmhurst-mes:sap-s4-core"
	sys, req, err := splitChange(FlagDropDependency, s, ":", ex, "system")
	if err != nil {
		return Dependency{}, err
	}
	if msg := checkID(req, "required system"); msg != "" {
		return Dependency{}, changeErr(FlagDropDependency, s, msg, ex)
	}
	return Dependency{System: sys, Requires: req}, nil
}

func (d Dependency) String() string { return d.System + ":" + d.Requires }

// ParseCompromised reads a system id.
func ParseCompromised(s string) (string, error) {
	id := strings.TrimSpace(s)
	if len(id) > maxChangeText {
		return "", changeErr(FlagCompromised, shorten(s), "is too long", "crm-saas")
	}
	if msg := checkID(id, "system"); msg != "" {
		return "", changeErr(FlagCompromised, s, msg, "crm-saas")
	}
	return id, nil
}

// Empty reports whether the scenario changes nothing.
func (sc Scenario) Empty() bool {
	return len(sc.TeamCapacity)+len(sc.Clearance)+len(sc.Restore)+len(sc.Compromised)+len(sc.DropDependency) == 0
}

// Changes describes every change in the text form `phasegate whatif`
// takes, flag included.
func (sc Scenario) Changes() []string {
	var out []string
	for _, c := range sc.TeamCapacity {
		out = append(out, "--"+FlagTeamCapacity+" "+c.String())
	}
	for _, c := range sc.Clearance {
		out = append(out, "--"+FlagClearance+" "+c.String())
	}
	for _, c := range sc.Restore {
		out = append(out, "--"+FlagRestore+" "+c.String())
	}
	for _, c := range sc.Compromised {
		out = append(out, "--"+FlagCompromised+" "+c)
	}
	for _, d := range sc.DropDependency {
		out = append(out, "--"+FlagDropDependency+" "+d.String())
	}
	return out
}

// Apply makes the scenario's changes to a copy of the estate and of the
// progress (nil: from scratch), leaving both as they were. Notes say what
// a change did that may surprise (e.g. a compromised system that was not
// started yet). A change that cannot be made, or that changes nothing (a
// capacity or an estimate set to what it is), is a *ChangeError; an estate
// the changes leave invalid gives estate.Problems.
func (sc Scenario) Apply(e *estate.Estate, progress map[string]planner.Progress) (*estate.Estate, map[string]planner.Progress, []string, error) {
	c := cloneEstate(e)
	var prog map[string]planner.Progress
	if progress != nil {
		prog = make(map[string]planner.Progress, len(progress))
		for k, v := range progress {
			prog[k] = v
		}
	}
	var notes []string
	teams := make(map[string]int, len(c.Teams))
	for i := range c.Teams {
		teams[c.Teams[i].ID] = i
	}
	systems := make(map[string]int, len(c.Systems))
	for i := range c.Systems {
		systems[c.Systems[i].ID] = i
	}
	// unknownSystem names the nearest system, in the change's own text
	// with the id replaced, as the suggestion.
	unknownSystem := func(flag, value, id, example string) error {
		ids := make([]string, len(c.Systems))
		for i := range c.Systems {
			ids[i] = c.Systems[i].ID
		}
		e := changeErr(flag, value, "no system "+strconv.Quote(id)+" in the estate", example)
		if near := nearest(id, ids); near != "" {
			e.Example, e.Suggested = strings.Replace(value, id, near, 1), true
		}
		return e
	}

	for _, ch := range sc.TeamCapacity {
		t, ok := teams[ch.Team]
		if !ok {
			ids := make([]string, len(c.Teams))
			for i := range c.Teams {
				ids[i] = c.Teams[i].ID
			}
			e := changeErr(FlagTeamCapacity, ch.String(), "no team "+strconv.Quote(ch.Team)+" in the estate; its teams are "+someOf(ids, 12), "forensics=8")
			if near := nearest(ch.Team, ids); near != "" {
				e.Msg = "no team " + strconv.Quote(ch.Team) + " in the estate"
				e.Example, e.Suggested = CapacityChange{Team: near, Capacity: ch.Capacity, Relative: ch.Relative}.String(), true
			}
			return nil, nil, nil, e
		}
		n := ch.Capacity
		if ch.Relative {
			n += c.Teams[t].Capacity
		}
		if n == c.Teams[t].Capacity {
			ex := fmt.Sprintf("%s=%d", ch.Team, n+1)
			if ch.Relative {
				ex = ch.Team + "=+1"
			}
			return nil, nil, nil, changeErr(FlagTeamCapacity, ch.String(), fmt.Sprintf("changes nothing: team %s has capacity %d already", ch.Team, n), ex)
		}
		if n < 1 {
			return nil, nil, nil, changeErr(FlagTeamCapacity, ch.String(), fmt.Sprintf("team %s would be left with capacity %d; it needs at least 1", ch.Team, n), fmt.Sprintf("%s=%d", ch.Team, max(1, c.Teams[t].Capacity-1)))
		}
		for i := range c.Systems {
			for _, nd := range c.Systems[i].Needs {
				if nd.Team == ch.Team && nd.Units > n {
					return nil, nil, nil, changeErr(FlagTeamCapacity, ch.String(), fmt.Sprintf("system %s needs %d units of team %s, more than capacity %d: it could never be restored", c.Systems[i].ID, nd.Units, ch.Team, n), fmt.Sprintf("%s=%d", ch.Team, nd.Units))
				}
			}
		}
		c.Teams[t].Capacity = n
	}
	for k, list := range [][]EstimateChange{sc.Clearance, sc.Restore} {
		flag := FlagClearance
		if k == 1 {
			flag = FlagRestore
		}
		for _, ch := range list {
			i, ok := systems[ch.System]
			if !ok {
				return nil, nil, nil, unknownSystem(flag, ch.String(), ch.System, "sap-s4-core=3d")
			}
			s := &c.Systems[i]
			cur := &s.Restore
			if k == 0 {
				cur = s.Clearance
			}
			what := "restore"
			if k == 0 {
				what = "clearance"
			}
			switch {
			case ch.Remove && k == 1:
				return nil, nil, nil, changeErr(flag, ch.String(), "every system needs a restore; give how long it takes", s.ID+"=2d")
			case ch.Remove:
				if s.Clearance == nil {
					return nil, nil, nil, changeErr(flag, ch.String(), "changes nothing: "+s.ID+" has no clearance already", s.ID+"=2d")
				}
				s.Clearance = nil
				if p, ok := prog[s.ID]; ok && (p.Phase == planner.PhasePending || p.Phase == planner.PhaseClearing) {
					prog[s.ID] = planner.Progress{Phase: planner.PhaseCleared}
				}
			case ch.Estimate != nil:
				est := *ch.Estimate
				if cur != nil && *cur == est {
					return nil, nil, nil, unchanged(flag, ch.String(), s.ID, what, est)
				}
				if k == 0 {
					s.Clearance = &est
				} else {
					s.Restore = est
				}
			default:
				if cur == nil {
					return nil, nil, nil, changeErr(flag, ch.String(), s.ID+" has no clearance to shift; give its length instead", s.ID+"=2d")
				}
				shift := func(d time.Duration) time.Duration { return max(0, d+ch.Shift) }
				est := estate.Estimate{Min: shift(cur.Min), Likely: shift(cur.Likely), Max: shift(cur.Max)}
				if est == *cur {
					return nil, nil, nil, unchanged(flag, ch.String(), s.ID, what, est)
				}
				*cur = est
			}
		}
	}
	for _, d := range sc.DropDependency {
		val := d.String()
		req := (*[]string)(nil)
		if i, ok := systems[d.System]; ok {
			req = &c.Systems[i].Requires
		} else {
			for i := range c.Services {
				if c.Services[i].ID == d.System {
					req = &c.Services[i].Requires
				}
			}
		}
		if req == nil {
			return nil, nil, nil, unknownSystem(FlagDropDependency, val, d.System, "elmhurst-mes:sap-s4-core")
		}
		k := slices.Index(*req, d.Requires)
		if k < 0 {
			msg := fmt.Sprintf("%s does not require %s", d.System, d.Requires)
			ex := "elmhurst-mes:sap-s4-core"
			if len(*req) > 0 {
				msg += "; it requires " + strings.Join(*req, ", ")
				ex = d.System + ":" + (*req)[0]
			} else {
				msg += "; it requires nothing"
			}
			return nil, nil, nil, changeErr(FlagDropDependency, val, msg, ex)
		}
		*req = slices.Delete(slices.Clone(*req), k, k+1)
	}
	for _, id := range sc.Compromised {
		i, ok := systems[id]
		if !ok {
			return nil, nil, nil, unknownSystem(FlagCompromised, id, id, "crm-saas")
		}
		s := &c.Systems[i]
		if s.Clearance == nil {
			return nil, nil, nil, changeErr(FlagCompromised, id, s.ID+" has no forensic clearance in the estate, so a compromised copy could not be cleared; give its clearance too", s.ID+" --"+FlagClearance+" "+s.ID+"=2d")
		}
		p, had := prog[s.ID]
		if !had || p.Phase == planner.PhasePending {
			notes = append(notes, fmt.Sprintf("%s had not started yet: it is cleared before its restore anyway, so marking it compromised changes nothing", s.ID))
			continue
		}
		delete(prog, s.ID) // pending again: clearance, then restore
	}
	if err := estate.Validate(c); err != nil {
		return nil, nil, nil, err
	}
	return c, prog, notes, nil
}

// unchanged is the error for an estimate change that leaves system id's
// clearance or restore (what) as it is, est.
func unchanged(flag, value, id, what string, est estate.Estimate) *ChangeError {
	ex := id + "=-1d"
	if est.Max == 0 {
		ex = id + "=+1d"
	}
	cur := EstimateChange{System: id, Estimate: &est}.String()
	return changeErr(flag, value, fmt.Sprintf("changes nothing: the %s of %s is %s already", what, id, strings.TrimPrefix(cur, id+"=")), ex)
}

// cloneEstate copies everything a scenario may change; backlog items are
// shared (never changed).
func cloneEstate(e *estate.Estate) *estate.Estate {
	c := *e
	c.Teams = slices.Clone(e.Teams)
	c.Systems = slices.Clone(e.Systems)
	for i := range c.Systems {
		s := &c.Systems[i]
		s.Requires = slices.Clone(s.Requires)
		s.Needs = slices.Clone(s.Needs)
		if s.Clearance != nil {
			cl := *s.Clearance
			s.Clearance = &cl
		}
	}
	c.Services = slices.Clone(e.Services)
	for i := range c.Services {
		c.Services[i].Requires = slices.Clone(c.Services[i].Requires)
	}
	c.Backlogs = slices.Clone(e.Backlogs)
	return &c
}

// nearest returns the id nearest to id when it is near enough to be a
// plausible typo, else "".
func nearest(id string, ids []string) string { return suggest.Nearest(id, ids) }

// someOf lists ids, the first k of a longer list and how many more: an
// estate of hundreds of teams must not bury the message.
func someOf(ids []string, k int) string {
	if len(ids) <= k {
		return strings.Join(ids, ", ")
	}
	return strings.Join(ids[:k], ", ") + fmt.Sprintf(" and %d more", len(ids)-k)
}

// shorten cuts a long text for a message, on a rune boundary.
func shorten(s string) string {
	if len(s) <= 40 {
		return s
	}
	cut := 40
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
