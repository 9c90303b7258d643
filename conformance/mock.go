package conformance

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/deskmock/deskmock/internal/redact"
	"github.com/deskmock/deskmock/mockserver"
)

// caseMock is a fresh mock serving one case on loopback.
type caseMock struct {
	srv  *mockserver.Server
	cfg  mockserver.Config
	http *http.Server
	url  string

	// rules describes each fault rule by the ID the mock gave it.
	rules map[string]string

	inflight sync.WaitGroup // the handlers running
	mu       sync.Mutex
	stray    []mockserver.Exchange // requests the journal does not keep
	done     chan error

	// endAfter ends the session mid-stream; calls counts the requests to
	// its path (under mu).
	endAfter endAfter
	calls    int
}

// endAfter is a case's mock.end_session_after_call: the session to end,
// after which call to the stream's path.
type endAfter struct {
	path    string
	call    int
	session string
	// end, when set, is done instead of ending the session (a bot case's
	// transfer).
	end func()
}

// startMock configures a mock for a case and starts serving it.
func startMock(c *Case) (*caseMock, error) {
	cfg := mockserver.DefaultConfig()
	if c.Mock.Desk != nil {
		desk := *c.Mock.Desk
		cfg.Apps[0].Desk = &desk
	}
	if c.Mock.Session == SessionUnknown {
		cfg.Sessions.Strict = true
	}
	if c.Mock.Accounts != nil {
		cfg.Accounts = *c.Mock.Accounts
		cfg.Accounts.IDs = append([]string{}, c.Mock.Accounts.IDs...)
	}
	if c.Mock.Groups != nil {
		cfg.Groups = *c.Mock.Groups
		cfg.Groups.IDs = append([]string{}, c.Mock.Groups.IDs...)
	}
	if c.Mock.Robots != nil {
		cfg.Apps[0].Robots = append([]string{}, *c.Mock.Robots...)
	}
	if c.Mock.Agents != nil {
		cfg.Desk.Agents = append([]mockserver.Agent{}, *c.Mock.Agents...)
	}
	cfg.Endpoints = c.Mock.Endpoints
	cfg.Envelope = c.Mock.Envelope
	srv, err := mockserver.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("conformance: case %s: %w", c.Name, err)
	}
	if c.Mock.Session == SessionEnded {
		if err := srv.EndSession(c.SessionID()); err != nil {
			return nil, fmt.Errorf("conformance: case %s: %w", c.Name, err)
		}
	}
	rules := map[string]string{"trigger": "the trigger SessionId, account or group"}
	for i, f := range c.Mock.Faults {
		id, err := srv.AddFault(f)
		if err != nil {
			return nil, fmt.Errorf("conformance: case %s: mock/faults/%d: %w", c.Name, i, err)
		}
		rules[id] = describeFault(f)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("conformance: case %s: %w", c.Name, err)
	}
	m := newCaseMock(srv, rules)
	if n := c.Mock.EndSessionAfterCall; n > 0 {
		m.endAfter = endAfter{path: c.Endpoint().Path, call: n, session: c.SessionID()}
	}
	m.serve(ln)
	return m, nil
}

// newCaseMock wraps a configured server; serve, or a shared listener's
// handler (mockHandler), makes it reachable.
func newCaseMock(srv *mockserver.Server, rules map[string]string) *caseMock {
	return &caseMock{srv: srv, cfg: srv.Config(), rules: rules, done: make(chan error, 1)}
}

// serve serves the mock on ln until stop.
func (m *caseMock) serve(ln net.Listener) {
	m.url = "http://" + ln.Addr().String()
	m.http = newMockHTTP(m.handler())
	go func() { m.done <- m.http.Serve(ln) }()
}

// handler is the mock's handler, as the runner wraps it.
func (m *caseMock) handler() http.Handler { return m.wrap(m.srv.Handler()) }

// newMockHTTP returns the HTTP server of a mock.
func newMockHTTP(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
}

// wrap counts the requests in flight, so that stop can wait for the
// journal to be complete, and keeps the requests outside /v4/, which the
// mock's journal does not record.
func (m *caseMock) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.inflight.Add(1)
		defer m.inflight.Done()
		if strings.HasPrefix(r.URL.Path, "/v4/") {
			h.ServeHTTP(m.ending(w, r), r)
			return
		}
		start := time.Now()
		body, _ := io.ReadAll(io.LimitReader(r.Body, int64(m.cfg.Limits.MaxBodyBytes)))
		rec := &recorder{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		m.mu.Lock()
		m.stray = append(m.stray, mockserver.Exchange{
			Time: start, Method: r.Method, Path: redact.Text(r.URL.Path), Query: redact.Text(redact.Query(r.URL.RawQuery)),
			Body: redact.Text(string(body)), Status: rec.status, Reply: redact.Text(rec.body.String()),
			LatencyMS: float64(time.Since(start).Microseconds()) / 1000,
		})
		m.mu.Unlock()
	})
}

// ending returns w, or for the call after which the case ends its session
// a writer that ends it before the reply's first byte: the call was
// applied, and the client cannot send another before the session ended.
func (m *caseMock) ending(w http.ResponseWriter, r *http.Request) http.ResponseWriter {
	if m.endAfter.call == 0 || r.URL.Path != m.endAfter.path {
		return w
	}
	m.mu.Lock()
	m.calls++
	n := m.calls
	m.mu.Unlock()
	if n != m.endAfter.call {
		return w
	}
	end := m.endAfter.end
	if end == nil {
		end = func() { m.srv.EndSession(m.endAfter.session) }
	}
	return &endingWriter{ResponseWriter: w, end: end}
}

// endingWriter calls end once, before the first byte of the reply.
type endingWriter struct {
	http.ResponseWriter
	end  func()
	once sync.Once
}

// WriteHeader ends the session, then writes the status.
func (e *endingWriter) WriteHeader(code int) {
	e.once.Do(e.end)
	e.ResponseWriter.WriteHeader(code)
}

// Write ends the session, then writes the body.
func (e *endingWriter) Write(b []byte) (int, error) {
	e.once.Do(e.end)
	return e.ResponseWriter.Write(b)
}

// recorder keeps the status and body of a reply.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

// WriteHeader keeps the status and passes it on.
func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

// Write keeps the first 4 KiB of the body and passes it on.
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	if r.body.Len() < 4096 {
		r.body.Write(b)
	}
	return r.ResponseWriter.Write(b)
}

// stop closes the listener and every connection, then waits (a bounded
// time) until the handlers in flight have recorded their exchanges.
func (m *caseMock) stop() {
	if m.http != nil {
		m.http.Close()
		<-m.done
	}
	idle := make(chan struct{})
	go func() { m.inflight.Wait(); close(idle) }()
	select {
	case <-idle:
	case <-time.After(3 * time.Second):
	}
}

// exchanges returns every request the mock saw, in arrival order.
func (m *caseMock) exchanges() []mockserver.Exchange {
	out := m.srv.Requests(mockserver.ExchangeFilter{})
	m.mu.Lock()
	out = append(out, m.stray...)
	m.mu.Unlock()
	sortByArrival(out)
	return out
}

// describeFault writes a fault rule in a line, as a report shows it:
// "on call 2, once: error_code 20004".
func describeFault(f mockserver.Fault) string {
	var when []string
	m := f.Match
	if m.Endpoint != "" {
		when = append(when, "endpoint "+m.Endpoint)
	}
	if m.Conversation != "" {
		when = append(when, "conversation "+m.Conversation)
	}
	if m.SessionID != "" {
		when = append(when, "session "+m.SessionID)
	}
	if m.Call != 0 {
		when = append(when, fmt.Sprintf("call %d of the conversation", m.Call))
	}
	if m.Nth != 0 {
		when = append(when, fmt.Sprintf("request %d", m.Nth))
	}
	if m.ChunkContains != "" {
		when = append(when, fmt.Sprintf("Chunk containing %q", m.ChunkContains))
	}
	if m.HasMsgKey != nil {
		when = append(when, fmt.Sprintf("has MsgKey=%v", *m.HasMsgKey))
	}
	if m.Finish != nil {
		when = append(when, fmt.Sprintf("Finish=%v", *m.Finish))
	}
	if len(when) == 0 {
		when = append(when, "every request")
	}
	a := f.Action
	var do []string
	if a.DelayMS > 0 {
		do = append(do, fmt.Sprintf("delay %dms", a.DelayMS))
	}
	switch {
	case a.ErrorCode != 0:
		do = append(do, fmt.Sprintf("ErrorCode %d", a.ErrorCode))
	case a.HTTPStatus != 0:
		do = append(do, fmt.Sprintf("HTTP %d", a.HTTPStatus))
	case a.Reset && a.When == mockserver.ResetAfterApply:
		do = append(do, "apply, then reset the connection")
	case a.Reset:
		do = append(do, "reset the connection before applying")
	case a.Truncate:
		do = append(do, "apply, then truncate the reply")
	}
	how := ""
	switch {
	case f.Times == 1:
		how = ", once"
	case f.Times > 1:
		how = fmt.Sprintf(", %d times", f.Times)
	}
	if f.Probability != nil {
		how += fmt.Sprintf(", with probability %g", *f.Probability)
	}
	return "on " + strings.Join(when, ", ") + how + ": " + strings.Join(do, ", then ")
}
