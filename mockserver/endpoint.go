package mockserver

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/deskmock/deskmock/mockserver/codes"
	"github.com/deskmock/deskmock/mockserver/internal/fastpath"
	"github.com/deskmock/deskmock/schemas"
)

// Paths of the endpoints the server serves.
const (
	// EndpointPath is the path of send_stream_msg (v1).
	EndpointPath = "/v4/desk_http_svc/send_stream_msg"
	// EndpointV2Path is the path of send_stream_msg_v2.
	EndpointV2Path = "/v4/desk_http_svc/send_stream_msg_v2"
	// EndpointC2CPath is the path of the native C2C stream.
	EndpointC2CPath = "/v4/stream_msg/send_c2c_stream_msg"
	// EndpointGroupPath is the path of the native group stream.
	EndpointGroupPath = "/v4/stream_msg/send_group_stream_msg"
	// EndpointChatbotPath is the path of a chatbot's stream.
	EndpointChatbotPath = "/v4/openim_robot_http_svc/send_stream_msg"
	// Paths of the chatbot accounts' endpoints.
	CreateRobotPath  = "/v4/openim_robot_http_svc/create_robot"
	DeleteRobotPath  = "/v4/openim_robot_http_svc/delete_robot"
	GetAllRobotsPath = "/v4/openim_robot_http_svc/get_all_robots"
)

// Endpoint names, as the journal, the streams, the fault rules, the codes
// table and the configuration name them.
const (
	V1           = "v1"             // Desk's send_stream_msg
	V2           = "v2"             // Desk's send_stream_msg_v2
	C2C          = "c2c"            // the native send_c2c_stream_msg
	Group        = "group"          // the native send_group_stream_msg
	Chatbot      = "chatbot"        // a chatbot's openim_robot_http_svc/send_stream_msg
	CreateRobot  = "create_robot"   // creates a chatbot account
	DeleteRobot  = "delete_robot"   // marks a chatbot account deleted
	GetAllRobots = "get_all_robots" // lists an app's chatbot accounts
)

// endpoint is one streaming API, everything about it in one value: where
// it is, its request schema, its body limit, the rules its streams follow,
// how a body becomes a stream call (and what fault rules see of it), and
// the rows of the check→code table it runs. Every endpoint runs the same
// pipeline (pipeline.go). The values below hold the defaults; a Server
// runs configured copies of them (configured). Adding an endpoint is a
// schema in schemas/, one more value in endpoints and, where the body
// differs, one more read function; the conversation its streams belong to
// (a Desk session, a C2C pair, a group) is what read finds in the body.
type endpoint struct {
	// version names the endpoint: "v1", "v2", "c2c", "group".
	version string
	// name is the API's command, as the log line shows it.
	name string
	path string
	// schema is the file name of its request schema in schemas/.
	schema string
	// bodyLimit is the longest body accepted unless the configuration's
	// entry of the endpoint sets one, given the configuration's limits.
	bodyLimit func(Limits) int
	// maxBody is the longest body accepted; set by configured.
	maxBody int
	// rules are the stream rules its streams follow.
	rules StreamRules
	// indexed is true when chunks carry an Index that starts at 1 and
	// strictly increases across the stream.
	indexed bool
	// conversation is what its streams belong to: a Desk session, a C2C
	// pair or a group; read finds its names in the body.
	conversation conversationKind
	// keyName is the name of the stream's key in the body and the reply:
	// "MsgKey", or the native streams' "StreamMsgID".
	keyName string
	// act answers a body that passed its checks, on an endpoint that does
	// not stream (the chatbot accounts'); nil on a streaming endpoint,
	// whose body is a call (read) that a stream takes.
	act func(s *Server, in *incoming, out *outcome) verdict
	// fromRobot is true when the stream's sender must be a valid chatbot
	// of the app.
	fromRobot bool
	// chatbotMessage is true when the user sees the stream as the
	// chatbots' custom message (Stream.ChatbotMessage).
	chatbotMessage bool
	// read reads a decoded body (its schema's fastpath struct), valid or
	// not, into the call it asks for, once: fault rules match on what it
	// found, and once the body passed the schema the call is whole. What is
	// missing or of another type is left zero. Its error is a schema
	// failure the schema cannot express, which counts only for a body that
	// passed the schema.
	read func(body fastpath.Body, c *streamCall) error
	// rows are the rows of the check→code table its pipeline runs, with
	// the configuration's overrides (codes.Rule.Endpoints says which run
	// where); set by configured.
	rows map[codes.Check]codes.Rule
}

// configured returns a copy of the endpoint as a configuration runs it:
// with the body limit and stream rules of its entry c (or its defaults,
// given the limits l), and its rows of the table t.
func (ep *endpoint) configured(c EndpointConfig, l Limits, t *codes.Table) *endpoint {
	out := *ep
	out.rules = c.apply(ep.rules)
	out.maxBody = c.MaxBodyBytes
	if out.maxBody == 0 {
		out.maxBody = ep.bodyLimit(l)
	}
	out.rows = map[codes.Check]codes.Rule{}
	for _, r := range t.Rules() {
		if len(r.Endpoints) == 0 || slices.Contains(r.Endpoints, ep.version) {
			out.rows[r.Check] = t.RuleFor(ep.version, r.Check)
		}
	}
	return &out
}

// endpointV1 is send_stream_msg. The vendor states no stream rule for it
// but that a stream takes no call after its last chunk; its body limit is
// limits.max_body_bytes (the vendor's "12k" by default), which predates
// per-endpoint limits.
var endpointV1 = &endpoint{
	version: V1, name: "send_stream_msg", path: EndpointPath, schema: schemas.RequestFile,
	bodyLimit: func(l Limits) int { return l.MaxBodyBytes },
	rules:     StreamRules{RefuseAfterEnd: true},
	keyName:   "MsgKey",
	read:      readV1,
}

// endpointV2 is send_stream_msg_v2, with the vendor's stated rules.
var endpointV2 = &endpoint{
	version: V2, name: "send_stream_msg_v2", path: EndpointV2Path, schema: schemas.RequestV2File,
	bodyLimit: func(Limits) int { return defaultMaxBodyBytesV2 },
	rules:     vendorStreamRules,
	indexed:   true,
	keyName:   "MsgKey",
	read:      readV2,
}

// vendorStreamRules are the rules the vendor states for the streams of
// TIMStreamElem (v2, C2C, group): 15 s between calls, no call after the
// end, 5 continuation calls a second, messages under 128 KB.
var vendorStreamRules = StreamRules{
	IdleTimeout:     15 * time.Second,
	RefuseAfterEnd:  true,
	CallsPerSecond:  5,
	MaxMessageBytes: 128 * 1024,
}

// endpointC2C is the native send_c2c_stream_msg, with v2's rules.
var endpointC2C = &endpoint{
	version: C2C, name: "send_c2c_stream_msg", path: EndpointC2CPath, schema: schemas.RequestC2CFile,
	bodyLimit:    func(Limits) int { return defaultMaxBodyBytesV2 },
	rules:        vendorStreamRules,
	indexed:      true,
	keyName:      "StreamMsgID",
	conversation: inC2C,
	read:         readC2C,
}

// endpointGroup is the native send_group_stream_msg, with v2's rules.
var endpointGroup = &endpoint{
	version: Group, name: "send_group_stream_msg", path: EndpointGroupPath, schema: schemas.RequestGroupFile,
	bodyLimit:    func(Limits) int { return defaultMaxBodyBytesV2 },
	rules:        vendorStreamRules,
	indexed:      true,
	keyName:      "StreamMsgID",
	conversation: inGroup,
	read:         readGroup,
}

// chatbotRate is the rate the vendor states for every chatbot API: 200
// calls a second (per app, inferred).
const chatbotRate = 200

// endpointChatbot is a chatbot's stream to a user: v1's body with the
// accounts of a C2C chat; the sender must be a valid chatbot. The vendor
// states no stream rule; like every stream of the family it takes no call
// after its end.
var endpointChatbot = &endpoint{
	version: Chatbot, name: "robot send_stream_msg", path: EndpointChatbotPath, schema: schemas.RequestChatbotFile,
	bodyLimit:      func(l Limits) int { return l.MaxBodyBytes },
	rules:          StreamRules{RefuseAfterEnd: true, AppCallsPerSecond: chatbotRate},
	keyName:        "MsgKey",
	conversation:   inC2C,
	fromRobot:      true,
	chatbotMessage: true,
	read:           readChatbot,
}

// robotEndpoint is one of the chatbot accounts' endpoints, which answer
// with act rather than stream.
func robotEndpoint(version, path, schema string, act func(*Server, *incoming, *outcome) verdict) *endpoint {
	return &endpoint{
		version: version, name: version, path: path, schema: schema,
		bodyLimit: func(l Limits) int { return l.MaxBodyBytes },
		rules:     StreamRules{AppCallsPerSecond: chatbotRate},
		act:       act,
	}
}

// endpoints are the APIs the server serves, in the order the README lists
// them.
var endpoints = slices.Concat([]*endpoint{endpointV1, endpointV2, endpointC2C, endpointGroup, endpointChatbot,
	robotEndpoint(CreateRobot, CreateRobotPath, schemas.RequestCreateRobotFile, (*Server).createRobot),
	robotEndpoint(DeleteRobot, DeleteRobotPath, schemas.RequestDeleteRobotFile, (*Server).deleteRobot),
	robotEndpoint(GetAllRobots, GetAllRobotsPath, schemas.RequestGetAllRobotsFile, (*Server).getAllRobots),
}, deskEndpoints)

// unknownAPI stands for a path under /v4/ that is no endpoint: its
// requests are read (within the default body limit) and journaled like an
// endpoint's, but not decoded, and answered 60009 (serveUnknown).
var unknownAPI = &endpoint{name: "unknown_api", bodyLimit: func(Limits) int { return defaultMaxBodyBytes }}

// endpointOf returns the endpoint of a version.
func endpointOf(version string) (*endpoint, bool) {
	for _, ep := range endpoints {
		if ep.version == version {
			return ep, true
		}
	}
	return nil, false
}

// knownEndpoint reports whether name is an endpoint's.
func knownEndpoint(name string) bool {
	_, ok := endpointOf(name)
	return ok
}

// hasStreamElem reports whether the streams of the endpoint of a version
// are TIMStreamElem: indexed chunks and a CompatibleText.
func hasStreamElem(version string) bool {
	ep, ok := endpointOf(version)
	return ok && ep.indexed
}

// versions lists the endpoint names.
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
	// AppCallsPerSecond is how many calls one app may make to the endpoint
	// in any one second; 0 is no limit.
	AppCallsPerSecond int
}

// streamCall is what one request asks of a stream, whatever the endpoint.
type streamCall struct {
	// conv is the conversation the call names; key is its key once the
	// call counter counted it (the counter's copy), "" before.
	conv      conversation
	key       string
	msgKey    string
	hasMsgKey bool
	// text is the text of the call's chunks joined.
	text string
	// chunks are the call's chunks; nil for a call of one chunk with no
	// Index, which a body gives as its text alone, until whole makes it.
	chunks []chunk
	// last is true when the call ends the stream (Finish: 1, IsLast: true).
	last bool
	// compatibleText is v2's text for clients too old to render a stream.
	compatibleText string
	// few holds chunks when they are few, so that a call's chunks take no
	// allocation of their own: the call must not be copied once chunks
	// points here.
	few [2]chunk
}

// chunk is one piece of a stream's text. Index is v2's explicit number, 0
// on v1.
type chunk struct {
	index int
	text  string
}

// whole makes the chunk of a call of one chunk with no Index: only for a
// call that reaches its stream, so that refusing a request costs no more.
func (c *streamCall) whole() {
	if c.chunks == nil {
		c.few[0] = chunk{text: c.text}
		c.chunks = c.few[:1]
	}
}

// joinText returns the text of chunks joined.
func joinText(chunks []chunk) string {
	if len(chunks) == 1 {
		return chunks[0].text
	}
	n := 0
	for _, ch := range chunks {
		n += len(ch.text)
	}
	var b strings.Builder
	b.Grow(n)
	for _, ch := range chunks {
		b.WriteString(ch.text)
	}
	return b.String()
}

// readV1 reads a v1 body: {"SessionId","Chunk","MsgKey","Finish"}.
func readV1(body fastpath.Body, c *streamCall) error {
	b := body.(*fastpath.V1)
	c.conv.id = b.SessionId.V
	readChunk(b.Chunk, b.MsgKey, b.Finish, c)
	return nil
}

// readChatbot reads a chatbot's body: {"From_Account","To_Account","Chunk",
// "MsgKey","Finish"}.
func readChatbot(body fastpath.Body, c *streamCall) error {
	b := body.(*fastpath.Chatbot)
	c.conv.id = b.To_Account.V
	readFrom(b.From_Account, &c.conv)
	readChunk(b.Chunk, b.MsgKey, b.Finish, c)
	return nil
}

// readChunk reads the Chunk, MsgKey and Finish of a body of one chunk a
// call.
func readChunk(text, key fastpath.Text, finish fastpath.Number, c *streamCall) {
	c.text, c.msgKey, c.hasMsgKey = text.V, key.V, key.Set
	if finish.Set { // parsing "" would allocate its error
		n, _ := strconv.ParseFloat(finish.V, 64)
		c.last = n == 1
	}
}

// readV2 reads a v2 body: SessionId, MsgKey at the top level (inferred),
// and its TIMStreamElem.
func readV2(body fastpath.Body, c *streamCall) error {
	b := body.(*fastpath.V2)
	c.conv.id = b.SessionId.V
	c.msgKey, c.hasMsgKey = b.MsgKey.V, b.MsgKey.Set
	return readStreamElem(&b.MsgBody, c, false)
}

// readC2C reads a send_c2c_stream_msg body: From_Account (absent: the
// administrator), To_Account, and its TIMStreamElem with the StreamMsgID.
func readC2C(body fastpath.Body, c *streamCall) error {
	b := body.(*fastpath.C2C)
	c.conv.id = b.To_Account.V
	readFrom(b.From_Account, &c.conv)
	return readStreamElem(&b.MsgBody, c, true)
}

// readGroup reads a send_group_stream_msg body: GroupId, From_Account
// (absent: the administrator), and its TIMStreamElem with the StreamMsgID.
func readGroup(body fastpath.Body, c *streamCall) error {
	b := body.(*fastpath.Group)
	c.conv.id = b.GroupId.V
	readFrom(b.From_Account, &c.conv)
	return readStreamElem(&b.MsgBody, c, true)
}

// readFrom reads a body's From_Account into the conversation.
func readFrom(from fastpath.Text, conv *conversation) {
	conv.from, conv.hasFrom = from.V, from.Set
}

// errIsLastNotLast is the schema failure the schema cannot express.
var errIsLastNotLast = errors.New("IsLast: true is only allowed on the call's last chunk")

// readStreamElem reads the TIMStreamElem of a body's MsgBody: its Chunks,
// CompatibleText and, where keyInContent, the StreamMsgID that names the
// stream. The schema allows one MsgBody element; last is set by an IsLast:
// true anywhere.
func readStreamElem(body *fastpath.StreamMsgBody, c *streamCall, keyInContent bool) (err error) {
	for _, el := range body.V {
		content := &el.V.MsgContent.V
		if t := content.CompatibleText; t.Set && !t.Bad {
			c.compatibleText = t.V
		}
		if keyInContent {
			if c.hasMsgKey = content.StreamMsgID.Set; c.hasMsgKey {
				c.msgKey = content.StreamMsgID.V
			}
		}
		list := content.Chunks.V
		if c.chunks == nil && len(list) <= len(c.few) {
			c.chunks = c.few[:0]
		}
		for i, ch := range list {
			c.chunks = append(c.chunks, chunk{index: chunkIndex(ch.V.Index), text: ch.V.Markdown.V})
			if ch.V.IsLast.V {
				if i != len(list)-1 && err == nil {
					err = fmt.Errorf("/MsgBody/0/MsgContent/Chunks/%d/IsLast: %w", i, errIsLastNotLast)
				}
				c.last = true
			}
		}
	}
	c.text = joinText(c.chunks)
	return err
}

// chunkIndex reads a chunk's Index: an integer the schema allowed, maybe
// written 1.0 or 1e0; 0 when it is no number.
func chunkIndex(num fastpath.Number) int {
	n, err := strconv.Atoi(num.V)
	if err != nil {
		f, _ := strconv.ParseFloat(num.V, 64)
		n = int(f)
	}
	return n
}
