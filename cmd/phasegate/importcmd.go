package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/psplib"
)

func importCommand() command {
	return command{
		name:    "import",
		summary: "convert a scheduling benchmark instance (PSPLIB) into an estate",
		usage: `Usage: phasegate import psplib FILE.sm [--out FILE]

Converts a PSPLIB single-mode RCPSP instance (.sm) into an estate: resources
become teams with their capacities, jobs become systems with their demands
as needs and a fixed restore time (one period is one hour), precedences
become requires. The estate has no services, so 'phasegate plan' minimises
the makespan, which can be compared with the instance's proven optimum.

  --out   write the estate to FILE instead of standard output`,
		run: runImport,
	}
}

func runImport(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("import")
	out := fs.String("out", "", "output file")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("say what to import: phasegate import psplib FILE.sm")
	}
	if pos[0] != "psplib" {
		return usagef("cannot import %q; the only format is psplib (phasegate import psplib FILE.sm)", pos[0])
	}
	if len(pos) != 2 {
		return usagef("give exactly one PSPLIB file: phasegate import psplib FILE.sm")
	}
	name := pos[1]
	data, err := os.ReadFile(name)
	if err != nil {
		return pathError(name, err, "give the path of a PSPLIB single-mode instance (.sm), e.g. testdata/psplib/j30/j301_1.sm")
	}
	// Parse names the file and line in its errors ("x.sm:13: ..."): given
	// the path as typed, they point at the file without saying it twice.
	inst, err := psplib.Parse(name, data)
	if err != nil {
		return err
	}
	est := psplib.ToEstate(inst)
	if err := estate.Validate(est); err != nil {
		return fmt.Errorf("%s converts to an estate phasegate cannot plan: %w", name, err)
	}
	doc, err := estate.EncodeYAML(est)
	if err != nil {
		return err
	}
	header := fmt.Sprintf("# Converted by 'phasegate import psplib %s'.\n# One period is one hour; plan it with 'phasegate plan --objective makespan'.\n", filepath.Base(name))
	doc = append([]byte(header), doc...)
	if *out == "" {
		_, err = e.stdout.Write(doc)
		return err
	}
	if err := os.WriteFile(*out, doc, 0o644); err != nil {
		return outError(*out, err)
	}
	fmt.Fprintf(e.stderr, "wrote %s: %s\n", *out, describeEstate(est))
	return nil
}
