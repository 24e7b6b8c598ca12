package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	northfield "github.com/phasegate/phasegate/examples/northfield-motors"
)

// The README's "Running a recovery" block, run line by line as a reader
// would on a fresh server: each command must exist, take the flags shown,
// and be allowed to the role of the token the block has exported by then.
// Only two lines are expected to fail, and for the reasons the block
// gives: the demo estate gives sap-s4-core no checks to run, and redeem
// needs the one-time code the second admin receives.
func TestReadmeRecoveryBlockRuns(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	lines := shellBlockAfter(t, string(readme), "## Running a recovery")
	demo, err := filepath.Abs(demoDir)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	t.Chdir(dir) // the block names phasegate.db, msg.txt and report.html here
	if err := os.WriteFile("msg.txt", []byte("Supplier payments resume on Thursday.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e, _, _ := testEnv("")
	url, _ := startApp(t, serveConfig{db: filepath.Join(dir, "phasegate.db")}, e)

	vars := map[string]string{"PHASEGATE_SERVER": url}
	runLine := func(line string) (int, string, string) {
		args := shellWords(t, line)
		if args[0] != "phasegate" {
			t.Fatalf("README line %q: not a phasegate command", line)
		}
		for i, a := range args {
			if a == "examples/northfield-motors" {
				args[i] = demo
			}
		}
		e, out, errb := testEnv("")
		e.getenv = func(k string) string { return vars[k] }
		code := run(context.Background(), args[1:], e)
		return code, out.String(), errb.String()
	}
	expect := map[string]struct {
		code int
		why  string
	}{
		"phasegate system verify":  {exitFailure, "has no checks in the estate"},
		"phasegate account redeem": {exitUsage, "standard input holds no one-time code"},
	}
	ran := 0
	for _, line := range lines {
		if v, ok := strings.CutPrefix(line, "export PHASEGATE_TOKEN=$("); ok {
			inner, ok := strings.CutSuffix(v, ")")
			if !ok {
				t.Fatalf("README line %q: cannot read the command substitution", line)
			}
			code, out, errb := runLine(inner)
			if code != exitOK {
				t.Fatalf("README: %s: exit %d\n%s", inner, code, errb)
			}
			vars["PHASEGATE_TOKEN"] = strings.TrimSpace(out)
			continue
		}
		code, _, errb := runLine(line)
		ran++
		want := struct {
			code int
			why  string
		}{exitOK, ""}
		for prefix, w := range expect {
			if strings.HasPrefix(line, prefix) {
				want = w
			}
		}
		if code != want.code || !strings.Contains(errb, want.why) {
			t.Errorf("README: %s\nexit %d, want %d; stderr:\n%s", line, code, want.code, errb)
		}
	}
	if ran < 10 {
		t.Errorf("ran %d lines of the README's block; is it still there?", ran)
	}
}

// shellBlockAfter returns the commands of the first ```sh block after the
// heading, without comments and blank lines.
func shellBlockAfter(t *testing.T, doc, heading string) []string {
	t.Helper()
	_, rest, ok := strings.Cut(doc, "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README has no %q", heading)
	}
	_, rest, ok = strings.Cut(rest, "```sh\n")
	if !ok {
		t.Fatalf("README has no sh block after %q", heading)
	}
	block, _, _ := strings.Cut(rest, "```")
	var lines []string
	for _, l := range strings.Split(block, "\n") {
		if i := strings.Index(l, " #"); i >= 0 {
			l = l[:i]
		}
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// shellWords splits a command line as sh would for the README's simple
// lines: words separated by spaces, "double quotes" kept together.
func shellWords(t *testing.T, line string) []string {
	t.Helper()
	var words []string
	var w strings.Builder
	inWord, quoted := false, false
	for _, r := range line {
		switch {
		case r == '"':
			quoted, inWord = !quoted, true
		case r == ' ' && !quoted:
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		case strings.ContainsRune("$`\\'|<>;&", r) && !quoted:
			t.Fatalf("README line %q: %q is more shell than this test reads", line, r)
		default:
			w.WriteRune(r)
			inWord = true
		}
	}
	if quoted {
		t.Fatalf("README line %q: unclosed quote", line)
	}
	if inWord {
		words = append(words, w.String())
	}
	return words
}

// A --scope in the documentation's examples names a team or system of the
// demo estate: a scope the latest estate lacks is refused, so an example
// with a made-up team fails as soon as a reader has loaded the demo.
func TestDocumentedScopesExistInTheDemo(t *testing.T) {
	est, err := northfield.Estate()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, tm := range est.Teams {
		ids["team="+tm.ID] = true
	}
	for _, s := range est.Systems {
		ids["system="+s.ID] = true
	}
	docs, _ := filepath.Glob(filepath.Join("..", "..", "docs", "*.md"))
	docs = append(docs, filepath.Join("..", "..", "README.md"))
	scope := regexp.MustCompile(`--scope ((?:team|system)=[a-z0-9-]+)`)
	found := 0
	for _, path := range docs {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range scope.FindAllStringSubmatch(string(data), -1) {
			found++
			if !ids[m[1]] {
				t.Errorf("%s: --scope %s: the demo estate has no such team or system", path, m[1])
			}
		}
	}
	if found == 0 {
		t.Error("no --scope example found in the docs; is this test still needed?")
	}
}
