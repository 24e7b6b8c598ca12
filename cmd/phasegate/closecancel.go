package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/phasegate/phasegate/incident"
)

// runIncidentClose closes an incident for good, with why: the server
// cancels its pending approvals and records how many systems were not
// back.
func runIncidentClose(ctx context.Context, args []string, e env) error {
	var reason string
	c, cf, id, _, err := clientIDArgs("incident", args, e, 1, "incident", "give the incident: phasegate incident close ID --reason TEXT", func(fs fsReg) {
		fs.StringVar(&reason, "reason", "", "why it is closed")
	})
	if err != nil {
		return err
	}
	if strings.TrimSpace(reason) == "" {
		return usagef("give a reason with --reason: closing is permanent, cancels the incident's pending approvals and goes in the record")
	}
	in, _, err := fetch[incident.Incident](ctx, c, cf, e, "POST", fmt.Sprintf("/api/v1/incidents/%d/close", id), map[string]string{"reason": reason})
	if err != nil || in == nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Closed incident %d %q at %s; its pending approvals were cancelled.\n", in.ID, in.Name, in.ClosedAt.Format(time.RFC3339))
	return nil
}

// runApprovalCancel withdraws a pending two-person request: one's own
// always, another person's with approval.cancel.
func runApprovalCancel(ctx context.Context, args []string, e env) error {
	var note string
	c, cf, id, _, err := clientIDArgs("approval", args, e, 1, "approval", "give the approval's id: phasegate approval cancel ID", func(fs fsReg) {
		fs.StringVar(&note, "note", "", "why")
	})
	if err != nil {
		return err
	}
	a, _, err := fetch[incident.Approval](ctx, c, cf, e, "POST", fmt.Sprintf("/api/v1/approvals/%d/cancel", id), map[string]string{"note": note})
	if err != nil || a == nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Cancelled approval %d: %s stays %s (the move to %s is not made).\n", a.ID, a.SystemID, a.From, a.To)
	return nil
}
