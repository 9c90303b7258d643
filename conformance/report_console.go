package conformance

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/deskmock/deskmock/internal/textcut"
)

// ConsoleOptions tune the console report.
type ConsoleOptions struct {
	// Verbose prints the details of every case, not only of those that
	// failed or warned, and lists the checks that had nothing to look at
	// (n/a).
	Verbose bool
}

// statusWord is the first column of a case line.
var statusWord = map[Status]string{
	StatusPass:      "ok",
	StatusWarn:      "warn",
	StatusFail:      "FAIL",
	StatusKnownFail: "xfail",
	StatusStale:     "STALE",
}

// WriteCaseLine writes the one line of a case: status, name, time, and the
// checks that failed.
func WriteCaseLine(w io.Writer, r CaseResult) {
	var notes []string
	if r.Error != "" {
		notes = append(notes, "error: "+r.Error)
	}
	for _, c := range r.Checks {
		if c.Failed() {
			notes = append(notes, string(c.Level)+" "+c.Name)
		}
	}
	if r.Status == StatusStale {
		notes = append(notes, "listed as known to fail, but passes")
	}
	line := fmt.Sprintf("%-5s %-44s %6.2fs", statusWord[r.Status], r.Name, r.Duration.Seconds())
	if len(notes) > 0 {
		line += "  " + strings.Join(notes, ", ")
	}
	fmt.Fprintln(w, line)
}

// WriteConsole writes the details of the cases that need them (all of them
// when verbose), then the summary. The case lines are written by
// WriteCaseLine, as the cases end.
func WriteConsole(w io.Writer, rep *Report, opts ConsoleOptions) {
	for i := range rep.Cases {
		r := &rep.Cases[i]
		if opts.Verbose || r.Status != StatusPass {
			writeDetails(w, r, opts.Verbose, rep.Bot)
		}
	}
	writeSummary(w, rep)
}

// writeDetails writes a case's failed checks (and, when verbose, those
// that had nothing to look at), its transcript and its client's output.
func writeDetails(w io.Writer, r *CaseResult, verbose, bot bool) {
	fmt.Fprintf(w, "\n=== %s %s\n", strings.ToUpper(string(r.Status)), r.Name)
	fmt.Fprintf(w, "    %s\n", r.Description)
	if r.Error != "" {
		fmt.Fprintf(w, "    error: %s\n", r.Error)
	}
	for _, c := range r.Checks {
		na := c.Outcome == NotApplicable && verbose
		if c.Outcome != Fail && !(c.Level == Info && c.Outcome == Pass) && !na {
			continue
		}
		word := string(c.Level)
		switch {
		case na:
			word += " (n/a)"
		case c.Outcome == Pass:
			word += " (passed)"
		}
		fmt.Fprintf(w, "    %s %s: %s\n", word, c.Name, c.Message)
		if c.Diff != "" {
			fmt.Fprintf(w, "        (-want +got):\n%s", indent(c.Diff, "        "))
		}
	}
	if len(r.Transcript) > 0 || r.Error == "" {
		if bot {
			fmt.Fprintf(w, "    transcript (callbacks to the bot and its calls, time from the first session's begin; usersig and Sign redacted):\n")
		} else {
			fmt.Fprintf(w, "    transcript (time from the client's start; usersig redacted):\n")
		}
		writeTranscript(w, elide(r.Transcript), "      ")
		if len(r.Streams) > 0 {
			fmt.Fprintf(w, "    streams at the end:\n")
			for _, s := range r.Streams {
				fmt.Fprintf(w, "      %s: chunks=%d finished=%v text=%s\n", s.MsgKey, s.Chunks, s.Finished, quoteClip(s.Text, 120))
			}
		}
		who := "client"
		if bot {
			who = "bot"
		}
		writeClient(w, r, who)
	}
}

// Console transcripts longer than elideOver entries show their first
// elideHead and last elideTail entries.
const (
	elideOver = 20
	elideHead = 12
	elideTail = 4
)

// elide shortens a long transcript; a zero Entry stands for the calls left
// out.
func elide(entries []Entry) []Entry {
	if len(entries) <= elideOver {
		return entries
	}
	out := append([]Entry{}, entries[:elideHead]...)
	out = append(out, Entry{N: len(entries) - elideHead - elideTail})
	return append(out, entries[len(entries)-elideTail:]...)
}

func writeTranscript(w io.Writer, entries []Entry, pad string) {
	if len(entries) == 0 {
		fmt.Fprintf(w, "%s(no request reached the mock)\n", pad)
	}
	for _, e := range entries {
		if e.Method == "" {
			fmt.Fprintf(w, "%s... %d more calls (all of them are in the JSON and HTML reports) ...\n", pad, e.N)
			continue
		}
		fmt.Fprintf(w, "%s#%d %s %s %s\n", pad, e.N, formatAt(e.At), e.Method, requestTarget(e))
		fmt.Fprintf(w, "%s     body  %s\n", pad, textcut.Cut(oneLine(e.Body), 240))
		fmt.Fprintf(w, "%s     reply %s\n", pad, replyLine(e))
		if e.Fault != "" {
			fmt.Fprintf(w, "%s     fault %s\n", pad, faultLine(e))
		}
		fmt.Fprintf(w, "%s     => %s\n", pad, e.Role)
	}
}

func writeClient(w io.Writer, r *CaseResult, who string) {
	c := r.Client
	switch {
	case c.Error != "" && !c.TimedOut:
		fmt.Fprintf(w, "    %s: %s\n", who, c.Error)
	case c.Killed:
		fmt.Fprintf(w, "    %s: stopped at the timeout; killed after ignoring SIGTERM\n", who)
	case c.TimedOut:
		fmt.Fprintf(w, "    %s: stopped with SIGTERM at the timeout\n", who)
	default:
		fmt.Fprintf(w, "    %s: exit status %d%s\n", who, c.ExitCode, exitNote(who))
	}
	fmt.Fprintf(w, "      stdout: %s\n", outputLine(c.Stdout))
	fmt.Fprintf(w, "      stderr: %s\n", outputLine(c.Stderr))
}

// exitNote says where a bot's exit status comes from: the runner stops
// it once the case is played.
func exitNote(who string) string {
	if who == "bot" {
		return " (stopped by the runner: SIGTERM to its group)"
	}
	return ""
}

func writeSummary(w io.Writer, rep *Report) {
	s := rep.Summary
	fmt.Fprintf(w, "\n%d cases: %d passed, %d warned, %d failed, %d known failing, %d stale (%.1fs)\n",
		s.Cases, s.Passed, s.Warned, s.Failed, s.KnownFailing, s.Stale, rep.Duration.Seconds())
	for _, l := range []Level{Must, Should} {
		m := s.Checks[l]
		fmt.Fprintf(w, "  %-6s checks: %d passed, %d failed, %d not applicable\n", l, m[Pass], m[Fail], m[NotApplicable])
	}
	m := s.Checks[Info]
	fmt.Fprintf(w, "  %-6s checks: %d held, %d noted, %d not applicable\n", Info, m[Pass], m[Fail], m[NotApplicable])
	if failing := failingByCheck(rep); len(failing) > 0 {
		fmt.Fprintf(w, "Failed checks:\n")
		for _, f := range failing {
			fmt.Fprintf(w, "  %-6s %-34s in %d case(s)\n", f.level, f.name, f.cases)
		}
	}
	if s.OK {
		fmt.Fprintln(w, "PASS")
	} else {
		fmt.Fprintln(w, "FAIL")
	}
}

type checkTally struct {
	name  string
	level Level
	cases int
}

// failingByCheck counts, for each check in report order, the cases where it
// failed at MUST or SHOULD level.
func failingByCheck(rep *Report) []checkTally {
	var out []checkTally
	for _, info := range rep.Checks {
		t := checkTally{name: info.Name, level: info.Level}
		for _, c := range rep.Cases {
			for _, r := range c.Checks {
				if r.Name == info.Name && r.Failed() {
					t.cases++
					t.level = r.Level
				}
			}
		}
		if t.cases > 0 {
			out = append(out, t)
		}
	}
	return out
}

// faultLine names the fault that fired and what its rule says.
func faultLine(e Entry) string {
	s := e.Fault
	if e.Rule != "" {
		s += " " + e.Rule
	}
	if e.Action == "delay" && e.Status == 0 {
		s += " (the client gave up before the delay ended)"
	}
	return s
}

// formatAt writes a time from the client's start as +1.234s.
func formatAt(d time.Duration) string {
	return fmt.Sprintf("+%.3fs", d.Seconds())
}

// requestTarget is the request's path and query, usersig redacted.
func requestTarget(e Entry) string {
	if e.Query == "" {
		return e.Path
	}
	return e.Path + "?" + e.Query
}

// replyLine is the status and the reply body, or what happened instead.
func replyLine(e Entry) string {
	if e.Status == 0 {
		switch {
		case e.Action == "reset":
			return "none: the connection was dropped"
		case strings.HasPrefix(e.Action, "delay"):
			return "none: the client gave up waiting"
		}
		return "none"
	}
	return fmt.Sprintf("%d %s", e.Status, textcut.Cut(oneLine(e.Reply), 240))
}

func oneLine(s string) string {
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(strings.TrimSpace(s))
}

func outputLine(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return "(empty)"
	}
	return textcut.Cut(oneLine(s), 400)
}

func quoteClip(s string, n int) string {
	return fmt.Sprintf("%q", textcut.Cut(s, n))
}

// indent prefixes every line of s.
func indent(s, pad string) string {
	lines := strings.SplitAfter(s, "\n")
	var b strings.Builder
	for _, l := range lines {
		if l == "" {
			continue
		}
		b.WriteString(pad + l)
	}
	if !strings.HasSuffix(s, "\n") {
		b.WriteString("\n")
	}
	return b.String()
}
