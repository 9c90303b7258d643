package mockserver

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
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
		{"dave accepts", func() any { _, err := ts.AcceptSession(testSession, ""); return err }, nil},
		{"served by dave", func() any { return deskCall(t, ts, SessionStatePath, `{"SessionId":"`+testSession+`"}`)["AgentId"] }, "dave"},
		{"dave ends it", func() any { _, err := ts.AgentEndSession(testSession); return err }, nil},
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
	if life.EndStatus != EndStatusAgent || !cmp.Equal(events, want) {
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

// A whole conversation's messages, in order: the user's, the bot's stream
// (with its text so far) and send_msg, the agent's after a transfer; and
// the events each produced. send_msg finds a user's session by account.
func TestDeskConversationMessages(t *testing.T) {
	ts := NewTestServer(t)
	p := "/__admin/sessions/" + testSession
	adminCode(t, ts, "POST", p+"/begin", `{"client_user_id":"user01","channel_type":"SDK"}`, 200)
	adminCode(t, ts, "POST", p+"/user-message", `{"text":"Where is my order?"}`, 200)
	first := post(t, ts.EndpointURL(), ChunkBody(testSession, "", "Let me ", false))
	post(t, ts.EndpointURL(), ChunkBody(testSession, first.MsgKey, "check.", true))
	if r := deskCall(t, ts, SendMsgPath, `{"FromAccount":"@customer_service_account","ToAccount":"user01","MsgRandom":1,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"One moment."}}]}`); r["ErrorCode"] != 0.0 {
		t.Fatalf("send_msg by account: %v", r)
	}
	adminCode(t, ts, "POST", p+"/agent-message", `{"text":"too early"}`, 409)
	deskCall(t, ts, TransferPath, `{"SessionId":"`+testSession+`"}`)
	if r := deskCall(t, ts, SendMsgPath, `{"SessionId":"`+testSession+`","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"late"}}]}`); r["ErrorCode"] != 141005.0 {
		t.Errorf("send_msg after the transfer: %v, want 141005", r)
	}
	adminCode(t, ts, "POST", p+"/agent-message", `{"text":"Hello, I am Alice."}`, 200)
	adminCode(t, ts, "POST", p+"/user-message", `{"text":"Hi Alice"}`, 200)

	r := deskCall(t, ts, ChatMessagesPath, `{"SessionId":"`+testSession+`","Order":1}`)
	type msg struct {
		From string
		Role float64
		Text string
	}
	var got []msg
	for _, m := range r["Messages"].([]any) {
		m := m.(map[string]any)
		body := m["MsgBody"].([]any)[0].(map[string]any)["MsgContent"].(map[string]any)
		got = append(got, msg{m["FromAccount"].(string), m["FromAccountRole"].(float64), body["Text"].(string)})
	}
	want := []msg{
		{"user01", 1, "Where is my order?"},
		{"@customer_service_account", 2, "Let me check."},
		{"@customer_service_account", 2, "One moment."},
		{"@customer_service_account", 3, "Connecting you to an agent…"},
		{"@customer_service_account", 3, "You are connected to an agent."},
		{"agent@example.com", 2, "Hello, I am Alice."},
		{"user01", 1, "Hi Alice"},
	}
	if diff := cmp.Diff(want, got); diff != "" || r["TotalCount"] != 7.0 {
		t.Errorf("messages (-want +got), TotalCount %v:\n%s", r["TotalCount"], diff)
	}
	newest := deskCall(t, ts, ChatMessagesPath, `{"SessionId":"`+testSession+`","Limit":2,"Offset":1}`)["Messages"].([]any)
	if len(newest) != 2 || newest[0].(map[string]any)["FromAccount"] != "agent@example.com" {
		t.Errorf("newest first, from the second: %v", newest)
	}
	var events []string
	for _, e := range ts.DeskSession(testSession).Events {
		events = append(events, e.Event)
	}
	wantEvents := []string{EventSessionBegin, EventUserSendMsg, EventRobotSendMsg, EventRobotSendMsg,
		EventTransferStarted, EventTransferred, EventAgentSendMsg, EventAgentUserSendMsg}
	if diff := cmp.Diff(wantEvents, events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if n := deskCall(t, ts, ChatMessagesPath, `{"SessionId":"`+uuidOf(9)+`"}`)["TotalCount"]; n != 0.0 {
		t.Errorf("a session without messages: TotalCount %v", n)
	}
}

// The lives kept are bounded: past maxDeskLives an ended one is forgotten
// to make room, and with none ended a new life is refused.
func TestDeskLifeBounded(t *testing.T) {
	d := newDeskLife(Desk{})
	now := time.Now()
	for i := range maxDeskLives {
		if _, err := d.endActive(uuidOf(i), true, "", EndStatusBot, "", now); err != nil {
			t.Fatalf("session %d: %v", i, err)
		}
	}
	if _, err := d.begin(uuidOf(maxDeskLives), "u", "", "", now); err != nil || len(d.sessions) != maxDeskLives {
		t.Fatalf("past the cap with ended sessions: %v, %d kept", err, len(d.sessions))
	}
	d.reset()
	for i := range maxDeskLives {
		if _, err := d.begin(uuidOf(i), "", "", "", now); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.begin(uuidOf(maxDeskLives), "", "", "", now); err == nil {
		t.Errorf("a new life past the cap with none ended was kept")
	}
}

// The records of ended sessions, and a user's state by account; the
// events under the names the configuration gives.
func TestDeskRecordsAndStateByUser(t *testing.T) {
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	clock := at
	ts := NewTestServer(t, WithClock(func() time.Time { return clock }), Option(func(c *Config) {
		c.Desk.EventNames = map[string]string{EventTransferred: "Agent.Connected"}
	}))
	p := "/__admin/sessions/" + testSession
	adminCode(t, ts, "POST", p+"/begin", `{"client_user_id":"user01","channel_type":"SDK"}`, 200)
	byUser := `{"ClientUserId":"user01","CustomerServiceId":"@customer_service_account"}`
	if st := deskCall(t, ts, SessionStatePath, byUser); st["SessionId"] != testSession || st["CurrentState"] != "Chatbot" {
		t.Errorf("state by user: %v", st)
	}
	deskCall(t, ts, TransferPath, `{"SessionId":"`+testSession+`"}`)
	clock = at.Add(95 * time.Second)
	if _, err := ts.AgentEndSession(testSession); err != nil {
		t.Fatal(err)
	}
	if st := deskCall(t, ts, SessionStatePath, byUser); st["SessionId"] != "" || st["CurrentState"] != "NotInSession" {
		t.Errorf("state by user after the end: %v", st)
	}
	r := deskCall(t, ts, CDRListPath, `{"StartTimestamp":`+strconv.FormatInt(at.Unix()-1, 10)+`,"EndTimestamp":`+strconv.FormatInt(at.Unix()+1, 10)+`}`)
	list, _ := r["IMCdrList"].([]any)
	if r["TotalCount"] != 1.0 || len(list) != 1 {
		t.Fatalf("records %v", r)
	}
	rec := list[0].(map[string]any)
	want := map[string]any{"SessionId": testSession, "AgentId": "agent@example.com", "ChannelType": "SDK", "ClientUserId": "user01",
		"Duration": 95.0, "EndStatus": "AgentEndedSession", "Timestamp": float64(at.Unix())}
	for k, v := range want {
		if rec[k] != v {
			t.Errorf("record %s = %v, want %v", k, rec[k], v)
		}
	}
	if r := deskCall(t, ts, CDRListPath, `{"StartTimestamp":0,"EndTimestamp":1,"ClientUserId":"user01"}`); r["TotalCount"] != 0.0 {
		t.Errorf("outside the range: %v", r)
	}
	var names []string
	for _, e := range ts.DeskSession(testSession).Events {
		names = append(names, e.Event)
	}
	if !slices.Contains(names, "Agent.Connected") || slices.Contains(names, EventTransferred) {
		t.Errorf("events %v, want Transfer.Succeeded renamed Agent.Connected", names)
	}
}
