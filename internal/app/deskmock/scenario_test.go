package deskmock

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/deskmock/deskmock/internal/readme"
	"github.com/deskmock/deskmock/mockserver"
	"github.com/deskmock/deskmock/mockserver/scenario"
)

// root is the module's root, from this package.
const root = "../../.."

// getJSON GETs a URL and decodes its JSON answer into v.
func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(v) != nil {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
}

// TestServeScenario: the README's example scenario is
// testdata/scenarios/transfer.yaml, and serve --scenario plays it once
// listening, against a bot that streams over HTTP: the scenario waits for
// the bot's finished answer, transfers, and the agent answers and ends; the
// admin API reports each step, and the session's life is the conversation.
func TestServeScenario(t *testing.T) {
	file := filepath.Join(root, "testdata", "scenarios", "transfer.yaml")
	text, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := readme.Read(root)
	if err != nil {
		t.Fatal(err)
	}
	if shown, _ := readme.Marked(doc, "scenario-example"); shown != "```yaml\n"+string(text)+"```\n" {
		t.Errorf("README.md's example scenario is not %s:\n%s", file, shown)
	}
	sc, err := scenario.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	id := sc.Sessions[0].ID

	s := startServe(t, nil, "--addr", "127.0.0.1:0", "--scenario", file)
	base := "http://" + s.addr
	// The bot: once the user has written, it streams its answer.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		var life mockserver.DeskSession
		getJSON(t, base+"/__admin/sessions/"+id, &life)
		if len(life.Events) >= 2 && life.Events[1].Event == mockserver.EventUserSendMsg {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the user never wrote: %+v\nstderr:\n%s", life, s.stderr)
		}
	}
	var key string
	for i, chunk := range []string{`"Chunk":"Which order?"`, `"Chunk":" Let me look.","Finish":1`} {
		body := `{"SessionId":"` + id + `",` + chunk
		if key != "" {
			body += `,"MsgKey":"` + key + `"`
		}
		resp, err := http.Post(endpointURL(t, base, mockserver.EndpointPath, uint32(900+i)), "application/json", strings.NewReader(body+"}"))
		if err != nil {
			t.Fatal(err)
		}
		var rep struct {
			ErrorCode int
			MsgKey    string
		}
		json.NewDecoder(resp.Body).Decode(&rep)
		resp.Body.Close()
		if rep.ErrorCode != 0 || (i == 0) != (rep.MsgKey != "") {
			t.Fatalf("chunk %d: %+v", i, rep) // the first call opens the stream, the second continues it
		}
		key += rep.MsgKey
	}

	var list struct{ Scenarios []scenario.Status }
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		getJSON(t, base+"/__admin/scenarios", &list)
		if len(list.Scenarios) == 1 && list.Scenarios[0].State != scenario.Running {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the scenario never ended: %+v", list)
		}
	}
	st := list.Scenarios[0]
	if st.State != scenario.Finished || st.Source != file || st.Name != "transfer to a human" || len(st.Results) != 8 {
		t.Fatalf("status %+v\nstderr:\n%s", st, s.stderr)
	}
	var got []string
	for _, r := range st.Results {
		got = append(got, string(r.Action)+":"+r.EventNames())
	}
	want := "begin:SessionBegin user:ChatBot.UserSendMsg wait_for: transfer:Transfer.Started,Transfer.Succeeded wait_for: " +
		"agent:Agent.AgentSendMsg user:Agent.UserSendMsg agent_end:SessionEnd"
	if strings.Join(got, " ") != want {
		t.Errorf("steps\n%s\nwant\n%s", strings.Join(got, " "), want)
	}
	var life mockserver.DeskSession
	getJSON(t, base+"/__admin/sessions/"+id, &life)
	if life.CurrentState != mockserver.DeskNotInSession || life.EndStatus != "AgentEndedSession" || life.ClientUserID != "alice" {
		t.Errorf("the session's life: %+v", life)
	}
	if code := s.stop(t); code != ExitOK {
		t.Errorf("exit %d", code)
	}
	for _, line := range []string{`msg="scenario step" play=1 scenario="transfer to a human" step=3 line=15 action=transfer`, `msg="scenario finished"`} {
		if !strings.Contains(s.stderr.String(), line) {
			t.Errorf("the log lacks %s:\n%s", line, s.stderr)
		}
	}
}

// TestServeBadScenario: a scenario that cannot be played stops serve at
// start with exit status 2, naming the file and the line; the README's
// example error is what its file gets.
func TestServeBadScenario(t *testing.T) {
	doc, err := readme.Read(root)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^deskmock serve: scenario (testdata/scenarios/bad/\S+): .*$`).FindStringSubmatch(doc)
	if m == nil {
		t.Fatal("README.md has no example of a scenario's error")
	}
	many := make([]string, 0, 2*(mockserver.MaxScenarios+1))
	for range mockserver.MaxScenarios + 1 {
		many = append(many, "--scenario", filepath.Join(root, "testdata", "scenarios", "transfer.yaml"))
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"the README's example", []string{"--scenario", filepath.Join(root, m[1])}, strings.Replace(m[0], m[1], filepath.Join(root, m[1]), 1)},
		{"a missing file", []string{"--scenario", "absent.yaml"},
			"deskmock serve: scenario: open absent.yaml: no such file or directory; see 'deskmock help serve'"},
		{"an empty name", []string{"--scenario", ""},
			`deskmock serve: bad --scenario "": empty file name; see 'deskmock help serve'`},
		{"too many", many,
			"deskmock serve: --scenario: 9 files, more than the 8 that play at once; see 'deskmock help serve'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, runOpts{}, append([]string{"serve", "--addr", "127.0.0.1:0"}, tt.args...)...)
			if r.code != ExitUsage || strings.TrimSpace(r.stderr) != tt.want || r.stdout != "" {
				t.Errorf("exit %d, stdout %q, stderr\n%s\nwant\n%s", r.code, r.stdout, r.stderr, tt.want)
			}
		})
	}
}
