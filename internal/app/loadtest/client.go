package loadtest

import (
	"time"

	"github.com/deskmock/deskmock/internal/rawhttp"
)

// timedDo is c.Do, adding the round trip's time to h.
func timedDo(c *rawhttp.Conn, req []byte, h *histogram) ([]byte, error) {
	start := time.Now()
	body, err := c.Do(req)
	h.add(time.Since(start))
	return body, err
}
