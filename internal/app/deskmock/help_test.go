package deskmock

import (
	"fmt"
	"strings"
	"testing"
)

// TestHelpGolden pins the help of every command: "deskmock help X",
// "deskmock X --help" and "deskmock X -h" print the same text on stdout and
// exit 0.
func TestHelpGolden(t *testing.T) {
	for _, cmd := range [][]string{
		{"serve"}, {"conform"}, {"usersig"}, {"usersig", "gen"}, {"usersig", "verify"},
		{"health"}, {"version"}, {"help"},
	} {
		name := "help-" + strings.Join(cmd, "-") + ".golden"
		t.Run(strings.Join(cmd, " "), func(t *testing.T) {
			ways := [][]string{append([]string{"help"}, cmd...)}
			if cmd[0] != "help" {
				ways = append(ways, append(append([]string(nil), cmd...), "--help"), append(append([]string(nil), cmd...), "-h"))
			}
			var first string
			for i, args := range ways {
				r := runCLI(t, runOpts{}, args...)
				if r.code != ExitOK || r.stderr != "" {
					t.Errorf("%q: exit %d, stderr %q; want 0 and nothing", args, r.code, r.stderr)
				}
				if i == 0 {
					first = r.stdout
					golden(t, name, r.stdout)
				} else if r.stdout != first {
					t.Errorf("%q prints another help than %q:\n%s", args, ways[0], r.stdout)
				}
			}
		})
	}
}

// TestUsageErrorsGolden pins, for a sample of wrong command lines, the exit
// status and the one-line message with its hint.
func TestUsageErrorsGolden(t *testing.T) {
	lines := [][]string{
		nil,
		{"frobnicate"},
		{"help", "frobnicate"},
		{"serve", "--bogus"},
		{"serve", "-addr"},
		{"serve", "--sdkappid", "abc"},
		{"serve", "now"},
		{"serve", "--tls-ca-out", "ca.pem"},
		{"conform"},
		{"conform", "--run", "[", "--", "sh"},
		{"conform", "--parallel", "0", "--", "sh"},
		{"usersig"},
		{"usersig", "sign"},
		{"usersig", "verify"},
		{"usersig", "gen", "--expire", "soon"},
		{"health", "--url", "127.0.0.1:8780"},
		{"health", "--timeout", "0s"},
		{"version", "x"},
	}
	var b strings.Builder
	for _, args := range lines {
		r := runCLI(t, runOpts{}, args...)
		fmt.Fprintf(&b, "$ %s\nexit %d\n%s", strings.Join(append([]string{"deskmock"}, args...), " "), r.code, r.stderr)
		if r.stdout != "" {
			t.Errorf("%q printed on stdout: %q", args, r.stdout)
		}
		if r.code != ExitUsage || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%q: exit %d, stderr %q; want 2 and one line", args, r.code, r.stderr)
		}
	}
	golden(t, "usage-errors.golden", b.String())
}
