package mockserver

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"unicode/utf8"

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

// decodeJSON decodes a body that must be exactly one JSON value in valid
// UTF-8, numbers kept as json.Number. The common body, a flat object, is
// decoded by fastpath.DecodeObject, which decodes as encoding/json does.
func decodeJSON(body string) (any, error) {
	if !utf8.ValidString(body) {
		return nil, errNotUTF8
	}
	if m, ok := fastpath.DecodeObject(body); ok {
		return m, nil
	}
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

// errNotUTF8 is decodeJSON's error for a body that is not valid UTF-8.
var errNotUTF8 = errors.New("the body is not valid UTF-8")

// schemaValidator validates bodies against an embedded schema. An object
// that the schema compiled by fastpath accepts is valid; every other value
// is validated by the JSON Schema library, whose verdict and message stand.
// A schema fastpath cannot compile (v2's) goes to the library whole.
func schemaValidator(name string) func(any) error {
	quick := sync.OnceValue(func() *fastpath.FlatSchema {
		src, _ := schemas.Source(name)
		s, _ := fastpath.CompileFlat(src) // nil when it cannot
		return s
	})
	return func(v any) error {
		if m, ok := v.(map[string]any); ok && quick().Accepts(m) {
			return nil
		}
		return schemas.Must(name).Validate(v)
	}
}
