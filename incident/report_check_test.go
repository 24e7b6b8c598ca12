package incident

import (
	"strings"
	"testing"
)

// TestParseReportRefusesAmbiguity: a document a reader could take two
// ways — two data blocks, or a member named twice — is refused, not
// checked by whichever value the canonical form happens to keep.
func TestParseReportRefusesAmbiguity(t *testing.T) {
	rec := `"record":{"seq":4,"hash":"h","digest":"sha256:x"}`
	ok := `{"incident":{"id":1},"summary":{"events":1},` + rec + `}`
	block := func(j string) string { return string(reportDataOpen) + j + string(reportDataClose) }
	if _, _, err := ParseReport([]byte(ok)); err != nil {
		t.Fatalf("a plain report: %v", err)
	}
	if _, _, err := ParseReport([]byte("<p>x</p>" + block(ok))); err != nil {
		t.Fatalf("a document: %v", err)
	}
	for name, doc := range map[string]string{
		"two blocks":         "<p>x</p>" + block(ok) + block(ok),
		"a member twice":     `{"summary":{"events":9},"incident":{"id":1},"summary":{"events":1},` + rec + `}`,
		"twice, nested":      `{"incident":{"id":1,"id":2},` + rec + `}`,
		"twice, in an array": `{"incident":{"id":1},"services":[{"id":"a","id":"b"}],` + rec + `}`,
	} {
		if _, _, err := ParseReport([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		} else if !strings.Contains(err.Error(), "twice") && !strings.Contains(err.Error(), "blocks") {
			t.Errorf("%s: %v", name, err)
		}
	}
	// The same key in sibling objects is fine.
	if err := noDuplicateKeys([]byte(`{"a":[{"id":1},{"id":2}],"b":{"id":3},"c":[1,{"x":{"id":4}}]}`)); err != nil {
		t.Errorf("siblings: %v", err)
	}
}
