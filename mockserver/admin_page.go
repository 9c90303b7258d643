package mockserver

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Pages of the admin API's lists (requests, sessions, faults): a request
// asks for limit items (DefaultPageSize unless given, at most MaxPageSize)
// and continues from the reply's next_cursor, given back as cursor. A page
// also stops, before its limit, once its items hold maxPageBytes, so no
// reply holds more than a bounded amount.
const (
	// DefaultPageSize is the items of a page when limit is not given.
	DefaultPageSize = 100
	// MaxPageSize is the largest limit a list takes.
	MaxPageSize = 1000
	// maxPageBytes is the text a page holds at most (one item more than
	// that is still listed alone).
	maxPageBytes = 8 << 20
)

// page is the reply of an admin list: its items and, when more remain, the
// cursor that continues it.
type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// pageQuery reads the limit and cursor of a list request; the cursor is the
// position it encodes for the list named list, "" when not given.
func pageQuery(r *http.Request, list string) (limit int, after string, err error) {
	q := r.URL.Query()
	limit = DefaultPageSize
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxPageSize {
			return 0, "", fmt.Errorf("limit: %s is not an integer in 1..%d", strconv.Quote(cut(v, 64)), MaxPageSize)
		}
		limit = n
	}
	if v := q.Get("cursor"); v != "" {
		if after, err = decodeCursor(list, v); err != nil {
			return 0, "", err
		}
	}
	return limit, after, nil
}

// encodeCursor makes the opaque cursor of a position in a list.
func encodeCursor(list, pos string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(list + ":" + pos))
}

// errBadCursor is the error of a cursor the list did not give.
var errBadCursor = errors.New("cursor: not a cursor of this list; give back the next_cursor of a reply unchanged")

// decodeCursor reads a cursor of the list named list.
func decodeCursor(list, c string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(c) > 256 {
		return "", errBadCursor
	}
	pos, ok := strings.CutPrefix(string(b), list+":")
	if !ok || pos == "" {
		return "", errBadCursor
	}
	return pos, nil
}

// allowParams answers 400, naming them, to requests with query parameters
// that next does not take.
func allowParams(next http.HandlerFunc, names ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.RawQuery == "" {
			next(w, r)
			return
		}
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			adminError(w, http.StatusBadRequest, "the query string is malformed: "+err.Error())
			return
		}
		var unknown []string
		for name := range q {
			if !slices.Contains(names, name) {
				unknown = append(unknown, strconv.Quote(cut(name, 64)))
			}
		}
		if len(unknown) > 0 {
			slices.Sort(unknown)
			takes := "no query parameters"
			if len(names) > 0 {
				takes = "only " + strings.Join(names, ", ")
			}
			adminError(w, http.StatusBadRequest, fmt.Sprintf("unknown query parameter %s: %s %s takes %s",
				strings.Join(unknown, ", "), r.Method, r.URL.Path, takes))
			return
		}
		next(w, r)
	}
}

// errAdminBodyTooLarge is the error of an admin body over maxAdminBody.
var errAdminBodyTooLarge = fmt.Errorf("the body is longer than %d bytes", maxAdminBody)

// adminStatus is the HTTP status that answers an admin API error: 409 when
// a cap on what the server keeps is reached, 413 when the body or the rule
// is too large, else 400.
func adminStatus(err error) int {
	switch {
	case errors.Is(err, ErrTooManyFaults), errors.Is(err, ErrTooManySessions):
		return http.StatusConflict
	case errors.Is(err, ErrFaultTooLarge), errors.Is(err, errAdminBodyTooLarge):
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusBadRequest
}
