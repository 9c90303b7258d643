package mockserver

import (
	"errors"
	"net/http"

	"github.com/gorilla/mux"
)

// The admin API plays the people of a Desk session: GET a session's life,
// make its agent accept it, make the agent end it.

// deskRoutes adds the Desk sessions' routes under the admin prefix.
func (s *Server) deskRoutes(r *mux.Router) {
	p := adminPrefix + "/sessions/{id}"
	r.Handle(p, s.requireToken(allowParams(s.read(s.getDeskSession)))).Methods(http.MethodGet)
	r.Handle(p+"/accept", s.requireToken(allowParams(s.postAccept))).Methods(http.MethodPost)
	r.Handle(p+"/agent-end", s.requireToken(allowParams(s.postAgentEnd))).Methods(http.MethodPost)
}

// deskSessionID reads the session of a route, answering 400 for one that
// is not well formed.
func deskSessionID(w http.ResponseWriter, r *http.Request) (string, bool) {
	id := mux.Vars(r)["id"]
	if !ValidSessionID(id) {
		adminError(w, http.StatusBadRequest, "session id: not a well-formed SessionId (a UUID)")
		return "", false
	}
	return id, true
}

func (s *Server) getDeskSession(w http.ResponseWriter, r *http.Request) {
	if id, ok := deskSessionID(w, r); ok {
		writeJSON(w, http.StatusOK, s.DeskSession(id))
	}
}

func (s *Server) postAccept(w http.ResponseWriter, r *http.Request) {
	id, ok := deskSessionID(w, r)
	if !ok {
		return
	}
	var in struct {
		AgentID string `json:"agent_id"`
	}
	if r.ContentLength != 0 {
		if err := decodeAdmin(r, &in); err != nil {
			adminError(w, adminStatus(err), err.Error())
			return
		}
	}
	if err := s.AcceptSession(id, in.AgentID); err != nil {
		adminError(w, http.StatusConflict, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, s.DeskSession(id))
}

func (s *Server) postAgentEnd(w http.ResponseWriter, r *http.Request) {
	id, ok := deskSessionID(w, r)
	if !ok {
		return
	}
	if err := s.AgentEndSession(id); err != nil {
		adminError(w, http.StatusConflict, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, s.DeskSession(id))
}

// DeskSession returns a Desk session's life: its state, agent, end status
// and events.
func (s *Server) DeskSession(id string) DeskSession {
	return s.life.snapshot(id, s.sessions.open(id))
}

// errSessionState is the error of a Desk session asked to do what its
// state does not allow.
var errSessionState = errors.New("mockserver: the session's state does not allow it")

// AcceptSession makes an agent accept a session: the agent a transfer
// assigned it to (WaitingForAgentAnswering), or agentID, or any agent with
// room, for a queued one.
func (s *Server) AcceptSession(id, agentID string) error {
	if !s.life.accept(id, agentID, s.now()) {
		return errSessionState
	}
	return nil
}

// AgentEndSession makes the session's agent end it (AgentEndedSession).
func (s *Server) AgentEndSession(id string) error {
	if s.life.state(id, s.sessions.open(id)) != DeskAgent {
		return errSessionState
	}
	if _, err := s.life.end(id, endStatusAgent, s.now()); err != nil {
		return err
	}
	return s.sessions.set(id, SessionEnded)
}
