package fastpath

import (
	"encoding/json"
)

// DecodeObject decodes s as encoding/json with UseNumber decodes it into
// an any, when s is one JSON object whose values are strings without
// escapes, numbers, booleans or null, with nothing but whitespace around
// it. ok is false for anything else, valid or not. s must be valid UTF-8.
// The strings share s's memory.
func DecodeObject(s string) (m map[string]any, ok bool) {
	i := skipSpace(s, 0)
	if i == len(s) || s[i] != '{' {
		return nil, false
	}
	m = make(map[string]any, 4)
	i = skipSpace(s, i+1)
	if i < len(s) && s[i] == '}' {
		return m, skipSpace(s, i+1) == len(s)
	}
	for {
		if i == len(s) || s[i] != '"' {
			return nil, false
		}
		end := scanString(s, i)
		if end < 0 {
			return nil, false
		}
		key := s[i+1 : end-1]
		i = skipSpace(s, end)
		if i == len(s) || s[i] != ':' {
			return nil, false
		}
		i = skipSpace(s, i+1)
		if i == len(s) {
			return nil, false
		}
		var v any
		switch c := s[i]; {
		case c == '"':
			end = scanString(s, i)
			if end < 0 {
				return nil, false
			}
			v = s[i+1 : end-1]
		case c == '-' || '0' <= c && c <= '9':
			end = scanNumber(s, i)
			if end < 0 {
				return nil, false
			}
			v = json.Number(s[i:end])
		case hasWord(s, i, "true"):
			v, end = true, i+4
		case hasWord(s, i, "false"):
			v, end = false, i+5
		case hasWord(s, i, "null"):
			v, end = nil, i+4
		default: // an object, an array, or not JSON
			return nil, false
		}
		m[key] = v
		i = skipSpace(s, end)
		if i == len(s) {
			return nil, false
		}
		switch s[i] {
		case ',':
			i = skipSpace(s, i+1)
			continue
		case '}':
			return m, skipSpace(s, i+1) == len(s)
		}
		return nil, false
	}
}

// skipSpace returns the index of the first byte at or after i that is not
// JSON whitespace.
func skipSpace(s string, i int) int {
	for i < len(s) {
		switch s[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

func hasWord(s string, i int, w string) bool {
	return len(s)-i >= len(w) && s[i:i+len(w)] == w
}

// scanString returns the index just past the JSON string starting at s[i]
// (a quote), or -1 when it holds an escape or a control character, or has
// no closing quote.
func scanString(s string, i int) int {
	for j := i + 1; j < len(s); j++ {
		switch c := s[j]; {
		case c == '"':
			return j + 1
		case c == '\\' || c < 0x20:
			return -1
		}
	}
	return -1
}

// scanNumber returns the index just past the JSON number starting at s[i],
// or -1 when it is not one: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func scanNumber(s string, i int) int {
	digits := func(i int) int {
		j := i
		for j < len(s) && '0' <= s[j] && s[j] <= '9' {
			j++
		}
		return j
	}
	if s[i] == '-' {
		i++
	}
	switch {
	case i == len(s):
		return -1
	case s[i] == '0':
		i++
	case '1' <= s[i] && s[i] <= '9':
		i = digits(i)
	default:
		return -1
	}
	if i < len(s) && s[i] == '.' {
		j := digits(i + 1)
		if j == i+1 {
			return -1
		}
		i = j
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := digits(i)
		if j == i {
			return -1
		}
		i = j
	}
	return i
}
