package mockserver

import (
	"encoding/json"
	"sync"
	"sync/atomic"

	"github.com/deskmock/deskmock/internal/redact"
)

// Bounds of what the event hub queues for one subscriber. A subscriber that
// falls further behind is dropped: its dashboard reconnects and loads the
// state afresh. The hub keeps nothing for subscribers beyond these queues.
const (
	// subscriberQueueLen is how many events may wait for one subscriber
	// (each holds an Exchange, about 300 bytes besides its text): enough
	// for 20 ms of 200,000 requests a second.
	subscriberQueueLen = 4096
	// subscriberQueueBytes bounds the text (bodies, replies, query strings)
	// of the events waiting for one subscriber.
	subscriberQueueBytes = 4 << 20
)

// Event kinds, as the dashboard's event stream names them.
const (
	eventExchange = "exchange" // an exchange was journaled
	eventReset    = "reset"    // the server was reset
	eventFaults   = "faults"   // the fault rules changed
	eventEvicted  = "evicted"  // the store let a stream go (its caps or TTL)
	eventCallback = "callback" // a callback was delivered (or dropped)
)

// event is one thing that happened, shared by every subscriber. Its JSON is
// made once, by the first subscriber that writes it, not by the request
// that published it.
type event struct {
	id   uint64
	kind string
	ex   Exchange  // for eventExchange; not yet redacted
	key  string    // for eventEvicted: the stream's MsgKey
	cb   *Callback // for eventCallback
	size int64     // what the event counts against a queue's bytes

	once sync.Once
	data []byte
}

// JSON returns the event's data line: the exchange, its UserSigs redacted,
// or an empty object.
func (ev *event) JSON() []byte {
	ev.once.Do(func() {
		if ev.kind == eventCallback {
			b, _ := json.Marshal(ev.cb) // strings, numbers and times always encode
			ev.data = redact.Bytes(b)   // a user's text may hold a UserSig
			return
		}
		if ev.kind == eventEvicted {
			ev.data, _ = json.Marshal(map[string]string{"msg_key": ev.key})
			return
		}
		if ev.kind != eventExchange {
			ev.data = []byte("{}")
			return
		}
		e := ev.ex.redacted()
		b, err := json.Marshal(&e)
		if err != nil {
			b = []byte("{}")
		}
		ev.data = b
	})
	return ev.data
}

// subscriber is one reader of the hub: a dashboard's event stream.
type subscriber struct {
	ch    chan *event
	bytes atomic.Int64  // the size of the events in ch
	gone  chan struct{} // closed when the hub drops the subscriber
}

// took releases the share of the queue of an event read off ch.
func (sub *subscriber) took(ev *event) { sub.bytes.Add(-ev.size) }

// eventHub fans events out to subscribers. Publishing never blocks: an
// event that does not fit a subscriber's queue drops that subscriber. The
// zero eventHub is ready to use.
type eventHub struct {
	mu     sync.RWMutex
	subs   map[*subscriber]struct{}
	count  atomic.Int32 // len(subs), read without the lock
	lastID atomic.Uint64
}

// subscribe adds a subscriber.
func (h *eventHub) subscribe() *subscriber {
	sub := &subscriber{ch: make(chan *event, subscriberQueueLen), gone: make(chan struct{})}
	h.mu.Lock()
	if h.subs == nil {
		h.subs = make(map[*subscriber]struct{})
	}
	h.subs[sub] = struct{}{}
	h.count.Store(int32(len(h.subs)))
	h.mu.Unlock()
	return sub
}

// unsubscribe drops a subscriber; dropping it twice is harmless.
func (h *eventHub) unsubscribe(sub *subscriber) {
	h.mu.Lock()
	if _, ok := h.subs[sub]; ok {
		delete(h.subs, sub)
		close(sub.gone)
		h.count.Store(int32(len(h.subs)))
	}
	h.mu.Unlock()
}

// dropAll drops every subscriber, so that their streams end (on shutdown).
func (h *eventHub) dropAll() {
	h.mu.Lock()
	for sub := range h.subs {
		delete(h.subs, sub)
		close(sub.gone)
	}
	h.count.Store(0)
	h.mu.Unlock()
}

// publish sends a journaled exchange to every subscriber. With none it costs
// one atomic load.
func (h *eventHub) publish(e *Exchange) {
	if h.count.Load() == 0 {
		return
	}
	h.send(&event{kind: eventExchange, ex: *e, size: entryBytes(e)})
}

// listening reports whether any subscriber would hear an event.
func (h *eventHub) listening() bool { return h.count.Load() > 0 }

// evicted tells the subscribers that the store let a stream go.
func (h *eventHub) evicted(key string) {
	h.send(&event{kind: eventEvicted, key: key, size: int64(len(key))})
}

// callback tells the subscribers of a callback's delivery.
func (h *eventHub) callback(e *Callback) {
	if h.count.Load() == 0 {
		return
	}
	h.send(&event{kind: eventCallback, cb: e, size: int64(e.size())})
}

// notify sends an event of a kind that carries no data.
func (h *eventHub) notify(kind string) {
	if h.count.Load() == 0 {
		return
	}
	h.send(&event{kind: kind})
}

func (h *eventHub) send(ev *event) {
	ev.id = h.lastID.Add(1)
	var slow []*subscriber
	h.mu.RLock()
	for sub := range h.subs {
		if sub.bytes.Add(ev.size) > subscriberQueueBytes {
			sub.bytes.Add(-ev.size)
			slow = append(slow, sub)
			continue
		}
		select {
		case sub.ch <- ev:
		default:
			sub.bytes.Add(-ev.size)
			slow = append(slow, sub)
		}
	}
	h.mu.RUnlock()
	for _, sub := range slow {
		h.unsubscribe(sub)
	}
}
