package fastpath

import "unicode/utf8"

// QueryAccepted reports whether the query schema (schemas.QueryFile)
// accepts a query with these parameters, whose random and contenttype
// passed the pipeline's own checks already (a decimal integer in
// 0..4294967295; "json"): sdkappid of 1 to 20 digits, identifier of 1 to
// 128 characters, usersig not empty.
func QueryAccepted(sdkappid, identifier, usersig string) bool {
	if n := len(sdkappid); n < 1 || n > 20 {
		return false
	}
	for i := 0; i < len(sdkappid); i++ {
		if sdkappid[i] < '0' || sdkappid[i] > '9' {
			return false
		}
	}
	if n := utf8.RuneCountInString(identifier); n < 1 || n > 128 {
		return false
	}
	return usersig != ""
}
