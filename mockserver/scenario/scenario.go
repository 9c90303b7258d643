// Package scenario reads scenario files, which script a Desk conversation
// with timings (a user begins a session, says something, waits for the
// bot's answer, is transferred, an agent answers and ends), and plays them
// against a server through a Player.
//
// A file is YAML (JSON is YAML too) of at most 1 MiB, with at most 100
// sessions and 1000 steps; schemas/scenario.schema.json describes it, and
// Parse refuses what the schema refuses, naming the line.
package scenario

import (
	"errors"
	"time"
)

// Action names what a step does.
type Action string

// The actions of a step; each is a key of the step in the file.
const (
	// Begin starts the session for its user (SessionBegin).
	Begin Action = "begin"
	// User makes the user say a text.
	User Action = "user"
	// Agent makes the session's agent say a text.
	Agent Action = "agent"
	// Accept makes an agent accept a waiting or queued session.
	Accept Action = "accept"
	// Transfer hands the session to a human, as transfer_to_human does.
	Transfer Action = "transfer"
	// AgentEnd makes the agent end the session.
	AgentEnd Action = "agent_end"
	// End ends the session from outside (AdminEndedSession).
	End Action = "end"
	// Rate makes the user rate the session.
	Rate Action = "rate"
	// Silent makes the user go silent.
	Silent Action = "silent"
	// WaitFor waits until the bot answered or the session reached a state.
	WaitFor Action = "wait_for"
)

// actions lists every action, in the order the file's documentation gives.
var actions = []Action{Begin, User, Agent, Accept, Transfer, AgentEnd, End, Rate, Silent, WaitFor}

// Bounds of a scenario.
const (
	// MaxBytes is the most a scenario file may hold.
	MaxBytes = 1 << 20
	// MaxSteps is the most steps a scenario may have.
	MaxSteps = 1000
	// MaxSessions is the most sessions a scenario may have.
	MaxSessions = 100
	// MaxDelay bounds an at or an after.
	MaxDelay = 24 * time.Hour
	// MaxWait bounds a wait_for's timeout.
	MaxWait = time.Hour
	// DefaultWait is a wait_for's timeout when it gives none.
	DefaultWait = 30 * time.Second
	// MaxTextBytes bounds what a user or an agent says (the server's own
	// bound).
	MaxTextBytes = 12 << 10
	// MaxAccountBytes bounds a user, customer-service account, channel or
	// agent ID.
	MaxAccountBytes = 32
	// MaxAgentIDs bounds a transfer's agent list.
	MaxAgentIDs = 100
	// maxNameBytes bounds a scenario's or a session's name.
	maxNameBytes = 64
)

// Scenario is a validated scenario: its sessions and its steps in order.
type Scenario struct {
	// Name names the scenario in reports; the file's name when it has none.
	Name string `json:"name"`
	// Sessions are the sessions the steps act on.
	Sessions []Session `json:"sessions"`
	// Steps are the steps, in the order they are played.
	Steps []Step `json:"steps"`
}

// Session is one Desk session of a scenario.
type Session struct {
	// Name is what steps call the session ("main" when the file names none).
	Name string `json:"name"`
	// ID is the SessionId; empty means a new random one each time the
	// scenario is played.
	ID string `json:"id,omitempty"`
	// User is the user's ClientUserId.
	User string `json:"user"`
	// CustomerService is the customer-service account; empty means the
	// server's.
	CustomerService string `json:"customer_service,omitempty"`
	// Channel is the ChannelType, such as "SDK".
	Channel string `json:"channel,omitempty"`
}

// Step is one step of a scenario: when, on which session, and what.
type Step struct {
	// Line is the step's line in the file.
	Line int `json:"line"`
	// Session is the index of the step's session in Scenario.Sessions.
	Session int `json:"session"`
	// At is the step's time from the start of the play, when HasAt;
	// otherwise the step comes After the end of the previous step.
	At    time.Duration `json:"at,omitempty"`
	HasAt bool          `json:"-"`
	After time.Duration `json:"after,omitempty"`
	// Action is what the step does; the fields below are its arguments.
	Action Action `json:"action"`
	// Text is what user and agent say.
	Text string `json:"text,omitempty"`
	// AgentID is the agent of accept (empty: the assigned one, or any).
	AgentID string `json:"agent_id,omitempty"`
	// Stars is rate's rating.
	Stars int `json:"stars,omitempty"`
	// Transfer are transfer's options.
	Transfer *TransferOptions `json:"transfer,omitempty"`
	// Wait is wait_for's condition.
	Wait *Wait `json:"wait_for,omitempty"`
}

// TransferOptions are a transfer's options, as transfer_to_human names
// them (AgentIdList, AgentGroupId, CheckIfDuringWorkingHours,
// EndSessionWhenNoMemberOnline, DisableQueuing, AllowAssignBusyMember,
// SendTipIfNoAgentOnline, SendPromptNotDuringWorkingHours, Priority,
// QueueTimeout).
type TransferOptions struct {
	AgentIDs                        []string      `json:"agent_ids,omitempty"`
	AgentGroupID                    *int          `json:"agent_group_id,omitempty"`
	CheckWorkingHours               bool          `json:"check_working_hours,omitempty"`
	EndSessionWhenNoMemberOnline    bool          `json:"end_session_when_no_member_online,omitempty"`
	DisableQueuing                  bool          `json:"disable_queuing,omitempty"`
	AllowAssignBusyMember           bool          `json:"allow_assign_busy_member,omitempty"`
	SendTipIfNoAgentOnline          bool          `json:"send_tip_if_no_agent_online,omitempty"`
	SendPromptNotDuringWorkingHours bool          `json:"send_prompt_not_during_working_hours,omitempty"`
	Priority                        int           `json:"priority,omitempty"`
	QueueTimeout                    time.Duration `json:"queue_timeout,omitempty"`
}

// MaxQueueTimeout bounds a transfer's queue_timeout.
const MaxQueueTimeout = 24 * time.Hour

// Wait is what a wait_for waits for: the bot's finished answer to the
// user's last message (Reply), or a state of the session (State), at most
// Timeout.
type Wait struct {
	Reply   bool          `json:"reply,omitempty"`
	State   string        `json:"state,omitempty"`
	Timeout time.Duration `json:"timeout"`
}

// States are the session states a wait_for may wait for: get_session_state's
// CurrentState values.
var States = []string{"NotInSession", "Chatbot", "WaitingForAgentAnswering", "Queueing", "Agent"}

// Event is one thing that happened to a session, as the server's Desk
// session events name it.
type Event struct {
	Event string `json:"event"`
	// SessionID is the session the event happened to: an action on one
	// session may move another (an agent's end assigns a queued one).
	SessionID string    `json:"session_id,omitempty"`
	Time      time.Time `json:"time"`
	AgentID   string    `json:"agent_id,omitempty"`
	// Satisfaction is a rating's stars.
	Satisfaction int `json:"satisfaction,omitempty"`
}

// ErrNotSupported is the error of an action the server cannot play.
var ErrNotSupported = errors.New("not supported by this server")
