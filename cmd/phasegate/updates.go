package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/phasegate/phasegate/incident"
)

// updateCommand is the client for status updates (comms): draft, edit,
// approve, reject, publish and withdraw what the company tells its
// audiences, with the two-person rule the server keeps (docs/adr/0004).
func updateCommand() command {
	return command{
		name:    "update",
		summary: "draft, approve and publish status updates (what each audience is told) on the server",
		usage: `Usage: phasegate update draft INCIDENT --audience A [--audience B] --title TEXT (--body TEXT | --body-file FILE)
                              [--service ID=STATE[@DATE]]... [--corrects ID]
       phasegate update list INCIDENT [--status STATUS]
       phasegate update show ID
       phasegate update suggest INCIDENT [--audience A]
       phasegate update edit ID [--audience A]... [--title TEXT] [--body TEXT | --body-file FILE]
                             [--service ID=STATE[@DATE]]... [--drop-service ID]...
       phasegate update approve ID [--note TEXT] [--publish]
       phasegate update reject ID --note TEXT
       phasegate update publish ID
       phasegate update withdraw ID [--note TEXT]

An update goes from draft to approved (by someone who wrote none of it) to
published on the public status pages and feeds of its audiences.

  --audience      who it is for: colleagues, suppliers, retailers, customers,
                  regulators or an audience the estate's services name;
                  repeat it for several (edit: the new list, replacing the old)
  --title         one line
  --body          the text; --body-file reads it from FILE (- for standard input)
  --service       one service's line: ID=down, ID=partial or ID=up, with the
                  day it is expected back for down or partial, a day ahead:
                  ID=down@YYYY-MM-DD; repeat it for several. On edit it
                  replaces that service's line (or adds one) and keeps the
                  others; --drop-service ID removes one
  --corrects      the published update this one corrects (it is superseded when
                  this one is published)
  --status        list only updates in this state: draft, approved, rejected,
                  published, superseded or withdrawn
  --note          approve: a note for the record; reject: what should change
                  (required); withdraw: why (required for a published update)
  --publish       approve and publish in one step

edit sends the whole update, as the server needs: it reads the current one
and changes only what the flags give, from the revision it read (if someone
edited it meanwhile, the server refuses and you edit again). An edit makes
an approved or rejected update a draft again. suggest shows, per audience,
the live plan's line for each service beside what the audience was last
told, with the --service flag to insert it.` + clientFlagsUsage,
		run: runSub("update", []subcommand{
			{"draft", runUpdateDraft}, {"list", runUpdateList}, {"show", runUpdateShow},
			{"suggest", runUpdateSuggest}, {"edit", runUpdateEdit},
			{"approve", runUpdateApprove}, {"reject", runUpdateReject},
			{"publish", runUpdatePublish}, {"withdraw", runUpdateWithdraw},
		}),
	}
}

// listFlag is a flag given several times: each value is appended.
type listFlag struct{ vals *[]string }

func (l listFlag) String() string {
	if l.vals == nil {
		return ""
	}
	return strings.Join(*l.vals, ",")
}

func (l listFlag) Set(s string) error {
	*l.vals = append(*l.vals, s)
	return nil
}

// listVar registers a repeatable flag on the flag set behind fs.
func listVar(fs fsReg, vals *[]string, name, usage string) {
	fs.(interface {
		Var(flag.Value, string, string)
	}).Var(listFlag{vals}, name, usage)
}

// contentFlags are the flags that write an update's content.
type contentFlags struct {
	audiences, services, drop []string
	title, body, bodyFile     string
	corrects                  int
}

func (f *contentFlags) register(fs fsReg, edit bool) {
	listVar(fs, &f.audiences, "audience", "an audience (repeat for several)")
	fs.StringVar(&f.title, "title", "", "the title")
	fs.StringVar(&f.body, "body", "", "the text")
	fs.StringVar(&f.bodyFile, "body-file", "", "a file holding the text (- for standard input)")
	listVar(fs, &f.services, "service", "ID=STATE[@DATE] (repeat for several)")
	if edit {
		listVar(fs, &f.drop, "drop-service", "a service whose line to remove (repeat for several)")
	} else {
		fs.IntVar(&f.corrects, "corrects", 0, "the published update this one corrects")
	}
}

// readBody returns the body the flags give, and whether they give one.
func (f *contentFlags) readBody(e env) (string, bool, error) {
	switch {
	case f.body != "" && f.bodyFile != "":
		return "", false, usagef("give the text with --body or --body-file, not both")
	case f.bodyFile == "-":
		b, err := io.ReadAll(e.stdin)
		if err != nil {
			return "", false, fmt.Errorf("--body-file -: reading standard input: %v", err)
		}
		return string(b), true, nil
	case f.bodyFile != "":
		b, err := os.ReadFile(f.bodyFile)
		if err != nil {
			return "", false, usagef("--body-file %s: cannot read it (%v); give a text file with the update's body, or - for standard input", f.bodyFile, errText(err))
		}
		return string(b), true, nil
	case f.body != "":
		return f.body, true, nil
	}
	return "", false, nil
}

// errText is an error without the path os puts in front of it.
func errText(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// parseServiceLine reads --service ID=STATE[@DATE]: DATE is the day the
// service is expected back (YYYY-MM-DD), or an RFC 3339 time.
func parseServiceLine(s string) (incident.ServiceLine, error) {
	id, rest, ok := strings.Cut(s, "=")
	id = strings.TrimSpace(id)
	if !ok || id == "" || rest == "" {
		return incident.ServiceLine{}, usagef("--service %q: write ID=STATE or ID=STATE@DATE, e.g. --service supplier-payments=down@YYYY-MM-DD with a day ahead", s)
	}
	state, day, hasDay := strings.Cut(rest, "@")
	l := incident.ServiceLine{Service: id, State: incident.ServiceState(strings.TrimSpace(state))}
	if !slices.Contains(incident.ServiceStates, l.State) {
		return l, usagef("--service %q: %q is not a service state; use down, partial or up", s, state)
	}
	if hasDay {
		if l.State == incident.ServiceUp {
			return l, usagef("--service %q: a service that is up has no expected day; write %s=up", s, id)
		}
		t, err := time.Parse(time.DateOnly, strings.TrimSpace(day))
		if err != nil {
			if t, err = time.Parse(time.RFC3339, strings.TrimSpace(day)); err != nil {
				return l, usagef("--service %q: the expected day %q is not a date; write it as YYYY-MM-DD, a day ahead", s, day)
			}
		}
		l.ETA = t
	}
	return l, nil
}

// mergeServices applies --service lines (replacing a service's line, or
// adding one) and --drop-service to lines.
func mergeServices(lines []incident.ServiceLine, set, drop []string) ([]incident.ServiceLine, error) {
	out := slices.Clone(lines)
	if out == nil {
		out = []incident.ServiceLine{}
	}
	for _, s := range set {
		l, err := parseServiceLine(s)
		if err != nil {
			return nil, err
		}
		if i := slices.IndexFunc(out, func(o incident.ServiceLine) bool { return o.Service == l.Service }); i >= 0 {
			l.Note = out[i].Note // set in the browser; kept
			out[i] = l
		} else {
			out = append(out, l)
		}
	}
	for _, d := range drop {
		i := slices.IndexFunc(out, func(o incident.ServiceLine) bool { return o.Service == d })
		if i < 0 {
			var have []string
			for _, o := range out {
				have = append(have, o.Service)
			}
			if len(have) == 0 {
				return nil, usagef("--drop-service %s: the update has no service lines", d)
			}
			return nil, usagef("--drop-service %s: the update has no line for it; its services are %s", d, strings.Join(have, ", "))
		}
		out = slices.Delete(out, i, i+1)
	}
	return out, nil
}

func runUpdateDraft(ctx context.Context, args []string, e env) error {
	var f contentFlags
	c, cf, id, _, err := clientIDArgs("update", args, e, 1, "incident",
		"give the incident: phasegate update draft INCIDENT --audience A --title TEXT --body TEXT", func(fs fsReg) { f.register(fs, false) })
	if err != nil {
		return err
	}
	body, hasBody, err := f.readBody(e)
	if err != nil {
		return err
	}
	switch {
	case len(f.audiences) == 0 && f.corrects == 0:
		return usagef("say who the update is for with --audience (colleagues, suppliers, retailers, customers, regulators, …); repeat it for several")
	case strings.TrimSpace(f.title) == "":
		return usagef("give the update a title with --title, e.g. --title \"Supplier payments resume on Thursday\"")
	case !hasBody:
		return usagef("give the update's text with --body TEXT or --body-file FILE (- for standard input)")
	}
	lines, err := mergeServices(nil, f.services, nil)
	if err != nil {
		return err
	}
	d := incident.StatusDraft{Audiences: f.audiences, Title: f.title, Body: body, Services: lines, Corrects: int64(f.corrects)}
	if d.Audiences == nil {
		d.Audiences = []string{} // a correction reaches the corrected update's audiences
	}
	u, _, err := fetch[incident.StatusUpdate](ctx, c, cf, e, "POST", fmt.Sprintf("/api/v1/incidents/%d/updates", id), d)
	if err != nil || u == nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Drafted update %d for %s: %q.\n", u.ID, strings.Join(u.Audiences, ", "), u.Title)
	fmt.Fprintf(e.stdout, "Someone who did not write it approves it: phasegate update approve %d\n", u.ID)
	return nil
}

type updateList struct {
	Updates []incident.StatusUpdate `json:"updates"`
}

func runUpdateList(ctx context.Context, args []string, e env) error {
	var status string
	c, cf, id, _, err := clientIDArgs("update", args, e, 1, "incident", "give the incident: phasegate update list INCIDENT", func(fs fsReg) {
		fs.StringVar(&status, "status", "", "only updates in this state")
	})
	if err != nil {
		return err
	}
	if status != "" && !incident.UpdateStatus(status).Valid() {
		var names []string
		for _, s := range incident.UpdateStatuses {
			names = append(names, string(s))
		}
		return usagef("--status %q is not a state of an update; use %s", status, joinOr(names))
	}
	var res updateList
	if _, err := c.do(ctx, "GET", fmt.Sprintf("/api/v1/incidents/%d/updates", id), nil, &res); err != nil {
		return err
	}
	if status != "" {
		res.Updates = slices.DeleteFunc(res.Updates, func(u incident.StatusUpdate) bool { return string(u.Status) != status })
	}
	if res.Updates == nil {
		res.Updates = []incident.StatusUpdate{}
	}
	if cf.format == "json" {
		return json.NewEncoder(e.stdout).Encode(res)
	}
	if len(res.Updates) == 0 {
		if status != "" {
			fmt.Fprintf(e.stdout, "No %s updates in incident %d.\n", status, id)
		} else {
			fmt.Fprintf(e.stdout, "No status updates in incident %d. Draft one with 'phasegate update draft %d --audience A --title TEXT --body TEXT'.\n", id, id)
		}
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tREV\tAUDIENCES\tAUTHOR\tUPDATED\tTITLE")
	for _, u := range res.Updates {
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%s\t%s\n", u.ID, u.Status, u.Revision, strings.Join(u.Audiences, ","),
			u.Author, u.UpdatedAt.Format(time.RFC3339), u.Title)
	}
	return tw.Flush()
}

func runUpdateShow(ctx context.Context, args []string, e env) error {
	c, cf, id, _, err := clientIDArgs("update", args, e, 1, "status update", "give the update's id: phasegate update show ID", nil)
	if err != nil {
		return err
	}
	u, _, err := fetch[incident.StatusUpdate](ctx, c, cf, e, "GET", fmt.Sprintf("/api/v1/updates/%d", id), nil)
	if err != nil || u == nil {
		return err
	}
	writeUpdate(e.stdout, u)
	return nil
}

// writeUpdate prints an update for a person: where it stands, who did
// what, and its content as the pages would show it.
func writeUpdate(w io.Writer, u *incident.StatusUpdate) {
	fmt.Fprintf(w, "Update %d of incident %d: %s (revision %d)\n", u.ID, u.IncidentID, u.Status, u.Revision)
	fmt.Fprintf(w, "For: %s\n", strings.Join(u.Audiences, ", "))
	var writers []string
	for _, c := range u.Contributors {
		writers = append(writers, c.Name)
	}
	fmt.Fprintf(w, "Written by %s, last changed %s\n", strings.Join(writers, ", "), u.UpdatedAt.Format(time.RFC3339))
	if u.ApprovedBy != "" {
		line := fmt.Sprintf("Approved by %s at %s", u.ApprovedBy, u.ApprovedAt.Format(time.RFC3339))
		if u.ApprovalNote != "" {
			line += ": " + u.ApprovalNote
		}
		fmt.Fprintln(w, line)
	}
	if u.PublishedBy != "" {
		fmt.Fprintf(w, "Published by %s at %s\n", u.PublishedBy, u.PublishedAt.Format(time.RFC3339))
	}
	if u.ClosedBy != "" {
		line := fmt.Sprintf("%s by %s at %s", closedVerb(u.Status), u.ClosedBy, u.ClosedAt.Format(time.RFC3339))
		if u.ClosedNote != "" {
			line += ": " + u.ClosedNote
		}
		fmt.Fprintln(w, line)
	}
	if u.Corrects != 0 {
		fmt.Fprintf(w, "Corrects update %d\n", u.Corrects)
	}
	if u.SupersededBy != 0 {
		fmt.Fprintf(w, "Corrected by update %d\n", u.SupersededBy)
	}
	fmt.Fprintf(w, "\n%s\n", u.Title)
	if u.Body != "" {
		fmt.Fprintf(w, "\n%s\n", u.Body)
	}
	if len(u.Services) > 0 {
		fmt.Fprintln(w)
		for _, l := range u.Services {
			line := "  " + l.Sentence()
			if l.Note != "" {
				line += " (" + l.Note + ")"
			}
			fmt.Fprintln(w, line)
		}
	}
	switch u.Status {
	case incident.UpdateDraft:
		fmt.Fprintf(w, "\nNext: someone who did not write it approves it (phasegate update approve %d) or rejects it with a note.\n", u.ID)
	case incident.UpdateApproved:
		fmt.Fprintf(w, "\nNext: publish it (phasegate update publish %d).\n", u.ID)
	case incident.UpdateRejected:
		fmt.Fprintf(w, "\nNext: edit it (phasegate update edit %d …), which makes it a draft again, or withdraw it.\n", u.ID)
	}
}

func closedVerb(s incident.UpdateStatus) string {
	switch s {
	case incident.UpdateRejected:
		return "Rejected"
	case incident.UpdateWithdrawn:
		return "Withdrawn"
	case incident.UpdateSuperseded:
		return "Superseded"
	}
	return "Closed"
}

// serviceFlag is the --service flag that inserts a line as it is.
func serviceFlag(l incident.ServiceLine) string {
	s := l.Service + "=" + string(l.State)
	if !l.ETA.IsZero() && l.State != incident.ServiceUp {
		s += "@" + l.ETA.UTC().Format(time.DateOnly)
	}
	return s
}

func runUpdateSuggest(ctx context.Context, args []string, e env) error {
	var audience string
	c, cf, id, _, err := clientIDArgs("update", args, e, 1, "incident", "give the incident: phasegate update suggest INCIDENT", func(fs fsReg) {
		fs.StringVar(&audience, "audience", "", "only this audience")
	})
	if err != nil {
		return err
	}
	sg, _, err := fetch[incident.StatusSuggestions](ctx, c, cf, e, "GET", fmt.Sprintf("/api/v1/incidents/%d/updates/suggestions", id), nil)
	if err != nil || sg == nil {
		return err
	}
	// An audience the incident does not have is refused before anything
	// is printed.
	if audience != "" && !slices.ContainsFunc(sg.Audiences, func(a incident.AudienceSuggestions) bool { return a.Audience == audience }) {
		var names []string
		for _, a := range sg.Audiences {
			names = append(names, a.Audience)
		}
		return fmt.Errorf("incident %d has no audience %q; its audiences are %s", id, audience, strings.Join(names, ", "))
	}
	fmt.Fprintf(e.stdout, "Live lines from the plan of incident %d at %s (internal until someone publishes them):\n",
		sg.IncidentID, sg.PlannedAt.UTC().Format(time.RFC3339))
	for _, a := range sg.Audiences {
		if audience != "" && a.Audience != audience {
			continue
		}
		fmt.Fprintf(e.stdout, "\n%s:\n", a.Audience)
		if len(a.Services) == 0 {
			fmt.Fprintln(e.stdout, "  no services of the estate concern this audience")
			continue
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		for _, s := range a.Services {
			told := "nothing published yet"
			if s.Published.State != "" {
				told = "published: " + s.Published.Sentence()
			}
			mark := " "
			if s.Changed {
				mark = "*"
			}
			fmt.Fprintf(tw, "%s %s\t--service %s\t%s\n", mark, s.Text, serviceFlag(s.Line), told)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	fmt.Fprintln(e.stdout, "\n* the live plan says something else than what the audience was last told.")
	return nil
}

func runUpdateEdit(ctx context.Context, args []string, e env) error {
	var f contentFlags
	c, cf, id, _, err := clientIDArgs("update", args, e, 1, "status update",
		"give the update's id: phasegate update edit ID [--title TEXT] [--body TEXT] [--service ID=STATE[@DATE]]", func(fs fsReg) { f.register(fs, true) })
	if err != nil {
		return err
	}
	body, hasBody, err := f.readBody(e)
	if err != nil {
		return err
	}
	if len(f.audiences) == 0 && f.title == "" && !hasBody && len(f.services) == 0 && len(f.drop) == 0 {
		return usagef("nothing to change: give --audience, --title, --body, --body-file, --service or --drop-service")
	}
	path := fmt.Sprintf("/api/v1/updates/%d", id)
	var cur incident.StatusUpdate
	if _, err := c.do(ctx, "GET", path, nil, &cur); err != nil {
		return err
	}
	if !cur.Status.Editable() {
		return fmt.Errorf("update %d is %s and can no longer be edited; draft a correction instead: phasegate update draft %d --corrects %d …",
			id, cur.Status, cur.IncidentID, id)
	}
	req := struct {
		incident.StatusDraft
		Revision int `json:"revision"`
	}{incident.StatusDraft{Audiences: cur.Audiences, Title: cur.Title, Body: cur.Body, Services: cur.Services}, cur.Revision}
	if len(f.audiences) > 0 {
		req.Audiences = f.audiences
	}
	if f.title != "" {
		req.Title = f.title
	}
	if hasBody {
		req.Body = body
	}
	if req.Services, err = mergeServices(cur.Services, f.services, f.drop); err != nil {
		return err
	}
	u, _, err := fetch[incident.StatusUpdate](ctx, c, cf, e, "PUT", path, req)
	if err != nil || u == nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Saved update %d as revision %d; it is a draft again and needs a second person's approval (phasegate update approve %d).\n",
		u.ID, u.Revision, u.ID)
	return nil
}

func runUpdateApprove(ctx context.Context, args []string, e env) error {
	var note string
	var publish bool
	c, cf, id, _, err := clientIDArgs("update", args, e, 1, "status update", "give the update's id: phasegate update approve ID", func(fs fsReg) {
		fs.StringVar(&note, "note", "", "a note for the record")
		fs.BoolVar(&publish, "publish", false, "publish it in the same step")
	})
	if err != nil {
		return err
	}
	path := fmt.Sprintf("/api/v1/updates/%d", id)
	// The approval is of the revision this person can have read: one
	// saved since is refused by the server.
	var cur incident.StatusUpdate
	if _, err := c.do(ctx, "GET", path, nil, &cur); err != nil {
		return err
	}
	u, _, err := fetch[incident.StatusUpdate](ctx, c, cf, e, "POST", path+"/approve",
		incident.StatusApproval{Note: note, Revision: cur.Revision, Publish: publish})
	if err != nil || u == nil {
		return err
	}
	if u.Status == incident.UpdatePublished {
		fmt.Fprintf(e.stdout, "Approved and published update %d (revision %d) to %s.\n", u.ID, u.Revision, strings.Join(u.Audiences, ", "))
		return nil
	}
	fmt.Fprintf(e.stdout, "Approved update %d (revision %d); publish it with 'phasegate update publish %d'.\n", u.ID, u.Revision, u.ID)
	return nil
}

func runUpdateReject(ctx context.Context, args []string, e env) error {
	var note string
	c, cf, id, _, err := clientIDArgs("update", args, e, 1, "status update", "give the update's id: phasegate update reject ID --note TEXT", func(fs fsReg) {
		fs.StringVar(&note, "note", "", "what should change")
	})
	if err != nil {
		return err
	}
	if strings.TrimSpace(note) == "" {
		return usagef("give with --note what should change: the author reads it to fix the update")
	}
	u, _, err := fetch[incident.StatusUpdate](ctx, c, cf, e, "POST", fmt.Sprintf("/api/v1/updates/%d/reject", id), map[string]string{"note": note})
	if err != nil || u == nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Rejected update %d; its author edits it (phasegate update edit %d …) or withdraws it.\n", u.ID, u.ID)
	return nil
}

func runUpdatePublish(ctx context.Context, args []string, e env) error {
	c, cf, id, _, err := clientIDArgs("update", args, e, 1, "status update", "give the update's id: phasegate update publish ID", nil)
	if err != nil {
		return err
	}
	u, _, err := fetch[incident.StatusUpdate](ctx, c, cf, e, "POST", fmt.Sprintf("/api/v1/updates/%d/publish", id), nil)
	if err != nil || u == nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Published update %d to %s.\n", u.ID, strings.Join(u.Audiences, ", "))
	if u.Corrects != 0 {
		fmt.Fprintf(e.stdout, "It corrects update %d, now marked corrected on the pages.\n", u.Corrects)
	}
	return nil
}

func runUpdateWithdraw(ctx context.Context, args []string, e env) error {
	var note string
	c, cf, id, _, err := clientIDArgs("update", args, e, 1, "status update", "give the update's id: phasegate update withdraw ID --note TEXT", func(fs fsReg) {
		fs.StringVar(&note, "note", "", "why")
	})
	if err != nil {
		return err
	}
	u, _, err := fetch[incident.StatusUpdate](ctx, c, cf, e, "POST", fmt.Sprintf("/api/v1/updates/%d/withdraw", id), map[string]string{"note": note})
	if err != nil || u == nil {
		return err
	}
	if !u.PublishedAt.IsZero() {
		fmt.Fprintf(e.stdout, "Withdrew update %d: it is off the status pages of %s.\n", u.ID, strings.Join(u.Audiences, ", "))
		return nil
	}
	fmt.Fprintf(e.stdout, "Withdrew update %d; it was never published.\n", u.ID)
	return nil
}
