package mockserver

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// reporter is a HealthReporter whose problem a test sets.
type reporter struct{ problem string }

func (r *reporter) Problem() string { return r.problem }

// TestHealthDegraded: /__admin/health answers 503 with every reporter's
// problem while one reports trouble, and 200 again once all are well.
func TestHealthDegraded(t *testing.T) {
	journalSink := &reportingWriter{}
	log := &reporter{}
	cfg := DefaultConfig()
	cfg.Journal, cfg.Health = journalSink, []HealthReporter{log}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name             string
		journal, logging string
		status           int
		want             []string
	}{
		{"all well", "", "", 200, []string{`{"status":"ok"}`}},
		{"journal failing", "journal: disk full", "", 503, []string{`"status":"degraded"`, `"journal: disk full"`}},
		{"both failing", "journal: disk full", "log: 3 lines dropped", 503, []string{`["journal: disk full","log: 3 lines dropped"]`}},
		{"well again", "", "", 200, []string{`{"status":"ok"}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			journalSink.problem, log.problem = tt.journal, tt.logging
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/__admin/health", nil))
			if rec.Code != tt.status {
				t.Errorf("status %d, want %d", rec.Code, tt.status)
			}
			for _, w := range tt.want {
				if !strings.Contains(rec.Body.String(), w) {
					t.Errorf("body %s lacks %s", rec.Body.String(), w)
				}
			}
		})
	}
}

// reportingWriter is a journal sink that is also a HealthReporter.
type reportingWriter struct{ reporter }

func (w *reportingWriter) Write(p []byte) (int, error) { return len(p), nil }
