package estate

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/phasegate/phasegate/internal/suggest"
)

// decoder walks the YAML nodes of estate files into one Estate, noting
// where every value was written. It reports mistakes of form (syntax,
// types, unknown and repeated fields); the checks of meaning are in
// check.go, shared with Validate.
type decoder struct {
	e   *Estate
	s   *sources
	out *collector
	sug *suggest.Suggester

	file int32  // index into s.files plus one
	name string // the file's name
	dir  string // its directory, for items paths

	// steps counts the nodes visited in the current file; aliases can
	// make that far more than the file holds, so it is bounded.
	steps, budget int

	// itemsPath holds, per backlog, the cleaned path of its items file.
	itemsPath []string

	opts readOpts
	// lists holds the top-level lists of the current file when its
	// reader builds their entries one at a time.
	lists lazyLists
}

// lazyLists holds the top-level lists of a file unbuilt: a reader that
// checks a whole file first can build each entity when the decoder
// comes to it, so that a large file's tree never exists whole (json.go).
type lazyLists interface {
	// count is the number of entries of the sequence n, if n is one of
	// the lists held.
	count(n *yaml.Node) (int, bool)
	// entry builds entry k of list n, reusing the nodes of the entry
	// built before.
	entry(n *yaml.Node, k int) *yaml.Node
}

func newDecoder() *decoder {
	return &decoder{e: &Estate{}, s: &sources{}, sug: newSuggester(), out: &collector{}}
}

func (d *decoder) addFile(name string) int32 {
	d.s.files = append(d.s.files, name)
	return int32(len(d.s.files))
}

func (d *decoder) at(n *yaml.Node) loc {
	return loc{d.file, int32(n.Line), int32(n.Column)}
}

func (d *decoder) problem(l loc, path, field, msg, fix string) {
	d.out.add(makeProblem(d.s, l, path, field, msg, fix))
}

func makeProblem(s *sources, l loc, path, field, msg, fix string) Problem {
	p := Problem{Field: joinField(path, field), Message: msg, Fix: fix}
	if s != nil && l.file > 0 && int(l.file) <= len(s.files) {
		p.File = s.files[l.file-1]
		p.Line, p.Column = int(l.line), int(l.col)
	}
	return p
}

func joinField(path, field string) string {
	switch {
	case path == "":
		return field
	case field == "":
		return path
	case field[0] == '[':
		return path + field
	}
	return path + "." + field
}

// estateFile decodes one estate file, read into t, into the estate.
func (d *decoder) estateFile(f File, t fileTree) {
	d.file = d.addFile(f.Name)
	d.name = f.Name
	d.dir = path.Dir(f.Name)
	d.steps = 0
	// Without aliases the walk visits each node once, and a node takes at
	// least a byte; the factor leaves room for honest use of anchors.
	d.budget = 10_000 + 4*len(f.Data)
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(abortFile); !ok {
				panic(r)
			}
		}
	}()
	for _, p := range t.probs {
		d.out.add(p)
	}
	root, reported := t.root, t.reported
	d.lists = t.lists
	defer func() { d.lists = nil }()
	if root == nil {
		d.fileFailed()
		if !reported {
			d.problem(loc{d.file, 0, 0}, "", "", "the file is empty", "an estate file starts with \"version: 1\"; see docs/estate-format.md")
		}
		return
	}
	root = d.visit(root)
	if root.Kind != yaml.MappingNode {
		d.fileFailed()
		d.problem(d.at(root), "", "", "an estate file is a mapping of version, organization, teams, systems…, not "+kindOf(root), "start the file with \"version: 1\" on a line of its own")
		return
	}
	if !d.version(root) {
		d.fileFailed()
		return
	}
	d.fields(root, "", topFields, "the estate", func(f int, k, v *yaml.Node) {
		d.topField(f, v)
	})
}

// fileFailed notes that a file could not be read at all: what it may
// have held (the organisation, the systems…) is then not missing, only
// unread, and the checks must not say otherwise.
func (d *decoder) fileFailed() { d.s.unread = true }

// version checks the file's format version before anything else: a file
// written for another version would otherwise drown in unknown fields.
func (d *decoder) version(root *yaml.Node) bool {
	for i := 0; i+1 < len(root.Content); i += 2 {
		k := d.visit(root.Content[i])
		if k.Kind != yaml.ScalarNode || k.Value != "version" {
			continue
		}
		v := d.visit(root.Content[i+1])
		n, ok := d.integer(v, "", "version")
		if !ok {
			return false
		}
		if n != FormatVersion {
			d.problem(d.at(v), "", "version", fmt.Sprintf("this file is in estate format version %d, but this build of phasegate reads version %d only", n, FormatVersion), fmt.Sprintf("write \"version: %d\", or use a phasegate that reads version %d", FormatVersion, n))
			return false
		}
		if !d.s.top.f[topVersion].ok() {
			d.s.top.f[topVersion] = d.at(v)
		}
		d.e.Version = FormatVersion
		return true
	}
	d.problem(loc{d.file, int32(root.Line), int32(root.Column)}, "", "version", "is missing", fmt.Sprintf("start every estate file with \"version: %d\"", FormatVersion))
	return true
}

func (d *decoder) topField(f int, v *yaml.Node) {
	s := &d.s.top
	switch f {
	case topVersion:
		// Read by version.
	case topOrganization, topCurrency, topClearanceTeam:
		str, ok := d.str(v, "", topFields[f])
		if !ok {
			s.mark(f)
			return
		}
		var cur *string
		switch f {
		case topOrganization:
			cur = &d.e.Organization
		case topCurrency:
			cur = &d.e.Currency
		default:
			cur = &d.e.ClearanceTeam
		}
		if d.agree(f, v, *cur == str, strconv.Quote(str), strconv.Quote(*cur)) {
			*cur = str
		}
	case topStart:
		t, ok := d.timestamp(v, "", "start", false)
		if !ok {
			s.mark(f)
			return
		}
		if d.agree(f, v, d.e.Start.Equal(t), t.Format(time.RFC3339), d.e.Start.Format(time.RFC3339)) {
			d.e.Start = t
		}
	case topTeams:
		d.reserve(f, v)
		d.list(v, "teams", "team", d.team)
	case topSystems:
		d.reserve(f, v)
		if n := d.out.count; !d.list(v, "systems", "system", d.system) || d.out.count > n && len(d.e.Systems) == 0 {
			s.mark(topSystems)
		}
	case topServices:
		d.reserve(f, v)
		d.list(v, "services", "service", d.service)
	case topBacklogs:
		d.list(v, "backlogs", "backlog", d.backlog)
	}
}

// reserve grows the estate's lists for the entries of v at once:
// growing 100,000 systems by doubling copies them many times over.
func (d *decoder) reserve(f int, v *yaml.Node) {
	if v.Kind != yaml.SequenceNode {
		return
	}
	n := d.entries(v)
	switch f {
	case topTeams:
		d.e.Teams = grow(d.e.Teams, n)
		d.s.teams = grow(d.s.teams, n)
	case topSystems:
		d.e.Systems = grow(d.e.Systems, n)
		d.s.systems = grow(d.s.systems, n)
	case topServices:
		d.e.Services = grow(d.e.Services, n)
		d.s.services = grow(d.s.services, n)
	}
}

// grow makes room for n more elements, at least doubling the capacity
// when it grows: an estate of many files reserves once per file, and
// growing by each file's share alone would copy the list at every file.
func grow[S ~[]E, E any](s S, n int) S {
	if cap(s)-len(s) >= n {
		return s
	}
	return slices.Grow(s, max(n, len(s)))
}

// agree lets several files set the same top-level value only if they
// agree. It reports whether the value is the first.
func (d *decoder) agree(f int, v *yaml.Node, same bool, now, before string) bool {
	first := d.s.top.f[f]
	if !first.ok() {
		d.s.top.f[f] = d.at(v)
		return true
	}
	if !same {
		d.problem(d.at(v), "", topFields[f], fmt.Sprintf("is %s here but %s at %s", now, before, d.where(first)),
			"the files of one estate must agree: set it in one file only, or to the same value")
	}
	return false
}

// where names a position for a message: "file:line:col".
func (d *decoder) where(l loc) string { return whereIn(d.s, l) }

func whereIn(s *sources, l loc) string {
	if s == nil || l.file <= 0 || int(l.file) > len(s.files) {
		return "another place"
	}
	if l.line <= 0 {
		return s.files[l.file-1]
	}
	return fmt.Sprintf("%s:%d:%d", s.files[l.file-1], l.line, l.col)
}

// list walks a list of entities; it reports whether v was a list.
func (d *decoder) list(v *yaml.Node, field, what string, each func(n *yaml.Node)) bool {
	switch v.Kind {
	case yaml.SequenceNode:
		for k := range d.entries(v) {
			each(d.visit(d.entry(v, k)))
		}
		return true
	case yaml.ScalarNode:
		if v.Tag == "!!null" {
			return true
		}
	}
	d.problem(d.at(v), "", field, "must be a list of "+what+"s, not "+kindOf(v), "write each "+what+" on a line of its own starting with \"- \"")
	return false
}

// entries is the number of entries of the sequence v.
func (d *decoder) entries(v *yaml.Node) int {
	if d.lists != nil {
		if n, ok := d.lists.count(v); ok {
			return n
		}
	}
	return len(v.Content)
}

// entry is entry k of the sequence v, built now if the file is JSON read
// lazily. Such an entry lives until the next is built: walk the entries
// in order and keep none of their nodes.
func (d *decoder) entry(v *yaml.Node, k int) *yaml.Node {
	if d.lists != nil {
		if _, ok := d.lists.count(v); ok {
			return d.lists.entry(v, k)
		}
	}
	return v.Content[k]
}

// entityPath names an entity for messages: by its id when it has a
// printable one, else by its place in the list ("systems[#3]").
func entityPath(list, id string, i int) string {
	if id != "" && len(id) <= 64 && printable(id) {
		return list + "[" + id + "]"
	}
	return list + "[#" + strconv.Itoa(i+1) + "]"
}

func printable(s string) bool {
	for _, r := range s {
		if r < ' ' || r == 0x7f || r == '[' || r == ']' {
			return false
		}
	}
	return true
}

// peekID finds the id of an entity mapping before its fields are
// walked, so that every message about the entity can name it.
func (d *decoder) peekID(n *yaml.Node) string {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Kind == yaml.ScalarNode && k.Value == "id" {
			v := n.Content[i+1]
			if v.Kind == yaml.ScalarNode && v.Tag != "!!null" {
				return v.Value
			}
			return ""
		}
	}
	return ""
}

func (d *decoder) notMapping(n *yaml.Node, p, what, example string) {
	if d.out.full() {
		d.out.drop()
		return
	}
	d.problem(d.at(n), p, "", "each "+what+" must be a mapping of its fields, not "+kindOf(n), "write it as "+example)
}

func (d *decoder) team(n *yaml.Node) {
	i := len(d.e.Teams)
	p := entityPath("teams", "", i)
	if n.Kind != yaml.MappingNode {
		d.notMapping(n, p, "team", "\"- {id: dba, capacity: 2}\"")
		return
	}
	d.e.Teams = append(d.e.Teams, Team{})
	d.s.teams = append(d.s.teams, src{at: d.at(n)})
	t, s := &d.e.Teams[i], &d.s.teams[i]
	p = entityPath("teams", d.peekID(n), i)
	d.fields(n, p, teamFields, "a team", func(f int, k, v *yaml.Node) {
		s.f[f] = d.at(v)
		ok := true
		switch f {
		case teamID:
			t.ID, ok = d.str(v, p, "id")
		case teamName:
			t.Name, ok = d.str(v, p, "name")
		case teamCapacity:
			t.Capacity, ok = d.smallInt(v, p, "capacity")
		}
		if !ok {
			s.mark(f)
		}
	})
	t.Pos = d.pos(s.at)
}

func (d *decoder) pos(l loc) Pos {
	return Pos{File: d.name, Line: int(l.line), Column: int(l.col)}
}

func (d *decoder) system(n *yaml.Node) {
	i := len(d.e.Systems)
	p := entityPath("systems", "", i)
	if n.Kind != yaml.MappingNode {
		d.notMapping(n, p, "system", "\"- {id: ad, kind: identity, team: infra, restore: 2d}\"")
		return
	}
	d.e.Systems = append(d.e.Systems, System{})
	d.s.systems = append(d.s.systems, src{at: d.at(n)})
	sys, s := &d.e.Systems[i], &d.s.systems[i]
	p = entityPath("systems", d.peekID(n), i)
	d.fields(n, p, systemFields, "a system", func(f int, k, v *yaml.Node) {
		s.f[f] = d.at(v)
		ok := true
		switch f {
		case sysID:
			sys.ID, ok = d.str(v, p, "id")
		case sysName:
			sys.Name, ok = d.str(v, p, "name")
		case sysKind:
			var k string
			k, ok = d.str(v, p, "kind")
			sys.Kind = Kind(k)
		case sysTeam:
			sys.Team, ok = d.str(v, p, "team")
		case sysCriticality:
			sys.Criticality, ok = d.smallInt(v, p, "criticality")
		case sysRequires:
			sys.Requires, s.list, ok = d.strList(v, p, "requires", "[ad, network]")
		case sysRestore:
			sys.Restore, ok = d.estimate(v, p, "restore")
		case sysClearance:
			var e Estimate
			e, ok = d.estimate(v, p, "clearance")
			if ok && v.Tag != "!!null" {
				sys.Clearance = &e
			}
		case sysNeeds:
			sys.Needs, s.needs, ok = d.needs(v, p)
		case sysTwoPerson:
			sys.TwoPerson, ok = d.boolean(v, p, "two_person")
		case sysChecklist:
			sys.Checklist, ok = d.checklist(v, p)
		case sysOwners:
			sys.Owners, _, ok = d.strList(v, p, "owners", "[jane.doe@example.com]")
		case sysTags:
			sys.Tags, _, ok = d.strList(v, p, "tags", "[erp, finance]")
		case sysDescription:
			sys.Description, ok = d.str(v, p, "description")
		case sysVerify:
			sys.Verify, ok = d.checks(v, p)
		}
		if !ok {
			s.mark(f)
		}
	})
	if !s.present(sysRestore) && !s.isBad(sysRestore) {
		d.problem(s.at, p, "restore", "is missing", "say how long the restore takes, e.g. \"restore: 1d\" or \"restore: {min: 1d, likely: 2d, max: 4d}\"")
		s.mark(sysRestore)
	}
	sys.Pos = d.pos(s.at)
}

func (d *decoder) service(n *yaml.Node) {
	i := len(d.e.Services)
	p := entityPath("services", "", i)
	if n.Kind != yaml.MappingNode {
		d.notMapping(n, p, "service", "\"- {id: build, requires: [mes], revenue_per_day: 1000000}\"")
		return
	}
	d.e.Services = append(d.e.Services, Service{})
	d.s.services = append(d.s.services, src{at: d.at(n)})
	svc, s := &d.e.Services[i], &d.s.services[i]
	p = entityPath("services", d.peekID(n), i)
	d.fields(n, p, serviceFields, "a service", func(f int, k, v *yaml.Node) {
		s.f[f] = d.at(v)
		ok := true
		switch f {
		case svcID:
			svc.ID, ok = d.str(v, p, "id")
		case svcName:
			svc.Name, ok = d.str(v, p, "name")
		case svcRequires:
			svc.Requires, s.list, ok = d.strList(v, p, "requires", "[sap-erp, mes]")
		case svcRevenue:
			svc.RevenuePerDay, ok = d.number(v, p, "revenue_per_day")
		case svcCost:
			svc.CostPerDay, ok = d.number(v, p, "cost_per_day")
		case svcOutput:
			svc.OutputPerDay, ok = d.output(v, p)
		case svcPeopleIdle:
			svc.PeopleIdle, ok = d.smallInt(v, p, "people_idle")
		case svcAudiences:
			svc.Audiences, _, ok = d.strList(v, p, "audiences", "[customers, suppliers]")
		case svcDescription:
			svc.Description, ok = d.str(v, p, "description")
		}
		if !ok {
			s.mark(f)
		}
	})
	svc.Pos = d.pos(s.at)
}

func (d *decoder) backlog(n *yaml.Node) {
	i := len(d.e.Backlogs)
	p := entityPath("backlogs", "", i)
	if n.Kind != yaml.MappingNode {
		d.notMapping(n, p, "backlog", "\"- {id: invoices, service: pay, unit: invoices, accrues_per_day: 300, capacity_per_day: 400}\"")
		return
	}
	d.e.Backlogs = append(d.e.Backlogs, Backlog{})
	d.s.backlogs = append(d.s.backlogs, src{at: d.at(n)})
	d.s.items = append(d.s.items, nil)
	d.itemsPath = append(d.itemsPath, "")
	b, s := &d.e.Backlogs[i], &d.s.backlogs[i]
	p = entityPath("backlogs", d.peekID(n), i)
	d.fields(n, p, backlogFields, "a backlog", func(f int, k, v *yaml.Node) {
		s.f[f] = d.at(v)
		ok := true
		switch f {
		case blID:
			b.ID, ok = d.str(v, p, "id")
		case blName:
			b.Name, ok = d.str(v, p, "name")
		case blService:
			b.Service, ok = d.str(v, p, "service")
		case blUnit:
			b.Unit, ok = d.str(v, p, "unit")
		case blAccrues:
			b.AccruesPerDay, ok = d.number(v, p, "accrues_per_day")
		case blCapacity:
			b.CapacityPerDay, ok = d.number(v, p, "capacity_per_day")
		case blSurge:
			b.SurgeCapacityPerDay, ok = d.number(v, p, "surge_capacity_per_day")
		case blPolicy:
			b.Policy, ok = d.str(v, p, "policy")
		case blItems:
			ok = d.items(v, p, i)
		}
		if !ok {
			s.mark(f)
		}
	})
	for _, f := range []int{blAccrues, blCapacity} {
		if !s.present(f) && !s.isBad(f) {
			d.problem(s.at, p, backlogFields[f], "is missing", "say how many "+orWord(b.Unit, "items")+" per day, e.g. \""+backlogFields[f]+": 300\"")
			s.mark(f)
		}
	}
	b.Pos = d.pos(s.at)
}

func orWord(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// items reads a backlog's items: the path of a CSV file, or a list.
func (d *decoder) items(v *yaml.Node, p string, bi int) bool {
	b := &d.e.Backlogs[bi]
	switch v.Kind {
	case yaml.ScalarNode:
		if v.Tag == "!!null" {
			return true
		}
		if strings.TrimSpace(v.Value) == "" {
			d.problem(d.at(v), p, "items", "is empty", "name a CSV file (relative to this file), e.g. \"items: invoices.csv\", or list the items")
			return false
		}
		b.ItemsFile = v.Value
		d.itemsPath[bi] = itemsPath(d.name, v.Value)
		return true
	case yaml.SequenceNode:
		for j, c := range v.Content {
			c = d.visit(c)
			ip := p + ".items[#" + strconv.Itoa(j+1) + "]"
			if c.Kind != yaml.MappingNode {
				d.problem(d.at(c), ip, "", "each item must be a mapping of its fields, not "+kindOf(c), "write it as \"- {id: INV-1, supplier: acme, amount: 1200, due: 2025-10-01}\"")
				continue
			}
			var it BacklogItem
			is := itemSrc{at: d.at(c)}
			if id := d.peekID(c); id != "" && len(id) <= 64 && printable(id) {
				ip = p + ".items[" + id + "]"
			}
			d.fields(c, ip, itemFields[:], "an item", func(f int, k, v *yaml.Node) {
				is.f[f] = d.at(v)
				ok := true
				switch f {
				case itID:
					it.ID, ok = d.str(v, ip, "id")
				case itSupplier:
					it.Supplier, ok = d.str(v, ip, "supplier")
				case itAmount:
					it.Amount, ok = d.number(v, ip, "amount")
				case itDue:
					it.Due, ok = d.timestamp(v, ip, "due", true)
				case itReceived:
					it.Received, ok = d.timestamp(v, ip, "received", true)
				case itCritical:
					it.Critical, ok = d.boolean(v, ip, "critical")
				}
				if !ok {
					is.bad |= 1 << f
				}
			})
			b.Items = append(b.Items, it)
			d.s.items[bi] = append(d.s.items[bi], is)
		}
		return true
	}
	d.problem(d.at(v), p, "items", "must be the name of a CSV file or a list of items, not "+kindOf(v), "write \"items: invoices.csv\" or a list of {id, supplier, amount, due, received, critical}")
	return false
}

// itemsPath is where an items file named in the estate file estateName
// lives: relative to that file's directory.
func itemsPath(estateName, items string) string {
	if path.IsAbs(items) {
		return path.Clean(items)
	}
	return path.Join(path.Dir(estateName), items)
}
