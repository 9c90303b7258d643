package conformance

import (
	"encoding/json"
	"testing"

	"github.com/deskmock/deskmock/conformance/protocol"
	"github.com/deskmock/deskmock/mockserver"
	"github.com/deskmock/deskmock/mockserver/codes"
)

// native builds the journals of a c2c or group case: its bodies name the
// conversation with fields (From_Account absent when from is ""), carry
// the key as StreamMsgID in MsgContent, and its first reply issues it as
// StreamMsgID.
type native struct {
	version string
	fields  map[string]string // body fields that name the conversation
	j       *journal
}

func newNative(version string, fields map[string]string) *native {
	return &native{version: version, fields: fields, j: new(journal)}
}

// body writes a request body with one chunk; key goes where put says:
// "content" (right), "top" (as v2 does), "" (nowhere).
func (n *native) body(index int, chunk, key, put string, last bool) string {
	content := map[string]any{
		"CompatibleText": "Please upgrade to see this message.",
		"Chunks":         []any{map[string]any{"EventType": "data", "Index": index, "Markdown": chunk, "IsLast": last}},
	}
	m := map[string]any{"MsgBody": []any{map[string]any{"MsgType": "TIMStreamElem", "MsgContent": content}}}
	for k, v := range n.fields {
		m[k] = v
	}
	switch put {
	case "content":
		content["StreamMsgID"] = key
	case "top":
		m["MsgKey"] = key
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func (n *native) on(e *mockserver.Exchange) {
	e.Version = n.version
	e.Path = map[string]string{"c2c": mockserver.EndpointC2CPath, "group": mockserver.EndpointGroupPath}[n.version]
}

// ok appends a successful call; a call without key is the first and
// issues testKey.
func (n *native) ok(index int, chunk, key string, last bool) *native {
	reply := okReply
	put := "content"
	if key == "" {
		reply = `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"StreamMsgID":"` + testKey + `"}`
		put = ""
	}
	n.j.add(n.body(index, chunk, key, put, last), 200, reply, n.on, applied)
	return n
}

// raw appends a call with the body given.
func (n *native) raw(body string, reply string, edit ...func(*mockserver.Exchange)) *native {
	n.j.add(body, 200, reply, append([]func(*mockserver.Exchange){n.on}, edit...)...)
	return n
}

// reset appends a call applied, then reset by a fault.
func (n *native) reset(index int, chunk, key string, last bool) *native {
	n.j.add(n.body(index, chunk, key, "content", last), 0, "", n.on, applied, func(e *mockserver.Exchange) { e.Fault, e.Action = "f1", "reset" })
	return n
}

// refused appends a call the mock refused with 90010 by check.
func (n *native) refused(index int, chunk, key string, last bool, check codes.Check) *native {
	return n.raw(n.body(index, chunk, key, "content", last), errReply(90010), func(e *mockserver.Exchange) { e.Code, e.Check = 90010, check })
}

func (n *native) clean() *native {
	return n.ok(1, "Hello, ", "", false).ok(2, "this is ", testKey, false).ok(3, "Tencent Cloud.", testKey, true)
}

// nativeCase is a case of three chunks on version, with from as the given
// From_Account and to or group as the given To_Account or GroupId.
func nativeCase(version, from, to string) *Case {
	c := testCase(threeChunks...)
	c.Input = CaseInput{Version: version, FromAccount: from, Chunks: c.Input.Chunks}
	if version == protocol.VersionC2C {
		c.Input.ToAccount = to
	} else {
		c.Input.GroupID = to
	}
	return c
}

func TestCarefulNativeClientPassesEveryCheck(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		c    *Case
		n    *native
	}{
		{"c2c without From_Account", nativeCase("c2c", "", "bob"), newNative("c2c", map[string]string{"To_Account": "bob"}).clean()},
		{"c2c with From_Account", nativeCase("c2c", "bot", "bob"), newNative("c2c", map[string]string{"From_Account": "bot", "To_Account": "bob"}).clean()},
		{"group", nativeCase("group", "bot", "g1"), newNative("group", map[string]string{"From_Account": "bot", "GroupId": "g1"}).clean()},
		{"c2c: 90010 after a lost reply", nativeCase("c2c", "", "bob"), newNative("c2c", map[string]string{"To_Account": "bob"}).
			ok(1, "Hello, ", "", false).reset(2, "this is ", testKey, false).refused(2, "this is ", testKey, false, codes.CheckChunkIndex).ok(3, "Tencent Cloud.", testKey, true)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			passed := 0
			for _, r := range grade(evidenceOf(tt.c, tt.n.j, finished(), okAnswer)) {
				switch r.Outcome {
				case Fail:
					t.Errorf("%s %s failed: %s\n%s", r.Level, r.Name, r.Message, r.Diff)
				case Pass:
					passed++
				}
			}
			if passed < 20 {
				t.Errorf("%d checks passed, want the stream's checks to apply", passed)
			}
		})
	}
}

func TestChecksNative(t *testing.T) {
	t.Parallel()
	bob := map[string]string{"To_Account": "bob"}
	c2c := func() *native { return newNative("c2c", bob) }
	tests := []struct {
		check    string
		name     string
		c        *Case
		n        *native
		want     Outcome
		wantText string
	}{
		{check: "stream/conversation", name: "From_Account sent when none was given", n: newNative("c2c", map[string]string{"From_Account": "administrator", "To_Account": "bob"}).clean(),
			want: Fail, wantText: `+   "#1 From_Account=administrator To_Account=bob"`},
		{check: "stream/conversation", name: "From_Account missing", c: nativeCase("c2c", "bot", "bob"), n: c2c().clean(),
			want: Fail, wantText: `-   "#1 From_Account=bot To_Account=bob"`},
		{check: "stream/conversation", name: "another To_Account", n: c2c().ok(1, "Hello, ", "", false).raw(newNative("c2c", map[string]string{"To_Account": "eve"}).body(2, "this is ", testKey, "content", false), okReply),
			want: Fail, wantText: `+   "#2 no From_Account To_Account=eve"`},
		{check: "stream/conversation", name: "a SessionId instead", n: newNative("c2c", map[string]string{"SessionId": testSession}).clean(),
			want: Fail, wantText: `+   "#1 no From_Account no To_Account"`},
		{check: "stream/conversation", name: "group", c: nativeCase("group", "", "g1"), n: newNative("group", map[string]string{"GroupId": "g2"}).clean(),
			want: Fail, wantText: `-   "#1 GroupId=g1 no From_Account"`},
		{check: "stream/msgkey-reused", name: "the key at the top level", n: c2c().ok(1, "Hello, ", "", false).raw(c2c().body(2, "this is ", testKey, "top", false), okReply),
			want: Fail, wantText: `+   "#2 no StreamMsgID"`},
		{check: "stream/msgkey-reused", name: "the key forgotten", n: c2c().ok(1, "Hello, ", "", false).raw(c2c().body(2, "this is ", "", "", false), errReply(90010)),
			want: Fail, wantText: `-   "#2 StreamMsgID=` + testKey + `"`},
		{check: "stream/first-call-without-msgkey", name: "a StreamMsgID on the first call", n: c2c().raw(c2c().body(1, "Hello, ", testKey, "content", false), errReply(90010)),
			want: Fail, wantText: `+   "#1 StreamMsgID=` + testKey + `"`},
		{check: "request/path", name: "v2's path", n: c2c().raw(c2c().body(1, "Hello, ", "", "", true), errReply(90010), func(e *mockserver.Exchange) { e.Path = mockserver.EndpointV2Path }),
			want: Fail, wantText: mockserver.EndpointC2CPath},
		{check: "request/body/schema", name: "no To_Account", n: newNative("c2c", nil).raw(newNative("c2c", nil).body(1, "Hello, ", "", "", true), errReply(90010)),
			want: Fail, wantText: "To_Account"},
		{check: "request/body/schema", name: "a v2 body", c: nativeCase("group", "", "g1"), n: newNative("group", nil).raw(bodyV2(1, "Hello, ", "", true), errReply(10015)),
			want: Fail, wantText: "GroupId"},
		{check: "v2/index-sequence", name: "indexed", n: c2c().ok(1, "Hello, ", "", false).ok(3, "this is ", testKey, false),
			want: Fail, wantText: `-   "#2 Index=2"`},
		{check: "stream/no-call-after-end", name: "once more to the dead stream", n: c2c().ok(1, "Hello, ", "", false).
			refused(2, "this is ", testKey, false, codes.CheckStreamIdleEnded).refused(2, "this is ", testKey, false, codes.CheckStreamIdleEnded),
			want: Fail, wantText: "call #3 carried the StreamMsgID of the stream that call #2 found ended"},
		{check: "answer/msg-key", name: "the StreamMsgID issued", n: c2c().clean(), want: Pass, wantText: "StreamMsgID"},
	}
	for _, tt := range tests {
		t.Run(tt.check+"/"+tt.name, func(t *testing.T) {
			t.Parallel()
			c := tt.c
			if c == nil {
				c = nativeCase("c2c", "", "bob")
			}
			checkVerdict(t, tt.check, evidenceOf(c, tt.n.j, finished(), okAnswer), tt.want, tt.wantText)
		})
	}
}
