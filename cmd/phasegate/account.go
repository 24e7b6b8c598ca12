package main

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"text/tabwriter"

	"github.com/phasegate/phasegate/incident"
)

// accountCommand is the client for account requests: the changes that,
// once two admins exist, wait for a second admin (docs/adr/0007), and the
// one account change that never waits, disabling.
func accountCommand() command {
	return command{
		name:    "account",
		summary: "list, approve or reject account changes waiting for a second admin; disable an account",
		usage: `Usage: phasegate account add NAME --role ROLE[,ROLE] [--scope team=X|system=Y[,...]] [--reason TEXT]
       phasegate account requests [--status pending|approved|rejected|cancelled|expired]
       phasegate account approve ID [--note TEXT]
       phasegate account reject ID --note TEXT
       phasegate account cancel ID [--note TEXT]
       phasegate account disable USER --reason TEXT

Once two admins exist, creating an account with a role beyond viewer, adding
roles, setting another user's password and re-enabling an account wait for a
second admin: the admin who asked cannot approve. Disabling an account acts
at once (containment of an account). Needs an admin's token.` + clientFlagsUsage,
		run: runSub("account", []subcommand{
			{"add", runAccountAdd}, {"requests", runAccountRequests},
			{"approve", runAccountDecide("approve")}, {"reject", runAccountDecide("reject")}, {"cancel", runAccountDecide("cancel")},
			{"disable", runAccountDisable},
		}),
	}
}

// runAccountAdd creates an account over the API with a generated
// password, printed once; under dual control it waits for a second admin.
func runAccountAdd(ctx context.Context, args []string, e env) error {
	var roles, scope, reason string
	c, cf, pos, err := clientArgs("account", args, e, 1, "give the account's name: phasegate account add NAME --role ROLE", func(fs fsReg) {
		fs.StringVar(&roles, "role", "", "roles, comma separated")
		fs.StringVar(&scope, "scope", "", "scope of system-owner: team=ID or system=ID")
		fs.StringVar(&reason, "reason", "", "why, for the second admin")
	})
	if err != nil {
		return err
	}
	grants, err := parseGrants(roles, scope)
	if err != nil {
		return err
	}
	type created struct {
		User     *incident.User           `json:"user"`
		Request  *incident.AccountRequest `json:"request"`
		Password string                   `json:"password"`
	}
	res, _, err := fetch[created](ctx, c, cf, e, "POST", "/api/v1/users",
		map[string]any{"name": pos[0], "roles": grants, "reason": reason})
	if err != nil || res == nil {
		return err
	}
	if res.Request != nil {
		fmt.Fprintf(e.stdout, "Account request %d waits for a second admin: %s.\n", res.Request.ID, res.Request.Summary)
		fmt.Fprintf(e.stdout, "Another admin approves it: phasegate account approve %d\n", res.Request.ID)
	} else {
		fmt.Fprintf(e.stdout, "Created user %s (id %d).\n", res.User.Name, res.User.ID)
	}
	fmt.Fprintf(e.stdout, "Password (shown only this once): %s\n", res.Password)
	return nil
}

type accountRequestList struct {
	DualControl bool                      `json:"dual_control"`
	Requests    []incident.AccountRequest `json:"requests"`
}

func runAccountRequests(ctx context.Context, args []string, e env) error {
	var status string
	c, cf, _, err := clientArgs("account", args, e, 0, "phasegate account requests takes no argument", func(fs fsReg) {
		fs.StringVar(&status, "status", "", "pending, approved, rejected, cancelled or expired")
	})
	if err != nil {
		return err
	}
	path := "/api/v1/account-requests"
	if status != "" {
		path += "?status=" + url.QueryEscape(status)
	}
	res, _, err := fetch[accountRequestList](ctx, c, cf, e, "GET", path, nil)
	if err != nil || res == nil {
		return err
	}
	if res.DualControl {
		fmt.Fprintln(e.stdout, "Dual control is on: account changes that give power wait for a second admin.")
	} else {
		fmt.Fprintln(e.stdout, "Dual control is off: there is one admin, and account changes act without a second person. Make a second admin.")
	}
	if len(res.Requests) == 0 {
		fmt.Fprintln(e.stdout, "No account requests.")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCHANGE\tREQUESTED BY\tSTATUS\tDECIDED BY\tREASON")
	for _, r := range res.Requests {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Summary, r.RequestedBy, r.Status, r.DecidedBy, r.Reason)
	}
	return tw.Flush()
}

func runAccountDecide(verb string) func(context.Context, []string, env) error {
	return func(ctx context.Context, args []string, e env) error {
		var note string
		c, cf, id, _, err := clientIDArgs("account", args, e, 1, "account request", "give the request's id: phasegate account "+verb+" ID", func(fs fsReg) {
			fs.StringVar(&note, "note", "", "why (required to reject)")
		})
		if err != nil {
			return err
		}
		r, _, err := fetch[incident.AccountRequest](ctx, c, cf, e, "POST",
			fmt.Sprintf("/api/v1/account-requests/%d/%s", id, verb), map[string]string{"note": note})
		if err != nil || r == nil {
			return err
		}
		fmt.Fprintf(e.stdout, "Account request %d is %s: %s.\n", r.ID, r.Status, r.Summary)
		return nil
	}
}

func runAccountDisable(ctx context.Context, args []string, e env) error {
	var reason string
	c, cf, pos, err := clientArgs("account", args, e, 1, "give the user: phasegate account disable USER --reason TEXT", func(fs fsReg) {
		fs.StringVar(&reason, "reason", "", "why (recorded in the event log)")
	})
	if err != nil {
		return err
	}
	if reason == "" {
		return usagef("--reason: say why the account is disabled; it is recorded in the event log")
	}
	type userList struct {
		Users []incident.User `json:"users"`
	}
	var list userList
	if _, err := c.do(ctx, "GET", "/api/v1/users", nil, &list); err != nil {
		return err
	}
	var id int64
	for _, u := range list.Users {
		if u.Name == pos[0] || strconv.FormatInt(u.ID, 10) == pos[0] {
			id = u.ID
		}
	}
	if id == 0 {
		return fmt.Errorf("there is no user %q; give a user's name or id", pos[0])
	}
	u, _, err := fetch[incident.User](ctx, c, cf, e, "PUT", fmt.Sprintf("/api/v1/users/%d/disabled", id),
		map[string]any{"disabled": true, "reason": reason})
	if err != nil || u == nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Disabled %s: its sessions and tokens no longer work.\n", u.Name)
	return nil
}
