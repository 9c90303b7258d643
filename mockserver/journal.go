package mockserver

import (
	"encoding/json"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/deskmock/deskmock/mockserver/codes"
)

// DefaultJournalSize is how many exchanges the journal keeps in memory.
const DefaultJournalSize = 10_000

// Exchange is one request to the endpoint and what the server did with it,
// as the journal records it. UserSigs are redacted.
type Exchange struct {
	// Seq numbers the requests from 1 in arrival order. The journal lists
	// exchanges in that order; a file gets them as they complete.
	Seq uint64 `json:"seq"`
	// Time is when the request arrived.
	Time time.Time `json:"time"`
	// Method and Path are the request line's.
	Method string `json:"method"`
	Path   string `json:"path"`
	// Query is the raw query string with the usersig value redacted.
	Query string `json:"query"`
	// Body is the request body as read; of a body over the limit, only its
	// first KiB, with Truncated set.
	Body string `json:"body"`
	// BodySize is the body's length in bytes: its Content-Length, or what
	// was read when that is unknown (at most the limit plus one byte).
	BodySize int64 `json:"body_size"`
	// Truncated is true when the body was over the limit and Body holds
	// only its beginning.
	Truncated bool `json:"truncated,omitempty"`
	// Status is the HTTP status sent; 0 when the connection was dropped
	// without a reply.
	Status int `json:"status"`
	// Reply is the reply body sent (for a truncated reply, what was sent).
	Reply string `json:"reply"`
	// Code is the ErrorCode of the reply; 0 on success or when there was no
	// vendor envelope.
	Code int `json:"code"`
	// Check is the pipeline check that failed, if one did.
	Check codes.Check `json:"check,omitempty"`
	// SessionID, MsgKey, Chunk and Finish are read from the body when it
	// parses. MsgKey is the request's or, on a first call, the issued one.
	SessionID string `json:"session_id,omitempty"`
	MsgKey    string `json:"msg_key,omitempty"`
	Chunk     string `json:"chunk,omitempty"`
	Finish    bool   `json:"finish,omitempty"`
	// Applied is true when the chunk was appended to its stream.
	Applied bool `json:"applied"`
	// Fault is the ID of the fault rule that fired, or "trigger" for a
	// trigger session.
	Fault string `json:"fault,omitempty"`
	// Action says what the fault did ("error_code", "http_status",
	// "delay", "reset", "truncate"). A delay whose client went away before
	// it ended has Status 0.
	Action string `json:"action,omitempty"`
	// LatencyMS is how long the server took, delays included.
	LatencyMS float64 `json:"latency_ms"`
}

// ExchangeFilter selects exchanges; zero fields match everything.
type ExchangeFilter struct {
	SessionID string
	MsgKey    string
	Code      *int
	Limit     int // the most recent Limit exchanges; 0 for all
}

func (f ExchangeFilter) match(e *Exchange) bool {
	return (f.SessionID == "" || e.SessionID == f.SessionID) &&
		(f.MsgKey == "" || e.MsgKey == f.MsgKey) &&
		(f.Code == nil || e.Code == *f.Code)
}

// journal keeps the most recent exchanges in a ring and appends every one to
// an optional JSON-lines sink.
type journal struct {
	mu   sync.Mutex
	ring []Exchange
	next int // index of the next write
	full bool
	sink io.Writer
	enc  *json.Encoder
}

func newJournal(size int, sink io.Writer) *journal {
	j := &journal{ring: make([]Exchange, size), sink: sink}
	if sink != nil {
		j.enc = json.NewEncoder(sink)
		j.enc.SetEscapeHTML(false)
	}
	return j
}

// add records an exchange. Lines go to the sink as exchanges complete; a
// sink error is returned but the exchange is kept.
func (j *journal) add(e Exchange) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.ring[j.next] = e
	j.next++
	if j.next == len(j.ring) {
		j.next, j.full = 0, true
	}
	if j.enc != nil {
		// One Write per line with no buffer, so a killed process loses
		// nothing it answered.
		if err := j.enc.Encode(&e); err != nil {
			return err
		}
	}
	return nil
}

// list returns the matching exchanges, oldest first.
func (j *journal) list(f ExchangeFilter) []Exchange {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []Exchange
	visit := func(e *Exchange) {
		if f.match(e) {
			out = append(out, *e)
		}
	}
	if j.full {
		for i := j.next; i < len(j.ring); i++ {
			visit(&j.ring[i])
		}
	}
	for i := 0; i < j.next; i++ {
		visit(&j.ring[i])
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Seq < out[b].Seq })
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[len(out)-f.Limit:]
	}
	if out == nil {
		out = []Exchange{}
	}
	return out
}

// clear empties the ring.
func (j *journal) clear() {
	j.mu.Lock()
	clear(j.ring)
	j.next, j.full = 0, false
	j.mu.Unlock()
}

// redactQuery replaces the value of every usersig parameter with "REDACTED".
func redactQuery(raw string) string {
	if !strings.Contains(raw, "usersig=") {
		return raw
	}
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		if strings.HasPrefix(p, "usersig=") {
			parts[i] = "usersig=REDACTED"
		}
	}
	return strings.Join(parts, "&")
}
