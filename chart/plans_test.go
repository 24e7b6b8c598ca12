package chart

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
	_ "time/tzdata" // the golden files use Europe/London whatever the machine has

	"github.com/phasegate/phasegate/planner"
)

// The planner is written elsewhere; these tests build plans by hand with a
// small list scheduler so the pictures have realistic input: waves by
// dependency depth, clearance by a capacity-limited forensics team, restores
// by each team's capacity, a critical path traced back from the last system.

type sysSpec struct {
	id, name, kind, team string
	clear, restore       float64 // hours; clear 0 means no clearance
	requires             []string
}

type svcSpec struct {
	id, name string
	requires []string
}

func london(tb testing.TB) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}

// schedule turns specs into a plan. Teams have the given capacities; the
// "forensics" team does every clearance.
func schedule(start time.Time, teams []planner.TeamPlan, specs []sysSpec, svcs []svcSpec) *planner.Plan {
	idx := map[string]int{}
	for i, s := range specs {
		idx[s.id] = i
	}
	wave := make([]int, len(specs))
	var depth func(i int) int
	seen := make([]bool, len(specs))
	depth = func(i int) int {
		if seen[i] {
			return wave[i]
		}
		seen[i] = true
		w := 0
		for _, r := range specs[i].requires {
			w = max(w, depth(idx[r])+1)
		}
		wave[i] = w
		return w
	}
	order := make([]int, len(specs))
	for i := range specs {
		depth(i)
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(wave[a], wave[b]) })
	capOf := map[string]int{}
	for _, t := range teams {
		capOf[t.ID] = t.Capacity
	}
	free := map[string][]float64{} // per team, when each unit is next free
	take := func(team string, from, dur float64) float64 {
		units := free[team]
		if units == nil {
			units = make([]float64, max(1, capOf[team]))
			free[team] = units
		}
		best := 0
		for k := range units {
			if units[k] < units[best] {
				best = k
			}
		}
		s := max(from, units[best])
		units[best] = s + dur
		return s
	}
	p := &planner.Plan{Objective: planner.ObjectiveCost, Start: start, Teams: teams, Seed: 1, Schedules: 100}
	p.Systems = make([]planner.SystemPlan, len(specs))
	ends := make([]float64, len(specs))
	why := make([]string, len(specs))
	for _, i := range order {
		s := specs[i]
		ready := 0.0
		var last string
		for _, r := range s.requires {
			if e := ends[idx[r]]; e >= ready {
				ready, last = e, r
			}
		}
		sp := planner.SystemPlan{ID: s.id, Name: s.name, Kind: s.kind, Team: s.team, Wave: wave[i],
			Requires: s.requires, Needs: map[string]int{s.team: 1}, Criticality: 2}
		why[i] = "nothing: starts at once"
		if last != "" {
			why[i] = "waits for " + last + " to be restored"
		}
		if s.clear > 0 {
			cs := take("forensics", 0, s.clear)
			ce := cs + s.clear
			sp.ClearanceStartHours, sp.ClearanceEndHours = &cs, &ce
			if ce > ready {
				ready, why[i] = ce, "waits for its forensic clearance"
			}
		}
		rs := take(s.team, ready, s.restore)
		if rs > ready {
			why[i] = "team " + s.team + " is at capacity"
		}
		sp.RestoreStartHours, sp.RestoreEndHours = rs, rs+s.restore
		sp.RestoreStart, sp.RestoreEnd = at(start, rs), at(start, rs+s.restore)
		sp.WaitingOn = why[i]
		ends[i] = rs + s.restore
		p.Systems[i] = sp
	}
	last := 0
	for i := range specs {
		p.MakespanHours = max(p.MakespanHours, ends[i])
		if ends[i] > ends[last] {
			last = i
		}
	}
	// Trace the critical path back through whichever requirement ended last.
	var path []string
	for i := last; len(specs) > 0; {
		path = append(path, specs[i].id)
		p.Systems[i].Critical = true
		next := -1
		for _, r := range specs[i].requires {
			j := idx[r]
			if next < 0 || ends[j] > ends[next] {
				next = j
			}
		}
		if next < 0 {
			break
		}
		i = next
	}
	slices.Reverse(path)
	p.CriticalPath = path
	p.End = at(start, p.MakespanHours)
	for _, sv := range svcs {
		need := requiredBy(p, sv.requires)
		eta, lastSys := 0.0, ""
		for i, n := range need {
			if n && ends[i] >= eta {
				eta, lastSys = ends[i], specs[i].id
			}
		}
		p.Services = append(p.Services, planner.ServicePlan{ID: sv.id, Name: sv.name, Requires: sv.requires,
			ETAHours: eta, ETA: at(start, eta), LastSystem: lastSys, DowntimeCost: eta / 24 * 1e6})
	}
	maxW := 0
	for _, w := range wave {
		maxW = max(maxW, w)
	}
	p.Waves = make([][]string, maxW+1)
	for _, i := range order {
		p.Waves[wave[i]] = append(p.Waves[wave[i]], specs[i].id)
	}
	if len(specs) == 0 {
		p.Waves = nil
	}
	return p
}

// smallPlan is a car maker's core estate, about the size a plant manager
// looks at.
func smallPlan(tb testing.TB) *planner.Plan {
	start := time.Date(2025, 9, 1, 8, 0, 0, 0, london(tb))
	teams := []planner.TeamPlan{
		{ID: "forensics", Name: "Forensics", Capacity: 3},
		{ID: "infra", Name: "Infrastructure", Capacity: 3},
		{ID: "apps", Name: "Business applications", Capacity: 2},
		{ID: "ot", Name: "Plant OT", Capacity: 2},
	}
	specs := []sysSpec{
		{"core-net", "Core network", "network", "infra", 0, 16, nil},
		{"firewall", "Perimeter firewalls", "network", "infra", 12, 8, []string{"core-net"}},
		{"ad", "Active Directory", "identity", "infra", 48, 24, []string{"core-net"}},
		{"dns", "DNS & DHCP", "network", "infra", 8, 6, []string{"core-net"}},
		{"pki", "Certificate authority", "identity", "infra", 24, 10, []string{"ad"}},
		{"vsphere", "Virtualisation cluster", "infrastructure", "infra", 36, 20, []string{"core-net", "ad"}},
		{"san", "SAN storage", "infrastructure", "infra", 16, 12, []string{"core-net"}},
		{"backup", "Backup platform", "infrastructure", "infra", 30, 18, []string{"san", "ad"}},
		{"edr", "Endpoint detection", "security", "infra", 6, 8, []string{"ad"}},
		{"sql", "SQL Server cluster", "data", "apps", 20, 16, []string{"vsphere", "san"}},
		{"oracle", "Oracle database", "data", "apps", 24, 20, []string{"vsphere", "san"}},
		{"sap-erp", "SAP ERP", "application", "apps", 40, 48, []string{"oracle", "backup", "pki"}},
		{"edi", "Supplier EDI gateway", "application", "apps", 12, 16, []string{"sap-erp", "firewall"}},
		{"ap", "Accounts payable", "application", "apps", 8, 12, []string{"sap-erp"}},
		{"payroll", "Payroll", "saas", "apps", 4, 6, []string{"ad"}},
		{"wms", "Warehouse management", "application", "apps", 16, 24, []string{"sql", "sap-erp"}},
		{"parts", "Parts ordering <retail>", "application", "apps", 10, 14, []string{"sap-erp", "sql"}},
		{"dealer", "Dealer portal & \"vehicle\" registration", "application", "apps", 8, 10, []string{"parts", "firewall"}},
		{"mes-elm", "MES Elmhurst", "ot", "ot", 30, 36, []string{"sql", "sap-erp"}},
		{"plc-elm", "Line PLCs Elmhurst", "ot", "ot", 20, 30, []string{"mes-elm"}},
		{"mes-rav", "MES Ravensmoor", "ot", "ot", 30, 36, []string{"sql", "sap-erp"}},
		{"plc-rav", "Line PLCs Ravensmoor", "ot", "ot", 20, 30, []string{"mes-rav"}},
	}
	svcs := []svcSpec{
		{"production", "Vehicle production", []string{"plc-elm", "plc-rav", "edi", "wms"}},
		{"parts-ordering", "Parts ordering for retailers", []string{"parts", "dealer"}},
		{"supplier-payments", "Supplier payments", []string{"ap", "edi"}},
		{"payroll", "Payroll", []string{"payroll"}},
		{"registration", "Vehicle registration", []string{"dealer"}},
	}
	return schedule(start, teams, specs, svcs)
}

// smallStates is how far the small plan's recovery has come on day 5.
func smallStates() map[string]State {
	return map[string]State{
		"core-net": StateOnline, "firewall": StateOnline, "dns": StateOnline, "ad": StateVerifying,
		"pki": StateCleared, "vsphere": StateRestoring, "san": StateOnline, "backup": StateInvestigating,
		"edr": StateOnline, "sql": StateInvestigating, "oracle": StateIsolated, "sap-erp": StateIsolated,
		"edi": StateCompromised, "ap": StateIsolated, "payroll": StateRunning, "wms": StateIsolated,
		"parts": StateIsolated, "dealer": StateIsolated, "mes-elm": StateIsolated, "plc-elm": StateIsolated,
		"mes-rav": StateCompromised, "plc-rav": "quarantined",
	}
}

// bigPlan generates an estate of n systems in about sqrt(n)/3 waves, with
// one to three dependencies each on earlier waves, 20 teams and 30
// services.
func bigPlan(tb testing.TB, n int, seed uint64) *planner.Plan {
	rng := rand.New(rand.NewPCG(seed, 7))
	start := time.Date(2025, 9, 1, 8, 0, 0, 0, london(tb))
	var teams []planner.TeamPlan
	teams = append(teams, planner.TeamPlan{ID: "forensics", Name: "Forensics", Capacity: max(2, n/25)})
	for t := range 20 {
		teams = append(teams, planner.TeamPlan{ID: fmt.Sprintf("team-%02d", t), Capacity: 2 + t%5 + n/200})
	}
	kinds := []string{"identity", "network", "infrastructure", "data", "application", "saas", "ot", "endpoint"}
	waves := max(1, min(12, n/10))
	specs := make([]sysSpec, n)
	for i := range specs {
		w := i * waves / max(1, n)
		var req []string
		if w > 0 {
			for range 1 + rng.IntN(3) {
				lo := (w - 1) * n / waves
				hi := w * n / waves
				j := lo + rng.IntN(max(1, hi-lo))
				if rng.IntN(4) == 0 {
					j = rng.IntN(max(1, hi))
				}
				id := fmt.Sprintf("sys-%05d", j)
				if !slices.Contains(req, id) {
					req = append(req, id)
				}
			}
		}
		clear := 0.0
		if rng.IntN(3) > 0 {
			clear = float64(2 + rng.IntN(40))
		}
		specs[i] = sysSpec{
			id: fmt.Sprintf("sys-%05d", i), name: fmt.Sprintf("System %d %s", i, kinds[i%len(kinds)]),
			kind: kinds[rng.IntN(len(kinds))], team: fmt.Sprintf("team-%02d", rng.IntN(20)),
			clear: clear, restore: float64(1 + rng.IntN(48)), requires: req,
		}
	}
	var svcs []svcSpec
	for s := range 30 {
		var req []string
		for range 2 + rng.IntN(4) {
			if n > 0 {
				req = append(req, fmt.Sprintf("sys-%05d", rng.IntN(n)))
			}
		}
		svcs = append(svcs, svcSpec{fmt.Sprintf("svc-%02d", s), fmt.Sprintf("Service %d", s), req})
	}
	return schedule(start, teams, specs, svcs)
}

// bigStates gives every system of a generated plan a state.
func bigStates(p *planner.Plan, seed uint64) map[string]State {
	rng := rand.New(rand.NewPCG(seed, 11))
	m := map[string]State{}
	for _, s := range p.Systems {
		m[s.ID] = stateLooks[rng.IntN(len(stateLooks))].state
	}
	return m
}
