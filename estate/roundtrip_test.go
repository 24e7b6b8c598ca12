package estate

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// gen makes random valid estates, with the awkward values a real one
// may hold: ids that YAML would read as numbers or booleans, text with
// quotes, colons, hashes and other scripts, money from fractions of a
// penny to 1e20, times in several zones.
type gen struct{ r *rand.Rand }

var pieces = []string{"a", "Z", " ", "yes", "no", "null", "~", "true", "1", "1.5", "0x10", "1e3", "-", "- a", "#x", " #b", "a: b",
	"{", "}", "[", "]", "'", "\"", "\\", "é", "日本", "😀", "\u2028", "*a", "&a", "!t", "%", "@", "`", "|", ">", "?", ",", "2025-09-01",
	"<<", "=", "...", "---", ":", "\uFFFD", "\u00a0"}

func (g gen) text(max int, multiline bool) string {
	var b strings.Builder
	for n := g.r.IntN(max + 1); n > 0; n-- {
		switch k := g.r.IntN(len(pieces) + 3); {
		case k < len(pieces):
			b.WriteString(pieces[k])
		case multiline && k == len(pieces):
			b.WriteString("\n")
		case multiline && k == len(pieces)+1:
			b.WriteString("\t")
		default:
			b.WriteString("x")
		}
	}
	return b.String()
}

func (g gen) id(prefix string, i int) string {
	switch g.r.IntN(8) {
	case 0:
		return strconv.Itoa(i) // reads as a number
	case 1:
		return []string{"null", "true", "yes", "1e3", "0x1F", "1_000", "0o7", "2025-09-01"}[g.r.IntN(8)] + "-" + strconv.Itoa(i)
	case 2:
		return prefix + "." + strconv.Itoa(i) + "_x-Y"
	}
	return prefix + strconv.Itoa(i)
}

func (g gen) money() float64 {
	switch g.r.IntN(6) {
	case 0:
		return 0
	case 1:
		return float64(g.r.IntN(10_000_000))
	case 2:
		return 1e20 * g.r.Float64()
	case 3:
		return 1e-7 * g.r.Float64()
	}
	return math.Round(g.r.Float64()*1e8) / 100
}

func (g gen) duration() time.Duration {
	switch g.r.IntN(4) {
	case 0:
		return time.Duration(g.r.IntN(120)) * time.Minute
	case 1:
		return MaxDuration
	}
	return time.Duration(g.r.Int64N(int64(MaxDuration/time.Minute))) * time.Minute
}

func (g gen) estimate() Estimate {
	if g.r.IntN(2) == 0 {
		return Point(g.duration())
	}
	ds := []time.Duration{g.duration(), g.duration(), g.duration()}
	if ds[0] > ds[1] {
		ds[0], ds[1] = ds[1], ds[0]
	}
	if ds[1] > ds[2] {
		ds[1], ds[2] = ds[2], ds[1]
	}
	if ds[0] > ds[1] {
		ds[0], ds[1] = ds[1], ds[0]
	}
	return Estimate{ds[0], ds[1], ds[2]}
}

func (g gen) time() time.Time {
	loc := time.UTC
	if g.r.IntN(2) == 0 {
		if off := (g.r.IntN(48) - 24) * 30 * 60; off != 0 {
			loc = time.FixedZone("", off)
		}
	}
	t := time.Unix(g.r.Int64N(4e9), 0).In(loc)
	switch g.r.IntN(3) {
	case 0:
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) // a date
	case 1:
		return t.Add(time.Duration(g.r.IntN(1e9)))
	}
	return t
}

func (g gen) list(n int, each func(int) string) []string {
	if n == 0 {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = each(i)
	}
	return out
}

func (g gen) estate() *Estate {
	r := g.r
	e := &Estate{Version: 1, Organization: "x" + g.text(4, false), Currency: currencyList()[r.IntN(len(currencyList()))]}
	if r.IntN(2) == 0 {
		e.Start = g.time()
	}
	for i := range 1 + r.IntN(5) {
		e.Teams = append(e.Teams, Team{ID: g.id("team-", i), Name: g.text(3, false), Capacity: 1 + r.IntN(4)})
	}
	if r.IntN(2) == 0 {
		e.ClearanceTeam = e.Teams[r.IntN(len(e.Teams))].ID
	}
	for i := range 1 + r.IntN(30) {
		s := System{ID: g.id("sys-", i), Name: g.text(3, false), Kind: Kinds[r.IntN(len(Kinds))],
			Team: e.Teams[r.IntN(len(e.Teams))].ID, Criticality: 1 + r.IntN(4), Restore: g.estimate(),
			TwoPerson: r.IntN(3) == 0, Description: g.text(6, true)}
		// Requires only earlier systems, so the estate has no cycle.
		for _, j := range r.Perm(i)[:r.IntN(min(i, 4)+1)] {
			s.Requires = append(s.Requires, e.Systems[j].ID)
		}
		if e.ClearanceTeam != "" && r.IntN(2) == 0 {
			c := g.estimate()
			s.Clearance = &c
		}
		if r.IntN(2) == 0 {
			for _, k := range r.Perm(len(e.Teams))[:1+r.IntN(len(e.Teams))] {
				t := e.Teams[k]
				s.Needs = append(s.Needs, Need{Team: t.ID, Units: 1 + r.IntN(t.Capacity)})
			}
			sortNeeds(s.Needs)
		}
		for k, text := range g.list(r.IntN(3), func(int) string { return "check " + g.text(4, false) }) {
			e := ChecklistEntry{Text: text}
			if r.IntN(2) == 0 {
				e.Key = fmt.Sprintf("item-%d", k)
			}
			s.Checklist = append(s.Checklist, e)
		}
		s.Owners = g.list(r.IntN(3), func(int) string { return "o" + g.text(2, false) })
		s.Tags = g.list(r.IntN(3), func(int) string { return "t" + g.text(2, false) })
		for k := range r.IntN(3) {
			if r.IntN(2) == 0 {
				s.Verify = append(s.Verify, Check{TCP: fmt.Sprintf("%s.example.internal:%d", s.ID, 1+r.IntN(65535)), TimeoutSeconds: r.IntN(3) * 10})
			} else {
				s.Verify = append(s.Verify, Check{HTTP: fmt.Sprintf("https://%s.example.internal/health/%d?q=%s", s.ID, k, g.text(1, false)),
					Status: []int{0, 200, 204}[r.IntN(3)], Contains: g.text(r.IntN(2), true)})
			}
		}
		e.Systems = append(e.Systems, s)
	}
	for i := range r.IntN(4) {
		s := Service{ID: g.id("svc-", i), Name: g.text(3, false), RevenuePerDay: g.money(), CostPerDay: g.money(),
			PeopleIdle: r.IntN(3) * r.IntN(100000), Description: g.text(4, true)}
		for _, j := range r.Perm(len(e.Systems))[:1+r.IntN(min(len(e.Systems), 3))] {
			s.Requires = append(s.Requires, e.Systems[j].ID)
		}
		if r.IntN(2) == 0 {
			s.OutputPerDay = &Output{Amount: g.money(), Unit: "u" + g.text(2, false)}
		}
		s.Audiences = g.list(r.IntN(3), func(k int) string {
			return []string{"colleagues", "suppliers", "retailers", "customers", "regulators", "dealers-2"}[(k+i)%6]
		})
		e.Services = append(e.Services, s)
	}
	if len(e.Services) > 0 {
		for i := range r.IntN(3) {
			b := Backlog{ID: g.id("bl-", i), Name: g.text(3, false), Service: e.Services[r.IntN(len(e.Services))].ID,
				Unit: "u" + g.text(2, false), AccruesPerDay: g.money(), CapacityPerDay: 0.5 + g.money(), SurgeCapacityPerDay: g.money(),
				Policy: Policies[r.IntN(len(Policies))]}
			for j := range r.IntN(5) {
				it := BacklogItem{ID: "I/" + strconv.Itoa(j) + g.text(2, false), Supplier: g.text(3, false), Amount: g.money(), Critical: r.IntN(2) == 0}
				if r.IntN(2) == 0 {
					it.Due = g.time()
				}
				if r.IntN(2) == 0 {
					it.Received = g.time()
				}
				b.Items = append(b.Items, it)
			}
			e.Backlogs = append(e.Backlogs, b)
		}
	}
	e.SetDefaults()
	return e
}

func sortNeeds(ns []Need) {
	for i := 1; i < len(ns); i++ {
		for j := i; j > 0 && ns[j].Team < ns[j-1].Team; j-- {
			ns[j], ns[j-1] = ns[j-1], ns[j]
		}
	}
}

// comparable strips what a round trip does not keep (positions, and the
// name of the CSV file items came from, as they are written inline) and
// writes every time in a canonical zone of the same offset, so that
// reflect.DeepEqual compares instants and offsets.
func comparable(e *Estate) *Estate {
	c := *e
	canon := func(t time.Time) time.Time {
		if t.IsZero() {
			return t
		}
		if _, off := t.Zone(); off != 0 {
			return t.In(time.FixedZone("", off))
		}
		return t.UTC()
	}
	c.Start = canon(c.Start)
	c.Teams = append([]Team(nil), e.Teams...)
	for i := range c.Teams {
		c.Teams[i].Pos = Pos{}
	}
	c.Systems = append([]System(nil), e.Systems...)
	for i := range c.Systems {
		c.Systems[i].Pos = Pos{}
	}
	c.Services = append([]Service(nil), e.Services...)
	for i := range c.Services {
		c.Services[i].Pos = Pos{}
	}
	c.Backlogs = append([]Backlog(nil), e.Backlogs...)
	for i := range c.Backlogs {
		b := &c.Backlogs[i]
		b.Pos = Pos{}
		b.ItemsFile = ""
		b.Items = append([]BacklogItem(nil), b.Items...)
		for j := range b.Items {
			b.Items[j].Due = canon(b.Items[j].Due)
			b.Items[j].Received = canon(b.Items[j].Received)
		}
	}
	return &c
}

var roundTrips = flag.Int("roundtrips", 150, "random estates TestRoundTrip checks (thousands for a deeper look)")

// Random valid estates survive JSON and YAML unchanged.
func TestRoundTrip(t *testing.T) {
	n := *roundTrips
	if testing.Short() {
		n = min(n, 30)
	}
	for seed := range uint64(n) {
		e := gen{rand.New(rand.NewPCG(seed, 42))}.estate()
		if err := Validate(e); err != nil {
			t.Fatalf("seed %d: generated estate is not valid: %v", seed, err)
		}
		js, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("seed %d: json.Marshal: %v", seed, err)
		}
		y, err := EncodeYAML(e)
		if err != nil {
			t.Fatalf("seed %d: EncodeYAML: %v", seed, err)
		}
		for _, f := range []File{{Name: "estate.json", Data: js}, {Name: "estate.yaml", Data: y}} {
			back, err := Parse(f)
			if err != nil {
				t.Fatalf("seed %d: Parse(%s): %v\n%s", seed, f.Name, err, f.Data)
			}
			if want, got := comparable(e), comparable(back); !reflect.DeepEqual(want, got) {
				t.Fatalf("seed %d: %s does not round-trip:\n%s\nwant %+v\n got %+v", seed, f.Name, f.Data, want, got)
			}
		}
		// json.Unmarshal reads the estate format too.
		var back Estate
		if err := json.Unmarshal(js, &back); err != nil {
			t.Fatalf("seed %d: json.Unmarshal: %v", seed, err)
		}
		if !reflect.DeepEqual(comparable(e), comparable(&back)) {
			t.Fatalf("seed %d: json.Unmarshal does not round-trip", seed)
		}
	}
}

// The encodings leave defaults out and write durations as text.
func TestEncodings(t *testing.T) {
	e, err := Parse(readDir(t, "testdata/estate")...)
	if err != nil {
		t.Fatal(err)
	}
	y, err := EncodeYAML(e)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "testdata/estate.golden.yaml", y)
	js, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "testdata/estate.golden.json", append(js, '\n'))

	for _, tc := range []struct {
		e    Estimate
		want string
	}{
		{Point(36 * time.Hour), `"1d12h"`},
		{Point(90 * time.Minute), `"1h30m"`},
		{Point(0), `"0m"`},
		{Estimate{time.Hour, 2 * time.Hour, 48 * time.Hour}, `{"min":"1h","likely":"2h","max":"2d"}`},
	} {
		got, err := json.Marshal(tc.e)
		if err != nil || string(got) != tc.want {
			t.Errorf("json.Marshal(%v) = %s, %v; want %s", tc.e, got, err, tc.want)
		}
		var back Estimate
		if err := json.Unmarshal(got, &back); err != nil || back != tc.e {
			t.Errorf("json.Unmarshal(%s) = %v, %v", got, back, err)
		}
	}
	var bad Estimate
	for _, in := range []string{`"3"`, `{"min":"1h"}`, `7`, `{"min":"1h","likely":"x","max":"2h"}`} {
		if err := json.Unmarshal([]byte(in), &bad); err == nil {
			t.Errorf("json.Unmarshal(%s) into Estimate: no error", in)
		}
	}
	var est Estate
	err = json.Unmarshal([]byte(`{"version": 1, "organization": "T", "currency": "GBP", "teams": [], "systems": [{"id": "a"}]}`), &est)
	var ps Problems
	if !errors.As(err, &ps) || len(ps) != 3 || ps[0].File != "estate.json" {
		t.Errorf("json.Unmarshal of an invalid estate: %v", err)
	}
}
