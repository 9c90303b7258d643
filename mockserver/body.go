package mockserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/deskmock/deskmock/schemas"
)

// bodyBuffers pools the buffers bodies are read into.
var bodyBuffers = sync.Pool{New: func() any { return new([]byte) }}

// readBodyText reads at most limit+1 bytes of the body, never more;
// tooLarge reports a body longer than limit. Of an over-limit body it
// returns the first bytes read (at most tooLargePrefix), and size is its
// Content-Length or, when unknown, the bytes read. The body is read into a
// pooled buffer: the string returned is the only allocation.
func readBodyText(r *http.Request, limit int) (body string, size int64, tooLarge bool, err error) {
	if r.ContentLength > int64(limit) {
		prefix := make([]byte, min(limit+1, tooLargePrefix))
		n, _ := io.ReadFull(r.Body, prefix)
		return string(prefix[:n]), r.ContentLength, true, nil
	}
	capacity := limit + 1
	if r.ContentLength >= 0 {
		capacity = int(r.ContentLength) + 1
	}
	bp := bodyBuffers.Get().(*[]byte)
	defer bodyBuffers.Put(bp)
	if cap(*bp) < capacity {
		*bp = make([]byte, capacity)
	}
	// The buffer holds at most limit+1 bytes, so no more is ever read.
	buf := (*bp)[:capacity]
	n, err := io.ReadFull(r.Body, buf)
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		err = nil
	}
	if n > limit {
		return string(buf[:min(n, tooLargePrefix)]), int64(n), true, nil
	}
	return string(buf[:n]), int64(n), false, err
}

// tooLargePrefix is how much of an over-limit body the journal keeps.
const tooLargePrefix = 1024

// decodeJSON decodes a body that must be exactly one JSON value in valid
// UTF-8, numbers kept as json.Number.
func decodeJSON(body []byte) (any, error) {
	if !utf8.Valid(body) {
		return nil, errNotUTF8
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON value")
	}
	return v, nil
}

// errNotUTF8 is decodeJSON's error for a body that is not valid UTF-8.
var errNotUTF8 = errors.New("the body is not valid UTF-8")

// decodeBody is decodeJSON for a body held as a string. The common body, a
// flat object of strings, numbers, booleans and nulls, is decoded in one
// pass with no copy of the text, into m when it is not nil (m is cleared
// first); anything else, and every error, goes through decodeJSON, so both
// give the same value and the same error.
func decodeBody(body string, m map[string]any) (any, error) {
	if !utf8.ValidString(body) {
		return nil, errNotUTF8
	}
	if m, ok := decodeFlatObject(body, m); ok {
		return m, nil
	}
	return decodeJSON([]byte(body))
}

// decodeFlatObject decodes s when it is one JSON object whose values are
// strings, numbers, booleans or null, with unescaped keys, and nothing but
// whitespace around it, into what encoding/json with UseNumber decodes
// (TestDecodeFlatObjectAgrees and FuzzDecodeFlatObject check it). ok is
// false for anything else, valid or not. s must be valid UTF-8. Strings
// without escapes share s's memory. The object is decoded into m, cleared
// first, or into a new map when m is nil.
func decodeFlatObject(s string, m map[string]any) (map[string]any, bool) {
	i := skipSpace(s, 0)
	if i == len(s) || s[i] != '{' {
		return nil, false
	}
	if m == nil {
		m = make(map[string]any, 4)
	} else {
		clear(m)
	}
	i = skipSpace(s, i+1)
	if i < len(s) && s[i] == '}' {
		return m, skipSpace(s, i+1) == len(s)
	}
	for {
		if i == len(s) || s[i] != '"' {
			return nil, false
		}
		end, escaped := scanString(s, i)
		if end < 0 || escaped {
			return nil, false
		}
		key := knownKey(s[i+1 : end-1])
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
			end, escaped = scanString(s, i)
			if end < 0 {
				return nil, false
			}
			if escaped {
				str, ok := unquoteEscaped(s[i+1 : end-1])
				if !ok {
					return nil, false
				}
				v = str
			} else {
				v = s[i+1 : end-1]
			}
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

// knownKey returns the request's field names as constants, so that decoding
// them allocates nothing, and other keys as they are.
func knownKey(k string) string {
	switch k {
	case "SessionId":
		return "SessionId"
	case "Chunk":
		return "Chunk"
	case "MsgKey":
		return "MsgKey"
	case "Finish":
		return "Finish"
	case "CloudCustomData":
		return "CloudCustomData"
	}
	return k
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
// (a quote), and whether it holds escapes; end is -1 when it is not a
// well-formed string: a control character, a bad escape, no closing quote.
func scanString(s string, i int) (end int, escaped bool) {
	for j := i + 1; j < len(s); j++ {
		if !stringSpecial[s[j]] {
			continue
		}
		switch c := s[j]; {
		case c == '"':
			return j + 1, escaped
		case c == '\\':
			escaped = true
			if j+1 == len(s) {
				return -1, false
			}
			switch s[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j++
			case 'u':
				if len(s)-j < 6 || !isHex(s[j+2]) || !isHex(s[j+3]) || !isHex(s[j+4]) || !isHex(s[j+5]) {
					return -1, false
				}
				j += 5
			default:
				return -1, false
			}
		case c < 0x20:
			return -1, false
		}
	}
	return -1, false
}

// stringSpecial marks the bytes scanString looks at: the quote, the
// backslash and the control characters.
var stringSpecial = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

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

// unquoteEscaped decodes the content of a JSON string checked by scanString
// as encoding/json does: a lone or broken surrogate escape becomes U+FFFD.
func unquoteEscaped(s string) (string, bool) {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			b = append(b, c)
			i++
			continue
		}
		if i+1 == len(s) {
			return "", false
		}
		switch s[i+1] {
		case '"', '\\', '/':
			b = append(b, s[i+1])
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r := hex4(s, i+2)
			if r < 0 {
				return "", false
			}
			i += 6
			if utf16.IsSurrogate(r) {
				if r2 := hex4(s, i+2); r2 >= 0 && s[i] == '\\' && s[i+1] == 'u' {
					if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
						b = utf8.AppendRune(b, d)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			b = utf8.AppendRune(b, r)
			continue
		default:
			return "", false
		}
		i += 2
	}
	return string(b), true
}

// hex4 reads four hexadecimal digits at s[i:], or returns -1.
func hex4(s string, i int) rune {
	if i < 0 || len(s)-i < 4 {
		return -1
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// validateRequest checks a decoded body against the request schema
// (schemas.RequestFile). A value that the schema's compiled form vouches for
// is valid; every other value is validated by the JSON Schema library, whose
// verdict and message stand.
func validateRequest(v any) error {
	if fs := requestSchema(); fs != nil && fs.accepts(v) {
		return nil
	}
	return schemas.Must(schemas.RequestFile).Validate(v)
}

// requestSchema is the request schema compiled by compileQuickSchema, or
// nil when it uses a keyword that compileQuickSchema does not know.
var requestSchema = sync.OnceValue(func() *quickSchema {
	src, err := schemas.Source(schemas.RequestFile)
	if err != nil {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil
	}
	s, err := compileQuickSchema(doc)
	if err != nil {
		return nil
	}
	return s
})

// quickSchema is a JSON Schema that uses only type, required, properties
// and enum (with annotations), compiled to answer one question fast: does
// the JSON Schema library accept a value for certain? accepts says yes only
// when every keyword holds by plain comparison: a string equal to an enum
// string, an integer written with digits only. Everything else, such as
// Finish 1.0, which the library compares as numbers, gets no, and the
// caller asks the library.
type quickSchema struct {
	types    []string
	required []string
	props    []quickProp
	enum     []any // strings and json.Number
}

type quickProp struct {
	name   string
	schema *quickSchema
}

// compileQuickSchema compiles a schema document decoded with UseNumber. It
// fails on any keyword it does not know, and on a shape it does not expect.
func compileQuickSchema(doc any) (*quickSchema, error) {
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("schema %v is not an object", doc)
	}
	s := &quickSchema{}
	for k, v := range obj {
		switch k {
		case "$schema", "$id", "$comment", "title", "description", "examples", "default", "deprecated", "readOnly", "writeOnly":
		case "type":
			switch t := v.(type) {
			case string:
				s.types = []string{t}
			case []any:
				for _, e := range t {
					name, ok := e.(string)
					if !ok {
						return nil, fmt.Errorf("type %v", v)
					}
					s.types = append(s.types, name)
				}
			default:
				return nil, fmt.Errorf("type %v", v)
			}
			for _, t := range s.types {
				switch t {
				case "object", "array", "string", "integer", "number", "boolean", "null":
				default:
					return nil, fmt.Errorf("type %q", t)
				}
			}
		case "required":
			list, ok := v.([]any)
			if !ok {
				return nil, fmt.Errorf("required %v", v)
			}
			for _, e := range list {
				name, ok := e.(string)
				if !ok {
					return nil, fmt.Errorf("required %v", v)
				}
				s.required = append(s.required, name)
			}
		case "properties":
			props, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("properties %v", v)
			}
			for name, sub := range props {
				ps, err := compileQuickSchema(sub)
				if err != nil {
					return nil, fmt.Errorf("properties/%s: %w", name, err)
				}
				s.props = append(s.props, quickProp{name, ps})
			}
		case "enum":
			list, ok := v.([]any)
			if !ok || len(list) == 0 {
				return nil, fmt.Errorf("enum %v", v)
			}
			for _, e := range list {
				switch e.(type) {
				case string, json.Number:
				default:
					return nil, fmt.Errorf("enum item %v", e)
				}
			}
			s.enum = list
		default:
			return nil, fmt.Errorf("keyword %q", k)
		}
	}
	return s, nil
}

// accepts reports whether v certainly satisfies the schema.
func (s *quickSchema) accepts(v any) bool {
	if len(s.types) > 0 && !s.typeAccepts(v) {
		return false
	}
	if len(s.enum) > 0 && !s.enumAccepts(v) {
		return false
	}
	if m, ok := v.(map[string]any); ok {
		if len(s.required) > 64 {
			return false
		}
		// Walk the object's few members rather than look each property up.
		var found uint64 // bit i: required[i] is present
		for k, pv := range m {
			for i := range s.props {
				if s.props[i].name == k {
					if !s.props[i].schema.accepts(pv) {
						return false
					}
					break
				}
			}
			for i, name := range s.required {
				if name == k {
					found |= 1 << i
				}
			}
		}
		if found != 1<<len(s.required)-1 {
			return false
		}
	}
	return true
}

func (s *quickSchema) typeAccepts(v any) bool {
	for _, t := range s.types {
		switch v := v.(type) {
		case map[string]any:
			if t == "object" {
				return true
			}
		case []any:
			if t == "array" {
				return true
			}
		case string:
			if t == "string" {
				return true
			}
		case bool:
			if t == "boolean" {
				return true
			}
		case nil:
			if t == "null" {
				return true
			}
		case json.Number:
			if t == "number" || t == "integer" && plainInteger(string(v)) {
				return true
			}
		}
	}
	return false
}

func (s *quickSchema) enumAccepts(v any) bool {
	for _, e := range s.enum {
		switch e := e.(type) {
		case string:
			if sv, ok := v.(string); ok && sv == e {
				return true
			}
		case json.Number:
			if nv, ok := v.(json.Number); ok && nv == e {
				return true
			}
		}
	}
	return false
}

// plainInteger reports whether a JSON number is written as an integer: an
// optional minus and digits only.
func plainInteger(n string) bool {
	if len(n) > 0 && n[0] == '-' {
		n = n[1:]
	}
	if n == "" {
		return false
	}
	for i := 0; i < len(n); i++ {
		if n[i] < '0' || n[i] > '9' {
			return false
		}
	}
	return true
}
