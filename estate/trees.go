package estate

// Reading the node trees of several files at once: the parsers are the
// slow part of Parse, and one file's tree does not depend on another's.

import "go.yaml.in/yaml/v3"

// fileTree is one estate file read into its node tree, with the problems
// found on the way (syntax errors, a second document).
type fileTree struct {
	root     *yaml.Node
	reported bool // a problem says why root is nil
	probs    Problems
	lists    lazyLists // the lists not yet built, for files read lazily
}

// readFileTree reads one file's tree. It touches nothing shared, so that
// files can be read side by side; the problems carry the file's name.
func readFileTree(f File, opts readOpts) fileTree {
	w := &decoder{s: &sources{files: []string{f.Name}}, out: &collector{}, file: 1, name: f.Name, opts: opts}
	root, reported := w.readTree(f.Data)
	return fileTree{root: root, reported: reported, probs: w.out.list, lists: w.lists}
}

// treeReader reads the trees of files ahead of the decoder, on up to
// workers goroutines, and hands them over in file order, so that what the
// decoder does is the same however many there are. At most workers trees
// are being read or wait to be decoded, besides the one being decoded,
// however many files there are.
type treeReader struct {
	files []File
	opts  readOpts
	out   []chan fileTree
	slots chan struct{}
}

func readTrees(files []File, opts readOpts) *treeReader {
	t := &treeReader{files: files, opts: opts}
	if opts.workers <= 1 || len(files) <= 1 {
		return t
	}
	t.out = make([]chan fileTree, len(files))
	for i := range t.out {
		t.out[i] = make(chan fileTree, 1)
	}
	t.slots = make(chan struct{}, opts.workers)
	go func() {
		for i, f := range files {
			t.slots <- struct{}{}
			go func() { t.out[i] <- readFileTree(f, opts) }()
		}
	}()
	return t
}

// next returns the tree of file i. It must be called for every file, in
// order.
func (t *treeReader) next(i int) fileTree {
	if t.out == nil {
		return readFileTree(t.files[i], t.opts)
	}
	ft := <-t.out[i]
	t.out[i] = nil
	<-t.slots
	return ft
}
