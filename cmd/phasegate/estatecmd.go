package main

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/incident"
)

// estateCommand is the client for the server's estate versions: upload a
// new one, list them, and approve one that takes a gate of a restart away
// (docs/adr/0007).
func estateCommand() command {
	return command{
		name:    "estate",
		summary: "upload an estate to the server, list its versions, approve one that weakens a gate",
		usage: `Usage: phasegate estate upload PATH...
       phasegate estate versions
       phasegate estate approve VERSION [--note TEXT]

upload sends the files (directories are read for *.yaml, *.yml and *.json,
with the item CSV files they name) as a new version; an invalid estate is
refused with every problem (exit status 1). A version that drops a system's
two-person rule or a clearance checklist item, against the version in use,
waits for a second person: approve lets incidents use it, and the person who
uploaded it cannot approve it.` + clientFlagsUsage,
		run: runSub("estate", []subcommand{
			{"upload", runEstateUpload}, {"versions", runEstateVersions}, {"approve", runEstateApprove},
		}),
	}
}

func runEstateUpload(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("estate")
	var cf clientFlags
	cf.register(fs, e)
	paths, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return usagef("give the estate's files or directory: phasegate estate upload PATH...")
	}
	c, err := cf.client(e)
	if err != nil {
		return err
	}
	files, err := readEstateFiles(paths)
	if err != nil {
		return err
	}
	body, err := estateForm(files)
	if err != nil {
		return err
	}
	v, _, err := fetch[incident.EstateVersion](ctx, c, &cf, e, "PUT", "/api/v1/estate", body)
	if err != nil || v == nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Uploaded estate version %d: %s, %s, %s.\n", v.Number, plural(v.Systems, "system"), plural(v.Services, "service"), plural(v.Teams, "team"))
	if v.Pending() {
		fmt.Fprintf(e.stdout, "It takes gates of a restart away, so no incident may use it until a second person approves it (phasegate estate approve %d):\n", v.Number)
		for _, w := range v.Weakens {
			fmt.Fprintf(e.stdout, "  %s: %s\n", w.System, w.Lost)
		}
	}
	return nil
}

// estateForm is the multipart body of an upload, each file named relative
// to the directory the files share (the server refuses names that leave
// the upload, and item paths are relative to the estate file).
func estateForm(files []estate.File) (rawBody, error) {
	abs := make([]string, len(files))
	for i, f := range files {
		a, err := filepath.Abs(filepath.FromSlash(f.Name))
		if err != nil {
			return rawBody{}, err
		}
		abs[i] = a
	}
	root := filepath.Dir(abs[0])
	for _, a := range abs[1:] {
		for !strings.HasPrefix(a, root+string(filepath.Separator)) && root != filepath.Dir(root) {
			root = filepath.Dir(root)
		}
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for i, f := range files {
		rel, err := filepath.Rel(root, abs[i])
		if err != nil {
			return rawBody{}, err
		}
		w, err := mw.CreateFormFile("file", filepath.ToSlash(rel))
		if err != nil {
			return rawBody{}, err
		}
		w.Write(f.Data)
	}
	if err := mw.Close(); err != nil {
		return rawBody{}, err
	}
	return rawBody{contentType: mw.FormDataContentType(), data: buf.Bytes()}, nil
}

func runEstateVersions(ctx context.Context, args []string, e env) error {
	c, cf, _, err := clientArgs("estate", args, e, 0, "phasegate estate versions takes no argument", nil)
	if err != nil {
		return err
	}
	type list struct {
		Versions []incident.EstateVersion `json:"versions"`
	}
	res, _, err := fetch[list](ctx, c, cf, e, "GET", "/api/v1/estate/versions", nil)
	if err != nil || res == nil {
		return err
	}
	if len(res.Versions) == 0 {
		fmt.Fprintln(e.stdout, "No estate uploaded yet: phasegate estate upload PATH...")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tUPLOADED\tBY\tSYSTEMS\tSTATUS")
	for _, v := range res.Versions {
		status := "usable"
		switch {
		case v.Pending():
			status = fmt.Sprintf("waits for a second person: takes away %s", plural(len(v.Weakens), "gate"))
		case len(v.Weakens) > 0:
			status = fmt.Sprintf("usable: takes away %s, approved by %s", plural(len(v.Weakens), "gate"), v.ApprovedBy)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\n", v.Number, v.UploadedAt.Format("2006-01-02 15:04"), v.UploadedBy, v.Systems, status)
	}
	return tw.Flush()
}

func runEstateApprove(ctx context.Context, args []string, e env) error {
	var note string
	c, cf, pos, err := clientArgs("estate", args, e, 1, "give the version: phasegate estate approve VERSION", func(fs fsReg) {
		fs.StringVar(&note, "note", "", "why it is right to take these gates away")
	})
	if err != nil {
		return err
	}
	n, err := idArg(pos[0], "estate version")
	if err != nil {
		return err
	}
	v, _, err := fetch[incident.EstateVersion](ctx, c, cf, e, "POST", fmt.Sprintf("/api/v1/estate/versions/%d/approve", n),
		map[string]string{"note": note})
	if err != nil || v == nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Approved estate version %d: incidents may use it.\n", v.Number)
	return nil
}
