package mockserver

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// ValidSessionID reports whether id is a well-formed SessionId: a UUID
// written as 8-4-4-4-12 hexadecimal digits, either case, with no version
// check (the vendor's examples are random UUIDs).
func ValidSessionID(id string) bool {
	if len(id) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := id[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !isHex(c) {
				return false
			}
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// SessionState is the life of one Desk session as the server sees it.
type SessionState string

// Session states.
const (
	// SessionOpen accepts messages.
	SessionOpen SessionState = "open"
	// SessionEnded answers 141005.
	SessionEnded SessionState = "ended"
)

// sessionStore knows which sessions are open. In lenient mode every
// well-formed session is open unless it was ended; in strict mode only the
// ones opened are. It keeps copies of the IDs it is given, and counts
// len(ID) + sessionEntryBytes for each session.
type sessionStore struct {
	mu     sync.RWMutex
	strict bool
	state  map[string]SessionState
	bytes  int64 // what the sessions hold
}

// sessionEntryBytes is what a session holds besides its ID's bytes: its map
// slot (a string key and a SessionState, 32 bytes, at the map's load about
// 56) and the rounding of the ID's allocation.
const sessionEntryBytes = 64

// newSessionStore keeps the sessions (or accounts, or groups: the store
// serves all three) ids open, and in strict mode no other.
func newSessionStore(strict bool, ids []string) *sessionStore {
	st := &sessionStore{strict: strict, state: make(map[string]SessionState, len(ids))}
	for _, id := range ids {
		st.put(id, SessionOpen)
	}
	return st
}

// put records the state of a session, keeping a copy of its ID, which may
// be a part of a request's path or body; st.mu is held. Assigning to a map
// replaces the key of an entry that exists, so a known ID is copied too.
func (st *sessionStore) put(id string, s SessionState) {
	if _, known := st.state[id]; !known {
		st.bytes += int64(len(id)) + sessionEntryBytes
	}
	st.state[strings.Clone(id)] = s
}

// held returns the bytes the sessions hold.
func (st *sessionStore) held() int64 {
	st.mu.RLock()
	defer st.mu.RUnlock()
	return st.bytes
}

// open reports whether a session accepts messages.
func (st *sessionStore) open(id string) bool {
	st.mu.RLock()
	s, known := st.state[id]
	st.mu.RUnlock()
	if known {
		return s == SessionOpen
	}
	return !st.strict
}

// set records the state of a session; a new session past maxSessions is
// refused with ErrTooManySessions.
func (st *sessionStore) set(id string, s SessionState) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if _, known := st.state[id]; !known && len(st.state) >= maxSessions {
		return fmt.Errorf("%w: the server keeps %d already; reset it, or end sessions it knows", ErrTooManySessions, len(st.state))
	}
	st.put(id, s)
	return nil
}

// SessionInfo describes one session the server has been told about.
type SessionInfo struct {
	SessionID string       `json:"session_id"`
	State     SessionState `json:"state"`
}

// reset forgets every change: the sessions are as configured.
func (st *sessionStore) reset(strict bool, ids []string) {
	fresh := newSessionStore(strict, ids)
	st.mu.Lock()
	st.state, st.bytes = fresh.state, fresh.bytes
	st.mu.Unlock()
}

// list returns the sessions with an explicit state, sorted by ID.
func (st *sessionStore) list() []SessionInfo {
	out, _ := st.page("", maxSessions)
	return out
}

// page returns, sorted by ID, at most limit sessions with an ID after
// after, and whether more follow.
func (st *sessionStore) page(after string, limit int) ([]SessionInfo, bool) {
	st.mu.RLock()
	out := make([]SessionInfo, 0, min(len(st.state), limit+1))
	for id, s := range st.state {
		if id > after {
			out = append(out, SessionInfo{SessionID: id, State: s})
		}
	}
	st.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].SessionID < out[j].SessionID })
	if len(out) > limit {
		return out[:limit], true
	}
	return out, false
}
