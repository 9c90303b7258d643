package mockserver

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/deskmock/deskmock/mockserver/codes"
)

// Fault is a rule that makes the server misbehave on purpose: when a request
// matches, the action replaces or delays the normal answer.
type Fault struct {
	// ID names the rule; the server assigns one when it is empty.
	ID string `json:"id,omitempty"`
	// Match selects the requests; all its set fields must hold.
	Match FaultMatch `json:"match"`
	// Action is what the server does instead.
	Action FaultAction `json:"action"`
	// Times is how often the rule fires at most; 0 means without limit.
	Times int `json:"times,omitempty"`
	// Probability, when set, is the chance (0..1) that a matching request
	// fires the rule, drawn from a generator seeded with Seed so that a run
	// replays.
	Probability *float64 `json:"probability,omitempty"`
	// Seed seeds the generator of Probability.
	Seed uint64 `json:"seed,omitempty"`
	// Fired counts how often the rule fired; set by the server in listings.
	Fired int `json:"fired"`
}

// FaultMatch selects requests. The zero FaultMatch matches every request.
type FaultMatch struct {
	// Endpoint matches the endpoint's name ("v1", "v2", "c2c", "group").
	Endpoint string `json:"endpoint,omitempty"`
	// SessionID matches the body's SessionId (Desk's endpoints).
	SessionID string `json:"session_id,omitempty"`
	// Conversation matches the key of the conversation the body names:
	// a SessionId, "c2c:FROM:TO" or "group:GROUP:FROM" (see Stream).
	Conversation string `json:"conversation,omitempty"`
	// Call matches the Nth request that names the conversation (1-based),
	// counting every request whose body names it, failed ones included.
	Call int `json:"call,omitempty"`
	// Nth matches the Nth request to the endpoint overall (1-based).
	Nth int `json:"nth,omitempty"`
	// ChunkContains matches a Chunk containing this text.
	ChunkContains string `json:"chunk_contains,omitempty"`
	// HasMsgKey matches requests with (true) or without (false) a MsgKey.
	HasMsgKey *bool `json:"has_msg_key,omitempty"`
	// Finish matches requests with Finish 1 (true) or without (false).
	Finish *bool `json:"finish,omitempty"`
	// Callback makes the rule one of callbacks, not of requests: it
	// matches the callbacks of this Desk Event (as sent) or command
	// (Bot.OnC2CMessage, Bot.OnGroupMessage), or "*" every callback. With
	// it, SessionID and Conversation match the callback's, and Nth the
	// Nth callback queued.
	Callback string `json:"callback,omitempty"`
}

// Reset moments.
const (
	// ResetBeforeApply drops the connection before the chunk is applied.
	ResetBeforeApply = "before_apply"
	// ResetAfterApply applies the chunk, then drops the connection.
	ResetAfterApply = "after_apply"
)

// FaultAction is what a fault does: at most one of ErrorCode, HTTPStatus,
// Reset and Truncate, optionally after DelayMS; or DelayMS alone, then the
// normal answer.
type FaultAction struct {
	// ErrorCode answers this code in the vendor envelope, with the vendor's
	// ErrorInfo or ErrorInfo when set. Nothing is applied.
	ErrorCode int    `json:"error_code,omitempty"`
	ErrorInfo string `json:"error_info,omitempty"`
	// HTTPStatus answers this HTTP status with Body, or with a gateway's
	// HTML error page when Body is nil. Nothing is applied.
	HTTPStatus int     `json:"http_status,omitempty"`
	Body       *string `json:"body,omitempty"`
	// DelayMS waits this many milliseconds first.
	DelayMS int `json:"delay_ms,omitempty"`
	// Reset closes the connection without a reply, before or after the
	// chunk is applied as When says (ResetBeforeApply by default).
	Reset bool   `json:"reset,omitempty"`
	When  string `json:"when,omitempty"`
	// Truncate processes the request normally, sends half of the reply and
	// closes the connection.
	Truncate bool `json:"truncate,omitempty"`
	// KeyOrder writes the envelope with its keys in this order (a
	// permutation of defaultKeyOrder), alone or with any other action.
	KeyOrder []string `json:"key_order,omitempty"`
	// Callback is what a rule of callbacks does to a callback (see
	// CallbackFaults): twice, out_of_order, wrong_sdkappid, bad_sign or
	// stale_time; DelayMS alone delivers it late.
	Callback string `json:"callback,omitempty"`
}

// name is the kind of the action, as the journal records it.
func (a FaultAction) name() string {
	switch {
	case a.ErrorCode != 0:
		return "error_code"
	case a.HTTPStatus != 0:
		return "http_status"
	case a.Reset:
		return "reset"
	case a.Truncate:
		return "truncate"
	case a.Callback != "":
		return a.Callback
	case a.DelayMS > 0:
		return "delay"
	case len(a.KeyOrder) > 0:
		return "key_order"
	}
	return ""
}

// Validate checks a fault rule; errors name the field.
func (f *Fault) Validate() error {
	a := f.Action
	exclusive := 0
	for _, set := range []bool{a.ErrorCode != 0, a.HTTPStatus != 0, a.Reset, a.Truncate} {
		if set {
			exclusive++
		}
	}
	_, knownCode := codes.Lookup(a.ErrorCode)
	problems := []struct {
		bad bool
		msg string
	}{
		{exclusive > 1, "action: give at most one of error_code, http_status, reset, truncate"},
		{exclusive == 0 && a.DelayMS <= 0 && len(a.KeyOrder) == 0 && a.Callback == "", "action: give one of error_code, http_status, delay_ms, reset, truncate, key_order, callback"},
		{validKeyOrder(a.KeyOrder) != nil, fmt.Sprintf("action/key_order: %v", validKeyOrder(a.KeyOrder))},
		{a.ErrorCode < 0, "action/error_code: must be positive"},
		{a.ErrorCode > 0 && !knownCode && a.ErrorInfo == "", fmt.Sprintf("action/error_code: %d is not a known code, so error_info is required", a.ErrorCode)},
		{a.ErrorInfo != "" && a.ErrorCode == 0, "action/error_info: goes with error_code"},
		{a.HTTPStatus != 0 && (a.HTTPStatus < 200 || a.HTTPStatus > 599), fmt.Sprintf("action/http_status: %d is not in 200..599", a.HTTPStatus)},
		{a.Body != nil && a.HTTPStatus == 0, "action/body: goes with http_status"},
		{a.DelayMS < 0 || a.DelayMS > maxFaultDelayMS, fmt.Sprintf("action/delay_ms: %d is not in 0..%d", a.DelayMS, maxFaultDelayMS)},
		{a.When != "" && !a.Reset, "action/when: goes with reset"},
		{a.When != "" && a.When != ResetBeforeApply && a.When != ResetAfterApply, fmt.Sprintf("action/when: %q is neither %q nor %q", a.When, ResetBeforeApply, ResetAfterApply)},
		{f.Times < 0, "times: must not be negative"},
		{f.Probability != nil && !(*f.Probability >= 0 && *f.Probability <= 1), "probability: must be in 0..1"},
		{f.Match.Call < 0, "match/call: must be positive"},
		{f.Match.Nth < 0, "match/nth: must be positive"},
		{f.Match.SessionID != "" && !ValidSessionID(f.Match.SessionID), fmt.Sprintf("match/session_id: %q is not a well-formed SessionId", f.Match.SessionID)},
		{f.Match.Endpoint != "" && !knownEndpoint(f.Match.Endpoint), fmt.Sprintf("match/endpoint: %q is no endpoint (known: %s)", f.Match.Endpoint, strings.Join(versions(), ", "))},
	}
	for _, p := range problems {
		if p.bad {
			return errors.New(p.msg)
		}
	}
	return f.validCallback()
}

// arrival is what fault matching knows of a request.
type arrival struct {
	nth          uint64
	endpoint     string
	conversation string // the conversation's key
	sessionID    string // the conversation's key, on a Desk endpoint
	call         int    // the request's number on its conversation; 0 without one
	chunk        string // the text of the call's chunks
	hasMsgKey    bool
	finish       bool
	callback     string // a callback's Event or command; "" for a request
}

func (m *FaultMatch) matches(a *arrival) bool {
	return (m.Endpoint == "" || m.Endpoint == a.endpoint) &&
		(m.SessionID == "" || m.SessionID == a.sessionID) &&
		(m.Conversation == "" || m.Conversation == a.conversation) &&
		(m.Call == 0 || m.Call == a.call) &&
		(m.Nth == 0 || uint64(m.Nth) == a.nth) &&
		(m.ChunkContains == "" || strings.Contains(a.chunk, m.ChunkContains)) &&
		(m.HasMsgKey == nil || *m.HasMsgKey == a.hasMsgKey) &&
		(m.Finish == nil || *m.Finish == a.finish) &&
		(m.Callback == "" && a.callback == "" || a.callback != "" && (m.Callback == "*" || m.Callback == a.callback))
}

// faultRule is a Fault with its state.
type faultRule struct {
	Fault
	rng   *rand.Rand
	seq   int // the rule's place in the order of adding, from 1
	bytes int // its size as JSON
	held  int // what it holds in memory (see own)
}

// faultRuleOverhead is what a rule holds besides its strings: the struct
// and its slot in the set, the generator of a Probability (a rand.Rand and
// its PCG), the small allocations behind its pointers, and the rounding of
// its allocations.
const faultRuleOverhead = int(unsafe.Sizeof(faultRule{})) + 8 + int(unsafe.Sizeof(rand.Rand{})+unsafe.Sizeof(rand.PCG{})) + 4*16 + 64

// own gives the rule copies of every string and pointer of its Fault,
// which may share memory with what the caller decoded it from, and
// returns what the rule then holds:
//
//	faultRuleOverhead
//	+ the length of every string (ID, session ID, chunk_contains,
//	  error_info, body, when, the callbacks')
//	+ 16×cap(KeyOrder) + the length of each of its keys
func (r *faultRule) own() int {
	f := &r.Fault
	n := faultRuleOverhead
	for _, p := range [...]*string{&f.ID, &f.Match.Endpoint, &f.Match.SessionID, &f.Match.Conversation, &f.Match.ChunkContains, &f.Action.ErrorInfo, &f.Action.When, &f.Match.Callback, &f.Action.Callback} {
		*p = strings.Clone(*p)
		n += len(*p)
	}
	if b := f.Action.Body; b != nil {
		c := strings.Clone(*b)
		f.Action.Body = &c
		n += len(c)
	}
	if f.Action.KeyOrder != nil {
		keys := make([]string, len(f.Action.KeyOrder))
		for i, k := range f.Action.KeyOrder {
			keys[i] = strings.Clone(k)
			n += len(k)
		}
		f.Action.KeyOrder = keys
		n += 16 * len(keys)
	}
	if p := f.Probability; p != nil {
		c := *p
		f.Probability = &c
	}
	for _, p := range [...]**bool{&f.Match.HasMsgKey, &f.Match.Finish} {
		if *p != nil {
			c := **p
			*p = &c
		}
	}
	return n
}

// faultSet holds the rules in order, at most maxFaults of them.
type faultSet struct {
	mu     sync.Mutex
	rules  []*faultRule
	nextID int
}

// held returns the bytes the rules hold (see faultRule.own).
func (fs *faultSet) held() int64 {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	n := 0
	for _, r := range fs.rules {
		n += r.held
	}
	return int64(n)
}

func (fs *faultSet) add(f Fault) (string, error) {
	if err := f.Validate(); err != nil {
		return "", err
	}
	size := faultBytes(&f)
	if size > maxFaultBytes {
		return "", fmt.Errorf("%w: %d bytes as JSON, more than %d", ErrFaultTooLarge, size, maxFaultBytes)
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if len(fs.rules) >= maxFaults {
		return "", fmt.Errorf("%w: %d rules are in force already; remove some first", ErrTooManyFaults, len(fs.rules))
	}
	fs.nextID++
	if f.ID == "" {
		f.ID = "f" + strconv.Itoa(fs.nextID)
	}
	for _, r := range fs.rules {
		if r.ID == f.ID {
			return "", fmt.Errorf("id: a fault %q exists already", f.ID)
		}
	}
	f.Fired = 0
	r := &faultRule{Fault: f, seq: fs.nextID, bytes: size}
	r.held = r.own()
	if f.Probability != nil {
		r.rng = rand.New(rand.NewPCG(f.Seed, f.Seed^0x9e3779b97f4a7c15))
	}
	fs.rules = append(fs.rules, r)
	return f.ID, nil
}

// fire returns the first rule that matches the request and fires, counting
// it, or false.
func (fs *faultSet) fire(a *arrival) (Fault, bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for _, r := range fs.rules {
		if r.Times > 0 && r.Fired >= r.Times {
			continue
		}
		if !r.Match.matches(a) {
			continue
		}
		if r.rng != nil && r.rng.Float64() >= *r.Probability {
			continue
		}
		r.Fired++
		return r.Fault, true
	}
	return Fault{}, false
}

func (fs *faultSet) list() []Fault {
	out, _ := fs.page(0, maxFaults)
	return out
}

// page returns, in order, at most limit rules added after the one of place
// after (0 for the first rule), no more than fit a page of maxPageBytes as
// sent, and the place of the last rule returned when more follow, else 0.
func (fs *faultSet) page(after, limit int) ([]Fault, int) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	i := sort.Search(len(fs.rules), func(i int) bool { return fs.rules[i].seq > after })
	out := make([]Fault, 0, min(limit, len(fs.rules)-i))
	for held := 0; i < len(fs.rules) && len(out) < limit; i++ {
		// A rule is sent as measured but for its count of firings (up
		// to 20 digits) and a comma.
		if held += fs.rules[i].bytes + 20; held > maxPageBytes-pageEnvelope && len(out) > 0 {
			break
		}
		out = append(out, fs.rules[i].Fault)
	}
	if i < len(fs.rules) && len(out) > 0 {
		return out, fs.rules[i-1].seq
	}
	return out, 0
}

func (fs *faultSet) remove(id string) bool {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i, r := range fs.rules {
		if r.ID == id {
			fs.rules = append(fs.rules[:i], fs.rules[i+1:]...)
			return true
		}
	}
	return false
}

func (fs *faultSet) clear() {
	fs.mu.Lock()
	fs.rules = nil
	fs.mu.Unlock()
}

// Trigger session IDs answer an error code with no setup at all:
// 00000000-0000-0000-NNNN-CCCCCCCCCCCC answers code C (decimal, 12 digits)
// on the Nth call of the session (decimal, 4 digits), or on every call when
// N is 0000. Only codes of the catalogue trigger; any other ID is an ordinary
// session.
const triggerPrefix = "00000000-0000-0000-"

// TriggerSessionID returns the trigger SessionId that answers code on the
// call-th call of the session, or on every call when call is 0.
func TriggerSessionID(code, call int) string {
	return fmt.Sprintf("%s%04d-%012d", triggerPrefix, call, code)
}

// Trigger names do for the native streams what trigger SessionIds do for
// Desk: a To_Account or GroupId "trigger-C" answers code C on every call
// of its conversation, "trigger-C-N" on its Nth call only (C and N
// decimal, no sign, no leading zero).
const triggerNamePrefix = "trigger-"

// TriggerName returns the trigger account or group ID that answers code on
// the call-th call of its conversation, or on every call when call is 0.
func TriggerName(code, call int) string {
	if call == 0 {
		return triggerNamePrefix + strconv.Itoa(code)
	}
	return triggerNamePrefix + strconv.Itoa(code) + "-" + strconv.Itoa(call)
}

// parseTrigger reads a trigger SessionId or trigger name.
func parseTrigger(id string) (code, call int, ok bool) {
	if strings.HasPrefix(id, triggerNamePrefix) {
		return parseTriggerName(id[len(triggerNamePrefix):])
	}
	if len(id) != 36 || !strings.HasPrefix(id, triggerPrefix) || id[23] != '-' {
		return 0, 0, false
	}
	call, err1 := strconv.Atoi(id[19:23])
	code, err2 := strconv.Atoi(id[24:])
	if err1 != nil || err2 != nil || code == 0 || strings.ContainsAny(id[19:], "+") {
		return 0, 0, false
	}
	return catalogued(code, call)
}

// parseTriggerName reads "C" or "C-N" of a trigger name.
func parseTriggerName(s string) (code, call int, ok bool) {
	codeText, callText, hasCall := strings.Cut(s, "-")
	code, ok = plainNumber(codeText)
	if !ok {
		return 0, 0, false
	}
	if hasCall {
		if call, ok = plainNumber(callText); !ok {
			return 0, 0, false
		}
	}
	return catalogued(code, call)
}

// plainNumber reads a positive decimal number written without a sign or
// leading zero, of at most 9 digits.
func plainNumber(s string) (int, bool) {
	if s == "" || len(s) > 9 || s[0] == '0' {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// catalogued returns code and call when code is in the catalogue: only
// those trigger.
func catalogued(code, call int) (int, int, bool) {
	if _, known := codes.Lookup(code); !known {
		return 0, 0, false
	}
	return code, call, true
}

// callCounterBytes bounds what the call counter keeps: past it, as past
// its count of sessions, the session counted first is forgotten first.
const callCounterBytes = 16 << 20

// callCounterEntryBytes is what the counter holds per session besides the
// ID's bytes: its map slot (a string key and a pointer, 24 bytes, at the
// map's load about 40), its sessionCount (32 bytes), its place in order (16
// bytes, up to twice that as order grows and is compacted) and the
// rounding of the ID's allocation.
const callCounterEntryBytes = 112

// callCounter counts requests per well-formed session ID, bounded by count
// and by bytes: past max sessions or callCounterBytes the oldest counted is
// forgotten. Each session counts len(ID) + callCounterEntryBytes; the ID
// is the counter's own copy, shared by its map key and its place in order.
type callCounter struct {
	mu     sync.Mutex
	max    int
	budget int                      // callCounterBytes, but in tests
	bytes  int                      // held by the entries
	count  map[string]*sessionCount // counted in place: one lookup a call
	order  []string
	head   int
}

// sessionCount is the count of one session, with the ID as the counter
// keeps it.
type sessionCount struct {
	n  int
	id string
}

func newCallCounter(max int) *callCounter {
	return &callCounter{max: max, budget: callCounterBytes, count: make(map[string]*sessionCount)}
}

// next counts one more request on the conversation of key session and
// returns its number and the counter's copy of the key, which the caller
// may keep: the counter never keeps session itself, which may be a part of
// a request. The caller counts only well-formed conversations
// (conversation.malformed).
func (c *callCounter) next(session []byte) (int, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.count[string(session)]
	if !ok {
		e = &sessionCount{}
		size := len(session) + callCounterEntryBytes
		for len(c.order)-c.head > 0 && (len(c.order)-c.head >= c.max || c.bytes+size > c.budget) {
			c.forgetOldest()
		}
		e.id = string(session)
		c.order = append(c.order, e.id)
		c.bytes += size
		c.count[e.id] = e
	}
	e.n++
	return e.n, e.id
}

// forgetOldest forgets the session counted first.
func (c *callCounter) forgetOldest() {
	id := c.order[c.head]
	delete(c.count, id)
	c.bytes -= len(id) + callCounterEntryBytes
	c.order[c.head] = ""
	c.head++
	if c.head > len(c.order)/2 {
		c.order = append([]string(nil), c.order[c.head:]...)
		c.head = 0
	}
}

// held returns the bytes the counted sessions count against the budget.
func (c *callCounter) held() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return int64(c.bytes)
}

func (c *callCounter) reset() {
	c.mu.Lock()
	c.count = make(map[string]*sessionCount)
	c.order, c.head, c.bytes = nil, 0, 0
	c.mu.Unlock()
}
