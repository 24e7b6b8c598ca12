package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/forecast"
	"github.com/phasegate/phasegate/incident"
	"github.com/phasegate/phasegate/planner"
)

// The client commands run the recovery over the API with a token, so a
// recovery can be scripted: phasegate incident …, system …, approval ….

const clientFlagsUsage = `
  --server  the server's URL (default $PHASEGATE_SERVER, else http://127.0.0.1:8080)
  --token   an API token (default $PHASEGATE_TOKEN)
  --format  text (default) or json: the API's answer as is`

func incidentCommand() command {
	return command{
		name:    "incident",
		summary: "declare, list, show, isolate, plan and close incidents on the server",
		usage: `Usage: phasegate incident declare NAME [--kind KIND] [--started-at TIME] [--total-shutdown]
                                 [--estate-version N] [--required-approvals N]
       phasegate incident list
       phasegate incident show ID [--state STATE]
       phasegate incident isolate ID (--all | --select SELECTOR) --reason TEXT
       phasegate incident plan ID
       phasegate incident forecast ID [--runs N] [--seed N] [--by DATE]
       phasegate incident history ID
       phasegate incident verify ID
       phasegate incident report ID [--out FILE]
       phasegate incident update ID [--name NAME] [--kind KIND] [--total-shutdown true|false]
                                    [--required-approvals N] [--estate-version N]
       phasegate incident close ID --reason TEXT

declare starts an incident on the latest estate version (--total-shutdown:
every system starts isolated). isolate contains at once every system the
selector picks: --all, or --select kind=K,tag=T,team=T,system=ID. plan shows
the live plan from every system's current state; forecast its P50/P80/P95
dates (--by: the chance of being back by the end of that day); history how
each service's date moved and which event moved it. verify runs, side by
side, the checks of every system that is verifying and has checks (exit 1
when any fails; one system: phasegate system verify). update changes the
incident's settings or moves it to a newer estate version; fewer required
approvals waits until another incident commander asks for the same number.
report writes the incident report for regulators, insurers and the police
(containment, clearances with their evidence, two-person decisions, what the
public was told, account changes, cost) as one HTML document to print or
hand over (by default phasegate-incident-ID-report-SEQ.html, SEQ the event
that records it; --out FILE.json: its JSON); making it is recorded with
its digest, which phasegate audit check-report checks. close ends the
incident for good (--reason says why): its pending approvals are cancelled.` + clientFlagsUsage,
		run: runSub("incident", []subcommand{
			{"declare", runIncidentDeclare}, {"list", runIncidentList}, {"show", runIncidentShow},
			{"isolate", runIncidentIsolate}, {"plan", runIncidentPlan},
			{"forecast", runIncidentForecast}, {"history", runIncidentHistory}, {"update", runIncidentUpdate},
			{"verify", runIncidentVerify}, {"report", runIncidentReport}, {"close", runIncidentClose},
		}),
	}
}

func systemCommand() command {
	return command{
		name:    "system",
		summary: "move a system of an incident, tick its checklist, run its checks, or show it",
		usage: `Usage: phasegate system transition INCIDENT SYSTEM --to STATE --reason TEXT
       phasegate system tick INCIDENT SYSTEM ITEM [--undo] [--note TEXT] [--evidence REF]
       phasegate system verify INCIDENT SYSTEM
       phasegate system show INCIDENT SYSTEM

STATE is isolated, investigating, cleared, restoring, verifying, online or
compromised. A refused move is shown with every reason (exit status 1); a
move under the two-person rule waits for a second person's approval.
verify runs the system's checks from the estate (verify:) on the server
now, while it is verifying or online, and prints what each found; exit
status 1 when one failed. A system with checks goes online only after a
run made while verifying passed.` + clientFlagsUsage,
		run: runSub("system", []subcommand{
			{"transition", runSystemTransition}, {"tick", runSystemTick}, {"verify", runSystemVerify}, {"show", runSystemShow},
		}),
	}
}

func approvalCommand() command {
	return command{
		name:    "approval",
		summary: "list, approve, reject or cancel two-person approval requests",
		usage: `Usage: phasegate approval list INCIDENT [--status pending|approved|rejected|cancelled|expired]
       phasegate approval approve ID [--note TEXT]
       phasegate approval reject ID --note TEXT
       phasegate approval cancel ID [--note TEXT]

The person who asked cannot approve their own request. A rejection says
why (--note): the person who asked reads it. cancel withdraws a pending
request: one's own always, another person's with the right to cancel it.` + clientFlagsUsage,
		run: runSub("approval", []subcommand{
			{"list", runApprovalList}, {"approve", runApprovalDecide(true)}, {"reject", runApprovalDecide(false)},
			{"cancel", runApprovalCancel},
		}),
	}
}

// clientArgs parses the flags of a client command and checks the number
// of positional arguments.
func clientArgs(name string, args []string, e env, want int, synopsis string, extra func(fsReg)) (*apiClient, *clientFlags, []string, error) {
	fs := newFlagSet(name)
	var cf clientFlags
	cf.register(fs, e)
	if extra != nil {
		extra(fs)
	}
	pos, err := parseArgs(fs, args)
	if err != nil {
		return nil, nil, nil, err
	}
	if len(pos) > want {
		return nil, nil, nil, usagef("too many arguments: %q is one more than it takes (a value with spaces needs quotes); %s", pos[want], synopsis)
	}
	if len(pos) < want {
		return nil, nil, nil, usagef("%s", synopsis)
	}
	c, err := cf.client(e)
	if err != nil {
		return nil, nil, nil, err
	}
	return c, &cf, pos, nil
}

// clientIDArgs is clientArgs for a command whose first argument is the
// id of what (an incident, an approval): it reads the id too.
func clientIDArgs(name string, args []string, e env, want int, what, synopsis string, extra func(fsReg)) (*apiClient, *clientFlags, int64, []string, error) {
	c, cf, pos, err := clientArgs(name, args, e, want, synopsis, extra)
	if err != nil {
		return nil, nil, 0, nil, err
	}
	id, err := idArg(pos[0], what)
	if err != nil {
		return nil, nil, 0, nil, err
	}
	return c, cf, id, pos, nil
}

type fsReg interface {
	StringVar(*string, string, string, string)
	BoolVar(*bool, string, bool, string)
	IntVar(*int, string, int, string)
}

func idArg(s, what string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, usagef("%s %q is not an id; give the number phasegate showed, e.g. 1", what, s)
	}
	return n, nil
}

// fetch sends one request of a client command and reads the answer. With
// --format json it prints the answer as the server sent it and returns a
// nil v: the command is done. Otherwise v is the answer, to put in words.
func fetch[T any](ctx context.Context, c *apiClient, cf *clientFlags, e env, method, path string, body any) (v *T, status int, err error) {
	var raw json.RawMessage
	if status, err = c.do(ctx, method, path, body, &raw); err != nil {
		return nil, status, err
	}
	if cf.format == "json" {
		_, err := e.stdout.Write(raw)
		return nil, status, err
	}
	v = new(T)
	if err := json.Unmarshal(raw, v); err != nil {
		return nil, status, err
	}
	return v, status, nil
}

// fetchAnswer is fetch for a command whose exit status depends on the
// answer (a run of checks): with --format json it prints the answer and
// says so (printed), and returns it all the same.
func fetchAnswer[T any](ctx context.Context, c *apiClient, cf *clientFlags, e env, method, path string, body any) (v *T, printed bool, status int, err error) {
	var raw json.RawMessage
	if status, err = c.do(ctx, method, path, body, &raw); err != nil {
		return nil, false, status, err
	}
	v = new(T)
	if err := json.Unmarshal(raw, v); err != nil {
		return nil, false, status, fmt.Errorf("the server's answer to %s %s cannot be read (%v); are client and server the same version?", method, path, err)
	}
	if cf.format == "json" {
		_, err := e.stdout.Write(raw)
		return v, true, status, err
	}
	return v, false, status, nil
}

// ---- incident

func runIncidentDeclare(ctx context.Context, args []string, e env) error {
	var d incident.Declaration
	var started string
	c, cf, pos, err := clientArgs("incident", args, e, 1, "give the incident's name: phasegate incident declare NAME", func(fs fsReg) {
		fs.StringVar(&d.Kind, "kind", "ransomware", "kind")
		fs.StringVar(&started, "started-at", "", "when it started, RFC 3339")
		fs.BoolVar(&d.TotalShutdown, "total-shutdown", false, "every system starts isolated")
		fs.IntVar(&d.EstateVersion, "estate-version", 0, "estate version")
		fs.IntVar(&d.RequiredApprovals, "required-approvals", 0, "approvals for two-person moves")
	})
	if err != nil {
		return err
	}
	d.Name = pos[0]
	if started != "" {
		if d.StartedAt, err = time.Parse(time.RFC3339, started); err != nil {
			return usagef("--started-at %q: not an RFC 3339 time; write it as YYYY-MM-DDTHH:MM:SSZ, e.g. YYYY-MM-DDT08:00:00Z", started)
		}
	}
	view, _, err := fetch[struct {
		incident.IncidentView
		Warnings []string `json:"warnings"`
	}](ctx, c, cf, e, "POST", "/api/v1/incidents", d)
	if err != nil || view == nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Declared incident %d %q on estate version %d: %s (%s).\n",
		view.ID, view.Name, view.EstateVersion, plural(len(view.Systems), "system"), countsText(view.Counts))
	for _, w := range view.Warnings {
		fmt.Fprintf(e.stderr, "Warning: %s.\n", declareWarning(w, view.ID))
	}
	return nil
}

// apiClose is how the server's warning of another open incident says to
// close one: for the API's user.
var (
	apiClose     = regexp.MustCompile(`\s*\(POST /api/v1/incidents/ID/close\)`)
	openIncident = regexp.MustCompile(`^incident (\d+) `)
)

// declareWarning puts a warning the server gave on declaring incident id
// in the command line's words: the command that closes one of the open
// incidents, by their ids, rather than the API's endpoint.
func declareWarning(w string, id int64) string {
	loc := apiClose.FindStringIndex(w)
	if loc == nil {
		return w
	}
	cmd := "phasegate incident close ID --reason TEXT"
	if m := openIncident.FindStringSubmatch(w); m != nil {
		cmd = fmt.Sprintf("phasegate incident close %s --reason TEXT, or phasegate incident close %d --reason TEXT for this one", m[1], id)
	}
	return w[:loc[0]] + ": " + cmd + w[loc[1]:]
}

func countsText(counts map[incident.State]int) string {
	var parts []string
	for _, s := range incident.States {
		if n := counts[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func runIncidentList(ctx context.Context, args []string, e env) error {
	c, cf, _, err := clientArgs("incident", args, e, 0, "incident list takes no arguments", nil)
	if err != nil {
		return err
	}
	type list struct {
		Incidents []incident.Incident `json:"incidents"`
	}
	res, _, err := fetch[list](ctx, c, cf, e, "GET", "/api/v1/incidents", nil)
	if err != nil || res == nil {
		return err
	}
	if len(res.Incidents) == 0 {
		fmt.Fprintln(e.stdout, "No incidents. Declare one with 'phasegate incident declare NAME'.")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tKIND\tSTARTED\tESTATE\tSTATUS")
	for _, in := range res.Incidents {
		status := "open"
		if !in.Open() {
			status = "closed " + in.ClosedAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\tv%d\t%s\n", in.ID, in.Name, in.Kind, in.StartedAt.Format(time.RFC3339), in.EstateVersion, status)
	}
	return tw.Flush()
}

func runIncidentShow(ctx context.Context, args []string, e env) error {
	var state string
	c, cf, id, _, err := clientIDArgs("incident", args, e, 1, "incident", "give the incident: phasegate incident show ID", func(fs fsReg) {
		fs.StringVar(&state, "state", "", "only systems in this state")
	})
	if err != nil {
		return err
	}
	if state != "" && !incident.State(state).Valid() {
		return usagef("--state %q is not a state; use one of %s", state, joinOr(stateNames()))
	}
	view, _, err := fetch[incident.IncidentView](ctx, c, cf, e, "GET", fmt.Sprintf("/api/v1/incidents/%d", id), nil)
	if err != nil || view == nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Incident %d %q (%s), started %s, estate version %d\n",
		view.ID, view.Name, view.Kind, view.StartedAt.Format(time.RFC3339), view.EstateVersion)
	fmt.Fprintf(e.stdout, "Systems: %s; %s pending\n\n", countsText(view.Counts), plural(view.PendingApprovals, "approval"))
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SYSTEM\tSTATE\tCRIT\tTEAM\tCHECKLIST\tNEXT\tAPPROVAL")
	for _, s := range view.Systems {
		if state != "" && string(s.State) != state {
			continue
		}
		next := make([]string, len(s.Next))
		for i, n := range s.Next {
			next[i] = string(n)
		}
		appr := ""
		if s.PendingApproval != 0 {
			appr = fmt.Sprintf("#%d pending", s.PendingApproval)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d/%d\t%s\t%s\n", s.SystemID, s.State, s.Criticality, s.Team,
			s.ChecklistDone, s.ChecklistTotal, strings.Join(next, ","), appr)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// Systems the estate no longer has: apart, not counted, never moved.
	var gone []string
	for _, r := range view.Removed {
		if state != "" && string(r.State) != state {
			continue
		}
		where := "removed from the estate"
		if r.RemovedIn > 0 {
			where = fmt.Sprintf("removed from the estate in version %d", r.RemovedIn)
		}
		gone = append(gone, fmt.Sprintf("  %s\t%s, last %s since %s\n", r.SystemID, where, r.State, r.Since.Format(time.RFC3339)))
	}
	if len(gone) == 0 {
		return nil
	}
	fmt.Fprintf(e.stdout, "\nNo longer in the estate (%s, not counted above):\n", plural(len(gone), "system"))
	tw = tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	for _, g := range gone {
		fmt.Fprint(tw, g)
	}
	return tw.Flush()
}

func stateNames() []string {
	out := make([]string, len(incident.States))
	for i, s := range incident.States {
		out[i] = string(s)
	}
	return out
}

// targetStateNames are the states a system can be moved to
// (incident.MoveTargets), as the flag takes them.
func targetStateNames() []string {
	var out []string
	for _, st := range incident.MoveTargets() {
		out = append(out, string(st))
	}
	return out
}

func runIncidentIsolate(ctx context.Context, args []string, e env) error {
	var all bool
	var sel, reason string
	c, cf, id, _, err := clientIDArgs("incident", args, e, 1, "incident", "give the incident: phasegate incident isolate ID --all --reason TEXT", func(fs fsReg) {
		fs.BoolVar(&all, "all", false, "every system")
		fs.StringVar(&sel, "select", "", "selector: kind=K,tag=T,team=T,system=ID")
		fs.StringVar(&reason, "reason", "", "why")
	})
	if err != nil {
		return err
	}
	var selector incident.Selector
	switch {
	case all && sel != "":
		return usagef("give --all or --select, not both")
	case all:
		selector.All = true
	case sel != "":
		if selector, err = incident.ParseSelector(sel); err != nil {
			return usagef("--select: %s", err)
		}
	default:
		return usagef("say what to isolate: --all, or --select kind=K,tag=T,team=T,system=ID")
	}
	if reason == "" {
		return usagef("give a reason with --reason: every containment is recorded with why")
	}
	res, _, err := fetch[incident.IsolationResult](ctx, c, cf, e, "POST", fmt.Sprintf("/api/v1/incidents/%d/isolate", id),
		map[string]any{"selector": selector, "reason": reason})
	if err != nil || res == nil {
		return err
	}
	writeIsolation(e.stdout, id, res)
	return nil
}

// writeIsolation says what a bulk isolation did. The systems that were
// already contained are counted by state, and named only when they are
// few: isolating everything a second time would otherwise print a line
// for each of hundreds of systems and bury the ones that matter, those
// left alone because they could not be isolated, listed each with why.
func writeIsolation(w io.Writer, incidentID int64, res *incident.IsolationResult) {
	if len(res.Isolated) == 0 {
		fmt.Fprintln(w, "Isolated nothing: no selected system was left to isolate, so nothing was recorded.")
	} else {
		fmt.Fprintf(w, "Isolated %s (event %d).\n", plural(len(res.Isolated), "system"), res.Seq)
	}
	var contained []string
	var other []incident.Skip
	byState := map[incident.State]int{}
	for _, s := range res.Skipped {
		if s.State.Contained() {
			contained = append(contained, s.System)
			byState[s.State]++
		} else {
			other = append(other, s)
		}
	}
	if len(contained) > 0 {
		var counts []string
		for _, st := range incident.ContainedStates {
			if n := byState[st]; n > 0 {
				counts = append(counts, fmt.Sprintf("%s %s", groupThousands(int64(n)), st))
			}
		}
		fmt.Fprintf(w, "Already contained, left as they are: %s (%s)", plural(len(contained), "system"), strings.Join(counts, ", "))
		if len(contained) <= 12 {
			fmt.Fprintf(w, ":\n  %s\n", wrapList(contained, 0))
		} else {
			fmt.Fprintf(w, "; phasegate incident show %d --state STATE lists them\n", incidentID)
		}
	}
	if len(other) > 0 {
		fmt.Fprintf(w, "Left alone %s:\n", plural(len(other), "system"))
		for _, s := range other {
			if s.State != "" {
				fmt.Fprintf(w, "  %s (%s): %s\n", s.System, s.State, s.Why)
			} else {
				fmt.Fprintf(w, "  %s: %s\n", s.System, s.Why)
			}
		}
	}
}

func runIncidentPlan(ctx context.Context, args []string, e env) error {
	c, cf, id, _, err := clientIDArgs("incident", args, e, 1, "incident", "give the incident: phasegate incident plan ID", nil)
	if err != nil {
		return err
	}
	p, _, err := fetch[planner.Plan](ctx, c, cf, e, "GET", fmt.Sprintf("/api/v1/incidents/%d/plan", id), nil)
	if err != nil || p == nil {
		return err
	}
	est, err := incidentEstate(ctx, c, id)
	if err != nil {
		return err
	}
	return writePlanText(e.stdout, est, p)
}

// incidentEstate fetches the estate version an incident runs on, for the
// names the text summaries use.
func incidentEstate(ctx context.Context, c *apiClient, id int64) (*estate.Estate, error) {
	var in incident.Incident
	if _, err := c.do(ctx, "GET", fmt.Sprintf("/api/v1/incidents/%d", id), nil, &in); err != nil {
		return nil, err
	}
	var ev struct {
		Estate *estate.Estate `json:"estate"`
	}
	if _, err := c.do(ctx, "GET", fmt.Sprintf("/api/v1/estate/versions/%d", in.EstateVersion), nil, &ev); err != nil {
		return nil, err
	}
	if ev.Estate == nil {
		ev.Estate = &estate.Estate{}
	}
	return ev.Estate, nil
}

func runIncidentForecast(ctx context.Context, args []string, e env) error {
	var runs int
	var seed, by string
	c, cf, id, _, err := clientIDArgs("incident", args, e, 1, "incident", "give the incident: phasegate incident forecast ID [--runs N] [--seed N] [--by DATE]", func(fs fsReg) {
		fs.IntVar(&runs, "runs", 0, "how many runs (default: the server's)")
		fs.StringVar(&seed, "seed", "", "the random seed (default: the incident's id, as the live plan)")
		fs.StringVar(&by, "by", "", "a date (the end of that day, UTC) or an RFC 3339 time: the chance of being back by then")
	})
	if err != nil {
		return err
	}
	q := url.Values{}
	if runs != 0 {
		q.Set("runs", strconv.Itoa(runs))
	}
	if seed != "" {
		q.Set("seed", seed)
	}
	if by != "" {
		q.Set("by", by)
	}
	path := fmt.Sprintf("/api/v1/incidents/%d/forecast", id)
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	r, _, err := fetch[forecast.Result](ctx, c, cf, e, "GET", path, nil)
	if err != nil || r == nil {
		return err
	}
	est, err := incidentEstate(ctx, c, id)
	if err != nil {
		return err
	}
	return writeForecastText(e.stdout, est, r)
}

func runIncidentHistory(ctx context.Context, args []string, e env) error {
	c, cf, id, _, err := clientIDArgs("incident", args, e, 1, "incident", "give the incident: phasegate incident history ID", nil)
	if err != nil {
		return err
	}
	h, _, err := fetch[struct {
		Changes []incident.ETAChange `json:"changes"`
	}](ctx, c, cf, e, "GET", fmt.Sprintf("/api/v1/incidents/%d/plan/history", id), nil)
	if err != nil || h == nil {
		return err
	}
	est, err := incidentEstate(ctx, c, id)
	if err != nil {
		return err
	}
	return writeHistoryText(e.stdout, est, h.Changes)
}

// ---- system

func runSystemTransition(ctx context.Context, args []string, e env) error {
	var to, reason string
	c, cf, id, pos, err := clientIDArgs("system", args, e, 2, "incident", "give the incident and the system: phasegate system transition INCIDENT SYSTEM --to STATE --reason TEXT", func(fs fsReg) {
		fs.StringVar(&to, "to", "", "state")
		fs.StringVar(&reason, "reason", "", "why")
	})
	if err != nil {
		return err
	}
	targets := targetStateNames()
	if to == "" {
		return usagef("give the state to move to with --to (%s)", joinOr(targets))
	}
	if !slices.Contains(targets, to) {
		msg := fmt.Sprintf("--to %q: not a state a system can move to; use %s", to, joinOr(targets))
		if s := closest(to, targets); s != "" {
			msg = fmt.Sprintf("--to %q: not a state a system can move to; did you mean %q? The states are %s", to, s, joinOr(targets))
		}
		return usagef("%s", msg)
	}
	if reason == "" {
		return usagef("give a reason with --reason: every move is recorded with why")
	}
	res, status, err := fetch[incident.TransitionResult](ctx, c, cf, e, "POST", fmt.Sprintf("/api/v1/incidents/%d/systems/%s/transition", id, url.PathEscape(pos[1])),
		map[string]string{"to": to, "reason": reason})
	if err != nil || res == nil {
		return err
	}
	if status == 202 && res.Approval != nil {
		fmt.Fprintf(e.stdout, "%s: %s → %s waits for a second person: approval %d (approve with 'phasegate approval approve %d').\n",
			pos[1], res.Approval.From, res.Approval.To, res.Approval.ID, res.Approval.ID)
		return nil
	}
	fmt.Fprintf(e.stdout, "%s is now %s (event %d).\n", pos[1], res.System.State, res.Seq)
	return nil
}

func runSystemTick(ctx context.Context, args []string, e env) error {
	var undo bool
	var note, evidence string
	c, cf, id, pos, err := clientIDArgs("system", args, e, 3, "incident", "give the incident, the system and the item: phasegate system tick INCIDENT SYSTEM ITEM", func(fs fsReg) {
		fs.BoolVar(&undo, "undo", false, "untick")
		fs.StringVar(&note, "note", "", "note")
		fs.StringVar(&evidence, "evidence", "", "evidence reference")
	})
	if err != nil {
		return err
	}
	it, _, err := fetch[incident.ChecklistItem](ctx, c, cf, e, "POST", fmt.Sprintf("/api/v1/incidents/%d/systems/%s/checklist", id, url.PathEscape(pos[1])),
		incident.Tick{Item: pos[2], Done: !undo, Note: note, Evidence: evidence})
	if err != nil || it == nil {
		return err
	}
	mark := "done"
	if !it.Done {
		mark = "not done"
	}
	fmt.Fprintf(e.stdout, "%s: %q is %s (by %s).\n", pos[1], it.Text, mark, it.By)
	return nil
}

func runSystemShow(ctx context.Context, args []string, e env) error {
	c, cf, id, pos, err := clientIDArgs("system", args, e, 2, "incident", "give the incident and the system: phasegate system show INCIDENT SYSTEM", nil)
	if err != nil {
		return err
	}
	d, _, err := fetch[incident.SystemDetail](ctx, c, cf, e, "GET", fmt.Sprintf("/api/v1/incidents/%d/systems/%s", id, url.PathEscape(pos[1])), nil)
	if err != nil || d == nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s (%s, %s, criticality %d, team %s): %s since %s\n", d.SystemID, d.Name, d.Kind, d.Criticality, d.Team,
		d.State, d.Since.Format(time.RFC3339))
	if d.TwoPerson {
		fmt.Fprintln(e.stdout, "Two-person rule: restoring and going online need a second person's approval.")
	}
	writeVerifyChecks(e.stdout, d)
	fmt.Fprintf(e.stdout, "Clearance checklist (%d of %d done):\n", d.ChecklistDone, d.ChecklistTotal)
	for _, it := range d.Checklist {
		box := "[ ]"
		if it.Done {
			box = "[x]"
		}
		line := fmt.Sprintf("  %s %s — %s", box, it.Key, it.Text)
		if it.Done {
			line += fmt.Sprintf(" (%s", it.By)
			if it.Evidence != "" {
				line += ", evidence " + it.Evidence
			}
			line += ")"
		}
		fmt.Fprintln(e.stdout, line)
	}
	return nil
}

// runSystemVerify runs a system's verify checks on the server and prints
// what each found. A failed run is exit status 1, with --format json too,
// so a script can wait for a system to pass.
func runSystemVerify(ctx context.Context, args []string, e env) error {
	c, cf, id, pos, err := clientIDArgs("system", args, e, 2, "incident", "give the incident and the system: phasegate system verify INCIDENT SYSTEM", nil)
	if err != nil {
		return err
	}
	sys := pos[1]
	run, printed, _, err := fetchAnswer[incident.CheckRun](ctx, c, cf, e, "POST",
		fmt.Sprintf("/api/v1/incidents/%d/systems/%s/verify", id, url.PathEscape(sys)), nil)
	if err != nil {
		return err
	}
	if !printed {
		// The run's state tells why a run did not count.
		writeCheckRun(e.stdout, sys, run)
	}
	if !run.Passed {
		return &silentError{code: exitFailure}
	}
	return nil
}

// runIncidentVerify runs the checks of every verifying system with checks.
func runIncidentVerify(ctx context.Context, args []string, e env) error {
	c, cf, id, _, err := clientIDArgs("incident", args, e, 1, "incident", "give the incident: phasegate incident verify ID", nil)
	if err != nil {
		return err
	}
	res, printed, _, err := fetchAnswer[incident.VerifyAllResult](ctx, c, cf, e, "POST", fmt.Sprintf("/api/v1/incidents/%d/verify", id), nil)
	if err != nil {
		return err
	}
	if !printed {
		for i := range res.Runs {
			writeCheckRun(e.stdout, res.Runs[i].SystemID, &res.Runs[i])
			fmt.Fprintln(e.stdout)
		}
		if len(res.ByHand) > 0 {
			fmt.Fprintf(e.stdout, "Verifying without checks (verified by hand): %s\n", strings.Join(res.ByHand, ", "))
		}
		switch {
		case len(res.Runs) == 0:
			fmt.Fprintln(e.stdout, "No system is verifying with checks to run.")
		default:
			fmt.Fprintf(e.stdout, "%s: %d passed, %d failed.\n", plural(len(res.Runs), "system"), res.Passed, res.Failed)
		}
	}
	if res.Failed > 0 {
		return &silentError{code: exitFailure}
	}
	return nil
}

// writeCheckRun prints a run of a system's checks: a line per check, the
// verdict, and why the run does not count for going online when it does
// not (by the system's state when the run was recorded).
func writeCheckRun(w io.Writer, sys string, run *incident.CheckRun) {
	state := run.State
	fmt.Fprintf(w, "%s: %s, run by %s at %s (event %d)\n", sys, plural(len(run.Results), "check"),
		run.By, run.At.Format(time.RFC3339), run.Seq)
	for _, r := range run.Results {
		fmt.Fprintln(w, checkLine(r.Check, &r))
	}
	online := !run.Counts && state == incident.StateOnline
	switch {
	case run.Passed && online:
		fmt.Fprintf(w, "Checks passed; %s is online, so this run changes nothing.\n", sys)
	case run.Passed:
		fmt.Fprintln(w, "Checks passed.")
	case online:
		fmt.Fprintf(w, "Checks failed while %s is online. It stays online: if it is not working, isolate it "+
			"(phasegate system transition %d %s --to isolated --reason TEXT).\n", sys, run.IncidentID, sys)
	default:
		fmt.Fprintf(w, "Checks failed: %s cannot go online until they pass.\n", sys)
	}
	if run.Counts || online {
		return
	}
	switch state {
	case "":
		fmt.Fprintf(w, "This run does not count for going online: %s was not verifying when it ended, or moved while the checks ran; run them again.\n", sys)
	case incident.StateVerifying:
		fmt.Fprintf(w, "This run does not count for going online: %s moved while the checks ran; run them again.\n", sys)
	default:
		fmt.Fprintf(w, "This run does not count for going online: %s moved while the checks ran and is %s now.\n", sys, state)
	}
}

// checkLine is one check in a list: "  ok    CHECK: what it found",
// "  FAIL  …", or "  -     CHECK" when it has no result.
func checkLine(check string, r *incident.CheckResult) string {
	switch {
	case r == nil:
		return "  -     " + check
	case r.OK:
		return "  ok    " + check + ": " + r.Detail
	}
	return "  FAIL  " + check + ": " + r.Detail
}

// writeVerifyChecks prints a system's verify checks with the run that
// counts for going online, or says it is verified by hand.
func writeVerifyChecks(w io.Writer, d *incident.SystemDetail) {
	if len(d.Verify) == 0 {
		if d.State == incident.StateVerifying {
			fmt.Fprintln(w, "Verify checks: none in the estate; it is verified by hand.")
		}
		return
	}
	run := d.LastCheck
	switch {
	case run != nil:
		verdict := "passed"
		if !run.Passed {
			verdict = "failed"
		}
		fmt.Fprintf(w, "Verify checks: the run that counts %s (%s, %s):\n", verdict, run.By, run.At.Format(time.RFC3339))
	case d.State == incident.StateVerifying:
		fmt.Fprintf(w, "Verify checks: not run since it entered verifying (phasegate system verify %d %s):\n", d.IncidentID, d.SystemID)
	default:
		fmt.Fprintln(w, "Verify checks: no run on record; they run while it is verifying or online:")
	}
	for _, c := range d.Verify {
		var res *incident.CheckResult
		if run != nil {
			for i := range run.Results {
				if run.Results[i].Check == c.String() {
					res = &run.Results[i]
				}
			}
		}
		fmt.Fprintln(w, checkLine(c.String(), res))
	}
}

// ---- approval

func runApprovalList(ctx context.Context, args []string, e env) error {
	var status string
	c, cf, id, _, err := clientIDArgs("approval", args, e, 1, "incident", "give the incident: phasegate approval list INCIDENT", func(fs fsReg) {
		fs.StringVar(&status, "status", "", "pending, approved, rejected, cancelled or expired")
	})
	if err != nil {
		return err
	}
	path := fmt.Sprintf("/api/v1/incidents/%d/approvals", id)
	if status != "" {
		path += "?status=" + url.QueryEscape(status)
	}
	type list struct {
		Approvals []incident.Approval `json:"approvals"`
	}
	res, _, err := fetch[list](ctx, c, cf, e, "GET", path, nil)
	if err != nil || res == nil {
		return err
	}
	if len(res.Approvals) == 0 {
		fmt.Fprintln(e.stdout, "No approval requests.")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSYSTEM\tMOVE\tREQUESTED BY\tSTATUS\tAPPROVALS\tREASON")
	for _, a := range res.Approvals {
		fmt.Fprintf(tw, "%d\t%s\t%s → %s\t%s\t%s\t%d/%d\t%s\n", a.ID, a.SystemID, a.From, a.To, a.RequestedBy, a.Status,
			a.Approvals(), a.Required, a.Reason)
	}
	return tw.Flush()
}

func runApprovalDecide(approve bool) func(context.Context, []string, env) error {
	verb := "reject"
	if approve {
		verb = "approve"
	}
	return func(ctx context.Context, args []string, e env) error {
		var note string
		c, cf, id, _, err := clientIDArgs("approval", args, e, 1, "approval", "give the approval's id: phasegate approval "+verb+" ID", func(fs fsReg) {
			fs.StringVar(&note, "note", "", "note")
		})
		if err != nil {
			return err
		}
		if !approve && strings.TrimSpace(note) == "" {
			return usagef("give why with --note: a rejection says why, and the person who asked reads it")
		}
		path, body := fmt.Sprintf("/api/v1/approvals/%d/%s", id, verb), map[string]string{"note": note}
		if !approve {
			// The words need nothing from the answer: it is kept raw.
			raw, _, err := fetch[json.RawMessage](ctx, c, cf, e, "POST", path, body)
			if err != nil || raw == nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Rejected approval %d.\n", id)
			return nil
		}
		d, _, err := fetch[incident.Decided](ctx, c, cf, e, "POST", path, body)
		if err != nil || d == nil {
			return err
		}
		if d.Done && d.System != nil {
			fmt.Fprintf(e.stdout, "Approved %d: %s is now %s.\n", id, d.Approval.SystemID, d.System.State)
		} else {
			fmt.Fprintf(e.stdout, "Approved %d: %d of %d approvals; waiting for more.\n", id, d.Approval.Approvals(), d.Approval.Required)
		}
		return nil
	}
}

// runIncidentUpdate changes an incident's settings with PATCH; a request
// for fewer approvals is shown as waiting (202).
func runIncidentUpdate(ctx context.Context, args []string, e env) error {
	var name, kind, shutdown string
	var required, version int
	c, cf, id, _, err := clientIDArgs("incident", args, e, 1, "incident", "give the incident: phasegate incident update ID --required-approvals N", func(fs fsReg) {
		fs.StringVar(&name, "name", "", "a new name")
		fs.StringVar(&kind, "kind", "", "a new kind")
		fs.StringVar(&shutdown, "total-shutdown", "", "true or false")
		fs.IntVar(&required, "required-approvals", 0, "people who approve a two-person move, 1 to 5")
		fs.IntVar(&version, "estate-version", 0, "move to this newer estate version")
	})
	if err != nil {
		return err
	}
	body := map[string]any{}
	if name != "" {
		body["name"] = name
	}
	if kind != "" {
		body["kind"] = kind
	}
	switch shutdown {
	case "":
	case "true", "false":
		body["total_shutdown"] = shutdown == "true"
	default:
		return usagef("--total-shutdown %q: write true or false", shutdown)
	}
	if required != 0 {
		body["required_approvals"] = required
	}
	if version != 0 {
		body["estate_version"] = version
	}
	if len(body) == 0 {
		return usagef("nothing to change: give --name, --kind, --total-shutdown, --required-approvals or --estate-version")
	}
	type answer struct {
		Incident   incident.Incident    `json:"incident"`
		EstateMove *incident.EstateMove `json:"estate_move"`
		Message    string               `json:"message"`
	}
	res, status, err := fetch[answer](ctx, c, cf, e, "PATCH", fmt.Sprintf("/api/v1/incidents/%d", id), body)
	if err != nil || res == nil {
		return err
	}
	in := res.Incident
	fmt.Fprintf(e.stdout, "Incident %d %q: estate version %d, %s for a two-person move.\n", in.ID, in.Name, in.EstateVersion,
		plural(max(1, in.RequiredApprovals), "approval"))
	if mv := res.EstateMove; mv != nil {
		fmt.Fprintf(e.stdout, "Moved from estate version %d to %d: %s added, %d removed.\n", mv.From, mv.To, plural(len(mv.Added), "system"), len(mv.Removed))
	}
	if status == http.StatusAccepted {
		fmt.Fprintf(e.stdout, "Waiting: %s.\n", res.Message)
	}
	return nil
}
