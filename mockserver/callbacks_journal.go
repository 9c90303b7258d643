package mockserver

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/deskmock/deskmock/internal/textcut"
)

// Bounds of the callbacks' journal: the newest maxCallbacksKept, in at
// most maxCallbackJournalBytes; past either the oldest is forgotten. A
// body is kept up to maxCallbackBodyKept bytes.
const (
	maxCallbacksKept        = 10_000
	maxCallbackJournalBytes = 16 << 20
	maxCallbackBodyKept     = 16 << 10
	callbackEntryBytes      = 512
	callbackAttemptBytes    = 160
)

// How a callback was signed, as the journal says (Sign itself is
// redacted).
const (
	// SignValid: Sign and RequestTime from the token, now.
	SignValid = "valid"
	// SignBad: a Sign that the token does not give (a forgery).
	SignBad = "bad"
	// SignStale: a right Sign for a RequestTime 120 s old, past the
	// vendor's 60 s window.
	SignStale = "stale"
)

// Callback is one delivery of a callback, as the journal keeps it.
type Callback struct {
	// Entry numbers the journal's entries from 1, in the order they were
	// journaled (a delivery done, or a callback dropped); a filter's After
	// pages on it.
	Entry uint64 `json:"entry"`
	// Seq numbers the callbacks from 1 as they were queued; both
	// deliveries of a callback sent twice have its Seq.
	Seq uint64 `json:"seq"`
	// Command is the CallbackCommand; Event is Desk's Event.
	Command string `json:"command"`
	Event   string `json:"event,omitempty"`
	// SDKAppID is the SdkAppid sent (another app's when forged).
	SDKAppID uint64 `json:"sdkappid"`
	// Conversation is what orders the callbacks: a SessionId,
	// "c2c:FROM:TO" or "group:GROUP:FROM".
	Conversation string `json:"conversation"`
	SessionID    string `json:"session_id,omitempty"`
	// RequestID is the query's RequestID, the same on every retry.
	RequestID string `json:"request_id"`
	// URL is the last attempt's URL, its Sign redacted; Sign says how it
	// was signed: "" (no token), valid, bad or stale.
	URL  string `json:"url"`
	Sign string `json:"sign,omitempty"`
	// Body is the JSON body sent (cut past 16 KiB).
	Body string `json:"body"`
	// Queued is when the event happened and the callback was queued, on
	// the server's clock.
	Queued time.Time `json:"queued"`
	// Attempts are the HTTP requests made, the first and each retry.
	Attempts []CallbackAttempt `json:"attempts"`
	// Outcome is ok, refused, failed or dropped.
	Outcome string `json:"outcome"`
	// Faults names the fault that shaped the callback: "RULE:ACTION".
	Faults []string `json:"faults,omitempty"`
	// Delivery is 2 for the second delivery of a callback sent twice.
	Delivery int `json:"delivery,omitempty"`
}

// CallbackAttempt is one HTTP request of a callback.
type CallbackAttempt struct {
	Time time.Time `json:"time"`
	// Status is the answer's HTTP status; 0 without an answer.
	Status int `json:"status"`
	// Answer is the answer's body (cut past 4 KiB).
	Answer string `json:"answer,omitempty"`
	// Error says why there was no answer (a timeout, a refused connection).
	Error     string  `json:"error,omitempty"`
	LatencyMS float64 `json:"latency_ms"`
	// Outcome is this attempt's: ok, refused or failed.
	Outcome string `json:"outcome,omitempty"`
}

// size is what an entry counts against the journal's bytes.
func (e *Callback) size() int {
	n := callbackEntryBytes + len(e.Command) + len(e.Event) + len(e.Conversation) + len(e.SessionID) + len(e.RequestID) + len(e.URL) + len(e.Body)
	for _, a := range e.Attempts {
		n += callbackAttemptBytes + len(a.Answer) + len(a.Error)
	}
	for _, f := range e.Faults {
		n += 16 + len(f)
	}
	return n
}

// CallbackFilter selects callbacks; its zero value selects all. Every set
// field must hold.
type CallbackFilter struct {
	// Conversation matches the conversation (a SessionId, "c2c:FROM:TO",
	// "group:GROUP:FROM"); SessionID the Desk session.
	Conversation string `json:"conversation,omitempty"`
	SessionID    string `json:"session_id,omitempty"`
	// Command matches the CallbackCommand, Event Desk's Event.
	Command string `json:"command,omitempty"`
	Event   string `json:"event,omitempty"`
	// RequestID matches the RequestID; Outcome the outcome.
	RequestID string `json:"request_id,omitempty"`
	Outcome   string `json:"outcome,omitempty"`
	// After leaves out the entries up to After (Callback.Entry).
	After uint64 `json:"after,omitempty"`
}

func (f *CallbackFilter) matches(e *Callback) bool {
	return (f.Conversation == "" || f.Conversation == e.Conversation) && (f.SessionID == "" || f.SessionID == e.SessionID) &&
		(f.Command == "" || f.Command == e.Command) && (f.Event == "" || f.Event == e.Event) &&
		(f.RequestID == "" || f.RequestID == e.RequestID) && (f.Outcome == "" || f.Outcome == e.Outcome) && e.Entry > f.After
}

// calloutJournal keeps the newest callbacks delivered (or dropped), in the
// order they were done, bounded by count and bytes.
type calloutJournal struct {
	mu      sync.Mutex
	log     []Callback
	head    int
	bytes   int
	entries uint64        // the last Entry given
	changed chan struct{} // closed, and replaced, by each add
}

func newCalloutJournal() *calloutJournal {
	return &calloutJournal{changed: make(chan struct{})}
}

func (j *calloutJournal) add(e Callback) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.entries++
	e.Entry = j.entries
	j.log = append(j.log, e)
	j.bytes += e.size()
	for len(j.log)-j.head > maxCallbacksKept || j.bytes > maxCallbackJournalBytes {
		j.bytes -= j.log[j.head].size()
		j.log[j.head] = Callback{}
		j.head++
	}
	if j.head > len(j.log)/2 {
		j.log = append([]Callback(nil), j.log[j.head:]...)
		j.head = 0
	}
	close(j.changed)
	j.changed = make(chan struct{})
}

// list returns the callbacks that match, oldest first, and a channel
// closed at the next add.
func (j *calloutJournal) list(f CallbackFilter) ([]Callback, <-chan struct{}) {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := []Callback{}
	for i := range j.log[j.head:] {
		if e := &j.log[j.head+i]; f.matches(e) {
			out = append(out, *e)
		}
	}
	return out, j.changed
}

// held returns the journal's count and bytes.
func (j *calloutJournal) held() (int, int) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.log) - j.head, j.bytes
}

func (j *calloutJournal) clear() {
	j.mu.Lock()
	j.log, j.head, j.bytes, j.entries = nil, 0, 0, 0
	close(j.changed)
	j.changed = make(chan struct{})
	j.mu.Unlock()
}

// entry starts the journal's entry of a callback.
func (c *callbacks) entry(it *callout, body string, attempts []CallbackAttempt) Callback {
	e := Callback{Seq: it.seq, Command: it.command, Event: it.event, SDKAppID: it.sdkappid, Conversation: it.conversation,
		SessionID: it.sessionID, RequestID: it.requestID, Body: textcut.Cut(body, maxCallbackBodyKept), Queued: it.queued, Attempts: attempts}
	if it.fault.name != "" {
		e.Faults = []string{it.fault.name}
	}
	return e
}

// record journals a delivery (unless a reset came since it was queued)
// and shows it on the dashboards.
func (c *callbacks) record(it *callout, e Callback, outcome string) {
	c.mu.Lock()
	stale := it.gen != c.gen
	c.mu.Unlock()
	if stale {
		return
	}
	if e.Attempts == nil {
		e.Attempts = []CallbackAttempt{}
	}
	e.Outcome = outcome
	c.log.add(e)
	c.srv.ui.hub.callback(&e)
}

// CallbackStatus tells how the callbacks fare: what waits, what was
// sent, what was lost.
type CallbackStatus struct {
	// Queued callbacks wait to be sent, holding QueuedBytes.
	Queued      int `json:"queued"`
	QueuedBytes int `json:"queued_bytes"`
	// InFlight callbacks are being sent (retries and delays included):
	// with Queued, 0 once every callback so far is journaled.
	InFlight int `json:"in_flight"`
	// Sent counts HTTP requests made (retries included); OK, Refused and
	// Failed count their outcomes.
	Sent    uint64 `json:"sent"`
	OK      uint64 `json:"ok"`
	Refused uint64 `json:"refused"`
	Failed  uint64 `json:"failed"`
	// Dropped counts callbacks never sent: the queue was full.
	Dropped uint64 `json:"dropped"`
	// Journaled and JournalBytes are what the journal keeps.
	Journaled    int `json:"journaled"`
	JournalBytes int `json:"journal_bytes"`
}

// CallbackStatus returns how the callbacks fare.
func (s *Server) CallbackStatus() CallbackStatus {
	c := s.callbacks
	c.mu.Lock()
	st := CallbackStatus{Queued: c.queued, QueuedBytes: c.queuedBytes, InFlight: int(c.inFlight.Load())}
	c.mu.Unlock()
	st.Sent, st.OK, st.Refused, st.Failed, st.Dropped = c.sent.Load(), c.ok.Load(), c.refused.Load(), c.failed.Load(), c.dropped.Load()
	st.Journaled, st.JournalBytes = c.log.held()
	return st
}

// Callbacks returns the journal's callbacks that match the filter, oldest
// first: every delivery done (or dropped), with its attempts.
func (s *Server) Callbacks(f CallbackFilter) []Callback {
	out, _ := s.callbacks.log.list(f)
	return out
}

// AwaitCallbacks waits until the journal holds at least n callbacks that
// match the filter and returns them, oldest first; or returns those there
// are with ctx's error.
func (s *Server) AwaitCallbacks(ctx context.Context, f CallbackFilter, n int) ([]Callback, error) {
	for {
		out, changed := s.callbacks.log.list(f)
		if len(out) >= n {
			return out, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return out, fmt.Errorf("mockserver: %d of %d callbacks: %w", len(out), n, ctx.Err())
		}
	}
}

// CallbackSettings are the callbacks in force: the default and each app's
// own, as set (not filled with defaults), tokens included.
type CallbackSettings struct {
	Default Callbacks            `json:"default"`
	Apps    map[uint64]Callbacks `json:"apps,omitempty"`
}

// CallbackSettings returns the callbacks in force, tokens included (the
// admin API redacts them).
func (s *Server) CallbackSettings() CallbackSettings {
	c := s.callbacks
	c.mu.Lock()
	defer c.mu.Unlock()
	out := CallbackSettings{Default: c.top.own(), Apps: map[uint64]Callbacks{}}
	for id, a := range c.apps {
		out.Apps[id] = a.own()
	}
	return out
}

// CallbacksFor returns the callbacks an app sends with, defaults filled.
func (s *Server) CallbacksFor(sdkappid uint64) Callbacks { return s.callbacks.settings(sdkappid) }

// SetCallbacks sets the default callbacks (sdkappid 0) or an app's own,
// in place of what was set; Reset puts the configuration's back.
func (s *Server) SetCallbacks(sdkappid uint64, cb Callbacks) error {
	at := "callbacks"
	if sdkappid != 0 {
		if _, ok := s.apps[sdkappid]; !ok {
			return fmt.Errorf("mockserver: callbacks: no app %d", sdkappid)
		}
		at = fmt.Sprintf("apps/%d/callbacks", sdkappid)
	}
	if err := cb.validate(at); err != nil {
		return fmt.Errorf("mockserver: %w", err)
	}
	c := s.callbacks
	cb = cb.own()
	c.mu.Lock()
	defer c.mu.Unlock()
	if sdkappid == 0 {
		if cb.Token == tokenPlaceholder {
			cb.Token = c.top.Token
		}
		c.top = cb
		return nil
	}
	if old := c.apps[sdkappid]; old != nil && cb.Token == tokenPlaceholder {
		cb.Token = old.Token
	} else if cb.Token == tokenPlaceholder {
		cb.Token = ""
	}
	c.apps[sdkappid] = &cb
	return nil
}

// callbackConversation is the conversation key of a chatbot callback.
func callbackConversation(kind, a, b string) string {
	return strings.Join([]string{kind, a, b}, ":")
}
