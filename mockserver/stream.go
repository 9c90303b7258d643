package mockserver

import (
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/deskmock/deskmock/mockserver/codes"
)

// Stream is one streamed message as the server holds it.
type Stream struct {
	// MsgKey is the key the first call returned.
	MsgKey string `json:"msg_key"`
	// SessionID is the session the stream belongs to.
	SessionID string `json:"session_id"`
	// Chunks are the accepted chunks, in the order the server accepted them.
	Chunks []string `json:"chunks"`
	// Text is the chunks joined: the message the user sees.
	Text string `json:"text"`
	// Finished is true once a call with Finish: 1 was accepted.
	Finished bool `json:"finished"`
	// Calls counts the accepted calls.
	Calls int `json:"calls"`
	// Opened is when the first call was accepted.
	Opened time.Time `json:"opened"`
	// Updated is when the last call was accepted.
	Updated time.Time `json:"updated"`
}

// stream is the stored form of a Stream. Its MsgKey is kept as the numbers
// it is written from, and its chunks as their text joined and the offsets
// where each but the last ends: one allocation for the text, however many
// chunks.
type stream struct {
	seq      uint64 // the key's sequence number, and the store's map key
	unix     int64  // the key's time
	hi, lo   uint64 // the key's random digits: 16 from hi, 9 from lo's top
	session  string
	text     []byte // the chunks joined
	ends     []int  // where each chunk but the last ends in text
	finished bool
	opened   time.Time
	updated  time.Time

	prev, next *stream     // in list
	list       *streamList // open or finished
}

// chunkCount returns how many chunks the stream holds.
func (st *stream) chunkCount() int { return len(st.ends) + 1 }

// appendChunk adds a chunk after the others.
func (st *stream) appendChunk(chunk string) {
	st.ends = append(st.ends, len(st.text))
	st.text = append(st.text, chunk...)
}

// appendKey appends the stream's MsgKey to b, shaped like the vendor's
// "124_1600045926_716f784b2bbd6ce9415027715": the sequence number, the unix
// time in seconds, and 25 random hexadecimal digits.
func (st *stream) appendKey(b []byte) []byte {
	const hexDigits = "0123456789abcdef"
	b = strconv.AppendUint(b, st.seq, 10)
	b = append(b, '_')
	b = strconv.AppendInt(b, st.unix, 10)
	b = append(b, '_')
	hi, lo := st.hi, st.lo
	for i := 0; i < 16; i++ {
		b = append(b, hexDigits[hi>>60])
		hi <<= 4
	}
	for i := 0; i < 9; i++ {
		b = append(b, hexDigits[lo>>60])
		lo <<= 4
	}
	return b
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

func (st *stream) snapshot() Stream {
	chunks := make([]string, 0, st.chunkCount())
	start := 0
	for _, end := range st.ends {
		chunks = append(chunks, string(st.text[start:end]))
		start = end
	}
	chunks = append(chunks, string(st.text[start:]))
	return Stream{
		MsgKey:    st.key(),
		SessionID: st.session,
		Chunks:    chunks,
		Text:      string(st.text),
		Finished:  st.finished,
		Calls:     len(chunks),
		Opened:    st.opened,
		Updated:   st.updated,
	}
}

// streamList is a doubly linked list of streams, oldest first, linked
// through the streams themselves.
type streamList struct {
	head, tail *stream
	n          int
}

func (l *streamList) pushBack(st *stream) {
	st.list, st.prev, st.next = l, l.tail, nil
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
	st.prev, st.next, st.list = nil, nil, nil
	l.n--
}

func (l *streamList) moveToBack(st *stream) {
	if l.tail != st {
		l.remove(st)
		l.pushBack(st)
	}
}

// streamStore keeps streams by MsgKey, bounded by a count and a TTL. Open
// streams are listed by last use and finished ones by finish time, so
// eviction takes the oldest finished stream first.
type streamStore struct {
	mu       sync.Mutex
	max      int
	ttl      time.Duration
	bySeq    map[uint64]*stream // by the sequence number that starts the MsgKey
	open     streamList         // least recently used first
	finished streamList         // oldest first
	seq      uint64
	evicted  uint64
}

func newStreamStore(max int, ttl time.Duration) *streamStore {
	return &streamStore{max: max, ttl: ttl, bySeq: make(map[uint64]*stream)}
}

// create opens a stream with its first chunk and returns its key.
func (s *streamStore) create(session, chunk string, finish bool, now time.Time) string {
	var buf [msgKeyMaxLen]byte
	return string(s.createAppend(buf[:0], session, chunk, finish, now))
}

// createAppend opens a stream with its first chunk and appends its key to
// b. The store keeps session as given and a copy of chunk.
func (s *streamStore) createAppend(b []byte, session, chunk string, finish bool, now time.Time) []byte {
	// The random digits come from math/rand/v2's per-thread ChaCha8
	// generator: no system call, and never the same key twice since the
	// sequence number leads it.
	st := &stream{unix: now.Unix(), hi: rand.Uint64(), lo: rand.Uint64(), session: session, finished: finish, opened: now, updated: now}
	if chunk != "" {
		st.text = []byte(chunk)
	}
	s.mu.Lock()
	s.seq++
	st.seq = s.seq
	if finish {
		s.finished.pushBack(st)
	} else {
		s.open.pushBack(st)
	}
	s.bySeq[st.seq] = st
	s.sweep(now)
	for len(s.bySeq) > s.max {
		s.evictOldest()
	}
	s.mu.Unlock()
	return st.appendKey(b)
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

// add appends a chunk to an open stream of the session. It returns the
// check that failed, or "" when the chunk was appended.
func (s *streamStore) add(key, session, chunk string, finish bool, now time.Time) codes.Check {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(now)
	st, ok := s.lookup(key)
	switch {
	case !ok:
		return codes.CheckMsgKeyUnknown
	case st.session != session:
		return codes.CheckMsgKeyForeign
	case st.finished:
		return codes.CheckStreamFinished
	}
	st.appendChunk(chunk)
	st.updated = now
	if finish {
		st.finished = true
		s.open.remove(st)
		s.finished.pushBack(st)
	} else {
		s.open.moveToBack(st)
	}
	return ""
}

// sweep drops the streams unused for longer than the TTL.
func (s *streamStore) sweep(now time.Time) {
	for _, l := range [...]*streamList{&s.finished, &s.open} {
		for st := l.head; st != nil; st = l.head {
			if now.Sub(st.updated) <= s.ttl {
				break
			}
			s.remove(st)
		}
	}
}

func (s *streamStore) evictOldest() {
	l := &s.finished
	if l.n == 0 {
		l = &s.open
	}
	if st := l.head; st != nil {
		s.remove(st)
	}
}

func (s *streamStore) remove(st *stream) {
	st.list.remove(st)
	delete(s.bySeq, st.seq)
	s.evicted++
}

// get returns a copy of one stream.
func (s *streamStore) get(key string) (Stream, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.lookup(key)
	if !ok {
		return Stream{}, false
	}
	return st.snapshot(), true
}

// all returns copies of every stream, oldest first.
func (s *streamStore) all() []Stream {
	s.mu.Lock()
	out := make([]Stream, 0, len(s.bySeq))
	for _, st := range s.bySeq {
		out = append(out, st.snapshot())
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Opened.Equal(out[j].Opened) {
			return out[i].Opened.Before(out[j].Opened)
		}
		return msgKeySeq(out[i].MsgKey) < msgKeySeq(out[j].MsgKey)
	})
	return out
}

func msgKeySeq(key string) uint64 {
	n, _ := strconv.ParseUint(key[:strings.IndexByte(key, '_')], 10, 64)
	return n
}

// len returns how many streams the store holds.
func (s *streamStore) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.bySeq)
}

// reset forgets every stream.
func (s *streamStore) reset() {
	s.mu.Lock()
	s.bySeq = make(map[uint64]*stream)
	s.open, s.finished = streamList{}, streamList{}
	s.mu.Unlock()
}
