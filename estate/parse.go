package estate

import (
	"bytes"
	"path"
	"runtime"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Parse reads estate files (YAML or JSON) and the CSV item files they
// name, merges them into one estate, fills defaults (see SetDefaults)
// and validates it. A file whose name ends in ".csv" is an item file,
// matched to the backlog whose items field names it (relative to the
// directory of the estate file, cleaned with path.Clean); every other
// file is an estate file. File names use forward slashes.
//
// Several estate files merge into one estate: their lists concatenate,
// and a top-level value set in several files must agree.
//
// The error, when not nil, is Problems: every problem found, sorted by
// file, line and column.
func Parse(files ...File) (*Estate, error) {
	e, _, probs := parse(files)
	if len(probs) > 0 {
		return nil, probs
	}
	return e, nil
}

func parse(files []File) (*Estate, *sources, Problems) {
	return parseWith(files, defaultOpts())
}

// readOpts says how to read estate files.
type readOpts struct {
	// workers bounds the goroutines reading files' trees side by side;
	// the trees are decoded in file order, so the result is the same for
	// any number.
	workers int
	// yamlOnly reads every file with the YAML parser (yaml.v3), JSON and
	// block YAML too, as the tests compare.
	yamlOnly bool
	// eagerJSON builds JSON trees whole, as the tests compare; Parse
	// builds them an entity at a time (see readJSON), which allocates a
	// quarter of the memory in three fifths of the time.
	eagerJSON bool
	// eagerYAML builds block YAML trees whole, as the tests compare;
	// Parse builds them an entity at a time too (see readBlockYAML).
	eagerYAML bool
}

// defaultOpts reads files on every processor the Go runtime may use.
func defaultOpts() readOpts {
	return readOpts{workers: runtime.GOMAXPROCS(0)}
}

func parseWith(files []File, opts readOpts) (*Estate, *sources, Problems) {
	d := newDecoder()
	var csvs, estateFiles []File
	for _, f := range files {
		if isCSV(f.Name) {
			csvs = append(csvs, f)
			continue
		}
		estateFiles = append(estateFiles, f)
	}
	trees := readTrees(estateFiles, opts)
	for i, f := range estateFiles {
		d.estateFile(f, trees.next(i))
	}
	if len(estateFiles) == 0 {
		d.out.add(Problem{Message: "no estate file was given", Fix: "name at least one estate file (YAML or JSON)"})
		return nil, nil, d.out.problems()
	}
	d.attachItems(csvs)
	c := newChecker(d.e, d.s, d.sug, d.out)
	c.check()
	if len(d.out.list) > 0 {
		return nil, d.s, d.out.problems()
	}
	d.e.SetDefaults()
	return d.e, d.s, nil
}

func isCSV(name string) bool { return strings.HasSuffix(strings.ToLower(name), ".csv") }

// attachItems parses the item files and hands each backlog the items of
// the file it names.
func (d *decoder) attachItems(csvs []File) {
	byPath := make(map[string]*itemsCSV, len(csvs))
	var paths []string
	for _, f := range csvs {
		p := path.Clean(f.Name)
		if _, dup := byPath[p]; dup {
			continue
		}
		byPath[p] = nil
		paths = append(paths, p)
	}
	parsed := make(map[string]bool, len(csvs))
	for _, f := range csvs {
		p := path.Clean(f.Name)
		if parsed[p] {
			continue
		}
		parsed[p] = true
		byPath[p] = d.parseItemsCSV(f)
	}
	for i := range d.e.Backlogs {
		want := d.itemsPath[i]
		if want == "" {
			continue
		}
		s := &d.s.backlogs[i]
		got, ok := byPath[want]
		if !ok {
			fix := "pass the file along with the estate files"
			if near := d.sug.Nearest(want, paths); near != "" {
				fix = "a file " + near + " was given; " + didYouMean(near)
			}
			d.problem(s.f[blItems], entityPath("backlogs", d.e.Backlogs[i].ID, i), "items", "the items file "+want+" was not given", fix)
			s.mark(blItems)
			continue
		}
		got.used = true
		b := &d.e.Backlogs[i]
		b.Items = append([]BacklogItem(nil), got.items...)
		d.s.items[i] = append([]itemSrc(nil), got.srcs...)
	}
	for _, p := range paths {
		if got := byPath[p]; got != nil && !got.used {
			d.out.add(Problem{File: p, Message: "no backlog names this items file", Fix: "name it in a backlog (\"items: " + path.Base(p) + "\", relative to the estate file), or leave it out"})
		}
	}
}

// sortProblems orders problems by file name, line and column.
func sortProblems(ps Problems) Problems {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	return ps
}

// ItemRefs returns the paths of the item files that the estate files
// name, as Parse will look for them (joined to the directory of the
// estate file that names them, cleaned), without duplicates, in the order
// they are named. It reads leniently and validates nothing, so that a
// loader can read the files before calling Parse; files it cannot read
// name nothing.
func ItemRefs(files ...File) []string {
	return itemRefsWith(files, defaultOpts())
}

func itemRefsWith(files []File, opts readOpts) []string {
	var named []File
	for _, f := range files {
		if !isCSV(f.Name) && mayNameItems(f.Data) {
			named = append(named, f)
		}
	}
	var out []string
	seen := map[string]bool{}
	trees := readTrees(named, opts)
	for i, f := range named {
		for _, ref := range itemRefs(f, trees.next(i)) {
			p := itemsPath(f.Name, ref)
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// mayNameItems rules out, without parsing, a file that cannot name an
// items file: one without the word "items" written out, an escape that
// could spell it, or a UTF-16 byte order mark. Generated estates seldom
// have items, and parsing a large file twice doubles the loader's time.
func mayNameItems(data []byte) bool {
	return bytes.Contains(data, []byte("items")) || bytes.IndexByte(data, '\\') >= 0 ||
		bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF})
}

func itemRefs(f File, t fileTree) (refs []string) {
	d := newDecoder()
	d.file = d.addFile(f.Name)
	d.name = f.Name
	d.lists = t.lists
	d.budget = 10_000 + 4*len(f.Data)
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(abortFile); !ok {
				panic(r)
			}
		}
	}()
	root := t.root
	if root == nil {
		return nil
	}
	root = d.visit(root)
	backlogs := d.lookup(root, "backlogs")
	if backlogs == nil || backlogs.Kind != yaml.SequenceNode {
		return nil
	}
	for k := range d.entries(backlogs) {
		b := d.visit(d.entry(backlogs, k))
		if items := d.lookup(b, "items"); items != nil && items.Kind == yaml.ScalarNode && items.Tag != "!!null" && strings.TrimSpace(items.Value) != "" {
			refs = append(refs, items.Value)
		}
	}
	return refs
}

// lookup finds the value of key in mapping n.
func (d *decoder) lookup(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := d.visit(n.Content[i]); k.Kind == yaml.ScalarNode && k.Value == key {
			return d.visit(n.Content[i+1])
		}
	}
	return nil
}
