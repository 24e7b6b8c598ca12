package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/phasegate/phasegate/estate"
)

// estateExts are the file names read from a directory of estate files.
var estateExts = []string{".yaml", ".yml", ".json"}

// readEstateFiles reads the estate files named on the command line: files
// as given, directories walked for *.yaml, *.yml and *.json in name order.
// It then reads the item CSV files the estate names. The estate package
// does the parsing; this is the only place that touches the disk for it.
func readEstateFiles(paths []string) ([]estate.File, error) {
	var files []estate.File
	seen := map[string]bool{}
	add := func(name string) error {
		clean := filepath.Clean(name)
		if seen[clean] {
			return nil
		}
		seen[clean] = true
		data, err := os.ReadFile(name)
		if err != nil {
			return fileError(name, err)
		}
		files = append(files, estate.File{Name: filepath.ToSlash(clean), Data: data})
		return nil
	}
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fileError(p, err)
		}
		if !info.IsDir() {
			if err := add(p); err != nil {
				return nil, err
			}
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(name string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if name != p && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			ext := strings.ToLower(filepath.Ext(name))
			for _, want := range estateExts {
				if ext == want {
					found = append(found, name)
				}
			}
			return nil
		})
		if err != nil {
			return nil, fileError(p, err)
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("%s: no estate files (*.yaml, *.yml, *.json) in this directory; give a file or a directory that holds them", p)
		}
		sort.Strings(found)
		for _, f := range found {
			if err := add(f); err != nil {
				return nil, err
			}
		}
	}
	// Item files (CSV) named by backlogs. A missing one is left to the
	// parser, which reports it at the backlog's items field.
	for _, ref := range estate.ItemRefs(files...) {
		if seen[filepath.Clean(filepath.FromSlash(ref))] {
			continue
		}
		if _, err := os.Stat(filepath.FromSlash(ref)); err != nil {
			continue
		}
		if err := add(filepath.FromSlash(ref)); err != nil {
			return nil, err
		}
	}
	return files, nil
}

// fileError explains an error reading an estate file.
func fileError(name string, err error) error {
	return pathError(name, err, "give the path of an estate file or of a directory of them")
}

// pathError explains an error on a file; hint says what to give instead
// when there is no such file.
func pathError(name string, err error, hint string) error {
	switch {
	case os.IsNotExist(err):
		return fmt.Errorf("%s: no such file or directory; %s", name, hint)
	case os.IsPermission(err):
		return fmt.Errorf("%s: permission denied; check the file's permissions", name)
	}
	return fmt.Errorf("%s: %v", name, err)
}

// outError explains an error writing the file of --out.
func outError(name string, err error) error {
	return pathError(name, err, "its folder does not exist: create it, or choose another --out")
}

// loadEstate reads and parses the estate at paths. Problems with the estate
// are printed, all of them, and become exit status 1.
func loadEstate(paths []string, e env) (*estate.Estate, error) {
	if len(paths) == 0 {
		return nil, usagef("give the estate: one or more files or directories, e.g. examples/northfield-motors")
	}
	files, err := readEstateFiles(paths)
	if err != nil {
		return nil, err
	}
	est, err := estate.Parse(files...)
	if err != nil {
		if ps, ok := err.(estate.Problems); ok {
			writeProblems(e.stderr, ps)
			return nil, &silentError{code: exitFailure}
		}
		return nil, err
	}
	return est, nil
}

func writeProblems(w interface{ Write([]byte) (int, error) }, ps estate.Problems) {
	for _, p := range ps {
		fmt.Fprintln(w, p.String())
	}
	noun := "problems"
	if len(ps) == 1 {
		noun = "problem"
	}
	fmt.Fprintf(w, "%d %s: the estate is not valid; fix the %s above and run 'phasegate validate' again\n", len(ps), noun, noun)
}
