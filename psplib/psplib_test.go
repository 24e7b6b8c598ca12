package psplib

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

var j30Dirs = []string{"../testdata/psplib"}

func j30Dir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("PHASEGATE_PSPLIB"); d != "" {
		return d
	}
	for _, d := range j30Dirs {
		if _, err := os.Stat(filepath.Join(d, "j30opt.sm")); err == nil {
			return d
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("PSPLIB J30 not found in testdata/psplib (it is part of the repository; is the checkout complete?)")
	}
	t.Skip("PSPLIB J30 not found (set PHASEGATE_PSPLIB)")
	return ""
}

func TestParseJ301_1(t *testing.T) {
	dir := j30Dir(t)
	p := filepath.Join(dir, "j30", "j301_1.sm")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	in, err := Parse(p, data)
	if err != nil {
		t.Fatal(err)
	}
	if in.Name != "j301_1" || in.Jobs() != 32 || in.Horizon != 158 || in.MPMTime != 38 {
		t.Fatalf("header: %s %d jobs horizon %d mpm %d", in.Name, in.Jobs(), in.Horizon, in.MPMTime)
	}
	if !slices.Equal(in.Capacities, []int{12, 13, 4, 12}) {
		t.Errorf("capacities %v", in.Capacities)
	}
	// Job 2: 8 periods, 4 of R1, successors 6 11 15.
	if in.Durations[1] != 8 || !slices.Equal(in.Demands[1], []int{4, 0, 0, 0}) || !slices.Equal(in.Successors[1], []int{5, 10, 14}) {
		t.Errorf("job 2: %d %v %v", in.Durations[1], in.Demands[1], in.Successors[1])
	}
	e := ToEstate(in)
	if len(e.Systems) != 30 || len(e.Teams) != 4 || e.Organization != "j301_1" || e.Currency != "EUR" || e.Version != 1 || len(e.Services) != 0 {
		t.Fatalf("estate: %d systems %d teams %q", len(e.Systems), len(e.Teams), e.Organization)
	}
	s := e.Systems[0]
	if s.ID != "j2" || s.Restore.Likely != 8*time.Hour || len(s.Requires) != 0 || !reflect.DeepEqual(s.Needs[0].Team, "r1") || s.Needs[0].Units != 4 {
		t.Errorf("j2: %+v", s)
	}
	// Job 6 waits for job 2.
	if j6 := e.Systems[4]; j6.ID != "j6" || !slices.Equal(j6.Requires, []string{"j2"}) {
		t.Errorf("j6 requires %v", j6.Requires)
	}
}

func TestParseAllJ30AndOptima(t *testing.T) {
	dir := j30Dir(t)
	data, err := os.ReadFile(filepath.Join(dir, "j30opt.sm"))
	if err != nil {
		t.Fatal(err)
	}
	opts, err := ParseOptima("j30opt.sm", data)
	if err != nil {
		t.Fatal(err)
	}
	if len(opts) != 480 || opts[0] != (Optimum{1, 1, 43}) {
		t.Fatalf("%d optima, first %+v", len(opts), opts[0])
	}
	for _, o := range opts {
		p := filepath.Join(dir, "j30", o.Name("j30")+".sm")
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		in, err := Parse(p, data)
		if err != nil {
			t.Fatal(err)
		}
		if in.MPMTime > o.Makespan {
			t.Errorf("%s: critical path %d above the optimum %d", in.Name, in.MPMTime, o.Makespan)
		}
		// Format writes what Parse reads.
		back, err := Parse(in.Name, Format(in))
		if err != nil {
			t.Fatalf("%s: %v", in.Name, err)
		}
		if !reflect.DeepEqual(back, in) {
			t.Fatalf("%s: Format/Parse round trip differs", in.Name)
		}
	}
}

func TestParseErrorsNameTheLine(t *testing.T) {
	good := string(Format(Generate(GenConfig{Jobs: 5, Resources: 2, NC: 1.5, RF: 0.5, RS: 0.3}, 1)))
	if _, err := Parse("g.sm", []byte(good)); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(good, "\n")
	lineOf := func(prefix string) int {
		for i, l := range lines {
			if strings.HasPrefix(strings.TrimSpace(l), prefix) {
				return i
			}
		}
		t.Fatalf("no line %q", prefix)
		return 0
	}
	edit := func(i int, s string) string {
		c := slices.Clone(lines)
		c[i] = s
		return strings.Join(c, "\n")
	}
	prec := lineOf("PRECEDENCE RELATIONS:") + 2
	req := lineOf("REQUESTS/DURATIONS:") + 3
	caps := lineOf("RESOURCEAVAILABILITIES:") + 2
	cases := []struct {
		name, data, want string
	}{
		{"empty", "", "g.sm: the file is empty; give a PSPLIB single-mode (.sm) file"},
		{"cut short", strings.Join(lines[:prec-2], "\n") + "\n", "g.sm: the file ends (after line " + itoa(prec-2) + ") without the line \"PRECEDENCE RELATIONS:\""},
		{"modes", edit(prec, "   1        2          0"), "g.sm:" + itoa(prec+1) + ": job 1 has 2 modes"},
		{"backward arc", edit(prec+2, "   3        1          1           2"), "g.sm:" + itoa(prec+3) + ": job 3 has successor 2"},
		{"count", edit(prec, "   1        1          5           2"), "says 5 successors but lists 1"},
		{"not a number", edit(req, "  1      1     x       0    0"), "g.sm:" + itoa(req+1) + ": field 3"},
		{"negative", edit(req+1, "  2      1     -3       1    0"), "duration or demand of -3"},
		{"short caps", edit(caps, "  4"), "g.sm:" + itoa(caps+1) + ": expected 2 resource capacities"},
		{"infeasible", edit(caps, "  0 0"), "the instance has no schedule"},
	}
	for _, c := range cases {
		_, err := Parse("g.sm", []byte(c.data))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to contain %q", c.name, err, c.want)
		}
	}
	if _, err := ParseOptima("o.sm", []byte("1 1 x 0.2\n")); err == nil || !strings.Contains(err.Error(), "o.sm:1") {
		t.Errorf("optima error %v", err)
	}
	if _, err := ParseOptima("o.sm", []byte("1 1 4\n1 1 5\n")); err == nil || !strings.Contains(err.Error(), "already on line 1") {
		t.Errorf("duplicate optimum error %v", err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestGenerateMeetsParameters(t *testing.T) {
	for seed := range uint64(20) {
		cfg := GenConfig{Jobs: 120, Resources: 4, NC: 1.5 + float64(seed%4)*0.2, RF: 0.25 + float64(seed%4)*0.25, RS: 0.1 + float64(seed%5)*0.1}
		in := Generate(cfg, seed)
		if in.Jobs() != 122 {
			t.Fatalf("%d jobs", in.Jobs())
		}
		arcs, uses := 0, 0
		for j := range in.Jobs() {
			arcs += len(in.Successors[j])
			for _, s := range in.Successors[j] {
				if s <= j {
					t.Fatalf("arc %d→%d goes backwards", j, s)
				}
			}
			for k, q := range in.Demands[j] {
				if q > in.Capacities[k] {
					t.Fatalf("job %d needs %d of %d", j, q, in.Capacities[k])
				}
				if q > 0 {
					uses++
				}
			}
		}
		nc := float64(arcs) / float64(in.Jobs())
		if nc < cfg.NC-0.25 || nc > cfg.NC+0.6 {
			t.Errorf("seed %d: network complexity %.2f, asked %.2f", seed, nc, cfg.NC)
		}
		if rf := float64(uses) / float64(120*4); rf < cfg.RF-0.15 || rf > cfg.RF+0.15 {
			t.Errorf("seed %d: resource factor %.2f, asked %.2f", seed, rf, cfg.RF)
		}
		if _, err := Parse(in.Name, Format(in)); err != nil {
			t.Fatal(err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(Format(Generate(GenConfig{Jobs: 4, Resources: 2, NC: 1.5, RF: 0.5, RS: 0.5}, 1)))
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := Parse("fuzz.sm", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.sm:") {
				t.Fatalf("error without file and line: %v", err)
			}
			return
		}
		// Whatever parses must format and parse back the same, and make
		// an estate.
		back, err := Parse("fuzz.sm", Format(in))
		if err != nil {
			t.Fatalf("formatted instance does not parse: %v", err)
		}
		back.Name = in.Name
		if !reflect.DeepEqual(back.Durations, in.Durations) || !reflect.DeepEqual(back.Successors, in.Successors) || !reflect.DeepEqual(back.Capacities, in.Capacities) {
			t.Fatal("round trip differs")
		}
		_ = ToEstate(in)
	})
}

func FuzzParseOptima(f *testing.F) {
	f.Add([]byte("Paramter Instance Makespan CPU-Time[sec.]\n---\n1       1         43       0.30\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		opts, err := ParseOptima("o.sm", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "o.sm") {
				t.Fatalf("error without file: %v", err)
			}
			return
		}
		for _, o := range opts {
			if o.Parameter < 1 || o.Instance < 1 || o.Makespan < 0 {
				t.Fatalf("bad row %+v", o)
			}
		}
	})
}
