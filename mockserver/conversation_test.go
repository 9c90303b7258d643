package mockserver

import (
	"strings"
	"testing"
)

// The conversation's key names a C2C pair and a group unambiguously, its
// parts escaped, and a Desk session by its SessionId.
func TestConversationKey(t *testing.T) {
	tests := []struct {
		conv conversation
		want string
	}{
		{conversation{kind: inSession, id: testSession}, testSession},
		{conversation{kind: inC2C, id: "user01", from: "@RBT#bot", hasFrom: true}, "c2c:@RBT#bot:user01"},
		{conversation{kind: inC2C, id: "user01"}, "c2c::user01"},
		{conversation{kind: inC2C, id: "b", from: "a:", hasFrom: true}, "c2c:a%3A:b"},
		{conversation{kind: inC2C, id: ":b", from: "a", hasFrom: true}, "c2c:a:%3Ab"},
		{conversation{kind: inGroup, id: "g%1", from: "u"}, "group:g%251:u"},
		{conversation{kind: inGroup, id: "g"}, "group:g:"},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		got := tt.conv.key()
		if got != tt.want {
			t.Errorf("%+v: key %q, want %q", tt.conv, got, tt.want)
		}
		if seen[got] {
			t.Errorf("key %q twice", got)
		}
		seen[got] = true
	}
}

// Accounts and groups are "any" by default; in strict mode only those
// configured or added through the admin API, until removed.
func TestStrictAccountsAndGroups(t *testing.T) {
	ts := NewTestServer(t, Option(func(c *Config) {
		c.Accounts = Directory{Strict: true, IDs: []string{"user01"}}
		c.Groups = Directory{Strict: true}
	}))
	c2c := func(to string) int {
		return post(t, ts.APIURL(EndpointC2CPath), c2cBody("", to, "", v2Chunk{1, "a", true})).ErrorCode
	}
	group := func(id string) int {
		return post(t, ts.APIURL(EndpointGroupPath), groupBody(id, "user01", "", v2Chunk{1, "a", true})).ErrorCode
	}
	steps := []struct {
		name string
		do   func() int
		want int
	}{
		{"a configured account", func() int { return c2c("user01") }, 0},
		{"an account not configured", func() int { return c2c("user02") }, 70107},
		{"add it", func() int { return adminCode(t, ts, "POST", "/__admin/accounts", `{"account":"user02"}`, 201) }, 0},
		{"now known", func() int { return c2c("user02") }, 0},
		{"remove it", func() int { return adminCode(t, ts, "DELETE", "/__admin/accounts/user02", "", 200) }, 0},
		{"unknown again", func() int { return c2c("user02") }, 70107},
		{"a group not configured", func() int { return group("g1") }, 10010},
		{"add it", func() int { return adminCode(t, ts, "POST", "/__admin/groups", `{"group_id":"g1"}`, 201) }, 0},
		{"now known", func() int { return group("g1") }, 0},
		{"a malformed name is refused", func() int {
			return adminCode(t, ts, "POST", "/__admin/accounts", `{"account":"`+strings.Repeat("a", 33)+`"}`, 400)
		}, 0},
		{"reset forgets what was added", func() int { ts.Reset(); return group("g1") }, 10010},
	}
	for _, st := range steps {
		if got := st.do(); got != st.want {
			t.Fatalf("%s: code %d, want %d", st.name, got, st.want)
		}
	}
}

// adminCode sends an admin request and checks its status; it returns 0.
func adminCode(t *testing.T, ts *TestServer, method, path, body string, status int) int {
	t.Helper()
	if got, text := admin(t, ts, method, path, body); got != status {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, got, status, text)
	}
	return 0
}

// Trigger names answer their code on the native streams as trigger
// SessionIds do on Desk's: on every call, or on the Nth call only.
func TestTriggerNames(t *testing.T) {
	ts := NewTestServer(t)
	tests := []struct {
		name  string
		path  string
		body  func(key string, i int) string
		codes []int // of calls 1, 2, 3
	}{
		{"c2c, every call", EndpointC2CPath, func(key string, i int) string { return c2cBody("", TriggerName(20004, 0), key, v2Chunk{i, "a", false}) }, []int{20004, 20004, 20004}},
		{"c2c, the 2nd call", EndpointC2CPath, func(key string, i int) string { return c2cBody("", TriggerName(20004, 2), key, v2Chunk{i, "a", false}) }, []int{0, 20004, 0}},
		{"group, the 1st call", EndpointGroupPath, func(key string, i int) string {
			return groupBody(TriggerName(10010, 1), "", key, v2Chunk{i, "a", false})
		}, []int{10010, 0, 0}},
		{"not a catalogue code: ordinary", EndpointC2CPath, func(key string, i int) string { return c2cBody("", "trigger-12345", key, v2Chunk{i, "a", false}) }, []int{0, 0, 0}},
		{"leading zero: ordinary", EndpointC2CPath, func(key string, i int) string { return c2cBody("", "trigger-020004", key, v2Chunk{i, "a", false}) }, []int{0, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, index := "", 1
			for call, want := range tt.codes {
				r := post(t, ts.APIURL(tt.path), tt.body(key, index))
				if r.ErrorCode != want {
					t.Fatalf("call %d: %+v, want code %d", call+1, r, want)
				}
				if r.ErrorCode == 0 {
					if key == "" {
						key = r.StreamMsgID
					}
					index++
				}
			}
		})
	}
}

// Fault rules match on the endpoint and on the conversation's key.
func TestFaultMatchesEndpointAndConversation(t *testing.T) {
	ts := NewTestServer(t)
	for _, f := range []Fault{
		{ID: "c2c", Match: FaultMatch{Endpoint: C2C}, Action: FaultAction{ErrorCode: 20005}},
		{ID: "grp", Match: FaultMatch{Conversation: "group:g1:user01"}, Action: FaultAction{ErrorCode: 20004}},
	} {
		if _, err := ts.AddFault(f); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name, path, body string
		want             int
	}{
		{"any c2c stream", EndpointC2CPath, c2cBody("a", "b", "", v2Chunk{1, "x", false}), 20005},
		{"the group's sender", EndpointGroupPath, groupBody("g1", "user01", "", v2Chunk{1, "x", false}), 20004},
		{"another sender", EndpointGroupPath, groupBody("g1", "user02", "", v2Chunk{1, "x", false}), 0},
		{"v2", EndpointV2Path, v2Body(testSession, "", v2Chunk{1, "x", false}), 0},
	}
	for _, tt := range tests {
		if got := post(t, ts.APIURL(tt.path), tt.body).ErrorCode; got != tt.want {
			t.Errorf("%s: code %d, want %d", tt.name, got, tt.want)
		}
	}
	if _, err := ts.AddFault(Fault{Match: FaultMatch{Endpoint: "v3"}, Action: FaultAction{ErrorCode: 20005}}); err == nil || !strings.Contains(err.Error(), "match/endpoint") {
		t.Errorf("a rule for no endpoint: %v", err)
	}
}
