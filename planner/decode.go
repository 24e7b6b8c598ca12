package planner

import (
	"fmt"
	"slices"
)

// A Decoder turns activity lists into schedules with the serial schedule
// generation scheme (SSGS): it takes the activities in list order and
// starts each at the earliest time at which its predecessors have finished
// and every team it needs has room for the whole of its duration. Work
// under way (pinned) starts at 0 first, whatever the capacity.
//
// A Decoder owns scratch buffers that it reuses, so decoding allocates
// nothing once the buffers have grown. It is not safe for concurrent use:
// give each goroutine its own (Model.NewDecoder). The results read through
// Start, Finish, Makespan, ServiceETA and Cost are those of the last call.
//
// Time is kept internally in units of the greatest common divisor of the
// durations. Team usage is a time-indexed profile in those units when the
// durations are short in units (with a block index to skip saturated
// stretches), else a breakpoint (skyline) profile per team; both give the
// same schedule.
type Decoder struct {
	m    *Model
	n    int
	sd   []int // durations in units
	unit int   // minutes per unit
	mode profileMode

	start, finish []int // in units
	stamp         []uint32
	cur           uint32
	makespan      int // units
	eta           []int
	cost          float64

	// time-indexed profile
	prof [][]int32
	bmin [][]int32 // per 64-unit block: min usage, or -1 when unknown
	hw   []int     // per team: slots written since the last reset
	skip bool
	// skyline profile
	skyT [][]int
	skyU [][]int32

	keys     []uint64
	list     []int
	rev, fwd []int // FBI scratch

	forceMode profileMode // for tests
	custom    bool        // the last durations were the caller's
	overflow  bool        // the grid outgrew gridMaxCells in this pass
	modelSky  bool        // the grid overflowed on the model's durations
}

type profileMode uint8

const (
	modeAuto profileMode = iota
	modeGrid
	modeSkyline
)

// gridMaxCells bounds the time-indexed profile (cells over all teams);
// beyond it the decoder falls back to the skyline.
const gridMaxCells = 1 << 25

// NewDecoder returns a decoder for the model with its own buffers.
func (m *Model) NewDecoder() *Decoder {
	na := len(m.acts)
	nt := len(m.caps)
	d := &Decoder{
		m: m, n: na,
		sd: make([]int, na), start: make([]int, na), finish: make([]int, na),
		stamp: make([]uint32, na), eta: make([]int, len(m.svcIDs)),
		prof: make([][]int32, nt), bmin: make([][]int32, nt), hw: make([]int, nt),
		skyT: make([][]int, nt), skyU: make([][]int32, nt),
		keys: make([]uint64, na), list: make([]int, na), rev: make([]int, na), fwd: make([]int, na),
	}
	d.setDurations(nil)
	return d
}

// setDurations picks the unit and the profile for the durations (minutes
// by activity; nil: the model's).
func (d *Decoder) setDurations(minutes []int) {
	if minutes == nil && !d.custom && d.unit != 0 {
		return
	}
	d.custom = minutes != nil
	if minutes == nil {
		minutes = d.m.dur
	}
	g, sum, nz := 0, 0, 0
	for _, x := range minutes {
		if x > 0 {
			g = gcd(g, x)
			sum += x
			nz++
		}
	}
	if g == 0 {
		g = 1
	}
	d.unit = g
	for a, x := range minutes {
		d.sd[a] = x / g
	}
	horizon := sum / g
	d.mode = modeSkyline
	if nz == 0 || horizon/nz <= 48 {
		d.mode = modeGrid
	}
	if d.forceMode != modeAuto {
		d.mode = d.forceMode
	} else if !d.custom && d.modelSky {
		d.mode = modeSkyline
	}
	d.skip = horizon > 4096
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// Decode schedules the activities in order, which must hold every activity
// once with each after its predecessors (Model.Order gives one). minutes
// are the durations by activity (nil: the model's); a forecast passes
// sampled ones. The caller keeps ownership of both slices.
func (d *Decoder) Decode(order []int, minutes []int) error {
	if len(order) != d.n {
		return fmt.Errorf("planner: the activity list has %d entries, the model %d activities", len(order), d.n)
	}
	if minutes != nil {
		if len(minutes) != d.n {
			return fmt.Errorf("planner: %d durations given for %d activities", len(minutes), d.n)
		}
		for a, x := range minutes {
			if x < 0 {
				return fmt.Errorf("planner: activity %d has negative duration %d", a, x)
			}
			if x > maxTotalMinutes {
				return fmt.Errorf("planner: activity %d has duration %d minutes, more than the planner handles", a, x)
			}
		}
	}
	d.setDurations(minutes)
	if err := d.forward(order, true); err != nil {
		return err
	}
	d.evaluate()
	return nil
}

// Start returns when activity a starts, in minutes from the plan's start.
func (d *Decoder) Start(a int) int { return d.start[a] * d.unit }

// Finish returns when activity a ends, in minutes.
func (d *Decoder) Finish(a int) int { return d.finish[a] * d.unit }

// Makespan returns when the last activity ends, in minutes.
func (d *Decoder) Makespan() int { return d.makespan * d.unit }

// ServiceETA returns when service i (index in Model.Services) is back, in
// minutes: when the last system it requires is restored.
func (d *Decoder) ServiceETA(i int) int { return d.eta[i] }

// Cost returns the total downtime cost of the last schedule.
func (d *Decoder) Cost() float64 { return d.cost }

func (d *Decoder) evaluate() {
	m := d.m
	ms := 0
	for a := range d.n {
		ms = max(ms, d.finish[a])
	}
	d.makespan = ms
	cost := 0.0
	for s := range m.svcIDs {
		t := 0
		for _, a := range m.svcAct[m.svcStart[s]:m.svcStart[s+1]] {
			t = max(t, d.finish[a])
		}
		d.eta[s] = t * d.unit
		cost += m.svcW[s] * float64(t*d.unit)
	}
	d.cost = cost
}

func (d *Decoder) nextStamp() {
	d.cur++
	if d.cur == 0 {
		clear(d.stamp)
		d.cur = 1
	}
}

// forward runs one SSGS pass over order. With check, it reports an order
// that is not a precedence-feasible permutation.
func (d *Decoder) forward(order []int, check bool) error {
	for {
		err := d.forwardOnce(order, check)
		if !d.overflow {
			return err
		}
		d.toSkyline()
	}
}

// toSkyline switches to the skyline profile after the grid outgrew its
// bound; the pass is then run again.
func (d *Decoder) toSkyline() {
	d.overflow = false
	d.mode = modeSkyline
	if !d.custom {
		d.modelSky = true
	}
	for r := range d.prof {
		d.prof[r], d.bmin[r], d.hw[r] = nil, nil, 0
	}
}

func (d *Decoder) forwardOnce(order []int, check bool) error {
	m := d.m
	d.reset()
	d.nextStamp()
	for a := range d.n {
		if m.pinned[a] {
			d.start[a], d.finish[a] = 0, d.sd[a]
			d.stamp[a] = d.cur
			d.add(a, 0, d.sd[a])
		}
	}
	if d.overflow {
		return nil
	}
	for _, a := range order {
		if check && (a < 0 || a >= d.n) {
			return fmt.Errorf("planner: activity %d in the list is out of range", a)
		}
		if m.pinned[a] {
			continue
		}
		if check && d.stamp[a] == d.cur {
			return fmt.Errorf("planner: activity %d is twice in the list", a)
		}
		es := 0
		for _, p := range m.pred[m.predStart[a]:m.predStart[a+1]] {
			if check && d.stamp[p] != d.cur {
				return fmt.Errorf("planner: activity %d comes before its predecessor %d in the list", a, p)
			}
			es = max(es, d.finish[p])
		}
		d.place(a, es)
		d.stamp[a] = d.cur
		if d.overflow {
			return nil
		}
	}
	return nil
}

// backward runs one SSGS pass over order on the reversed network
// (successors first): times are then counted back from the end.
func (d *Decoder) backward(order []int) {
	for {
		d.backwardOnce(order)
		if !d.overflow {
			return
		}
		d.toSkyline()
	}
}

func (d *Decoder) backwardOnce(order []int) {
	m := d.m
	d.reset()
	for _, a := range order {
		es := 0
		for _, s := range m.succ[m.succStart[a]:m.succStart[a+1]] {
			es = max(es, d.finish[s])
		}
		if m.pinned[a] {
			// Work under way may hold more than a team's capacity.
			d.start[a], d.finish[a] = es, es+d.sd[a]
			d.add(a, es, d.sd[a])
		} else {
			d.place(a, es)
		}
		if d.overflow {
			return
		}
	}
}

// place starts activity a at the earliest time from es at which all its
// teams have room, and books them.
func (d *Decoder) place(a, es int) {
	m := d.m
	dur := d.sd[a]
	t := es
	if dur > 0 {
		lo, hi := m.reqStart[a], m.reqStart[a+1]
		for moved := hi > lo; moved; {
			moved = false
			for k := lo; k < hi; k++ {
				r := m.reqTeam[k]
				lim := m.caps[r] - m.reqAmt[k]
				var t2 int
				if d.mode == modeGrid {
					t2 = d.gridFit(r, lim, t, dur)
				} else {
					t2 = d.skyFit(r, lim, t, dur)
				}
				if t2 != t {
					t = t2
					moved = hi-lo > 1
				}
			}
		}
	}
	d.start[a], d.finish[a] = t, t+dur
	d.add(a, t, dur)
}

func (d *Decoder) reset() {
	if d.mode == modeGrid {
		for r := range d.prof {
			if h := d.hw[r]; h > 0 {
				clear(d.prof[r][:h])
				b := d.bmin[r]
				clear(b[:min(len(b), (h+63)>>6)])
				d.hw[r] = 0
			}
		}
		return
	}
	for r := range d.skyT {
		if d.skyT[r] == nil {
			d.skyT[r] = make([]int, 1, 16)
			d.skyU[r] = make([]int32, 1, 16)
		}
		d.skyT[r] = d.skyT[r][:1]
		d.skyU[r] = d.skyU[r][:1]
		d.skyT[r][0], d.skyU[r][0] = 0, 0
	}
}

func (d *Decoder) add(a, t, dur int) {
	if dur == 0 {
		return
	}
	m := d.m
	for k := m.reqStart[a]; k < m.reqStart[a+1]; k++ {
		if d.mode == modeGrid {
			if !d.gridAdd(int(m.reqTeam[k]), m.reqAmt[k], t, dur) {
				d.overflow = true
				return
			}
		} else {
			d.skyAdd(int(m.reqTeam[k]), m.reqAmt[k], t, dur)
		}
	}
}

// gridFit returns the earliest t' >= t at which team r's usage stays at or
// below lim for dur units.
func (d *Decoder) gridFit(r int32, lim int32, t, dur int) int {
	u := d.prof[r]
	bm := d.bmin[r]
	end := t + dur
	for s := t; s < end; {
		if s >= len(u) {
			return t
		}
		if u[s] <= lim {
			s++
			continue
		}
		t = s + 1
		if d.skip {
			for {
				b := t >> 6
				if b >= len(bm) {
					break
				}
				v := bm[b]
				if v < 0 {
					v = minBlock(u, b)
					bm[b] = v
				}
				if v <= lim {
					break
				}
				t = (b + 1) << 6
			}
		}
		s, end = t, t+dur
	}
	return t
}

func minBlock(u []int32, b int) int32 {
	blk := u[b<<6 : (b+1)<<6]
	v := blk[0]
	for _, x := range blk[1:] {
		v = min(v, x)
	}
	return v
}

// gridAdd books q units of team r over [t, t+dur). It reports false when
// the profile would outgrow its bound.
func (d *Decoder) gridAdd(r int, q int32, t, dur int) bool {
	end := t + dur
	u := d.prof[r]
	if end > len(u) {
		n := max(2*len(u), (end+63)&^63, 256)
		cells := n - len(u)
		for _, p := range d.prof {
			cells += len(p)
		}
		if cells > gridMaxCells {
			return false
		}
		nu := make([]int32, n)
		copy(nu, u[:d.hw[r]])
		d.prof[r], u = nu, nu
		nb := make([]int32, n>>6)
		if d.hw[r] > 0 {
			copy(nb, d.bmin[r][:(d.hw[r]+63)>>6])
		}
		d.bmin[r] = nb
	}
	seg := u[t:end]
	for i := range seg {
		seg[i] += q
	}
	d.hw[r] = max(d.hw[r], end)
	if d.skip {
		bm := d.bmin[r]
		b0, b1 := t>>6, (end-1)>>6
		for b := b0; b <= b1; b++ {
			if bm[b] >= 0 && b<<6 >= t && (b+1)<<6 <= end {
				bm[b] += q
			} else {
				bm[b] = -1
			}
		}
	}
	return true
}

// skySeg returns the index of the segment of team r that contains time t.
func skySeg(T []int, t int) int {
	lo, hi := 0, len(T)
	for hi-lo > 1 {
		mid := int(uint(lo+hi) >> 1)
		if T[mid] <= t {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

func (d *Decoder) skyFit(r int32, lim int32, t, dur int) int {
	T, U := d.skyT[r], d.skyU[r]
	i := skySeg(T, t)
	for {
		j := i
		for j < len(T) && (j == i || T[j] < t+dur) {
			if U[j] > lim {
				break
			}
			j++
		}
		if j == len(T) || (j > i && T[j] >= t+dur) {
			return t
		}
		// segment j is too full: try from its end
		t = T[j+1]
		i = j + 1
	}
}

// skyAdd books q units of team r over [t, t+dur).
func (d *Decoder) skyAdd(r int, q int32, t, dur int) {
	end := t + dur
	i := d.skySplit(r, t)
	j := d.skySplit(r, end)
	U := d.skyU[r]
	for k := i; k < j; k++ {
		U[k] += q
	}
}

// skySplit makes sure a breakpoint sits at time t and returns its index.
func (d *Decoder) skySplit(r, t int) int {
	T, U := d.skyT[r], d.skyU[r]
	i := skySeg(T, t)
	if T[i] == t {
		return i
	}
	T = slices.Insert(T, i+1, t)
	U = slices.Insert(U, i+1, U[i])
	d.skyT[r], d.skyU[r] = T, U
	return i + 1
}
