package mockserver

import (
	"container/heap"
	"encoding/json"
	"io"
	"sort"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/deskmock/deskmock/internal/redact"
	"github.com/deskmock/deskmock/internal/textcut"
	"github.com/deskmock/deskmock/mockserver/codes"
)

// defaultJournalSize is how many exchanges the journal keeps in memory.
const defaultJournalSize = 10_000

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
	// Method and Path are the request line's; a method longer than
	// maxJournalMethod or a path longer than maxJournalPath bytes is cut,
	// ending with a marker that gives its length.
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
	// SessionID, Conversation, MsgKey, Chunk and Finish are read from the
	// body when it parses. SessionID is a Desk call's; Conversation is the
	// key of the conversation of every endpoint (see Stream). MsgKey is the
	// request's (a native stream's StreamMsgID) or, on a first call, the
	// issued one. Chunk is a TIMStreamElem's Markdown joined, and Finish
	// its IsLast.
	SessionID    string `json:"session_id,omitempty"`
	Conversation string `json:"conversation,omitempty"`
	MsgKey       string `json:"msg_key,omitempty"`
	Chunk        string `json:"chunk,omitempty"`
	Finish       bool   `json:"finish,omitempty"`
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
	SessionID    string
	Conversation string
	MsgKey       string
	Code         *int
	Limit        int // the most recent Limit exchanges; 0 for all
	// Before, when not 0, selects only exchanges with a Seq below it. With
	// Limit it pages back through the journal: the next page's Before is
	// the Seq of the oldest exchange of this one.
	Before uint64
}

func (f ExchangeFilter) match(e *Exchange) bool {
	return (f.Before == 0 || e.Seq < f.Before) &&
		(f.SessionID == "" || e.SessionID == f.SessionID) &&
		(f.Conversation == "" || e.Conversation == f.Conversation) &&
		(f.MsgKey == "" || e.MsgKey == f.MsgKey) &&
		(f.Code == nil || e.Code == *f.Code)
}

// defaultJournalBytes bounds the bytes the in-memory journal keeps: every
// string of its exchanges (method, path, query, body, reply, detail,
// session ID, MsgKey, chunk and the rest) and each exchange's fixed part.
// Past it the oldest exchanges are forgotten even before the journal holds
// journal_size of them. 10,000 exchanges of ordinary chunks take a few
// MiB; 10,000 bodies at the 12 KiB limit would take 120 MiB, which this
// bounds to 32 MiB. Configurable as limits.journal_bytes.
const defaultJournalBytes = 32 << 20

// maxJournalBytes bounds limits.journal_bytes.
const maxJournalBytes = 1 << 30

// The longest method and path the journal keeps whole; longer ones are cut
// and end with a marker such as "...[cut: 61440 bytes]".
const (
	maxJournalMethod = 64
	maxJournalPath   = 2048
)

// exchangeFixedBytes is what an exchange costs besides its strings: its
// place in the ring and the rounding of its strings' allocations, up to
// three (the body, the reply and the rest: see own).
const exchangeFixedBytes = journalSlotBytes + 3*16

// journalSlotBytes is one place of the ring: an exchange's struct.
const journalSlotBytes = int64(unsafe.Sizeof(Exchange{}))

// journal keeps the most recent exchanges, at most size of them and at
// most budget bytes (see entryBytes), and appends every one to an optional
// JSON-lines sink. One mutex guards it: adding is a copy into the ring,
// which holds the exchanges themselves (no allocation each) and grows as
// exchanges come, so a large journal_size costs nothing until it fills.
type journal struct {
	mu     sync.Mutex
	ring   []Exchange // grows to size; then the oldest is overwritten
	size   int
	head   int   // the oldest exchange's index in ring
	count  int   // exchanges held
	bytes  int64 // what they count against budget
	budget int64

	sinkMu sync.Mutex
	enc    *json.Encoder
}

// newJournal returns a journal of size exchanges and budget bytes (see
// defaultJournalBytes), writing to sink when it is not nil.
func newJournal(size int, budget int64, sink io.Writer) *journal {
	j := &journal{size: max(size, 1), budget: budget}
	if sink != nil {
		j.enc = json.NewEncoder(sink)
		j.enc.SetEscapeHTML(false)
	}
	return j
}

// entryBytes is what an exchange counts against the journal's budget:
// every string it holds, its indexes and its fixed part. Once the journal
// holds it, its strings are its own (see own), so this is what it keeps
// alive:
//
//	exchangeFixedBytes        the struct, its ring slot, allocation rounding
//	+ the length of every string (method, path, query, body, reply,
//	  detail, session ID, MsgKeys, chunk, fault, …) that is not a part
//	  of another it holds (the body, the reply, a MsgKey)
//	+ 8×cap(Indexes)
func entryBytes(e *Exchange) int64 {
	n := len(e.Query) + len(e.Body) + len(e.Reply) + len(e.Check) + len(e.Action) + len(e.Version) + 8*cap(e.Indexes)
	for _, s := range e.parts() {
		if !within(*s, e.Body) && !within(*s, e.Reply) {
			n += len(*s)
		}
	}
	if !within(e.MsgKey, e.Body) && !within(e.MsgKey, e.Reply) && !within(e.MsgKey, e.SentMsgKey) && !within(e.MsgKey, e.IssuedMsgKey) {
		n += len(e.MsgKey)
	}
	return int64(n) + exchangeFixedBytes
}

// parts are the exchange's strings that may lie within its body or reply,
// but the MsgKey, which may also be the sent or issued key.
func (e *Exchange) parts() [10]*string {
	return [...]*string{&e.Method, &e.Path, &e.Detail, &e.SessionID, &e.Conversation,
		&e.SentMsgKey, &e.IssuedMsgKey, &e.Chunk, &e.Fault, &e.RequestID}
}

// within reports whether s is a part of t's memory (and not empty).
func within(s, t string) bool {
	if len(s) == 0 || len(s) > len(t) {
		return false
	}
	p, q := uintptr(unsafe.Pointer(unsafe.StringData(s))), uintptr(unsafe.Pointer(unsafe.StringData(t)))
	return p >= q && p+uintptr(len(s)) <= q+uintptr(len(t))
}

// ownership says which of an exchange's strings are already an allocation
// of its own, of exactly their length: the journal keeps them as they are.
type ownership uint8

// The strings an exchange may own.
const (
	ownsBody ownership = 1 << iota
	ownsReply
)

// own gives the strings of an exchange memory of their own. They may be
// parts of the request (the method, path and query share its request line;
// the session ID, MsgKey and chunk may be parts of its body) or of
// anything else the caller holds: once copied, the journal keeps alive
// exactly what entryBytes counts. The query is kept with its usersig
// value redacted, so the journal holds no UserSig. The body and reply are
// copied unless o says they are the exchange's; a string that lies within
// one of them then lies within its copy, and the rest share one
// allocation with the query. The version, check and action are the
// server's constants and are not copied; the MsgKey shares the sent or
// issued key it equals.
func (e *Exchange) own(o ownership) {
	body, reply := e.Body, e.Reply
	var room [512]byte
	query := redact.AppendQuery(room[:0], e.Query)
	parts := e.parts()
	n := len(query)
	if o&ownsBody == 0 {
		n += len(body)
	}
	if o&ownsReply == 0 {
		n += len(reply)
	}
	var copied [len(parts)]bool // not within the body or the reply
	for i, s := range parts {
		if copied[i] = !within(*s, body) && !within(*s, reply); copied[i] {
			n += len(*s)
		}
	}
	buf := make([]byte, 0, n)
	if o&ownsBody == 0 {
		buf = append(buf, body...)
	}
	if o&ownsReply == 0 {
		buf = append(buf, reply...)
	}
	buf = append(buf, query...)
	var at [len(parts)]int
	for i, s := range parts {
		if copied[i] {
			at[i] = len(buf)
			buf = append(buf, *s...)
		}
	}
	all := unsafe.String(unsafe.SliceData(buf), len(buf)) // buf is not written again
	if o&ownsBody == 0 {
		e.Body, all = all[:len(body)], all[len(body):]
	}
	if o&ownsReply == 0 {
		e.Reply, all = all[:len(reply)], all[len(reply):]
	}
	e.Query = all[:len(query)]
	all = unsafe.String(unsafe.SliceData(buf), len(buf))
	for i, s := range parts {
		switch {
		case *s == "":
			*s = "" // an empty part of the request would keep it alive
		case copied[i]:
			*s = all[at[i]:][:len(*s)]
		case within(*s, body):
			*s = e.Body[offset(*s, body):][:len(*s)]
		default: // within the reply
			*s = e.Reply[offset(*s, reply):][:len(*s)]
		}
	}
	switch e.MsgKey {
	case "":
		e.MsgKey = ""
	case e.IssuedMsgKey:
		e.MsgKey = e.IssuedMsgKey
	case e.SentMsgKey:
		e.MsgKey = e.SentMsgKey
	default:
		e.MsgKey = strings.Clone(e.MsgKey)
	}
}

// offset is where s, a part of t, starts in t.
func offset(s, t string) int {
	return int(uintptr(unsafe.Pointer(unsafe.StringData(s))) - uintptr(unsafe.Pointer(unsafe.StringData(t))))
}

// add records a copy of an exchange. The journal cuts its method and path
// and gives its strings memory of their own (own, keeping what o says is
// the exchange's already), in e too. Lines
// go to the sink as exchanges complete; a sink error is returned but the
// exchange is kept.
// The journal keeps e.Query with its usersig value redacted (see own),
// and redacts the rest on the way out (see Exchange.redacted).
func (j *journal) add(e *Exchange, o ownership) error {
	e.Method, e.Path = textcut.Cut(e.Method, maxJournalMethod), textcut.Cut(e.Path, maxJournalPath)
	e.own(o)
	j.mu.Lock()
	places := j.places()
	if j.count == places {
		j.dropOldest(false) // the ring is full: its place is the new exchange's
	}
	if i := j.head + j.count; i == len(j.ring) && len(j.ring) < places {
		j.grow(places)
		j.ring = append(j.ring, *e)
	} else {
		j.ring[i%len(j.ring)] = *e
	}
	j.count++
	j.bytes += entryBytes(e)
	for j.bytes+int64(cap(j.ring)-j.count)*journalSlotBytes > j.budget && j.count > 1 {
		j.dropOldest(true)
	}
	j.mu.Unlock()
	if j.enc != nil {
		line := e.redacted()
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

// places is how many places the ring may have: the journal's size, as
// far as half its budget holds them empty, so that the newest exchange
// always fits beside them.
func (j *journal) places() int {
	return int(max(1, min(int64(j.size), j.budget/2/journalSlotBytes)))
}

// grow makes room for one more place when the ring is full but under
// places: it doubles, up to places, so that append never does; j.mu is
// held.
func (j *journal) grow(places int) {
	if len(j.ring) < cap(j.ring) {
		return
	}
	ring := make([]Exchange, len(j.ring), min(max(2*cap(j.ring), 64), places))
	copy(ring, j.ring)
	j.ring = ring
}

// dropOldest forgets the oldest exchange, clearing its place when clear
// is set (not when an exchange takes the place at once: clearing its
// pointers costs write barriers while the collector runs); j.mu is held.
func (j *journal) dropOldest(clear bool) {
	j.bytes -= entryBytes(&j.ring[j.head])
	if clear {
		j.ring[j.head] = Exchange{}
	}
	j.head = (j.head + 1) % len(j.ring)
	j.count--
}

// held returns the bytes the exchanges held count against the budget,
// and the ring's places not yet filled.
func (j *journal) held() int64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.bytes + int64(cap(j.ring)-j.count)*journalSlotBytes
}

// list returns the matching exchanges, oldest first. With a Limit it
// holds no more than Limit exchanges at any time, whatever the journal's
// size.
func (j *journal) list(f ExchangeFilter) []Exchange {
	var out []Exchange
	newest := &exchangeHeap{} // with a Limit: the newest Limit, oldest on top
	j.mu.Lock()
	for k := 0; k < j.count; k++ {
		e := &j.ring[(j.head+k)%len(j.ring)]
		if !f.match(e) {
			continue
		}
		switch {
		case f.Limit <= 0:
			out = append(out, *e)
		case len(*newest) < f.Limit:
			heap.Push(newest, *e)
		case e.Seq > (*newest)[0].Seq:
			(*newest)[0] = *e
			heap.Fix(newest, 0)
		}
	}
	j.mu.Unlock()
	if f.Limit > 0 {
		out = *newest
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Seq < out[b].Seq })
	for i := range out {
		out[i] = out[i].redacted()
	}
	if out == nil {
		out = []Exchange{}
	}
	return out
}

// exchangeHeap is a min-heap of exchanges by Seq.
type exchangeHeap []Exchange

func (h exchangeHeap) Len() int           { return len(h) }
func (h exchangeHeap) Less(a, b int) bool { return h[a].Seq < h[b].Seq }
func (h exchangeHeap) Swap(a, b int)      { h[a], h[b] = h[b], h[a] }
func (h *exchangeHeap) Push(x any)        { *h = append(*h, x.(Exchange)) }
func (h *exchangeHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// clear forgets every exchange.
func (j *journal) clear() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.ring, j.head, j.count, j.bytes = nil, 0, 0, 0
}
