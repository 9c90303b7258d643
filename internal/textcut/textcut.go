// Package textcut shortens text that goes into logs, journals, messages and
// reports: on a character's edge, saying how long the whole text was.
package textcut

import (
	"strconv"
	"unicode/utf8"
)

// Cut returns s when it is at most limit bytes long. Otherwise it returns
// the longest prefix of s that ends on a UTF-8 character's edge within
// limit bytes, followed by "...[cut: N bytes]", N being len(s).
func Cut(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	n := max(limit, 0)
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "...[cut: " + strconv.Itoa(len(s)) + " bytes]"
}
