package mockserver

import (
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/deskmock/deskmock/internal/shellquote"
)

// ExampleSessionID is the SessionId of the vendor's example, used in the
// command of FirstCall.
const ExampleSessionID = "fd8a2e30-54de-4e40-bcaf-02718409c5cf"

// FirstCallLifetime is how long the UserSig in the command of FirstCall is
// valid.
const FirstCallLifetime = 24 * time.Hour

// FirstCall is a ready-to-paste shell command that sends a first chunk.
type FirstCall struct {
	// Curl is the curl command line, for plain HTTP.
	Curl string
	// URL and Body are the request's, for a command of one's own.
	URL, Body string
	// Note, when not empty, says what to do before running it.
	Note string
}

// FirstCall returns the curl command that sends a first chunk to the server
// at base (such as "http://127.0.0.1:8780"), as the first administrator of
// the first app, with a UserSig valid for FirstCallLifetime. In strict
// session mode it uses the first configured session, or says to open one.
func (s *Server) FirstCall(base string) (FirstCall, error) {
	app := s.cfg.Apps[0] // a valid configuration has at least one app
	admin := app.Admins[0]
	sessionID, note := ExampleSessionID, ""
	if s.cfg.Sessions.Strict {
		if len(s.cfg.Sessions.IDs) > 0 {
			sessionID = s.cfg.Sessions.IDs[0]
		} else {
			note = "Sessions are strict: open this SessionId first, or the call gets 141005."
		}
	}
	sig, err := s.UserSig(app.SDKAppID, admin, FirstCallLifetime)
	if err != nil {
		return FirstCall{}, err
	}
	url := base + EndpointPath + "?" + Query(app.SDKAppID, admin, sig, rand.Uint32())
	body := `{"SessionId":` + strconv.Quote(sessionID) + `,"Chunk":"Hello, "}`
	return FirstCall{Curl: "curl -sS -X POST " + shellquote.Quote(url) + " -d " + shellquote.Quote(body), URL: url, Body: body, Note: note}, nil
}
