package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/phasegate/phasegate/incident"
)

// tokenCommand makes API tokens two ways: create, break-glass on the
// database (set-up, or when nobody can log in), and new, list and revoke,
// client commands over the API for the user whose token runs them.
func tokenCommand() command {
	return command{
		name:    "token",
		summary: "API tokens: your own over the API (new, list, revoke); create one in the database (break-glass)",
		usage: `Usage: phasegate token new --label TEXT [--role ROLE] [--expires DURATION|DATE]
       phasegate token list
       phasegate token revoke ID
       phasegate token create --user NAME [--role ROLE] [--label TEXT]
                              [--expires DURATION|DATE] [--db PATH | --postgres URL]

new, list and revoke work over the server's API for you: the user whose
token (--token or $PHASEGATE_TOKEN) runs them. new makes another token of
yours, e.g. for a script, and prints it once, alone on standard output;
list shows your tokens (never their secrets); revoke stops one at once.

create is break-glass: it works on the database directly, with no server
and no login, for the first tokens of a recovery or when nobody can log in.
It prints the token once, alone on standard output, so a script can
capture it:

    export PHASEGATE_TOKEN=$(phasegate token create --user ci --role viewer)

  --user            (create) whose token it is
  --role            the one role the token acts with; it must be one the user
                    holds (default: the user's only role; new, run with a
                    token: that token's role)
  --label           a note on what the token is for (required by new: it is
                    how you tell your tokens apart to revoke one)
  --expires         when the token stops working: after a duration (12h,
                    30d), at the end of a date a day ahead (YYYY-MM-DD,
                    UTC) or at an RFC 3339 time (default: never)
  --db, --postgres  (create) the database (default ./phasegate.db)` + clientFlagsUsage,
		run: runSub("token", []subcommand{
			{"new", runTokenNew}, {"list", runTokenList}, {"revoke", runTokenRevoke},
			{"create", runTokenCreate},
		}),
	}
}

func runTokenNew(ctx context.Context, args []string, e env) error {
	var label, role, expires string
	c, cf, _, err := clientArgs("token", args, e, 0, "phasegate token new takes no argument: phasegate token new --label TEXT", func(fs fsReg) {
		fs.StringVar(&label, "label", "", "what the token is for")
		fs.StringVar(&role, "role", "", "the role it acts with")
		fs.StringVar(&expires, "expires", "", "a duration (30d) or a date")
	})
	if err != nil {
		return err
	}
	if strings.TrimSpace(label) == "" {
		return usagef("give the token a label with --label, e.g. --label \"nightly export\": it is how you tell your tokens apart to revoke one")
	}
	req := incident.TokenRequest{Label: label}
	if role != "" {
		if req.Role, err = incident.ParseRole(role); err != nil {
			return usagef("--role: %s", err)
		}
	}
	if expires != "" {
		if req.ExpiresAt, err = parseExpiry(expires, e.now()); err != nil {
			return usagef("--expires %q: %v", expires, err)
		}
	}
	t, _, err := fetch[incident.NewToken](ctx, c, cf, e, "POST", "/api/v1/tokens", req)
	if err != nil || t == nil {
		return err
	}
	fmt.Fprintf(e.stderr, "Created token %d %q acting as %s; it %s. It is shown only this once:\n",
		t.Token.ID, t.Token.Label, t.Token.Role, expiryText(t.Token.ExpiresAt))
	fmt.Fprintln(e.stdout, t.Secret)
	return nil
}

func expiryText(t time.Time) string {
	if t.IsZero() {
		return "never expires"
	}
	return "expires " + t.Format(time.RFC3339)
}

func runTokenList(ctx context.Context, args []string, e env) error {
	c, cf, _, err := clientArgs("token", args, e, 0, "phasegate token list takes no argument", nil)
	if err != nil {
		return err
	}
	res, _, err := fetch[struct {
		Tokens []incident.Token `json:"tokens"`
	}](ctx, c, cf, e, "GET", "/api/v1/tokens", nil)
	if err != nil || res == nil {
		return err
	}
	if len(res.Tokens) == 0 {
		fmt.Fprintln(e.stdout, "You have no API tokens. Make one with 'phasegate token new --label TEXT'.")
		return nil
	}
	now := e.now()
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tROLE\tLABEL\tCREATED\tLAST USED\tSTATUS")
	for _, t := range res.Tokens {
		status := "active, " + expiryText(t.ExpiresAt)
		switch {
		case !t.RevokedAt.IsZero():
			status = "revoked " + t.RevokedAt.Format(time.RFC3339)
		case !t.ExpiresAt.IsZero() && !t.ExpiresAt.After(now):
			status = "expired " + t.ExpiresAt.Format(time.RFC3339)
		}
		used := "never"
		if !t.LastUsedAt.IsZero() {
			used = t.LastUsedAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Role, t.Label, t.CreatedAt.Format(time.RFC3339), used, status)
	}
	return tw.Flush()
}

func runTokenRevoke(ctx context.Context, args []string, e env) error {
	c, cf, id, _, err := clientIDArgs("token", args, e, 1, "token", "give the token's id (phasegate token list shows it): phasegate token revoke ID", nil)
	if err != nil {
		return err
	}
	t, _, err := fetch[incident.Token](ctx, c, cf, e, "DELETE", fmt.Sprintf("/api/v1/tokens/%d", id), nil)
	if err != nil || t == nil {
		return err
	}
	label := ""
	if t.Label != "" {
		label = fmt.Sprintf(" %q", t.Label)
	}
	fmt.Fprintf(e.stdout, "Revoked token %d%s: it no longer works.\n", t.ID, label)
	return nil
}
