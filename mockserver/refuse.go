package mockserver

import (
	"net/http"
	"strconv"

	"github.com/deskmock/deskmock/mockserver/codes"
)

// refuseEarly answers a request to an endpoint whose declared
// Content-Length is over the endpoint's body limit before anything reads
// its body, so no "100 Continue" invites a client to upload it: the reply
// is the body-too-large envelope (93000 unless overridden), the connection
// is closed, and the exchange is journaled and logged like any other.
// Fault rules do not apply to such a request.
func (s *Server) refuseEarly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ep, ok := s.byPath[r.URL.Path]
		if !ok || r.ContentLength <= int64(ep.maxBody) {
			next.ServeHTTP(w, r)
			return
		}
		in := incoming{start: s.now(), bodySize: r.ContentLength, tooLarge: true}
		in.arrival.nth = s.nth.Add(1)
		var out outcome
		s.refuse(&out, fail(codes.CheckBodyTooLarge, "Content-Length "+strconv.FormatInt(r.ContentLength, 10)+
			" is over the limit of "+strconv.Itoa(ep.maxBody)+" bytes; refused before reading the body"))
		w.Header().Set("Connection", "close")
		s.finish(ep, w, r, &in, &out)
	})
}
