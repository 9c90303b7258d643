package mockserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync/atomic"

	"github.com/gorilla/mux"

	"github.com/deskmock/deskmock/mockserver/codes"
	"github.com/deskmock/deskmock/mockserver/dashboard"
)

// UIPath is the path of the dashboard.
const UIPath = adminPrefix + "/ui/"

const (
	uiAssets = UIPath + "assets/"
	uiAPI    = adminPrefix + "/ui/api"
)

// What the dashboard's state holds at most: the newest exchanges and
// streams; the page adds the live ones to them.
const (
	uiMaxExchanges = 300
	uiMaxStreams   = 100
)

// uiHeader is the header every state-changing request of the dashboard
// carries; a cross-site form cannot send it.
const uiHeader = "X-Deskmock-UI"

// uiState is what the server keeps for its dashboards.
type uiState struct {
	hub     eventHub
	version atomic.Pointer[string]
}

// SetVersion sets the version of deskmock that the landing page and the
// dashboard show.
func (s *Server) SetVersion(v string) { s.ui.version.Store(&v) }

func (s *Server) versionText() string {
	if v := s.ui.version.Load(); v != nil {
		return *v
	}
	return "(devel)"
}

// uiRoutes registers the dashboard, one line a route. Without an admin
// token the dashboard answers only loopback clients; with one, its API asks
// for the token (the page itself holds no data, and asks for it). Its
// changes go through the admin API's own handlers, behind the dashboard's
// guard against cross-site requests.
func (s *Server) uiRoutes(r *mux.Router) {
	r.Handle(adminPrefix+"/ui", http.RedirectHandler(UIPath, http.StatusMovedPermanently))
	r.Handle(UIPath, s.uiGuard(s.uiPage, false)).Methods(http.MethodGet, http.MethodHead)
	r.PathPrefix(uiAssets).Handler(s.uiGuard(http.StripPrefix(uiAssets, http.FileServerFS(dashboard.Assets)).ServeHTTP, false)).Methods(http.MethodGet, http.MethodHead)
	r.Handle(uiAPI+"/state", s.uiGuard(s.read(s.uiGetState), true)).Methods(http.MethodGet)
	r.Handle(uiAPI+"/events", s.uiGuard(s.uiEvents, true)).Methods(http.MethodGet)
	r.Handle(uiAPI+"/streams/{msgKey}", s.uiGuard(s.read(s.getStream), true)).Methods(http.MethodGet)
	r.Handle(uiAPI+"/faults", s.uiGuard(s.postFault, true)).Methods(http.MethodPost)
	r.Handle(uiAPI+"/faults/{id}", s.uiGuard(s.deleteFault, true)).Methods(http.MethodDelete)
	r.Handle(uiAPI+"/reset", s.uiGuard(s.postReset, true)).Methods(http.MethodPost)
	r.Handle(uiAPI+"/conversations", s.uiGuard(s.read(s.uiGetConversations), true)).Methods(http.MethodGet)
	for name, act := range s.deskActions() {
		r.Handle(uiAPI+"/sessions/{id}/"+name, s.uiGuard(s.deskAction(act), true)).Methods(http.MethodPost)
	}
}

// uiGuard lets a request through to next when it may: from loopback only,
// and to a Host the admin API answers to (see hostAllowed), when no admin
// token is set; with the token when api is true and one is
// set; and, for a request that changes state, only from the dashboard's own
// origin (see sameOrigin).
func (s *Server) uiGuard(next http.HandlerFunc, api bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setPageHeaders(w.Header())
		if !s.hostGuard(w, r) {
			return
		}
		if s.cfg.AdminToken == "" && !fromLoopback(r) {
			adminError(w, http.StatusForbidden, "the dashboard answers only loopback clients unless the server has an admin token (--admin-token)")
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if err := sameOrigin(r); err != nil {
				adminError(w, http.StatusForbidden, err.Error())
				return
			}
		}
		if api {
			s.requireToken(next).ServeHTTP(w, r)
			return
		}
		next(w, r)
	})
}

// setPageHeaders forbids framing and any script, style, image or
// connection from another origin.
func setPageHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
}

// fromLoopback reports whether a request comes from this host.
func fromLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Errors of sameOrigin.
var (
	errUIHeader    = errors.New("mockserver: a dashboard request that changes state must carry the " + uiHeader + " header")
	errCrossSite   = errors.New("mockserver: cross-site request refused")
	errCrossOrigin = errors.New("mockserver: request from another origin refused")
)

// sameOrigin refuses a state-changing request that a page of another site
// could have sent: it must carry the dashboard's custom header (which a
// cross-origin page cannot send without a CORS preflight, which the server
// never grants), and its Sec-Fetch-Site and Origin, when the browser sends
// them, must name this origin.
func sameOrigin(r *http.Request) error {
	if r.Header.Get(uiHeader) == "" {
		return errUIHeader
	}
	return notCrossSite(r)
}

// notCrossSite refuses a request that a browser says came from a page of
// another origin: its Sec-Fetch-Site or Origin, when sent, must name this
// origin. Programs such as curl send neither, and pass.
func notCrossSite(r *http.Request) error {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return errCrossSite
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		u, err := url.Parse(origin)
		if err != nil || u.Host != r.Host {
			return errCrossOrigin
		}
	}
	return nil
}

func (s *Server) uiPage(w http.ResponseWriter, r *http.Request) {
	var buf bytes.Buffer
	err := dashboard.WritePage(&buf, dashboard.Page{
		Version:       s.versionText(),
		Assets:        uiAssets,
		API:           uiAPI,
		TokenRequired: s.cfg.AdminToken != "",
	})
	writePage(w, buf.Bytes(), err)
}

// writePage answers an HTML page, or 500 when its template failed.
func writePage(w http.ResponseWriter, page []byte, err error) {
	if err != nil {
		http.Error(w, "mockserver: cannot render the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(page)
}

// uiTrigger is one row of the trigger session table.
type uiTrigger struct {
	Code      int    `json:"code"`
	Info      string `json:"info"`
	SessionID string `json:"session_id"`
}

// uiSnapshot is everything the dashboard shows, at one moment, but for
// its lists (streams, exchanges, faults), which uiGetState adds.
type uiSnapshot struct {
	Version  string       `json:"version"`
	Rules    []codes.Rule `json:"rules"`
	Triggers []uiTrigger  `json:"triggers"`
	Config   Config       `json:"config"`
	Endpoint string       `json:"endpoint"`
	// Endpoints are the endpoints served, each with the stream rules it
	// runs with.
	Endpoints []uiEndpoint `json:"endpoints"`
}

// uiEndpoint is one endpoint and the stream rules in force on it, as the
// configuration names them.
type uiEndpoint struct {
	Version string `json:"version"`
	Name    string `json:"name"`
	Path    string `json:"path"`
	// Streams is false for an endpoint that does not stream (the chatbot
	// accounts'), whose stream rules do not apply.
	Streams bool           `json:"streams"`
	Rules   EndpointConfig `json:"rules"`
}

// uiEndpoints lists the endpoints with the stream rules they run with.
func (s *Server) uiEndpoints() []uiEndpoint {
	out := make([]uiEndpoint, 0, len(endpoints))
	for _, ep := range endpoints {
		rules, _ := s.StreamRules(ep.version)
		idle := RuleDuration(rules.IdleTimeout)
		out = append(out, uiEndpoint{Version: ep.version, Name: ep.name, Path: ep.path, Streams: ep.read != nil, Rules: EndpointConfig{
			IdleTimeout: &idle, RefuseAfterEnd: &rules.RefuseAfterEnd,
			CallsPerSecond: &rules.CallsPerSecond, MaxMessageBytes: &rules.MaxMessageBytes,
			AppCallsPerSecond: &rules.AppCallsPerSecond,
		}})
	}
	return out
}

// uiGetState answers the dashboard's state in at most maxPageBytes as sent
// (about the configuration's size more when that alone is larger): the
// fault rules (at most a quarter of the room), the newest exchanges (half
// of what is left) and the newest streams, each whole or, past the room,
// left out ("capped": true); a stream too large is sent as its summary.
func (s *Server) uiGetState(w http.ResponseWriter, r *http.Request) {
	var head bytes.Buffer
	enc := json.NewEncoder(&head)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(uiSnapshot{
		Version:   s.versionText(),
		Rules:     s.Rules(),
		Triggers:  triggerTable(),
		Config:    redactedConfig(s.Config()),
		Endpoint:  EndpointPath,
		Endpoints: s.uiEndpoints(),
	}); err != nil {
		adminError(w, http.StatusInternalServerError, "cannot encode the state")
		return
	}
	room := max(maxPageBytes-pageEnvelope-head.Len(), 0)
	capped := false

	faults := newListReply(room / 4)
	for _, f := range s.Faults() {
		if !faults.add(&f) {
			capped = true
			break
		}
	}
	room -= faults.size()

	exchanges := newListReply(room / 2)
	ex := s.Requests(ExchangeFilter{Limit: uiMaxExchanges})
	for i := len(ex) - 1; i >= 0; i-- { // newest first
		if !exchanges.add(&ex[i]) {
			if exchanges.len() > 0 {
				capped = true
				break
			}
			e := fitExchange(ex[i], exchanges.room)
			exchanges.add(&e)
		}
	}
	room -= exchanges.size()

	// The newest streams, newest first: whole while they fit, then as
	// summaries (a few hundred bytes each, which the room keeps).
	sums, _ := s.StreamPage(s.newestStreamsAfter(), uiMaxStreams, false)
	streams := newListReply(room)
	keep := room - len(sums)*uiStreamSummaryBytes
	for i := len(sums) - 1; i >= 0; i-- {
		st := sums[i]
		if 2*st.TextBytes < keep-streams.size() { // its text is sent twice, each byte as one byte at least
			if whole, ok := s.Stream(st.MsgKey); ok {
				st = whole
			}
		}
		if !streams.add(&st) {
			capped = true
			if !streams.add(&sums[i]) {
				break
			}
		}
	}

	body := head.Bytes()
	body = body[:len(body)-2] // the encoder's "}\n"
	writePieces(w, slices.Concat(
		[][]byte{body, []byte(`,"streams":`)}, streams.pieces(true),
		[][]byte{[]byte(`,"exchanges":`)}, exchanges.pieces(false),
		[][]byte{[]byte(`,"faults":`)}, faults.pieces(false),
		[][]byte{pageTail("", capped)})...)
}

// uiStreamSummaryBytes is what the state keeps for each stream's summary.
const uiStreamSummaryBytes = 512

// newestStreamsAfter returns the number after which the newest
// uiMaxStreams streams were opened (0 when there are fewer).
func (s *Server) newestStreamsAfter() uint64 {
	s.streams.mu.Lock()
	last := s.streams.seq
	s.streams.mu.Unlock()
	for back := uint64(uiMaxStreams); ; back *= 4 {
		after := last - min(back, last)
		if sums, _ := s.StreamPage(after, 0, false); len(sums) >= uiMaxStreams {
			return streamSeq(sums[len(sums)-uiMaxStreams].MsgKey) - 1
		}
		if after == 0 {
			return 0
		}
	}
}

// triggerTable lists the trigger SessionId of every code of the catalogue,
// answering on every call.
func triggerTable() []uiTrigger {
	cat := codes.Catalogue()
	out := make([]uiTrigger, 0, len(cat))
	for _, e := range cat {
		if e.Code == 0 {
			continue
		}
		out = append(out, uiTrigger{Code: e.Code, Info: e.Info, SessionID: TriggerSessionID(e.Code, 0)})
	}
	return out
}

// redactedKey stands for a secret key in what the dashboard shows.
const redactedKey = "(hidden)"

// redactedConfig returns cfg with the apps' secret keys hidden.
func redactedConfig(cfg Config) Config {
	cfg.Apps = slices.Clone(cfg.Apps)
	for i := range cfg.Apps {
		cfg.Apps[i].SecretKey = redactedKey
	}
	return cfg
}
