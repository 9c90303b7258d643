package mockserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/deskmock/deskmock/mockserver/codes"
	"github.com/deskmock/deskmock/schemas"
)

// Paths of the endpoints the server serves.
const (
	// EndpointPath is the path of send_stream_msg (v1).
	EndpointPath = "/v4/desk_http_svc/send_stream_msg"
	// EndpointV2Path is the path of send_stream_msg_v2.
	EndpointV2Path = "/v4/desk_http_svc/send_stream_msg_v2"
)

// Endpoint versions, as the journal, the streams and the configuration name
// them.
const (
	V1 = "v1"
	V2 = "v2"
)

// endpoint is one streaming API: where it is, what its body must look like,
// how a body becomes a stream call, and the rules its streams follow by
// default. Every endpoint runs the same pipeline (pipeline.go); adding one
// (the vendor also has C2C and group stream APIs) is one more value in
// endpoints and, where the body differs, one more callOf function.
type endpoint struct {
	// version names the endpoint: "v1", "v2".
	version string
	// name is the API's command, as the log line shows it.
	name string
	path string
	// schema is the file name of its request schema in schemas/.
	schema string
	// validate checks a decoded body against the request schema.
	validate func(body any) error
	// indexed is true when chunks carry an Index that starts at 1 and
	// strictly increases across the stream.
	indexed bool
	// callOf reads a body that passed the schema. An error is a schema
	// failure the schema cannot express.
	callOf func(body map[string]any) (streamCall, error)
	// peek reads what fault matching needs from any decoded body, valid or
	// not: nothing it finds is trusted beyond that.
	peek func(body map[string]any) arrival
	// rules are the stream rules in force unless the configuration says
	// otherwise.
	rules StreamRules
	// maxBody is the body limit unless the configuration says otherwise.
	maxBody int
}

// endpoints are the APIs the server serves, in the order the README lists
// them.
var endpoints = []*endpoint{
	{
		version: V1, name: "send_stream_msg", path: EndpointPath, schema: schemas.RequestFile,
		validate: schemaValidator(schemas.RequestFile), callOf: callOfV1, peek: peekV1,
		rules:   StreamRules{RefuseAfterEnd: true},
		maxBody: DefaultMaxBodyBytes,
	},
	{
		version: V2, name: "send_stream_msg_v2", path: EndpointV2Path, schema: schemas.RequestV2File,
		validate: schemaValidator(schemas.RequestV2File), indexed: true, callOf: callOfV2, peek: peekV2,
		rules: StreamRules{
			IdleTimeout:     15 * time.Second,
			RefuseAfterEnd:  true,
			CallsPerSecond:  5,
			MaxMessageBytes: 128 * 1024,
		},
		maxBody: DefaultMaxBodyBytesV2,
	},
}

// endpointOf returns the endpoint of a version.
func endpointOf(version string) (*endpoint, bool) {
	for _, ep := range endpoints {
		if ep.version == version {
			return ep, true
		}
	}
	return nil, false
}

// versions lists the endpoint versions.
func versions() []string {
	out := make([]string, len(endpoints))
	for i, ep := range endpoints {
		out[i] = ep.version
	}
	return out
}

// StreamRules are the rules of a stream's life on one endpoint. The zero
// value switches every rule off.
type StreamRules struct {
	// IdleTimeout ends a stream by itself when no call came for longer;
	// 0 never ends one.
	IdleTimeout time.Duration
	// RefuseAfterEnd refuses every call on a stream that ended (last chunk
	// or idle timeout); when false, a call on a stream that ended with its
	// last chunk is accepted and appended.
	RefuseAfterEnd bool
	// CallsPerSecond is how many continuation calls one stream may make in
	// any one second; 0 is no limit.
	CallsPerSecond int
	// MaxMessageBytes bounds the text of one stream: the chunks joined must
	// stay shorter; 0 leaves only the store's per-stream cap.
	MaxMessageBytes int
}

// streamCall is what one request asks of a stream, whatever the endpoint.
type streamCall struct {
	sessionID string
	msgKey    string
	hasMsgKey bool
	chunks    []chunk
	// last is true when the call ends the stream (Finish: 1, IsLast: true).
	last bool
	// compatibleText is v2's text for clients too old to render a stream.
	compatibleText string
}

// chunk is one piece of a stream's text. Index is v2's explicit number, 0
// on v1.
type chunk struct {
	index int
	text  string
}

// text returns the call's chunks joined.
func (c *streamCall) text() string {
	if len(c.chunks) == 1 {
		return c.chunks[0].text
	}
	var b strings.Builder
	for _, ch := range c.chunks {
		b.WriteString(ch.text)
	}
	return b.String()
}

// callOfV1 reads a v1 body: {"SessionId","Chunk","MsgKey","Finish"}. The
// schema made SessionId and Chunk strings, MsgKey a string when present and
// Finish 0 or 1.
func callOfV1(m map[string]any) (streamCall, error) {
	c := streamCall{sessionID: m["SessionId"].(string)}
	c.chunks = []chunk{{text: m["Chunk"].(string)}}
	if k, ok := m["MsgKey"]; ok {
		c.msgKey, c.hasMsgKey = k.(string), true
	}
	if f, ok := m["Finish"].(json.Number); ok {
		n, _ := f.Float64()
		c.last = n == 1
	}
	return c, nil
}

// peekV1 reads what fault matching needs from a v1 body.
func peekV1(m map[string]any) arrival {
	var a arrival
	a.sessionID, _ = m["SessionId"].(string)
	a.chunk, a.hasChunk = m["Chunk"].(string)
	var msgKey any
	msgKey, a.hasMsgKey = m["MsgKey"]
	a.msgKey, _ = msgKey.(string)
	if f, ok := m["Finish"].(json.Number); ok {
		n, _ := f.Float64()
		a.finish = n == 1
	}
	return a
}

// errIsLastNotLast is the schema failure the schema cannot express.
var errIsLastNotLast = errors.New("IsLast: true is only allowed on the call's last chunk")

// callOfV2 reads a v2 body: SessionId, MsgKey at the top level (inferred),
// and MsgBody[0].MsgContent's Chunks and CompatibleText. The schema made
// every field present of its type.
func callOfV2(m map[string]any) (streamCall, error) {
	c := streamCall{sessionID: m["SessionId"].(string)}
	if k, ok := m["MsgKey"]; ok {
		c.msgKey, c.hasMsgKey = k.(string), true
	}
	content := m["MsgBody"].([]any)[0].(map[string]any)["MsgContent"].(map[string]any)
	c.compatibleText, _ = content["CompatibleText"].(string)
	list := content["Chunks"].([]any)
	c.chunks = make([]chunk, len(list))
	for i, v := range list {
		ch := v.(map[string]any)
		n, err := strconv.Atoi(string(ch["Index"].(json.Number)))
		if err != nil { // an integer the schema allowed, written 1.0 or 1e0
			f, _ := ch["Index"].(json.Number).Float64()
			n = int(f)
		}
		c.chunks[i] = chunk{index: n, text: ch["Markdown"].(string)}
		if last, _ := ch["IsLast"].(bool); last {
			if i != len(list)-1 {
				return streamCall{}, fmt.Errorf("/MsgBody/0/MsgContent/Chunks/%d/IsLast: %w", i, errIsLastNotLast)
			}
			c.last = true
		}
	}
	return c, nil
}

// peekV2 reads what fault matching needs from a v2 body: the Markdown of
// every chunk it finds joined, and IsLast of any.
func peekV2(m map[string]any) arrival {
	var a arrival
	a.sessionID, _ = m["SessionId"].(string)
	var msgKey any
	msgKey, a.hasMsgKey = m["MsgKey"]
	a.msgKey, _ = msgKey.(string)
	body, _ := m["MsgBody"].([]any)
	for _, el := range body {
		el, _ := el.(map[string]any)
		content, _ := el["MsgContent"].(map[string]any)
		chunks, _ := content["Chunks"].([]any)
		for _, ch := range chunks {
			ch, _ := ch.(map[string]any)
			if md, ok := ch["Markdown"].(string); ok {
				a.chunk += md
				a.hasChunk = true
			}
			if last, _ := ch["IsLast"].(bool); last {
				a.finish = true
			}
		}
	}
	return a
}

// checksOf returns the rules of the table that an endpoint's pipeline
// runs.
func checksOf(t *codes.Table, version string) []codes.Rule {
	var out []codes.Rule
	for _, r := range t.Rules() {
		if len(r.Endpoints) == 0 {
			out = append(out, r)
			continue
		}
		for _, v := range r.Endpoints {
			if v == version {
				out = append(out, r)
			}
		}
	}
	return out
}
