package mockserver

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Each line of a dashboard's conversation carries the callback that
// reported it to the bot (each delivery: outcome, attempts, status,
// fault), under the names desk.event_names gives, even when every line
// happened in the same millisecond; the conversation counts its callbacks
// by outcome, and says nothing of callbacks when none is configured.
func TestUIConversationCallbacks(t *testing.T) {
	tick := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	// The bot fails the user's first message once (a retry succeeds) and
	// refuses the agent's; the others are answered OK.
	answer := func(bot **testBot) func(n int, w http.ResponseWriter, r *http.Request) {
		saidOnce := false
		return func(n int, w http.ResponseWriter, _ *http.Request) {
			(*bot).mu.Lock()
			event := (*bot).hits[n-1].body["Event"]
			(*bot).mu.Unlock()
			switch {
			case event == "User.Said" && !saidOnce:
				saidOnce = true
				w.WriteHeader(http.StatusInternalServerError)
			case event == EventAgentSendMsg:
				io.WriteString(w, `{"ActionStatus":"FAIL","ErrorCode":1,"ErrorInfo":"no"}`)
			default:
				io.WriteString(w, okAnswer)
			}
		}
	}
	tests := []struct {
		name       string
		callbacks  bool
		events     []string
		user       string
		deliveries int // the callbacks journaled
		want       []string
		count      *uiCallbackCount
	}{
		{"none configured", false, nil, "user01", 0, []string{
			"event:SessionBegin", "user:hi", "user:again", "bot:Hello", "event:Transfer.Started", "system:" + SystemConnectingToAgent,
			"event:Agent.Connected", "system:" + SystemConnectedToAgent, "agent:Alice here",
		}, nil},
		{"every event", true, nil, "user01", 7, []string{
			"event:SessionBegin ok/1/200", "user:hi ok/2/200", "user:again ok/1/200", "bot:Hello ok/1/200",
			"event:Transfer.Started ok/1/200", "system:" + SystemConnectingToAgent,
			"event:Agent.Connected ok/1/200", "system:" + SystemConnectedToAgent, "agent:Alice here refused/1/200",
		}, &uiCallbackCount{OK: 6, Refused: 1}},
		{"some events", true, []string{EventSessionBegin, "User.Said"}, "user01", 3, []string{
			"event:SessionBegin ok/1/200", "user:hi ok/2/200", "user:again ok/1/200", "bot:Hello", "event:Transfer.Started",
			"system:" + SystemConnectingToAgent, "event:Agent.Connected", "system:" + SystemConnectedToAgent, "agent:Alice here",
		}, &uiCallbackCount{OK: 3}},
		{"sent twice", true, []string{EventSessionBegin, "User.Said"}, CallbackTrigger(CallbackTwice), 6, []string{
			"event:SessionBegin ok/1/200[trigger:trigger-callback-twice] again:ok/1/200[trigger:trigger-callback-twice]",
			"user:hi ok/2/200[trigger:trigger-callback-twice] again:ok/1/200[trigger:trigger-callback-twice]",
			"user:again ok/1/200[trigger:trigger-callback-twice] again:ok/1/200[trigger:trigger-callback-twice]",
			"bot:Hello", "event:Transfer.Started", "system:" + SystemConnectingToAgent,
			"event:Agent.Connected", "system:" + SystemConnectedToAgent, "agent:Alice here",
		}, &uiCallbackCount{OK: 6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var bot *testBot
			bot = newTestBot(t, answer(&bot))
			ts := NewTestServer(t, WithClock(func() time.Time { return tick }), Option(func(c *Config) {
				c.Desk.EventNames = map[string]string{EventUserSendMsg: "User.Said", EventTransferred: "Agent.Connected"}
				if tt.callbacks {
					c.Callbacks = Callbacks{URL: bot.URL, Events: tt.events, RetryBackoff: Duration(time.Millisecond)}
				}
			}))
			ts.BeginSession(testSession, tt.user, "", "SDK")
			ts.Say(testSession, RoleUser, "hi")
			ts.Say(testSession, RoleUser, "again")
			post(t, ts.EndpointURL(), ChunkBody(testSession, "", "Hello", true))
			ts.TransferSession(testSession, TransferRequest{})
			ts.Say(testSession, RoleService, "Alice here")
			await(t, ts, CallbackFilter{SessionID: testSession}, tt.deliveries)
			code, text := admin(t, ts, "GET", uiAPI+"/conversations", "")
			var got struct{ Conversations []uiConversation }
			if code != 200 || json.Unmarshal([]byte(text), &got) != nil || len(got.Conversations) != 1 {
				t.Fatalf("conversations: %d %s", code, text)
			}
			c := got.Conversations[0]
			var lines []string
			for _, it := range c.Messages {
				line := it.Kind + ":" + it.Text
				if it.Kind == "event" || it.Kind == "system" {
					line = it.Kind + ":" + it.Event + it.System
				}
				for _, cb := range it.Callbacks {
					again := ""
					if cb.Delivery == 2 {
						again = "again:"
					}
					line += fmt.Sprintf(" %s%s/%d/%d", again, cb.Outcome, cb.Attempts, cb.Status)
					if len(cb.Faults) > 0 {
						line += "[" + strings.Join(cb.Faults, " ") + "]"
					}
					if cb.RequestID == "" || cb.Seq == 0 {
						t.Errorf("line %s: callback %+v without its RequestID or Seq", line, cb)
					}
				}
				lines = append(lines, line)
			}
			if diff := cmp.Diff(tt.want, lines); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.count, c.Callbacks); diff != "" {
				t.Errorf("the count (-want +got):\n%s", diff)
			}
		})
	}
}

// eventTimeOf finds the EventTime of a Desk callback's body, and no
// EventTime written inside a string.
func TestEventTimeOf(t *testing.T) {
	tests := []struct {
		body string
		ms   int64
		ok   bool
	}{
		{`{"CallbackCommand":"Desk.SessionEventNotify","SessionId":"s","Event":"SessionBegin","EventTime":1764921600123,"ChannelType":"SDK"}`, 1764921600123, true},
		{`{"SessionId":"a\",\"EventTime\":5","Event":"x","EventTime":7}`, 7, true},
		{`{"SessionId":"s","Event":"x"}`, 0, false},
		{`{"Event":"x","EventTime":"soon"}`, 0, false},
		{`{"Event":"x","EventTime":`, 0, false},
	}
	for _, tt := range tests {
		if ms, ok := eventTimeOf(tt.body); ms != tt.ms || ok != tt.ok {
			t.Errorf("eventTimeOf(%s) = %d, %v; want %d, %v", tt.body, ms, ok, tt.ms, tt.ok)
		}
	}
}
