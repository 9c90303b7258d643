// Package protocol is the conformance protocol between the runner and a
// client under test: the case the client reads on stdin (or in its
// environment) and the answer it prints on stdout. Clients written in Go
// import only this package to speak it.
package protocol

import (
	"encoding/json"
	"strconv"
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
}

// Env returns the input as the environment variables a client may read
// instead of stdin.
func (in Input) Env() []string {
	chunks, _ := json.Marshal(in.Chunks) // strings always encode
	return []string{
		"DESKMOCK_CASE=" + in.Case,
		"DESKMOCK_BASE_URL=" + in.BaseURL,
		"DESKMOCK_SDKAPPID=" + strconv.FormatUint(in.SDKAppID, 10),
		"DESKMOCK_IDENTIFIER=" + in.Identifier,
		"DESKMOCK_SECRET_KEY=" + in.SecretKey,
		"DESKMOCK_USERSIG=" + in.UserSig,
		"DESKMOCK_SESSION_ID=" + in.SessionID,
		"DESKMOCK_CHUNKS=" + string(chunks),
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
