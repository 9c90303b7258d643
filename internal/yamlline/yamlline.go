// Package yamlline words a YAML parser's error with the line where the text
// stops being YAML, for every YAML file deskmock reads (the configuration,
// scenarios).
package yamlline

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// yamlLine matches the line number of a YAML error.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// Error returns the YAML parser's error about b with the line where the
// text stops being YAML. The parser names the line where the construct at
// fault began ("while parsing a block mapping"), often line 1; the first
// line such that the text up to it no longer parses is where the fault is.
// An error that names no line is returned as it is.
func Error(b []byte, err error) error {
	m := yamlLine.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	said, _ := strconv.Atoi(m[1])
	lines := bytes.SplitAfter(b, []byte("\n"))
	fails := func(n int) bool {
		var v yaml.Node
		return yaml.Unmarshal(bytes.Join(lines[:n], nil), &v) != nil
	}
	// The smallest n whose first n lines fail to parse; all of them fail.
	lo, hi := 1, len(lines)
	for lo < hi {
		mid := (lo + hi) / 2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	if lo <= said {
		return err
	}
	return fmt.Errorf("yaml: line %d: %s", lo, strings.TrimPrefix(err.Error(), m[0]))
}
