package conformance

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/deskmock/deskmock/conformance/protocol"
	"github.com/deskmock/deskmock/mockserver"
	"github.com/deskmock/deskmock/mockserver/codes"
)

func builtin(t *testing.T) []Case {
	t.Helper()
	cases, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	return cases
}

// TestBuiltinCoverage pins the scenarios the suite must cover.
func TestBuiltinCoverage(t *testing.T) {
	t.Parallel()
	byName := map[string]Case{}
	for _, c := range builtin(t) {
		byName[c.Name] = c
	}
	required := []string{
		"stream/basic/one-chunk", "stream/basic/three-chunks", "stream/basic/many-chunks",
		"stream/empty/first-chunk", "stream/empty/middle-chunk", "stream/empty/last-chunk",
		"stream/encoding/unicode", "stream/encoding/json-escapes", "stream/size/near-limit",
		"errors/auth/70009-wrong-secret-key", "errors/auth/90009-not-admin", "errors/93000-body-too-large",
		"errors/141004-illegal-parameters", "errors/141005/session-ended", "errors/141006-illegal-session-id",
		"faults/http-502/middle-chunk", "faults/delay/beyond-timeout",
		"faults/reset-before-apply/middle-chunk", "faults/reset-after-apply/middle-chunk",
	}
	for _, code := range []int{20004, 20005, 141002} {
		for _, pos := range []string{"first", "middle", "last"} {
			required = append(required, "retry/"+itoa(code)+"/"+pos+"-chunk")
		}
		required = append(required, "retry/"+itoa(code)+"/exhausted")
	}
	for _, name := range required {
		if _, ok := byName[name]; !ok {
			t.Errorf("no case %s", name)
		}
	}
	for name, c := range byName {
		if !c.Expect.OK && codes.Retryable(c.Expect.ErrorCode) && !strings.HasSuffix(name, "/exhausted") {
			t.Errorf("%s expects the retryable code %d as the final answer", name, c.Expect.ErrorCode)
		}
	}
	// Each native endpoint gets the scenarios of v2 that its rules share,
	// and the refusals of its own names.
	for _, ep := range []string{"c2c", "group"} {
		for _, name := range []string{
			"basic/one-chunk", "basic/three-chunks", "from-account/present", "retry/20004/second-call",
			"faults/reset-after-apply/middle-chunk", "stream/idle-timeout/paused", "stream/rate/burst",
		} {
			c, ok := byName[ep+"/"+name]
			if !ok {
				t.Errorf("no case %s/%s", ep, name)
				continue
			}
			if c.Input.Version != ep {
				t.Errorf("%s streams to %q, want %s", c.Name, c.Input.Version, ep)
			}
		}
	}
	// The chatbot stream gets v1's scenarios that its rules share, and
	// the refusals of its sender.
	for _, name := range []string{
		"basic/one-chunk", "basic/three-chunks", "from-account/given", "retry/20004/second-call", "retry/10002/middle-chunk",
		"faults/reset-after-apply/middle-chunk", "errors/10004-sender-not-chatbot", "errors/10004-chatbot-unknown",
		"errors/70107-to-account-unknown",
	} {
		if c, ok := byName["chatbot/"+name]; !ok || c.Input.Version != "chatbot" {
			t.Errorf("no case chatbot/%s streaming to chatbot", name)
		}
	}
	if c := byName["chatbot/basic/one-chunk"]; len(c.Input.Chunks) != 1 || !c.Expect.OK {
		t.Errorf("chatbot/basic/one-chunk: %d chunks, ok %v; want one chunk (Finish: 1 on the first call), ok", len(c.Input.Chunks), c.Expect.OK)
	}
	if c := byName["chatbot/errors/10004-chatbot-unknown"]; c.Mock.Robots == nil || slices.Contains(*c.Mock.Robots, DefaultChatbot()) || c.Input.FromAccount != "" {
		t.Errorf("chatbot/errors/10004-chatbot-unknown: robots %v, from %q; want the app's chatbots without the default one, which the client is given", c.Mock.Robots, c.Input.FromAccount)
	}
	for name, trigger := range map[string]string{"c2c/retry/20004/second-call": "to_account", "group/retry/20004/second-call": "group_id", "chatbot/retry/20004/second-call": "to_account"} {
		names := byName[name].Input.names()
		if v := names.Value(protocol.Field{Input: trigger}); v == nil || *v != mockserver.TriggerName(20004, 2) {
			t.Errorf("%s: %s is not the trigger name %s", name, trigger, mockserver.TriggerName(20004, 2))
		}
	}
	for name, c := range byName {
		for _, f := range c.Mock.Faults {
			if v := c.Input.Version; v == "c2c" || v == "group" || v == "chatbot" {
				if f.Match.Endpoint != c.Input.Version {
					t.Errorf("%s: fault %+v does not match on endpoint %s", name, f.Match, c.Input.Version)
				}
			}
		}
	}
	if r := byName["faults/reset-after-apply/middle-chunk"].Levels["stream/text-equals-chunks"]; r != Info {
		t.Errorf("reset after apply grades the text at %q, want INFO", r)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestRetryFaultsHitTheirChunk checks that each retry case's fault hits the
// chunk its name says, by the call number of a careful client.
func TestRetryFaultsHitTheirChunk(t *testing.T) {
	t.Parallel()
	for _, c := range builtin(t) {
		parts := strings.Split(c.Name, "/")
		if _, ok := protocol.EndpointOf(parts[0]); ok {
			parts = parts[1:] // v2/retry/..., chatbot/retry/...
		}
		if len(parts) < 3 || parts[0] != "retry" || !strings.HasSuffix(parts[2], "-chunk") {
			continue
		}
		call := map[string]int{"first-chunk": 1, "middle-chunk": 2, "last-chunk": len(c.Input.Chunks)}[parts[2]]
		if len(c.Mock.Faults) != 1 || c.Mock.Faults[0].Match.Call != call || c.Mock.Faults[0].Times != 1 {
			t.Errorf("%s: faults %+v, want one fault, once, on call %d", c.Name, c.Mock.Faults, call)
		}
		if got := itoa(c.Mock.Faults[0].Action.ErrorCode); got != parts[1] {
			t.Errorf("%s: the fault answers %s", c.Name, got)
		}
	}
}

// TestBodySizes checks that the near-limit case stays under the body limit
// with a compact body, and that the 93000 case is over it.
func TestBodySizes(t *testing.T) {
	t.Parallel()
	limit := mockserver.DefaultConfig().Limits.MaxBodyBytes
	size := func(c Case, i int) int {
		b, _ := json.Marshal(map[string]any{"SessionId": c.SessionID(), "Chunk": c.Chunks()[i], "MsgKey": testKey, "Finish": 1})
		return len(b)
	}
	for _, c := range builtin(t) {
		switch c.Name {
		case "stream/size/near-limit":
			if n := size(c, 1); n > limit-40 || n < limit-300 {
				t.Errorf("%s: body of %d bytes, want within 40..300 bytes under %d", c.Name, n, limit)
			}
		case "errors/93000-body-too-large":
			if n := size(c, 1); n <= limit {
				t.Errorf("%s: body of %d bytes, want over %d", c.Name, n, limit)
			}
		}
	}
}

func TestParseCasesErrors(t *testing.T) {
	t.Parallel()
	valid := `{"name": "x/y", "description": "d", "input": {"chunks": ["a"]}, "expect": {"ok": true}}`
	tests := []struct {
		name string
		file string
		want []string // all in the error
	}{
		{"not JSON", `{"cases": [`, []string{"bad.json", "not valid JSON"}},
		{"no cases", `{}`, []string{"bad.json", "(top level)", "cases"}},
		{"unknown field", `{"cases": [` + strings.Replace(valid, `"expect"`, `"expext"`, 1) + `]}`, []string{"bad.json", "/cases/0 (x/y)", "expext"}},
		{"chunk of the wrong type", `{"cases": [` + strings.Replace(valid, `["a"]`, `[1]`, 1) + `]}`, []string{"/cases/0 (x/y)/input/chunks/0"}},
		{"bad name", `{"cases": [` + strings.Replace(valid, `"x/y"`, `"X Y"`, 1) + `]}`, []string{"/cases/0 (X Y)/name", "does not match pattern"}},
		{"failure without a code", `{"cases": [` + strings.Replace(valid, `"ok": true`, `"ok": false`, 1) + `]}`, []string{"/cases/0 (x/y)/expect", "error_code"}},
		{"success with a code", `{"cases": [` + strings.Replace(valid, `"ok": true`, `"ok": true, "error_code": 1`, 1) + `]}`, []string{"/cases/0 (x/y)/expect"}},
		{"unknown check in levels", `{"cases": [` + strings.Replace(valid, `"expect"`, `"levels": {"stream/nope": "INFO"}, "expect"`, 1) + `]}`, []string{"/cases/0 (x/y)/levels/stream/nope", "no such check"}},
		{"bad level", `{"cases": [` + strings.Replace(valid, `"expect"`, `"levels": {"retry/bounded": "MAY"}, "expect"`, 1) + `]}`, []string{"/cases/0 (x/y)/levels/retry~1bounded"}},
		{"fault field unknown", `{"cases": [` + strings.Replace(valid, `"expect"`, `"mock": {"faults": [{"match": {"cal": 2}, "action": {"error_code": 20004}}]}, "expect"`, 1) + `]}`, []string{"/cases/0 (x/y)/mock/faults/0/match", "cal"}},
		{"fault that is two things", `{"cases": [` + strings.Replace(valid, `"expect"`, `"mock": {"faults": [{"action": {"error_code": 20004, "reset": true}}]}, "expect"`, 1) + `]}`, []string{"/cases/0 (x/y)/mock/faults/0/action", "at most one"}},
		{"generated chunk without bytes", `{"cases": [` + strings.Replace(valid, `["a"]`, `[{"repeat": "ab"}]`, 1) + `]}`, []string{"/cases/0 (x/y)/input/chunks/0"}},
		{"unknown version", `{"cases": [` + strings.Replace(valid, `"input": {`, `"input": {"version": "v3", `, 1) + `]}`, []string{"/cases/0 (x/y)/input/version"}},
		{"more pauses than chunks", `{"cases": [` + strings.Replace(valid, `"input": {`, `"input": {"pauses_ms": [0, 5], `, 1) + `]}`, []string{"/cases/0 (x/y)/input/pauses_ms", "2 pauses for 1 chunk(s)"}},
		{"a rule of an unknown endpoint", `{"cases": [` + strings.Replace(valid, `"expect"`, `"mock": {"endpoints": {"v3": {}}}, "expect"`, 1) + `]}`, []string{"/cases/0 (x/y)/mock/endpoints", "v3"}},
		{"a key order with a key twice", `{"cases": [` + strings.Replace(valid, `"expect"`, `"mock": {"envelope": {"key_order": ["ErrorCode", "ErrorCode", "ActionStatus", "RequestId", "MsgKey"]}}, "expect"`, 1) + `]}`, []string{"/cases/0 (x/y)/mock/envelope/key_order"}},
		{"ended session with a malformed id", `{"cases": [` + strings.Replace(valid, `"input": {`, `"mock": {"session": "ended"}, "input": {"session_id": "nope", `, 1) + `]}`, []string{"/cases/0 (x/y)/mock/session", "well-formed"}},
		{"a To_Account on v1", `{"cases": [` + strings.Replace(valid, `"input": {`, `"input": {"to_account": "bob", `, 1) + `]}`, []string{"/cases/0 (x/y)/input/to_account", "endpoint v1 has no To_Account"}},
		{"a SessionId on c2c", `{"cases": [` + strings.Replace(valid, `"input": {`, `"input": {"version": "c2c", "session_id": "s", `, 1) + `]}`, []string{"/cases/0 (x/y)/input/session_id", "endpoint c2c has no SessionId"}},
		{"a GroupId on c2c", `{"cases": [` + strings.Replace(valid, `"input": {`, `"input": {"version": "c2c", "group_id": "g", `, 1) + `]}`, []string{"/cases/0 (x/y)/input/group_id", "endpoint c2c has no GroupId"}},
		{"a To_Account on group", `{"cases": [` + strings.Replace(valid, `"input": {`, `"input": {"version": "group", "to_account": "bob", `, 1) + `]}`, []string{"/cases/0 (x/y)/input/to_account", "endpoint group has no To_Account"}},
		{"an empty From_Account", `{"cases": [` + strings.Replace(valid, `"input": {`, `"input": {"version": "c2c", "from_account": "", `, 1) + `]}`, []string{"/cases/0 (x/y)/input/from_account"}},
		{"an ended session on group", `{"cases": [` + strings.Replace(valid, `"input": {`, `"mock": {"session": "ended"}, "input": {"version": "group", `, 1) + `]}`, []string{"/cases/0 (x/y)/mock/session", "not group"}},
		{"accounts of the wrong shape", `{"cases": [` + strings.Replace(valid, `"expect"`, `"mock": {"accounts": {"strict": "yes"}}, "expect"`, 1) + `]}`, []string{"/cases/0 (x/y)/mock/accounts/strict"}},
		{"a GroupId on chatbot", `{"cases": [` + strings.Replace(valid, `"input": {`, `"input": {"version": "chatbot", "group_id": "g", `, 1) + `]}`, []string{"/cases/0 (x/y)/input/group_id", "endpoint chatbot has no GroupId"}},
		{"a chatbot without @RBT#", `{"cases": [` + strings.Replace(valid, `"expect"`, `"mock": {"robots": ["my_bot"]}, "expect"`, 1) + `]}`, []string{"/cases/0 (x/y)/mock/robots/0"}},
		{"robots not a list", `{"cases": [` + strings.Replace(valid, `"expect"`, `"mock": {"robots": "@RBT#my_bot"}, "expect"`, 1) + `]}`, []string{"/cases/0 (x/y)/mock/robots"}},
		{"more chatbots than an app may have", `{"cases": [` + strings.Replace(valid, `"expect"`, `"mock": {"robots": [`+strings.TrimSuffix(strings.Repeat(`"@RBT#b",`, 21), ",")+`]}, "expect"`, 1) + `]}`, []string{"/cases/0 (x/y)/mock/robots"}},
		{"Desk calls on c2c", `{"cases": [` + strings.Replace(valid, `"input": {`, `"input": {"version": "c2c", "then": ["get_session_state"], `, 1) + `]}`, []string{"/cases/0 (x/y)/input/then", "not c2c"}},
		{"an unknown Desk call", `{"cases": [` + strings.Replace(valid, `"input": {`, `"input": {"then": ["end_session"], `, 1) + `]}`, []string{"/cases/0 (x/y)/input/then/0"}},
		{"no chunk and no Desk call", `{"cases": [` + strings.Replace(valid, `["a"]`, `[]`, 1) + `]}`, []string{"/cases/0 (x/y)/input/chunks", "nothing to do"}},
		{"an answer for a call not asked", `{"cases": [` + strings.Replace(valid, `"ok": true`, `"ok": true, "then": [{"call": "transfer_to_human", "ok": true}]`, 1) + `]}`, []string{"/cases/0 (x/y)/expect/then", "1 answer(s) for 0 call(s)"}},
		{"answers in another order", `{"cases": [` + strings.Replace(strings.Replace(valid, `"input": {`, `"input": {"then": ["transfer_to_human"], `, 1), `"ok": true`, `"ok": true, "then": [{"call": "get_session_state", "ok": true}]`, 1) + `]}`, []string{"/cases/0 (x/y)/expect/then/0/call", "input/then/0 is \"transfer_to_human\""}},
		{"a session ending on group", `{"cases": [` + strings.Replace(valid, `"input": {`, `"mock": {"end_session_after_call": 1}, "input": {"version": "group", `, 1) + `]}`, []string{"/cases/0 (x/y)/mock/end_session_after_call", "not group"}},
		{"an agent without an id", `{"cases": [` + strings.Replace(valid, `"expect"`, `"mock": {"agents": [{"busy": true}]}, "expect"`, 1) + `]}`, []string{"/cases/0 (x/y)/mock/agents/0"}},
		{"a group ID too long for the directory", `{"cases": [` + strings.Replace(valid, `"expect"`, `"mock": {"groups": {"ids": ["`+strings.Repeat("g", 49)+`"]}}, "expect"`, 1) + `]}`, []string{"/cases/0 (x/y)/mock/groups/ids/0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseCases("bad.json", []byte(tt.file))
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "conformance: bad.json: ") {
				t.Errorf("error %q does not start with the package and the file", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not mention %q", msg, w)
				}
			}
		})
	}
}

func TestLoadDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("b.json", `{"cases": [{"name": "extra/two", "description": "d", "input": {"chunks": ["a", {"repeat": "xy", "bytes": 5}]}, "expect": {"ok": true}}]}`)
	write("a.json", `{"cases": [{"name": "extra/one", "description": "d", "input": {"chunks": ["a"]}, "expect": {"ok": false, "error_code": 141005}}]}`)
	write("notes.txt", `not a case file`)
	cases, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) != 2 || cases[0].Name != "extra/one" || cases[1].Name != "extra/two" {
		t.Fatalf("cases %+v, want extra/one then extra/two", cases)
	}
	if got := cases[1].Chunks(); got[1] != "xyxyx" {
		t.Errorf("generated chunk %q, want xyxyx", got[1])
	}
	if cases[0].File != filepath.Join(dir, "a.json") {
		t.Errorf("File = %q", cases[0].File)
	}

	write("c.json", `{"cases": [{"name": "extra/one", "description": "again", "input": {"chunks": ["a"]}, "expect": {"ok": true}}]}`)
	if _, err := LoadDir(dir); err == nil || !strings.Contains(err.Error(), `case "extra/one" is already defined in`) {
		t.Errorf("duplicate: error %v", err)
	}
	if _, err := LoadDir(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no *.json case file") {
		t.Errorf("empty dir: error %v", err)
	}
}

func TestChunkJSON(t *testing.T) {
	t.Parallel()
	for _, text := range []string{`"plain"`, `{"repeat":"0123456789","bytes":25}`} {
		var c Chunk
		if err := json.Unmarshal([]byte(text), &c); err != nil {
			t.Fatal(err)
		}
		back, err := json.Marshal(c)
		if err != nil || string(back) != text {
			t.Errorf("round trip of %s gave %s, %v", text, back, err)
		}
	}
	c := Chunk{Repeat: "0123456789", Bytes: 25}
	if got := c.String(); got != "0123456789012345678901234" {
		t.Errorf("String() = %q", got)
	}
}

// TestEndpointTable: the protocol's endpoints are the mock's, at the mock's
// paths, and each has its request schema.
func TestEndpointTable(t *testing.T) {
	t.Parallel()
	paths := map[string]string{
		mockserver.V1: mockserver.EndpointPath, mockserver.V2: mockserver.EndpointV2Path,
		mockserver.C2C: mockserver.EndpointC2CPath, mockserver.Group: mockserver.EndpointGroupPath,
		mockserver.Chatbot: mockserver.EndpointChatbotPath,
	}
	for _, ep := range protocol.Endpoints() {
		if want, ok := paths[ep.Name]; !ok || ep.Path != want {
			t.Errorf("%s: path %s, the mock's is %q", ep.Name, ep.Path, want)
		}
		if _, ok := requestSchemas[ep.Name]; !ok {
			t.Errorf("%s: no request schema", ep.Name)
		}
		if len(ep.Conversation) == 0 {
			t.Errorf("%s: no field names the conversation", ep.Name)
		}
	}
	// The Desk calls of Input.Then are the mock's too, with their schemas.
	calls := map[string]string{mockserver.Transfer: mockserver.TransferPath, mockserver.GetSessionState: mockserver.SessionStatePath}
	for _, dc := range protocol.Calls() {
		if want, ok := calls[dc.Name]; !ok || dc.Path != want {
			t.Errorf("%s: path %s, the mock's is %q", dc.Name, dc.Path, want)
		}
		if _, ok := requestSchemas[dc.Name]; !ok {
			t.Errorf("%s: no request schema", dc.Name)
		}
	}
	if len(protocol.Endpoints()) != len(paths) || len(protocol.Calls()) != len(calls) || len(requestSchemas) != len(paths)+len(calls) {
		t.Errorf("%d endpoints and %d calls, %d schemas; the mock serves %d and %d", len(protocol.Endpoints()), len(protocol.Calls()), len(requestSchemas), len(paths), len(calls))
	}
}

// TestInputNamesTheConversation: each endpoint's client is given the names
// of its conversation only: given ones as given, required ones derived
// from the case name, From_Account only when the case gives it.
func TestInputNamesTheConversation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   CaseInput
		want func(c *Case, in Input) bool
	}{
		{CaseInput{}, func(c *Case, in Input) bool {
			return in.SessionID == c.SessionID() && in.FromAccount+in.ToAccount+in.GroupID == ""
		}},
		{CaseInput{Version: "c2c"}, func(c *Case, in Input) bool {
			return in.SessionID == "" && in.FromAccount == "" && strings.HasPrefix(in.ToAccount, "to-account-") && len(in.ToAccount) <= 32 && in.GroupID == ""
		}},
		{CaseInput{Version: "c2c", FromAccount: "bot", ToAccount: "trigger-20004-2"}, func(c *Case, in Input) bool {
			return in.SessionID == "" && in.FromAccount == "bot" && in.ToAccount == "trigger-20004-2"
		}},
		{CaseInput{Version: "group"}, func(c *Case, in Input) bool {
			return in.SessionID == "" && in.FromAccount == "" && strings.HasPrefix(in.GroupID, "group-id-") && in.ToAccount == ""
		}},
		{CaseInput{Version: "group", GroupID: "g1", FromAccount: "bot"}, func(c *Case, in Input) bool {
			return in.GroupID == "g1" && in.FromAccount == "bot" && in.SessionID == ""
		}},
		{CaseInput{Version: "chatbot"}, func(c *Case, in Input) bool {
			return in.FromAccount == "@RBT#my_bot" && strings.HasPrefix(in.ToAccount, "to-account-") && in.SessionID+in.GroupID == ""
		}},
		{CaseInput{Version: "chatbot", FromAccount: "@RBT#support", ToAccount: "user01"}, func(c *Case, in Input) bool {
			return in.FromAccount == "@RBT#support" && in.ToAccount == "user01" && in.SessionID+in.GroupID == ""
		}},
	}
	cfg := mockserver.DefaultConfig()
	for _, tt := range tests {
		c := &Case{Name: "a/b", Input: tt.in}
		in, err := c.input(cfg, "http://127.0.0.1:1", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if !tt.want(c, in) {
			t.Errorf("input of %+v = session %q, from %q, to %q, group %q", tt.in, in.SessionID, in.FromAccount, in.ToAccount, in.GroupID)
		}
		again, _ := c.input(cfg, "http://127.0.0.1:1", time.Now())
		other, _ := (&Case{Name: "a/c", Input: tt.in}).input(cfg, "http://127.0.0.1:1", time.Now())
		if again.ToAccount != in.ToAccount || again.GroupID != in.GroupID || (in.ToAccount != "" && tt.in.ToAccount == "" && other.ToAccount == in.ToAccount) {
			t.Errorf("derived names of %+v are not stable per case and distinct between cases", tt.in)
		}
	}
}

func TestSessionIDIsStableAndWellFormed(t *testing.T) {
	t.Parallel()
	a, b := (&Case{Name: "a/b"}).SessionID(), (&Case{Name: "a/b"}).SessionID()
	if a != b || !mockserver.ValidSessionID(a) || a == (&Case{Name: "a/c"}).SessionID() {
		t.Errorf("SessionID: %q, %q", a, b)
	}
	if got := (&Case{Name: "x", Input: CaseInput{SessionID: "given"}}).SessionID(); got != "given" {
		t.Errorf("SessionID with one given = %q", got)
	}
}

// TestREADME checks that conformance/README.md lists every check with its
// level and every built-in case.
func TestREADME(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, c := range Checks() {
		if row := "| `" + c.Name + "` | " + string(c.Level) + " |"; !strings.Contains(readme, row) {
			t.Errorf("README.md has no row %q", row)
		}
	}
	for _, c := range builtin(t) {
		if !strings.Contains(readme, "| `"+c.Name+"` |") {
			t.Errorf("README.md does not list the case %s", c.Name)
		}
	}
	top, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`through (\d+)\s+scripted cases`).FindStringSubmatch(string(top))
	if want := strconv.Itoa(len(builtin(t))); m == nil || m[1] != want {
		t.Errorf("the README's conformance section says %q, want %s scripted cases", m, want)
	}
}
