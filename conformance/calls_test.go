package conformance

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/deskmock/deskmock/conformance/protocol"
	"github.com/deskmock/deskmock/mockserver"
	"github.com/deskmock/deskmock/mockserver/codes"
)

// shape is what analyze makes of a call, in a comparable form.
type shape struct {
	Kind    callKind
	Index   int
	Attempt int
	Outcome outcome
	Reason  string
}

func shapes(calls []call) []shape {
	out := make([]shape, len(calls))
	for i, c := range calls {
		out[i] = shape{c.kind, c.index, c.attempt, c.outcome, c.reason}
	}
	return out
}

func TestAnalyze(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		journal *journal
		want    []shape
	}{
		{
			name:    "clean",
			journal: cleanJournal(),
			want:    []shape{{firstAttempt, 0, 1, success, "ok"}, {firstAttempt, 1, 1, success, "ok"}, {firstAttempt, 2, 1, success, "ok"}},
		},
		{
			name: "retry after 20004",
			journal: new(journal).ok("Hello, ", "", false).code("this is ", testKey, false, 20004).
				ok("this is ", testKey, false).ok("Tencent Cloud.", testKey, true),
			want: []shape{
				{firstAttempt, 0, 1, success, "ok"}, {firstAttempt, 1, 1, retryable, "ErrorCode 20004"},
				{retryAttempt, 1, 2, success, "ok"}, {firstAttempt, 2, 1, success, "ok"},
			},
		},
		{
			name:    "a repeated chunk after success is unexpected",
			journal: new(journal).ok("Hello, ", "", false).ok("this is ", testKey, false).ok("this is ", testKey, false).ok("Tencent Cloud.", testKey, true),
			want: []shape{
				{firstAttempt, 0, 1, success, "ok"}, {firstAttempt, 1, 1, success, "ok"},
				{unexpected, -1, 0, success, "ok"}, {firstAttempt, 2, 1, success, "ok"},
			},
		},
		{
			name:    "a skipped chunk",
			journal: new(journal).ok("Hello, ", "", false).ok("Tencent Cloud.", testKey, true),
			want:    []shape{{firstAttempt, 0, 1, success, "ok"}, {unexpected, -1, 0, success, "ok"}},
		},
		{
			name: "transport failures",
			journal: new(journal).
				add(body("Hello, ", "", false), 0, "", func(e *mockserver.Exchange) { e.Fault, e.Action = "f1", "reset" }).
				add(body("Hello, ", "", false), 502, "<html>", func(e *mockserver.Exchange) { e.Fault, e.Action = "f2", "http_status" }).
				add(body("Hello, ", "", false), 0, "", func(e *mockserver.Exchange) { e.Fault, e.Action = "f3", "delay (client gone)" }).
				add(body("Hello, ", "", false), 200, `{"ActionStatus":"OK","Err`, func(e *mockserver.Exchange) { e.Fault, e.Action = "f4", "truncate" }).
				add(body("Hello, ", "", false), 404, "no", nil...).
				ok("Hello, ", "", false),
			want: []shape{
				{firstAttempt, 0, 1, retryable, "connection dropped without a reply"},
				{retryAttempt, 0, 2, retryable, "HTTP 502"},
				{retryAttempt, 0, 3, retryable, "no reply: the client gave up waiting"},
				{retryAttempt, 0, 4, retryable, "a truncated reply"},
				{retryAttempt, 0, 5, fatal, "HTTP 404"},
				{retryAttempt, 0, 6, success, "ok"},
			},
		},
		{
			name: "a body over the limit counts as the chunk due",
			journal: new(journal).ok("Hello, ", "", false).
				add("", 200, errReply(93000), func(e *mockserver.Exchange) { e.Code, e.Check = 93000, codes.CheckBodyTooLarge }),
			want: []shape{{firstAttempt, 0, 1, success, "ok"}, {firstAttempt, 1, 1, fatal, "ErrorCode 93000"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			calls := analyze(tt.journal.ex, threeChunks, v1)
			if d := cmp.Diff(tt.want, shapes(calls), cmp.AllowUnexported(shape{})); d != "" {
				t.Errorf("analyze (-want +got):\n%s", d)
			}
		})
	}
}

func TestWhyUnexpected(t *testing.T) {
	t.Parallel()
	tests := []struct {
		chunk     string
		next      int
		wantNote  string
		wantLabel string
	}{
		{"this is ", 2, "chunk 2/3 again, after it was accepted", "2/3 again"},
		{"Tencent Cloud.", 1, "chunk 3/3 before chunk 2/3", "3/3 too early"},
		{"Hello, ", 3, "chunk 1/3 again, after it was accepted", "1/3 again"},
		{"extra", 3, "a call after the last chunk", "after the last"},
		{"extra", 1, "a chunk that is not in the case", "not in the case"},
	}
	for _, tt := range tests {
		if note, label := whyUnexpected(tt.chunk, threeChunks, tt.next); note != tt.wantNote || label != tt.wantLabel {
			t.Errorf("whyUnexpected(%q, next %d) = %q, %q; want %q, %q", tt.chunk, tt.next, note, label, tt.wantNote, tt.wantLabel)
		}
	}
}

func TestReadBody(t *testing.T) {
	t.Parallel()
	c2c, _ := protocol.EndpointOf(protocol.VersionC2C)
	group, _ := protocol.EndpointOf(protocol.VersionGroup)
	elem := func(content string) string {
		return `"MsgBody":[{"MsgType":"TIMStreamElem","MsgContent":{` + content + `}}]`
	}
	tests := []struct {
		ep                   protocol.Endpoint
		body                 string
		wantKnown, wantKey   bool
		wantChunk, wantMsgKy string
		wantFinish           bool
		wantConv             string
	}{
		{v1, `{"SessionId":"s","Chunk":"a"}`, true, false, "a", "", false, "SessionId=s"},
		{v1, `{"SessionId":"s","Chunk":"a","MsgKey":"k","Finish":1}`, true, true, "a", "k", true, "SessionId=s"},
		{v1, `{"SessionId":"s","Chunk":"a","MsgKey":null,"Finish":0}`, true, true, "a", "", false, "SessionId=s"},
		{v1, `{"SessionId":"s","Chunk":"a","Finish":1.0}`, true, false, "a", "", true, "SessionId=s"},
		{v1, `{"SessionId":7,"Chunk":"a"}`, true, false, "a", "", false, "SessionId=7 (not a string)"},
		{v1, `not json`, true, false, "", "", false, ""},
		{c2c, `{"To_Account":"bob",` + elem(`"Chunks":[{"EventType":"data","Index":1,"Markdown":"a","IsLast":false}]`) + `}`, true, false, "a", "", false, "no From_Account To_Account=bob"},
		{c2c, `{"From_Account":"bot","To_Account":"bob",` + elem(`"StreamMsgID":"k","Chunks":[{"EventType":"data","Index":2,"Markdown":"b","IsLast":true}]`) + `}`, true, true, "b", "k", true, "From_Account=bot To_Account=bob"},
		// A MsgKey at the top level is not where c2c carries its key.
		{c2c, `{"To_Account":"bob","MsgKey":"k",` + elem(`"Chunks":[]`) + `}`, true, false, "", "", false, "no From_Account To_Account=bob"},
		{group, `{"GroupId":"g","From_Account":"",` + elem(`"StreamMsgID":"k","Chunks":[]`) + `}`, true, true, "", "k", false, "GroupId=g From_Account="},
		{group, `{"GroupId":"g","MsgBody":[]}`, true, false, "", "", false, "GroupId=g no From_Account"},
	}
	for _, tt := range tests {
		c := call{Exchange: mockserver.Exchange{Body: tt.body}}
		c.readBody(tt.ep)
		if c.bodyKnown != tt.wantKnown || c.hasMsgKey != tt.wantKey || c.chunk != tt.wantChunk || c.msgKey != tt.wantMsgKy || c.finish != tt.wantFinish || c.conv != tt.wantConv {
			t.Errorf("%s: readBody(%s) = known %v, has key %v, chunk %q, key %q, finish %v, conversation %q", tt.ep.Name, tt.body, c.bodyKnown, c.hasMsgKey, c.chunk, c.msgKey, c.finish, c.conv)
		}
	}
}
