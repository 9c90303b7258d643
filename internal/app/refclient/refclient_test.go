package refclient

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deskmock/deskmock/conformance/protocol"
	"github.com/deskmock/deskmock/mockserver"
)

func boolPtr(b bool) *bool { return &b }

func TestStream(t *testing.T) {
	t.Parallel()
	chunks := []string{"Hello, ", "this is ", "Tencent Cloud."}
	tests := []struct {
		name      string
		faults    []mockserver.Fault
		bugs      Bugs
		chatbot   string // the chatbot that streams, on the chatbot endpoint; "" streams on v1
		noChunks  bool   // stream nothing: the Desk calls of then instead
		then      []string
		want      Answer // MsgKey is checked against the stream when OK
		wantText  []string
		wantCalls int
	}{
		{name: "clean", want: Answer{OK: true}, wantText: []string{"Hello, this is Tencent Cloud."}, wantCalls: 3},
		{
			name:      "20004 once is retried",
			faults:    []mockserver.Fault{{Match: mockserver.FaultMatch{Call: 2}, Action: mockserver.FaultAction{ErrorCode: 20004}, Times: 1}},
			want:      Answer{OK: true},
			wantText:  []string{"Hello, this is Tencent Cloud."},
			wantCalls: 4,
		},
		{
			name:      "502 then reset before apply are retried",
			faults:    []mockserver.Fault{{Match: mockserver.FaultMatch{Call: 2}, Action: mockserver.FaultAction{HTTPStatus: 502}, Times: 1}, {Match: mockserver.FaultMatch{Call: 3}, Action: mockserver.FaultAction{Reset: true}, Times: 1}},
			want:      Answer{OK: true},
			wantText:  []string{"Hello, this is Tencent Cloud."},
			wantCalls: 5,
		},
		{
			name:      "persistent 141002 gives up after the attempts",
			faults:    []mockserver.Fault{{Match: mockserver.FaultMatch{HasMsgKey: boolPtr(true)}, Action: mockserver.FaultAction{ErrorCode: 141002}}},
			want:      Answer{ErrorCode: 141002, ErrorInfo: "Internal system error, please retry."},
			wantText:  []string{"Hello, "},
			wantCalls: 1 + DefaultMaxAttempts,
		},
		{
			name:      "141004 is not retried",
			faults:    []mockserver.Fault{{Match: mockserver.FaultMatch{Call: 2}, Action: mockserver.FaultAction{ErrorCode: 141004}}},
			want:      Answer{ErrorCode: 141004, ErrorInfo: "Illegal request parameters, please check and retry."},
			wantText:  []string{"Hello, "},
			wantCalls: 2,
		},
		{
			name:      "bug: never retry 20004",
			faults:    []mockserver.Fault{{Match: mockserver.FaultMatch{Call: 2}, Action: mockserver.FaultAction{ErrorCode: 20004}, Times: 1}},
			bugs:      Bugs{NeverRetry: []int{20004}},
			want:      Answer{ErrorCode: 20004, ErrorInfo: "Network issue, please retry."},
			wantText:  []string{"Hello, "},
			wantCalls: 2,
		},
		{name: "chatbot", chatbot: "@RBT#my_bot", want: Answer{OK: true}, wantText: []string{"Hello, this is Tencent Cloud."}, wantCalls: 3},
		{
			name:      "chatbot: 10002 once is retried",
			chatbot:   "@RBT#my_bot",
			faults:    []mockserver.Fault{{Match: mockserver.FaultMatch{Endpoint: mockserver.Chatbot, Call: 2}, Action: mockserver.FaultAction{ErrorCode: 10002}, Times: 1}},
			want:      Answer{OK: true},
			wantText:  []string{"Hello, this is Tencent Cloud."},
			wantCalls: 4,
		},
		{
			name:      "chatbot: a sender that is no chatbot gets 10004, not retried",
			chatbot:   "@RBT#nobody",
			want:      Answer{ErrorCode: 10004, ErrorInfo: "Invalid parameter: a required field is missing or malformed."},
			wantCalls: 1,
		},
		{
			name: "transfer, then the state", then: []string{protocol.CallTransfer, protocol.CallSessionState},
			want: Answer{OK: true, Then: []protocol.CallAnswer{
				{Call: protocol.CallTransfer, OK: true, AgentID: "agent@example.com"},
				{Call: protocol.CallSessionState, OK: true, CurrentState: "Agent"},
			}},
			wantText: []string{"Hello, this is Tencent Cloud."}, wantCalls: 5,
		},
		{
			name: "a transfer instead of a stream", noChunks: true, then: []string{protocol.CallTransfer},
			want:      Answer{OK: true, Then: []protocol.CallAnswer{{Call: protocol.CallTransfer, OK: true, AgentID: "agent@example.com"}}},
			wantCalls: 1,
		},
		{
			name:   "141005 stops the stream, then the state is read",
			faults: []mockserver.Fault{{Match: mockserver.FaultMatch{Endpoint: mockserver.V1, Call: 2}, Action: mockserver.FaultAction{ErrorCode: 141005}}},
			then:   []string{protocol.CallSessionState},
			want: Answer{ErrorCode: 141005, ErrorInfo: "This session does not exist.",
				Then: []protocol.CallAnswer{{Call: protocol.CallSessionState, OK: true, CurrentState: "Chatbot"}}},
			wantText: []string{"Hello, "}, wantCalls: 3,
		},
		{
			name:   "bug: stream after the session ends",
			faults: []mockserver.Fault{{Match: mockserver.FaultMatch{Call: 2}, Action: mockserver.FaultAction{ErrorCode: 141005}}},
			bugs:   Bugs{StreamAfterSessionEnds: true},
			want:   Answer{ErrorCode: 141005, ErrorInfo: "This session does not exist."},
			// The third call carries Finish: 1 and is applied.
			wantText: []string{"Hello, Tencent Cloud."}, wantCalls: 3,
		},
		{
			name: "bug: never transfer", then: []string{protocol.CallTransfer, protocol.CallSessionState}, bugs: Bugs{NeverTransfer: true},
			want:     Answer{OK: true, Then: []protocol.CallAnswer{{Call: protocol.CallSessionState, OK: true, CurrentState: "Chatbot"}}},
			wantText: []string{"Hello, this is Tencent Cloud."}, wantCalls: 4,
		},
		{name: "bug: forget MsgKey", bugs: Bugs{ForgetMsgKey: true}, want: Answer{OK: true}, wantText: []string{"Hello, ", "this is ", "Tencent Cloud."}, wantCalls: 3},
		{name: "bug: double the middle chunk", bugs: Bugs{DoubleMiddleChunk: true}, want: Answer{OK: true}, wantText: []string{"Hello, this is this is Tencent Cloud."}, wantCalls: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts := mockserver.NewTestServer(t)
			for _, f := range tt.faults {
				if _, err := ts.AddFault(f); err != nil {
					t.Fatal(err)
				}
			}
			in := Input{
				BaseURL: ts.URL, SDKAppID: ts.App.SDKAppID, Identifier: ts.Identifier, SecretKey: ts.App.SecretKey,
				SessionID: "fd8a2e30-54de-4e40-bcaf-02718409c5cf", Chunks: chunks, Then: tt.then,
			}
			if tt.noChunks {
				in.Chunks = nil
			}
			if tt.chatbot != "" {
				in.Version, in.SessionID, in.FromAccount, in.ToAccount = protocol.VersionChatbot, "", tt.chatbot, "user01"
			}
			got := Stream(context.Background(), in, Options{Backoff: time.Millisecond, Bugs: tt.bugs})
			streams := ts.Streams()
			var text []string
			for _, s := range streams {
				text = append(text, s.Text)
			}
			if strings.Join(text, "|") != strings.Join(tt.wantText, "|") {
				t.Errorf("stream texts = %q, want %q", text, tt.wantText)
			}
			want := tt.want
			if want.OK && len(streams) > 0 {
				want.MsgKey = streams[0].MsgKey
			}
			if !cmp.Equal(got, want) {
				t.Errorf("answer = %+v, want %+v", got, want)
			}
			if n := len(ts.Requests(mockserver.ExchangeFilter{})); n != tt.wantCalls {
				t.Errorf("%d requests, want %d", n, tt.wantCalls)
			}
		})
	}
}

func TestRequestTimeout(t *testing.T) {
	t.Parallel()
	ts := mockserver.NewTestServer(t)
	ts.AddFault(mockserver.Fault{Match: mockserver.FaultMatch{Call: 1}, Action: mockserver.FaultAction{DelayMS: 5000}, Times: 1})
	in := Input{BaseURL: ts.URL, SDKAppID: ts.App.SDKAppID, Identifier: ts.Identifier, UserSig: ts.SignUserSig(),
		SessionID: "fd8a2e30-54de-4e40-bcaf-02718409c5cf", Chunks: []string{"one"}}
	start := time.Now()
	got := Stream(context.Background(), in, Options{RequestTimeout: 100 * time.Millisecond, Backoff: time.Millisecond, GivenUserSig: true})
	if !got.OK {
		t.Fatalf("answer = %+v, want ok", got)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("took %s: the request timeout did not cut the delay", took)
	}
}

func TestPause(t *testing.T) {
	t.Parallel()
	o := Options{}.withDefaults()
	var got []time.Duration
	for a := 1; a <= 6; a++ {
		got = append(got, o.pause(a))
	}
	want := []time.Duration{25, 50, 100, 200, 400, 400}
	for i := range want {
		if got[i] != want[i]*time.Millisecond {
			t.Fatalf("pauses = %v, want %v ms", got, want)
		}
	}
}

func TestQueryEscape(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"eAEBrABT-3si*Vx_": "eAEBrABT-3si*Vx_",
		"admin user":       "admin%20user",
		"a&b=c":            "a%26b%3Dc",
		"管理":               "%E7%AE%A1%E7%90%86",
	} {
		if got := queryEscape(in); got != want {
			t.Errorf("queryEscape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMainCommandLine(t *testing.T) {
	t.Parallel()
	ts := mockserver.NewTestServer(t)
	in, _ := json.Marshal(Input{BaseURL: ts.URL, SDKAppID: ts.App.SDKAppID, Identifier: ts.Identifier, SecretKey: ts.App.SecretKey,
		SessionID: "fd8a2e30-54de-4e40-bcaf-02718409c5cf", Chunks: []string{"a", "b"}})
	var out, errOut bytes.Buffer
	if code := Main(nil, bytes.NewReader(in), &out, &errOut, Bugs{}); code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errOut.String())
	}
	var a Answer
	if err := json.Unmarshal(out.Bytes(), &a); err != nil || !a.OK || a.MsgKey == "" {
		t.Errorf("stdout %q: answer %+v, %v", out.String(), a, err)
	}
	if code := Main(nil, strings.NewReader("not json"), &out, &errOut, Bugs{}); code != 2 {
		t.Errorf("exit %d on a bad case, want 2", code)
	}
}

// TestStreamWaitsThePauses: on the endpoints without an Index too, the
// client waits each chunk's pause before sending it, as a stalling
// producer would.
func TestStreamWaitsThePauses(t *testing.T) {
	t.Parallel()
	const pause = 300 * time.Millisecond
	for _, version := range []string{protocol.VersionV1, protocol.VersionChatbot} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			ts := mockserver.NewTestServer(t)
			in := Input{
				BaseURL: ts.URL, SDKAppID: ts.App.SDKAppID, Identifier: ts.Identifier, SecretKey: ts.App.SecretKey,
				Version: version, Chunks: []string{"Hello, ", "this is ", "Tencent Cloud."}, PausesMS: []int{0, 0, int(pause / time.Millisecond)},
			}
			if version == protocol.VersionChatbot {
				in.FromAccount, in.ToAccount = "@RBT#my_bot", "user01"
			} else {
				in.SessionID = "fd8a2e30-54de-4e40-bcaf-02718409c5cf"
			}
			if got := Stream(context.Background(), in, Options{}); !got.OK {
				t.Fatalf("answer = %+v", got)
			}
			ex := ts.Requests(mockserver.ExchangeFilter{})
			if len(ex) != 3 {
				t.Fatalf("%d requests, want 3", len(ex))
			}
			slices.SortFunc(ex, func(a, b mockserver.Exchange) int { return a.Time.Compare(b.Time) })
			if d := ex[2].Time.Sub(ex[1].Time); d < pause {
				t.Errorf("the third call came %s after the second, want the pause of %s at least", d, pause)
			}
			if d := ex[1].Time.Sub(ex[0].Time); d >= pause {
				t.Errorf("the second call came %s after the first, which has no pause", d)
			}
		})
	}
}
