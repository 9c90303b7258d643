package conformance

import (
	"strings"
	"testing"
	"time"

	"github.com/deskmock/deskmock/mockserver"
	"github.com/deskmock/deskmock/mockserver/codes"
)

const okAnswer = `{"ok":true,"msg_key":"` + testKey + `"}`

func finished() []mockserver.Stream { return []mockserver.Stream{streamOf(true, threeChunks...)} }

// at moves a request to ms milliseconds after the test start.
func at(ms int) func(*mockserver.Exchange) {
	return func(e *mockserver.Exchange) { e.Time = testStart.Add(time.Duration(ms) * time.Millisecond) }
}

func query(q string) func(*mockserver.Exchange) {
	return func(e *mockserver.Exchange) { e.Query = q }
}

func TestCarefulClientPassesEveryCheck(t *testing.T) {
	t.Parallel()
	ev := evidenceOf(testCase(threeChunks...), cleanJournal(), finished(), okAnswer)
	for _, r := range grade(ev) {
		if r.Outcome == Fail {
			t.Errorf("%s %s failed: %s\n%s", r.Level, r.Name, r.Message, r.Diff)
		}
	}
}

func TestChecks(t *testing.T) {
	t.Parallel()
	retry20004 := func() *journal {
		return new(journal).ok("Hello, ", "", false).code("this is ", testKey, false, 20004)
	}
	tests := []struct {
		check    string
		name     string
		c        *Case
		j        *journal
		streams  []mockserver.Stream
		stdout   string
		run      func(*ClientRun)
		want     Outcome
		wantText string // in the message or the diff
	}{
		{check: "client/in-time", name: "timed out", run: func(r *ClientRun) { r.TimedOut = true }, want: Fail, wantText: "stopped with SIGTERM"},
		{check: "client/in-time", name: "killed", run: func(r *ClientRun) { r.TimedOut, r.Killed = true, true }, want: Fail, wantText: "ignored SIGTERM"},
		{check: "client/in-time", name: "could not start", run: func(r *ClientRun) { r.Error = "starting the client: no such file" }, want: Fail, wantText: "no such file"},

		{check: "request/method", name: "a GET", j: cleanJournal().add(body("x", testKey, false), 200, okReply, func(e *mockserver.Exchange) { e.Method = "GET" }), want: Fail, wantText: `+   "#4 GET"`},
		{check: "request/path", name: "a trailing slash", j: new(journal).add(body("Hello, ", "", false), 200, okKeyReply(testKey), func(e *mockserver.Exchange) { e.Path += "/" }), want: Fail, wantText: "path: wrong on call #1"},
		{check: "request/query/params", name: "contenttype missing, random twice", j: new(journal).add(body("Hello, ", "", true), 200, okKeyReply(testKey), query("sdkappid=1400000001&identifier=administrator&usersig=REDACTED&random=1&random=2")), want: Fail, wantText: `random×2"`},
		{check: "request/query/params", name: "another identifier", j: new(journal).add(body("Hello, ", "", true), 200, okKeyReply(testKey), query("sdkappid=1400000001&identifier=admin&usersig=REDACTED&random=1&contenttype=json")), want: Fail, wantText: "wrong on call #1"},
		{check: "request/query/random-range", name: "2^32", j: new(journal).add(body("Hello, ", "", true), 200, okKeyReply(testKey), query("random=4294967296")), want: Fail, wantText: `"4294967296"`},
		{check: "request/query/random-range", name: "negative", j: new(journal).add(body("Hello, ", "", true), 200, okKeyReply(testKey), query("random=-1")), want: Fail, wantText: `"-1"`},
		{check: "request/query/random-range", name: "largest", j: new(journal).add(body("Hello, ", "", true), 200, okKeyReply(testKey), query("random=4294967295")), want: Pass},
		{check: "request/query/random-fresh", name: "reused on a retry", j: new(journal).add(body("Hello, ", "", true), 502, "", query("random=7")).add(body("Hello, ", "", true), 200, okKeyReply(testKey), query("random=7")), want: Fail, wantText: "random=7 on calls #1, #2"},
		{check: "request/query/contenttype", name: "upper case", j: new(journal).add(body("Hello, ", "", true), 200, okKeyReply(testKey), query("contenttype=JSON")), want: Fail, wantText: "contenttype=JSON"},
		{check: "request/query/usersig", name: "rejected by the pipeline", j: new(journal).add(body("Hello, ", "", true), 200, errReply(70009), func(e *mockserver.Exchange) { e.Code, e.Check = 70009, codes.CheckUserSigSignature }), want: Fail, wantText: "usersig-signature"},
		{check: "request/query/usersig", name: "not judged under a fault", j: new(journal).add(body("Hello, ", "", true), 200, errReply(70009), func(e *mockserver.Exchange) {
			e.Code, e.Fault, e.Action = 70009, "f1", "error_code"
		}), want: NotApplicable, wantText: "no request reached"},
		{check: "request/query/usersig", name: "not judged for an unknown app", j: new(journal).add(body("Hello, ", "", true), 200, errReply(70020), func(e *mockserver.Exchange) { e.Code, e.Check = 70020, codes.CheckSDKAppIDUnknown }), want: NotApplicable},
		{check: "request/body/schema", name: "Finish 2", j: new(journal).add(`{"SessionId":"`+testSession+`","Chunk":"a","Finish":2}`, 200, errReply(90010)), want: Fail, wantText: "/Finish"},
		{check: "request/body/schema", name: "not JSON", j: new(journal).add(`SessionId=1`, 200, errReply(90001)), want: Fail, wantText: "not JSON"},
		{check: "request/body/schema", name: "over the limit is not judged", j: new(journal).add("", 200, errReply(93000), func(e *mockserver.Exchange) { e.Check = codes.CheckBodyTooLarge }), want: NotApplicable},

		{check: "stream/conversation", name: "another session", j: new(journal).ok("Hello, ", "", false).ok("this is ", testKey, false).add(strings.Replace(body("Tencent Cloud.", testKey, true), testSession, "00000000-0000-0000-0000-000000000001", 1), 200, okReply), want: Fail, wantText: `+   "#3 SessionId=00000000-0000-0000-0000-000000000001"`},
		{check: "stream/first-call-without-msgkey", name: "a MsgKey on the first call", j: new(journal).add(body("Hello, ", "made-up", false), 200, errReply(141004)), want: Fail, wantText: "#1 MsgKey=made-up"},
		{check: "stream/msgkey-reused", name: "forgotten", j: new(journal).ok("Hello, ", "", false).ok("this is ", "", false), want: Fail, wantText: `+   "#2 no MsgKey"`},
		{check: "stream/msgkey-reused", name: "another key", j: new(journal).ok("Hello, ", "", false).ok("this is ", "2_1700000000_x", false), want: Fail, wantText: "2_1700000000_x"},
		{check: "stream/msgkey-reused", name: "none issued", j: new(journal).code("Hello, ", "", false, 141005), want: NotApplicable, wantText: "no reply issued"},
		{check: "stream/chunks-in-order", name: "doubled", j: new(journal).ok("Hello, ", "", false).ok("this is ", testKey, false).ok("this is ", testKey, false).ok("Tencent Cloud.", testKey, true), want: Fail, wantText: `+   {"place":"2/3 again","Chunk":"this is "}`},
		{check: "stream/chunks-in-order", name: "skipped", j: new(journal).ok("Hello, ", "", false).ok("Tencent Cloud.", testKey, true), want: Fail, wantText: `-   {"place":"2/3","Chunk":"this is "}` + "\n"},
		{check: "stream/chunks-in-order", name: "stopped early", j: retry20004(), want: Pass, wantText: "2 chunks sent (of 3)"},
		{check: "stream/finish-last", name: "never", j: new(journal).ok("Hello, ", "", false).ok("this is ", testKey, false).ok("Tencent Cloud.", testKey, false), want: Fail, wantText: `+   "#3 chunk 3 no Finish"`},
		{check: "stream/finish-last", name: "too early", j: new(journal).ok("Hello, ", "", true), want: Fail, wantText: `+   "#1 chunk 1 Finish=1"`},
		{check: "stream/nothing-after-finish", name: "a call after", j: cleanJournal().add(body("more", testKey, false), 200, errReply(141004)), want: Fail, wantText: "sent 1 more: #4"},
		{check: "stream/text-equals-chunks", name: "doubled", streams: []mockserver.Stream{streamOf(true, "Hello, ", "this is ", "this is ", "Tencent Cloud.")}, want: Fail, wantText: `text doubled: the chunk "this is " was accepted twice`},
		{check: "stream/text-equals-chunks", name: "split", streams: []mockserver.Stream{streamOf(false, "Hello, "), streamOf(true, threeChunks...)}, want: Fail, wantText: "split over 2 streams"},
		{check: "stream/text-equals-chunks", name: "incomplete", streams: []mockserver.Stream{streamOf(false, "Hello, ")}, want: Fail, wantText: "text incomplete"},
		{check: "stream/text-equals-chunks", name: "expected partial text", c: &Case{Input: CaseInput{Chunks: []Chunk{{Text: "a"}, {Text: "b"}}}, Expect: Expectation{OK: false, ErrorCode: 141004, Texts: &[]string{"a"}}}, streams: []mockserver.Stream{streamOf(false, "a")}, want: Pass, wantText: "accepted before the failure"},

		{check: "retry/retryable-retried", name: "moved on", j: retry20004().ok("Tencent Cloud.", testKey, true), want: Fail, wantText: "went on with call #3 (chunk 3/3)"},
		{check: "retry/retryable-retried", name: "gave up at once", j: retry20004(), stdout: `{"ok":false,"error_code":20004}`, want: Fail, wantText: "sent nothing more"},
		{check: "retry/retryable-retried", name: "gave up after three attempts", j: retry20004().code("this is ", testKey, false, 20004).code("this is ", testKey, false, 20004), stdout: `{"ok":false,"error_code":20004}`, want: Pass},
		{check: "retry/retryable-retried", name: "stopped at the timeout", j: retry20004(), run: func(r *ClientRun) { r.TimedOut = true }, want: Pass},
		{check: "retry/same-request", name: "MsgKey dropped", j: retry20004().ok("this is ", "", false), want: Fail, wantText: `+   "MsgKey": "no MsgKey"`},
		{check: "retry/same-request", name: "Finish added", j: retry20004().ok("this is ", testKey, true), want: Fail, wantText: "Finish"},
		{check: "retry/bounded", name: "six attempts", j: func() *journal {
			j := new(journal).ok("Hello, ", "", false)
			for range 6 {
				j.code("this is ", testKey, false, 20005)
			}
			return j
		}(), want: Fail, wantText: "chunk 2/3 was sent 6 times"},
		{check: "retry/pause", name: "no pause", j: retry20004().add(body("this is ", testKey, false), 200, okReply, at(102)), want: Fail, wantText: "came 1ms after call #2 ended"},
		{check: "retry/pause", name: "after a call the client gave up during a delay", j: new(journal).ok("Hello, ", "", false).add(body("this is ", testKey, false), 0, "", func(e *mockserver.Exchange) { e.Action, e.Fault, e.LatencyMS = "delay", "f1", 80 }).add(body("this is ", testKey, false), 200, okReply, at(120)), want: NotApplicable},
		{check: "retry/non-retryable-not-retried", name: "141005 retried", j: new(journal).code("Hello, ", "", false, 141005).code("Hello, ", "", false, 141005), want: Fail, wantText: "ErrorCode 141005, which is not retryable, yet the client sent 1 more"},
		{check: "retry/non-retryable-not-retried", name: "next chunk after 141004", j: new(journal).ok("Hello, ", "", false).code("this is ", testKey, false, 141004).ok("Tencent Cloud.", testKey, true), want: Fail},

		{check: "answer/json", name: "garbage", stdout: "done!\n", want: Fail, wantText: "does not start with a JSON object"},
		{check: "answer/json", name: "timed out", stdout: "", run: func(r *ClientRun) { r.TimedOut = true }, want: NotApplicable},
		{check: "answer/ok", name: "false after success", stdout: `{"ok":false}`, want: Fail, wantText: `-   "ok": true`},
		{check: "answer/ok", name: "true after a failure", j: new(journal).code("Hello, ", "", false, 141005), stdout: okAnswer, want: Fail, wantText: "failed with ErrorCode 141005"},
		{check: "answer/msg-key", name: "another key", stdout: `{"ok":true,"msg_key":"9_1_ab"}`, want: Fail, wantText: "9_1_ab"},
		{check: "answer/error-code", name: "wrong code", j: new(journal).ok("Hello, ", "", false).code("this is ", testKey, false, 141004), stdout: `{"ok":false,"error_code":20004,"error_info":"x"}`, want: Fail, wantText: `-   "error_code": 141004`},
		{check: "answer/error-code", name: "a transport failure takes any code", j: new(journal).add(body("Hello, ", "", false), 502, "bad gateway"), stdout: `{"ok":false}`, want: NotApplicable},
		{check: "answer/error-info", name: "another text", j: new(journal).code("Hello, ", "", false, 141005), stdout: `{"ok":false,"error_code":141005,"error_info":"gone"}`, want: Fail, wantText: "This session does not exist."},
		{check: "outcome/expected", name: "failure where success was expected", j: retry20004(), stdout: `{"ok":false,"error_code":20004}`, want: Fail, wantText: `+   "error_code": 20004`},
	}
	for _, tt := range tests {
		t.Run(tt.check+"/"+tt.name, func(t *testing.T) {
			t.Parallel()
			c := tt.c
			if c == nil {
				c = testCase(threeChunks...)
			}
			j, streams, stdout := tt.j, tt.streams, tt.stdout
			if j == nil {
				j = cleanJournal()
			}
			if streams == nil {
				streams = finished()
			}
			if stdout == "" && tt.run == nil {
				stdout = okAnswer
			}
			ev := evidenceOf(c, j, streams, stdout)
			if tt.run != nil {
				tt.run(&ev.run)
				if ev.run.TimedOut {
					ev.answer, ev.answerErr = nil, nil
				}
			}
			checkVerdict(t, tt.check, ev, tt.want, tt.wantText)
		})
	}
}

// checkVerdict runs one check on ev and asserts its outcome, and that
// its message or diff mentions wantText.
func checkVerdict(t *testing.T, name string, ev *evidence, want Outcome, wantText string) {
	t.Helper()
	chk, ok := checkByName(name)
	if !ok {
		t.Fatalf("no check %s", name)
	}
	v := chk.run(ev)
	if v.outcome != want {
		t.Fatalf("outcome %s, want %s: %s\n%s", v.outcome, want, v.message, v.diff)
	}
	if !strings.Contains(v.message+"\n"+v.diff, wantText) {
		t.Errorf("message and diff do not mention %q:\n%s\n%s", wantText, v.message, v.diff)
	}
}

func TestGradeLevels(t *testing.T) {
	t.Parallel()
	c := testCase(threeChunks...)
	c.Levels = map[string]Level{"stream/text-equals-chunks": Info, "request/query/usersig": Skip}
	doubled := []mockserver.Stream{streamOf(true, "Hello, ", "this is ", "this is ", "Tencent Cloud.")}
	got := map[string]CheckResult{}
	for _, r := range grade(evidenceOf(c, cleanJournal(), doubled, okAnswer)) {
		got[r.Name] = r
	}
	if r := got["stream/text-equals-chunks"]; r.Level != Info || r.Outcome != Fail || r.Failed() {
		t.Errorf("text check = %+v, want an INFO note that does not count as a failure", r)
	}
	if r := got["request/query/usersig"]; r.Outcome != NotApplicable || r.Level != Must {
		t.Errorf("usersig check = %+v, want n/a at its own level", r)
	}
	if len(got) != len(allChecks) {
		t.Errorf("%d results, want one per check (%d)", len(got), len(allChecks))
	}
}

func TestCheckNames(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, c := range Checks() {
		if seen[c.Name] {
			t.Errorf("check %s listed twice", c.Name)
		}
		seen[c.Name] = true
		if c.Level != Must && c.Level != Should && c.Level != Info {
			t.Errorf("check %s has level %q", c.Name, c.Level)
		}
		if c.Description == "" {
			t.Errorf("check %s has no description", c.Name)
		}
	}
}
