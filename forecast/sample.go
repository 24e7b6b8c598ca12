package forecast

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/phasegate/phasegate/estate"
)

// Distribution is how a three-point estimate {min, likely, max} is turned
// into a distribution of durations.
type Distribution string

const (
	// PERT is the Beta distribution on [min, max] with shapes
	// 1 + 4(likely−min)/(max−min) and 1 + 4(max−likely)/(max−min): its
	// mean is (min + 4·likely + max)/6. The default: see docs/forecast.md.
	PERT Distribution = "pert"
	// Triangular is the triangle on [min, max] peaking at likely: its mean
	// is (min + likely + max)/3, with more weight in the tails than PERT.
	Triangular Distribution = "triangular"
)

// Distributions lists the valid distributions, the default first.
var Distributions = []Distribution{PERT, Triangular}

// pertShapes returns the Beta shapes of the PERT distribution of
// {a, m, b}, a < b.
func pertShapes(a, m, b float64) (alpha, beta float64) {
	w := b - a
	return 1 + 4*(m-a)/w, 1 + 4*(b-m)/w
}

// gammaConst holds the constants of the Marsaglia–Tsang method for one
// shape k ≥ 1: d = k − 1/3 and c = 1/√(9d).
type gammaConst struct{ d, c float64 }

func newGammaConst(k float64) gammaConst {
	d := k - 1.0/3
	return gammaConst{d: d, c: 1 / math.Sqrt(9*d)}
}

// gamma draws a Gamma(k, 1) variate for k ≥ 1 by Marsaglia and Tsang's
// squeeze-and-reject method ("A simple method for generating gamma
// variables", 2000): v = (1 + c·x)³ for a standard normal x is accepted
// with the log test, after a cheap squeeze that accepts almost all.
func gamma(r *rand.Rand, g gammaConst) float64 {
	for {
		x := r.NormFloat64()
		v := 1 + g.c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := r.Float64()
		x2 := x * x
		if u < 1-0.0331*x2*x2 {
			return g.d * v
		}
		if u > 0 && math.Log(u) < 0.5*x2+g.d*(1-v+math.Log(v)) {
			return g.d * v
		}
	}
}

// gammaAny draws Gamma(k, 1) for any k > 0: below 1 it boosts the shape
// by one and scales by U^(1/k).
func gammaAny(r *rand.Rand, k float64) float64 {
	if k >= 1 {
		return gamma(r, newGammaConst(k))
	}
	g := gamma(r, newGammaConst(k+1))
	u := r.Float64()
	for u == 0 {
		u = r.Float64()
	}
	return g * math.Pow(u, 1/k)
}

// regIncBeta is the regularised incomplete beta function I_x(a, b), the
// CDF of Beta(a, b) at x, by its continued fraction (DLMF 8.17.22)
// evaluated with the modified Lentz method, using the symmetry
// I_x(a, b) = 1 − I_{1−x}(b, a) where the fraction converges slowly.
func regIncBeta(x, a, b float64) float64 {
	switch {
	case x <= 0:
		return 0
	case x >= 1:
		return 1
	}
	if x > (a+1)/(a+b+2) {
		return 1 - regIncBeta(1-x, b, a)
	}
	la, _ := math.Lgamma(a)
	lb, _ := math.Lgamma(b)
	lab, _ := math.Lgamma(a + b)
	front := math.Exp(lab - la - lb + a*math.Log(x) + b*math.Log1p(-x))
	return front * betaFraction(x, a, b) / a
}

// betaFraction evaluates 1/(1+ d1/(1+ d2/(1+ …))) with
// d(2m+1) = −(a+m)(a+b+m)x / ((a+2m)(a+2m+1)) and
// d(2m) = m(b−m)x / ((a+2m−1)(a+2m)).
func betaFraction(x, a, b float64) float64 {
	const tiny = 1e-300
	f, c, d := tiny, tiny, 0.0
	for j := 1; j <= 10000; j++ {
		num := 1.0 // a1
		if j > 1 {
			k := j - 1 // the index of d(k)
			m := float64(k / 2)
			if k%2 == 1 {
				num = -(a + m) * (a + b + m) * x / ((a + 2*m) * (a + 2*m + 1))
			} else {
				num = m * (b - m) * x / ((a + 2*m - 1) * (a + 2*m))
			}
		}
		d = 1 + num*d
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = 1 + num/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		delta := c * d
		f *= delta
		if math.Abs(delta-1) < 1e-15 {
			break
		}
	}
	return f
}

// sampler draws the duration in minutes of one activity: fixed when the
// estimate has no spread, else from the distribution, and for work under
// way the remaining part of a duration drawn given the time elapsed.
type sampler struct {
	mode    samplerMode
	minutes int     // samplerFixed: the duration
	a, w    float64 // min and max − min, in minutes
	g1, g2  gammaConst
	fc      float64 // triangular: (likely − min)/(max − min)
	// samplerRemaining: quantiles of the whole duration, in minutes, at
	// evenly spaced probabilities over [F(elapsed), 1]
	table   []float64
	elapsed int // whole minutes elapsed
}

type samplerMode uint8

const (
	samplerFixed samplerMode = iota
	samplerPERT
	samplerTriangular
	samplerRemaining
)

// remainingTable is how many intervals the quantile table of work under
// way has: linear interpolation between 257 quantiles keeps the sampled
// remaining time within a fraction of a percent of the exact inverse.
const remainingTable = 256

// minutesOf converts a duration to (fractional) minutes.
func minutesOf(d time.Duration) float64 { return float64(d) / float64(time.Minute) }

// ceilMinutes rounds sampled minutes up, as planner.Minutes rounds
// durations, so a sample never falls below the rounded minimum.
func ceilMinutes(x float64) int {
	if x <= 0 {
		return 0
	}
	return int(math.Ceil(x))
}

// newSampler builds the sampler of an estimate. det is the planner's
// deterministic duration for the activity, used as is when the estimate
// has no spread so that a single-point estate forecasts exactly the plan.
// elapsed is the time the work has been under way (pinned work only).
func newSampler(est estate.Estimate, dist Distribution, det int, pinned bool, elapsed time.Duration) (sampler, error) {
	if est.Fixed() {
		return sampler{mode: samplerFixed, minutes: det}, nil
	}
	a, m, b := minutesOf(est.Min), minutesOf(est.Likely), minutesOf(est.Max)
	if !(a <= m && m <= b) || a < 0 {
		return sampler{}, fmt.Errorf("forecast: the estimate {min %v, likely %v, max %v} is not ordered min ≤ likely ≤ max", est.Min, est.Likely, est.Max)
	}
	s := sampler{a: a, w: b - a}
	switch dist {
	case PERT:
		al, be := pertShapes(a, m, b)
		s.mode, s.g1, s.g2 = samplerPERT, newGammaConst(al), newGammaConst(be)
	case Triangular:
		s.mode, s.fc = samplerTriangular, (m-a)/(b-a)
	default:
		return sampler{}, fmt.Errorf("forecast: unknown distribution %q; use %q or %q", dist, PERT, Triangular)
	}
	if !pinned {
		return s, nil
	}
	// Work under way: the whole duration D is drawn given D > elapsed by
	// inverting the CDF over [F(elapsed), 1]; the remaining time is what
	// is left of D. Work that has run past its maximum keeps a minute, as
	// in the deterministic plan (the forecast flags it).
	e := minutesOf(elapsed)
	s.elapsed = int(elapsed / time.Minute)
	if e >= b {
		return sampler{mode: samplerFixed, minutes: 1}, nil
	}
	p0 := 0.0 // below the minimum, the elapsed time rules nothing out
	if e > a {
		p0 = cdf(dist, a, m, b, e)
	}
	s.table = make([]float64, remainingTable+1)
	for i := range s.table {
		p := p0 + (1-p0)*float64(i)/remainingTable
		s.table[i] = quantile(dist, a, m, b, p)
	}
	s.mode = samplerRemaining
	return s, nil
}

// draw returns one sampled duration in whole minutes.
func (s *sampler) draw(r *rand.Rand) int {
	switch s.mode {
	case samplerPERT, samplerTriangular:
		return ceilMinutes(s.value(r))
	case samplerRemaining:
		u := r.Float64() * remainingTable
		i := int(u)
		if i >= remainingTable {
			i = remainingTable - 1
		}
		v := s.table[i] + (s.table[i+1]-s.table[i])*(u-float64(i))
		return max(1, ceilMinutes(v)-s.elapsed)
	}
	return s.minutes
}

// value draws a duration in fractional minutes from the distribution
// (PERT and triangular samplers).
func (s *sampler) value(r *rand.Rand) float64 {
	if s.mode == samplerTriangular {
		return s.a + s.w*triangularUnit(r.Float64(), s.fc)
	}
	x := gamma(r, s.g1)
	y := gamma(r, s.g2)
	return s.a + s.w*x/(x+y)
}

// triangularUnit inverts the CDF of the triangle on [0, 1] with its peak
// at c.
func triangularUnit(u, c float64) float64 {
	if u < c {
		return math.Sqrt(u * c)
	}
	return 1 - math.Sqrt((1-u)*(1-c))
}

// cdf is the distribution's CDF at x for the estimate {a, m, b}, a < b.
func cdf(dist Distribution, a, m, b, x float64) float64 {
	if x <= a {
		return 0
	}
	if x >= b {
		return 1
	}
	t := (x - a) / (b - a)
	if dist == Triangular {
		c := (m - a) / (b - a)
		if t <= c {
			return t * t / c
		}
		return 1 - (1-t)*(1-t)/(1-c)
	}
	al, be := pertShapes(a, m, b)
	return regIncBeta(t, al, be)
}

// quantile inverts cdf: the x in [a, b] with cdf(x) = p.
func quantile(dist Distribution, a, m, b, p float64) float64 {
	if p <= 0 {
		return a
	}
	if p >= 1 {
		return b
	}
	if dist == Triangular {
		return a + (b-a)*triangularUnit(p, (m-a)/(b-a))
	}
	lo, hi := a, b
	for range 100 {
		mid := lo + (hi-lo)/2
		if mid <= lo || mid >= hi {
			break
		}
		if cdf(dist, a, m, b, mid) < p {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo + (hi-lo)/2
}
