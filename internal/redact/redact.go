// Package redact hides credentials in what deskmock writes out: the value
// of a usersig query parameter, in every spelling a server or a careless
// client could give it (Query), and any UserSig wherever it stands in text
// (Text, Bytes).
package redact

import (
	"net/url"
	"strings"
)

// Placeholder replaces a redacted value.
const Placeholder = "REDACTED"

// Query returns raw with the value of every usersig parameter replaced by
// Placeholder. Parameters are split at '&' and at ';' (older servers, and
// some proxies, take ';' as a separator), and a name is usersig once
// percent-decoded, trimmed of spaces, stripped of a "[]" or "[KEY]"
// suffix and in any case (%75sersig, USERSIG, "usersig+", usersig[]): a
// client that writes it so still sends its credential. A parameter whose
// '=' is itself escaped ("usersig%3D...") has the rest redacted too.
func Query(raw string) string {
	b, done := appendRedacted(nil, raw)
	if b == nil {
		return raw
	}
	return string(append(b, raw[done:]...))
}

// AppendQuery appends Query(raw) to dst and returns the extended buffer.
func AppendQuery(dst []byte, raw string) []byte {
	dst, done := appendRedacted(dst, raw)
	return append(dst, raw[done:]...)
}

// appendRedacted appends raw to dst up to the end of its last usersig
// value, each usersig value replaced by Placeholder; done is how much of
// raw that is. With no usersig value it appends nothing.
func appendRedacted(dst []byte, raw string) (out []byte, done int) {
	semi := -1 // the first ';' at or after i, or len(raw)
	for i := 0; i < len(raw); {
		if semi < i {
			semi = indexFrom(raw, i, ';')
		}
		end := min(indexFrom(raw, i, '&'), semi)
		part := raw[i:end]
		eq := strings.IndexByte(part, '=')
		value := eq + 1
		if eq < 0 {
			eq = indexFold(part, "%3D")
			value = eq + 3
		}
		if eq >= 0 && part[value:] != Placeholder && IsUserSigName(part[:eq]) {
			dst = append(dst, raw[done:i+value]...)
			dst = append(dst, Placeholder...)
			done = end
		}
		i = end + 1
	}
	return dst, done
}

// IsUserSigName reports whether a raw (still escaped) query parameter name
// means usersig: percent-decoded ('+' a space), trimmed of spaces, without
// a "[...]" suffix, and in any case.
func IsUserSigName(name string) bool {
	if len(name) == len("usersig") {
		return strings.EqualFold(name, "usersig")
	}
	if len(name) < len("usersig") || !mayBeSpelledOtherwise(name) {
		return false
	}
	n, err := url.QueryUnescape(name)
	if err != nil {
		return false
	}
	n = strings.TrimSpace(n)
	if strings.HasSuffix(n, "]") {
		if open := strings.LastIndexByte(n, '['); open >= 0 {
			n = strings.TrimSpace(n[:open])
		}
	}
	return strings.EqualFold(n, "usersig")
}

// mayBeSpelledOtherwise reports whether name holds a byte that another
// spelling of usersig would: an escape, a space ('+', ' ', '\t') or a
// bracket.
func mayBeSpelledOtherwise(name string) bool {
	for i := 0; i < len(name); i++ {
		switch name[i] {
		case '%', '+', '[', ' ', '\t':
			return true
		}
	}
	return false
}

// indexFrom returns the index of the first c in s at or after i, or
// len(s).
func indexFrom(s string, i int, c byte) int {
	if n := strings.IndexByte(s[i:], c); n >= 0 {
		return i + n
	}
	return len(s)
}

// indexFold returns the index of the first occurrence of sub (upper-case
// ASCII) in s in any case, or -1.
func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}
