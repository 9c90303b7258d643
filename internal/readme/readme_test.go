package readme

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deskmock/deskmock/mockserver"
	"github.com/deskmock/deskmock/mockserver/codes"
)

func readme(t *testing.T) string {
	t.Helper()
	doc, err := Read("../..")
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// section returns the text between <!-- name:begin --> and <!-- name:end -->.
func section(t *testing.T, doc, name string) string {
	t.Helper()
	text, ok := Marked(doc, name)
	if !ok {
		t.Fatalf("README has no %s section", name)
	}
	return text
}

func TestCodeTableMatchesTheCode(t *testing.T) {
	got := section(t, readme(t), "codes")
	want := codes.Markdown(codes.Defaults())
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("README's check→code table drifted from mockserver/codes (-code +README):\n%s\nPaste the code's table:\n%s", diff, want)
	}
	got, want = section(t, readme(t), "codes-variants"), codes.Markdown(codes.Variants())
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("README's table of endpoints' own codes drifted from mockserver/codes (-code +README):\n%s\nPaste the code's table:\n%s", diff, want)
	}
}

func TestTriggerTableNamesRealCodes(t *testing.T) {
	doc := readme(t)
	re := regexp.MustCompile("`00000000-0000-0000-([0-9]{4})-([0-9]{12})` \\| ([0-9]+) ")
	rows := re.FindAllStringSubmatch(doc, -1)
	seen := map[string]bool{}
	for _, m := range rows {
		if strings.TrimLeft(m[2], "0") != m[3] {
			t.Errorf("row %q: the ID names code %s, the text %s", m[0], m[2], m[3])
		}
		seen[m[3]] = true
	}
	for _, c := range codes.APICodes() {
		if !seen[itoa(c)] {
			t.Errorf("the trigger table lacks code %d of the API's table", c)
		}
	}
}

// Each row of the README's table of trigger accounts and groups answers,
// on the C2C and the group stream, the code it says on the calls it says
// (every call, or the Nth only), and is the name mockserver.TriggerName
// gives.
func TestTriggerNameTableIsTrue(t *testing.T) {
	re := regexp.MustCompile("(?m)^\\| `(trigger-([0-9]+)(?:-([0-9]+))?)` \\| ([0-9]+) ")
	rows := re.FindAllStringSubmatch(readme(t), -1)
	if len(rows) < 2 {
		t.Fatalf("the README has %d rows of trigger names", len(rows))
	}
	ts := mockserver.NewTestServer(t)
	for _, m := range rows {
		name, code, call := m[1], atoi(t, m[2]), 0
		if m[3] != "" {
			call = atoi(t, m[3])
		}
		if m[4] != m[2] {
			t.Errorf("row %s: the name says code %s, the text %s", name, m[2], m[4])
		}
		if got := mockserver.TriggerName(code, call); got != name {
			t.Errorf("row %s: TriggerName(%d, %d) = %s", name, code, call, got)
		}
		for _, ep := range []struct{ path, conv string }{
			{mockserver.EndpointC2CPath, `"To_Account":"` + name + `"`},
			{mockserver.EndpointGroupPath, `"GroupId":"` + name + `"`},
		} {
			body := `{` + ep.conv + `,"MsgBody":[{"MsgType":"TIMStreamElem","MsgContent":{"Chunks":[{"EventType":"data","Index":1,"Markdown":"x","IsLast":true}]}}]}`
			for n := 1; n <= 3; n++ {
				want := 0
				if call == 0 || call == n {
					want = code
				}
				if got := postCode(t, ts, ep.path, body); got != want {
					t.Errorf("%s on %s, call %d: ErrorCode %d, want %d", name, ep.path, n, got, want)
				}
			}
		}
	}
}

// postCode posts body to an endpoint of ts as its administrator and
// returns the reply's ErrorCode.
func postCode(t *testing.T, ts *mockserver.TestServer, path, body string) int {
	t.Helper()
	u := ts.URL + path + "?" + mockserver.Query(ts.App.SDKAppID, ts.Identifier, ts.SignUserSig(), 1)
	resp, err := http.Post(u, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env struct{ ErrorCode int }
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		t.Fatal(err)
	}
	return env.ErrorCode
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func itoa(n int) string {
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

// TestWalkthrough runs the README's curl walk-throughs, v1, v2, c2c,
// group and chatbot, against a real deskmock binary, built where the README's
// "bin/deskmock" would be, with a free port in place of 8780.
func TestWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	for _, tool := range []string{"bash", "curl", "sed"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	const requestID = `,"RequestId":"Id-[0-9a-f]{32}-O-Seq-[0-9]+"`
	tests := []struct {
		section string
		want    []string // a pattern per output line
	}{
		{"walkthrough", []string{
			`^\{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"MsgKey":"1_[0-9]+_[0-9a-f]{25}"` + requestID + `\}$`,
			`^\{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0` + requestID + `\}$`,
			`^\{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0` + requestID + `\}$`,
			`"version":"v1",.*"state":"finished","chunks":\["Hello, ","this is ","Tencent Cloud."\],"text":"Hello, this is Tencent Cloud.",.*"finished":true,"calls":3`,
		}},
		{"walkthrough-v2", []string{
			`^\{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"MsgKey":"1_[0-9]+_[0-9a-f]{25}"` + requestID + `\}$`,
			`^\{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0` + requestID + `\}$`,
			`^\{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0` + requestID + `\}$`,
			`"version":"v2",.*"state":"finished","chunks":\["\*\*Hello\*\*, ","this is ","Tencent Cloud."\],"indexes":\[1,2,3\],"text":"\*\*Hello\*\*, this is Tencent Cloud.",.*"compatible_text":"Please upgrade to see this message.","finished":true,"calls":3`,
		}},
		{"walkthrough-c2c", []string{
			`^\{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"StreamMsgID":"1_[0-9]+_[0-9a-f]{25}"` + requestID + `\}$`,
			`^\{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0` + requestID + `\}$`,
			`^\{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0` + requestID + `\}$`,
			`"version":"c2c",.*"conversation":"c2c:support_bot:user01","state":"finished","chunks":\["\*\*Hello\*\*, ","this is ","Tencent Cloud."\],"indexes":\[1,2,3\],"text":"\*\*Hello\*\*, this is Tencent Cloud.",.*"finished":true,"calls":3`,
		}},
		{"walkthrough-group", []string{
			`^\{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"StreamMsgID":"1_[0-9]+_[0-9a-f]{25}"` + requestID + `\}$`,
			`^\{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0` + requestID + `\}$`,
			`^\{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0` + requestID + `\}$`,
			`"version":"group",.*"conversation":"group:demo_group:support_bot","state":"finished","chunks":\["\*\*Hello\*\*, ","this is ","Tencent Cloud."\],"indexes":\[1,2,3\],"text":"\*\*Hello\*\*, this is Tencent Cloud.",.*"finished":true,"calls":3`,
		}},
		{"walkthrough-chatbot", []string{
			`^\{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0` + requestID + `\}$`,
			`^\{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"MsgKey":"1_[0-9]+_[0-9a-f]{25}"` + requestID + `\}$`,
			`^\{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0` + requestID + `\}$`,
			`^\{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0` + requestID + `\}$`,
			`"version":"chatbot",.*"conversation":"c2c:@RBT#helper:user01","state":"finished","chunks":\["Hello, ","this is ","Tencent Cloud."\],"text":"Hello, this is Tencent Cloud.",.*"chatbot_message":\{"chatbotPlugin":2,"src":2,"chunks":\["Hello, ","this is ","Tencent Cloud."\],"isFinished":1\},"finished":true,"calls":3`,
			`^\{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0` + requestID + `,"Robot_Account":\["@RBT#helper","@RBT#my_bot"\]\}$`,
			`^\{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0` + requestID + `\}$`,
		}},
		{"walkthrough-desk", []string{
			`^\{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"MsgKey":"1_[0-9]+_[0-9a-f]{25}"` + requestID + `\}$`,
			`^\{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0` + requestID + `,"AgentId":"agent@example.com","IsInQueue":0\}$`,
			`^\{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0` + requestID + `,"SessionId":"3f2504e0-4f89-41d3-9a0c-0305e82c3301","CurrentState":"Agent","AgentId":"agent@example.com"\}$`,
			`^\{"ActionStatus":"FAIL","ErrorInfo":"This session does not exist.","ErrorCode":141005` + requestID + `\}$`,
			`^\{"events":\[\{"event":"Session.Rated","session_id":"3f2504e0-4f89-41d3-9a0c-0305e82c3301","time":"[^"]+","agent_id":"agent@example.com","satisfaction":5,"seq":[0-9]+\}\],"session":\{"session_id":"3f2504e0-4f89-41d3-9a0c-0305e82c3301",.*"satisfaction":5,.*\}\}$`,
			`^\{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0` + requestID + `,"TotalCount":6,"Messages":\[\{"FromAccount":"user01","FromAccountRole":1,"MsgBody":\[\{"MsgType":"TIMTextElem","MsgContent":\{"Text":"Where is my order\?"\}\}\],"Timestamp":[0-9]+\},\{"FromAccount":"@customer_service_account","FromAccountRole":2,"MsgBody":\[\{"MsgType":"TIMTextElem","MsgContent":\{"Text":"Let me check."\}\}\],"Timestamp":[0-9]+\},` +
				`\{"FromAccount":"@customer_service_account","FromAccountRole":3,"MsgBody":\[\{"MsgType":"TIMTextElem","MsgContent":\{"Text":"Connecting you to an agent…"\}\}\],"CloudCustomData":"\{\\"messageType\\":\\"connectingToAgent\\",\\"role\\":\\"robot\\",\\"scene\\":\\"transferSession\\"\}","Timestamp":[0-9]+\},` +
				`\{"FromAccount":"@customer_service_account","FromAccountRole":3,"MsgBody":\[\{"MsgType":"TIMTextElem","MsgContent":\{"Text":"You are connected to an agent."\}\}\],"CloudCustomData":"\{\\"messageType\\":\\"connectedToAgent\\",\\"role\\":\\"robot\\",\\"scene\\":\\"transferSession\\"\}","Timestamp":[0-9]+\},` +
				`\{"FromAccount":"agent@example.com","FromAccountRole":2,"MsgBody":\[\{"MsgType":"TIMTextElem","MsgContent":\{"Text":"Your order ships today."\}\}\],"Timestamp":[0-9]+\},` +
				`\{"FromAccount":"@customer_service_account","FromAccountRole":3,"MsgBody":\[\{"MsgType":"TIMTextElem","MsgContent":\{"Text":"The session has ended."\}\}\],"CloudCustomData":"\{\\"messageType\\":\\"proactiveClosure\\",\\"role\\":\\"robot\\",\\"scene\\":\\"transferSession\\"\}","Timestamp":[0-9]+\}\]\}$`,
			`"current_state":"NotInSession","end_status":"AgentEndedSession","satisfaction":5,"events":\[\{"event":"SessionBegin",.*\{"event":"ChatBot.UserSendMsg",.*\{"event":"ChatBot.RobotSendMsg",.*\{"event":"Transfer.Started",.*\{"event":"Transfer.Succeeded",.*\{"event":"Agent.AgentSendMsg",.*\{"event":"SessionEnd",.*\{"event":"Session.Rated",.*"messages":\[`,
		}},
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "deskmock")
	build := exec.Command("go", "build", "-o", bin, "./cmd/deskmock")
	build.Dir = "../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, tt := range tests {
		t.Run(tt.section, func(t *testing.T) {
			script := section(t, readme(t), tt.section)
			script = strings.TrimPrefix(strings.TrimSpace(script), "```sh")
			script = strings.TrimSuffix(script, "```")
			addr := serveBinary(t, bin)
			if !strings.Contains(script, "bin/deskmock ") {
				t.Fatal("the walk-through no longer runs bin/deskmock")
			}
			script = strings.ReplaceAll(script, "bin/deskmock ", bin+" ")
			script = strings.ReplaceAll(script, "127.0.0.1:8780", addr)
			cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
			cmd.Dir = dir
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Run(); err != nil {
				t.Fatalf("the walk-through failed: %v\n%s", err, out.String())
			}
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			if len(lines) != len(tt.want) {
				t.Fatalf("output has %d lines, want %d:\n%s", len(lines), len(tt.want), out.String())
			}
			for i, want := range tt.want {
				if !regexp.MustCompile(want).MatchString(lines[i]) {
					t.Errorf("line %d: %s\ndoes not match %s", i+1, lines[i], want)
				}
			}
		})
	}
}

// serveBinary starts "deskmock serve" on a free loopback port until the
// test ends, and returns its address once it is healthy.
func serveBinary(t *testing.T, bin string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	serve := exec.CommandContext(ctx, bin, "serve", "--addr", addr)
	serve.Cancel = func() error { return serve.Process.Signal(os.Interrupt) }
	serve.WaitDelay = 10 * time.Second
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		serve.Wait() // reports the cancellation even on a clean exit
		if code := serve.ProcessState.ExitCode(); code != 0 {
			t.Errorf("serve exited %d on SIGINT, want 0", code)
		}
	})
	waitHealthy(t, "http://"+addr+"/__admin/health")
	return addr
}

func waitHealthy(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the server did not become healthy")
}

// A shell command of the README runs the binary where the quick start
// builds it, bin/deskmock: a bare "deskmock" is on no PATH the README sets
// up (the CI examples, in YAML, put it on theirs).
func TestShellCommandsRunTheBuiltBinary(t *testing.T) {
	doc := readme(t)
	inSh, continued := false, false
	for i, line := range strings.Split(doc, "\n") {
		switch {
		case strings.HasPrefix(line, "```"):
			inSh, continued = line == "```sh", false
			continue
		case !inSh:
			continue
		}
		cmd := strings.TrimSpace(line)
		if !continued && (strings.HasPrefix(cmd, "deskmock ") || cmd == "deskmock") {
			t.Errorf("README.md:%d runs a bare deskmock; the quick start builds bin/deskmock: %s", i+1, line)
		}
		continued = strings.HasSuffix(cmd, "\\")
	}
}

// The Configuration section's example error is what a file with that
// mistake gets.
func TestConfigErrorExample(t *testing.T) {
	doc := readme(t)
	re := regexp.MustCompile("(?m)^deskmock serve: (config my\\.yaml: .*); see 'deskmock help serve'$")
	m := re.FindStringSubmatch(doc)
	if m == nil {
		t.Fatal("README.md has no example of a configuration error")
	}
	const file = "apps:\n  - {sdkappid: 1400000001, secret_key: k, admins: [administrator]}\nlimit: {max_streams: 5}\n"
	_, err := mockserver.ParseConfig("my.yaml", []byte(file))
	if err == nil || err.Error() != m[1] {
		t.Errorf("README.md shows\n%s\nthe file with the mistake gets\n%v", m[1], err)
	}
}

// TestContentsListsEverySection: the README's contents name every
// second-level section, in order, with a link GitHub makes for it.
func TestContentsListsEverySection(t *testing.T) {
	doc := readme(t)
	var want []string
	inFence := false
	for _, line := range strings.Split(doc, "\n") {
		if strings.HasPrefix(line, "```") {
			inFence = !inFence
		}
		if title, ok := strings.CutPrefix(line, "## "); ok && !inFence && title != "Contents" {
			want = append(want, "- ["+title+"](#"+anchor(title)+")")
		}
	}
	got := strings.Split(strings.TrimSpace(section(t, doc, "toc")), "\n")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the contents (-want +got):\n%s", diff)
	}
}

// anchor is the fragment GitHub gives a heading: lower case, spaces to
// hyphens, punctuation but hyphens and underscores dropped.
func anchor(title string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(title) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		}
	}
	return b.String()
}
