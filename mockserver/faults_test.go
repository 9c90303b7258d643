package mockserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/deskmock/deskmock/mockserver/codes"
)

func TestEveryAPICodeOnDemand(t *testing.T) {
	ts := NewTestServer(t)
	for _, code := range codes.APICodes() {
		entry, _ := codes.Lookup(code)
		t.Run(fmt.Sprintf("trigger/%d", code), func(t *testing.T) {
			session := TriggerSessionID(code, 0)
			for call := 1; call <= 2; call++ {
				got := post(t, ts.EndpointURL(), `{"SessionId":"`+session+`","Chunk":"x"}`)
				if got.ErrorCode != code || got.ErrorInfo != entry.Info {
					t.Errorf("call %d: %+v, want %d %q", call, got, code, entry.Info)
				}
			}
		})
		t.Run(fmt.Sprintf("rule/%d", code), func(t *testing.T) {
			session := fmt.Sprintf("a0000000-0000-4000-8000-%012d", code)
			id, err := ts.AddFault(Fault{Match: FaultMatch{SessionID: session}, Action: FaultAction{ErrorCode: code}, Times: 1})
			if err != nil {
				t.Fatal(err)
			}
			got := post(t, ts.EndpointURL(), `{"SessionId":"`+session+`","Chunk":"x"}`)
			if got.ErrorCode != code || got.ErrorInfo != entry.Info {
				t.Errorf("%+v, want %d %q", got, code, entry.Info)
			}
			ex := ts.Requests(ExchangeFilter{SessionID: session, Limit: 1})
			if len(ex) != 1 || ex[0].Fault != id || ex[0].Applied {
				t.Errorf("journal %+v, want fault %s and nothing applied", ex, id)
			}
			if again := post(t, ts.EndpointURL(), `{"SessionId":"`+session+`","Chunk":"x"}`); again.ErrorCode != 0 {
				t.Errorf("after times: 1 the rule fired again: %+v", again)
			}
		})
	}
}

func TestTriggerOnNthCall(t *testing.T) {
	ts := NewTestServer(t)
	session := TriggerSessionID(20004, 2) // 00000000-0000-0000-0002-000000020004
	if session != "00000000-0000-0000-0002-000000020004" {
		t.Fatalf("TriggerSessionID = %s", session)
	}
	url := ts.EndpointURL()
	first := post(t, url, `{"SessionId":"`+session+`","Chunk":"Hello, "}`)
	second := post(t, url, `{"SessionId":"`+session+`","Chunk":"world","MsgKey":"`+first.MsgKey+`"}`)
	retry := post(t, url, `{"SessionId":"`+session+`","Chunk":"world","MsgKey":"`+first.MsgKey+`","Finish":1}`)
	got := []int{first.ErrorCode, second.ErrorCode, retry.ErrorCode}
	if fmt.Sprint(got) != "[0 20004 0]" {
		t.Errorf("codes %v, want [0 20004 0]", got)
	}
	if st, _ := ts.Stream(first.MsgKey); st.Text != "Hello, world" || !st.Finished {
		t.Errorf("stream %+v", st)
	}
}

func TestTriggerLookalikesAreOrdinarySessions(t *testing.T) {
	ts := NewTestServer(t)
	for _, id := range []string{
		"00000000-0000-0000-0000-000000000000", // code 0
		"00000000-0000-0000-0000-000000000007", // not a known code
		"00000000-0000-0000-00a0-000000020004", // call not decimal
	} {
		if got := post(t, ts.EndpointURL(), `{"SessionId":"`+id+`","Chunk":"x"}`); got.ErrorCode != 0 {
			t.Errorf("%s: %+v, want OK", id, got)
		}
	}
}

func TestFaultMatching(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		name  string
		match FaultMatch
		// fires lists, per request of the script below, whether the rule fires.
		fires string
	}{
		{"everything", FaultMatch{}, "11111"},
		{"nth", FaultMatch{Nth: 2}, "01000"},
		{"session", FaultMatch{SessionID: otherSession}, "00011"},
		{"call on session", FaultMatch{SessionID: testSession, Call: 2}, "01000"},
		{"call alone", FaultMatch{Call: 1}, "10010"},
		{"chunk contains", FaultMatch{ChunkContains: "b"}, "01010"},
		{"has MsgKey", FaultMatch{HasMsgKey: &yes}, "01101"},
		{"no MsgKey", FaultMatch{HasMsgKey: &no}, "10010"},
		{"finish", FaultMatch{Finish: &yes}, "00101"},
		{"not finish", FaultMatch{Finish: &no}, "11010"},
	}
	script := []string{
		`{"SessionId":"` + testSession + `","Chunk":"a"}`,
		`{"SessionId":"` + testSession + `","Chunk":"b","MsgKey":"k"}`,
		`{"SessionId":"` + testSession + `","Chunk":"c","MsgKey":"k","Finish":1}`,
		`{"SessionId":"` + otherSession + `","Chunk":"b"}`,
		`{"SessionId":"` + otherSession + `","Chunk":"d","MsgKey":"k","Finish":1}`,
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := NewTestServer(t)
			if _, err := ts.AddFault(Fault{Match: tt.match, Action: FaultAction{ErrorCode: 20006}}); err != nil {
				t.Fatal(err)
			}
			url := ts.EndpointURL()
			var got strings.Builder
			for _, body := range script {
				if post(t, url, body).ErrorCode == 20006 {
					got.WriteByte('1')
				} else {
					got.WriteByte('0')
				}
			}
			if got.String() != tt.fires {
				t.Errorf("fired %s, want %s", got.String(), tt.fires)
			}
		})
	}
}

func TestFaultProbabilityReplays(t *testing.T) {
	run := func(seed uint64) string {
		ts := NewTestServer(t)
		p := 0.5
		if _, err := ts.AddFault(Fault{Action: FaultAction{ErrorCode: 20005}, Probability: &p, Seed: seed}); err != nil {
			t.Fatal(err)
		}
		url := ts.EndpointURL()
		var b strings.Builder
		for range 40 {
			fmt.Fprint(&b, min(1, post(t, url, `{"SessionId":"`+testSession+`","Chunk":"x"}`).ErrorCode))
		}
		return b.String()
	}
	a, b, c := run(7), run(7), run(8)
	if a != b {
		t.Errorf("same seed, different runs:\n%s\n%s", a, b)
	}
	if a == c {
		t.Errorf("different seeds, same run: %s", a)
	}
	if n := strings.Count(a, "1"); n < 8 || n > 32 {
		t.Errorf("probability 0.5 fired %d times of 40", n)
	}
}

func TestFaultRulesInOrderFirstMatchFires(t *testing.T) {
	ts := NewTestServer(t)
	ts.AddFault(Fault{Match: FaultMatch{ChunkContains: "x"}, Action: FaultAction{ErrorCode: 20004}, Times: 1})
	ts.AddFault(Fault{Action: FaultAction{ErrorCode: 20005}})
	url := ts.EndpointURL()
	var got []int
	for range 3 {
		got = append(got, post(t, url, `{"SessionId":"`+testSession+`","Chunk":"x"}`).ErrorCode)
	}
	if fmt.Sprint(got) != "[20004 20005 20005]" {
		t.Errorf("codes %v", got)
	}
	f := ts.Faults()
	if len(f) != 2 || f[0].Fired != 1 || f[1].Fired != 2 {
		t.Errorf("fired counts %+v", f)
	}
}

func TestFaultCustomErrorInfo(t *testing.T) {
	ts := NewTestServer(t)
	ts.AddFault(Fault{Action: FaultAction{ErrorCode: 99999, ErrorInfo: "custom trouble"}})
	got := post(t, ts.EndpointURL(), `{"SessionId":"`+testSession+`","Chunk":"x"}`)
	if got.ErrorCode != 99999 || got.ErrorInfo != "custom trouble" {
		t.Errorf("%+v", got)
	}
}

func TestNetworkFaults(t *testing.T) {
	body := `{"SessionId":"` + testSession + `","Chunk":"second","MsgKey":"%s"}`
	tests := []struct {
		name   string
		action FaultAction
		check  func(t *testing.T, resp *http.Response, err error, elapsed time.Duration, st Stream)
	}{
		{"502 from a gateway", FaultAction{HTTPStatus: 502}, func(t *testing.T, resp *http.Response, err error, _ time.Duration, st Stream) {
			if err != nil || resp.StatusCode != 502 {
				t.Fatalf("got %v %v, want 502", resp, err)
			}
			b, _ := io.ReadAll(resp.Body)
			if !strings.Contains(string(b), "502 Bad Gateway") || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
				t.Errorf("body %q (%s), want a gateway's HTML page", b, resp.Header.Get("Content-Type"))
			}
			if st.Text != "first " {
				t.Errorf("text %q: a 502 applied the chunk", st.Text)
			}
		}},
		{"503 with an empty body", FaultAction{HTTPStatus: 503, Body: new(string)}, func(t *testing.T, resp *http.Response, err error, _ time.Duration, st Stream) {
			if err != nil || resp.StatusCode != 503 || resp.ContentLength != 0 {
				t.Fatalf("got %v %v, want an empty 503", resp, err)
			}
		}},
		{"delay then answer", FaultAction{DelayMS: 150}, func(t *testing.T, resp *http.Response, err error, elapsed time.Duration, st Stream) {
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("got %v %v", resp, err)
			}
			if elapsed < 150*time.Millisecond {
				t.Errorf("answered after %v, before the 150 ms delay", elapsed)
			}
			if st.Text != "first second" {
				t.Errorf("text %q: the delayed chunk was not applied", st.Text)
			}
		}},
		{"delay then error code", FaultAction{DelayMS: 100, ErrorCode: 20004}, func(t *testing.T, resp *http.Response, err error, elapsed time.Duration, st Stream) {
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			if rep := decodeReply(t, b); rep.ErrorCode != 20004 || elapsed < 100*time.Millisecond {
				t.Errorf("%+v after %v", rep, elapsed)
			}
			if st.Text != "first " {
				t.Errorf("text %q", st.Text)
			}
		}},
		{"reset before apply", FaultAction{Reset: true}, func(t *testing.T, resp *http.Response, err error, _ time.Duration, st Stream) {
			if err == nil {
				t.Fatalf("got a reply %v, want a reset", resp.Status)
			}
			if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("error %v, want a connection reset", err)
			}
			if st.Text != "first " || st.Calls != 1 {
				t.Errorf("stream %+v changed", st)
			}
		}},
		{"reset after apply", FaultAction{Reset: true, When: ResetAfterApply}, func(t *testing.T, resp *http.Response, err error, _ time.Duration, st Stream) {
			if err == nil {
				t.Fatalf("got a reply %v, want a reset", resp.Status)
			}
			if st.Text != "first second" || st.Calls != 2 {
				t.Errorf("stream %+v, want the chunk appended", st)
			}
		}},
		{"truncated reply", FaultAction{Truncate: true}, func(t *testing.T, resp *http.Response, err error, _ time.Duration, st Stream) {
			if err != nil {
				t.Fatalf("headers should arrive: %v", err)
			}
			b, rerr := io.ReadAll(resp.Body)
			if rerr == nil {
				t.Errorf("body %q read to the end, want an unexpected EOF", b)
			}
			var v any
			if json.Unmarshal(b, &v) == nil {
				t.Errorf("truncated body %q parses as JSON", b)
			}
			if st.Text != "first second" {
				t.Errorf("text %q, want the chunk applied", st.Text)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := NewTestServer(t)
			first := post(t, ts.EndpointURL(), `{"SessionId":"`+testSession+`","Chunk":"first "}`)
			if _, err := ts.AddFault(Fault{Action: tt.action, Times: 1}); err != nil {
				t.Fatal(err)
			}
			client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			start := time.Now()
			resp, err := client.Post(ts.EndpointURL(), "application/json", strings.NewReader(fmt.Sprintf(body, first.MsgKey)))
			elapsed := time.Since(start)
			if err == nil {
				defer resp.Body.Close()
			}
			st, _ := ts.Stream(first.MsgKey)
			tt.check(t, resp, err, elapsed, st)
			ex := ts.Requests(ExchangeFilter{Limit: 1})
			if len(ex) != 1 || ex[0].Fault == "" || ex[0].Action != tt.action.name() {
				t.Errorf("journal %+v, want the fault recorded", ex)
			}
		})
	}
}

func TestFaultValidation(t *testing.T) {
	p2 := 2.0
	tests := []struct {
		name string
		f    Fault
		want string
	}{
		{"no action", Fault{}, "action: give one of"},
		{"two actions", Fault{Action: FaultAction{ErrorCode: 20004, HTTPStatus: 502}}, "at most one"},
		{"unknown code without text", Fault{Action: FaultAction{ErrorCode: 5}}, "action/error_code"},
		{"status out of range", Fault{Action: FaultAction{HTTPStatus: 99}}, "action/http_status"},
		{"when without reset", Fault{Action: FaultAction{DelayMS: 1, When: ResetAfterApply}}, "action/when"},
		{"bad when", Fault{Action: FaultAction{Reset: true, When: "later"}}, "action/when"},
		{"probability", Fault{Action: FaultAction{Reset: true}, Probability: &p2}, "probability"},
		{"bad session", Fault{Match: FaultMatch{SessionID: "x"}, Action: FaultAction{Reset: true}}, "match/session_id"},
		{"negative call", Fault{Match: FaultMatch{Call: -1}, Action: FaultAction{Reset: true}}, "match/call"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.f.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}
