package conformance

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/deskmock/deskmock/mockserver"
	"github.com/deskmock/deskmock/mockserver/usersig"
)

// Input is the JSON object a client reads on stdin; the same facts are in
// its environment (see Env).
type Input struct {
	// Case is the case's name.
	Case string `json:"case"`
	// BaseURL is the mock's URL, such as http://127.0.0.1:41234.
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
		SessionID:  c.SessionID(),
		Chunks:     c.Chunks(),
	}
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

// SessionID returns the SessionId the case's client is given: the case's
// own, or a UUID derived from the case name, the same on every run.
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

// redacted returns the input with its secrets replaced, for reports.
func (in Input) redacted() Input {
	in.SecretKey = "REDACTED"
	in.UserSig = "REDACTED"
	return in
}
