package estate

import (
	"encoding/json"
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

// BenchmarkParse100k parses and validates 100,000 systems with 400,000
// dependencies from one YAML file.
func BenchmarkParse100k(b *testing.B) {
	data := largeEstateYAML(100_000, 4)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(File{Name: "large.yaml", Data: data}); err != nil {
			b.Fatal(err)
		}
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

// BenchmarkParse100kJSON parses the same estate as JSON.
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
