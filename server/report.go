package server

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/phasegate/phasegate/forecast"
	"github.com/phasegate/phasegate/incident"
)

// The incident report (incident.Report, ADR 0012) as JSON, or as one
// self-contained HTML document that prints in black and white and
// carries its data, so that the digest of a copy handed over can be
// checked (phasegate audit check-report). GET /api/v1/incidents/{id}/report
// answers both (?format=html); the UI's /incidents/{id}/report the HTML.

//go:embed report_templates/report.html
var reportTemplateFS embed.FS

// reportTemplate parses the report's template.
func reportTemplate() (*template.Template, error) {
	t, err := template.New("report.html").Funcs(template.FuncMap{"join": strings.Join, "plural": plural}).
		ParseFS(reportTemplateFS, "report_templates/report.html")
	if err != nil {
		return nil, fmt.Errorf("server: report template: %w", err)
	}
	return t, nil
}

// reportView is what the template renders: the report and the words for
// it.
type reportView struct {
	R *incident.Report
}

// When is a time with its date and year: a report outlives the incident.
func (reportView) When(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("Mon 2 Jan 2006 15:04 UTC")
}

func (v reportView) Money(x float64) string { return fmtMoney(v.R.Currency, x) }

// Mark flags the line of the event where the chain broke: what it says
// may have been altered.
func (v reportView) Mark(seq int64) string {
	if p := v.R.Chain.Problem; p != nil && p.Seq == seq {
		return " ✕ fails the chain check"
	}
	return ""
}

func (reportView) Num(x float64) string   { return numText(x) }
func (reportView) Hours(h float64) string { return fmtHours(h) }

// ImpactOf is a service's line of the impact ledger, or nil.
func (v reportView) ImpactOf(id string) *forecast.ServiceImpact {
	if v.R.Impact == nil {
		return nil
	}
	for i := range v.R.Impact.Services {
		if v.R.Impact.Services[i].ID == id {
			return &v.R.Impact.Services[i]
		}
	}
	return nil
}

// States counts the systems by state, in the order of the state machine.
func (v reportView) States() []stateCount {
	var out []stateCount
	for _, st := range incident.States {
		if n := v.R.Summary.States[st]; n > 0 {
			out = append(out, stateCount{State: st, N: n})
		}
	}
	return out
}

// AccessLines are the account, token and estate events in words.
func (v reportView) AccessLines() []uiEvent {
	out := make([]uiEvent, len(v.R.Access.Events))
	for i, e := range v.R.Access.Events {
		out[i] = describeEvent(e)
	}
	return out
}

// ReportHTML is the report as the HTML document the server serves, for
// the command line to write one with no server (phasegate audit report).
func ReportHTML(rep *incident.Report) ([]byte, error) {
	t, err := reportTemplate()
	if err != nil {
		return nil, err
	}
	return executeReport(t, rep)
}

func executeReport(t *template.Template, rep *incident.Report) ([]byte, error) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, reportView{R: rep}); err != nil {
		return nil, fmt.Errorf("rendering the report of incident %d: %w", rep.Incident.ID, err)
	}
	doc := buf.Bytes()
	// The text a person reads shows direction controls instead of obeying
	// them: a name or a reason holding U+202E would otherwise print a line
	// reordered. The data block keeps the text as recorded.
	i := bytes.Index(doc, []byte(`<script type="application/json"`))
	if i < 0 {
		i = len(doc)
	}
	return append([]byte(bidiVisible().Replace(string(doc[:i]))), doc[i:]...), nil
}

// bidiVisible writes the Unicode direction controls as visible marks.
func bidiVisible() *strings.Replacer {
	var pairs []string
	for _, r := range []rune{0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069} {
		pairs = append(pairs, string(r), fmt.Sprintf("[U+%04X]", r))
	}
	return strings.NewReplacer(pairs...)
}

// renderReport writes the report as HTML. An error comes before anything
// is written, so the caller can still answer with it.
func (s *Server) renderReport(w http.ResponseWriter, rep *incident.Report) error {
	doc, err := executeReport(s.report, rep)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	// Inert wherever it is opened: no script runs (the data block is not
	// a script), nothing is fetched.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	h.Set("Content-Disposition", fmt.Sprintf(`inline; filename="phasegate-incident-%d-report.html"`, rep.Incident.ID))
	w.WriteHeader(http.StatusOK)
	w.Write(doc) // a client gone away: nothing more to say
	return nil
}

func (s *Server) handleReport(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id", "incident id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	format := r.URL.Query().Get("format")
	if !slices.Contains([]string{"", "json", "html"}, format) {
		s.writeError(w, r, invalidRequest(http.StatusBadRequest, "format=%q: use json (the default) or html (a document to print or hand over)", format))
		return
	}
	rep, err := s.svc.Report(r.Context(), actorFrom(r.Context()), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if format == "html" {
		if err := s.renderReport(w, rep); err != nil {
			s.writeError(w, r, err)
		}
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// handleReportPage is the report as the UI offers it: the same document,
// or the UI's error page when it cannot be made.
func (u *ui) handleReportPage(w http.ResponseWriter, r *http.Request, a incident.Actor) {
	in, ok := u.incidentOf(w, r, a)
	if !ok {
		return
	}
	if r.Method == http.MethodHead && a.Can(incident.ActionAuditExport, nil) {
		recordedOnGet(nil)(w, r) // asking is not making one
		return
	}
	rep, err := u.s.svc.Report(r.Context(), a, in.ID())
	if err == nil {
		err = u.s.renderReport(w, rep)
	}
	if err != nil {
		u.fail(w, r, u.stillPage(a, in, "events", "Incident report"), err)
	}
}
