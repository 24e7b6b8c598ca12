// Package northfield embeds the Northfield Motors demo estate, a fictional
// car maker modelled on the September 2025 Jaguar Land Rover shutdown, so
// that `phasegate serve --demo` works from the single binary with no files
// on disk. See README.md for what it models and how it was calibrated.
package northfield

import (
	"embed"
	"io/fs"

	"github.com/phasegate/phasegate/estate"
)

// The estate's YAML files and the backlog item CSV they point to. The
// generator in gen/ is left out: it is not part of the estate.
//
//go:embed *.yaml *.csv
var files embed.FS

// FS returns the demo estate's files, named as in this directory.
func FS() fs.FS { return files }

// Files returns every file of the demo estate in name order, ready for
// estate.Parse. Names are relative to the directory, which is what the
// estate's `items:` paths are relative to.
func Files() ([]estate.File, error) {
	entries, err := files.ReadDir(".") // sorted by name
	if err != nil {
		return nil, err
	}
	var out []estate.File
	for _, e := range entries {
		data, err := files.ReadFile(e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, estate.File{Name: e.Name(), Data: data})
	}
	return out, nil
}

// Estate reads and validates the demo estate (Files, then estate.Parse).
func Estate() (*estate.Estate, error) {
	fs, err := Files()
	if err != nil {
		return nil, err
	}
	return estate.Parse(fs...)
}
