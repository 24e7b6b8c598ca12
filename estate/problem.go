package estate

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with an estate: where it is, which field, what
// is wrong and how to fix it.
type Problem struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Field   string `json:"field"`
	Message string `json:"message"`
	Fix     string `json:"fix,omitempty"`
}

func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d", p.Line)
			if p.Column > 0 {
				fmt.Fprintf(&b, ":%d", p.Column)
			}
		}
		b.WriteString(": ")
	}
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	if p.Fix != "" {
		b.WriteString(" (")
		b.WriteString(p.Fix)
		b.WriteString(")")
	}
	return b.String()
}

// Problems is every problem found in an estate. Parse and Validate return
// it as their error so that a user sees all of them at once.
type Problems []Problem

func (ps Problems) Error() string {
	switch len(ps) {
	case 0:
		return "no problems"
	case 1:
		return ps[0].String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d problems in the estate:", len(ps))
	for _, p := range ps {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// MaxProblems bounds how many problems are listed. Beyond it nobody reads
// on, and hostile input could otherwise fill memory with them; the first
// problem then says that more were found.
const MaxProblems = 10_000

// problemKey identifies one mistake at one place. A value shared through
// YAML aliases is checked once per use but reported once.
type problemKey struct {
	file         string
	line, column int
	message, fix string
}

// collector gathers problems, dropping repeats and those past
// MaxProblems.
type collector struct {
	list    Problems
	seen    map[problemKey]bool
	count   int // every problem added, repeats and dropped ones too
	dropped int
}

// full reports whether further problems would be dropped, so that hot
// paths can skip composing their messages.
func (c *collector) full() bool { return len(c.list) >= MaxProblems }

// drop counts a problem not composed because the list is full.
func (c *collector) drop() {
	c.count++
	c.dropped++
}

func (c *collector) add(p Problem) {
	c.count++
	if len(c.list) >= MaxProblems {
		c.dropped++
		return
	}
	if p.Line > 0 {
		k := problemKey{p.File, p.Line, p.Column, p.Message, p.Fix}
		if c.seen[k] {
			return
		}
		if c.seen == nil {
			c.seen = make(map[problemKey]bool)
		}
		c.seen[k] = true
	}
	c.list = append(c.list, p)
}

// problems returns what was collected, sorted by file, line and column,
// led by a note when some were dropped. (Past the limit repeats are not
// told apart, so the note gives no count.)
func (c *collector) problems() Problems {
	ps := sortProblems(c.list)
	if c.dropped > 0 {
		note := Problem{
			Message: fmt.Sprintf("only the first %d problems are listed; there are more", len(ps)),
			Fix:     "fix these and run again",
		}
		ps = append(Problems{note}, ps...)
	}
	return ps
}
