package planner

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
)

// SolveOptions steer Model.Solve.
type SolveOptions struct {
	// Objective: empty picks ObjectiveCost when any service carries a
	// cost, else ObjectiveMakespan.
	Objective Objective
	// Schedules bounds the effort in SSGS passes; 0 picks DefaultSchedules.
	Schedules int
	// Seed makes the run repeatable.
	Seed uint64
	// Workers decode in parallel; 0 picks a number that suits the size.
	// The result does not depend on it.
	Workers int
	// Initial are activity lists to start from (precedence-feasible, as
	// Model.OrderBy makes): each is decoded first (one schedule each, on
	// top of Schedules) and joins the first population, so the result is
	// never worse than the best of them. A what-if passes the baseline's
	// list carried over to the changed estate.
	Initial [][]int
}

// Solution is the best schedule found. Times are in minutes from the
// plan's start, indexed by activity.
type Solution struct {
	Objective Objective
	// Order is the best activity list: decoding it gives Start and Finish.
	Order         []int
	Start, Finish []int
	Makespan      int
	Cost          float64
	// ServiceETA is when each service is back, indexed as Model.Services.
	ServiceETA []int
	// Schedules is how many SSGS passes were spent (baseline included).
	Schedules int
	// LowerBound is Model.LowerBound.
	LowerBound int
	// BaselineMakespan and BaselineCost are those of the plain dependency
	// order (wave by wave, then id; clearances first).
	BaselineMakespan int
	BaselineCost     float64
}

// DefaultSchedules is the budget used when none is given: 5,000 SSGS passes,
// scaled down so that a run schedules at most about 2.5 million activities
// (a 100,000-system estate gets a few dozen passes), and never fewer than
// 12.
func DefaultSchedules(activities int) int {
	const activityBudget = 2_500_000
	if activities <= 0 {
		return 5000
	}
	return min(5000, max(12, activityBudget/activities))
}

// objectiveFor picks the default objective of the model.
func (m *Model) objectiveFor(o Objective) (Objective, error) {
	switch o {
	case ObjectiveCost, ObjectiveMakespan:
		return o, nil
	case "":
		for _, w := range m.svcW {
			if w > 0 {
				return ObjectiveCost, nil
			}
		}
		return ObjectiveMakespan, nil
	}
	return "", fmt.Errorf("planner: unknown objective %q; use %q or %q", o, ObjectiveCost, ObjectiveMakespan)
}

// fitness orders schedules: the objective first, the other as tie-breaker.
type fitness struct{ a, b float64 }

func (f fitness) less(g fitness) bool { return f.a < g.a || (f.a == g.a && f.b < g.b) }

type individual struct {
	order []int
	fit   fitness
	hash  uint64
	// start holds the schedule's start times (in decoder units) by
	// activity, for the peak crossover; nil when it is not used.
	start []int32
}

// solver is one run of the improvement method.
type solver struct {
	m       *Model
	obj     Objective
	rng     *rand.Rand
	budget  int
	used    int
	decs    []*Decoder
	lbMake  int
	lbCost  float64
	done    bool // the best schedule meets the lower bounds
	best    individual
	cp      cpm
	workers int
	initial [][]int // SolveOptions.Initial

	// priority values for sampling; min-rules negated to max-rules
	rules [][]float64
	peak  bool // individuals carry start times for the peak crossover
	util  []float64
	seen  map[uint64]struct{} // hashes of the lists evaluated
	sched map[uint64]struct{} // hashes of the schedules made (read-only during a parallel batch)
	// scratch
	taken  []uint32
	tstamp uint32
	elig   []int
	indeg  []int32
	wts    []float64
}

// MaxSchedules bounds the planner's effort: ten million schedules is
// hours on a large estate, and past the point where more search finds
// anything (docs/benchmarks.md).
const MaxSchedules = 10_000_000

// Solve searches for the best schedule within the budget: biased random
// sampling with priority rules, each schedule improved by forward–backward
// improvement, then a genetic algorithm over activity lists.
func (m *Model) Solve(opts SolveOptions) (*Solution, error) {
	obj, err := m.objectiveFor(opts.Objective)
	if err != nil {
		return nil, err
	}
	if opts.Schedules < 0 || opts.Schedules > MaxSchedules {
		return nil, fmt.Errorf("planner: schedules is %d; give 1 to %d, or 0 for the default", opts.Schedules, MaxSchedules)
	}
	if opts.Workers < 0 {
		return nil, fmt.Errorf("planner: workers is %d; give a positive number, or 0 for the default", opts.Workers)
	}
	na := len(m.acts)
	budget := opts.Schedules
	if budget == 0 {
		budget = DefaultSchedules(na)
	}
	workers := opts.Workers
	if workers == 0 {
		workers = 1
		if na >= 2000 {
			workers = runtime.GOMAXPROCS(0)
		}
	}
	s := &solver{
		m: m, obj: obj, budget: budget, workers: workers,
		rng:   rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)),
		taken: make([]uint32, na), indeg: make([]int32, na),
		seen: map[uint64]struct{}{}, sched: map[uint64]struct{}{},
	}
	for range workers {
		s.decs = append(s.decs, m.NewDecoder())
	}

	s.cp = m.criticalPath()
	s.lbMake = m.LowerBound()
	s.lbCost = m.costLowerBound(s.cp)

	sol := &Solution{Objective: obj, LowerBound: s.lbMake}
	base := m.baselineOrder()
	d := s.decs[0]
	d.setDurations(nil)
	_ = d.forward(base, false)
	d.evaluate()
	s.used = 1
	sol.BaselineMakespan, sol.BaselineCost = d.Makespan(), d.Cost()
	s.best = individual{order: base, fit: s.fitness(d)}
	for i, l := range opts.Initial {
		if len(l) != na {
			return nil, fmt.Errorf("planner: initial list %d has %d entries, the model %d activities", i, len(l), na)
		}
		if err := d.forward(l, true); err != nil {
			return nil, fmt.Errorf("planner: initial list %d: %w", i, err)
		}
		d.evaluate()
		s.used++
		s.initial = append(s.initial, slices.Clone(l))
		if f := s.fitness(d); f.less(s.best.fit) {
			s.best = individual{order: s.initial[i], fit: f}
		}
	}
	s.checkDone()
	if na > 0 && !s.done {
		if obj == ObjectiveMakespan && m.pinnedCount() == 0 && na <= biMaxActs {
			s.runBi(base)
		} else {
			s.run(base)
		}
	}
	// Decode the best once more to read its times (not counted: it
	// repeats a schedule already made).
	_ = d.forward(s.best.order, false)
	d.evaluate()
	sol.Order = s.best.order
	sol.Start, sol.Finish = make([]int, na), make([]int, na)
	for a := range na {
		sol.Start[a], sol.Finish[a] = d.Start(a), d.Finish(a)
	}
	sol.Makespan, sol.Cost = d.Makespan(), d.Cost()
	sol.ServiceETA = append([]int(nil), d.eta...)
	sol.Schedules = s.used
	return sol, nil
}

func (s *solver) fitness(d *Decoder) fitness {
	ms := float64(d.Makespan())
	if s.obj == ObjectiveCost {
		return fitness{d.Cost(), ms}
	}
	return fitness{ms, d.Cost()}
}

func (s *solver) checkDone() {
	ms, cost := s.best.fit.a, s.best.fit.b
	if s.obj == ObjectiveCost {
		ms, cost = cost, ms
	}
	s.done = ms <= float64(s.lbMake) && cost <= s.lbCost*(1+1e-12)
}

// baselineOrder is the plain dependency order: clearances by system id,
// then restores by wave, then system id.
func (m *Model) baselineOrder() []int {
	order := make([]int, 0, len(m.acts))
	for a := range m.acts {
		if m.acts[a].Kind == KindClearance {
			order = append(order, a)
		}
	}
	nc := len(order)
	for a := range m.acts {
		if m.acts[a].Kind == KindRestore {
			order = append(order, a)
		}
	}
	slices.SortFunc(order[:nc], func(x, y int) int { return cmp.Compare(m.acts[x].System, m.acts[y].System) })
	slices.SortFunc(order[nc:], func(x, y int) int {
		sx, sy := m.acts[x].SystemIndex, m.acts[y].SystemIndex
		if c := cmp.Compare(m.sysWave[sx], m.sysWave[sy]); c != 0 {
			return c
		}
		return cmp.Compare(m.acts[x].System, m.acts[y].System)
	})
	return order
}

// GA parameters, tuned on J30 (see docs/planner.md).
const (
	mutationRate = 0.02 // per position, swap with the next activity
	childShifts  = 2    // then this many activities shifted to a random feasible place
	tournamentK  = 2    // parents: best of two
	popDiv       = 40   // population = budget/popDiv, within [4, popMax]
	popMax       = 100
	fbiPasses    = 3   // forward, then one backward–forward justification
	stallGens    = 5   // generations without progress before diversifying
	eliteKeep    = 10  // kept when diversifying
	perturbFrac  = 0.2 // share of the list shifted in a perturbed copy of the best
	freshShare   = 2   // when diversifying, every freshShare-th list is a fresh sample
	backShare    = 2   // every backShare-th list of a batch is decoded backwards first

	peakRate      = 0.8  // share of crossovers that are peak crossovers
	peakWindowMin = 0.1  // the peak window, as a share of the makespan, is drawn
	peakWindowMax = 0.5  // uniformly between these
	peakMaxActs   = 5000 // larger models keep no start times (memory) and skip it
	biMaxActs     = 2000 // the bi-population search up to this many activities
	seenMax       = 1 << 16
)

func populationSize(budget, na int) int {
	p := budget / popDiv
	if na > 2000 {
		p = budget / 6
	}
	return min(max(p, 4), popMax)
}

func (s *solver) run(base []int) {
	m := s.m
	na := len(m.acts)
	s.rules = s.priorityRules()
	P := populationSize(s.budget, na)
	s.peak = na <= peakMaxActs

	lists := s.initialLists(base, P)
	pop := s.evalBatch(lists)
	if s.done || s.used >= s.budget {
		return
	}
	pop = s.survive(pop, nil, P)

	stall := 0
	for s.used < s.budget && !s.done {
		if stall >= stallGens {
			// Diversify: keep the elite, refill with perturbed copies of
			// the best and fresh samples.
			stall = 0
			keep := min(len(pop), eliteKeep, P/2) // at least half new
			bestBefore := s.best.fit
			kids := s.evalBatch(s.refill(P - keep))
			pop = s.survive(append([]individual(nil), pop[:keep]...), kids, P)
			if s.best.fit.less(bestBefore) {
				stall = 0
			}
			continue
		}
		bestBefore := s.best.fit
		children := make([][]int, 0, P)
		tries := 0
		for len(children) < P {
			c1, c2 := s.offspring(pop, dirFwd)
			for _, c := range [][]int{c1, c2} {
				// A list decoded before would repeat its schedule and
				// waste passes: shift an activity until it is new.
				for try := 0; try < 4 && s.seenList(c, dirFwd); try++ {
					s.shift(c, s.rng.IntN(len(c)))
				}
				if !s.seenList(c, dirFwd) {
					s.markList(c, dirFwd)
					children = append(children, c)
				}
			}
			if tries++; tries > 4*P {
				break
			}
		}
		if len(children) == 0 {
			// Every child repeats a list already decoded: diversify.
			stall = stallGens
			continue
		}
		kids := s.evalBatch(children)
		pop = s.survive(pop, kids, P)
		if s.best.fit.less(bestBefore) {
			stall = 0
		} else {
			stall++
		}
	}
}

func listHash(l []int) uint64 {
	h := uint64(14695981039346656037)
	for _, a := range l {
		h ^= uint64(a)
		h *= 1099511628211
	}
	return h
}

// dirSalt tells the lists and schedules of the two directions apart in
// the hash sets.
func dirSalt(dir int) uint64 { return uint64(dir) * 0x9e3779b97f4a7c15 }

// seenList reports whether the list was evaluated before in direction dir
// (by hash: a collision only skips one child).
func (s *solver) seenList(l []int, dir int) bool {
	_, ok := s.seen[listHash(l)^dirSalt(dir)]
	return ok
}

func (s *solver) markList(l []int, dir int) {
	if len(s.seen) > seenMax {
		clear(s.seen)
	}
	s.seen[listHash(l)^dirSalt(dir)] = struct{}{}
}

// initialLists is the first population: the baseline and each priority
// rule as it stands, then biased random samples.
func (s *solver) initialLists(base []int, P int) [][]int {
	lists := append([][]int{base}, s.initial...)
	for _, v := range s.rules {
		lists = append(lists, s.sample(v, false))
	}
	for len(lists) < P {
		lists = append(lists, s.sample(s.rules[len(lists)%len(s.rules)], true))
	}
	return lists
}

// refill makes n lists to diversify a stalled search: copies of the best
// with activities shifted, every freshShare-th a fresh sample instead.
func (s *solver) refill(n int) [][]int {
	out := make([][]int, 0, n)
	for len(out) < n {
		if len(out)%freshShare != 0 {
			c := slices.Clone(s.best.order)
			s.perturb(c)
			out = append(out, c)
		} else {
			out = append(out, s.sample(s.rules[s.rng.IntN(len(s.rules))], true))
		}
	}
	return out
}

// offspring picks two parents by tournament and makes two children, lists
// in direction dir: peak or two-point crossover, swap mutation, then
// childShifts activities shifted (swaps of neighbours that start together
// rarely change the schedule; a shift mostly does).
func (s *solver) offspring(pop []individual, dir int) ([]int, []int) {
	mo := s.tournament(pop)
	fa := s.tournament(pop)
	for fa == mo && len(pop) > 1 {
		fa = s.tournament(pop)
	}
	var c1, c2 []int
	if s.peak && s.rng.Float64() < peakRate {
		c1, c2 = s.peakCross(pop[mo], pop[fa]), s.peakCross(pop[fa], pop[mo])
	} else {
		c1, c2 = s.crossover(pop[mo].order, pop[fa].order)
	}
	for _, c := range [][]int{c1, c2} {
		s.mutateDir(c, dir)
		for range childShifts {
			s.shiftDir(c, s.rng.IntN(len(c)), dir)
		}
	}
	return c1, c2
}

// perturb moves a few random activities to random feasible places.
func (s *solver) perturb(l []int) {
	k := 1 + s.rng.IntN(max(1, int(float64(len(l))*perturbFrac)))
	for range k {
		s.shift(l, s.rng.IntN(len(l)))
	}
}

// shift moves the activity at position i to a random position between its
// last predecessor and its first successor.
func (s *solver) shift(l []int, i int) { s.shiftDir(l, i, dirFwd) }

func (s *solver) isPred(p, a int) bool {
	for _, x := range s.m.Predecessors(a) {
		if int(x) == p {
			return true
		}
	}
	return false
}

// tournament picks the better of tournamentK random members (by index:
// the population is sorted best first).
func (s *solver) tournament(pop []individual) int {
	b := s.rng.IntN(len(pop))
	for range tournamentK - 1 {
		b = min(b, s.rng.IntN(len(pop)))
	}
	return b
}

// survive keeps the best P distinct individuals.
func (s *solver) survive(pop, kids []individual, P int) []individual {
	all := append(pop, kids...)
	slices.SortStableFunc(all, func(x, y individual) int {
		if x.fit.less(y.fit) {
			return -1
		}
		if y.fit.less(x.fit) {
			return 1
		}
		return cmp.Compare(x.hash, y.hash)
	})
	out := all[:0]
	for i, x := range all {
		if i > 0 && x.hash == all[i-1].hash && x.fit == all[i-1].fit {
			continue
		}
		out = append(out, x)
	}
	return out[:min(len(out), P)]
}

// evalBatch decodes and improves each list, within the budget, in
// parallel when there are several workers. It stops early when the best
// reaches the lower bound; the result is the same for any worker count.
func (s *solver) evalBatch(lists [][]int) []individual {
	passes := make([]int, 0, len(lists))
	left := s.budget - s.used
	for range lists {
		if left <= 0 {
			break
		}
		p := fbiPasses
		if left < p {
			p = 1 + (left-1)/2*2
		}
		passes = append(passes, p)
		left -= p
	}
	lists = lists[:len(passes)]
	out := make([]individual, len(lists))
	spent := make([]int, len(lists))
	if s.workers <= 1 || len(lists) == 1 {
		for i, l := range lists {
			out[i], spent[i] = s.improve(s.decs[0], l, passes[i], i%backShare == 1)
			s.used += spent[i]
			if s.offer(out[i]); s.done {
				out = out[:i+1]
				break
			}
		}
		for _, x := range out {
			s.markSched(x.hash)
		}
		return out
	}
	var wg sync.WaitGroup
	next := make(chan int, len(lists))
	for i := range lists {
		next <- i
	}
	close(next)
	for w := range min(s.workers, len(lists)) {
		wg.Add(1)
		go func(d *Decoder) {
			defer wg.Done()
			for i := range next {
				out[i], spent[i] = s.improve(d, lists[i], passes[i], i%backShare == 1)
			}
		}(s.decs[w])
	}
	wg.Wait()
	for i := range out {
		s.markSched(out[i].hash)
		s.used += spent[i]
		if s.offer(out[i]); s.done {
			return out[:i+1]
		}
	}
	return out
}

func (s *solver) offer(x individual) {
	if x.fit.less(s.best.fit) {
		s.best = x
		s.checkDone()
	}
}

// improve decodes list and, with three passes, applies forward–backward
// improvement: right-justify (a backward pass in order of decreasing
// finish), then left-justify (a forward pass in order of increasing start
// of the backward schedule). It returns the better forward schedule as a
// list sorted by start time.
func (s *solver) improve(d *Decoder, list []int, passes int, backFirst bool) (individual, int) {
	used := 1
	if backFirst && passes >= 2 && s.m.pinnedCount() == 0 {
		// Decode the list backwards first (its reverse is feasible for
		// the reversed network), then left-justify: the backward pass
		// reaches schedules a forward decode does not.
		rev := d.rev[:len(list)]
		for i, a := range list {
			rev[len(list)-1-i] = a
		}
		d.backward(rev)
		fwd := d.sortedByFinishDesc(rev, d.fwd)
		_ = d.forward(fwd, false)
		used = 2
		d.evaluate()
		list = fwd
	} else {
		_ = d.forward(list, false)
		d.evaluate()
	}
	best := individual{order: d.sortedByStart(list, nil), fit: s.fitness(d), hash: d.hash(), start: s.starts(d)}
	cur := best.order
	if _, ok := s.sched[best.hash]; ok {
		// A schedule made before: justifying it again repeats passes
		// already spent (the map is only read while a batch runs).
		return best, used
	}
	for passes-used >= 2 {
		used += 2
		rev := d.sortedByFinishDesc(cur, d.rev)
		d.backward(rev)
		fwd := d.sortedByFinishDesc(rev, d.fwd) // latest backward finish = earliest forward start
		_ = d.forward(fwd, false)
		d.evaluate()
		f := s.fitness(d)
		if !f.less(best.fit) {
			break
		}
		cur = d.sortedByStart(fwd, nil)
		best = individual{order: cur, fit: f, hash: d.hash(), start: s.starts(d)}
	}
	return best, used
}

// sortKeys sorts keys in place: LSD radix sort in 11-bit digits, as many
// as the largest key needs, for long lists; pdqsort for short ones.
func (d *Decoder) sortKeys(k []uint64) {
	if len(k) < 256 {
		slices.Sort(k)
		return
	}
	var mx uint64
	for _, x := range k {
		mx |= x
	}
	if cap(d.keys2) < len(k) {
		d.keys2 = make([]uint64, len(k))
	}
	src, dst := k, d.keys2[:len(k)]
	var count [1 << 11]int
	for shift := uint(0); shift < 64 && mx>>shift != 0; shift += 11 {
		clear(count[:])
		for _, x := range src {
			count[(x>>shift)&(1<<11-1)]++
		}
		sum := 0
		for i, c := range count {
			count[i] = sum
			sum += c
		}
		for _, x := range src {
			b := (x >> shift) & (1<<11 - 1)
			dst[count[b]] = x
			count[b]++
		}
		src, dst = dst, src
	}
	if &src[0] != &k[0] {
		copy(k, src)
	}
}

// hash fingerprints the last schedule.
func (d *Decoder) hash() uint64 {
	h := uint64(14695981039346656037)
	for _, t := range d.start {
		h ^= uint64(t)
		h *= 1099511628211
	}
	return h
}

// sortedByStart returns list sorted by the start times of the last
// schedule, ties in list order, into out (allocated when nil).
func (d *Decoder) sortedByStart(list []int, out []int) []int {
	k := d.keys[:len(list)]
	for i, a := range list {
		k[i] = uint64(d.start[a])<<21 | uint64(i)
	}
	d.sortKeys(k)
	if out == nil {
		out = make([]int, len(list))
	}
	out = out[:len(list)]
	tmp := d.list[:len(list)]
	copy(tmp, list)
	for i, x := range k {
		out[i] = tmp[x&(1<<21-1)]
	}
	return out
}

// sortedByFinishDesc returns list sorted by decreasing finish time of the
// last schedule, ties in reverse list order (so that a zero-length
// predecessor stays feasible), into out (which must not alias list).
func (d *Decoder) sortedByFinishDesc(list []int, out []int) []int {
	k := d.keys[:len(list)]
	mx := 0
	for _, a := range list {
		mx = max(mx, d.finish[a])
	}
	n := len(list)
	for i, a := range list {
		k[i] = uint64(mx-d.finish[a])<<21 | uint64(n-1-i)
	}
	d.sortKeys(k)
	out = out[:n]
	for i, x := range k {
		out[i] = list[n-1-int(x&(1<<21-1))]
	}
	return out
}

// priorityRules returns the rules' values, larger is more urgent: latest
// finish (LFT), latest start (LST), most total successors (MTS) and, for
// the cost objective, the cost of the services an activity unlocks.
func (s *solver) priorityRules() [][]float64 {
	m := s.m
	na := len(m.acts)
	lft, lst := make([]float64, na), make([]float64, na)
	for a := range na {
		lft[a] = -float64(s.cp.lf[a])
		lst[a] = -float64(s.cp.ls[a])
	}
	mts := make([]float64, na)
	for a, c := range m.totalSuccessors() {
		mts[a] = float64(c)
	}
	rules := [][]float64{lft, lst, mts}
	if s.obj == ObjectiveCost {
		w := m.unlockWeights()
		mx := 0.0
		for _, x := range w {
			mx = max(mx, x)
		}
		if mx > 0 {
			// Scale to the critical-path length so that regrets compare
			// with those of the time-based rules; break ties by LST.
			cw := make([]float64, na)
			scale := float64(max(s.cp.length, 1))
			for a := range na {
				cw[a] = w[a]/mx*scale + lst[a]/scale*0.5
			}
			rules = append(rules, cw)
		}
	}
	return rules
}

// sample builds an activity list by picking, among the eligible
// activities, by priority: deterministically (the best), or with regret-
// based biased random sampling (probability proportional to 1 + the regret
// against the worst eligible). Large models use a heap with randomly
// perturbed keys instead, which costs O(n log n).
func (s *solver) sample(v []float64, random bool) []int {
	m := s.m
	na := len(m.acts)
	for a := range na {
		s.indeg[a] = m.predStart[a+1] - m.predStart[a]
	}
	out := make([]int, 0, na)
	if na > 2000 || !random {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, x := range v {
			lo, hi = min(lo, x), max(hi, x)
		}
		spread := (hi - lo) * 0.1
		h := intHeap{}
		key := func(a int) float64 {
			k := -v[a]
			if random {
				k += s.rng.Float64() * spread
			}
			return k
		}
		for a := range na {
			if s.indeg[a] == 0 {
				h.push(a, key(a))
			}
		}
		for h.len() > 0 {
			a := h.pop()
			out = append(out, a)
			for _, x := range m.Successors(a) {
				s.indeg[x]--
				if s.indeg[x] == 0 {
					h.push(int(x), key(int(x)))
				}
			}
		}
		return out
	}
	elig := s.elig[:0]
	for a := range na {
		if s.indeg[a] == 0 {
			elig = append(elig, a)
		}
	}
	for len(elig) > 0 {
		lo := math.Inf(1)
		for _, a := range elig {
			lo = min(lo, v[a])
		}
		s.wts = s.wts[:0]
		total := 0.0
		for _, a := range elig {
			w := v[a] - lo + 1
			s.wts = append(s.wts, w)
			total += w
		}
		r := s.rng.Float64() * total
		k := 0
		for k < len(elig)-1 && r >= s.wts[k] {
			r -= s.wts[k]
			k++
		}
		a := elig[k]
		elig[k] = elig[len(elig)-1]
		elig = elig[:len(elig)-1]
		out = append(out, a)
		for _, x := range m.Successors(a) {
			s.indeg[x]--
			if s.indeg[x] == 0 {
				elig = append(elig, int(x))
			}
		}
	}
	s.elig = elig
	return out
}

// crossover is Hartmann's two-point crossover: the daughter takes the
// mother's list up to q1, then the father's remaining activities in his
// order up to q2, then the mother's remaining ones; the son the other way
// round. Both stay precedence-feasible.
func (s *solver) crossover(mo, fa []int) ([]int, []int) {
	n := len(mo)
	q1 := s.rng.IntN(n + 1)
	q2 := s.rng.IntN(n + 1)
	if q1 > q2 {
		q1, q2 = q2, q1
	}
	return s.cross(mo, fa, q1, q2), s.cross(fa, mo, q1, q2)
}

func (s *solver) cross(p1, p2 []int, q1, q2 int) []int {
	n := len(p1)
	s.tstamp++
	if s.tstamp == 0 {
		clear(s.taken)
		s.tstamp = 1
	}
	st := s.tstamp
	c := make([]int, 0, n)
	for _, a := range p1[:q1] {
		c = append(c, a)
		s.taken[a] = st
	}
	for _, a := range p2 {
		if len(c) >= q2 {
			break
		}
		if s.taken[a] != st {
			c = append(c, a)
			s.taken[a] = st
		}
	}
	for _, a := range p1 {
		if s.taken[a] != st {
			c = append(c, a)
			s.taken[a] = st
		}
	}
	return c
}

func (m *Model) pinnedCount() int { return m.npinned }
