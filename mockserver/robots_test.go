package mockserver

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// getAllRobots calls get_all_robots and returns its Robot_Account.
func getAllRobots(t *testing.T, ts *TestServer) []string {
	t.Helper()
	resp, err := http.Post(ts.APIURL(GetAllRobotsPath), "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var r struct {
		ErrorCode     int
		Robot_Account []string
	}
	if err := json.Unmarshal(raw, &r); err != nil || r.ErrorCode != 0 || r.Robot_Account == nil {
		t.Fatalf("get_all_robots: %s (%v)", raw, err)
	}
	return r.Robot_Account
}

// The chatbot accounts live as the vendor states: create is idempotent,
// delete marks a chatbot invalid (it may not stream), an app has at most
// 20, and get_all_robots lists the valid ones.
func TestRobotAccounts(t *testing.T) {
	ts := NewTestServer(t)
	create := func(id string) int {
		return post(t, ts.APIURL(CreateRobotPath), `{"UserID":"`+id+`","Nick":"n"}`).ErrorCode
	}
	remove := func(id string) int {
		return post(t, ts.APIURL(DeleteRobotPath), `{"Robot_Account":"`+id+`"}`).ErrorCode
	}
	stream := func(from string) int {
		return post(t, ts.APIURL(EndpointChatbotPath), `{"From_Account":"`+from+`","To_Account":"user01","Chunk":"hi","Finish":1}`).ErrorCode
	}
	steps := []struct {
		name string
		do   func() int
		want int
		all  []string
	}{
		{"the configured chatbot streams", func() int { return stream("@RBT#my_bot") }, 0, []string{"@RBT#my_bot"}},
		{"a chatbot not created may not", func() int { return stream("@RBT#helper") }, 10004, []string{"@RBT#my_bot"}},
		{"create", func() int { return create("@RBT#helper") }, 0, []string{"@RBT#helper", "@RBT#my_bot"}},
		{"create again: nothing changes", func() int { return create("@RBT#helper") }, 0, []string{"@RBT#helper", "@RBT#my_bot"}},
		{"the new chatbot streams", func() int { return stream("@RBT#helper") }, 0, []string{"@RBT#helper", "@RBT#my_bot"}},
		{"delete", func() int { return remove("@RBT#helper") }, 0, []string{"@RBT#my_bot"}},
		{"a deleted chatbot may not stream", func() int { return stream("@RBT#helper") }, 10004, []string{"@RBT#my_bot"}},
		{"delete again", func() int { return remove("@RBT#helper") }, 10004, []string{"@RBT#my_bot"}},
		{"create it anew", func() int { return create("@RBT#helper") }, 0, []string{"@RBT#helper", "@RBT#my_bot"}},
	}
	for _, st := range steps {
		if got := st.do(); got != st.want {
			t.Fatalf("%s: code %d, want %d", st.name, got, st.want)
		}
		if diff := cmp.Diff(st.all, getAllRobots(t, ts)); diff != "" {
			t.Fatalf("%s: get_all_robots (-want +got):\n%s", st.name, diff)
		}
	}
	for i := 2; i < maxRobotsPerApp; i++ {
		if code := create("@RBT#r" + strconv.Itoa(i)); code != 0 {
			t.Fatalf("chatbot %d: code %d", i+1, code)
		}
	}
	if code := create("@RBT#one_too_many"); code != 10008 {
		t.Errorf("the 21st chatbot: code %d, want 10008", code)
	}
	if code := create("@RBT#helper"); code != 0 {
		t.Errorf("creating a valid chatbot at the limit: code %d, want 0 (idempotent)", code)
	}
	if code := remove("@RBT#r2"); code != 0 {
		t.Fatal(code)
	}
	if code := create("@RBT#one_too_many"); code != 0 {
		t.Errorf("after a delete: code %d, want 0", code)
	}
	robots := ts.Robots()
	if len(robots) != maxRobotsPerApp+1 || robots[0].SDKAppID != 1400000001 {
		t.Errorf("Robots() = %d chatbots %+v, want 20 valid and 1 deleted", len(robots), robots)
	}
	ts.Reset()
	if got := getAllRobots(t, ts); !cmp.Equal(got, []string{"@RBT#my_bot"}) {
		t.Errorf("after a reset: %v, want the configured chatbot only", got)
	}
}

// The deleted chatbots an app remembers are bounded; each chatbot's
// strings are its own, and the store counts them.
func TestRobotStoreBounded(t *testing.T) {
	st := newRobotStore([]App{{SDKAppID: 1, Robots: []string{"@RBT#a"}}})
	long := strings.Repeat("s", maxRobotSignatureBytes)
	for i := range 1000 {
		id := "@RBT#" + strconv.Itoa(i)
		if !st.create(Robot{SDKAppID: 1, UserID: id, SelfSignature: long}) || !st.remove(1, id) {
			t.Fatalf("chatbot %d", i)
		}
	}
	if n := len(st.list(1, false)); n != 1+maxDeletedRobotsPerApp {
		t.Errorf("%d chatbots kept, want %d", n, 1+maxDeletedRobotsPerApp)
	}
	want := int64(robotOverhead+len("@RBT#a")) + maxDeletedRobotsPerApp*int64(robotOverhead+len("@RBT#999")+maxRobotSignatureBytes)
	if got := st.held(); got != want {
		t.Errorf("held %d bytes, want %d", got, want)
	}
}

// A chatbot's stream: its sender a chatbot, one chunk a call, Finish: 1
// on the first call for a message of one chunk, no call after the end,
// and the user sees the chatbots' custom message.
func TestChatbotStream(t *testing.T) {
	ts := NewTestServer(t)
	url := ts.APIURL(EndpointChatbotPath)
	body := func(key, chunk string, finish bool) string {
		m := map[string]any{"From_Account": "@RBT#my_bot", "To_Account": "user01", "Chunk": chunk}
		if key != "" {
			m["MsgKey"] = key
		}
		if finish {
			m["Finish"] = 1
		}
		return mustJSON(m)
	}
	first := post(t, url, body("", "Hello, ", false))
	if first.ErrorCode != 0 || first.MsgKey == "" {
		t.Fatalf("first call: %+v", first)
	}
	st, _ := ts.Stream(first.MsgKey)
	if want := (&ChatbotMessage{ChatbotPlugin: 2, Src: 2, Chunks: []string{"Hello, "}}); !cmp.Equal(st.ChatbotMessage, want) {
		t.Errorf("an open stream shows %+v, want %+v", st.ChatbotMessage, want)
	}
	if r := post(t, url, body(first.MsgKey, "world", true)); r.ErrorCode != 0 {
		t.Fatalf("last call: %+v", r)
	}
	if r := post(t, url, body(first.MsgKey, "!", false)); r.ErrorCode != 10004 {
		t.Errorf("a call after the end: %+v, want 10004", r)
	}
	st, _ = ts.Stream(first.MsgKey)
	want := Stream{MsgKey: first.MsgKey, Version: Chatbot, Conversation: "c2c:@RBT#my_bot:user01", State: StreamFinished,
		Chunks: []string{"Hello, ", "world"}, Text: "Hello, world", TextBytes: 12, Finished: true, Calls: 2,
		ChatbotMessage: &ChatbotMessage{ChatbotPlugin: 2, Src: 2, Chunks: []string{"Hello, ", "world"}, IsFinished: 1}}
	if diff := cmp.Diff(want, st, cmpopts.IgnoreFields(Stream{}, "Opened", "Updated")); diff != "" {
		t.Errorf("stream (-want +got):\n%s", diff)
	}
	one := post(t, url, body("", "All of it.", true))
	if st, _ := ts.Stream(one.MsgKey); one.ErrorCode != 0 || st.State != StreamFinished || st.ChatbotMessage.IsFinished != 1 {
		t.Errorf("a message of one chunk, Finish: 1 on its first call: %+v, %+v", one, st)
	}

	// The admin API writes the custom message as the client would read it.
	resp, err := http.Get(ts.URL + "/__admin/streams/" + first.MsgKey)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(raw), `"chatbot_message":{"chatbotPlugin":2,"src":2,"chunks":["Hello, ","world"],"isFinished":1}`) ||
		!strings.Contains(string(raw), `"conversation":"c2c:@RBT#my_bot:user01"`) {
		t.Errorf("GET /__admin/streams/KEY: %s", raw)
	}
}

// With strict accounts, a chatbot of the app is one of its accounts: it
// may stream to a known user without being listed.
func TestChatbotIsAnAccount(t *testing.T) {
	ts := NewTestServer(t, Option(func(c *Config) { c.Accounts = Directory{Strict: true, IDs: []string{"user01"}} }))
	url := ts.APIURL(EndpointChatbotPath)
	if r := post(t, url, `{"From_Account":"@RBT#my_bot","To_Account":"user01","Chunk":"hi","Finish":1}`); r.ErrorCode != 0 {
		t.Errorf("a chatbot not listed in accounts: %+v, want 0", r)
	}
	if r := post(t, url, `{"From_Account":"@RBT#my_bot","To_Account":"user02","Chunk":"hi","Finish":1}`); r.ErrorCode != 70107 {
		t.Errorf("to a user not listed: %+v, want 70107", r)
	}
}
