package psplib

import (
	"fmt"
	"math/rand/v2"
)

// GenConfig sets the ProGen-style parameters of a generated instance.
type GenConfig struct {
	Jobs      int     // non-dummy jobs, e.g. 120
	Resources int     // renewable resources, e.g. 4
	NC        float64 // network complexity: arcs per job (dummies included), e.g. 1.5–2.1
	RF        float64 // resource factor: share of the resources a job uses, 0–1
	RS        float64 // resource strength: 0 tight (max single demand) – 1 loose (peak of the early-start schedule)
	MaxDur    int     // durations uniform in 1..MaxDur (default 10)
	MaxDemand int     // demands uniform in 1..MaxDemand (default 10)
}

// Generate builds a random instance in the spirit of ProGen (Kolisch,
// Sprecher and Drexl 1995): a few start and finish jobs, every job reached
// from the source, non-redundant arcs added until the network complexity is
// met, each job using about RF of the resources, and capacities set from
// the resource strength between the largest single demand and the peak
// demand of the earliest-start schedule.
func Generate(cfg GenConfig, seed uint64) *Instance {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	n := max(cfg.Jobs, 1)
	K := max(cfg.Resources, 1)
	maxDur := cfg.MaxDur
	if maxDur <= 0 {
		maxDur = 10
	}
	maxDem := cfg.MaxDemand
	if maxDem <= 0 {
		maxDem = 10
	}
	N := n + 2
	in := &Instance{
		Name:       fmt.Sprintf("gen%d_nc%.1f_rf%.2f_rs%.2f_%d", n, cfg.NC, cfg.RF, cfg.RS, seed),
		Durations:  make([]int, N),
		Demands:    make([][]int, N),
		Successors: make([][]int, N),
		Capacities: make([]int, K),
	}
	// Reachability (j reaches k) keeps the added arcs non-redundant.
	words := (N + 63) / 64
	reach := make([]uint64, N*words)
	reaches := func(j, k int) bool { return reach[j*words+k/64]&(1<<(k%64)) != 0 }
	preds := make([][]int, N)
	arcs := 0
	addArc := func(j, k int) {
		in.Successors[j] = append(in.Successors[j], k)
		preds[k] = append(preds[k], j)
		arcs++
		// Every job reaching j (and j) now reaches k and what k reaches.
		for i := 0; i <= j; i++ {
			if i == j || reaches(i, j) {
				reach[i*words+k/64] |= 1 << (k % 64)
				for w := range words {
					reach[i*words+w] |= reach[k*words+w]
				}
			}
		}
	}
	starts := min(n, 3)
	for j := 1; j <= starts; j++ {
		addArc(0, j)
	}
	// Each later job hangs from one earlier job, favouring recent ones so
	// that the network is deep rather than flat.
	for j := starts + 1; j <= n; j++ {
		lo := max(1, j-max(6, n/5))
		addArc(lo+rng.IntN(j-lo), j)
	}
	// Extra non-redundant arcs until arcs/N reaches NC (the sink arcs are
	// counted at the end).
	target := int(cfg.NC*float64(N)) - 3
	for tries := 0; arcs < target && tries < 50*N; tries++ {
		j := 1 + rng.IntN(n)
		k := 1 + rng.IntN(n)
		if j > k {
			j, k = k, j
		}
		if j == k || reaches(j, k) || len(in.Successors[j]) >= 3 {
			continue
		}
		addArc(j, k)
	}
	for j := 1; j <= n; j++ {
		if len(in.Successors[j]) == 0 {
			in.Successors[j] = append(in.Successors[j], N-1)
			preds[N-1] = append(preds[N-1], j)
			arcs++
		}
	}
	for j := range N {
		sortInts(in.Successors[j])
		in.Demands[j] = make([]int, K)
		if j == 0 || j == N-1 {
			continue
		}
		in.Durations[j] = 1 + rng.IntN(maxDur)
		used := 0
		for k := range K {
			if rng.Float64() < cfg.RF {
				in.Demands[j][k] = 1 + rng.IntN(maxDem)
				used++
			}
		}
		if used == 0 && cfg.RF > 0 {
			in.Demands[j][rng.IntN(K)] = 1 + rng.IntN(maxDem)
		}
	}
	// Earliest-start schedule: its peak per resource bounds the capacity
	// from above; the largest single demand from below.
	es := make([]int, N)
	horizon := 0
	for j := range N {
		for _, p := range preds[j] {
			es[j] = max(es[j], es[p]+in.Durations[p])
		}
		horizon += in.Durations[j]
	}
	cp := es[N-1]
	in.Horizon, in.MPMTime = horizon, cp
	for k := range K {
		kmin, usage := 0, make([]int, cp+1)
		for j := range N {
			kmin = max(kmin, in.Demands[j][k])
			for t := es[j]; t < es[j]+in.Durations[j]; t++ {
				usage[t] += in.Demands[j][k]
			}
		}
		kmax := 0
		for _, u := range usage {
			kmax = max(kmax, u)
		}
		in.Capacities[k] = kmin + int(cfg.RS*float64(kmax-kmin)+0.5)
	}
	return in
}

func sortInts(s []int) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
