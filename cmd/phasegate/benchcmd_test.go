package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// bench --generate writes the same estate as one YAML file, one JSON file
// or a directory of files in either format, and each validates.
func TestGenerateFormats(t *testing.T) {
	dir := t.TempDir()
	var described []string
	for _, c := range []struct {
		out, format, first string
		files              int
	}{
		{out: "big.yaml", first: "#", files: 1},
		{out: "big.json", first: "{", files: 1},
		// 300 systems: 3 teams with systems and the forensics team, so
		// estate.* and one file of up to ten teams.
		{out: "split/", first: "#", files: 2},
		{out: "splitj/", format: "json", first: "{", files: 2},
	} {
		out := filepath.Join(dir, c.out)
		if strings.HasSuffix(c.out, "/") {
			out += "/"
		}
		args := []string{"bench", "--generate", "300", "--out", out}
		if c.format != "" {
			args = append(args, "--format", c.format)
		}
		if r := runCLI(t, env{}, args...); r.code != exitOK {
			t.Fatalf("%q: exit %d, stderr %s", args, r.code, r.stderr)
		}
		var names []string
		if strings.HasSuffix(c.out, "/") {
			entries, err := os.ReadDir(out)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				names = append(names, filepath.Join(out, e.Name()))
			}
		} else {
			names = []string{out}
		}
		if len(names) != c.files {
			t.Errorf("%s: %d files: %q", c.out, len(names), names)
		}
		for _, n := range names {
			data, err := os.ReadFile(n)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(data), c.first) {
				t.Errorf("%s starts with %.20q, want %q", n, data, c.first)
			}
		}
		r := runCLI(t, env{}, "validate", out)
		if r.code != exitOK {
			t.Fatalf("validate %s: exit %d, stderr %s", out, r.code, r.stderr)
		}
		_, desc, _ := strings.Cut(r.stdout, "valid — ")
		described = append(described, desc)
	}
	for _, d := range described[1:] {
		if d != described[0] || !strings.Contains(d, "300 systems") {
			t.Errorf("the formats describe %q, want all alike and 300 systems", described)
		}
	}
	for _, args := range [][]string{
		{"bench", "--generate", "300", "--out", filepath.Join(dir, "x.yaml"), "--format", "json"},
		{"bench", "--generate", "300", "--out", filepath.Join(dir, "x.json"), "--format", "yaml"},
		{"bench", "--generate", "300", "--format", "toml"},
	} {
		if r := runCLI(t, env{}, args...); r.code != exitUsage || !strings.Contains(r.stderr, "--format") {
			t.Errorf("%q: exit %d, stderr %q; want a usage error about --format", args, r.code, r.stderr)
		}
	}
}

// Every size from 1 to 1,000,000 generates (small estates have empty
// dependency layers); 0 and beyond are refused with the range.
func TestGenerateSmallSizesAndRange(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"1", "2", "5", "12", "50", "60", "75", "78", "79"} {
		out := filepath.Join(dir, "g"+n+".yaml")
		if r := runCLI(t, env{}, "bench", "--generate", n, "--out", out); r.code != exitOK {
			t.Fatalf("bench --generate %s: exit %d, stderr %s", n, r.code, r.stderr)
		}
		if r := runCLI(t, env{}, "validate", out); r.code != exitOK || !strings.Contains(r.stdout, " "+n+" system") {
			t.Errorf("validate the estate of --generate %s: exit %d, %s %s", n, r.code, r.stdout, r.stderr)
		}
	}
	for _, n := range []string{"0", "-1", "1000001"} {
		r := runCLI(t, env{}, "bench", "--generate", n)
		if r.code != exitUsage || !strings.Contains(r.stderr, "from 1 to 1,000,000") {
			t.Errorf("bench --generate %s: exit %d, stderr %q; want the allowed range", n, r.code, r.stderr)
		}
	}
}
