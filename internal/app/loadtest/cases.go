package loadtest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/deskmock/deskmock/internal/rawhttp"
	"github.com/deskmock/deskmock/mockserver"
	"github.com/deskmock/deskmock/mockserver/usersig"
)

// loadCase is one kind of request.
type loadCase struct {
	name string
	// start returns the script of a connection; it may send requests of
	// its own first.
	start func(c conn) (script, error)
}

// conn is where a script sends.
type conn struct {
	do   func(req []byte) ([]byte, error) // sends a request, returns the reply
	host string
	w    int              // the connection's number, from 1
	now  func() time.Time // the server's clock
}

// script is what one connection sends, request after request.
type script interface {
	// next returns the next request and what deskmock's reply to it must
	// hold: `"ErrorCode":N,`.
	next() (req, want []byte)
	// got takes the reply to the request next returned last.
	got(reply []byte)
}

// app is the default configuration's app, which deskmock serve serves.
var app = mockserver.DefaultConfig().Apps[0]

// Request targets signed with the app's key and with another.
const (
	goodKey = ""
	badKey  = "not-the-key"
)

// target returns a request target of path signed with key, the app's key
// when key is goodKey.
func target(path, key string) string {
	if key == goodKey {
		key = app.SecretKey
	}
	sig, err := usersig.Generate(key, app.SDKAppID, app.Admins[0], 86400, time.Now())
	if err != nil {
		panic(err) // the default app's values always sign
	}
	return path + "?" + mockserver.Query(app.SDKAppID, app.Admins[0], sig, 1)
}

// Codes deskmock answers, as replies hold them.
var (
	codeOK           = wantCode(0)
	codeBadSignature = wantCode(70009)  // a UserSig signed with another key
	codeMalformed    = wantCode(141006) // a SessionId that is no UUID
)

func wantCode(c int) []byte { return []byte(`"ErrorCode":` + strconv.Itoa(c) + `,`) }

// malformedSession is a SessionId that is no UUID.
const malformedSession = "not-a-uuid"

// session returns the SessionId of connection w's nth session.
func session(w, n int) string { return fmt.Sprintf("%08x-1111-4222-8333-%012x", w, n) }

// chunk is one call on a stream.
type chunk struct {
	session string
	msgKey  string // empty on a first chunk
	index   int    // v2's Index, from 1
	last    bool
}

// v1Body is the body of c on send_stream_msg.
func v1Body(c chunk) string {
	b := `{"SessionId":"` + c.session + `","Chunk":"Hello, "`
	if c.msgKey != "" {
		b += `,"MsgKey":"` + c.msgKey + `"`
	}
	if c.last {
		b += `,"Finish":1`
	}
	return b + `}`
}

// v2Body is the body of c on send_stream_msg_v2, its MsgKey at the top
// level as deskmock takes it.
func v2Body(c chunk) string {
	b := `{"SessionId":"` + c.session + `"`
	if c.msgKey != "" {
		b += `,"MsgKey":"` + c.msgKey + `"`
	}
	b += `,"MsgBody":[{"MsgType":"TIMStreamElem","MsgContent":{"CompatibleText":"Please upgrade to see this message.","Chunks":[{"EventType":"data","Index":` + strconv.Itoa(c.index) + `,"Markdown":"Hello, "`
	if c.last {
		b += `,"IsLast":true`
	}
	return b + `}]}}]}`
}

// endpointCalls are one endpoint's request targets and body.
type endpointCalls struct {
	path string
	body func(chunk) string
}

var (
	v1 = endpointCalls{mockserver.EndpointPath, v1Body}
	v2 = endpointCalls{mockserver.EndpointV2Path, v2Body}
)

// msgKey returns the MsgKey of a reply, or "" if it has none.
func msgKey(reply []byte) string {
	_, rest, ok := bytes.Cut(reply, []byte(`"MsgKey":"`))
	key, _, ok2 := bytes.Cut(rest, []byte(`"`))
	if !ok || !ok2 {
		return ""
	}
	return string(key)
}

// same sends one request over and over.
type same struct{ req, want []byte }

func (s *same) next() ([]byte, []byte) { return s.req, s.want }
func (s *same) got([]byte)             {}

// fixed is a case that sends ep's first chunk of each connection's session,
// signed with key, over and over.
func fixed(ep endpointCalls, key string, want []byte) func(conn) (script, error) {
	t := target(ep.path, key)
	return func(c conn) (script, error) {
		return &same{rawhttp.Request(c.host, t, ep.body(chunk{session: session(c.w, 0), index: 1})), want}, nil
	}
}

// continueV1 opens a v1 stream for the connection, then continues it with
// the same chunk over and over (v1 states no rule against it).
func continueV1(c conn) (script, error) {
	t := target(v1.path, goodKey)
	rep, err := c.do(rawhttp.Request(c.host, t, v1Body(chunk{session: session(c.w, 0)})))
	if err != nil {
		return nil, err
	}
	key := msgKey(rep)
	if key == "" {
		return nil, fmt.Errorf("loadtest: opening a stream: %q", rep)
	}
	return &same{rawhttp.Request(c.host, t, v1Body(chunk{session: session(c.w, 0), msgKey: key})), codeOK}, nil
}

// stream is an open stream of a connection.
type stream struct {
	ep      endpointCalls
	session string
	msgKey  string
	index   int // of the last chunk sent
	chunks  int // how many the stream sends in all; 0 is no end
	last    time.Time
}

// callGap is the least time between two calls on a stream: it keeps v2's
// rate rule (5 calls in any one second) with a margin, and spreads the
// calls evenly.
const callGap = 260 * time.Millisecond

// streams is a connection's script of calls on streams it opens: the least
// recently used open stream takes the next call when callGap has passed
// since its last, else a new stream opens. A stream with chunks set ends with its last
// chunk; every refuseEvery-th request, when set, is refused instead.
type streams struct {
	host        string
	target      [2]string // signed with the app's key: v1, v2
	badTarget   [2]string // signed with another
	w           int
	eps         []endpointCalls
	chunks      func() int // of a new stream; 0 never ends
	refuseEvery int
	rnd         *rand.Rand
	now         func() time.Time

	open    []*stream // least recently used first
	opening *stream   // the stream the last request opened
	sent    int       // requests
	nth     int       // sessions opened
}

func newStreams(c conn, eps []endpointCalls, chunks func(*rand.Rand) int, refuseEvery int) *streams {
	s := &streams{host: c.host, w: c.w, eps: eps, refuseEvery: refuseEvery, rnd: rand.New(rand.NewPCG(uint64(c.w), 1)), now: c.now}
	s.chunks = func() int { return chunks(s.rnd) }
	for i, ep := range []endpointCalls{v1, v2} {
		s.target[i] = target(ep.path, goodKey)
		if refuseEvery > 0 {
			s.badTarget[i] = target(ep.path, badKey)
		}
	}
	return s
}

func epIndex(ep endpointCalls) int {
	if ep.path == v2.path {
		return 1
	}
	return 0
}

func (s *streams) next() ([]byte, []byte) {
	s.sent++
	s.opening = nil
	if s.refuseEvery > 0 && s.sent%s.refuseEvery == 0 {
		// Refusals alternate between the endpoints and the two causes.
		k := s.sent / s.refuseEvery
		ep := s.eps[k%len(s.eps)]
		i := epIndex(ep)
		if k/len(s.eps)%2 == 0 {
			return rawhttp.Request(s.host, s.badTarget[i], ep.body(chunk{session: session(s.w, s.nth), index: 1})), codeBadSignature
		}
		return rawhttp.Request(s.host, s.target[i], ep.body(chunk{session: malformedSession, index: 1})), codeMalformed
	}
	now := s.now()
	if len(s.open) > 0 && now.Sub(s.open[0].last) >= callGap {
		st := s.open[0]
		s.open = s.open[1:]
		st.last = now
		st.index++
		last := st.chunks > 0 && st.index == st.chunks
		if !last {
			s.open = append(s.open, st)
		}
		i := epIndex(st.ep)
		return rawhttp.Request(s.host, s.target[i], st.ep.body(chunk{session: st.session, msgKey: st.msgKey, index: st.index, last: last})), codeOK
	}
	ep := s.eps[s.nth%len(s.eps)]
	st := &stream{ep: ep, session: session(s.w, s.nth), index: 1, chunks: s.chunks(), last: now}
	s.nth++
	s.opening = st
	i := epIndex(ep)
	return rawhttp.Request(s.host, s.target[i], ep.body(chunk{session: st.session, index: 1})), codeOK
}

func (s *streams) got(reply []byte) {
	if s.opening == nil {
		return
	}
	if s.opening.msgKey = msgKey(reply); s.opening.msgKey != "" {
		s.open = append(s.open, s.opening)
	}
	s.opening = nil
}

var cases = []*loadCase{
	{"first-chunk", fixed(v1, goodKey, codeOK)},
	{"continuation", continueV1},
	{"rejected", fixed(v1, badKey, codeBadSignature)},
	{"v2-first-chunk", fixed(v2, goodKey, codeOK)},
	{"v2-continuation", func(c conn) (script, error) {
		return newStreams(c, []endpointCalls{v2}, func(*rand.Rand) int { return 0 }, 0), nil
	}},
	{"v2-rejected", fixed(v2, badKey, codeBadSignature)},
	{"mix", func(c conn) (script, error) {
		return newStreams(c, []endpointCalls{v1, v2}, func(r *rand.Rand) int { return 3 + r.IntN(13) }, 10), nil
	}},
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
