package estate

// Reading YAML: one document per file, aliases under a work budget, and
// the walk over mappings that finds unknown and repeated fields.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// abortFile stops the walk of one file whose aliases expand too far.
type abortFile struct{}

// visit resolves aliases and counts the work. Every node the walk looks
// at passes through here, so the budget bounds the whole walk, however
// the aliases nest or loop.
func (d *decoder) visit(n *yaml.Node) *yaml.Node {
	for hops := 0; n != nil && n.Kind == yaml.AliasNode; hops++ {
		if n.Alias == nil || hops > 8 {
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: n.Line, Column: n.Column}
		}
		d.steps++
		if d.steps > d.budget {
			d.problem(d.at(n), "", "", fmt.Sprintf("aliases expand this file to more than %d values", d.budget), "write the values out, or use fewer aliases")
			panic(abortFile{})
		}
		n = n.Alias
	}
	if n == nil {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}
	}
	d.steps++
	if d.steps > d.budget {
		d.problem(d.at(n), "", "", fmt.Sprintf("aliases expand this file to more than %d values", d.budget), "write the values out, or use fewer aliases")
		panic(abortFile{})
	}
	return n
}

// yamlLine finds the line number in a yaml error message.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// readTree parses data into the root of its one document: JSON with the
// scanner of json.go and block YAML with the reader of yamlblock.go
// where they can, anything else with the YAML parser. It returns nil for
// an empty file or a failure, and whether it reported a problem.
func (d *decoder) readTree(data []byte) (root *yaml.Node, reported bool) {
	var jf *jsonFail
	if !d.opts.yamlOnly && !looksJSON(data) {
		root, lists, why := readBlockYAML(data, !d.opts.eagerYAML)
		if why == "" {
			if lists != nil {
				d.lists = lists
			}
			return root, false
		}
	}
	if !d.opts.yamlOnly && looksJSON(data) {
		var lists *jsonLists
		if root, lists, jf = readJSON(data, !d.opts.eagerJSON); jf == nil {
			if lists != nil {
				d.lists = lists
			}
			return root, false
		}
		// The YAML parser reads some JSON mistakes (trailing commas) and
		// JSON it must refuse as it always has; only when it fails too is
		// the JSON scanner's place and message the better one.
		if !jf.syntax || !strings.HasSuffix(strings.ToLower(d.name), ".json") {
			jf = nil
		}
	}
	return d.readYAML(data, jf)
}

// readYAML parses data into its one document. It returns nil for an
// empty file. The YAML library is third-party code on hostile input, so a
// panic in it becomes a problem instead of a crash. A syntax error is
// reported as jf's, when that is given.
func (d *decoder) readYAML(data []byte, jf *jsonFail) (root *yaml.Node, reported bool) {
	defer func() {
		if r := recover(); r != nil {
			d.problem(loc{d.file, 0, 0}, "", "", fmt.Sprintf("the YAML parser failed on this file: %v", r), "check the file's syntax near any unusual characters")
			root, reported = nil, true
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(jsonEscapes(data)))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if !errors.Is(err, io.EOF) {
			d.syntaxProblem(err, data, jf)
			return nil, true
		}
		return nil, false
	}
	for {
		var more yaml.Node
		err := dec.Decode(&more)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			d.syntaxProblem(err, data, jf)
			return nil, true
		}
		if !emptyDocument(&more) {
			d.problem(d.at(&more), "", "", "a second YAML document starts here; an estate file holds one document per file", "remove the \"---\" line and merge the two, or move the second document to a file of its own")
			return nil, true
		}
	}
	if emptyDocument(&doc) {
		return nil, false
	}
	if doc.Kind == yaml.DocumentNode {
		return doc.Content[0], false
	}
	return &doc, false
}

func emptyDocument(n *yaml.Node) bool {
	if n.Kind == yaml.DocumentNode {
		return len(n.Content) == 0 || emptyDocument(n.Content[0])
	}
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null" && n.Value == ""
}

var unknownAnchor = regexp.MustCompile(`^unknown anchor '(.*)' referenced$`)

func (d *decoder) syntaxProblem(err error, data []byte, jf *jsonFail) {
	if jf != nil {
		d.problem(loc{d.file, int32(jf.line), int32(jf.col)}, "", "", "JSON syntax: "+jf.msg, "check the JSON there: keys and text in double quotes, a comma between entries, every bracket and quote closed")
		return
	}
	msg := err.Error()
	line := 0
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	col := 0
	if m := unknownAnchor.FindStringSubmatch(msg); m != nil && line == 0 {
		// The parser gives no place for this one; the first alias with
		// that name is it.
		if i := bytes.Index(data, []byte("*"+m[1])); i >= 0 {
			line = 1 + bytes.Count(data[:i], []byte("\n"))
			col = 1 + i - (bytes.LastIndexByte(data[:i], '\n') + 1)
		}
	}
	fix := "fix the syntax on that line: indentation, quotes, brackets and \"key: value\" pairs"
	switch {
	case strings.Contains(msg, "cannot start any token"):
		fix = "YAML indents with spaces, never tabs; also quote text that starts with @ or `"
	case strings.Contains(msg, "mapping values are not allowed"):
		fix = "check the indentation; text containing \": \" must be quoted"
	case strings.Contains(msg, "did not find expected"):
		fix = "check the indentation and that brackets and quotes are closed"
	case strings.Contains(msg, "already defined"), strings.Contains(msg, "unknown anchor"):
		fix = "define each anchor (&name) once, before any alias (*name) to it"
	}
	d.problem(loc{d.file, int32(line), int32(col)}, "", "", "YAML syntax: "+msg, fix)
}

// fields walks the pairs of the mapping n, calling fn with each known
// field's index and resolved value. It reports unknown fields (with a
// spelling suggestion) and fields written twice, and follows YAML merge
// keys ("<<: *defaults"), whose fields give way to those written out.
func (d *decoder) fields(n *yaml.Node, p string, names []string, what string, fn func(f int, k, v *yaml.Node)) {
	var seen [maxFields]*yaml.Node
	d.fieldsOf(n, p, names, what, fn, &seen, 0)
}

func (d *decoder) fieldsOf(n *yaml.Node, p string, names []string, what string, fn func(f int, k, v *yaml.Node), seen *[maxFields]*yaml.Node, depth int) {
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := d.visit(n.Content[i])
		if k.Kind != yaml.ScalarNode {
			d.problem(d.at(k), p, "", "a key must be a plain name, not "+kindOf(k), "write \"name: value\"")
			continue
		}
		if k.Tag == "!!merge" {
			merges = append(merges, n.Content[i+1])
			continue
		}
		f := -1
		for j, name := range names {
			if name == k.Value {
				f = j
				break
			}
		}
		if f < 0 && d.out.full() {
			d.out.drop()
			continue
		}
		if f < 0 {
			fix := didYouMean(d.sug.Nearest(k.Value, names))
			if fix == "" {
				fix = "the fields of " + what + " are " + strings.Join(names, ", ")
			}
			d.problem(d.at(k), p, keyName(k.Value), "unknown field", fix)
			continue
		}
		if prev := seen[f]; prev != nil {
			if depth == 0 {
				d.problem(d.at(k), p, k.Value, fmt.Sprintf("is written twice; it was first set at line %d", prev.Line), "keep one of the two")
			}
			continue
		}
		seen[f] = k
		fn(f, k, d.visit(n.Content[i+1]))
	}
	for _, m := range merges {
		m = d.visit(m)
		if depth >= 8 {
			d.problem(d.at(m), p, "<<", "merge keys nest too deep", "merge at most 8 levels deep")
			return
		}
		switch m.Kind {
		case yaml.MappingNode:
			d.fieldsOf(m, p, names, what, fn, seen, depth+1)
		case yaml.SequenceNode:
			for _, c := range m.Content {
				c = d.visit(c)
				if c.Kind != yaml.MappingNode {
					d.problem(d.at(c), p, "<<", "can merge only mappings, not "+kindOf(c), "write \"<<: *defaults\" where &defaults names a mapping")
					continue
				}
				d.fieldsOf(c, p, names, what, fn, seen, depth+1)
			}
		default:
			d.problem(d.at(m), p, "<<", "can merge only mappings, not "+kindOf(m), "write \"<<: *defaults\" where &defaults names a mapping")
		}
	}
}

// keyName shortens a key for a message.
func keyName(k string) string {
	if len(k) > 40 || !printable(k) {
		return strconv.QuoteToASCII(shorten(k, 40))
	}
	return k
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && (s[cut]&0xC0) == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}

// kindOf describes a node for a message about a wrong type.
func kindOf(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "nothing"
		case "!!int", "!!float":
			return "the number " + shorten(n.Value, 40)
		case "!!bool":
			return n.Value
		case "!!timestamp":
			return "the date " + shorten(n.Value, 40)
		}
		return "the text " + strconv.Quote(shorten(n.Value, 40))
	}
	return "something else"
}

// jsonEscapes rewrites two JSON string escapes that the YAML parser
// rejects, inside the strings of a file that starts like JSON: "\/"
// becomes "/", and a UTF-16 surrogate pair "\ud83d\ude00" becomes the
// YAML escape "\U0001f600". Other files are returned as they are. A
// column after such an escape is off by one or two on that line.
func jsonEscapes(data []byte) []byte {
	t := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(t) == 0 || t[0] != '{' && t[0] != '[' || !bytes.Contains(data, []byte(`\/`)) && !bytes.Contains(data, []byte(`\u`)) && !bytes.Contains(data, []byte(`\U`)) {
		return data
	}
	out := make([]byte, 0, len(data))
	in := false
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch {
		case !in:
			in = c == '"'
		case c == '"':
			in = false
		case c == '\\' && i+1 < len(data):
			if data[i+1] == '/' {
				continue // keep the slash, drop the backslash
			}
			if hi, ok := hex4(data, i+1); ok && hi >= 0xD800 && hi < 0xDC00 && i+11 < len(data) && data[i+6] == '\\' {
				if lo, ok := hex4(data, i+7); ok && lo >= 0xDC00 && lo < 0xE000 {
					r := 0x10000 + (hi-0xD800)<<10 + (lo - 0xDC00)
					out = fmt.Appendf(out, "\\U%08x", r)
					i += 11
					continue
				}
			}
			out = append(out, c)
			i++
			c = data[i]
		}
		out = append(out, c)
	}
	return out
}

// hex4 reads the four hex digits of a \u escape whose 'u' is at data[i].
func hex4(data []byte, i int) (rune, bool) {
	if i+4 >= len(data) || data[i] != 'u' && data[i] != 'U' {
		return 0, false
	}
	n, err := strconv.ParseUint(string(data[i+1:i+5]), 16, 32)
	return rune(n), err == nil
}
