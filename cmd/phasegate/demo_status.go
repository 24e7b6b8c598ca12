package main

import (
	"context"
	"fmt"

	"github.com/phasegate/phasegate/incident"
)

// publishDemoUpdates publishes the demo incident's first status updates,
// to suppliers and to colleagues, with the live plan's ETAs, so the
// public status pages show something real at once. The demo set-up
// drafts as one system actor (comms) and approves and publishes as
// another (incident commander): the writer never approves, and the log
// names both as phasegate's own ("system:demo-…"), not as people.
func publishDemoUpdates(ctx context.Context, svc *incident.Service, id int64) (int, error) {
	comms := incident.SystemActor("demo-comms", incident.RoleComms)
	ic := incident.SystemActor("demo-commander", incident.RoleIncidentCommander)
	sg, err := svc.StatusSuggestions(ctx, ic, id)
	if err != nil {
		return 0, err
	}
	live := func(audience, service string) incident.ServiceLine {
		for _, a := range sg.Audiences {
			for _, s := range a.Services {
				if a.Audience == audience && s.Line.Service == service {
					return s.Line
				}
			}
		}
		return incident.ServiceLine{Service: service, State: incident.ServiceDown}
	}
	withNote := func(l incident.ServiceLine, note string) incident.ServiceLine {
		l.Note = note
		return l
	}
	updates := []incident.StatusDraft{
		{
			Audiences: []string{"suppliers"},
			Title:     "Supplier payments resume: critical suppliers paid first",
			Body: "We know many of you depend on being paid on time. Payments restart in stages: " +
				"**critical and single-source suppliers first**, then everyone else in order of invoice date.\n\n" +
				"- No invoice is lost: everything received since the shutdown began will be paid.\n" +
				"- Please do not resend invoices; duplicates slow everyone down.\n" +
				"- Questions: the supplier desk answers on 0800 000 000, 8:00–20:00.\n\n" +
				"Our plants stay closed until further notice. Please hold deliveries unless your buyer has called you.",
			Services: []incident.ServiceLine{
				withNote(live("suppliers", "supplier-payments"), "critical and single-source suppliers first"),
				live("suppliers", "production-elmhurst"),
				live("suppliers", "production-ravensmoor"),
			},
		},
		{
			Audiences: []string{"colleagues"},
			Title:     "Plants stay closed this week; September pay is not affected",
			Body: "Production at every plant remains paused while systems are checked and brought back one by one.\n\n" +
				"- **September pay runs as usual.** Any adjustment follows in October.\n" +
				"- Do not connect company laptops to the network until IT tells you to.\n" +
				"- Your line manager will call you before your next shift.",
			Services: []incident.ServiceLine{
				withNote(incident.ServiceLine{Service: "payroll", State: incident.ServicePartial}, "September pay is paid in full"),
				live("colleagues", "production-elmhurst"),
				live("colleagues", "email-collaboration"),
			},
		},
	}
	for _, d := range updates {
		u, err := svc.DraftStatusUpdate(ctx, comms, id, d)
		if err != nil {
			return 0, fmt.Errorf("drafting %q: %w", d.Title, err)
		}
		if _, err := svc.ApproveStatusUpdate(ctx, ic, u.ID, incident.StatusApproval{
			Note: "demo: checked against the plan", Revision: u.Revision, Publish: true}); err != nil {
			return 0, fmt.Errorf("approving %q: %w", d.Title, err)
		}
	}
	return len(updates), nil
}
