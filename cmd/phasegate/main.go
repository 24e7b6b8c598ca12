// Command phasegate plans and runs the recovery of an estate after a
// ransomware attack: it validates the estate, plans the phased restart,
// forecasts it, and serves the incident room.
//
// This file wires the subcommands; each lives in its own file. Nothing here
// holds state between runs: run takes its whole environment as arguments so
// tests can drive it exactly as a user would.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"sort"
	"strings"
	"syscall"
	"time"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1 // an invalid estate, a refused action, a failed check
	exitUsage   = 2 // bad command-line use
)

// env is everything a subcommand may touch in the outside world.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	now    func() time.Time
	getenv func(string) string
	// isTerminal reports whether stderr is a terminal (progress bars).
	isTerminal bool
}

func main() {
	ctx, stop := signalContext(os.Args[1:])
	e := env{
		stdin:      os.Stdin,
		stdout:     os.Stdout,
		stderr:     os.Stderr,
		now:        time.Now,
		getenv:     os.Getenv,
		isTerminal: isTerminal(os.Stderr),
	}
	tuneGC(os.Args[1:], os.Getenv)
	code := run(ctx, os.Args[1:], e)
	stop()
	os.Exit(code)
}

// signalContext decides what SIGINT (Ctrl-C) and SIGTERM do. serve and
// backup stop cleanly when asked: the signal cancels the context they
// watch (serve lets running requests finish, backup abandons its copy),
// and a second signal stops them at once, for a person who will not wait
// out --shutdown-timeout. Every other command is stopped by the signal
// itself, at once, as any Unix tool: none of them can be interrupted in
// the middle of planning (the planner does not watch a context), and a
// command that caught the signal without heeding it would go on for as
// long as --schedules lets it, with Ctrl-C and a plain kill ignored.
func signalContext(args []string) (context.Context, context.CancelFunc) {
	if !stopsWhenAsked(args) {
		return context.WithCancel(context.Background())
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// After the first signal the default comes back: the next one ends
	// the process.
	context.AfterFunc(ctx, stop)
	return ctx, stop
}

// stopsWhenAsked reports whether the command watches its context to stop
// cleanly on a signal (see signalContext).
func stopsWhenAsked(args []string) bool {
	if len(args) == 0 {
		return false
	}
	switch args[0] {
	case "serve", "backup":
		return true
	}
	return false
}

// tuneGC lets the short-lived commands collect garbage half as often
// (GOGC 200 instead of 100): they read a whole estate and keep most of
// what they allocate until they exit, so a collection finds little to
// free. Measured on a 100,000-system estate (docs/benchmarks.md): plan
// from YAML 5.2 s → 4.4 s, peak RSS 0.81 → 0.94 GB. The server keeps the
// default, and a GOGC the user sets wins.
func tuneGC(args []string, getenv func(string) string) {
	if len(args) == 0 || getenv("GOGC") != "" {
		return
	}
	switch args[0] {
	case "serve", "bench":
		return
	}
	debug.SetGCPercent(200)
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	usage   string // the synopsis and flags, shown by 'phasegate help NAME'
	run     func(ctx context.Context, args []string, e env) error
}

func commands() []command {
	return append([]command{
		validateCommand(),
		planCommand(),
		importCommand(),
		benchCommand(),
		serveCommand(),
		userCommand(),
		tokenCommand(),
		auditCommand(),
		backupCommand(),
		incidentCommand(),
		systemCommand(),
		approvalCommand(),
		updateCommand(),
		accountCommand(),
		estateCommand(),
	}, forecastCommands()...)
}

func findCommand(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func run(ctx context.Context, args []string, e env) int {
	if len(args) == 0 {
		writeUsage(e.stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			switch args[1] {
			case "help":
				fmt.Fprintln(e.stdout, "Usage: phasegate help [COMMAND]\n\nLists the commands, or explains one: phasegate help plan. 'phasegate COMMAND --help' does the same.")
				return exitOK
			case "version":
				fmt.Fprintln(e.stdout, "Usage: phasegate version\n\nPrints the version of this phasegate (also: phasegate --version).")
				return exitOK
			}
			if c, ok := findCommand(args[1]); ok {
				writeHelp(e.stdout, c)
				return exitOK
			}
			msg := fmt.Sprintf("phasegate help: no command %q", args[1])
			if s := closest(args[1], commandNames()); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
			fmt.Fprintln(e.stderr, msg)
			writeUsage(e.stderr)
			return exitUsage
		}
		writeUsage(e.stdout)
		return exitOK
	case "version", "--version":
		fmt.Fprintln(e.stdout, "phasegate", version())
		return exitOK
	}
	c, ok := findCommand(name)
	if !ok {
		msg := fmt.Sprintf("phasegate: no command %q", name)
		if s := closest(name, commandNames()); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		fmt.Fprintln(e.stderr, msg)
		writeUsage(e.stderr)
		return exitUsage
	}
	err := c.run(ctx, args[1:], e)
	return report(e.stdout, e.stderr, c, err)
}

// writeHelp prints a command's summary and usage.
func writeHelp(w io.Writer, c command) {
	fmt.Fprintf(w, "%s\n\n%s\n", c.summary, strings.TrimSpace(c.usage))
}

// report prints err for a person and turns it into an exit status; a
// request for help prints the command's help on out.
func report(out, w io.Writer, c command, err error) int {
	if err == nil {
		return exitOK
	}
	if errors.As(err, new(helpError)) {
		writeHelp(out, c)
		return exitOK
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(w, "phasegate %s: %s\n", c.name, ue.msg)
		fmt.Fprintf(w, "run 'phasegate help %s' for how to use it\n", c.name)
		return exitUsage
	}
	var se *silentError
	if errors.As(err, &se) {
		return se.code
	}
	fmt.Fprintf(w, "phasegate %s: %s\n", c.name, err)
	return exitFailure
}

// usageError is bad command-line use: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// silentError carries an exit status for a failure the command has
// already explained on its own.
type silentError struct{ code int }

func (e *silentError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func commandNames() []string {
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	sort.Strings(names)
	return names
}

func writeUsage(w io.Writer) {
	fmt.Fprintln(w, "phasegate plans and runs the recovery of an estate after a ransomware attack.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: phasegate COMMAND [ARGUMENTS]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "  help       show how to use a command: phasegate help plan")
	fmt.Fprintln(w, "  version    print the version")
}

func version() string {
	return "dev"
}
