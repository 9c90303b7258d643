package mockserver

import (
	"container/list"
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

// stream is the stored form of a Stream.
type stream struct {
	key, session string
	chunks       []string
	finished     bool
	opened       time.Time
	updated      time.Time
	elem         *list.Element // in open or finished
}

func (st *stream) snapshot() Stream {
	return Stream{
		MsgKey:    st.key,
		SessionID: st.session,
		Chunks:    append([]string{}, st.chunks...),
		Text:      strings.Join(st.chunks, ""),
		Finished:  st.finished,
		Calls:     len(st.chunks),
		Opened:    st.opened,
		Updated:   st.updated,
	}
}

// streamStore keeps streams by MsgKey, bounded by a count and a TTL. Open
// streams are listed by last use and finished ones by finish time, so
// eviction takes the oldest finished stream first.
type streamStore struct {
	mu       sync.Mutex
	max      int
	ttl      time.Duration
	byKey    map[string]*stream
	open     *list.List // of *stream, least recently used first
	finished *list.List // of *stream, oldest first
	seq      uint64
	evicted  uint64
}

func newStreamStore(max int, ttl time.Duration) *streamStore {
	return &streamStore{
		max:      max,
		ttl:      ttl,
		byKey:    make(map[string]*stream),
		open:     list.New(),
		finished: list.New(),
	}
}

// newMsgKey makes a key shaped like the vendor's
// "124_1600045926_716f784b2bbd6ce9415027715": a sequence number, the unix
// time in seconds, and 25 random hexadecimal digits.
func newMsgKey(seq uint64, now time.Time) string {
	const hexDigits = "0123456789abcdef"
	b := make([]byte, 0, 48)
	b = strconv.AppendUint(b, seq, 10)
	b = append(b, '_')
	b = strconv.AppendInt(b, now.Unix(), 10)
	b = append(b, '_')
	hi, lo := rand.Uint64(), rand.Uint64()
	for i := 0; i < 16; i++ {
		b = append(b, hexDigits[hi>>60])
		hi <<= 4
	}
	for i := 0; i < 9; i++ {
		b = append(b, hexDigits[lo>>60])
		lo <<= 4
	}
	return string(b)
}

// create opens a stream with its first chunk and returns its key.
func (s *streamStore) create(session, chunk string, finish bool, now time.Time) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	key := newMsgKey(s.seq, now)
	st := &stream{key: key, session: session, chunks: []string{chunk}, finished: finish, opened: now, updated: now}
	if finish {
		st.elem = s.finished.PushBack(st)
	} else {
		st.elem = s.open.PushBack(st)
	}
	s.byKey[key] = st
	s.sweep(now)
	for len(s.byKey) > s.max {
		s.evictOldest()
	}
	return key
}

// add appends a chunk to an open stream of the session. It returns the
// check that failed, or "" when the chunk was appended.
func (s *streamStore) add(key, session, chunk string, finish bool, now time.Time) codes.Check {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(now)
	st, ok := s.byKey[key]
	switch {
	case !ok:
		return codes.CheckMsgKeyUnknown
	case st.session != session:
		return codes.CheckMsgKeyForeign
	case st.finished:
		return codes.CheckStreamFinished
	}
	st.chunks = append(st.chunks, chunk)
	st.updated = now
	if finish {
		st.finished = true
		s.open.Remove(st.elem)
		st.elem = s.finished.PushBack(st)
	} else {
		s.open.MoveToBack(st.elem)
	}
	return ""
}

// sweep drops the streams unused for longer than the TTL.
func (s *streamStore) sweep(now time.Time) {
	for _, l := range []*list.List{s.finished, s.open} {
		for e := l.Front(); e != nil; e = l.Front() {
			st := e.Value.(*stream)
			if now.Sub(st.updated) <= s.ttl {
				break
			}
			s.remove(l, st)
		}
	}
}

func (s *streamStore) evictOldest() {
	l := s.finished
	if l.Len() == 0 {
		l = s.open
	}
	if e := l.Front(); e != nil {
		s.remove(l, e.Value.(*stream))
	}
}

func (s *streamStore) remove(l *list.List, st *stream) {
	l.Remove(st.elem)
	delete(s.byKey, st.key)
	s.evicted++
}

// get returns a copy of one stream.
func (s *streamStore) get(key string) (Stream, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.byKey[key]
	if !ok {
		return Stream{}, false
	}
	return st.snapshot(), true
}

// all returns copies of every stream, oldest first.
func (s *streamStore) all() []Stream {
	s.mu.Lock()
	out := make([]Stream, 0, len(s.byKey))
	for _, st := range s.byKey {
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

// reset forgets every stream.
func (s *streamStore) reset() {
	s.mu.Lock()
	s.byKey = make(map[string]*stream)
	s.open.Init()
	s.finished.Init()
	s.mu.Unlock()
}
