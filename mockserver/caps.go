package mockserver

import (
	"encoding/json"
	"errors"
)

// Caps on what the admin API and the Go API can add. Past them the server
// refuses with an error (the admin API with a 4xx JSON error) and keeps
// what it has.
const (
	// MaxFaults is how many fault rules are in force at once.
	MaxFaults = 1000
	// MaxFaultBytes bounds one fault rule, measured as its JSON encoding.
	MaxFaultBytes = 64 << 10
	// MaxSessions is how many sessions the server keeps a state for
	// (opened or ended through the admin API or the Go API, or listed in
	// the configuration).
	MaxSessions = 100_000
	// MaxFaultDelayMS bounds a fault's delay_ms: 10 minutes.
	MaxFaultDelayMS = 600_000
)

// Errors of AddFault, OpenSession and EndSession when a cap is reached;
// they come wrapped, with the figures.
var (
	// ErrTooManyFaults: MaxFaults rules are in force already.
	ErrTooManyFaults = errors.New("too many fault rules")
	// ErrFaultTooLarge: the rule is longer than MaxFaultBytes.
	ErrFaultTooLarge = errors.New("fault rule too large")
	// ErrTooManySessions: the server keeps MaxSessions sessions already.
	ErrTooManySessions = errors.New("too many sessions")
)

// faultBytes is the size of a fault rule as JSON.
func faultBytes(f *Fault) int {
	b, err := json.Marshal(f)
	if err != nil {
		return MaxFaultBytes + 1
	}
	return len(b)
}
