package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// diffContext is how many unchanged lines a diff shows around a change.
const diffContext = 2

// maxDiffCells bounds the work of a line diff; larger inputs are shown
// whole, want then got.
const maxDiffCells = 4 << 20

// diff returns a (-want +got) diff of want and got written as indented
// JSON, so that fields carry the names of the protocol (their json tags)
// and never a Go type name. It returns "" when they are equal.
func diff(want, got any) string {
	w, g := jsonLines(want), jsonLines(got)
	if slices.Equal(w, g) {
		return ""
	}
	return lineDiff(w, g)
}

// jsonLines writes v as JSON, one string per line: a slice as one compact
// element a line between brackets (no commas, so that an added element
// changes one line), anything else indented.
func jsonLines(v any) []string {
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Slice {
		lines := []string{"["}
		for i := 0; i < rv.Len(); i++ {
			lines = append(lines, "  "+jsonText(rv.Index(i).Interface(), ""))
		}
		return append(lines, "]")
	}
	return strings.Split(jsonText(v, "  "), "\n")
}

// jsonText writes v as JSON, HTML characters unescaped, indented by indent
// ("" for compact).
func jsonText(v any, indent string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", indent)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprintf("(not JSON: %v)", err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// lineDiff returns the lines of a and b marked "- " (only in a), "+ " (only
// in b) or "  " (in both), from a longest common subsequence; runs of more
// than 2*diffContext unchanged lines are elided.
func lineDiff(a, b []string) string {
	type op struct {
		mark byte
		line string
	}
	var ops []op
	if (len(a)+1)*(len(b)+1) > maxDiffCells {
		for _, l := range a {
			ops = append(ops, op{'-', l})
		}
		for _, l := range b {
			ops = append(ops, op{'+', l})
		}
	} else {
		// lcs[i][j] is the length of the longest common subsequence of
		// a[i:] and b[j:].
		lcs := make([][]int, len(a)+1)
		for i := range lcs {
			lcs[i] = make([]int, len(b)+1)
		}
		for i := len(a) - 1; i >= 0; i-- {
			for j := len(b) - 1; j >= 0; j-- {
				if a[i] == b[j] {
					lcs[i][j] = lcs[i+1][j+1] + 1
				} else {
					lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
				}
			}
		}
		i, j := 0, 0
		for i < len(a) || j < len(b) {
			switch {
			case i < len(a) && j < len(b) && a[i] == b[j]:
				ops = append(ops, op{' ', a[i]})
				i, j = i+1, j+1
			case i < len(a) && (j == len(b) || lcs[i+1][j] >= lcs[i][j+1]):
				ops = append(ops, op{'-', a[i]})
				i++
			default:
				ops = append(ops, op{'+', b[j]})
				j++
			}
		}
	}
	var out strings.Builder
	for k := 0; k < len(ops); {
		if ops[k].mark != ' ' {
			fmt.Fprintf(&out, "%c %s\n", ops[k].mark, ops[k].line)
			k++
			continue
		}
		end := k
		for end < len(ops) && ops[end].mark == ' ' {
			end++
		}
		head, tail := diffContext, diffContext
		if k == 0 {
			head = 0
		}
		if end == len(ops) {
			tail = 0
		}
		if end-k <= head+tail+1 {
			head, tail = end-k, 0
		}
		for _, o := range ops[k : k+head] {
			fmt.Fprintf(&out, "  %s\n", o.line)
		}
		if n := end - k - head - tail; n > 0 {
			fmt.Fprintf(&out, "  ... (%d identical lines)\n", n)
		}
		for _, o := range ops[end-tail : end] {
			fmt.Fprintf(&out, "  %s\n", o.line)
		}
		k = end
	}
	return out.String()
}
