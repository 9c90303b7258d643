package mockserver

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/deskmock/deskmock/internal/shellquote"
)

// exampleSessionID is the SessionId of the vendor's example, used in the
// command of FirstCall.
const exampleSessionID = "fd8a2e30-54de-4e40-bcaf-02718409c5cf"

// FirstCallLifetime is how long the UserSig in the command of FirstCall is
// valid.
const FirstCallLifetime = 24 * time.Hour

// FirstCall is a ready-to-paste shell command that sends a first chunk.
type FirstCall struct {
	// Curl is the command, for plain HTTP: a curl command line, after the
	// line of SignCommand when there is one.
	Curl string
	// URL and Body are the request's, for a command of one's own. When
	// SignCommand is set, URL holds "$usersig" where the UserSig goes.
	URL, Body string
	// SignCommand, when not empty, is the shell line that signs the
	// UserSig into $usersig: the app's key is not the well-known test key,
	// so no UserSig signed with it is shown.
	SignCommand string
	// Note, when not empty, says what to do before running it.
	Note string

	target string // URL as a shell word
}

// testKey is the secret key of the embedded default configuration's
// first app: a well-known test key, published in the README.
var testKey = sync.OnceValue(func() string { return DefaultConfig().Apps[0].SecretKey })

// isTestKey reports whether key is the well-known test key of the
// embedded default configuration. A UserSig signed with it is no secret;
// one signed with any other key is a credential.
func isTestKey(key string) bool { return key == testKey() }

// FirstCall returns the command that sends a first chunk to the server at
// base (such as "http://127.0.0.1:8780"), as the first administrator of
// the first app. With the well-known test key the command carries a
// UserSig valid for FirstCallLifetime; with any other key it carries none,
// and SignCommand has `deskmock usersig gen` sign one with the user's own
// key: a page or a banner that anyone may read must not hand out a
// credential. In strict session mode it uses the first configured
// session, or says to open one.
func (s *Server) FirstCall(base string) (FirstCall, error) {
	app := s.cfg.Apps[0] // a valid configuration has at least one app
	admin := app.Admins[0]
	sessionID, notes := exampleSessionID, []string(nil)
	if s.cfg.Sessions.Strict {
		if len(s.cfg.Sessions.IDs) > 0 {
			sessionID = s.cfg.Sessions.IDs[0]
		} else {
			notes = append(notes, "Sessions are strict: open this SessionId first, or the call gets 141005.")
		}
	}
	random := rand.Uint32()
	f := FirstCall{Body: `{"SessionId":` + strconv.Quote(sessionID) + `,"Chunk":"Hello, "}`}
	if isTestKey(app.SecretKey) {
		sig, err := s.UserSig(app.SDKAppID, admin, FirstCallLifetime)
		if err != nil {
			return FirstCall{}, err
		}
		f.URL = base + EndpointPath + "?" + Query(app.SDKAppID, admin, sig, random)
		f.target = shellquote.Quote(f.URL)
	} else {
		// The query of Query with "$usersig" for the value, which only
		// that word leaves unquoted.
		before, after, _ := strings.Cut(Query(app.SDKAppID, admin, "", random), "&usersig=")
		f.URL = base + EndpointPath + "?" + before + "&usersig=$usersig" + after
		f.target = shellquote.Quote(base+EndpointPath+"?"+before+"&usersig=") + `"$usersig"` + shellquote.Quote(after)
		f.SignCommand = "usersig=$(deskmock usersig gen --sdkappid " + strconv.FormatUint(app.SDKAppID, 10) +
			" --identifier " + shellquote.Quote(admin) + " --expire " + strconv.Itoa(int(FirstCallLifetime.Hours())) + "h)"
		notes = append([]string{"The app's secret key is not the well-known test key, so no UserSig is shown: the first line signs one with your key, which deskmock usersig gen reads from $DESKMOCK_SECRET_KEY (or add --secret-key-file FILE)."}, notes...)
	}
	f.Note = strings.Join(notes, " ")
	f.Curl = f.Command("")
	return f, nil
}

// Command returns the command with curlOptions (such as "--cacert
// 'ca.pem' ", ending with a space) before the method.
func (f FirstCall) Command(curlOptions string) string {
	c := "curl -sS " + curlOptions + "-X POST " + f.target + " -d " + shellquote.Quote(f.Body)
	if f.SignCommand != "" {
		c = f.SignCommand + "\n" + c
	}
	return c
}
