package mockserver

import (
	"net/http"
	"time"
)

// clockState is what the admin API says of the server's clock.
type clockState struct {
	// Now is the time on the server's clock.
	Now time.Time `json:"now"`
	// Advanced is how far the clock was moved since the start or the last
	// reset.
	Advanced string `json:"advanced"`
}

func (s *Server) clockState() clockState {
	return clockState{Now: s.now(), Advanced: s.clock.moved().String()}
}

// getClock answers GET /__admin/clock.
func (s *Server) getClock(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.clockState())
}

// postClock answers POST /__admin/clock {"advance":"16s"}: the clock moves
// forward by a Go duration, so that an idle timeout passes at once.
func (s *Server) postClock(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Advance string `json:"advance"`
	}
	if err := decodeAdmin(r, &req); err != nil {
		adminError(w, http.StatusBadRequest, err.Error())
		return
	}
	d, err := time.ParseDuration(req.Advance)
	if err != nil || d < 0 {
		adminError(w, http.StatusBadRequest, `advance: give a Go duration that is not negative, such as "16s"`)
		return
	}
	s.clock.advance(d)
	writeJSON(w, http.StatusOK, s.clockState())
}
