// Package psplib reads single-mode RCPSP instances in the format of PSPLIB
// (the project scheduling problem library of Kolisch and Sprecher) and
// their optimum tables, turns an instance into an estate so that the
// planner can be measured against proven optima, and generates instances
// in the spirit of ProGen for sizes that are not on disk.
package psplib

import (
	"bufio"
	"bytes"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/phasegate/phasegate/estate"
)

// Instance is one single-mode RCPSP instance. Jobs are numbered from 0
// here (job 1 of the file is index 0); the first and last are the dummy
// source and sink.
type Instance struct {
	Name       string
	Horizon    int
	MPMTime    int // the critical-path length the file states, 0 if absent
	Capacities []int
	Durations  []int
	Demands    [][]int // by job, then resource
	Successors [][]int // by job: the jobs that wait for it
}

// Jobs returns the number of jobs, dummies included.
func (in *Instance) Jobs() int { return len(in.Durations) }

type lineReader struct {
	name  string
	lines [][]byte
	i     int // index of the next line
}

func (r *lineReader) errf(line int, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s", r.name, line, fmt.Sprintf(format, args...))
}

// next returns the next line and its 1-based number, or false at the end.
func (r *lineReader) next() (string, int, bool) {
	if r.i >= len(r.lines) {
		return "", len(r.lines), false
	}
	r.i++
	return string(bytes.TrimRight(r.lines[r.i-1], "\r")), r.i, true
}

// lastLine is the number of the file's last line.
func (r *lineReader) lastLine() int { return len(r.lines) }

// seek advances to the line that starts with prefix.
func (r *lineReader) seek(prefix string) (string, int, error) {
	for {
		l, n, ok := r.next()
		if !ok {
			if r.lastLine() == 0 {
				return "", n, fmt.Errorf("%s: the file is empty; give a PSPLIB single-mode (.sm) file", r.name)
			}
			return "", n, fmt.Errorf("%s: the file ends (after line %d) without the line %q; is this a PSPLIB single-mode (.sm) file?",
				r.name, r.lastLine(), prefix)
		}
		if strings.HasPrefix(strings.TrimSpace(l), prefix) {
			return l, n, nil
		}
	}
}

func ints(fields []string) ([]int, int) {
	out := make([]int, len(fields))
	for i, f := range fields {
		v, err := strconv.Atoi(f)
		if err != nil {
			return nil, i
		}
		out[i] = v
	}
	return out, -1
}

// valueAfterColon reads the first integer after the colon of a header line.
func (r *lineReader) valueAfterColon(l string, n int) (int, error) {
	_, v, ok := strings.Cut(l, ":")
	f := strings.Fields(v)
	if !ok || len(f) == 0 {
		return 0, r.errf(n, "expected a number after the colon in %q", strings.TrimSpace(l))
	}
	x, err := strconv.Atoi(f[0])
	if err != nil || x < 0 {
		return 0, r.errf(n, "expected a non-negative number after the colon, found %q", f[0])
	}
	return x, nil
}

// maxJobs bounds an instance so that a hostile header cannot ask for
// unbounded memory.
const maxJobs = 1 << 20

// Parse reads a single-mode PSPLIB (.sm) instance. name is used in error
// messages and as the instance's name (without directory and extension).
func Parse(name string, data []byte) (*Instance, error) {
	// A final newline ends the last line; it does not start another.
	r := &lineReader{name: name}
	if len(data) > 0 {
		r.lines = bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
	}
	base := strings.TrimSuffix(path.Base(name), path.Ext(name))
	in := &Instance{Name: base}

	l, n, err := r.seek("jobs (incl. supersource/sink")
	if err != nil {
		return nil, err
	}
	jobs, err := r.valueAfterColon(l, n)
	if err != nil {
		return nil, err
	}
	if jobs < 2 || jobs > maxJobs {
		return nil, r.errf(n, "%d jobs: an instance has at least the two dummy jobs and at most %d", jobs, maxJobs)
	}
	if l, n, err = r.seek("horizon"); err != nil {
		return nil, err
	}
	if in.Horizon, err = r.valueAfterColon(l, n); err != nil {
		return nil, err
	}
	if l, n, err = r.seek("- renewable"); err != nil {
		return nil, err
	}
	nres, err := r.valueAfterColon(l, n)
	if err != nil {
		return nil, err
	}
	if nres > 64 {
		return nil, r.errf(n, "%d renewable resources; at most 64 are supported", nres)
	}
	for _, kind := range []string{"- nonrenewable", "- doubly constrained"} {
		l, n, err = r.seek(kind)
		if err != nil {
			return nil, err
		}
		v, err := r.valueAfterColon(l, n)
		if err != nil {
			return nil, err
		}
		if v != 0 {
			return nil, r.errf(n, "%d %s resources: only renewable resources are supported (single-mode RCPSP)", v, strings.TrimPrefix(kind, "- "))
		}
	}

	if _, _, err = r.seek("PROJECT INFORMATION:"); err != nil {
		return nil, err
	}
	if _, _, err = r.seek("pronr."); err != nil {
		return nil, err
	}
	if l, _, ok := r.next(); ok {
		f := strings.Fields(l)
		if len(f) >= 6 {
			if v, err := strconv.Atoi(f[5]); err == nil {
				in.MPMTime = v
			}
		}
	}

	if _, _, err = r.seek("PRECEDENCE RELATIONS:"); err != nil {
		return nil, err
	}
	if _, _, err = r.seek("jobnr."); err != nil {
		return nil, err
	}
	in.Successors = make([][]int, jobs)
	for j := range jobs {
		l, n, ok := r.next()
		if !ok || strings.HasPrefix(l, "***") {
			return nil, r.errf(n, "precedence relations end after %d of %d jobs", j, jobs)
		}
		v, bad := ints(strings.Fields(l))
		if bad >= 0 {
			return nil, r.errf(n, "field %d of the precedence row is not an integer", bad+1)
		}
		if len(v) < 3 || v[0] != j+1 {
			return nil, r.errf(n, "expected the precedence row of job %d: jobnr #modes #successors successors...", j+1)
		}
		if v[1] != 1 {
			return nil, r.errf(n, "job %d has %d modes; only single-mode instances are supported", j+1, v[1])
		}
		if v[2] != len(v)-3 {
			return nil, r.errf(n, "job %d says %d successors but lists %d", j+1, v[2], len(v)-3)
		}
		for _, s := range v[3:] {
			if s <= j+1 || s > jobs {
				return nil, r.errf(n, "job %d has successor %d; successors must be later jobs between %d and %d", j+1, s, j+2, jobs)
			}
			in.Successors[j] = append(in.Successors[j], s-1)
		}
	}

	if _, _, err = r.seek("REQUESTS/DURATIONS:"); err != nil {
		return nil, err
	}
	if _, _, err = r.seek("jobnr."); err != nil {
		return nil, err
	}
	if _, _, err = r.seek("---"); err != nil {
		return nil, err
	}
	in.Durations = make([]int, jobs)
	in.Demands = make([][]int, jobs)
	for j := range jobs {
		l, n, ok := r.next()
		if !ok || strings.HasPrefix(l, "***") {
			return nil, r.errf(n, "requests/durations end after %d of %d jobs", j, jobs)
		}
		v, bad := ints(strings.Fields(l))
		if bad >= 0 {
			return nil, r.errf(n, "field %d of the request row is not an integer", bad+1)
		}
		if len(v) != 3+nres || v[0] != j+1 {
			return nil, r.errf(n, "expected the request row of job %d: jobnr mode duration and %d demands", j+1, nres)
		}
		if v[1] != 1 {
			return nil, r.errf(n, "job %d is given in mode %d; only single-mode instances are supported", j+1, v[1])
		}
		for _, x := range v[2:] {
			if x < 0 || x > 1<<30 {
				return nil, r.errf(n, "job %d has a duration or demand of %d; it must be between 0 and 2^30", j+1, x)
			}
		}
		in.Durations[j] = v[2]
		in.Demands[j] = v[3:]
	}
	if in.Durations[0] != 0 || in.Durations[jobs-1] != 0 {
		return nil, r.errf(n, "the dummy source and sink must take no time")
	}

	if _, _, err = r.seek("RESOURCEAVAILABILITIES:"); err != nil {
		return nil, err
	}
	r.next() // the labels
	l, n, ok := r.next()
	if !ok {
		return nil, fmt.Errorf("%s: the file ends (after line %d) without the line of resource capacities under RESOURCEAVAILABILITIES", r.name, r.lastLine())
	}
	caps, bad := ints(strings.Fields(l))
	if bad >= 0 || len(caps) != nres {
		return nil, r.errf(n, "expected %d resource capacities", nres)
	}
	for k, c := range caps {
		if c < 0 || c > 1<<30 {
			return nil, r.errf(n, "resource %d has capacity %d; it must be between 0 and 2^30", k+1, c)
		}
		for j := range jobs {
			if in.Demands[j][k] > c {
				return nil, r.errf(n, "job %d needs %d of resource %d, whose capacity is %d: the instance has no schedule", j+1, in.Demands[j][k], k+1, c)
			}
		}
	}
	in.Capacities = caps
	return in, nil
}

// Optimum is one row of an optimum table: the proven makespan of instance
// Instance of parameter set Parameter.
type Optimum struct {
	Parameter, Instance, Makespan int
}

// Name returns the instance's name within a set, e.g. "j301_1".
func (o Optimum) Name(set string) string {
	return fmt.Sprintf("%s%d_%d", set, o.Parameter, o.Instance)
}

// ParseOptima reads an optimum table such as j30opt.sm: every line whose
// first three fields are integers is a row (parameter, instance, makespan).
func ParseOptima(name string, data []byte) ([]Optimum, error) {
	var out []Optimum
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	seen := map[[2]int]int{}
	for n := 1; sc.Scan(); n++ {
		f := strings.Fields(sc.Text())
		if len(f) < 3 {
			continue
		}
		v, bad := ints(f[:3])
		if bad >= 0 {
			if bad < 2 {
				continue // header text
			}
			return nil, fmt.Errorf("%s:%d: the makespan %q is not an integer", name, n, f[2])
		}
		if v[0] < 1 || v[1] < 1 || v[2] < 0 {
			return nil, fmt.Errorf("%s:%d: parameter and instance must be positive and the makespan non-negative", name, n)
		}
		k := [2]int{v[0], v[1]}
		if prev, dup := seen[k]; dup {
			return nil, fmt.Errorf("%s:%d: parameter %d instance %d is already on line %d", name, n, v[0], v[1], prev)
		}
		seen[k] = n
		out = append(out, Optimum{Parameter: v[0], Instance: v[1], Makespan: v[2]})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no rows of the form \"parameter instance makespan\"", name)
	}
	return out, nil
}

// ToEstate turns an instance into an estate: resources become teams r1..rK,
// non-dummy jobs become systems j2..jN (named after their job number) with
// a fixed restore of one hour per period and their demands as needs, and
// precedences become requires. There are no services, so the planner
// minimises the makespan, in hours equal to the instance's periods.
func ToEstate(in *Instance) *estate.Estate {
	e := &estate.Estate{Version: estate.FormatVersion, Organization: in.Name, Currency: "EUR"}
	for k, c := range in.Capacities {
		id := fmt.Sprintf("r%d", k+1)
		e.Teams = append(e.Teams, estate.Team{ID: id, Name: id, Capacity: c})
	}
	n := in.Jobs()
	preds := make([][]string, n)
	for j, ss := range in.Successors {
		if j == 0 {
			continue
		}
		for _, s := range ss {
			preds[s] = append(preds[s], fmt.Sprintf("j%d", j+1))
		}
	}
	for j := 1; j < n-1; j++ {
		s := estate.System{
			ID: fmt.Sprintf("j%d", j+1), Name: fmt.Sprintf("job %d", j+1), Kind: estate.KindOther,
			Criticality: 4, Requires: preds[j], Restore: estate.Point(time.Duration(in.Durations[j]) * time.Hour),
			Needs: []estate.Need{},
		}
		best := -1
		for k, q := range in.Demands[j] {
			if q > 0 {
				s.Needs = append(s.Needs, estate.Need{Team: fmt.Sprintf("r%d", k+1), Units: q})
				if best < 0 || q > in.Demands[j][best] {
					best = k
				}
			}
		}
		slices.SortFunc(s.Needs, func(a, b estate.Need) int { return strings.Compare(a.Team, b.Team) })
		if best >= 0 {
			s.Team = fmt.Sprintf("r%d", best+1)
		} else if len(e.Teams) > 0 {
			s.Team = e.Teams[0].ID
		}
		e.Systems = append(e.Systems, s)
	}
	return e
}

// Format writes the instance in the PSPLIB single-mode format that Parse
// reads.
func Format(in *Instance) []byte {
	var b bytes.Buffer
	n := in.Jobs()
	star := strings.Repeat("*", 72) + "\n"
	b.WriteString(star)
	fmt.Fprintf(&b, "file with basedata            : %s.bas\n", in.Name)
	b.WriteString("initial value random generator: 0\n")
	b.WriteString(star)
	b.WriteString("projects                      :  1\n")
	fmt.Fprintf(&b, "jobs (incl. supersource/sink ):  %d\n", n)
	fmt.Fprintf(&b, "horizon                       :  %d\n", in.Horizon)
	b.WriteString("RESOURCES\n")
	fmt.Fprintf(&b, "  - renewable                 :  %d   R\n", len(in.Capacities))
	b.WriteString("  - nonrenewable              :  0   N\n")
	b.WriteString("  - doubly constrained        :  0   D\n")
	b.WriteString(star)
	b.WriteString("PROJECT INFORMATION:\n")
	b.WriteString("pronr.  #jobs rel.date duedate tardcost  MPM-Time\n")
	fmt.Fprintf(&b, "    1     %d      0       %d       0       %d\n", n-2, in.MPMTime, in.MPMTime)
	b.WriteString(star)
	b.WriteString("PRECEDENCE RELATIONS:\n")
	b.WriteString("jobnr.    #modes  #successors   successors\n")
	for j := range n {
		fmt.Fprintf(&b, "%4d        1       %4d       ", j+1, len(in.Successors[j]))
		for _, s := range in.Successors[j] {
			fmt.Fprintf(&b, " %3d", s+1)
		}
		b.WriteString("\n")
	}
	b.WriteString(star)
	b.WriteString("REQUESTS/DURATIONS:\n")
	b.WriteString("jobnr. mode duration")
	for k := range in.Capacities {
		fmt.Fprintf(&b, "  R %d", k+1)
	}
	b.WriteString("\n" + strings.Repeat("-", 72) + "\n")
	for j := range n {
		fmt.Fprintf(&b, "%3d      1   %3d", j+1, in.Durations[j])
		for _, q := range in.Demands[j] {
			fmt.Fprintf(&b, "  %3d", q)
		}
		b.WriteString("\n")
	}
	b.WriteString(star)
	b.WriteString("RESOURCEAVAILABILITIES:\n")
	for k := range in.Capacities {
		fmt.Fprintf(&b, "  R %d", k+1)
	}
	b.WriteString("\n")
	for _, c := range in.Capacities {
		fmt.Fprintf(&b, "  %3d", c)
	}
	b.WriteString("\n" + star)
	return b.Bytes()
}
