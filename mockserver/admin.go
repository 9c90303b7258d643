package mockserver

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/deskmock/deskmock/internal/textcut"
)

// adminPrefix is the path under which the admin API lives.
const adminPrefix = "/__admin"

// maxAdminBody bounds an admin request body; a longer one gets 413.
const maxAdminBody = 1 << 20

// adminRoutes registers the admin API, one line a route, with the query
// parameters each takes. Every route but health asks for the admin token
// when one is set.
func (s *Server) adminRoutes(r *mux.Router) {
	p := adminPrefix
	list := []string{"limit", "cursor"}
	s.admin.init(&s.cfg)
	r.Handle(p+"/", s.requireToken(allowParams(s.getIndex))).Methods(http.MethodGet)
	r.HandleFunc(p+"/health", allowParams(s.health)).Methods(http.MethodGet, http.MethodHead)
	r.Handle(p+"/faults", s.requireToken(allowParams(s.postFault))).Methods(http.MethodPost)
	r.Handle(p+"/faults", s.requireToken(allowParams(s.read(s.getFaults), list...))).Methods(http.MethodGet)
	r.Handle(p+"/faults", s.requireToken(allowParams(s.deleteFaults))).Methods(http.MethodDelete)
	r.Handle(p+"/faults/{id}", s.requireToken(allowParams(s.deleteFault))).Methods(http.MethodDelete)
	r.Handle(p+"/sessions", s.requireToken(allowParams(s.postSession))).Methods(http.MethodPost)
	r.Handle(p+"/sessions", s.requireToken(allowParams(s.read(s.getSessions), list...))).Methods(http.MethodGet)
	r.Handle(p+"/sessions/{id}", s.requireToken(allowParams(s.deleteSession))).Methods(http.MethodDelete)
	s.directoryRoutes(r)
	s.deskRoutes(r)
	s.scenarioRoutes(r)
	s.callbackRoutes(r)
	r.Handle(p+"/requests", s.requireToken(allowParams(s.read(s.getRequests), "session_id", "conversation", "msg_key", "code", "limit", "cursor"))).Methods(http.MethodGet)
	r.Handle(p+"/requests", s.requireToken(allowParams(s.deleteRequests))).Methods(http.MethodDelete)
	r.Handle(p+"/streams", s.requireToken(allowParams(s.read(s.getStreams), "limit", "cursor", "text"))).Methods(http.MethodGet)
	r.Handle(p+"/streams/{msgKey}", s.requireToken(allowParams(s.read(s.getStream)))).Methods(http.MethodGet)
	r.Handle(p+"/codes", s.requireToken(allowParams(s.read(s.getCodes)))).Methods(http.MethodGet)
	r.Handle(p+"/reset", s.requireToken(allowParams(s.postReset))).Methods(http.MethodPost)
	r.Handle(p+"/clock", s.requireToken(allowParams(s.getClock))).Methods(http.MethodGet)
	r.Handle(p+"/clock", s.requireToken(allowParams(s.postClock))).Methods(http.MethodPost)
	s.uiRoutes(r)
}

// requireToken asks for the admin token as a bearer token, when one is set,
// and refuses, without one, a Host the admin API does not answer to.
func (s *Server) requireToken(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.hostGuard(w, r) {
			return
		}
		if s.cfg.AdminToken != "" {
			got, ok := bearerToken(r.Header.Get("Authorization"))
			if !ok || !tokenEqual(got, s.cfg.AdminToken) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="deskmock admin"`)
				adminError(w, http.StatusUnauthorized, "a valid admin token is required (Authorization: Bearer TOKEN)")
				return
			}
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			// A page of another site must not change the mock through the
			// user's browser (the admin API has no token by default).
			if err := notCrossSite(r); err != nil {
				adminError(w, http.StatusForbidden, err.Error())
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// bearerToken returns the token of an "Authorization: Bearer TOKEN" header
// (the scheme in any case, as RFC 9110 allows).
func bearerToken(h string) (string, bool) {
	const scheme = "bearer "
	if len(h) <= len(scheme) || !strings.EqualFold(h[:len(scheme)], scheme) {
		return "", false
	}
	return strings.TrimLeft(h[len(scheme):], " "), true
}

// tokenEqual compares two tokens in constant time, whatever their lengths:
// it compares their SHA-256 sums, so that not even the length of the admin
// token leaks through timing.
func tokenEqual(got, want string) bool {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

func adminError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// decodeAdmin reads a JSON object into v, refusing unknown fields; the error
// names the field at fault.
func decodeAdmin(r *http.Request, v any) error {
	if r.ContentLength > maxAdminBody {
		return errAdminBodyTooLarge
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxAdminBody+1))
	if err != nil {
		return fmt.Errorf("reading the body: %w", err)
	}
	if len(b) > maxAdminBody {
		return errAdminBodyTooLarge
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &te):
			return fmt.Errorf("%s: expected %s, got JSON %s", strings.ReplaceAll(te.Field, ".", "/"), te.Type, te.Value)
		case errors.As(err, &se):
			return fmt.Errorf("not valid JSON at byte %d: %v", se.Offset, err)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return errors.New("not valid JSON: the body ends too soon")
		case errors.Is(err, io.EOF):
			return errors.New("the body is empty; a JSON object is expected")
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return fmt.Errorf("unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
		}
		return err
	}
	if dec.More() {
		return errors.New("data after the JSON object")
	}
	return nil
}

func (s *Server) postFault(w http.ResponseWriter, r *http.Request) {
	var f Fault
	if err := decodeAdmin(r, &f); err != nil {
		adminError(w, adminStatus(err), err.Error())
		return
	}
	id, err := s.faults.add(f)
	if err != nil {
		adminError(w, adminStatus(err), err.Error())
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"id": id})
}

func (s *Server) getFaults(w http.ResponseWriter, r *http.Request) {
	limit, after, err := pageQuery(r, "faults")
	place := 0
	if err == nil && after != "" {
		if place, err = strconv.Atoi(after); err != nil {
			err = errBadCursor
		}
	}
	if err != nil {
		adminError(w, http.StatusBadRequest, err.Error())
		return
	}
	items, last := s.faults.page(place, limit)
	p := page[Fault]{Items: items}
	if last != 0 {
		p.NextCursor = encodeCursor("faults", strconv.Itoa(last))
		p.Capped = len(items) < limit
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) deleteFaults(w http.ResponseWriter, r *http.Request) {
	s.ClearFaults()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) deleteFault(w http.ResponseWriter, r *http.Request) {
	id := mux.Vars(r)["id"]
	if !s.RemoveFault(id) {
		adminError(w, http.StatusNotFound, "no fault "+strconv.Quote(id))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) postSession(w http.ResponseWriter, r *http.Request) {
	var in struct {
		SessionID string `json:"session_id"`
	}
	if err := decodeAdmin(r, &in); err != nil {
		adminError(w, adminStatus(err), err.Error())
		return
	}
	if err := s.OpenSession(in.SessionID); err != nil {
		if errors.Is(err, ErrTooManySessions) {
			adminError(w, http.StatusConflict, err.Error())
			return
		}
		adminError(w, http.StatusBadRequest, "session_id: "+strconv.Quote(textcut.Cut(in.SessionID, 64))+" is not a well-formed SessionId (a UUID, 8-4-4-4-12 hexadecimal digits)")
		return
	}
	writeJSON(w, http.StatusCreated, SessionInfo{SessionID: in.SessionID, State: SessionOpen})
}

// sessionPage is the reply of GET /__admin/sessions.
type sessionPage struct {
	Strict bool `json:"strict"`
	page[SessionInfo]
}

func (s *Server) getSessions(w http.ResponseWriter, r *http.Request) {
	limit, after, err := pageQuery(r, "sessions")
	if err != nil {
		adminError(w, http.StatusBadRequest, err.Error())
		return
	}
	items, more := s.sessions.page(after, limit)
	p := sessionPage{Strict: s.cfg.Sessions.Strict, page: page[SessionInfo]{Items: items}}
	if more {
		p.NextCursor = encodeCursor("sessions", items[len(items)-1].SessionID)
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) deleteSession(w http.ResponseWriter, r *http.Request) {
	id := mux.Vars(r)["id"]
	if err := s.EndSession(id); err != nil {
		if errors.Is(err, ErrTooManySessions) {
			adminError(w, http.StatusConflict, err.Error())
			return
		}
		adminError(w, http.StatusBadRequest, "session id: "+strconv.Quote(textcut.Cut(id, 64))+" is not a well-formed SessionId")
		return
	}
	writeJSON(w, http.StatusOK, SessionInfo{SessionID: id, State: SessionEnded})
}

// getRequests lists the journal a page at a time, from its newest end:
// each page is in arrival order, and its next_cursor continues with the
// exchanges that arrived before it.
func (s *Server) getRequests(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := ExchangeFilter{SessionID: q.Get("session_id"), Conversation: q.Get("conversation"), MsgKey: q.Get("msg_key")}
	if v := q.Get("code"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			adminError(w, http.StatusBadRequest, "code: "+strconv.Quote(textcut.Cut(v, 64))+" is not an integer")
			return
		}
		f.Code = &n
	}
	limit, before, err := pageQuery(r, "requests")
	if err == nil && before != "" {
		if f.Before, err = strconv.ParseUint(before, 10, 64); err != nil {
			err = errBadCursor
		}
	}
	if err != nil {
		adminError(w, http.StatusBadRequest, err.Error())
		return
	}
	f.Limit = limit + 1 // one more tells whether more remain
	items := s.Requests(f)
	more := len(items) > limit
	if more {
		items = items[1:]
	}
	// The page is made from its newest end, and sent in arrival order.
	l := newListReply(maxPageBytes - pageEnvelope)
	first, capped := len(items), false
	for i := len(items) - 1; i >= 0; i-- {
		if !l.add(&items[i]) {
			if l.len() > 0 {
				more, capped = true, true
				break
			}
			e := fitExchange(items[i], l.room)
			l.add(&e)
		}
		first = i
	}
	cursor := ""
	if more {
		cursor = encodeCursor("requests", strconv.FormatUint(items[first].Seq, 10))
	}
	writePieces(w, slices.Concat([][]byte{[]byte(`{"items":`)}, l.pieces(true), [][]byte{pageTail(cursor, capped)})...)
}

func (s *Server) deleteRequests(w http.ResponseWriter, r *http.Request) {
	s.ClearRequests()
	w.WriteHeader(http.StatusNoContent)
}

// getStreams answers a page of streams, oldest first: summaries (no
// chunks, no text) unless text=1.
func (s *Server) getStreams(w http.ResponseWriter, r *http.Request) {
	limit, after, err := pageQuery(r, "streams")
	var seq uint64
	if err == nil && after != "" {
		if seq, err = strconv.ParseUint(after, 10, 64); err != nil {
			err = errBadCursor
		}
	}
	text := r.URL.Query().Get("text")
	if err == nil && text != "" && text != "0" && text != "1" {
		err = fmt.Errorf("text: %s is not 0 or 1", strconv.Quote(textcut.Cut(text, 64)))
	}
	if err != nil {
		adminError(w, http.StatusBadRequest, err.Error())
		return
	}
	l, next, capped := s.streamList(seq, limit, text == "1", maxPageBytes-pageEnvelope)
	cursor := ""
	if next != 0 {
		cursor = encodeCursor("streams", strconv.FormatUint(next, 10))
	}
	writePieces(w, slices.Concat([][]byte{[]byte(`{"items":`)}, l.pieces(false), [][]byte{pageTail(cursor, capped)})...)
}

// streamList lists at most limit streams opened after the one numbered
// after, oldest first, in at most room bytes as sent, and returns the
// number to continue after (0 when none remain) and whether the list
// stopped at room. With text, a stream whose text does not fit the list's
// room even alone is listed as its summary (text_bytes gives its length;
// GET /__admin/streams/{msg_key} answers it whole).
func (s *Server) streamList(after uint64, limit int, text bool, room int) (*listReply, uint64, bool) {
	sums, next := s.StreamPage(after, limit, false)
	l := newListReply(room)
	for i := range sums {
		st := sums[i]
		if text {
			// Its text is sent twice (chunks and text), each byte as one
			// byte at least.
			fits := 2*st.TextBytes < room-l.size()
			if !fits && l.len() > 0 {
				return l, streamSeq(sums[i-1].MsgKey), true
			}
			if fits {
				if whole, ok := s.Stream(st.MsgKey); ok {
					st = whole
				}
			}
		}
		if !l.add(&st) {
			if l.len() > 0 {
				return l, streamSeq(sums[i-1].MsgKey), true
			}
			l.add(&sums[i])
		}
	}
	return l, next, false
}

// streamSeq returns the sequence number a MsgKey starts with.
func streamSeq(key string) uint64 {
	n, _ := strconv.ParseUint(key[:max(strings.IndexByte(key, '_'), 0)], 10, 64)
	return n
}

func (s *Server) getStream(w http.ResponseWriter, r *http.Request) {
	key := mux.Vars(r)["msgKey"]
	st, ok := s.Stream(key)
	if !ok {
		adminError(w, http.StatusNotFound, "no stream "+strconv.Quote(key))
		return
	}
	writeStream(w, st)
}

func (s *Server) getCodes(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"rules": s.Rules(), "by_endpoint": s.table.EndpointRules()})
}

func (s *Server) postReset(w http.ResponseWriter, r *http.Request) {
	s.Reset()
	writeJSON(w, http.StatusOK, map[string]string{"status": "reset"})
}
