package mockserver

import (
	"strings"
	"unicode/utf8"

	"github.com/deskmock/deskmock/schemas"
)

// queryParams are the parameters every IM REST call carries.
var queryParams = [...]string{"sdkappid", "identifier", "usersig", "random", "contenttype"}

// imQuery holds the IM REST parameters of a query string, URL-decoded, in
// the order of queryParams; a parameter not given is "". The UserSig may be
// kept as sent, escapes and all, when sigEscaped says so: userSig decodes
// it.
type imQuery struct {
	v          [len(queryParams)]string
	sigEscaped bool
}

// userSig appends the decoded UserSig to dst.
func (q *imQuery) userSig(dst []byte) []byte {
	if !q.sigEscaped {
		return append(dst, q.v[qUserSig]...)
	}
	return appendUnescaped(dst, q.v[qUserSig])
}

// decoded returns the parameters, all URL-decoded.
func (q *imQuery) decoded() [len(queryParams)]string {
	v := q.v
	if q.sigEscaped {
		v[qUserSig] = string(q.userSig(nil))
	}
	return v
}

// Indexes of imQuery.
const (
	qSDKAppID = iota
	qIdentifier
	qUserSig
	qRandom
	qContentType
)

// paramIndex returns the index in queryParams of a parameter's name, or -1.
func paramIndex(name string) int {
	for i := range queryParams {
		if queryParams[i] == name {
			return i
		}
	}
	return -1
}

// maxQuickParams bounds the parameters parseIMQuery reads itself; past it,
// url.ParseQuery's own limit decides.
const maxQuickParams = 64

// parseIMQuery reads the IM REST parameters of a raw query string as
// url.ParseQuery does, when it can be sure of the outcome: ok is false when
// raw has a semicolon, an escaped key, a bad escape, a parameter of queryParams
// given twice, or more than maxQuickParams parameters, and the caller then
// parses with url.ParseQuery. Values without escapes share raw's memory.
func parseIMQuery(raw string) (q imQuery, ok bool) {
	var seen uint
	for params := 0; raw != ""; params++ {
		if params == maxQuickParams {
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
		if hasEscapes(key) {
			return q, false
		}
		i := paramIndex(key)
		if i < 0 {
			if !validEscapes(value) {
				return q, false
			}
			continue
		}
		if seen&(1<<i) != 0 {
			return q, false // given twice
		}
		seen |= 1 << i
		if hasEscapes(value) {
			if !validEscapes(value) {
				return q, false
			}
			if i == qUserSig {
				q.sigEscaped = true // decoded when looked up
			} else {
				value = string(appendUnescaped(nil, value))
			}
		}
		q.v[i] = value
	}
	return q, true
}

// hasEscapes reports whether a query component has a '%' or a '+'.
func hasEscapes(s string) bool {
	return strings.IndexByte(s, '%') >= 0 || strings.IndexByte(s, '+') >= 0
}

// appendUnescaped appends to dst the query component s decoded as
// url.QueryUnescape decodes it: %XX is the byte 0xXX and '+' a space. s
// must have valid escapes only (validEscapes).
func appendUnescaped(dst []byte, s string) []byte {
	if strings.IndexByte(s, '+') >= 0 {
		for i := 0; i < len(s); i++ {
			switch c := s[i]; c {
			case '%':
				dst = append(dst, unhex(s[i+1])<<4|unhex(s[i+2]))
				i += 2
			case '+':
				dst = append(dst, ' ')
			default:
				dst = append(dst, c)
			}
		}
		return dst
	}
	// Copy the runs between escapes whole: a UserSig has few.
	for {
		i := strings.IndexByte(s, '%')
		if i < 0 {
			return append(dst, s...)
		}
		dst = append(dst, s[:i]...)
		dst = append(dst, unhex(s[i+1])<<4|unhex(s[i+2]))
		s = s[i+3:]
	}
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

// queryAccepted is the query schema (schemas.QueryFile) written out as
// code: it reports whether the schema accepts the parameters.
// TestQueryAcceptedAgreesWithSchema checks them against each other.
func queryAccepted(q *imQuery) bool {
	sdkappid := q.v[qSDKAppID]
	if n := len(sdkappid); n < 1 || n > 20 {
		return false
	}
	for i := 0; i < len(sdkappid); i++ {
		if sdkappid[i] < '0' || sdkappid[i] > '9' {
			return false
		}
	}
	if n := utf8.RuneCountInString(q.v[qIdentifier]); n < 1 || n > 128 {
		return false
	}
	// An escaped UserSig is not empty once decoded either.
	return q.v[qUserSig] != "" && validRandom(q.v[qRandom]) && q.v[qContentType] == "json"
}

// validateQuery checks the parameters against the query schema; when
// queryAccepted does not accept them, the JSON Schema library says why.
func validateQuery(q *imQuery) error {
	if queryAccepted(q) {
		return nil
	}
	qv := make(map[string]any, len(queryParams))
	v := q.decoded()
	for i, name := range queryParams {
		qv[name] = v[i]
	}
	return schemas.Must(schemas.QueryFile).Validate(qv)
}
