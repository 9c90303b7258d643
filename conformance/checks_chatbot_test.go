package conformance

import (
	"encoding/json"
	"testing"

	"github.com/deskmock/deskmock/conformance/protocol"
	"github.com/deskmock/deskmock/mockserver"
	"github.com/deskmock/deskmock/mockserver/codes"
)

// chatbot builds the journal of a chatbot case: v1's Chunk, MsgKey and
// Finish, with From_Account and To_Account instead of a SessionId.
type chatbot struct {
	fields map[string]any // the conversation's fields of every body
	j      *journal
}

func newChatbot(fields map[string]any) *chatbot { return &chatbot{fields: fields, j: new(journal)} }

// body writes a request body with one chunk.
func (b *chatbot) body(chunk, key string, finish bool) string {
	m := map[string]any{"Chunk": chunk}
	for k, v := range b.fields {
		m[k] = v
	}
	if key != "" {
		m["MsgKey"] = key
	}
	if finish {
		m["Finish"] = 1
	}
	out, _ := json.Marshal(m)
	return string(out)
}

func onChatbot(e *mockserver.Exchange) {
	e.Version, e.Path = protocol.VersionChatbot, mockserver.EndpointChatbotPath
}

// ok appends a successful call; the first one issues testKey.
func (b *chatbot) ok(chunk, key string, finish bool) *chatbot {
	reply := okReply
	if key == "" {
		reply = okKeyReply(testKey)
	}
	b.j.add(b.body(chunk, key, finish), 200, reply, onChatbot, applied)
	return b
}

// refused appends a call the mock refused with code by check.
func (b *chatbot) refused(chunk, key string, finish bool, code int, check codes.Check) *chatbot {
	b.j.add(b.body(chunk, key, finish), 200, errReply(code), onChatbot, func(e *mockserver.Exchange) { e.Code, e.Check = code, check })
	return b
}

// bot is the conversation of the chatbot cases below.
var bot = map[string]any{"From_Account": "@RBT#my_bot", "To_Account": "bob"}

// chatbotCase is a case of chunks from the default chatbot to bob.
func chatbotCase(chunks ...string) *Case {
	c := testCase(chunks...)
	c.Input = CaseInput{Version: protocol.VersionChatbot, ToAccount: "bob", Chunks: c.Input.Chunks}
	return c
}

func TestCarefulChatbotClientPassesEveryCheck(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		c      *Case
		b      *chatbot
		stream []string
	}{
		{"three chunks", chatbotCase(threeChunks...), newChatbot(bot).ok("Hello, ", "", false).ok("this is ", testKey, false).ok("Tencent Cloud.", testKey, true), threeChunks},
		{"Finish on the first call", chatbotCase("Hello."), newChatbot(bot).ok("Hello.", "", true), []string{"Hello."}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			passed := 0
			for _, r := range grade(evidenceOf(tt.c, tt.b.j, []mockserver.Stream{streamOf(true, tt.stream...)}, okAnswer)) {
				switch r.Outcome {
				case Fail:
					t.Errorf("%s %s failed: %s\n%s", r.Level, r.Name, r.Message, r.Diff)
				case Pass:
					passed++
				}
			}
			if passed < 18 {
				t.Errorf("%d checks passed, want the stream's checks to apply", passed)
			}
		})
	}
}

// TestChecksChatbot: the checks of v1 grade the chatbot stream on its
// own wire names.
func TestChecksChatbot(t *testing.T) {
	t.Parallel()
	first := func() *chatbot { return newChatbot(bot).ok("Hello, ", "", false) }
	tests := []struct {
		check    string
		name     string
		b        *chatbot
		streams  []mockserver.Stream
		stdout   string
		want     Outcome
		wantText string
	}{
		{check: "stream/conversation", name: "no From_Account", b: newChatbot(map[string]any{"To_Account": "bob"}).ok("Hello, ", "", false),
			want: Fail, wantText: `-   "#1 From_Account=@RBT#my_bot To_Account=bob"`},
		{check: "stream/conversation", name: "another chatbot", b: first().add(map[string]any{"From_Account": "@RBT#other", "To_Account": "bob"}, "this is "),
			want: Fail, wantText: `+   "#2 From_Account=@RBT#other To_Account=bob"`},
		{check: "request/path", name: "the c2c path", b: newChatbot(bot).ok("Hello.", "", true).path(mockserver.EndpointC2CPath),
			want: Fail, wantText: mockserver.EndpointChatbotPath},
		{check: "request/body/schema", name: "no From_Account", b: newChatbot(map[string]any{"To_Account": "bob"}).ok("Hello, ", "", false),
			want: Fail, wantText: "From_Account"},
		{check: "stream/msgkey-reused", name: "forgotten", b: first().ok("this is ", "", false),
			want: Fail, wantText: `+   "#2 no MsgKey"`},
		{check: "stream/finish-last", name: "never finished", b: first().ok("this is ", testKey, false).ok("Tencent Cloud.", testKey, false),
			want: Fail, wantText: `+   "#3 chunk 3 no Finish"`},
		{check: "stream/nothing-after-finish", name: "a call after Finish", b: newChatbot(bot).ok("Hello.", "", true).refused("Hello.", testKey, true, 10004, codes.CheckStreamFinished),
			want: Fail, wantText: "call #1 finished the stream"},
		{check: "retry/non-retryable-not-retried", name: "10004 retried", b: newChatbot(bot).refused("Hello, ", "", false, 10004, codes.CheckNotRobot).refused("Hello, ", "", false, 10004, codes.CheckNotRobot),
			stdout: `{"ok":false,"error_code":10004}`, want: Fail, wantText: "10004"},
		{check: "retry/retryable-retried", name: "10002 not retried", b: first().refused("this is ", testKey, false, 10002, codes.CheckInternal),
			stdout: `{"ok":false,"error_code":10002}`, want: Fail, wantText: "10002"},
		{check: "answer/error-code", name: "sender not a chatbot reported", b: newChatbot(bot).refused("Hello, ", "", false, 10004, codes.CheckNotRobot),
			stdout: `{"ok":false,"error_code":10004}`, want: Pass},
		{check: "v2/paced", name: "no per-stream rate", b: first().ok("this is ", testKey, false).ok("Tencent Cloud.", testKey, true),
			want: NotApplicable, wantText: "no per-stream rate"},
	}
	for _, tt := range tests {
		t.Run(tt.check+"/"+tt.name, func(t *testing.T) {
			t.Parallel()
			stdout := tt.stdout
			if stdout == "" {
				stdout = okAnswer
			}
			streams := tt.streams
			if streams == nil {
				streams = finished()
			}
			checkVerdict(t, tt.check, evidenceOf(chatbotCase(threeChunks...), tt.b.j, streams, stdout), tt.want, tt.wantText)
		})
	}
}

// add appends a successful continuation whose body names the conversation
// with fields.
func (b *chatbot) add(fields map[string]any, chunk string) *chatbot {
	other := &chatbot{fields: fields}
	b.j.add(other.body(chunk, testKey, false), 200, okReply, onChatbot, applied)
	return b
}

// path moves the last call to another path.
func (b *chatbot) path(p string) *chatbot {
	b.j.ex[len(b.j.ex)-1].Path = p
	return b
}
