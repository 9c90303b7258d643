package conformance

import (
	"encoding/json"
	"testing"

	"github.com/deskmock/deskmock/mockserver"
	"github.com/deskmock/deskmock/mockserver/codes"
)

const testKey2 = "2_1700000000_0123456789abcdef012345678"

// bodyV2 writes a v2 request body with one chunk.
func bodyV2(index int, chunk, key string, last bool) string {
	m := map[string]any{"SessionId": testSession, "MsgBody": []any{map[string]any{
		"MsgType": "TIMStreamElem",
		"MsgContent": map[string]any{
			"CompatibleText": "Please upgrade to see this message.",
			"Chunks":         []any{map[string]any{"EventType": "data", "Index": index, "Markdown": chunk, "IsLast": last}},
		},
	}}}
	if key != "" {
		m["MsgKey"] = key
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func onV2(e *mockserver.Exchange) { e.Path, e.Version = mockserver.EndpointV2Path, "v2" }

// okV2 appends a successful v2 call; a call without key opens the stream
// issue.
func (j *journal) okV2(index int, chunk, key string, last bool, issue string) *journal {
	reply := okReply
	if key == "" {
		reply = okKeyReply(issue)
	}
	return j.add(bodyV2(index, chunk, key, last), 200, reply, onV2, applied, func(e *mockserver.Exchange) {
		if key == "" {
			e.IssuedMsgKey = issue
		}
	})
}

// refusedV2 appends a v2 call the mock refused by check.
func (j *journal) refusedV2(index int, chunk, key string, last bool, code int, check codes.Check) *journal {
	return j.add(bodyV2(index, chunk, key, last), 200, errReply(code), onV2, func(e *mockserver.Exchange) { e.Code, e.Check = code, check })
}

// resetV2 appends a v2 call applied, then reset by a fault.
func (j *journal) resetV2(index int, chunk, key string, last bool) *journal {
	return j.add(bodyV2(index, chunk, key, last), 0, "", onV2, applied, func(e *mockserver.Exchange) { e.Fault, e.Action = "f1", "reset" })
}

func cleanV2() *journal {
	return new(journal).okV2(1, "Hello, ", "", false, testKey).okV2(2, "this is ", testKey, false, "").okV2(3, "Tencent Cloud.", testKey, true, "")
}

// restartedV2 is a careful client's journal of a stream that ended under it
// before the third chunk, then of the message sent anew.
func restartedV2() *journal {
	return new(journal).okV2(1, "Hello, ", "", false, testKey).okV2(2, "this is ", testKey, false, "").
		refusedV2(3, "Tencent Cloud.", testKey, true, 141004, codes.CheckStreamIdleEnded).
		okV2(1, "Hello, ", "", false, testKey2).okV2(2, "this is ", testKey2, false, "").okV2(3, "Tencent Cloud.", testKey2, true, "")
}

// appliedV2 is a careful client's journal where the second chunk's reply
// was lost and its retry refused because the stream held its Index.
func appliedV2() *journal {
	return new(journal).okV2(1, "Hello, ", "", false, testKey).resetV2(2, "this is ", testKey, false).
		refusedV2(2, "this is ", testKey, false, 141004, codes.CheckChunkIndex).okV2(3, "Tencent Cloud.", testKey, true, "")
}

func v2Case() *Case {
	c := testCase(threeChunks...)
	c.Input.Version = "v2"
	return c
}

func TestCarefulV2ClientPassesEveryCheck(t *testing.T) {
	t.Parallel()
	restarted := v2Case()
	restarted.Expect.Texts = &[]string{"Hello, this is ", "Hello, this is Tencent Cloud."}
	key2 := streamOf(true, threeChunks...)
	key2.MsgKey = testKey2
	for _, tt := range []struct {
		name    string
		c       *Case
		j       *journal
		streams []mockserver.Stream
		stdout  string
	}{
		{"clean", v2Case(), cleanV2(), finished(), okAnswer},
		{"sent anew after the stream ended", restarted, restartedV2(), []mockserver.Stream{streamOf(false, "Hello, ", "this is "), key2}, `{"ok":true,"msg_key":"` + testKey2 + `"}`},
		{"141004 after a lost reply", v2Case(), appliedV2(), finished(), okAnswer},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, r := range grade(evidenceOf(tt.c, tt.j, tt.streams, tt.stdout)) {
				if r.Outcome == Fail {
					t.Errorf("%s %s failed: %s\n%s", r.Level, r.Name, r.Message, r.Diff)
				}
			}
		})
	}
}

func TestChecksV2(t *testing.T) {
	t.Parallel()
	fast := func(n int) *journal { // n calls of one stream, 50ms apart
		j := new(journal).okV2(1, "a", "", false, testKey)
		for i := 2; i <= n; i++ {
			j.okV2(i, "a", testKey, false, "")
		}
		return j
	}
	tests := []struct {
		check    string
		name     string
		c        *Case
		j        *journal
		want     Outcome
		wantText string
	}{
		{check: "v2/index-sequence", name: "from 0", j: new(journal).refusedV2(0, "Hello, ", "", false, 90010, codes.CheckBodySchema), want: Fail, wantText: `+   "#1 Index=0"`},
		{check: "v2/index-sequence", name: "a skipped Index", j: new(journal).okV2(1, "Hello, ", "", false, testKey).okV2(3, "this is ", testKey, false, ""), want: Fail, wantText: `-   "#2 Index=2"`},
		{check: "v2/index-sequence", name: "a retry with a new Index", j: new(journal).okV2(1, "Hello, ", "", false, testKey).resetV2(2, "this is ", testKey, false).okV2(3, "this is ", testKey, false, ""), want: Fail, wantText: `+   "#3 Index=3"`},
		{check: "v2/index-sequence", name: "a retry repeats its Index", j: appliedV2(), want: Pass},
		{check: "v2/index-sequence", name: "from 1 again in a new stream", j: restartedV2(), want: Pass},
		{check: "v2/index-sequence", name: "a v1 case", c: testCase(threeChunks...), j: cleanJournal(), want: NotApplicable, wantText: "v1"},
		{check: "v2/paced", name: "six calls in 250ms", j: fast(6), want: Fail, wantText: "got 6 calls in 250ms (#1 to #6)"},
		{check: "v2/paced", name: "five calls", j: fast(5), want: Pass},
		{check: "v2/paced", name: "refused by the rate", j: fast(2).refusedV2(3, "a", testKey, false, 60007, codes.CheckStreamRate), want: Fail, wantText: "call #3 was refused by the rate rule"},
		{check: "v2/paced", name: "a v1 case", c: testCase(threeChunks...), j: cleanJournal(), want: NotApplicable},
		{check: "stream/no-call-after-end", name: "once more to the dead stream", j: new(journal).okV2(1, "Hello, ", "", false, testKey).
			refusedV2(2, "this is ", testKey, false, 141004, codes.CheckStreamIdleEnded).refusedV2(2, "this is ", testKey, false, 141004, codes.CheckStreamIdleEnded),
			want: Fail, wantText: "call #3 carried the MsgKey of the stream that call #2 found ended"},
		{check: "stream/no-call-after-end", name: "on v1 after the end", c: testCase(threeChunks...), j: cleanJournal().add(body("Tencent Cloud.", testKey, true), 200, errReply(141004), func(e *mockserver.Exchange) { e.Code, e.Check = 141004, codes.CheckStreamFinished }).
			add(body("Tencent Cloud.", testKey, true), 200, errReply(141004)), want: Fail, wantText: "call #5"},
		{check: "stream/no-call-after-end", name: "sent anew", j: restartedV2(), want: Pass},
		{check: "stream/no-call-after-end", name: "nothing ended", j: cleanV2(), want: NotApplicable},
		{check: "stream/no-call-after-end", name: "141004 after a lost reply is no end", j: appliedV2(), want: NotApplicable},
		{check: "retry/non-retryable-not-retried", name: "the end is graded elsewhere", j: restartedV2(), want: NotApplicable, wantText: "stream/no-call-after-end grades"},
		{check: "retry/non-retryable-not-retried", name: "141004 after a lost reply is a success", j: appliedV2(), want: NotApplicable, wantText: "no non-retryable failure"},
		{check: "stream/chunks-in-order", name: "in each stream", j: restartedV2(), want: Pass, wantText: "in each stream"},
		{check: "stream/chunks-in-order", name: "a chunk skipped after the restart", j: new(journal).okV2(1, "Hello, ", "", false, testKey).okV2(2, "this is ", testKey, false, "").
			refusedV2(3, "Tencent Cloud.", testKey, true, 141004, codes.CheckStreamIdleEnded).
			okV2(1, "Hello, ", "", false, testKey2).okV2(2, "Tencent Cloud.", testKey2, true, ""), want: Fail, wantText: `+   {"place":"3/3 too early"`},
		{check: "stream/msgkey-reused", name: "the new stream's key", j: restartedV2(), want: Pass},
		{check: "stream/first-call-without-msgkey", name: "the new stream's first call", j: restartedV2(), want: Pass, wantText: "right on all 2 calls"},
		{check: "stream/finish-last", name: "IsLast too early", j: new(journal).okV2(1, "Hello, ", "", true, testKey), want: Fail, wantText: `+   "#1 chunk 1 IsLast=true"`},
		{check: "request/path", name: "v1's path on a v2 case", j: new(journal).add(bodyV2(1, "Hello, ", "", true), 200, okKeyReply(testKey)), want: Fail, wantText: mockserver.EndpointV2Path},
		{check: "request/body/schema", name: "a v1 body on a v2 case", j: new(journal).add(body("Hello, ", "", true), 200, errReply(90010), onV2), want: Fail, wantText: "MsgBody"},
		{check: "retry/same-request", name: "a retry with another Index", j: new(journal).okV2(1, "Hello, ", "", false, testKey).resetV2(2, "this is ", testKey, false).okV2(3, "this is ", testKey, false, ""), want: Fail, wantText: `"Index"`},
		{check: "answer/ok", name: "ok after a lost reply", j: appliedV2(), want: Pass, wantText: "every chunk was accepted"},
	}
	for _, tt := range tests {
		t.Run(tt.check+"/"+tt.name, func(t *testing.T) {
			t.Parallel()
			c := tt.c
			if c == nil {
				c = v2Case()
			}
			ev := evidenceOf(c, tt.j, finished(), okAnswer)
			checkVerdict(t, tt.check, ev, tt.want, tt.wantText)
		})
	}
}
