// Package shellquote quotes words for a POSIX shell, for the commands that
// deskmock prints for a user to paste.
package shellquote

import "strings"

// Quote returns s as one single-quoted POSIX shell word.
func Quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
