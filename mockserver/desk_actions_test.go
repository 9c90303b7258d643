package mockserver

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// deskAct posts an action on a session over the admin API and returns its
// status and answer.
func deskAct(t *testing.T, ts *TestServer, id, action, body string) (int, deskActionReply) {
	t.Helper()
	code, text := admin(t, ts, "POST", "/__admin/sessions/"+id+"/"+action, body)
	var r deskActionReply
	if code == 200 {
		if err := json.Unmarshal([]byte(text), &r); err != nil {
			t.Fatalf("%s: %s is not the answer of an action", action, text)
		}
	}
	return code, r
}

// eventNames returns the events as "name" or "name@session" for another
// session than id, with the agent and stars when set.
func eventNames(id string, events []DeskEvent) []string {
	out := []string{}
	for _, e := range events {
		s := e.Event
		if e.AgentID != "" {
			s += " " + e.AgentID
		}
		if e.Satisfaction != 0 {
			s += " " + strconv.Itoa(e.Satisfaction) + "*"
		}
		if e.SessionID != id {
			s += " @" + e.SessionID
		}
		out = append(out, s)
	}
	return out
}

// systemKinds returns the messageType of a session's system messages, in
// order, as describe_chat_messages answers them.
func systemKinds(t *testing.T, ts *TestServer, id string) []string {
	t.Helper()
	r := deskCall(t, ts, ChatMessagesPath, `{"SessionId":"`+id+`","Order":1,"Limit":100}`)
	out := []string{}
	for _, m := range r["Messages"].([]any) {
		m := m.(map[string]any)
		if m["FromAccountRole"] != 3.0 {
			continue
		}
		var flags struct{ MessageType, Role, Scene string }
		if err := json.Unmarshal([]byte(m["CloudCustomData"].(string)), &flags); err != nil || flags.Role != "robot" || flags.Scene != "transferSession" {
			t.Errorf("system message %v: CloudCustomData not Desk's flags", m)
		}
		out = append(out, flags.MessageType)
	}
	return out
}

// Every action of the admin API answers the events it produced and the
// session afterwards; a rating is taken once, in the Agent phase or after
// the end, and shows in the session's record.
func TestDeskActionsAnswerEvents(t *testing.T) {
	ts := NewTestServer(t)
	id := testSession
	steps := []struct {
		action, body string
		status       int
		events       []string
		state        DeskState
	}{
		{"begin", `{"client_user_id":"user01","channel_type":"SDK"}`, 200, []string{EventSessionBegin}, DeskChatbot},
		{"user-message", `{"text":"Where is my order?"}`, 200, []string{EventUserSendMsg}, DeskChatbot},
		{"rate", `{"stars":5}`, 409, nil, ""},
		{"agent-message", `{"text":"early"}`, 409, nil, ""},
		{"transfer", `{"Priority":12}`, 400, nil, ""},
		{"transfer", `{"DisableQueuing":2}`, 400, nil, ""},
		{"transfer", `{"Bogus":1}`, 400, nil, ""},
		{"transfer", ``, 200, []string{EventTransferStarted, EventTransferred + " agent@example.com"}, DeskAgent},
		{"transfer", `{}`, 409, nil, ""},
		{"agent-message", `{"text":"Hello, I am Alice."}`, 200, []string{EventAgentSendMsg}, DeskAgent},
		{"user-message", `{"text":"Hi"}`, 200, []string{EventAgentUserSendMsg}, DeskAgent},
		{"rate", `{"stars":0}`, 400, nil, ""},
		{"rate", `{"stars":6}`, 400, nil, ""},
		{"rate", `{"stars":4}`, 200, []string{EventRated + " agent@example.com 4*"}, DeskAgent},
		{"rate", `{"stars":5}`, 409, nil, ""},
		{"agent-end", ``, 200, []string{EventSessionEnded + " agent@example.com"}, DeskNotInSession},
		{"agent-end", ``, 409, nil, ""},
		{"user-silent", ``, 409, nil, ""},
		{"user-message", `{"text":"late"}`, 409, nil, ""},
	}
	for i, st := range steps {
		code, r := deskAct(t, ts, id, st.action, st.body)
		if code != st.status {
			t.Fatalf("step %d %s %s: %d, want %d", i, st.action, st.body, code, st.status)
		}
		if code != 200 {
			continue
		}
		if diff := cmp.Diff(st.events, eventNames(id, r.Events)); diff != "" {
			t.Errorf("step %d %s: events (-want +got):\n%s", i, st.action, diff)
		}
		if r.Session.CurrentState != st.state || r.Session.SessionID != id {
			t.Errorf("step %d %s: session %+v, want %s", i, st.action, r.Session, st.state)
		}
	}
	life := ts.DeskSession(id)
	if life.Satisfaction != 4 || life.EndStatus != EndStatusAgent {
		t.Errorf("life: satisfaction %d, end %q", life.Satisfaction, life.EndStatus)
	}
	if got := systemKinds(t, ts, id); !cmp.Equal(got, []string{SystemConnectingToAgent, SystemConnectedToAgent, SystemProactiveClosure}) {
		t.Errorf("system messages %v", got)
	}
	now := ts.Now().Unix()
	r := deskCall(t, ts, CDRListPath, `{"StartTimestamp":`+strconv.FormatInt(now-60, 10)+`,"EndTimestamp":`+strconv.FormatInt(now+60, 10)+`}`)
	if list := r["IMCdrList"].([]any); len(list) != 1 || list[0].(map[string]any)["SatisfactionSelected"] != 4.0 {
		t.Errorf("record: %v, want SatisfactionSelected 4", r)
	}
	if _, err := ts.RateSession(uuidOf(3), 5); err == nil {
		t.Error("a session without a life was rated")
	}
}

// A user who goes silent ends the session from any active state
// (User.ReplyTimeout, then UserTimeout with timeoutAutoClosure); the agent
// freed takes the next queued session.
func TestUserSilent(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(ts *TestServer) // the session testSession, and others
		events  []string
	}{
		{"in the bot's phase", func(ts *TestServer) {
			ts.BeginSession(testSession, "user01", "", "SDK")
		}, []string{EventUserTimeout, EventSessionEnded}},
		{"a session open with no life", func(ts *TestServer) {}, []string{EventUserTimeout, EventSessionEnded}},
		{"waiting for the agent", func(ts *TestServer) {
			ts.TransferSession(testSession, TransferRequest{AgentIDList: []string{"dave"}})
		}, []string{EventUserTimeout, EventSessionEnded + " dave"}},
		{"queued", func(ts *TestServer) {
			ts.TransferSession(uuidOf(1), TransferRequest{AgentIDList: []string{"alice"}})
			ts.TransferSession(testSession, TransferRequest{AgentIDList: []string{"alice"}})
		}, []string{EventUserTimeout, EventSessionEnded}},
		{"with the agent, who takes the next in the queue", func(ts *TestServer) {
			ts.TransferSession(testSession, TransferRequest{AgentIDList: []string{"alice"}})
			ts.TransferSession(uuidOf(1), TransferRequest{AgentIDList: []string{"alice"}})
		}, []string{EventUserTimeout, EventSessionEnded + " alice", EventTransferred + " alice @" + uuidOf(1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := NewTestServer(t, Option(func(c *Config) {
				c.Desk = Desk{Agents: []Agent{{ID: "alice", MaxSessions: 1}, {ID: "dave", ManualAccept: true}}}
			}))
			tt.prepare(ts)
			code, r := deskAct(t, ts, testSession, "user-silent", "")
			if code != 200 {
				t.Fatalf("user-silent: %d", code)
			}
			if diff := cmp.Diff(tt.events, eventNames(testSession, r.Events)); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			if r.Session.CurrentState != DeskNotInSession || r.Session.EndStatus != EndStatusUserTimeout {
				t.Errorf("session %+v, want ended UserTimeout", r.Session)
			}
			kinds := systemKinds(t, ts, testSession)
			if len(kinds) == 0 || kinds[len(kinds)-1] != SystemTimeoutAutoClosure {
				t.Errorf("system messages %v, want timeoutAutoClosure last", kinds)
			}
			if st := deskCall(t, ts, SessionStatePath, `{"SessionId":"`+testSession+`"}`); st["CurrentState"] != "NotInSession" {
				t.Errorf("state %v", st)
			}
			if code, _ := deskAct(t, ts, testSession, "user-silent", ""); code != 409 {
				t.Errorf("user-silent again: %d, want 409", code)
			}
		})
	}
	ts := NewTestServer(t, Option(func(c *Config) { c.Sessions.Strict = true }))
	if code, _ := deskAct(t, ts, testSession, "user-silent", ""); code != 409 {
		t.Errorf("user-silent of a session never opened (strict): %d, want 409", code)
	}
}

// Desk's system messages, as a transfer's outcome and options and the
// end produce them, with their CloudCustomData.
func TestSystemMessages(t *testing.T) {
	at := time.Date(2026, 12, 5, 20, 0, 0, 0, time.UTC) // outside 09:00-18:00
	agents := []Agent{{ID: "alice", Groups: []int{1}, MaxSessions: 1}, {ID: "carol", Groups: []int{3}, Offline: true}, {ID: "dave", Groups: []int{4}, ManualAccept: true}}
	tests := []struct {
		name  string
		full  bool   // alice serves another session first
		body  string // transfer options, without SessionId
		after string // an admin action after the transfer
		want  []string
	}{
		{"connected at once", false, `,"AgentGroupId":1`, "", []string{SystemConnectingToAgent, SystemConnectedToAgent}},
		{"connecting, then accepted", false, `,"AgentGroupId":4`, "accept", []string{SystemConnectingToAgent, SystemConnectedToAgent}},
		{"nobody online, a tip", false, `,"AgentGroupId":3,"SendTipIfNoAgentOnline":1`, "", []string{SystemFailedToConnect}},
		{"nobody online, no tip", false, `,"AgentGroupId":3`, "", []string{}},
		{"nobody online, the session ends", false, `,"AgentGroupId":3,"SendTipIfNoAgentOnline":1,"EndSessionWhenNoMemberOnline":1`, "", []string{SystemFailedToConnect}},
		{"after hours, a prompt", false, `,"CheckIfDuringWorkingHours":1,"SendPromptNotDuringWorkingHours":1`, "", []string{SystemAfterWorkingHours}},
		{"after hours, no prompt", false, `,"CheckIfDuringWorkingHours":1`, "", []string{}},
		{"queued", true, `,"AgentGroupId":1`, "", []string{SystemQueuing}},
		{"busy, queueing off, a tip", true, `,"AgentGroupId":1,"DisableQueuing":1,"SendTipIfNoAgentOnline":1`, "", []string{SystemFailedToConnect}},
		{"the agent ends", false, `,"AgentGroupId":1`, "agent-end", []string{SystemConnectingToAgent, SystemConnectedToAgent, SystemProactiveClosure}},
		{"the user goes silent", false, `,"AgentGroupId":1`, "user-silent", []string{SystemConnectingToAgent, SystemConnectedToAgent, SystemTimeoutAutoClosure}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := NewTestServer(t, WithClock(func() time.Time { return at }), Option(func(c *Config) {
				c.Desk = Desk{Agents: agents, WorkingHours: "09:00-18:00"}
			}))
			if tt.full {
				deskCall(t, ts, TransferPath, `{"SessionId":"`+uuidOf(1)+`","AgentGroupId":1}`)
			}
			if r := deskCall(t, ts, TransferPath, `{"SessionId":"`+testSession+`"`+tt.body+`}`); r["ErrorCode"] != 0.0 {
				t.Fatalf("transfer: %v", r)
			}
			if tt.after != "" {
				if code, _ := deskAct(t, ts, testSession, tt.after, ""); code != 200 {
					t.Fatalf("%s: %d", tt.after, code)
				}
			}
			if diff := cmp.Diff(tt.want, systemKinds(t, ts, testSession)); diff != "" {
				t.Errorf("system messages (-want +got):\n%s", diff)
			}
		})
	}
	// The bot's end_session closes with proactiveClosure too.
	ts := NewTestServer(t)
	deskCall(t, ts, EndSessionPath, `{"SessionId":"`+testSession+`"}`)
	if got := systemKinds(t, ts, testSession); !cmp.Equal(got, []string{SystemProactiveClosure}) {
		t.Errorf("end_session: %v", got)
	}
}

// The queue: priority first (0 the highest), then arrival; a queue timeout
// passed on the server's clock ends the session when it is next looked
// at; an agent who ends a session takes the next queued one.
func TestQueuePriorityAndTimeout(t *testing.T) {
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	ts := NewTestServer(t, WithClock(func() time.Time { return at }), Option(func(c *Config) { c.Desk = Desk{Agents: []Agent{{ID: "alice", MaxSessions: 1}}} }))
	serving, low, urgent, later := uuidOf(1), uuidOf(2), uuidOf(3), uuidOf(4)
	transfer := func(id, opts string) map[string]any {
		return deskCall(t, ts, TransferPath, `{"SessionId":"`+id+`"`+opts+`}`)
	}
	position := func(id string) int { return ts.DeskSession(id).QueuePosition }
	steps := []struct {
		name string
		do   func() any
		want any
	}{
		{"alice takes the first", func() any { return transfer(serving, "")["AgentId"] }, "alice"},
		{"the second queues", func() any { return transfer(low, `,"Priority":5`)["IsInQueue"] }, 1.0},
		{"an urgent one queues", func() any { return transfer(urgent, `,"Priority":1,"QueueTimeout":60`)["IsInQueue"] }, 1.0},
		{"a later one queues", func() any { return transfer(later, `,"Priority":5`)["IsInQueue"] }, 1.0},
		{"the urgent one is first", func() any { return []int{position(urgent), position(low), position(later)} }, []int{1, 2, 3}},
		{"its deadline", func() any { return ts.DeskSession(urgent).QueueUntil.Sub(ts.Now()) }, 60 * time.Second},
		{"59 s later", func() any { admin(t, ts, "POST", "/__admin/clock", `{"advance":"59s"}`); return position(urgent) }, 1},
		{"60 s later: it timed out", func() any {
			admin(t, ts, "POST", "/__admin/clock", `{"advance":"1s"}`)
			return deskCall(t, ts, SessionStatePath, `{"SessionId":"`+urgent+`"}`)["CurrentState"]
		}, "NotInSession"},
		{"its end", func() any {
			life := ts.DeskSession(urgent)
			return life.EndStatus + " " + strings.Join(eventNames(urgent, life.Events), ",")
		}, EndStatusQueueTimeout + " " + EventTransferStarted + "," + EventQueued + "," + EventQueueTimeout + "," + EventSessionEnded},
		{"its closing message", func() any { return strings.Join(systemKinds(t, ts, urgent), ",") }, SystemQueuing + "," + SystemTimeoutAutoClosure},
		{"the bot may no longer call", func() any { return transfer(urgent, "")["ErrorCode"] }, 141005.0},
		{"the others moved up", func() any { return []int{position(low), position(later)} }, []int{1, 2}},
		{"another with a timeout queues last", func() any { transfer(uuidOf(5), `,"Priority":9,"QueueTimeout":30`); return position(uuidOf(5)) }, 3},
		{"29 s later it waits", func() any { admin(t, ts, "POST", "/__admin/clock", `{"advance":"29s"}`); return position(uuidOf(5)) }, 3},
		{"30 s later it timed out too", func() any {
			admin(t, ts, "POST", "/__admin/clock", `{"advance":"1s"}`)
			return ts.DeskSession(uuidOf(5)).EndStatus
		}, EndStatusQueueTimeout},
		{"alice ends hers and takes the next", func() any {
			_, r := deskAct(t, ts, serving, "agent-end", "")
			return strings.Join(eventNames(serving, r.Events), ",")
		}, EventSessionEnded + " alice," + EventTransferred + " alice @" + low},
		{"served by alice", func() any { return deskCall(t, ts, SessionStatePath, `{"SessionId":"`+low+`"}`)["AgentId"] }, "alice"},
		{"the last is first now", func() any { return position(later) }, 1},
		{"no timeout: it waits on", func() any {
			admin(t, ts, "POST", "/__admin/clock", `{"advance":"240h"}`)
			return ts.DeskSession(later).CurrentState
		}, DeskQueueing},
	}
	for _, st := range steps {
		if got := st.do(); !cmp.Equal(got, st.want) {
			t.Fatalf("%s: %v, want %v", st.name, got, st.want)
		}
	}
}

// The admin API's transfer takes transfer_to_human's options: it queues
// with a priority, sends the tips asked for, and refuses a session that is
// not the bot's.
func TestAdminTransfer(t *testing.T) {
	tests := []struct {
		name   string
		agents []Agent
		body   string
		status int
		state  DeskState
		agent  string
		events []string
	}{
		{"the default agent", nil, ``, 200, DeskAgent, "agent@example.com", []string{EventTransferStarted, EventTransferred + " agent@example.com"}},
		{"an agent of the list", []Agent{{ID: "a"}, {ID: "b"}}, `{"AgentIdList":["b"]}`, 200, DeskAgent, "b", []string{EventTransferStarted, EventTransferred + " b"}},
		{"a group with nobody online", []Agent{{ID: "a", Groups: []int{1}, Offline: true}}, `{"AgentGroupId":1,"EndSessionWhenNoMemberOnline":1}`, 200, DeskNotInSession, "",
			[]string{EventTransferStarted, EventTransferNoAgent, EventSessionEnded}},
		{"queued", []Agent{{ID: "a", Busy: true}}, `{"Priority":3,"QueueTimeout":30}`, 200, DeskQueueing, "", []string{EventTransferStarted, EventQueued}},
		{"a busy agent allowed", []Agent{{ID: "a", Busy: true}}, `{"AllowAssignBusyMember":1}`, 200, DeskAgent, "a", []string{EventTransferStarted, EventTransferred + " a"}},
		{"a priority out of range", nil, `{"Priority":-1}`, 400, "", "", nil},
		{"a negative queue timeout", nil, `{"QueueTimeout":-5}`, 400, "", "", nil},
		{"not JSON", nil, `{`, 400, "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := NewTestServer(t, Option(func(c *Config) {
				if tt.agents != nil {
					c.Desk = Desk{Agents: tt.agents}
				}
			}))
			code, r := deskAct(t, ts, testSession, "transfer", tt.body)
			if code != tt.status {
				t.Fatalf("status %d, want %d", code, tt.status)
			}
			if code != 200 {
				return
			}
			if r.Session.CurrentState != tt.state || r.Session.AgentID != tt.agent {
				t.Errorf("session %+v, want %s with %q", r.Session, tt.state, tt.agent)
			}
			if diff := cmp.Diff(tt.events, eventNames(testSession, r.Events)); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
	ts := NewTestServer(t)
	if _, err := ts.TransferSession(testSession, TransferRequest{Priority: 10}); err == nil {
		t.Error("Go API: priority 10 taken")
	}
	if _, err := ts.TransferSession(testSession, TransferRequest{}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.TransferSession(testSession, TransferRequest{}); err == nil {
		t.Error("Go API: a session with an agent transferred again")
	}
	// The admin API's DELETE ends the life too.
	adminCode(t, ts, "DELETE", "/__admin/sessions/"+testSession, "", 200)
	if life := ts.DeskSession(testSession); life.CurrentState != DeskNotInSession || life.EndStatus != EndStatusAdmin {
		t.Errorf("after DELETE: %+v, want ended AdminEndedSession", life)
	}
}

// Renamed events are renamed in what the actions answer too.
func TestActionEventsRenamed(t *testing.T) {
	ts := NewTestServer(t, Option(func(c *Config) {
		c.Desk.EventNames = map[string]string{EventRated: "Satisfaction.Selected", EventUserTimeout: "User.Silent"}
	}))
	ts.TransferSession(testSession, TransferRequest{})
	rated, err := ts.RateSession(testSession, 3)
	if err != nil || len(rated) != 1 || rated[0].Event != "Satisfaction.Selected" || rated[0].Satisfaction != 3 {
		t.Errorf("rated: %+v, %v", rated, err)
	}
	silent, err := ts.UserSilent(testSession)
	if err != nil || len(silent) != 2 || silent[0].Event != "User.Silent" {
		t.Errorf("silent: %+v, %v", silent, err)
	}
}

// The session the admin API shows holds its newest 100 messages and says
// how many there are.
func TestDeskSessionNewestMessages(t *testing.T) {
	ts := NewTestServer(t)
	ts.BeginSession(testSession, "user01", "", "SDK")
	for i := range 101 {
		if _, err := ts.Say(testSession, RoleUser, strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
	}
	code, text := admin(t, ts, "GET", "/__admin/sessions/"+testSession, "")
	var life DeskSession
	if code != 200 || json.Unmarshal([]byte(text), &life) != nil {
		t.Fatalf("GET: %d %s", code, text)
	}
	if len(life.Messages) != 100 || life.MessageCount != 101 || messageText(life.Messages[0].MsgBody) != "1" || messageText(life.Messages[99].MsgBody) != "100" {
		t.Errorf("%d messages of %d, from %s to %s", len(life.Messages), life.MessageCount, life.Messages[0].MsgBody, life.Messages[len(life.Messages)-1].MsgBody)
	}
}

// The messages' log finds a session's messages by its index, oldest
// first, through evictions and compactions, and counts what it holds.
func TestDeskMessagesIndexed(t *testing.T) {
	tests := []struct {
		name     string
		sessions int
		total    int
	}{
		{"three sessions, the oldest 2500 forgotten", 3, maxDeskMessages + 2_500},
		// One long session forgets more than half its numbers: they move down.
		{"one session, forgotten twice over", 1, 2*maxDeskMessages + 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d deskMessages
			var sessions []string
			for i := range tt.sessions {
				sessions = append(sessions, uuidOf(i+1))
			}
			for i := range tt.total {
				d.add(DeskMessage{SessionID: sessions[i%tt.sessions], Role: RoleUser, MsgBody: strconv.Itoa(i)})
			}
			oldest := tt.total - maxDeskMessages // the number of the oldest message kept
			for j, id := range append(sessions, uuidOf(99)) {
				var want []string
				for i := oldest; i < tt.total && j < tt.sessions; i++ {
					if i%tt.sessions == j {
						want = append(want, strconv.Itoa(i))
					}
				}
				got := d.of(id)
				var bodies []string
				for i, m := range got {
					bodies = append(bodies, m.MsgBody)
					if m.SessionID != id || i > 0 && m.Seq <= got[i-1].Seq {
						t.Fatalf("%s: message %d out of order or of another session: %+v", id, i, m)
					}
				}
				if !slices.Equal(bodies, want) {
					t.Errorf("%s: %d messages, want %d (numbers %d to %d)", id, len(bodies), len(want), oldest, tt.total-1)
				}
			}
			want := tt.sessions * deskSessionIndexBytes
			for n := d.first; n < d.first+d.count; n++ {
				want += d.at(n).size()
			}
			if d.held() != int64(want) || d.count != maxDeskMessages {
				t.Errorf("held %d bytes, the messages make %d; %d kept", d.held(), want, d.count)
			}
		})
	}
}

// A session whose one message is the oldest of a full log, and is
// forgotten by the session's next message, keeps that next one.
func TestDeskMessagesQuietSessionSpeaksAgain(t *testing.T) {
	var d deskMessages
	quiet, busy := uuidOf(1), uuidOf(2)
	d.add(DeskMessage{SessionID: quiet, Role: RoleUser, MsgBody: "first"})
	for range maxDeskMessages - 1 {
		d.add(DeskMessage{SessionID: busy, Role: RoleUser, MsgBody: "x"})
	}
	d.add(DeskMessage{SessionID: quiet, Role: RoleUser, MsgBody: "again"})
	got := d.of(quiet)
	if len(got) != 1 || got[0].MsgBody != "again" || got[0].SessionID != quiet {
		t.Errorf("the quiet session's messages: %+v, want the one said again", got)
	}
	if n := len(d.of(busy)); n != maxDeskMessages-1 {
		t.Errorf("the busy session has %d messages, want %d", n, maxDeskMessages-1)
	}
}

// BenchmarkDeskMessagesAdd adds to one long session, the log full: a
// stream's first chunk in a session a test reuses.
func BenchmarkDeskMessagesAdd(b *testing.B) {
	var d deskMessages
	msg := DeskMessage{SessionID: uuidOf(1), Role: RoleService, MsgKey: "1_1_k"}
	for range maxDeskMessages {
		d.add(msg)
	}
	b.ReportAllocs()
	for b.Loop() {
		d.add(msg)
	}
}

// The dashboard's conversation: the messages by who said them and the
// events between, in the order they happened, without the events of the
// messages themselves (renamed or not).
func TestUIConversationLines(t *testing.T) {
	tick := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	ts := NewTestServer(t, WithClock(func() time.Time { return tick }), Option(func(c *Config) {
		c.Desk.EventNames = map[string]string{EventUserSendMsg: "User.Said", EventTransferred: "Agent.Connected"}
	}))
	ts.BeginSession(testSession, "user01", "", "SDK")
	ts.Say(testSession, RoleUser, "hi")
	post(t, ts.EndpointURL(), ChunkBody(testSession, "", "Hello", true))
	ts.TransferSession(testSession, TransferRequest{})
	ts.Say(testSession, RoleService, "Alice here")
	ts.UserSilent(testSession)
	code, text := admin(t, ts, "GET", uiAPI+"/conversations", "")
	var got struct{ Conversations []uiConversation }
	if code != 200 || json.Unmarshal([]byte(text), &got) != nil || len(got.Conversations) != 1 {
		t.Fatalf("conversations: %d %s", code, text)
	}
	var lines []string
	for _, it := range got.Conversations[0].Messages {
		lines = append(lines, it.Kind+":"+it.Text+it.Event+it.System)
	}
	want := []string{"event:SessionBegin", "user:hi", "bot:Hello", "event:Transfer.Started", "system:Connecting you to an agent…" + SystemConnectingToAgent,
		"event:Agent.Connected", "system:You are connected to an agent." + SystemConnectedToAgent, "agent:Alice here",
		"event:" + EventUserTimeout, "event:" + EventSessionEnded, "system:The session was closed because no reply came." + SystemTimeoutAutoClosure}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
}
