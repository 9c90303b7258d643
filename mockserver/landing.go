package mockserver

import (
	"bytes"
	"net/http"

	"github.com/deskmock/deskmock/mockserver/dashboard"
)

// landing answers GET /: what is running, where, and a first call to paste.
// The page needs no token, so its command carries a UserSig only when the
// app's key is the well-known test key; with any other key it signs none
// (see FirstCall). The page is self-contained (its style inline, no
// script), so that it works on an address that does not serve the admin
// API.
func (s *Server) landing(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	base := "http://" + r.Host
	if r.TLS != nil {
		base = "https://" + r.Host
	}
	l := dashboard.Landing{Version: s.versionText(), Base: base, Dashboard: UIPath}
	for _, ep := range endpoints {
		l.Endpoints = append(l.Endpoints, dashboard.Endpoint{Method: "POST", Path: ep.path, What: "the mock of " + ep.name + " (" + ep.version + ")"})
	}
	l.Endpoints = append(l.Endpoints,
		dashboard.Endpoint{Method: "GET", Path: adminPrefix + "/health", What: "health"},
		dashboard.Endpoint{Method: "GET", Path: adminPrefix + "/", What: "the admin API's routes (faults, sessions, requests, streams, codes, clock, reset), as JSON"},
		dashboard.Endpoint{Method: "GET", Path: UIPath, What: "the live dashboard"},
	)
	if first, err := s.FirstCall(base); err == nil {
		l.Curl, l.Note = first.Curl, first.Note
		if first.SignCommand == "" {
			l.SigHours = int(FirstCallLifetime.Hours())
		}
	}
	var buf bytes.Buffer
	err := dashboard.WriteLanding(&buf, l)
	writePage(w, buf.Bytes(), err)
}
