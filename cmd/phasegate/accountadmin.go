package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/phasegate/phasegate/incident"
)

// The account commands that list users, set a user's roles and enable a
// disabled account. Setting roles that add power and enabling wait for a
// second admin under dual control (202 with an account request).

func runAccountList(ctx context.Context, args []string, e env) error {
	c, cf, _, err := clientArgs("account", args, e, 0, "phasegate account list takes no argument", nil)
	if err != nil {
		return err
	}
	res, _, err := fetch[struct {
		Users []incident.User `json:"users"`
	}](ctx, c, cf, e, "GET", "/api/v1/users", nil)
	if err != nil || res == nil {
		return err
	}
	if len(res.Users) == 0 {
		fmt.Fprintln(e.stdout, "No users.")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tROLES\tSTATUS\tCREATED BY")
	for _, u := range res.Users {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", u.ID, u.Name, strings.TrimPrefix(grantsText(u.Grants), "roles "), userStatus(u), u.CreatedBy)
	}
	return tw.Flush()
}

func userStatus(u incident.User) string {
	switch {
	case u.Disabled:
		return "disabled"
	case u.NoPassword && !u.CodeExpiresAt.IsZero():
		return "no password yet (code valid until " + u.CodeExpiresAt.Format(time.RFC3339) + ")"
	case u.NoPassword:
		return "no password yet (reset it for a new code)"
	}
	return "enabled"
}

// accountChange sends a change that acts at once (200 with the user) or
// waits for a second admin (202 with the request); with --format json it
// prints the answer and returns neither.
func accountChange(ctx context.Context, c *apiClient, cf *clientFlags, e env, method, path string, body any) (*incident.User, *incident.AccountRequest, error) {
	var raw json.RawMessage
	status, err := c.do(ctx, method, path, body, &raw)
	if err != nil {
		return nil, nil, err
	}
	if cf.format == "json" {
		_, err := e.stdout.Write(raw)
		return nil, nil, err
	}
	bad := func(err error) error {
		return fmt.Errorf("the server's answer to %s %s cannot be read (%v); are client and server the same version?", method, path, err)
	}
	if status == http.StatusAccepted {
		var w struct {
			Request *incident.AccountRequest `json:"request"`
		}
		if err := json.Unmarshal(raw, &w); err != nil {
			return nil, nil, bad(err)
		}
		if w.Request == nil {
			return nil, nil, errNeither(method + " " + path)
		}
		return nil, w.Request, nil
	}
	var u incident.User
	if err := json.Unmarshal(raw, &u); err != nil {
		return nil, nil, bad(err)
	}
	return &u, nil, nil
}

func runAccountRoles(ctx context.Context, args []string, e env) error {
	var roles []string
	var scope, reason string
	c, cf, pos, err := clientArgs("account", args, e, 1, "give the user: phasegate account roles USER --role ROLE", func(fs fsReg) {
		listVar(fs, &roles, "role", "a role, or several separated by commas (repeat for more)")
		fs.StringVar(&scope, "scope", "", "scope of system-owner: team=ID or system=ID")
		fs.StringVar(&reason, "reason", "", "why, for the second admin")
	})
	if err != nil {
		return err
	}
	grants, err := parseGrants(strings.Join(roles, ","), scope)
	if err != nil {
		return err
	}
	target, err := findUser(ctx, c, pos[0])
	if err != nil {
		return err
	}
	u, req, err := accountChange(ctx, c, cf, e, "PUT", fmt.Sprintf("/api/v1/users/%d/roles", target.ID),
		map[string]any{"roles": grants, "reason": reason})
	switch {
	case err != nil:
		return err
	case req != nil:
		printWaiting(e, req)
		fmt.Fprintf(e.stdout, "Until then %s keeps the %s.\n", target.Name, grantsText(target.Grants))
	case u != nil:
		fmt.Fprintf(e.stdout, "%s now has the %s.\n", u.Name, grantsText(u.Grants))
	}
	return nil
}

func runAccountEnable(ctx context.Context, args []string, e env) error {
	var reason string
	c, cf, pos, err := clientArgs("account", args, e, 1, "give the user: phasegate account enable USER [--reason TEXT]", func(fs fsReg) {
		fs.StringVar(&reason, "reason", "", "why (recorded in the event log, shown to the second admin)")
	})
	if err != nil {
		return err
	}
	target, err := findUser(ctx, c, pos[0])
	if err != nil {
		return err
	}
	if !target.Disabled {
		return fmt.Errorf("%s is not disabled: nothing to enable", target.Name)
	}
	u, req, err := accountChange(ctx, c, cf, e, "PUT", fmt.Sprintf("/api/v1/users/%d/disabled", target.ID),
		map[string]any{"disabled": false, "reason": reason})
	switch {
	case err != nil:
		return err
	case req != nil:
		printWaiting(e, req)
		fmt.Fprintf(e.stdout, "Until then %s stays disabled.\n", target.Name)
	case u != nil:
		fmt.Fprintf(e.stdout, "Enabled %s: they can log in again, and their tokens that were not revoked or expired work again.\n", u.Name)
	}
	return nil
}
