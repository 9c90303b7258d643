package conform

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deskmock/deskmock/conformance"
	"github.com/deskmock/deskmock/conformance/protocol"
	goldenfile "github.com/deskmock/deskmock/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/conformance/golden")

// moduleRoot is the module's directory, seen from this package's.
const moduleRoot = "../../.."

// brokenClients are the deliberately broken clients under
// testdata/conformance/clients, with the checks each must fail (at MUST or
// SHOULD level, over the whole suite) and, when the bug shows only in some
// cases, those cases.
var brokenClients = []struct {
	name   string
	checks []string
	cases  []string
}{
	{
		// On v1 and chatbot each call opens a stream of its own; on v2,
		// c2c and group the second call, with no key and Index 2, is
		// refused (141004, 90010) and the message fails.
		name:   "forgets-msgkey",
		checks: []string{"outcome/expected", "stream/msgkey-reused", "stream/text-equals-chunks"},
	},
	{name: "never-finishes", checks: []string{"stream/finish-last"}},
	{
		// Stopped at the timeout, it never makes the Desk calls the
		// desk/session-ends/then-* cases ask for after the stream.
		name:   "retries-141005-forever",
		checks: []string{"client/in-time", "desk/calls", "desk/stop-when-session-ends", "retry/bounded", "retry/non-retryable-not-retried"},
		cases: []string{
			"desk/session-ends/mid-stream", "desk/session-ends/then-state", "desk/session-ends/then-transfer", "desk/session-ends/v2-mid-stream",
			"errors/141005/ended-mid-stream", "errors/141005/session-ended", "v2/errors/141005-session-ended",
		},
	},
	{
		name:   "never-retries-20004",
		checks: []string{"outcome/expected", "retry/retryable-retried", "stream/text-equals-chunks"},
		cases: []string{
			"c2c/retry/20004/second-call", "chatbot/retry/20004/second-call", "group/retry/20004/second-call",
			"retry/20004/exhausted", "retry/20004/first-chunk", "retry/20004/last-chunk", "retry/20004/middle-chunk", "v2/retry/20004/middle-chunk",
		},
	},
	{name: "doubles-chunk", checks: []string{"stream/chunks-in-order", "stream/text-equals-chunks"}},
	{
		// Index 0 is outside the v2, c2c and group schemas, so the mock
		// answers 90010 and the message never gets through.
		name:   "v2-index-from-0",
		checks: []string{"outcome/expected", "request/body/schema", "stream/text-equals-chunks", "v2/index-sequence"},
		cases: []string{
			"c2c/basic/many-chunks", "c2c/basic/one-chunk", "c2c/basic/three-chunks", "c2c/encoding/unicode-and-escapes",
			"c2c/envelope/key-order", "c2c/errors/70107-from-account-unknown", "c2c/errors/70107-to-account-unknown",
			"c2c/errors/90003-to-account-malformed", "c2c/faults/reset-after-apply/last-chunk",
			"c2c/faults/reset-after-apply/middle-chunk", "c2c/from-account/present", "c2c/retry/141002/exhausted",
			"c2c/retry/20004/second-call", "c2c/stream/idle-timeout/paused", "c2c/stream/rate/burst",
			"desk/session-ends/v2-mid-stream", "desk/transfer/v2-after-stream",
			"group/basic/one-chunk", "group/basic/three-chunks", "group/errors/10010-group-unknown",
			"group/errors/10015-groupid-malformed", "group/errors/70107-from-account-unknown",
			"group/faults/reset-after-apply/middle-chunk", "group/from-account/present", "group/retry/20004/second-call",
			"group/stream/idle-timeout/paused", "group/stream/rate/burst",
			"v2/basic/many-chunks", "v2/basic/one-chunk", "v2/basic/three-chunks", "v2/empty/middle-chunk",
			"v2/encoding/unicode-and-escapes", "v2/envelope/key-order", "v2/errors/141005-session-ended",
			"v2/faults/reset-after-apply/last-chunk", "v2/faults/reset-after-apply/middle-chunk",
			"v2/faults/truncated-reply/middle-chunk", "v2/retry/141002/exhausted", "v2/retry/20004/middle-chunk",
			"v2/stream/idle-timeout/paused", "v2/stream/rate/burst",
		},
	},
	{
		// The sixth call within a second gets 60007, which is final; the
		// five quick attempts of a failing chunk are too many calls too.
		name:   "v2-no-pacing",
		checks: []string{"outcome/expected", "stream/text-equals-chunks", "v2/paced"},
		cases: []string{
			"c2c/basic/many-chunks", "c2c/retry/141002/exhausted", "c2c/stream/rate/burst", "group/stream/rate/burst",
			"v2/basic/many-chunks", "v2/retry/141002/exhausted", "v2/stream/rate/burst",
		},
	},
	{
		// It goes on after a 141005 on v1, where a chunk follows it: the
		// cases whose session ends before the last chunk (v2 stops as a
		// careful client does), and the errors/141005 ones; in
		// ended-mid-stream a fault answers 141005 while the session stays
		// open, so its last chunk is applied and the text is wrong too.
		name:   "streams-after-session-ends",
		checks: []string{"desk/stop-when-session-ends", "retry/non-retryable-not-retried", "stream/text-equals-chunks"},
		cases:  []string{"desk/session-ends/mid-stream", "desk/session-ends/then-state", "errors/141005/ended-mid-stream", "errors/141005/session-ended"},
	},
	{
		// It leaves transfer_to_human out of its calls and its answer.
		name:   "never-transfers",
		checks: []string{"desk/calls", "outcome/expected"},
		cases: []string{
			"desk/session-ends/then-transfer", "desk/transfer/after-stream", "desk/transfer/instead-of-stream",
			"desk/transfer/no-agent-online", "desk/transfer/queued", "desk/transfer/v2-after-stream",
		},
	},
	{
		name:   "keeps-dead-stream",
		checks: []string{"stream/no-call-after-end"},
		cases:  []string{"c2c/stream/idle-timeout/paused", "group/stream/idle-timeout/paused", "v2/stream/idle-timeout/paused"},
	},
}

// buildClients builds the reference client and every broken client with
// one go build, into dir.
func buildClients(t *testing.T, dir string) {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the self-test builds its clients with go: %v", err)
	}
	args := []string{"build", "-o", dir + string(filepath.Separator), "./cmd/refclient"}
	for _, b := range brokenClients {
		args = append(args, "./testdata/conformance/clients/"+b.name)
	}
	cmd := exec.Command(goCmd, args...)
	cmd.Dir = moduleRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
}

// conform runs Main with args and returns its exit code, its stdout and
// the JSON report.
func conform(t *testing.T, args ...string) (int, string, *conformance.Report) {
	t.Helper()
	jsonFile := filepath.Join(t.TempDir(), "report.json")
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), append([]string{"--json", jsonFile}, args...), nil, &stdout, &stderr)
	if stderr.Len() > 0 {
		t.Logf("stderr: %s", stderr.String())
	}
	b, err := os.ReadFile(jsonFile)
	if err != nil {
		t.Fatalf("exit %d, no JSON report: %v\n%s", code, err, stdout.String())
	}
	var rep conformance.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	return code, stdout.String(), &rep
}

// failing returns the sorted names of the checks that failed at MUST or
// SHOULD level, and of the cases where one did.
func failing(rep *conformance.Report) (checks, cases []string) {
	cs := map[string]bool{}
	for _, c := range rep.Cases {
		f := c.FailingChecks()
		for _, n := range f {
			cs[n] = true
		}
		if len(f) > 0 || c.Error != "" {
			cases = append(cases, c.Name)
		}
	}
	for n := range cs {
		checks = append(checks, n)
	}
	sort.Strings(checks)
	sort.Strings(cases)
	return checks, cases
}

// TestSelfTest grades the reference client, the Python client and the
// broken clients with the whole suite, and pins the console report.
func TestSelfTest(t *testing.T) {
	dir := t.TempDir()
	buildClients(t, dir)
	cases, err := conformance.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	all := len(cases)

	t.Run("refclient", func(t *testing.T) {
		t.Parallel()
		code, out, rep := conform(t, "--", filepath.Join(dir, "refclient"))
		checks, cases := failing(rep)
		if code != ExitPass || len(checks) > 0 || rep.Summary.Passed != all {
			t.Fatalf("exit %d, failing checks %v in %v; want every MUST and SHOULD check to pass\n%s", code, checks, cases, out)
		}
		t.Logf("%d cases in %s", all, rep.Duration.Round(time.Millisecond))
	})

	t.Run("python", func(t *testing.T) {
		t.Parallel()
		python, err := exec.LookPath("python3")
		if err != nil {
			t.Skip("python3 is not installed")
		}
		script, err := filepath.Abs(filepath.Join(moduleRoot, "conformance", "clients", "python", "deskmock_client.py"))
		if err != nil {
			t.Fatal(err)
		}
		code, out, rep := conform(t, "--", python, script)
		if code != ExitPass || rep.Summary.Failed > 0 {
			_, cases := failing(rep)
			t.Fatalf("exit %d, failing cases %v; want every MUST check to pass\n%s", code, cases, out)
		}
		t.Logf("%d cases in %s", all, rep.Duration.Round(time.Millisecond))
	})

	for _, b := range brokenClients {
		t.Run("broken/"+b.name, func(t *testing.T) {
			t.Parallel()
			code, out, rep := conform(t, "--timeout", "5s", "--", filepath.Join(dir, b.name))
			checks, cases := failing(rep)
			if code != ExitFail {
				t.Errorf("exit %d, want %d", code, ExitFail)
			}
			if d := cmp.Diff(b.checks, checks); d != "" {
				t.Errorf("failing checks (-want +got):\n%s\n%s", d, out)
			}
			if b.cases != nil {
				if d := cmp.Diff(b.cases, cases); d != "" {
					t.Errorf("failing cases (-want +got):\n%s", d)
				}
			}
		})
	}

	t.Run("no-request", func(t *testing.T) {
		t.Parallel()
		code, out, rep := conform(t, "-v", "--parallel", "1", "--timeout", "1s", "--grace", "5s", "--run", "^stream/basic/one-chunk$", "--", "sleep", "100")
		got := normalize(out, dir)
		if code != ExitFail || rep.Summary.Failed != 1 || rep.Summary.Checks[conformance.Must][conformance.Pass] != 0 || rep.Summary.Checks[conformance.Must][conformance.NotApplicable] == 0 {
			t.Errorf("exit %d, summary %+v; want exit 1, the case failed, no MUST check passed and the checks with nothing to look at n/a\n%s", code, rep.Summary, got)
		}
		var reached conformance.CheckResult
		for _, c := range rep.Cases[0].Checks {
			if c.Name == "client/reached-mock" {
				reached = c
			}
		}
		if reached.Outcome != conformance.Fail || reached.Message != "no request reached the mock" {
			t.Errorf("client/reached-mock = %+v", reached)
		}
		golden(t, "console-no-request", got)
	})

	t.Run("known-failing/stale", func(t *testing.T) {
		t.Parallel()
		known := filepath.Join(t.TempDir(), "known.txt")
		os.WriteFile(known, []byte("# fixed long ago\nstream/basic/one-chunk\n"), 0o644)
		code, out, rep := conform(t, "--known-failing", known, "--run", "^stream/basic/", "--", filepath.Join(dir, "refclient"))
		if code != ExitFail || rep.Summary.Stale != 1 || rep.Cases[0].Status != conformance.StatusStale {
			t.Errorf("exit %d, summary %+v, want exit 1 and one stale case", code, rep.Summary)
		}
		if !strings.Contains(out, "STALE stream/basic/one-chunk") || !strings.Contains(out, "listed as known to fail, but passes") {
			t.Errorf("the console does not report the stale entry:\n%s", out)
		}
	})

	t.Run("known-failing/listed", func(t *testing.T) {
		t.Parallel()
		known := filepath.Join(t.TempDir(), "known.txt")
		os.WriteFile(known, []byte("retry/20004/first-chunk\nretry/20004/middle-chunk\nretry/20004/last-chunk\nretry/20004/exhausted # gives up at once\n"), 0o644)
		code, out, rep := conform(t, "--known-failing", known, "--run", "^retry/(20004|20005)/", "--", filepath.Join(dir, "never-retries-20004"))
		if code != ExitPass || rep.Summary.KnownFailing != 4 || rep.Summary.Passed != 4 {
			t.Errorf("exit %d, summary %+v, want exit 0 with 4 known failures and 4 passes\n%s", code, rep.Summary, out)
		}
	})

	for _, g := range []struct {
		name, client, run string
	}{
		{"console-doubles-chunk", "doubles-chunk", `^(stream/basic/one-chunk|stream/basic/three-chunks|errors/141004-illegal-parameters)$`},
		{"console-never-retries-20004", "never-retries-20004", `^retry/20004/`},
		{"console-keeps-dead-stream", "keeps-dead-stream", `^v2/stream/idle-timeout/paused$`},
		{"console-forgets-msgkey-c2c", "forgets-msgkey", `^c2c/basic/three-chunks$`},
		{"console-forgets-msgkey-chatbot", "forgets-msgkey", `^chatbot/basic/three-chunks$`},
		{"console-streams-after-session-ends", "streams-after-session-ends", `^desk/session-ends/(mid-stream|then-state)$`},
		{"console-never-transfers", "never-transfers", `^desk/transfer/(after-stream|queued)$`},
	} {
		t.Run("golden/"+g.name, func(t *testing.T) {
			t.Parallel()
			_, out, _ := conform(t, "--parallel", "2", "--run", g.run, "--", filepath.Join(dir, g.client))
			golden(t, g.name, normalize(out, dir))
		})
	}
}

// golden compares a console report with its golden file, or rewrites the
// file under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	goldenfile.Check(t, filepath.Join(moduleRoot, "testdata", "conformance", "golden", name+".txt"), got, *update)
}

// Console reports vary in times, randoms and MsgKeys; normalize replaces
// them with placeholders.
var normalizers = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\d+_\d+_[0-9a-f]{25}`), "MSGKEY"},
	{regexp.MustCompile(`Id-[0-9a-f]{32}-O-Seq-\d+`), "REQUESTID"},
	{regexp.MustCompile(`random=\d+`), "random=RANDOM"},
	{regexp.MustCompile(`\+\d+\.\d{3}s`), "+T.TTTs"},
	{regexp.MustCompile(`\b\d+\.\d\ds\b`), "T.TTs"},
	{regexp.MustCompile(`\(\d+\.\ds\)`), "(T.Ts)"},
}

func normalize(out, dir string) string {
	out = strings.ReplaceAll(out, dir, "CLIENTS")
	for _, n := range normalizers {
		out = n.re.ReplaceAllString(out, n.with)
	}
	return out
}

// TestREADMEListsBrokenClients: conformance/README.md names every broken
// client of the self-test.
func TestREADMEListsBrokenClients(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(moduleRoot, "conformance", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range brokenClients {
		if !strings.Contains(string(b), "| `"+c.name+"` |") {
			t.Errorf("conformance/README.md does not list the broken client %s", c.name)
		}
	}
}

// TestPythonEndpointsAreTheProtocols: the Python client's table of
// endpoints says what protocol.Endpoints says, row for row.
func TestPythonEndpointsAreTheProtocols(t *testing.T) {
	t.Parallel()
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed")
	}
	dir := filepath.Join(moduleRoot, "conformance", "clients", "python")
	out, err := exec.Command(python, "-c", `import json, sys; sys.path.insert(0, sys.argv[1]); import deskmock_client as c; print(json.dumps(c.ENDPOINTS))`, dir).Output()
	if err != nil {
		t.Fatalf("reading ENDPOINTS: %v", err)
	}
	type row struct {
		Path         string  `json:"path"`
		Conversation [][]any `json:"conversation"`
		Key          string  `json:"key"`
		KeyInContent bool    `json:"key_in_content"`
		Indexed      bool    `json:"indexed"`
		EndedCode    int     `json:"ended_code"`
	}
	var got map[string]row
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]row{}
	for _, ep := range protocol.Endpoints() {
		r := row{Path: ep.Path, Key: ep.Key, KeyInContent: ep.KeyInContent, Indexed: ep.Indexed, EndedCode: ep.EndedCode}
		for _, f := range ep.Conversation {
			r.Conversation = append(r.Conversation, []any{f.Wire, f.Input, f.Optional})
		}
		want[ep.Name] = r
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("deskmock_client.py's ENDPOINTS (-protocol.Endpoints +python):\n%s", d)
	}
	out, err = exec.Command(python, "-c", `import json, sys; sys.path.insert(0, sys.argv[1]); import deskmock_client as c; print(json.dumps(c.CALLS))`, dir).Output()
	if err != nil {
		t.Fatalf("reading CALLS: %v", err)
	}
	var gotCalls map[string]struct {
		Path string `json:"path"`
	}
	if err := json.Unmarshal(out, &gotCalls); err != nil {
		t.Fatal(err)
	}
	for _, dc := range protocol.Calls() {
		if gotCalls[dc.Name].Path != dc.Path {
			t.Errorf("deskmock_client.py's CALLS[%q] is %q, protocol.Calls says %q", dc.Name, gotCalls[dc.Name].Path, dc.Path)
		}
	}
	if len(gotCalls) != len(protocol.Calls()) {
		t.Errorf("deskmock_client.py has %d CALLS, protocol.Calls %d", len(gotCalls), len(protocol.Calls()))
	}
}
