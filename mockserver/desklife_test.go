package mockserver

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// deskCall posts a body to a Desk endpoint and returns the reply's
// members.
func deskCall(t *testing.T, ts *TestServer, path, body string) map[string]any {
	t.Helper()
	resp, err := http.Post(ts.APIURL(path), "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	decodeReply(t, raw) // valid against the reply schemas
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %s is not JSON", path, raw)
	}
	return m
}

// A Desk session lives as transfer_to_human's options and the agents
// allow: each transfer's answer, the session's state afterwards and the
// events it produced.
func TestTransferBranches(t *testing.T) {
	at := time.Date(2026, 12, 5, 20, 0, 0, 0, time.UTC) // outside 09:00-18:00
	agents := []Agent{
		{ID: "alice", Groups: []int{1}, MaxSessions: 1},
		{ID: "bob", Groups: []int{2}, Busy: true},
		{ID: "carol", Groups: []int{3}, Offline: true},
		{ID: "dave", Groups: []int{4}, ManualAccept: true},
	}
	tests := []struct {
		name      string
		agents    []Agent
		before    []string // transfers of other sessions first
		body      string   // without SessionId
		wantAgent string
		wantQueue float64
		wantState DeskState
		events    []string
	}{
		{"the default agent takes it", nil, nil, ``, "agent@example.com", 0, DeskAgent,
			[]string{EventTransferStarted, EventTransferred}},
		{"an agent of the list", agents, nil, `,"AgentIdList":["alice"]`, "alice", 0, DeskAgent,
			[]string{EventTransferStarted, EventTransferred}},
		{"a group", agents, nil, `,"AgentGroupId":1`, "alice", 0, DeskAgent,
			[]string{EventTransferStarted, EventTransferred}},
		{"the agent must accept", agents, nil, `,"AgentGroupId":4`, "dave", 0, DeskWaiting,
			[]string{EventTransferStarted}},
		{"nobody online in the group", agents, nil, `,"AgentGroupId":3`, "", 0, DeskChatbot,
			[]string{EventTransferStarted, EventTransferNoAgent}},
		{"nobody online, the session ends", agents, nil, `,"AgentGroupId":3,"EndSessionWhenNoMemberOnline":1`, "", 0, DeskNotInSession,
			[]string{EventTransferStarted, EventTransferNoAgent, EventSessionEnded}},
		{"only a busy agent: queued", agents, nil, `,"AgentGroupId":2`, "", 1, DeskQueueing,
			[]string{EventTransferStarted, EventQueued}},
		{"a busy agent allowed", agents, nil, `,"AgentGroupId":2,"AllowAssignBusyMember":1`, "bob", 0, DeskAgent,
			[]string{EventTransferStarted, EventTransferred}},
		{"the agent at capacity: queued", agents, []string{`,"AgentGroupId":1`}, `,"AgentGroupId":1`, "", 1, DeskQueueing,
			[]string{EventTransferStarted, EventQueued}},
		{"at capacity, queueing off", agents, []string{`,"AgentGroupId":1`}, `,"AgentGroupId":1,"DisableQueuing":1`, "", 0, DeskChatbot,
			[]string{EventTransferStarted, EventTransferAgentsBusy}},
		{"outside working hours", agents, nil, `,"CheckIfDuringWorkingHours":1`, "", 0, DeskChatbot,
			[]string{EventTransferStarted, EventTransferAfterHours}},
		{"working hours not checked", agents, nil, `,"AgentGroupId":1,"CheckIfDuringWorkingHours":0`, "alice", 0, DeskAgent,
			[]string{EventTransferStarted, EventTransferred}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := NewTestServer(t, WithClock(func() time.Time { return at }), Option(func(c *Config) {
				if tt.agents != nil {
					c.Desk = Desk{Agents: tt.agents, WorkingHours: "09:00-18:00"}
				}
			}))
			for i, b := range tt.before {
				other := uuidOf(100 + i)
				if r := deskCall(t, ts, TransferPath, `{"SessionId":"`+other+`"`+b+`}`); r["ErrorCode"] != 0.0 {
					t.Fatalf("transfer before: %v", r)
				}
			}
			r := deskCall(t, ts, TransferPath, `{"SessionId":"`+testSession+`"`+tt.body+`}`)
			if r["ErrorCode"] != 0.0 || r["AgentId"] != tt.wantAgent || r["IsInQueue"] != tt.wantQueue {
				t.Errorf("answer %v, want AgentId %q IsInQueue %v", r, tt.wantAgent, tt.wantQueue)
			}
			st := deskCall(t, ts, SessionStatePath, `{"SessionId":"`+testSession+`"}`)
			if st["CurrentState"] != string(tt.wantState) || st["SessionId"] != testSession {
				t.Errorf("get_session_state %v, want %s", st, tt.wantState)
			}
			var got []string
			for _, e := range ts.DeskSession(testSession).Events {
				got = append(got, e.Event)
			}
			if diff := cmp.Diff(tt.events, got); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

// A whole life: the bot streams; a transfer hands the session to an agent
// who must accept; streams are refused from then on; end_queuing ends a
// queue only; the agent ends the session; every later call gets 141005.
func TestDeskSessionLife(t *testing.T) {
	ts := NewTestServer(t, Option(func(c *Config) {
		c.Desk = Desk{Agents: []Agent{{ID: "dave", ManualAccept: true, MaxSessions: 1}}}
	}))
	state := func(id string) any {
		return deskCall(t, ts, SessionStatePath, `{"SessionId":"`+id+`"}`)["CurrentState"]
	}
	other := uuidOf(7)
	steps := []struct {
		name string
		do   func() any
		want any
	}{
		{"a new session is the bot's", func() any { return state(testSession) }, "Chatbot"},
		{"the bot streams", func() any { return post(t, ts.EndpointURL(), ChunkBody(testSession, "", "hi", true)).ErrorCode }, 0},
		{"transfer: dave is assigned", func() any { return deskCall(t, ts, TransferPath, `{"SessionId":"`+testSession+`"}`)["AgentId"] }, "dave"},
		{"waiting for dave", func() any { return state(testSession) }, "WaitingForAgentAnswering"},
		{"the bot may not stream now", func() any { return post(t, ts.EndpointURL(), ChunkBody(testSession, "", "hi", false)).ErrorCode }, 141005},
		{"another transfer is refused", func() any { return deskCall(t, ts, TransferPath, `{"SessionId":"`+testSession+`"}`)["ErrorCode"] }, 141004.0},
		{"a second session queues: dave is full", func() any { return deskCall(t, ts, TransferPath, `{"SessionId":"`+other+`"}`)["IsInQueue"] }, 1.0},
		{"end_queuing of the waiting one is refused", func() any { return deskCall(t, ts, EndQueuingPath, `{"SessionID":"`+testSession+`"}`)["ErrorCode"] }, 141027.0},
		{"end_queuing of the queued one", func() any { return deskCall(t, ts, EndQueuingPath, `{"SessionID":"`+other+`"}`)["ErrorCode"] }, 0.0},
		{"it is the bot's again", func() any { return state(other) }, "Chatbot"},
		{"dave accepts", func() any { return ts.AcceptSession(testSession, "") }, nil},
		{"served by dave", func() any { return deskCall(t, ts, SessionStatePath, `{"SessionId":"`+testSession+`"}`)["AgentId"] }, "dave"},
		{"dave ends it", func() any { return ts.AgentEndSession(testSession) }, nil},
		{"no session any more", func() any { return state(testSession) }, "NotInSession"},
		{"streams get 141005", func() any { return post(t, ts.EndpointURL(), ChunkBody(testSession, "", "hi", false)).ErrorCode }, 141005},
		{"end_session gets 141005", func() any { return deskCall(t, ts, EndSessionPath, `{"SessionId":"`+testSession+`"}`)["ErrorCode"] }, 141005.0},
		{"end_session of the bot's session", func() any { return deskCall(t, ts, EndSessionPath, `{"SessionId":"`+other+`"}`)["ErrorCode"] }, 0.0},
		{"ended", func() any { return state(other) }, "NotInSession"},
	}
	for _, st := range steps {
		if got := st.do(); got != st.want {
			t.Fatalf("%s: %v, want %v", st.name, got, st.want)
		}
	}
	life := ts.DeskSession(testSession)
	var events []string
	for _, e := range life.Events {
		events = append(events, e.Event+" "+e.AgentID)
	}
	want := []string{EventTransferStarted + " ", EventTransferred + " dave", EventSessionEnded + " dave"}
	if life.EndStatus != endStatusAgent || !cmp.Equal(events, want) {
		t.Errorf("life %+v, want AgentEndedSession after %q", life, want)
	}
	ts.Reset()
	if got := state(testSession); got != "Chatbot" {
		t.Errorf("after a reset: %v, want Chatbot", got)
	}
}

// The admin API plays the agent: it accepts a waiting session and ends
// it, and shows the session's life; a call its state does not allow is 409.
func TestAdminPlaysTheAgent(t *testing.T) {
	ts := NewTestServer(t, Option(func(c *Config) { c.Desk = Desk{Agents: []Agent{{ID: "dave", ManualAccept: true}}} }))
	deskCall(t, ts, TransferPath, `{"SessionId":"`+testSession+`"}`)
	p := "/__admin/sessions/" + testSession
	steps := []struct {
		method, path, body string
		status             int
		state              string
	}{
		{"GET", p, "", 200, "WaitingForAgentAnswering"},
		{"POST", p + "/agent-end", "", 409, ""},
		{"POST", p + "/accept", `{"agent_id":"eve"}`, 409, ""},
		{"POST", p + "/accept", "", 200, "Agent"},
		{"POST", p + "/accept", "", 409, ""},
		{"POST", p + "/agent-end", "", 200, "NotInSession"},
		{"GET", "/__admin/sessions/not-a-uuid", "", 400, ""},
	}
	for _, st := range steps {
		code, text := admin(t, ts, st.method, st.path, st.body)
		if code != st.status {
			t.Fatalf("%s %s: %d %s, want %d", st.method, st.path, code, text, st.status)
		}
		if st.state != "" && !strings.Contains(text, `"current_state":"`+st.state+`"`) {
			t.Errorf("%s %s: %s, want current_state %s", st.method, st.path, text, st.state)
		}
	}
}
