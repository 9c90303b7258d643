package refclient

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden file testdata/cli/refclient-help.golden")

// TestMainHelpAndUsageErrors pins the help of refclient and checks that it
// follows the convention of deskmock's commands.
func TestMainHelpAndUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"--help"}} {
		var out, errOut bytes.Buffer
		if code := Main(args, strings.NewReader(""), &out, &errOut, Bugs{}); code != 0 || errOut.Len() > 0 {
			t.Errorf("%q: exit %d, stderr %q; want 0 and nothing", args, code, errOut.String())
		}
		file := filepath.Join("..", "..", "..", "testdata", "cli", "refclient-help.golden")
		if *update {
			if err := os.WriteFile(file, out.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if d := cmp.Diff(string(want), out.String()); d != "" {
			t.Errorf("%q: help (-want +got):\n%s", args, d)
		}
	}
	for _, tt := range []struct {
		args   []string
		stdin  string
		stderr string
	}{
		{[]string{"--attempts", "many"}, "", `refclient: bad --attempts "many": parse error; see 'refclient --help'` + "\n"},
		{[]string{"--bogus"}, "", "refclient: unknown flag --bogus; see 'refclient --help'\n"},
		{[]string{"case.json"}, "", `refclient: unexpected argument "case.json" (the case comes on stdin); see 'refclient --help'` + "\n"},
		{nil, "not json", "refclient: reading the case on stdin: invalid character 'o' in literal null (expecting 'u'); see 'refclient --help'\n"},
	} {
		var out, errOut bytes.Buffer
		if code := Main(tt.args, strings.NewReader(tt.stdin), &out, &errOut, Bugs{}); code != 2 || out.Len() > 0 || errOut.String() != tt.stderr {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 2, nothing, %q", tt.args, code, out.String(), errOut.String(), tt.stderr)
		}
	}
}
