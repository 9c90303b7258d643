package shellquote

import (
	"os/exec"
	"testing"
)

func TestQuoteRoundTripsThroughTheShell(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	for _, s := range []string{"", "plain", "it's", `a"b`, "$HOME `x` \\ \n*", "''"} {
		out, err := exec.Command(sh, "-c", "printf %s "+Quote(s)).Output()
		if err != nil || string(out) != s {
			t.Errorf("Quote(%q) = %s: the shell read %q, %v", s, Quote(s), out, err)
		}
	}
}
