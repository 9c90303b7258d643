package mockserver

import (
	"strings"
	"testing"
)

// The requests of the vendor's pages, and of a public client written from
// them (not from this repository), byte for byte: a client that sends
// these works against deskmock unmodified once its base URL points here.
// Each sequence is one client's calls in order; "KEY" in a body is the key
// the first reply issued, as the client would send it back.
func TestVendorSamples(t *testing.T) {
	tests := []struct {
		name  string
		path  string
		calls []string
		text  string // of the stream the calls made; "" for no stream
	}{
		{
			// openim_robot_http_svc/send_stream_msg, the page's two samples.
			name: "chatbot stream",
			path: EndpointChatbotPath,
			calls: []string{
				`{"From_Account":"@RBT#my_bot","To_Account":"user01","Chunk":"hello, "}`,
				`{"From_Account":"@RBT#my_bot","To_Account":"user01","Chunk":"world","MsgKey":"KEY","Finish":1}`,
			},
			text: "hello, world",
		},
		{
			// send_stream_msg_v2, the page's first call.
			name: "Desk v2 stream",
			path: EndpointV2Path,
			calls: []string{`{
  "SessionId": "fd8a2e30-54de-4e40-bcaf-02718409c5cf",
  "MsgBody": [
    {
      "MsgType": "TIMStreamElem",
      "MsgContent": {
        "CompatibleText": "当前版本过低，请升级后查看流式消息",
        "Chunks": [
          { "EventType": "data", "Index": 1, "Markdown": "您好，这是流式消息的第一个分片", "IsLast": false }
        ]
      }
    }
  ],
  "CloudCustomData": "your cloud custom data"
}`},
			text: "您好，这是流式消息的第一个分片",
		},
		{
			// The C2C stream as a public plugin sends it (SyncOtherMachine,
			// MsgRandom, StreamMsgID in MsgContent), ending with an empty
			// last chunk as it does.
			name: "native C2C stream",
			path: EndpointC2CPath,
			calls: []string{
				`{"SyncOtherMachine":2,"To_Account":"user01","MsgRandom":1234567,"MsgBody":[{"MsgType":"TIMStreamElem","MsgContent":{"Chunks":[{"EventType":"data","Index":1,"Markdown":"Hi","IsLast":false}],"CompatibleText":"Hi"}}],"From_Account":"@RBT#001"}`,
				`{"SyncOtherMachine":2,"To_Account":"user01","MsgRandom":7654321,"MsgBody":[{"MsgType":"TIMStreamElem","MsgContent":{"Chunks":[{"EventType":"data","Index":2,"Markdown":"","IsLast":true}],"CompatibleText":"Hi","StreamMsgID":"KEY"}}],"From_Account":"@RBT#001"}`,
			},
			text: "Hi",
		},
		{
			name: "native group stream",
			path: EndpointGroupPath,
			calls: []string{
				`{"GroupId":"@TGS#2C5SZEAEF","Random":1234567,"MsgBody":[{"MsgType":"TIMStreamElem","MsgContent":{"Chunks":[{"EventType":"data","Index":1,"Markdown":"Hello, group","IsLast":true}],"CompatibleText":"Hello, group"}}],"From_Account":"@RBT#001"}`,
			},
			text: "Hello, group",
		},
		{name: "create_robot", path: CreateRobotPath, calls: []string{`{"UserID":"@RBT#001","Nick":"MyRobot","FaceUrl":"http://www.qq.com","SelfSignature":"MyRobot"}`}},
		{name: "get_all_robots", path: GetAllRobotsPath, calls: []string{`{}`}},
		{name: "delete_robot", path: DeleteRobotPath, calls: []string{`{"Robot_Account":"@RBT#my_bot"}`}},
	}
	ts := NewTestServer(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := ""
			for i, body := range tt.calls {
				r := post(t, ts.APIURL(tt.path), strings.ReplaceAll(body, "KEY", key))
				if r.ErrorCode != 0 || r.ActionStatus != "OK" {
					t.Fatalf("call %d: %+v", i+1, r)
				}
				if i == 0 {
					key = r.MsgKey + r.StreamMsgID
				}
			}
			if tt.text == "" {
				return
			}
			st, ok := ts.Stream(key)
			if !ok || st.Text != tt.text || st.Calls != len(tt.calls) {
				t.Errorf("stream %q: %+v, want text %q after %d calls", key, st, tt.text, len(tt.calls))
			}
		})
	}
}
