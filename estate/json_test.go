package estate

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// noColumns drops the columns of an estate's positions and problems: the
// YAML path's are off after a \/ or surrogate-pair escape.
func noColumns(e *Estate, ps Problems) (*Estate, Problems) {
	if e != nil {
		c := *e
		c.Teams = append([]Team(nil), e.Teams...)
		c.Systems = append([]System(nil), e.Systems...)
		c.Services = append([]Service(nil), e.Services...)
		c.Backlogs = append([]Backlog(nil), e.Backlogs...)
		for i := range c.Teams {
			c.Teams[i].Pos.Column = 0
		}
		for i := range c.Systems {
			c.Systems[i].Pos.Column = 0
		}
		for i := range c.Services {
			c.Services[i].Pos.Column = 0
		}
		for i := range c.Backlogs {
			c.Backlogs[i].Pos.Column = 0
		}
		e = &c
	}
	ps = append(Problems(nil), ps...)
	for i := range ps {
		ps[i].Column = 0
	}
	// Without columns, problems on one line may sort differently.
	ps = sortProblems(ps)
	for i := 0; i+1 < len(ps); {
		if ps[i] == ps[i+1] {
			ps = append(ps[:i], ps[i+2:]...)
			continue
		}
		i++
	}
	return e, ps
}

// yamlSyntaxFails reports whether the YAML parser refuses data.
func yamlSyntaxFails(data []byte) bool {
	t := readFileTree(File{Name: "f.json", Data: data}, readOpts{yamlOnly: true})
	return t.reported
}

// checkJSONMatchesYAML checks that for JSON the fast path reads, the
// YAML parser reads it too, and Parse gives the same estate and problems
// either way.
func checkJSONMatchesYAML(t *testing.T, data []byte) {
	t.Helper()
	if !looksJSON(data) {
		return
	}
	_, _, fail := readJSON(data, false)
	_, _, lazyFail := readJSON(data, true)
	if !reflect.DeepEqual(fail, lazyFail) {
		t.Fatalf("read whole, the JSON scanner gives up with %+v; read lazily, with %+v", fail, lazyFail)
	}
	if fail != nil {
		if fail.line < 1 || fail.col < 1 || fail.msg == "" {
			t.Fatalf("failure without a place or message: %+v", fail)
		}
		return
	}
	if yamlSyntaxFails(data) {
		t.Fatalf("the JSON scanner reads what the YAML parser refuses:\n%q", data)
	}
	files := []File{{Name: "f.json", Data: data}}
	yamlOpts := readOpts{workers: 1, yamlOnly: true}
	slow, _, slowP := parseWith(files, yamlOpts)
	slowRefs := itemRefsWith(files, yamlOpts)
	if !bytes.Equal(jsonEscapes(data), data) {
		slow, slowP = noColumns(slow, slowP)
	}
	for _, opts := range []readOpts{{workers: 1}, {workers: 1, eagerJSON: true}} {
		fast, _, fastP := parseWith(files, opts)
		if !bytes.Equal(jsonEscapes(data), data) {
			fast, fastP = noColumns(fast, fastP)
		}
		sameParse(t, data, fmt.Sprintf("JSON (eager %v)", opts.eagerJSON), "YAML",
			fast, fastP, itemRefsWith(files, opts), slow, slowP, slowRefs)
	}
}

// FuzzJSONMatchesYAML: for every input both the JSON scanner and the
// YAML parser read, Parse gives the same estate and problems either way
// (columns aside after escapes the YAML path shifts).
func FuzzJSONMatchesYAML(f *testing.F) {
	for _, s := range jsonCases {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkJSONMatchesYAML(t, data)
	})
}

// jsonCases are small JSON estates, right and wrong, that the fast path
// must read as the YAML parser does.
var jsonCases = []string{
	`{"version": 1, "organization": "T", "currency": "GBP", "teams": [{"id": "infra", "capacity": 1}],
 "systems": [{"id": "ad", "kind": "identity", "team": "infra", "restore": "1d", "requires": []}]}`,
	"{\r\n  \"version\": 1,\r\n  \"organization\": \"T\",\r\n  \"currency\": \"GBP\",\r\n  \"teams\": [{\"id\": \"infra\", \"capacity\": 1}],\r\n  \"systems\": [{\"id\": \"ad\", \"kind\": \"identity\", \"team\": \"infra\", \"restore\": 3}]\r\n}\r\n",
	"\ufeff{\"version\": 1, \"organization\": \"Caf\u00e9 \u00fc\U0001F600\", \"currency\": \"GBP\", \"teams\": [{\"id\": \"t\u00e9\", \"capacity\": \"2\"}], \"systems\": [{\"id\": \"a\", \"kind\": \"x\"}]}",
	`{"version": 1, "organization": "A\/B \"\\\/\" \ud83d\ude00", "currency": "GBP", "teams": [{"id": "infra", "capacity": 1}], "systems": [{"id": "ad", "kind": "identity", "team": "infra", "restore": "1d", "name": "\u00e9\t\n\\"}], "start": 7}`,
	`{"version": 1.0, "organization": "T", "currency": "GBP", "teams": [{"id": "infra", "capacity": 1e0}, {"id": "b", "capacity": -0}, {"id": "c", "capacity": 12345678901234567890}, {"id": "d", "capacity": 1e400}, {"id": "e", "capacity": 99999999999999999999}, {"id": "f", "capacity": 2.5}, {"id": 42, "capacity": 1E+2}],
 "systems": [{"id": "ad", "kind": "identity", "team": "infra", "restore": "1d", "criticality": 1e-400, "two_person": null}],
 "services": [{"id": "s", "requires": ["ad"], "revenue_per_day": 1e308, "cost_per_day": -1e309, "people_idle": 0.5, "output_per_day": {"amount": 1e400, "unit": true}}]}`,
	`{"version": 1, "version": 1, "organization": "T", "organization": "U", "currency": "GBP", "teams": [{"id": "infra", "capacity": 1, "capacity": 2}],
 "systems": [{"id": "ad", "kind": "identity", "team": "infra", "restore": {"min": "1h", "likely": "2h", "max": "3h", "max": "4h"}, "needs": {"infra": 1, "infra": 1}}]}`,
	`{"version": 1, "organization": ["T"], "currency": {"a": 1}, "teams": {"id": "x"}, "systems": "ad", "services": [1, "x", null, [], {}], "backlogs": [{"id": "b", "service": "s", "unit": "u", "accrues_per_day": 1, "capacity_per_day": 1, "items": "x.csv"}, {"items": [{"id": "I-1", "due": "2025-10-01", "critical": true, "amount": "5"}, 3]}], "<<": {"a": 1}, "": 2}`,
	`{"version": 2, "systems": []}`,
	`[{"version": 1}]`,
	`{}`,
	`{"version": 1, "organization": "T", "currency": "GBP", "teams": [], "systems": [{"id": "a", "kind": "identity", "team": "t", "restore": "1d", "requires": ["a", "b", "a"]}, {"id": "b", "kind": "data", "team": "t", "restore": "2x", "requires": ["a"]}]}`,
	"{\"version\": 1, \"organization\": \"T\\u0000\\u007f\\u0085\\u2028\", \"currency\": \"gbp\", \"systems\": [{\"id\": \"a b\", \"kind\": \"ot\", \"team\": \"t\", \"restore\": \"1d\", \"description\": \"x\\r\\ny\"}]}",
	"{\n\"version\": 1,\n\"organization\": \"T\",\n\"currency\": \"GBP\",\n\"teams\": [\n{\"id\": \"a\",\n\"capacity\": 1}\n],\n\"systems\": [\n[],\n{\"id\": \"s\"}\n]\n}",
	"{\"version\": 1,\n\t\"organization\": \"T\",\n\t\"currency\": \"GBP\",\n\t\"systems\": [\n\t\t{\"id\": \"a\"}\n\t]\n}\n",
	`{"version": 1, "organization": "T", "currency": "GBP", "start": "2025-09-01T09:00:00+01:00", "clearance_team": "f", "teams": [{"id": "f", "capacity": 1}], "systems": [{"id": "a", "kind": "data", "team": "f", "restore": {"min": "1h"}, "clearance": {"min": "1h", "likely": "2h", "max": "3h"}, "checklist": ["", "x"], "tags": [1, true]}]}`,
}

func TestJSONMatchesYAML(t *testing.T) {
	for i, c := range jsonCases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			if _, _, fail := readJSON([]byte(c), false); fail != nil {
				t.Fatalf("the JSON scanner gave up at %d:%d: %s", fail.line, fail.col, fail.msg)
			}
			checkJSONMatchesYAML(t, []byte(c))
		})
	}
}

// The scanner gives up on what is not JSON, or is JSON the YAML parser
// reads otherwise; Parse then reads the file as it always has.
func TestJSONGivesUp(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		syntax     bool
		line, col  int
	}{
		{"trailing comma", `{"a": [1, 2,], "b": 1}`, true, 1, 13},
		{"comment", "{\"a\": 1 # note\n}", true, 1, 9},
		{"bare key", `{a: 1}`, true, 1, 2},
		{"single quotes", `{"a": 'x'}`, true, 1, 7},
		{"unclosed", "{\"a\": [1,\n 2", true, 2, 3},
		{"text after", "{}\n---\n{}", true, 2, 1},
		{"bad number", `{"a": 01}`, true, 1, 8},
		{"bad escape", `{"a": "\x"}`, true, 1, 9},
		{"raw line break in text", "{\"a\": \"x\ny\"}", true, 1, 9},
		{"invalid UTF-8", "{\"a\": \"\xff\"}", false, 1, 8},
		{"lone surrogate", `{"a": "\ud800x"}`, false, 1, 8},
		{"low surrogate first", `{"a": "\udc00\ud800"}`, false, 1, 8},
		{"line separator", "{\"a\": \"x\u2028y\"}", false, 1, 9},
		{"next line", "{\"a\": \"x\u0085y\"}", false, 1, 9},
		{"delete", "{\"a\": \"x\u007fy\"}", false, 1, 9},
		{"tab before", "\t{}", false, 1, 1},
		{"tab after", "{}\n\t", false, 2, 1},
		{"key on its own line", "{\"a\"\n: 1}", false, 2, 1},
		{"long key", `{"` + strings.Repeat("k", 1200) + `": 1}`, false, 1, 1204},
		{"deep", strings.Repeat("[", 300) + strings.Repeat("]", 300), false, 1, maxJSONDepth + 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root, _, fail := readJSON([]byte(tc.data), false)
			if fail == nil {
				t.Fatalf("read %q as %v", tc.data, root)
			}
			if fail.syntax != tc.syntax || fail.line != tc.line || fail.col != tc.col {
				t.Errorf("gave up at %d:%d (syntax %v): %s; want %d:%d (syntax %v)", fail.line, fail.col, fail.syntax, fail.msg, tc.line, tc.col, tc.syntax)
			}
		})
	}
}

// A JSON file that neither parser reads is reported where the JSON goes
// wrong; a trailing comma is tolerated, as before.
func TestJSONSyntaxErrors(t *testing.T) {
	for _, tc := range []struct {
		name, data, want string
	}{
		{"e.json", "{\"version\": 1,\n  \"organization\": \"T\"\n  \"currency\": \"GBP\"}", `e.json:3:3: JSON syntax: expected ',' or '}' after a value in an object, found '"' (check the JSON there: keys and text in double quotes, a comma between entries, every bracket and quote closed)`},
		{"e.json", "{\"version\": 1,\n  \"teams\": [{\"id\": \"a\", \"capacity\": 1]}", `e.json:2:38: JSON syntax: expected ',' or '}' after a value in an object, found ']' (check the JSON there: keys and text in double quotes, a comma between entries, every bracket and quote closed)`},
		{"e.json", "{\"version\": 1, \"organization\": \"caf\u00e9\", \"x\": [1, 2}", `e.json:1:50: JSON syntax: expected ',' or ']' after a value in a list, found '}' (check the JSON there: keys and text in double quotes, a comma between entries, every bracket and quote closed)`},
		// Named otherwise, the file is YAML that went wrong.
		{"e.yaml", "{\"version\": 1,\n  \"organization\": \"T\"\n  \"currency\": \"GBP\"}", `e.yaml:2: YAML syntax: did not find expected ',' or '}' (check the indentation and that brackets and quotes are closed)`},
	} {
		_, err := Parse(File{Name: tc.name, Data: []byte(tc.data)})
		var ps Problems
		if !errors.As(err, &ps) || len(ps) != 1 || ps[0].String() != tc.want {
			t.Errorf("%s %q:\n got %v\nwant %s", tc.name, tc.data, err, tc.want)
		}
	}
	// The YAML parser reads trailing commas: no JSON error.
	_, err := Parse(File{Name: "e.json", Data: []byte(`{"version": 1, "organization": "T", "currency": "GBP", "teams": [{"id": "infra", "capacity": 1},],
 "systems": [{"id": "ad", "kind": "identity", "team": "infra", "restore": "1d",},],}`)})
	if err != nil {
		t.Errorf("trailing commas: %v", err)
	}
}

// The JSON path counts columns in characters, as the YAML parser does,
// and gets them right after the escapes the YAML path rewrites.
func TestJSONColumns(t *testing.T) {
	data := "{\"version\": 1, \"organization\": \"\u00e9\U0001F600\\/\\ud83d\\ude00\", \"currency\": \"GBP\", \"x\": 1,\r\n \"y\": 2}"
	_, err := Parse(File{Name: "e.json", Data: []byte(data)})
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatal(err)
	}
	var got []string
	for _, p := range ps {
		if p.Message == "unknown field" {
			got = append(got, fmt.Sprintf("%d:%d %s", p.Line, p.Column, p.Field))
		}
	}
	// `"x"` is the 61st character of line 1: 30 before the string, the
	// string's 2 quotes and 18 characters, then `, "currency": "GBP", `.
	if want := []string{"1:71 x", "2:2 y"}; !reflect.DeepEqual(got, want) {
		t.Errorf("unknown fields at %q, want %q", got, want)
	}
}

// sameParse fails t when two readers of data disagree on the estate, its
// problems or the item files it names; got is the reader under test,
// want the reference (yaml.v3), each named in the message.
func sameParse(t testing.TB, data []byte, gotName, wantName string,
	got *Estate, gotP Problems, gotRefs []string, want *Estate, wantP Problems, wantRefs []string) {
	t.Helper()
	if !reflect.DeepEqual(gotP, wantP) {
		t.Fatalf("problems differ for\n%q\n%s: %v\n%s: %v", data, gotName, gotP, wantName, wantP)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("estates differ for\n%q\n%s: %+v\n%s: %+v", data, gotName, got, wantName, want)
	}
	if !reflect.DeepEqual(gotRefs, wantRefs) {
		t.Fatalf("ItemRefs differ for\n%q\n%s: %q\n%s: %q", data, gotName, gotRefs, wantName, wantRefs)
	}
}
