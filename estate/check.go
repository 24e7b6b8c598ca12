package estate

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/phasegate/phasegate/internal/suggest"
)

// Policies a backlog may follow, the first being the default.
var Policies = []string{"critical-first", "oldest-first", "smallest-supplier-first"}

// DefaultPolicy is the policy of a backlog that names none.
const DefaultPolicy = "critical-first"

// DefaultCriticality is the criticality of a system that names none.
const DefaultCriticality = 3

// MaxIDLength bounds the length of an id.
const MaxIDLength = 128

// Validate checks an estate built in code (by an importer, a generator,
// a what-if change) with the same rules Parse applies to files. Fields
// that Parse fills with defaults may be left at their zero value: an
// empty name, criticality 0, empty needs and an empty policy mean the
// default (SetDefaults fills them). Version may be 0 (built in code) or
// FormatVersion. The error, when not nil, is Problems, without positions
// unless the estate came from Parse.
func Validate(e *Estate) error {
	if e == nil {
		return Problems{{Message: "there is no estate", Fix: "pass the estate to validate"}}
	}
	c := newChecker(e, nil, newSuggester(), &collector{})
	c.check()
	if len(c.out.list) > 0 {
		return c.out.problems()
	}
	return nil
}

// SetDefaults fills the fields that an estate file may leave out: a
// name is its id, criticality is DefaultCriticality, needs is one unit
// of the system's own team, and a backlog's policy is DefaultPolicy.
// Parse calls it; an estate built in code should call it before planning.
func (e *Estate) SetDefaults() {
	if e.Version == 0 {
		e.Version = FormatVersion
	}
	for i := range e.Teams {
		t := &e.Teams[i]
		if t.Name == "" {
			t.Name = t.ID
		}
	}
	for i := range e.Systems {
		s := &e.Systems[i]
		if s.Name == "" {
			s.Name = s.ID
		}
		if s.Criticality == 0 {
			s.Criticality = DefaultCriticality
		}
		if len(s.Needs) == 0 && s.Team != "" {
			s.Needs = []Need{{Team: s.Team, Units: 1}}
		}
	}
	for i := range e.Services {
		s := &e.Services[i]
		if s.Name == "" {
			s.Name = s.ID
		}
	}
	for i := range e.Backlogs {
		b := &e.Backlogs[i]
		if b.Name == "" {
			b.Name = b.ID
		}
		if b.Policy == "" {
			b.Policy = DefaultPolicy
		}
	}
}

// checker applies the rules of meaning. With sources (from Parse) it
// points each problem at the file, line and column; without (Validate)
// it names the field only.
type checker struct {
	e    *Estate
	s    *sources
	out  *collector
	sug  *suggest.Suggester
	zero src

	teams, systems, services, backlogs map[string]int
	teamIDs, systemIDs, serviceIDs     []string
}

func newChecker(e *Estate, s *sources, sug *suggest.Suggester, out *collector) *checker {
	return &checker{e: e, s: s, sug: sug, out: out}
}

func (c *checker) add(l loc, p epath, field, msg, fix string) {
	c.out.add(makeProblem(c.s, l, p.String(), field, msg, fix))
}

// epath names an entity for a message. Most entities have no problem,
// so it is formatted only when one is reported.
type epath struct {
	list, id string
	i        int
	item     int // 1-based item of a backlog; 0: the backlog itself
}

func ent(list, id string, i int) epath { return epath{list: list, id: id, i: i} }

func (p epath) items(j int) epath {
	p.item = j + 1
	return p
}

func (p epath) String() string {
	if p.list == "" {
		return ""
	}
	s := entityPath(p.list, p.id, p.i)
	if p.item > 0 {
		s += ".items[#" + strconv.Itoa(p.item) + "]"
	}
	return s
}

// Sources of each entity, or an empty one for an estate built in code.
func (c *checker) team(i int) *src   { return c.srcOf(func(s *sources) []src { return s.teams }, i) }
func (c *checker) system(i int) *src { return c.srcOf(func(s *sources) []src { return s.systems }, i) }
func (c *checker) service(i int) *src {
	return c.srcOf(func(s *sources) []src { return s.services }, i)
}
func (c *checker) backlogS(i int) *src {
	return c.srcOf(func(s *sources) []src { return s.backlogs }, i)
}

func (c *checker) srcOf(list func(*sources) []src, i int) *src {
	if c.s != nil {
		if l := list(c.s); i < len(l) {
			return &l[i]
		}
	}
	c.zero = src{}
	return &c.zero
}

func (c *checker) item(b, i int) *itemSrc {
	if c.s != nil && b < len(c.s.items) && i < len(c.s.items[b]) {
		return &c.s.items[b][i]
	}
	return &itemSrc{}
}

// where names the place of an earlier definition for a message.
func (c *checker) where(l loc, path epath) string {
	if c.s != nil && l.ok() {
		return whereIn(c.s, l)
	}
	return path.String()
}

func (c *checker) check() {
	c.index()
	c.checkTop()
	c.checkTeams()
	c.checkSystems()
	c.checkCycles()
	c.checkServices()
	c.checkBacklogs()
	c.checkText()
}

// index maps ids to the first entity that has each, reporting the
// duplicates (at the second, naming the first).
func (c *checker) index() {
	e := c.e
	c.teams = make(map[string]int, len(e.Teams))
	for i := range e.Teams {
		c.teamIDs = c.indexID(c.teams, c.teamIDs, "teams", "team", e.Teams[i].ID, i, c.team)
	}
	c.systems = make(map[string]int, len(e.Systems))
	for i := range e.Systems {
		c.systemIDs = c.indexID(c.systems, c.systemIDs, "systems", "system", e.Systems[i].ID, i, c.system)
	}
	c.services = make(map[string]int, len(e.Services))
	for i := range e.Services {
		c.serviceIDs = c.indexID(c.services, c.serviceIDs, "services", "service", e.Services[i].ID, i, c.service)
	}
	c.backlogs = make(map[string]int, len(e.Backlogs))
	for i := range e.Backlogs {
		c.indexID(c.backlogs, nil, "backlogs", "backlog", e.Backlogs[i].ID, i, c.backlogS)
	}
}

func (c *checker) indexID(m map[string]int, ids []string, list, what, id string, i int, srcOf func(int) *src) []string {
	s := srcOf(i)
	p := ent(list, id, i)
	if s.isBad(0) {
		return ids
	}
	if id == "" {
		c.add(s.fieldOr(0), p, "id", missingOrEmpty(s, 0), "give every "+what+" an id, e.g. \"id: "+exampleID(what)+"\"")
		return ids
	}
	if msg, fix := checkID(id); msg != "" {
		c.add(s.fieldOr(0), p, "id", msg, fix)
		return ids
	}
	if first, dup := m[id]; dup {
		c.add(s.fieldOr(0), p, "id", fmt.Sprintf("%q is already the id of the %s at %s", id, what, c.where(srcOf(first).at, ent(list, "", first))),
			"give every "+what+" an id of its own")
		return ids
	}
	m[id] = i
	return append(ids, id)
}

func exampleID(what string) string {
	switch what {
	case "team":
		return "dba"
	case "service":
		return "build-vehicles"
	case "backlog":
		return "supplier-invoices"
	}
	return "sap-erp"
}

func missingOrEmpty(s *src, f int) string {
	if s.present(f) {
		return "has no value"
	}
	return "is missing"
}

// checkID reports what is wrong with an id, or "" when nothing is.
func checkID(id string) (msg, fix string) {
	if len(id) > MaxIDLength {
		return fmt.Sprintf("is %d characters long; ids are at most %d", len(id), MaxIDLength), "shorten it; the name field can hold a longer description"
	}
	if validID(id) {
		return "", ""
	}
	return strconv.Quote(shorten(id, 60)) + " is not a valid id",
		"use letters, digits, '.', '_' and '-', starting with a letter or digit, e.g. " + strconv.Quote(cleanID(id)) + "; put free text in name"
}

func validID(id string) bool {
	if id == "" || len(id) > MaxIDLength {
		return false
	}
	for i := 0; i < len(id); i++ {
		b := id[i]
		switch {
		case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9':
		case i > 0 && (b == '.' || b == '_' || b == '-'):
		default:
			return false
		}
	}
	return true
}

// cleanID suggests a valid id close to s.
func cleanID(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	out := strings.TrimLeft(b.String(), "._")
	if len(out) > 60 {
		out = out[:60]
	}
	if out == "" {
		return "system-1"
	}
	return out
}

// ref reports a reference to something that is not there, with a
// spelling suggestion, or a word when the id names something of
// another kind. It returns whether the reference holds.
func (c *checker) ref(id string, m map[string]int, ids []string, what string, l loc, path epath, field string) bool {
	if _, ok := m[id]; ok {
		return true
	}
	if c.out.full() {
		c.out.drop()
		return false
	}
	if id == "" {
		c.add(l, path, field, "names no "+what, "write the id of a "+what)
		return false
	}
	fix := didYouMean(c.sug.Nearest(id, ids))
	if other := c.kindOf(id, what); other != "" {
		note := fmt.Sprintf("%q is the id of a %s, not of a %s", id, other, what)
		if fix != "" {
			note += "; " + fix
		}
		fix = note
	}
	if fix == "" {
		fix = "define a " + what + " with that id, or correct the name"
	}
	c.add(l, path, field, strconv.Quote(shorten(id, 60))+" is not a "+what, fix)
	return false
}

func (c *checker) kindOf(id, not string) string {
	if _, ok := c.teams[id]; ok && not != "team" {
		return "team"
	}
	if _, ok := c.systems[id]; ok && not != "system" {
		return "system"
	}
	if _, ok := c.services[id]; ok && not != "service" {
		return "service"
	}
	if _, ok := c.backlogs[id]; ok && not != "backlog" {
		return "backlog"
	}
	return ""
}

func (c *checker) checkTop() {
	e, s := c.e, &c.zero
	if c.s != nil {
		s = &c.s.top
	}
	if e.Version != 0 && e.Version != FormatVersion {
		c.add(s.fieldOr(topVersion), epath{}, "version", fmt.Sprintf("is %d, but this build reads estate format version %d only", e.Version, FormatVersion), fmt.Sprintf("set version to %d", FormatVersion))
	}
	// A value missing from every file is reported at the first file.
	topAt := func(f int) loc {
		if l := s.fieldOr(f); l.ok() || c.s == nil || len(c.s.files) == 0 {
			return l
		}
		return loc{file: 1}
	}
	unread := c.s != nil && c.s.unread
	if !s.isBad(topOrganization) && !unread && strings.TrimSpace(e.Organization) == "" {
		c.add(topAt(topOrganization), epath{}, "organization", missingOrEmpty(s, topOrganization), "name the organisation, e.g. \"organization: Example Motors plc\"")
	}
	if !s.isBad(topCurrency) {
		switch cur := e.Currency; {
		case cur == "" && unread:
		case cur == "":
			c.add(topAt(topCurrency), epath{}, "currency", missingOrEmpty(s, topCurrency), "name the currency of every amount, e.g. \"currency: GBP\"")
		case len(cur) != 3 || strings.ToUpper(cur) != cur || !isLetters(cur):
			fix := "write a three-letter ISO 4217 code in capitals, e.g. GBP, EUR or USD"
			if up := strings.ToUpper(cur); knownCurrency(up) {
				fix = "write it in capitals: " + up
			}
			c.add(s.fieldOr(topCurrency), epath{}, "currency", strconv.Quote(shorten(cur, 40))+" is not an ISO 4217 currency code", fix)
		case !knownCurrency(cur):
			fix := didYouMean(c.sug.Nearest(cur, currencyList()))
			if fix == "" {
				fix = "write a current ISO 4217 code, e.g. GBP, EUR or USD"
			}
			c.add(s.fieldOr(topCurrency), epath{}, "currency", strconv.Quote(cur)+" is not a current ISO 4217 currency code", fix)
		}
	}
	if y := e.Start.Year(); !e.Start.IsZero() && (y < 1 || y > 9999) {
		c.add(s.fieldOr(topStart), epath{}, "start", "is out of range", "write a time between the years 0001 and 9999")
	}
	if e.ClearanceTeam != "" && !s.isBad(topClearanceTeam) {
		c.ref(e.ClearanceTeam, c.teams, c.teamIDs, "team", s.fieldOr(topClearanceTeam), epath{}, "clearance_team")
	}
	if len(e.Systems) == 0 && !s.isBad(topSystems) && !unread {
		c.add(topAt(topSystems), epath{}, "systems", "the estate has no systems", "list the systems to restore under \"systems:\"")
	}
}

func isLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'z' || s[i] > 'Z' && s[i] < 'a' {
			return false
		}
	}
	return true
}

// name reports a name written but left empty.
func (c *checker) name(s *src, f int, name string, path epath) {
	if name == "" && s.present(f) && !s.isBad(f) {
		c.add(s.f[f], path, "name", "has no value", "write a name, or leave the line out to use the id")
	}
}

func (c *checker) checkTeams() {
	for i := range c.e.Teams {
		t, s := &c.e.Teams[i], c.team(i)
		p := ent("teams", t.ID, i)
		c.name(s, teamName, t.Name, p)
		if !s.isBad(teamCapacity) && t.Capacity < 1 {
			if !s.present(teamCapacity) && c.s != nil {
				c.add(s.at, p, "capacity", "is missing", "say how many restores the team can carry at once, e.g. \"capacity: 2\"")
			} else {
				c.add(s.fieldOr(teamCapacity), p, "capacity", fmt.Sprintf("is %d; a team's capacity is at least 1", t.Capacity), "say how many restores the team can carry at once, e.g. \"capacity: 2\"")
			}
		}
	}
}

func (c *checker) checkSystems() {
	clearanceWithout, firstClearance := 0, -1
	for i := range c.e.Systems {
		sys, s := &c.e.Systems[i], c.system(i)
		p := ent("systems", sys.ID, i)
		c.name(s, sysName, sys.Name, p)
		if !s.isBad(sysKind) {
			switch {
			case sys.Kind == "":
				c.add(s.fieldOr(sysKind), p, "kind", missingOrEmpty(s, sysKind), "say what kind of system it is: one of "+kindList())
			case !validKind(sys.Kind):
				fix := didYouMean(c.sug.Nearest(string(sys.Kind), kindStrings()))
				if fix == "" {
					fix = "the kinds are " + kindList()
				}
				c.add(s.fieldOr(sysKind), p, "kind", "unknown kind "+strconv.Quote(shorten(string(sys.Kind), 40)), fix)
			}
		}
		if !s.isBad(sysTeam) {
			if sys.Team == "" {
				c.add(s.fieldOr(sysTeam), p, "team", missingOrEmpty(s, sysTeam), "name the team that restores it, e.g. \"team: infra\"")
			} else {
				c.ref(sys.Team, c.teams, c.teamIDs, "team", s.fieldOr(sysTeam), p, "team")
			}
		}
		if !s.isBad(sysCriticality) && (sys.Criticality < 1 || sys.Criticality > 4) && (sys.Criticality != 0 || s.present(sysCriticality)) {
			c.add(s.fieldOr(sysCriticality), p, "criticality", fmt.Sprintf("is %d; criticality runs from 1 (highest) to 4", sys.Criticality), "write 1, 2, 3 or 4, or leave it out for 3")
		}
		if !s.isBad(sysRequires) {
			c.requires(sys.Requires, s, sysRequires, p)
		}
		if !s.isBad(sysRestore) {
			c.estimate(sys.Restore, s.fieldOr(sysRestore), p, "restore")
		}
		if sys.Clearance != nil && !s.isBad(sysClearance) {
			c.estimate(*sys.Clearance, s.fieldOr(sysClearance), p, "clearance")
			if c.e.ClearanceTeam == "" {
				clearanceWithout++
				if firstClearance < 0 {
					firstClearance = i
				}
			}
		}
		if !s.isBad(sysNeeds) {
			c.needs(sys, s, p)
		}
		for _, l := range []struct {
			f    int
			list []string
		}{{sysOwners, sys.Owners}, {sysTags, sys.Tags}} {
			for j, v := range l.list {
				if strings.TrimSpace(v) == "" {
					c.add(s.fieldOr(l.f), p, systemFields[l.f]+"["+strconv.Itoa(j)+"]", "is empty", "remove the empty entry")
				}
			}
		}
		if !s.isBad(sysChecklist) {
			c.checklist(sys.Checklist, s.fieldOr(sysChecklist), p)
		}
		if !s.isBad(sysVerify) {
			c.verify(sys.Verify, s.fieldOr(sysVerify), p)
		}
	}
	if clearanceWithout > 0 {
		sys, s := &c.e.Systems[firstClearance], c.system(firstClearance)
		msg := "needs a forensic clearance, but the estate names no clearance_team to do it"
		if clearanceWithout > 1 {
			msg = fmt.Sprintf("this and %s need a forensic clearance, but the estate names no clearance_team to do it", plural(clearanceWithout-1, "more system"))
		}
		c.add(s.fieldOr(sysClearance), ent("systems", sys.ID, firstClearance), "clearance", msg, "add \"clearance_team: <team id>\" at the top of the estate, naming the team of forensic investigators")
	}
}

func validKind(k Kind) bool {
	for _, v := range Kinds {
		if v == k {
			return true
		}
	}
	return false
}

func kindStrings() []string {
	out := make([]string, len(Kinds))
	for i, k := range Kinds {
		out[i] = string(k)
	}
	return out
}

func kindList() string { return strings.Join(kindStrings(), ", ") }

// requires checks the entries of a requires list: each names a system,
// and none twice.
func (c *checker) requires(reqs []string, s *src, f int, p epath) {
	var seen map[string]int
	if len(reqs) > 8 {
		seen = make(map[string]int, len(reqs))
	}
	for j, r := range reqs {
		l := s.listAt(j)
		if !l.ok() {
			l = s.fieldOr(f)
		}
		dup := -1
		if seen != nil {
			if k, ok := seen[r]; ok {
				dup = k
			} else {
				seen[r] = j
			}
		} else {
			for k := 0; k < j; k++ {
				if reqs[k] == r {
					dup = k
					break
				}
			}
		}
		if dup >= 0 {
			c.add(l, p, "requires", fmt.Sprintf("lists %q twice", shorten(r, 60)), "remove the second; if another system was meant, name that one")
			continue
		}
		c.ref(r, c.systems, c.systemIDs, "system", l, p, "requires")
	}
}

func (c *checker) estimate(e Estimate, l loc, p epath, field string) {
	fixed := e.Min == e.Likely && e.Likely == e.Max
	switch {
	case e.Min < 0 || e.Likely < 0 || e.Max < 0:
		c.add(l, p, field, "is negative", "write how long the work takes, e.g. 4h")
	case e.Max > MaxDuration:
		c.add(l, p, field, fmt.Sprintf("%s is longer than 3650d", FormatDuration(e.Max)), "a restore or clearance that long is a mistake; check the number and the unit")
	case fixed:
	case e.Min > e.Likely:
		c.add(l, p, field, fmt.Sprintf("min %s is more than likely %s", FormatDuration(e.Min), FormatDuration(e.Likely)), "order the estimate so that min ≤ likely ≤ max")
	case e.Likely > e.Max:
		c.add(l, p, field, fmt.Sprintf("likely %s is more than max %s", FormatDuration(e.Likely), FormatDuration(e.Max)), "order the estimate so that min ≤ likely ≤ max")
	}
}

func (c *checker) needs(sys *System, s *src, p epath) {
	for j, n := range sys.Needs {
		l := s.needAt(j)
		if !l.ok() {
			l = s.fieldOr(sysNeeds)
		}
		if j > 0 && sys.Needs[j-1].Team >= n.Team {
			if sys.Needs[j-1].Team == n.Team {
				c.add(l, p, "needs", fmt.Sprintf("team %q is named twice", n.Team), "name each team once")
			} else {
				c.add(l, p, "needs", "is not sorted by team", "sort Needs by team id (Parse does)")
			}
			continue
		}
		field := "needs." + keyName(n.Team)
		if n.Units < 1 {
			c.add(l, p, field, fmt.Sprintf("is %d units; a need is at least 1", n.Units), "write how many people of the team the restore takes, or remove the team")
		}
		if n.Team == "" {
			c.add(l, p, "needs", "names no team", "write the id of a team")
			continue
		}
		if !c.ref(n.Team, c.teams, c.teamIDs, "team", l, p, "needs") {
			continue
		}
		if t := &c.e.Teams[c.teams[n.Team]]; t.Capacity >= 1 && n.Units > t.Capacity {
			c.add(l, p, field, fmt.Sprintf("needs %d units of team %s, but %s has a capacity of %d: the restore could never be scheduled", n.Units, n.Team, n.Team, t.Capacity),
				fmt.Sprintf("lower the need to at most %d, or raise the capacity of %s to %d", t.Capacity, n.Team, n.Units))
		}
	}
}

func (c *checker) checkServices() {
	for i := range c.e.Services {
		svc, s := &c.e.Services[i], c.service(i)
		p := ent("services", svc.ID, i)
		c.name(s, svcName, svc.Name, p)
		if !s.isBad(svcRequires) {
			if len(svc.Requires) == 0 {
				msg := "requires no system"
				if c.s != nil && !s.present(svcRequires) {
					msg = "is missing"
				}
				c.add(s.fieldOr(svcRequires), p, "requires", msg, "list the systems the service cannot run without, e.g. \"requires: [sap-erp]\"")
			} else {
				c.requires(svc.Requires, s, svcRequires, p)
			}
		}
		c.money(svc.RevenuePerDay, s, svcRevenue, p, "revenue_per_day")
		c.money(svc.CostPerDay, s, svcCost, p, "cost_per_day")
		if o := svc.OutputPerDay; o != nil && !s.isBad(svcOutput) {
			if math.IsNaN(o.Amount) || math.IsInf(o.Amount, 0) || o.Amount < 0 {
				c.add(s.fieldOr(svcOutput), p, "output_per_day.amount", fmt.Sprintf("is %v; it must be a number of at least 0", o.Amount), "write how much the service produces in a day, e.g. 400")
			}
			if strings.TrimSpace(o.Unit) == "" {
				c.add(s.fieldOr(svcOutput), p, "output_per_day.unit", "is empty", "name what is produced, e.g. \"unit: vehicles\"")
			}
		}
		if !s.isBad(svcPeopleIdle) && svc.PeopleIdle < 0 {
			c.add(s.fieldOr(svcPeopleIdle), p, "people_idle", fmt.Sprintf("is %d; it cannot be negative", svc.PeopleIdle), "write how many people cannot work while the service is down, or 0")
		}
		if !s.isBad(svcAudiences) {
			for j, a := range svc.Audiences {
				if !audienceWord(a) {
					c.add(s.fieldOr(svcAudiences), p, "audiences["+strconv.Itoa(j)+"]", strconv.Quote(shorten(a, 40))+" is not an audience", "write a lower-case word such as colleagues, suppliers, retailers, customers or regulators")
				}
			}
		}
	}
}

// Audiences are the usual people a service's status concerns; any other
// lower-case word is allowed too.
var Audiences = []string{"colleagues", "suppliers", "retailers", "customers", "regulators"}

func audienceWord(a string) bool {
	if a == "" || len(a) > 64 || a[0] < 'a' || a[0] > 'z' {
		return false
	}
	for i := 0; i < len(a); i++ {
		if b := a[i]; !(b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '-') {
			return false
		}
	}
	return true
}

func (c *checker) money(v float64, s *src, f int, p epath, field string) {
	if s.isBad(f) {
		return
	}
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		c.add(s.fieldOr(f), p, field, fmt.Sprintf("is %v; it must be a number of at least 0", v), "write the amount per day in the estate's currency, or 0")
	}
}

func (c *checker) checkBacklogs() {
	for i := range c.e.Backlogs {
		b, s := &c.e.Backlogs[i], c.backlogS(i)
		p := ent("backlogs", b.ID, i)
		c.name(s, blName, b.Name, p)
		if !s.isBad(blService) {
			if b.Service == "" {
				c.add(s.fieldOr(blService), p, "service", missingOrEmpty(s, blService), "name the service whose downtime piles up this work, e.g. \"service: pay-suppliers\"")
			} else {
				c.ref(b.Service, c.services, c.serviceIDs, "service", s.fieldOr(blService), p, "service")
			}
		}
		if !s.isBad(blUnit) && strings.TrimSpace(b.Unit) == "" {
			c.add(s.fieldOr(blUnit), p, "unit", missingOrEmpty(s, blUnit), "name what piles up, e.g. \"unit: invoices\"")
		}
		rate := func(v float64, f int, positive bool) {
			if s.isBad(f) {
				return
			}
			switch {
			case math.IsNaN(v) || math.IsInf(v, 0) || v < 0:
				c.add(s.fieldOr(f), p, backlogFields[f], fmt.Sprintf("is %v; it must be a number of at least 0", v), "write how many "+orWord(b.Unit, "items")+" per day")
			case positive && v == 0:
				c.add(s.fieldOr(f), p, backlogFields[f], "is 0, so the backlog could never clear", "write how many "+orWord(b.Unit, "items")+" the team clears per day once the service is back")
			}
		}
		rate(b.AccruesPerDay, blAccrues, false)
		rate(b.CapacityPerDay, blCapacity, true)
		rate(b.SurgeCapacityPerDay, blSurge, false)
		if !s.isBad(blPolicy) && (b.Policy != "" || s.present(blPolicy)) && !validPolicy(b.Policy) {
			fix := didYouMean(c.sug.Nearest(b.Policy, Policies))
			if fix == "" {
				fix = "the policies are " + strings.Join(Policies, ", ")
			}
			c.add(s.fieldOr(blPolicy), p, "policy", "unknown policy "+strconv.Quote(shorten(b.Policy, 40)), fix)
		}
		c.checkItems(i, b, s, p)
	}
}

func validPolicy(p string) bool {
	for _, v := range Policies {
		if v == p {
			return true
		}
	}
	return false
}

func (c *checker) checkItems(bi int, b *Backlog, s *src, p epath) {
	if len(b.Items) == 0 {
		return
	}
	first := make(map[string]int, len(b.Items))
	for j := range b.Items {
		it, is := &b.Items[j], c.item(bi, j)
		l := func(f int) loc {
			if is.f[f].ok() {
				return is.f[f]
			}
			if is.at.ok() {
				return is.at
			}
			return s.fieldOr(blItems)
		}
		ip := p.items(j)
		if is.bad&(1<<itID) == 0 {
			switch {
			case strings.TrimSpace(it.ID) == "":
				c.add(l(itID), ip, "id", "is missing", "give every item an id, such as its invoice number")
			case len(it.ID) > MaxIDLength || !printableText(it.ID, false):
				c.add(l(itID), ip, "id", "is too long or holds control characters", fmt.Sprintf("use at most %d printable characters", MaxIDLength))
			default:
				if k, dup := first[it.ID]; dup {
					c.add(l(itID), ip, "id", fmt.Sprintf("%q is already the id of the item at %s", shorten(it.ID, 60), c.where(c.item(bi, k).at, p.items(k))), "give every item of a backlog an id of its own")
				} else {
					first[it.ID] = j
				}
			}
		}
		if is.bad&(1<<itAmount) == 0 && (math.IsNaN(it.Amount) || math.IsInf(it.Amount, 0) || it.Amount < 0) {
			c.add(l(itAmount), ip, "amount", fmt.Sprintf("is %v; it must be a number of at least 0", it.Amount), "write the amount in the estate's currency")
		}
		for _, f := range []int{itDue, itReceived} {
			t := it.Due
			if f == itReceived {
				t = it.Received
			}
			if y := t.Year(); is.bad&(1<<f) == 0 && !t.IsZero() && (y < 1 || y > 9999) {
				c.add(l(f), ip, itemFields[f], "is out of range", "write a date between the years 0001 and 9999")
			}
		}
	}
}

// printableText reports whether s is valid UTF-8 holding no control
// characters (tabs and line breaks only where multiline), so that every
// value survives YAML and JSON unchanged and prints safely.
func printableText(s string, multiline bool) bool {
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			return false
		case r == '\n' || r == '\t':
			if !multiline {
				return false
			}
		case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f, r == 0xFEFF, r == 0xFFFE, r == 0xFFFF:
			return false
		}
	}
	return true
}

// text checks a text value.
func (c *checker) text(l loc, path epath, field, v string, multiline bool) {
	if printableText(v, multiline) {
		return
	}
	what := "line breaks, tabs or "
	if multiline {
		what = ""
	}
	c.add(l, path, field, "holds "+what+"control characters or invalid UTF-8", "write plain text, saved as UTF-8")
}

// checkText applies the text rule to every free-text value.
func (c *checker) checkText() {
	e := c.e
	top := &c.zero
	if c.s != nil {
		top = &c.s.top
	}
	c.text(top.fieldOr(topOrganization), epath{}, "organization", e.Organization, false)
	for i := range e.Teams {
		t, s := &e.Teams[i], c.team(i)
		c.text(s.fieldOr(teamName), ent("teams", t.ID, i), "name", t.Name, false)
	}
	for i := range e.Systems {
		sys, s := &e.Systems[i], c.system(i)
		p := ent("systems", sys.ID, i)
		c.text(s.fieldOr(sysName), p, "name", sys.Name, false)
		c.text(s.fieldOr(sysDescription), p, "description", sys.Description, true)
		for _, l := range []struct {
			f    int
			list []string
		}{{sysOwners, sys.Owners}, {sysTags, sys.Tags}} {
			for j, v := range l.list {
				c.text(s.fieldOr(l.f), p, systemFields[l.f]+"["+strconv.Itoa(j)+"]", v, false)
			}
		}
		for j, e := range sys.Checklist {
			c.text(s.fieldOr(sysChecklist), p, "checklist["+strconv.Itoa(j)+"]", e.Text, false)
		}
	}
	for i := range e.Services {
		svc, s := &e.Services[i], c.service(i)
		p := ent("services", svc.ID, i)
		c.text(s.fieldOr(svcName), p, "name", svc.Name, false)
		c.text(s.fieldOr(svcDescription), p, "description", svc.Description, true)
		if svc.OutputPerDay != nil {
			c.text(s.fieldOr(svcOutput), p, "output_per_day.unit", svc.OutputPerDay.Unit, false)
		}
	}
	for i := range e.Backlogs {
		b, s := &e.Backlogs[i], c.backlogS(i)
		p := ent("backlogs", b.ID, i)
		c.text(s.fieldOr(blName), p, "name", b.Name, false)
		c.text(s.fieldOr(blUnit), p, "unit", b.Unit, false)
		for j := range b.Items {
			is := c.item(i, j)
			l := is.f[itSupplier]
			if !l.ok() {
				l = orItem(is.at, s.fieldOr(blItems))
			}
			c.text(l, p.items(j), "supplier", b.Items[j].Supplier, false)
		}
	}
}

func orItem(a, b loc) loc {
	if a.ok() {
		return a
	}
	return b
}

// plural writes "1 system", "2 systems".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// verify judges a system's verify list as the decoder does
// (judgeCheck), for an estate built in code (a what-if, an import): the
// decoder drops a bad check with its own problem, so a file's checks
// reach here good. A zero status or timeout is one not given.
func (c *checker) verify(checks []Check, at loc, p epath) {
	for j, ch := range checks {
		field := "verify[" + strconv.Itoa(j) + "]"
		g := checkGiven{status: ch.Status != 0, timeout: ch.TimeoutSeconds != 0, extras: ch.Status != 0 || ch.Contains != ""}
		for _, pr := range judgeCheck(ch, g) {
			f := field
			if pr.field != "" {
				f += "." + pr.field
			}
			c.add(at, p, f, pr.msg, pr.fix)
		}
	}
}

// checklist checks a system's own checklist items: each has text, and a
// key, where given, is well formed and used once.
func (c *checker) checklist(items []ChecklistEntry, at loc, p epath) {
	first := map[string]int{}
	for j, e := range items {
		field := "checklist[" + strconv.Itoa(j) + "]"
		if strings.TrimSpace(e.Text) == "" {
			c.add(at, p, field, "is empty", "remove the empty entry")
		}
		if e.Key == "" {
			continue
		}
		if msg := ChecklistKeyProblem(e.Key); msg != "" {
			c.add(at, p, field+".key", msg, "e.g. key: backup-catalogue")
			continue
		}
		if i, dup := first[e.Key]; dup {
			c.add(at, p, field+".key", fmt.Sprintf("%q is also the key of checklist[%d]", e.Key, i),
				"give each item its own key: ticks are kept under it")
			continue
		}
		first[e.Key] = j
	}
}
