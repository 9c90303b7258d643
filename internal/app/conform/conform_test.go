package conform

import (
	"bytes"
	"context"
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/deskmock/deskmock/conformance"
)

func TestMainUsage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	known := filepath.Join(dir, "known.txt")
	if err := os.WriteFile(known, []byte("stream/basic/none\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		args       []string
		wantStderr string
	}{
		{"no command", nil, "no client command"},
		{"unknown flag", []string{"--bogus", "--", "sh"}, "deskmock conform: unknown flag --bogus; see 'deskmock help conform'\n"},
		{"bad regexp", []string{"--run", "(", "--", "sh"}, "deskmock conform: bad --run \"(\": error parsing regexp: missing closing ): `(`; see 'deskmock help conform'\n"},
		{"no parallelism", []string{"--parallel", "0", "--", "sh"}, "--parallel must be at least 1"},
		{"no timeout", []string{"--timeout", "0s", "--", "sh"}, "--timeout must be positive"},
		{"missing client", []string{"--", "/nonexistent/client"}, "client command"},
		{"client not on PATH", []string{"--", "no-such-client-anywhere"}, "client command"},
		{"nothing selected", []string{"--run", "^nothing$", "--", "sh"}, "no case matches"},
		{"unknown known-failing case", []string{"--known-failing", known, "--", "sh"}, `no case is named "stream/basic/none"`},
		{"no known-failing file", []string{"--known-failing", filepath.Join(dir, "absent.txt"), "--", "sh"}, "absent.txt"},
		{"empty cases dir", []string{"--cases", t.TempDir(), "--", "sh"}, "no *.json case file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			if code := Main(context.Background(), tt.args, nil, &stdout, &stderr); code != ExitUsage {
				t.Errorf("exit %d, want %d", code, ExitUsage)
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr %q does not say %q", stderr.String(), tt.wantStderr)
			}
			if got := stderr.String(); strings.Count(got, "\n") != 1 || !strings.HasSuffix(got, "; see 'deskmock help conform'\n") {
				t.Errorf("stderr %q, want one line ending with the hint", got)
			}
			if stdout.Len() > 0 {
				t.Errorf("stdout %q, want nothing", stdout.String())
			}
		})
	}
}

func TestMainHelp(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	if code := Main(context.Background(), []string{"-h"}, nil, &stdout, &stderr); code != ExitPass || stderr.Len() > 0 {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
	for _, want := range []string{"Usage: deskmock conform [flags] -- CLIENT_COMMAND", "--known-failing file", "--junit file", "\n  -v\n", "v1 send_stream_msg", "v2 send_stream_msg_v2", "c2c and group", "chatbot a chatbot's"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("help does not mention %q:\n%s", want, stdout.String())
		}
	}
}

func TestMainList(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	if code := Main(context.Background(), []string{"--list", "--run", "^retry/20004/", "--skip", "exhausted"}, nil, &stdout, &stderr); code != ExitPass {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	want := "retry/20004/first-chunk\nretry/20004/middle-chunk\nretry/20004/last-chunk\n"
	if stdout.String() != want {
		t.Errorf("--list printed %q, want %q", stdout.String(), want)
	}

	stdout.Reset()
	if code := Main(context.Background(), []string{"--list-checks"}, nil, &stdout, &stderr); code != ExitPass {
		t.Fatalf("exit %d", code)
	}
	for _, c := range conformance.Checks() {
		line := regexp.MustCompile(`(?m)^` + string(c.Level) + ` +` + regexp.QuoteMeta(c.Name) + ` +\S`)
		if !line.MatchString(stdout.String()) {
			t.Errorf("--list-checks does not list %s %s:\n%s", c.Level, c.Name, stdout.String())
		}
	}
}

func TestMainListWithExtraCases(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "mine.json"), []byte(`{"cases": [{"name": "team/greeting", "description": "ours", "input": {"chunks": ["hi"]}, "expect": {"ok": true}}]}`), 0o644)
	var stdout, stderr bytes.Buffer
	if code := Main(context.Background(), []string{"--list", "--cases", dir, "--run", "^team/"}, nil, &stdout, &stderr); code != ExitPass {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if stdout.String() != "team/greeting\n" {
		t.Errorf("--list printed %q", stdout.String())
	}
}

// TestMainGarbageClient checks that a client printing garbage fails
// answer/json, and that the runner goes on and writes every report.
func TestMainGarbageClient(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := map[string]string{"json": filepath.Join(dir, "r.json"), "junit": filepath.Join(dir, "r.xml"), "html": filepath.Join(dir, "r.html")}
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{
		"--run", "^stream/basic/(one|three)-chunks?$", "--json", files["json"], "--junit", files["junit"], "--html", files["html"],
		"--", "/bin/sh", "-c", "cat >/dev/null; echo 'Streaming... done!'",
	}, nil, &stdout, &stderr)
	if code != ExitFail {
		t.Errorf("exit %d, want %d", code, ExitFail)
	}
	out := stdout.String()
	for _, want := range []string{
		"FAIL  stream/basic/one-chunk", "MUST answer/json: stdout does not start with a JSON object: Streaming... done!",
		"(no request reached the mock)", "2 cases: 0 passed, 0 warned, 2 failed", "\nFAIL\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("console report does not say %q:\n%s", want, out)
		}
	}
	for kind, f := range files {
		if fi, err := os.Stat(f); err != nil || fi.Size() == 0 {
			t.Errorf("%s report: %v", kind, err)
		}
	}
	b, _ := os.ReadFile(files["junit"])
	var doc struct {
		Tests    int        `xml:"tests,attr"`
		Failures int        `xml:"failures,attr"`
		Suites   []struct{} `xml:"testsuite"`
	}
	// Per case: client/reached-mock, answer/json and stream/text-equals-chunks.
	if err := xml.Unmarshal(b, &doc); err != nil || len(doc.Suites) != 2 || doc.Tests != 2*len(conformance.Checks()) || doc.Failures != 6 {
		t.Errorf("junit: %v, %d suites, %d tests, %d failures", err, len(doc.Suites), doc.Tests, doc.Failures)
	}
}
