package incident

import (
	"strings"
	"testing"

	"github.com/phasegate/phasegate/estate"
)

// TestDocsChecklists keeps the checklist templates and the key rule in
// docs/estate-format.md equal to the code; PHASEGATE_UPDATE_DOCS=1
// rewrites them.
func TestDocsChecklists(t *testing.T) {
	syncDoc(t, "../docs/estate-format.md", map[string]string{"CHECKLISTS": ChecklistMarkdown() + "\n"})
}

// TestChecklistMarkdownCoversEveryKind: every kind has its template in the
// docs, with every key, and the documented examples are the keys made.
func TestChecklistMarkdownCoversEveryKind(t *testing.T) {
	md := ChecklistMarkdown()
	for _, k := range estate.Kinds {
		if !strings.Contains(md, "#### `"+string(k)+"`") {
			t.Errorf("no template for %s", k)
		}
		for _, d := range templateFor(k) {
			if !strings.Contains(md, "| `"+d.Key+"` | "+d.Text+" |") {
				t.Errorf("%s: no row for %s", k, d.Key)
			}
		}
	}
	for _, want := range []string{
		"| confirm transport directory is clean | `estate-confirm-transport-directory-is-clean` |",
		"| Vendor sign-off: ACME received | `estate-vendor-sign-off-acme-received-2` |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("no %q in\n%s", want, md)
		}
	}
}
