package conformance

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/deskmock/deskmock/conformance/protocol"
	"github.com/deskmock/deskmock/mockserver"
	"github.com/deskmock/deskmock/mockserver/usersig"
)

// Input is the JSON object a client reads on stdin.
type Input = protocol.Input

// userSigLifetime is the lifetime of the UserSig given to the client.
const userSigLifetime = 24 * time.Hour

// input builds what the client of a case is given, for a mock configured
// with cfg and reached at baseURL.
func (c *Case) input(cfg mockserver.Config, baseURL string, now time.Time) (Input, error) {
	app := cfg.Apps[0]
	in := Input{
		Case:       c.Name,
		BaseURL:    baseURL,
		SDKAppID:   app.SDKAppID,
		Identifier: app.Admins[0],
		SecretKey:  app.SecretKey,
		Chunks:     c.Chunks(),
		Version:    c.Input.Version,
		PausesMS:   c.Input.PausesMS,
		Then:       c.Input.Then,
	}
	c.nameConversation(&in)
	if c.Input.SDKAppID != 0 {
		in.SDKAppID = c.Input.SDKAppID
	}
	if c.Input.Identifier != "" {
		in.Identifier = c.Input.Identifier
	}
	if c.Input.SecretKey != "" {
		in.SecretKey = c.Input.SecretKey
	}
	sig, err := usersig.Generate(in.SecretKey, in.SDKAppID, in.Identifier, int64(userSigLifetime/time.Second), now)
	if err != nil {
		return Input{}, fmt.Errorf("conformance: case %s: signing its UserSig: %w", c.Name, err)
	}
	in.UserSig = sig
	return in, nil
}

// nameConversation sets the conversation's names in the input, as the
// case's endpoint names its conversation.
func (c *Case) nameConversation(in *Input) {
	for _, f := range c.Endpoint().Conversation {
		if v := in.Value(f); v != nil {
			*v = c.conversationName(f)
		}
	}
}

// conversationName returns the value of a conversation field the case's
// client is given: the case's own; for a field the endpoint requires, the
// default chatbot (a required From_Account) or a name derived from the
// case name, the same on every run; otherwise "".
func (c *Case) conversationName(f protocol.Field) string {
	given := c.Input.names()
	if v := given.Value(f); v != nil && *v != "" {
		return *v
	}
	switch {
	case f.Optional:
		return ""
	case f.Input == "session_id":
		return c.SessionID()
	case f.Input == "from_account":
		return DefaultChatbot()
	}
	// An account or group name: the field's name and 8 hexadecimal
	// digits, such as "to-account-1f3a9c20" (within 32 bytes).
	sum := sha256.Sum256([]byte("deskmock/conformance/" + f.Input + "/" + c.Name))
	return strings.ReplaceAll(f.Input, "_", "-") + "-" + hex.EncodeToString(sum[:4])
}

// DefaultChatbot is the From_Account a chatbot case's client is given
// unless the case gives one: the first chatbot of the mock's default app
// (@RBT#my_bot), whatever the case's mock.robots.
func DefaultChatbot() string {
	if robots := mockserver.DefaultConfig().Apps[0].Robots; len(robots) > 0 {
		return robots[0]
	}
	return ""
}

// names returns the conversation's names the case gives, in an Input.
func (ci CaseInput) names() Input {
	return Input{SessionID: ci.SessionID, FromAccount: ci.FromAccount, ToAccount: ci.ToAccount, GroupID: ci.GroupID}
}

// SessionID returns the SessionId the case's client is given on Desk's
// endpoints: the case's own, or a UUID derived from the case name, the
// same on every run.
func (c *Case) SessionID() string {
	if c.Input.SessionID != "" {
		return c.Input.SessionID
	}
	sum := sha256.Sum256([]byte("deskmock/conformance/" + c.Name))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// redacted returns the input with its secrets replaced, for reports.
func redacted(in Input) Input {
	in.SecretKey = "REDACTED"
	in.UserSig = "REDACTED"
	return in
}
