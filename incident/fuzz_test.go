package incident

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"
)

// FuzzParseSelector: any text either fails with an error or gives a valid
// selector that prints back to an equivalent selector.
func FuzzParseSelector(f *testing.F) {
	for _, s := range []string{"all", "kind=identity", "team=apps,tag=core", "system=a,system=b", "kind=", "=x", ",,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sel, err := ParseSelector(s)
		if err != nil {
			return
		}
		if err := sel.Validate(); err != nil {
			t.Fatalf("%q parsed to an invalid selector: %v", s, err)
		}
		again, err := ParseSelector(sel.String())
		if err != nil {
			t.Fatalf("%q → %q does not parse: %v", s, sel.String(), err)
		}
		if again.String() != sel.String() {
			t.Fatalf("%q → %q → %q", s, sel.String(), again.String())
		}
	})
}

// FuzzSelectorJSON: the API decodes selectors from JSON; whatever decodes
// either validates or is refused, never panics.
func FuzzSelectorJSON(f *testing.F) {
	for _, s := range []string{`{"all":true}`, `{"kind":"identity"}`, `{"systems":["a"]}`, `{"all":true,"tag":"x"}`, `[]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var sel Selector
		if json.Unmarshal(b, &sel) != nil {
			return
		}
		_ = sel.Validate()
		_ = sel.String()
	})
}

// FuzzCanonicalJSON: the canonical form is valid JSON, means the same,
// and is a fixed point.
func FuzzCanonicalJSON(f *testing.F) {
	for _, s := range []string{`{"b":1,"a":[1.5,"x",null]}`, `"\u2028"`, `1e21`, `{"\ud83d\ude00":1,"\ufb33":2}`, `-0.0`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := CanonicalJSON(b)
		if err != nil {
			return
		}
		if !json.Valid(c) {
			t.Fatalf("canonical form %q of %q is not JSON", c, b)
		}
		c2, err := CanonicalJSON(c)
		if err != nil || !bytes.Equal(c, c2) {
			t.Fatalf("not a fixed point: %q → %q (%v)", c, c2, err)
		}
	})
}

// FuzzVerifyExport: an export file from anywhere must not crash the
// verifier.
func FuzzVerifyExport(f *testing.F) {
	f.Add([]byte(`{"seq":1,"at":"2025-09-01T00:00:00Z","actor":"a","type":"t","incident_id":0,"subject":"","payload":{},"prev_hash":"","hash":"00"}` + "\n"))
	f.Add([]byte("{}\n{}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := VerifyExport(bytes.NewReader(b))
		if err == nil && r.OK && r.Events == 0 && len(bytes.TrimSpace(b)) > 0 && json.Valid(bytes.TrimSpace(b)) {
			var e Event
			if json.Unmarshal(bytes.TrimSpace(b), &e) == nil && e.Seq != 0 {
				t.Fatalf("an event verified as nothing: %q", b)
			}
		}
	})
}

// FuzzCheckReport: whatever file and export a recipient gives, checking
// ends in an error or an answer, never a panic or a hang; and an answer
// that says the report is recorded has a digest its record gives.
func FuzzCheckReport(f *testing.F) {
	report := `{"incident":{"id":1},"through_seq":3,"record":{"seq":4,"hash":"h","digest":"sha256:x"}}`
	html := `<!doctype html><p>x</p><script type="application/json" id="phasegate-report"> ` + report + ` </script>`
	export := `{"seq":1,"at":"2025-09-01T08:00:00Z","actor":"a","type":"t","incident_id":0,"subject":"","payload":null,"prev_hash":"","hash":"x"}` + "\n"
	for _, s := range [][2]string{{report, ""}, {html, export}, {`<html>`, ""}, {`<script type="application/json" id="phasegate-report">{`, ""},
		{`{"record":null}`, ""}, {report + report, ""}, {`{"record":{"seq":1}}`, "not json\n"}} {
		f.Add([]byte(s[0]), []byte(s[1]))
	}
	f.Fuzz(func(t *testing.T, doc, export []byte) {
		var exp io.Reader // nil, not a nil *bytes.Reader: no export
		if len(export) > 0 {
			exp = bytes.NewReader(export)
		}
		c, err := CheckReport(doc, exp)
		if err != nil {
			return
		}
		if c.OK() && !c.DigestOK {
			t.Fatalf("OK without the recorded digest: %+v", c)
		}
		if c.Recorded && (c.Chain == nil || !c.DigestOK && len(c.Problems) == 0) {
			t.Fatalf("recorded, yet: %+v", c)
		}
	})
}
