package planner

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/phasegate/phasegate/estate"
)

// maxBehind bounds how many holders of a team a Wait names.
const maxBehind = 12

// blocking is why an activity started later than its predecessors allowed:
// the teams that had no room just before it started, who held them, and
// one holder that released its units exactly then.
type blocking struct {
	teams   []int
	behind  [][]int // activities holding each team, releasing ones first
	release int     // -1 when none
}

// Explain turns a solution into a Plan for the estate the model was
// compiled from: times from start, waves, the reason each system waits,
// the critical path and each service's ETA and cost.
func (m *Model) Explain(e *estate.Estate, sol *Solution, start time.Time) *Plan {
	hours := func(min int) float64 { return float64(min) / 60 }
	at := func(min int) time.Time { return start.Add(time.Duration(min) * time.Minute) }
	na := len(m.acts)
	blocks := m.blockings(sol)

	p := &Plan{
		Objective:       sol.Objective,
		Start:           start,
		Currency:        e.Currency,
		MakespanHours:   hours(sol.Makespan),
		End:             at(sol.Makespan),
		Schedules:       sol.Schedules,
		LowerBoundHours: hours(sol.LowerBound),
		Baseline:        &Baseline{MakespanHours: hours(sol.BaselineMakespan), DowntimeCost: sol.BaselineCost},
		Teams:           make([]TeamPlan, len(e.Teams)),
		Systems:         make([]SystemPlan, len(e.Systems)),
		Services:        make([]ServicePlan, len(e.Services)),
		CriticalPath:    []string{},
	}
	for i, t := range e.Teams {
		p.Teams[i] = TeamPlan{ID: t.ID, Name: t.Name, Capacity: t.Capacity}
	}

	// The critical path: back from the activity that ends last through
	// binding precedences and releasing holders.
	critical := make([]bool, len(e.Systems))
	if na > 0 {
		last := 0
		for a := range na {
			if sol.Finish[a] > sol.Finish[last] {
				last = a
			}
		}
		var chain []int
		for a := last; a >= 0; {
			chain = append(chain, a)
			if sol.Start[a] == 0 || m.pinned[a] {
				break
			}
			next := -1
			for _, q := range m.Predecessors(a) {
				if sol.Finish[q] == sol.Start[a] {
					next = int(q)
					break
				}
			}
			if next < 0 {
				next = blocks[a].release
			}
			a = next
		}
		for i := len(chain) - 1; i >= 0; i-- {
			s := m.acts[chain[i]].SystemIndex
			if n := len(p.CriticalPath); n == 0 || p.CriticalPath[n-1] != m.sysIDs[s] {
				p.CriticalPath = append(p.CriticalPath, m.sysIDs[s])
			}
			critical[s] = true
		}
	}

	finishOf := func(sys int) int {
		if r := m.sysRestore[sys]; r >= 0 {
			return sol.Finish[r]
		}
		return 0
	}
	for i := range e.Systems {
		s := &e.Systems[i]
		sp := SystemPlan{
			ID: s.ID, Name: s.Name, Kind: string(s.Kind), Team: s.Team, Criticality: s.Criticality,
			Needs: make(map[string]int, len(s.Needs)), Requires: append([]string{}, s.Requires...),
			Wave: m.sysWave[i], Critical: critical[i],
		}
		for _, nd := range s.Needs {
			if nd.Units > 0 {
				sp.Needs[nd.Team] += nd.Units
			}
		}
		if c := m.sysClear[i]; c >= 0 {
			cs, ce := hours(sol.Start[c]), hours(sol.Finish[c])
			sp.ClearanceStartHours, sp.ClearanceEndHours = &cs, &ce
		}
		rs, re := 0, 0
		if r := m.sysRestore[i]; r >= 0 {
			rs, re = sol.Start[r], sol.Finish[r]
		}
		sp.RestoreStartHours, sp.RestoreEndHours = hours(rs), hours(re)
		sp.RestoreStart, sp.RestoreEnd = at(rs), at(re)
		sp.Wait, sp.WaitingOn = m.why(i, sol, blocks)
		p.Systems[i] = sp
	}

	p.Waves = [][]string{}
	for i := range p.Systems {
		w := p.Systems[i].Wave
		for len(p.Waves) <= w {
			p.Waves = append(p.Waves, []string{})
		}
	}
	order := make([]int, len(p.Systems))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int {
		a, b := &p.Systems[x], &p.Systems[y]
		if c := cmp.Compare(a.RestoreStartHours, b.RestoreStartHours); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Wave, b.Wave); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	sorted := make([]SystemPlan, len(order))
	for k, i := range order {
		sorted[k] = p.Systems[i]
		p.Waves[sorted[k].Wave] = append(p.Waves[sorted[k].Wave], sorted[k].ID)
	}
	p.Systems = sorted

	for si := range e.Services {
		sv := &e.Services[si]
		eta, lastSys := 0, -1
		for _, j := range m.svcSys[m.svcSysSt[si]:m.svcSysSt[si+1]] {
			if f := finishOf(int(j)); lastSys < 0 || f > eta {
				eta, lastSys = f, int(j)
			}
		}
		sp := ServicePlan{
			ID: sv.ID, Name: sv.Name, Requires: append([]string{}, sv.Requires...),
			ETAHours: hours(eta), ETA: at(eta), DowntimeCost: sv.LossPerDay() * hours(eta) / 24,
			Audiences: sv.Audiences,
		}
		if lastSys >= 0 && m.sysRestore[lastSys] >= 0 {
			sp.LastSystem = m.sysIDs[lastSys]
		}
		p.Services[si] = sp
		p.DowntimeCost += sp.DowntimeCost
	}
	p.Order = m.Refs(sol.Order)
	return p
}

// why says why system i's restore starts when it does.
func (m *Model) why(i int, sol *Solution, blocks []blocking) (Wait, string) {
	r := m.sysRestore[i]
	switch {
	case r < 0:
		return Wait{Reason: "done"}, "already back online"
	case m.pinned[r]:
		d, est := Minutes(m.sysElapsed[i]), m.full[r]
		if m.sysElapsed[i] >= time.Duration(est)*time.Minute {
			return Wait{Reason: "in-progress"}, fmt.Sprintf("restore under way and overrunning its estimate (%s elapsed of %s); planned to end within a minute", dur(d), dur(est))
		}
		return Wait{Reason: "in-progress"}, fmt.Sprintf("restore under way, about %s left", dur(sol.Finish[r]))
	}
	s := sol.Start[r]
	if s == 0 {
		return Wait{Reason: "none"}, "starts at once"
	}
	c := m.sysClear[i]
	es, clearEnd := 0, -1
	var deps []int
	for _, q := range m.Predecessors(r) {
		if int(q) == c {
			clearEnd = sol.Finish[q]
			es = max(es, clearEnd)
			continue
		}
		es = max(es, sol.Finish[q])
		if sol.Finish[q] == s {
			deps = append(deps, int(q))
		}
	}
	if s > es {
		b := blocks[r]
		w := Wait{Reason: "team"}
		var parts []string
		for k, t := range b.teams {
			w.On = append(w.On, m.teamIDs[t])
			names := m.systemsOf(b.behind[k])
			for _, n := range names {
				if !slices.Contains(w.Behind, n) {
					w.Behind = append(w.Behind, n)
				}
			}
			parts = append(parts, fmt.Sprintf("team %s is at capacity until %s (held by %s)", m.teamIDs[t], plus(s), list(names, 3)))
		}
		if len(parts) == 0 {
			return w, fmt.Sprintf("waits for team capacity until %s", plus(s))
		}
		return w, "waits: " + strings.Join(parts, "; ")
	}
	if len(deps) > 0 {
		names := m.systemsOf(deps)
		w := Wait{Reason: "dependency", On: names}
		noun := "dependency"
		if len(names) > 1 {
			noun = "dependencies"
		}
		msg := fmt.Sprintf("waits for %s %s (restored at %s)", noun, list(names, 3), plus(s))
		if clearEnd == s {
			msg += " and its own forensic clearance (done then too)"
		}
		return w, msg
	}
	w := Wait{Reason: "clearance"}
	msg := fmt.Sprintf("waits for its own forensic clearance (done at %s)", plus(clearEnd))
	if m.pinned[c] {
		msg = fmt.Sprintf("waits for its own forensic clearance, under way (done at %s)", plus(clearEnd))
	} else if b := blocks[c]; len(b.teams) > 0 {
		msg += fmt.Sprintf(", which waited for team %s (held by %s)", m.teamIDs[b.teams[0]], list(m.systemsOf(b.behind[0]), 3))
	}
	return w, msg
}

// plus formats minutes from the start as "+2d 12h".
func plus(min int) string { return "+" + dur(min) }

// WaitingOnAt is WaitingOn with date — the system's restore start as a
// page that shows dates writes it — in place of its offset from the
// plan's start ("restored at +16d 12h" reads "restored at Tue 8 Dec
// 14:00"): every "until" and "at" of an explanation is the restore start.
func (sp SystemPlan) WaitingOnAt(date string) string {
	min := int(math.Round(sp.RestoreStartHours * 60))
	if min <= 0 {
		return sp.WaitingOn
	}
	return strings.ReplaceAll(sp.WaitingOn, plus(min), date)
}

// dur writes minutes the way a recovery team says it: 45m, 8h, 3h 30m,
// 2d 12h (minutes are dropped once a span reaches a day).
func dur(min int) string {
	if min <= 0 {
		return "0h"
	}
	d, h, m := min/(24*60), min%(24*60)/60, min%60
	var parts []string
	if d > 0 {
		parts = append(parts, strconv.Itoa(d)+"d")
	}
	if h > 0 {
		parts = append(parts, strconv.Itoa(h)+"h")
	}
	if m > 0 && d == 0 {
		parts = append(parts, strconv.Itoa(m)+"m")
	}
	if len(parts) == 0 {
		parts = append(parts, strconv.Itoa(d)+"d")
	}
	return strings.Join(parts, " ")
}

func list(names []string, k int) string {
	if len(names) <= k {
		if len(names) == 2 {
			return names[0] + " and " + names[1]
		}
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:k], ", "), len(names)-k)
}

// systemsOf names the systems of the activities, once each, in order.
func (m *Model) systemsOf(acts []int) []string {
	var out []string
	for _, a := range acts {
		id := m.sysIDs[m.acts[a].SystemIndex]
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// blockings finds, for every activity that starts later than its
// predecessors allow, the teams without room just before it starts and
// their holders. One sweep over the schedule in time order keeps, per
// team, the activities active just before each such start.
func (m *Model) blockings(sol *Solution) []blocking {
	na := len(m.acts)
	out := make([]blocking, na)
	var queries []int
	for a := range na {
		out[a].release = -1
		if m.pinned[a] || sol.Start[a] == 0 || sol.Finish[a] == sol.Start[a] {
			continue
		}
		es := 0
		for _, q := range m.Predecessors(a) {
			es = max(es, sol.Finish[q])
		}
		if sol.Start[a] > es {
			queries = append(queries, a)
		}
	}
	if len(queries) == 0 {
		return out
	}
	var byStart, byFinish []int
	for a := range na {
		if sol.Finish[a] > sol.Start[a] && m.reqStart[a+1] > m.reqStart[a] {
			byStart = append(byStart, a)
		}
	}
	byFinish = append(byFinish, byStart...)
	slices.SortStableFunc(byStart, func(x, y int) int { return cmp.Compare(sol.Start[x], sol.Start[y]) })
	slices.SortStableFunc(byFinish, func(x, y int) int { return cmp.Compare(sol.Finish[x], sol.Finish[y]) })
	slices.SortFunc(queries, func(x, y int) int { return cmp.Compare(sol.Start[x], sol.Start[y]) })
	// active[r] holds demand indices k (into reqTeam) of the activities on
	// team r; pos[k] is where k sits in it, for O(1) removal.
	active := make([][]int32, len(m.caps))
	pos := make([]int32, len(m.reqTeam))
	owner := make([]int32, len(m.reqTeam))
	for a := range na {
		for k := m.reqStart[a]; k < m.reqStart[a+1]; k++ {
			owner[k] = int32(a)
		}
	}
	use := make([]int, len(m.caps))
	ai, ri := 0, 0
	for _, a := range queries {
		s := sol.Start[a]
		for ; ai < len(byStart) && sol.Start[byStart[ai]] < s; ai++ {
			b := byStart[ai]
			for k := m.reqStart[b]; k < m.reqStart[b+1]; k++ {
				r := m.reqTeam[k]
				pos[k] = int32(len(active[r]))
				active[r] = append(active[r], k)
				use[r] += int(m.reqAmt[k])
			}
		}
		for ; ri < len(byFinish) && sol.Finish[byFinish[ri]] < s; ri++ {
			b := byFinish[ri]
			for k := m.reqStart[b]; k < m.reqStart[b+1]; k++ {
				r := m.reqTeam[k]
				l := active[r]
				i, last := pos[k], l[len(l)-1]
				l[i], pos[last] = last, i
				active[r] = l[:len(l)-1]
				use[r] -= int(m.reqAmt[k])
			}
		}
		bl := &out[a]
		for k := m.reqStart[a]; k < m.reqStart[a+1]; k++ {
			r := m.reqTeam[k]
			if use[r]+int(m.reqAmt[k]) <= int(m.caps[r]) {
				continue
			}
			var rel, rest []int
			for _, k := range active[r] {
				b := int(owner[k])
				if sol.Finish[b] == s {
					rel = append(rel, b)
				} else if len(rest) < maxBehind {
					rest = append(rest, b)
				}
			}
			if bl.release < 0 && len(rel) > 0 {
				bl.release = rel[0]
			}
			// Stable names: releasing holders first, each group by index.
			slices.Sort(rel)
			slices.Sort(rest)
			holders := append(rel, rest...)
			bl.teams = append(bl.teams, int(r))
			bl.behind = append(bl.behind, holders[:min(len(holders), maxBehind)])
		}
	}
	return out
}
