package suggest

import "testing"

func TestNearest(t *testing.T) {
	ids := []string{"requires", "restore", "clearance", "forensics", "sap-s4-core"}
	for _, tt := range []struct{ in, want string }{
		{"requries", "requires"}, // a swap is one edit
		{"RESTORE", "restore"},   // case is ignored
		{"forensic", "forensics"},
		{"sap-s4-cor", "sap-s4-core"},
		{"zzz", ""},      // nothing near
		{"", ""},         // nothing asked
		{"requires", ""}, // itself is not a suggestion
		{"clearnace", "clearance"},
	} {
		if got := Nearest(tt.in, ids); got != tt.want {
			t.Errorf("Nearest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDistance(t *testing.T) {
	g := New(1 << 20)
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"a", "", 1}, {"", "abc", 3}, {"kitten", "sitting", 3}, {"ab", "ba", 1}, {"plan", "plna", 1},
	} {
		if got := g.Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

// TestBudgetStopsWork: once the budget is spent no more suggestions are
// made, however many misspellings follow.
func TestBudgetStopsWork(t *testing.T) {
	g := New(100)
	cands := []string{"aaaaaaaaaa", "aaaaaaaaab"}
	if got := g.Nearest("aaaaaaaaac", cands); got == "" {
		t.Fatal("first suggestion within budget was not made")
	}
	for i := 0; i < 10; i++ {
		g.Nearest("aaaaaaaaac", cands)
	}
	if got := g.Nearest("aaaaaaaaac", cands); got != "" {
		t.Errorf("suggested %q after the budget was spent", got)
	}
}
