package incident

import (
	"bytes"
	"crypto/rand"
	"math"
	mrand "math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestNewCodeReadsBack: every code the server issues is read back as
// itself however a person types it, and its characters are uniform over
// the alphabet (100 bits per code).
//
// The uniformity check is about the mapping from random bytes to
// characters, so it reads its bytes from a seeded ChaCha8 stream: the same
// bytes on every run, and a test that cannot fail by chance (with
// crypto/rand it failed one run in a thousand at the 99.9 % quantile, and
// once in CI). TestNewCodeFromTheSystem covers the real source.
func TestNewCodeReadsBack(t *testing.T) {
	counts := map[rune]int{}
	const n = 4000
	random := mrand.NewChaCha8([32]byte{'p', 'h', 'a', 's', 'e', 'g', 'a', 't', 'e'})
	for range n {
		code, err := newCode(random)
		if err != nil {
			t.Fatal(err)
		}
		if len(code) != 24 || strings.Count(code, "-") != 4 {
			t.Fatalf("code %q: want five groups of four", code)
		}
		norm := normalizeCode(code)
		if norm == "" || norm != strings.ReplaceAll(code, "-", "") {
			t.Fatalf("code %q reads back as %q", code, norm)
		}
		typed := strings.ReplaceAll(strings.ReplaceAll(strings.ToLower(code), "0", "o"), "1", "i")
		if hashCode(typed) != hashCode(code) {
			t.Fatalf("code %q typed as %q hashes differently", code, typed)
		}
		for _, r := range norm {
			counts[r]++
		}
	}
	// χ² over the 32 characters, 31 degrees of freedom: 99.9 % quantile
	// ≈ 61.1. A biased alphabet mapping fails this by far.
	want := float64(n*codeLength) / 32
	chi := 0.0
	for _, r := range codeAlphabet {
		d := float64(counts[r]) - want
		chi += d * d / want
	}
	if len(counts) != 32 || chi > 61.1 || math.IsNaN(chi) {
		t.Fatalf("characters not uniform: %d of 32 seen, χ² = %.1f", len(counts), chi)
	}
}

// TestNewCodeFromTheSystem: the server's own source gives well-formed,
// distinct codes.
func TestNewCodeFromTheSystem(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		code, err := newCode(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if len(code) != 24 || normalizeCode(code) != strings.ReplaceAll(code, "-", "") {
			t.Fatalf("code %q is not five groups of four that read back", code)
		}
		if seen[code] {
			t.Fatalf("code %q issued twice in 100", code)
		}
		seen[code] = true
	}
}

// TestNewCodeFailsWithoutRandomness: a failing random source is an
// error, never a weak code.
func TestNewCodeFailsWithoutRandomness(t *testing.T) {
	if code, err := newCode(bytes.NewReader(make([]byte, 5))); err == nil {
		t.Fatalf("short random source gave code %q", code)
	}
}

// FuzzNormalizeCode: whatever is typed, the reader never panics, and
// gives either nothing or 20 characters of the alphabet that read back as
// themselves.
func FuzzNormalizeCode(f *testing.F) {
	for _, s := range []string{"K7QH-2MXA-PV4R-9TZC-E3NB", "k7qh 2mxa pv4r 9tzc e3nb", "", "-----", "OOOO-IIII-LLLL-0000-1111",
		"K7QH-2MXA-PV4R-9TZC-E3N", "K7QH-2MXA-PV4R-9TZC-E3NBU", "ÄÖÜ", "\x00\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		norm := normalizeCode(s)
		if norm == "" {
			return
		}
		if len(norm) != codeLength || !utf8.ValidString(norm) {
			t.Fatalf("%q read as %q", s, norm)
		}
		for _, r := range norm {
			if !strings.ContainsRune(codeAlphabet, r) {
				t.Fatalf("%q read as %q with %q outside the alphabet", s, norm, r)
			}
		}
		if normalizeCode(norm) != norm || hashCode(s) != hashCode(norm) {
			t.Fatalf("%q: reading is not stable", s)
		}
	})
}
