package mockserver

import (
	"net/http"
	"strconv"
	"time"
)

// Timing of the dashboard's event stream.
const (
	// uiHeartbeat is how often an idle event stream sends a comment, so
	// that proxies and the page know it is alive.
	uiHeartbeat = 15 * time.Second
	// uiWriteWindow bounds each write to an event stream: a browser that
	// reads no more is cut off.
	uiWriteWindow = 10 * time.Second
	// uiBatchWindow is how long an event stream lets the events that
	// follow one gather in its queue before it takes them all: under load,
	// a dashboard costs one wake-up and one write per window, not per
	// request.
	uiBatchWindow = 20 * time.Millisecond
	// uiBatchMax is how many events of one window a dashboard gets whole.
	// Of a busier window it gets the newest uiBatchMax after a "lag" event,
	// and reloads the state: the cost of a dashboard is bounded however
	// busy the endpoint.
	uiBatchMax = 50
)

// uiEvents streams events to a dashboard as server-sent events: first
// "hello" (the page then loads the state), then "exchange" with each
// journaled exchange, "faults" and "reset" when those change, "lag" when
// it skipped events, and a comment every uiHeartbeat. It ends when the
// client goes, or when the hub drops a client too slow to keep up; the page
// then reconnects and loads the state again, so no event ID needs
// replaying.
func (s *Server) uiEvents(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Time{}) // the server's read timeout would end the stream
	sub := s.ui.hub.subscribe()
	defer s.ui.hub.unsubscribe(sub)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	beat := time.NewTicker(uiHeartbeat)
	defer beat.Stop()
	window := time.NewTimer(uiBatchWindow)
	window.Stop()
	defer window.Stop()
	write := func(b []byte) bool {
		rc.SetWriteDeadline(time.Now().Add(uiWriteWindow))
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !write([]byte("retry: 1000\nevent: hello\ndata: {}\n\n")) {
		return
	}
	var buf []byte
	var batch []*event
	for {
		select {
		case <-r.Context().Done():
			return
		case <-sub.gone:
			return
		case <-beat.C:
			if !write([]byte(": heartbeat\n\n")) {
				return
			}
		case ev := <-sub.ch:
			window.Reset(uiBatchWindow)
			select {
			case <-window.C:
			case <-sub.gone:
				return
			case <-r.Context().Done():
				return
			}
			batch = sub.drain(append(batch[:0], ev))
			buf = appendBatch(buf[:0], batch)
			clear(batch) // let the events go
			if !write(buf) {
				return
			}
		}
	}
}

// drain appends the events waiting in sub's queue to batch.
func (sub *subscriber) drain(batch []*event) []*event {
	for {
		select {
		case ev := <-sub.ch:
			batch = append(batch, ev)
		default:
			for _, ev := range batch {
				sub.took(ev)
			}
			return batch
		}
	}
}

// appendBatch appends a window's events to b as server-sent events: all of
// them, or a "lag" event and the newest that fit: at most uiBatchMax, and
// at most maxPageBytes of data (the newest is always sent).
func appendBatch(b []byte, batch []*event) []byte {
	keep, held := 0, 0
	for i := len(batch) - 1; i >= 0 && keep < uiBatchMax; i-- {
		if held += len(batch[i].JSON()) + 64; held > maxPageBytes && keep > 0 {
			break
		}
		keep++
	}
	if skipped := len(batch) - keep; skipped > 0 {
		b = append(b, "event: lag\ndata: {\"skipped\":"...)
		b = strconv.AppendInt(b, int64(skipped), 10)
		b = append(b, "}\n\n"...)
		batch = batch[skipped:]
	}
	for _, ev := range batch {
		b = append(b, "id: "...)
		b = strconv.AppendUint(b, ev.id, 10)
		b = append(b, "\nevent: "...)
		b = append(b, ev.kind...)
		b = append(b, "\ndata: "...)
		b = append(b, ev.JSON()...)
		b = append(b, "\n\n"...)
	}
	return b
}
