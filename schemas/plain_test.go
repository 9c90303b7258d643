package schemas

import (
	"encoding/json"
	"slices"
	"testing"
)

// Every pattern of the configuration schema has its words, so that no
// message about a configuration shows a regular expression.
func TestPlainWordsEveryConfigPattern(t *testing.T) {
	src, err := Source(ConfigFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(src, &doc); err != nil {
		t.Fatal(err)
	}
	var patterns []string
	var walk func(v any)
	walk = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			for k, e := range t {
				if s, ok := e.(string); ok && k == "pattern" {
					patterns = append(patterns, s)
				}
				walk(e)
			}
		case []any:
			for _, e := range t {
				walk(e)
			}
		}
	}
	walk(doc)
	if len(patterns) == 0 {
		t.Fatal("no pattern found: the walk is broken")
	}
	for _, p := range patterns {
		if patternWords[p] == "" {
			t.Errorf("pattern %s of %s has no words in patternWords", p, ConfigFile)
		}
	}
}

func TestClosest(t *testing.T) {
	names := []string{"apps", "codes", "endpoints", "envelope", "faults", "limits", "sessions"}
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"limit", []string{"limits"}},
		{"LIMITS", []string{"limits"}},
		{"sesions", []string{"sessions"}},
		{"endpoint", []string{"endpoints"}},
		{"foo", nil},
		{"app", []string{"apps"}},
		{"xyzzy", nil},
	} {
		if got := closest(tc.in, names); !slices.Equal(got, tc.want) {
			t.Errorf("closest(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := closest("v3", []string{"v1", "v2"}); !slices.Equal(got, []string{"v1", "v2"}) {
		t.Errorf("closest(v3) = %q, want both", got)
	}
	for _, tc := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"", "abc", 3}, {"kitten", "sitting", 3}, {"µs", "us", 1}, {"secretkey", "secret_key", 1}} {
		if got := distance(tc.a, tc.b); got != tc.d {
			t.Errorf("distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.d)
		}
	}
}
