package conformance

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deskmock/deskmock/mockserver"
)

// sampleReport grades hand-made journals into a report of four cases: one
// that passes, one that fails, one known to fail, and a stale one.
func sampleReport() *Report {
	mk := func(name string, c *Case, j *journal, streams []mockserver.Stream, stdout string, known bool) CaseResult {
		c.Name = name
		ev := evidenceOf(c, j, streams, stdout)
		r := CaseResult{Name: name, Description: c.Description, Duration: 42 * time.Millisecond, Checks: grade(ev),
			Transcript: transcript(ev.calls, len(ev.chunks), testStart, map[string]string{"f1": "on call 2 of the session, once: ErrorCode 20004"}),
			Streams:    streamResults(streams), Client: ev.run, Answer: ev.answer}
		r.setStatus(known)
		return r
	}
	tricky := []string{"</script><b>&amp;</b>", "\u0000\u2028 end"}
	cases := []CaseResult{
		mk("stream/basic/three-chunks", testCase(threeChunks...), cleanJournal(), finished(), okAnswer, false),
		mk("stream/encoding/escapes", testCase(tricky...), new(journal).ok(tricky[0], "", false).ok(tricky[1], testKey, false),
			[]mockserver.Stream{streamOf(false, tricky...)}, `{"ok":true,"msg_key":"`+testKey+`"}`, false),
		mk("retry/20004/middle-chunk", testCase(threeChunks...), new(journal).ok("Hello, ", "", false).code("this is ", testKey, false, 20004),
			[]mockserver.Stream{streamOf(false, "Hello, ")}, `{"ok":false,"error_code":20004,"error_info":"Network issue, please retry."}`, true),
		mk("stream/basic/one-chunk", testCase("one"), new(journal).ok("one", "", true), []mockserver.Stream{streamOf(true, "one")}, okAnswer, true),
	}
	return &Report{Command: []string{"./client", "--flag"}, Started: testStart, Duration: time.Second, Timeout: DefaultTimeout,
		Checks: Checks(), Cases: cases, Summary: summarize(cases)}
}

func TestSampleStatuses(t *testing.T) {
	t.Parallel()
	rep := sampleReport()
	var got []Status
	for _, c := range rep.Cases {
		got = append(got, c.Status)
	}
	if d := cmp.Diff([]Status{StatusPass, StatusFail, StatusKnownFail, StatusStale}, got); d != "" {
		t.Errorf("statuses (-want +got):\n%s", d)
	}
	if s := rep.Summary; s.OK || s.Passed != 1 || s.Failed != 1 || s.KnownFailing != 1 || s.Stale != 1 {
		t.Errorf("summary %+v", s)
	}
}

func TestWriteJSON(t *testing.T) {
	t.Parallel()
	rep := sampleReport()
	var b bytes.Buffer
	if err := WriteJSON(&b, rep); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(rep, &back); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
	if !strings.Contains(b.String(), `"status": "known-fail"`) || !strings.Contains(b.String(), "</script>") {
		t.Errorf("JSON lacks the status or escapes HTML:\n%s", b.String())
	}
}

func TestWriteJUnit(t *testing.T) {
	t.Parallel()
	rep := sampleReport()
	var b bytes.Buffer
	if err := WriteJUnit(&b, rep); err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("not XML: %v\n%s", err, b.String())
	}
	checks := len(Checks())
	wantFailures := 1 // the stale entry
	for _, c := range rep.Cases[1].Checks {
		if c.Outcome == Fail && c.Level == Must {
			wantFailures++
		}
	}
	if doc.Tests != 4*checks+1 || doc.Failures != wantFailures || len(doc.Suites) != 4 {
		t.Errorf("tests %d, failures %d, suites %d; want %d, %d, 4", doc.Tests, doc.Failures, len(doc.Suites), 4*checks+1, wantFailures)
	}
	suites := map[string]junitSuite{}
	tc := map[[2]string]junitCase{}
	for _, s := range doc.Suites {
		suites[s.Name] = s
		for _, c := range s.Cases {
			if c.Classname != s.Name {
				t.Errorf("testcase %s has classname %s in suite %s", c.Name, c.Classname, s.Name)
			}
			tc[[2]string{s.Name, c.Name}] = c
		}
	}
	failed := tc[[2]string{"stream/encoding/escapes", "stream/finish-last"}]
	if failed.Failure == nil || failed.Failure.Type != "MUST" || !strings.Contains(failed.Failure.Text, "(-want +got)") {
		t.Errorf("failure = %+v", failed.Failure)
	}
	if out := suites["stream/encoding/escapes"].SystemOut; !strings.Contains(out, "POST /v4/desk_http_svc/send_stream_msg?") || !strings.Contains(out, "usersig=REDACTED") {
		t.Errorf("system-out lacks the transcript:\n%s", out)
	}
	if c := tc[[2]string{"stream/basic/three-chunks", "retry/same-request"}]; c.Skipped == nil || c.Skipped.Message != "n/a: no retry" {
		t.Errorf("a check with nothing to look at = %+v, want skipped as n/a", c)
	}
	if c := tc[[2]string{"stream/basic/three-chunks", "stream/text-equals-chunks"}]; c.Skipped != nil || c.Failure != nil {
		t.Errorf("a passed check = %+v", c)
	}
	if c := tc[[2]string{"retry/20004/middle-chunk", "retry/retryable-retried"}]; c.Skipped == nil || !strings.Contains(c.Skipped.Message, "known to fail") {
		t.Errorf("known failure = %+v", c)
	}
	if c := tc[[2]string{"stream/basic/one-chunk", "known-failing"}]; c.Failure == nil || c.Failure.Type != "stale" {
		t.Errorf("stale entry = %+v", c)
	}
}

func TestWriteHTML(t *testing.T) {
	t.Parallel()
	rep := sampleReport()
	var b bytes.Buffer
	if err := WriteHTML(&b, rep); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	// Self-contained: no script, no external reference of any kind.
	for _, bad := range []string{"<script", "<link", "src=", "url(", "@import", "http://", "https://"} {
		if strings.Contains(page, bad) {
			t.Errorf("the page contains %q", bad)
		}
	}
	// The chunk </script> is text, not markup.
	if !strings.Contains(page, `<td class="mono">retry/same-request</td><td>n/a</td><td>no retry</td>`) || !strings.Contains(page, "not applicable</span>") {
		t.Errorf("the page does not show a check with nothing to look at as n/a")
	}
	if strings.Contains(page, "</script><b>") || !strings.Contains(page, "&lt;/script&gt;&lt;b&gt;") {
		t.Error("a chunk's markup was not escaped")
	}
	// One grid row per case with one cell per check.
	rows := regexp.MustCompile(`(?s)<tr><th class="case"><a href="#case-\d+">([^<]+)</a></th>(.*?)</tr>`).FindAllStringSubmatch(page, -1)
	if len(rows) != len(rep.Cases) {
		t.Fatalf("%d grid rows, want %d", len(rows), len(rep.Cases))
	}
	for i, row := range rows {
		if row[1] != rep.Cases[i].Name {
			t.Errorf("row %d is %q, want %q", i, row[1], rep.Cases[i].Name)
		}
		if n := strings.Count(row[2], "<td class=\"") - 1; n != len(allChecks) {
			t.Errorf("row %s has %d check cells, want %d", row[1], n, len(allChecks))
		}
	}
	for _, c := range allChecks {
		if !strings.Contains(page, "<span>"+c.Name+"</span>") {
			t.Errorf("no grid column for %s", c.Name)
		}
	}
	for _, want := range []string{`<td class="fail-must"`, `id="case-1" open`, "usersig=REDACTED", "fault f1 on call 2 of the session, once: ErrorCode 20004", "(-want +got)"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

func TestWriteConsoleElides(t *testing.T) {
	t.Parallel()
	j := new(journal).ok("Hello, ", "", false)
	for range 30 {
		j.code("this is ", testKey, false, 20005)
	}
	c := testCase(threeChunks...)
	ev := evidenceOf(c, j, []mockserver.Stream{streamOf(false, "Hello, ")}, `{"ok":false,"error_code":20005}`)
	r := CaseResult{Name: "x", Checks: grade(ev), Transcript: transcript(ev.calls, 3, testStart, nil)}
	r.setStatus(false)
	var b bytes.Buffer
	WriteConsole(&b, &Report{Cases: []CaseResult{r}, Checks: Checks(), Summary: summarize([]CaseResult{r})}, ConsoleOptions{})
	out := b.String()
	if !strings.Contains(out, "... 15 more calls") || !strings.Contains(out, "#31 ") || strings.Contains(out, "#13 ") {
		t.Errorf("the transcript of 31 calls is not cut to the first 12 and the last 4:\n%s", out)
	}
	if !strings.Contains(out, "MUST   retry/bounded                      in 1 case(s)") {
		t.Errorf("the summary does not tally the failed checks:\n%s", out)
	}
}
