package fastpath

import (
	"strings"
	"unicode/utf8"
)

// IMParams are the parameters every IM REST call carries, in the order of
// IMQuery.
var IMParams = [...]string{"sdkappid", "identifier", "usersig", "random", "contenttype"}

// IMQuery holds the IM REST parameters of a query string, URL-decoded, in
// the order of IMParams; a parameter not given is "".
type IMQuery [len(IMParams)]string

// maxParams bounds the parameters ReadIMQuery reads; past it,
// url.ParseQuery's own limit decides.
const maxParams = 64

// ReadIMQuery reads the IM REST parameters of a raw query string as
// url.ParseQuery reads them. ok is false when raw has a semicolon, an
// escaped key, a bad escape, one of IMParams given twice, or more than
// maxParams parameters: the caller then asks url.ParseQuery. Values
// without escapes share raw's memory.
func ReadIMQuery(raw string) (q IMQuery, ok bool) {
	var seen uint
	for params := 0; raw != ""; params++ {
		if params == maxParams {
			return q, false
		}
		var seg string
		seg, raw, _ = strings.Cut(raw, "&")
		if seg == "" {
			continue
		}
		if strings.IndexByte(seg, ';') >= 0 {
			return q, false
		}
		key, value, _ := strings.Cut(seg, "=")
		if hasEscapes(key) || !validEscapes(value) {
			return q, false
		}
		i := paramIndex(key)
		if i < 0 {
			continue
		}
		if seen&(1<<i) != 0 {
			return q, false // given twice
		}
		seen |= 1 << i
		if hasEscapes(value) {
			value = unescape(value)
		}
		q[i] = value
	}
	return q, true
}

// paramIndex returns the index in IMParams of a parameter's name, or -1.
func paramIndex(name string) int {
	for i := range IMParams {
		if IMParams[i] == name {
			return i
		}
	}
	return -1
}

// hasEscapes reports whether a query component has a '%' or a '+'.
func hasEscapes(s string) bool {
	return strings.IndexByte(s, '%') >= 0 || strings.IndexByte(s, '+') >= 0
}

// validEscapes reports whether every % in s starts an escape of two
// hexadecimal digits, as url.QueryUnescape requires.
func validEscapes(s string) bool {
	for i := strings.IndexByte(s, '%'); i >= 0; i = strings.IndexByte(s, '%') {
		if len(s) < i+3 || !isHex(s[i+1]) || !isHex(s[i+2]) {
			return false
		}
		s = s[i+3:]
	}
	return true
}

// unescape decodes a query component with valid escapes as
// url.QueryUnescape does: %XX is the byte 0xXX and '+' a space.
func unescape(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '%':
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		case '+':
			b = append(b, ' ')
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// Accepted reports whether the query schema (schemas.QueryFile) accepts
// q, for a q whose random and contenttype passed the pipeline's own checks
// already (a decimal integer in 0..4294967295; "json"): it checks the rest
// of the schema, sdkappid of 1 to 20 digits, identifier of 1 to 128
// characters, usersig not empty.
func (q *IMQuery) Accepted() bool {
	sdkappid := q[0]
	if n := len(sdkappid); n < 1 || n > 20 {
		return false
	}
	for i := 0; i < len(sdkappid); i++ {
		if sdkappid[i] < '0' || sdkappid[i] > '9' {
			return false
		}
	}
	if n := utf8.RuneCountInString(q[1]); n < 1 || n > 128 {
		return false
	}
	return q[2] != ""
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
