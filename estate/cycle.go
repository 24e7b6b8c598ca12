package estate

import (
	"strconv"
	"strings"
)

// graph is the requires relation between systems in compressed form:
// the edges of system v are to[start[v]:start[v+1]], and via[e] is the
// index of the requires entry that made edge e. References to unknown
// systems are left out (they are reported elsewhere).
type graph struct {
	start []int32
	to    []int32
	via   []int32
}

func requiresGraph(systems []System, ids map[string]int) graph {
	g := graph{start: make([]int32, len(systems)+1)}
	n := 0
	for i := range systems {
		n += len(systems[i].Requires)
	}
	g.to = make([]int32, 0, n)
	g.via = make([]int32, 0, n)
	for i := range systems {
		for j, r := range systems[i].Requires {
			if k, ok := ids[r]; ok {
				g.to = append(g.to, int32(k))
				g.via = append(g.via, int32(j))
			}
		}
		g.start[i+1] = int32(len(g.to))
	}
	return g
}

// components returns the strongly connected components of g that hold a
// cycle (more than one system, or one that requires itself), each in
// the order Tarjan's algorithm closes them. It is iterative, so a chain
// of 100,000 systems does not exhaust the stack, and O(V+E).
func (g graph) components() [][]int32 {
	n := len(g.start) - 1
	index := make([]int32, n) // 0: not yet visited
	low := make([]int32, n)
	onStack := make([]bool, n)
	var stack []int32
	type frame struct{ v, e int32 }
	var call []frame
	var next int32
	var out [][]int32
	for root := 0; root < n; root++ {
		if index[root] != 0 {
			continue
		}
		next++
		index[root], low[root] = next, next
		stack = append(stack, int32(root))
		onStack[root] = true
		call = append(call, frame{int32(root), g.start[root]})
		for len(call) > 0 {
			top := len(call) - 1
			v := call[top].v
			if e := call[top].e; e < g.start[v+1] {
				call[top].e++
				w := g.to[e]
				switch {
				case index[w] == 0:
					next++
					index[w], low[w] = next, next
					stack = append(stack, w)
					onStack[w] = true
					call = append(call, frame{w, g.start[w]})
				case onStack[w]:
					low[v] = min(low[v], index[w])
				}
				continue
			}
			call = call[:top]
			if top > 0 {
				u := call[top-1].v
				low[u] = min(low[u], low[v])
			}
			if low[v] != index[v] {
				continue
			}
			k := len(stack) - 1
			for stack[k] != v {
				k--
			}
			comp := append([]int32(nil), stack[k:]...)
			stack = stack[:k]
			for _, w := range comp {
				onStack[w] = false
			}
			if len(comp) > 1 || g.selfLoop(v) {
				out = append(out, comp)
			}
		}
	}
	return out
}

func (g graph) selfLoop(v int32) bool {
	for e := g.start[v]; e < g.start[v+1]; e++ {
		if g.to[e] == v {
			return true
		}
	}
	return false
}

// shortestCycle finds a shortest cycle through s inside its component
// (members marked in comp with the value mark) by breadth-first search.
// It returns the systems of the cycle, s first, and the edge leaving s.
func (g graph) shortestCycle(s int32, comp []int32, mark int32, parent []int32, parentEdge []int32) ([]int32, int32) {
	queue := []int32{s}
	parent[s] = s
	seen := []int32{s}
	defer func() {
		for _, v := range seen {
			parent[v] = -1
		}
	}()
	for qi := 0; qi < len(queue); qi++ {
		u := queue[qi]
		for e := g.start[u]; e < g.start[u+1]; e++ {
			w := g.to[e]
			if comp[w] != mark {
				continue
			}
			if w == s {
				var rev []int32
				first := e
				for v := u; v != s; v = parent[v] {
					rev = append(rev, v)
					first = parentEdge[v]
				}
				cycle := make([]int32, 0, len(rev)+2)
				cycle = append(cycle, s)
				for k := len(rev) - 1; k >= 0; k-- {
					cycle = append(cycle, rev[k])
				}
				return append(cycle, s), first
			}
			if parent[w] >= 0 {
				continue
			}
			parent[w] = u
			parentEdge[w] = e
			seen = append(seen, w)
			queue = append(queue, w)
		}
	}
	return nil, -1 // not reached for a component with a cycle
}

// checkCycles reports each group of systems that wait on each other,
// once per group, with one cycle written out in full.
func (c *checker) checkCycles() {
	sys := c.e.Systems
	g := requiresGraph(sys, c.systems)
	comps := g.components()
	if len(comps) == 0 {
		return
	}
	n := len(sys)
	mark := make([]int32, n)
	parent := make([]int32, n)
	parentEdge := make([]int32, n)
	for i := range parent {
		parent[i] = -1
	}
	for ci, comp := range comps {
		s := comp[0]
		for _, v := range comp {
			mark[v] = int32(ci + 1)
			if v < s {
				s = v
			}
		}
		cycle, edge := g.shortestCycle(s, mark, int32(ci+1), parent, parentEdge)
		if cycle == nil {
			continue
		}
		names := make([]string, len(cycle))
		for k, v := range cycle {
			names[k] = sys[v].ID
		}
		msg := "dependency cycle: " + arrowPath(names)
		if extra := len(comp) - (len(cycle) - 1); extra > 0 {
			verb := " are"
			if extra == 1 {
				verb = " is"
			}
			msg += "; " + plural(extra, "more system") + verb + " caught in the same knot: " + sample(comp, cycle, sys, 5)
		}
		src := c.system(int(s))
		l := src.listAt(int(g.via[edge]))
		if !l.ok() {
			l = src.fieldOr(sysRequires)
		}
		c.add(l, ent("systems", sys[s].ID, int(s)), "requires", msg,
			"each system waits for the next, so none of them can ever start: remove one requires entry on the cycle")
	}
}

// arrowPath writes a cycle "a → b → c → a", eliding the middle of a
// very long one.
func arrowPath(names []string) string {
	const keep = 20
	if len(names) <= 2*keep+1 {
		return strings.Join(names, " → ")
	}
	return strings.Join(names[:keep], " → ") + " → … " + strconv.Itoa(len(names)-2*keep) + " more … → " + strings.Join(names[len(names)-keep:], " → ")
}

// sample names up to max members of comp that are not on the cycle.
func sample(comp, cycle []int32, sys []System, max int) string {
	on := make(map[int32]bool, len(cycle))
	for _, v := range cycle {
		on[v] = true
	}
	var names []string
	more := 0
	for _, v := range comp {
		if on[v] {
			continue
		}
		if len(names) < max {
			names = append(names, sys[v].ID)
		} else {
			more++
		}
	}
	s := strings.Join(names, ", ")
	if more > 0 {
		s += " and " + strconv.Itoa(more) + " more"
	}
	return s
}
