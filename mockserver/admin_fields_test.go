package mockserver

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// The fields the README's Admin API section documents, per kind of
// answer. Each answer of each route must have every one, even at its zero
// value: a client that reads one must find it.
var (
	streamSummaryFields = []string{"msg_key", "version", "session_id", "conversation", "state", "text_bytes", "finished", "calls"}
	streamTextFields    = []string{"chunks", "text"}             // with text=1, and GET /streams/{msgKey}
	streamV2Fields      = []string{"indexes", "compatible_text"} // besides those, on a stream of TIMStreamElem (v2, c2c, group)
	streamChatbotFields = []string{"chatbot_message"}            // besides those, on a chatbot's stream
	accountFields       = []string{"account", "state"}
	groupFields         = []string{"group_id", "state"}
	robotFields         = []string{"sdkappid", "user_id", "state"}
	pageFields          = []string{"items"}
	exchangeFields      = []string{"seq", "time", "version", "method", "path", "query", "body", "status", "reply", "code", "request_id", "applied", "latency_ms"}
	faultFields         = []string{"id", "match", "action", "fired"}
	sessionFields       = []string{"session_id", "state"}
	clockFields         = []string{"now", "advanced"}
)

// getJSON sends an admin request, checks its status, and decodes the
// answer as a JSON object.
func getJSON(t *testing.T, ts *TestServer, method, path, body string, status int) map[string]any {
	t.Helper()
	got, text := admin(t, ts, method, path, body)
	if got != status {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, got, status, text)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(text), &m); err != nil {
		t.Fatalf("%s %s: %q is not a JSON object: %v", method, path, text, err)
	}
	return m
}

// hasFields reports each of fields that obj lacks, and each of absent that
// it has.
func hasFields(t *testing.T, what string, obj any, fields []string, absent ...string) {
	t.Helper()
	m, ok := obj.(map[string]any)
	if !ok {
		t.Errorf("%s: %v is not an object", what, obj)
		return
	}
	for _, f := range fields {
		if _, ok := m[f]; !ok {
			t.Errorf("%s lacks %q: %v", what, f, m)
		}
	}
	for _, f := range absent {
		if _, ok := m[f]; ok {
			t.Errorf("%s has %q, which it must leave out: %v", what, f, m)
		}
	}
}

// items returns the items of a page, checking the page's own fields.
func items(t *testing.T, what string, page map[string]any) []any {
	t.Helper()
	hasFields(t, what, page, pageFields)
	list, _ := page["items"].([]any)
	if len(list) == 0 {
		t.Fatalf("%s: no items: %v", what, page)
	}
	return list
}

// TestAdminFieldsDocumented asks every admin route and checks that each
// answer has every field the README documents, with streams whose text is
// empty, rules that never fired and an unmoved clock among them.
func TestAdminFieldsDocumented(t *testing.T) {
	ts := NewTestServer(t)
	v1 := post(t, ts.EndpointURL(), `{"SessionId":"`+testSession+`","Chunk":""}`)
	v2 := post(t, ts.EndpointV2URL(), `{"SessionId":"`+testSession+`","MsgBody":[{"MsgType":"TIMStreamElem","MsgContent":{"Chunks":[{"EventType":"data","Index":1,"Markdown":"","IsLast":false}]}}]}`)
	post(t, ts.EndpointURL(), `{"SessionId":"`+testSession+`","MsgKey":"`+v1.MsgKey+`","Chunk":"","Finish":1}`)
	post(t, ts.EndpointURL(), `{"SessionId":"nope","Chunk":"x"}`)

	c2c := post(t, ts.APIURL(EndpointC2CPath), c2cBody("", "user01", "", v2Chunk{Index: 1}))
	bot := post(t, ts.APIURL(EndpointChatbotPath), `{"From_Account":"@RBT#my_bot","To_Account":"user01","Chunk":""}`)

	// whole checks a whole stream's fields: those of its kind, and none of
	// the other kinds'.
	whole := func(what string, st any, kind []string) {
		t.Helper()
		other := slices.DeleteFunc(slices.Concat(streamV2Fields, streamChatbotFields), func(f string) bool { return slices.Contains(kind, f) })
		hasFields(t, what, st, slices.Concat(streamSummaryFields, streamTextFields, kind), other...)
		if m, _ := st.(map[string]any); m != nil && m["text"] != "" {
			t.Errorf("%s: text %v, want \"\"", what, m["text"])
		}
	}
	kinds := []struct {
		key  string
		kind []string
	}{{v1.MsgKey, nil}, {v2.MsgKey, streamV2Fields}, {c2c.StreamMsgID, streamV2Fields}, {bot.MsgKey, streamChatbotFields}}
	for _, tc := range kinds {
		whole("GET /streams/"+tc.key, getJSON(t, ts, "GET", "/__admin/streams/"+tc.key, "", 200), tc.kind)
		whole("GET /ui/api/streams/"+tc.key, getJSON(t, ts, "GET", uiAPI+"/streams/"+tc.key, "", 200), tc.kind)
	}
	list := items(t, "GET /streams?text=1", getJSON(t, ts, "GET", "/__admin/streams?text=1", "", 200))
	for i, tc := range kinds {
		whole("stream "+tc.key+" of GET /streams?text=1", list[i], tc.kind)
	}
	for i, st := range items(t, "GET /streams", getJSON(t, ts, "GET", "/__admin/streams", "", 200)) {
		hasFields(t, "summary of GET /streams", st, streamSummaryFields, slices.Concat(streamTextFields, streamV2Fields, streamChatbotFields)...)
		if i == 0 && st.(map[string]any)["text_bytes"] != 0.0 {
			t.Errorf("text_bytes of an empty stream: %v", st)
		}
	}
	first := getJSON(t, ts, "GET", "/__admin/streams?limit=1", "", 200)
	hasFields(t, "a page with more", first, []string{"items", "next_cursor"})

	for _, ex := range items(t, "GET /requests", getJSON(t, ts, "GET", "/__admin/requests", "", 200)) {
		hasFields(t, "exchange", ex, exchangeFields)
		m := ex.(map[string]any)
		switch {
		case m["code"] != 0.0:
			hasFields(t, "refused exchange", ex, []string{"check", "detail"})
		case m["version"] == V2:
			hasFields(t, "v2 exchange", ex, []string{"indexes", "session_id", "msg_key", "issued_msg_key"})
		case m["issued_msg_key"] == nil:
			hasFields(t, "later exchange", ex, []string{"session_id", "msg_key", "sent_msg_key"})
		}
	}

	hasFields(t, "POST /faults", getJSON(t, ts, "POST", "/__admin/faults", `{"action":{"delay_ms":1},"match":{"session_id":"`+otherSession+`"}}`, 201), []string{"id"})
	for _, f := range items(t, "GET /faults", getJSON(t, ts, "GET", "/__admin/faults", "", 200)) {
		hasFields(t, "fault", f, faultFields)
	}
	hasFields(t, "POST /sessions", getJSON(t, ts, "POST", "/__admin/sessions", `{"session_id":"`+otherSession+`"}`, 201), sessionFields)
	hasFields(t, "DELETE /sessions/{id}", getJSON(t, ts, "DELETE", "/__admin/sessions/"+otherSession, "", 200), sessionFields)
	sessions := getJSON(t, ts, "GET", "/__admin/sessions", "", 200)
	hasFields(t, "GET /sessions", sessions, []string{"strict"})
	for _, s := range items(t, "GET /sessions", sessions) {
		hasFields(t, "session", s, sessionFields)
	}
	for _, d := range []struct {
		path, body, id string
		fields         []string
	}{{"/__admin/accounts", `{"account":"user02"}`, "user02", accountFields}, {"/__admin/groups", `{"group_id":"g1"}`, "g1", groupFields}} {
		hasFields(t, "POST "+d.path, getJSON(t, ts, "POST", d.path, d.body, 201), d.fields)
		hasFields(t, "DELETE "+d.path+"/{id}", getJSON(t, ts, "DELETE", d.path+"/"+d.id, "", 200), d.fields)
		list := getJSON(t, ts, "GET", d.path, "", 200)
		hasFields(t, "GET "+d.path, list, []string{"strict"})
		for _, e := range items(t, "GET "+d.path, list) {
			hasFields(t, "entry of "+d.path, e, d.fields)
		}
	}
	for _, r := range items(t, "GET /robots", getJSON(t, ts, "GET", "/__admin/robots", "", 200)) {
		hasFields(t, "chatbot", r, robotFields)
	}
	hasFields(t, "GET /health", getJSON(t, ts, "GET", "/__admin/health", "", 200), []string{"status"})
	hasFields(t, "GET /codes", getJSON(t, ts, "GET", "/__admin/codes", "", 200), []string{"rules", "by_endpoint"})
	hasFields(t, "GET /clock", getJSON(t, ts, "GET", "/__admin/clock", "", 200), clockFields)
	hasFields(t, "POST /clock", getJSON(t, ts, "POST", "/__admin/clock", `{"advance":"0s"}`, 200), clockFields)
	hasFields(t, "POST /reset", getJSON(t, ts, "POST", "/__admin/reset", "", 200), []string{"status"})
}

// readmeSection returns the README's section under heading, up to the
// next heading of its level.
func readmeSection(t *testing.T, heading string) string {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README.md has no %q", heading)
	}
	if i := strings.Index(rest, "\n## "); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// The stream fields of the test above are those the README's route table
// names, no more and no less.
func TestAdminFieldsAreTheREADMEs(t *testing.T) {
	section := readmeSection(t, "## Admin API")
	row := ""
	for _, line := range strings.Split(section, "\n") {
		if strings.HasPrefix(line, "| `GET /__admin/streams` |") {
			row = line
		}
	}
	if row == "" {
		t.Fatal("README.md: no row for GET /__admin/streams")
	}
	var named []string
	for _, m := range regexp.MustCompile("`([a-z_]+)`").FindAllStringSubmatch(row, -1) {
		named = append(named, m[1])
	}
	want := slices.Concat(streamSummaryFields, streamTextFields, streamV2Fields, streamChatbotFields)
	sort.Strings(named)
	sort.Strings(want)
	if !slices.Equal(named, want) {
		t.Errorf("README.md's streams row names %v; the test checks %v", named, want)
	}
	for _, f := range []string{`"items"`, `"next_cursor"`, `"strict"`, "`text_bytes`", `{"status":"ok"}`, `{"id":"f1"}`} {
		if !strings.Contains(section, f) {
			t.Errorf("README.md's Admin API section does not mention %s", f)
		}
	}
}
