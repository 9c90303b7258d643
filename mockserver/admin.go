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
	"strconv"
	"strings"

	"github.com/gorilla/mux"
)

// AdminPrefix is the path under which the admin API lives.
const AdminPrefix = "/__admin"

// maxAdminBody bounds an admin request body.
const maxAdminBody = 1 << 20

// adminRoutes registers the admin API, one line a route. Every route but
// health asks for the admin token when one is set.
func (s *Server) adminRoutes(r *mux.Router) {
	p := AdminPrefix
	r.HandleFunc(p+"/health", s.health).Methods(http.MethodGet, http.MethodHead)
	r.Handle(p+"/faults", s.requireToken(s.postFault)).Methods(http.MethodPost)
	r.Handle(p+"/faults", s.requireToken(s.getFaults)).Methods(http.MethodGet)
	r.Handle(p+"/faults", s.requireToken(s.deleteFaults)).Methods(http.MethodDelete)
	r.Handle(p+"/faults/{id}", s.requireToken(s.deleteFault)).Methods(http.MethodDelete)
	r.Handle(p+"/sessions", s.requireToken(s.postSession)).Methods(http.MethodPost)
	r.Handle(p+"/sessions", s.requireToken(s.getSessions)).Methods(http.MethodGet)
	r.Handle(p+"/sessions/{id}", s.requireToken(s.deleteSession)).Methods(http.MethodDelete)
	r.Handle(p+"/requests", s.requireToken(s.getRequests)).Methods(http.MethodGet)
	r.Handle(p+"/requests", s.requireToken(s.deleteRequests)).Methods(http.MethodDelete)
	r.Handle(p+"/streams", s.requireToken(s.getStreams)).Methods(http.MethodGet)
	r.Handle(p+"/streams/{msgKey}", s.requireToken(s.getStream)).Methods(http.MethodGet)
	r.Handle(p+"/codes", s.requireToken(s.getCodes)).Methods(http.MethodGet)
	r.Handle(p+"/reset", s.requireToken(s.postReset)).Methods(http.MethodPost)
	s.uiRoutes(r)
}

// requireToken asks for the admin token as a bearer token, when one is set.
func (s *Server) requireToken(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.AdminToken != "" {
			got, ok := bearerToken(r.Header.Get("Authorization"))
			if !ok || !tokenEqual(got, s.cfg.AdminToken) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="deskmock admin"`)
				adminError(w, http.StatusUnauthorized, "a valid admin token is required (Authorization: Bearer TOKEN)")
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
	b, err := io.ReadAll(io.LimitReader(r.Body, maxAdminBody+1))
	if err != nil {
		return fmt.Errorf("reading the body: %w", err)
	}
	if len(b) > maxAdminBody {
		return fmt.Errorf("the body is longer than %d bytes", maxAdminBody)
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
		adminError(w, http.StatusBadRequest, err.Error())
		return
	}
	id, err := s.faults.add(f)
	if err != nil {
		adminError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"id": id})
}

func (s *Server) getFaults(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"faults": s.Faults()})
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
		adminError(w, http.StatusBadRequest, err.Error())
		return
	}
	if err := s.OpenSession(in.SessionID); err != nil {
		adminError(w, http.StatusBadRequest, "session_id: "+strconv.Quote(in.SessionID)+" is not a well-formed SessionId (a UUID, 8-4-4-4-12 hexadecimal digits)")
		return
	}
	writeJSON(w, http.StatusCreated, SessionInfo{SessionID: in.SessionID, State: SessionOpen})
}

func (s *Server) getSessions(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"strict": s.cfg.Sessions.Strict, "sessions": s.Sessions()})
}

func (s *Server) deleteSession(w http.ResponseWriter, r *http.Request) {
	id := mux.Vars(r)["id"]
	if err := s.EndSession(id); err != nil {
		adminError(w, http.StatusBadRequest, "session id: "+strconv.Quote(id)+" is not a well-formed SessionId")
		return
	}
	writeJSON(w, http.StatusOK, SessionInfo{SessionID: id, State: SessionEnded})
}

func (s *Server) getRequests(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := ExchangeFilter{SessionID: q.Get("session_id"), MsgKey: q.Get("msg_key")}
	if v := q.Get("code"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			adminError(w, http.StatusBadRequest, "code: "+strconv.Quote(v)+" is not an integer")
			return
		}
		f.Code = &n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			adminError(w, http.StatusBadRequest, "limit: "+strconv.Quote(v)+" is not a positive integer")
			return
		}
		f.Limit = n
	}
	writeJSON(w, http.StatusOK, map[string]any{"requests": s.Requests(f)})
}

func (s *Server) deleteRequests(w http.ResponseWriter, r *http.Request) {
	s.ClearRequests()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) getStreams(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"streams": s.Streams()})
}

func (s *Server) getStream(w http.ResponseWriter, r *http.Request) {
	key := mux.Vars(r)["msgKey"]
	st, ok := s.Stream(key)
	if !ok {
		adminError(w, http.StatusNotFound, "no stream "+strconv.Quote(key))
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) getCodes(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"rules": s.Rules()})
}

func (s *Server) postReset(w http.ResponseWriter, r *http.Request) {
	s.Reset()
	writeJSON(w, http.StatusOK, map[string]string{"status": "reset"})
}
