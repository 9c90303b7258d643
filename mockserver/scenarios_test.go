package mockserver

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/deskmock/deskmock/mockserver/scenario"
)

const scenarioSession = "0b8f6b1c-7a4e-4c1d-9f0a-2d3e4f5a6b7c"

// waitPlay polls GET /__admin/scenarios/{id} until the play has ended.
func waitPlay(t *testing.T, ts *TestServer, id string) scenario.Status {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		var st scenario.Status
		if code := adminDo(t, "GET", ts.URL+"/__admin/scenarios/"+id, "", &st); code != 200 {
			t.Fatalf("GET scenario %s: %d", id, code)
		}
		if st.State != scenario.Running {
			return st
		}
	}
	t.Fatalf("scenario %s still running", id)
	return scenario.Status{}
}

// eventsOf writes each step's events as "action:Event,Event".
func eventsOf(st scenario.Status) string {
	var parts []string
	for _, r := range st.Results {
		parts = append(parts, string(r.Action)+":"+r.EventNames())
	}
	return strings.Join(parts, " ")
}

// TestScenarioOverHTTP: a scenario posted to the admin API plays a whole
// conversation against a bot that streams over HTTP: it waits for the
// bot's finished answer, transfers, lets the agent speak and end; each
// step reports the events it produced, and the session's life is the
// conversation's.
func TestScenarioOverHTTP(t *testing.T) {
	ts := NewTestServer(t)
	var st scenario.Status
	code := adminDo(t, "POST", ts.URL+"/__admin/scenarios", `
name: over HTTP
sessions: [{id: `+scenarioSession+`, user: alice, channel: SDK}]
steps:
  - begin:
  - user: where is my order?
  - wait_for: {reply: true, timeout: 20s}
  - transfer:
  - wait_for: {state: Agent}
  - agent: it ships today
  - after: 10ms
    agent_end:
`, &st)
	if code != 201 || st.ID == "" || st.Name != "over HTTP" || st.Steps != 7 || st.Sessions[0].ID != scenarioSession {
		t.Fatalf("POST: %d %+v", code, st)
	}
	// The bot: once the user has spoken, it streams its answer.
	for !strings.Contains(fmt.Sprint(ts.DeskSession(scenarioSession).Events), EventUserSendMsg) {
		time.Sleep(time.Millisecond)
	}
	key := post(t, ts.EndpointURL(), ChunkBody(scenarioSession, "", "Let me ", false)).MsgKey
	post(t, ts.EndpointURL(), ChunkBody(scenarioSession, key, "check.", true))

	st = waitPlay(t, ts, st.ID)
	if st.State != scenario.Finished || st.Error != "" || len(st.Results) != 7 {
		t.Fatalf("status %+v", st)
	}
	want := "begin:SessionBegin user:ChatBot.UserSendMsg wait_for: transfer:Transfer.Started,Transfer.Succeeded wait_for: agent:Agent.AgentSendMsg agent_end:SessionEnd"
	if got := eventsOf(st); got != want {
		t.Errorf("events\n%s\nwant\n%s", got, want)
	}
	life := ts.DeskSession(scenarioSession)
	if life.CurrentState != DeskNotInSession || life.EndStatus != "AgentEndedSession" || life.ClientUserID != "alice" || life.ChannelType != "SDK" {
		t.Errorf("life %+v", life)
	}
	var list struct{ Scenarios []scenario.Status }
	if code := adminDo(t, "GET", ts.URL+"/__admin/scenarios", "", &list); code != 200 || len(list.Scenarios) != 1 || list.Scenarios[0].State != scenario.Finished {
		t.Errorf("GET /__admin/scenarios: %d %+v", code, list)
	}
}

// TestScenarioReplied: the bot has replied once a message of its own, a
// finished stream or a send_msg, follows the user's last message; an open
// stream, or an agent's message, is no reply.
func TestScenarioReplied(t *testing.T) {
	ts := NewTestServer(t)
	p := scenarioPlayer{ts.Server}
	id := scenarioSession
	steps := []struct {
		name string
		do   func()
		want bool
	}{
		{"begun", func() { ts.BeginSession(id, "alice", "", "SDK") }, false},
		{"the user spoke", func() { ts.Say(id, RoleUser, "hi") }, false},
		{"a stream opened", func() { post(t, ts.EndpointURL(), ChunkBody(id, "", "a", false)) }, false},
		{"the stream finished", func() {
			post(t, ts.EndpointURL(), ChunkBody(id, ts.Streams()[0].MsgKey, "b", true))
		}, true},
		{"the user spoke again", func() { ts.Say(id, RoleUser, "and?") }, false},
		{"send_msg", func() {
			post(t, ts.APIURL(SendMsgPath), `{"SessionId":"`+id+`","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"ok"}}]}`)
		}, true},
		{"the user spoke a third time", func() { ts.Say(id, RoleUser, "human please") }, false},
		{"an agent took it and spoke", func() {
			if _, err := p.Transfer(id, scenario.TransferOptions{}); err != nil {
				t.Fatal(err)
			}
			ts.Say(id, RoleService, "hello")
		}, false},
	}
	for _, s := range steps {
		s.do()
		if got := p.Replied(id); got != s.want {
			t.Errorf("%s: Replied = %v, want %v", s.name, got, s.want)
		}
	}
}

// TestScenarioOnAFakeClock: on a server whose clock is not the wall clock
// a scenario's at and after move that clock forward at once.
func TestScenarioOnAFakeClock(t *testing.T) {
	base := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	ts := NewTestServer(t, WithClock(func() time.Time { return base }))
	sc, err := scenario.Parse("clock.yaml", []byte(`
sessions: [{id: `+scenarioSession+`, user: alice}]
steps:
  - at: 1h
    begin:
  - after: 30m
    user: hello
  - at: 2h
    end:
`))
	if err != nil {
		t.Fatal(err)
	}
	p, err := ts.PlayScenario(context.Background(), sc, "test")
	if err != nil {
		t.Fatal(err)
	}
	st, err := p.Wait(context.Background())
	if err != nil || st.State != scenario.Finished {
		t.Fatalf("%v %+v", err, st)
	}
	if got := ts.Now(); !got.Equal(base.Add(2 * time.Hour)) {
		t.Errorf("the server's clock is %v, want 2h past its base", got)
	}
	var times []string
	for _, e := range ts.DeskSession(scenarioSession).Events {
		times = append(times, e.Event+"@"+e.Time.Sub(base).String())
	}
	if got, want := strings.Join(times, " "), "SessionBegin@1h0m0s ChatBot.UserSendMsg@1h30m0s SessionEnd@2h0m0s"; got != want {
		t.Errorf("events %s, want %s", got, want)
	}
	if life := ts.DeskSession(scenarioSession); life.EndStatus != "AdminEndedSession" || ts.sessions.open(scenarioSession) {
		t.Errorf("after end: %+v", life)
	}
}

// TestScenarioAdminAPI: the admin API's answers to bad scenarios, unknown
// plays, a ninth running play, stopping one and all, and an action the
// server cannot play.
func TestScenarioAdminAPI(t *testing.T) {
	ts := NewTestServer(t)
	base := ts.URL + "/__admin/scenarios"
	var e struct{ Error string }
	if code := adminDo(t, "POST", base, "sessions: [{user: u}]\nsteps:\n  - begin:\n  - say: hi\n", &e); code != 400 ||
		e.Error != "scenario (body): line 4: steps/1/say: unknown key; the keys here are at, after, session, begin, user, agent, accept, transfer, agent_end, end, rate, silent, wait_for" {
		t.Errorf("a bad scenario: %d %q", code, e.Error)
	}
	if code := adminDo(t, "POST", base, "#"+strings.Repeat("x", scenario.MaxBytes), nil); code != 413 {
		t.Errorf("a scenario over 1 MiB: %d", code)
	}
	for _, m := range []string{"GET", "DELETE"} {
		if code := adminDo(t, m, base+"/99", "", &e); code != 404 {
			t.Errorf("%s an unknown play: %d", m, code)
		}
	}
	long := "sessions: [{user: u}]\nsteps:\n  - begin:\n  - after: 1h\n    end:\n"
	var ids []string
	for range MaxScenarios {
		var st scenario.Status
		if code := adminDo(t, "POST", base, long, &st); code != 201 || st.State != scenario.Running {
			t.Fatalf("POST: %d %+v", code, st)
		}
		ids = append(ids, st.ID)
	}
	if code := adminDo(t, "POST", base, long, &e); code != 409 || !strings.Contains(e.Error, "8 scenarios are running") {
		t.Errorf("a ninth: %d %q", code, e.Error)
	}
	var st scenario.Status
	if code := adminDo(t, "DELETE", base+"/"+ids[0], "", &st); code != 200 || st.State != scenario.Stopped || len(st.Results) != 1 {
		t.Errorf("DELETE: %d %+v", code, st)
	}
	// A stopped play makes room: the oldest ended one is forgotten.
	if code := adminDo(t, "POST", base, "sessions: [{user: u}]\nsteps:\n  - begin:\n  - silent:\n  - rate: 5\n", &st); code != 201 {
		t.Fatalf("POST after a stop: %d", code)
	}
	if code := adminDo(t, "GET", base+"/"+ids[0], "", nil); code != 404 {
		t.Errorf("the stopped play is still kept: %d", code)
	}
	if st = waitPlay(t, ts, st.ID); st.State != scenario.Finished || len(st.Results) != 3 ||
		st.Results[1].EventNames() != "User.ReplyTimeout,SessionEnd" || st.Results[2].EventNames() != "Session.Rated" {
		t.Errorf("silent and rate: %+v", st)
	}
	if code := adminDo(t, "DELETE", base, "", nil); code != 204 {
		t.Errorf("DELETE all: %d", code)
	}
	var list struct{ Scenarios []scenario.Status }
	if code := adminDo(t, "GET", base, "", &list); code != 200 || len(list.Scenarios) != 0 {
		t.Errorf("after DELETE all: %d %+v", code, list)
	}
}

// TestNewEvents: the events an action added are those past the last one
// the session had before, also when its oldest were dropped or its life
// began again.
func TestNewEvents(t *testing.T) {
	at := func(n int) DeskEvent { return DeskEvent{Event: "E", Time: time.Unix(int64(n), 0)} }
	tests := []struct {
		name          string
		before, after []DeskEvent
		want          int
	}{
		{"none before", nil, []DeskEvent{at(1)}, 1},
		{"two added", []DeskEvent{at(1)}, []DeskEvent{at(1), at(2), at(3)}, 2},
		{"none added", []DeskEvent{at(1)}, []DeskEvent{at(1)}, 0},
		{"oldest dropped", []DeskEvent{at(1), at(2)}, []DeskEvent{at(2), at(3)}, 1},
		{"began again", []DeskEvent{at(1), at(2)}, []DeskEvent{at(5)}, 1},
	}
	for _, tt := range tests {
		got := newEvents(tt.before, tt.after)
		if len(got) != tt.want || tt.want > 0 && got[len(got)-1] != tt.after[len(tt.after)-1] {
			t.Errorf("%s: %v", tt.name, got)
		}
	}
}
