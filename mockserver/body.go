package mockserver

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/deskmock/deskmock/mockserver/codes"
	"github.com/deskmock/deskmock/mockserver/internal/fastpath"
	"github.com/deskmock/deskmock/schemas"
)

// bodyBuffers pools the buffers bodies are read into.
var bodyBuffers = sync.Pool{New: func() any { return new([]byte) }}

// readBodyText reads at most limit+1 bytes of the body, never more;
// tooLarge reports a body longer than limit. Of an over-limit body it
// returns the first bytes read (at most tooLargePrefix), and size is its
// Content-Length or, when unknown, the bytes read. The body is read into a
// pooled buffer: the string returned is the only allocation.
func readBodyText(r *http.Request, limit int) (body string, size int64, tooLarge bool, err error) {
	if r.ContentLength > int64(limit) {
		prefix := make([]byte, min(limit+1, tooLargePrefix))
		n, _ := io.ReadFull(r.Body, prefix)
		return string(prefix[:n]), r.ContentLength, true, nil
	}
	capacity := limit + 1
	if r.ContentLength >= 0 {
		capacity = int(r.ContentLength) + 1
	}
	bp := bodyBuffers.Get().(*[]byte)
	defer bodyBuffers.Put(bp)
	if cap(*bp) < capacity {
		*bp = make([]byte, capacity)
	}
	// The buffer holds at most limit+1 bytes, so no more is ever read.
	buf := (*bp)[:capacity]
	n, err := io.ReadFull(r.Body, buf)
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		err = nil
	}
	if n > limit {
		return string(buf[:min(n, tooLargePrefix)]), int64(n), true, nil
	}
	return string(buf[:n]), int64(n), false, err
}

// tooLargePrefix is how much of an over-limit body the journal keeps.
const tooLargePrefix = 1024

// readBody decodes the body into its endpoint's struct with
// fastpath.Decode, and checks the schema's keywords on it; checkSchema
// asks the library when they do not certainly hold. A body fastpath cannot
// decode is decoded by encoding/json, as the library sees it; an object it
// gives is written again and that is what fastpath decodes.
func readBody(ep *endpoint, in *incoming) {
	if !utf8.ValidString(in.body) {
		in.jsonErr = errNotUTF8
		return
	}
	b, ok := fastpath.Decode(ep.schema, in.body)
	if !ok {
		in.value, in.jsonErr = decodeAny(in.body)
		m, isObject := in.value.(map[string]any)
		if !isObject {
			return
		}
		text, _ := json.Marshal(m) // a decoded object always encodes
		if b, ok = fastpath.Decode(ep.schema, string(text)); !ok {
			return
		}
	}
	in.req, in.valid = b, fastpath.Valid(b)
}

// checkSchema checks a body that readBody decoded against the endpoint's
// request schema: valid when its keywords held on the struct; otherwise
// the JSON Schema library decides and says why, after encoding/json.
func checkSchema(ep *endpoint, in *incoming) verdict {
	if in.valid {
		return verdict{}
	}
	if in.value == nil && in.jsonErr == nil {
		in.value, in.jsonErr = decodeAny(in.body)
	}
	if in.jsonErr != nil {
		return fail(codes.CheckBodyNotJSON, in.jsonErr.Error())
	}
	// Numbers the schema library cannot compare (1e999999999) are refused
	// before it sees them.
	if err := checkNumbers(in.value); err != nil {
		return fail(codes.CheckBodySchema, err.Error())
	}
	if err := schemas.Must(ep.schema).Validate(in.value); err != nil {
		return fail(codes.CheckBodySchema, schemas.Describe(err, "(body)", "; "))
	}
	return verdict{}
}

// decodeAny decodes a body that must be exactly one JSON value, numbers
// kept as json.Number: the body as the JSON Schema library sees it.
func decodeAny(body string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON value")
	}
	return v, nil
}

// errNotUTF8 is readBody's error for a body that is not valid UTF-8.
var errNotUTF8 = errors.New("the body is not valid UTF-8")
