package mockserver

import (
	"io"
	"net/http"
	"strings"
	"testing"
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
		{"key order", FaultAction{KeyOrder: AltKeyOrder}, "key_order"},
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
