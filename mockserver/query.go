package mockserver

import (
	"net/url"
	"slices"
	"strings"
	"unsafe"

	"github.com/deskmock/deskmock/mockserver/codes"
	"github.com/deskmock/deskmock/mockserver/internal/fastpath"
	"github.com/deskmock/deskmock/schemas"
)

// queryParams are the parameters every IM REST call carries.
var queryParams = [...]string{"sdkappid", "identifier", "usersig", "random", "contenttype"}

// imQuery holds the IM REST parameters of a query string, URL-decoded, in
// the order of queryParams; a parameter not given is "".
type imQuery [len(queryParams)]string

// Indexes of imQuery.
const (
	qSDKAppID = iota
	qIdentifier
	qUserSig
	qRandom
	qContentType
)

// parseIMQuery reads the IM REST parameters of a raw query string; a query
// that does not parse, or gives one of them twice, fails the query check.
// It reads a query as net/url would, without net/url's map, and unescapes
// only the values it keeps; a query with a ';', an escaped name or a bad
// escape is left to net/url (parseIMQueryURL), whose verdict stands.
func parseIMQuery(raw string) (imQuery, verdict) {
	if strings.IndexByte(raw, ';') >= 0 || strings.Count(raw, "&") >= maxPlainQueryParams {
		return parseIMQueryURL(raw)
	}
	var q imQuery
	var given [len(queryParams)]int
	for rest := raw; rest != ""; {
		var pair string
		pair, rest, _ = strings.Cut(rest, "&")
		key, value, _ := strings.Cut(pair, "=")
		if hasEscapes(key) {
			return parseIMQueryURL(raw)
		}
		i := slices.Index(queryParams[:], key)
		if i >= 0 {
			given[i]++
		}
		if hasEscapes(value) {
			v, ok := unescapeValue(value)
			if !ok {
				return parseIMQueryURL(raw)
			}
			value = v
		}
		if i >= 0 && given[i] == 1 {
			q[i] = value
		}
	}
	for i, n := range given {
		if n > 1 {
			return imQuery{}, fail(codes.CheckQuery, queryParams[i]+" is given more than once")
		}
	}
	return q, verdict{}
}

// hasEscapes reports whether a part of a query has anything to unescape; two
// IndexByte are many times faster than ContainsAny's byte loop on a
// UserSig.
func hasEscapes(s string) bool {
	return strings.IndexByte(s, '%') >= 0 || strings.IndexByte(s, '+') >= 0
}

// unescapeValue is url.QueryUnescape in one pass and one allocation
// ('+' is a space, %XX a byte): net/url builds its result a byte at a
// time, a microsecond on a UserSig, which clients escape ('*' as %2A) in
// about one token in five. ok is false on a bad escape, which net/url then
// reports.
func unescapeValue(s string) (string, bool) {
	b := make([]byte, 0, len(s))
	for s != "" {
		i := strings.IndexByte(s, '%')
		if i < 0 {
			i = len(s)
		}
		for run := s[:i]; run != ""; {
			j := strings.IndexByte(run, '+')
			if j < 0 {
				b = append(b, run...)
				break
			}
			b = append(append(b, run[:j]...), ' ')
			run = run[j+1:]
		}
		if i == len(s) {
			break
		}
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			return "", false
		}
		b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
		s = s[i+3:]
	}
	return unsafe.String(unsafe.SliceData(b), len(b)), true // b is not written again
}

// unhex is the value of a hexadecimal digit.
func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// maxPlainQueryParams is how many parameters parseIMQuery reads itself,
// far below net/url's limit.
const maxPlainQueryParams = 64

// parseIMQueryURL is parseIMQuery by net/url.
func parseIMQueryURL(raw string) (imQuery, verdict) {
	var q imQuery
	all, err := url.ParseQuery(raw)
	if err != nil {
		return q, fail(codes.CheckQuery, "the query does not parse: "+err.Error())
	}
	for i, name := range queryParams {
		if len(all[name]) > 1 {
			return q, fail(codes.CheckQuery, name+" is given more than once")
		}
		q[i] = all.Get(name)
	}
	return q, verdict{}
}

// validateQuery checks the parameters against the query schema
// (schemas.QueryFile), once random and contenttype passed their checks:
// when fastpath.QueryAccepted does not accept them, the JSON Schema library
// says why.
func validateQuery(q *imQuery) error {
	if fastpath.QueryAccepted(q[qSDKAppID], q[qIdentifier], q[qUserSig]) {
		return nil
	}
	qv := make(map[string]any, len(queryParams))
	for i, name := range queryParams {
		qv[name] = q[i]
	}
	return schemas.Must(schemas.QueryFile).Validate(qv)
}
