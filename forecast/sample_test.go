package forecast

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/phasegate/phasegate/estate"
)

func binom(n, k int) float64 {
	r := 1.0
	for i := 1; i <= k; i++ {
		r = r * float64(n-k+i) / float64(i)
	}
	return r
}

// TestRegIncBeta checks the regularised incomplete beta function against
// closed forms: I_x(a,1) = x^a, I_x(1,b) = 1−(1−x)^b, I_½(a,a) = ½, and for
// whole a, b the binomial tail P(Bin(a+b−1, x) ≥ a).
func TestRegIncBeta(t *testing.T) {
	near := func(got, want float64) bool { return math.Abs(got-want) <= 1e-12 }
	for _, x := range []float64{0.001, 0.05, 0.2, 0.37, 0.5, 0.66, 0.9, 0.999} {
		for _, a := range []float64{1, 1.5, 2.7, 5} {
			if got, want := regIncBeta(x, a, 1), math.Pow(x, a); !near(got, want) {
				t.Errorf("I_%v(%v, 1) = %v, want %v", x, a, got, want)
			}
			if got, want := regIncBeta(x, 1, a), 1-math.Pow(1-x, a); !near(got, want) {
				t.Errorf("I_%v(1, %v) = %v, want %v", x, a, got, want)
			}
			if got := regIncBeta(0.5, a, a); !near(got, 0.5) {
				t.Errorf("I_½(%v, %v) = %v, want ½", a, a, got)
			}
		}
		for a := 1; a <= 5; a++ {
			for b := 1; b <= 5; b++ {
				n, want := a+b-1, 0.0
				for j := a; j <= n; j++ {
					want += binom(n, j) * math.Pow(x, float64(j)) * math.Pow(1-x, float64(n-j))
				}
				if got := regIncBeta(x, float64(a), float64(b)); !near(got, want) {
					t.Errorf("I_%v(%d, %d) = %v, want %v", x, a, b, got, want)
				}
			}
		}
	}
	if regIncBeta(0, 2, 3) != 0 || regIncBeta(1, 2, 3) != 1 || regIncBeta(-1, 2, 3) != 0 || regIncBeta(2, 2, 3) != 1 {
		t.Error("I_x outside (0, 1) is not clamped to 0 and 1")
	}
}

func TestQuantileInvertsCDF(t *testing.T) {
	for _, d := range Distributions {
		for _, est := range [][3]float64{{0, 1, 2}, {10, 10, 50}, {10, 50, 50}, {60, 90, 600}} {
			a, m, b := est[0], est[1], est[2]
			for _, p := range []float64{0.01, 0.2, 0.5, 0.8, 0.99} {
				q := quantile(d, a, m, b, p)
				if got := cdf(d, a, m, b, q); math.Abs(got-p) > 1e-9 {
					t.Errorf("%s %v: cdf(quantile(%v)) = %v", d, est, p, got)
				}
			}
		}
	}
}

// TestGammaMoments checks the Gamma sampler's mean and variance (both k)
// with a tolerance of five standard errors, under a fixed seed.
func TestGammaMoments(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const n = 100_000
	for _, k := range []float64{0.5, 1, 2.5, 5} {
		sum, sum2 := 0.0, 0.0
		for range n {
			x := gammaAny(r, k)
			sum += x
			sum2 += x * x
		}
		mean := sum / n
		v := sum2/n - mean*mean
		// var of the sample mean is k/n; of the sample variance about
		// (μ4 − k²)/n with μ4 = 3k² + 6k for Gamma(k).
		if tol := 5 * math.Sqrt(k/n); math.Abs(mean-k) > tol {
			t.Errorf("Gamma(%v): mean %v, want %v ± %v", k, mean, k, tol)
		}
		if tol := 5 * math.Sqrt((2*k*k+6*k)/n); math.Abs(v-k) > tol {
			t.Errorf("Gamma(%v): variance %v, want %v ± %v", k, v, k, tol)
		}
	}
}

// TestSamplerMatchesDistribution draws many durations and checks their
// mean against the distribution's formula — PERT (a+4m+b)/6, triangular
// (a+m+b)/3 — and their quantiles against the CDF (the regularised
// incomplete beta function for PERT): the share of draws below the
// p-quantile must be p within five binomial standard errors, and the
// Kolmogorov–Smirnov distance within its 0.1% critical value. The seed is
// fixed, so the test is deterministic.
func TestSamplerMatchesDistribution(t *testing.T) {
	const n = 100_000
	h := float64(time.Hour) / float64(time.Minute)
	for _, d := range Distributions {
		for _, est := range []estate.Estimate{
			{Min: 8 * time.Hour, Likely: 12 * time.Hour, Max: 16 * time.Hour},
			{Min: 24 * time.Hour, Likely: 36 * time.Hour, Max: 96 * time.Hour},
			{Min: 2 * time.Hour, Likely: 2 * time.Hour, Max: 10 * time.Hour},
			{Min: 2 * time.Hour, Likely: 10 * time.Hour, Max: 10 * time.Hour},
		} {
			s, err := newSampler(est, d, 0, false, 0)
			if err != nil {
				t.Fatal(err)
			}
			a, m, b := minutesOf(est.Min), minutesOf(est.Likely), minutesOf(est.Max)
			r := rand.New(rand.NewPCG(42, uint64(a+b)))
			xs := make([]float64, n)
			sum := 0.0
			for i := range xs {
				xs[i] = s.value(r)
				sum += xs[i]
				if xs[i] < a || xs[i] > b {
					t.Fatalf("%s %v: draw %v outside [%v, %v]", d, est, xs[i], a, b)
				}
			}
			mean := sum / n
			var want, variance float64
			switch d {
			case PERT:
				want = (a + 4*m + b) / 6
				al, be := pertShapes(a, m, b)
				variance = al * be / ((al + be) * (al + be) * (al + be + 1)) * (b - a) * (b - a)
			case Triangular:
				want = (a + m + b) / 3
				variance = (a*a + m*m + b*b - a*m - a*b - m*b) / 18
			}
			if tol := 5 * math.Sqrt(variance/n); math.Abs(mean-want) > tol {
				t.Errorf("%s %v: mean %.2fh, want %.2fh ± %.3fh", d, est, mean/h, want/h, tol/h)
			}
			slices.Sort(xs)
			for _, p := range []float64{0.05, 0.1, 0.25, 0.5, 0.75, 0.8, 0.9, 0.95} {
				q := quantile(d, a, m, b, p)
				got := float64(countBelow(xs, q)) / n
				if tol := 5 * math.Sqrt(p*(1-p)/n); math.Abs(got-p) > tol {
					t.Errorf("%s %v: %.4f of draws below the %v-quantile %.2fh, want %v ± %.4f", d, est, got, p, q/h, p, tol)
				}
			}
			ks := 0.0
			for i, x := range xs {
				f := cdf(d, a, m, b, x)
				ks = max(ks, math.Abs(float64(i+1)/n-f), math.Abs(float64(i)/n-f))
			}
			if crit := 1.95 / math.Sqrt(n); ks > crit {
				t.Errorf("%s %v: Kolmogorov–Smirnov distance %.5f above %.5f", d, est, ks, crit)
			}
		}
	}
}

func countBelow(sorted []float64, q float64) int {
	i, _ := slices.BinarySearch(sorted, q)
	return i
}

// TestSampledMinutes checks the rounding: whole minutes within the rounded
// bounds, a fixed estimate exactly the planner's duration.
func TestSampledMinutes(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	est := estate.Estimate{Min: 90*time.Minute + 30*time.Second, Likely: 2 * time.Hour, Max: 5 * time.Hour}
	s, err := newSampler(est, PERT, 120, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	for range 10000 {
		if v := s.draw(r); v < 91 || v > 300 {
			t.Fatalf("draw %d minutes outside [91, 300]", v)
		}
	}
	f, err := newSampler(estate.Point(3*time.Hour), PERT, 180, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	if v := f.draw(r); v != 180 {
		t.Errorf("fixed estimate drew %d, want 180", v)
	}
	if _, err := newSampler(estate.Estimate{Min: 3 * time.Hour, Likely: time.Hour, Max: 4 * time.Hour}, PERT, 60, false, 0); err == nil {
		t.Error("an unordered estimate was accepted")
	}
}
