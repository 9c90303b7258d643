package fastpath

import (
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth is encoding/json's bound on nesting: an object or array deeper
// is no JSON to it, nor to Decode.
const maxDepth = 10000

// scanner reads the JSON text s from i as encoding/json reads it; depth
// counts the objects and arrays i is in.
type scanner struct {
	s        string
	i, depth int
}

// value reads any value. Its kind is '{', '[', '"', '0' (a number), 'b' (a
// boolean) or 'n' (null); bad says it is not want. When it is, item reads
// each item of an object or array (with the member's name), and v is a
// string's text, a number as written, or "true" or "false".
func (s *scanner) value(want byte, item func(name string) bool) (v string, bad, ok bool) {
	kind, c := byte('b'), s.next()
	switch {
	case c == '"':
		kind = c
		v, ok = s.str()
	case c == '{' || c == '[':
		if kind = c; c != want {
			item = func(string) bool { _, _, ok := s.value(0, nil); return ok }
		}
		ok = s.items(item)
	case c == '-' || '0' <= c && c <= '9':
		kind = '0'
		v, ok = s.num()
	default:
		for _, lit := range [...]string{"true", "false", "null"} {
			if strings.HasPrefix(s.s[s.i:], lit) {
				v, ok, s.i = lit, true, s.i+len(lit)
				break
			}
		}
		if v == "null" {
			kind = 'n'
		}
	}
	if kind != want {
		v = ""
	}
	return v, kind != want, ok
}

// next skips whitespace and returns the byte at i, or 0 at the end (a NUL
// is no JSON anywhere).
func (s *scanner) next() byte {
	for i := s.i; i < len(s.s); i++ {
		if c := s.s[i]; c > ' ' || c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			s.i = i
			return c
		}
	}
	s.i = len(s.s)
	return 0
}

// to reads c when it is the byte after whitespace.
func (s *scanner) to(c byte) bool {
	if s.next() == c {
		s.i++
		return true
	}
	return false
}

// eat reads c when it is the byte at i.
func (s *scanner) eat(c byte) bool {
	if s.i < len(s.s) && s.s[s.i] == c {
		s.i++
		return true
	}
	return false
}

// items reads the items of the array or object at i with item.
func (s *scanner) items(item func(name string) bool) bool {
	end := s.s[s.i] + 2 // ']' is '[' + 2, '}' is '{' + 2
	if s.i, s.depth = s.i+1, s.depth+1; s.depth > maxDepth {
		return false
	}
	for more := s.next() != end; more; more = s.to(',') {
		name, ok := "", end == ']'
		if !ok && s.next() == '"' {
			name, ok = s.str()
			ok = ok && s.to(':')
		}
		if !ok || !item(name) {
			return false
		}
	}
	s.depth--
	return s.to(end)
}

// num reads the number at i, written as JSON's grammar says.
func (s *scanner) num() (string, bool) {
	start := s.i
	digits := func() bool {
		from := s.i
		for s.i < len(s.s) && '0' <= s.s[s.i] && s.s[s.i] <= '9' {
			s.i++
		}
		return s.i > from
	}
	s.eat('-')
	ok := s.eat('0') || digits()
	if ok && s.eat('.') {
		ok = digits()
	}
	if ok && (s.eat('e') || s.eat('E')) {
		_ = s.eat('+') || s.eat('-')
		ok = digits()
	}
	return s.s[start:s.i], ok
}

// str reads the string at i: a part of s unless it has escapes.
func (s *scanner) str() (string, bool) {
	var b []byte
	text, start := s.s, s.i+1
	for i := start; i < len(text); i++ {
		if c := text[i]; c == '"' {
			s.i = i + 1
			if b == nil {
				return text[start:i], true
			}
			return string(append(b, text[start:i]...)), true
		} else if c < ' ' {
			return "", false
		} else if c == '\\' {
			s.i = i
			r, n := s.escape()
			if n == 0 {
				return "", false
			}
			b = utf8.AppendRune(append(b, text[start:i]...), r)
			i += n - 1
			start = i + 1
		}
	}
	return "", false
}

// escape reads the escape at i, of n bytes (0: none), as encoding/json
// does: a pair of surrogates is one rune; a lone one stays a surrogate,
// which utf8.AppendRune writes as U+FFFD.
func (s *scanner) escape() (r rune, n int) {
	if s.i+1 < len(s.s) {
		if k := strings.IndexByte(`"\/bfnrt`, s.s[s.i+1]); k >= 0 {
			return rune("\"\\/\b\f\n\r\t"[k]), 2
		}
	}
	if r = s.u4(s.i); r < 0 {
		return 0, 0
	} else if pair := utf16.DecodeRune(r, s.u4(s.i+6)); pair != utf8.RuneError {
		return pair, 12
	}
	return r, 6
}

// u4 reads the \uXXXX at i, or returns -1.
func (s *scanner) u4(i int) rune {
	if i+6 <= len(s.s) && s.s[i] == '\\' && s.s[i+1] == 'u' {
		if v, err := strconv.ParseUint(s.s[i+2:i+6], 16, 16); err == nil {
			return rune(v)
		}
	}
	return -1
}
