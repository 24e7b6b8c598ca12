package estate

import (
	"strconv"

	"github.com/phasegate/phasegate/internal/suggest"
)

// newSuggester bounds the spelling hints of one parse: an estate with
// 100,000 broken references must not spend minutes on them.
func newSuggester() *suggest.Suggester { return suggest.New(10_000_000) }

// didYouMean phrases a suggestion, or returns "" when there is none.
func didYouMean(s string) string {
	if s == "" {
		return ""
	}
	return "did you mean " + strconv.Quote(s) + "?"
}
