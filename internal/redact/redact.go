// Package redact hides credentials in what deskmock records: the UserSig of
// a query string, in every spelling a server could take for it.
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
// percent-decoded and in any case (%75sersig, USERSIG): a client that
// writes it so still sends its credential.
func Query(raw string) string {
	var b []byte
	done := 0 // raw[:done] is in b
	for i := 0; i < len(raw); {
		end := strings.IndexAny(raw[i:], "&;")
		if end < 0 {
			end = len(raw)
		} else {
			end += i
		}
		part := raw[i:end]
		if eq := strings.IndexByte(part, '='); eq >= 0 && part[eq+1:] != Placeholder && IsUserSigName(part[:eq]) {
			b = append(b, raw[done:i+eq+1]...)
			b = append(b, Placeholder...)
			done = end
		}
		i = end + 1
	}
	if b == nil {
		return raw
	}
	return string(append(b, raw[done:]...))
}

// IsUserSigName reports whether a raw (still escaped) query parameter name
// means usersig.
func IsUserSigName(name string) bool {
	if len(name) == len("usersig") {
		return strings.EqualFold(name, "usersig")
	}
	if strings.IndexByte(name, '%') < 0 && strings.IndexByte(name, '+') < 0 {
		return false
	}
	n, err := url.QueryUnescape(name)
	return err == nil && strings.EqualFold(n, "usersig")
}
