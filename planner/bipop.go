package planner

// The bi-population search, for the makespan objective when no work is
// under way (after Debels and Vanhoucke's bi-population GA): one population
// of left-justified schedules, whose lists are decoded forward, and one of
// right-justified schedules, whose lists are decoded backward (on the
// reversed network, times counted back from the end). Every child is
// decoded in its population's direction and then justified the other way,
// and both schedules join their populations: the justification pass is
// not thrown away, and crossover also recombines the right-justified
// structure of good schedules, which a forward list loses.

const (
	dirFwd = 0
	dirBwd = 1
	// biStallGens: generations without progress before the bi-population
	// search diversifies. On J30 at 5,000 schedules it runs 20–45
	// generations (about 20 on the hardest instances, whose children
	// rarely repeat a schedule), so it seldom does (1.3 times per run
	// that spends the whole budget): refilling the populations with
	// copies of the best after 5 idle generations (stallGens, as the
	// single-population search does) cost them their diversity and made
	// J30 worse (docs/planner.md).
	biStallGens = 15
)

type biJob struct {
	list []int
	dir  int
}

type biResult struct {
	own   individual // the best schedule in the job's direction
	other individual // the best in the other direction; order nil when none
	used  int
}

// forward is the best forward schedule of a job decoded in direction dir;
// order nil when none.
func (r biResult) forward(dir int) individual {
	if dir == dirFwd {
		return r.own
	}
	return r.other
}

// biDecode decodes list in direction dir and returns it as an individual
// (its list sorted by start in that direction's time).
func (s *solver) biDecode(d *Decoder, l []int, dir int) individual {
	if dir == dirFwd {
		_ = d.forward(l, false)
	} else {
		d.backward(l)
	}
	d.evaluate()
	f := s.fitness(d)
	if dir == dirBwd {
		f = fitness{a: f.a} // a backward schedule's service costs mean nothing
	}
	return individual{order: d.sortedByStart(l, nil), fit: f, hash: d.hash() ^ dirSalt(dir), start: s.starts(d)}
}

// biImprove decodes a job's list, then justifies the schedule the other
// way, and back, while that shortens it and the passes last. A schedule
// made before stops it after one pass.
func (s *solver) biImprove(d *Decoder, j biJob, passes int) biResult {
	cur := s.biDecode(d, j.list, j.dir)
	r := biResult{own: cur, used: 1}
	if _, ok := s.sched[cur.hash]; ok {
		return r
	}
	s.markSched(cur.hash)
	// Only the first decode is marked: a child that decodes to a
	// justified schedule still gets its own justification (measured:
	// marking those too made J30 no better).
	dir := j.dir
	for r.used < passes {
		// The decoder holds cur's schedule: it was decoded last. d.rev is
		// scratch (biDecode copies what it keeps).
		nl := d.sortedByFinishDesc(cur.order, d.rev)
		dir ^= 1
		nx := s.biDecode(d, nl, dir)
		r.used++
		best := &r.other
		if dir == j.dir {
			best = &r.own
		}
		if best.order == nil || nx.fit.less(best.fit) {
			*best = nx
		}
		if nx.fit.a >= cur.fit.a {
			break
		}
		cur = nx
	}
	return r
}

func (s *solver) markSched(h uint64) {
	if len(s.sched) > seenMax {
		clear(s.sched)
	}
	s.sched[h] = struct{}{}
}

// biEval runs the jobs in order within the budget (one decoder: the
// bi-population search is for models small enough that one core is
// plenty), offering each forward schedule as the best.
func (s *solver) biEval(jobs []biJob) []biResult {
	out := make([]biResult, 0, len(jobs))
	for _, j := range jobs {
		left := s.budget - s.used
		if left <= 0 {
			break
		}
		r := s.biImprove(s.decs[0], j, min(fbiPasses, left))
		s.used += r.used
		out = append(out, r)
		if f := r.forward(j.dir); f.order != nil {
			if s.offer(f); s.done {
				break
			}
		}
	}
	return out
}

// biSplit sorts the results' schedules into the two populations.
func biSplit(res []biResult, jobs []biJob) (k [2][]individual) {
	for i, r := range res {
		d := jobs[i].dir
		k[d] = append(k[d], r.own)
		if r.other.order != nil {
			k[d^1] = append(k[d^1], r.other)
		}
	}
	return k
}

// fwdJobs makes forward jobs of lists.
func fwdJobs(lists [][]int) []biJob {
	jobs := make([]biJob, len(lists))
	for i, l := range lists {
		jobs[i] = biJob{list: l, dir: dirFwd}
	}
	return jobs
}

func (s *solver) runBi(base []int) {
	m := s.m
	na := len(m.acts)
	s.rules = s.priorityRules()
	P := populationSize(s.budget, na)
	s.peak = na <= peakMaxActs

	// Initial populations: each list decoded forward and justified backward.
	jobs := fwdJobs(s.initialLists(base, P))
	var pops [2][]individual
	res := s.biEval(jobs)
	k := biSplit(res, jobs)
	for d := range 2 {
		pops[d] = s.survive(nil, k[d], P)
	}
	stall := 0
	for s.used < s.budget && !s.done {
		if stall >= biStallGens {
			// Diversify: keep each population's elite, add perturbed
			// copies of the best and fresh samples.
			stall = 0
			jobs = fwdJobs(s.refill(P))
			res := s.biEval(jobs)
			k := biSplit(res, jobs)
			for d := range 2 {
				keep := min(len(pops[d]), eliteKeep, P/2)
				pops[d] = s.survive(append([]individual(nil), pops[d][:keep]...), k[d], P)
			}
			continue
		}
		bestBefore := s.best.fit
		jobs = jobs[:0]
		for d := range 2 {
			jobs = s.biChildren(jobs, pops[d], d, P/2)
		}
		if len(jobs) == 0 {
			stall = biStallGens
			continue
		}
		res := s.biEval(jobs)
		k := biSplit(res, jobs)
		for d := range 2 {
			pops[d] = s.survive(pops[d], k[d], P)
		}
		if s.best.fit.less(bestBefore) {
			stall = 0
		} else {
			stall++
		}
	}
}

// biChildren appends up to n children of the population in direction
// dir, skipping lists decoded before.
func (s *solver) biChildren(jobs []biJob, pop []individual, dir, n int) []biJob {
	if len(pop) < 2 {
		return jobs
	}
	made := 0
	for tries := 0; made < n && tries < 4*n; tries++ {
		c1, c2 := s.offspring(pop, dir)
		for _, c := range [][]int{c1, c2} {
			if s.seenList(c, dir) {
				continue
			}
			s.markList(c, dir)
			jobs = append(jobs, biJob{list: c, dir: dir})
			made++
		}
	}
	return jobs
}

// mutateDir swaps neighbours that are not precedence-related, each
// position with probability mutationRate, in a list of either direction.
func (s *solver) mutateDir(l []int, dir int) {
	for i := 0; i+1 < len(l); i++ {
		if s.rng.Float64() >= mutationRate {
			continue
		}
		a, b := l[i], l[i+1]
		if dir == dirBwd {
			a, b = b, a
		}
		if !s.isPred(a, b) {
			l[i], l[i+1] = l[i+1], l[i]
		}
	}
}

// shiftDir moves the activity at position i to a random place between its
// last predecessor and its first successor (in the list's direction).
func (s *solver) shiftDir(l []int, i, dir int) {
	a := l[i]
	before := func(p, q int) bool { // p must stay before q
		if dir == dirBwd {
			return s.isPred(q, p)
		}
		return s.isPred(p, q)
	}
	lo, hi := i, i
	for lo > 0 && !before(l[lo-1], a) {
		lo--
	}
	for hi < len(l)-1 && !before(a, l[hi+1]) {
		hi++
	}
	j := lo + s.rng.IntN(hi-lo+1)
	if j < i {
		copy(l[j+1:i+1], l[j:i])
	} else {
		copy(l[i:j], l[i+1:j+1])
	}
	l[j] = a
}
