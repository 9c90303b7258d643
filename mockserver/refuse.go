package mockserver

import (
	"log/slog"
	"net/http"
	"strconv"

	"github.com/deskmock/deskmock/mockserver/codes"
)

// refuseEarly answers a request to the endpoint whose declared
// Content-Length is over the body limit before anything reads its body, so
// no "100 Continue" invites a client to upload it: the reply is the
// endpoint's body-too-large envelope (93000 unless overridden), the
// connection is closed, and the exchange is journaled and logged. Fault
// rules do not apply to such a request.
func (s *Server) refuseEarly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != EndpointPath || r.ContentLength <= int64(s.cfg.Limits.MaxBodyBytes) {
			next.ServeHTTP(w, r)
			return
		}
		s.RefuseTooLarge(w, r)
	})
}

// RefuseTooLarge answers r, without reading its body, with the envelope of
// the body-too-large check of the server's code table, closes the
// connection after the reply, and journals and logs the exchange. Servers
// built with ListenAndServe call it for every request to the endpoint that
// declares a Content-Length over the body limit.
func (s *Server) RefuseTooLarge(w http.ResponseWriter, r *http.Request) {
	start := s.now()
	rule := s.table.Rule(codes.CheckBodyTooLarge)
	body := string(appendReply(nil, reply{code: rule.Code, info: rule.Info}))
	w.Header().Set("Connection", "close")
	writeReplyText(w, body)
	detail := "Content-Length " + strconv.FormatInt(r.ContentLength, 10) + " is over the limit of " +
		strconv.Itoa(s.cfg.Limits.MaxBodyBytes) + " bytes; refused before reading the body"
	e := Exchange{
		Seq:       s.nth.Add(1),
		Time:      start,
		Method:    r.Method,
		Path:      r.URL.Path,
		Query:     r.URL.RawQuery, // redacted by the journal on the way out
		BodySize:  r.ContentLength,
		Truncated: true,
		Status:    http.StatusOK,
		Reply:     body,
		Code:      rule.Code,
		Check:     codes.CheckBodyTooLarge,
		Detail:    detail,
		LatencyMS: float64(s.now().Sub(start).Microseconds()) / 1000,
	}
	s.log.LogAttrs(r.Context(), slog.LevelWarn, "send_stream_msg",
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.Int("status", http.StatusOK),
		slog.Int("code", rule.Code),
		slog.String("check", string(codes.CheckBodyTooLarge)),
		slog.String("detail", detail),
	)
	if err := s.journal.add(&e); err != nil {
		s.log.Error("journal: cannot write", slog.String("error", err.Error()))
	}
}
