package mockserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/deskmock/deskmock/mockserver/codes"
	"github.com/deskmock/deskmock/mockserver/usersig"
)

// exchange is what the server learned about one request while answering it.
type exchange struct {
	start    time.Time
	arrival  arrival
	body     string
	bodySize int64 // the body's length as far as known
	tooLarge bool
	readErr  error
	value    any   // the decoded body
	jsonErr  error // why the body did not decode

	check     codes.Check // the check that failed; "" on success
	detail    string      // why the check failed, for logs
	rep       reply
	applied   bool
	msgKey    string // the request's MsgKey, or the one issued
	fault     string
	action    string
	status    int
	replyBody string // what was sent
	keyReply  string // the reply of a call that opened a stream, made with its key

	fields map[string]any // kept from one request to the next: the decoded body's map
}

// exchanges pools the exchanges of finished requests.
var exchanges = sync.Pool{New: func() any { return new(exchange) }}

// release returns an exchange to the pool once it is recorded, with its
// map for the next body unless it grew large.
func release(ex *exchange) {
	fields := ex.fields
	if len(fields) > 16 {
		fields = nil
	}
	clear(fields)
	*ex = exchange{fields: fields}
	exchanges.Put(ex)
}

// checkTrigger marks, in the journal, an answer given by a trigger session.
const checkTrigger codes.Check = "trigger-session"

// queryParams are the parameters every IM REST call carries.
var queryParams = [...]string{"sdkappid", "identifier", "usersig", "random", "contenttype"}

// request is a decoded, schema-valid body.
type request struct {
	sessionID string
	chunk     string
	msgKey    string
	hasMsgKey bool
	finish    bool
}

// sendStreamMsg answers the endpoint: fault rules first, then the pipeline.
func (s *Server) sendStreamMsg(w http.ResponseWriter, r *http.Request) {
	ex := s.arrive(r)
	defer release(ex)
	f, fired := s.faults.fire(&ex.arrival)
	if fired {
		ex.fault, ex.action = f.ID, f.Action.name()
		if f.Action.DelayMS > 0 && !sleep(r, time.Duration(f.Action.DelayMS)*time.Millisecond) {
			s.record(r, ex) // the client went away: status 0, no reply
			return
		}
		switch a := f.Action; {
		case a.ErrorCode != 0:
			info := a.ErrorInfo
			if info == "" {
				e, _ := codes.Lookup(a.ErrorCode)
				info = e.Info
			}
			ex.rep = reply{code: a.ErrorCode, info: info}
			s.answer(w, r, ex)
			return
		case a.HTTPStatus != 0:
			ex.status = a.HTTPStatus
			ex.replyBody = string(writeStatus(w, a.HTTPStatus, a.Body))
			s.record(r, ex)
			return
		case a.Reset && a.When != ResetAfterApply:
			s.record(r, ex) // journaled before the client can see the reset
			dropConnection(w)
			return
		}
	}
	// The time of the checks and of the stream: the arrival's, unless a
	// delay passed since.
	now := ex.start
	if fired && f.Action.DelayMS > 0 {
		now = s.now()
	}
	ex.check = s.run(r, ex, now)
	if ex.check != "" && ex.rep.code == 0 {
		ex.rep = s.replyOf(ex.check)
	}
	switch {
	case fired && f.Action.Reset:
		s.record(r, ex) // journaled before the client can see the reset
		dropConnection(w)
	case fired && f.Action.Truncate:
		body := appendReply(nil, ex.rep)
		ex.status = http.StatusOK
		ex.replyBody = string(body[:len(body)/2]) // what writeTruncated sends
		s.record(r, ex)                           // before the client can see it
		writeTruncated(w, body)
	default:
		s.answer(w, r, ex)
	}
}

// replyOf returns the error reply of a failed check.
func (s *Server) replyOf(c codes.Check) reply {
	rule := s.table.Rule(c)
	return reply{code: rule.Code, info: rule.Info}
}

// arrive reads what fault matching needs: the body (bounded), its decoded
// value, the request's number overall and on its session.
func (s *Server) arrive(r *http.Request) *exchange {
	ex := exchanges.Get().(*exchange)
	ex.start = s.now()
	ex.arrival.nth = s.nth.Add(1)
	ex.body, ex.bodySize, ex.tooLarge, ex.readErr = readBodyText(r, s.cfg.Limits.MaxBodyBytes)
	if ex.tooLarge || ex.readErr != nil {
		return ex
	}
	if ex.fields == nil {
		ex.fields = make(map[string]any, 8)
	}
	ex.value, ex.jsonErr = decodeBody(ex.body, ex.fields)
	if m, ok := ex.value.(map[string]any); ok {
		a := &ex.arrival
		a.sessionID, _ = m["SessionId"].(string)
		a.chunk, a.hasChunk = m["Chunk"].(string)
		var msgKey any
		msgKey, a.hasMsgKey = m["MsgKey"]
		a.msgKey, _ = msgKey.(string)
		if f, ok := m["Finish"].(json.Number); ok {
			n, _ := f.Float64()
			a.finish = n == 1
		}
		if a.sessionID != "" {
			// From here on the session's ID is the counter's copy, which
			// the streams share, rather than a part of the body.
			a.call, a.sessionID = s.calls.next(a.sessionID)
		}
	}
	return ex
}

// answer writes the envelope of an exchange and records it.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, ex *exchange) {
	ex.status = http.StatusOK
	if ex.keyReply != "" && ex.rep.code == 0 && ex.rep.msgKey != "" {
		ex.replyBody = ex.keyReply
	} else {
		ex.replyBody = s.replyText(ex.rep)
	}
	writeReplyText(w, ex.replyBody)
	s.record(r, ex)
}

// record logs an exchange and adds it to the journal.
func (s *Server) record(r *http.Request, ex *exchange) {
	took := s.now().Sub(ex.start)
	level := slog.LevelInfo
	if ex.rep.code != 0 || ex.status != http.StatusOK {
		level = slog.LevelWarn
	}
	if s.log.Enabled(r.Context(), level) {
		s.logExchange(r, ex, level, took)
	}
	e := Exchange{
		Seq:       ex.arrival.nth,
		Time:      ex.start,
		Method:    r.Method,
		Path:      r.URL.Path,
		Query:     r.URL.RawQuery, // redacted by the journal on the way out
		Body:      ex.body,
		BodySize:  ex.bodySize,
		Truncated: ex.tooLarge,
		Status:    ex.status,
		Reply:     ex.replyBody,
		Code:      ex.rep.code,
		Check:     ex.check,
		SessionID: ex.arrival.sessionID,
		MsgKey:    ex.msgKey,
		Chunk:     ex.arrival.chunk,
		Finish:    ex.arrival.finish,
		Applied:   ex.applied,
		Fault:     ex.fault,
		Action:    ex.action,
		LatencyMS: float64(took.Microseconds()) / 1000,
	}
	if err := s.journal.add(&e); err != nil {
		s.log.Error("journal: cannot write", slog.String("error", err.Error()))
	}
	s.ui.hub.publish(&e)
}

// logExchange writes the log line of an exchange.
func (s *Server) logExchange(r *http.Request, ex *exchange, level slog.Level, took time.Duration) {
	s.log.LogAttrs(r.Context(), level, "send_stream_msg",
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.Int("status", ex.status),
		slog.Int("code", ex.rep.code),
		slog.String("check", string(ex.check)),
		slog.String("detail", ex.detail),
		slog.String("fault", ex.fault),
		slog.String("session_id", ex.arrival.sessionID),
		slog.String("msg_key", ex.msgKey),
		slog.Duration("took", took),
	)
}

// run is the pipeline: transport and URL, then identity, then the body, then
// the session and the stream, at time now. It returns the first check that
// fails, or "" when the chunk was applied.
func (s *Server) run(r *http.Request, ex *exchange, now time.Time) codes.Check {
	if r.Method != http.MethodPost {
		ex.detail = "method " + r.Method
		return codes.CheckMethod
	}
	if c := s.checkQuery(r, ex, now); c != "" {
		return c
	}

	// Body.
	if ex.tooLarge {
		return codes.CheckBodyTooLarge
	}
	if ex.readErr != nil {
		ex.detail = "reading the body: " + ex.readErr.Error()
		return codes.CheckBodyNotJSON
	}
	if ex.jsonErr != nil {
		ex.detail = ex.jsonErr.Error()
		return codes.CheckBodyNotJSON
	}
	if err := validateRequest(ex.value); err != nil {
		ex.detail = err.Error()
		return codes.CheckBodySchema
	}
	req := requestOf(&ex.arrival)
	ex.msgKey = req.msgKey

	// Session and stream.
	if !ValidSessionID(req.sessionID) {
		return codes.CheckSessionIDMalformed
	}
	if code, call, ok := parseTrigger(req.sessionID); ok && (call == 0 || call == ex.arrival.call) {
		e, _ := codes.Lookup(code)
		ex.rep = reply{code: code, info: e.Info}
		ex.fault, ex.action = "trigger", "error_code"
		ex.detail = "trigger session"
		return checkTrigger
	}
	if !s.sessions.open(req.sessionID) {
		return codes.CheckSessionNotFound
	}
	if !req.hasMsgKey {
		// The reply is written here, around the new key, which is then a
		// part of it: one allocation for both.
		var buf [len(replyWithKeyPrefix) + msgKeyMaxLen + 2]byte
		b := s.streams.createAppend(append(buf[:0], replyWithKeyPrefix...), req.sessionID, req.chunk, req.finish, now)
		ex.keyReply = string(append(b, `"}`...))
		ex.msgKey = ex.keyReply[len(replyWithKeyPrefix) : len(ex.keyReply)-2]
		ex.rep.msgKey = ex.msgKey
		ex.applied = true
		return ""
	}
	c := s.streams.add(req.msgKey, req.sessionID, req.chunk, req.finish, now)
	ex.applied = c == ""
	return c
}

// checkQuery checks the URL's query string and the caller's identity.
func (s *Server) checkQuery(r *http.Request, ex *exchange, now time.Time) codes.Check {
	q, ok := parseIMQuery(r.URL.RawQuery)
	if !ok {
		all, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			ex.detail = err.Error()
			return codes.CheckQuery
		}
		for i, name := range queryParams {
			if len(all[name]) > 1 {
				ex.detail = name + " is given more than once"
				return codes.CheckQuery
			}
			q.v[i] = all.Get(name)
		}
	}
	if q.v[qSDKAppID] == "" {
		return codes.CheckSDKAppIDMissing
	}
	if q.v[qIdentifier] == "" || q.v[qUserSig] == "" {
		ex.detail = "identifier and usersig are required"
		return codes.CheckQuery
	}
	if !validRandom(q.v[qRandom]) {
		ex.detail = "random " + strconv.Quote(q.v[qRandom])
		return codes.CheckRandom
	}
	if q.v[qContentType] != "json" {
		ex.detail = "contenttype " + strconv.Quote(q.v[qContentType])
		return codes.CheckContentType
	}
	if err := validateQuery(&q); err != nil {
		ex.detail = err.Error()
		return codes.CheckQuery
	}

	sdkappid, err := strconv.ParseUint(q.v[qSDKAppID], 10, 64)
	if err != nil {
		ex.detail = "sdkappid " + err.Error()
		return codes.CheckQuery
	}
	app, ok := s.apps[sdkappid]
	if !ok {
		return codes.CheckSDKAppIDUnknown
	}
	identifier := q.v[qIdentifier]
	var sigBuf [512]byte // most UserSigs fit: decoded and looked up with no allocation
	if err := s.userSigs.CheckBytes(app.SecretKey, sdkappid, identifier, q.userSig(sigBuf[:0]), now); err != nil {
		ex.detail = err.Error()
		return userSigCheck(err)
	}
	if !app.isAdmin(identifier) {
		ex.detail = "identifier " + strconv.Quote(identifier)
		return codes.CheckNotAdmin
	}
	if !app.IsDesk() {
		return codes.CheckNotDesk
	}
	return ""
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

// tooLargePrefix is how much of an over-limit body the journal keeps.
const tooLargePrefix = 1024

// decodeJSON decodes a body that must be exactly one JSON value in valid
// UTF-8, numbers kept as json.Number.
func decodeJSON(body []byte) (any, error) {
	if !utf8.Valid(body) {
		return nil, errors.New("the body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON value")
	}
	return v, nil
}

// requestOf returns the fields of a body that passed the request schema,
// as arrive read them: the schema makes the body an object, SessionId and
// Chunk strings, MsgKey a string when present and Finish 0 or 1. The
// session's ID is the call counter's copy.
func requestOf(a *arrival) request {
	return request{sessionID: a.sessionID, chunk: a.chunk, msgKey: a.msgKey, hasMsgKey: a.hasMsgKey, finish: a.finish}
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
