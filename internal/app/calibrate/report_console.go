package calibrate

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/deskmock/deskmock/mockserver/codes"
)

// outcomeWord is the first column of a probe's line.
var outcomeWord = map[Outcome]string{
	Match:       "ok",
	Differ:      "DIFF",
	NotProvoked: "n/a",
	Failed:      "ERROR",
	Skipped:     "skip",
}

// WriteConsole writes the parity report as text: one line per probe with
// both answers, the notes, the overrides and a summary. UserSigs are
// hidden.
func WriteConsole(w io.Writer, rep *Report) {
	writeRedacted(w, func(w io.Writer) error { writeConsole(w, rep); return nil })
}

func writeConsole(w io.Writer, rep *Report) {
	fmt.Fprintf(w, "deskmock calibrate: %s against a local mock (sdkappid %d, identifier %s)\n", rep.Upstream, rep.SDKAppID, rep.Identifier)
	fmt.Fprintf(w, "started %s\n\n", stamp(rep.Started))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "\tprobe\tcheck\tupstream\tmock\n")
	for _, r := range rep.Results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", outcomeWord[r.Outcome], r.Probe, orDash(string(r.Check)), answerCell(r.Upstream), answerCell(r.Mock))
	}
	tw.Flush()

	var notes []string
	var reasons []string // of skipping, in order of first use
	skipped := map[string][]string{}
	for _, r := range rep.Results {
		if r.Outcome == Skipped {
			if _, seen := skipped[r.Note]; !seen {
				reasons = append(reasons, r.Note)
			}
			skipped[r.Note] = append(skipped[r.Note], r.Probe)
			continue
		}
		if r.Outcome == Differ && r.Upstream.Info != r.Mock.Info {
			notes = append(notes, fmt.Sprintf("%s: upstream ErrorInfo %q, mock %q", r.Probe, r.Upstream.Info, r.Mock.Info))
		}
		if r.Note != "" {
			notes = append(notes, r.Probe+": "+r.Note)
		}
	}
	if len(notes) > 0 {
		fmt.Fprintf(w, "\nNotes:\n")
		for _, n := range notes {
			fmt.Fprintf(w, "  %s\n", n)
		}
	}
	if len(reasons) > 0 {
		fmt.Fprintf(w, "\nSkipped:\n")
		for _, why := range reasons {
			fmt.Fprintf(w, "  %s: %s\n", why, strings.Join(skipped[why], ", "))
		}
	}
	if len(rep.Unprobed) > 0 {
		fmt.Fprintf(w, "\nRows not probed:\n")
		for _, u := range rep.Unprobed {
			fmt.Fprintf(w, "  %s: %s\n", u.Key(), u.Why)
		}
	}
	if len(rep.Overrides) > 0 {
		fmt.Fprintf(w, "\nOverrides that make the mock answer like the upstream:\n")
		for _, r := range rep.Results {
			if r.Override != nil {
				fmt.Fprintf(w, "  %s: %s\n", r.OverrideKey, overrideText(*r.Override))
			}
		}
	}
	s := rep.Summary
	verdict := "PARITY"
	if !s.Parity {
		verdict = "DIFFERENCES"
	}
	fmt.Fprintf(w, "\n%s: %d probes, %d match, %d differ, %d not provoked, %d errors, %d skipped; %d upstream requests\n",
		verdict, s.Probes, s.Match, s.Differ, s.NotProvoked, s.Failed, s.Skipped, s.Requests)
}

// WritePlan writes what a run would send, probe by probe, UserSig redacted.
func WritePlan(w io.Writer, upstream string, plan []Result) {
	writeRedacted(w, func(w io.Writer) error { writePlan(w, upstream, plan); return nil })
}

func writePlan(w io.Writer, upstream string, plan []Result) {
	fmt.Fprintf(w, "deskmock calibrate --dry-run: %d probes for %s (nothing is sent)\n", len(plan), upstream)
	for _, r := range plan {
		check := string(r.Check)
		if check == "" {
			check = "success"
		}
		fmt.Fprintf(w, "\n%s  (check %s)\n  %s\n  %s %s%s\n", r.Probe, check, r.What, r.Method, strings.TrimRight(upstream, "/"), r.Target)
		if r.Body != "" {
			fmt.Fprintf(w, "  body (%s): %s\n", sizeText(r.BodyBytes), short(r.Body, 200))
		}
		if r.Outcome == Skipped || r.Note != "" {
			fmt.Fprintf(w, "  note: %s\n", r.Note)
		}
	}
}

// sizeText words a body's size in bytes, and in KiB from 1 KiB up.
func sizeText(n int) string {
	if n < 1<<10 {
		return fmt.Sprintf("%d bytes", n)
	}
	kib := strconv.FormatFloat(float64(n)/(1<<10), 'f', 1, 64)
	return fmt.Sprintf("%d bytes, %s KiB", n, strings.TrimSuffix(kib, ".0"))
}

// answerCell is an answer in one cell: code and a hint of the text, or the
// error.
func answerCell(a *Answer) string {
	switch {
	case a == nil:
		return "-"
	case a.Error != "":
		return "error: " + short(a.Error, 48)
	case a.Code == 0:
		return "0 OK"
	}
	return fmt.Sprintf("%d %s", a.Code, short(a.Info, 32))
}

// overrideText words an override.
func overrideText(o codes.Override) string {
	var parts []string
	if o.Code != 0 {
		parts = append(parts, fmt.Sprintf("code %d", o.Code))
	}
	if o.Info != "" {
		parts = append(parts, fmt.Sprintf("info %q", o.Info))
	}
	return strings.Join(parts, ", ")
}

// short cuts s to n runes, marking the cut with "…".
func short(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
