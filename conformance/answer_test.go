package conformance

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/deskmock/deskmock/conformance/protocol"
)

func TestParseAnswer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		stdout  string
		want    Answer
		wantErr string
	}{
		{stdout: `{"ok": true, "msg_key": "1_2_ab"}`, want: Answer{OK: true, MsgKey: "1_2_ab"}},
		{stdout: "\n  {\"ok\":false,\"error_code\":20002,\"error_info\":\"UserSig or A2 invalid\"}\n\n", want: Answer{ErrorCode: 20002, ErrorInfo: "UserSig or A2 invalid"}},
		{stdout: `{"ok": false, "error_code": null, "extra": [1, 2]}`, want: Answer{}},
		{stdout: `{"ok": true, "then": [{"call": "transfer_to_human", "ok": true, "agent_id": "a@b", "is_in_queue": false}, {"call": "get_session_state", "ok": false, "error_code": 141005}]}`,
			want: Answer{OK: true, Then: []protocol.CallAnswer{{Call: "transfer_to_human", OK: true, AgentID: "a@b"}, {Call: "get_session_state", ErrorCode: 141005}}}},
		{stdout: `{"ok": true, "then": null}`, want: Answer{OK: true}},
		{stdout: `{"ok": true, "then": {"call": "get_session_state"}}`, wantErr: `"then" is {"call": "get_session_state"}, want []protocol.CallAnswer`},
		{stdout: `{"ok": true, "then": [{"call": "get_session_state", "ok": true, "current_state": 1}]}`, wantErr: `"then" is`},
		{stdout: "", wantErr: "stdout is empty"},
		{stdout: "sending...\n{\"ok\":true}", wantErr: "does not start with a JSON object: sending..."},
		{stdout: `{"ok": true}{"ok": true}`, wantErr: "more than one JSON value"},
		{stdout: `{"ok": true`, wantErr: "not one JSON object"},
		{stdout: `{"msg_key": "k"}`, wantErr: `no boolean "ok"`},
		{stdout: `{"ok": "yes"}`, wantErr: "not one JSON object"},
		{stdout: `{"ok": false, "error_code": "20002"}`, wantErr: `"error_code" is "20002", want int`},
		{stdout: `{"ok": false, "error_code": 1.5}`, wantErr: `"error_code" is 1.5`},
		{stdout: `[true]`, wantErr: "does not start with a JSON object"},
	}
	for _, tt := range tests {
		got, err := parseAnswer(tt.stdout)
		switch {
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("parseAnswer(%q) error = %v, want one with %q", tt.stdout, err, tt.wantErr)
		case tt.wantErr == "" && err != nil:
			t.Errorf("parseAnswer(%q) error = %v", tt.stdout, err)
		case tt.wantErr == "" && !cmp.Equal(got, tt.want):
			t.Errorf("parseAnswer(%q) = %+v, want %+v", tt.stdout, got, tt.want)
		}
	}
}
