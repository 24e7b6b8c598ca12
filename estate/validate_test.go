package estate

import (
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// smallEstate is a valid estate built in code, with defaults left at
// their zero values as an importer would.
func smallEstate() *Estate {
	return &Estate{
		Organization: "Test", Currency: "EUR",
		Teams: []Team{{ID: "infra", Capacity: 2}, {ID: "dba", Capacity: 1}},
		Systems: []System{
			{ID: "ad", Kind: KindIdentity, Team: "infra", Restore: Point(time.Hour)},
			{ID: "db", Kind: KindData, Team: "dba", Requires: []string{"ad"}, Restore: Point(2 * time.Hour)},
			{ID: "erp", Kind: KindApplication, Team: "infra", Requires: []string{"db", "ad"}, Restore: Point(3 * time.Hour)},
		},
		Services: []Service{{ID: "sell", Requires: []string{"erp"}, RevenuePerDay: 10}},
		Backlogs: []Backlog{{ID: "orders", Service: "sell", Unit: "orders", CapacityPerDay: 5}},
	}
}

func TestValidate(t *testing.T) {
	if err := Validate(smallEstate()); err != nil {
		t.Fatalf("valid estate: %v", err)
	}
	for _, tc := range []struct {
		name   string
		change func(e *Estate)
		want   []string // "field: message" of each problem, in order
	}{
		{"nil", nil, []string{": there is no estate"}},
		{"version", func(e *Estate) { e.Version = 2 }, []string{"version: is 2, but this build reads estate format version 1 only"}},
		{"no organization", func(e *Estate) { e.Organization = " " }, []string{"organization: is missing"}},
		{"currency", func(e *Estate) { e.Currency = "XXX" }, []string{"currency: \"XXX\" is not a current ISO 4217 currency code"}},
		{"no systems", func(e *Estate) { e.Systems = nil; e.Services = nil; e.Backlogs = nil }, []string{"systems: the estate has no systems"}},
		{"team id", func(e *Estate) { e.Teams[0].ID = "" }, []string{"teams[#1].id: is missing", "systems[ad].team: \"infra\" is not a team", "systems[erp].team: \"infra\" is not a team"}},
		{"duplicate team", func(e *Estate) { e.Teams[1].ID = "infra" }, []string{"teams[infra].id: \"infra\" is already the id of the team at teams[#1]", "systems[db].team: \"dba\" is not a team"}},
		{"capacity", func(e *Estate) { e.Teams[0].Capacity = 0 }, []string{"teams[infra].capacity: is 0; a team's capacity is at least 1"}},
		{"kind", func(e *Estate) { e.Systems[0].Kind = "" }, []string{"systems[ad].kind: is missing"}},
		{"criticality", func(e *Estate) { e.Systems[0].Criticality = 9 }, []string{"systems[ad].criticality: is 9; criticality runs from 1 (highest) to 4"}},
		{"negative restore", func(e *Estate) { e.Systems[0].Restore = Point(-time.Minute) }, []string{"systems[ad].restore: is negative"}},
		{"restore too long", func(e *Estate) { e.Systems[0].Restore = Point(MaxDuration + time.Minute) }, []string{"systems[ad].restore: 3650d1m is longer than 3650d"}},
		{"estimate order", func(e *Estate) { e.Systems[0].Restore = Estimate{2 * time.Hour, time.Hour, 3 * time.Hour} }, []string{"systems[ad].restore: min 2h is more than likely 1h"}},
		{"clearance", func(e *Estate) { c := Point(time.Hour); e.Systems[0].Clearance = &c }, []string{"systems[ad].clearance: needs a forensic clearance, but the estate names no clearance_team to do it"}},
		{"cycle", func(e *Estate) { e.Systems[0].Requires = []string{"erp"} }, []string{"systems[ad].requires: dependency cycle: ad → erp → ad; 1 more system is caught in the same knot: db"}},
		{"needs unsorted", func(e *Estate) { e.Systems[0].Needs = []Need{{"infra", 1}, {"dba", 1}} }, []string{"systems[ad].needs: is not sorted by team"}},
		{"needs twice", func(e *Estate) { e.Systems[0].Needs = []Need{{"dba", 1}, {"dba", 1}} }, []string{"systems[ad].needs: team \"dba\" is named twice"}},
		{"needs over capacity", func(e *Estate) { e.Systems[0].Needs = []Need{{"dba", 2}} }, []string{"systems[ad].needs.dba: needs 2 units of team dba, but dba has a capacity of 1: the restore could never be scheduled"}},
		{"needs no team", func(e *Estate) { e.Systems[0].Needs = []Need{{"", 1}} }, []string{"systems[ad].needs: names no team"}},
		{"text", func(e *Estate) { e.Systems[0].Name = "a\nb" }, []string{"systems[ad].name: holds line breaks, tabs or control characters or invalid UTF-8"}},
		{"invalid UTF-8", func(e *Estate) { e.Systems[0].Description = "a\xffb" }, []string{"systems[ad].description: holds control characters or invalid UTF-8"}},
		{"service requires nothing", func(e *Estate) { e.Services[0].Requires = nil }, []string{"services[sell].requires: requires no system"}},
		{"NaN revenue", func(e *Estate) { e.Services[0].RevenuePerDay = math.NaN() }, []string{"services[sell].revenue_per_day: is NaN; it must be a number of at least 0"}},
		{"infinite cost", func(e *Estate) { e.Services[0].CostPerDay = math.Inf(1) }, []string{"services[sell].cost_per_day: is +Inf; it must be a number of at least 0"}},
		{"output", func(e *Estate) { e.Services[0].OutputPerDay = &Output{Amount: -1} }, []string{"services[sell].output_per_day.amount: is -1; it must be a number of at least 0", "services[sell].output_per_day.unit: is empty"}},
		{"backlog policy", func(e *Estate) { e.Backlogs[0].Policy = "fifo" }, []string{"backlogs[orders].policy: unknown policy \"fifo\""}},
		{"backlog capacity", func(e *Estate) { e.Backlogs[0].CapacityPerDay = 0 }, []string{"backlogs[orders].capacity_per_day: is 0, so the backlog could never clear"}},
		{"items", func(e *Estate) {
			e.Backlogs[0].Items = []BacklogItem{{ID: "a"}, {ID: "a", Amount: -1}, {ID: ""}, {ID: "b", Due: time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC)}}
		}, []string{"backlogs[orders].items[#2].id: \"a\" is already the id of the item at backlogs[orders].items[#1]",
			"backlogs[orders].items[#2].amount: is -1; it must be a number of at least 0",
			"backlogs[orders].items[#3].id: is missing",
			"backlogs[orders].items[#4].due: is out of range"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.change == nil {
				err = Validate(nil)
			} else {
				e := smallEstate()
				tc.change(e)
				err = Validate(e)
			}
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("Validate = %v, want Problems", err)
			}
			if len(ps) != len(tc.want) {
				t.Fatalf("got %d problems, want %d:\n%v", len(ps), len(tc.want), ps)
			}
			for i, p := range ps {
				if p.File != "" || p.Line != 0 {
					t.Errorf("problem %d has a position: %v", i, p)
				}
				if got := p.Field + ": " + p.Message; got != tc.want[i] {
					t.Errorf("problem %d\n got: %s\nwant: %s", i, got, tc.want[i])
				}
			}
		})
	}
}

func TestSetDefaults(t *testing.T) {
	e := smallEstate()
	e.SetDefaults()
	if err := Validate(e); err != nil {
		t.Fatal(err)
	}
	s := e.Systems[1]
	if e.Version != 1 || s.Name != "db" || s.Criticality != 3 || !reflect.DeepEqual(s.Needs, []Need{{"dba", 1}}) ||
		e.Teams[0].Name != "infra" || e.Services[0].Name != "sell" || e.Backlogs[0].Name != "orders" || e.Backlogs[0].Policy != "critical-first" {
		t.Errorf("defaults not filled: %+v", e)
	}
}

func TestIndex(t *testing.T) {
	e := smallEstate()
	e.Systems = append(e.Systems, System{ID: "web", Kind: KindApplication, Team: "infra", Requires: []string{"erp", "nope"}, Restore: Point(time.Hour)})
	e.Services = append(e.Services, Service{ID: "login", Requires: []string{"ad"}})
	ix := e.Index()
	if ix.Systems["db"] != &e.Systems[1] || ix.Teams["dba"] != &e.Teams[1] || ix.Services["sell"] != &e.Services[0] || ix.Backlogs["orders"] != &e.Backlogs[0] {
		t.Error("maps do not point into the estate")
	}
	if ix.SystemAt["erp"] != 2 {
		t.Errorf("SystemAt[erp] = %d", ix.SystemAt["erp"])
	}
	eq := func(name string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	eq("Requires", ix.Requires, [][]int{{}, {0}, {1, 0}, {2}})
	eq("Dependents", ix.Dependents, [][]int{{1, 2}, {2}, {3}, {}})
	eq("ServicesOf", ix.ServicesOf, [][]int{{1}, nil, {0}, nil})
	eq("Order", ix.Order(), []int{0, 1, 2, 3})
	eq("Depth", ix.Depth(), []int{0, 1, 2, 3})
	eq("Upstream(web)", ix.Upstream(3), []int{0, 1, 2})
	eq("Downstream(ad)", ix.Downstream(0), []int{1, 2, 3})
	eq("Downstream(web)", ix.Downstream(3), []int(nil))
	eq("ServicesAffected(ad)", ix.ServicesAffected(0), []int{0, 1})
	eq("ServicesAffected(web)", ix.ServicesAffected(3), []int(nil))
	// Appending to an index list must not write over its neighbour.
	_ = append(ix.Requires[1], 99)
	eq("Requires after append", ix.Requires[2], []int{1, 0})

	e.Systems[0].Requires = []string{"web"}
	ix = e.Index()
	if ix.Order() != nil || ix.Depth() != nil {
		t.Error("Order and Depth of a cyclic estate should be nil")
	}
}

// Order keeps estate order among systems free to go, so plans are
// repeatable.
func TestIndexOrderStable(t *testing.T) {
	e := &Estate{}
	for i := range 50 {
		s := System{ID: "s" + strconv.Itoa(i)}
		if i%7 == 3 {
			s.Requires = []string{"s" + strconv.Itoa(i+5)}
		}
		e.Systems = append(e.Systems, s)
	}
	order := e.Index().Order()
	pos := map[int]int{}
	for k, v := range order {
		pos[v] = k
	}
	for i := range 50 {
		if i%7 == 3 && i+5 < 50 && pos[i] < pos[i+5] {
			t.Errorf("s%d before s%d which it requires", i, i+5)
		}
	}
	if order[0] != 0 || len(order) != 50 {
		t.Errorf("order = %v", order)
	}
}

// A chain of 100,000 systems closed into one cycle is found without
// recursion and reported once, with the middle elided.
func TestCycleAtScale(t *testing.T) {
	const n = 100_000
	e := &Estate{Organization: "T", Currency: "GBP", Teams: []Team{{ID: "t", Capacity: 1}}}
	e.Systems = make([]System, n)
	for i := range e.Systems {
		e.Systems[i] = System{ID: "s" + strconv.Itoa(i), Kind: KindOther, Team: "t", Requires: []string{"s" + strconv.Itoa((i+1)%n)}}
	}
	err := Validate(e)
	var ps Problems
	if !errors.As(err, &ps) || len(ps) != 1 {
		t.Fatalf("Validate = %v", err)
	}
	msg := ps[0].Message
	if !strings.HasPrefix(msg, "dependency cycle: s0 → s1 → ") || !strings.Contains(msg, " → … 99961 more … → ") || !strings.HasSuffix(msg, "s99999 → s0") {
		t.Errorf("message = %.300s", msg)
	}
	if e.Index().Order() != nil {
		t.Error("Order of a cycle")
	}
}

// An estate built in code (a what-if, an import) gets its checks judged
// as a file's are: every problem, each naming the check and the field.
func TestValidateChecksBuiltInCode(t *testing.T) {
	e := &Estate{Organization: "T", Currency: "GBP", Teams: []Team{{ID: "t", Capacity: 1}}}
	e.Systems = []System{{ID: "erp", Kind: KindApplication, Team: "t", Verify: []Check{
		{HTTP: "https://erp.example.internal/health", Status: 200, TimeoutSeconds: 5}, // good
		{HTTP: "erp/health"},
		{TCP: "erp-db"},
		{HTTP: "https://a.example/", TCP: "a.example:443"},
		{},
		{TCP: "erp-db.example.internal:5432", Status: 200},
		{HTTP: "https://erp.example.internal/", Status: 42, TimeoutSeconds: MaxCheckTimeout + 1},
	}}}
	e.SetDefaults()
	err := Validate(e)
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("Validate = %v, want problems with the checks", err)
	}
	want := []string{"verify[1].http", "verify[2].tcp", "verify[3]", "verify[4]", "verify[5]", "verify[6].status", "verify[6].timeout_seconds"}
	var got []string
	for _, p := range ps {
		field, ok := strings.CutPrefix(p.Field, "systems[erp].")
		got = append(got, field)
		if p.Fix == "" || !ok {
			t.Errorf("problem without a fix or the system: %+v", p)
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("fields %v, want %v", got, want)
	}
}
