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
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
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

// WriteJUnit writes the report as JUnit XML: one testsuite per case group
// (the name up to its last slash), one testcase per case, the failed checks
// in <failure>, and the case's wire transcript in <system-out>. A known
// failure is <skipped>; a stale entry is a failure.
func WriteJUnit(w io.Writer, rep *Report) error {
	doc := junitSuites{Name: "deskmock conform", Time: seconds(rep.Duration.Seconds())}
	index := map[string]int{}
	var times []float64
	for i := range rep.Cases {
		r := &rep.Cases[i]
		group := caseGroup(r.Name)
		if group == "" {
			group = "cases"
		}
		si, ok := index[group]
		if !ok {
			si = len(doc.Suites)
			index[group] = si
			doc.Suites = append(doc.Suites, junitSuite{Name: group})
			times = append(times, 0)
		}
		times[si] += r.Duration.Seconds()
		s := &doc.Suites[si]
		tc := junitCase{Name: r.Name, Classname: group, Time: seconds(r.Duration.Seconds()), SystemOut: junitOut(r)}
		switch r.Status {
		case StatusFail, StatusStale:
			tc.Failure = junitFailure(r)
			s.Failures++
			doc.Failures++
		case StatusKnownFail:
			tc.Skipped = &junitMessage{Message: "known to fail: " + strings.Join(r.FailingChecks(), ", ")}
			s.Skipped++
			doc.Skipped++
		}
		s.Tests++
		doc.Tests++
		s.Cases = append(s.Cases, tc)
	}
	for i := range doc.Suites {
		doc.Suites[i].Time = seconds(times[i])
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

func junitFailure(r *CaseResult) *junitMessage {
	if r.Status == StatusStale {
		return &junitMessage{Message: "listed as known to fail, but passes: remove it from the known-failing file", Type: "stale"}
	}
	var names []string
	var b strings.Builder
	if r.Error != "" {
		names = append(names, "error")
		fmt.Fprintf(&b, "error: %s\n", r.Error)
	}
	for _, c := range r.Checks {
		if c.Outcome != Fail || c.Level != Must {
			continue
		}
		names = append(names, c.Name)
		fmt.Fprintf(&b, "%s %s: %s\n", c.Level, c.Name, c.Message)
		if c.Diff != "" {
			fmt.Fprintf(&b, "(-want +got):\n%s\n", c.Diff)
		}
	}
	return &junitMessage{Message: "MUST failed: " + strings.Join(names, ", "), Type: "MUST", Text: xmlSafe(b.String())}
}

// junitOut is the <system-out> of a case: every check that did not pass,
// the transcript and the client's output.
func junitOut(r *CaseResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", r.Description)
	for _, c := range r.Checks {
		if c.Outcome == Fail {
			fmt.Fprintf(&b, "%s %s: %s\n", c.Level, c.Name, c.Message)
		}
	}
	fmt.Fprintf(&b, "transcript (time from the client's start; usersig redacted):\n")
	writeTranscript(&b, r.Transcript, "  ")
	writeClient(&b, r)
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
