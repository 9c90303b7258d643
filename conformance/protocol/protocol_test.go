package protocol

import (
	"slices"
	"testing"
	"time"
)

func TestEnvVersionAndPauses(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in            Input
		version, wait string
	}{
		{Input{}, "DESKMOCK_VERSION=v1", "DESKMOCK_PAUSES_MS=[]"},
		{Input{Version: VersionV2, PausesMS: []int{0, 0, 500}}, "DESKMOCK_VERSION=v2", "DESKMOCK_PAUSES_MS=[0,0,500]"},
	} {
		env := tt.in.Env()
		if !slices.Contains(env, tt.version) || !slices.Contains(env, tt.wait) {
			t.Errorf("Env() = %q, want %q and %q", env, tt.version, tt.wait)
		}
	}
}

func TestPause(t *testing.T) {
	t.Parallel()
	in := Input{PausesMS: []int{0, 250}}
	for i, want := range []time.Duration{0, 250 * time.Millisecond, 0} {
		if got := in.Pause(i); got != want {
			t.Errorf("Pause(%d) = %s, want %s", i, got, want)
		}
	}
	if in.V2() || !(Input{Version: VersionV2}).V2() {
		t.Errorf("V2 does not follow Version")
	}
}

func TestEnvConversation(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   Input
		want []string
	}{
		{Input{SessionID: "s"}, []string{"DESKMOCK_SESSION_ID=s", "DESKMOCK_FROM_ACCOUNT=", "DESKMOCK_TO_ACCOUNT=", "DESKMOCK_GROUP_ID=", "DESKMOCK_THEN=[]"}},
		{Input{SessionID: "s", Then: []string{CallTransfer, CallSessionState}}, []string{"DESKMOCK_THEN=[\"transfer_to_human\",\"get_session_state\"]"}},
		{Input{Version: VersionC2C, FromAccount: "bot", ToAccount: "bob"}, []string{"DESKMOCK_VERSION=c2c", "DESKMOCK_FROM_ACCOUNT=bot", "DESKMOCK_TO_ACCOUNT=bob", "DESKMOCK_SESSION_ID="}},
		{Input{Version: VersionGroup, GroupID: "g1"}, []string{"DESKMOCK_VERSION=group", "DESKMOCK_GROUP_ID=g1", "DESKMOCK_FROM_ACCOUNT="}},
		{Input{Version: VersionChatbot, FromAccount: "@RBT#my_bot", ToAccount: "user01"}, []string{"DESKMOCK_VERSION=chatbot", "DESKMOCK_FROM_ACCOUNT=@RBT#my_bot", "DESKMOCK_TO_ACCOUNT=user01", "DESKMOCK_SESSION_ID="}},
	} {
		env := tt.in.Env()
		for _, w := range tt.want {
			if !slices.Contains(env, w) {
				t.Errorf("Env() of %+v = %q, want %q in it", tt.in, env, w)
			}
		}
	}
}

func TestEndpointOf(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, want, key string
		ok, indexed     bool
	}{
		{"", VersionV1, "MsgKey", true, false},
		{VersionV1, VersionV1, "MsgKey", true, false},
		{VersionV2, VersionV2, "MsgKey", true, true},
		{VersionC2C, VersionC2C, "StreamMsgID", true, true},
		{VersionGroup, VersionGroup, "StreamMsgID", true, true},
		{VersionChatbot, VersionChatbot, "MsgKey", true, false},
		{"v3", "", "", false, false},
		{"C2C", "", "", false, false},
	} {
		ep, ok := EndpointOf(tt.name)
		if ok != tt.ok || ep.Name != tt.want || ep.Key != tt.key || ep.Indexed != tt.indexed {
			t.Errorf("EndpointOf(%q) = %+v, %v; want name %q, key %q, indexed %v, %v", tt.name, ep, ok, tt.want, tt.key, tt.indexed, tt.ok)
		}
	}
}

// TestValueOfEveryField: every conversation field of every endpoint is an
// Input field, written to and read from the same place.
func TestValueOfEveryField(t *testing.T) {
	t.Parallel()
	for _, ep := range Endpoints() {
		for _, f := range ep.Conversation {
			var in Input
			p := in.Value(f)
			if p == nil {
				t.Fatalf("%s: field %s names no Input field (%q)", ep.Name, f.Wire, f.Input)
			}
			*p = f.Wire
			if got := *in.Value(f); got != f.Wire {
				t.Errorf("%s: %s reads %q after writing %q", ep.Name, f.Wire, got, f.Wire)
			}
		}
	}
	if (&Input{}).Value(Field{Input: "nothing"}) != nil {
		t.Error("Value of an unknown field is not nil")
	}
}

// TestEndpointsCopy: Endpoints hands out copies.
func TestEndpointsCopy(t *testing.T) {
	t.Parallel()
	eps := Endpoints()
	eps[2].Conversation[0].Wire = "changed"
	if ep, _ := EndpointOf(VersionC2C); ep.Conversation[0].Wire == "changed" {
		t.Error("a change to Endpoints()' result reached the table")
	}
}

func TestCallOf(t *testing.T) {
	t.Parallel()
	for _, name := range []string{CallTransfer, CallSessionState} {
		if c, ok := CallOf(name); !ok || c.Name != name || c.Path != "/v4/desk_http_svc/"+name {
			t.Errorf("CallOf(%q) = %+v, %v", name, c, ok)
		}
	}
	if _, ok := CallOf("end_session"); ok {
		t.Error("CallOf(end_session): a call no case may name")
	}
	calls := Calls()
	calls[0].Path = "changed"
	if c, _ := CallOf(CallTransfer); c.Path == "changed" {
		t.Error("Calls returns the package's own slice")
	}
}
