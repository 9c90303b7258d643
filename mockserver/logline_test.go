package mockserver

import (
	"log/slog"
	"regexp"
	"strings"
	"testing"
)

// Each request gets one line: an answer's names its code, session, MsgKey,
// RequestId and time; a refusal's adds the check and why, a fault's the
// rule, and a status other than 200 the status.
func TestLogLine(t *testing.T) {
	const session = "00000000-1111-4222-8333-000000000001"
	tests := []struct {
		name  string
		fault *Fault
		body  string
		want  string // the line without time and took, as a pattern
	}{
		{"first chunk", nil, ChunkBody(session, "", "hi", false),
			`level=INFO msg=send_stream_msg code=0 session_id=` + session + ` msg_key=\S+ request_id=Id-[0-9a-f]{32}-O-Seq-\d+`},
		{"refused", nil, ChunkBody("not-a-uuid", "", "hi", false),
			`level=WARN msg=send_stream_msg code=\d+ check=sessionid-malformed detail="SessionId \\"not-a-uuid\\" is not a UUID[^"]*" session_id=not-a-uuid msg_key="" request_id=\S+`},
		{"fault", &Fault{ID: "gw", Action: FaultAction{HTTPStatus: 502}}, ChunkBody(session, "", "hi", false),
			`level=WARN msg=send_stream_msg code=0 status=502 fault=gw session_id=` + session + ` msg_key="" request_id=""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out lockedBuffer
			log := slog.New(slog.NewTextHandler(&out, nil))
			ts := NewTestServer(t, func(c *Config) { c.Logger = log })
			if tt.fault != nil {
				if _, err := ts.AddFault(*tt.fault); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := httpPost(ts.EndpointURL(), tt.body); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			if len(lines) != 1 {
				t.Fatalf("%d lines, want 1:\n%s", len(lines), out.String())
			}
			re := regexp.MustCompile(`^time=\S+ ` + tt.want + ` took=\S+$`)
			if !re.MatchString(lines[0]) {
				t.Errorf("line\n%s\ndoes not match\n%s", lines[0], re)
			}
		})
	}
}
