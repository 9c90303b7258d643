package cmdline

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseInterspersed(t *testing.T) {
	tests := []struct {
		args []string
		pos  []string
		now  int64
	}{
		{[]string{"SIG"}, []string{"SIG"}, 0},
		{[]string{"--now", "5", "SIG"}, []string{"SIG"}, 5},
		{[]string{"SIG", "--now", "5"}, []string{"SIG"}, 5},
		{[]string{"-", "--now=7"}, []string{"-"}, 7},
		{[]string{"--now", "5", "--", "--now", "6"}, []string{"--now", "6"}, 5},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			fs := New("t", "", "", "t --help", new(bytes.Buffer), new(bytes.Buffer))
			now := fs.Int64("now", 0, "")
			pos, code, done := fs.Parse(tt.args)
			if done || code != ExitOK {
				t.Fatalf("Parse: code %d, done %v", code, done)
			}
			if diff := cmp.Diff(tt.pos, pos); diff != "" {
				t.Errorf("positional (-want +got):\n%s", diff)
			}
			if *now != tt.now {
				t.Errorf("--now %d, want %d", *now, tt.now)
			}
		})
	}
}

func TestParseLeadingStopsAtTheCommand(t *testing.T) {
	fs := New("t", "", "", "t --help", new(bytes.Buffer), new(bytes.Buffer))
	v := fs.Bool("v", false, "")
	rest, code, done := fs.ParseLeading([]string{"-v", "--", "client", "-v"})
	if done || code != ExitOK || !*v || !cmp.Equal(rest, []string{"client", "-v"}) {
		t.Errorf("rest %q, code %d, done %v, -v %v", rest, code, done, *v)
	}
}

func TestHelpAndErrors(t *testing.T) {
	tests := []struct {
		args           []string
		code           int
		stdout, stderr string
	}{
		{[]string{"-h"}, ExitOK, "Usage: prog sub [flags] ARG\n\nDoes things.\n\nFlags:\n  --pattern regexp\n      match regexp\n  -v\n      be verbose\n  --wait duration\n      wait this long (default 2s)\n", ""},
		{[]string{"--help"}, ExitOK, "Usage: prog sub", ""},
		{[]string{"--bogus"}, ExitUsage, "", "prog sub: unknown flag --bogus; see 'prog help sub'\n"},
		{[]string{"-x"}, ExitUsage, "", "prog sub: unknown flag -x; see 'prog help sub'\n"},
		{[]string{"--wait"}, ExitUsage, "", "prog sub: --wait needs a value; see 'prog help sub'\n"},
		{[]string{"--wait", "soon"}, ExitUsage, "", "prog sub: bad --wait \"soon\": parse error; see 'prog help sub'\n"},
		{[]string{"--v=maybe"}, ExitUsage, "", "prog sub: bad -v \"maybe\": parse error; see 'prog help sub'\n"},
		{[]string{"--pattern", "["}, ExitUsage, "", "prog sub: bad --pattern \"[\": error parsing regexp: missing closing ]: `[`; see 'prog help sub'\n"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			fs := New("prog sub", "[flags] ARG", "\nDoes things.\n", "prog help sub", &stdout, &stderr)
			fs.Func("pattern", "match `regexp`", func(s string) error {
				_, err := regexp.Compile(s)
				return err
			})
			fs.Bool("v", false, "be verbose")
			fs.Duration("wait", 2e9, "wait this long")
			_, code, done := fs.Parse(tt.args)
			if !done || code != tt.code {
				t.Errorf("code %d, done %v; want %d, true", code, done, tt.code)
			}
			if !strings.HasPrefix(stdout.String(), tt.stdout) || (tt.stdout == "" && stdout.Len() > 0) {
				t.Errorf("stdout %q, want %q", stdout.String(), tt.stdout)
			}
			if stderr.String() != tt.stderr {
				t.Errorf("stderr %q, want %q", stderr.String(), tt.stderr)
			}
		})
	}
}

func TestFlagErrorKeepsOtherErrors(t *testing.T) {
	if got := FlagError(errors.New("something else")); got != "something else" {
		t.Errorf("FlagError = %q", got)
	}
}
