package estate

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// largeEstateYAML writes an estate of n systems, each requiring deps
// earlier systems (so deps·n dependencies, no cycle), over 50 teams, with
// 1,000 services and three-point estimates on every tenth system.
func largeEstateYAML(n, deps int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	b.Grow(n * 100)
	b.WriteString("version: 1\norganization: Large plc\ncurrency: EUR\nclearance_team: t0\nteams:\n")
	for i := range 50 {
		b.WriteString("  - {id: t" + strconv.Itoa(i) + ", capacity: " + strconv.Itoa(2+i%5) + "}\n")
	}
	b.WriteString("systems:\n")
	for i := range n {
		b.WriteString("  - {id: s")
		b.WriteString(strconv.Itoa(i))
		b.WriteString(", kind: ")
		b.WriteString(string(Kinds[i%len(Kinds)]))
		b.WriteString(", team: t")
		b.WriteString(strconv.Itoa(i % 50))
		if i%10 == 0 {
			b.WriteString(", restore: {min: 2h, likely: 4h, max: 1d}, clearance: 3h")
		} else {
			b.WriteString(", restore: 4h")
		}
		if i >= deps {
			b.WriteString(", requires: [")
			seen := map[int]bool{}
			for k := 0; k < deps; {
				j := r.IntN(i)
				if seen[j] {
					continue
				}
				seen[j] = true
				if k > 0 {
					b.WriteString(", ")
				}
				b.WriteString("s" + strconv.Itoa(j))
				k++
			}
			b.WriteString("]")
		}
		b.WriteString("}\n")
	}
	b.WriteString("services:\n")
	for i := range n / 100 {
		b.WriteString("  - {id: svc" + strconv.Itoa(i) + ", requires: [s" + strconv.Itoa(r.IntN(n)) + ", s" + strconv.Itoa(r.IntN(n)) + "], revenue_per_day: 10000}\n")
	}
	return []byte(b.String())
}

// BenchmarkParse100kYAML parses and validates 100,000 systems with
// 400,000 dependencies from one YAML file.
func BenchmarkParse100kYAML(b *testing.B) {
	data := largeEstateYAML(100_000, 4)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(File{Name: "large.yaml", Data: data}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseBlockYAML parses and validates the same estates written
// as EncodeYAML writes them (and `phasegate bench --generate` does): a
// block mapping per system, estimates and short lists in flow style, the
// shape people write by hand too.
func BenchmarkParseBlockYAML(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			e, err := Parse(File{Name: "large.yaml", Data: largeEstateYAML(n, 4)})
			if err != nil {
				b.Fatal(err)
			}
			data, err := EncodeYAML(e)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(File{Name: "large.yaml", Data: data}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkValidate100k runs the checks alone, as on an estate built in
// code.
func BenchmarkValidate100k(b *testing.B) {
	e, err := Parse(File{Name: "large.yaml", Data: largeEstateYAML(100_000, 4)})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := Validate(e); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParse100kJSON parses the same estate as JSON, which the JSON
// scanner reads.
func BenchmarkParse100kJSON(b *testing.B) {
	e, err := Parse(File{Name: "large.yaml", Data: largeEstateYAML(100_000, 4)})
	if err != nil {
		b.Fatal(err)
	}
	data, err := json.Marshal(e)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(File{Name: "large.json", Data: data}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParse100kFiles parses the same estate split over 101 files, as
// teams keep it: the top-level values, teams and services in one, then
// 1,000 systems in each other, in YAML or JSON. Run with -cpu 1,2 to see
// what reading the files side by side gains.
func BenchmarkParse100kFiles(b *testing.B) {
	e, err := Parse(File{Name: "large.yaml", Data: largeEstateYAML(100_000, 4)})
	if err != nil {
		b.Fatal(err)
	}
	for _, format := range []string{"yaml", "json"} {
		b.Run(format, func(b *testing.B) {
			files := splitEstate(b, e, 1000, format)
			size := 0
			for _, f := range files {
				size += len(f.Data)
			}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(files...); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// splitEstate writes e as one file of its top-level values, teams,
// services and backlogs, and one file per per systems.
func splitEstate(tb testing.TB, e *Estate, per int, format string) []File {
	tb.Helper()
	top := func() *Estate {
		return &Estate{Version: e.Version, Organization: e.Organization, Currency: e.Currency, Start: e.Start, ClearanceTeam: e.ClearanceTeam}
	}
	first := top()
	first.Teams, first.Services, first.Backlogs = e.Teams, e.Services, e.Backlogs
	parts := []*Estate{first}
	for i := 0; i < len(e.Systems); i += per {
		p := top()
		p.Systems = e.Systems[i:min(i+per, len(e.Systems))]
		parts = append(parts, p)
	}
	var files []File
	for i, p := range parts {
		var data []byte
		var err error
		if format == "json" {
			data, err = json.Marshal(p)
		} else {
			data, err = EncodeYAML(p)
		}
		if err != nil {
			tb.Fatal(err)
		}
		files = append(files, File{Name: fmt.Sprintf("part%03d.%s", i, format), Data: data})
	}
	return files
}

func BenchmarkIndex100k(b *testing.B) {
	e, err := Parse(File{Name: "large.yaml", Data: largeEstateYAML(100_000, 4)})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		ix := e.Index()
		if ix.Order() == nil {
			b.Fatal("no order")
		}
	}
}

// A large estate where every system is broken still reports quickly:
// the spelling suggestions are bounded.
func BenchmarkParse100kBroken(b *testing.B) {
	data := []byte(strings.ReplaceAll(string(largeEstateYAML(100_000, 4)), "requires: [s", "requires: [x"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(File{Name: "large.yaml", Data: data}); err == nil {
			b.Fatal("no error")
		}
	}
}
