// Package cmdline is the one command-line convention of deskmock's
// commands (every subcommand of deskmock, and refclient): flags written
// --name (one dash for one-letter flags), help on stdout with exit status 0
// for -h, --help and "help X", usage errors in one line ending with a hint
// where to find the help, and the exit statuses ExitOK, ExitFailure and
// ExitUsage.
package cmdline

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// Exit statuses of every command.
const (
	// ExitOK means the command did what was asked.
	ExitOK = 0
	// ExitFailure means the command ran and failed: a rejected UserSig, an
	// unhealthy server, a failed conformance check.
	ExitFailure = 1
	// ExitUsage means the command line or a file it names is wrong.
	ExitUsage = 2
)

// FlagSet is a flag.FlagSet that parses, prints its help and reports its
// errors by the convention. The flag package's own output is silenced.
type FlagSet struct {
	*flag.FlagSet
	name, synopsis, description, hint string
	stdout, stderr                    io.Writer
}

// New returns a FlagSet for the command name ("deskmock serve"), whose help
// shows "Usage: name synopsis" and the description, printed to stdout; usage
// errors go to stderr and end with "; see 'hint'" (such as "deskmock help
// serve").
func New(name, synopsis, description, hint string, stdout, stderr io.Writer) *FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &FlagSet{FlagSet: fs, name: name, synopsis: synopsis, description: strings.TrimSpace(description), hint: hint, stdout: stdout, stderr: stderr}
}

// PrintHelp writes the help: the synopsis, the description and the flags.
func (f *FlagSet) PrintHelp(w io.Writer) {
	fmt.Fprintf(w, "Usage: %s %s\n", f.name, f.synopsis)
	if f.description != "" {
		fmt.Fprintf(w, "\n%s\n", f.description)
	}
	n := 0
	f.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprintf(w, "\nFlags:\n")
		PrintFlags(w, f.FlagSet)
	}
}

// PrintFlags lists the flags of fs as "--name value" (or "-n value" for a
// one-letter name) with their usage and non-zero default.
func PrintFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(fl *flag.Flag) {
		arg, text := flag.UnquoteUsage(fl)
		head := "  " + Dashed(fl.Name)
		if arg != "" {
			head += " " + arg
		}
		fmt.Fprintf(w, "%s\n      %s", head, text)
		if fl.DefValue != "" && fl.DefValue != "0" && fl.DefValue != "false" && fl.DefValue != "[]" {
			fmt.Fprintf(w, " (default %s)", fl.DefValue)
		}
		fmt.Fprintln(w)
	})
}

// Dashed writes a flag name as the convention does: "--name", or "-n" for
// a one-letter name.
func Dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// Parse parses flags and positional arguments in any order: flags may
// follow positional arguments, and "--" ends the flags. It returns the
// positional arguments, or done with the exit status when it has answered
// already: ExitOK after printing the help (-h, --help), ExitUsage after
// reporting a bad flag.
func (f *FlagSet) Parse(args []string) (pos []string, code int, done bool) {
	for {
		if code, done := f.parse(args); done {
			return nil, code, true
		}
		rest := f.Args()
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

// ParseLeading is Parse for a command that runs another command: flags end
// at the first positional argument or at "--", and what follows is returned
// untouched.
func (f *FlagSet) ParseLeading(args []string) (rest []string, code int, done bool) {
	if code, done := f.parse(args); done {
		return nil, code, true
	}
	return f.Args(), ExitOK, false
}

func (f *FlagSet) parse(args []string) (int, bool) {
	err := f.FlagSet.Parse(args)
	switch {
	case err == nil:
		return ExitOK, false
	case errors.Is(err, flag.ErrHelp):
		f.PrintHelp(f.stdout)
		return ExitOK, true
	}
	return f.UsageError("%s", FlagError(err)), true
}

// Given returns the names of the flags set on the command line.
func (f *FlagSet) Given() map[string]bool {
	set := map[string]bool{}
	f.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	return set
}

// UsageError reports a usage error in one line with the hint, and returns
// ExitUsage.
func (f *FlagSet) UsageError(format string, args ...any) int {
	return UsageError(f.stderr, f.name, f.hint, format, args...)
}

// Failure reports a failure in one line and returns ExitFailure.
func (f *FlagSet) Failure(format string, args ...any) int {
	fmt.Fprintf(f.stderr, "%s: %s\n", f.name, oneLine(fmt.Sprintf(format, args...)))
	return ExitFailure
}

// UsageError writes "name: message; see 'hint'" as one line to w and
// returns ExitUsage.
func UsageError(w io.Writer, name, hint, format string, args ...any) int {
	fmt.Fprintf(w, "%s: %s; see '%s'\n", name, oneLine(fmt.Sprintf(format, args...)), hint)
	return ExitUsage
}

// oneLine joins the lines of a message with "; ".
func oneLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.Join(lines, "; ")
}

// The errors of the flag package, which name flags with one dash.
var (
	undefinedRE = regexp.MustCompile(`^flag provided but not defined: -+(.+)$`)
	needsArgRE  = regexp.MustCompile(`^flag needs an argument: -+(.+)$`)
	invalidRE   = regexp.MustCompile(`^invalid (?:boolean )?value ("(?:[^"\\]|\\.)*") for (?:flag )?-+([^:]+): (.*)$`)
)

// FlagError rewrites an error of the flag package in the convention's
// words: "unknown flag --x", "--x needs a value", `bad --x "v": reason`.
func FlagError(err error) string {
	msg := err.Error()
	if m := undefinedRE.FindStringSubmatch(msg); m != nil {
		return "unknown flag " + Dashed(m[1])
	}
	if m := needsArgRE.FindStringSubmatch(msg); m != nil {
		return Dashed(m[1]) + " needs a value"
	}
	if m := invalidRE.FindStringSubmatch(msg); m != nil {
		return "bad " + Dashed(m[2]) + " " + m[1] + ": " + m[3]
	}
	return msg
}
