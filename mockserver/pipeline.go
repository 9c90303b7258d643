package mockserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/deskmock/deskmock/internal/redact"
	"github.com/deskmock/deskmock/internal/textcut"
	"github.com/deskmock/deskmock/mockserver/codes"
	"github.com/deskmock/deskmock/mockserver/internal/fastpath"
	"github.com/deskmock/deskmock/mockserver/usersig"
)

// This file is the request path, top to bottom, the same whoever serves
// it (Handler, ListenAndServeWith, the test server): serveHTTP sends an
// endpoint's path to its pipeline without the router, answers any other
// path under /v4/ as an unknown API (serveUnknown), and leaves the rest
// (admin API, dashboard, landing page) to the router. On an endpoint the
// request arrives (serveEndpoint): a declared body over the limit is
// refused at once (refuseEarly); otherwise the body is read once (arrive),
// fault rules may act (decide), the checks run in a gateway's order (run:
// method, query and identity, body, session, stream), the stream takes the
// call (applyCall). Then one function records the exchange (record) and
// one writes the reply (write). What differs between endpoints is data:
// the endpoint value (endpoint.go).

// incoming is what the server read of a request before deciding anything.
type incoming struct {
	start    time.Time
	arrival  arrival // what fault rules match on
	body     string
	bodySize int64 // the body's length as far as known
	tooLarge bool
	readErr  error
	// req is the body decoded into its endpoint's struct; nil when it is
	// no JSON object. valid is true when the schema's keywords held on it.
	req   fastpath.Body
	valid bool
	// value is the body as the JSON Schema library sees it, decoded only
	// when the struct cannot say (readBody, checkSchema); jsonErr is why
	// the body is no JSON.
	value   any
	jsonErr error
	// app is the caller's app, once the query named a configured one.
	app *App
	// call is what the body asks of a stream, read once by the endpoint;
	// it is whole once the body passed the schema and callErr is nil.
	call    streamCall
	callErr error
	// malformed is the check that the call's conversation fails because a
	// name in it is not well formed (detail says why); "" when the call
	// counter counted it, and call.key is the counter's copy of its key.
	malformed codes.Check
	detail    string
}

// outcomeKind is how an exchange ends on the wire.
type outcomeKind int

const (
	// sendEnvelope sends the vendor's envelope with HTTP 200.
	sendEnvelope outcomeKind = iota
	// sendStatus sends an HTTP status page, as a gateway would.
	sendStatus
	// sendReset drops the connection with no reply.
	sendReset
	// sendTruncated sends half of the envelope, then closes.
	sendTruncated
	// sendNothing: the client went away during a delay.
	sendNothing
)

// outcome is everything the server decided about one request: what the
// journal records and what the wire gets.
type outcome struct {
	kind       outcomeKind
	status     int
	rep        reply
	keyOrder   []string
	statusBody *string // of sendStatus; nil for a gateway's page
	envelope   string  // of sendTruncated: the whole envelope
	recorded   bool
	verdict    verdict
	refused    bool // the answer is the verdict's refusal
	hasCall    bool // the body passed the schema: incoming.call is whole
	applied    bool
	sentKey    string
	issuedKey  string
	fault      string
	action     string
	replyBody  string // what is sent, set by finish
}

// verdict is a check's answer: the check that failed ("" when all passed)
// and why, for the log and the journal.
type verdict struct {
	check  codes.Check
	detail string
	// code and info replace the table's answer (trigger sessions).
	code int
	info string
}

func (v verdict) failed() bool { return v.check != "" }

func fail(c codes.Check, detail string) verdict { return verdict{check: c, detail: detail} }

// checkTrigger marks, in the journal, an answer given by a trigger session.
const checkTrigger codes.Check = "trigger-session"

// serveHTTP is the handler of every path: the endpoints' paths without the
// router, which would route them the same way but costs five allocations
// a request, then the unknown APIs under /v4/, then the router.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if ep, ok := s.byPath[r.URL.Path]; ok {
		s.serveEndpoint(ep, w, r)
		return
	}
	if strings.HasPrefix(r.URL.Path, "/v4/") {
		s.serveUnknown(w, r)
		return
	}
	s.router.ServeHTTP(w, r)
}

// serveUnknown answers a path under /v4/ that is no API: 60009, its body
// read (bounded) and journaled. Fault rules do not apply.
func (s *Server) serveUnknown(w http.ResponseWriter, r *http.Request) {
	var in incoming
	var out outcome
	s.arrive(s.unknown, r, &in)
	s.refuse(&out, fail(codes.CheckPath, "no API at "+textcut.Cut(r.URL.Path, 200)))
	s.finish(s.unknown, w, r, &in, &out)
}

// serveEndpoint answers one request to a streaming endpoint. A panic
// anywhere in deciding becomes the vendor's "internal error, retry" answer
// (141002), journaled and logged with its stack: a bug in the mock must
// never look like a network failure.
func (s *Server) serveEndpoint(ep *endpoint, w http.ResponseWriter, r *http.Request) {
	st := requestStates.Get().(*requestState)
	in, out := &st.in, &st.out
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.log.Error("internal error", slog.String("path", textcut.Cut(redact.Text(r.URL.Path), maxLogValue)), slog.String("panic", textcut.Cut(fmt.Sprint(p), maxLogDetail)), slog.String("stack", textcut.Cut(string(debug.Stack()), maxLogStack)))
			if !out.recorded { // else the reply may be on its way: nothing more can be sent
				*out = outcome{fault: out.fault, action: out.action}
				s.refuse(out, verdict{check: codes.CheckInternal, detail: fmt.Sprintf("panic: %v", p)})
				s.finish(ep, w, r, in, out)
			}
		}
		*st = requestState{}
		requestStates.Put(st)
	}()
	if r.ContentLength > int64(ep.maxBody) {
		s.refuseEarly(ep, w, r, in, out)
	} else {
		s.arrive(ep, r, in)
		s.decide(ep, r, in, out)
	}
	s.finish(ep, w, r, in, out)
}

// requestState is what the pipeline reads and decides of one request.
// Its functions reach it through pointers the compiler cannot follow (an
// endpoint's read and act), so it would be allocated anew for every
// request: it is pooled instead, and nothing keeps a pointer into it once
// the request is answered.
type requestState struct {
	in  incoming
	out outcome
}

var requestStates = sync.Pool{New: func() any { return new(requestState) }}

// refuseEarly refuses a request whose declared Content-Length is over the
// endpoint's body limit before anything reads its body, so no "100
// Continue" invites a client to upload it: the reply is the body-too-large
// envelope (93000 unless overridden) and the connection is closed. Fault
// rules do not apply to such a request.
func (s *Server) refuseEarly(ep *endpoint, w http.ResponseWriter, r *http.Request, in *incoming, out *outcome) {
	in.start, in.bodySize, in.tooLarge = s.now(), r.ContentLength, true
	in.arrival.nth = s.nth.Add(1)
	s.refuse(out, fail(codes.CheckBodyTooLarge, "Content-Length "+strconv.FormatInt(r.ContentLength, 10)+
		" is over the limit of "+strconv.Itoa(ep.maxBody)+" bytes; refused before reading the body"))
	w.Header().Set("Connection", "close")
}

// finish records an exchange, then writes its reply: the journal holds an
// exchange before its client can see the answer.
func (s *Server) finish(ep *endpoint, w http.ResponseWriter, r *http.Request, in *incoming, out *outcome) {
	s.prepare(ep, in, out)
	s.record(ep, r, in, out)
	out.recorded = true
	write(w, out)
}

// arrive reads the request once: the body (bounded), its decoded value,
// the call it asks for and what fault rules match on, the request's number
// overall and on its conversation. An endpoint without a schema (an
// unknown API) has its body read but not decoded, one without a reader
// (the chatbot accounts') has no call.
func (s *Server) arrive(ep *endpoint, r *http.Request, in *incoming) {
	in.start = s.now()
	in.arrival.nth = s.nth.Add(1)
	in.body, in.bodySize, in.tooLarge, in.readErr = readBodyText(r, ep.maxBody)
	if in.tooLarge || in.readErr != nil || ep.schema == "" {
		return
	}
	readBody(ep, in)
	if in.req == nil || ep.read == nil {
		return
	}
	in.callErr = ep.read(in.req, &in.call)
	c := &in.call
	c.conv.kind = ep.conversation
	// The conversation's names are checked once, here: the counter counts
	// only a well-formed conversation, and from here on its key is the
	// counter's copy, which the streams share, rather than a part of the
	// body. A malformed one keeps its key as sent, for the journal.
	var key string
	if in.malformed, in.detail = c.conv.malformed(); in.malformed == "" {
		var buf [maxKeyBytes]byte
		in.arrival.call, key = s.calls.next(c.conv.appendKey(buf[:0]))
		c.key = key
	} else {
		key = c.conv.key()
	}
	a := &in.arrival
	a.conversation, a.hasMsgKey, a.finish = key, c.hasMsgKey, c.last
	if c.conv.kind == inSession {
		a.sessionID = key
	}
	a.endpoint, a.chunk = ep.version, c.text
}

// decide runs the fault rules, then the pipeline, and fills out.
func (s *Server) decide(ep *endpoint, r *http.Request, in *incoming, out *outcome) {
	f, fired := s.faults.fire(&in.arrival)
	now := in.start
	if fired {
		a := f.Action
		out.fault, out.action, out.keyOrder = f.ID, a.name(), a.KeyOrder
		if a.DelayMS > 0 {
			if !sleep(r, time.Duration(a.DelayMS)*time.Millisecond) {
				out.kind = sendNothing // the client went away
				return
			}
			now = s.now()
		}
		switch {
		case a.ErrorCode != 0:
			s.refuse(out, verdict{code: a.ErrorCode, info: a.ErrorInfo, detail: "fault rule " + f.ID})
			return
		case a.HTTPStatus != 0:
			out.kind, out.status, out.statusBody = sendStatus, a.HTTPStatus, a.Body
			return
		case a.Reset && a.When != ResetAfterApply:
			out.kind = sendReset
			return
		}
	}
	if v := s.run(ep, r, in, now, out); v.failed() {
		s.refuse(out, v)
	}
	switch {
	case fired && f.Action.Reset:
		out.kind = sendReset
	case fired && f.Action.Truncate:
		out.kind = sendTruncated
	}
}

// refuse makes the answer a failed check's: prepare fills in its code and
// text.
func (s *Server) refuse(out *outcome, v verdict) {
	out.verdict, out.refused = v, true
}

// refusal is the answer of a failed check on an endpoint: the code and
// text of the endpoint's row of the table, or the verdict's own.
func (s *Server) refusal(ep *endpoint, v verdict) reply {
	code, info := v.code, v.info
	if code == 0 {
		rule, ok := ep.rows[v.check]
		if !ok { // a check the table does not give the endpoint: a bug
			rule = s.table.Rule(v.check)
		}
		code, info = rule.Code, rule.Info
	}
	if info == "" {
		e, _ := codes.Lookup(code)
		info = e.Info
	}
	return reply{code: code, info: info}
}

// run is the pipeline: transport and URL, then identity, then the body,
// then the session and the stream, at time now. It returns the first
// verdict that fails, or a passing one when the call was applied.
func (s *Server) run(ep *endpoint, r *http.Request, in *incoming, now time.Time, out *outcome) verdict {
	if r.Method != http.MethodPost {
		return fail(codes.CheckMethod, "method "+r.Method+"; only POST is served")
	}
	if v := s.checkQuery(ep, r, now, in); v.failed() {
		return v
	}
	if n := ep.rules.AppCallsPerSecond; n > 0 && !s.appRate.allow(in.app.SDKAppID, ep.version, n, now) {
		return fail(codes.CheckAppRate, fmt.Sprintf("app %d made %d calls to %s in this second already", in.app.SDKAppID, n, ep.name))
	}
	if v := checkBody(ep, in); v.failed() {
		return v
	}
	if ep.act != nil {
		v := ep.act(s, in, out)
		out.applied = !v.failed()
		return v
	}
	if in.callErr != nil {
		return fail(codes.CheckBodySchema, in.callErr.Error())
	}
	out.hasCall, out.sentKey = true, in.call.msgKey
	if v := s.checkConversation(ep, in, out); v.failed() {
		return v
	}
	return s.applyCall(ep, &in.call, now, out)
}

// checkQuery checks the URL's query string and the caller's identity, and
// that the app may call the endpoint.
func (s *Server) checkQuery(ep *endpoint, r *http.Request, now time.Time, in *incoming) verdict {
	q, v := parseIMQuery(r.URL.RawQuery)
	if v.failed() {
		return v
	}
	if q[qSDKAppID] == "" {
		return fail(codes.CheckSDKAppIDMissing, "the query has no sdkappid")
	}
	if q[qIdentifier] == "" || q[qUserSig] == "" {
		return fail(codes.CheckQuery, "identifier and usersig are required")
	}
	if !validRandom(q[qRandom]) {
		return fail(codes.CheckRandom, "random "+strconv.Quote(q[qRandom])+" is not an integer in 0..4294967295")
	}
	if q[qContentType] != "json" {
		return fail(codes.CheckContentType, "contenttype "+strconv.Quote(q[qContentType])+", want \"json\"")
	}
	if err := validateQuery(&q); err != nil {
		return fail(codes.CheckQuery, err.Error())
	}
	sdkappid, err := strconv.ParseUint(q[qSDKAppID], 10, 64)
	if err != nil {
		return fail(codes.CheckQuery, "sdkappid "+err.Error())
	}
	app, ok := s.apps[sdkappid]
	if !ok {
		return fail(codes.CheckSDKAppIDUnknown, "sdkappid "+q[qSDKAppID]+" is not configured; known: "+s.knownApps)
	}
	in.app = app
	identifier := q[qIdentifier]
	if err := s.userSigs.Check(app.SecretKey, sdkappid, identifier, q[qUserSig], now); err != nil {
		return fail(userSigCheck(err), err.Error())
	}
	if !app.isAdmin(identifier) {
		return fail(codes.CheckNotAdmin, "identifier "+strconv.Quote(identifier)+" is not an administrator of app "+q[qSDKAppID])
	}
	if _, runs := ep.rows[codes.CheckNotDesk]; runs && !app.IsDesk() {
		return fail(codes.CheckNotDesk, "app "+q[qSDKAppID]+" is configured with desk: false")
	}
	return verdict{}
}

// checkBody checks the body's size, that it is JSON, and that it matches
// the endpoint's request schema.
func checkBody(ep *endpoint, in *incoming) verdict {
	switch {
	case in.tooLarge:
		return fail(codes.CheckBodyTooLarge, fmt.Sprintf("the body is %d bytes, over the limit of %d", in.bodySize, ep.maxBody))
	case in.readErr != nil:
		return fail(codes.CheckBodyNotJSON, "reading the body: "+in.readErr.Error())
	}
	return checkSchema(ep, in)
}

// checkConversation checks the call's conversation: its names (as arrive
// found them), then trigger IDs, then whether the server knows it (an open
// session; in strict mode, a configured account or group).
func (s *Server) checkConversation(ep *endpoint, in *incoming, out *outcome) verdict {
	if in.malformed != "" {
		return fail(in.malformed, in.detail)
	}
	if code, n, ok := parseTrigger(in.call.conv.id); ok && (n == 0 || n == in.arrival.call) {
		if out.fault == "" {
			out.fault, out.action = "trigger", "error_code"
		}
		return verdict{check: checkTrigger, code: code, detail: "trigger " + in.call.conv.id + ": code " + strconv.Itoa(code)}
	}
	if conv := in.call.conv; ep.fromRobot && !s.robots.valid(in.app.SDKAppID, conv.from) {
		return fail(codes.CheckNotRobot, "From_Account "+strconv.Quote(conv.from)+" is not a chatbot of app "+strconv.FormatUint(in.app.SDKAppID, 10)+" (create it with create_robot, or list it in the app's robots)")
	}
	if c, why := s.missing(in.call.conv, in.app); c != "" {
		return fail(c, why)
	}
	return verdict{}
}

// applyCall hands the call to its stream: a new one without a MsgKey, the
// MsgKey's otherwise.
func (s *Server) applyCall(ep *endpoint, call *streamCall, now time.Time, out *outcome) verdict {
	call.whole()
	if !call.hasMsgKey {
		key, c := s.streams.open1(ep, call, now)
		if c != "" {
			return fail(c, s.streamDetail(c, ep, call, ""))
		}
		out.issuedKey, out.rep.msgKey, out.rep.keyName, out.applied = key, key, ep.keyName, true
		s.opened(call.conv, key, now)
		return verdict{}
	}
	if c := s.streams.continue1(ep, call, now); c != "" {
		return fail(c, s.streamDetail(c, ep, call, call.msgKey))
	}
	out.applied = true
	return verdict{}
}

// streamDetail explains why the stream refused a call.
func (s *Server) streamDetail(c codes.Check, ep *endpoint, call *streamCall, key string) string {
	rules := ep.rules
	switch c {
	case codes.CheckMsgKeyUnknown:
		return ep.keyName + " " + textcut.Cut(strconv.Quote(key), 80) + " was never issued by " + ep.name + ", or its stream was evicted"
	case codes.CheckMsgKeyForeign:
		return ep.keyName + " " + key + " belongs to another conversation"
	case codes.CheckStreamFinished:
		return "the stream " + key + " has ended; " + ep.version + " refuses calls after the end"
	case codes.CheckStreamIdleEnded:
		return "the stream " + key + " ended by itself after " + rules.IdleTimeout.String() + " without a call"
	case codes.CheckStreamRate:
		return fmt.Sprintf("the stream %s had %d calls in the last second already", key, rules.CallsPerSecond)
	case codes.CheckMessageTooLarge:
		return fmt.Sprintf("the message would reach %s's limit (max_message_bytes %d, store cap per stream %d)", ep.version, rules.MaxMessageBytes, s.streams.maxText)
	case codes.CheckChunkIndex:
		idx := make([]string, len(call.chunks))
		for i, ch := range call.chunks {
			idx[i] = strconv.Itoa(ch.index)
		}
		return "chunk Index " + strings.Join(idx, ",") + ": a stream's indexes start at 1 and strictly increase"
	}
	return ""
}

// prepare completes an outcome before it is recorded: the code of a
// refusal, the RequestId and the text of the envelope.
func (s *Server) prepare(ep *endpoint, in *incoming, out *outcome) {
	if out.refused {
		out.rep = s.refusal(ep, out.verdict)
	}
	switch out.kind {
	case sendEnvelope, sendTruncated:
		out.status = http.StatusOK
		order := out.keyOrder
		if len(order) == 0 {
			order = s.keyOrder
		}
		id := appendRequestID(make([]byte, 0, requestIDMaxLen), in.arrival.nth)
		b, at := appendReply(make([]byte, 0, 256), out.rep, order, id)
		body := string(b)
		out.rep.requestID = body[at : at+len(id)] // every key order has RequestId
		if out.kind == sendTruncated {
			out.replyBody = body[:len(body)/2] // what is sent
			out.envelope = body
		} else {
			out.replyBody = body
		}
	case sendStatus:
		out.replyBody = statusPage(out.status, out.statusBody)
	}
}

// Bounds of the log. Each value a request controls (SessionId, MsgKey,
// fault rule id, path) is cut to maxLogValue bytes on the way to a log
// line, a check's detail and a panic's value to maxLogDetail, the stack of
// an internal error to maxLogStack, each on a UTF-8 boundary and marked
// with its length (cut). Even with every byte escaped (JSON writes a
// control byte as 6), no line passes MaxLogLine.
const (
	maxLogValue  = 128
	maxLogDetail = 512
	maxLogStack  = 4 << 10
	// MaxLogLine is the longest log line, in bytes, that a request can
	// cause, whatever it holds.
	MaxLogLine = 16 << 10
)

// record logs an exchange and adds it to the journal.
func (s *Server) record(ep *endpoint, r *http.Request, in *incoming, out *outcome) {
	took := s.now().Sub(in.start)
	status := out.status
	if out.kind == sendReset || out.kind == sendNothing {
		status = 0
	}
	level := slog.LevelInfo
	if out.rep.code != 0 || status != http.StatusOK {
		level = slog.LevelWarn
	}
	key := out.sentKey
	if out.issuedKey != "" {
		key = out.issuedKey
	}
	if s.log.Enabled(r.Context(), level) {
		// An answer's line names its code, session, MsgKey, RequestId and
		// time; a failure's adds what failed and why, and a status other
		// than 200. An ordinary line fits slog's inline attributes, and its
		// values are short enough not to be cut: it allocates nothing.
		var buf [10]slog.Attr
		attrs := append(buf[:0], slog.Int("code", out.rep.code))
		if status != http.StatusOK {
			attrs = append(attrs, slog.Int("status", status))
		}
		if out.verdict.check != "" {
			attrs = append(attrs, slog.String("check", string(out.verdict.check)), slog.String("detail", textcut.Cut(redact.Text(out.verdict.detail), maxLogDetail)))
		}
		if out.fault != "" {
			attrs = append(attrs, slog.String("fault", textcut.Cut(out.fault, maxLogValue)))
		}
		attrs = append(attrs,
			slog.String(ep.conversationAttr(), textcut.Cut(redact.Text(in.arrival.conversation), maxLogValue)),
			slog.String("msg_key", textcut.Cut(redact.Text(key), maxLogValue)),
			slog.String("request_id", out.rep.requestID),
			slog.Duration("took", took),
		)
		s.log.LogAttrs(r.Context(), level, ep.name, attrs...)
	}
	e := Exchange{
		Seq:          in.arrival.nth,
		Time:         in.start,
		Version:      ep.version,
		Method:       r.Method,
		Path:         r.URL.Path,
		Query:        r.URL.RawQuery, // redacted by the journal on the way out
		Body:         in.body,
		BodySize:     in.bodySize,
		Truncated:    in.tooLarge,
		Status:       status,
		Reply:        out.replyBody,
		Code:         out.rep.code,
		RequestID:    out.rep.requestID,
		Check:        out.verdict.check,
		Detail:       out.verdict.detail,
		SessionID:    in.arrival.sessionID,
		Conversation: in.arrival.conversation,
		MsgKey:       key,
		SentMsgKey:   out.sentKey,
		IssuedMsgKey: out.issuedKey,
		Chunk:        in.arrival.chunk,
		Finish:       in.arrival.finish,
		Applied:      out.applied,
		Fault:        out.fault,
		Action:       out.action,
		LatencyMS:    float64(took.Microseconds()) / 1000,
	}
	if out.hasCall {
		for _, ch := range in.call.chunks {
			if ch.index != 0 {
				e.Indexes = append(e.Indexes, ch.index)
			}
		}
	}
	// The body is readBodyText's string; an envelope, prepare's.
	own := ownsBody
	if out.kind == sendEnvelope {
		own |= ownsReply
	}
	if err := s.journal.add(&e, own); err != nil {
		s.log.Error("journal: cannot write", slog.String("error", err.Error()))
	}
	s.ui.hub.publish(&e)
}

// write sends the reply an outcome decided.
func write(w http.ResponseWriter, out *outcome) {
	switch out.kind {
	case sendEnvelope:
		writeReplyText(w, out.replyBody)
	case sendStatus:
		writeStatus(w, out.status, out.replyBody, out.statusBody != nil)
	case sendReset:
		dropConnection(w)
	case sendTruncated:
		writeTruncated(w, out.envelope)
	}
}

// userSigCheck maps a verification error to its check.
func userSigCheck(err error) codes.Check {
	switch {
	case errors.Is(err, usersig.ErrAppMismatch):
		return codes.CheckUserSigApp
	case errors.Is(err, usersig.ErrIdentifierMismatch):
		return codes.CheckUserSigIdentifier
	case errors.Is(err, usersig.ErrExpired):
		return codes.CheckUserSigExpired
	case errors.Is(err, usersig.ErrBadSignature):
		return codes.CheckUserSigSignature
	}
	return codes.CheckUserSigUndecodable
}

func (a *App) isAdmin(identifier string) bool {
	for _, id := range a.Admins {
		if id == identifier {
			return true
		}
	}
	return false
}

// validRandom reports whether s is a decimal integer in 0..4294967295
// (leading zeros tolerated).
func validRandom(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return err == nil && n <= 4294967295
}

// checkNumbers refuses numbers the schema library cannot handle: more than
// maxNumberLen characters, or an exponent beyond ±maxNumberExponent. The
// error names the number's place, as a JSON pointer.
func checkNumbers(v any) error {
	at, bad := badNumber(v)
	if bad == "" {
		return nil
	}
	if at == "" {
		at = "(body)"
	}
	if len(bad) > maxNumberLen {
		return fmt.Errorf("%s: the number %s… is too long", at, bad[:16])
	}
	return fmt.Errorf("%s: the number %s is out of range", at, bad)
}

// badNumber returns the first number checkNumbers refuses, and its place;
// the place is built only for that one.
func badNumber(v any) (at, bad string) {
	switch v := v.(type) {
	case json.Number:
		s := string(v)
		if len(s) > maxNumberLen || !exponentInBounds(s) {
			return "", s
		}
	case map[string]any:
		for k, x := range v {
			if at, bad := badNumber(x); bad != "" {
				return "/" + k + at, bad
			}
		}
	case []any:
		for i, x := range v {
			if at, bad := badNumber(x); bad != "" {
				return "/" + strconv.Itoa(i) + at, bad
			}
		}
	}
	return "", ""
}

// sleep waits for d or until the client goes away; it reports whether the
// full delay passed.
func sleep(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}
