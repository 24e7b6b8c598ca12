package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/phasegate/phasegate/incident"
	"github.com/phasegate/phasegate/server"
)

// The incident report (ADR 0012): phasegate incident report fetches it
// from the server; phasegate audit check-report checks a copy handed over
// against an export of the log, with no server and no account.

const incidentReportUsage = "give the incident: phasegate incident report ID [--out FILE]"

func runIncidentReport(ctx context.Context, args []string, e env) error {
	var out string
	c, cf, id, _, err := clientIDArgs("incident", args, e, 1, "incident", incidentReportUsage, func(fs fsReg) {
		fs.StringVar(&out, "out", "", "where to write it: a .json file for the JSON, another name for the HTML document, - for standard output")
	})
	if err != nil {
		return err
	}
	path := fmt.Sprintf("/api/v1/incidents/%d/report", id)
	if cf.format == "json" {
		if out != "" {
			return usagef("--format json prints the report's JSON; to write it to a file use --out FILE.json without --format")
		}
		_, _, err := fetch[json.RawMessage](ctx, c, cf, e, "GET", path, nil)
		return err
	}
	asJSON := strings.HasSuffix(strings.ToLower(out), ".json")
	if !asJSON {
		path += "?format=html"
	}
	var doc json.RawMessage // the answer's bytes, HTML or JSON
	if _, err := c.do(ctx, "GET", path, nil, &doc); err != nil {
		return err
	}
	rep, _, err := incident.ParseReport(doc)
	if err != nil {
		return fmt.Errorf("the server's report cannot be read (%v); are client and server the same version?", err)
	}
	if out == "-" {
		_, err := e.stdout.Write(doc)
		return err
	}
	return writeReport(e, rep, doc, out)
}

// writeReport writes a report's document to out (by default a name of its
// own, defaultReportName) and says where it went and how to check it.
func writeReport(e env, rep *incident.Report, doc []byte, out string) error {
	if out == "" {
		out = defaultReportName(rep)
	}
	if err := os.WriteFile(out, doc, 0o600); err != nil {
		return fmt.Errorf("writing the report to %s: %v; give another place with --out", out, err)
	}
	return reportWritten(e, rep, out)
}

// reportWritten says where a report went and how to check it; exit
// status 1 when the chain did not verify.
func reportWritten(e env, rep *incident.Report, out string) error {
	chain := "the event log's hash chain verified"
	if !rep.Chain.OK {
		chain = "THE EVENT LOG'S HASH CHAIN DID NOT VERIFY"
		if p := rep.Chain.Problem; p != nil {
			chain += fmt.Sprintf(" (event %d: %s)", p.Seq, p.Message)
		}
	}
	fmt.Fprintf(e.stdout, "Wrote the report of incident %d (%s) to %s: events 1 to %d, %s.\n",
		rep.Incident.ID, rep.Incident.Name, out, rep.ThroughSeq, chain)
	fmt.Fprintf(e.stdout, "Recorded as event %d with digest %s; check a copy with:\n  phasegate audit check-report %s --export EVENTS.jsonl\n",
		rep.Record.Seq, rep.Record.Digest, out)
	if !rep.Chain.OK {
		return &silentError{code: 1}
	}
	return nil
}

// runAuditReport makes the report on the database directly, for when the
// server is down (break-glass): the same document, recorded the same way,
// by cli:break-glass.
func runAuditReport(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("audit")
	var d dbFlags
	d.register(fs)
	var out string
	fs.StringVar(&out, "out", "", "where to write it: a .json file for the JSON, another name for the HTML document")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("give the incident: phasegate audit report ID [--db PATH | --postgres URL] [--out FILE]")
	}
	id, err := idArg(pos[0], "incident")
	if err != nil {
		return err
	}
	db, err := d.open(ctx, false)
	if err != nil {
		return err
	}
	defer db.Close()
	rep, err := breakGlassService(db).Report(ctx, breakGlassAdmin(), id)
	if err != nil {
		return err
	}
	var doc []byte
	if strings.HasSuffix(strings.ToLower(out), ".json") {
		doc, err = json.MarshalIndent(rep, "", "  ")
	} else {
		doc, err = server.ReportHTML(rep)
	}
	if err != nil {
		return err
	}
	return writeReport(e, rep, doc, out)
}

func runAuditCheckReport(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("audit")
	var export string
	fs.StringVar(&export, "export", "", "a JSON Lines export of the log (phasegate audit export), made after the report")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("give the report: phasegate audit check-report REPORT.html|REPORT.json [--export EVENTS.jsonl]")
	}
	doc, err := os.ReadFile(pos[0])
	if err != nil {
		return reportFileError(pos[0], "the report (HTML or JSON) as phasegate wrote it", err)
	}
	var exp io.Reader // nil: no export to look in
	what := pos[0]
	if export != "" {
		f, err := os.Open(export)
		if err != nil {
			return reportFileError(export, "an export of the log: phasegate audit export --out FILE", err)
		}
		defer f.Close()
		exp, what = f, what+" against "+export
	}
	c, err := incident.CheckReport(doc, exp)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	rep := c.Report
	if bytes.HasPrefix(bytes.TrimSpace(doc), []byte("<")) {
		// The digest covers the data; the text a person reads is drawn
		// from it. Drawn again, it must be the same document.
		again, err := server.ReportHTML(rep)
		if err != nil {
			return err
		}
		if !bytes.Equal(bytes.TrimSpace(again), bytes.TrimSpace(doc)) {
			c.Problems = append(c.Problems, "the document's visible text is not what its data gives: it was edited after it was made (or saved again by a browser, or made by another version of phasegate); "+
				"read the data, or get the report again")
		}
	}
	fmt.Fprintf(e.stdout, "Report of incident %d (%s), made %s by %s from events 1 to %d.\n", rep.Incident.ID, rep.Incident.Name,
		rep.GeneratedAt.UTC().Format("2006-01-02 15:04 UTC"), rep.GeneratedBy, rep.ThroughSeq)
	fmt.Fprintf(e.stdout, "Digest: %s\n", c.Digest)
	if c.Chain != nil && c.Chain.OK {
		fmt.Fprintf(e.stdout, "Export: %d events, the hash chain is intact; its last event is %d (hash %s).\n", c.Chain.Events, c.Chain.LastSeq, c.Chain.LastHash)
	}
	if !c.OK() {
		for _, p := range c.Problems {
			fmt.Fprintf(e.stdout, "PROBLEM: %s\n", p)
		}
		return &silentError{code: 1}
	}
	if c.Recorded {
		fmt.Fprintf(e.stdout, "OK: this is the report the log recorded as event %d.\n", rep.Record.Seq)
		return nil
	}
	fmt.Fprintln(e.stdout, "OK as far as it goes: the content gives the digest its record names. To show the log recorded it, give an export made after it: --export EVENTS.jsonl.")
	return nil
}

// defaultReportName names a report by its incident and the event that
// recorded it, so a second report never overwrites the first.
func defaultReportName(rep *incident.Report) string {
	return fmt.Sprintf("phasegate-incident-%d-report-%d.html", rep.Incident.ID, rep.Record.Seq)
}

// reportFileError says what could not be read, and what was wanted.
func reportFileError(name, want string, err error) error {
	if os.IsNotExist(err) {
		return fmt.Errorf("%s: no such file; give %s", name, want)
	}
	return fmt.Errorf("%s: %v", name, err)
}
