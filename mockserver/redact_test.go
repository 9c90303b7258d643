package mockserver

import (
	"bufio"
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deskmock/deskmock/internal/redact"
	"github.com/deskmock/deskmock/mockserver/usersig"
)

// lockedBuffer is a journal sink safe to read while the server writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A UserSig is redacted in every spelling and after every separator the
// query parser could take, in the journal file and the admin API.
func TestRedactionEverySpelling(t *testing.T) {
	var sink lockedBuffer
	cfg := DefaultConfig()
	cfg.Journal = &sink
	ts := NewTestServer(t, WithConfig(cfg))
	queries := []string{
		"sdkappid=1400000001&identifier=administrator&random=1;usersig=secret1&contenttype=json",
		"sdkappid=1400000001&identifier=administrator&%75sersig=secret2&random=1&contenttype=json",
		"sdkappid=1400000001&identifier=administrator&USERSIG=secret3&random=1&contenttype=json",
		"usersig=secret4;usersig=secret5",
	}
	for _, q := range queries {
		resp, err := http.Post(ts.URL+EndpointPath+"?"+q, "application/json", strings.NewReader(`{"SessionId":"`+testSession+`","Chunk":"x"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	_, listing := admin(t, ts, "GET", "/__admin/requests", "")
	for where, text := range map[string]string{"the journal file": sink.String(), "the admin API": listing} {
		if strings.Contains(text, "secret") || strings.Count(text, "=REDACTED") != 5 {
			t.Errorf("%s: %s", where, text)
		}
	}
}

// TestUserSigRedactedWherever: a UserSig that a client puts anywhere in a
// request (a misspelt parameter, another parameter's value, the path, the
// body) appears in none of what goes out: the journal file, the admin API
// (journal, streams, sessions), the dashboard's state and event stream,
// and the log lines. Each placement carries a token of its own, so that a
// failure names where it was found.
func TestUserSigRedactedWherever(t *testing.T) {
	var sink, logs lockedBuffer
	cfg := DefaultConfig()
	cfg.Journal = &sink
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ts := NewTestServer(t, WithConfig(cfg))

	events, err := http.Get(ts.URL + uiAPI + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer events.Body.Close()
	br := bufio.NewReader(events.Body)
	if name, _ := readEvent(t, br); name != "hello" {
		t.Fatalf("first event %q, want hello", name)
	}

	app, adm := ts.App, ts.Identifier
	valid := func(sig string) string { return Query(app.SDKAppID, adm, sig, 7) }
	other := func(param string) string {
		return "sdkappid=" + strconv.FormatUint(app.SDKAppID, 10) + "&identifier=" + adm + "&" + param + "&random=7&contenttype=json"
	}
	tests := []struct {
		name string
		path func(sig string) string // path and query
		body func(sig string) string
	}{
		{"usersig%3D", func(sig string) string { return EndpointPath + "?" + other("usersig%3D"+sig) }, nil},
		{"usersig+=", func(sig string) string { return EndpointPath + "?" + other("usersig+="+sig) }, nil},
		{"usersig[]=", func(sig string) string { return EndpointPath + "?" + other("usersig[]="+sig) }, nil},
		{"USERSIG=", func(sig string) string { return EndpointPath + "?" + other("USERSIG="+sig) }, nil},
		{"percent-encoded", func(sig string) string { return EndpointPath + "?" + valid(sig) }, nil},
		{"as the identifier", func(sig string) string {
			return EndpointPath + "?sdkappid=" + strconv.FormatUint(app.SDKAppID, 10) + "&identifier=" + sig + "&usersig=x&random=7&contenttype=json"
		}, nil},
		{"in another parameter's value", func(sig string) string {
			return EndpointPath + "?" + other("random=1%26usersig%3D"+url.QueryEscape(sig))
		}, nil},
		{"in the path", func(sig string) string { return "/v4/openim_desk/" + sig + "?" + valid(sig) }, nil},
		{"as the SessionId", nil, func(sig string) string { return ChunkBody(sig, "", "x", false) }},
		{"in the chunk", nil, func(sig string) string { return ChunkBody(testSession, "", "usersig="+sig, false) }},
		{"in a v2 chunk", func(sig string) string { return EndpointV2Path + "?" + valid(mustSig(t, ts, 0)) },
			func(sig string) string {
				return v2Body(testSession, "", v2Chunk{Index: 1, Markdown: "[x](/y?usersig=" + sig + ")"})
			}},
		{"in a body that is no JSON", nil, func(sig string) string { return "usersig=" + sig }},
	}
	sigs := make([]string, len(tests))
	for i, tt := range tests {
		sigs[i] = mustSig(t, ts, i+1)
		path := EndpointPath + "?" + valid(mustSig(t, ts, 0))
		if tt.path != nil {
			path = tt.path(sigs[i])
		}
		body := ChunkBody(testSession, "", "x", false)
		if tt.body != nil {
			body = tt.body(sigs[i])
		}
		resp, err := http.Post(ts.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}

	var stream strings.Builder
	for n := 0; n < len(tests); {
		name, data := readEvent(t, br)
		if name == "exchange" {
			n++
		}
		stream.WriteString(data + "\n")
	}
	outputs := map[string]string{
		"the journal file":     sink.String(),
		"the log":              logs.String(),
		"the dashboard events": stream.String(),
	}
	for _, path := range []string{"/__admin/requests?limit=1000", "/__admin/streams?text=1", "/__admin/sessions", uiAPI + "/state"} {
		status, body := admin(t, ts, "GET", path, "")
		if status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, status, body)
		}
		outputs["GET "+path] = body
	}
	if got := strings.Count(outputs["the journal file"], "\n"); got != len(tests) {
		t.Fatalf("the journal file has %d lines, want %d", got, len(tests))
	}
	for i, tt := range tests {
		for where, text := range outputs {
			for _, form := range []string{sigs[i], url.QueryEscape(sigs[i])} {
				if strings.Contains(text, form) {
					t.Errorf("%s: the UserSig is in %s", tt.name, where)
					break
				}
			}
		}
	}
	if t.Failed() {
		return
	}
	if !strings.Contains(outputs["GET /__admin/streams?text=1"], "usersig="+redact.Placeholder) {
		t.Errorf("the chunk's text lost more than its UserSig: %s", outputs["GET /__admin/streams?text=1"])
	}
}

// mustSig signs a UserSig for the test server's app, one per n.
func mustSig(t *testing.T, ts *TestServer, n int) string {
	t.Helper()
	sig, err := usersig.Generate(ts.App.SecretKey, ts.App.SDKAppID, ts.Identifier, 3600, time.Now().Add(time.Duration(n)*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// BenchmarkExchangeRedacted measures what redaction adds to an ordinary
// exchange's journal line (the file's, on the request path with
// --journal): the query's usersig parameter, then every field's scan.
func BenchmarkExchangeRedacted(b *testing.B) {
	ts := NewTestServer(b)
	sig, err := ts.UserSig(ts.App.SDKAppID, ts.Identifier, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	e := &Exchange{Method: "POST", Path: EndpointPath, Query: Query(ts.App.SDKAppID, ts.Identifier, sig, 7),
		Body: ChunkBody(testSession, "", "Hello, this is the first chunk of an answer.", false), BodySize: 90,
		Status: 200, Reply: `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","MsgKey":"1400000001-administrator-1"}`,
		RequestID: "req-1", SessionID: testSession, MsgKey: "1400000001-administrator-1", Chunk: "Hello, this is the first chunk of an answer.",
		IssuedMsgKey: "1400000001-administrator-1"}
	b.Run("query only", func(b *testing.B) {
		for b.Loop() {
			line := *e
			line.Query = redact.Query(line.Query)
		}
	})
	b.Run("every field", func(b *testing.B) {
		for b.Loop() {
			e.redacted()
		}
	})
}
