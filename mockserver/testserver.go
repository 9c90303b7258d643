package mockserver

import (
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"time"
)

// TestingT is the part of testing.TB that NewTestServer uses: *testing.T,
// *testing.B and *testing.F are one. Naming it here rather than importing
// the testing package keeps that package out of programs that link
// mockserver.
type TestingT interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// Option adjusts the configuration of a TestServer.
type Option func(*Config)

// WithConfig starts from cfg instead of DefaultConfig.
func WithConfig(cfg Config) Option { return func(c *Config) { *c = cfg } }

// WithClock makes the server read the time from now.
func WithClock(now func() time.Time) Option { return func(c *Config) { c.Clock = now } }

// WithStrictSessions accepts only the listed sessions (and those opened
// later with OpenSession).
func WithStrictSessions(ids ...string) Option {
	return func(c *Config) {
		c.Sessions.Strict = true
		c.Sessions.IDs = append(c.Sessions.IDs, ids...)
	}
}

// WithStreamRules sets the stream rules of an endpoint version ("v1",
// "v2"), replacing its defaults.
func WithStreamRules(version string, rules StreamRules) Option {
	return func(c *Config) {
		if c.Endpoints == nil {
			c.Endpoints = map[string]EndpointConfig{}
		}
		e := c.Endpoints[version]
		idle := RuleDuration(rules.IdleTimeout)
		e.IdleTimeout, e.RefuseAfterEnd = &idle, &rules.RefuseAfterEnd
		e.CallsPerSecond, e.MaxMessageBytes = &rules.CallsPerSecond, &rules.MaxMessageBytes
		c.Endpoints[version] = e
	}
}

// WithApp adds an app.
func WithApp(a App) Option { return func(c *Config) { c.Apps = append(c.Apps, a) } }

// TestServer is a Server listening on a system-chosen port on the loopback
// interface, for use in end-to-end tests. NewTestServer registers its Close
// with t.Cleanup.
type TestServer struct {
	*Server
	// URL is the base URL, http://127.0.0.1:port, with no trailing slash.
	URL string
	// App is the first configured app, whose credentials the helpers use.
	App App
	// Identifier is the App's first administrator.
	Identifier string
	// TLS is the certificate authority and certificate of a server started
	// by NewTLSTestServer or StartTLS; nil for plain HTTP.
	TLS *LocalTLS

	http *httptest.Server
}

// NewTestServer starts a server with DefaultConfig adjusted by opts. It fails
// the test if the configuration is invalid, and closes the server when the
// test ends.
func NewTestServer(t TestingT, opts ...Option) *TestServer {
	t.Helper()
	ts, err := Start(opts...)
	if err != nil {
		t.Fatalf("mockserver.NewTestServer: %v", err)
	}
	t.Cleanup(ts.Close)
	return ts
}

// Start starts a TestServer outside a test, with DefaultConfig adjusted by
// opts. The caller should call Close when finished.
func Start(opts ...Option) (*TestServer, error) {
	s, err := newFromOptions(opts)
	if err != nil {
		return nil, err
	}
	return newTestServer(s, httptest.NewServer(s.Handler())), nil
}

// newFromOptions makes a Server from DefaultConfig adjusted by opts.
func newFromOptions(opts []Option) (*Server, error) {
	cfg := DefaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	return New(cfg)
}

// newTestServer wraps s, served by the started hs.
func newTestServer(s *Server, hs *httptest.Server) *TestServer {
	return &TestServer{Server: s, URL: hs.URL, App: s.cfg.Apps[0], Identifier: s.cfg.Apps[0].Admins[0], http: hs}
}

// Client returns an HTTP client for the server: over HTTPS, one that
// trusts its certificate.
func (ts *TestServer) Client() *http.Client { return ts.http.Client() }

// Close shuts the server down and blocks until its requests are done,
// and stops the scenarios it plays. It may be called more than once.
func (ts *TestServer) Close() {
	ts.ui.hub.dropAll() // end the dashboards' event streams, which Close would wait for
	ts.http.Close()
	ts.StopScenarios() // a play outlives the request that started it
}

// ChunkBody returns a request body of send_stream_msg: one chunk of the
// session, with msgKey unless it is empty (a first call), finishing the
// stream when finish is set.
func ChunkBody(session, msgKey, chunk string, finish bool) string {
	m := map[string]any{"SessionId": session, "Chunk": chunk}
	if msgKey != "" {
		m["MsgKey"] = msgKey
	}
	if finish {
		m["Finish"] = 1
	}
	b, _ := json.Marshal(m) // strings and numbers always encode
	return string(b)
}

// SignUserSig signs a UserSig for the App's administrator, valid for a day.
func (ts *TestServer) SignUserSig() string {
	sig, err := ts.UserSig(ts.App.SDKAppID, ts.Identifier, 24*time.Hour)
	if err != nil {
		panic(err) // the App is one of the server's
	}
	return sig
}

// EndpointURL returns the full URL of send_stream_msg (v1) for the App's
// administrator: a fresh UserSig and random, contenttype json.
func (ts *TestServer) EndpointURL() string { return ts.APIURL(EndpointPath) }

// EndpointV2URL is EndpointURL for send_stream_msg_v2.
func (ts *TestServer) EndpointV2URL() string { return ts.APIURL(EndpointV2Path) }

// APIURL is EndpointURL for the API at path, such as EndpointC2CPath.
func (ts *TestServer) APIURL(path string) string {
	return ts.URL + path + "?" + Query(ts.App.SDKAppID, ts.Identifier, ts.SignUserSig(), rand.Uint32())
}

// Query encodes the query string of an IM REST call, parameters in the
// vendor's order.
func Query(sdkappid uint64, identifier, sig string, random uint32) string {
	return "sdkappid=" + strconv.FormatUint(sdkappid, 10) +
		"&identifier=" + url.QueryEscape(identifier) +
		"&usersig=" + url.QueryEscape(sig) +
		"&random=" + strconv.FormatUint(uint64(random), 10) +
		"&contenttype=json"
}
