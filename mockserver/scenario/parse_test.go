package scenario

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/deskmock/deskmock/internal/golden"
	"github.com/deskmock/deskmock/schemas"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/scenarios/bad")

// dir holds the scenario files of the tests, good and bad.
const dir = "../../testdata/scenarios"

// goOnly are the bad files the schema accepts: what it cannot say (order,
// references, bounds of durations, anchors), which Parse refuses.
var goOnly = map[string]bool{
	"out-of-order": true, "unknown-session": true, "unnamed-sessions": true, "step-without-session": true,
	"duplicate-session": true, "wait-too-long": true, "delay-too-long": true, "anchors": true,
}

// schemaAccepts validates a scenario's text with scenario.schema.json, as
// JSON data; a text that is not YAML is refused.
func schemaAccepts(t *testing.T, b []byte) bool {
	t.Helper()
	var doc any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return false
	}
	j, err := json.Marshal(doc)
	if err != nil {
		t.Fatalf("as JSON: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return schemas.Must(schemas.ScenarioFile).Validate(v) == nil
}

// TestParseBad: every bad file is refused with its golden message, which
// names the line; the schema refuses it too, but for what only Parse can
// say (goOnly).
func TestParseBad(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(dir, "bad", "*.yaml"))
	if len(files) < 30 {
		t.Fatalf("only %d bad files", len(files))
	}
	seen := map[string]bool{}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Parse(name+".yaml", b)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse = %v, want an *Error", err)
			}
			golden.Check(t, strings.TrimSuffix(f, ".yaml")+".err", err.Error()+"\n", *update)
			if accepts := schemaAccepts(t, b); accepts != goOnly[name] {
				t.Errorf("the schema accepts it: %v, want %v (Parse: %v)", accepts, goOnly[name], err)
			}
		})
	}
	for name := range goOnly {
		if !seen[name] {
			t.Errorf("goOnly names %s, which is no file", name)
		}
	}
}

// TestParseGood: the good files and the README's example parse, and the
// schema accepts them.
func TestParseGood(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(dir, "good", "*"))
	files = append(files, filepath.Join(dir, "transfer.yaml"))
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			sc, err := Load(f)
			if err != nil {
				t.Fatal(err)
			}
			if len(sc.Steps) == 0 || len(sc.Sessions) == 0 {
				t.Fatalf("parsed to %+v", sc)
			}
			b, _ := os.ReadFile(f)
			if !schemaAccepts(t, b) {
				t.Error("the schema refuses it")
			}
		})
	}
}

// TestParseEveryAction reads every field of every action.
func TestParseEveryAction(t *testing.T) {
	sc, err := Load(filepath.Join(dir, "good", "every-action.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if sc.Name != "every action" || len(sc.Sessions) != 2 || sc.Sessions[0] != (Session{Name: "a", ID: "1B4E28BA-2FA1-11D2-883F-0016D3CCA427", User: "alice", CustomerService: "@cs", Channel: "SDK"}) {
		t.Fatalf("sessions %+v", sc.Sessions)
	}
	var got []string
	for _, st := range sc.Steps {
		got = append(got, string(st.Action))
	}
	want := "begin begin user wait_for transfer transfer wait_for accept accept agent rate silent agent_end end"
	if strings.Join(got, " ") != want {
		t.Fatalf("actions %q, want %q", strings.Join(got, " "), want)
	}
	s := sc.Steps
	checks := []struct {
		name string
		ok   bool
	}{
		{"step 0 on a", s[0].Session == 0 && s[0].Line == 11},
		{"step 1 at 1s on b", s[1].Session == 1 && s[1].HasAt && s[1].At == time.Second},
		{"step 2 after 500ms says hi", s[2].After == 500*time.Millisecond && s[2].Text == "hi"},
		{"step 3 waits for a reply 30s", *s[3].Wait == Wait{Reply: true, Timeout: DefaultWait}},
		{"step 4 transfer options", len(s[4].Transfer.AgentIDs) == 2 && *s[4].Transfer.AgentGroupID == 3 && s[4].Transfer.CheckWorkingHours &&
			!s[4].Transfer.EndSessionWhenNoMemberOnline && s[4].Transfer.DisableQueuing && s[4].Transfer.AllowAssignBusyMember &&
			s[4].Transfer.SendTipIfNoAgentOnline && s[4].Transfer.SendPromptNotDuringWorkingHours &&
			s[4].Transfer.Priority == 2 && s[4].Transfer.QueueTimeout == 90*time.Second},
		{"step 5 plain transfer", s[5].Transfer != nil && s[5].Transfer.AgentGroupID == nil && len(s[5].Transfer.AgentIDs) == 0},
		{"step 6 waits for Queueing 90s", *s[6].Wait == Wait{State: "Queueing", Timeout: 90 * time.Second}},
		{"step 7 accept by ann", s[7].AgentID == "ann@example.com"},
		{"step 8 accept by anyone", s[8].AgentID == ""},
		{"step 10 rates 5", s[10].Stars == 5},
		{"step 13 after 1h", s[13].After == time.Hour && !s[13].HasAt},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: %+v", c.name, s)
		}
	}
}

// TestParseBounds: a file over 1 MiB and a scenario of more steps or
// sessions than allowed are refused, saying the bound.
func TestParseBounds(t *testing.T) {
	var steps, sessions strings.Builder
	steps.WriteString("sessions:\n  - user: u\nsteps:\n")
	for range MaxSteps + 1 {
		steps.WriteString("  - begin:\n")
	}
	sessions.WriteString("sessions:\n")
	for range MaxSessions + 1 {
		sessions.WriteString("  - user: u\n")
	}
	sessions.WriteString("steps:\n  - begin:\n")
	tests := []struct {
		name, text, want string
	}{
		{"large", "sessions: []\n#" + strings.Repeat("x", MaxBytes), "scenario large: more than 1048576 bytes, the most a scenario may have"},
		{"steps", steps.String(), "scenario steps: line 4: steps: 1001 items: give 1 to 1000"},
		{"sessions", sessions.String(), "scenario sessions: line 2: sessions: 101 items: give 1 to 100"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.name, []byte(tt.text))
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s: %v, want %s", tt.name, err, tt.want)
		}
	}
}

// TestLoadNames: a file that cannot be read is named; a scenario without
// a name takes its file's.
func TestLoadNames(t *testing.T) {
	if _, err := Load(filepath.Join(dir, "nope.yaml")); err == nil || !strings.Contains(err.Error(), "nope.yaml") {
		t.Errorf("Load of a missing file: %v", err)
	}
	sc, err := Load(filepath.Join(dir, "good", "minimal.yaml"))
	if err != nil || sc.Name != "minimal.yaml" || sc.Sessions[0].Name != "main" {
		t.Errorf("Load = %+v, %v", sc, err)
	}
}
