package incident

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Checking a report handed over: is it the one the log recorded? The
// report's JSON (or the HTML document, which carries it) gives a digest;
// an export of the log, verified, must hold the audit.reported event the
// report names, with that digest (ADR 0012).

// reportDataOpen and reportDataClose delimit the report's JSON in the
// HTML document (server/report_templates/report.html). html/template
// writes "<" inside it as \u003c, so the closing tag cannot occur in the
// data.
var (
	reportDataOpen  = []byte(`<script type="application/json" id="phasegate-report">`)
	reportDataClose = []byte(`</script>`)
)

// ParseReport reads a report from its JSON, or from the HTML document
// that carries it, and returns it with its JSON as given (the digest is
// computed from that, not from what this version of phasegate decodes).
func ParseReport(data []byte) (*Report, []byte, error) {
	doc := bytes.TrimSpace(data)
	if n := bytes.Count(doc, reportDataOpen); n > 1 {
		return nil, nil, fmt.Errorf("the HTML document carries %d report data blocks where phasegate writes one: it was changed; get the report again", n)
	}
	if i := bytes.Index(doc, reportDataOpen); i >= 0 {
		rest := doc[i+len(reportDataOpen):]
		j := bytes.Index(rest, reportDataClose)
		if j < 0 {
			return nil, nil, errors.New("the HTML document's report data is cut short (no </script> after it); get the report again")
		}
		doc = bytes.TrimSpace(rest[:j])
	} else if len(doc) > 0 && doc[0] == '<' {
		return nil, nil, errors.New("an HTML document without phasegate's report data; give the file phasegate served (GET …/report?format=html, or phasegate incident report) or its JSON")
	}
	if err := noDuplicateKeys(doc); err != nil {
		return nil, nil, fmt.Errorf("not a report phasegate wrote: %v; readers differ on which value counts, so it cannot be checked", err)
	}
	var r Report
	dec := json.NewDecoder(bytes.NewReader(doc))
	if err := dec.Decode(&r); err != nil {
		return nil, nil, fmt.Errorf("not a phasegate incident report: %v", err)
	}
	if dec.More() {
		return nil, nil, errors.New("not a phasegate incident report: more than one JSON value")
	}
	if r.Record == nil {
		return nil, nil, errors.New("the report has no record (the event that recorded it); only a report phasegate served can be checked")
	}
	return &r, doc, nil
}

// ReportCheck is what checking a report found.
type ReportCheck struct {
	// Digest is the report's digest, recomputed; DigestOK: it is the one
	// the report's record gives.
	Digest   string `json:"digest"`
	DigestOK bool   `json:"digest_ok"`
	// Chain is the verification of the export (nil when none was given).
	Chain *VerifyReport `json:"chain,omitempty"`
	// Recorded: the export holds the report's event, with the same hash,
	// incident and digest.
	Recorded bool `json:"recorded"`
	// Problems says what does not hold, in sentences.
	Problems []string `json:"problems,omitempty"`
	// Report is the report checked, as read.
	Report *Report `json:"-"`
}

// OK reports whether the report is, as far as what was given shows, the
// one the log recorded.
func (c *ReportCheck) OK() bool { return len(c.Problems) == 0 }

// CheckReport recomputes the digest of a report (doc: its JSON or the
// HTML document) and, with an export of the log (JSON Lines, as
// ExportStore writes it; nil: none), verifies the export and looks in it
// for the event that recorded the report.
func CheckReport(doc []byte, export io.Reader) (*ReportCheck, error) {
	r, raw, err := ParseReport(doc)
	if err != nil {
		return nil, err
	}
	c := &ReportCheck{Report: r}
	d, err := digestJSON(raw)
	if err != nil {
		return nil, err
	}
	c.Digest = d
	c.DigestOK = r.Record != nil && d == r.Record.Digest
	if !c.DigestOK {
		c.Problems = append(c.Problems, fmt.Sprintf("the report's content gives digest %s, but its record says %s: it was changed after it was made", d, recordDigest(r)))
	}
	if export == nil {
		return c, nil
	}
	sc := bufio.NewScanner(export)
	sc.Buffer(make([]byte, 64<<10), MaxExportLine)
	var v Verifier
	var found *Event
	var first int64
	line := 0
	for sc.Scan() {
		line++
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var e Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, fmt.Errorf("export line %d: not an event: %v", line, err)
		}
		if first == 0 {
			first = e.Seq
		}
		v.Add(e)
		if r.Record != nil && e.Seq == r.Record.Seq && found == nil {
			found = &e
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("export line %d: %v", line+1, err)
	}
	rep := v.Finish(0, "")
	c.Chain = &rep
	switch {
	case first > 1:
		c.Problems = append(c.Problems, fmt.Sprintf("the export starts at event %d, not at the start of the log (made with --after?): its chain cannot be verified from there; give a whole export (phasegate audit export, without --after)", first))
	case !rep.OK:
		msg := "the export's hash chain does not verify"
		if rep.Problem != nil {
			msg += fmt.Sprintf(": event %d: %s", rep.Problem.Seq, rep.Problem.Message)
		}
		c.Problems = append(c.Problems, msg)
	}
	switch {
	case r.Record == nil:
	case found == nil:
		c.Problems = append(c.Problems, fmt.Sprintf("the export has no event %d, the one that recorded the report; export the log again after the report was made (its last event is %d)", r.Record.Seq, rep.LastSeq))
	default:
		var p struct {
			Digest  string `json:"digest"`
			Through int64  `json:"through_seq"`
		}
		json.Unmarshal(found.Payload, &p)
		switch {
		case found.Type != EventAuditReported || found.IncidentID != r.Incident.ID:
			c.Problems = append(c.Problems, fmt.Sprintf("event %d of the export is %s of incident %d, not the report of incident %d", found.Seq, found.Type, found.IncidentID, r.Incident.ID))
		case found.Hash != r.Record.Hash:
			c.Problems = append(c.Problems, fmt.Sprintf("event %d of the export has hash %s, the report's record %s", found.Seq, found.Hash, r.Record.Hash))
		case p.Digest != c.Digest:
			c.Problems = append(c.Problems, fmt.Sprintf("the log recorded digest %s for this report; its content gives %s: it is not the report that was made", p.Digest, c.Digest))
		case p.Through != r.ThroughSeq:
			c.Problems = append(c.Problems, fmt.Sprintf("the log recorded a report through event %d; this one says %d", p.Through, r.ThroughSeq))
		default:
			c.Recorded = true
		}
	}
	return c, nil
}

func recordDigest(r *Report) string {
	if r.Record == nil {
		return "nothing"
	}
	return r.Record.Digest
}

// noDuplicateKeys refuses a JSON document with an object that names a
// member twice (RFC 8785 has no canonical form for it).
func noDuplicateKeys(doc []byte) error {
	dec := json.NewDecoder(bytes.NewReader(doc))
	type frame struct {
		keys   map[string]bool
		object bool
		key    bool // the next token of an object is a key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.key {
			if k, ok := tok.(string); ok {
				if top.keys[k] {
					return fmt.Errorf("member %q appears twice in one object", k)
				}
				top.keys[k] = true
				top.key = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{keys: map[string]bool{}, object: true, key: true})
			continue
		case json.Delim('['):
			stack = append(stack, &frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		// A value ended: in an object, a key comes next.
		if len(stack) > 0 && stack[len(stack)-1].object {
			stack[len(stack)-1].key = true
		}
	}
}
