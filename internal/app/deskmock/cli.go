// Package cli is the command-line front end of deskmock: the subcommands
// serve, usersig, health and version behind one testable entry point, Main.
package deskmock

import (
	"context"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/deskmock/deskmock/internal/cmdline"
)

// Exit codes returned by Main: those of every deskmock command.
const (
	// ExitOK means the command did what was asked.
	ExitOK = cmdline.ExitOK
	// ExitFailure means the command ran and failed: a rejected UserSig, an
	// unhealthy server, a server that could not listen, a failed
	// conformance check.
	ExitFailure = cmdline.ExitFailure
	// ExitUsage means the command line or a file it names is wrong.
	ExitUsage = cmdline.ExitUsage
)

// progName is the name used in usage and messages, whatever argv[0] is.
const progName = "deskmock"

// env is what a command may touch of the outside world.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	now    func() time.Time
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) int
}

// commands returns the subcommands in the order usage lists them. It is a
// function, not a variable, because help refers back to the table.
func commands() []command {
	return []command{
		{"serve", "run the mock server of send_stream_msg", runServe},
		{"conform", "grade a client under test against the conformance cases", runConform},
		{"usersig", "generate (gen) or check (verify) a UserSig v2", runUserSig},
		{"calibrate", "compare the real service with the mock, and write the config that closes the gap", runCalibrate},
		{"health", "check that a running server answers (for container HEALTHCHECKs)", runHealth},
		{"version", "print the version of deskmock and of Go", runVersion},
		{"help", "print this help, or the help of a command", runHelp},
	}
}

// Main runs the deskmock command line args (args[0] is the program name)
// and returns the process exit code: ExitOK, ExitFailure or ExitUsage.
// Commands that run until stopped, such as serve, return when ctx is done.
// Main reads the environment variable DESKMOCK_SECRET_KEY.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv, now: time.Now}
	if len(args) > 0 {
		args = args[1:]
	}
	return run(ctx, e, args)
}

// run dispatches args (without the program name) to a subcommand.
func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		return cmdline.UsageError(e.stderr, progName, progName+" help", "no command given")
	}
	switch args[0] {
	case "-h", "-help", "--help":
		usage(e.stdout)
		return ExitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, e, args[1:])
		}
	}
	return cmdline.UsageError(e.stderr, progName, progName+" help", "unknown command %q", args[0])
}

// usage prints the top-level help.
func usage(w io.Writer) {
	fmt.Fprintf(w, "%s is a local mock of Tencent Cloud IM's streaming APIs (Desk's v1 and v2 streams, the C2C,\ngroup and chatbot streams), the Desk calls around them and the callbacks to a bot.\n\n", progName)
	fmt.Fprintf(w, "Usage:\n  %s <command> [flags] [arguments]\n\nCommands:\n", progName)
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	for _, c := range commands() {
		fmt.Fprintf(tw, "  %s\t%s\n", c.name, c.summary)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nRun '%s help <command>' or '%s <command> --help' for the flags of a command.\n", progName, progName)
	fmt.Fprintf(w, "Exit status: 0 success, 1 failure, 2 usage error.\n")
}

func runHelp(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		usage(e.stdout)
		return ExitOK
	}
	if args[0] == "help" {
		fmt.Fprintf(e.stdout, "Usage: %s help [command [subcommand]]\n\nPrint the help of deskmock, or of a command, on stdout.\n", progName)
		return ExitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, e, append(append([]string(nil), args[1:]...), "--help"))
		}
	}
	return cmdline.UsageError(e.stderr, progName+" help", progName+" help", "unknown command %q", args[0])
}

// newFlagSet returns the flag set of a subcommand: help on stdout, usage
// errors in one line pointing at "deskmock help name".
func newFlagSet(e *env, name, synopsis, description string) *cmdline.FlagSet {
	return cmdline.New(progName+" "+name, synopsis, description, progName+" help "+name, e.stdout, e.stderr)
}

// usageError reports a usage error of a subcommand in one line and returns
// ExitUsage.
func usageError(e *env, name, format string, args ...any) int {
	return cmdline.UsageError(e.stderr, progName+" "+name, progName+" help "+name, format, args...)
}

// failure reports a failure of a subcommand and returns ExitFailure.
func failure(e *env, name, format string, args ...any) int {
	fmt.Fprintf(e.stderr, "%s %s: %s\n", progName, name, fmt.Sprintf(format, args...))
	return ExitFailure
}
