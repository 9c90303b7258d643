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
	"time"
	"unicode/utf8"

	"github.com/deskmock/deskmock/mockserver/codes"
	"github.com/deskmock/deskmock/mockserver/usersig"
	"github.com/deskmock/deskmock/schemas"
)

// exchange is what the server learned about one request while answering it.
type exchange struct {
	start    time.Time
	arrival  arrival
	body     []byte
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
	replyBody []byte
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
			ex.replyBody = writeStatus(w, a.HTTPStatus, a.Body)
			s.record(r, ex)
			return
		case a.Reset && a.When != ResetAfterApply:
			dropConnection(w)
			s.record(r, ex)
			return
		}
	}
	ex.check = s.run(r, ex)
	if ex.check != "" && ex.rep.code == 0 {
		ex.rep = s.replyOf(ex.check)
	}
	switch {
	case fired && f.Action.Reset:
		dropConnection(w)
		s.record(r, ex)
	case fired && f.Action.Truncate:
		ex.status = http.StatusOK
		ex.replyBody = writeTruncated(w, appendReply(nil, ex.rep))
		s.record(r, ex)
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
	ex := &exchange{start: s.now()}
	ex.arrival.nth = s.nth.Add(1)
	ex.body, ex.bodySize, ex.tooLarge, ex.readErr = readBody(r, s.cfg.Limits.MaxBodyBytes)
	if ex.tooLarge || ex.readErr != nil {
		return ex
	}
	ex.value, ex.jsonErr = decodeJSON(ex.body)
	if m, ok := ex.value.(map[string]any); ok {
		a := &ex.arrival
		a.sessionID, _ = m["SessionId"].(string)
		a.chunk, a.hasChunk = m["Chunk"].(string)
		_, a.hasMsgKey = m["MsgKey"]
		if f, ok := m["Finish"].(json.Number); ok {
			n, _ := f.Float64()
			a.finish = n == 1
		}
		if a.sessionID != "" {
			a.call = s.calls.next(a.sessionID)
		}
	}
	return ex
}

// answer writes the envelope of an exchange and records it.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, ex *exchange) {
	ex.status = http.StatusOK
	ex.replyBody = writeReply(w, ex.rep)
	s.record(r, ex)
}

// record logs an exchange and adds it to the journal.
func (s *Server) record(r *http.Request, ex *exchange) {
	took := s.now().Sub(ex.start)
	level := slog.LevelInfo
	if ex.rep.code != 0 || ex.status != http.StatusOK {
		level = slog.LevelWarn
	}
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
	e := Exchange{
		Seq:       ex.arrival.nth,
		Time:      ex.start,
		Method:    r.Method,
		Path:      r.URL.Path,
		Query:     redactQuery(r.URL.RawQuery),
		Body:      string(ex.body),
		BodySize:  ex.bodySize,
		Truncated: ex.tooLarge,
		Status:    ex.status,
		Reply:     string(ex.replyBody),
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
	if err := s.journal.add(e); err != nil {
		s.log.Error("journal: cannot write", slog.String("error", err.Error()))
	}
}

// run is the pipeline: transport and URL, then identity, then the body, then
// the session and the stream. It returns the first check that fails, or ""
// when the chunk was applied.
func (s *Server) run(r *http.Request, ex *exchange) codes.Check {
	if r.Method != http.MethodPost {
		ex.detail = "method " + r.Method
		return codes.CheckMethod
	}
	if c := s.checkQuery(r, ex); c != "" {
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
	if err := schemas.Must(schemas.RequestFile).Validate(ex.value); err != nil {
		ex.detail = err.Error()
		return codes.CheckBodySchema
	}
	req := requestOf(ex.value)
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
	now := s.now()
	if !req.hasMsgKey {
		ex.msgKey = s.streams.create(req.sessionID, req.chunk, req.finish, now)
		ex.rep.msgKey = ex.msgKey
		ex.applied = true
		return ""
	}
	c := s.streams.add(req.msgKey, req.sessionID, req.chunk, req.finish, now)
	ex.applied = c == ""
	return c
}

// checkQuery checks the URL's query string and the caller's identity.
func (s *Server) checkQuery(r *http.Request, ex *exchange) codes.Check {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		ex.detail = err.Error()
		return codes.CheckQuery
	}
	for _, name := range queryParams {
		if len(q[name]) > 1 {
			ex.detail = name + " is given more than once"
			return codes.CheckQuery
		}
	}
	if q.Get("sdkappid") == "" {
		return codes.CheckSDKAppIDMissing
	}
	if q.Get("identifier") == "" || q.Get("usersig") == "" {
		ex.detail = "identifier and usersig are required"
		return codes.CheckQuery
	}
	if !validRandom(q.Get("random")) {
		ex.detail = "random " + strconv.Quote(q.Get("random"))
		return codes.CheckRandom
	}
	if q.Get("contenttype") != "json" {
		ex.detail = "contenttype " + strconv.Quote(q.Get("contenttype"))
		return codes.CheckContentType
	}
	qv := make(map[string]any, len(queryParams))
	for _, name := range queryParams {
		qv[name] = q.Get(name)
	}
	if err := schemas.Must(schemas.QueryFile).Validate(qv); err != nil {
		ex.detail = err.Error()
		return codes.CheckQuery
	}

	sdkappid, err := strconv.ParseUint(q.Get("sdkappid"), 10, 64)
	if err != nil {
		ex.detail = "sdkappid " + err.Error()
		return codes.CheckQuery
	}
	app, ok := s.apps[sdkappid]
	if !ok {
		return codes.CheckSDKAppIDUnknown
	}
	identifier := q.Get("identifier")
	if _, err := usersig.Verify(app.SecretKey, sdkappid, identifier, q.Get("usersig"), s.now()); err != nil {
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

// readBody reads at most limit+1 bytes of the body, never more; tooLarge
// reports a body longer than limit. Of an over-limit body it returns the
// first bytes read (at most tooLargePrefix), and size is its Content-Length or, when
// unknown, the bytes read.
func readBody(r *http.Request, limit int) (body []byte, size int64, tooLarge bool, err error) {
	if r.ContentLength > int64(limit) {
		prefix := make([]byte, min(limit+1, tooLargePrefix))
		n, _ := io.ReadFull(r.Body, prefix)
		return prefix[:n], r.ContentLength, true, nil
	}
	capacity := limit + 1
	if r.ContentLength >= 0 {
		capacity = int(r.ContentLength) + 1
	}
	buf := make([]byte, capacity)
	n, err := io.ReadFull(io.LimitReader(r.Body, int64(limit)+1), buf)
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		err = nil
	}
	if n > limit {
		return buf[:min(n, tooLargePrefix)], int64(n), true, nil
	}
	return buf[:n], int64(n), false, err
}

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

// requestOf reads the fields of a body that passed the request schema.
func requestOf(v any) request {
	m := v.(map[string]any) // the schema requires an object
	req := request{sessionID: m["SessionId"].(string), chunk: m["Chunk"].(string)}
	if k, ok := m["MsgKey"].(string); ok {
		req.msgKey, req.hasMsgKey = k, true
	}
	if f, ok := m["Finish"].(json.Number); ok {
		n, _ := f.Float64() // the schema allows 0 and 1 only
		req.finish = n == 1
	}
	return req
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
