package estate

import "sort"

// Index is a lookup over a valid estate for the planner, the forecast
// and the server: ids to entities, and the requires relation both ways
// by position in Estate.Systems. It points into the estate's slices, so
// it holds while they are not changed. Building it is O(systems +
// dependencies + services).
type Index struct {
	Teams    map[string]*Team
	Systems  map[string]*System
	Services map[string]*Service
	Backlogs map[string]*Backlog
	// SystemAt maps a system id to its position in Estate.Systems.
	SystemAt map[string]int
	// Requires[i] holds the positions of the systems system i requires,
	// in the order written; Dependents[i] those of the systems that
	// require system i, in estate order. Ids that name no system are
	// skipped.
	Requires   [][]int
	Dependents [][]int
	// ServicesOf[i] holds the positions in Estate.Services of the
	// services that require system i directly.
	ServicesOf [][]int
}

// Index builds the lookup. For duplicate ids (an invalid estate) the
// first entity wins.
func (e *Estate) Index() *Index {
	ix := &Index{
		Teams:      make(map[string]*Team, len(e.Teams)),
		Systems:    make(map[string]*System, len(e.Systems)),
		Services:   make(map[string]*Service, len(e.Services)),
		Backlogs:   make(map[string]*Backlog, len(e.Backlogs)),
		SystemAt:   make(map[string]int, len(e.Systems)),
		Requires:   make([][]int, len(e.Systems)),
		Dependents: make([][]int, len(e.Systems)),
		ServicesOf: make([][]int, len(e.Systems)),
	}
	for i := range e.Teams {
		if _, dup := ix.Teams[e.Teams[i].ID]; !dup {
			ix.Teams[e.Teams[i].ID] = &e.Teams[i]
		}
	}
	for i := range e.Systems {
		if _, dup := ix.Systems[e.Systems[i].ID]; !dup {
			ix.Systems[e.Systems[i].ID] = &e.Systems[i]
			ix.SystemAt[e.Systems[i].ID] = i
		}
	}
	for i := range e.Services {
		if _, dup := ix.Services[e.Services[i].ID]; !dup {
			ix.Services[e.Services[i].ID] = &e.Services[i]
		}
	}
	for i := range e.Backlogs {
		if _, dup := ix.Backlogs[e.Backlogs[i].ID]; !dup {
			ix.Backlogs[e.Backlogs[i].ID] = &e.Backlogs[i]
		}
	}
	// One backing array for all edges keeps a large estate cheap.
	edges := 0
	for i := range e.Systems {
		edges += len(e.Systems[i].Requires)
	}
	reqs := make([]int, 0, edges)
	indeg := make([]int, len(e.Systems))
	for i := range e.Systems {
		start := len(reqs)
		for _, r := range e.Systems[i].Requires {
			if k, ok := ix.SystemAt[r]; ok {
				reqs = append(reqs, k)
				indeg[k]++
			}
		}
		ix.Requires[i] = reqs[start:len(reqs):len(reqs)]
	}
	deps := make([]int, len(reqs))
	at := 0
	for k := range indeg {
		ix.Dependents[k] = deps[at : at : at+indeg[k]]
		at += indeg[k]
	}
	for i, rs := range ix.Requires {
		for _, k := range rs {
			ix.Dependents[k] = append(ix.Dependents[k], i)
		}
	}
	for j := range e.Services {
		for _, r := range e.Services[j].Requires {
			if k, ok := ix.SystemAt[r]; ok {
				ix.ServicesOf[k] = append(ix.ServicesOf[k], j)
			}
		}
	}
	return ix
}

// Order returns the positions of all systems so that every system comes
// after the systems it requires; among systems free to go, estate order
// is kept. It returns nil when the requires relation has a cycle (an
// invalid estate).
func (ix *Index) Order() []int {
	n := len(ix.Requires)
	left := make([]int, n)
	var ready []int
	for i := range ix.Requires {
		left[i] = len(ix.Requires[i])
		if left[i] == 0 {
			ready = append(ready, i)
		}
	}
	// ready is kept as a min-heap of positions, for the stable order.
	h := intHeap(ready)
	h.init()
	out := make([]int, 0, n)
	for len(h) > 0 {
		v := h.pop()
		out = append(out, v)
		for _, w := range ix.Dependents[v] {
			left[w]--
			if left[w] == 0 {
				h.push(w)
			}
		}
	}
	if len(out) != n {
		return nil
	}
	return out
}

// Depth returns, for each system, the length of the longest chain of
// systems it waits for: 0 for a system that requires nothing. Systems of
// one depth can be restored in the same wave as far as dependencies go.
// It returns nil when the requires relation has a cycle.
func (ix *Index) Depth() []int {
	order := ix.Order()
	if order == nil && len(ix.Requires) > 0 {
		return nil
	}
	depth := make([]int, len(ix.Requires))
	for _, v := range order {
		for _, r := range ix.Requires[v] {
			depth[v] = max(depth[v], depth[r]+1)
		}
	}
	return depth
}

// Upstream returns the positions of every system that system i waits
// for, directly or not, in ascending order.
func (ix *Index) Upstream(i int) []int { return reach(ix.Requires, i) }

// Downstream returns the positions of every system that waits for
// system i, directly or not, in ascending order.
func (ix *Index) Downstream(i int) []int { return reach(ix.Dependents, i) }

// ServicesAffected returns the positions in Estate.Services of every
// service that cannot run while system i is down, in ascending order.
func (ix *Index) ServicesAffected(i int) []int {
	seen := map[int]bool{}
	var out []int
	for _, v := range append(ix.Downstream(i), i) {
		for _, s := range ix.ServicesOf[v] {
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	sort.Ints(out)
	return out
}

func reach(adj [][]int, from int) []int {
	seen := make([]bool, len(adj))
	seen[from] = true
	stack := []int{from}
	var out []int
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, w := range adj[v] {
			if !seen[w] {
				seen[w] = true
				out = append(out, w)
				stack = append(stack, w)
			}
		}
	}
	sort.Ints(out)
	return out
}

// intHeap is a min-heap of ints, small enough not to need container/heap.
type intHeap []int

func (h intHeap) init() {
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

func (h *intHeap) push(v int) {
	*h = append(*h, v)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if s[p] <= s[i] {
			break
		}
		s[p], s[i] = s[i], s[p]
		i = p
	}
}

func (h *intHeap) pop() int {
	s := *h
	v := s[0]
	last := len(s) - 1
	s[0] = s[last]
	*h = s[:last]
	h.down(0)
	return v
}

func (h intHeap) down(i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && h[r] < h[l] {
			m = r
		}
		if h[i] <= h[m] {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}
