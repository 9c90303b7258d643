package mockserver

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/deskmock/deskmock/internal/redact"
	"github.com/deskmock/deskmock/internal/textcut"
)

// Pages of the admin API's lists (requests, streams, sessions, faults): a
// request asks for limit items (defaultPageSize unless given, at most
// maxPageSize) and continues from the reply's next_cursor, given back as
// cursor. A page also stops, before its limit, when its next item would take
// the reply past maxPageBytes of JSON as sent (escapes counted); it then
// says "capped": true besides its next_cursor. An item too large for a page
// of its own is listed shortened (see fitExchange and fitStream).
const (
	// defaultPageSize is the items of a page when limit is not given.
	defaultPageSize = 100
	// maxPageSize is the largest limit a list takes.
	maxPageSize = 1000
	// maxPageBytes is the most bytes a page's reply holds, as sent.
	maxPageBytes = 8 << 20
	// pageEnvelope is the room a page keeps for what surrounds its items
	// (the braces, the cursor, the flags).
	pageEnvelope = 512
)

// page is the reply of an admin list: its items and, when more remain, the
// cursor that continues it.
type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
	// Capped is true when the page stopped before its limit, at
	// maxPageBytes.
	Capped bool `json:"capped,omitempty"`
}

// listReply is a list of an admin reply being built: its items encoded one
// at a time, as they are sent, until the next would pass its room.
type listReply struct {
	buf  bytes.Buffer
	enc  *json.Encoder
	ends []int // where each item ends in buf
	room int
}

// newListReply returns a list of at most room bytes, commas included.
func newListReply(room int) *listReply {
	l := &listReply{room: room}
	l.enc = json.NewEncoder(&l.buf)
	l.enc.SetEscapeHTML(false)
	return l
}

// add encodes v and keeps it when the list still fits its room; it reports
// whether it did.
func (l *listReply) add(v any) bool {
	start := l.buf.Len()
	if err := l.enc.Encode(v); err != nil {
		l.buf.Truncate(start)
		return false
	}
	l.buf.Truncate(l.buf.Len() - 1) // the encoder's newline
	// Any UserSig in the item goes before the item is measured: redaction
	// only shortens it.
	l.buf.Truncate(start + len(redact.Bytes(l.buf.Bytes()[start:])))
	// With a comma before each item but the first, and the brackets.
	if l.buf.Len()+len(l.ends)+2 > l.room {
		l.buf.Truncate(start)
		return false
	}
	l.ends = append(l.ends, l.buf.Len())
	return true
}

// len returns how many items the list holds.
func (l *listReply) len() int { return len(l.ends) }

// size returns the bytes of the list as sent, brackets and commas included.
func (l *listReply) size() int { return l.buf.Len() + max(len(l.ends)-1, 0) + 2 }

// pieces returns the list as sent, "[" to "]", in the order the items were
// added or, when reversed is true, the other way round.
func (l *listReply) pieces(reversed bool) [][]byte {
	b := l.buf.Bytes()
	out := make([][]byte, 0, 2*len(l.ends)+1)
	out = append(out, []byte("["))
	for k := range l.ends {
		i := k
		if reversed {
			i = len(l.ends) - 1 - k
		}
		start := 0
		if i > 0 {
			start = l.ends[i-1]
		}
		if k > 0 {
			out = append(out, []byte(","))
		}
		out = append(out, b[start:l.ends[i]])
	}
	return append(out, []byte("]"))
}

// pageTail ends a page's reply: its cursor when more remain, and "capped"
// when the page stopped at maxPageBytes.
func pageTail(cursor string, capped bool) []byte {
	b := []byte{}
	if cursor != "" {
		b = append(b, `,"next_cursor":`...)
		b = strconv.AppendQuote(b, cursor)
	}
	if capped {
		b = append(b, `,"capped":true`...)
	}
	return append(b, "}\n"...)
}

// writePieces answers 200 with the JSON reply made of pieces, written as
// they are, with its Content-Length.
func writePieces(w http.ResponseWriter, pieces ...[]byte) {
	n := 0
	for _, p := range pieces {
		n += len(p)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(n))
	w.WriteHeader(http.StatusOK)
	for _, p := range pieces {
		if _, err := w.Write(p); err != nil {
			return
		}
	}
}

// fitExchange returns e shortened so that its JSON takes at most room
// bytes: each long string cut (see cut) and the indexes kept in part. A
// JSON escape takes at most 6 bytes for a byte of text.
func fitExchange(e Exchange, room int) Exchange {
	fields := []*string{&e.Method, &e.Path, &e.Query, &e.Body, &e.Reply, &e.RequestID, &e.Detail,
		&e.SessionID, &e.Conversation, &e.MsgKey, &e.Chunk, &e.SentMsgKey, &e.IssuedMsgKey, &e.Fault, &e.Action, &e.Version}
	share := max((room-4096)/(6*(len(fields)+1)), 64)
	for _, f := range fields {
		*f = textcut.Cut(*f, share)
	}
	if n := share / 21; len(e.Indexes) > n { // an int takes at most 20 bytes and a comma
		e.Indexes = e.Indexes[:n]
	}
	return e
}

// pageQuery reads the limit and cursor of a list request; the cursor is the
// position it encodes for the list named list, "" when not given.
func pageQuery(r *http.Request, list string) (limit int, after string, err error) {
	q := r.URL.Query()
	limit = defaultPageSize
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPageSize {
			return 0, "", fmt.Errorf("limit: %s is not an integer in 1..%d", strconv.Quote(textcut.Cut(v, 64)), maxPageSize)
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
				unknown = append(unknown, strconv.Quote(textcut.Cut(name, 64)))
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

// streamPiece is how much of a stream's text writeStream encodes at a time.
const streamPiece = 32 << 10

// writeStream answers a stream whole, as writeJSON would, but with its
// chunks and text encoded and written a piece at a time: however long its
// text (up to 12 times limits.max_stream_bytes as JSON), the reply holds a
// piece of it at once.
func writeStream(w http.ResponseWriter, st Stream) {
	chunks, indexes, text, compat, chatbot := st.Chunks, st.Indexes, redact.Text(st.Text), redact.Text(st.CompatibleText), st.ChatbotMessage
	st.Chunks, st.Indexes, st.Text, st.CompatibleText, st.ChatbotMessage = nil, nil, "", "", nil
	streamElem := hasStreamElem(st.Version)
	var summary bytes.Buffer
	enc := json.NewEncoder(&summary)
	enc.SetEscapeHTML(false)
	enc.Encode(&st) // a Stream always encodes
	// The fields before text_bytes (the key, version, session and state,
	// none of which holds this text), the chunks, indexes and text, then
	// the others.
	head, tail, _ := bytes.Cut(summary.Bytes(), []byte(`,"text_bytes":`))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	write := func(b []byte) bool {
		_, err := w.Write(b)
		return err == nil
	}
	b := append(make([]byte, 0, 6*streamPiece+64), head...)
	b = append(b, `,"chunks":`...)
	if b = appendChunkPieces(b, chunks, write); b == nil {
		return
	}
	if indexes == nil && streamElem {
		indexes = []int{} // a whole stream of TIMStreamElem always has its indexes
	}
	if indexes != nil {
		b = append(b, `,"indexes":[`...)
		for i, n := range indexes {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(n), 10)
			if len(b) > streamPiece {
				if !write(b) {
					return
				}
				b = b[:0]
			}
		}
		b = append(b, ']')
	}
	b = append(b, `,"text":`...) // even empty, as in MarshalJSON
	if b = appendJSONPieces(b, text, write); b == nil {
		return
	}
	// compatible_text and chatbot_message stand between text_bytes and
	// finished.
	n, rest, _ := bytes.Cut(tail, []byte(`,"finished":`))
	b = append(append(b, `,"text_bytes":`...), n...)
	if streamElem {
		b = append(b, `,"compatible_text":`...)
		b = appendJSONString(b, compat)
	}
	if chatbot != nil {
		b = append(b, `,"chatbot_message":{"chatbotPlugin":`...)
		b = strconv.AppendInt(b, int64(chatbot.ChatbotPlugin), 10)
		b = strconv.AppendInt(append(b, `,"src":`...), int64(chatbot.Src), 10)
		if b = appendChunkPieces(append(b, `,"chunks":`...), chatbot.Chunks, write); b == nil {
			return
		}
		b = append(strconv.AppendInt(append(b, `,"isFinished":`...), int64(chatbot.IsFinished), 10), '}')
	}
	write(append(append(b, `,"finished":`...), rest...))
}

// appendChunkPieces appends chunks to b as a JSON array of strings, each
// redacted and written in pieces (appendJSONPieces); nil when write failed.
func appendChunkPieces(b []byte, chunks []string, write func([]byte) bool) []byte {
	b = append(b, '[')
	for i, c := range chunks {
		if i > 0 {
			b = append(b, ',')
		}
		if b = appendJSONPieces(b, redact.Text(c), write); b == nil {
			return nil
		}
	}
	return append(b, ']')
}

// appendJSONPieces appends s to b as a JSON string (see appendJSONString),
// streamPiece bytes of s at a time (cut where a character starts), handing
// b to write and starting it again whenever it holds more than a piece; nil
// when write failed.
func appendJSONPieces(b []byte, s string, write func([]byte) bool) []byte {
	b = append(b, '"')
	for len(s) > 0 {
		n := min(streamPiece, len(s))
		for n < len(s) && n > 1 && !utf8.RuneStart(s[n]) {
			n--
		}
		start := len(b)
		b = appendJSONString(b, s[:n])
		b = append(b[:start], b[start+1:len(b)-1]...) // without its quotes
		s = s[n:]
		if len(b) > streamPiece {
			if !write(b) {
				return nil
			}
			b = b[:0]
		}
	}
	return append(b, '"')
}
