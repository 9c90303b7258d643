package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/deskmock/deskmock/conformance/protocol"
	"github.com/deskmock/deskmock/mockserver"
	"github.com/deskmock/deskmock/mockserver/codes"
)

// outcome is what an attempt came to, as the client saw it.
type outcome int

const (
	// success: HTTP 200 and ErrorCode 0.
	success outcome = iota
	// retryable: a retryable code, a 5xx status, a dropped connection, no
	// reply in time or a reply that is not the vendor's envelope.
	retryable
	// fatal: any other code or status.
	fatal
)

// String names the outcome in reports.
func (o outcome) String() string {
	return [...]string{"ok", "retryable failure", "non-retryable failure"}[o]
}

// callKind is the part a request plays in the stream.
type callKind int

const (
	// firstAttempt is the first request of a chunk.
	firstAttempt callKind = iota
	// retryAttempt repeats the chunk of a failed request.
	retryAttempt
	// unexpected is a request whose chunk is not the one due.
	unexpected
	// deskCall is a request to one of the Desk calls an Input's Then may
	// name (protocol.Calls), not to the stream.
	deskCall
)

// call is one request of the client, read from the journal and classified.
type call struct {
	mockserver.Exchange
	// n numbers the calls from 1 in arrival order.
	n int
	// stray is a request outside /v4/, which the mock does not journal.
	stray bool
	// desk names the Desk call of a deskCall.
	desk string

	// The request body, as the client sent it. bodyKnown is false when the
	// mock did not keep the body (longer than the limit).
	bodyKnown bool
	bodyErr   string
	// conv names the conversation as the body does, field by field, such
	// as "SessionId=…" or "no From_Account To_Account=bob".
	conv      string
	chunk     string
	keyName   string // the endpoint's name of the key: MsgKey, StreamMsgID
	msgKey    string
	hasMsgKey bool
	finish    bool // Finish: 1, or on an indexed endpoint IsLast: true
	// indexes are the Index of each chunk of a TIMStreamElem body; elem is
	// true when the body is shaped as one (it has MsgBody).
	indexes []int
	elem    bool

	// What the client got.
	outcome   outcome
	reason    string // e.g. "ErrorCode 20004", "HTTP 502", "connection dropped"
	code      int    // the reply's ErrorCode, when it was a vendor envelope
	info      string // the reply's ErrorInfo
	delivered string // the MsgKey of a reply that reached the client

	// The call's place in the stream.
	kind    callKind
	index   int    // the chunk's index; -1 for an unexpected call
	attempt int    // 1 for the first attempt of a chunk
	note    string // why an unexpected call is unexpected
	label   string // the same, in a few words
	// gen counts the times the client started the message anew, after a
	// stream ended under it; restart marks the call that did.
	gen     int
	restart bool
	// appliedEarlier marks a retry on an indexed endpoint refused by
	// chunk-index (v2: 141004) because an attempt whose reply was lost had
	// been applied: for the client, a success.
	appliedEarlier bool
}

// sortByArrival orders exchanges by arrival time (the journal orders them by
// the time they ended).
func sortByArrival(ex []mockserver.Exchange) {
	sort.SliceStable(ex, func(i, j int) bool {
		if !ex[i].Time.Equal(ex[j].Time) {
			return ex[i].Time.Before(ex[j].Time)
		}
		return ex[i].Seq < ex[j].Seq
	})
}

// analyze classifies the exchanges of a case, oldest first, against the
// chunks the client had to send to the endpoint ep.
func analyze(exs []mockserver.Exchange, chunks []string, ep protocol.Endpoint) []call {
	calls := make([]call, len(exs))
	next := 0         // the index of the chunk due next
	gen := 0          // the client's attempt at the message
	ended := false    // a call of this attempt was refused because its stream ended
	fateLost := false // an attempt of the current chunk got no reply the client could read
	var prev *call    // the stream's call before this one
	for i, e := range exs {
		c := &calls[i]
		c.Exchange, c.n = e, i+1
		c.stray = len(e.Path) < 4 || e.Path[:4] != "/v4/"
		c.readBody(ep)
		c.readReply(ep)
		if dc, ok := deskCallAt(e.Path); ok {
			c.kind, c.index, c.desk, c.gen = deskCall, -1, dc.Name, gen
			continue
		}
		switch {
		case prev != nil && prev.outcome != success && prev.kind != unexpected && c.sameChunk(prev):
			c.kind, c.index, c.attempt = retryAttempt, prev.index, prev.attempt+1
		case ended && c.bodyKnown && !c.hasMsgKey && len(chunks) > 0 && c.chunk == chunks[0]:
			gen, next, ended = gen+1, 1, false
			c.kind, c.index, c.attempt, c.restart = firstAttempt, 0, 1, true
		case next < len(chunks) && (!c.bodyKnown || c.chunk == chunks[next]):
			c.kind, c.index, c.attempt = firstAttempt, next, 1
			next++
		default:
			c.kind, c.index = unexpected, -1
			c.note, c.label = whyUnexpected(c.chunk, chunks, next)
		}
		c.gen = gen
		if c.kind != retryAttempt {
			fateLost = false
		}
		if ep.Indexed && c.elem && c.kind == retryAttempt && fateLost && c.outcome == fatal && refusedAtEnd(c.Check, codes.CheckChunkIndex) {
			c.outcome, c.appliedEarlier = success, true
			c.reason = fmt.Sprintf("ErrorCode %d (%s): an attempt whose reply was lost had been applied", c.code, c.Check)
		}
		fateLost = fateLost || (c.outcome == retryable && c.code == 0)
		if !c.appliedEarlier && c.outcome == fatal && refusedAtEnd(c.Check) {
			ended = true
		}
		prev = c
	}
	return calls
}

// deskCallAt returns the Desk call whose path is path.
func deskCallAt(path string) (protocol.Call, bool) {
	for _, dc := range protocol.Calls() {
		if dc.Path == path {
			return dc, true
		}
	}
	return protocol.Call{}, false
}

// streamCalls returns the calls to the stream, without the Desk calls.
func streamCalls(calls []call) []call {
	out := make([]call, 0, len(calls))
	for _, c := range calls {
		if c.kind != deskCall {
			out = append(out, c)
		}
	}
	return out
}

// refusedAtEnd reports whether the mock refused a call because its stream
// had ended (by its last chunk or the idle timeout), or for one of also.
func refusedAtEnd(check codes.Check, also ...codes.Check) bool {
	return check == codes.CheckStreamFinished || check == codes.CheckStreamIdleEnded || slices.Contains(also, check)
}

// whyUnexpected says what an unexpected chunk is, next being the index of
// the chunk due: a sentence, and a short label for diffs.
func whyUnexpected(chunk string, chunks []string, next int) (note, label string) {
	n := len(chunks)
	for j := next - 1; j >= 0; j-- {
		if chunks[j] == chunk {
			return fmt.Sprintf("chunk %d/%d again, after it was accepted", j+1, n), fmt.Sprintf("%d/%d again", j+1, n)
		}
	}
	for j := next + 1; j < n; j++ {
		if chunks[j] == chunk {
			return fmt.Sprintf("chunk %d/%d before chunk %d/%d", j+1, n, next+1, n), fmt.Sprintf("%d/%d too early", j+1, n)
		}
	}
	if next >= n {
		return "a call after the last chunk", "after the last"
	}
	return "a chunk that is not in the case", "not in the case"
}

// sameChunk reports whether c repeats prev's chunk. A body the mock did not
// keep counts as a repeat.
func (c *call) sameChunk(prev *call) bool {
	if !c.bodyKnown || !prev.bodyKnown {
		return true
	}
	return c.chunk == prev.chunk
}

// readBody parses the request body as the endpoint ep reads it.
func (c *call) readBody(ep protocol.Endpoint) {
	c.keyName = ep.Key
	if c.Check == codes.CheckBodyTooLarge {
		c.bodyErr = "longer than the body limit; not kept by the mock"
		return
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(c.Body)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		c.bodyKnown = true // known, and wrong
		c.bodyErr = "not a JSON object: " + err.Error()
		return
	}
	c.bodyKnown = true
	c.conv = conversationText(ep, func(f protocol.Field) (any, bool) { v, ok := m[f.Wire]; return v, ok })
	holder := m
	if ep.KeyInContent {
		holder = streamContent(m)
	}
	var key any
	key, c.hasMsgKey = holder[ep.Key]
	c.msgKey, _ = key.(string)
	if _, ok := m["MsgBody"]; ok {
		c.readChunksV2(m)
		return
	}
	c.chunk, _ = m["Chunk"].(string)
	if f, ok := m["Finish"].(json.Number); ok {
		v, err := f.Float64() // as the mock reads it: 1.0 is 1
		c.finish = err == nil && v == 1
	}
}

// conversationText writes how a body names the conversation, field by
// field: "Wire=value" (a value that is no string in JSON), or "no Wire"
// for a field the body lacks.
func conversationText(ep protocol.Endpoint, field func(protocol.Field) (any, bool)) string {
	parts := make([]string, len(ep.Conversation))
	for i, f := range ep.Conversation {
		v, ok := field(f)
		s, isString := v.(string)
		switch {
		case !ok:
			parts[i] = "no " + f.Wire
		case isString:
			parts[i] = f.Wire + "=" + s
		default:
			b, _ := json.Marshal(v)
			parts[i] = f.Wire + "=" + string(b) + " (not a string)"
		}
	}
	return strings.Join(parts, " ")
}

// streamContent returns the MsgContent of a body's first MsgBody element,
// or nil.
func streamContent(m map[string]any) map[string]any {
	elems, _ := m["MsgBody"].([]any)
	if len(elems) == 0 {
		return nil
	}
	el, _ := elems[0].(map[string]any)
	content, _ := el["MsgContent"].(map[string]any)
	return content
}

// readChunksV2 reads a TIMStreamElem body's chunks, wherever they are:
// their Markdown joined, their Index, and IsLast on any.
func (c *call) readChunksV2(m map[string]any) {
	c.elem = true
	var text strings.Builder
	elems, _ := m["MsgBody"].([]any)
	for _, el := range elems {
		el, _ := el.(map[string]any)
		content, _ := el["MsgContent"].(map[string]any)
		chunks, _ := content["Chunks"].([]any)
		for _, ch := range chunks {
			ch, _ := ch.(map[string]any)
			md, _ := ch["Markdown"].(string)
			text.WriteString(md)
			index := -1 // missing or not an integer
			if n, ok := ch["Index"].(json.Number); ok {
				if v, err := n.Float64(); err == nil && v == float64(int(v)) {
					index = int(v)
				}
			}
			c.indexes = append(c.indexes, index)
			if last, _ := ch["IsLast"].(bool); last {
				c.finish = true
			}
		}
	}
	c.chunk = text.String()
}

// envelope is the vendor's reply; the stream's key is read apart, by the
// endpoint's name of it.
type envelope struct {
	ActionStatus string `json:"ActionStatus"`
	ErrorCode    *int   `json:"ErrorCode"`
	ErrorInfo    string `json:"ErrorInfo"`
}

// readReply decides the outcome of the call as the client saw it.
func (c *call) readReply(ep protocol.Endpoint) {
	switch {
	case c.Status == 0 && c.Action == "reset":
		c.outcome, c.reason = retryable, "connection dropped without a reply"
		return
	case c.Status == 0:
		c.outcome, c.reason = retryable, "no reply: the client gave up waiting"
		return
	case c.Status >= 500:
		c.outcome, c.reason = retryable, fmt.Sprintf("HTTP %d", c.Status)
		return
	case c.Status != http.StatusOK:
		c.outcome, c.reason = fatal, fmt.Sprintf("HTTP %d", c.Status)
		return
	}
	var env envelope
	if err := json.Unmarshal([]byte(c.Reply), &env); err != nil || env.ErrorCode == nil {
		c.outcome, c.reason = retryable, "a reply that is not the vendor's envelope"
		if c.Action == "truncate" {
			c.reason = "a truncated reply"
		}
		return
	}
	c.code, c.info = *env.ErrorCode, env.ErrorInfo
	switch {
	case c.code == 0:
		var key map[string]any
		json.Unmarshal([]byte(c.Reply), &key) // it parsed as an object above
		c.delivered, _ = key[ep.Key].(string)
		c.outcome, c.reason = success, "ok"
	case codes.Retryable(c.code):
		c.outcome, c.reason = retryable, fmt.Sprintf("ErrorCode %d", c.code)
	default:
		c.outcome, c.reason = fatal, fmt.Sprintf("ErrorCode %d", c.code)
	}
}

// pipelineRan reports whether the mock's pipeline judged the request, so
// that its Check is its verdict on the query and the UserSig.
func (c *call) pipelineRan() bool {
	switch {
	case c.stray:
		return false
	case c.Fault == "" || c.Fault == "trigger":
		return true
	case c.Action == "delay" || c.Action == "truncate":
		return true
	case c.Action == "reset":
		return c.Applied
	}
	return false
}

// describe says where a call stands in the stream, for messages.
func (c *call) describe(total int) string {
	switch c.kind {
	case firstAttempt:
		if c.restart {
			return fmt.Sprintf("call #%d (chunk %d/%d, in a new stream)", c.n, c.index+1, total)
		}
		return fmt.Sprintf("call #%d (chunk %d/%d)", c.n, c.index+1, total)
	case retryAttempt:
		return fmt.Sprintf("call #%d (chunk %d/%d, attempt %d)", c.n, c.index+1, total, c.attempt)
	case deskCall:
		return fmt.Sprintf("call #%d (%s)", c.n, c.desk)
	}
	return fmt.Sprintf("call #%d (unexpected: %s)", c.n, c.note)
}
