package planner

import (
	"fmt"
	"math"
	"time"

	"github.com/phasegate/phasegate/estate"
)

// ActivityKind says whether an activity is a system's forensic clearance or
// its restore.
type ActivityKind uint8

const (
	// KindRestore is a system's restore; it takes the system's needs.
	KindRestore ActivityKind = iota
	// KindClearance is a system's forensic clearance; it takes one unit of
	// the estate's clearance team.
	KindClearance
)

func (k ActivityKind) String() string {
	if k == KindClearance {
		return "clearance"
	}
	return "restore"
}

// MarshalText writes the kind as its name, for a stored order of work.
func (k ActivityKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads a kind's name.
func (k *ActivityKind) UnmarshalText(b []byte) error {
	switch string(b) {
	case "restore":
		*k = KindRestore
	case "clearance":
		*k = KindClearance
	default:
		return fmt.Errorf("planner: activity kind %q: want restore or clearance", b)
	}
	return nil
}

// Activity is one piece of work the planner schedules.
type Activity struct {
	// System is the system's id, SystemIndex its index in Estate.Systems.
	System      string
	SystemIndex int
	Kind        ActivityKind
	// Estimate is what is left of the work: the estate's estimate, minus
	// the elapsed time for work under way (each bound at least a minute).
	Estimate estate.Estimate
	// Minutes is the duration the deterministic plan uses: Estimate.Likely
	// rounded up to whole minutes.
	Minutes int
	// Pinned marks work already under way: it starts at minute 0 and holds
	// its teams even beyond their capacity.
	Pinned bool

	full int // Minutes before the elapsed time was taken off
}

// Demand is the capacity an activity takes from one team while it runs.
type Demand struct {
	Team  int // index in Estate.Teams
	Units int
}

// Model is an estate compiled for scheduling: activities, precedences and
// demands in flat slices indexed by activity, so that decoding a schedule
// touches no maps. A Model is read-only once compiled and safe for
// concurrent use; each goroutine decodes with its own Decoder.
type Model struct {
	acts   []Activity
	dur    []int // Minutes, by activity
	full   []int // the whole duration in minutes, before elapsed time
	pinned []bool

	predStart, pred []int32 // CSR: predecessors of activity a are pred[predStart[a]:predStart[a+1]]
	succStart, succ []int32
	reqStart        []int32 // CSR: demands of activity a
	reqTeam, reqAmt []int32

	teamIDs []string
	caps    []int32

	sysIDs     []string
	sysRestore []int // restore activity, -1 when the system is done
	sysClear   []int // clearance activity, -1 when none
	sysPhase   []Phase
	sysElapsed []time.Duration
	sysWave    []int

	svcIDs   []string
	svcW     []float64 // downtime cost per minute
	svcStart []int32   // CSR: restore activities each service waits for
	svcAct   []int32
	svcSys   []int32 // CSR (same offsets as svcAct over all required systems): see svcSysStart
	svcSysSt []int32

	topo    []int // a precedence-feasible order of all activities
	npinned int
}

// Limits that keep the internal arithmetic exact.
const (
	maxActivities   = 1 << 21
	maxTotalMinutes = 1 << 40
)

// Compile checks an estate and compiles it, with the progress of a recovery
// under way (nil: from scratch), into a Model.
func Compile(e *estate.Estate, progress map[string]Progress) (*Model, error) {
	if e == nil {
		return nil, fmt.Errorf("planner: no estate given")
	}
	m := &Model{}
	teamIdx := make(map[string]int, len(e.Teams))
	for i, t := range e.Teams {
		if _, dup := teamIdx[t.ID]; dup {
			return nil, fmt.Errorf("planner: team %q is declared twice; give each team a unique id", t.ID)
		}
		if t.Capacity < 0 {
			return nil, fmt.Errorf("planner: team %q has capacity %d; a capacity cannot be negative", t.ID, t.Capacity)
		}
		teamIdx[t.ID] = i
		m.teamIDs = append(m.teamIDs, t.ID)
		m.caps = append(m.caps, int32(min(t.Capacity, math.MaxInt32)))
	}
	sysIdx := make(map[string]int, len(e.Systems))
	for i, s := range e.Systems {
		if _, dup := sysIdx[s.ID]; dup {
			return nil, fmt.Errorf("planner: system %q is declared twice; give each system a unique id", s.ID)
		}
		sysIdx[s.ID] = i
	}
	for id, p := range progress {
		if _, ok := sysIdx[id]; !ok {
			return nil, fmt.Errorf("planner: progress names system %q, which is not in the estate; drop it or add the system", id)
		}
		if p.Phase < PhasePending || p.Phase > PhaseDone {
			return nil, fmt.Errorf("planner: progress of system %q has unknown phase %d", id, p.Phase)
		}
		if p.Elapsed < 0 {
			return nil, fmt.Errorf("planner: progress of system %q has negative elapsed time %v", id, p.Elapsed)
		}
	}

	n := len(e.Systems)
	m.sysIDs = make([]string, n)
	m.sysRestore = make([]int, n)
	m.sysClear = make([]int, n)
	m.sysPhase = make([]Phase, n)
	m.sysElapsed = make([]time.Duration, n)
	clearTeam := -1
	var demands [][]Demand
	total := 0
	addAct := func(a Activity, d []Demand) int {
		m.acts = append(m.acts, a)
		demands = append(demands, d)
		total += a.Minutes
		return len(m.acts) - 1
	}
	for i := range e.Systems {
		s := &e.Systems[i]
		m.sysIDs[i] = s.ID
		p := progress[s.ID]
		m.sysPhase[i], m.sysElapsed[i] = p.Phase, p.Elapsed
		m.sysRestore[i], m.sysClear[i] = -1, -1
		if p.Phase == PhaseDone {
			continue
		}
		if s.Clearance != nil && (p.Phase == PhasePending || p.Phase == PhaseClearing) {
			if clearTeam < 0 {
				ct, ok := teamIdx[e.ClearanceTeam]
				if !ok {
					if e.ClearanceTeam == "" {
						return nil, fmt.Errorf("planner: system %q needs a forensic clearance but the estate names no clearance_team; set clearance_team to the team that clears systems", s.ID)
					}
					return nil, fmt.Errorf("planner: clearance_team %q is not a team of the estate; declare it under teams", e.ClearanceTeam)
				}
				if e.Teams[ct].Capacity < 1 {
					return nil, fmt.Errorf("planner: clearance team %q has capacity %d; it needs at least 1 to clear systems", e.ClearanceTeam, e.Teams[ct].Capacity)
				}
				clearTeam = ct
			}
			a, err := activity(s, i, KindClearance, *s.Clearance, p, p.Phase == PhaseClearing)
			if err != nil {
				return nil, err
			}
			m.sysClear[i] = addAct(a, []Demand{{Team: clearTeam, Units: 1}})
		}
		a, err := activity(s, i, KindRestore, s.Restore, p, p.Phase == PhaseRestoring)
		if err != nil {
			return nil, err
		}
		var d []Demand
		for _, nd := range s.Needs {
			t, ok := teamIdx[nd.Team]
			if !ok {
				return nil, fmt.Errorf("planner: system %q needs team %q, which is not in the estate; declare the team or fix the name", s.ID, nd.Team)
			}
			if nd.Units < 0 {
				return nil, fmt.Errorf("planner: system %q needs %d units of team %q; units cannot be negative", s.ID, nd.Units, nd.Team)
			}
			if nd.Units == 0 {
				continue
			}
			merged := false
			for k := range d {
				if d[k].Team == t {
					d[k].Units += nd.Units
					merged = true
				}
			}
			if !merged {
				d = append(d, Demand{Team: t, Units: nd.Units})
			}
		}
		for _, x := range d {
			if !a.Pinned && x.Units > e.Teams[x.Team].Capacity {
				return nil, fmt.Errorf("planner: system %q needs %d units of team %q, whose capacity is %d; raise the team's capacity or lower the need", s.ID, x.Units, e.Teams[x.Team].ID, e.Teams[x.Team].Capacity)
			}
		}
		m.sysRestore[i] = addAct(a, d)
	}
	if len(m.acts) > maxActivities {
		return nil, fmt.Errorf("planner: %d activities is more than the %d the planner handles", len(m.acts), maxActivities)
	}
	if total > maxTotalMinutes {
		return nil, fmt.Errorf("planner: the work adds up to %d minutes, more than the planner handles; check the estimates' units", total)
	}

	// Precedences: own clearance, then every required system's restore.
	na := len(m.acts)
	preds := make([][]int32, na)
	for i := range e.Systems {
		s := &e.Systems[i]
		for _, rq := range s.Requires {
			j, ok := sysIdx[rq]
			if !ok {
				return nil, fmt.Errorf("planner: system %q requires %q, which is not in the estate; declare it or fix the name", s.ID, rq)
			}
			if j == i {
				return nil, fmt.Errorf("planner: system %q requires itself; remove it from its requires", s.ID)
			}
		}
		r := m.sysRestore[i]
		if r < 0 || m.acts[r].Pinned {
			continue // done, or under way whatever its dependencies say
		}
		if c := m.sysClear[i]; c >= 0 {
			preds[r] = append(preds[r], int32(c))
		}
		for _, rq := range s.Requires {
			if pr := m.sysRestore[sysIdx[rq]]; pr >= 0 {
				preds[r] = append(preds[r], int32(pr))
			}
		}
	}
	waves, err := systemWaves(e, sysIdx)
	if err != nil {
		return nil, err
	}
	m.sysWave = waves
	m.predStart = make([]int32, na+1)
	for a := range na {
		ps := preds[a]
		sortUnique32(&ps)
		m.pred = append(m.pred, ps...)
		m.predStart[a+1] = int32(len(m.pred))
	}
	m.succStart = make([]int32, na+1)
	for _, p := range m.pred {
		m.succStart[p+1]++
	}
	for a := range na {
		m.succStart[a+1] += m.succStart[a]
	}
	m.succ = make([]int32, len(m.pred))
	fill := append([]int32(nil), m.succStart[:na]...)
	for a := range na {
		for _, p := range m.pred[m.predStart[a]:m.predStart[a+1]] {
			m.succ[fill[p]] = int32(a)
			fill[p]++
		}
	}
	m.reqStart = make([]int32, na+1)
	for a, ds := range demands {
		for _, d := range ds {
			m.reqTeam = append(m.reqTeam, int32(d.Team))
			m.reqAmt = append(m.reqAmt, int32(d.Units))
		}
		m.reqStart[a+1] = int32(len(m.reqTeam))
	}
	m.dur = make([]int, na)
	m.pinned = make([]bool, na)
	m.full = make([]int, na)
	for a := range m.acts {
		m.full[a] = m.acts[a].full
		m.dur[a] = m.acts[a].Minutes
		m.pinned[a] = m.acts[a].Pinned
		if m.pinned[a] {
			m.npinned++
		}
	}
	m.topo = m.topoOrder()

	m.svcStart = make([]int32, 1, len(e.Services)+1)
	m.svcSysSt = make([]int32, 1, len(e.Services)+1)
	for _, sv := range e.Services {
		m.svcIDs = append(m.svcIDs, sv.ID)
		w := sv.LossPerDay() / (24 * 60)
		if math.IsNaN(w) || math.IsInf(w, 0) || w < 0 {
			return nil, fmt.Errorf("planner: service %q has a revenue or cost per day that is negative or not a number", sv.ID)
		}
		m.svcW = append(m.svcW, w)
		for _, rq := range sv.Requires {
			j, ok := sysIdx[rq]
			if !ok {
				return nil, fmt.Errorf("planner: service %q requires system %q, which is not in the estate; declare it or fix the name", sv.ID, rq)
			}
			m.svcSys = append(m.svcSys, int32(j))
			if r := m.sysRestore[j]; r >= 0 {
				m.svcAct = append(m.svcAct, int32(r))
			}
		}
		m.svcStart = append(m.svcStart, int32(len(m.svcAct)))
		m.svcSysSt = append(m.svcSysSt, int32(len(m.svcSys)))
	}
	return m, nil
}

// activity builds one activity of system s, with what is left of it when
// it is under way.
func activity(s *estate.System, i int, kind ActivityKind, est estate.Estimate, p Progress, pinned bool) (Activity, error) {
	if est.Min < 0 || est.Likely < 0 || est.Max < 0 {
		return Activity{}, fmt.Errorf("planner: system %q has a negative %s estimate; estimates must be zero or more", s.ID, kind)
	}
	a := Activity{System: s.ID, SystemIndex: i, Kind: kind, Estimate: est, Minutes: Minutes(est.Likely), Pinned: pinned, full: Minutes(est.Likely)}
	if pinned {
		left := func(d time.Duration) time.Duration { return max(time.Minute, d-p.Elapsed) }
		// The deterministic duration: the rounded estimate minus the whole
		// minutes elapsed, at least one minute.
		a.Minutes = max(1, a.Minutes-int(p.Elapsed/time.Minute))
		a.Estimate = estate.Estimate{Min: left(est.Min), Likely: left(est.Likely), Max: left(est.Max)}
	}
	return a, nil
}

// Minutes rounds a duration up to whole minutes, the planner's unit of
// time. Negative durations count as zero.
func Minutes(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int((d + time.Minute - 1) / time.Minute)
}

// systemWaves gives each system its wave: 0 when it requires nothing, else
// one more than the highest wave among what it requires. It reports a
// dependency cycle.
func systemWaves(e *estate.Estate, sysIdx map[string]int) ([]int, error) {
	n := len(e.Systems)
	indeg := make([]int, n)
	out := make([][]int32, n)
	for i := range e.Systems {
		seen := map[int]bool{}
		for _, rq := range e.Systems[i].Requires {
			j := sysIdx[rq]
			if seen[j] {
				continue
			}
			seen[j] = true
			indeg[i]++
			out[j] = append(out[j], int32(i))
		}
	}
	wave := make([]int, n)
	queue := make([]int, 0, n)
	for i := range n {
		if indeg[i] == 0 {
			queue = append(queue, i)
		}
	}
	for h := 0; h < len(queue); h++ {
		i := queue[h]
		for _, j := range out[i] {
			wave[j] = max(wave[j], wave[i]+1)
			indeg[j]--
			if indeg[j] == 0 {
				queue = append(queue, int(j))
			}
		}
	}
	if len(queue) < n {
		// Walk the remaining graph to name one cycle.
		for i := range n {
			if indeg[i] > 0 {
				return nil, fmt.Errorf("planner: the requires of system %q form a cycle (%s); break it", e.Systems[i].ID, cycleFrom(e, sysIdx, indeg, i))
			}
		}
	}
	return wave, nil
}

func cycleFrom(e *estate.Estate, sysIdx map[string]int, indeg []int, start int) string {
	pos := map[int]int{}
	var path []int
	i := start
	for {
		if p, ok := pos[i]; ok {
			s := ""
			for _, k := range path[p:] {
				s += e.Systems[k].ID + " → "
			}
			return s + e.Systems[i].ID
		}
		pos[i] = len(path)
		path = append(path, i)
		next := -1
		for _, rq := range e.Systems[i].Requires {
			if j := sysIdx[rq]; indeg[j] > 0 {
				next = j
				break
			}
		}
		if next < 0 {
			return e.Systems[start].ID
		}
		i = next
	}
}

func sortUnique32(p *[]int32) {
	s := *p
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	w := 0
	for i, v := range s {
		if i == 0 || v != s[w-1] {
			s[w] = v
			w++
		}
	}
	*p = s[:w]
}

// topoOrder returns the activities in a precedence-feasible order, lowest
// index first among the ready ones.
func (m *Model) topoOrder() []int { return m.OrderBy(func(a int) float64 { return float64(a) }) }

// Activities lists the activities, indexed as everywhere in the model.
// The slice is shared: do not modify it.
func (m *Model) Activities() []Activity { return m.acts }

// Predecessors returns the activities that must finish before a starts.
func (m *Model) Predecessors(a int) []int32 { return m.pred[m.predStart[a]:m.predStart[a+1]] }

// Successors returns the activities that wait for a.
func (m *Model) Successors(a int) []int32 { return m.succ[m.succStart[a]:m.succStart[a+1]] }

// Demands returns what activity a takes from each team while it runs.
func (m *Model) Demands(a int) []Demand {
	var d []Demand
	for k := m.reqStart[a]; k < m.reqStart[a+1]; k++ {
		d = append(d, Demand{Team: int(m.reqTeam[k]), Units: int(m.reqAmt[k])})
	}
	return d
}

// RestoreActivity returns the restore activity of system i (its index in
// Estate.Systems), or -1 when the system is already back.
func (m *Model) RestoreActivity(i int) int { return m.sysRestore[i] }

// ClearanceActivity returns the clearance activity of system i, or -1 when
// it needs none (or is past it).
func (m *Model) ClearanceActivity(i int) int { return m.sysClear[i] }

// Services returns the ids of the estate's services, in estate order: the
// index of ServiceETA.
func (m *Model) Services() []string { return m.svcIDs }

// Order returns a precedence-feasible activity list (a topological order),
// a valid input for Decode. The caller owns the slice.
func (m *Model) Order() []int { return append([]int(nil), m.topo...) }

// Durations returns the deterministic durations in minutes, by activity.
// The caller owns the slice.
func (m *Model) Durations() []int { return append([]int(nil), m.dur...) }

// intHeap is a binary min-heap of items keyed by float, ties by item.
type intHeap struct {
	item []int
	key  []float64
}

func (h *intHeap) len() int { return len(h.item) }

func (h *intHeap) less(i, j int) bool {
	if h.key[i] != h.key[j] {
		return h.key[i] < h.key[j]
	}
	return h.item[i] < h.item[j]
}

func (h *intHeap) swap(i, j int) {
	h.item[i], h.item[j] = h.item[j], h.item[i]
	h.key[i], h.key[j] = h.key[j], h.key[i]
}

func (h *intHeap) push(x int, k float64) {
	h.item = append(h.item, x)
	h.key = append(h.key, k)
	i := len(h.item) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(i, p) {
			break
		}
		h.swap(i, p)
		i = p
	}
}

func (h *intHeap) pop() int {
	x := h.item[0]
	last := len(h.item) - 1
	h.swap(0, last)
	h.item, h.key = h.item[:last], h.key[:last]
	i := 0
	for {
		l, r, s := 2*i+1, 2*i+2, i
		if l < last && h.less(l, s) {
			s = l
		}
		if r < last && h.less(r, s) {
			s = r
		}
		if s == i {
			return x
		}
		h.swap(i, s)
		i = s
	}
}
