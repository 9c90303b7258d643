package loadtest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/deskmock/deskmock/mockserver"
)

// In-process allocation counts: requests not counted, then counted.
const (
	allocWarm  = 200
	allocCount = 1000
)

// inProcessHost is the Host of in-process requests.
const inProcessHost = "127.0.0.1:8780"

// handlerAt returns the Handler() of a server with the default
// configuration, logging as serve does at level (text, discarded), on the
// clock now.
func handlerAt(level slog.Level, now func() time.Time) (http.Handler, error) {
	cfg := mockserver.DefaultConfig()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: level}))
	cfg.Clock = now
	cfg.Endpoints = map[string]mockserver.EndpointConfig{mockserver.Chatbot: {AppCallsPerSecond: new(int)}}
	s, err := mockserver.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("loadtest: %w", err)
	}
	return s.Handler(), nil
}

// virtualClock is a clock that moves only when told, for the server and
// the script alike: a script's calls keep v2's rate rule however fast the
// process serves them.
type virtualClock struct {
	base   time.Time
	offset atomic.Int64
}

func (c *virtualClock) now() time.Time { return c.base.Add(time.Duration(c.offset.Load())) }

// inProcessStep is how far the virtual clock moves per request: 500
// requests a second on the one connection.
const inProcessStep = 2 * time.Millisecond

// replyWriter is a reusable http.ResponseWriter that keeps the body.
type replyWriter struct {
	header http.Header
	body   []byte
	status int
}

func (w *replyWriter) Header() http.Header         { return w.header }
func (w *replyWriter) WriteHeader(code int)        { w.status = code }
func (w *replyWriter) Write(b []byte) (int, error) { w.body = append(w.body, b...); return len(b), nil }

// WriteString writes s as net/http's response does, without a copy to
// bytes first.
func (w *replyWriter) WriteString(s string) (int, error) {
	w.body = append(w.body, s...)
	return len(s), nil
}
func (w *replyWriter) reset() {
	clear(w.header)
	w.body, w.status = w.body[:0], http.StatusOK
}

// parseRequest reads a request made by rawhttp.Request, as from loopback.
func parseRequest(raw []byte) (*http.Request, error) {
	r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		return nil, fmt.Errorf("loadtest: %w", err)
	}
	r.RemoteAddr = "127.0.0.1:40000"
	return r, nil
}

// inProcessAllocs returns the heap allocations per request of h serving
// case c's requests in this process (the Mallocs of runtime.MemStats
// around each ServeHTTP, which also counts any other goroutine's), and
// how many replies lacked the expected code.
func inProcessAllocs(c *loadCase, level slog.Level) (allocs float64, failures int, err error) {
	clock := &virtualClock{base: time.Now()}
	h, err := handlerAt(level, clock.now)
	if err != nil {
		return 0, 0, err
	}
	rw := &replyWriter{header: http.Header{}}
	do := func(raw []byte) ([]byte, error) {
		r, err := parseRequest(raw)
		if err != nil {
			return nil, err
		}
		rw.reset()
		h.ServeHTTP(rw, r)
		return rw.body, nil
	}
	sc, err := c.start(conn{do: do, host: inProcessHost, w: 1, now: clock.now})
	if err != nil {
		return 0, 0, err
	}
	var ms runtime.MemStats
	var total uint64
	for i := 0; i < allocWarm+allocCount; i++ {
		clock.offset.Add(int64(inProcessStep))
		raw, want := sc.next()
		r, err := parseRequest(raw)
		if err != nil {
			return 0, 0, err
		}
		rw.reset()
		runtime.ReadMemStats(&ms)
		before := ms.Mallocs
		h.ServeHTTP(rw, r)
		runtime.ReadMemStats(&ms)
		if i >= allocWarm {
			total += ms.Mallocs - before
			if !bytes.Contains(rw.body, want) {
				failures++
			}
		}
		sc.got(rw.body)
	}
	return float64(total) / allocCount, failures, nil
}
