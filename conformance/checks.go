package conformance

import (
	"fmt"
	"time"

	"github.com/deskmock/deskmock/conformance/protocol"
	"github.com/deskmock/deskmock/mockserver"
)

// Level says how much a check matters.
type Level string

// Levels of checks.
const (
	// Must checks fail the run when they fail.
	Must Level = "MUST"
	// Should checks are reported as warnings.
	Should Level = "SHOULD"
	// Info checks only report what happened.
	Info Level = "INFO"
	// Skip, in a case's levels, marks a check that does not apply.
	Skip Level = "SKIP"
)

// Outcome is the result of one check on one case.
type Outcome string

// Outcomes of checks.
const (
	// Pass means the check holds.
	Pass Outcome = "pass"
	// Fail means it does not.
	Fail Outcome = "fail"
	// NotApplicable means the check was not evaluated for this case.
	NotApplicable Outcome = "n/a"
)

// The retry policy the checks enforce; conformance/README.md explains it.
const (
	// MinAttempts is how many attempts of a chunk a client makes at least
	// before it gives up on a retryable failure.
	MinAttempts = 3
	// MaxAttempts is how many attempts of a chunk a client makes at most.
	MaxAttempts = 5
	// MinPause is the shortest pause expected between two attempts.
	MinPause = 10 * time.Millisecond
)

// CheckInfo describes a check.
type CheckInfo struct {
	// Name is stable, such as "stream/text-equals-chunks".
	Name string `json:"name"`
	// Level is the default level; a case may override it.
	Level Level `json:"level"`
	// Description says what the check asserts.
	Description string `json:"description"`
}

// check is a CheckInfo with its rule.
type check struct {
	CheckInfo
	run func(ev *evidence) verdict
}

// verdict is what a check found.
type verdict struct {
	outcome Outcome
	message string
	diff    string
}

func pass(format string, args ...any) verdict {
	return verdict{outcome: Pass, message: fmt.Sprintf(format, args...)}
}

func fail(diff, format string, args ...any) verdict {
	return verdict{outcome: Fail, message: fmt.Sprintf(format, args...), diff: diff}
}

func notApplicable(format string, args ...any) verdict {
	return verdict{outcome: NotApplicable, message: fmt.Sprintf(format, args...)}
}

// noCalls is the verdict of a check on calls when the client sent none.
var noCalls = notApplicable("no request reached the mock: nothing to look at")

// allChecks lists the checks in report order.
var allChecks = []check{
	{CheckInfo{"client/in-time", Must, "the client ends by itself before the per-case timeout"}, checkInTime},
	{CheckInfo{"client/reached-mock", Must, "at least one request of the client reached the mock"}, checkReachedMock},
	{CheckInfo{"request/method", Must, "every request is a POST"}, checkMethod},
	{CheckInfo{"request/path", Must, "every request goes to the path of the case's endpoint (v1: /v4/desk_http_svc/send_stream_msg)"}, checkPath},
	{CheckInfo{"request/query/params", Must, "every request carries sdkappid, identifier, usersig, random and contenttype once each, sdkappid and identifier as given"}, checkQueryParams},
	{CheckInfo{"request/query/random-range", Must, "random is a decimal integer in 0..4294967295"}, checkRandomRange},
	{CheckInfo{"request/query/random-fresh", Must, "no two requests of a case carry the same random"}, checkRandomFresh},
	{CheckInfo{"request/query/contenttype", Must, "contenttype is json"}, checkContentType},
	{CheckInfo{"request/query/usersig", Must, "the mock accepts the UserSig of every request it verified (a valid UserSig for the identifier)"}, checkUserSig},
	{CheckInfo{"request/body/schema", Must, "every body is a JSON object valid against the request schema of the case's endpoint"}, checkBodySchema},
	{CheckInfo{"stream/conversation", Must, "every request names the conversation given: its SessionId (v1, v2), From_Account (absent when none is given) and To_Account (c2c), GroupId and From_Account (group), From_Account and To_Account (chatbot)"}, checkConversation},
	{CheckInfo{"stream/first-call-without-msgkey", Must, "the first call, and its retries, carry no MsgKey (c2c, group: no StreamMsgID)"}, checkFirstWithoutKey},
	{CheckInfo{"stream/msgkey-reused", Must, "every call after the first reply carries the MsgKey (c2c, group: StreamMsgID, in MsgContent) that reply issued"}, checkKeyReused},
	{CheckInfo{"stream/chunks-in-order", Must, "each chunk is sent once, in order (retries apart): nothing skipped, nothing repeated"}, checkChunksInOrder},
	{CheckInfo{"stream/finish-last", Must, "Finish: 1 (v2, c2c, group: IsLast: true) on the last chunk's calls and on no other"}, checkFinishLast},
	{CheckInfo{"stream/nothing-after-finish", Must, "no request after the Finish: 1 (v2, c2c, group: IsLast: true) call succeeded"}, checkNothingAfterFinish},
	{CheckInfo{"stream/no-call-after-end", Must, "after a call was refused because its stream had ended (stream-idle-ended, stream-finished), no later call carries that MsgKey (StreamMsgID)"}, checkNoCallAfterEnd},
	{CheckInfo{"stream/text-equals-chunks", Must, "the text the user sees is the chunks joined: nothing lost, nothing doubled (for a failing case: what was accepted before the failure)"}, checkText},
	{CheckInfo{"v2/index-sequence", Must, "in each v2, c2c or group stream the Indexes start at 1 and increase by one per new chunk; a retry repeats the Index of the call it retries"}, checkIndexSequence},
	{CheckInfo{"v2/paced", Should, "no v2, c2c or group call was refused by the rate rule (stream-rate), and no stream got more than " + fmt.Sprint(VendorCallsPerSecond) + " calls in any one second"}, checkPaced},
	{CheckInfo{"retry/retryable-retried", Must, "a retryable failure (20004, 20005, 141002, 10002, HTTP 5xx, dropped connection, timeout, broken reply) is retried until " + fmt.Sprint(MinAttempts) + " attempts at least"}, checkRetryableRetried},
	{CheckInfo{"retry/same-request", Must, "a retry repeats the failed call: same conversation, Chunk, MsgKey and Finish (v2, c2c, group: Index and IsLast)"}, checkSameRequest},
	{CheckInfo{"retry/bounded", Must, "no chunk is attempted more than " + fmt.Sprint(MaxAttempts) + " times"}, checkBounded},
	{CheckInfo{"retry/pause", Should, "the client pauses at least " + MinPause.String() + " before a retry"}, checkPause},
	{CheckInfo{"retry/non-retryable-not-retried", Must, "after a non-retryable code the client sends nothing more"}, checkNonRetryable},
	{CheckInfo{"desk/stop-when-session-ends", Must, "after a stream call got 141005 (the session ended, or left the bot), the client sends no more stream calls, retries included"}, checkStopWhenSessionEnds},
	{CheckInfo{"desk/calls", Must, "the client makes the Desk calls of input.then (transfer_to_human, get_session_state) once each (retries apart), in that order, after its stream, naming the case's SessionId, and no other"}, checkDeskCalls},
	{CheckInfo{"desk/answer", Must, "the answer's then reports each Desk call as its last reply said: ok, error_code, agent_id and is_in_queue (transfer_to_human), current_state (get_session_state)"}, checkDeskAnswer},
	{CheckInfo{"answer/json", Must, "the client prints one JSON object on stdout, with a boolean ok"}, checkAnswerJSON},
	{CheckInfo{"answer/ok", Must, "ok is true exactly when every chunk was accepted and the last call succeeded"}, checkAnswerOK},
	{CheckInfo{"answer/msg-key", Must, "on success, msg_key is the MsgKey (c2c, group: StreamMsgID) the mock issued to the client"}, checkAnswerMsgKey},
	{CheckInfo{"answer/error-code", Must, "on failure, error_code is the ErrorCode of the last reply"}, checkAnswerErrorCode},
	{CheckInfo{"answer/error-info", Should, "on failure, error_info is the ErrorInfo of the last reply"}, checkAnswerErrorInfo},
	{CheckInfo{"outcome/expected", Must, "the answer's ok and error_code are the case's expectation for a careful client"}, checkExpected},
}

// Checks returns every check, in report order.
func Checks() []CheckInfo {
	out := make([]CheckInfo, len(allChecks))
	for i, c := range allChecks {
		out[i] = c.CheckInfo
	}
	return out
}

func checkByName(name string) (check, bool) {
	for _, c := range allChecks {
		if c.Name == name {
			return c, true
		}
	}
	return check{}, false
}

// evidence is everything the checks look at for one case.
type evidence struct {
	c      *Case
	ep     protocol.Endpoint
	in     Input
	chunks []string
	// requests are every request of the client; calls those to the
	// stream, without the Desk calls.
	requests  []call
	calls     []call
	streams   []mockserver.Stream
	run       ClientRun
	answer    *Answer
	answerErr error
}

// setRequests keeps the client's requests, classified by analyze, and
// those to the stream apart.
func (ev *evidence) setRequests(all []call) {
	ev.requests, ev.calls = all, streamCalls(all)
}

// grade runs every check on the evidence of a case.
func grade(ev *evidence) []CheckResult {
	out := make([]CheckResult, 0, len(allChecks))
	for _, chk := range allChecks {
		level := chk.Level
		if l, ok := ev.c.Levels[chk.Name]; ok {
			level = l
		}
		var v verdict
		if level == Skip {
			v = notApplicable("does not apply to this case")
		} else {
			v = chk.run(ev)
		}
		if level == Skip {
			level = chk.Level
		}
		out = append(out, CheckResult{Name: chk.Name, Level: level, Outcome: v.outcome, Message: v.message, Diff: v.diff})
	}
	return out
}
