// Package suggest finds the name a person probably meant when they
// misspelt one ("requries" → "requires"), for the "did you mean …?" part of
// error messages. Its work is bounded so that hostile input with many
// misspellings cannot make error reporting slow.
package suggest

import "strings"

// Suggester finds nearest names within a budget of edit-distance cells.
// The zero value has no budget; use New. It is not safe for concurrent use.
type Suggester struct {
	budget int // edit-distance cells still allowed
	row    []int
	prev   []int
	prev2  []int
}

// New returns a Suggester that may spend budget edit-distance cells in
// all; once spent, it stops suggesting.
func New(budget int) *Suggester { return &Suggester{budget: budget} }

// Nearest returns the candidate nearest to s with a small budget, for one
// message.
func Nearest(s string, candidates []string) string {
	return New(1_000_000).Nearest(s, candidates)
}

// Nearest returns the candidate closest to s (ignoring case), or "" when
// none is close enough to be a likely typo: at most a third of s's length
// away, and never more than three edits.
func (g *Suggester) Nearest(s string, candidates []string) string {
	if s == "" || len(s) > 128 || g.budget <= 0 {
		return ""
	}
	// Looking at a candidate costs one unit even when it is skipped.
	g.budget -= len(candidates)
	limit := min(max(len(s)/3, 1), 3)
	best, bestD := "", limit+1
	ls := strings.ToLower(s)
	for _, c := range candidates {
		if c == s || c == "" {
			continue
		}
		if strings.EqualFold(c, s) {
			return c
		}
		if abs(len(c)-len(s)) > limit {
			continue
		}
		if g.budget <= 0 {
			return best
		}
		g.budget -= (len(s) + 1) * (len(c) + 1)
		if d := g.Distance(ls, strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// Distance is the optimal string alignment distance: insertions,
// deletions, substitutions and swaps of neighbours each count one, so
// "requries" is one step from "requires".
func (g *Suggester) Distance(a, b string) int {
	n := len(b) + 1
	if cap(g.row) < n {
		g.row, g.prev, g.prev2 = make([]int, n), make([]int, n), make([]int, n)
	}
	row, prev, prev2 := g.row[:n], g.prev[:n], g.prev2[:n]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		row[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, row[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			row[j] = v
		}
		prev2, prev, row = prev, row, prev2
	}
	return prev[len(b)]
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
