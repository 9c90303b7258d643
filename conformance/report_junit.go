package conformance

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Time      string      `xml:"time,attr"`
	Cases     []junitCase `xml:"testcase"`
	SystemOut string      `xml:"system-out,omitempty"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the report as JUnit XML: one testsuite per case, named
// after it, and one testcase per check. A failed MUST check is a <failure>;
// a check that had nothing to look at (n/a) is <skipped>, and so is a
// failed MUST check of a case known to fail; a failed SHOULD or INFO check
// passes with its message in <system-out>. A case that could not run, and a
// stale known-failing entry, add a failing testcase of their own. The
// suite's <system-out> holds the case's wire transcript and client output.
func WriteJUnit(w io.Writer, rep *Report) error {
	doc := junitSuites{Name: "deskmock conform", Time: seconds(rep.Duration.Seconds())}
	for i := range rep.Cases {
		r := &rep.Cases[i]
		s := junitSuite{Name: r.Name, Time: seconds(r.Duration.Seconds()), SystemOut: junitOut(r, rep.Bot)}
		add := func(tc junitCase) {
			tc.Classname = r.Name
			switch {
			case tc.Failure != nil:
				s.Failures++
			case tc.Skipped != nil:
				s.Skipped++
			}
			s.Tests++
			s.Cases = append(s.Cases, tc)
		}
		if r.Error != "" {
			add(junitCase{Name: "case/ran", Failure: &junitMessage{Message: r.Error, Type: "error"}})
		}
		for _, c := range r.Checks {
			add(junitCheck(r, c))
		}
		if r.Status == StatusStale {
			add(junitCase{Name: "known-failing", Failure: &junitMessage{Message: "listed as known to fail, but passes: remove it from the known-failing file", Type: "stale"}})
		}
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Skipped += s.Skipped
		doc.Suites = append(doc.Suites, s)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("conformance: junit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// junitCheck is the testcase of one check of a case.
func junitCheck(r *CaseResult, c CheckResult) junitCase {
	tc := junitCase{Name: c.Name}
	text := fmt.Sprintf("%s %s: %s", c.Level, c.Name, c.Message)
	if c.Diff != "" {
		text += "\n(-want +got):\n" + c.Diff
	}
	switch {
	case c.Outcome == NotApplicable:
		tc.Skipped = &junitMessage{Message: "n/a: " + c.Message}
	case c.Outcome == Pass:
	case c.Level == Must && r.Status == StatusKnownFail:
		tc.Skipped = &junitMessage{Message: "known to fail: " + c.Message}
	case c.Level == Must:
		tc.Failure = &junitMessage{Message: c.Message, Type: string(c.Level), Text: xmlSafe(text)}
	default:
		tc.SystemOut = xmlSafe(text)
	}
	return tc
}

// junitOut is the <system-out> of a case: every check that did not pass,
// the transcript and the client's output.
func junitOut(r *CaseResult, bot bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", r.Description)
	for _, c := range r.Checks {
		if c.Outcome == Fail {
			fmt.Fprintf(&b, "%s %s: %s\n", c.Level, c.Name, c.Message)
		}
	}
	who := "client"
	if bot {
		who = "bot"
		fmt.Fprintf(&b, "transcript (callbacks to the bot and its calls; usersig and Sign redacted):\n")
	} else {
		fmt.Fprintf(&b, "transcript (time from the client's start; usersig redacted):\n")
	}
	writeTranscript(&b, r.Transcript, "  ")
	writeClient(&b, r, who)
	return xmlSafe(b.String())
}

// xmlSafe replaces the characters XML 1.0 cannot hold.
func xmlSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF {
			return r
		}
		return '\uFFFD'
	}, s)
}

func seconds(s float64) string { return fmt.Sprintf("%.3f", s) }
