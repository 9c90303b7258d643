package mockserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Bounds on a number of a configuration file or a request body. The schema
// library turns numbers into exact fractions, so 1e999999999 would take it
// gigabytes and minutes, or crash it; no field needs more than these.
const (
	maxNumberLen      = 64
	maxNumberExponent = 400
)

// numberProblem says why a number's literal is refused, or "".
func numberProblem(lit string) string {
	if len(lit) > maxNumberLen {
		return fmt.Sprintf("a number of %d characters, more than the %d deskmock reads", len(lit), maxNumberLen)
	}
	if !exponentInBounds(lit) {
		return fmt.Sprintf("%s has an exponent outside ±%d, which deskmock does not read", lit, maxNumberExponent)
	}
	return ""
}

// exponentInBounds reports whether a number's literal has no exponent or
// one within ±maxNumberExponent.
func exponentInBounds(lit string) bool {
	i := strings.IndexAny(lit, "eE")
	if i < 0 {
		return true
	}
	exp, err := strconv.Atoi(strings.TrimPrefix(lit[i+1:], "+"))
	return err == nil && exp >= -maxNumberExponent && exp <= maxNumberExponent
}

// checkJSONNumbers refuses the numbers of a JSON text that numberProblem
// refuses, naming the field. A text that is not JSON passes: the decoder
// reports it later.
func checkJSONNumbers(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	type frame struct {
		object  bool
		wantKey bool
		key     string
		index   int
	}
	var stack []frame
	path := func() string {
		parts := make([]string, len(stack))
		for i, f := range stack {
			if f.object {
				parts[i] = f.key
			} else {
				parts[i] = strconv.Itoa(f.index)
			}
		}
		return fieldPath(parts)
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF || err != nil {
			return nil
		}
		if len(stack) > 0 {
			if top := &stack[len(stack)-1]; top.object && top.wantKey {
				if key, ok := tok.(string); ok {
					top.key, top.wantKey = key, false
					continue
				}
			}
		}
		switch t := tok.(type) {
		case json.Delim:
			if t == '{' || t == '[' {
				stack = append(stack, frame{object: t == '{', wantKey: t == '{', index: 0})
				continue
			}
			stack = stack[:len(stack)-1]
		case json.Number:
			if p := numberProblem(string(t)); p != "" {
				return fmt.Errorf("%s: %s", path(), p)
			}
		}
		// A value ended: its container moves on.
		if len(stack) > 0 {
			top := &stack[len(stack)-1]
			if top.object {
				top.wantKey = true
			} else {
				top.index++
			}
		}
	}
}

// yamlNumber matches a plain YAML scalar that reads as a number.
var yamlNumber = regexp.MustCompile(`^[-+]?(\.[0-9_]+|[0-9][0-9_]*(\.[0-9_]*)?|0x[0-9a-fA-F_]+|0o[0-7_]+)([eE][-+]?[0-9]+)?$`)

// checkYAMLNumbers refuses the numbers of a YAML document that
// numberProblem refuses, naming the field and the line.
func checkYAMLNumbers(n *yaml.Node, path []string) error {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			if err := checkYAMLNumbers(c, path); err != nil {
				return err
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if err := checkYAMLNumbers(n.Content[i+1], append(path, n.Content[i].Value)); err != nil {
				return err
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if err := checkYAMLNumbers(c, append(path, strconv.Itoa(i))); err != nil {
				return err
			}
		}
	case yaml.ScalarNode:
		if n.Style == 0 && yamlNumber.MatchString(n.Value) {
			if p := numberProblem(n.Value); p != "" {
				return fmt.Errorf("%s (line %d): %s", fieldPath(path), n.Line, p)
			}
		}
	}
	return nil
}

// fieldPath writes a field's path as the configuration's errors do:
// limits/max_streams.
func fieldPath(parts []string) string {
	if len(parts) == 0 {
		return "(top level)"
	}
	return strings.Join(parts, "/")
}
