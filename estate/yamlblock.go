package estate

// Reading block YAML: a reader of phasegate's own for the part of YAML
// that estates are written in, by hand and by EncodeYAML. It builds the
// node tree yaml.v3 builds for the same text (tags, styles, lines and
// columns in characters), so the decoder and every check are shared, and
// like the JSON scanner it checks the whole file first and then builds
// the entries of the top-level lists one at a time, as the decoder comes
// to them: the tree of a large file never exists whole. On a
// 100,000-system estate it reads in a fraction of the time and memory
// yaml.v3 takes (docs/benchmarks.md).
//
// It reads block mappings and lists, flow mappings and lists on one
// line, plain and quoted text on one line, literal and folded blocks,
// comments and blank lines, LF or CR LF line ends, a UTF-8 byte order
// mark. Anything else (anchors, aliases, tags, explicit keys, several
// documents, directives, plain or quoted text over several lines, a flow
// over several lines, tabs, quoted keys, anything yaml.v3 would refuse)
// it gives up on, and the file goes to yaml.v3 as before. So correctness
// never depends on it being complete: FuzzBlockYAMLMatchesYAML checks
// that what it reads, it reads as yaml.v3 does.

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// blockGiveUp unwinds the reader when it meets what it leaves to yaml.v3.
type blockGiveUp struct{}

// maxBlockDepth bounds nesting; no estate nests deeper than six.
const maxBlockDepth = 64

// maxBlockKey bounds the bytes from a key's start to its colon: yaml.v3
// takes a key only within 1024 characters of its colon.
const maxBlockKey = 1000

type blockReader struct {
	data      []byte
	i         int // the offset read up to
	line      int // 1-based line of data[i]
	lineStart int // offset of the line's first byte
	ind       int // indentation of the content line at i; -1 at the end
	depth     int
	why       string // why it gave up

	// The count of UTF-8 continuation bytes on the line at lineStart
	// before colAt: columns count characters, and asking for them from
	// left to right costs one pass over the line.
	colLine, colAt, colCont int

	// lists, when set, holds the top-level lists unbuilt.
	lists *blockLists
	treeSlab
	buf []byte // a value that is not a slice of data: escapes, blocks
}

// readBlockYAML builds the tree of a block YAML document, or says why it
// gives up (why is then not empty). With lazy, the entries of the
// top-level lists (teams, systems, services, backlogs) written as block
// lists are checked but not built: lists builds each when asked.
func readBlockYAML(data []byte, lazy bool) (root *yaml.Node, lists *blockLists, why string) {
	data = trimBOM(data)
	if why := blockChars(data); why != "" {
		return nil, nil, why
	}
	r := &blockReader{data: data, line: 1, colLine: -1}
	if lazy {
		r.lists = &blockLists{r: r, lists: make(map[*yaml.Node]*blockList)}
	}
	defer func() {
		if p := recover(); p != nil {
			if _, ok := p.(blockGiveUp); !ok {
				panic(p)
			}
			root, lists, why = nil, nil, r.why
		}
	}()
	if r.nextContent() != 0 {
		r.giveUp("the file does not start with a key at the left margin")
	}
	root = r.mapping(true)
	r.flush()
	// The entries built later must not reuse the slabs of this tree.
	r.keep()
	return root, r.lists, ""
}

func (r *blockReader) giveUp(why string) {
	r.why = fmt.Sprintf("line %d: %s", r.line, why)
	panic(blockGiveUp{})
}

// blockChars finds what the reader leaves to yaml.v3 wherever it is in a
// file: tabs, control characters, a carriage return without a line feed,
// text that is not UTF-8, characters yaml.v3 refuses or takes for line
// breaks (NEL, LS, PS), a byte order mark after the start, and lines
// that could start a document or a directive.
func blockChars(data []byte) string {
	start := true
	for i := 0; i < len(data); {
		c := data[i]
		if start && (c == '%' || (c == '-' || c == '.') && i+2 < len(data) && data[i+1] == c && data[i+2] == c) {
			return "a line that may start a document or a directive"
		}
		start = false
		switch {
		case c >= 0x20 && c < 0x7f:
			i++
		case c == '\n':
			i++
			start = true
		case c == '\r':
			if i+1 >= len(data) || data[i+1] != '\n' {
				return "a carriage return without a line feed"
			}
			i += 2
			start = true
		case c < 0x80:
			return "a tab or a control character"
		default:
			ch, size := utf8.DecodeRune(data[i:])
			switch {
			case ch == utf8.RuneError && size == 1:
				return "not UTF-8"
			case ch < 0xa0, ch == 0x2028, ch == 0x2029, ch == 0xfeff, ch == 0xfffe, ch == 0xffff:
				return fmt.Sprintf("the character %U", ch)
			}
			i += size
		}
	}
	return ""
}

// col is the column of data[i], on the current line, as yaml.v3 counts
// it: in characters, from 1.
func (r *blockReader) col(i int) int {
	if r.colLine != r.lineStart || r.colAt > i {
		r.colLine, r.colAt, r.colCont = r.lineStart, r.lineStart, 0
	}
	for ; r.colAt < i; r.colAt++ {
		if r.data[r.colAt]&0xc0 == 0x80 {
			r.colCont++
		}
	}
	return i - r.lineStart - r.colCont + 1
}

func (r *blockReader) nodeAt(kind yaml.Kind, tag string, i int) *yaml.Node {
	if r.skim {
		return &r.scratch
	}
	return r.node(kind, tag, r.line, r.col(i))
}

func (r *blockReader) enter() {
	r.depth++
	if r.depth > maxBlockDepth {
		r.giveUp("nested too deep")
	}
}

// at is the byte at r.i, or 0 at the end of the file.
func (r *blockReader) at() byte {
	if r.i < len(r.data) {
		return r.data[r.i]
	}
	return 0
}

func (r *blockReader) spaces() {
	for r.i < len(r.data) && r.data[r.i] == ' ' {
		r.i++
	}
}

// lineDone reports whether only spaces and a comment are left on the
// line after r.i, which is not a space.
func (r *blockReader) lineDone() bool {
	switch r.at() {
	case 0, '\n', '\r', '#':
		return true
	}
	return false
}

// newline steps over the line break at r.i.
func (r *blockReader) newline() {
	if r.data[r.i] == '\r' {
		r.i++
	}
	r.i++
	r.line++
	r.lineStart = r.i
}

// lineEnd is the offset of the line break ending the line at r.i, or the
// end of the file.
func (r *blockReader) lineEnd() int {
	j := bytes.IndexByte(r.data[r.i:], '\n')
	if j < 0 {
		return len(r.data)
	}
	j += r.i
	if j > r.i && r.data[j-1] == '\r' {
		j--
	}
	return j
}

// nextContent moves from the start of a line to the first character of
// the next line holding more than spaces and a comment, and returns its
// indentation, also kept in r.ind; -1 at the end of the file.
func (r *blockReader) nextContent() int {
	for {
		r.spaces()
		switch r.at() {
		case 0:
			r.ind = -1
			return -1
		case '\n', '\r':
			r.newline()
			continue
		case '#':
			r.i = r.lineEnd()
			if r.i < len(r.data) {
				r.newline()
			}
			continue
		}
		r.ind = r.i - r.lineStart
		return r.ind
	}
}

// eol reads what may follow a value on its line, spaces and a comment,
// and moves to the next content line (see nextContent).
func (r *blockReader) eol() int {
	r.spaces()
	switch r.at() {
	case 0:
	case '#':
		// yaml.v3 takes "[a]#b" for a list and a comment.
		if r.data[r.i-1] != ' ' {
			r.giveUp("a comment not set apart by a space")
		}
		r.i = r.lineEnd()
		if r.i < len(r.data) {
			r.newline()
		}
	case '\n', '\r':
		r.newline()
	default:
		r.giveUp("more after a value on its line")
	}
	return r.nextContent()
}

// dash reports whether a list entry's "- " starts at r.i.
func (r *blockReader) dash() bool {
	if r.at() != '-' {
		return false
	}
	if r.i+1 == len(r.data) {
		return true
	}
	c := r.data[r.i+1]
	return c == ' ' || c == '\n' || c == '\r'
}

func blankOrBreak(c byte) bool { return c == ' ' || c == '\n' || c == '\r' }

func flowIndicator(c byte) bool {
	return c == ',' || c == '[' || c == ']' || c == '{' || c == '}' || c == '?'
}

// plain finds the end of the plain text at r.i on its line, as yaml.v3
// scans it: end is after its last character but spaces; stop is where
// it stops, at a line break, a comment, a colon followed by a space or a
// line break, or in a flow at , [ ] { } and ?. It does not move r.i.
func (r *blockReader) plain(flow bool) (end, stop int) {
	d := r.data
	i := r.i
	if i >= len(d) {
		r.giveUp("a value missing at the end of the file")
	}
	switch c := d[i]; c {
	case '-', '?', ':':
		// Followed by text, "-" starts plain text anywhere, "?" and ":"
		// outside a flow.
		if i+1 == len(d) || blankOrBreak(d[i+1]) || flow && (c != '-' || flowIndicator(d[i+1])) {
			r.giveUp(fmt.Sprintf("text starting with %q", c))
		}
	case ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
		r.giveUp(fmt.Sprintf("text starting with %q", c))
	}
	end = i
	for i < len(d) {
		switch c := d[i]; {
		case c == '\n' || c == '\r':
			return end, i
		case c == ' ':
			i++
			continue
		case c == '#' && d[i-1] == ' ':
			return end, i
		case c == ':' && (i+1 == len(d) || blankOrBreak(d[i+1])):
			return end, i
		case flow && flowIndicator(c):
			return end, i
		}
		i++
		end = i
	}
	return end, i
}

// isKey reports whether a key, plain or quoted, and its colon start at
// r.i.
func (r *blockReader) isKey() bool {
	d := r.data
	switch r.at() {
	case '[', '{', '|', '>':
		return false
	case '"', '\'':
		j := r.quotedEnd()
		if j < 0 {
			return false
		}
		for j < len(d) && d[j] == ' ' {
			j++
		}
		return j < len(d) && d[j] == ':' && (j+1 == len(d) || blankOrBreak(d[j+1]))
	}
	_, stop := r.plain(false)
	return stop < len(d) && d[stop] == ':'
}

// key reads the key at r.i, plain or quoted, and returns it with the
// offset of its colon.
func (r *blockReader) key() (k *yaml.Node, colon int) {
	d := r.data
	start := r.i
	if c := r.at(); c == '"' || c == '\'' {
		k = r.quoted()
		r.spaces()
		colon = r.i
		if r.at() != ':' || colon+1 < len(d) && !blankOrBreak(d[colon+1]) {
			r.giveUp("quoted text where a key goes, without a colon")
		}
	} else {
		end, stop := r.plain(false)
		if stop >= len(d) || d[stop] != ':' {
			r.giveUp("a line that is not \"key: value\" where a key goes")
		}
		k, colon = r.keyNode(start, end), stop
	}
	if colon-start > maxBlockKey {
		r.giveUp("a key far from its colon")
	}
	return k, colon
}

// quotedEnd is the offset after the quoted text at r.i, or -1 when it
// does not end on its line.
func (r *blockReader) quotedEnd() int {
	d := r.data
	q := d[r.i]
	for j := r.i + 1; j < len(d); j++ {
		switch c := d[j]; {
		case c == '\n' || c == '\r':
			return -1
		case c == '\\' && q == '"':
			j++
		case c == q && q == '\'' && j+1 < len(d) && d[j+1] == '\'':
			j++
		case c == q:
			return j + 1
		}
	}
	return -1
}

func (r *blockReader) keyNode(start, end int) *yaml.Node {
	k := r.nodeAt(yaml.ScalarNode, "", start)
	if !r.skim {
		b := r.data[start:end]
		k.Value = r.treeSlab.key(b)
		k.Tag = plainTag(b)
	}
	return k
}

func (r *blockReader) plainNode(start, end int) *yaml.Node {
	n := r.nodeAt(yaml.ScalarNode, "", start)
	if !r.skim {
		b := r.data[start:end]
		n.Tag = plainTag(b)
		r.setValue(n, b)
	}
	return n
}

// null is the empty value yaml.v3 gives a key or an entry written
// without one, placed just after its colon or dash.
func (r *blockReader) null(line, col int) *yaml.Node {
	if r.skim {
		return &r.scratch
	}
	return r.node(yaml.ScalarNode, "!!null", line, col)
}

// mapping reads a block mapping whose first key is at r.i, up to the
// first content line indented less than its keys.
func (r *blockReader) mapping(root bool) *yaml.Node {
	ind := r.ind
	r.enter()
	n := r.nodeAt(yaml.MappingNode, "!!map", r.i)
	base := len(r.stack)
	for {
		k, colon := r.key()
		r.stack = append(r.stack, k)
		r.i = colon + 1
		r.spaces()
		var v *yaml.Node
		if r.lineDone() {
			line, col := r.line, r.col(colon)+1
			lazy := root && r.lists != nil && lazyList(k.Value)
			switch next := r.eol(); {
			case next > ind:
				v = r.blockNode(ind, lazy)
			case next == ind && r.dash():
				// A list may sit at its key's indentation.
				v = r.sequence(lazy, true)
			default:
				v = r.null(line, col)
			}
		} else {
			v = r.inlineValue(ind)
		}
		r.stack = append(r.stack, v)
		if r.ind != ind {
			break
		}
	}
	if r.ind > ind {
		r.giveUp("a line indented more than the keys before it")
	}
	n.Content = r.content(base)
	r.depth--
	return n
}

// blockNode reads the value starting a line indented more than parent's.
func (r *blockReader) blockNode(parent int, lazy bool) *yaml.Node {
	if r.dash() {
		return r.sequence(lazy, false)
	}
	if r.isKey() {
		return r.mapping(false)
	}
	return r.inlineValue(parent)
}

// sequence reads a block list whose first dash is at r.i. An indentless
// list sits at the indentation of the mapping's keys whose value it is,
// and ends at the next of them. With lazy, its entries are checked and
// their places noted, not built.
func (r *blockReader) sequence(lazy, indentless bool) *yaml.Node {
	ind := r.ind
	r.enter()
	n := r.nodeAt(yaml.SequenceNode, "!!seq", r.i)
	base := len(r.stack)
	var marks []blockMark
	for {
		if lazy {
			marks = append(marks, blockMark{r.i, r.line})
			r.skim = true
			r.seqEntry(ind)
			r.skim = false
		} else {
			r.stack = append(r.stack, r.seqEntry(ind))
		}
		if r.ind != ind || !r.dash() {
			break
		}
	}
	if r.ind > ind || r.ind == ind && !indentless {
		r.giveUp("a line indented like a list's entries but not one")
	}
	if lazy {
		r.lists.lists[n] = &blockList{ind: ind, marks: marks}
	}
	n.Content = r.content(base)
	r.depth--
	return n
}

// seqEntry reads one entry of a list indented ind, from its dash.
func (r *blockReader) seqEntry(ind int) *yaml.Node {
	line, col := r.line, r.col(r.i)+1
	r.i++
	r.spaces()
	if r.lineDone() {
		if next := r.eol(); next > ind {
			return r.blockNode(ind, false)
		}
		return r.null(line, col)
	}
	if r.isKey() {
		// A mapping on the dash's line: its keys line up with the first.
		r.ind = r.i - r.lineStart
		return r.mapping(false)
	}
	return r.inlineValue(ind)
}

// inlineValue reads the value at r.i, after a key or a dash or on a line
// of its own, and moves to the next content line. parent is the
// indentation of the mapping or list it belongs to.
func (r *blockReader) inlineValue(parent int) *yaml.Node {
	var v *yaml.Node
	switch r.at() {
	case '[', '{':
		v = r.flowNode()
	case '"', '\'':
		v = r.quoted()
	case '|', '>':
		return r.blockScalar(parent)
	default:
		start := r.i
		end, stop := r.plain(false)
		if stop < len(r.data) && r.data[stop] == ':' {
			r.giveUp("\": \" inside a value")
		}
		v = r.plainNode(start, end)
		r.i = stop
	}
	r.eol()
	return v
}

// flowNode reads a flow collection, quoted text, or plain text in a flow,
// all on this line.
func (r *blockReader) flowNode() *yaml.Node {
	switch r.at() {
	case '[':
		return r.flowSeq()
	case '{':
		return r.flowMap()
	case '"', '\'':
		return r.quoted()
	}
	start := r.i
	end, stop := r.plain(true)
	switch {
	case stop == len(r.data), r.data[stop] == ':', r.data[stop] == '#', r.data[stop] == '\n', r.data[stop] == '\r':
		r.giveUp("a flow collection not closed on its line, or a pair in a flow list")
	}
	v := r.plainNode(start, end)
	r.i = stop
	return v
}

func (r *blockReader) flowSeq() *yaml.Node {
	return r.flow(yaml.SequenceNode, "!!seq", ']', "a flow list", func() {
		r.stack = append(r.stack, r.flowNode())
	})
}

func (r *blockReader) flowMap() *yaml.Node {
	return r.flow(yaml.MappingNode, "!!map", '}', "a flow mapping", func() {
		start := r.i
		if c := r.at(); c == '"' || c == '\'' {
			r.stack = append(r.stack, r.quoted())
			r.spaces()
			// yaml.v3 takes {"a":1} too; EncodeYAML writes {"a": 1}.
			if r.at() != ':' || r.i+1 == len(r.data) || r.data[r.i+1] != ' ' {
				r.giveUp("a quoted key without \": \" in a flow mapping")
			}
		} else {
			end, stop := r.plain(true)
			if stop >= len(r.data) || r.data[stop] != ':' {
				r.giveUp("a flow mapping entry that is not \"key: value\"")
			}
			r.stack = append(r.stack, r.keyNode(start, end))
			r.i = stop
		}
		if r.i-start > maxBlockKey {
			r.giveUp("a key far from its colon")
		}
		r.i++
		r.spaces()
		if c := r.at(); c == ',' || c == '}' {
			r.giveUp("a key without a value in a flow mapping")
		}
		r.stack = append(r.stack, r.flowNode())
	})
}

// flow reads a flow collection on one line: the opening bracket at r.i,
// entries (each read by entry onto the stack) separated by commas, and
// close. what names it in the reasons to give up.
func (r *blockReader) flow(kind yaml.Kind, tag string, close byte, what string, entry func()) *yaml.Node {
	r.enter()
	n := r.nodeAt(kind, tag, r.i)
	n.Style = yaml.FlowStyle
	r.i++
	base := len(r.stack)
	r.spaces()
	if r.at() == close {
		r.i++
		r.depth--
		return n
	}
	for {
		entry()
		r.spaces()
		switch r.at() {
		case ',':
			r.i++
			r.spaces()
			if r.at() == close {
				r.giveUp("a comma before '" + string(close) + "'")
			}
		case close:
			r.i++
			n.Content = r.content(base)
			r.depth--
			return n
		default:
			r.giveUp(what + " not closed on its line")
		}
	}
}

// quoted reads text in single or double quotes, on this line.
func (r *blockReader) quoted() *yaml.Node {
	d := r.data
	q := d[r.i]
	n := r.nodeAt(yaml.ScalarNode, "!!str", r.i)
	if q == '"' {
		n.Style = yaml.DoubleQuotedStyle
	} else {
		n.Style = yaml.SingleQuotedStyle
	}
	r.i++
	start := r.i
	for r.i < len(d) {
		c := d[r.i]
		if c == q || c == '\\' || c == '\n' || c == '\r' {
			break
		}
		r.i++
	}
	if r.at() == q && (q == '"' || r.i+1 == len(d) || d[r.i+1] != '\'') {
		r.setValue(n, d[start:r.i])
		r.i++
		return n
	}
	r.buf = append(r.buf[:0], d[start:r.i]...)
	for {
		switch c := r.at(); {
		case c == 0 && r.i == len(d), c == '\n', c == '\r':
			r.giveUp("quoted text over several lines")
		case c == '\'' && q == '\'':
			if r.i+1 < len(d) && d[r.i+1] == '\'' {
				r.buf = append(r.buf, '\'')
				r.i += 2
				continue
			}
			r.i++
			r.setValue(n, r.buf)
			return n
		case c == '"' && q == '"':
			r.i++
			r.setValue(n, r.buf)
			return n
		case c == '\\' && q == '"':
			r.escape()
		default:
			r.buf = append(r.buf, c)
			r.i++
		}
	}
}

// escape decodes the escape at r.i into r.buf, as yaml.v3 does.
func (r *blockReader) escape() {
	d := r.data
	if r.i+1 >= len(d) {
		r.giveUp("quoted text over several lines")
	}
	size := 0
	switch c := d[r.i+1]; c {
	case '0':
		r.buf = append(r.buf, 0)
	case 'a':
		r.buf = append(r.buf, '\a')
	case 'b':
		r.buf = append(r.buf, '\b')
	case 't':
		r.buf = append(r.buf, '\t')
	case 'n':
		r.buf = append(r.buf, '\n')
	case 'v':
		r.buf = append(r.buf, '\v')
	case 'f':
		r.buf = append(r.buf, '\f')
	case 'r':
		r.buf = append(r.buf, '\r')
	case 'e':
		r.buf = append(r.buf, 0x1b)
	case ' ', '"', '\'', '\\':
		r.buf = append(r.buf, c)
	case 'N':
		r.buf = append(r.buf, "\u0085"...)
	case '_':
		r.buf = append(r.buf, "\u00a0"...)
	case 'L':
		r.buf = append(r.buf, "\u2028"...)
	case 'P':
		r.buf = append(r.buf, "\u2029"...)
	case 'x':
		size = 2
	case 'u':
		size = 4
	case 'U':
		size = 8
	default:
		r.giveUp("an escape yaml.v3 does not know, or a line break escaped")
	}
	r.i += 2
	if size == 0 {
		return
	}
	if r.i+size > len(d) {
		r.giveUp("a short escape")
	}
	// Eight digits fill a rune's 32 bits: with the top bit set the value
	// is negative, and no character either.
	v, ok := hexValue(d[r.i : r.i+size])
	if !ok {
		r.giveUp("an escape without its hex digits")
	}
	if v >= 0xd800 && v <= 0xdfff || v > 0x10ffff || v < 0 {
		r.giveUp("an escape of no character")
	}
	r.buf = utf8.AppendRune(r.buf, v)
	r.i += size
}

// blockScalar reads a literal (|) or folded (>) block, as yaml.v3's
// scanner does, and moves to the next content line. parent is the
// indentation of the mapping or list it belongs to: the block's lines
// are indented more.
func (r *blockReader) blockScalar(parent int) *yaml.Node {
	d := r.data
	literal := r.at() == '|'
	n := r.nodeAt(yaml.ScalarNode, "!!str", r.i)
	style := yaml.FoldedStyle
	if literal {
		style = yaml.LiteralStyle
	}
	r.i++
	// The header: chomping (+ or -) and indentation (1-9), either first.
	chomp, incr := 0, 0
	for range 2 {
		switch c := r.at(); {
		case (c == '+' || c == '-') && chomp == 0:
			chomp = 1
			if c == '-' {
				chomp = -1
			}
			r.i++
		case c >= '1' && c <= '9' && incr == 0:
			incr = int(c - '0')
			r.i++
		}
	}
	start := r.i
	r.spaces()
	switch r.at() {
	case 0, '\n', '\r':
	case '#':
		if r.i == start {
			r.giveUp("a comment not set apart by a space")
		}
		r.i = r.lineEnd()
	default:
		r.giveUp("more after a block's indicator")
	}
	if r.i < len(d) {
		r.newline()
	}
	indent := 0
	if incr > 0 {
		indent = parent + incr
	}
	s := r.buf[:0]
	trailing := r.blockBreaks(&indent, parent)
	leading, leadingBlank := false, false
	for r.i-r.lineStart == indent && r.i < len(d) {
		trailingBlank := d[r.i] == ' '
		if !literal && !leadingBlank && !trailingBlank && leading {
			if trailing == 0 {
				s = append(s, ' ')
			}
		} else if leading {
			s = append(s, '\n')
		}
		for ; trailing > 0; trailing-- {
			s = append(s, '\n')
		}
		leadingBlank = trailingBlank
		end := r.lineEnd()
		if !r.skim {
			s = append(s, d[r.i:end]...)
		}
		r.i = end
		leading = false
		if r.i < len(d) {
			r.newline()
			leading = true
		}
		trailing = r.blockBreaks(&indent, parent)
	}
	if chomp != -1 && leading {
		s = append(s, '\n')
	}
	if chomp == 1 {
		for ; trailing > 0; trailing-- {
			s = append(s, '\n')
		}
	}
	r.buf = s
	if !r.skim {
		n.Style = style
		r.setValue(n, s)
	}
	// The line that ended the block is read from its start again.
	if r.i < len(d) {
		r.i = r.lineStart
	}
	r.nextContent()
	return n
}

// blockBreaks eats the indentation and the empty lines before a block's
// next line, and counts the empty lines. An indentation of 0 is found
// from the first line: the most spaces on it or on the empty lines
// before it, and at least one more than parent's.
func (r *blockReader) blockBreaks(indent *int, parent int) (breaks int) {
	d := r.data
	most := 0
	for {
		for (*indent == 0 || r.i-r.lineStart < *indent) && r.i < len(d) && d[r.i] == ' ' {
			r.i++
		}
		most = max(most, r.i-r.lineStart)
		if c := r.at(); c != '\n' && c != '\r' {
			break
		}
		r.newline()
		breaks++
	}
	if *indent == 0 {
		*indent = max(most, parent+1)
	}
	return breaks
}

// blockLists holds the top-level lists of a block YAML file unbuilt
// (see readBlockYAML).
type blockLists struct {
	r     *blockReader
	lists map[*yaml.Node]*blockList
}

// blockList is where the entries of one list start, and its indentation.
type blockList struct {
	ind   int
	marks []blockMark
}

// blockMark is where an entry's dash is: its offset and line.
type blockMark struct{ i, line int }

func (l *blockLists) count(n *yaml.Node) (int, bool) {
	bl, ok := l.lists[n]
	if !ok {
		return 0, false
	}
	return len(bl.marks), true
}

// entry builds entry k of list n, in the nodes of the entry built
// before.
func (l *blockLists) entry(n *yaml.Node, k int) (v *yaml.Node) {
	r := l.r
	bl := l.lists[n]
	m := bl.marks[k]
	r.i, r.line, r.lineStart, r.depth = m.i, m.line, m.i-bl.ind, 2
	r.reuse()
	defer func() {
		if p := recover(); p != nil {
			if _, ok := p.(blockGiveUp); ok {
				// The entry was read once already; reading it again
				// cannot fail.
				panic("estate: YAML entry read differently the second time: " + r.why)
			}
			panic(p)
		}
	}()
	v = r.seqEntry(bl.ind)
	r.flush()
	return v
}

// plainWords are the plain values yaml.v3 resolves by name.
var plainWords = map[string]string{
	"true": "!!bool", "True": "!!bool", "TRUE": "!!bool",
	"false": "!!bool", "False": "!!bool", "FALSE": "!!bool",
	"~": "!!null", "null": "!!null", "Null": "!!null", "NULL": "!!null",
	".nan": "!!float", ".NaN": "!!float", ".NAN": "!!float",
	".inf": "!!float", ".Inf": "!!float", ".INF": "!!float",
	"+.inf": "!!float", "+.Inf": "!!float", "+.INF": "!!float",
	"-.inf": "!!float", "-.Inf": "!!float", "-.INF": "!!float",
	"<<": "!!merge",
}

// plainTag is the tag yaml.v3 gives plain text (resolve, in its
// resolve.go), found without allocating for text that cannot be a
// number, a time or a word it knows.
func plainTag(b []byte) string {
	if len(b) == 0 {
		return "!!null"
	}
	var hint byte
	switch c := b[0]; {
	case c == '+' || c == '-' || c >= '0' && c <= '9':
		hint = 'D'
	case c == '.':
		hint = '.'
	case strings.IndexByte("yYnNtTfFoO~<", c) >= 0:
		hint = 'M'
	default:
		return "!!str"
	}
	if tag, ok := plainWords[string(b)]; ok {
		return tag
	}
	switch hint {
	case 'M':
		return "!!str"
	case '.':
		if _, err := strconv.ParseFloat(string(b), 64); err == nil {
			return "!!float"
		}
		return "!!str"
	}
	if yamlTimestamp(b) {
		return "!!timestamp"
	}
	if !mayBeNumber(b) {
		return "!!str"
	}
	return resolveNumber(string(b))
}

// yamlTimestamps are the forms of time yaml.v3 resolves plain text to.
var yamlTimestamps = []string{
	"2006-1-2T15:4:5.999999999Z07:00",
	"2006-1-2t15:4:5.999999999Z07:00",
	"2006-1-2 15:4:5.999999999",
	"2006-1-2",
}

func yamlTimestamp(b []byte) bool {
	if len(b) < 5 || b[4] != '-' {
		return false
	}
	for _, c := range b[:4] {
		if c < '0' || c > '9' {
			return false
		}
	}
	s := string(b)
	for _, f := range yamlTimestamps {
		if _, err := time.Parse(f, s); err == nil {
			return true
		}
	}
	return false
}

// mayBeNumber rules out text that no form of number yaml.v3 reads can
// be: one with a byte no such form holds, or with a hex letter other
// than b and e but no x to make it hex. Durations ("2d", "1d12h") are
// ruled out here, without the errors strconv would allocate.
func mayBeNumber(b []byte) bool {
	hexLetter, x := false, false
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9', c == '.', c == '+', c == '-', c == '_',
			c == 'b', c == 'B', c == 'e', c == 'E', c == 'o', c == 'O':
		case c == 'x' || c == 'X':
			x = true
		case c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F':
			hexLetter = true
		default:
			return false
		}
	}
	return !hexLetter || x
}

var yamlStyleFloat = regexp.MustCompile(`^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`)

// resolveNumber is resolve's test for numbers in yaml.v3, for plain text
// starting with a digit or a sign.
func resolveNumber(s string) string {
	plain := strings.ReplaceAll(s, "_", "")
	if _, err := strconv.ParseInt(plain, 0, 64); err == nil {
		return "!!int"
	}
	if _, err := strconv.ParseUint(plain, 0, 64); err == nil {
		return "!!int"
	}
	if yamlStyleFloat.MatchString(plain) {
		if _, err := strconv.ParseFloat(plain, 64); err == nil {
			return "!!float"
		}
	}
	// Binary and octal with yaml.v3's own prefixes, as it reads them.
	for _, p := range [...]struct {
		prefix string
		base   int
	}{{"0b", 2}, {"0o", 8}} {
		if rest, ok := strings.CutPrefix(plain, p.prefix); ok {
			if _, err := strconv.ParseInt(rest, p.base, 64); err == nil {
				return "!!int"
			}
			if _, err := strconv.ParseUint(rest, p.base, 64); err == nil {
				return "!!int"
			}
		} else if rest, ok := strings.CutPrefix(plain, "-"+p.prefix); ok {
			if _, err := strconv.ParseInt("-"+rest, p.base, 64); err == nil {
				return "!!int"
			}
		}
	}
	return "!!str"
}
