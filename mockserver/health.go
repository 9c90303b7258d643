package mockserver

import "net/http"

// HealthReporter is a part of the process outside the server whose trouble
// degrades the server's health, such as the journal file or the log.
type HealthReporter interface {
	// Problem says what is wrong, or "" while all is well.
	Problem() string
}

// problems asks every reporter, the journal sink included when it is one.
func (s *Server) problems() []string {
	var out []string
	reporters := s.cfg.Health
	if r, ok := s.cfg.Journal.(HealthReporter); ok {
		reporters = append([]HealthReporter{r}, reporters...)
	}
	for _, r := range reporters {
		if p := r.Problem(); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// health answers 200 {"status":"ok"} while every reporter is well, and 503
// {"status":"degraded","problems":[...]} otherwise: the endpoint still
// answers, but something the user relies on (the journal file, the log) is
// failing.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	if p := s.problems(); len(p) > 0 {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "degraded", "problems": p})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
