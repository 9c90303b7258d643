package mockserver_test

import (
	"context"
	"fmt"
	"time"

	"github.com/deskmock/deskmock/mockserver"
	"github.com/deskmock/deskmock/mockserver/scenario"
)

// A Go test plays a scenario: on a server whose clock is its own, an hour
// of a conversation passes at once.
func ExampleServer_PlayScenario() {
	start := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	ts, err := mockserver.Start(mockserver.WithClock(func() time.Time { return start }))
	if err != nil {
		panic(err)
	}
	defer ts.Close()
	sc, err := scenario.Parse("example.yaml", []byte(`
sessions: [{id: 6f1c2b9a-0d4e-4f8a-9b7c-1e2d3c4b5a69, user: alice}]
steps:
  - begin:
  - after: 10m
    user: I need a human
  - transfer:
  - at: 1h
    agent_end:
`))
	if err != nil {
		panic(err)
	}
	p, err := ts.PlayScenario(context.Background(), sc, "example")
	if err != nil {
		panic(err)
	}
	st, _ := p.Wait(context.Background())
	for _, r := range st.Results {
		fmt.Println(r.Offset, r.Action, r.EventNames())
	}
	life := ts.DeskSession("6f1c2b9a-0d4e-4f8a-9b7c-1e2d3c4b5a69")
	fmt.Println(st.State, life.CurrentState, life.EndStatus)
	// Output:
	// 0s begin SessionBegin
	// 10m0s user ChatBot.UserSendMsg
	// 10m0s transfer Transfer.Started,Transfer.Succeeded
	// 1h0m0s agent_end SessionEnd
	// finished NotInSession AgentEndedSession
}
