package conformance

import (
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func names(cases []Case) []string {
	out := []string{}
	for _, c := range cases {
		out = append(out, c.Name)
	}
	return out
}

func TestSelect(t *testing.T) {
	t.Parallel()
	cases := []Case{{Name: "stream/basic/one-chunk"}, {Name: "retry/20004/first-chunk"}, {Name: "retry/20005/first-chunk"}, {Name: "faults/http-502/middle-chunk"}}
	tests := []struct {
		run, skip string
		want      []string
	}{
		{"", "", []string{"stream/basic/one-chunk", "retry/20004/first-chunk", "retry/20005/first-chunk", "faults/http-502/middle-chunk"}},
		{"^retry/", "", []string{"retry/20004/first-chunk", "retry/20005/first-chunk"}},
		{"^retry/", "20005", []string{"retry/20004/first-chunk"}},
		{"", "first-chunk$", []string{"stream/basic/one-chunk", "faults/http-502/middle-chunk"}},
		{"nothing", "", []string{}},
	}
	for _, tt := range tests {
		var run, skip *regexp.Regexp
		if tt.run != "" {
			run = regexp.MustCompile(tt.run)
		}
		if tt.skip != "" {
			skip = regexp.MustCompile(tt.skip)
		}
		if d := cmp.Diff(tt.want, names(Select(cases, run, skip))); d != "" {
			t.Errorf("Select(run %q, skip %q) (-want +got):\n%s", tt.run, tt.skip, d)
		}
	}
}

func TestParseKnownFailing(t *testing.T) {
	t.Parallel()
	cases := []Case{{Name: "a/one"}, {Name: "a/two"}, {Name: "b/three"}}
	got, err := ParseKnownFailing("known.txt", []byte("# known failures\n\na/one\n  b/three   # flaky transport\n"), cases)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string]bool{"a/one": true, "b/three": true}, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	_, err = ParseKnownFailing("known.txt", []byte("a/one\na/too\n"), cases)
	if err == nil || !strings.Contains(err.Error(), `known.txt:2: no case is named "a/too"`) {
		t.Errorf("unknown name: error %v", err)
	}
}
