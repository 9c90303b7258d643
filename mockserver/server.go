// Package mockserver is a faithful local stand-in for Tencent Cloud IM Desk's
// streaming endpoints, POST /v4/desk_http_svc/send_stream_msg and
// send_stream_msg_v2: the same query string, UserSig v2 verification, body
// checks, MsgKey issue and stream life with the vendor's stream rules,
// answered in the vendor's envelope with the vendor's error codes.
package mockserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gorilla/mux"

	"github.com/deskmock/deskmock/internal/redact"
	"github.com/deskmock/deskmock/internal/textcut"
	"github.com/deskmock/deskmock/mockserver/codes"
	"github.com/deskmock/deskmock/mockserver/usersig"
)

// Server is the mock endpoint. It is safe for concurrent use.
type Server struct {
	cfg      Config
	apps     map[uint64]*App
	table    *codes.Table
	sessions *sessionStore
	// accounts and groups are the C2C and group streams' directories:
	// "open" is known, "ended" removed.
	accounts *sessionStore
	groups   *sessionStore
	robots   *robotStore
	appRate  *appRate
	life     *deskLife
	messages *deskMessages
	// callbacks sends the callbacks to the app's backend.
	callbacks *callbacks
	streams   *streamStore
	faults    *faultSet
	calls     *callCounter
	journal   *journal
	userSigs  *usersig.Cache
	handler   http.Handler
	nth       atomic.Uint64
	clock     *clock
	log       *slog.Logger
	router    *mux.Router
	// byPath are the endpoints as configured.
	byPath map[string]*endpoint
	// unknown answers the paths under /v4/ that are no endpoint.
	unknown   *endpoint
	keyOrder  []string
	knownApps string // the configured sdkappids, for 70020's detail
	ui        uiState
	plays     scenarioBoard
	admin     adminGate
}

// New builds a Server from a configuration, which it validates.
func New(cfg Config) (*Server, error) {
	cfg.applyDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("mockserver: %w", err)
	}
	table, err := codes.NewTable(cfg.Codes, versions()...)
	if err != nil {
		return nil, fmt.Errorf("mockserver: %w", err)
	}
	s := &Server{
		cfg:      cfg,
		apps:     make(map[uint64]*App, len(cfg.Apps)),
		table:    table,
		sessions: newSessionStore(cfg.Sessions.Strict, cfg.Sessions.IDs),
		accounts: newSessionStore(cfg.Accounts.Strict, cfg.Accounts.IDs),
		groups:   newSessionStore(cfg.Groups.Strict, cfg.Groups.IDs),
		robots:   newRobotStore(cfg.Apps),
		appRate:  newAppRate(),
		life:     newDeskLife(cfg.Desk),
		messages: &deskMessages{},
		streams:  newStreamStore(cfg.Limits.MaxStreams, time.Duration(cfg.Limits.StreamTTL)),
		byPath:   make(map[string]*endpoint, len(endpoints)),
		keyOrder: defaultKeyOrder,
		faults:   &faultSet{},
		calls:    newCallCounter(cfg.Limits.MaxStreams),
		userSigs: usersig.NewCache(0),
		journal:  newJournal(cfg.Limits.JournalSize, cfg.Limits.JournalBytes, cfg.Journal),
		clock:    newClock(cfg.Clock),
		log:      cfg.Logger,
	}
	s.life.clock, s.life.messages = s.now, s.messages
	s.life.ended = func(id string) { s.sessions.set(id, SessionEnded) }
	s.callbacks = newCallbacks(s)
	s.life.sink = s.callbacks
	s.streams.maxText, s.streams.maxBytes = cfg.Limits.MaxStreamBytes, cfg.Limits.MaxStoreBytes
	s.streams.onEvict = func(st *stream) {
		if s.ui.hub.listening() { // a key is made only for a dashboard
			s.ui.hub.evicted(st.key())
		}
	}
	ids := make([]string, len(cfg.Apps))
	for i := range cfg.Apps {
		s.apps[cfg.Apps[i].SDKAppID] = &cfg.Apps[i]
		ids[i] = strconv.FormatUint(cfg.Apps[i].SDKAppID, 10)
	}
	s.knownApps = strings.Join(ids, ", ")
	if len(cfg.Envelope.KeyOrder) > 0 {
		s.keyOrder = cfg.Envelope.KeyOrder
	}
	for _, ep := range endpoints {
		s.byPath[ep.path] = ep.configured(cfg.Endpoints[ep.version], cfg.Limits, table)
	}
	s.unknown = unknownAPI.configured(EndpointConfig{}, cfg.Limits, table)
	for _, f := range cfg.Faults {
		if _, err := s.faults.add(f); err != nil {
			return nil, fmt.Errorf("mockserver: faults: %w", err)
		}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.router = s.routes()
	s.handler = http.HandlerFunc(s.serveHTTP)
	return s, nil
}

func (s *Server) routes() *mux.Router {
	r := mux.NewRouter()
	r.SkipClean(true) // answer the path as sent; never redirect a client
	s.adminRoutes(r)
	r.HandleFunc("/", s.landing).Methods(http.MethodGet, http.MethodHead)
	r.NotFoundHandler = http.HandlerFunc(notFound)
	r.MethodNotAllowedHandler = http.HandlerFunc(methodNotAllowed)
	return r
}

// Handler returns the HTTP handler of the endpoints and the admin API: the
// whole request path (serveHTTP in pipeline.go), which every way of
// serving (ListenAndServeWith, the test server) serves unchanged.
func (s *Server) Handler() http.Handler { return s.handler }

// now is the server's clock: the configured clock, moved by AdvanceClock.
func (s *Server) now() time.Time { return s.clock.now() }

// Now returns the time on the server's clock.
func (s *Server) Now() time.Time { return s.clock.now() }

// AdvanceClock moves the server's clock forward by d, so that a test can
// let a stream's idle timeout pass without waiting. Reset puts it back.
func (s *Server) AdvanceClock(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("mockserver: the clock only moves forward, not by %s", d)
	}
	s.clock.advance(d)
	return nil
}

// StreamRules returns the stream rules an endpoint version runs with.
func (s *Server) StreamRules(version string) (StreamRules, bool) {
	for _, ep := range s.byPath {
		if ep.version == version {
			return ep.rules, true
		}
	}
	return StreamRules{}, false
}

// Config returns the configuration the server runs with, defaults applied.
func (s *Server) Config() Config { return s.cfg }

// Rules returns the check→code table in force, in pipeline order.
func (s *Server) Rules() []codes.Rule { return s.table.Rules() }

// Streams returns every stream the server holds, oldest first.
func (s *Server) Streams() []Stream { return s.streams.all(s.now()) }

// StreamPage returns at most limit streams opened after the one numbered
// after (0 for the first page), oldest first, as summaries (no chunks and
// no text) unless text is true, and the number to pass as after for the
// next page (0 when none remain). A page with text stops early once it
// holds 8 MiB.
func (s *Server) StreamPage(after uint64, limit int, text bool) ([]Stream, uint64) {
	return s.streams.page(after, limit, text, s.now(), maxPageBytes)
}

// Stream returns the stream of a MsgKey.
func (s *Server) Stream(msgKey string) (Stream, bool) { return s.streams.get(msgKey, s.now()) }

// Robots returns the chatbot accounts of every app, configured or created,
// valid or deleted, by app and UserID.
func (s *Server) Robots() []Robot { return s.robots.list(0, false) }

// Sessions returns the sessions that were configured, opened or ended.
func (s *Server) Sessions() []SessionInfo { return s.sessions.list() }

// OpenSession marks a session open (needed in strict mode). Past
// maxSessions it returns an error wrapping ErrTooManySessions.
func (s *Server) OpenSession(id string) error { return s.setSession(id, SessionOpen) }

// EndSession ends a session: later calls on it get 141005. Past
// maxSessions it returns an error wrapping ErrTooManySessions.
//
// A Desk session with a life ends as ended by the admin
// (AdminEndedSession, inferred), its agent freed for the next queued
// session.
func (s *Server) EndSession(id string) error {
	if err := s.setSession(id, SessionEnded); err != nil {
		return err
	}
	s.life.endLiving(id, EndStatusAdmin, s.now())
	return nil
}

func (s *Server) setSession(id string, state SessionState) error {
	if !ValidSessionID(id) {
		return fmt.Errorf("mockserver: %q is not a well-formed SessionId", textcut.Cut(id, 64))
	}
	if err := s.sessions.set(id, state); err != nil {
		return fmt.Errorf("mockserver: session: %w", err)
	}
	return nil
}

// Reset puts the server back as configured: streams, session changes, call
// counts and the journal are forgotten, MsgKeys and requests are numbered
// from 1 again, the clock is the configured one, and the fault rules and
// the callbacks' settings are the configuration's again (the callbacks
// waiting are dropped, the callbacks' journal forgotten).
func (s *Server) Reset() {
	s.clock.reset()
	s.streams.reset()
	s.sessions.reset(s.cfg.Sessions.Strict, s.cfg.Sessions.IDs)
	s.accounts.reset(s.cfg.Accounts.Strict, s.cfg.Accounts.IDs)
	s.groups.reset(s.cfg.Groups.Strict, s.cfg.Groups.IDs)
	s.robots.reset(s.cfg.Apps)
	s.appRate.reset()
	s.life.reset()
	s.messages.reset()
	s.callbacks.reset()
	s.calls.reset()
	s.journal.clear()
	s.nth.Store(0)
	s.faults.clear()
	for _, f := range s.cfg.Faults {
		s.faults.add(f) // validated by New
	}
	s.ui.hub.notify(eventReset)
}

// AddFault adds a fault rule after the others and returns its ID.
func (s *Server) AddFault(f Fault) (string, error) {
	id, err := s.faults.add(f)
	if err != nil {
		return "", fmt.Errorf("mockserver: fault: %w", err)
	}
	s.ui.hub.notify(eventFaults)
	return id, nil
}

// Faults returns the fault rules in order, with how often each fired.
func (s *Server) Faults() []Fault { return s.faults.list() }

// RemoveFault removes a fault rule; it reports whether the rule existed.
func (s *Server) RemoveFault(id string) bool {
	if !s.faults.remove(id) {
		return false
	}
	s.ui.hub.notify(eventFaults)
	return true
}

// ClearFaults removes every fault rule.
func (s *Server) ClearFaults() {
	s.faults.clear()
	s.ui.hub.notify(eventFaults)
}

// Requests returns the journal's exchanges that match the filter, oldest
// first.
func (s *Server) Requests(f ExchangeFilter) []Exchange { return s.journal.list(f) }

// ClearRequests empties the journal.
func (s *Server) ClearRequests() { s.journal.clear() }

// UserSig signs a UserSig for an app of the server, valid from now for
// expire.
func (s *Server) UserSig(sdkappid uint64, identifier string, expire time.Duration) (string, error) {
	app, ok := s.apps[sdkappid]
	if !ok {
		return "", fmt.Errorf("mockserver: no app %d", sdkappid)
	}
	return usersig.Generate(app.SecretKey, sdkappid, identifier, int64(expire/time.Second), s.now())
}

func notFound(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusNotFound, map[string]string{"error": "no route " + r.Method + " " + r.URL.Path})
}

func methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "method " + r.Method + " not allowed on " + r.URL.Path})
}

// writeJSON answers an admin request, with any UserSig in it redacted
// (a stream's text, a session's ID, a path echoed in an error...).
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"error":"cannot encode the answer"}` + "\n")
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(redact.Bytes(buf.Bytes()))
}
