package loadtest

import (
	"bytes"
	"fmt"
	"time"

	"github.com/deskmock/deskmock/internal/rawhttp"
	"github.com/deskmock/deskmock/mockserver"
	"github.com/deskmock/deskmock/mockserver/usersig"
)

// loadCase is one kind of request.
type loadCase struct {
	name string
	// prepare returns the request connection w sends over and over; it may
	// send requests of its own first, on c.
	prepare func(c *rawhttp.Conn, host string, w int) ([]byte, error)
	// wantCode is the ErrorCode every reply of deskmock must carry.
	wantCode string
}

// app is the default configuration's app, which deskmock serve serves.
var app = mockserver.DefaultConfig().Apps[0]

// target returns a request target of path signed with key.
func target(path, key string) string {
	sig, err := usersig.Generate(key, app.SDKAppID, app.Admins[0], 86400, time.Now())
	if err != nil {
		panic(err) // the default app's values always sign
	}
	return path + "?" + mockserver.Query(app.SDKAppID, app.Admins[0], sig, 1)
}

func session(w int) string { return fmt.Sprintf("00000000-1111-4222-8333-%012d", w) }

// v1Body is a v1 chunk on session w, with more fields when given.
func v1Body(w int, more string) string {
	return `{"SessionId":"` + session(w) + `","Chunk":"Hello, "` + more + `}`
}

// v2Body is a v2 first chunk on session w.
func v2Body(w int) string {
	return `{"SessionId":"` + session(w) + `","MsgBody":[{"MsgType":"TIMStreamElem","MsgContent":{"CompatibleText":"Please upgrade to see this message.","Chunks":[{"EventType":"data","Index":1,"Markdown":"Hello, "}]}}]}`
}

func fixed(path, key string, body func(w int) string) func(*rawhttp.Conn, string, int) ([]byte, error) {
	t := target(path, key)
	return func(_ *rawhttp.Conn, host string, w int) ([]byte, error) {
		return rawhttp.Request(host, t, body(w)), nil
	}
}

var cases = []*loadCase{
	{"first-chunk", fixed(mockserver.EndpointPath, app.SecretKey, func(w int) string { return v1Body(w, "") }), "0"},
	{"continuation", func(c *rawhttp.Conn, host string, w int) ([]byte, error) {
		// Each connection opens a stream, then continues it.
		t := target(mockserver.EndpointPath, app.SecretKey)
		rep, err := c.Do(rawhttp.Request(host, t, v1Body(w, "")))
		if err != nil {
			return nil, err
		}
		_, rest, ok := bytes.Cut(rep, []byte(`"MsgKey":"`))
		key, _, ok2 := bytes.Cut(rest, []byte(`"`))
		if !ok || !ok2 {
			return nil, fmt.Errorf("loadtest: opening a stream: %q", rep)
		}
		return rawhttp.Request(host, t, v1Body(w, `,"MsgKey":"`+string(key)+`"`)), nil
	}, "0"},
	{"rejected", fixed(mockserver.EndpointPath, "not-the-key", func(w int) string { return v1Body(w, "") }), "70009"},
	{"v2-first-chunk", fixed(mockserver.EndpointV2Path, app.SecretKey, v2Body), "0"},
}

func caseNames() []string {
	out := make([]string, len(cases))
	for i, c := range cases {
		out[i] = c.name
	}
	return out
}

func caseNamed(name string) (*loadCase, bool) {
	for _, c := range cases {
		if c.name == name {
			return c, true
		}
	}
	return nil, false
}
