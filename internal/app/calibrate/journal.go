package calibrate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/deskmock/deskmock/internal/redact"
)

// Bounds of what an Exchange keeps, so that the journal and the report stay
// small whatever the upstream answers.
const (
	// MaxJournalBody is how many bytes of a request body an Exchange keeps.
	MaxJournalBody = 1024
	// MaxJournalReply is how many bytes of a reply an Exchange keeps.
	MaxJournalReply = 4096
)

// Exchange is one request sent to the upstream and what came back, fit to
// attach to a bug report: the UserSig is redacted, the secret key is never
// in it, bodies are clipped.
type Exchange struct {
	// Seq numbers the upstream's exchanges from 1.
	Seq int `json:"seq"`
	// Probe names the probe the request belongs to.
	Probe string `json:"probe"`
	// Time is when the request was sent.
	Time time.Time `json:"time"`
	// Setup is true for the call that opens a probe's stream.
	Setup bool `json:"setup,omitempty"`
	// Method is the HTTP method.
	Method string `json:"method"`
	// URL is the full URL with the UserSig redacted.
	URL string `json:"url"`
	// Body is the request body, clipped to MaxJournalBody bytes;
	// BodySize is its whole length.
	Body     string `json:"body"`
	BodySize int    `json:"body_size"`
	// Status is the HTTP status; 0 when no reply came.
	Status int `json:"status"`
	// Reply is the reply body, clipped to MaxJournalReply bytes.
	Reply string `json:"reply"`
	// Error is the network error or timeout, if any.
	Error string `json:"error,omitempty"`
	// Millis is the time to the whole reply.
	Millis float64 `json:"ms"`
}

// writeJournal writes one exchange as a JSON line.
func writeJournal(w io.Writer, e Exchange) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // keep & in URLs readable
	if err := enc.Encode(e); err != nil {
		return fmt.Errorf("calibrate: journal: %w", err)
	}
	if _, err := w.Write(redact.Bytes(b.Bytes())); err != nil {
		return fmt.Errorf("calibrate: journal: %w", err)
	}
	return nil
}
