package mockserver

import "testing"

// A first call reset after its chunk is applied journals the key it issued
// but no reply, as none was sent.
func TestFirstCallResetAfterApplyJournalsNoReply(t *testing.T) {
	no := false
	ts := NewTestServer(t)
	if _, err := ts.AddFault(Fault{Match: FaultMatch{HasMsgKey: &no}, Action: FaultAction{Reset: true, When: ResetAfterApply}}); err != nil {
		t.Fatal(err)
	}
	if resp, err := httpPost(ts.EndpointURL(), `{"SessionId":"`+testSession+`","Chunk":"a"}`); err == nil {
		t.Fatalf("the connection was not reset: status %d", resp.StatusCode)
	}
	ex := ts.Requests(ExchangeFilter{})
	if len(ex) != 1 || ex[0].Status != 0 || ex[0].Reply != "" || !ex[0].Applied || ex[0].MsgKey == "" || ex[0].Action != "reset" {
		t.Fatalf("journal %+v", ex)
	}
	if st, ok := ts.Stream(ex[0].MsgKey); !ok || st.Text != "a" {
		t.Errorf("stream %+v", st)
	}
}
