// Package inflight is the part of serve's transport around its handler:
// it counts the handlers running, for a shutdown to wait for, and starts a
// reply's write deadline at the reply's first byte.
package inflight

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Handlers counts the handlers running. The zero value is ready to use.
type Handlers struct {
	wg sync.WaitGroup
	n  atomic.Int64 // how many, for the log
}

// Count returns how many handlers are running.
func (h *Handlers) Count() int64 { return h.n.Load() }

// Wait waits at most d for the handlers running to return; it returns how
// many still run.
func (h *Handlers) Wait(d time.Duration) int64 {
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
	}
	return h.n.Load()
}

// Wrap returns next counted among the handlers running and, when
// writeTimeout is set, with the write deadline restarted when the reply
// starts.
func (h *Handlers) Wrap(next http.Handler, writeTimeout time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.wg.Add(1)
		h.n.Add(1)
		defer h.wg.Done()
		defer h.n.Add(-1)
		if writeTimeout > 0 {
			w = &deadlineWriter{ResponseWriter: w, timeout: writeTimeout}
		}
		next.ServeHTTP(w, r)
	})
}

// deadlineWriter sets the connection's write deadline to timeout from the
// reply's first byte. net/http sets it from the end of the request, which
// would cut off the reply of a delay fault longer than the timeout.
type deadlineWriter struct {
	http.ResponseWriter
	timeout time.Duration
	armed   bool
}

func (w *deadlineWriter) arm() {
	if !w.armed {
		w.armed = true
		http.NewResponseController(w.ResponseWriter).SetWriteDeadline(time.Now().Add(w.timeout))
	}
}

func (w *deadlineWriter) WriteHeader(code int) {
	w.arm()
	w.ResponseWriter.WriteHeader(code)
}

func (w *deadlineWriter) Write(b []byte) (int, error) {
	w.arm()
	return w.ResponseWriter.Write(b)
}

// WriteString writes s without copying it to a byte slice first, as
// net/http's own writer does.
func (w *deadlineWriter) WriteString(s string) (int, error) {
	w.arm()
	return io.WriteString(w.ResponseWriter, s)
}

// Flush lets http.Flusher and http.ResponseController reach the writer.
func (w *deadlineWriter) Flush() {
	w.arm()
	http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack hands over the connection with a write deadline of timeout (net/http
// clears the deadlines of a hijacked connection).
func (w *deadlineWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.armed = true
	conn, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		conn.SetWriteDeadline(time.Now().Add(w.timeout))
	}
	return conn, rw, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *deadlineWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
