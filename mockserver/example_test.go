package mockserver_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/deskmock/deskmock/mockserver"
)

// send posts one call of a stream and decodes the reply.
func send(url, body string) (reply struct {
	ActionStatus string
	ErrorCode    int
	MsgKey       string
}) {
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	json.NewDecoder(resp.Body).Decode(&reply)
	return reply
}

// A Go test streams a three-chunk message into the mock and reads back what
// the user would see.
func ExampleNewTestServer() {
	// In a test: ts := mockserver.NewTestServer(t), which closes by itself.
	ts, err := mockserver.Start()
	if err != nil {
		panic(err)
	}
	defer ts.Close()

	const session = "fd8a2e30-54de-4e40-bcaf-02718409c5cf"
	first := send(ts.EndpointURL(), `{"SessionId":"`+session+`","Chunk":"Hello, "}`)
	send(ts.EndpointURL(), `{"SessionId":"`+session+`","Chunk":"this is ","MsgKey":"`+first.MsgKey+`"}`)
	last := send(ts.EndpointURL(), `{"SessionId":"`+session+`","Chunk":"Tencent Cloud.","MsgKey":"`+first.MsgKey+`","Finish":1}`)

	stream, _ := ts.Stream(first.MsgKey)
	fmt.Println(last.ActionStatus, last.ErrorCode)
	fmt.Printf("%q finished=%v\n", stream.Text, stream.Finished)
	// Output:
	// OK 0
	// "Hello, this is Tencent Cloud." finished=true
}

// Trigger session IDs provoke an error code with no setup at all.
func ExampleTriggerSessionID() {
	ts, err := mockserver.Start()
	if err != nil {
		panic(err)
	}
	defer ts.Close()

	session := mockserver.TriggerSessionID(20004, 2) // fails the 2nd call only
	first := send(ts.EndpointURL(), `{"SessionId":"`+session+`","Chunk":"a"}`)
	second := send(ts.EndpointURL(), `{"SessionId":"`+session+`","Chunk":"b","MsgKey":"`+first.MsgKey+`"}`)
	retry := send(ts.EndpointURL(), `{"SessionId":"`+session+`","Chunk":"b","MsgKey":"`+first.MsgKey+`","Finish":1}`)
	fmt.Println(session)
	fmt.Println(first.ErrorCode, second.ErrorCode, retry.ErrorCode)
	// Output:
	// 00000000-0000-0000-0002-000000020004
	// 0 20004 0
}

// Fault rules make the mock misbehave on a chosen request.
func ExampleServer_AddFault() {
	ts, err := mockserver.Start()
	if err != nil {
		panic(err)
	}
	defer ts.Close()

	ts.AddFault(mockserver.Fault{
		Match:  mockserver.FaultMatch{Call: 1},
		Action: mockserver.FaultAction{HTTPStatus: http.StatusBadGateway},
		Times:  1,
	})
	resp, _ := http.Post(ts.EndpointURL(), "application/json", strings.NewReader(`{"SessionId":"fd8a2e30-54de-4e40-bcaf-02718409c5cf","Chunk":"x"}`))
	resp.Body.Close()
	fmt.Println(resp.StatusCode)
	for _, e := range ts.Requests(mockserver.ExchangeFilter{}) {
		fmt.Println(e.Status, e.Fault, e.Action, e.Applied)
	}
	// Output:
	// 502
	// 502 f1 http_status false
}

// A Go test plays the user and the agent of a Desk session; each action
// returns the events it produced, which the session event callback
// reports.
func ExampleServer_BeginSession() {
	ts, err := mockserver.Start()
	if err != nil {
		panic(err)
	}
	defer ts.Close()

	const session = "fd8a2e30-54de-4e40-bcaf-02718409c5cf"
	show := func(events []mockserver.DeskEvent, err error) {
		for _, e := range events {
			fmt.Print(e.Event, " ")
		}
		fmt.Println(err)
	}
	show(ts.BeginSession(session, "user01", "", "SDK"))
	show(ts.Say(session, mockserver.RoleUser, "Where is my order?"))
	show(ts.TransferSession(session, mockserver.TransferRequest{})) // as the bot's transfer_to_human
	show(ts.Say(session, mockserver.RoleService, "It ships today."))
	show(ts.AgentEndSession(session))
	show(ts.RateSession(session, 5))
	life := ts.DeskSession(session)
	fmt.Println(life.CurrentState, life.EndStatus, life.Satisfaction)
	// Output:
	// SessionBegin <nil>
	// ChatBot.UserSendMsg <nil>
	// Transfer.Started Transfer.Succeeded <nil>
	// Agent.AgentSendMsg <nil>
	// SessionEnd <nil>
	// Session.Rated <nil>
	// NotInSession AgentEndedSession 5
}
