package estate

import (
	"strings"
	"testing"
)

// Aliases can make a small file describe an enormous tree. The walk is
// bounded, so each of these finishes quickly with one clear problem.
func TestAliasBombs(t *testing.T) {
	// Nine levels of merges, each merging the level below nine times:
	// 9⁹ mappings if walked in full.
	var merges strings.Builder
	merges.WriteString("x0: &x0 {kind: other, team: infra, restore: 1d}\n")
	for i := 1; i <= 9; i++ {
		merges.WriteString("x" + itoa(i) + ": &x" + itoa(i) + " {<<: [" + strings.TrimSuffix(strings.Repeat("*x"+itoa(i-1)+", ", 9), ", ") + "]}\n")
	}
	// A mapping holding a long checklist, used 20,000 times.
	var wide strings.Builder
	wide.WriteString("systems:\n  - &s {id: s, kind: other, team: infra, restore: 1d, checklist: [" + strings.TrimSuffix(strings.Repeat("c, ", 2000), ", ") + "]}\n")
	for range 20_000 {
		wide.WriteString("  - *s\n")
	}
	for _, tc := range []struct{ name, yaml string }{
		{"nested merges", head + "systems:\n  - {<<: *x9, id: a}\n"},
		{"wide aliases", head + wide.String()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := tc.yaml
			if tc.name == "nested merges" {
				data = head + merges.String() + "systems:\n  - {<<: *x9, id: a}\n"
			}
			ps := parseProblems(t, File{Name: "f.yaml", Data: []byte(data)})
			found := false
			for _, p := range ps {
				if strings.HasPrefix(p.Message, "aliases expand this file to more than ") && p.Fix == "write the values out, or use fewer aliases" {
					found = true
				}
			}
			if !found {
				t.Errorf("no alias problem among %d problems: %.500v", len(ps), ps)
			}
		})
	}
}

// Honest use of anchors stays well inside the bound: 5,000 systems
// sharing one set of defaults.
func TestAliasesWithinBudget(t *testing.T) {
	var b strings.Builder
	b.WriteString(head + "defaults: &d {kind: application, team: infra, restore: {min: 1h, likely: 2h, max: 4h}, owners: [a, b], tags: [x, y, z]}\nsystems:\n")
	for i := range 5000 {
		b.WriteString("  - {<<: *d, id: s" + itoa(i) + "}\n")
	}
	ps := parseProblems(t, File{Name: "f.yaml", Data: []byte(strings.Replace(b.String(), "defaults: &d", "x-defaults: &d", 1))})
	if len(ps) != 1 || ps[0].Field != "x-defaults" {
		t.Errorf("problems: %.500v", ps)
	}
}

func TestJSONEscapedSlash(t *testing.T) {
	e, err := Parse(File{Name: "e.json", Data: []byte(`{"version": 1, "organization": "A\/B \"\\\/\" \ud83d\ude00", "currency": "GBP",
 "teams": [{"id": "infra", "capacity": 1}], "systems": [{"id": "ad", "kind": "identity", "team": "infra", "restore": "1d"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if want := `A/B "\/" 😀`; e.Organization != want {
		t.Errorf("organization = %q, want %q", e.Organization, want)
	}
}

// Past MaxProblems the list stops, led by a note with the true count.
func TestProblemCap(t *testing.T) {
	var b strings.Builder
	b.WriteString(head + "systems:\n")
	for i := range 6000 {
		b.WriteString("  - {id: s" + itoa(i) + ", kind: other, team: nobody, restore: 1}\n") // two problems each
	}
	ps := parseProblems(t, File{Name: "f.yaml", Data: []byte(b.String())})
	if len(ps) != MaxProblems+1 {
		t.Fatalf("%d problems, want %d", len(ps), MaxProblems+1)
	}
	if got, want := ps[0].String(), "only the first 10000 problems are listed; there are more (fix these and run again)"; got != want {
		t.Errorf("first problem = %q, want %q", got, want)
	}
	if ps[1].Line != 8 || ps[len(ps)-1].Line == 0 {
		t.Errorf("listed problems: %v … %v", ps[1], ps[len(ps)-1])
	}
}
