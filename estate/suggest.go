package estate

import (
	"strconv"
	"strings"
)

// suggester finds the nearest name to a misspelt one. Its work is
// bounded: an estate with 100,000 broken references must not spend
// minutes on spelling hints, so once the budget is spent it stops
// suggesting.
type suggester struct {
	budget int // edit-distance cells still allowed
	row    []int
	prev   []int
	prev2  []int
}

func newSuggester() *suggester { return &suggester{budget: 10_000_000} }

// nearest returns the candidate closest to s, or "" when none is close
// enough to be a likely typo.
func (g *suggester) nearest(s string, candidates []string) string {
	if s == "" || len(s) > 128 || g.budget <= 0 {
		return ""
	}
	// Looking at a candidate costs one unit even when it is skipped.
	g.budget -= len(candidates)
	limit := len(s) / 3
	if limit < 1 {
		limit = 1
	}
	if limit > 3 {
		limit = 3
	}
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
		if d := g.distance(ls, strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// distance is the optimal string alignment distance: insertions,
// deletions, substitutions and swaps of neighbours each count one, so
// "requries" is one step from "requires".
func (g *suggester) distance(a, b string) int {
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

// didYouMean phrases a suggestion, or returns "" when there is none.
func didYouMean(s string) string {
	if s == "" {
		return ""
	}
	return "did you mean " + strconv.Quote(s) + "?"
}
