// Package mockserver is a faithful local stand-in for Tencent Cloud IM Desk's
// POST /v4/desk_http_svc/send_stream_msg: the same query string, UserSig v2
// verification, body checks, MsgKey issue and stream life, answered in the
// vendor's envelope with the vendor's error codes.
package mockserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/gorilla/mux"

	"github.com/deskmock/deskmock/mockserver/codes"
	"github.com/deskmock/deskmock/mockserver/usersig"
)

// EndpointPath is the path of the API the server serves.
const EndpointPath = "/v4/desk_http_svc/send_stream_msg"

// Server is the mock endpoint. It is safe for concurrent use.
type Server struct {
	cfg      Config
	apps     map[uint64]*App
	table    *codes.Table
	sessions *sessionStore
	streams  *streamStore
	faults   *faultSet
	calls    *callCounter
	journal  *journal
	userSigs *usersig.Cache
	replies  replyTexts
	handler  http.Handler
	nth      atomic.Uint64
	now      func() time.Time
	log      *slog.Logger
	router   *mux.Router
	ui       uiState
}

// New builds a Server from a configuration, which it validates.
func New(cfg Config) (*Server, error) {
	cfg.applyDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("mockserver: %w", err)
	}
	table, err := codes.NewTable(cfg.Codes)
	if err != nil {
		return nil, fmt.Errorf("mockserver: %w", err)
	}
	s := &Server{
		cfg:      cfg,
		apps:     make(map[uint64]*App, len(cfg.Apps)),
		table:    table,
		sessions: newSessionStore(cfg.Sessions),
		streams:  newStreamStore(cfg.Limits.MaxStreams, time.Duration(cfg.Limits.StreamTTL)),
		faults:   &faultSet{},
		calls:    newCallCounter(cfg.Limits.MaxStreams),
		userSigs: usersig.NewCache(0),
		replies:  newReplyTexts(table),
		journal:  newJournal(cfg.Limits.JournalSize, cfg.Journal),
		now:      cfg.Clock,
		log:      cfg.Logger,
	}
	for i := range cfg.Apps {
		s.apps[cfg.Apps[i].SDKAppID] = &cfg.Apps[i]
	}
	for _, f := range cfg.Faults {
		if _, err := s.faults.add(f); err != nil {
			return nil, fmt.Errorf("mockserver: faults: %w", err)
		}
	}
	if s.now == nil {
		s.now = time.Now
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
	r.HandleFunc(EndpointPath, s.sendStreamMsg)
	s.adminRoutes(r)
	r.HandleFunc("/", s.landing).Methods(http.MethodGet, http.MethodHead)
	r.PathPrefix("/v4/").HandlerFunc(s.unknownAPI)
	r.NotFoundHandler = http.HandlerFunc(notFound)
	r.MethodNotAllowedHandler = http.HandlerFunc(methodNotAllowed)
	return r
}

// Handler returns the HTTP handler of the endpoint and the admin API.
func (s *Server) Handler() http.Handler { return s.handler }

// serveHTTP answers the endpoint's path at once, without the router's
// matching (the router would route it to sendStreamMsg too), and every
// other path through the router.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == EndpointPath {
		s.sendStreamMsg(w, r)
		return
	}
	s.router.ServeHTTP(w, r)
}

// Config returns the configuration the server runs with, defaults applied.
func (s *Server) Config() Config { return s.cfg }

// Rules returns the check→code table in force, in pipeline order.
func (s *Server) Rules() []codes.Rule { return s.table.Rules() }

// Streams returns every stream the server holds, oldest first.
func (s *Server) Streams() []Stream { return s.streams.all() }

// Stream returns the stream of a MsgKey.
func (s *Server) Stream(msgKey string) (Stream, bool) { return s.streams.get(msgKey) }

// Sessions returns the sessions that were configured, opened or ended.
func (s *Server) Sessions() []SessionInfo { return s.sessions.list() }

// OpenSession marks a session open (needed in strict mode).
func (s *Server) OpenSession(id string) error {
	if !ValidSessionID(id) {
		return fmt.Errorf("mockserver: %q is not a well-formed SessionId", id)
	}
	s.sessions.set(id, SessionOpen)
	return nil
}

// EndSession ends a session: later calls on it get 141005.
func (s *Server) EndSession(id string) error {
	if !ValidSessionID(id) {
		return fmt.Errorf("mockserver: %q is not a well-formed SessionId", id)
	}
	s.sessions.set(id, SessionEnded)
	return nil
}

// Reset puts the server back as configured: streams, session changes, call
// counts and the journal are forgotten, and the fault rules are the
// configuration's again.
func (s *Server) Reset() {
	s.streams.reset()
	s.sessions.reset(s.cfg.Sessions)
	s.calls.reset()
	s.journal.clear()
	s.nth.Store(0)
	s.faults.clear()
	for _, f := range s.cfg.Faults {
		s.faults.add(f) // validated by New
	}
}

// AddFault adds a fault rule after the others and returns its ID.
func (s *Server) AddFault(f Fault) (string, error) {
	id, err := s.faults.add(f)
	if err != nil {
		return "", fmt.Errorf("mockserver: fault: %w", err)
	}
	return id, nil
}

// Faults returns the fault rules in order, with how often each fired.
func (s *Server) Faults() []Fault { return s.faults.list() }

// RemoveFault removes a fault rule; it reports whether the rule existed.
func (s *Server) RemoveFault(id string) bool { return s.faults.remove(id) }

// ClearFaults removes every fault rule.
func (s *Server) ClearFaults() { s.faults.clear() }

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

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) unknownAPI(w http.ResponseWriter, r *http.Request) {
	ex := s.arrive(r)
	ex.check, ex.detail = codes.CheckPath, "no API at "+r.URL.Path
	ex.rep = s.replyOf(codes.CheckPath)
	s.answer(w, r, ex)
}

func notFound(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusNotFound, map[string]string{"error": "no route " + r.Method + " " + r.URL.Path})
}

func methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "method " + r.Method + " not allowed on " + r.URL.Path})
}

// writeJSON answers an admin request.
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
	w.Write(buf.Bytes())
}
