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

// serveRules are the stream rules deskmock serve runs with under load:
// the chatbot APIs' rate of 200 calls a second per app is off, as the
// in-process handler's (handlerAt), so that the load measures answers.
var serveRules = []string{"--stream-rule", mockserver.Chatbot + ".app_calls_per_second=0"}

// app is the default configuration's app, which deskmock serve serves.
var app = mockserver.DefaultConfig().Apps[0]

// Request targets signed with the app's key and with another.
const (
	goodKey = ""
	badKey  = "not-the-key"
)

// Every run signs with the same UserSigs, so that runs compare (a token
// made at time.Now() differs from run to run): issued at signedAt, valid
// for signedFor seconds. Each has a '*', which the query escapes as %2A,
// as about one token in five does: the slower case, whose value is
// unescaped.
var signedAt = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

const signedFor = 20 * 365 * 86400

// target returns a request target of path signed with key, the app's key
// when key is goodKey.
func target(path, key string) string {
	if key == goodKey {
		key = app.SecretKey
	}
	sig, err := usersig.Generate(key, app.SDKAppID, app.Admins[0], signedFor, signedAt)
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
	codeBadAccount   = wantCode(90003)  // an account or group that cannot be one
	codeBadGroup     = wantCode(10015)
)

func wantCode(c int) []byte { return []byte(`"ErrorCode":` + strconv.Itoa(c) + `,`) }

// malformedSession is a SessionId that is no UUID.
const malformedSession = "not-a-uuid"

// session returns the SessionId of connection w's nth session.
func session(w, n int) string { return fmt.Sprintf("%08x-1111-4222-8333-%012x", w, n) }

// account returns the name of connection w's nth user or group.
func account(w, n int) string { return fmt.Sprintf("u%x_%x", w, n) }

// chunk is one call on a stream.
type chunk struct {
	session string // the conversation's name: SessionId, To_Account or GroupId
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

// streamElem is the MsgBody of c on the streams of TIMStreamElem; the
// native streams carry the key in it (inKey), v2 at the top level.
func streamElem(c chunk, inKey bool) string {
	b := `"MsgBody":[{"MsgType":"TIMStreamElem","MsgContent":{"CompatibleText":"Please upgrade to see this message.",`
	if inKey && c.msgKey != "" {
		b += `"StreamMsgID":"` + c.msgKey + `",`
	}
	b += `"Chunks":[{"EventType":"data","Index":` + strconv.Itoa(c.index) + `,"Markdown":"Hello, "`
	if c.last {
		b += `,"IsLast":true`
	}
	return b + `}]}}]`
}

// c2cBody is the body of c on send_c2c_stream_msg, from a bot.
func c2cBody(c chunk) string {
	return `{"From_Account":"support_bot","To_Account":"` + c.session + `","MsgRandom":1,` + streamElem(c, true) + `}`
}

// groupBody is the body of c on send_group_stream_msg.
func groupBody(c chunk) string {
	return `{"GroupId":"` + c.session + `","From_Account":"support_bot","Random":1,` + streamElem(c, true) + `}`
}

// chatbotBody is the body of c on a chatbot's stream, from the default
// app's chatbot.
func chatbotBody(c chunk) string {
	b := `{"From_Account":"@RBT#my_bot","To_Account":"` + c.session + `","Chunk":"Hello, "`
	if c.msgKey != "" {
		b += `,"MsgKey":"` + c.msgKey + `"`
	}
	if c.last {
		b += `,"Finish":1`
	}
	return b + `}`
}

// endpointCalls are one endpoint's request targets and bodies.
type endpointCalls struct {
	name string
	path string
	body func(chunk) string
	// conv names connection w's nth conversation.
	conv func(w, n int) string
	// malformed is a conversation name the endpoint refuses, with code.
	malformed     string
	malformedCode []byte
}

var (
	v1      = endpointCalls{mockserver.V1, mockserver.EndpointPath, v1Body, session, malformedSession, codeMalformed}
	v2      = endpointCalls{mockserver.V2, mockserver.EndpointV2Path, v2Body, session, malformedSession, codeMalformed}
	c2c     = endpointCalls{mockserver.C2C, mockserver.EndpointC2CPath, c2cBody, account, "", codeBadAccount}
	group   = endpointCalls{mockserver.Group, mockserver.EndpointGroupPath, groupBody, account, "", codeBadGroup}
	chatbot = endpointCalls{mockserver.Chatbot, mockserver.EndpointChatbotPath, chatbotBody, account, "", codeBadAccount}
)

// msgKey returns the key a reply issued (MsgKey or StreamMsgID), or "" if
// it has none.
func msgKey(reply []byte) string {
	for _, name := range []string{`"MsgKey":"`, `"StreamMsgID":"`} {
		_, rest, ok := bytes.Cut(reply, []byte(name))
		key, _, ok2 := bytes.Cut(rest, []byte(`"`))
		if ok && ok2 {
			return string(key)
		}
	}
	return ""
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
		return &same{rawhttp.Request(c.host, t, ep.body(chunk{session: ep.conv(c.w, 0), index: 1})), want}, nil
	}
}

// continueSame opens a stream of ep (v1's or a chatbot's, which state no
// rule against it) for the connection, then continues it with the same
// chunk over and over.
func continueSame(ep endpointCalls) func(conn) (script, error) {
	return func(c conn) (script, error) {
		t := target(ep.path, goodKey)
		rep, err := c.do(rawhttp.Request(c.host, t, ep.body(chunk{session: ep.conv(c.w, 0)})))
		if err != nil {
			return nil, err
		}
		key := msgKey(rep)
		if key == "" {
			return nil, fmt.Errorf("loadtest: opening a stream: %q", rep)
		}
		return &same{rawhttp.Request(c.host, t, ep.body(chunk{session: ep.conv(c.w, 0), msgKey: key})), codeOK}, nil
	}
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
	target      map[string]string // by endpoint: signed with the app's key
	badTarget   map[string]string // signed with another
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
	s := &streams{host: c.host, w: c.w, eps: eps, refuseEvery: refuseEvery, rnd: rand.New(rand.NewPCG(uint64(c.w), 1)), now: c.now,
		target: map[string]string{}, badTarget: map[string]string{}}
	s.chunks = func() int { return chunks(s.rnd) }
	for _, ep := range eps {
		s.target[ep.name] = target(ep.path, goodKey)
		if refuseEvery > 0 {
			s.badTarget[ep.name] = target(ep.path, badKey)
		}
	}
	return s
}

func (s *streams) next() ([]byte, []byte) {
	s.sent++
	s.opening = nil
	if s.refuseEvery > 0 && s.sent%s.refuseEvery == 0 {
		// Refusals alternate between the endpoints and the two causes.
		k := s.sent / s.refuseEvery
		ep := s.eps[k%len(s.eps)]
		if k/len(s.eps)%2 == 0 {
			return rawhttp.Request(s.host, s.badTarget[ep.name], ep.body(chunk{session: ep.conv(s.w, s.nth), index: 1})), codeBadSignature
		}
		return rawhttp.Request(s.host, s.target[ep.name], ep.body(chunk{session: ep.malformed, index: 1})), ep.malformedCode
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
		return rawhttp.Request(s.host, s.target[st.ep.name], st.ep.body(chunk{session: st.session, msgKey: st.msgKey, index: st.index, last: last})), codeOK
	}
	ep := s.eps[s.nth%len(s.eps)]
	st := &stream{ep: ep, session: ep.conv(s.w, s.nth), index: 1, chunks: s.chunks(), last: now}
	s.nth++
	s.opening = st
	return rawhttp.Request(s.host, s.target[ep.name], ep.body(chunk{session: st.session, index: 1})), codeOK
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

// paced continues streams of ep, a call on each at most every callGap,
// which keeps the vendor's rate of 5 calls a second per stream.
func paced(ep endpointCalls) func(conn) (script, error) {
	return func(c conn) (script, error) {
		return newStreams(c, []endpointCalls{ep}, func(*rand.Rand) int { return 0 }, 0), nil
	}
}

// cases are the first chunks, continuations and refusals (a UserSig signed
// with another key) of every endpoint, v1's without a prefix, and a mix of
// v1 and v2 streams that resembles a CI run.
var cases = []*loadCase{
	{"first-chunk", fixed(v1, goodKey, codeOK)},
	{"continuation", continueSame(v1)},
	{"rejected", fixed(v1, badKey, codeBadSignature)},
	{"v2-first-chunk", fixed(v2, goodKey, codeOK)},
	{"v2-continuation", paced(v2)},
	{"v2-rejected", fixed(v2, badKey, codeBadSignature)},
	{"c2c-first-chunk", fixed(c2c, goodKey, codeOK)},
	{"c2c-continuation", paced(c2c)},
	{"c2c-rejected", fixed(c2c, badKey, codeBadSignature)},
	{"group-first-chunk", fixed(group, goodKey, codeOK)},
	{"group-continuation", paced(group)},
	{"group-rejected", fixed(group, badKey, codeBadSignature)},
	{"chatbot-first-chunk", fixed(chatbot, goodKey, codeOK)},
	{"chatbot-continuation", continueSame(chatbot)},
	{"chatbot-rejected", fixed(chatbot, badKey, codeBadSignature)},
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
