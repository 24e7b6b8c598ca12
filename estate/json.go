package estate

// Reading JSON: a scanner of its own that builds the node tree the YAML
// parser builds for the same text. Parsing and checking a large estate
// takes a fifth of the time it takes through the YAML parser, and a
// quarter of the memory (docs/benchmarks.md). The decoder walks that tree
// as it walks any other, so every check, message and position is shared.
//
// It reads strict JSON (RFC 8259), and of that only what the YAML parser
// reads the same way. For anything else it gives up and the file goes to
// the YAML parser as before, which tolerates trailing commas and reports
// what it reports. Giving up is cheap: it happens at the first place in
// the file that is not plain JSON.

import (
	"fmt"
	"strconv"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// jsonFail says why the scanner gave up on a file.
type jsonFail struct {
	line, col int
	msg       string
	// syntax is set when the file is not JSON at all (as opposed to JSON
	// the YAML parser would read otherwise, or reject for its own reasons).
	syntax bool
}

// jsonStop unwinds the scanner when it gives up.
type jsonStop struct{}

// maxJSONDepth bounds nesting; deeper files (no estate is deeper than
// six) go to the YAML parser, which has limits of its own.
const maxJSONDepth = 200

// maxJSONKey bounds the bytes from a key's opening quote to its colon:
// the YAML parser takes a key only within 1024 characters of its colon.
const maxJSONKey = 1000

// looksJSON reports whether data starts like a JSON object or array.
func looksJSON(data []byte) bool {
	for _, c := range trimBOM(data) {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{', '[':
			return true
		}
		return false
	}
	return false
}

func trimBOM(data []byte) []byte {
	if len(data) >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF {
		return data[3:]
	}
	return data
}

// readJSON builds the node tree of a JSON document: the tree the YAML
// parser would give, except that columns after a \/ or a surrogate-pair
// escape are right (the YAML path's are off by one or two, see
// jsonEscapes). On failure the tree is nil and fail says why.
//
// With lazy, the entries of the top-level lists (teams, systems,
// services, backlogs) are checked but not built: lists says where each
// starts, and builds it when the decoder comes to it. A large file's
// tree then never exists whole.
func readJSON(data []byte, lazy bool) (root *yaml.Node, lists *jsonLists, fail *jsonFail) {
	r := &jsonReader{data: trimBOM(data), line: 1}
	if lazy {
		r.lists = &jsonLists{r: r, marks: make(map[*yaml.Node][]jsonMark)}
	}
	defer func() {
		if p := recover(); p != nil {
			if _, ok := p.(jsonStop); !ok {
				panic(p)
			}
			root, lists, fail = nil, nil, r.fail
		}
	}()
	// The YAML parser takes a tab before or after the outermost brackets
	// (outside any flow collection) for an indentation error.
	r.space(false)
	root = r.value()
	r.space(false)
	if r.i < len(r.data) {
		r.syntax("there is more after the end of the JSON document, starting with " + r.found())
	}
	r.flush()
	// The entries built later must not reuse the slabs of this tree.
	r.keep()
	return root, r.lists, nil
}

// jsonLists holds the top-level lists of a JSON file unbuilt (see
// readJSON).
type jsonLists struct {
	r     *jsonReader
	marks map[*yaml.Node][]jsonMark // per list, where each entry starts
}

// jsonMark is where a value starts: its offset, line and column.
type jsonMark struct {
	i         int
	line, col int32
}

// lazyList reports whether the top-level field key's list is read
// lazily: the lists of entities, which make up nearly all of a file.
func lazyList(key string) bool {
	switch key {
	case "teams", "systems", "services", "backlogs":
		return true
	}
	return false
}

func (l *jsonLists) count(n *yaml.Node) (int, bool) {
	marks, ok := l.marks[n]
	return len(marks), ok
}

// entry builds entry k of list n. It reuses the nodes of the entry built
// before, which the decoder, having walked it, no longer holds.
func (l *jsonLists) entry(n *yaml.Node, k int) (v *yaml.Node) {
	r := l.r
	m := l.marks[n][k]
	// Columns count on from m.col: as if the line started col-1 bytes
	// before, all of them single-byte characters.
	r.i, r.line, r.lineStart, r.cont, r.depth = m.i, int(m.line), m.i-int(m.col)+1, 0, 2
	r.reuse()
	defer func() {
		if p := recover(); p != nil {
			if _, ok := p.(jsonStop); ok {
				// The entry was read once already; reading it again
				// cannot fail.
				panic(fmt.Sprintf("estate: JSON entry at %d:%d read differently the second time: %s", m.line, m.col, r.fail.msg))
			}
			panic(p)
		}
	}()
	v = r.value()
	r.flush()
	return v
}

type jsonReader struct {
	data      []byte
	i         int // the offset read up to
	line      int // 1-based
	lineStart int // offset of the line's first byte
	cont      int // UTF-8 continuation bytes in data[lineStart:i]
	depth     int
	fail      *jsonFail

	// lists, when set, holds the top-level lists unbuilt; treeSlab.skim
	// is set while such a list's entries are checked without building
	// nodes.
	lists *jsonLists
	treeSlab
	buf []byte // a string with escapes, decoded
}

// col is the column of data[i] as the YAML parser counts it: in
// characters, from 1.
func (r *jsonReader) col() int { return r.i - r.lineStart - r.cont + 1 }

func (r *jsonReader) stop(msg string, syntax bool) {
	r.fail = &jsonFail{line: r.line, col: r.col(), msg: msg, syntax: syntax}
	panic(jsonStop{})
}

func (r *jsonReader) syntax(msg string) { r.stop(msg, true) }

// unlike gives up on JSON that the YAML parser reads otherwise.
func (r *jsonReader) unlike(msg string) { r.stop(msg, false) }

// found describes the byte at r.i for a message.
func (r *jsonReader) found() string {
	if r.i >= len(r.data) {
		return "the end of the file"
	}
	c, _ := utf8.DecodeRune(r.data[r.i:])
	return strconv.QuoteRune(c)
}

// space skips white space, counting lines as the YAML parser does: LF,
// CR and CR LF each end one.
func (r *jsonReader) space(tabs bool) {
	for r.i < len(r.data) {
		switch r.data[r.i] {
		case ' ':
			r.i++
		case '\t':
			if !tabs {
				r.unlike("a tab outside the brackets")
			}
			r.i++
		case '\n':
			if r.i == 0 || r.data[r.i-1] != '\r' {
				r.line++
			}
			r.i++
			r.lineStart, r.cont = r.i, 0
		case '\r':
			r.line++
			r.i++
			r.lineStart, r.cont = r.i, 0
		default:
			return
		}
	}
}

func (r *jsonReader) node(kind yaml.Kind, tag string) *yaml.Node {
	return r.treeSlab.node(kind, tag, r.line, r.col())
}

func (r *jsonReader) value() *yaml.Node {
	if r.i >= len(r.data) {
		r.syntax("the file ends where a value should follow")
	}
	switch c := r.data[r.i]; {
	case c == '{':
		return r.object()
	case c == '[':
		return r.array()
	case c == '"':
		n := r.node(yaml.ScalarNode, "!!str")
		n.Style = yaml.DoubleQuotedStyle
		r.setValue(n, r.str())
		return n
	case c == '-' || c >= '0' && c <= '9':
		n := r.node(yaml.ScalarNode, "")
		text := r.number()
		if !r.skim {
			n.Tag = numberTag(text)
			r.setValue(n, text)
		}
		return n
	case c == 't':
		return r.literal("true", "!!bool")
	case c == 'f':
		return r.literal("false", "!!bool")
	case c == 'n':
		return r.literal("null", "!!null")
	}
	r.syntax("a value cannot start with " + r.found())
	return nil
}

func (r *jsonReader) literal(word, tag string) *yaml.Node {
	n := r.node(yaml.ScalarNode, tag)
	if len(r.data)-r.i < len(word) || string(r.data[r.i:r.i+len(word)]) != word {
		r.syntax("a value cannot start with " + r.found() + " (did you mean " + word + "?)")
	}
	r.i += len(word)
	n.Value = word
	return n
}

func (r *jsonReader) enter() {
	r.depth++
	if r.depth > maxJSONDepth {
		r.unlike("nested too deep")
	}
}

func (r *jsonReader) object() *yaml.Node {
	n := r.node(yaml.MappingNode, "!!map")
	n.Style = yaml.FlowStyle
	r.enter()
	r.i++
	base := len(r.stack)
	r.space(true)
	if r.i < len(r.data) && r.data[r.i] == '}' {
		r.i++
		r.depth--
		return n
	}
	for {
		if r.i >= len(r.data) || r.data[r.i] != '"' {
			r.syntax("expected a key in double quotes, found " + r.found())
		}
		k := r.node(yaml.ScalarNode, "!!str")
		k.Style = yaml.DoubleQuotedStyle
		start, line := r.i, r.line
		k.Value = r.key(r.str())
		r.space(true)
		if r.i >= len(r.data) || r.data[r.i] != ':' {
			r.syntax("expected ':' after the key, found " + r.found())
		}
		if r.line != line || r.i-start > maxJSONKey {
			r.unlike("a key far from its colon")
		}
		r.i++
		r.space(true)
		if r.lists != nil && r.depth == 1 && lazyList(k.Value) && r.i < len(r.data) && r.data[r.i] == '[' {
			r.stack = append(r.stack, k, r.lazyArray())
		} else {
			r.stack = append(r.stack, k, r.value())
		}
		if !r.more('}', "an object") {
			break
		}
	}
	n.Content = r.content(base)
	r.depth--
	return n
}

// more reads what follows a value in an object or a list: a comma, so
// another value follows (true), or the closing bracket (false).
func (r *jsonReader) more(closing byte, in string) bool {
	r.space(true)
	if r.i < len(r.data) && r.data[r.i] == ',' {
		r.i++
		r.space(true)
		return true
	}
	if r.i < len(r.data) && r.data[r.i] == closing {
		r.i++
		return false
	}
	r.syntax("expected ',' or '" + string(closing) + "' after a value in " + in + ", found " + r.found())
	return false
}

func (r *jsonReader) array() *yaml.Node {
	n := r.node(yaml.SequenceNode, "!!seq")
	n.Style = yaml.FlowStyle
	r.enter()
	r.i++
	base := len(r.stack)
	r.space(true)
	if r.i < len(r.data) && r.data[r.i] == ']' {
		r.i++
		r.depth--
		return n
	}
	for {
		r.stack = append(r.stack, r.value())
		if !r.more(']', "a list") {
			break
		}
	}
	n.Content = r.content(base)
	r.depth--
	return n
}

// lazyArray reads a top-level list, checking its entries but only
// noting where each starts.
func (r *jsonReader) lazyArray() *yaml.Node {
	n := r.node(yaml.SequenceNode, "!!seq")
	n.Style = yaml.FlowStyle
	r.enter()
	r.i++
	r.space(true)
	var marks []jsonMark
	if r.i < len(r.data) && r.data[r.i] == ']' {
		r.i++
		r.depth--
		return n
	}
	for {
		marks = append(marks, jsonMark{r.i, int32(r.line), int32(r.col())})
		r.skim = true
		r.value()
		r.skim = false
		if !r.more(']', "a list") {
			break
		}
	}
	r.lists.marks[n] = marks
	r.depth--
	return n
}

// str reads a string whose opening quote is at r.i and returns its
// bytes, valid only until the next call.
func (r *jsonReader) str() []byte {
	r.i++
	start := r.i
	for r.i < len(r.data) {
		c := r.data[r.i]
		if c == '"' {
			r.i++
			return r.data[start : r.i-1]
		}
		if c == '\\' || c < 0x20 || c >= 0x7f {
			break
		}
		r.i++
	}
	r.buf = append(r.buf[:0], r.data[start:r.i]...)
	for {
		if r.i >= len(r.data) {
			r.syntax("a string is not closed: the file ends inside it")
		}
		c := r.data[r.i]
		switch {
		case c == '"':
			r.i++
			return r.buf
		case c == '\\':
			r.escape()
		case c < 0x20:
			r.syntax(fmt.Sprintf("a control character (%U) inside a string; write it as an escape such as \\n", c))
		case c < 0x7f:
			r.buf = append(r.buf, c)
			r.i++
		default:
			ch, size := utf8.DecodeRune(r.data[r.i:])
			switch {
			case ch == utf8.RuneError && size == 1:
				r.unlike("not UTF-8")
			// The YAML parser refuses these characters written out, and
			// takes NEL, LS and PS for line breaks.
			case ch == 0x7f, ch >= 0x80 && ch <= 0x9f, ch == 0x2028, ch == 0x2029, ch == 0xfffe, ch == 0xffff:
				r.unlike("a character the YAML parser reads otherwise")
			}
			r.buf = append(r.buf, r.data[r.i:r.i+size]...)
			r.i += size
			r.cont += size - 1
		}
	}
}

// escape decodes the escape at r.i into r.buf.
func (r *jsonReader) escape() {
	if r.i+1 >= len(r.data) {
		r.syntax("a string is not closed: the file ends inside it")
	}
	c := r.data[r.i+1]
	var b byte
	switch c {
	case '"', '\\', '/':
		b = c
	case 'b':
		b = '\b'
	case 'f':
		b = '\f'
	case 'n':
		b = '\n'
	case 'r':
		b = '\r'
	case 't':
		b = '\t'
	case 'u':
		start := r.i
		ch := r.hex4()
		r.i += 6
		if ch >= 0xd800 && ch < 0xe000 {
			// Only a high surrogate followed by a low one makes a
			// character; the YAML path refuses a lone one.
			lo := rune(0)
			if ch < 0xdc00 && r.i+1 < len(r.data) && r.data[r.i] == '\\' && r.data[r.i+1] == 'u' {
				lo = r.hex4()
			}
			if lo < 0xdc00 || lo >= 0xe000 {
				r.i = start
				r.unlike("a lone UTF-16 surrogate")
			}
			r.i += 6
			ch = 0x10000 + (ch-0xd800)<<10 + (lo - 0xdc00)
		}
		r.buf = utf8.AppendRune(r.buf, ch)
		return
	default:
		r.i++
		r.syntax("unknown escape: a backslash and " + r.found() + " in a string (JSON's escapes are \\\" \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX)")
	}
	r.buf = append(r.buf, b)
	r.i += 2
}

// hex4 reads the four hex digits of the \u escape at r.i.
func (r *jsonReader) hex4() rune {
	if r.i+6 > len(r.data) {
		r.syntax("a \\u escape needs four hex digits")
	}
	ch, ok := hexValue(r.data[r.i+2 : r.i+6])
	if !ok {
		r.syntax("a \\u escape needs four hex digits")
	}
	return ch
}

// hexValue reads hex digits (at most eight) as a number; ok is false
// when one is not a hex digit. The JSON and block-YAML readers' escapes
// both use it.
func hexValue(digits []byte) (v rune, ok bool) {
	for _, c := range digits {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			v = v<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return v, true
}

// number reads a JSON number and returns its text.
func (r *jsonReader) number() []byte {
	start := r.i
	if r.data[r.i] == '-' {
		r.i++
	}
	switch {
	case r.i < len(r.data) && r.data[r.i] == '0':
		r.i++
	case r.i < len(r.data) && r.data[r.i] >= '1' && r.data[r.i] <= '9':
		r.digits()
	default:
		r.syntax("a number needs a digit after the minus sign")
	}
	if r.i < len(r.data) && r.data[r.i] == '.' {
		r.i++
		if r.digits() == 0 {
			r.syntax("a number needs a digit after the decimal point")
		}
	}
	if r.i < len(r.data) && (r.data[r.i] == 'e' || r.data[r.i] == 'E') {
		r.i++
		if r.i < len(r.data) && (r.data[r.i] == '+' || r.data[r.i] == '-') {
			r.i++
		}
		if r.digits() == 0 {
			r.syntax("a number needs a digit in its exponent")
		}
	}
	return r.data[start:r.i]
}

func (r *jsonReader) digits() int {
	start := r.i
	for r.i < len(r.data) && r.data[r.i] >= '0' && r.data[r.i] <= '9' {
		r.i++
	}
	return r.i - start
}

// numberTag is the tag the YAML parser gives a JSON number: !!int when
// it fits 64 bits, else !!float when it is finite, else !!str.
func numberTag(b []byte) string {
	if len(b) <= 18 {
		whole := true
		for _, c := range b {
			if c < '0' || c > '9' {
				whole = false
				break
			}
		}
		if whole {
			return "!!int"
		}
	}
	s := string(b)
	if _, err := strconv.ParseInt(s, 0, 64); err == nil {
		return "!!int"
	}
	if _, err := strconv.ParseUint(s, 0, 64); err == nil {
		return "!!int"
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return "!!float"
	}
	return "!!str"
}
