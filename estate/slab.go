package estate

// Building node trees cheaply, for the readers of phasegate's own (JSON
// in json.go, block YAML in yamlblock.go): nodes and the slices of their
// children are cut from slabs, and values share strings a chunk at a
// time, so that reading a large file costs few allocations.

import "go.yaml.in/yaml/v3"

// treeSlab hands out the nodes of a tree being read.
type treeSlab struct {
	// skim is set while a reader checks entries without building them:
	// every node is then the scratch node, and nothing is kept.
	skim    bool
	scratch yaml.Node

	nodes []yaml.Node  // slab the nodes are cut from
	ptrs  []*yaml.Node // slab the Content slices are cut from
	stack []*yaml.Node // children of the open collections

	// Values are collected in arena and turned into strings a chunk at a
	// time: one allocation per chunk instead of one per value, and
	// nothing of the file's keys and punctuation kept alive.
	arena []byte
	refs  []valueRef
	keys  map[string]string // keys read so far, each allocated once
}

type valueRef struct {
	n          *yaml.Node
	start, end int
}

// node returns a new node at line and col.
func (t *treeSlab) node(kind yaml.Kind, tag string, line, col int) *yaml.Node {
	if t.skim {
		return &t.scratch
	}
	if len(t.nodes) == cap(t.nodes) {
		// Small first: a lazily read file needs a few dozen at a time.
		t.nodes = make([]yaml.Node, 0, min(1024, max(64, 2*cap(t.nodes))))
	}
	t.nodes = t.nodes[:len(t.nodes)+1]
	n := &t.nodes[len(t.nodes)-1]
	n.Kind, n.Tag, n.Line, n.Column = kind, tag, line, col
	return n
}

// content moves the children pushed since base into a slice of their own.
func (t *treeSlab) content(base int) []*yaml.Node {
	kids := t.stack[base:]
	n := len(kids)
	if n == 0 || t.skim {
		t.stack = t.stack[:base]
		return nil
	}
	if cap(t.ptrs)-len(t.ptrs) < n {
		t.ptrs = make([]*yaml.Node, 0, max(min(4096, 2*cap(t.ptrs)), 256, n))
	}
	at := len(t.ptrs)
	t.ptrs = append(t.ptrs, kids...)
	clear(kids)
	t.stack = t.stack[:base]
	return t.ptrs[at : at+n : at+n]
}

// key returns the key as a string, allocating each distinct key once.
func (t *treeSlab) key(b []byte) string {
	if t.skim {
		return ""
	}
	if s, ok := t.keys[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(t.keys) < 1000 {
		if t.keys == nil {
			t.keys = make(map[string]string)
		}
		t.keys[s] = s
	}
	return s
}

// setValue gives n the value b, by way of the arena.
func (t *treeSlab) setValue(n *yaml.Node, b []byte) {
	if t.skim {
		return
	}
	start := len(t.arena)
	t.arena = append(t.arena, b...)
	t.refs = append(t.refs, valueRef{n, start, len(t.arena)})
	if len(t.arena) >= 64<<10 {
		t.flush()
	}
}

// flush turns the arena into one string that the values share.
func (t *treeSlab) flush() {
	s := string(t.arena)
	for _, v := range t.refs {
		v.n.Value = s[v.start:v.end]
	}
	t.arena, t.refs = t.arena[:0], t.refs[:0]
}

// reuse lets the next entry's nodes overwrite those of the one before,
// which the decoder, having walked it, no longer holds.
func (t *treeSlab) reuse() {
	clear(t.nodes)
	clear(t.ptrs)
	t.nodes, t.ptrs = t.nodes[:0], t.ptrs[:0]
}

// keep keeps the nodes built so far: the nodes built next come from new
// slabs.
func (t *treeSlab) keep() {
	t.nodes, t.ptrs = nil, nil
}
