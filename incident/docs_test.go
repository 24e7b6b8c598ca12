package incident

import (
	"os"
	"regexp"
	"testing"
)

// TestDocsAgreeWithTheCode keeps docs/roles.md's tables equal to the
// permission table and the state machine in the code.
func TestDocsAgreeWithTheCode(t *testing.T) {
	syncDoc(t, "../docs/roles.md", map[string]string{"PERMISSIONS": PermissionsMarkdown(), "TRANSITIONS": TransitionsMarkdown()})
}

// syncDoc checks that every section of the doc at path (between
// "<!-- BEGIN NAME … -->" and "<!-- END NAME -->") holds what the code
// generates; PHASEGATE_UPDATE_DOCS=1 rewrites them.
func syncDoc(t *testing.T, path string, sections map[string]string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	want := doc
	for name, text := range sections {
		re := regexp.MustCompile(`(?s)(<!-- BEGIN ` + name + `[^\n]*-->\n).*?(<!-- END ` + name + ` -->)`)
		loc := re.FindStringSubmatchIndex(want)
		if loc == nil {
			t.Fatalf("%s has no %s markers", path, name)
		}
		want = want[:loc[3]] + "\n" + text + "\n" + want[loc[4]:]
	}
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
