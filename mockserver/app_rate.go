package mockserver

import (
	"sync"
	"time"
)

// appRate counts each app's calls to each endpoint in the current second,
// for the endpoints whose rules limit an app's calls (AppCallsPerSecond).
// It keeps one counter per app and endpoint, and apps are the configured
// ones: it is bounded by maxApps times the endpoints.
type appRate struct {
	mu     sync.Mutex
	counts map[appEndpoint]secondCount
}

// appEndpoint names one app's calls to one endpoint.
type appEndpoint struct {
	sdkappid uint64
	endpoint string // the endpoint value's version: a constant, never a request's string
}

// secondCount is how many calls came in the second sec.
type secondCount struct {
	sec int64
	n   int
}

func newAppRate() *appRate { return &appRate{counts: map[appEndpoint]secondCount{}} }

// allow counts a call of the app to the endpoint at now and reports
// whether it is within limit calls of this second. A refused call counts
// too, as a gateway's would.
func (r *appRate) allow(sdkappid uint64, endpoint string, limit int, now time.Time) bool {
	k := appEndpoint{sdkappid, endpoint}
	sec := now.Unix()
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.counts[k]
	if c.sec != sec {
		c = secondCount{sec: sec}
	}
	c.n++
	r.counts[k] = c
	return c.n <= limit
}

// reset forgets every count.
func (r *appRate) reset() {
	r.mu.Lock()
	r.counts = map[appEndpoint]secondCount{}
	r.mu.Unlock()
}
