package mockserver

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/deskmock/deskmock/mockserver/codes"
)

// StreamState is where a stream is in its life.
type StreamState string

// Stream states.
const (
	// StreamOpen accepts more calls.
	StreamOpen StreamState = "open"
	// StreamFinished ended with its last chunk (Finish: 1, IsLast: true).
	StreamFinished StreamState = "finished"
	// StreamTimedOut ended by itself: no call came within the endpoint's
	// idle timeout.
	StreamTimedOut StreamState = "timed-out"
)

// Stream is one streamed message as the server holds it.
type Stream struct {
	// MsgKey is the key the first call returned.
	MsgKey string `json:"msg_key"`
	// Version is the endpoint that opened the stream: "v1" or "v2".
	Version string `json:"version"`
	// SessionID is the Desk session the stream belongs to; empty on the
	// native streams.
	SessionID string `json:"session_id"`
	// Conversation is the key of the conversation the stream belongs to:
	// the SessionId on Desk, "c2c:FROM:TO" or "group:GROUP:FROM" (FROM
	// empty when the administrator sends).
	Conversation string `json:"conversation"`
	// State is open, finished or timed-out.
	State StreamState `json:"state"`
	// Chunks are the accepted chunks, in the order the server accepted
	// them; nil in summaries.
	Chunks []string `json:"chunks,omitempty"`
	// Indexes are the v2 Index of each chunk; nil on v1 and in summaries.
	Indexes []int `json:"indexes,omitempty"`
	// Text is the chunks joined: the message the user sees; empty in
	// summaries.
	Text string `json:"text,omitempty"`
	// TextBytes is the length of Text in bytes.
	TextBytes int `json:"text_bytes"`
	// CompatibleText is the last v2 CompatibleText the stream was sent:
	// what clients too old to render a stream show.
	CompatibleText string `json:"compatible_text,omitempty"`
	// ChatbotMessage is what the user's client shows of a chatbot's stream
	// (the chatbot endpoint's only; nil in summaries).
	ChatbotMessage *ChatbotMessage `json:"chatbot_message,omitempty"`
	// Finished is true once the stream ended with its last chunk.
	Finished bool `json:"finished"`
	// Calls counts the accepted calls.
	Calls int `json:"calls"`
	// Opened is when the first call was accepted.
	Opened time.Time `json:"opened"`
	// Updated is when the last call was accepted.
	Updated time.Time `json:"updated"`
}

// ChatbotMessage is the custom message a chatbot's stream shows as in the
// user's client, as the vendor's client-side protocol describes it: its
// Data {"chatbotPlugin":2,"src":2,"chunks":[...],"isFinished":0|1}, first
// received, then modified with every chunk. Which chatbotPlugin value the
// chatbot stream itself produces is not documented: 2, the console's
// chatbots', is inferred.
type ChatbotMessage struct {
	ChatbotPlugin int      `json:"chatbotPlugin"`
	Src           int      `json:"src"`
	Chunks        []string `json:"chunks"`
	IsFinished    int      `json:"isFinished"`
}

// stream is the stored form of a Stream. Its MsgKey is kept as the numbers
// it is written from, and its chunks as their text joined and the offsets
// where each but the last ends: one allocation for the text, however many
// chunks.
type stream struct {
	seq     uint64 // the key's sequence number, and the store's map key
	unix    int64  // the key's time
	hi, lo  uint64 // the key's random digits: 16 from hi, 9 from lo's top
	conv    string // the conversation's key
	text    []byte // the chunks joined
	ends    []int  // where each chunk but the last ends in text
	indexes []int  // v2: each chunk's Index
	compat  string
	state   StreamState
	calls   int
	opened  time.Time
	updated time.Time
	policy  *endpoint // the endpoint that opened it
	recent  []int64   // the last calls' times (Unix ns), oldest first, for the rate rule

	// prev and next link the stream in the store's list of its state:
	// open, or ended (streamStore.listOf).
	prev, next *stream
}

// streamOverhead is what a stream costs beyond its text and slices: the
// struct (rounded up to its allocation), its entry in the map by sequence
// number (a 16-byte slot at the map's load, about 48 bytes) and the rounding
// of its conversation key's allocation.
const streamOverhead = int(unsafe.Sizeof(stream{})) + 8 + 48 + 16

// size is what the stream counts against the store's byte budget: what it
// holds, all of it its own (see open1). The store copies every string it
// keeps, so nothing of a request outlives it through a stream:
//
//	streamOverhead            the struct, map entry, allocation rounding
//	+ len(conv)               its copy of the conversation's key
//	+ cap(text)               the chunks joined
//	+ 8×cap(ends)             where each chunk ends
//	+ 8×cap(indexes)          v2's Index of each chunk
//	+ len(compat)             its copy of the CompatibleText
//	+ 8×cap(recent)           the times of the last calls (rate rule)
func (st *stream) size() int {
	return streamOverhead + len(st.conv) + cap(st.text) + 8*cap(st.ends) + 8*cap(st.indexes) + len(st.compat) + 8*cap(st.recent)
}

// chunkCount returns how many chunks the stream holds.
func (st *stream) chunkCount() int { return len(st.ends) + 1 }

// appendChunks adds a call's chunks after the others.
func (st *stream) appendChunks(chunks []chunk, indexed bool) {
	for i, ch := range chunks {
		if i > 0 || st.calls > 0 {
			st.ends = append(st.ends, len(st.text))
		}
		st.text = append(st.text, ch.text...)
		if indexed {
			st.indexes = append(st.indexes, ch.index)
		}
	}
}

// stateAt returns the stream's state at now: an open stream past its idle
// timeout has ended, though no call came to say so.
func (st *stream) stateAt(now time.Time) StreamState {
	if st.state == StreamOpen && st.policy.rules.IdleTimeout > 0 && now.Sub(st.updated) > st.policy.rules.IdleTimeout {
		return StreamTimedOut
	}
	return st.state
}

// appendKey appends the stream's MsgKey to b, shaped like the vendor's
// "124_1600045926_716f784b2bbd6ce9415027715": the sequence number, the unix
// time in seconds, and 25 random hexadecimal digits.
func (st *stream) appendKey(b []byte) []byte {
	b = strconv.AppendUint(b, st.seq, 10)
	b = append(b, '_')
	b = strconv.AppendInt(b, st.unix, 10)
	b = append(b, '_')
	return appendHexDigits(appendHexDigits(b, st.hi, 16), st.lo, 9)
}

// key returns the stream's MsgKey.
func (st *stream) key() string {
	var buf [msgKeyMaxLen]byte
	return string(st.appendKey(buf[:0]))
}

// hasKey reports whether key is the stream's MsgKey, byte for byte.
func (st *stream) hasKey(key string) bool {
	var buf [msgKeyMaxLen]byte
	return string(st.appendKey(buf[:0])) == key
}

// msgKeyMaxLen is the longest MsgKey: 20 digits, '_', 20, '_', 25.
const msgKeyMaxLen = 20 + 1 + 20 + 1 + 25

// snapshot copies the stream as a Stream at now; a summary leaves out the
// chunks and the text.
func (st *stream) snapshot(now time.Time, summary bool) Stream {
	out := Stream{
		MsgKey:         st.key(),
		Version:        st.policy.version,
		Conversation:   st.conv,
		State:          st.stateAt(now),
		TextBytes:      len(st.text),
		CompatibleText: st.compat,
		Finished:       st.state == StreamFinished,
		Calls:          st.calls,
		Opened:         st.opened,
		Updated:        st.updated,
	}
	if st.policy.conversation == inSession {
		out.SessionID = st.conv
	}
	if summary {
		out.CompatibleText = ""
		return out
	}
	chunks := make([]string, 0, st.chunkCount())
	start := 0
	for _, end := range st.ends {
		chunks = append(chunks, string(st.text[start:end]))
		start = end
	}
	out.Chunks = append(chunks, string(st.text[start:]))
	if st.policy.chatbotMessage {
		m := &ChatbotMessage{ChatbotPlugin: 2, Src: 2, Chunks: out.Chunks}
		if st.state == StreamFinished {
			m.IsFinished = 1
		}
		out.ChatbotMessage = m
	}
	out.Text = string(st.text)
	out.Indexes = slices.Clone(st.indexes)
	return out
}

// streamList is a doubly linked list of streams, oldest first, linked
// through the streams themselves.
type streamList struct {
	head, tail *stream
	n          int
}

func (l *streamList) pushBack(st *stream) {
	st.prev, st.next = l.tail, nil
	if l.tail != nil {
		l.tail.next = st
	} else {
		l.head = st
	}
	l.tail = st
	l.n++
}

func (l *streamList) remove(st *stream) {
	if st.prev != nil {
		st.prev.next = st.next
	} else {
		l.head = st.next
	}
	if st.next != nil {
		st.next.prev = st.prev
	} else {
		l.tail = st.prev
	}
	st.prev, st.next = nil, nil
	l.n--
}

func (l *streamList) moveToBack(st *stream) {
	if l.tail != st {
		l.remove(st)
		l.pushBack(st)
	}
}

// Default byte bounds of the stream store.
const (
	// defaultMaxStreamBytes caps one stream's text.
	defaultMaxStreamBytes = 1 << 20
	// defaultMaxStoreBytes caps what all streams hold together.
	defaultMaxStoreBytes = 128 << 20
)

// streamStore keeps streams by MsgKey, bounded by a count, by bytes (per
// stream and in all) and by a TTL. Open streams are listed by last use and
// ended ones by end time, so eviction takes the oldest ended stream first.
type streamStore struct {
	mu       sync.Mutex
	max      int
	ttl      time.Duration
	maxText  int   // one stream's text
	maxBytes int64 // every stream's size together
	bytes    int64
	bySeq    map[uint64]*stream // by the sequence number that starts the MsgKey
	open     streamList         // least recently used first
	ended    streamList         // oldest first
	seq      uint64
	keys     *rand.ChaCha8 // the random digits of MsgKeys
	evicted  uint64
	// onEvict, when set, hears of every stream the store lets go (caps or
	// TTL, not a reset), with s.mu held; it must not block.
	onEvict func(st *stream)
}

// keySeed seeds the random digits of MsgKeys.
var keySeed = [32]byte([]byte("deskmock: the digits of MsgKeys."))

func newStreamStore(max int, ttl time.Duration) *streamStore {
	return &streamStore{max: max, ttl: ttl, maxText: defaultMaxStreamBytes, maxBytes: defaultMaxStoreBytes,
		bySeq: make(map[uint64]*stream), keys: rand.NewChaCha8(keySeed)}
}

// create opens a v1 stream with its first chunk and returns its key.
func (s *streamStore) create(session, text string, finish bool, now time.Time) string {
	key, _ := s.open1(endpointV1, &streamCall{key: strings.Clone(session), chunks: []chunk{{text: text}}, last: finish}, now)
	return key
}

// add appends a chunk to an open v1 stream of the session. It returns the
// check that failed, or "" when the chunk was appended.
func (s *streamStore) add(key, session, text string, finish bool, now time.Time) codes.Check {
	return s.continue1(endpointV1, &streamCall{key: session, msgKey: key, hasMsgKey: true, chunks: []chunk{{text: text}}, last: finish}, now)
}

// open1 opens a stream with a call that has no MsgKey and returns its
// key, or the check that refused the call. The store keeps copies of the
// call's chunks and compatible text: they may be parts of the request's
// body, which a stream must not keep alive. The conversation's key it
// keeps as it is: the call counter's copy (see Server.arrive).
func (s *streamStore) open1(p *endpoint, c *streamCall, now time.Time) (string, codes.Check) {
	if p.indexed && c.chunks[0].index != 1 {
		return "", codes.CheckChunkIndex
	}
	if ch := checkIndexes(p, c, 0); ch != "" {
		return "", ch
	}
	if s.tooLarge(p, 0, c) {
		return "", codes.CheckMessageTooLarge
	}
	st := &stream{unix: now.Unix(), conv: c.key,
		compat: strings.Clone(c.compatibleText), state: StreamOpen, opened: now, updated: now, policy: p}
	st.appendChunks(c.chunks, p.indexed)
	st.calls = 1
	st.noteCall(now)
	if c.last {
		st.state = StreamFinished
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	// The random digits come from a ChaCha8 generator seeded anew by every
	// reset, so that two identical runs get identical keys; the sequence
	// number that leads a key keeps keys unique.
	st.seq, st.hi, st.lo = s.seq, s.keys.Uint64(), s.keys.Uint64()
	if c.last {
		s.ended.pushBack(st)
	} else {
		s.open.pushBack(st)
	}
	s.bySeq[st.seq] = st
	s.bytes += int64(st.size())
	s.sweep(now)
	s.fit(st)
	return st.key(), ""
}

// continue1 appends a call with a MsgKey to its stream. It returns the
// check that failed, or "" when the call was applied.
func (s *streamStore) continue1(p *endpoint, c *streamCall, now time.Time) codes.Check {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(now)
	st, ok := s.lookup(c.msgKey)
	switch {
	case !ok || st.policy.version != p.version:
		return codes.CheckMsgKeyUnknown
	case st.conv != c.key:
		return codes.CheckMsgKeyForeign
	}
	if st.stateAt(now) == StreamTimedOut {
		if st.state == StreamOpen {
			st.state = StreamTimedOut
			s.open.remove(st)
			s.ended.pushBack(st)
		}
		return codes.CheckStreamIdleEnded
	}
	if st.state != StreamOpen && p.rules.RefuseAfterEnd {
		return codes.CheckStreamFinished
	}
	if n := p.rules.CallsPerSecond; n > 0 && len(st.recent) >= n && now.UnixNano()-st.recent[len(st.recent)-n] < int64(time.Second) {
		return codes.CheckStreamRate
	}
	last := 0
	if len(st.indexes) > 0 {
		last = st.indexes[len(st.indexes)-1]
	}
	if ch := checkIndexes(p, c, last); ch != "" {
		return ch
	}
	if s.tooLarge(p, len(st.text), c) {
		return codes.CheckMessageTooLarge
	}
	before := st.size()
	st.appendChunks(c.chunks, p.indexed)
	if c.compatibleText != "" && c.compatibleText != st.compat {
		st.compat = strings.Clone(c.compatibleText)
	}
	st.calls++
	st.updated = now
	st.noteCall(now)
	s.bytes += int64(st.size() - before)
	if c.last && st.state == StreamOpen {
		st.state = StreamFinished
		s.open.remove(st)
		s.ended.pushBack(st)
	} else if st.state == StreamOpen {
		s.open.moveToBack(st)
	}
	s.fit(st)
	return ""
}

// noteCall remembers the time of an accepted call, as far back as the rate
// rule looks.
func (st *stream) noteCall(now time.Time) {
	n := st.policy.rules.CallsPerSecond
	if n <= 0 {
		return
	}
	switch len(st.recent) {
	case 0:
		st.recent = make([]int64, 0, min(n, 8)) // one allocation for the usual rates
	case n:
		copy(st.recent, st.recent[1:])
		st.recent = st.recent[:n-1]
	}
	st.recent = append(st.recent, now.UnixNano())
}

// checkIndexes checks that an indexed call's chunks increase from after
// the stream's last index.
func checkIndexes(p *endpoint, c *streamCall, last int) codes.Check {
	if !p.indexed {
		return ""
	}
	for _, ch := range c.chunks {
		if ch.index <= last {
			return codes.CheckChunkIndex
		}
		last = ch.index
	}
	return ""
}

// tooLarge reports whether a call would take a stream's text, now have
// bytes long, to the endpoint's message limit or past the store's cap.
func (s *streamStore) tooLarge(p *endpoint, have int, c *streamCall) bool {
	n := have
	for _, ch := range c.chunks {
		n += len(ch.text)
	}
	if m := p.rules.MaxMessageBytes; m > 0 && n >= m {
		return true
	}
	return n > s.maxText
}

// fit evicts streams until the store is within its count and bytes,
// never keep, the stream just written; s.mu is held.
func (s *streamStore) fit(keep *stream) {
	for len(s.bySeq) > s.max || s.bytes > s.maxBytes {
		if !s.evictOldest(keep) {
			return
		}
	}
}

// lookup returns the stream of a MsgKey; s.mu is held.
func (s *streamStore) lookup(key string) (*stream, bool) {
	i := strings.IndexByte(key, '_')
	if i < 1 {
		return nil, false
	}
	seq, err := strconv.ParseUint(key[:i], 10, 64)
	if err != nil {
		return nil, false
	}
	st, ok := s.bySeq[seq]
	if !ok || !st.hasKey(key) {
		return nil, false
	}
	return st, true
}

// sweep drops the streams unused for longer than the TTL.
func (s *streamStore) sweep(now time.Time) {
	for _, l := range [...]*streamList{&s.ended, &s.open} {
		for st := l.head; st != nil; st = l.head {
			if now.Sub(st.updated) <= s.ttl {
				break
			}
			s.remove(st)
		}
	}
}

// evictOldest drops the oldest ended stream, else the least recently used
// open one, but never keep. It reports whether it dropped one.
func (s *streamStore) evictOldest(keep *stream) bool {
	for _, l := range [...]*streamList{&s.ended, &s.open} {
		for st := l.head; st != nil; st = st.next {
			if st != keep {
				s.remove(st)
				return true
			}
		}
	}
	return false
}

// listOf returns the list a stream is in: open streams are in s.open,
// every other in s.ended, which continue1 keeps true as a state changes.
func (s *streamStore) listOf(st *stream) *streamList {
	if st.state == StreamOpen {
		return &s.open
	}
	return &s.ended
}

func (s *streamStore) remove(st *stream) {
	s.listOf(st).remove(st)
	delete(s.bySeq, st.seq)
	s.bytes -= int64(st.size())
	s.evicted++
	if s.onEvict != nil {
		s.onEvict(st)
	}
}

// get returns a copy of one stream at now.
func (s *streamStore) get(key string, now ...time.Time) (Stream, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.lookup(key)
	if !ok {
		return Stream{}, false
	}
	at := st.updated
	if len(now) > 0 {
		at = now[0]
	}
	return st.snapshot(at, false), true
}

// page returns, oldest first, at most limit streams (0: no limit) opened
// after the stream numbered after (0 for the first page), as summaries
// unless text is asked for, stopping once their text holds maxBytes (0: no
// bound; one stream is always listed), and the number to continue after
// (0 when none remain).
func (s *streamStore) page(after uint64, limit int, text bool, now time.Time, maxBytes int) ([]Stream, uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	seqs := make([]uint64, 0, len(s.bySeq))
	for seq := range s.bySeq {
		if seq > after {
			seqs = append(seqs, seq)
		}
	}
	slices.Sort(seqs)
	out := make([]Stream, 0, min(len(seqs), max(limit, 0)))
	held := 0
	for i, seq := range seqs {
		if limit > 0 && i == limit || maxBytes > 0 && i > 0 && held > maxBytes {
			return out, seqs[i-1]
		}
		st := s.bySeq[seq]
		out = append(out, st.snapshot(now, !text))
		held += streamOverhead
		if text {
			held += 2 * len(st.text)
		}
	}
	return out, 0
}

// all returns copies of every stream, oldest first.
func (s *streamStore) all(now time.Time) []Stream {
	out, _ := s.page(0, 0, true, now, 0)
	return out
}

// held returns the bytes the streams count against the store's budget.
func (s *streamStore) held() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bytes
}

// len returns how many streams the store holds.
func (s *streamStore) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.bySeq)
}

// reset forgets every stream and restarts the MsgKeys: their numbering and
// their random digits.
func (s *streamStore) reset() {
	s.mu.Lock()
	s.bySeq = make(map[uint64]*stream)
	s.open, s.ended = streamList{}, streamList{}
	s.bytes, s.seq = 0, 0
	s.keys = rand.NewChaCha8(keySeed)
	s.mu.Unlock()
}
