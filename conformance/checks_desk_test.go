package conformance

import (
	"testing"

	"github.com/deskmock/deskmock/conformance/protocol"
	"github.com/deskmock/deskmock/mockserver"
	"github.com/deskmock/deskmock/mockserver/codes"
)

// Replies of the Desk calls in the fixtures.
const (
	transferReply = `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"AgentId":"agent@example.com","IsInQueue":0}`
	stateReply    = `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"SessionId":"` + testSession + `","CurrentState":"Agent","AgentId":"agent@example.com"}`
)

// deskCall appends a Desk call of the session (or of session, when given).
func (j *journal) deskCall(name, reply string, session ...string) *journal {
	id := testSession
	if len(session) > 0 {
		id = session[0]
	}
	dc, _ := protocol.CallOf(name)
	return j.add(`{"SessionId":"`+id+`"}`, 200, reply, func(e *mockserver.Exchange) { e.Path, e.Version = dc.Path, name })
}

// gone appends a stream call refused with 141005 because the session
// ended.
func (j *journal) gone(chunk string, finish bool) *journal {
	return j.add(body(chunk, testKey, finish), 200, errReply(141005), func(e *mockserver.Exchange) {
		e.Code, e.Check = 141005, codes.CheckSessionNotFound
	})
}

// deskCase is threeChunks followed by the Desk calls then.
func deskCase(then ...string) *Case {
	c := testCase(threeChunks...)
	c.Input.Then = then
	return c
}

const (
	transferAnswer = `{"call":"transfer_to_human","ok":true,"agent_id":"agent@example.com","is_in_queue":false}`
	stateAnswer    = `{"call":"get_session_state","ok":true,"current_state":"Agent"}`
	goneAnswer     = `{"ok":false,"error_code":141005,"error_info":"This session does not exist."}`
)

func TestCarefulDeskClientPassesEveryCheck(t *testing.T) {
	t.Parallel()
	both := deskCase(protocol.CallTransfer, protocol.CallSessionState)
	both.Expect.Then = []protocol.CallAnswer{{Call: protocol.CallTransfer, OK: true, AgentID: "agent@example.com"}, {Call: protocol.CallSessionState, OK: true, CurrentState: "Agent"}}
	ended := testCase("Hello, ", "this is ", "Tencent ", "Cloud.")
	ended.Expect = Expectation{ErrorCode: 141005, Texts: &[]string{"Hello, this is "}}
	instead := &Case{Name: "test/instead", Input: CaseInput{SessionID: testSession, Then: []string{protocol.CallTransfer}}, Expect: Expectation{OK: true, Texts: &[]string{}}}
	for _, tt := range []struct {
		name    string
		c       *Case
		j       *journal
		streams []mockserver.Stream
		stdout  string
	}{
		{"transfer then state", both, cleanJournal().deskCall(protocol.CallTransfer, transferReply).deskCall(protocol.CallSessionState, stateReply),
			finished(), `{"ok":true,"msg_key":"` + testKey + `","then":[` + transferAnswer + `,` + stateAnswer + `]}`},
		{"stops at 141005", ended, new(journal).ok("Hello, ", "", false).ok("this is ", testKey, false).gone("Tencent ", false),
			[]mockserver.Stream{streamOf(false, "Hello, ", "this is ")}, goneAnswer},
		{"transfer instead of a stream", instead, new(journal).deskCall(protocol.CallTransfer, transferReply), nil, `{"ok":true,"then":[` + transferAnswer + `]}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			passed := map[string]bool{}
			for _, r := range grade(evidenceOf(tt.c, tt.j, tt.streams, tt.stdout)) {
				if r.Outcome == Fail {
					t.Errorf("%s %s failed: %s\n%s", r.Level, r.Name, r.Message, r.Diff)
				}
				passed[r.Name] = r.Outcome == Pass
			}
			if !passed["client/reached-mock"] || !passed["request/path"] || !passed["request/body/schema"] {
				t.Errorf("the request checks did not look at the Desk calls: %v", passed)
			}
		})
	}
}

func TestChecksDesk(t *testing.T) {
	t.Parallel()
	transfer := deskCase(protocol.CallTransfer)
	after := `{"ok":true,"msg_key":"` + testKey + `","then":[` + transferAnswer + `]}`
	tests := []struct {
		check    string
		name     string
		c        *Case
		j        *journal
		stdout   string
		want     Outcome
		wantText string
	}{
		{check: "desk/stop-when-session-ends", name: "goes on after 141005",
			j:      new(journal).ok("Hello, ", "", false).gone("this is ", false).gone("Tencent Cloud.", true),
			stdout: goneAnswer, want: Fail, wantText: "call #2 (chunk 2/3) got 141005: the session had ended. Yet the client sent 1 more stream call(s): call #3 (chunk 3/3)"},
		{check: "desk/stop-when-session-ends", name: "retries 141005",
			j:      new(journal).ok("Hello, ", "", false).gone("this is ", false).gone("this is ", false),
			stdout: goneAnswer, want: Fail, wantText: "call #3 (chunk 2/3, attempt 2)"},
		{check: "desk/stop-when-session-ends", name: "stops, then reads the state",
			c:      deskCase(protocol.CallSessionState),
			j:      new(journal).ok("Hello, ", "", false).gone("this is ", false).deskCall(protocol.CallSessionState, stateReply),
			stdout: goneAnswer, want: Pass, wantText: "stopped streaming at call #2 (chunk 2/3)'s 141005"},
		{check: "desk/stop-when-session-ends", name: "no 141005", j: cleanJournal(), stdout: okAnswer, want: NotApplicable},
		{check: "desk/calls", name: "never transfers", c: transfer, j: cleanJournal(), stdout: okAnswer, want: Fail,
			wantText: "the case asks for transfer_to_human (input.then) and no request reached /v4/desk_http_svc/transfer_to_human"},
		{check: "desk/calls", name: "transfers before the stream", c: transfer,
			j:      new(journal).deskCall(protocol.CallTransfer, transferReply).ok("Hello, ", "", false).ok("this is ", testKey, false).ok("Tencent Cloud.", testKey, true),
			stdout: after, want: Fail, wantText: "call #1 (transfer_to_human) came before the stream's call #4"},
		{check: "desk/calls", name: "another session", c: transfer,
			j:      cleanJournal().deskCall(protocol.CallTransfer, transferReply, "6b0e7f4e-0000-4000-8000-000000000000"),
			stdout: after, want: Fail, wantText: `names SessionId "6b0e7f4e-0000-4000-8000-000000000000"`},
		{check: "desk/calls", name: "a call not asked for", c: transfer,
			j:      cleanJournal().deskCall(protocol.CallTransfer, transferReply).deskCall(protocol.CallSessionState, stateReply),
			stdout: after, want: Fail, wantText: "get_session_state was called, which the case does not ask for"},
		{check: "desk/calls", name: "in the wrong order", c: deskCase(protocol.CallSessionState, protocol.CallTransfer),
			j:      cleanJournal().deskCall(protocol.CallTransfer, transferReply).deskCall(protocol.CallSessionState, stateReply),
			stdout: after, want: Fail, wantText: "in the order of input.then"},
		{check: "desk/calls", name: "a retry counts once", c: transfer,
			j: cleanJournal().add(`{"SessionId":"`+testSession+`"}`, 502, "", func(e *mockserver.Exchange) { e.Path = mockserver.TransferPath }).
				deskCall(protocol.CallTransfer, transferReply),
			stdout: after, want: Pass},
		{check: "desk/calls", name: "none asked", j: cleanJournal(), stdout: okAnswer, want: NotApplicable},
		{check: "desk/answer", name: "the agent not reported", c: transfer, j: cleanJournal().deskCall(protocol.CallTransfer, transferReply),
			stdout: `{"ok":true,"msg_key":"` + testKey + `","then":[{"call":"transfer_to_human","ok":true}]}`, want: Fail, wantText: `"agent_id":"agent@example.com"`},
		{check: "desk/answer", name: "queued reported as a failure", c: transfer,
			j:      cleanJournal().deskCall(protocol.CallTransfer, `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"AgentId":"","IsInQueue":1}`),
			stdout: `{"ok":true,"msg_key":"` + testKey + `","then":[{"call":"transfer_to_human","ok":false}]}`, want: Fail, wantText: `"is_in_queue":true`},
		{check: "desk/answer", name: "a refused transfer", c: transfer, j: cleanJournal().deskCall(protocol.CallTransfer, errReply(141005)),
			stdout: `{"ok":true,"msg_key":"` + testKey + `","then":[{"call":"transfer_to_human","ok":false,"error_code":141005,"error_info":"any text"}]}`, want: Pass},
		{check: "desk/answer", name: "a call claimed, none made", c: transfer, j: cleanJournal(), stdout: after, want: Fail, wantText: `+   {"call":"transfer_to_human"`},
		{check: "outcome/expected", name: "the transfer left out", c: func() *Case {
			c := deskCase(protocol.CallTransfer)
			c.Expect.Then = []protocol.CallAnswer{{Call: protocol.CallTransfer, OK: true, AgentID: "agent@example.com"}}
			return c
		}(), j: cleanJournal(), stdout: okAnswer, want: Fail, wantText: `"then"`},
	}
	for _, tt := range tests {
		t.Run(tt.check+"/"+tt.name, func(t *testing.T) {
			t.Parallel()
			c := tt.c
			if c == nil {
				c = testCase(threeChunks...)
			}
			checkVerdict(t, tt.check, evidenceOf(c, tt.j, finished(), tt.stdout), tt.want, tt.wantText)
		})
	}
}
