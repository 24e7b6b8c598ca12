package bench

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/phasegate/phasegate/estate"
)

// Estate generates a realistic large estate: systems in dependency layers
// (identity and network first, applications and endpoints last), each
// requiring about four systems from lower layers, mostly the layer just
// below; one team per ~100 systems with capacities 3–12 (a tenth of the
// systems need a second team); a forensic team that clears about a third
// of the systems; one business service per ~100 systems, each needing a
// handful of upper-layer systems and losing revenue per day. Durations
// are on a 15-minute grid, from 30 minutes to two days.
func Estate(systems int, seed uint64) *estate.Estate {
	rng := rand.New(rand.NewPCG(seed, 0xe57a7e))
	e := &estate.Estate{Version: estate.FormatVersion, Organization: fmt.Sprintf("generated-%d", systems), Currency: "EUR", ClearanceTeam: "forensics"}
	nt := max(1, systems/100)
	for t := range nt {
		e.Teams = append(e.Teams, estate.Team{ID: fmt.Sprintf("team%04d", t), Name: fmt.Sprintf("Team %d", t), Capacity: 3 + rng.IntN(10)})
	}
	e.Teams = append(e.Teams, estate.Team{ID: "forensics", Name: "Forensics", Capacity: max(4, systems/100)})
	kinds := []estate.Kind{estate.KindIdentity, estate.KindNetwork, estate.KindInfrastructure, estate.KindSecurity,
		estate.KindData, estate.KindData, estate.KindApplication, estate.KindApplication, estate.KindApplication,
		estate.KindSaaS, estate.KindOT, estate.KindEndpoint}
	layers := len(kinds)
	// Layer sizes grow: few core systems, many applications and endpoints.
	weights := make([]float64, layers)
	total := 0.0
	for l := range layers {
		weights[l] = float64(l + 1)
		total += weights[l]
	}
	start := make([]int, layers+1)
	for l := range layers {
		start[l+1] = start[l] + int(float64(systems)*weights[l]/total)
	}
	start[layers] = systems
	step := 15 * time.Minute
	dur := func(lo, hi int) estate.Estimate {
		likely := time.Duration(lo+rng.IntN(hi-lo+1)) * step
		return estate.Estimate{Min: likely * 3 / 4 / step * step, Likely: likely, Max: likely * 2}
	}
	for l := range layers {
		for i := start[l]; i < start[l+1]; i++ {
			team := rng.IntN(nt)
			s := estate.System{
				ID: fmt.Sprintf("sys%06d", i), Name: fmt.Sprintf("System %d", i), Kind: kinds[l],
				Team: e.Teams[team].ID, Criticality: 1 + rng.IntN(4),
				Restore: dur(2, 192),
				Needs:   []estate.Need{{Team: e.Teams[team].ID, Units: 1}},
			}
			if rng.IntN(10) == 0 && nt > 1 {
				t2 := (team + 1 + rng.IntN(nt-1)) % nt
				s.Needs = append(s.Needs, estate.Need{Team: e.Teams[t2].ID, Units: 1})
				if s.Needs[1].Team < s.Needs[0].Team {
					s.Needs[0], s.Needs[1] = s.Needs[1], s.Needs[0]
				}
			}
			if rng.IntN(3) == 0 {
				c := dur(2, 32)
				s.Clearance = &c
			}
			// Small estates have empty layers: a system then requires
			// systems of any lower layer, and one in the first non-empty
			// layer requires none.
			if l > 0 && start[l] > 0 {
				seen := map[int]bool{}
				for range 4 {
					var j int
					if below := start[l] - start[l-1]; below > 0 && rng.IntN(4) > 0 {
						j = start[l-1] + rng.IntN(below)
					} else {
						j = rng.IntN(start[l])
					}
					if !seen[j] {
						seen[j] = true
						s.Requires = append(s.Requires, fmt.Sprintf("sys%06d", j))
					}
				}
			}
			e.Systems = append(e.Systems, s)
		}
	}
	upper := start[layers/2]
	for k := range max(1, systems/100) {
		sv := estate.Service{ID: fmt.Sprintf("svc%05d", k), Name: fmt.Sprintf("Service %d", k),
			RevenuePerDay: float64(1000 * (1 + rng.IntN(500))), CostPerDay: float64(100 * rng.IntN(50))}
		seen := map[int]bool{}
		for range 3 + rng.IntN(8) {
			j := upper + rng.IntN(systems-upper)
			if !seen[j] {
				seen[j] = true
				sv.Requires = append(sv.Requires, fmt.Sprintf("sys%06d", j))
			}
		}
		e.Services = append(e.Services, sv)
	}
	return e
}
