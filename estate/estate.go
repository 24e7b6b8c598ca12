// Package estate is the estate as code: the systems, teams, dependencies and
// business services of an organisation under recovery, how long each system
// takes to clear and restore, and what its downtime costs.
//
// It parses and validates estate files (Parse, ItemRefs), checks estates
// built in code with the same rules (Validate), writes estates in the same
// format (json.Marshal, EncodeYAML) and indexes them for the planner and
// the server (Index). docs/estate-format.md is the format's reference.
//
// It does no I/O of its own: callers hand it the bytes of each file (see
// File), so it can be fuzzed, tested and reused by the command line and
// the server alike.
package estate

import (
	"encoding/json"
	"fmt"
	"time"
)

// FormatVersion is the only estate format version this code reads.
const FormatVersion = 1

// Kind is the kind of a system. It selects the clearance checklist template.
type Kind string

// The kinds of system an estate may declare.
const (
	KindIdentity       Kind = "identity"
	KindNetwork        Kind = "network"
	KindInfrastructure Kind = "infrastructure"
	KindSecurity       Kind = "security"
	KindData           Kind = "data"
	KindApplication    Kind = "application"
	KindSaaS           Kind = "saas"
	KindOT             Kind = "ot"
	KindEndpoint       Kind = "endpoint"
	KindOther          Kind = "other"
)

// Kinds lists every valid Kind in a stable order.
var Kinds = []Kind{KindIdentity, KindNetwork, KindInfrastructure, KindSecurity,
	KindData, KindApplication, KindSaaS, KindOT, KindEndpoint, KindOther}

// Pos is where something was written: a file name and a 1-based line and
// column. The zero Pos means "not from a file" (e.g. built in code).
type Pos struct {
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
}

// Estimate is how long a piece of work takes. A single-point estimate has
// Min == Likely == Max. The deterministic plan uses Likely; the forecast
// samples between Min and Max.
type Estimate struct {
	Min    time.Duration `json:"min"`
	Likely time.Duration `json:"likely"`
	Max    time.Duration `json:"max"`
}

// Point returns a single-point estimate of d.
func Point(d time.Duration) Estimate { return Estimate{Min: d, Likely: d, Max: d} }

// Fixed reports whether the estimate has no spread.
func (e Estimate) Fixed() bool { return e.Min == e.Max }

// Need is the capacity a system's restore takes from one team while it runs.
type Need struct {
	Team  string `json:"team"`
	Units int    `json:"units"`
}

// Team is a group of people that restores systems. Capacity is how many
// units of work it can carry at the same time.
type Team struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Capacity int    `json:"capacity"`
	Pos      Pos    `json:"-"`
}

// System is one thing in the estate that must be cleared and restored.
type System struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Kind        Kind   `json:"kind"`
	Team        string `json:"team"`
	Criticality int    `json:"criticality"` // 1 highest .. 4
	// Requires lists the systems that must be back online before this
	// system's restore may start.
	Requires []string `json:"requires,omitempty"`
	Restore  Estimate `json:"restore"`
	// Clearance is the forensic clearance, done by the estate's clearance
	// team before the restore starts. Nil when the system needs none.
	Clearance *Estimate `json:"clearance,omitempty"`
	// Needs is the capacity the restore takes, sorted by team id. After
	// parsing it is never empty: the default is one unit of Team.
	Needs []Need `json:"needs"`
	// TwoPerson marks a system whose restart needs a second person's
	// approval even though its criticality is not 1.
	TwoPerson bool `json:"two_person,omitempty"`
	// Checklist extends the clearance checklist of the system's kind.
	Checklist   []ChecklistEntry `json:"checklist,omitempty"`
	Owners      []string         `json:"owners,omitempty"`
	Tags        []string         `json:"tags,omitempty"`
	Description string           `json:"description,omitempty"`
	// Verify lists the checks that show the restored system is up; a
	// system with checks goes online only after they pass
	// (docs/estate-format.md).
	Verify []Check `json:"verify,omitempty"`
	Pos    Pos     `json:"-"`
}

// ChecklistEntry is one item a system adds to its kind's clearance
// checklist. Ticks are stored against the item's key: with Key given the
// item keeps its ticks when its text is reworded (a reworded item waits
// for a second approver, like any weakening); without, the key follows
// the text (docs/estate-format.md).
type ChecklistEntry struct {
	// Key is lower-case letters, digits and dashes, up to MaxChecklistKey
	// characters, unique within the system's checklist; "" when not given.
	Key  string `json:"key,omitempty"`
	Text string `json:"text"`
}

// MaxChecklistKey bounds a checklist entry's key.
const MaxChecklistKey = 40

// MarshalJSON writes an entry without a key as its text alone, as the
// format has always had it.
func (c ChecklistEntry) MarshalJSON() ([]byte, error) {
	if c.Key == "" {
		return json.Marshal(c.Text)
	}
	type entry ChecklistEntry
	return json.Marshal(entry(c))
}

// UnmarshalJSON reads either form MarshalJSON writes: the text alone, or
// the key and text.
func (c *ChecklistEntry) UnmarshalJSON(b []byte) error {
	var text string
	if err := json.Unmarshal(b, &text); err == nil {
		*c = ChecklistEntry{Text: text}
		return nil
	}
	type entry ChecklistEntry
	var e entry
	if err := json.Unmarshal(b, &e); err != nil {
		return fmt.Errorf("a checklist item is its text or {\"key\": …, \"text\": …}: %w", err)
	}
	*c = ChecklistEntry(e)
	return nil
}

// Check is one way to show that a restored system is up: an HTTP(S)
// GET that must answer a status (and contain a text), or a TCP
// connection that must open. Exactly one of HTTP and TCP is set.
type Check struct {
	HTTP     string `json:"http,omitempty"`     // an http:// or https:// URL
	TCP      string `json:"tcp,omitempty"`      // host:port
	Status   int    `json:"status,omitempty"`   // HTTP: the status wanted; 0 means 200
	Contains string `json:"contains,omitempty"` // HTTP: text the body's first 64 KiB must contain
	// TimeoutSeconds bounds the check; 0 means DefaultCheckTimeout.
	TimeoutSeconds int `json:"timeout_seconds,omitempty"`
}

// DefaultCheckTimeout and MaxCheckTimeout bound a check, in seconds.
const (
	DefaultCheckTimeout = 5
	MaxCheckTimeout     = 60
)

// WantStatus is the HTTP status the check wants.
func (c Check) WantStatus() int {
	if c.Status == 0 {
		return 200
	}
	return c.Status
}

// String names the check in one line, e.g. "GET https://erp/health → 200"
// or "TCP erp-db:5432 opens".
func (c Check) String() string {
	if c.TCP != "" {
		return "TCP " + c.TCP + " opens"
	}
	s := fmt.Sprintf("GET %s → %d", c.HTTP, c.WantStatus())
	if c.Contains != "" {
		s += fmt.Sprintf(" containing %q", c.Contains)
	}
	return s
}

// NeedsTwoPersons reports whether restarting the system needs the approval
// of a second person (the two-person rule).
func (s *System) NeedsTwoPersons() bool { return s.Criticality == 1 || s.TwoPerson }

// Output is what a service produces per day, e.g. 400 vehicles.
type Output struct {
	Amount float64 `json:"amount"`
	Unit   string  `json:"unit"`
}

// Service is a business service: what the organisation actually does, and
// what it loses per day while the service is down.
type Service struct {
	ID            string   `json:"id"`
	Name          string   `json:"name"`
	Requires      []string `json:"requires"`
	RevenuePerDay float64  `json:"revenue_per_day,omitempty"`
	CostPerDay    float64  `json:"cost_per_day,omitempty"`
	OutputPerDay  *Output  `json:"output_per_day,omitempty"`
	// PeopleIdle is how many people cannot work while the service is down.
	PeopleIdle  int      `json:"people_idle,omitempty"`
	Audiences   []string `json:"audiences,omitempty"`
	Description string   `json:"description,omitempty"`
	Pos         Pos      `json:"-"`
}

// LossPerDay is what a day of the service's downtime costs.
func (s *Service) LossPerDay() float64 { return s.RevenuePerDay + s.CostPerDay }

// BacklogItem is one piece of work waiting in a backlog, e.g. an invoice.
type BacklogItem struct {
	ID       string    `json:"id"`
	Supplier string    `json:"supplier,omitempty"`
	Amount   float64   `json:"amount,omitempty"`
	Due      time.Time `json:"due,omitzero"`
	Received time.Time `json:"received,omitzero"`
	Critical bool      `json:"critical,omitempty"`
}

// Backlog is work that piles up while a service is down.
type Backlog struct {
	ID                  string  `json:"id"`
	Name                string  `json:"name,omitempty"`
	Service             string  `json:"service"`
	Unit                string  `json:"unit"`
	AccruesPerDay       float64 `json:"accrues_per_day"`
	CapacityPerDay      float64 `json:"capacity_per_day"`
	SurgeCapacityPerDay float64 `json:"surge_capacity_per_day,omitempty"`
	// Policy orders the items: critical-first, oldest-first or
	// smallest-supplier-first.
	Policy string `json:"policy,omitempty"`
	// ItemsFile is the CSV file the items came from, as written in the
	// estate (relative to the estate file). Items holds them once loaded.
	// The encodings write the items inline and leave ItemsFile out.
	ItemsFile string        `json:"-"`
	Items     []BacklogItem `json:"items,omitempty"`
	Pos       Pos           `json:"-"`
}

// Estate is a whole, merged and validated estate.
type Estate struct {
	Version       int       `json:"version"`
	Organization  string    `json:"organization"`
	Currency      string    `json:"currency"`
	Start         time.Time `json:"start,omitzero"` // zero: "now", chosen by the caller
	ClearanceTeam string    `json:"clearance_team,omitempty"`
	Teams         []Team    `json:"teams"`
	Systems       []System  `json:"systems"`
	Services      []Service `json:"services,omitempty"`
	Backlogs      []Backlog `json:"backlogs,omitempty"`
}

// File is one estate file handed to the parser: its name (for messages)
// and its contents (YAML or JSON).
type File struct {
	Name string
	Data []byte
}
