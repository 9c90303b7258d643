package mockserver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/deskmock/deskmock/mockserver"
)

// A bot as it runs, a web server, graded against the mock: the mock POSTs
// it the user's message, the bot checks the callback, acknowledges it and
// streams its answer back; the test reads both sides from the mock.
func ExampleServer_AwaitCallbacks() {
	ts, err := mockserver.Start()
	if err != nil {
		panic(err)
	}
	defer ts.Close()

	const session = "fd8a2e30-54de-4e40-bcaf-02718409c5cf"
	bot := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if mockserver.VerifyCallback(r.URL.Query(), ts.App.SDKAppID, "tok", time.Now(), time.Minute) != nil {
			http.Error(w, "forged", http.StatusForbidden)
			return
		}
		var cb struct {
			Event, SessionId string
			MsgBody          []struct{ MsgContent struct{ Text string } }
		}
		json.NewDecoder(r.Body).Decode(&cb)
		io.WriteString(w, `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`) // at once
		if cb.Event == mockserver.EventUserSendMsg {
			go send(ts.EndpointURL(), `{"SessionId":"`+cb.SessionId+`","Chunk":"You said: `+cb.MsgBody[0].MsgContent.Text+`","Finish":1}`)
		}
	}))
	defer bot.Close()
	ts.SetCallbacks(0, mockserver.Callbacks{URL: bot.URL, Token: "tok"})

	ts.BeginSession(session, "user01", "", "SDK")
	ts.Say(session, mockserver.RoleUser, "hello")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done, err := ts.AwaitCallbacks(ctx, mockserver.CallbackFilter{SessionID: session}, 3)
	if err != nil {
		panic(err)
	}
	for _, cb := range done {
		fmt.Println(cb.Event, cb.Outcome, len(cb.Attempts))
	}
	fmt.Println(ts.Streams()[0].Text)
	// Output:
	// SessionBegin ok 1
	// ChatBot.UserSendMsg ok 1
	// ChatBot.RobotSendMsg ok 1
	// You said: hello
}
