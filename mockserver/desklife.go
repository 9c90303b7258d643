package mockserver

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// DeskState is where a Desk session is, as get_session_state's CurrentState
// names it.
type DeskState string

// The vendor's states of a Desk session.
const (
	// DeskNotInSession: no session is active (never opened in strict mode,
	// or ended).
	DeskNotInSession DeskState = "NotInSession"
	// DeskChatbot: the bot serves the user; streams and bot messages go in.
	DeskChatbot DeskState = "Chatbot"
	// DeskWaiting: a transfer chose an agent, who has yet to accept.
	DeskWaiting DeskState = "WaitingForAgentAnswering"
	// DeskQueueing: every agent was at capacity; the user waits in a queue.
	DeskQueueing DeskState = "Queueing"
	// DeskAgent: a human agent serves the user.
	DeskAgent DeskState = "Agent"
)

// Agent is a human agent of the Desk app, as the configuration declares
// it.
type Agent struct {
	// ID is the agent's ID (the vendor's examples are e-mail addresses).
	ID string `json:"id"`
	// Groups are the agent groups (AgentGroupId) the agent belongs to.
	Groups []int `json:"groups,omitempty"`
	// Offline agents are never assigned.
	Offline bool `json:"offline,omitempty"`
	// Busy agents are assigned only when a transfer allows it
	// (AllowAssignBusyMember: 1).
	Busy bool `json:"busy,omitempty"`
	// MaxSessions is how many sessions the agent serves at once (waiting
	// or accepted); past it a transfer queues. 0 is the default, 5.
	MaxSessions int `json:"max_sessions,omitempty"`
	// ManualAccept leaves a session the agent is assigned
	// WaitingForAgentAnswering until the admin API accepts it; by default
	// the agent accepts at once.
	ManualAccept bool `json:"manual_accept,omitempty"`
}

// Desk configures the people behind Desk's sessions.
type Desk struct {
	// Agents are the human agents; the embedded default has one, online at
	// all hours, so that a plain transfer succeeds.
	Agents []Agent `json:"agents,omitempty"`
	// WorkingHours are "HH:MM-HH:MM" in UTC, checked by a transfer with
	// CheckIfDuringWorkingHours: 1; empty means all day.
	WorkingHours string `json:"working_hours,omitempty"`
	// EventNames rename the events deskmock names (the keys, such as
	// "Transfer.Succeeded") to the names the real service is found to use;
	// the vendor's own names can be renamed too.
	EventNames map[string]string `json:"event_names,omitempty"`
	// CustomerServiceID is the customer-service account the bot speaks as
	// in a session started without one; empty means the vendor's example,
	// "@customer_service_account".
	CustomerServiceID string `json:"customer_service_id,omitempty"`
}

// defaultCustomerService is the customer-service account of the vendor's
// examples.
const defaultCustomerService = "@customer_service_account"

// Bounds of the Desk configuration.
const (
	maxAgents            = 1000
	maxEventNames        = 100
	maxEventNameBytes    = 64
	defaultAgentSessions = 5
	maxDeskSessionEvents = 32
	// maxDeskLives bounds the sessions with a life: at most about 3 KiB
	// each (its strings and 32 events), 30 MiB in all.
	maxDeskLives          = 10_000
	deskSessionEntryBytes = 256
)

// validate checks the Desk configuration; errors name the field.
func (d Desk) validate() error {
	if len(d.Agents) > maxAgents {
		return fmt.Errorf("desk/agents: %d agents, more than the %d allowed", len(d.Agents), maxAgents)
	}
	seen := map[string]bool{}
	for i, a := range d.Agents {
		switch {
		case a.ID == "" || len(a.ID) > maxIdentifierBytes:
			return fmt.Errorf("desk/agents/%d/id: empty or longer than %d bytes", i, maxIdentifierBytes)
		case seen[a.ID]:
			return fmt.Errorf("desk/agents/%d/id: %q is listed twice", i, a.ID)
		case a.MaxSessions < 0:
			return fmt.Errorf("desk/agents/%d/max_sessions: %d is negative", i, a.MaxSessions)
		}
		seen[a.ID] = true
	}
	if len(d.EventNames) > maxEventNames {
		return fmt.Errorf("desk/event_names: %d names, more than the %d allowed", len(d.EventNames), maxEventNames)
	}
	for k, v := range d.EventNames {
		if k == "" || v == "" || len(k) > maxEventNameBytes || len(v) > maxEventNameBytes {
			return fmt.Errorf("desk/event_names: %q: %q: names are 1..%d bytes", k, v, maxEventNameBytes)
		}
	}
	if _, _, err := parseWorkingHours(d.WorkingHours); err != nil {
		return fmt.Errorf("desk/working_hours: %w", err)
	}
	return nil
}

// parseWorkingHours reads "HH:MM-HH:MM" as minutes of the day; "" is all
// day.
func parseWorkingHours(s string) (from, to int, err error) {
	if s == "" {
		return 0, 24 * 60, nil
	}
	var h1, m1, h2, m2 int
	if n, _ := fmt.Sscanf(s, "%d:%d-%d:%d", &h1, &m1, &h2, &m2); n != 4 || fmt.Sprintf("%02d:%02d-%02d:%02d", h1, m1, h2, m2) != s ||
		h1 > 24 || h2 > 24 || m1 > 59 || m2 > 59 || h1*60+m1 > 24*60 || h2*60+m2 > 24*60 {
		return 0, 0, fmt.Errorf("%q is not HH:MM-HH:MM (UTC), such as 09:00-18:00", s)
	}
	return h1*60 + m1, h2*60 + m2, nil
}

// DeskEvent is one thing that happened to a Desk session: what the Desk
// session event callback reports (Desk.SessionEventNotify's Event).
// SessionBegin, ChatBot.UserSendMsg and ChatBot.RobotSendMsg are the
// vendor's names; the other names are deskmock's (inferred).
type DeskEvent struct {
	Event   string    `json:"event"`
	Time    time.Time `json:"time"`
	AgentID string    `json:"agent_id,omitempty"`
}

// The vendor's event names.
const (
	EventSessionBegin     = "SessionBegin"
	EventUserSendMsg      = "ChatBot.UserSendMsg"
	EventRobotSendMsg     = "ChatBot.RobotSendMsg"
	EventAgentUserSendMsg = "Agent.UserSendMsg"  // inferred
	EventAgentSendMsg     = "Agent.AgentSendMsg" // inferred
)

// Event names of a Desk session's life. The vendor's page names the
// events for a transfer, its outcome, a closed session and the rest, but
// the rows that give their names could not be read: these are deskmock's.
const (
	EventTransferStarted     = "Transfer.Started"
	EventTransferred         = "Transfer.Succeeded"
	EventTransferNoAgent     = "Transfer.NoAgentOnline"
	EventTransferAgentsBusy  = "Transfer.AgentsBusy"
	EventTransferAfterHours  = "Transfer.NotWorkingHours"
	EventQueued              = "Queue.Entered"
	EventQueueEnded          = "Queue.Ended"
	EventSessionEnded        = "SessionEnd"
	endStatusAgent           = "AgentEndedSession" // the vendor's sample
	endStatusBot             = "BotEndedSession"
	endStatusNoAgent         = "NoAgentOnline"
	endStatusAdminEndSession = "AdminEndedSession"
)

// deskSession is a Desk session that left the plain "open" the session
// store knows: its state, its agent and what happened.
type deskSession struct {
	state     DeskState
	user      string // ClientUserId
	cs        string // CustomerServiceId
	channel   string // ChannelType
	agent     string
	endStatus string
	events    []DeskEvent // the last maxDeskSessionEvents
	// begun and ended are the times of its first event and of its end.
	begun, ended time.Time
	// tap hands each event noted to the callbacks (callbacks.go); saying
	// is the message whose event said is noting.
	tap    calloutTap
	saying *calloutMsg
}

// deskLife keeps the life of the Desk sessions a transfer or the admin API
// moved; any other open session is in the Chatbot phase. It holds at most
// maxDeskLives sessions (past it an ended one is forgotten), each with at
// most maxDeskSessionEvents events, and counts its strings +
// deskSessionEntryBytes + 64 per event for each.
type deskLife struct {
	mu       sync.Mutex
	cfg      Desk
	sink     *callbacks // nil sends no callback
	sessions map[string]*deskSession
	load     map[string]int // sessions each agent serves or is assigned
}

func newDeskLife(cfg Desk) *deskLife {
	return &deskLife{cfg: cfg, sessions: map[string]*deskSession{}, load: map[string]int{}}
}

// reset forgets every session's life.
func (d *deskLife) reset() {
	d.mu.Lock()
	d.sessions, d.load = map[string]*deskSession{}, map[string]int{}
	d.mu.Unlock()
}

// held returns the bytes the sessions' lives hold.
func (d *deskLife) held() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	var n int64
	for id, s := range d.sessions {
		n += int64(len(id)+len(s.user)+len(s.cs)+len(s.channel)+len(s.agent)+len(s.endStatus)) + deskSessionEntryBytes + 64*int64(len(s.events))
	}
	return n
}

// state returns a session's state; open tells whether the session store
// has it open.
func (d *deskLife) state(id string, open bool) DeskState {
	d.mu.Lock()
	defer d.mu.Unlock()
	if s, ok := d.sessions[id]; ok {
		return s.state
	}
	if open {
		return DeskChatbot
	}
	return DeskNotInSession
}

// session returns the life of a session, made in the Chatbot phase when
// it has none; d.mu is held. A new session past maxDeskLives is refused unless an ended one can be forgotten.
func (d *deskLife) session(id string) (*deskSession, error) {
	if s, ok := d.sessions[id]; ok {
		return s, nil
	}
	if len(d.sessions) >= maxDeskLives && !d.forgetEnded() {
		return nil, fmt.Errorf("%w: %d sessions have a life already, none of them ended", ErrTooManySessions, len(d.sessions))
	}
	key := strings.Clone(id)
	s := &deskSession{state: DeskChatbot, cs: d.defaultCS(), tap: calloutTap{id: key, sink: d.sink}}
	d.sessions[key] = s
	return s, nil
}

// forgetEnded forgets one ended session to make room; false when no
// session has ended. d.mu is held.
func (d *deskLife) forgetEnded() bool {
	for id, s := range d.sessions {
		if s.state == DeskNotInSession {
			delete(d.sessions, id)
			return true
		}
	}
	return false
}

// defaultCS is the customer-service account of a session started without
// one.
func (d *deskLife) defaultCS() string {
	if d.cfg.CustomerServiceID != "" {
		return d.cfg.CustomerServiceID
	}
	return defaultCustomerService
}

// note records an event of a session, keeping the last
// maxDeskSessionEvents.
func (s *deskSession) note(event string, now time.Time, agent string) {
	if s.begun.IsZero() {
		s.begun = now
	}
	if event == EventSessionEnded {
		s.ended = now
	}
	if len(s.events) == maxDeskSessionEvents {
		s.events = slices.Delete(s.events, 0, 1)
	}
	s.events = append(s.events, DeskEvent{Event: event, Time: now, AgentID: agent})
	s.tap.noted(s, s.events[len(s.events)-1])
}

// TransferRequest is what transfer_to_human asks, its options as the
// vendor names them.
type TransferRequest struct {
	AgentIDList                  []string
	AgentGroupID                 *int
	CheckWorkingHours            bool
	EndSessionWhenNoMemberOnline bool
	DisableQueuing               bool
	AllowAssignBusyMember        bool
}

// TransferResult is a transfer's outcome: the agent assigned, or queued.
type TransferResult struct {
	AgentID   string
	InQueue   bool
	State     DeskState
	NewEvents []DeskEvent
}

// transfer hands a session in the Chatbot phase to a human, as the
// options and the agents allow: an agent with room (WaitingForAgentAnswering,
// or Agent when the agent accepts at once), else the queue (unless
// disabled), else nobody. ok is false when the session is not in the
// Chatbot phase.
func (d *deskLife) transfer(id string, req TransferRequest, now time.Time) (res TransferResult, ok bool, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s, err := d.session(id)
	if err != nil {
		return res, false, err
	}
	if s.state != DeskChatbot {
		return TransferResult{State: s.state}, false, nil
	}
	before := len(s.events)
	defer func() { res.State, res.NewEvents = s.state, slices.Clone(s.events[min(before, len(s.events)):]) }()
	s.note(EventTransferStarted, now, "")
	if req.CheckWorkingHours && !d.inWorkingHours(now) {
		s.note(EventTransferAfterHours, now, "")
		return res, true, nil
	}
	online, free := d.candidates(req)
	switch {
	case len(online) == 0:
		s.note(EventTransferNoAgent, now, "")
		if req.EndSessionWhenNoMemberOnline {
			s.state, s.endStatus = DeskNotInSession, endStatusNoAgent
			s.note(EventSessionEnded, now, "")
		}
	case len(free) > 0:
		a := free[0]
		d.load[a.ID]++
		s.agent = a.ID
		res.AgentID = a.ID
		s.state = DeskWaiting
		if !a.ManualAccept {
			s.state = DeskAgent
			s.note(EventTransferred, now, a.ID)
		}
	case req.DisableQueuing:
		s.note(EventTransferAgentsBusy, now, "")
	default:
		s.state = DeskQueueing
		res.InQueue = true
		s.note(EventQueued, now, "")
	}
	return res, true, nil
}

// candidates returns the agents a transfer may go to that are online, and
// of those the ones with room, the least loaded first (then in the
// configuration's order).
func (d *deskLife) candidates(req TransferRequest) (online, free []Agent) {
	for _, a := range d.cfg.Agents {
		if a.Offline || len(req.AgentIDList) > 0 && !slices.Contains(req.AgentIDList, a.ID) ||
			req.AgentGroupID != nil && !slices.Contains(a.Groups, *req.AgentGroupID) {
			continue
		}
		online = append(online, a)
		max := a.MaxSessions
		if max == 0 {
			max = defaultAgentSessions
		}
		if (!a.Busy || req.AllowAssignBusyMember) && d.load[a.ID] < max {
			free = append(free, a)
		}
	}
	slices.SortStableFunc(free, func(a, b Agent) int { return d.load[a.ID] - d.load[b.ID] })
	return online, free
}

// inWorkingHours reports whether now (UTC) is within the working hours.
func (d *deskLife) inWorkingHours(now time.Time) bool {
	from, to, _ := parseWorkingHours(d.cfg.WorkingHours)
	t := now.UTC()
	m := t.Hour()*60 + t.Minute()
	if from <= to {
		return from <= m && m < to
	}
	return m >= from || m < to // over midnight
}

// endQueuing takes a queued session back to the Chatbot phase; false when
// it is not queued.
func (d *deskLife) endQueuing(id string, now time.Time) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	s, ok := d.sessions[id]
	if !ok || s.state != DeskQueueing {
		return false
	}
	s.state = DeskChatbot
	s.note(EventQueueEnded, now, "")
	return true
}

// end ends a session with an end status, releasing its agent; false when
// it was not active.
func (d *deskLife) end(id, status string, now time.Time) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s, err := d.session(id)
	if err != nil {
		return false, err
	}
	if s.state == DeskNotInSession {
		return false, nil
	}
	if s.agent != "" && (s.state == DeskAgent || s.state == DeskWaiting) {
		d.load[s.agent]--
	}
	s.state, s.endStatus = DeskNotInSession, status
	s.note(EventSessionEnded, now, s.agent)
	return true, nil
}

// accept makes the agent a waiting session was assigned to accept it, or
// assigns a queued session to agent (any agent when ""); false when the
// session is neither waiting nor queued, or agent cannot take it.
func (d *deskLife) accept(id, agent string, now time.Time) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	s, ok := d.sessions[id]
	if !ok {
		return false
	}
	switch s.state {
	case DeskWaiting:
		if agent != "" && agent != s.agent {
			return false
		}
	case DeskQueueing:
		if agent == "" {
			_, free := d.candidates(TransferRequest{AllowAssignBusyMember: true})
			if len(free) == 0 {
				return false
			}
			agent = free[0].ID
		}
		d.load[agent]++
		s.agent = agent
	default:
		return false
	}
	s.state = DeskAgent
	s.note(EventTransferred, now, s.agent)
	return true
}

// begin starts a session for a user, in the Chatbot phase, and notes
// SessionBegin; an active session keeps its state and takes the user.
func (d *deskLife) begin(id, user, cs, channel string, now time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	s, err := d.session(id)
	if err != nil {
		return err
	}
	s.user, s.channel = strings.Clone(user), strings.Clone(channel)
	if cs != "" {
		s.cs = strings.Clone(cs)
	}
	if s.state == DeskNotInSession {
		*s = deskSession{state: DeskChatbot, user: s.user, cs: s.cs, channel: s.channel, tap: s.tap}
	}
	s.note(EventSessionBegin, now, "")
	return nil
}

// said notes that a message came into an active session: the user's, the
// bot's or the agent's (role), with the event its phase names. It returns
// the session's state, and the sender for the bot and the agent: the
// customer-service account, the agent. msg is what the event's callback
// tells of the message.
func (d *deskLife) said(id string, role int, open bool, now time.Time, msg calloutMsg) (DeskState, string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s, ok := d.sessions[id]
	if !ok {
		// A session with no life of its own is the bot's, and keeps none:
		// streams alone do not fill the store.
		if !open {
			return DeskNotInSession, ""
		}
		if role == RoleUser {
			return DeskChatbot, ""
		}
		return DeskChatbot, d.defaultCS()
	}
	event, from := "", s.cs
	switch {
	case s.state == DeskChatbot && role == RoleUser:
		event = EventUserSendMsg
	case s.state == DeskChatbot:
		event = EventRobotSendMsg
	case s.state == DeskAgent && role == RoleUser:
		event = EventAgentUserSendMsg
	case s.state == DeskAgent:
		event, from = EventAgentSendMsg, s.agent
	}
	if event != "" {
		s.saying = &msg
		s.note(event, now, "")
		s.saying = nil
	}
	if role == RoleUser {
		from = s.user
	}
	return s.state, from
}

// userSession returns the active session of a user with a customer-service
// account, or "".
func (d *deskLife) userSession(user, cs string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	for id, s := range d.sessions {
		if s.user == user && s.cs == cs && s.state != DeskNotInSession {
			return id
		}
	}
	return ""
}

// named returns a copy of events under the configuration's names.
func (d *deskLife) named(events []DeskEvent) []DeskEvent {
	out := slices.Clone(events)
	for i, e := range out {
		if name, ok := d.cfg.EventNames[e.Event]; ok {
			out[i].Event = name
		}
	}
	return out
}

// Record is one ended session, as describe_im_cdr_list lists it.
type Record struct {
	SessionID, ClientUserID, ChannelType, AgentID, EndStatus string
	Begun, Ended                                             time.Time
}

// records returns the ended sessions that began in [from, to] (unix
// seconds), of user when not empty, oldest first.
func (d *deskLife) records(from, to int64, user string) []Record {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []Record
	for id, s := range d.sessions {
		if s.ended.IsZero() || s.begun.Unix() < from || s.begun.Unix() > to || user != "" && s.user != user {
			continue
		}
		out = append(out, Record{id, s.user, s.channel, s.agent, s.endStatus, s.begun, s.ended})
	}
	slices.SortFunc(out, func(a, b Record) int { return a.Begun.Compare(b.Begun) })
	return out
}

// DeskSession is a Desk session's life, as the Go API and the admin API
// show it.
type DeskSession struct {
	SessionID         string      `json:"session_id"`
	ClientUserID      string      `json:"client_user_id,omitempty"`
	CustomerServiceID string      `json:"customer_service_id,omitempty"`
	ChannelType       string      `json:"channel_type,omitempty"`
	CurrentState      DeskState   `json:"current_state"`
	AgentID           string      `json:"agent_id,omitempty"`
	EndStatus         string      `json:"end_status,omitempty"`
	Events            []DeskEvent `json:"events"`
}

// snapshot returns a session's life; open tells whether the session store
// has it open.
func (d *deskLife) snapshot(id string, open bool) DeskSession {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := DeskSession{SessionID: id, CurrentState: DeskNotInSession, Events: []DeskEvent{}}
	if open {
		out.CurrentState = DeskChatbot
	}
	if s, ok := d.sessions[id]; ok {
		out.CurrentState, out.EndStatus, out.Events = s.state, s.endStatus, d.named(s.events)
		out.ClientUserID, out.CustomerServiceID, out.ChannelType = s.user, s.cs, s.channel
		if s.state == DeskAgent || s.state == DeskWaiting {
			out.AgentID = s.agent
		}
	}
	return out
}

// newest returns the IDs of the sessions with a life, the newest begun
// first, at most n.
func (d *deskLife) newest(n int) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	ids := make([]string, 0, len(d.sessions))
	for id := range d.sessions {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int {
		if c := d.sessions[b].begun.Compare(d.sessions[a].begun); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return ids[:min(n, len(ids))]
}
