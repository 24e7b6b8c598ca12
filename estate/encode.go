package estate

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// The JSON encoding of an estate is the estate format itself: durations
// as "2d", three-point estimates as {"min", "likely", "max"}, needs as a
// map, items inline, and defaults left out. Parse (or json.Unmarshal into
// an Estate) reads it back to an equal estate.

// MarshalJSON writes a single-point estimate as a duration ("1d12h") and
// any other as {"min": …, "likely": …, "max": …}.
func (e Estimate) MarshalJSON() ([]byte, error) {
	if e.Min == e.Likely && e.Likely == e.Max {
		return json.Marshal(FormatDuration(e.Likely))
	}
	return json.Marshal(struct {
		Min    string `json:"min"`
		Likely string `json:"likely"`
		Max    string `json:"max"`
	}{FormatDuration(e.Min), FormatDuration(e.Likely), FormatDuration(e.Max)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (e *Estimate) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err == nil {
		d, err := ParseDuration(s)
		if err != nil {
			return err
		}
		*e = Point(d)
		return nil
	}
	var three struct {
		Min, Likely, Max *string
	}
	if err := json.Unmarshal(data, &three); err != nil || three.Min == nil || three.Likely == nil || three.Max == nil {
		return errors.New("estate: an estimate is a duration such as \"2d\" or {\"min\": \"1d\", \"likely\": \"2d\", \"max\": \"4d\"}")
	}
	var out Estimate
	for _, p := range []struct {
		s *string
		d *time.Duration
	}{{three.Min, &out.Min}, {three.Likely, &out.Likely}, {three.Max, &out.Max}} {
		d, err := ParseDuration(*p.s)
		if err != nil {
			return err
		}
		*p.d = d
	}
	*e = out
	return nil
}

// MarshalJSON leaves out the name when it is the id.
func (t Team) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		ID       string `json:"id"`
		Name     string `json:"name,omitempty"`
		Capacity int    `json:"capacity"`
	}{t.ID, nameOrEmpty(t.Name, t.ID), t.Capacity})
}

func nameOrEmpty(name, id string) string {
	if name == id {
		return ""
	}
	return name
}

// defaultNeeds reports whether needs is the default: one unit of the
// system's own team.
func (s *System) defaultNeeds() bool {
	return len(s.Needs) == 0 || len(s.Needs) == 1 && s.Needs[0] == Need{Team: s.Team, Units: 1}
}

// MarshalJSON writes needs as a map and leaves out defaults.
func (s System) MarshalJSON() ([]byte, error) {
	var needs map[string]int
	if !s.defaultNeeds() {
		needs = make(map[string]int, len(s.Needs))
		for _, n := range s.Needs {
			needs[n.Team] = n.Units
		}
	}
	crit := s.Criticality
	if crit == DefaultCriticality {
		crit = 0
	}
	return json.Marshal(struct {
		ID          string           `json:"id"`
		Name        string           `json:"name,omitempty"`
		Kind        Kind             `json:"kind"`
		Team        string           `json:"team"`
		Criticality int              `json:"criticality,omitempty"`
		Requires    []string         `json:"requires,omitempty"`
		Restore     Estimate         `json:"restore"`
		Clearance   *Estimate        `json:"clearance,omitempty"`
		Needs       map[string]int   `json:"needs,omitempty"`
		TwoPerson   bool             `json:"two_person,omitempty"`
		Checklist   []ChecklistEntry `json:"checklist,omitempty"`
		Owners      []string         `json:"owners,omitempty"`
		Tags        []string         `json:"tags,omitempty"`
		Description string           `json:"description,omitempty"`
		Verify      []Check          `json:"verify,omitempty"`
	}{s.ID, nameOrEmpty(s.Name, s.ID), s.Kind, s.Team, crit, s.Requires, s.Restore, s.Clearance,
		needs, s.TwoPerson, s.Checklist, s.Owners, s.Tags, s.Description, s.Verify})
}

// MarshalJSON leaves out the name when it is the id.
func (s Service) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		ID            string   `json:"id"`
		Name          string   `json:"name,omitempty"`
		Requires      []string `json:"requires"`
		RevenuePerDay float64  `json:"revenue_per_day,omitempty"`
		CostPerDay    float64  `json:"cost_per_day,omitempty"`
		OutputPerDay  *Output  `json:"output_per_day,omitempty"`
		PeopleIdle    int      `json:"people_idle,omitempty"`
		Audiences     []string `json:"audiences,omitempty"`
		Description   string   `json:"description,omitempty"`
	}{s.ID, nameOrEmpty(s.Name, s.ID), s.Requires, s.RevenuePerDay, s.CostPerDay, s.OutputPerDay,
		s.PeopleIdle, s.Audiences, s.Description})
}

// MarshalJSON writes the items inline, so that the encoding stands
// alone; the name of the CSV file they came from (ItemsFile) is not
// written.
func (b Backlog) MarshalJSON() ([]byte, error) {
	policy := b.Policy
	if policy == DefaultPolicy {
		policy = ""
	}
	return json.Marshal(struct {
		ID                  string        `json:"id"`
		Name                string        `json:"name,omitempty"`
		Service             string        `json:"service"`
		Unit                string        `json:"unit"`
		AccruesPerDay       float64       `json:"accrues_per_day"`
		CapacityPerDay      float64       `json:"capacity_per_day"`
		SurgeCapacityPerDay float64       `json:"surge_capacity_per_day,omitempty"`
		Policy              string        `json:"policy,omitempty"`
		Items               []BacklogItem `json:"items,omitempty"`
	}{b.ID, nameOrEmpty(b.Name, b.ID), b.Service, b.Unit, b.AccruesPerDay, b.CapacityPerDay,
		b.SurgeCapacityPerDay, policy, b.Items})
}

// MarshalJSON writes the estate in the estate format, version
// FormatVersion.
func (e Estate) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Version       int       `json:"version"`
		Organization  string    `json:"organization"`
		Currency      string    `json:"currency"`
		Start         time.Time `json:"start,omitzero"`
		ClearanceTeam string    `json:"clearance_team,omitempty"`
		Teams         []Team    `json:"teams"`
		Systems       []System  `json:"systems"`
		Services      []Service `json:"services,omitempty"`
		Backlogs      []Backlog `json:"backlogs,omitempty"`
	}{FormatVersion, e.Organization, e.Currency, e.Start, e.ClearanceTeam, e.Teams, e.Systems, e.Services, e.Backlogs})
}

// UnmarshalJSON reads an estate in the estate format with Parse, so it
// validates and fills defaults; the error is Problems (naming the file
// "estate.json"). Positions are left empty.
func (e *Estate) UnmarshalJSON(data []byte) error {
	parsed, err := Parse(File{Name: "estate.json", Data: data})
	if err != nil {
		return err
	}
	parsed.clearPositions()
	*e = *parsed
	return nil
}

func (e *Estate) clearPositions() {
	for i := range e.Teams {
		e.Teams[i].Pos = Pos{}
	}
	for i := range e.Systems {
		e.Systems[i].Pos = Pos{}
	}
	for i := range e.Services {
		e.Services[i].Pos = Pos{}
	}
	for i := range e.Backlogs {
		e.Backlogs[i].Pos = Pos{}
	}
}

// EncodeYAML writes the estate as readable estate-format YAML: one
// mapping per system, short lists and estimates on one line, defaults
// left out, items inline (ItemsFile is not written). Parse reads it back
// to an equal estate.
func EncodeYAML(e *Estate) ([]byte, error) {
	root := ymap()
	root.HeadComment = "Estate format version 1: see docs/estate-format.md"
	add(root, "version", yint(FormatVersion))
	add(root, "organization", ystr(e.Organization))
	add(root, "currency", ystr(e.Currency))
	if !e.Start.IsZero() {
		add(root, "start", ytime(e.Start, false))
	}
	if e.ClearanceTeam != "" {
		add(root, "clearance_team", ystr(e.ClearanceTeam))
	}
	teams := yseq()
	for _, t := range e.Teams {
		m := flow(ymap())
		add(m, "id", ystr(t.ID))
		if t.Name != t.ID && t.Name != "" {
			add(m, "name", ystr(t.Name))
		}
		add(m, "capacity", yint(t.Capacity))
		teams.Content = append(teams.Content, m)
	}
	add(root, "teams", teams)
	systems := yseq()
	for i := range e.Systems {
		systems.Content = append(systems.Content, yamlSystem(&e.Systems[i]))
	}
	add(root, "systems", systems)
	if len(e.Services) > 0 {
		services := yseq()
		for i := range e.Services {
			services.Content = append(services.Content, yamlService(&e.Services[i]))
		}
		add(root, "services", services)
	}
	if len(e.Backlogs) > 0 {
		backlogs := yseq()
		for i := range e.Backlogs {
			backlogs.Content = append(backlogs.Content, yamlBacklog(&e.Backlogs[i]))
		}
		add(root, "backlogs", backlogs)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func yamlSystem(s *System) *yaml.Node {
	m := ymap()
	add(m, "id", ystr(s.ID))
	if s.Name != s.ID && s.Name != "" {
		add(m, "name", ystr(s.Name))
	}
	add(m, "kind", ystr(string(s.Kind)))
	add(m, "team", ystr(s.Team))
	if s.Criticality != DefaultCriticality && s.Criticality != 0 {
		add(m, "criticality", yint(s.Criticality))
	}
	if len(s.Requires) > 0 {
		add(m, "requires", yflowList(s.Requires))
	}
	add(m, "restore", yestimate(s.Restore))
	if s.Clearance != nil {
		add(m, "clearance", yestimate(*s.Clearance))
	}
	if !s.defaultNeeds() {
		n := flow(ymap())
		for _, need := range s.Needs {
			add(n, need.Team, yint(need.Units))
		}
		add(m, "needs", n)
	}
	if s.TwoPerson {
		add(m, "two_person", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"})
	}
	if len(s.Checklist) > 0 {
		l := yseq()
		for _, c := range s.Checklist {
			if c.Key == "" {
				l.Content = append(l.Content, ystr(c.Text))
				continue
			}
			e := flow(ymap())
			add(e, "key", ystr(c.Key))
			add(e, "text", ystr(c.Text))
			l.Content = append(l.Content, e)
		}
		add(m, "checklist", l)
	}
	if len(s.Owners) > 0 {
		add(m, "owners", yflowList(s.Owners))
	}
	if len(s.Tags) > 0 {
		add(m, "tags", yflowList(s.Tags))
	}
	if s.Description != "" {
		add(m, "description", ystr(s.Description))
	}
	if len(s.Verify) > 0 {
		l := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, c := range s.Verify {
			cm := flow(ymap())
			if c.HTTP != "" {
				add(cm, "http", ystr(c.HTTP))
			} else {
				add(cm, "tcp", ystr(c.TCP))
			}
			if c.Status != 0 {
				add(cm, "status", yint(c.Status))
			}
			if c.Contains != "" {
				add(cm, "contains", ystr(c.Contains))
			}
			if c.TimeoutSeconds != 0 {
				add(cm, "timeout_seconds", yint(c.TimeoutSeconds))
			}
			l.Content = append(l.Content, cm)
		}
		add(m, "verify", l)
	}
	return m
}

func yamlService(s *Service) *yaml.Node {
	m := ymap()
	add(m, "id", ystr(s.ID))
	if s.Name != s.ID && s.Name != "" {
		add(m, "name", ystr(s.Name))
	}
	add(m, "requires", yflowList(s.Requires))
	if s.RevenuePerDay != 0 {
		add(m, "revenue_per_day", ynum(s.RevenuePerDay))
	}
	if s.CostPerDay != 0 {
		add(m, "cost_per_day", ynum(s.CostPerDay))
	}
	if o := s.OutputPerDay; o != nil {
		n := flow(ymap())
		add(n, "amount", ynum(o.Amount))
		add(n, "unit", ystr(o.Unit))
		add(m, "output_per_day", n)
	}
	if s.PeopleIdle != 0 {
		add(m, "people_idle", yint(s.PeopleIdle))
	}
	if len(s.Audiences) > 0 {
		add(m, "audiences", yflowList(s.Audiences))
	}
	if s.Description != "" {
		add(m, "description", ystr(s.Description))
	}
	return m
}

func yamlBacklog(b *Backlog) *yaml.Node {
	m := ymap()
	add(m, "id", ystr(b.ID))
	if b.Name != b.ID && b.Name != "" {
		add(m, "name", ystr(b.Name))
	}
	add(m, "service", ystr(b.Service))
	add(m, "unit", ystr(b.Unit))
	add(m, "accrues_per_day", ynum(b.AccruesPerDay))
	add(m, "capacity_per_day", ynum(b.CapacityPerDay))
	if b.SurgeCapacityPerDay != 0 {
		add(m, "surge_capacity_per_day", ynum(b.SurgeCapacityPerDay))
	}
	if b.Policy != "" && b.Policy != DefaultPolicy {
		add(m, "policy", ystr(b.Policy))
	}
	if len(b.Items) > 0 {
		items := yseq()
		for _, it := range b.Items {
			n := flow(ymap())
			add(n, "id", ystr(it.ID))
			if it.Supplier != "" {
				add(n, "supplier", ystr(it.Supplier))
			}
			if it.Amount != 0 {
				add(n, "amount", ynum(it.Amount))
			}
			if !it.Due.IsZero() {
				add(n, "due", ytime(it.Due, true))
			}
			if !it.Received.IsZero() {
				add(n, "received", ytime(it.Received, true))
			}
			if it.Critical {
				add(n, "critical", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"})
			}
			items.Content = append(items.Content, n)
		}
		add(m, "items", items)
	}
	return m
}

func ymap() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"} }
func yseq() *yaml.Node { return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"} }

func flow(n *yaml.Node) *yaml.Node {
	n.Style = yaml.FlowStyle
	return n
}

func add(m *yaml.Node, key string, v *yaml.Node) {
	m.Content = append(m.Content, ystr(key), v)
}

func ystr(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	// YAML turns other line breaks into newlines except in double
	// quotes; everything else the emitter quotes by itself when needed,
	// except a tab at the start of a line of a literal block, which it
	// writes but cannot read back.
	if strings.ContainsAny(s, "\r\u0085\u2028\u2029") || strings.HasPrefix(s, "\t") || strings.Contains(s, "\n\t") {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

func yint(i int) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(i)}
}

// ynum writes a number plainly: 7000000 rather than 7e+06.
func ynum(f float64) *yaml.Node {
	if math.Abs(f) < 1e15 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		tag := "!!float"
		if !strings.Contains(s, ".") {
			tag = "!!int"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: s}
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: strconv.FormatFloat(f, 'g', -1, 64)}
}

// ytime writes a date alone when it is midnight UTC and dateOK.
func ytime(t time.Time, dateOK bool) *yaml.Node {
	s := t.Format(time.RFC3339Nano)
	if dateOK && t.Location() == time.UTC && t.Equal(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)) {
		s = t.Format("2006-01-02")
	}
	// Tagged as a timestamp so that it is written plain, not quoted.
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!timestamp", Value: s}
}

func yestimate(e Estimate) *yaml.Node {
	if e.Min == e.Likely && e.Likely == e.Max {
		return ystr(FormatDuration(e.Likely))
	}
	m := flow(ymap())
	add(m, "min", ystr(FormatDuration(e.Min)))
	add(m, "likely", ystr(FormatDuration(e.Likely)))
	add(m, "max", ystr(FormatDuration(e.Max)))
	return m
}

func yflowList(ss []string) *yaml.Node {
	return flow(ylist(ss))
}

func ylist(ss []string) *yaml.Node {
	n := yseq()
	for _, s := range ss {
		n.Content = append(n.Content, ystr(s))
	}
	return n
}
