// Package cli is the command-line front end of deskmock: the subcommands
// serve, usersig, health and version behind one testable entry point, Main.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"
)

// Exit codes returned by Main.
const (
	// ExitOK means the command did what was asked.
	ExitOK = 0
	// ExitFailure means the command ran and failed: a rejected UserSig, an
	// unhealthy server, a server that could not listen.
	ExitFailure = 1
	// ExitUsage means the command line or a file it names is wrong.
	ExitUsage = 2
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
		usage(e.stderr)
		return ExitUsage
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
	fmt.Fprintf(e.stderr, "%s: unknown command %q\nRun '%s help' for usage.\n", progName, args[0], progName)
	return ExitUsage
}

// usage prints the top-level help.
func usage(w io.Writer) {
	fmt.Fprintf(w, "%s is a local mock of Tencent Cloud IM Desk's POST %s.\n\n", progName, "/v4/desk_http_svc/send_stream_msg")
	fmt.Fprintf(w, "Usage:\n  %s <command> [flags] [arguments]\n\nCommands:\n", progName)
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	for _, c := range commands() {
		fmt.Fprintf(tw, "  %s\t%s\n", c.name, c.summary)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nRun '%s help <command>' or '%s <command> -h' for the flags of a command.\n", progName, progName)
	fmt.Fprintf(w, "Exit status: 0 success, 1 failure, 2 usage error.\n")
}

func runHelp(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		usage(e.stdout)
		return ExitOK
	}
	if args[0] == "help" {
		fmt.Fprintf(e.stdout, "usage: %s help [command]\n", progName)
		return ExitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			// A command's -h prints its usage to stderr; here it goes to
			// stdout, since help was asked for.
			he := *e
			he.stderr = e.stdout
			return c.run(ctx, &he, append(append([]string(nil), args[1:]...), "-h"))
		}
	}
	fmt.Fprintf(e.stderr, "%s help: unknown command %q\nRun '%s help' for usage.\n", progName, args[0], progName)
	return ExitUsage
}

// newFlagSet returns a flag set for a subcommand that reports errors on
// stderr and prints a usage made of the synopsis, the description and the
// flags written with two dashes.
func newFlagSet(e *env, name, synopsis, description string) *flag.FlagSet {
	fs := flag.NewFlagSet(progName+" "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: %s %s %s\n\n%s\n", progName, name, synopsis, strings.TrimSpace(description))
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintf(w, "\nFlags:\n")
			printFlags(w, fs)
		}
	}
	return fs
}

// printFlags lists the flags of fs as "--name value" with their usage and
// default.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		arg, text := flag.UnquoteUsage(f)
		head := "  --" + f.Name
		if arg != "" {
			head += " " + arg
		}
		fmt.Fprintf(w, "%s\n      %s", head, text)
		if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "false" {
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(w)
	})
}

// parseArgs parses flags and positional arguments in any order: flags may
// follow positional arguments, and "--" ends the flags. It returns the
// positional arguments, ExitOK with done set when help was asked for, or
// ExitUsage with done set on a bad flag (the flag package has reported it).
func parseArgs(fs *flag.FlagSet, args []string) (pos []string, code int, done bool) {
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, ExitOK, true
			}
			return nil, ExitUsage, true
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, ExitOK, false
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), ExitOK, false
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// setFlags returns the names of the flags given on the command line.
func setFlags(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// usageError reports a usage error of a subcommand and returns ExitUsage.
func usageError(e *env, name, format string, args ...any) int {
	fmt.Fprintf(e.stderr, "%s %s: %s\nRun '%s help %s' for usage.\n", progName, name, fmt.Sprintf(format, args...), progName, name)
	return ExitUsage
}

// failure reports a failure of a subcommand and returns ExitFailure.
func failure(e *env, name, format string, args ...any) int {
	fmt.Fprintf(e.stderr, "%s %s: %s\n", progName, name, fmt.Sprintf(format, args...))
	return ExitFailure
}
