package estate

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// decoder walks the YAML nodes of estate files into one Estate, noting
// where every value was written. It reports mistakes of form (syntax,
// types, unknown and repeated fields); the checks of meaning are in
// check.go, shared with Validate.
type decoder struct {
	e   *Estate
	s   *sources
	out *collector
	sug *suggester

	file int32  // index into s.files plus one
	name string // the file's name
	dir  string // its directory, for items paths

	// steps counts the nodes visited in the current file; aliases can
	// make that far more than the file holds, so it is bounded.
	steps, budget int

	// itemsPath holds, per backlog, the cleaned path of its items file.
	itemsPath []string
}

// abortFile stops the walk of one file whose aliases expand too far.
type abortFile struct{}

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

// visit resolves aliases and counts the work. Every node the walk looks
// at passes through here, so the budget bounds the whole walk, however
// the aliases nest or loop.
func (d *decoder) visit(n *yaml.Node) *yaml.Node {
	for hops := 0; n != nil && n.Kind == yaml.AliasNode; hops++ {
		if n.Alias == nil || hops > 8 {
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: n.Line, Column: n.Column}
		}
		d.steps++
		if d.steps > d.budget {
			d.problem(d.at(n), "", "", fmt.Sprintf("aliases expand this file to more than %d values", d.budget), "write the values out, or use fewer aliases")
			panic(abortFile{})
		}
		n = n.Alias
	}
	if n == nil {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}
	}
	d.steps++
	if d.steps > d.budget {
		d.problem(d.at(n), "", "", fmt.Sprintf("aliases expand this file to more than %d values", d.budget), "write the values out, or use fewer aliases")
		panic(abortFile{})
	}
	return n
}

// yamlLine finds the line number in a yaml error message.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// readYAML parses data into its one document. It returns nil for an
// empty file. The YAML library is third-party code on hostile input, so a
// panic in it becomes a problem instead of a crash.
func (d *decoder) readYAML(data []byte) (root *yaml.Node, reported bool) {
	defer func() {
		if r := recover(); r != nil {
			d.problem(loc{d.file, 0, 0}, "", "", fmt.Sprintf("the YAML parser failed on this file: %v", r), "check the file's syntax near any unusual characters")
			root, reported = nil, true
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(jsonEscapes(data)))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if !errors.Is(err, io.EOF) {
			d.syntaxProblem(err, data)
			return nil, true
		}
		return nil, false
	}
	for {
		var more yaml.Node
		err := dec.Decode(&more)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			d.syntaxProblem(err, data)
			return nil, true
		}
		if !emptyDocument(&more) {
			d.problem(d.at(&more), "", "", "a second YAML document starts here; an estate file holds one document per file", "remove the \"---\" line and merge the two, or move the second document to a file of its own")
			return nil, true
		}
	}
	if emptyDocument(&doc) {
		return nil, false
	}
	if doc.Kind == yaml.DocumentNode {
		return doc.Content[0], false
	}
	return &doc, false
}

func emptyDocument(n *yaml.Node) bool {
	if n.Kind == yaml.DocumentNode {
		return len(n.Content) == 0 || emptyDocument(n.Content[0])
	}
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null" && n.Value == ""
}

var unknownAnchor = regexp.MustCompile(`^unknown anchor '(.*)' referenced$`)

func (d *decoder) syntaxProblem(err error, data []byte) {
	msg := err.Error()
	line := 0
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	col := 0
	if m := unknownAnchor.FindStringSubmatch(msg); m != nil && line == 0 {
		// The parser gives no place for this one; the first alias with
		// that name is it.
		if i := bytes.Index(data, []byte("*"+m[1])); i >= 0 {
			line = 1 + bytes.Count(data[:i], []byte("\n"))
			col = 1 + i - (bytes.LastIndexByte(data[:i], '\n') + 1)
		}
	}
	fix := "fix the syntax on that line: indentation, quotes, brackets and \"key: value\" pairs"
	switch {
	case strings.Contains(msg, "cannot start any token"):
		fix = "YAML indents with spaces, never tabs; also quote text that starts with @ or `"
	case strings.Contains(msg, "mapping values are not allowed"):
		fix = "check the indentation; text containing \": \" must be quoted"
	case strings.Contains(msg, "did not find expected"):
		fix = "check the indentation and that brackets and quotes are closed"
	case strings.Contains(msg, "already defined"), strings.Contains(msg, "unknown anchor"):
		fix = "define each anchor (&name) once, before any alias (*name) to it"
	}
	d.problem(loc{d.file, int32(line), int32(col)}, "", "", "YAML syntax: "+msg, fix)
}

// estateFile decodes one estate file into the estate.
func (d *decoder) estateFile(f File) {
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
	root, reported := d.readYAML(f.Data)
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
	n := len(v.Content)
	switch f {
	case topTeams:
		d.e.Teams = slices.Grow(d.e.Teams, n)
		d.s.teams = slices.Grow(d.s.teams, n)
	case topSystems:
		d.e.Systems = slices.Grow(d.e.Systems, n)
		d.s.systems = slices.Grow(d.s.systems, n)
	case topServices:
		d.e.Services = slices.Grow(d.e.Services, n)
		d.s.services = slices.Grow(d.s.services, n)
	}
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
		for _, c := range v.Content {
			each(d.visit(c))
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
			sys.Checklist, _, ok = d.strList(v, p, "checklist", "[\"check the backup catalogue\"]")
		case sysOwners:
			sys.Owners, _, ok = d.strList(v, p, "owners", "[jane.doe@example.com]")
		case sysTags:
			sys.Tags, _, ok = d.strList(v, p, "tags", "[erp, finance]")
		case sysDescription:
			sys.Description, ok = d.str(v, p, "description")
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

func (d *decoder) output(v *yaml.Node, p string) (*Output, bool) {
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return nil, true
	}
	if v.Kind != yaml.MappingNode {
		d.problem(d.at(v), p, "output_per_day", "must be a mapping of amount and unit, not "+kindOf(v), "write e.g. \"output_per_day: {amount: 400, unit: vehicles}\"")
		return nil, false
	}
	var o Output
	ok := true
	var seen [2]bool
	d.fields(v, p+".output_per_day", outputFields, "output_per_day", func(f int, k, v *yaml.Node) {
		seen[f] = true
		var good bool
		if f == 0 {
			o.Amount, good = d.number(v, p+".output_per_day", "amount")
		} else {
			o.Unit, good = d.str(v, p+".output_per_day", "unit")
		}
		ok = ok && good
	})
	if ok && (!seen[0] || !seen[1]) {
		d.problem(d.at(v), p, "output_per_day", "needs both amount and unit", "write e.g. \"output_per_day: {amount: 400, unit: vehicles}\"")
		return nil, false
	}
	return &o, ok
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

// fields walks the pairs of the mapping n, calling fn with each known
// field's index and resolved value. It reports unknown fields (with a
// spelling suggestion) and fields written twice, and follows YAML merge
// keys ("<<: *defaults"), whose fields give way to those written out.
func (d *decoder) fields(n *yaml.Node, p string, names []string, what string, fn func(f int, k, v *yaml.Node)) {
	var seen [maxFields]*yaml.Node
	d.fieldsOf(n, p, names, what, fn, &seen, 0)
}

func (d *decoder) fieldsOf(n *yaml.Node, p string, names []string, what string, fn func(f int, k, v *yaml.Node), seen *[maxFields]*yaml.Node, depth int) {
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := d.visit(n.Content[i])
		if k.Kind != yaml.ScalarNode {
			d.problem(d.at(k), p, "", "a key must be a plain name, not "+kindOf(k), "write \"name: value\"")
			continue
		}
		if k.Tag == "!!merge" {
			merges = append(merges, n.Content[i+1])
			continue
		}
		f := -1
		for j, name := range names {
			if name == k.Value {
				f = j
				break
			}
		}
		if f < 0 && d.out.full() {
			d.out.drop()
			continue
		}
		if f < 0 {
			fix := didYouMean(d.sug.nearest(k.Value, names))
			if fix == "" {
				fix = "the fields of " + what + " are " + strings.Join(names, ", ")
			}
			d.problem(d.at(k), p, keyName(k.Value), "unknown field", fix)
			continue
		}
		if prev := seen[f]; prev != nil {
			if depth == 0 {
				d.problem(d.at(k), p, k.Value, fmt.Sprintf("is written twice; it was first set at line %d", prev.Line), "keep one of the two")
			}
			continue
		}
		seen[f] = k
		fn(f, k, d.visit(n.Content[i+1]))
	}
	for _, m := range merges {
		m = d.visit(m)
		if depth >= 8 {
			d.problem(d.at(m), p, "<<", "merge keys nest too deep", "merge at most 8 levels deep")
			return
		}
		switch m.Kind {
		case yaml.MappingNode:
			d.fieldsOf(m, p, names, what, fn, seen, depth+1)
		case yaml.SequenceNode:
			for _, c := range m.Content {
				c = d.visit(c)
				if c.Kind != yaml.MappingNode {
					d.problem(d.at(c), p, "<<", "can merge only mappings, not "+kindOf(c), "write \"<<: *defaults\" where &defaults names a mapping")
					continue
				}
				d.fieldsOf(c, p, names, what, fn, seen, depth+1)
			}
		default:
			d.problem(d.at(m), p, "<<", "can merge only mappings, not "+kindOf(m), "write \"<<: *defaults\" where &defaults names a mapping")
		}
	}
}

// keyName shortens a key for a message.
func keyName(k string) string {
	if len(k) > 40 || !printable(k) {
		return strconv.QuoteToASCII(shorten(k, 40))
	}
	return k
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && (s[cut]&0xC0) == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}

// kindOf describes a node for a message about a wrong type.
func kindOf(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "nothing"
		case "!!int", "!!float":
			return "the number " + shorten(n.Value, 40)
		case "!!bool":
			return n.Value
		case "!!timestamp":
			return "the date " + shorten(n.Value, 40)
		}
		return "the text " + strconv.Quote(shorten(n.Value, 40))
	}
	return "something else"
}

func (d *decoder) str(v *yaml.Node, p, field string) (string, bool) {
	if v.Kind != yaml.ScalarNode {
		d.problem(d.at(v), p, field, "must be text, not "+kindOf(v), "write a single value; quote it if it contains \": \" or starts with [ or {")
		return "", false
	}
	if v.Tag == "!!null" {
		return "", true
	}
	return v.Value, true
}

// strList reads a list of text values and where each was written.
func (d *decoder) strList(v *yaml.Node, p, field, example string) ([]string, []loc, bool) {
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return nil, nil, true
	}
	if v.Kind != yaml.SequenceNode {
		fix := "write a list, e.g. " + field + ": " + example
		if v.Kind == yaml.ScalarNode {
			fix = "write a list even for one value: " + field + ": [" + shorten(v.Value, 40) + "]"
		}
		d.problem(d.at(v), p, field, "must be a list, not "+kindOf(v), fix)
		return nil, nil, false
	}
	if len(v.Content) == 0 {
		return nil, nil, true
	}
	out := make([]string, 0, len(v.Content))
	locs := make([]loc, 0, len(v.Content))
	ok := true
	for j, c := range v.Content {
		c = d.visit(c)
		if c.Kind != yaml.ScalarNode || c.Tag == "!!null" {
			d.problem(d.at(c), p, field+"["+strconv.Itoa(j)+"]", "must be text, not "+kindOf(c), "write each entry as a plain value, e.g. "+field+": "+example)
			ok = false
			continue
		}
		out = append(out, c.Value)
		locs = append(locs, d.at(c))
	}
	return out, locs, ok
}

// maxInt bounds whole numbers in the format: big enough for any
// capacity or head count, small enough that no sum of them overflows.
const maxInt = 1_000_000_000

// smallInt reads a whole number between -maxInt and maxInt.
func (d *decoder) smallInt(v *yaml.Node, p, field string) (int, bool) {
	n, ok := d.integer(v, p, field)
	if !ok {
		return 0, false
	}
	if n > maxInt || n < -maxInt {
		d.problem(d.at(v), p, field, fmt.Sprintf("%d is too large", n), fmt.Sprintf("whole numbers in an estate are at most %d", maxInt))
		return 0, false
	}
	return int(n), true
}

func (d *decoder) integer(v *yaml.Node, p, field string) (int64, bool) {
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		d.problem(d.at(v), p, field, "must be a whole number, not "+kindOf(v), "write a number such as 2")
		return 0, false
	}
	switch v.Tag {
	case "!!int":
		n, err := strconv.ParseInt(strings.ReplaceAll(v.Value, "_", ""), 0, 64)
		switch {
		case errors.Is(err, strconv.ErrRange):
			d.problem(d.at(v), p, field, shorten(v.Value, 40)+" is too large", fmt.Sprintf("whole numbers in an estate are at most %d", maxInt))
			return 0, false
		case err != nil:
			d.problem(d.at(v), p, field, "must be a whole number, not "+strconv.Quote(shorten(v.Value, 40)), "write a number such as 2")
			return 0, false
		}
		return n, true
	case "!!float":
		f, err := strconv.ParseFloat(strings.ReplaceAll(v.Value, "_", ""), 64)
		switch {
		case err != nil && !errors.Is(err, strconv.ErrRange):
			// .inf, .nan and friends.
			d.problem(d.at(v), p, field, "must be a whole number, not "+shorten(v.Value, 40), "write a number such as 2")
			return 0, false
		case math.Abs(f) >= 1<<62 || errors.Is(err, strconv.ErrRange):
			d.problem(d.at(v), p, field, shorten(v.Value, 40)+" is too large", fmt.Sprintf("whole numbers in an estate are at most %d", maxInt))
			return 0, false
		case f != math.Trunc(f):
			d.problem(d.at(v), p, field, "must be a whole number, not "+v.Value, fmt.Sprintf("round it, e.g. %.0f", math.Round(f)))
			return 0, false
		}
		return int64(f), true
	}
	fix := "write a number such as 2"
	if v.Tag == "!!str" {
		_, err := strconv.ParseFloat(strings.TrimSpace(v.Value), 64)
		switch {
		case errors.Is(err, strconv.ErrRange) && v.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0:
			// YAML takes a number too large for a float for text.
			d.problem(d.at(v), p, field, shorten(v.Value, 40)+" is too large", fmt.Sprintf("whole numbers in an estate are at most %d", maxInt))
			return 0, false
		case err == nil:
			fix = "remove the quotes around the number"
		}
	}
	d.problem(d.at(v), p, field, "must be a whole number, not "+kindOf(v), fix)
	return 0, false
}

// number reads a finite number; whole numbers and decimals both do.
func (d *decoder) number(v *yaml.Node, p, field string) (float64, bool) {
	if v.Kind == yaml.ScalarNode && (v.Tag == "!!int" || v.Tag == "!!float") {
		s := strings.ReplaceAll(v.Value, "_", "")
		var f float64
		var err error
		if v.Tag == "!!int" {
			var n int64
			if n, err = strconv.ParseInt(s, 0, 64); err == nil {
				f = float64(n)
			} else {
				f, err = strconv.ParseFloat(s, 64)
			}
		} else {
			f, err = strconv.ParseFloat(s, 64)
		}
		switch {
		case errors.Is(err, strconv.ErrRange):
			d.problem(d.at(v), p, field, shorten(v.Value, 40)+" is too large", "write a number below 1e300")
			return 0, false
		case err != nil || math.IsNaN(f) || math.IsInf(f, 0):
			d.problem(d.at(v), p, field, "must be a finite number, not "+shorten(v.Value, 40), "write a number such as 1200 or 0.5")
			return 0, false
		}
		return f, true
	}
	fix := "write a number such as 1200 or 0.5, without currency signs or thousands separators"
	if v.Kind == yaml.ScalarNode && v.Tag == "!!str" {
		_, err := strconv.ParseFloat(strings.TrimSpace(v.Value), 64)
		switch {
		case errors.Is(err, strconv.ErrRange) && v.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0:
			// YAML takes a number too large for a float for text.
			d.problem(d.at(v), p, field, shorten(v.Value, 40)+" is too large", "write a number below 1e300")
			return 0, false
		case err == nil:
			fix = "remove the quotes around the number"
		}
	}
	d.problem(d.at(v), p, field, "must be a number, not "+kindOf(v), fix)
	return 0, false
}

func (d *decoder) boolean(v *yaml.Node, p, field string) (bool, bool) {
	if v.Kind == yaml.ScalarNode && v.Tag == "!!bool" {
		return strings.EqualFold(v.Value, "true"), true
	}
	d.problem(d.at(v), p, field, "must be true or false, not "+kindOf(v), "write "+field+": true")
	return false, false
}

// timestamp reads an RFC 3339 time or, where dateOK, a date.
func (d *decoder) timestamp(v *yaml.Node, p, field string, dateOK bool) (time.Time, bool) {
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		d.problem(d.at(v), p, field, "must be a date and time, not "+kindOf(v), timeFix(dateOK))
		return time.Time{}, false
	}
	t, err := parseTime(v.Value, dateOK)
	if err != nil {
		d.problem(d.at(v), p, field, strconv.Quote(shorten(v.Value, 40))+" is not "+timeWhat(dateOK), timeFix(dateOK))
		return time.Time{}, false
	}
	return t, true
}

func timeWhat(dateOK bool) string {
	if dateOK {
		return "a date (YYYY-MM-DD) or an RFC 3339 time"
	}
	return "an RFC 3339 time"
}

func timeFix(dateOK bool) string {
	if dateOK {
		return "write e.g. 2025-10-01 or 2025-10-01T09:00:00Z"
	}
	return "write the date, time and zone, e.g. 2025-09-01T08:00:00Z or 2025-09-01T09:00:00+01:00"
}

func parseTime(s string, dateOK bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	if dateOK && len(s) == len("2006-01-02") {
		return time.Parse("2006-01-02", s)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return t, err
	}
	// A four-digit year keeps the time writable in RFC 3339 again.
	if y := t.Year(); y < 0 || y > 9999 {
		return time.Time{}, errors.New("year out of range")
	}
	return t, nil
}

// estimate reads a duration or a three-point estimate.
func (d *decoder) estimate(v *yaml.Node, p, field string) (Estimate, bool) {
	switch v.Kind {
	case yaml.ScalarNode:
		if v.Tag == "!!null" {
			d.problem(d.at(v), p, field, "has no value", "write a duration such as 2d, or {min: 1d, likely: 2d, max: 4d}")
			return Estimate{}, false
		}
		dur, ok := d.duration(v, p, field)
		return Point(dur), ok
	case yaml.MappingNode:
		var e Estimate
		var seen [3]bool
		ok := true
		d.fields(v, p+"."+field, estimateFields, "an estimate", func(f int, k, v *yaml.Node) {
			seen[f] = true
			if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
				d.problem(d.at(v), p+"."+field, estimateFields[f], "must be a duration, not "+kindOf(v), durationExample)
				ok = false
				return
			}
			dur, good := d.duration(v, p+"."+field, estimateFields[f])
			ok = ok && good
			switch f {
			case 0:
				e.Min = dur
			case 1:
				e.Likely = dur
			case 2:
				e.Max = dur
			}
		})
		if !ok {
			return Estimate{}, false
		}
		if !seen[0] || !seen[1] || !seen[2] {
			var missing []string
			for f, s := range seen {
				if !s {
					missing = append(missing, estimateFields[f])
				}
			}
			d.problem(d.at(v), p, field, "a three-point estimate needs min, likely and max; "+strings.Join(missing, " and ")+" missing", "write e.g. {min: 1d, likely: 2d, max: 4d}, or a single duration such as 2d")
			return Estimate{}, false
		}
		return e, true
	}
	d.problem(d.at(v), p, field, "must be a duration or a three-point estimate, not "+kindOf(v), "write a duration such as 2d, or {min: 1d, likely: 2d, max: 4d}")
	return Estimate{}, false
}

func (d *decoder) duration(v *yaml.Node, p, field string) (time.Duration, bool) {
	dur, bad := parseDuration(v.Value)
	if bad != nil {
		msg := bad.msg
		if bad.msg == "is empty" || bad.msg == "is too long to be a duration" || strings.HasPrefix(bad.msg, "is negative") {
			msg = strconv.Quote(shorten(v.Value, 40)) + " " + bad.msg
		}
		d.problem(d.at(v), p, field, msg, bad.fix)
		return 0, false
	}
	return dur, true
}

// needs reads the map of team → units, sorted by team.
func (d *decoder) needs(v *yaml.Node, p string) ([]Need, []loc, bool) {
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return nil, nil, true
	}
	if v.Kind != yaml.MappingNode {
		d.problem(d.at(v), p, "needs", "must be a mapping of team to units, not "+kindOf(v), "write e.g. needs: {sap-basis: 2, dba: 1}")
		return nil, nil, false
	}
	type entry struct {
		n Need
		l loc
	}
	var es []entry
	first := map[string]int{}
	ok := true
	for i := 0; i+1 < len(v.Content); i += 2 {
		k := d.visit(v.Content[i])
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			d.problem(d.at(k), p, "needs", "merge keys are not supported in needs", "write the teams out")
			ok = false
			continue
		}
		if k.Kind != yaml.ScalarNode || k.Tag == "!!null" {
			d.problem(d.at(k), p, "needs", "a key must be a team id, not "+kindOf(k), "write e.g. needs: {sap-basis: 2, dba: 1}")
			ok = false
			continue
		}
		if line, dup := first[k.Value]; dup {
			d.problem(d.at(k), p, "needs", fmt.Sprintf("team %q is written twice; it was first named at line %d", shorten(k.Value, 40), line), "keep one of the two")
			ok = false
			continue
		}
		first[k.Value] = k.Line
		units, good := d.smallInt(d.visit(v.Content[i+1]), p, "needs."+keyName(k.Value))
		if !good {
			ok = false
			continue
		}
		es = append(es, entry{Need{Team: k.Value, Units: units}, d.at(k)})
	}
	if !ok {
		return nil, nil, false
	}
	if len(es) == 0 {
		d.problem(d.at(v), p, "needs", "is empty", "name at least one team, e.g. needs: {dba: 1}, or leave needs out to take one unit of the system's own team")
		return nil, nil, false
	}
	sort.SliceStable(es, func(i, j int) bool { return es[i].n.Team < es[j].n.Team })
	ns := make([]Need, len(es))
	ls := make([]loc, len(es))
	for i, e := range es {
		ns[i], ls[i] = e.n, e.l
	}
	return ns, ls, true
}

// jsonEscapes rewrites two JSON string escapes that the YAML parser
// rejects, inside the strings of a file that starts like JSON: "\/"
// becomes "/", and a UTF-16 surrogate pair "\ud83d\ude00" becomes the
// YAML escape "\U0001f600". Other files are returned as they are. A
// column after such an escape is off by one or two on that line.
func jsonEscapes(data []byte) []byte {
	t := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(t) == 0 || t[0] != '{' && t[0] != '[' || !bytes.Contains(data, []byte(`\/`)) && !bytes.Contains(data, []byte(`\u`)) && !bytes.Contains(data, []byte(`\U`)) {
		return data
	}
	out := make([]byte, 0, len(data))
	in := false
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch {
		case !in:
			in = c == '"'
		case c == '"':
			in = false
		case c == '\\' && i+1 < len(data):
			if data[i+1] == '/' {
				continue // keep the slash, drop the backslash
			}
			if hi, ok := hex4(data, i+1); ok && hi >= 0xD800 && hi < 0xDC00 && i+11 < len(data) && data[i+6] == '\\' {
				if lo, ok := hex4(data, i+7); ok && lo >= 0xDC00 && lo < 0xE000 {
					r := 0x10000 + (hi-0xD800)<<10 + (lo - 0xDC00)
					out = fmt.Appendf(out, "\\U%08x", r)
					i += 11
					continue
				}
			}
			out = append(out, c)
			i++
			c = data[i]
		}
		out = append(out, c)
	}
	return out
}

// hex4 reads the four hex digits of a \u escape whose 'u' is at data[i].
func hex4(data []byte, i int) (rune, bool) {
	if i+4 >= len(data) || data[i] != 'u' && data[i] != 'U' {
		return 0, false
	}
	n, err := strconv.ParseUint(string(data[i+1:i+5]), 16, 32)
	return rune(n), err == nil
}
