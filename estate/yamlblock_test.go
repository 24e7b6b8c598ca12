package estate

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

var yamlDocs = flag.Int("yamldocs", 3000, "random YAML documents TestBlockYAMLRandom compares")

// sameTree compares what the decoder reads of two trees: kind, tag,
// value, style, line, column and children. It returns where they first
// differ, or "".
func sameTree(got, want *yaml.Node, path string) string {
	switch {
	case got == nil && want == nil:
		return ""
	case got == nil || want == nil:
		return fmt.Sprintf("%s: got %v, want %v", path, got, want)
	case want.Kind == yaml.AliasNode || want.Anchor != "":
		return path + ": yaml.v3 has an alias or an anchor here"
	case got.Kind != want.Kind || got.Tag != want.Tag || got.Value != want.Value || got.Style != want.Style ||
		got.Line != want.Line || got.Column != want.Column || len(got.Content) != len(want.Content):
		return fmt.Sprintf("%s:\n got  kind %d tag %s style %d at %d:%d value %q, %d children\n want kind %d tag %s style %d at %d:%d value %q, %d children",
			path, got.Kind, got.Tag, got.Style, got.Line, got.Column, got.Value, len(got.Content),
			want.Kind, want.Tag, want.Style, want.Line, want.Column, want.Value, len(want.Content))
	}
	for i := range got.Content {
		if d := sameTree(got.Content[i], want.Content[i], fmt.Sprintf("%s/%d", path, i)); d != "" {
			return d
		}
	}
	return ""
}

// checkBlockYAML checks that what the block reader reads, it reads as
// yaml.v3 does: the same tree, built whole or an entry at a time, and
// through Parse the same estate, problems and items files. It reports
// whether the reader read data.
func checkBlockYAML(t *testing.T, data []byte) bool {
	t.Helper()
	eager, _, why := readBlockYAML(data, false)
	if looksJSON(data) {
		// Parse reads it with the JSON scanner (FuzzJSONMatchesYAML).
		if why == "" {
			t.Fatalf("the block reader reads JSON:\n%q", data)
		}
		return false
	}
	lazy, lists, lazyWhy := readBlockYAML(data, true)
	if why != lazyWhy {
		t.Fatalf("read whole the block reader gives up with %q, read lazily with %q:\n%q", why, lazyWhy, data)
	}
	if why == "" {
		v3 := readFileTree(File{Name: "f.yaml", Data: data}, readOpts{yamlOnly: true})
		if v3.root == nil || v3.reported || len(v3.probs) > 0 {
			t.Fatalf("the block reader reads what yaml.v3 refuses (%v):\n%q", v3.probs, data)
		}
		if d := sameTree(eager, v3.root, ""); d != "" {
			t.Fatalf("trees differ for\n%q\n%s", data, d)
		}
		// The lazy tree is the eager one with the top-level lists' entries
		// left out; each entry, built, is the eager one, until the next
		// is built.
		for i := 0; i+1 < len(lazy.Content); i += 2 {
			v := lazy.Content[i+1]
			n, ok := lists.count(v)
			if !ok {
				if d := sameTree(lazy.Content[i], eager.Content[i], "lazy"); d != "" {
					t.Fatalf("lazy tree differs for\n%q\n%s", data, d)
				}
				if d := sameTree(v, eager.Content[i+1], "lazy"); d != "" {
					t.Fatalf("lazy tree differs for\n%q\n%s", data, d)
				}
				continue
			}
			if n != len(eager.Content[i+1].Content) {
				t.Fatalf("lazy list %d has %d entries, eager %d:\n%q", i/2, n, len(eager.Content[i+1].Content), data)
			}
			for k := range n {
				if d := sameTree(lists.entry(v, k), eager.Content[i+1].Content[k], fmt.Sprintf("lazy %d/%d", i/2, k)); d != "" {
					t.Fatalf("lazy entry differs for\n%q\n%s", data, d)
				}
			}
		}
	}
	files := []File{{Name: "f.yaml", Data: data}}
	slowOpts := readOpts{workers: 1, yamlOnly: true}
	slow, _, slowP := parseWith(files, slowOpts)
	slowRefs := itemRefsWith(files, slowOpts)
	for _, opts := range []readOpts{{workers: 1}, {workers: 1, eagerYAML: true}} {
		fast, _, fastP := parseWith(files, opts)
		sameParse(t, data, fmt.Sprintf("block reader (eager %v)", opts.eagerYAML), "yaml.v3",
			fast, fastP, itemRefsWith(files, opts), slow, slowP, slowRefs)
	}
	return why == ""
}

// FuzzBlockYAMLMatchesYAML: for every input the block reader reads,
// yaml.v3 reads the same tree, and Parse gives the same estate and
// problems either way.
func FuzzBlockYAMLMatchesYAML(f *testing.F) {
	for _, c := range blockCases {
		f.Add([]byte(c.data))
	}
	for _, data := range shippedYAML(f) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkBlockYAML(t, data)
	})
}

// blockCases are YAML the block reader must read as yaml.v3 does, or
// leave to it (read says which).
var blockCases = []struct {
	data string
	read bool
}{
	{head + okSystems, true},
	{"a:\nb: # c\nc: x\n", true},
	{"\ufeffa: 1\n", true},
	{"k:\n- \n-\n- x\n", true},
	{"k: [a , b]\n", true},
	{"k: |\n  x\n\n  y\n\n\nz: 1\n", true},
	{"k: >-\n  x\n  y\n\n  z\n   w\n", true},
	{"k: >\n  a\n\n\n  b\n  \n   c\n  d\n", true},
	{"k: |+\n  x\n\n\nz: |-\n  y\n", true},
	{"k: |2-\n    x\n   y\n", true},
	{"k: |\n\n   \n  x\n", false},
	{"k: |\n    x\n  y: 1\n", false},
	{"k: |\nz: 1\n", true},
	{"k: >1\n  x\n", true},
	{"k: |\n  x", true},
	{"k: {a: b}   # c\n", true},
	{"k: x\n  # comment\nz: 1\n", true},
	{"k:\n  - a\n  # c\n  - b\n", true},
	{"a: [x]#c\n", false},
	{"a: x #c\nb:   y  \n", true},
	{"a: 'it''s' \nb: \"\\u00e9\\x41\\t\\N\\_\\L\\P\\e\\0 \\\"\"\n", true},
	{"a: \"\\/\"\n", false},
	{"a: \"\\ud800\"\n", false},
	{"a: 'x\n  y'\n", false},
	{"a: x\n  y\n", false},
	{"a:\n  x\n", true},
	{"a:\n  x\n  y\n", false},
	{"a: &x 1\nb: *x\n", false},
	{"a: !!str 1\n", false},
	{"? a\n: b\n", false},
	{"---\na: 1\n", false},
	{"a: 1\n---\nb: 2\n", false},
	{"a: 1\n...\n", false},
	{"%YAML 1.2\n---\na: 1\n", false},
	{"a: 1\r\nb:\r\n  - x\r\n  - {c: d}\r\n", true},
	{"a: 1\rb: 2\r", false},
	{"a:\tb\n", false},
	{"  a: 1\n", false},
	{"a: 1\n b: 2\n", false},
	{"- a\n", false},
	{"", false},
	{"# only a comment\n", false},
	{"a: b: c\n", false},
	{"a: [b, c,]\n", false},
	{"a: [b,\n  c]\n", false},
	{"a: {b: 1, c}\n", false},
	{"a: {b:1}\n", false},
	{"a: {\"b\": 1}\n", true},
	{"a: {\"b\":1}\n", false},
	{"\"a\": 1\n'b''c' : 2\n", true},
	{"a: [b: c]\n", false},
	{"a: [-1, -x, 0x1F, 1_000, .5, .inf, -.Inf, 0o17, 0b101, -0b1, 1e3, 1.5e+3, 2025-09-01, 2025-9-1 10:00:00, null, ~, True, yes, <<]\n", true},
	{"a: [+1, +.5, 0777, 09, 1__0, 0x_1F, 99999999999999999999, 1e400, 2d, 1d12h, 0b2, -0o8, '1']\n", true},
	{"a: x:y\nb: a#b\nc: a :b\nd: -x\ne: [a:b, c?]\n", false},
	{"a: x:y\nb: a#b\nc: a :b\nd: -x\n", true},
	{"a  : 1\nb :\n  - x\n", true},
	{"é: ü\nk: {é: 日本, x: 😀}\nz: [é, a]\n", true},
	{"k: é{x}\nz: [a, {é: [日, 本]}]\n", true},
	{"a:\n- b: 1\n  c: 2\n- d\nz: 3\n", true},
	{"a:\n  - b: 1\n    c:\n      - x\n      - y\n    d: [1]\n  -\n    e: 2\n  - - x\n", false},
	{"a:\n  - b: 1\n    c:\n      - x\n      - y\n    d: [1]\n  -\n    e: 2\n  - # c\n  -\n", true},
	{"a:\n  -   b: 1\n      c: 2\n", true},
	{"a:\n  - b: 1\n   c: 2\n", false},
	{"a:\n  - b\n - c\n", false},
	{"a:\n    - b\n  - c\n", false},
	{"a: - b\n", false},
	{"a: -\n", false},
	{"a: @x\n", false},
	{"a: `x\n", false},
	{"a: %x\n", false},
	{"a: 1\na: 2\nsystems:\n- id: x\nsystems:\n- id: y\n", true},
	{"<<: {a: 1}\nb: <<\n", true},
	{"teams:\n  - {id: a, capacity: 1}\nsystems:\n  - id: s\n    description: |\n      line\n\n      more\n    restore: 1d\n  -\n    id: t\n  - x\n  - [1]\nservices: []\nbacklogs:\n", true},
}

func TestBlockYAMLMatchesYAML(t *testing.T) {
	for i, c := range blockCases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			if read := checkBlockYAML(t, []byte(c.data)); read != c.read {
				_, _, why := readBlockYAML([]byte(c.data), false)
				t.Errorf("read %v, want %v (%s):\n%q", read, c.read, why, c.data)
			}
		})
	}
}

// shippedYAML is every YAML estate in the repository and what EncodeYAML
// writes: the fast path must read them all.
func shippedYAML(tb testing.TB) map[string][]byte {
	tb.Helper()
	out := map[string][]byte{}
	for _, glob := range []string{"testdata/estate/*.yaml", "testdata/broken/*.yaml", "../examples/*/*.yaml"} {
		names, err := filepath.Glob(glob)
		if err != nil {
			tb.Fatal(err)
		}
		for _, name := range names {
			data, err := os.ReadFile(name)
			if err != nil {
				tb.Fatal(err)
			}
			out[name] = data
		}
	}
	for seed := range uint64(20) {
		e := gen{rand.New(rand.NewPCG(seed, 7))}.estate()
		data, err := EncodeYAML(e)
		if err != nil {
			tb.Fatal(err)
		}
		out[fmt.Sprintf("EncodeYAML(seed %d)", seed)] = data
	}
	big, err := Parse(File{Name: "large.yaml", Data: largeEstateYAML(300, 3)})
	if err != nil {
		tb.Fatal(err)
	}
	data, err := EncodeYAML(big)
	if err != nil {
		tb.Fatal(err)
	}
	out["EncodeYAML(large)"] = data
	out["largeEstateYAML"] = largeEstateYAML(300, 3)
	return out
}

// The estates people write and the generator writes take the fast path;
// a change that made them fall back to yaml.v3 would be slow, not wrong,
// so nothing else would notice.
func TestBlockYAMLReadsShippedEstates(t *testing.T) {
	for name, data := range shippedYAML(t) {
		_, _, why := readBlockYAML(data, true)
		if why != "" && !strings.Contains(name, "seed") {
			t.Errorf("%s: the block reader gives up: %s", name, why)
		}
		checkBlockYAML(t, data)
	}
	// EncodeYAML quotes awkward text in ways the reader may leave to
	// yaml.v3 (text over several lines in double quotes); most it reads.
	read := 0
	for seed := range uint64(20) {
		if data := shippedYAML(t)[fmt.Sprintf("EncodeYAML(seed %d)", seed)]; data != nil {
			if _, _, why := readBlockYAML(data, true); why == "" {
				read++
			}
		}
	}
	if read < 10 {
		t.Errorf("the block reader reads %d of 20 random estates EncodeYAML writes, want most", read)
	}
}

// TestBlockYAMLRandom compares the readers on random documents in the
// forms the block reader reads and near them: nested mappings and lists,
// flows, quotes, blocks, comments, blank lines and line ends anywhere,
// with now and then a character changed.
func TestBlockYAMLRandom(t *testing.T) {
	n := *yamlDocs
	if testing.Short() {
		n /= 10
	}
	r := rand.New(rand.NewPCG(11, 12))
	read := 0
	for range n {
		g := &yamlGen{r: r, nl: "\n"}
		if r.IntN(8) == 0 {
			g.nl = "\r\n"
		}
		data := g.doc()
		if r.IntN(4) == 0 {
			data = g.mutate(data)
		}
		if checkBlockYAML(t, data) {
			read++
		}
	}
	// Most documents should be read, or the comparison says little.
	if read < n/3 {
		t.Errorf("the block reader read %d of %d random documents", read, n)
	}
	t.Logf("the block reader read %d of %d random documents", read, n)
}

// yamlGen writes random YAML.
type yamlGen struct {
	r     *rand.Rand
	nl    string
	b     strings.Builder
	depth int
}

// The pieces documents are made of: most in the reader's subset, a few
// (the wild ones, picked now and then) not, or not in every place.
var (
	genKeys       = []string{"id", "name", "a b", "x-1", "1", "true", "~", "<<", "k:x", "é", "-x", "?x", ":x", "version", "systems", "teams", "requires", "restore", "needs", "0x1F", "2025-09-01", "a#b", "key ", `"q"`, `'q'`, `"a\"b"`, `'it''s'`, `""`}
	genWildKeys   = []string{"- x", "? x", "[a]", "{a: b}", "&a x", "*a", "!t x", `"a`, "a #b"}
	genPlains     = []string{"x", "a b", "1", "-1", "1.5", "1e3", ".5", "0x10", "0o7", "0b11", "1_000", "007", "99999999999999999999", "1e400", "true", "False", "null", "~", "yes", "2025-09-01", "2025-09-01T08:00:00Z", "2025-9-1 1:2:3", "1d12h", "4h", ".inf", "-.INF", ".nan", "a:b", "a#b", "é ü", "日本", "😀", "-x", "<<", "\\", "a  b", "…", "+1", "0b2", "-0o7", "1__0", "a'b", "a\"b"}
	genBlockOnly  = []string{"?x", ":x", "x]", "a,b", "a?", "x[y"}
	genWildPlains = []string{"a #b", "a: b", "-", "x:", "{x", "@x", "%x", "!x", "&x", "*x", "|", ">", "#", "? x", ": x", "'", "\""}
	genQuoted     = []string{"", "x", "it''s", "a\\\"b", "\\n\\t\\\\", "\\u00e9\\U0001F600\\x41", "\\N\\_\\L\\P\\e\\0\\ ", "a # b", "x: y", " lead", "trail ", "日本", "\\x7f\\x85"}
	genWildQuoted = []string{"\\/", "\\ud800", "\\q", "\\x4"}
	genLines      = []string{"text", "  indented more", "", " ", "# not a comment", "a: b", "- x", "'q'", "\"q\"", "é", "trailing  "}
)

func (g *yamlGen) pick(s []string) string { return s[g.r.IntN(len(s))] }

// pickOr picks from wild one time in forty.
func (g *yamlGen) pickOr(s, wild []string) string {
	if g.r.IntN(40) == 0 {
		return g.pick(wild)
	}
	return g.pick(s)
}

func (g *yamlGen) plain(flow bool) string {
	if !flow && g.r.IntN(10) == 0 {
		return g.pick(genBlockOnly)
	}
	return g.pickOr(genPlains, genWildPlains)
}

func (g *yamlGen) quoted() string {
	s := g.pickOr(genQuoted, genWildQuoted)
	if g.r.IntN(2) == 0 {
		return "'" + s + "'"
	}
	return "\"" + s + "\""
}

func (g *yamlGen) doc() []byte {
	g.b.Reset()
	if g.r.IntN(10) == 0 {
		g.b.WriteString("# a comment" + g.nl)
	}
	g.mapping(0)
	if g.r.IntN(3) == 0 {
		g.b.WriteString(g.nl)
	}
	return []byte(g.b.String())
}

func (g *yamlGen) pad(n int) string { return strings.Repeat(" ", n) }

// filler writes, now and then, blank lines and comment lines.
func (g *yamlGen) filler(ind int) {
	for g.r.IntN(6) == 0 {
		switch g.r.IntN(3) {
		case 0:
			g.b.WriteString(g.nl)
		case 1:
			g.b.WriteString(g.pad(g.r.IntN(4)) + g.nl)
		default:
			g.b.WriteString(g.pad(max(0, ind+g.r.IntN(5)-2)) + "# note" + g.nl)
		}
	}
}

// end ends a line after a value, now and then with a comment.
func (g *yamlGen) end() {
	switch g.r.IntN(8) {
	case 0:
		g.b.WriteString(" # c")
	case 1:
		g.b.WriteString("  ")
	}
	g.b.WriteString(g.nl)
}

func (g *yamlGen) mapping(ind int) {
	g.depth++
	defer func() { g.depth-- }()
	for k := range 1 + g.r.IntN(4) {
		if k > 0 {
			g.filler(ind)
			g.b.WriteString(g.pad(ind))
		}
		g.b.WriteString(g.pickOr(genKeys, genWildKeys))
		if g.r.IntN(10) == 0 {
			g.b.WriteString(" ")
		}
		g.b.WriteString(":")
		g.value(ind, true)
	}
}

// value writes what follows a key's colon or a dash, to the end of its
// lines. ind is the indentation of the mapping or list it belongs to.
func (g *yamlGen) value(ind int, inMapping bool) {
	k := g.r.IntN(12)
	if g.depth > 3 {
		k = g.r.IntN(5)
	}
	switch {
	case k == 0:
		g.b.WriteString(" " + g.plain(false))
		g.end()
	case k == 1:
		g.end() // nothing
	case k == 2:
		g.b.WriteString(" " + g.flow(0))
		g.end()
	case k == 3:
		g.b.WriteString(" " + g.quoted())
		g.end()
	case k == 4:
		g.block(ind)
	case k == 5 || k == 6:
		// A mapping on the lines below.
		g.end()
		g.filler(ind)
		in := ind + 1 + g.r.IntN(3)
		g.b.WriteString(g.pad(in))
		g.mapping(in)
	default:
		// A list on the lines below, maybe at the key's indentation.
		g.end()
		g.filler(ind)
		in := ind + g.r.IntN(3)
		if !inMapping || g.r.IntN(3) > 0 {
			in = max(in, ind+1)
		}
		g.list(in)
	}
}

func (g *yamlGen) list(ind int) {
	g.depth++
	defer func() { g.depth-- }()
	for k := range 1 + g.r.IntN(4) {
		if k > 0 {
			g.filler(ind)
		}
		g.b.WriteString(g.pad(ind) + "-")
		if g.r.IntN(3) == 0 {
			// A mapping on the dash's line.
			sp := 1 + g.r.IntN(3)
			g.b.WriteString(g.pad(sp))
			g.mapping(ind + 1 + sp)
			continue
		}
		g.value(ind, false)
	}
}

func (g *yamlGen) flow(depth int) string {
	if depth > 2 || g.r.IntN(3) == 0 {
		if g.r.IntN(3) == 0 {
			return g.quoted()
		}
		return g.plain(true)
	}
	sep := func() string { return []string{", ", ",", " , ", ",  "}[g.r.IntN(4)] }
	var parts []string
	if g.r.IntN(2) == 0 {
		for range g.r.IntN(4) {
			parts = append(parts, g.flow(depth+1))
		}
		return "[" + strings.Join(parts, sep()) + "]"
	}
	for range g.r.IntN(4) {
		k := g.pickOr(genKeys, genWildKeys)
		if strings.ContainsAny(k, "?:") {
			k = "k"
		}
		parts = append(parts, k+": "+g.flow(depth+1))
	}
	return "{" + strings.Join(parts, sep()) + "}"
}

func (g *yamlGen) block(ind int) {
	head := []string{"|", ">", "|-", ">-", "|+", ">+", "|2", ">1-", "|-1", "|3+"}[g.r.IntN(10)]
	g.b.WriteString(" " + head)
	g.end()
	in := ind + 1 + g.r.IntN(3)
	if d := strings.TrimLeft(head, "|>+-"); d != "" {
		in = ind + int(d[0]-'0')
	}
	for i := range g.r.IntN(5) {
		if i == 0 && g.r.IntN(4) > 0 {
			// The first line sets the indentation, unless given.
			g.b.WriteString(g.pad(in) + "first" + g.nl)
			continue
		}
		switch g.r.IntN(6) {
		case 0:
			g.b.WriteString(g.nl)
		case 1:
			g.b.WriteString(g.pad(in+1+g.r.IntN(2)) + g.pick(genLines) + g.nl)
		case 2:
			g.b.WriteString(g.pad(g.r.IntN(in+1)) + g.nl)
		default:
			g.b.WriteString(g.pad(in) + g.pick(genLines) + g.nl)
		}
	}
}

// mutate changes, inserts or deletes a few bytes.
func (g *yamlGen) mutate(data []byte) []byte {
	for range 1 + g.r.IntN(3) {
		if len(data) == 0 {
			return data
		}
		i := g.r.IntN(len(data))
		c := " -:#\n'\"[]{},|>ab1\t&*"[g.r.IntN(20)]
		switch g.r.IntN(3) {
		case 0:
			data[i] = c
		case 1:
			data = append(data[:i], append([]byte{c}, data[i:]...)...)
		default:
			data = append(data[:i], data[i+1:]...)
		}
	}
	return data
}
