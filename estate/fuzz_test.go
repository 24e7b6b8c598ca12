package estate

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

// checkParsed holds for every input: Parse either fails with sorted,
// complete Problems, or returns an estate that validates and survives
// both encodings unchanged.
func checkParsed(t *testing.T, files []File, e *Estate, err error) {
	t.Helper()
	if err != nil {
		var ps Problems
		if !errors.As(err, &ps) || len(ps) == 0 {
			t.Fatalf("error %T %v, want non-empty Problems", err, err)
		}
		for i, p := range ps {
			if p.Message == "" {
				t.Fatalf("problem %d has no message: %+v", i, p)
			}
			if i > 0 {
				q := ps[i-1]
				if q.File > p.File || q.File == p.File && (q.Line > p.Line || q.Line == p.Line && q.Column > p.Column) {
					t.Fatalf("problems out of order: %v before %v", q, p)
				}
			}
			for _, f := range files {
				if p.File == f.Name && p.Line > lineBreaks(f.Data)+2 {
					t.Fatalf("problem past the end of %s: %v", f.Name, p)
				}
			}
		}
		return
	}
	if e == nil {
		t.Fatal("no estate and no error")
	}
	if err := Validate(e); err != nil {
		t.Fatalf("Parse accepted an estate that Validate rejects: %v", err)
	}
	js, err := json.Marshal(e)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	y, err := EncodeYAML(e)
	if err != nil {
		t.Fatalf("EncodeYAML: %v", err)
	}
	for _, f := range []File{{Name: "back.json", Data: js}, {Name: "back.yaml", Data: y}} {
		back, err := Parse(f)
		if err != nil {
			t.Fatalf("Parse of the %s encoding: %v\n%s", f.Name, err, f.Data)
		}
		if !reflect.DeepEqual(comparable(e), comparable(back)) {
			t.Fatalf("%s encoding does not round-trip:\n%s\nwant %+v\n got %+v", f.Name, f.Data, comparable(e), comparable(back))
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(head + okSystems))
	f.Fuzz(func(t *testing.T, data []byte) {
		files := []File{{Name: "f.yaml", Data: data}}
		// ItemRefs skips files that cannot name an items file unread;
		// reading them must find nothing.
		if got, want := ItemRefs(files...), itemRefs(files[0], readFileTree(files[0], defaultOpts())); len(got) != len(want) {
			t.Fatalf("ItemRefs = %q, but the file names %q", got, want)
		}
		e, err := Parse(files...)
		checkParsed(t, files, e, err)
	})
}

func FuzzParseItemsCSV(f *testing.F) {
	f.Add([]byte("id,supplier,amount,due,received,critical\nI-1,acme,10.5,2025-10-01,2025-09-01T10:00:00Z,yes\n"))
	estate := File{Name: "e.yaml", Data: []byte(head + okSystems + backlogHead + "    items: items.csv\n")}
	f.Fuzz(func(t *testing.T, data []byte) {
		files := []File{estate, {Name: "items.csv", Data: data}}
		e, err := Parse(files...)
		checkParsed(t, files, e, err)
		if err == nil && len(e.Backlogs[0].Items) > bytes.Count(data, []byte("\n"))+bytes.Count(data, []byte("\r"))+1 {
			t.Fatalf("%d items from %d lines", len(e.Backlogs[0].Items), bytes.Count(data, []byte("\n")))
		}
	})
}

// lineBreaks counts what YAML takes for line breaks: LF, CR, NEL, LS, PS
// (so CR LF counts twice, an over-estimate that suits a bound).
func lineBreaks(data []byte) int {
	n := bytes.Count(data, []byte("\n")) + bytes.Count(data, []byte("\r"))
	for _, s := range []string{"\u0085", "\u2028", "\u2029"} {
		n += bytes.Count(data, []byte(s))
	}
	return n
}
