package mockserver

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/deskmock/deskmock/schemas"
)

// wireReply is a decoded vendor envelope.
type wireReply struct {
	ActionStatus string
	ErrorInfo    string
	ErrorCode    int
	MsgKey       string
	StreamMsgID  string
}

// post sends a body to a URL and decodes the envelope, checking that the
// reply is HTTP 200 and valid against the reply schemas.
func post(t *testing.T, url, body string) wireReply {
	t.Helper()
	resp, err := http.Post(url, "application/json", bytes.NewBufferString(body))
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the reply: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200; body %q", resp.StatusCode, raw)
	}
	return decodeReply(t, raw)
}

// decodeReply validates a reply body against the reply schemas and decodes it.
func decodeReply(t *testing.T, raw []byte) wireReply {
	t.Helper()
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("reply %q is not JSON: %v", raw, err)
	}
	if dec.More() {
		t.Fatalf("reply %q: data after the JSON value", raw)
	}
	var rep wireReply
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatalf("reply %q: %v", raw, err)
	}
	name := schemas.ReplyOKFile
	if rep.ErrorCode != 0 {
		name = schemas.ReplyErrorFile
	}
	if err := schemas.Must(name).Validate(v); err != nil {
		t.Fatalf("reply %q does not match %s: %v", raw, name, err)
	}
	return rep
}

func httpPost(url, body string) (*http.Response, error) {
	resp, err := http.Post(url, "application/json", bytes.NewBufferString(body))
	if err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	return resp, err
}

// msgKeyOf returns the MsgKey of a success reply that opened a stream.
func msgKeyOf(rep []byte) (string, bool) {
	var r wireReply
	if json.Unmarshal(rep, &r) != nil || r.ErrorCode != 0 || r.ActionStatus != "OK" || r.MsgKey+r.StreamMsgID == "" {
		return "", false
	}
	return r.MsgKey + r.StreamMsgID, true
}

// isOKReply reports whether rep is a success reply with no MsgKey.
func isOKReply(rep []byte) bool {
	var r wireReply
	return json.Unmarshal(rep, &r) == nil && r.ActionStatus == "OK" && r.ErrorCode == 0 && r.ErrorInfo == "" && r.MsgKey == ""
}

// v2Chunk is one chunk of a v2 body.
type v2Chunk struct {
	Index    int
	Markdown string
	IsLast   bool
}

// v2Body writes a send_stream_msg_v2 body; key is left out when empty.
func v2Body(session, key string, chunks ...v2Chunk) string {
	body := map[string]any{"SessionId": session, "MsgBody": streamElemBody("", chunks)}
	if key != "" {
		body["MsgKey"] = key
	}
	return mustJSON(body)
}

// streamElemBody writes a TIMStreamElem MsgBody whose MsgContent carries
// the StreamMsgID key when it is not empty.
func streamElemBody(key string, chunks []v2Chunk) []any {
	type jsonChunk struct {
		EventType string
		Index     int
		Markdown  string
		IsLast    bool
	}
	list := make([]jsonChunk, len(chunks))
	for i, c := range chunks {
		list[i] = jsonChunk{"data", c.Index, c.Markdown, c.IsLast}
	}
	content := map[string]any{"CompatibleText": "Please upgrade to see this message.", "Chunks": list}
	if key != "" {
		content["StreamMsgID"] = key
	}
	return []any{map[string]any{"MsgType": "TIMStreamElem", "MsgContent": content}}
}

// c2cBody writes a send_c2c_stream_msg body; from and key are left out
// when empty.
func c2cBody(from, to, key string, chunks ...v2Chunk) string {
	body := map[string]any{"To_Account": to, "MsgRandom": 1, "MsgBody": streamElemBody(key, chunks)}
	if from != "" {
		body["From_Account"] = from
	}
	return mustJSON(body)
}

// groupBody writes a send_group_stream_msg body; from and key are left
// out when empty.
func groupBody(group, from, key string, chunks ...v2Chunk) string {
	body := map[string]any{"GroupId": group, "Random": 1, "MsgBody": streamElemBody(key, chunks)}
	if from != "" {
		body["From_Account"] = from
	}
	return mustJSON(body)
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
