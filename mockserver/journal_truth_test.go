package mockserver

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The rule that acted is the one journaled, even on a trigger session's
// request, whose code the truncated reply carries.
func TestJournalNamesTheRuleThatActed(t *testing.T) {
	tests := []struct {
		name       string
		action     FaultAction
		wantAction string
	}{
		{"truncate", FaultAction{Truncate: true}, "truncate"},
		{"reset after apply", FaultAction{Reset: true, When: ResetAfterApply}, "reset"},
		{"key order", FaultAction{KeyOrder: altKeyOrder}, "key_order"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := NewTestServer(t)
			id, err := ts.AddFault(Fault{Action: tt.action})
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.Post(ts.EndpointURL(), "application/json",
				strings.NewReader(`{"SessionId":"`+TriggerSessionID(20004, 0)+`","Chunk":"x"}`))
			if err == nil {
				io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			ex := ts.Requests(ExchangeFilter{})
			if len(ex) != 1 || ex[0].Fault != id || ex[0].Action != tt.wantAction || ex[0].Code != 20004 || ex[0].Check != checkTrigger {
				t.Errorf("journal %+v, want fault %s acting %s on code 20004", ex, id, tt.wantAction)
			}
		})
	}
}

// After a reset, the same requests give the same journal: MsgKeys are
// numbered and drawn anew, requests counted from 1; only RequestIds (and,
// on a moving clock, times) differ.
func TestResetMakesRunsRepeatable(t *testing.T) {
	clk := &stoppedClock{at: time.Unix(1764000000, 0)}
	ts := NewTestServer(t, WithClock(clk.now))
	url := ts.URL + EndpointPath + "?" + Query(ts.App.SDKAppID, ts.Identifier, ts.SignUserSig(), 7)
	url2 := ts.URL + EndpointV2Path + "?" + Query(ts.App.SDKAppID, ts.Identifier, ts.SignUserSig(), 8)
	run := func() []Exchange {
		first := post(t, url, `{"SessionId":"`+testSession+`","Chunk":"a"}`)
		post(t, url, `{"SessionId":"`+testSession+`","Chunk":"b","MsgKey":"`+first.MsgKey+`","Finish":1}`)
		post(t, url, `{"SessionId":"`+testSession+`","Chunk":"c","MsgKey":"`+first.MsgKey+`"}`)
		v2 := post(t, url2, v2Body(otherSession, "", v2Chunk{1, "x", false}))
		post(t, url2, v2Body(otherSession, v2.MsgKey, v2Chunk{1, "y", true}))
		post(t, url, `{}`)
		return ts.Requests(ExchangeFilter{})
	}
	first := run()
	ts.Reset()
	second := run()
	requestID := regexp.MustCompile(`"RequestId":"[^"]*"`)
	norm := cmp.Transformer("norm", func(e Exchange) Exchange {
		e.RequestID, e.LatencyMS = "", 0
		e.Reply = requestID.ReplaceAllString(e.Reply, `"RequestId":""`)
		return e
	})
	if len(first) != 6 {
		t.Fatalf("%d exchanges", len(first))
	}
	if diff := cmp.Diff(first, second, norm); diff != "" {
		t.Errorf("the second run's journal differs (-first +second):\n%s", diff)
	}
}
