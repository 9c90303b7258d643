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
	r.Handle(p+"/begin", s.requireToken(allowParams(s.postBegin))).Methods(http.MethodPost)
	r.Handle(p+"/user-message", s.requireToken(allowParams(s.postSay(RoleUser)))).Methods(http.MethodPost)
	r.Handle(p+"/agent-message", s.requireToken(allowParams(s.postSay(RoleService)))).Methods(http.MethodPost)
}

func (s *Server) postBegin(w http.ResponseWriter, r *http.Request) {
	id, ok := deskSessionID(w, r)
	if !ok {
		return
	}
	var in struct {
		ClientUserID      string `json:"client_user_id"`
		CustomerServiceID string `json:"customer_service_id"`
		ChannelType       string `json:"channel_type"`
	}
	if err := decodeAdmin(r, &in); err != nil {
		adminError(w, adminStatus(err), err.Error())
		return
	}
	if err := s.BeginSession(id, in.ClientUserID, in.CustomerServiceID, in.ChannelType); err != nil {
		adminError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, s.DeskSession(id))
}

// postSay makes the user (RoleUser) or the agent say a text.
func (s *Server) postSay(role int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := deskSessionID(w, r)
		if !ok {
			return
		}
		var in struct {
			Text string `json:"text"`
		}
		if err := decodeAdmin(r, &in); err != nil {
			adminError(w, adminStatus(err), err.Error())
			return
		}
		if err := s.Say(id, role, in.Text); err != nil {
			adminError(w, http.StatusConflict, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, s.DeskSession(id))
	}
}

// BeginSession starts a Desk session for a user (ClientUserId) with a
// customer-service account (empty: the configured one) and a channel
// (such as "SDK"), in the Chatbot phase, and notes SessionBegin.
func (s *Server) BeginSession(id, user, customerService, channel string) error {
	switch {
	case !ValidSessionID(id):
		return errors.New("mockserver: session id: not a well-formed SessionId (a UUID)")
	case len(user) > maxAccountBytes || len(customerService) > maxAccountBytes || len(channel) > maxAccountBytes:
		return errors.New("mockserver: client_user_id, customer_service_id and channel_type are at most 32 bytes")
	}
	if err := s.sessions.set(id, SessionOpen); err != nil {
		return err
	}
	return s.life.begin(id, user, customerService, channel, s.now())
}

// Say makes the user (RoleUser) or the session's agent (RoleService, in
// the Agent phase) say a text into an active session: a message of the
// session, and the event its phase names.
func (s *Server) Say(id string, role int, text string) error {
	if len(text) > maxSayBytes {
		return errors.New("mockserver: text: longer than 12 KiB")
	}
	state := s.life.state(id, s.sessions.open(id))
	if state == DeskNotInSession || role != RoleUser && state != DeskAgent {
		return errSessionState
	}
	now := s.now()
	body := textBody(text)
	_, from := s.life.said(id, role, true, now, calloutMsg{body: body})
	s.messages.add(DeskMessage{SessionID: id, From: from, Role: role, MsgBody: body, Time: now})
	return nil
}

// maxSayBytes bounds a text the admin API says in a session.
const maxSayBytes = 12 << 10

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
