// Package protocol is the conformance protocol between the runner and a
// client under test: the case the client reads on stdin (or in its
// environment) and the answer it prints on stdout. Clients written in Go
// import only this package to speak it.
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
	// SessionID is the Desk session to stream on.
	SessionID string `json:"session_id"`
	// Chunks are the chunks to stream, in order, as one message.
	Chunks []string `json:"chunks"`
	// Version is the endpoint to stream to: VersionV1 (send_stream_msg,
	// also when empty) or VersionV2 (send_stream_msg_v2).
	Version string `json:"version,omitempty"`
	// PausesMS are the milliseconds to wait before sending each chunk, as
	// a producer that stalls would; missing entries are 0. A chunk's
	// pause is waited once, not again when the message is sent anew.
	PausesMS []int `json:"pauses_ms,omitempty"`
}

// Endpoint versions an Input names.
const (
	// VersionV1 is send_stream_msg: one Chunk per call, Finish: 1 on the
	// last.
	VersionV1 = "v1"
	// VersionV2 is send_stream_msg_v2: Markdown chunks with an Index from
	// 1 and IsLast: true on the last.
	VersionV2 = "v2"
)

// V2 reports whether the input asks for send_stream_msg_v2.
func (in Input) V2() bool { return in.Version == VersionV2 }

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
		"DESKMOCK_CHUNKS=" + string(chunks),
		"DESKMOCK_VERSION=" + version,
		"DESKMOCK_PAUSES_MS=" + string(pauses),
	}
}

// Answer is the JSON object a client prints on stdout when it is done.
type Answer struct {
	// OK is true when the whole message was delivered and the stream
	// finished.
	OK bool `json:"ok"`
	// MsgKey is the stream's MsgKey, when OK.
	MsgKey string `json:"msg_key,omitempty"`
	// ErrorCode is the vendor code of the failure, when not OK (0 for a
	// failure that was no vendor reply, such as a transport failure).
	ErrorCode int `json:"error_code,omitempty"`
	// ErrorInfo is the vendor's ErrorInfo of the failure, or what failed,
	// when not OK.
	ErrorInfo string `json:"error_info,omitempty"`
}
