package incident

import (
	"os"
	"regexp"
	"testing"
)

// TestDocsAgreeWithTheCode keeps docs/roles.md's tables equal to the
// permission table and the state machine in the code.
func TestDocsAgreeWithTheCode(t *testing.T) {
	const path = "../docs/roles.md"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, name := range []string{"PERMISSIONS", "TRANSITIONS"} {
		if !regexp.MustCompile(`<!-- BEGIN ` + name + `[^\n]*-->`).MatchString(doc) {
			t.Fatalf("%s has no %s markers", path, name)
		}
	}
	want := render(doc)
	if want == doc {
		return
	}
	if os.Getenv("PHASEGATE_UPDATE_DOCS") == "1" {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("%s disagrees with the code; run PHASEGATE_UPDATE_DOCS=1 go test ./incident -run TestDocs", path)
}

// render replaces the content between each pair of markers with the
// generated table.
func render(doc string) string {
	for name, table := range map[string]string{"PERMISSIONS": PermissionsMarkdown(), "TRANSITIONS": TransitionsMarkdown()} {
		re := regexp.MustCompile(`(?s)(<!-- BEGIN ` + name + `[^\n]*-->\n).*?(<!-- END ` + name + ` -->)`)
		loc := re.FindStringSubmatchIndex(doc)
		if loc == nil {
			continue
		}
		doc = doc[:loc[3]] + "\n" + table + "\n" + doc[loc[4]:]
	}
	return doc
}
