package conformance

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/deskmock/deskmock/conformance/protocol"
	"github.com/deskmock/deskmock/mockserver"
	"github.com/deskmock/deskmock/mockserver/codes"
)

// Fixtures for tests that grade hand-made journals, with no client and no
// server.

const (
	testSession = "fd8a2e30-54de-4e40-bcaf-02718409c5cf"
	testKey     = "1_1700000000_0123456789abcdef012345678"
)

var testStart = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

var okReply = `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`

func okKeyReply(key string) string {
	return `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"MsgKey":"` + key + `"}`
}

func errReply(code int) string {
	e, _ := codes.Lookup(code)
	return fmt.Sprintf(`{"ActionStatus":"FAIL","ErrorInfo":%q,"ErrorCode":%d}`, e.Info, code)
}

// journal builds a journal one request at a time, 50ms apart.
type journal struct {
	ex []mockserver.Exchange
}

// body writes a request body.
func body(chunk, key string, finish bool) string {
	m := map[string]any{"SessionId": testSession, "Chunk": chunk}
	if key != "" {
		m["MsgKey"] = key
	}
	if finish {
		m["Finish"] = 1
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// add appends a request; edit adjusts it.
func (j *journal) add(reqBody string, status int, reply string, edit ...func(*mockserver.Exchange)) *journal {
	n := len(j.ex) + 1
	e := mockserver.Exchange{
		Seq:       uint64(n),
		Time:      testStart.Add(time.Duration(n) * 50 * time.Millisecond),
		Method:    "POST",
		Path:      mockserver.EndpointPath,
		Query:     fmt.Sprintf("sdkappid=1400000001&identifier=administrator&usersig=REDACTED&random=%d&contenttype=json", 1000+n),
		Body:      reqBody,
		Status:    status,
		Reply:     reply,
		LatencyMS: 1,
	}
	for _, f := range edit {
		f(&e)
	}
	j.ex = append(j.ex, e)
	return j
}

// ok appends a successful call of a chunk; the first one issues testKey.
func (j *journal) ok(chunk, key string, finish bool) *journal {
	reply := okReply
	if key == "" {
		reply = okKeyReply(testKey)
	}
	return j.add(body(chunk, key, finish), 200, reply, applied)
}

// code appends a call answered with an error code.
func (j *journal) code(chunk, key string, finish bool, code int) *journal {
	return j.add(body(chunk, key, finish), 200, errReply(code), func(e *mockserver.Exchange) { e.Code = code; e.Fault = "f1"; e.Action = "error_code" })
}

func applied(e *mockserver.Exchange) { e.Applied = true }

// threeChunks is the vendor's example.
// v1 is the endpoint of the fixtures' journals.
var v1, _ = protocol.EndpointOf(protocol.VersionV1)

var threeChunks = []string{"Hello, ", "this is ", "Tencent Cloud."}

// cleanJournal is a careful client's journal of threeChunks.
func cleanJournal() *journal {
	return new(journal).ok("Hello, ", "", false).ok("this is ", testKey, false).ok("Tencent Cloud.", testKey, true)
}

// testCase returns a case streaming chunks, expected to succeed.
func testCase(chunks ...string) *Case {
	c := &Case{Name: "test/case", Description: "a test case", Input: CaseInput{SessionID: testSession}, Expect: Expectation{OK: true}}
	for _, ch := range chunks {
		c.Input.Chunks = append(c.Input.Chunks, Chunk{Text: ch})
	}
	return c
}

// streamOf returns the stream the mock would hold for chunks.
func streamOf(finished bool, chunks ...string) mockserver.Stream {
	return mockserver.Stream{MsgKey: testKey, SessionID: testSession, Chunks: chunks, Text: strings.Join(chunks, ""), Finished: finished, Calls: len(chunks)}
}

// evidenceOf builds the evidence of a case from a journal, the streams and
// the client's stdout.
func evidenceOf(c *Case, j *journal, streams []mockserver.Stream, stdout string) *evidence {
	in := Input{Case: c.Name, SDKAppID: 1400000001, Identifier: "administrator", Version: c.Input.Version, Chunks: c.Chunks(), Then: c.Input.Then}
	c.nameConversation(&in)
	ev := &evidence{c: c, ep: c.Endpoint(), in: in, chunks: c.Chunks(), streams: streams, run: ClientRun{Stdout: stdout, Started: testStart}}
	if j != nil {
		ev.setRequests(analyze(j.ex, ev.chunks, ev.ep))
	}
	if a, err := parseAnswer(stdout); err != nil {
		ev.answerErr = err
	} else {
		ev.answer = &a
	}
	return ev
}
