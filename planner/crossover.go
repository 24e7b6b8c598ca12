package planner

// starts copies the decoder's start times when the peak crossover needs them.
func (s *solver) starts(d *Decoder) []int32 {
	if !s.peak {
		return nil
	}
	st := make([]int32, len(d.start))
	for a, t := range d.start {
		st[a] = int32(t)
	}
	return st
}

// peakCross is the peak crossover of Valls, Ballestín and Quintanilla
// (2008): the child inherits from the mother the activities she starts in
// her busiest stretch of time (the window of the highest total resource
// utilisation), in her order; what she starts before it comes first and
// what she starts after it last, both in the father's order. The list is
// precedence-feasible: a predecessor starts no later than its successor.
func (s *solver) peakCross(mo, fa individual) []int {
	m := s.m
	n := len(mo.order)
	ms := 0
	for a, t := range mo.start {
		ms = max(ms, int(t)+s.decs[0].sd[a])
	}
	if ms <= 1 || ms > 1<<20 {
		q1, q2 := s.rng.IntN(n+1), s.rng.IntN(n+1)
		return s.cross(mo.order, fa.order, min(q1, q2), max(q1, q2))
	}
	if cap(s.util) < ms+2 {
		s.util = make([]float64, ms+2)
	}
	u := s.util[:ms+2]
	clear(u)
	for a, t := range mo.start {
		w := 0.0
		for k := m.reqStart[a]; k < m.reqStart[a+1]; k++ {
			w += float64(m.reqAmt[k]) / float64(m.caps[m.reqTeam[k]])
		}
		d := s.decs[0].sd[a]
		if w == 0 || d == 0 {
			continue
		}
		u[t] += w
		u[int(t)+d] -= w
	}
	// u becomes the integral of the utilisation up to each time.
	run, acc := 0.0, 0.0
	for t := 0; t <= ms; t++ {
		run += u[t]
		u[t] = acc
		acc += run
	}
	u[ms+1] = acc
	L := max(1, int(float64(ms)*(peakWindowMin+s.rng.Float64()*(peakWindowMax-peakWindowMin))))
	t1, bestW := 0, -1.0
	for t := 0; t+L <= ms; t++ {
		if w := u[t+L] - u[t]; w > bestW+1e-9 {
			t1, bestW = t, w
		}
	}
	t2 := t1 + L
	c := make([]int, 0, n)
	for _, a := range fa.order {
		if int(mo.start[a]) < t1 {
			c = append(c, a)
		}
	}
	for _, a := range mo.order {
		if t := int(mo.start[a]); t >= t1 && t < t2 {
			c = append(c, a)
		}
	}
	for _, a := range fa.order {
		if int(mo.start[a]) >= t2 {
			c = append(c, a)
		}
	}
	return c
}
