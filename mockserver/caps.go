package mockserver

import (
	"encoding/json"
	"errors"
)

// Caps on what the admin API and the Go API can add. Past them the server
// refuses with an error (the admin API with a 4xx JSON error) and keeps
// what it has.
const (
	// maxFaults is how many fault rules are in force at once.
	maxFaults = 1000
	// maxFaultBytes bounds one fault rule, measured as its JSON encoding.
	maxFaultBytes = 64 << 10
	// maxSessions is how many sessions the server keeps a state for
	// (opened or ended through the admin API or the Go API, or listed in
	// the configuration).
	maxSessions = 100_000
	// maxFaultDelayMS bounds a fault's delay_ms: 10 minutes.
	maxFaultDelayMS = 600_000
)

// Errors of AddFault, OpenSession and EndSession when a cap is reached;
// they come wrapped, with the figures.
var (
	// ErrTooManyFaults: maxFaults rules are in force already.
	ErrTooManyFaults = errors.New("too many fault rules")
	// ErrFaultTooLarge: the rule is longer than maxFaultBytes.
	ErrFaultTooLarge = errors.New("fault rule too large")
	// ErrTooManySessions: the server keeps maxSessions sessions already.
	ErrTooManySessions = errors.New("too many sessions")
)

// faultBytes is the size of a fault rule as JSON.
func faultBytes(f *Fault) int {
	b, err := json.Marshal(f)
	if err != nil {
		return maxFaultBytes + 1
	}
	return len(b)
}
