package main

import (
	"fmt"
	"strings"
	"time"
)

// progressBar draws how many forecast runs are done on stderr, when
// stderr is a terminal, at most ten times a second; elsewhere it draws
// nothing, so pipes and logs stay clean.
type progressBar struct {
	e      env
	label  string
	last   time.Time
	drawn  bool
	active bool
}

// progressEvery is the least time between two redraws.
const progressEvery = 100 * time.Millisecond

func newProgressBar(e env, label string) *progressBar {
	return &progressBar{e: e, label: label, active: e.isTerminal}
}

// report is the forecast's OnProgress callback; calls never overlap.
func (p *progressBar) report(done, total int) {
	if !p.active || total <= 0 {
		return
	}
	now := p.e.now()
	if p.drawn && done < total && now.Sub(p.last) < progressEvery {
		return
	}
	p.last, p.drawn = now, true
	const width = 30
	filled := done * width / total
	fmt.Fprintf(p.e.stderr, "\r%s: [%s%s] %s of %s runs", p.label,
		strings.Repeat("#", filled), strings.Repeat(" ", width-filled),
		groupThousands(int64(done)), groupThousands(int64(total)))
}

// done clears the bar's line.
func (p *progressBar) done() {
	if p.drawn {
		fmt.Fprint(p.e.stderr, "\r\033[K")
		p.drawn = false
	}
}
