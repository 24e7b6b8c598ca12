package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/phasegate/phasegate/incident"
)

// accountCommand is the client for accounts: adding one and resetting a
// password, which give a one-time code instead of a password an admin
// would know (docs/adr/0008); the changes that, once two admins exist,
// wait for a second admin (docs/adr/0007); disabling, which never waits;
// and redeeming a code, the one account command that needs no token.
func accountCommand() command {
	return command{
		name:    "account",
		summary: "list and add accounts, set roles, reset passwords with one-time codes, decide account changes, disable and enable; redeem a code",
		usage: `Usage: phasegate account add NAME --role ROLE[,ROLE] [--scope team=X|system=Y[,...]] [--reason TEXT]
       phasegate account reset USER [--reason TEXT]
       phasegate account requests [--status pending|approved|rejected|cancelled|expired]
       phasegate account approve ID [--note TEXT]
       phasegate account reject ID --note TEXT
       phasegate account cancel ID [--note TEXT]
       phasegate account disable USER --reason TEXT
       phasegate account list
       phasegate account roles USER --role ROLE[,ROLE] [--scope team=X|system=Y[,...]] [--reason TEXT]
       phasegate account enable USER [--reason TEXT]
       phasegate account redeem USER [--server URL]

USER is a user's name or id. list shows every account; roles sets a user's
whole list of roles (--role repeated, or separated by commas).

No admin chooses another person's password:
a new account and a reset get a one-time code instead, shown only once to
the admin whose command made the change take effect. That admin gives it to
the person through a channel on file, never one the caller offered (in
person, a phone number on file). The person sets their own password with account
redeem, which needs no token and reads the code, then the new password, from
standard input, one per line (prompting for each on a terminal; what you
type is shown), or in the browser at /set-password. A code works once, until
the time shown with it. A reset makes the old password stop working and ends
the person's sessions.

Once two admins exist, creating an account with a role beyond viewer, adding
roles, resetting another user's password and re-enabling an account wait for
a second admin: the admin who asked cannot approve, and the one-time code
goes to the admin who approves, never to the one who asked. Disabling an
account acts at once (containment of an account). Every command but redeem
needs an admin's token.` + clientFlagsUsage,
		run: runSub("account", []subcommand{
			{"add", runAccountAdd}, {"reset", runAccountReset}, {"requests", runAccountRequests},
			{"approve", runAccountDecide("approve")}, {"reject", runAccountDecide("reject")}, {"cancel", runAccountDecide("cancel")},
			{"disable", runAccountDisable}, {"redeem", runAccountRedeem},
			{"list", runAccountList}, {"roles", runAccountRoles}, {"enable", runAccountEnable},
		}),
	}
}

// runAccountAdd creates an account over the API without a password: the
// account gets a one-time code for its person, printed once, or, when the
// account waits for a second admin, the approving admin receives it.
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
		User    *incident.User           `json:"user"`
		Request *incident.AccountRequest `json:"request"`
	}
	res, _, err := fetch[created](ctx, c, cf, e, "POST", "/api/v1/users",
		map[string]any{"name": pos[0], "roles": grants, "reason": reason})
	if err != nil || res == nil {
		return err
	}
	switch {
	case res.Request != nil:
		printWaiting(e, res.Request)
		fmt.Fprintf(e.stdout, "The admin who approves it receives the one-time code with which %s sets their password.\n", pos[0])
	case res.User != nil:
		fmt.Fprintf(e.stdout, "Created user %s (id %d).\n", res.User.Name, res.User.ID)
		if res.User.PasswordCode != nil {
			printCode(e, c, res.User.PasswordCode)
		}
	default:
		return errNeither("POST /api/v1/users")
	}
	return nil
}

// runAccountReset resets another user's password with a one-time code:
// at once, the code is printed once; under dual control it waits, and the
// admin who approves receives the code.
func runAccountReset(ctx context.Context, args []string, e env) error {
	var reason string
	c, cf, pos, err := clientArgs("account", args, e, 1, "give the user: phasegate account reset USER [--reason TEXT]", func(fs fsReg) {
		fs.StringVar(&reason, "reason", "", "why (recorded in the event log, shown to the second admin)")
	})
	if err != nil {
		return err
	}
	u, err := findUser(ctx, c, pos[0])
	if err != nil {
		return err
	}
	type reset struct {
		PasswordCode *incident.IssuedCode     `json:"password_code"`
		Request      *incident.AccountRequest `json:"request"`
	}
	path := fmt.Sprintf("/api/v1/users/%d/password-code", u.ID)
	res, _, err := fetch[reset](ctx, c, cf, e, "POST", path, map[string]string{"reason": reason})
	if err != nil || res == nil {
		return err
	}
	switch {
	case res.Request != nil:
		printWaiting(e, res.Request)
		fmt.Fprintf(e.stdout, "Until then the password of %s still works; the admin who approves receives the one-time code for them.\n", u.Name)
	case res.PasswordCode != nil:
		fmt.Fprintf(e.stdout, "Reset the password of %s: their old password no longer works and their sessions have ended.\n", u.Name)
		printCode(e, c, res.PasswordCode)
	default:
		return errNeither("POST " + path)
	}
	return nil
}

// printWaiting says that a change waits for a second admin, and how that
// admin approves it.
func printWaiting(e env, r *incident.AccountRequest) {
	fmt.Fprintf(e.stdout, "Account request %d waits for a second admin: %s.\n", r.ID, r.Summary)
	fmt.Fprintf(e.stdout, "Another admin approves it: phasegate account approve %d\n", r.ID)
}

// printCode shows a one-time code, the only time anyone sees it, with
// what to do with it.
func printCode(e env, c *apiClient, code *incident.IssuedCode) {
	fmt.Fprintf(e.stdout, "One-time code for %s (shown only this once, valid until %s): %s\n",
		code.User, longDate(code.ExpiresAt.Local()), code.Code)
	fmt.Fprintf(e.stdout, "Give it to %s through a channel you did not get from the caller (in person, a phone number on file).\n", code.User)
	fmt.Fprintf(e.stdout, "They set their password with 'phasegate account redeem %s --server %s' or at %s/set-password.\n",
		code.User, c.base, c.base)
}

// errNeither is an answer that carries neither the change nor a request
// for it: a server this client does not understand.
func errNeither(call string) error {
	return fmt.Errorf("the server's answer to %s carries neither the change nor a request waiting for a second admin; are client and server the same version?", call)
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
		if r.PasswordCode != nil { // the approver's alone
			printCode(e, c, r.PasswordCode)
		}
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
	target, err := findUser(ctx, c, pos[0])
	if err != nil {
		return err
	}
	u, _, err := fetch[incident.User](ctx, c, cf, e, "PUT", fmt.Sprintf("/api/v1/users/%d/disabled", target.ID),
		map[string]any{"disabled": true, "reason": reason})
	if err != nil || u == nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Disabled %s: its sessions no longer work and its API tokens are revoked for good (enabling it again does not bring them back).\n", u.Name)
	return nil
}

// findUser finds the user an admin names on the command line: by name,
// else by id.
func findUser(ctx context.Context, c *apiClient, nameOrID string) (*incident.User, error) {
	var list struct {
		Users []incident.User `json:"users"`
	}
	if _, err := c.do(ctx, "GET", "/api/v1/users", nil, &list); err != nil {
		return nil, err
	}
	for i, u := range list.Users {
		if u.Name == nameOrID {
			return &list.Users[i], nil
		}
	}
	for i, u := range list.Users {
		if strconv.FormatInt(u.ID, 10) == nameOrID {
			return &list.Users[i], nil
		}
	}
	return nil, fmt.Errorf("there is no user %q on %s; give an existing user's name or id", nameOrID, c.base)
}

// runAccountRedeem sets the person's own password with the one-time code
// an admin gave them. It needs no token (they cannot log in yet): it
// calls the one public route of accounts. The code and then the password
// come from standard input, one per line, so it can be scripted; on a
// terminal it prompts for each (on stderr; what is typed is shown, as the
// standard library cannot hide it).
func runAccountRedeem(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("account")
	var cf clientFlags
	cf.registerServer(fs, e)
	var token string // refused: said here, rather than "no such flag"
	fs.StringVar(&token, "token", "", "")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if token != "" {
		return usagef("--token: account redeem takes no token; the one-time code an admin gave you is what lets you set your password")
	}
	if len(pos) != 1 {
		return usagef("give your user name: phasegate account redeem USER; then type the one-time code and your new password, one per line")
	}
	c, err := cf.publicClient()
	if err != nil {
		return err
	}
	user := pos[0]
	f, ok := e.stdin.(*os.File)
	prompt := ok && isTerminal(f)
	in := bufio.NewReader(e.stdin)
	if prompt {
		fmt.Fprintf(e.stderr, "One-time code for %s: ", user)
	}
	code, err := readLine(in)
	if err != nil {
		return err
	}
	if code = strings.TrimSpace(code); code == "" {
		return usagef("standard input holds no one-time code; give the code an admin gave you on the first line and your new password on the second")
	}
	if prompt {
		fmt.Fprintf(e.stderr, "New password (at least %d characters; it shows as you type): ", incident.MinPasswordLength)
	}
	password, err := readLine(in)
	if err != nil {
		return err
	}
	if password == "" {
		return usagef("standard input holds no new password after the code; give it on the line after the code")
	}
	if _, err := c.do(ctx, "POST", "/api/v1/password-codes/redeem",
		map[string]string{"user": user, "code": code, "password": password}, nil); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Password set for %s; log in with it.\n", user)
	return nil
}

// readLine reads one line of standard input without its line end; at the
// end of the input it returns what there was, possibly "".
func readLine(in *bufio.Reader) (string, error) {
	line, err := in.ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("reading standard input: %v", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}
