// Package protocol is the conformance protocol between the runner and a
// client under test: the case the client reads on stdin (or in its
// environment) and the answer it prints on stdout. Clients written in Go
// import only this package to speak it; Endpoints says what each endpoint
// a case may name looks like on the wire.
package protocol

import (
	"encoding/json"
	"strconv"
	"time"
)

// Input is the JSON object a client reads on stdin; the same facts are in
// its environment (see Env).
type Input struct {
	// Case is the case's name.
	Case string `json:"case"`
	// BaseURL is the mock's URL, such as http://127.0.0.1:41234, with no
	// trailing slash.
	BaseURL string `json:"base_url"`
	// SDKAppID is the app to call as.
	SDKAppID uint64 `json:"sdkappid"`
	// Identifier is the administrator to call as.
	Identifier string `json:"identifier"`
	// SecretKey is the app's key, for a client that signs its UserSig.
	SecretKey string `json:"secret_key"`
	// UserSig is a ready UserSig for Identifier, signed with SecretKey.
	UserSig string `json:"usersig"`
	// SessionID is the Desk session to stream on (v1, v2).
	SessionID string `json:"session_id,omitempty"`
	// FromAccount is the sender of a c2c, group or chatbot stream; on c2c
	// and group, empty means the body carries no From_Account.
	FromAccount string `json:"from_account,omitempty"`
	// ToAccount is the recipient of a c2c or chatbot stream.
	ToAccount string `json:"to_account,omitempty"`
	// GroupID is the group of a group stream.
	GroupID string `json:"group_id,omitempty"`
	// Chunks are the chunks to stream, in order, as one message.
	Chunks []string `json:"chunks"`
	// Version names the endpoint to stream to: VersionV1 (also when
	// empty), VersionV2, VersionC2C, VersionGroup or VersionChatbot (see
	// Endpoints).
	Version string `json:"version,omitempty"`
	// PausesMS are the milliseconds to wait before sending each chunk, as
	// a producer that stalls would; missing entries are 0. A chunk's
	// pause is waited once, not again when the message is sent anew.
	PausesMS []int `json:"pauses_ms,omitempty"`
	// Then are Desk calls (CallTransfer, CallSessionState) to make after
	// the stream, in order, whatever its outcome, each naming SessionID;
	// v1 and v2 only. With no Chunks there is no stream: the calls are
	// made at once, instead of it.
	Then []string `json:"then,omitempty"`
}

// Desk calls an Input's Then may name.
const (
	// CallTransfer is Desk's transfer_to_human: it hands the session to
	// a human agent and answers AgentId and IsInQueue.
	CallTransfer = "transfer_to_human"
	// CallSessionState is Desk's get_session_state: it answers the
	// session's CurrentState.
	CallSessionState = "get_session_state"
)

// Call is what a client needs to know of a Desk call an Input's Then
// names: its body is {"SessionId": Input.SessionID}.
type Call struct {
	// Name is the call's name, as Then gives it.
	Name string
	// Path is the API's path, after the base URL.
	Path string
}

// calls are the Desk calls Then may name.
var calls = []Call{
	{Name: CallTransfer, Path: "/v4/desk_http_svc/transfer_to_human"},
	{Name: CallSessionState, Path: "/v4/desk_http_svc/get_session_state"},
}

// Calls returns every Desk call Then may name.
func Calls() []Call { return append([]Call{}, calls...) }

// CallOf returns the Desk call of a name.
func CallOf(name string) (Call, bool) {
	for _, c := range calls {
		if c.Name == name {
			return c, true
		}
	}
	return Call{}, false
}

// Endpoint names an Input gives as its Version.
const (
	// VersionV1 is Desk's send_stream_msg: one Chunk per call, Finish: 1
	// on the last.
	VersionV1 = "v1"
	// VersionV2 is Desk's send_stream_msg_v2: Markdown chunks with an
	// Index from 1 and IsLast: true on the last.
	VersionV2 = "v2"
	// VersionC2C is the native send_c2c_stream_msg: v2's chunks from
	// From_Account to To_Account, the key named StreamMsgID.
	VersionC2C = "c2c"
	// VersionGroup is the native send_group_stream_msg: v2's chunks in
	// GroupId, the key named StreamMsgID.
	VersionGroup = "group"
	// VersionChatbot is a chatbot's openim_robot_http_svc/send_stream_msg:
	// v1's Chunk and Finish from a chatbot (From_Account, required) to
	// To_Account.
	VersionChatbot = "chatbot"
)

// Endpoint is what a client needs to know of one endpoint to stream to it.
type Endpoint struct {
	// Name is the endpoint's name, as Input.Version gives it.
	Name string
	// Path is the API's path, after the base URL.
	Path string
	// Conversation are the body's fields that name the conversation, in
	// the order a body writes them.
	Conversation []Field
	// Key is the name of the stream's key in the first reply and in the
	// later calls: "MsgKey" or "StreamMsgID".
	Key string
	// KeyInContent puts the key of later calls in MsgBody[0].MsgContent
	// instead of the body's top level.
	KeyInContent bool
	// Indexed is true for a TIMStreamElem body (MsgBody[0].MsgContent
	// .Chunks, each {"EventType": "data", "Index": n, "Markdown": text,
	// "IsLast": last}, Index from 1) under the vendor's stream rules;
	// false for a body with a Chunk and Finish: 1 on the last call.
	Indexed bool
	// EndedCode is the ErrorCode that refuses a continuation of an indexed
	// stream that ended, or whose Index the stream holds.
	EndedCode int
}

// Field is a body field that names the conversation.
type Field struct {
	// Wire is its name in the body, such as "To_Account".
	Wire string
	// Input is the JSON name of the Input field that gives its value,
	// such as "to_account".
	Input string
	// Optional is true when the body leaves it out for an empty value.
	Optional bool
}

// The conversation fields of the endpoints.
var (
	sessionField = Field{Wire: "SessionId", Input: "session_id"}
	fromField    = Field{Wire: "From_Account", Input: "from_account", Optional: true}
	toField      = Field{Wire: "To_Account", Input: "to_account"}
	groupField   = Field{Wire: "GroupId", Input: "group_id"}
	// robotField is the chatbot that sends: From_Account, required.
	robotField = Field{Wire: "From_Account", Input: "from_account"}
)

// endpoints are the endpoints a case may name, in the README's order.
var endpoints = []Endpoint{
	{Name: VersionV1, Path: "/v4/desk_http_svc/send_stream_msg", Conversation: []Field{sessionField}, Key: "MsgKey"},
	{Name: VersionV2, Path: "/v4/desk_http_svc/send_stream_msg_v2", Conversation: []Field{sessionField}, Key: "MsgKey",
		Indexed: true, EndedCode: 141004},
	{Name: VersionC2C, Path: "/v4/stream_msg/send_c2c_stream_msg", Conversation: []Field{fromField, toField}, Key: "StreamMsgID",
		KeyInContent: true, Indexed: true, EndedCode: 90010},
	{Name: VersionGroup, Path: "/v4/stream_msg/send_group_stream_msg", Conversation: []Field{groupField, fromField}, Key: "StreamMsgID",
		KeyInContent: true, Indexed: true, EndedCode: 90010},
	{Name: VersionChatbot, Path: "/v4/openim_robot_http_svc/send_stream_msg", Conversation: []Field{robotField, toField}, Key: "MsgKey"},
}

// Endpoints returns every endpoint a case may name.
func Endpoints() []Endpoint {
	out := make([]Endpoint, len(endpoints))
	for i, ep := range endpoints {
		out[i] = ep
		out[i].Conversation = append([]Field{}, ep.Conversation...)
	}
	return out
}

// EndpointOf returns the endpoint of a name; "" is VersionV1.
func EndpointOf(name string) (Endpoint, bool) {
	if name == "" {
		name = VersionV1
	}
	for _, ep := range Endpoints() {
		if ep.Name == name {
			return ep, true
		}
	}
	return Endpoint{}, false
}

// Endpoint returns the endpoint the input names; false for a name no
// endpoint has.
func (in Input) Endpoint() (Endpoint, bool) { return EndpointOf(in.Version) }

// V2 reports whether the input asks for send_stream_msg_v2.
func (in Input) V2() bool { return in.Version == VersionV2 }

// Value returns the Input field that gives f's value, nil when f.Input
// names none.
func (in *Input) Value(f Field) *string {
	switch f.Input {
	case sessionField.Input:
		return &in.SessionID
	case fromField.Input:
		return &in.FromAccount
	case toField.Input:
		return &in.ToAccount
	case groupField.Input:
		return &in.GroupID
	}
	return nil
}

// Pause returns how long to wait before sending chunk i (from 0).
func (in Input) Pause(i int) time.Duration {
	if i < 0 || i >= len(in.PausesMS) {
		return 0
	}
	return time.Duration(in.PausesMS[i]) * time.Millisecond
}

// Env returns the input as the environment variables a client may read
// instead of stdin.
func (in Input) Env() []string {
	chunks, _ := json.Marshal(in.Chunks)                       // strings always encode
	pauses, _ := json.Marshal(append([]int{}, in.PausesMS...)) // [] rather than null
	then, _ := json.Marshal(append([]string{}, in.Then...))
	version := in.Version
	if version == "" {
		version = VersionV1
	}
	return []string{
		"DESKMOCK_CASE=" + in.Case,
		"DESKMOCK_BASE_URL=" + in.BaseURL,
		"DESKMOCK_SDKAPPID=" + strconv.FormatUint(in.SDKAppID, 10),
		"DESKMOCK_IDENTIFIER=" + in.Identifier,
		"DESKMOCK_SECRET_KEY=" + in.SecretKey,
		"DESKMOCK_USERSIG=" + in.UserSig,
		"DESKMOCK_SESSION_ID=" + in.SessionID,
		"DESKMOCK_FROM_ACCOUNT=" + in.FromAccount,
		"DESKMOCK_TO_ACCOUNT=" + in.ToAccount,
		"DESKMOCK_GROUP_ID=" + in.GroupID,
		"DESKMOCK_CHUNKS=" + string(chunks),
		"DESKMOCK_VERSION=" + version,
		"DESKMOCK_PAUSES_MS=" + string(pauses),
		"DESKMOCK_THEN=" + string(then),
	}
}

// Answer is the JSON object a client prints on stdout when it is done.
type Answer struct {
	// OK is true when the whole message was delivered and the stream
	// finished.
	OK bool `json:"ok"`
	// MsgKey is the stream's key, when OK: the MsgKey, or on c2c and
	// group the StreamMsgID, the first reply issued.
	MsgKey string `json:"msg_key,omitempty"`
	// ErrorCode is the vendor code of the failure, when not OK (0 for a
	// failure that was no vendor reply, such as a transport failure).
	ErrorCode int `json:"error_code,omitempty"`
	// ErrorInfo is the vendor's ErrorInfo of the failure, or what failed,
	// when not OK.
	ErrorInfo string `json:"error_info,omitempty"`
	// Then are the answers of the Desk calls Input.Then asked for, in
	// the same order.
	Then []CallAnswer `json:"then,omitempty"`
}

// CallAnswer is what a client reports of one Desk call: the last reply's
// outcome and the members the call answers.
type CallAnswer struct {
	// Call is the call's name, as Input.Then gives it.
	Call string `json:"call"`
	// OK is true when the call succeeded (ErrorCode 0).
	OK bool `json:"ok"`
	// ErrorCode and ErrorInfo are the vendor's, when not OK (0 for a
	// failure that was no vendor reply).
	ErrorCode int    `json:"error_code,omitempty"`
	ErrorInfo string `json:"error_info,omitempty"`
	// AgentID and IsInQueue are transfer_to_human's AgentId and IsInQueue
	// (1: true).
	AgentID   string `json:"agent_id,omitempty"`
	IsInQueue bool   `json:"is_in_queue,omitempty"`
	// CurrentState is get_session_state's CurrentState.
	CurrentState string `json:"current_state,omitempty"`
}
