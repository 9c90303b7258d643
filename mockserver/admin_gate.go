package mockserver

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"time"
)

// Admin reads (the lists, a stream, the codes, the dashboard's state) run
// at most MaxAdminReads at a time: each holds up to a page of
// maxPageBytes, so together they hold a bounded amount however many
// clients ask. A read over the cap waits up to AdminReadWait for a turn,
// then gets 503 with a JSON error and Retry-After. The endpoints and
// /__admin/health are not counted.
const (
	// MaxAdminReads is how many admin reads run at once.
	MaxAdminReads = 4
	// AdminReadWait is how long an admin read waits for a turn.
	AdminReadWait = 2 * time.Second
)

// adminGate is what the server keeps to guard its admin API: the turns of
// the admin reads.
type adminGate struct {
	turns chan struct{}
	wait  time.Duration
	// inRead counts the reads running; hold, in tests, runs inside each.
	inRead atomic.Int32
	hold   func()
}

// init readies the gate.
func (g *adminGate) init(cfg *Config) {
	g.turns = make(chan struct{}, MaxAdminReads)
	g.wait = AdminReadWait
}

// read runs next when a turn is free within the gate's wait, else answers
// 503.
func (s *Server) read(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		g := &s.admin
		select {
		case g.turns <- struct{}{}:
		default:
			t := time.NewTimer(g.wait)
			select {
			case g.turns <- struct{}{}:
				t.Stop()
			case <-t.C:
				w.Header().Set("Retry-After", "1")
				adminError(w, http.StatusServiceUnavailable, fmt.Sprintf("%d admin reads are running already; try again in a second", MaxAdminReads))
				return
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		defer func() { <-g.turns }()
		g.inRead.Add(1)
		defer g.inRead.Add(-1)
		if g.hold != nil {
			g.hold()
		}
		next(w, r)
	}
}
