package deskmock

import (
	"bytes"
	"context"
	"flag"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	goldenfile "github.com/deskmock/deskmock/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/cli")

// goldenDir holds the pinned outputs of the command line.
var goldenDir = filepath.Join("..", "..", "..", "testdata", "cli")

// result is what one run of the command line produced.
type result struct {
	code   int
	stdout string
	stderr string
}

// runOpts adjust one run of the command line.
type runOpts struct {
	stdin string
	env   map[string]string
}

// runCLI runs the command line with args (without the program name),
// isolated from the process environment.
func runCLI(t *testing.T, o runOpts, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := &env{
		stdin:  strings.NewReader(o.stdin),
		stdout: &stdout,
		stderr: &stderr,
		getenv: func(k string) string { return o.env[k] },
		now:    time.Now,
	}
	code := run(context.Background(), e, args)
	return result{code, stdout.String(), stderr.String()}
}

// golden compares got with the golden file name, or rewrites it under
// -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	goldenfile.Check(t, filepath.Join(goldenDir, name), got, *update)
}

// syncBuffer is a bytes.Buffer safe for concurrent use, which can be
// waited on for a text.
type syncBuffer struct {
	mu   sync.Mutex
	b    bytes.Buffer
	grew chan struct{} // closed, and forgotten, by the next Write
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.grew != nil {
		close(s.grew)
		s.grew = nil
	}
	return s.b.Write(p)
}

// await waits, at most within, until the buffer holds text; it returns
// what the buffer holds and whether text is in it.
func (s *syncBuffer) await(text string, within time.Duration) (string, bool) {
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		held := s.b.String()
		if s.grew == nil {
			s.grew = make(chan struct{})
		}
		grew := s.grew
		s.mu.Unlock()
		if strings.Contains(held, text) {
			return held, true
		}
		select {
		case <-grew:
		case <-deadline.C:
			return held, false
		}
	}
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestMainUsesArgsAfterProgramName(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"/usr/local/bin/deskmock", "version"}, strings.NewReader(""), &stdout, &stderr)
	if code != ExitOK {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	if !strings.HasPrefix(stdout.String(), "deskmock ") {
		t.Errorf("stdout %q, want deskmock <version>", stdout.String())
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := runCLI(t, runOpts{}, args...)
			if r.code != ExitOK || r.stderr != "" {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			golden(t, "help.golden", r.stdout)
		})
	}
}

func TestHelpOfCommand(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"help", "serve"}, []string{"Usage: deskmock serve [flags]", "--addr host:port", "(default 127.0.0.1:8780)", "--secret-key-file file", "--log-format format"}},
		{[]string{"help", "usersig"}, []string{"Usage: deskmock usersig <gen|verify>", "gen ", "verify "}},
		{[]string{"help", "usersig", "verify"}, []string{"Usage: deskmock usersig verify [flags] SIG", "--now seconds"}},
		{[]string{"help", "health"}, []string{"--url URL", "(default http://127.0.0.1:8780)", "--timeout duration", "(default 2s)"}},
		{[]string{"help", "version"}, []string{"Usage: deskmock version"}},
		{[]string{"usersig", "help"}, []string{"Usage: deskmock usersig <gen|verify>"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := runCLI(t, runOpts{}, tt.args...)
			if r.code != ExitOK {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, r.stdout)
				}
			}
		})
	}
}

func TestCommandDashHPrintsHelpToStdout(t *testing.T) {
	for _, args := range [][]string{{"serve", "-h"}, {"usersig", "gen", "--help"}, {"usersig", "-h"}, {"health", "-h"}, {"conform", "--help"}, {"conform", "-h"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := runCLI(t, runOpts{}, args...)
			if r.code != ExitOK {
				t.Errorf("exit %d, want 0", r.code)
			}
			if r.stderr != "" || !strings.HasPrefix(r.stdout, "Usage: deskmock") {
				t.Errorf("stdout %q, stderr %q; want the help on stdout", r.stdout, r.stderr)
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"no arguments", nil, "deskmock: no command given; see 'deskmock help'"},
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"help of unknown command", []string{"help", "frobnicate"}, `unknown command "frobnicate"`},
		{"serve bad flag", []string{"serve", "--bogus"}, "deskmock serve: unknown flag --bogus; see 'deskmock help serve'"},
		{"serve extra argument", []string{"serve", "now"}, `unexpected argument "now"`},
		{"serve bad log format", []string{"serve", "--log-format", "xml"}, `--log-format "xml": want text or json`},
		{"serve bad log level", []string{"serve", "--log-level", "loud"}, `--log-level "loud"`},
		{"serve empty admin", []string{"serve", "--admin", ""}, "--admin is empty"},
		{"serve sdkappid not a number", []string{"serve", "--sdkappid", "abc"}, `bad --sdkappid "abc": parse error`},
		{"serve sdkappid out of range", []string{"serve", "--sdkappid", "0"}, "sdkappid: 0 is not in 1..4294967295"},
		{"serve missing key file", []string{"serve", "--secret-key-file", "/nonexistent/key"}, "--secret-key-file: open /nonexistent/key"},
		{"usersig alone", []string{"usersig"}, "deskmock usersig: missing command (gen or verify); see 'deskmock help usersig'"},
		{"usersig unknown", []string{"usersig", "sign"}, `unknown command "sign"`},
		{"verify missing SIG", []string{"usersig", "verify"}, "missing SIG"},
		{"verify two SIGs", []string{"usersig", "verify", "a", "b"}, "want one SIG, got 2 arguments"},
		{"verify bad now", []string{"usersig", "verify", "--now", "yesterday", "x"}, `bad --now "yesterday": parse error`},
		{"gen bad expire", []string{"usersig", "gen", "--expire", "soon"}, "want seconds (15552000) or a Go duration"},
		{"gen fractional expire", []string{"usersig", "gen", "--expire", "1.5s"}, "whole number of seconds"},
		{"gen zero expire", []string{"usersig", "gen", "--expire", "0"}, "must be positive"},
		{"gen negative time", []string{"usersig", "gen", "--time", "-1"}, "--time -1: must be positive"},
		{"gen empty key", []string{"usersig", "gen", "--secret-key", ""}, "--secret-key is empty"},
		{"gen extra argument", []string{"usersig", "gen", "x"}, `unexpected argument "x"`},
		{"health bad url", []string{"health", "--url", "127.0.0.1:8780"}, `--url "127.0.0.1:8780": want an http:// or https:// URL`},
		{"version extra argument", []string{"version", "x"}, `unexpected argument "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, runOpts{}, tt.args...)
			if r.code != ExitUsage {
				t.Errorf("exit %d, want %d; stderr %q", r.code, ExitUsage, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, r.stderr)
			}
			if strings.Count(r.stderr, "\n") != 1 || !strings.HasSuffix(r.stderr, "'\n") || !strings.Contains(r.stderr, "; see 'deskmock help") {
				t.Errorf("stderr %q, want one line ending with a hint", r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing", r.stdout)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	t.Run("from build info", func(t *testing.T) {
		r := runCLI(t, runOpts{}, "version")
		if r.code != ExitOK {
			t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
		}
		if !strings.HasPrefix(r.stdout, "deskmock ") || !strings.Contains(r.stdout, runtime.Version()) {
			t.Errorf("stdout %q, want deskmock <version> %s ...", r.stdout, runtime.Version())
		}
	})
	t.Run("from ldflags", func(t *testing.T) {
		old := Version
		Version = "v1.2.3"
		t.Cleanup(func() { Version = old })
		r := runCLI(t, runOpts{}, "version")
		want := "deskmock v1.2.3 " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + "\n"
		if r.stdout != want {
			t.Errorf("stdout %q, want %q", r.stdout, want)
		}
	})
}

func TestHuman(t *testing.T) {
	tests := map[time.Duration]string{
		0:                        "0s",
		time.Second:              "1s",
		90 * time.Second:         "1m30s",
		24 * time.Hour:           "1d",
		DefaultExpire:            "180d",
		26*time.Hour + time.Hour: "1d3h",
		-5 * time.Minute:         "5m",
	}
	for d, want := range tests {
		if got := human(d); got != want {
			t.Errorf("human(%v) = %q, want %q", d, got, want)
		}
	}
}
