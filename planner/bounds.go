package planner

import "math/bits"

// cpm holds the critical-path times of the model ignoring teams, in minutes.
type cpm struct {
	es, ef []int // earliest start and finish
	lf, ls []int // latest finish and start against the critical-path length
	length int
}

func (m *Model) criticalPath() cpm {
	na := len(m.acts)
	c := cpm{es: make([]int, na), ef: make([]int, na), lf: make([]int, na), ls: make([]int, na)}
	for _, a := range m.topo {
		es := 0
		for _, p := range m.Predecessors(a) {
			es = max(es, c.ef[p])
		}
		c.es[a], c.ef[a] = es, es+m.dur[a]
		c.length = max(c.length, c.ef[a])
	}
	for i := na - 1; i >= 0; i-- {
		a := m.topo[i]
		lf := c.length
		for _, s := range m.Successors(a) {
			lf = min(lf, c.ls[s])
		}
		c.lf[a], c.ls[a] = lf, lf-m.dur[a]
	}
	return c
}

// unit returns the greatest common divisor of the durations: every start
// and finish of a schedule is a multiple of it.
func (m *Model) unit() int {
	g := 0
	for _, d := range m.dur {
		if d > 0 {
			g = gcd(g, d)
		}
	}
	return max(g, 1)
}

// LowerBound returns a proven lower bound on the makespan in minutes: the
// longer of the critical path (clearances included) and, for each team,
// its total work divided by its capacity, rounded up to the durations'
// common unit.
func (m *Model) LowerBound() int {
	lb := m.criticalPath().length
	work := make([]int, len(m.caps))
	pinnedUse := make([]int, len(m.caps))
	pinnedWork := make([]int, len(m.caps))
	for a := range m.acts {
		for k := m.reqStart[a]; k < m.reqStart[a+1]; k++ {
			r, q := m.reqTeam[k], int(m.reqAmt[k])
			if m.pinned[a] {
				pinnedUse[r] += q
				pinnedWork[r] += q * m.dur[a]
			} else {
				work[r] += q * m.dur[a]
			}
		}
	}
	for r, c := range m.caps {
		w := work[r]
		// Work under way may exceed the capacity; only when it does not
		// does it count against it.
		if pinnedUse[r] <= int(c) {
			w += pinnedWork[r]
		}
		if c > 0 && w > 0 {
			lb = max(lb, (w+int(c)-1)/int(c))
		}
	}
	u := m.unit()
	return (lb + u - 1) / u * u
}

// costLowerBound is the downtime cost if every service came back at its
// critical-path time.
func (m *Model) costLowerBound(c cpm) float64 {
	cost := 0.0
	for s := range m.svcIDs {
		t := 0
		for _, a := range m.svcAct[m.svcStart[s]:m.svcStart[s+1]] {
			t = max(t, c.ef[a])
		}
		cost += m.svcW[s] * float64(t)
	}
	return cost
}

// totalSuccessors counts each activity's transitive successors, exactly
// for models that fit bitsets cheaply, else approximately (paths counted
// with repetition, capped).
func (m *Model) totalSuccessors() []int {
	na := len(m.acts)
	out := make([]int, na)
	if na <= 4096 {
		words := (na + 63) / 64
		set := make([]uint64, na*words)
		for i := na - 1; i >= 0; i-- {
			a := m.topo[i]
			row := set[a*words : (a+1)*words]
			for _, s := range m.Successors(a) {
				row[s/64] |= 1 << (s % 64)
				for w, x := range set[int(s)*words : (int(s)+1)*words] {
					row[w] |= x
				}
			}
			for _, x := range row {
				out[a] += bits.OnesCount64(x)
			}
		}
		return out
	}
	for i := na - 1; i >= 0; i-- {
		a := m.topo[i]
		c := 0
		for _, s := range m.Successors(a) {
			c += out[s] + 1
		}
		out[a] = min(c, na)
	}
	return out
}

// unlockWeights gives each activity the downtime cost per minute of the
// services that wait for it, directly or through dependencies. Exact while
// the work stays modest; beyond, each activity takes its own weight plus
// the largest of its successors'.
func (m *Model) unlockWeights() []float64 {
	na := len(m.acts)
	w := make([]float64, na)
	own := make([]float64, na)
	for s := range m.svcIDs {
		for _, a := range m.svcAct[m.svcStart[s]:m.svcStart[s+1]] {
			own[a] += m.svcW[s]
		}
	}
	const budget = 20_000_000
	work := 0
	mark := make([]int, na)
	stack := make([]int32, 0, 64)
	exact := true
	for s := range m.svcIDs {
		if m.svcW[s] == 0 {
			continue
		}
		stamp := s + 1
		stack = stack[:0]
		for _, a := range m.svcAct[m.svcStart[s]:m.svcStart[s+1]] {
			if mark[a] != stamp {
				mark[a] = stamp
				stack = append(stack, a)
			}
		}
		for len(stack) > 0 {
			a := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			w[a] += m.svcW[s]
			work++
			for _, p := range m.Predecessors(int(a)) {
				if mark[p] != stamp {
					mark[p] = stamp
					stack = append(stack, p)
				}
			}
		}
		if work > budget {
			exact = false
			break
		}
	}
	if exact {
		return w
	}
	for i := na - 1; i >= 0; i-- {
		a := m.topo[i]
		x := 0.0
		for _, s := range m.Successors(a) {
			x = max(x, w[s])
		}
		w[a] = own[a] + x
	}
	return w
}
