package mockserver

import (
	"encoding/json"
	"io"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
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
	// Version is the endpoint's ("v1", "v2"); empty for a path that is no
	// endpoint.
	Version string `json:"version,omitempty"`
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
	// RequestID is the reply's RequestId.
	RequestID string `json:"request_id,omitempty"`
	// Check is the pipeline check that failed, if one did.
	Check codes.Check `json:"check,omitempty"`
	// Detail says why the check failed, as the log line does.
	Detail string `json:"detail,omitempty"`
	// SessionID, MsgKey, Chunk and Finish are read from the body when it
	// parses. MsgKey is the request's or, on a first call, the issued one.
	// Chunk is a v2 call's Markdown joined, and Finish its IsLast.
	SessionID string `json:"session_id,omitempty"`
	MsgKey    string `json:"msg_key,omitempty"`
	Chunk     string `json:"chunk,omitempty"`
	Finish    bool   `json:"finish,omitempty"`
	// SentMsgKey is the MsgKey the request carried; IssuedMsgKey the one a
	// first call was given.
	SentMsgKey   string `json:"sent_msg_key,omitempty"`
	IssuedMsgKey string `json:"issued_msg_key,omitempty"`
	// Indexes are the Index of each of a v2 call's chunks.
	Indexes []int `json:"indexes,omitempty"`
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

// DefaultJournalBytes bounds the text the in-memory journal keeps: the
// bodies, replies and query strings of its exchanges. Past it the oldest
// exchanges are forgotten even before the journal holds journal_size of
// them. 10,000 exchanges of ordinary chunks take a few MiB; 10,000 bodies
// at the 12 KiB limit would take 120 MiB, which this bounds to 32 MiB.
const DefaultJournalBytes = 32 << 20

// journal keeps the most recent exchanges in a ring and appends every one to
// an optional JSON-lines sink. Adding takes no lock shared by all requests:
// each exchange gets its slot from an atomic counter and locks only that
// slot.
type journal struct {
	slots  []journalSlot
	next   atomic.Uint64 // the position of the next exchange added
	oldest atomic.Uint64 // positions below are forgotten
	bytes  atomic.Int64  // text held by the slots
	budget int64

	sinkMu sync.Mutex
	enc    *json.Encoder
}

// journalSlot holds the exchange of one position of the ring.
type journalSlot struct {
	mu  sync.Mutex
	pos uint64 // the exchange's position plus one; 0 when empty
	e   Exchange
}

func newJournal(size int, sink io.Writer) *journal {
	j := &journal{slots: make([]journalSlot, size), budget: DefaultJournalBytes}
	if sink != nil {
		j.enc = json.NewEncoder(sink)
		j.enc.SetEscapeHTML(false)
	}
	return j
}

// textBytes is what an exchange counts against the journal's budget.
func textBytes(e *Exchange) int64 { return int64(len(e.Body) + len(e.Reply) + len(e.Query)) }

// add records an exchange. Lines go to the sink as exchanges complete; a
// sink error is returned but the exchange is kept. e.Query may still hold
// the UserSig: the journal redacts it on the way out.
func (j *journal) add(e *Exchange) error {
	p := j.next.Add(1) - 1
	sl := &j.slots[p%uint64(len(j.slots))]
	size := textBytes(e)
	sl.mu.Lock()
	if sl.pos > p { // a later exchange took the slot already
		sl.mu.Unlock()
	} else {
		if sl.pos != 0 {
			size -= textBytes(&sl.e)
		}
		sl.pos, sl.e = p+1, *e
		sl.mu.Unlock()
		if j.bytes.Add(size) > j.budget {
			j.shrink(p)
		}
	}
	if j.enc != nil {
		line := *e
		line.Query = redactQuery(line.Query)
		j.sinkMu.Lock()
		defer j.sinkMu.Unlock()
		// One Write per line with no buffer, so a killed process loses
		// nothing it answered.
		if err := j.enc.Encode(&line); err != nil {
			return err
		}
	}
	return nil
}

// shrink forgets the oldest exchanges, never the one at position newest,
// until the text kept fits the budget.
func (j *journal) shrink(newest uint64) {
	n := uint64(len(j.slots))
	for j.bytes.Load() > j.budget {
		old := j.oldest.Load()
		if newest+1 > n && old < newest+1-n {
			j.oldest.CompareAndSwap(old, newest+1-n) // overwritten already
			continue
		}
		if old >= newest {
			return
		}
		if !j.oldest.CompareAndSwap(old, old+1) {
			continue
		}
		sl := &j.slots[old%n]
		sl.mu.Lock()
		if sl.pos == old+1 {
			j.bytes.Add(-textBytes(&sl.e))
			sl.pos, sl.e = 0, Exchange{}
		}
		sl.mu.Unlock()
	}
}

// list returns the matching exchanges, oldest first.
func (j *journal) list(f ExchangeFilter) []Exchange {
	var out []Exchange
	for i := range j.slots {
		sl := &j.slots[i]
		sl.mu.Lock()
		if sl.pos != 0 && f.match(&sl.e) {
			out = append(out, sl.e)
		}
		sl.mu.Unlock()
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Seq < out[b].Seq })
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[len(out)-f.Limit:]
	}
	for i := range out {
		out[i].Query = redactQuery(out[i].Query)
	}
	if out == nil {
		out = []Exchange{}
	}
	return out
}

// clear empties the ring.
func (j *journal) clear() {
	for i := range j.slots {
		sl := &j.slots[i]
		sl.mu.Lock()
		if sl.pos != 0 {
			j.bytes.Add(-textBytes(&sl.e))
			sl.pos, sl.e = 0, Exchange{}
		}
		sl.mu.Unlock()
	}
}

// redactQuery replaces the value of every usersig parameter with
// "REDACTED". A name counts as usersig once decoded and in any case: the
// pipeline decodes names (%75sersig is usersig), and a client that writes
// USERSIG still sends its credential.
func redactQuery(raw string) string {
	var b []byte
	done := 0 // raw[:done] is in b
	for i := 0; i < len(raw); {
		end := strings.IndexByte(raw[i:], '&')
		if end < 0 {
			end = len(raw)
		} else {
			end += i
		}
		part := raw[i:end]
		if eq := strings.IndexByte(part, '='); eq >= 0 && part[eq+1:] != "REDACTED" && isUserSigName(part[:eq]) {
			b = append(b, raw[done:i+eq+1]...)
			b = append(b, "REDACTED"...)
			done = end
		}
		i = end + 1
	}
	if b == nil {
		return raw
	}
	return string(append(b, raw[done:]...))
}

// isUserSigName reports whether a raw query parameter name means usersig.
func isUserSigName(name string) bool {
	if len(name) == len("usersig") {
		return strings.EqualFold(name, "usersig")
	}
	if strings.IndexByte(name, '%') < 0 {
		return false
	}
	n, err := url.QueryUnescape(name)
	return err == nil && strings.EqualFold(n, "usersig")
}
