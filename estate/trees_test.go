package estate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// manyFiles is an estate over n files, every other one JSON, with
// mistakes within and across files: conflicting top-level values, ids
// defined twice, references to nothing, bad values, a syntax error.
func manyFiles(n int) []File {
	var files []File
	for i := range n {
		org := "Org"
		if i%7 == 3 {
			org = "Other"
		}
		next := fmt.Sprintf("s%d", (i+1)%n)
		if i == n-1 {
			next = "s0x"
		}
		if i%2 == 0 {
			files = append(files, File{Name: fmt.Sprintf("team%02d.yaml", i), Data: fmt.Appendf(nil, `version: 1
organization: %s
currency: GBP
teams:
  - {id: t%d, capacity: 2}
systems:
  - {id: s%d, kind: data, team: t%d, restore: 1d, requires: [%s]}
  - {id: s%d, kind: bogus, team: t%d, restore: 2x, requries: []}
backlogs:
  - {id: b%d, service: svc, unit: u, accrues_per_day: 1, capacity_per_day: 1, items: items%d.csv}
`, org, i, i, i, next, (i+5)%n, i+1, i, i)})
			files = append(files, File{Name: fmt.Sprintf("items%d.csv", i), Data: fmt.Appendf(nil, "id,amount\nI-%d,1\nI-%d,x\n", i, i)})
			continue
		}
		files = append(files, File{Name: fmt.Sprintf("team%02d.json", i), Data: fmt.Appendf(nil, `{"version": 1, "organization": %q, "currency": "GBP",
  "teams": [{"id": "t%d", "capacity": 0}],
  "systems": [{"id": "s%d", "kind": "data", "team": "t%d", "restore": "1d", "requires": [%q]},
              {"id": "s%d", "kind": "ot", "team": "t%d", "restore": {"min": "2d", "likely": "1d", "max": "3d"}}],
  "services": [{"id": "svc%d", "requires": ["s%d", "nope"], "revenue_per_day": "5"}]}
`, org, i, i, i, next, (i+5)%n, i, i, i)})
	}
	files = append(files, File{Name: "broken.json", Data: []byte("{\"version\": 1,\n \"teams\": [}\n")})
	return files
}

// Reading files side by side gives what reading them one by one gives:
// the same estate, positions, sources and problems in the same order.
func TestParallelMatchesSequential(t *testing.T) {
	// One large JSON file with mistakes here and there, read lazily or
	// not.
	e, err := Parse(File{Name: "large.yaml", Data: largeEstateYAML(300, 3)})
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	js = bytes.Replace(js, []byte(`"team":"t1"`), []byte(`"team":"t99"`), 3)
	js = bytes.Replace(js, []byte(`"restore":"4h"`), []byte(`"restore":"4x","requries":[]`), 5)
	sets := map[string][]File{
		"one JSON file": {{Name: "large.json", Data: js}},
		"example":       readDir(t, "testdata/estate"),
		"broken":        readDir(t, "testdata/broken"),
		"many":          manyFiles(40),
		"one file":      {{Name: "large.yaml", Data: largeEstateYAML(300, 3)}},
	}
	for name, files := range sets {
		t.Run(name, func(t *testing.T) {
			wantE, wantS, wantP := parseWith(files, readOpts{workers: 1})
			wantRefs := itemRefsWith(files, readOpts{workers: 1})
			if name == "many" && (len(wantP) < 100 || !strings.Contains(wantP.Error(), "broken.json:2:12: JSON syntax")) {
				t.Fatalf("the many-file estate should have many problems, among them a syntax error: %v", wantP)
			}
			if name == "one JSON file" {
				if len(wantP) != 13 {
					t.Fatalf("the JSON file should have 13 problems: %v", wantP)
				}
				if e, _, p := parseWith(files, readOpts{yamlOnly: true}); !reflect.DeepEqual(p, wantP) || !reflect.DeepEqual(e, wantE) {
					t.Fatalf("the YAML parser reads the JSON file otherwise: %v", p)
				}
			}
			for _, workers := range []int{1, 2, 3, 8, 64} {
				for _, eager := range []bool{false, true} {
					opts := readOpts{workers: workers, eagerJSON: eager}
					e, s, p := parseWith(files, opts)
					if !reflect.DeepEqual(p, wantP) {
						t.Fatalf("%+v: problems differ:\n%v\nwant\n%v", opts, p, wantP)
					}
					if !reflect.DeepEqual(e, wantE) || !reflect.DeepEqual(s, wantS) {
						t.Fatalf("%+v: estate or sources differ", opts)
					}
					if refs := itemRefsWith(files, opts); !reflect.DeepEqual(refs, wantRefs) {
						t.Fatalf("%+v: ItemRefs = %q, want %q", opts, refs, wantRefs)
					}
				}
			}
		})
	}
}
