package conformance

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// Select returns the cases whose name matches run (all when nil) and does
// not match skip (none when nil), in order.
func Select(cases []Case, run, skip *regexp.Regexp) []Case {
	var out []Case
	for _, c := range cases {
		if run != nil && !run.MatchString(c.Name) {
			continue
		}
		if skip != nil && skip.MatchString(c.Name) {
			continue
		}
		out = append(out, c)
	}
	return out
}

// ReadKnownFailing reads a known-failing file: one case name a line; blank
// lines and lines starting with # are ignored, as is text after " #". Every
// name must be one of cases.
func ReadKnownFailing(path string, cases []Case) (map[string]bool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("conformance: known-failing: %w", err)
	}
	return ParseKnownFailing(path, b, cases)
}

// ParseKnownFailing parses the text of a known-failing file; name is used in
// errors.
func ParseKnownFailing(name string, b []byte, cases []Case) (map[string]bool, error) {
	known := make(map[string]bool, len(cases))
	for _, c := range cases {
		known[c.Name] = false
	}
	out := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for line := 1; sc.Scan(); line++ {
		text, _, _ := strings.Cut(sc.Text(), " #")
		text = strings.TrimSpace(text)
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		if _, ok := known[text]; !ok {
			return nil, fmt.Errorf("conformance: %s:%d: no case is named %q", name, line, text)
		}
		out[text] = true
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("conformance: %s: %w", name, err)
	}
	return out, nil
}
