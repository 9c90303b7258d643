package fastpath

import "encoding/json"

// DecodeObject decodes s as encoding/json with UseNumber decodes it into
// an any, when s is one JSON object whose values are strings without
// escapes or integers, with nothing but whitespace around it: the bodies
// v1 clients send. ok is false for anything else, valid or not. s must be
// valid UTF-8. The strings share s's memory.
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
		if end = scanString(s, i); end > 0 {
			m[key] = s[i+1 : end-1]
		} else if end = scanInteger(s, i); end > 0 {
			m[key] = json.Number(s[i:end])
		} else {
			return nil, false // another kind of value, or not JSON
		}
		i = skipSpace(s, end)
		switch {
		case i < len(s) && s[i] == ',':
			i = skipSpace(s, i+1)
		case i < len(s) && s[i] == '}':
			return m, skipSpace(s, i+1) == len(s)
		default:
			return nil, false
		}
	}
}

// skipSpace returns the index of the first byte at or after i that is not
// JSON whitespace.
func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// scanString returns the index just past the JSON string at s[i], or -1
// when there is none, or it holds an escape or a control character.
func scanString(s string, i int) int {
	if i == len(s) || s[i] != '"' {
		return -1
	}
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

// scanInteger returns the index just past the digits of the JSON integer
// at s[i], -?(0|[1-9][0-9]*), or -1 when there is none. A fraction or an
// exponent that follows is no separator, so DecodeObject says no.
func scanInteger(s string, i int) int {
	if i < len(s) && s[i] == '-' {
		i++
	}
	j := i
	for j < len(s) && '0' <= s[j] && s[j] <= '9' {
		j++
	}
	if j == i || s[i] == '0' && j > i+1 {
		return -1
	}
	return j
}
