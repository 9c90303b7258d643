package mockserver

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// Roles of a Desk message's sender, as describe_chat_messages writes
// FromAccountRole: the vendor's 1 user, 2 customer service (deskmock puts
// the bot and the agent there, inferred), 3 system.
const (
	RoleUser    = 1
	RoleService = 2
	RoleSystem  = 3
)

// DeskMessage is one message of a Desk session, in the order the session
// got it: the user's, the bot's (a stream, or send_msg), the agent's, and
// the system's.
type DeskMessage struct {
	SessionID string `json:"session_id"`
	// From is the sender's UserID: the user, the customer-service account,
	// the agent.
	From string `json:"from_account"`
	Role int    `json:"from_account_role"`
	// MsgBody is the message's body as IM writes it, for example
	// [{"MsgType":"TIMTextElem","MsgContent":{"Text":"…"}}].
	MsgBody string `json:"msg_body"`
	// MsgKey names the stream of a streamed message, whose text is the
	// stream's as it grows; empty for other messages.
	MsgKey string `json:"msg_key,omitempty"`
	// CloudCustomData is a system message's flags, as Desk writes them:
	// {"messageType":"queuing","role":"robot","scene":"transferSession"}.
	CloudCustomData string    `json:"cloud_custom_data,omitempty"`
	Time            time.Time `json:"time"`
	// Seq orders the Desk sessions' messages and events together: a later
	// one has a greater Seq.
	Seq uint64 `json:"seq"`
}

// Bounds of the messages the server keeps for describe_chat_messages:
// the newest maxDeskMessages, in at most maxDeskMessageBytes; past either
// the oldest message is forgotten first. A message counts its strings and
// deskMessageBytes.
const (
	maxDeskMessages     = 100_000
	maxDeskMessageBytes = 32 << 20
	deskMessageBytes    = 128
)

// deskMessages keeps the Desk sessions' messages, all sessions in one
// log, oldest first, each message's strings its own (a session's ID
// shared by its messages), and each session's messages numbered, so that a
// session's are found without reading the others'.
type deskMessages struct {
	// seq numbers the messages and the sessions' events, from 1.
	seq atomic.Uint64
	mu  sync.Mutex
	// blocks hold the messages kept, numbers first to first+count-1,
	// message n at place n % maxDeskMessages (see at). A block is made
	// when a message first needs it, and stays: the log never moves a
	// message, and adding one past the bound takes the oldest's place.
	blocks       [][]DeskMessage
	first, count int
	// bySession are each session's message numbers, oldest first.
	bySession map[string]*sessionNums
	bytes     int
}

// sessionNums are a session's message numbers: nums[start:], oldest
// first. Forgetting the oldest moves start, and the numbers move down
// once half are forgotten, so that adding a number to a long session
// never copies its others each time.
type sessionNums struct {
	nums  []int
	start int
}

// live returns the numbers of the messages kept.
func (n *sessionNums) live() []int { return n.nums[n.start:] }

// dropOldest forgets the oldest number and reports whether none is left.
func (n *sessionNums) dropOldest() (empty bool) {
	n.start++
	if n.start == len(n.nums) {
		return true
	}
	if n.start >= 64 && n.start > len(n.nums)/2 {
		n.nums = n.nums[:copy(n.nums, n.nums[n.start:])]
		n.start = 0
	}
	return false
}

// deskSessionIndexBytes is what a session's entry of bySession counts.
const deskSessionIndexBytes = 96

func (m *DeskMessage) size() int {
	return deskMessageBytes + len(m.SessionID) + len(m.From) + len(m.MsgBody) + len(m.MsgKey) + len(m.CloudCustomData)
}

// add records a message. Its strings but the session ID must be the
// caller's own, never parts of a request, as the log keeps them; the
// session ID, which may be a body's, is copied once for all its messages.
func (d *deskMessages) add(msg DeskMessage) {
	msg.Seq = d.seq.Add(1)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.bySession == nil {
		d.bySession = map[string]*sessionNums{}
	}
	// Room first: forgetting the oldest may forget the session's index.
	if d.count == maxDeskMessages {
		d.forgetOldest(false) // its place is the new message's
	}
	n := d.first + d.count
	if b := n % maxDeskMessages / deskMessageBlock; b == len(d.blocks) {
		d.blocks = append(d.blocks, make([]DeskMessage, deskMessageBlock))
	}
	nums, ok := d.bySession[msg.SessionID]
	if ok {
		msg.SessionID = d.at(nums.live()[0]).SessionID
	} else {
		msg.SessionID = strings.Clone(msg.SessionID)
		nums = &sessionNums{}
		d.bySession[msg.SessionID] = nums
		d.bytes += deskSessionIndexBytes
	}
	nums.nums = append(nums.nums, n)
	*d.at(n) = msg
	d.count++
	d.bytes += msg.size()
	for d.bytes > maxDeskMessageBytes {
		d.forgetOldest(true)
	}
}

// deskMessageBlock is how many places a block of the log has; it divides
// maxDeskMessages, so that a message past the bound takes the very place
// of the oldest.
const deskMessageBlock = 1000

// at returns the place of message number n.
func (d *deskMessages) at(n int) *DeskMessage {
	p := n % maxDeskMessages
	return &d.blocks[p/deskMessageBlock][p%deskMessageBlock]
}

// forgetOldest forgets the oldest message kept, clearing its place when
// clear is set.
func (d *deskMessages) forgetOldest(clear bool) {
	old := d.at(d.first)
	if d.bySession[old.SessionID].dropOldest() {
		delete(d.bySession, old.SessionID)
		d.bytes -= deskSessionIndexBytes
	}
	d.bytes -= old.size()
	// Not when a message takes its place at once: clearing its pointers
	// costs write barriers while the collector runs.
	if clear {
		*old = DeskMessage{}
	}
	d.first++
	d.count--
}

// of returns a session's messages, oldest first.
func (d *deskMessages) of(session string) []DeskMessage {
	d.mu.Lock()
	defer d.mu.Unlock()
	idx := d.bySession[session]
	if idx == nil {
		return nil
	}
	nums := idx.live()
	out := make([]DeskMessage, len(nums))
	for i, n := range nums {
		out[i] = *d.at(n)
	}
	return out
}

// held returns the bytes the messages hold.
func (d *deskMessages) held() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return int64(d.bytes + (len(d.blocks)*deskMessageBlock-d.count)*placeBytes)
}

// placeBytes is what an empty place of the log holds (a message counts
// its own place in deskMessageBytes).
const placeBytes = int(unsafe.Sizeof(DeskMessage{}))

// reset forgets every message.
func (d *deskMessages) reset() {
	d.mu.Lock()
	d.blocks, d.first, d.count, d.bytes, d.bySession = nil, 0, 0, 0, nil
	d.mu.Unlock()
}

// textBody is the MsgBody of a text message.
func textBody(text string) string {
	return string(appendJSONString([]byte(`[{"MsgType":"TIMTextElem","MsgContent":{"Text":`), text)) + `}}]`
}
