package mockserver

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/mux"
)

// The admin API plays the people of a Desk session: GET a session's life;
// begin it for a user, make the user or the agent say something, hand it
// to a human as the bot would, make the agent accept or end it, make the
// user go silent or rate it. Every action answers what happened: the
// events it produced (which the Desk session event callback reports) and
// the session afterwards.

// deskRoutes adds the Desk sessions' routes under the admin prefix.
func (s *Server) deskRoutes(r *mux.Router) {
	p := adminPrefix + "/sessions/{id}"
	r.Handle(p, s.requireToken(allowParams(s.read(s.getDeskSession)))).Methods(http.MethodGet)
	for name, act := range s.deskActions() {
		r.Handle(p+"/"+name, s.requireToken(allowParams(s.deskAction(act)))).Methods(http.MethodPost)
	}
}

// deskActions are the actions on a Desk session, by the last element of
// their route; the admin API and the dashboard's API both serve them.
func (s *Server) deskActions() map[string]func(id string, r *http.Request) ([]DeskEvent, error) {
	return map[string]func(string, *http.Request) ([]DeskEvent, error){
		"begin":         s.adminBegin,
		"user-message":  s.adminSay(RoleUser),
		"agent-message": s.adminSay(RoleService),
		"transfer":      s.adminTransfer,
		"accept":        s.adminAccept,
		"agent-end":     func(id string, _ *http.Request) ([]DeskEvent, error) { return s.AgentEndSession(id) },
		"user-silent":   func(id string, _ *http.Request) ([]DeskEvent, error) { return s.UserSilent(id) },
		"rate":          s.adminRate,
	}
}

// deskActionReply is what every action on a Desk session answers.
type deskActionReply struct {
	// Events are the events the action produced, oldest first, under the
	// configuration's names.
	Events []DeskEvent `json:"events"`
	// Session is the session afterwards.
	Session DeskSession `json:"session"`
}

// errBadInput marks an action's input as wrong (400), as opposed to a
// state that does not allow it (409).
var errBadInput = errors.New("mockserver")

// deskAction answers an action on a session: 400 for a malformed session
// or body, 409 when the session's state does not allow the action, else
// the events and the session.
func (s *Server) deskAction(act func(id string, r *http.Request) ([]DeskEvent, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := deskSessionID(w, r)
		if !ok {
			return
		}
		events, err := act(id, r)
		switch {
		case errors.Is(err, errSessionState):
			adminError(w, http.StatusConflict, err.Error())
		case errors.Is(err, errBadInput):
			adminError(w, http.StatusBadRequest, err.Error())
		case err != nil:
			adminError(w, adminStatus(err), err.Error())
		default:
			writeJSON(w, http.StatusOK, deskActionReply{Events: events, Session: s.DeskSession(id)})
		}
	}
}

// decodeDesk reads an action's body, which may be empty; a body that is
// wrong is errBadInput, or a body too large.
func decodeDesk(r *http.Request, v any) error {
	if r.ContentLength == 0 {
		return nil
	}
	if err := decodeAdmin(r, v); err != nil {
		if errors.Is(err, errAdminBodyTooLarge) {
			return err
		}
		return fmt.Errorf("%w: %v", errBadInput, err)
	}
	return nil
}

func (s *Server) adminBegin(id string, r *http.Request) ([]DeskEvent, error) {
	var in struct {
		ClientUserID      string `json:"client_user_id"`
		CustomerServiceID string `json:"customer_service_id"`
		ChannelType       string `json:"channel_type"`
	}
	if err := decodeDesk(r, &in); err != nil {
		return nil, err
	}
	return s.BeginSession(id, in.ClientUserID, in.CustomerServiceID, in.ChannelType)
}

// adminSay makes the user (RoleUser) or the agent say a text.
func (s *Server) adminSay(role int) func(string, *http.Request) ([]DeskEvent, error) {
	return func(id string, r *http.Request) ([]DeskEvent, error) {
		var in struct {
			Text string `json:"text"`
		}
		if err := decodeDesk(r, &in); err != nil {
			return nil, err
		}
		return s.Say(id, role, in.Text)
	}
}

func (s *Server) adminAccept(id string, r *http.Request) ([]DeskEvent, error) {
	var in struct {
		AgentID string `json:"agent_id"`
	}
	if err := decodeDesk(r, &in); err != nil {
		return nil, err
	}
	return s.AcceptSession(id, in.AgentID)
}

func (s *Server) adminRate(id string, r *http.Request) ([]DeskEvent, error) {
	var in struct {
		Stars int `json:"stars"`
	}
	if err := decodeDesk(r, &in); err != nil {
		return nil, err
	}
	return s.RateSession(id, in.Stars)
}

// adminTransfer reads transfer_to_human's options, under the vendor's
// names, from a body that may be empty.
func (s *Server) adminTransfer(id string, r *http.Request) ([]DeskEvent, error) {
	var in struct {
		AgentIDList                     []string `json:"AgentIdList"`
		AgentGroupID                    *int     `json:"AgentGroupId"`
		SendTipIfNoAgentOnline          int
		CheckIfDuringWorkingHours       int
		SendPromptNotDuringWorkingHours int
		EndSessionWhenNoMemberOnline    int
		DisableQueuing                  int
		AllowAssignBusyMember           int
		Priority                        int
		QueueTimeout                    int64
	}
	if err := decodeDesk(r, &in); err != nil {
		return nil, err
	}
	for name, v := range map[string]int{
		"SendTipIfNoAgentOnline": in.SendTipIfNoAgentOnline, "CheckIfDuringWorkingHours": in.CheckIfDuringWorkingHours,
		"SendPromptNotDuringWorkingHours": in.SendPromptNotDuringWorkingHours, "EndSessionWhenNoMemberOnline": in.EndSessionWhenNoMemberOnline,
		"DisableQueuing": in.DisableQueuing, "AllowAssignBusyMember": in.AllowAssignBusyMember,
	} {
		if v != 0 && v != 1 {
			return nil, fmt.Errorf("%w: %s: %d, want 0 or 1", errBadInput, name, v)
		}
	}
	if in.QueueTimeout < 0 || in.QueueTimeout > maxQueueTimeout {
		return nil, fmt.Errorf("%w: QueueTimeout: %d seconds, want 0 to %d", errBadInput, in.QueueTimeout, maxQueueTimeout)
	}
	return s.TransferSession(id, TransferRequest{
		AgentIDList: in.AgentIDList, AgentGroupID: in.AgentGroupID,
		SendTipIfNoAgentOnline:          in.SendTipIfNoAgentOnline == 1,
		CheckWorkingHours:               in.CheckIfDuringWorkingHours == 1,
		SendPromptNotDuringWorkingHours: in.SendPromptNotDuringWorkingHours == 1,
		EndSessionWhenNoMemberOnline:    in.EndSessionWhenNoMemberOnline == 1,
		DisableQueuing:                  in.DisableQueuing == 1,
		AllowAssignBusyMember:           in.AllowAssignBusyMember == 1,
		Priority:                        in.Priority,
		QueueTimeout:                    time.Duration(in.QueueTimeout) * time.Second,
	})
}

// BeginSession starts a Desk session for a user (ClientUserId) with a
// customer-service account (empty: the configured one) and a channel
// (such as "SDK"), in the Chatbot phase, and notes SessionBegin. It returns
// the events produced.
func (s *Server) BeginSession(id, user, customerService, channel string) ([]DeskEvent, error) {
	switch {
	case !ValidSessionID(id):
		return nil, fmt.Errorf("%w: session id: not a well-formed SessionId (a UUID)", errBadInput)
	case len(user) > maxAccountBytes || len(customerService) > maxAccountBytes || len(channel) > maxAccountBytes:
		return nil, fmt.Errorf("%w: client_user_id, customer_service_id and channel_type are at most 32 bytes", errBadInput)
	}
	if err := s.sessions.set(id, SessionOpen); err != nil {
		return nil, err
	}
	return s.life.begin(id, user, customerService, channel, s.now())
}

// Say makes the user (RoleUser) or the session's agent (RoleService, in
// the Agent phase) say a text into an active session: a message of the
// session, and the event its phase names, which it returns.
func (s *Server) Say(id string, role int, text string) ([]DeskEvent, error) {
	if len(text) > maxSayBytes {
		return nil, fmt.Errorf("%w: text: longer than 12 KiB", errBadInput)
	}
	state := s.life.state(id, s.sessions.open(id))
	if state == DeskNotInSession || role != RoleUser && state != DeskAgent {
		return nil, errSessionState
	}
	now := s.now()
	body := textBody(text)
	_, from, events := s.life.said(id, role, true, now, calloutMsg{body: body})
	s.messages.add(DeskMessage{SessionID: id, From: from, Role: role, MsgBody: body, Time: now})
	return events, nil
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

// DeskSession returns a Desk session's life: its state, agent, end status,
// rating, place in the queue, events and its newest 100 messages.
func (s *Server) DeskSession(id string) DeskSession {
	out := s.life.snapshot(id, s.sessions.open(id))
	out.Messages, out.MessageCount = s.sessionMessages(id, maxSessionMessages)
	if out.Messages == nil {
		out.Messages = []DeskMessage{}
	}
	return out
}

// maxSessionMessages is how many of its newest messages a DeskSession
// holds: describe_chat_messages pages through the others.
const maxSessionMessages = 100

// errSessionState is the error of a Desk session asked to do what its
// state does not allow.
var errSessionState = errors.New("mockserver: the session's state does not allow it")

// AcceptSession makes an agent accept a session: the agent a transfer
// assigned it to (WaitingForAgentAnswering), or agentID, or any agent with
// room, for a queued one. It returns the events produced.
func (s *Server) AcceptSession(id, agentID string) ([]DeskEvent, error) {
	events, ok := s.life.accept(id, agentID, s.now())
	if !ok {
		return nil, errSessionState
	}
	return events, nil
}

// AgentEndSession makes the session's agent end it (AgentEndedSession,
// and the system message proactiveClosure); the next queued session the
// agent can take is assigned. It returns the events produced.
func (s *Server) AgentEndSession(id string) ([]DeskEvent, error) {
	if s.life.state(id, s.sessions.open(id)) != DeskAgent {
		return nil, errSessionState
	}
	return s.life.endActive(id, true, "", EndStatusAgent, SystemProactiveClosure, s.now())
}

// UserSilent makes the user of an active session stop replying: the user
// reply timeout event (User.ReplyTimeout, inferred), then the end
// (UserTimeout, inferred) with the system message timeoutAutoClosure. It
// returns the events produced.
func (s *Server) UserSilent(id string) ([]DeskEvent, error) {
	if !ValidSessionID(id) {
		return nil, fmt.Errorf("%w: session id: not a well-formed SessionId (a UUID)", errBadInput)
	}
	return s.life.endActive(id, s.sessions.open(id), EventUserTimeout, EndStatusUserTimeout, SystemTimeoutAutoClosure, s.now())
}

// RateSession makes the user rate a session, 1 to 5 stars (the callback's
// SatisfactionSelected): once, while an agent serves it or after it ended
// (inferred). It returns the events produced: Session.Rated (inferred)
// with the stars.
func (s *Server) RateSession(id string, stars int) ([]DeskEvent, error) {
	if stars < 1 || stars > 5 {
		return nil, fmt.Errorf("%w: stars: %d, want 1 to 5", errBadInput, stars)
	}
	events, ok := s.life.rate(id, stars, s.now())
	if !ok {
		return nil, errSessionState
	}
	return events, nil
}

// Bounds of a transfer the Go API or the admin API asks for.
const maxTransferAgents = 100

// TransferSession hands a session in the Chatbot phase to a human, as the
// bot's transfer_to_human would, with its options. It returns the events
// produced; the session (DeskSession) says whom it went to, or its place
// in the queue.
func (s *Server) TransferSession(id string, req TransferRequest) ([]DeskEvent, error) {
	switch {
	case !ValidSessionID(id):
		return nil, fmt.Errorf("%w: session id: not a well-formed SessionId (a UUID)", errBadInput)
	case req.Priority < 0 || req.Priority > 9:
		return nil, fmt.Errorf("%w: Priority: %d, want 0 (the highest) to 9", errBadInput, req.Priority)
	case req.QueueTimeout < 0:
		return nil, fmt.Errorf("%w: QueueTimeout: negative", errBadInput)
	case len(req.AgentIDList) > maxTransferAgents:
		return nil, fmt.Errorf("%w: AgentIdList: %d agents, more than %d", errBadInput, len(req.AgentIDList), maxTransferAgents)
	}
	if !s.sessions.open(id) {
		return nil, errSessionState
	}
	res, ok, err := s.life.transfer(id, req, s.now())
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return nil, errSessionState
	}
	return res.Events, nil
}
