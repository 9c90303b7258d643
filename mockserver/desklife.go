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
	// maxDeskLives bounds the sessions with a life: at most about 4 KiB
	// each (its strings and 32 events), 40 MiB in all.
	maxDeskLives          = 10_000
	deskSessionEntryBytes = 448 // the struct, its map slot, rounding
	deskEventBytes        = 96  // an event's struct; its strings are shared
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
	Event string `json:"event"`
	// SessionID is the session it happened to (the callback's SessionId).
	SessionID string    `json:"session_id"`
	Time      time.Time `json:"time"`
	AgentID   string    `json:"agent_id,omitempty"`
	// Satisfaction is a rating's stars, 1 to 5 (the callback's
	// SatisfactionSelected); 0 on other events.
	Satisfaction int `json:"satisfaction,omitempty"`
	// Seq orders the Desk sessions' events and messages together: a later
	// one has a greater Seq.
	Seq uint64 `json:"seq"`
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
// events for a transfer, its outcome, a closed session, a user who stopped
// replying and a rating, but the rows that give their names could not be
// read: these are deskmock's (inferred), renamed by desk.event_names.
const (
	EventTransferStarted    = "Transfer.Started"
	EventTransferred        = "Transfer.Succeeded"
	EventTransferNoAgent    = "Transfer.NoAgentOnline"
	EventTransferAgentsBusy = "Transfer.AgentsBusy"
	EventTransferAfterHours = "Transfer.NotWorkingHours"
	EventQueued             = "Queue.Entered"
	EventQueueEnded         = "Queue.Ended"
	EventQueueTimeout       = "Queue.Timeout"
	EventUserTimeout        = "User.ReplyTimeout"
	EventRated              = "Session.Rated"
	EventSessionEnded       = "SessionEnd"
)

// End statuses of a Desk session (describe_im_cdr_list's EndStatus): the
// vendor's sample is AgentEndedSession; the others are deskmock's
// (inferred).
const (
	EndStatusAgent        = "AgentEndedSession"
	EndStatusBot          = "BotEndedSession"
	EndStatusNoAgent      = "NoAgentOnline"
	EndStatusAdmin        = "AdminEndedSession"
	EndStatusUserTimeout  = "UserTimeout"
	EndStatusQueueTimeout = "QueueTimeout"
)

// System messages Desk puts into a session, as their CloudCustomData's
// messageType names them (the vendor's list of system message flags).
const (
	SystemQueuing            = "queuing"
	SystemConnectingToAgent  = "connectingToAgent"
	SystemConnectedToAgent   = "connectedToAgent"
	SystemFailedToConnect    = "failedToConnectAgent"
	SystemAfterWorkingHours  = "automaticReplyAfterWorkingHours"
	SystemProactiveClosure   = "proactiveClosure"
	SystemTimeoutAutoClosure = "timeoutAutoClosure"
)

// systemTexts are the texts of the system messages (inferred: the vendor
// configures its own in the Desk console).
var systemTexts = map[string]string{
	SystemQueuing:            "All agents are busy. You are in the queue.",
	SystemConnectingToAgent:  "Connecting you to an agent…",
	SystemConnectedToAgent:   "You are connected to an agent.",
	SystemFailedToConnect:    "No agent is available right now.",
	SystemAfterWorkingHours:  "We are outside working hours.",
	SystemProactiveClosure:   "The session has ended.",
	SystemTimeoutAutoClosure: "The session was closed because no reply came.",
}

// deskSession is a Desk session that left the plain "open" the session
// store knows: its state, its agent and what happened.
type deskSession struct {
	id        string
	state     DeskState
	user      string // ClientUserId
	cs        string // CustomerServiceId
	channel   string // ChannelType
	agent     string
	endStatus string
	stars     int         // SatisfactionSelected, 0 until rated
	events    []DeskEvent // the last maxDeskSessionEvents
	// begun and ended are the times of its first event and of its end.
	begun, ended time.Time
	// While queued: the transfer's options, its priority, when it entered
	// the queue and when it leaves it unserved (zero: never).
	req                TransferRequest
	queued, queueUntil time.Time
	// tap hands each event noted to the callbacks (callbacks.go); saying
	// is the message whose event said is noting.
	tap    calloutTap
	saying *calloutMsg
}

// deskLife keeps the life of the Desk sessions a transfer or the admin API
// moved; any other open session is in the Chatbot phase. It holds at most
// maxDeskLives sessions (past it an ended one is forgotten), each with at
// most maxDeskSessionEvents events, and counts its strings +
// deskSessionEntryBytes + deskEventBytes per event for each.
type deskLife struct {
	mu       sync.Mutex
	cfg      Desk
	sink     *callbacks // nil sends no callback
	sessions map[string]*deskSession
	load     map[string]int // sessions each agent serves or is assigned
	// queue holds the queued sessions in the order agents take them:
	// priority (0 first), then arrival.
	queue []*deskSession
	// soonest is no later than the first queue timeout to come (zero:
	// none), so that a call before it looks at no queued session.
	soonest time.Time
	// produced are the events of the call that holds mu.
	produced []DeskEvent
	// clock reads the server's clock; messages gets the system messages;
	// ended learns of every session that ends (all three may be nil).
	clock    func() time.Time
	messages *deskMessages
	ended    func(id string)
}

func newDeskLife(cfg Desk) *deskLife {
	return &deskLife{cfg: cfg, sessions: map[string]*deskSession{}, load: map[string]int{}}
}

// lock takes mu for one call: the events produced start afresh, and the
// queued sessions whose queue timeout passed leave first.
func (d *deskLife) lock() {
	d.mu.Lock()
	d.produced = d.produced[:0]
	if d.clock != nil && len(d.queue) > 0 {
		d.expire(d.clock())
	}
}

// take returns the events produced since lock, under the configuration's
// names; mu is held.
func (d *deskLife) take() []DeskEvent {
	return d.named(d.produced)
}

// reset forgets every session's life.
func (d *deskLife) reset() {
	d.mu.Lock()
	d.sessions, d.load, d.queue, d.soonest = map[string]*deskSession{}, map[string]int{}, nil, time.Time{}
	d.mu.Unlock()
}

// held returns the bytes the sessions' lives hold.
func (d *deskLife) held() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	var n int64
	for id, s := range d.sessions {
		n += int64(len(id)+len(s.user)+len(s.cs)+len(s.channel)+len(s.agent)+len(s.endStatus)) + deskSessionEntryBytes + deskEventBytes*int64(len(s.events))
		n += 16 * int64(len(s.req.AgentIDList))
	}
	return n
}

// state returns a session's state; open tells whether the session store
// has it open.
func (d *deskLife) state(id string, open bool) DeskState {
	d.lock()
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
	id = strings.Clone(id)
	s := &deskSession{id: id, state: DeskChatbot, cs: d.defaultCS(), tap: calloutTap{id: id, sink: d.sink}}
	d.sessions[id] = s
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

// note records an event of a session, keeping the session's last
// maxDeskSessionEvents, and adds it to the events the call produced. Every
// event of every session goes through here; d.mu is held.
func (d *deskLife) note(s *deskSession, e DeskEvent) {
	e.SessionID = s.id
	if d.messages != nil {
		e.Seq = d.messages.seq.Add(1)
	}
	if s.begun.IsZero() {
		s.begun = e.Time
	}
	if e.Event == EventSessionEnded {
		s.ended = e.Time
	}
	if len(s.events) == maxDeskSessionEvents {
		s.events = slices.Delete(s.events, 0, 1)
	}
	s.events = append(s.events, e)
	d.produced = append(d.produced, e)
	s.tap.noted(s, e)
}

// system puts a system message of a kind into a session's messages, as
// Desk sends it: from the customer-service account, FromAccountRole 3,
// with the kind in its CloudCustomData (role "robot", scene
// "transferSession"); d.mu is held.
func (d *deskLife) system(s *deskSession, kind string, now time.Time) {
	if d.messages == nil {
		return
	}
	d.messages.add(DeskMessage{
		SessionID: s.id, From: s.cs, Role: RoleSystem, MsgBody: textBody(systemTexts[kind]), Time: now,
		CloudCustomData: `{"messageType":"` + kind + `","role":"robot","scene":"transferSession"}`,
	})
}

// TransferRequest is what transfer_to_human asks, its options as the
// vendor names them.
type TransferRequest struct {
	AgentIDList                     []string
	AgentGroupID                    *int
	SendTipIfNoAgentOnline          bool
	CheckWorkingHours               bool
	SendPromptNotDuringWorkingHours bool
	EndSessionWhenNoMemberOnline    bool
	DisableQueuing                  bool
	AllowAssignBusyMember           bool
	// Priority orders the queue: 0 (the highest) to 9.
	Priority int
	// QueueTimeout is how long the session may wait in the queue before it
	// ends (QueueTimeout); 0 is no limit (inferred).
	QueueTimeout time.Duration
}

// TransferResult is a transfer's outcome: the agent assigned, or queued.
type TransferResult struct {
	AgentID string
	InQueue bool
	State   DeskState
	// Events are the events the transfer produced.
	Events []DeskEvent
}

// transfer hands a session in the Chatbot phase to a human, as the
// options and the agents allow: an agent with room (WaitingForAgentAnswering,
// or Agent when the agent accepts at once), else the queue (unless
// disabled), else nobody. ok is false when the session is not in the
// Chatbot phase.
func (d *deskLife) transfer(id string, req TransferRequest, now time.Time) (res TransferResult, ok bool, err error) {
	d.lock()
	defer d.mu.Unlock()
	s, err := d.session(id)
	if err != nil {
		return res, false, err
	}
	if s.state != DeskChatbot {
		return TransferResult{State: s.state}, false, nil
	}
	defer func() { res.State, res.Events = s.state, d.take() }()
	d.note(s, DeskEvent{Event: EventTransferStarted, Time: now})
	if req.CheckWorkingHours && !d.inWorkingHours(now) {
		d.note(s, DeskEvent{Event: EventTransferAfterHours, Time: now})
		if req.SendPromptNotDuringWorkingHours {
			d.system(s, SystemAfterWorkingHours, now)
		}
		return res, true, nil
	}
	online, free := d.candidates(req)
	switch {
	case len(online) == 0:
		d.note(s, DeskEvent{Event: EventTransferNoAgent, Time: now})
		if req.SendTipIfNoAgentOnline {
			d.system(s, SystemFailedToConnect, now)
		}
		if req.EndSessionWhenNoMemberOnline {
			d.end(s, EndStatusNoAgent, "", now)
		}
	case len(free) > 0:
		d.assign(s, free[0], now)
		res.AgentID = s.agent
	case req.DisableQueuing:
		d.note(s, DeskEvent{Event: EventTransferAgentsBusy, Time: now})
		if req.SendTipIfNoAgentOnline {
			d.system(s, SystemFailedToConnect, now)
		}
	default:
		s.state, res.InQueue = DeskQueueing, true
		s.req = req
		s.req.AgentIDList = d.configured(req.AgentIDList)
		s.queued, s.queueUntil = now, time.Time{}
		if req.QueueTimeout > 0 {
			s.queueUntil = now.Add(req.QueueTimeout)
			if d.soonest.IsZero() || s.queueUntil.Before(d.soonest) {
				d.soonest = s.queueUntil
			}
		}
		i, _ := slices.BinarySearchFunc(d.queue, s, queueOrder)
		d.queue = slices.Insert(d.queue, i, s)
		d.note(s, DeskEvent{Event: EventQueued, Time: now})
		d.system(s, SystemQueuing, now)
	}
	return res, true, nil
}

// configured returns the configuration's own IDs of the agents of a list
// that it has, so that a queued session keeps no string of a request; a
// list that names agents, one of them configured, stays one that does.
func (d *deskLife) configured(ids []string) []string {
	var out []string
	for _, a := range d.cfg.Agents {
		if slices.Contains(ids, a.ID) {
			out = append(out, a.ID)
		}
	}
	return out
}

// queueOrder orders queued sessions: the higher priority (the lower
// number) first, then the earlier, then by ID.
func queueOrder(a, b *deskSession) int {
	if c := a.req.Priority - b.req.Priority; c != 0 {
		return c
	}
	if c := a.queued.Compare(b.queued); c != 0 {
		return c
	}
	return strings.Compare(a.id, b.id)
}

// assign gives a session to an agent with room: the agent accepts at once
// (Agent), or the session waits for the agent (WaitingForAgentAnswering);
// d.mu is held.
func (d *deskLife) assign(s *deskSession, a Agent, now time.Time) {
	d.load[a.ID]++
	s.agent, s.state = a.ID, DeskWaiting
	d.system(s, SystemConnectingToAgent, now)
	if !a.ManualAccept {
		d.accepted(s, now)
	}
}

// accepted moves a session to its agent; d.mu is held.
func (d *deskLife) accepted(s *deskSession, now time.Time) {
	s.state = DeskAgent
	d.note(s, DeskEvent{Event: EventTransferred, Time: now, AgentID: s.agent})
	d.system(s, SystemConnectedToAgent, now)
}

// unqueue takes a session out of the queue; d.mu is held.
func (d *deskLife) unqueue(s *deskSession) {
	if i := slices.Index(d.queue, s); i >= 0 {
		d.queue = slices.Delete(d.queue, i, i+1)
	}
}

// expire ends the queued sessions whose queue timeout passed; d.mu is
// held.
func (d *deskLife) expire(now time.Time) {
	if d.soonest.IsZero() || now.Before(d.soonest) {
		return
	}
	for _, s := range slices.Clone(d.queue) {
		if !s.queueUntil.IsZero() && !now.Before(s.queueUntil) {
			d.note(s, DeskEvent{Event: EventQueueTimeout, Time: s.queueUntil})
			d.end(s, EndStatusQueueTimeout, SystemTimeoutAutoClosure, s.queueUntil)
		}
	}
	d.soonest = time.Time{}
	for _, s := range d.queue {
		if !s.queueUntil.IsZero() && (d.soonest.IsZero() || s.queueUntil.Before(d.soonest)) {
			d.soonest = s.queueUntil
		}
	}
}

// promote gives the queued sessions, in the queue's order, to agents who
// have room for them; d.mu is held.
func (d *deskLife) promote(now time.Time) {
	for _, s := range slices.Clone(d.queue) {
		if _, free := d.candidates(s.req); len(free) > 0 {
			d.unqueue(s)
			d.assign(s, free[0], now)
		}
	}
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
	d.lock()
	defer d.mu.Unlock()
	s, ok := d.sessions[id]
	if !ok || s.state != DeskQueueing {
		return false
	}
	d.unqueue(s)
	s.state = DeskChatbot
	d.note(s, DeskEvent{Event: EventQueueEnded, Time: now})
	return true
}

// end ends a session with an end status and, unless "", a closing system
// message: its agent, if any, is free for the next queued session; d.mu is
// held.
func (d *deskLife) end(s *deskSession, status, closure string, now time.Time) {
	freed := s.agent != "" && (s.state == DeskAgent || s.state == DeskWaiting)
	if freed {
		d.load[s.agent]--
	}
	if s.state == DeskQueueing {
		d.unqueue(s)
	}
	s.state, s.endStatus = DeskNotInSession, status
	d.note(s, DeskEvent{Event: EventSessionEnded, Time: now, AgentID: s.agent})
	if closure != "" {
		d.system(s, closure, now)
	}
	if d.ended != nil {
		d.ended(s.id)
	}
	if freed {
		d.promote(now)
	}
}

// endActive ends an active session with an end status and a closing
// system message, after an event when not ""; it answers the events
// produced, and errSessionState when the session is not active.
func (d *deskLife) endActive(id string, open bool, event, status, closure string, now time.Time) ([]DeskEvent, error) {
	d.lock()
	defer d.mu.Unlock()
	if _, ok := d.sessions[id]; !ok && !open {
		return nil, errSessionState
	}
	s, err := d.session(id)
	if err != nil {
		return nil, err
	}
	if s.state == DeskNotInSession {
		return nil, errSessionState
	}
	if event != "" {
		d.note(s, DeskEvent{Event: event, Time: now})
	}
	d.end(s, status, closure, now)
	return d.take(), nil
}

// endLiving ends a session that has a life and is active, with no
// closing message; nothing happens to any other.
func (d *deskLife) endLiving(id, status string, now time.Time) {
	d.lock()
	defer d.mu.Unlock()
	if s, ok := d.sessions[id]; ok && s.state != DeskNotInSession {
		d.end(s, status, "", now)
	}
}

// accept makes the agent a waiting session was assigned to accept it, or
// assigns a queued session to agent (any agent with room when ""); false
// when the session is neither waiting nor queued, or agent cannot take it.
func (d *deskLife) accept(id, agent string, now time.Time) ([]DeskEvent, bool) {
	d.lock()
	defer d.mu.Unlock()
	s, ok := d.sessions[id]
	if !ok {
		return nil, false
	}
	switch s.state {
	case DeskWaiting:
		if agent != "" && agent != s.agent {
			return nil, false
		}
	case DeskQueueing:
		if agent == "" {
			_, free := d.candidates(TransferRequest{AllowAssignBusyMember: true})
			if len(free) == 0 {
				return nil, false
			}
			agent = free[0].ID
		} else if !slices.ContainsFunc(d.cfg.Agents, func(a Agent) bool { return a.ID == agent }) {
			return nil, false
		}
		d.unqueue(s)
		d.load[agent]++
		s.agent = strings.Clone(agent)
	default:
		return nil, false
	}
	d.accepted(s, now)
	return d.take(), true
}

// rate records the user's rating of a session, 1 to 5 stars: allowed once,
// while an agent serves the session or after it ended (inferred).
func (d *deskLife) rate(id string, stars int, now time.Time) ([]DeskEvent, bool) {
	d.lock()
	defer d.mu.Unlock()
	s, ok := d.sessions[id]
	if !ok || s.stars != 0 || s.state != DeskAgent && (s.state != DeskNotInSession || s.ended.IsZero()) {
		return nil, false
	}
	s.stars = stars
	d.note(s, DeskEvent{Event: EventRated, Time: now, AgentID: s.agent, Satisfaction: stars})
	return d.take(), true
}

// begin starts a session for a user, in the Chatbot phase, and notes
// SessionBegin; an active session keeps its state and takes the user.
func (d *deskLife) begin(id, user, cs, channel string, now time.Time) ([]DeskEvent, error) {
	d.lock()
	defer d.mu.Unlock()
	s, err := d.session(id)
	if err != nil {
		return nil, err
	}
	s.user, s.channel = strings.Clone(user), strings.Clone(channel)
	if cs != "" {
		s.cs = strings.Clone(cs)
	}
	if s.state == DeskNotInSession {
		*s = deskSession{id: s.id, state: DeskChatbot, user: s.user, cs: s.cs, channel: s.channel, tap: s.tap}
	}
	d.note(s, DeskEvent{Event: EventSessionBegin, Time: now})
	return d.take(), nil
}

// said notes that a message came into an active session: the user's, the
// bot's or the agent's (role), with the event its phase names. It returns
// the session's state, the sender for the bot and the agent (the
// customer-service account, the agent), and the events produced. msg is
// what the event's callback tells of the message.
func (d *deskLife) said(id string, role int, open bool, now time.Time, msg calloutMsg) (DeskState, string, []DeskEvent) {
	d.lock()
	defer d.mu.Unlock()
	s, ok := d.sessions[id]
	if !ok {
		// A session with no life of its own is the bot's, and keeps none:
		// streams alone do not fill the store.
		if !open {
			return DeskNotInSession, "", nil
		}
		if role == RoleUser {
			return DeskChatbot, "", nil
		}
		return DeskChatbot, d.defaultCS(), nil
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
		saying := msg // allocated here only, not for every stream's chunk
		s.saying = &saying
		d.note(s, DeskEvent{Event: event, Time: now})
		s.saying = nil
	}
	if role == RoleUser {
		from = s.user
	}
	return s.state, from, d.take()
}

// userSession returns the active session of a user with a customer-service
// account, or "".
func (d *deskLife) userSession(user, cs string) string {
	d.lock()
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
	if out == nil {
		out = []DeskEvent{}
	}
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
	// Satisfaction is the user's rating, 1 to 5 stars; 0 when unrated.
	Satisfaction int
}

// records returns the ended sessions that began in [from, to] (unix
// seconds), of user when not empty, oldest first.
func (d *deskLife) records(from, to int64, user string) []Record {
	d.lock()
	defer d.mu.Unlock()
	var out []Record
	for id, s := range d.sessions {
		if s.ended.IsZero() || s.begun.Unix() < from || s.begun.Unix() > to || user != "" && s.user != user {
			continue
		}
		out = append(out, Record{id, s.user, s.channel, s.agent, s.endStatus, s.begun, s.ended, s.stars})
	}
	slices.SortFunc(out, func(a, b Record) int { return a.Begun.Compare(b.Begun) })
	return out
}

// DeskSession is a Desk session's life, as the Go API and the admin API
// show it.
type DeskSession struct {
	SessionID         string    `json:"session_id"`
	ClientUserID      string    `json:"client_user_id,omitempty"`
	CustomerServiceID string    `json:"customer_service_id,omitempty"`
	ChannelType       string    `json:"channel_type,omitempty"`
	CurrentState      DeskState `json:"current_state"`
	AgentID           string    `json:"agent_id,omitempty"`
	EndStatus         string    `json:"end_status,omitempty"`
	// Satisfaction is the user's rating, 1 to 5 stars; 0 when unrated.
	Satisfaction int `json:"satisfaction,omitempty"`
	// QueuePosition is the place of a queued session in the queue, from 1.
	QueuePosition int `json:"queue_position,omitempty"`
	// QueueUntil is when a queued session leaves the queue unserved.
	QueueUntil *time.Time  `json:"queue_until,omitempty"`
	Events     []DeskEvent `json:"events"`
	// Messages are the session's newest 100 messages, oldest first: the
	// user's, the bot's (a stream with its text so far), the agent's and
	// the system's.
	Messages []DeskMessage `json:"messages"`
	// MessageCount is how many messages the session has in all.
	MessageCount int `json:"message_count"`
}

// snapshot returns a session's life; open tells whether the session store
// has it open.
func (d *deskLife) snapshot(id string, open bool) DeskSession {
	d.lock()
	defer d.mu.Unlock()
	out := DeskSession{SessionID: id, CurrentState: DeskNotInSession, Events: []DeskEvent{}}
	if open {
		out.CurrentState = DeskChatbot
	}
	if s, ok := d.sessions[id]; ok {
		out.CurrentState, out.EndStatus, out.Events = s.state, s.endStatus, d.named(s.events)
		out.ClientUserID, out.CustomerServiceID, out.ChannelType = s.user, s.cs, s.channel
		out.Satisfaction = s.stars
		if s.state == DeskAgent || s.state == DeskWaiting {
			out.AgentID = s.agent
		}
		if i := slices.Index(d.queue, s); i >= 0 {
			out.QueuePosition = i + 1
			if !s.queueUntil.IsZero() {
				until := s.queueUntil
				out.QueueUntil = &until
			}
		}
	}
	return out
}

// newest returns the IDs of the sessions with a life, the newest begun
// first, at most n.
func (d *deskLife) newest(n int) []string {
	d.lock()
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
