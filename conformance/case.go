package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/deskmock/deskmock/conformance/protocol"
	"github.com/deskmock/deskmock/mockserver"
)

// Case is one scripted scenario: how the mock is set up, what the client is
// given, and what a careful client ends with.
type Case struct {
	// Name is hierarchical, such as "retry/20004/middle-chunk"; --run and
	// --skip match it.
	Name string `json:"name"`
	// Description says in a sentence or two what happens and why.
	Description string `json:"description"`
	// Input is what the client is given, beyond the defaults.
	Input CaseInput `json:"input"`
	// Mock is the mock's setup for the case.
	Mock MockSetup `json:"mock,omitzero"`
	// Expect is what a careful client ends with.
	Expect Expectation `json:"expect"`
	// Levels overrides the level of checks for this case (MUST, SHOULD,
	// INFO, or SKIP for a check that does not apply).
	Levels map[string]Level `json:"levels,omitempty"`

	// File is the file the case was read from.
	File string `json:"-"`
}

// CaseInput is what the client is told. Empty fields take the defaults: the
// mock's app, its administrator, its secret key, and the conversation's
// names the endpoint requires (a SessionId; a To_Account; a GroupId)
// derived from the case name.
type CaseInput struct {
	// Chunks are streamed in order as one message.
	Chunks []Chunk `json:"chunks"`
	// SessionID, when set, is given instead of the derived one (it may be
	// malformed on purpose, or a trigger SessionId); Desk's endpoints only.
	SessionID string `json:"session_id,omitempty"`
	// FromAccount, when set, is the sender of a c2c, group or chatbot
	// stream; when empty the client sends no From_Account on c2c and
	// group, and DefaultChatbot on chatbot.
	FromAccount string `json:"from_account,omitempty"`
	// ToAccount, when set, is given instead of the derived recipient of a
	// c2c or chatbot stream (it may be a trigger name such as
	// trigger-20004-2).
	ToAccount string `json:"to_account,omitempty"`
	// GroupID, when set, is given instead of the derived group of a group
	// stream (it may be a trigger name).
	GroupID string `json:"group_id,omitempty"`
	// SDKAppID, when set, is given instead of the app's.
	SDKAppID uint64 `json:"sdkappid,omitempty"`
	// Identifier, when set, is given instead of the administrator.
	Identifier string `json:"identifier,omitempty"`
	// SecretKey, when set, is given instead of the app's key; the given
	// UserSig is signed with it too.
	SecretKey string `json:"secret_key,omitempty"`
	// Version names the endpoint the client streams to: "v1" (the
	// default), "v2", "c2c", "group" or "chatbot" (protocol.Endpoints).
	Version string `json:"version,omitempty"`
	// PausesMS are the milliseconds the client waits before each chunk.
	PausesMS []int `json:"pauses_ms,omitempty"`
	// Then are the Desk calls the client makes after its stream
	// (protocol.CallTransfer, protocol.CallSessionState); with no Chunks,
	// instead of it. Desk's endpoints only.
	Then []string `json:"then,omitempty"`
}

// Session states a case can ask for.
const (
	// SessionOpen is the default: the session accepts messages.
	SessionOpen = "open"
	// SessionEnded ends the session before the client starts.
	SessionEnded = "ended"
	// SessionUnknown runs the mock in strict mode without opening the
	// session.
	SessionUnknown = "unknown"
)

// MockSetup is the mock's state before the client starts.
type MockSetup struct {
	// Session is SessionOpen (default), SessionEnded or SessionUnknown;
	// Desk's endpoints only.
	Session string `json:"session,omitempty"`
	// Accounts and Groups, when set, are the mock's directories of the
	// c2c and group streams (strict ones refuse the names they lack).
	Accounts *mockserver.Directory `json:"accounts,omitempty"`
	Groups   *mockserver.Directory `json:"groups,omitempty"`
	// Robots, when set, are the chatbots of the case's app instead of the
	// default app's (@RBT#my_bot); an empty list leaves it none.
	Robots *[]string `json:"robots,omitempty"`
	// Desk, when false, makes the app a non-Desk app (141000).
	Desk *bool `json:"desk,omitempty"`
	// Faults are added in order; the first that matches a request fires.
	Faults []mockserver.Fault `json:"faults,omitempty"`
	// Endpoints adjust the stream rules of each endpoint, by version, as
	// the mock's configuration does (a short idle timeout, a rule off).
	Endpoints map[string]mockserver.EndpointConfig `json:"endpoints,omitempty"`
	// Envelope shapes the mock's replies (another key order).
	Envelope mockserver.Envelope `json:"envelope,omitzero"`
	// Agents, when set, are the Desk app's agents instead of the
	// default's one agent online.
	Agents *[]mockserver.Agent `json:"agents,omitempty"`
	// EndSessionAfterCall, when not 0, ends the session (as when its user
	// leaves: Server.EndSession) once the mock has applied the stream's
	// call of that number, counting every request to the case's endpoint,
	// before that call's reply leaves. Desk's endpoints only.
	EndSessionAfterCall int `json:"end_session_after_call,omitempty"`
}

// Expectation is how a careful client ends the case.
type Expectation struct {
	// OK is the expected "ok" of the answer.
	OK bool `json:"ok"`
	// ErrorCode is the expected "error_code" when OK is false.
	ErrorCode int `json:"error_code,omitempty"`
	// Texts are the texts of the session's streams at the end, oldest
	// first: what the user sees. Nil means the chunks joined when OK, and
	// no stream at all otherwise.
	Texts *[]string `json:"texts,omitempty"`
	// Then are the answers a careful client reports of the Desk calls of
	// Input.Then, in order; nil when the case asks for none.
	Then []protocol.CallAnswer `json:"then,omitempty"`
}

// Endpoint returns the endpoint the case streams to; v1 for a name no
// endpoint has, which ParseCases refuses.
func (c *Case) Endpoint() protocol.Endpoint {
	if ep, ok := protocol.EndpointOf(c.Input.Version); ok {
		return ep
	}
	ep, _ := protocol.EndpointOf(protocol.VersionV1)
	return ep
}

// WantTexts returns the expected texts of the session's streams.
func (c *Case) WantTexts() []string {
	if c.Expect.Texts != nil {
		return append([]string{}, *c.Expect.Texts...)
	}
	if c.Expect.OK {
		return []string{strings.Join(c.Chunks(), "")}
	}
	return []string{}
}

// Chunks returns the case's chunks as strings, generated ones expanded.
func (c *Case) Chunks() []string {
	out := make([]string, len(c.Input.Chunks))
	for i, ch := range c.Input.Chunks {
		out[i] = ch.String()
	}
	return out
}

// Chunk is one chunk of a case. In a case file it is a JSON string, or an
// object {"repeat": "0123456789", "bytes": 12100} that stands for the
// ASCII pattern repeated and cut to that many bytes (for chunks too long to
// write out).
type Chunk struct {
	// Text is the chunk, when written out.
	Text string
	// Repeat, when not empty, is the ASCII pattern the chunk repeats.
	Repeat string
	// Bytes is the length of a generated chunk.
	Bytes int
}

// String returns the chunk's text.
func (c Chunk) String() string {
	if c.Repeat == "" {
		return c.Text
	}
	n := c.Bytes/len(c.Repeat) + 1
	return strings.Repeat(c.Repeat, n)[:c.Bytes]
}

type chunkFill struct {
	Repeat string `json:"repeat"`
	Bytes  int    `json:"bytes"`
}

// UnmarshalJSON reads a string or a {"repeat", "bytes"} object.
func (c *Chunk) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		var f chunkFill
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			return err
		}
		if f.Repeat == "" || f.Bytes < 1 {
			return fmt.Errorf("a generated chunk needs a non-empty repeat and bytes >= 1")
		}
		*c = Chunk{Repeat: f.Repeat, Bytes: f.Bytes}
		return nil
	}
	*c = Chunk{}
	return json.Unmarshal(b, &c.Text)
}

// MarshalJSON writes the chunk as it was read.
func (c Chunk) MarshalJSON() ([]byte, error) {
	if c.Repeat != "" {
		return json.Marshal(chunkFill{Repeat: c.Repeat, Bytes: c.Bytes})
	}
	return json.Marshal(c.Text)
}
