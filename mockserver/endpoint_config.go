package mockserver

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// EndpointConfig adjusts one endpoint. Nil fields keep the endpoint's
// defaults: for v2 the vendor's stated rules (15 s idle timeout, refusal
// after the end, 5 continuation calls a second, messages under 128 KB); for
// v1, which states none, only the refusal after the end.
type EndpointConfig struct {
	// MaxBodyBytes is the longest body accepted; longer ones get 93000.
	// For v1 it defaults to limits.max_body_bytes.
	MaxBodyBytes int `json:"max_body_bytes,omitempty"`
	// IdleTimeout ends a stream by itself after this long without a call;
	// "off" (or "0s") switches it off.
	IdleTimeout *RuleDuration `json:"idle_timeout,omitempty"`
	// RefuseAfterEnd refuses every call on a stream that has ended.
	RefuseAfterEnd *bool `json:"refuse_after_end,omitempty"`
	// CallsPerSecond limits the continuation calls of one stream in any one
	// second; 0 switches the limit off.
	CallsPerSecond *int `json:"calls_per_second,omitempty"`
	// MaxMessageBytes bounds a stream's text (the chunks joined must stay
	// shorter); 0 switches the rule off (the store's per-stream cap stays).
	MaxMessageBytes *int `json:"max_message_bytes,omitempty"`
	// AppCallsPerSecond limits the calls one app makes to the endpoint in
	// any one second (the chatbot APIs' 200); 0 switches the limit off.
	AppCallsPerSecond *int `json:"app_calls_per_second,omitempty"`
}

// RuleDuration is a rule's duration: a Go duration string, or "off" (also
// "0s") for none.
type RuleDuration time.Duration

// MarshalJSON writes the duration as a string, "off" for none.
func (d RuleDuration) MarshalJSON() ([]byte, error) {
	if d == 0 {
		return []byte(`"off"`), nil
	}
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads a duration string or "off".
func (d *RuleDuration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a rule's duration must be a string such as \"15s\" or \"off\"")
	}
	if s == "off" {
		*d = 0
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	if v < 0 {
		return fmt.Errorf("a rule's duration must not be negative")
	}
	*d = RuleDuration(v)
	return nil
}

// Bounds of the stream rules and limits, as the config schema states them.
const (
	// maxCallsPerSecond bounds calls_per_second.
	maxCallsPerSecond = 1000
	// maxAppCallsPerSecond bounds app_calls_per_second.
	maxAppCallsPerSecond = 1_000_000
	// defaultMaxBodyBytesV2 is v2's body limit: room for a whole 128 KB
	// message with its JSON around it (inferred: the vendor states only the
	// message limit).
	defaultMaxBodyBytesV2 = 256 * 1024
)

// apply returns rules with the set fields of c.
func (c EndpointConfig) apply(rules StreamRules) StreamRules {
	if c.IdleTimeout != nil {
		rules.IdleTimeout = time.Duration(*c.IdleTimeout)
	}
	if c.RefuseAfterEnd != nil {
		rules.RefuseAfterEnd = *c.RefuseAfterEnd
	}
	if c.CallsPerSecond != nil {
		rules.CallsPerSecond = *c.CallsPerSecond
	}
	if c.MaxMessageBytes != nil {
		rules.MaxMessageBytes = *c.MaxMessageBytes
	}
	if c.AppCallsPerSecond != nil {
		rules.AppCallsPerSecond = *c.AppCallsPerSecond
	}
	return rules
}

// validate checks an endpoint's configuration; errors name the field under
// prefix.
func (c EndpointConfig) validate(prefix string) error {
	switch {
	case c.MaxBodyBytes < 0:
		return fmt.Errorf("%s/max_body_bytes: %d is negative", prefix, c.MaxBodyBytes)
	case c.CallsPerSecond != nil && (*c.CallsPerSecond < 0 || *c.CallsPerSecond > maxCallsPerSecond):
		return fmt.Errorf("%s/calls_per_second: %d is not in 0..%d", prefix, *c.CallsPerSecond, maxCallsPerSecond)
	case c.MaxMessageBytes != nil && *c.MaxMessageBytes < 0:
		return fmt.Errorf("%s/max_message_bytes: %d is negative", prefix, *c.MaxMessageBytes)
	case c.AppCallsPerSecond != nil && (*c.AppCallsPerSecond < 0 || *c.AppCallsPerSecond > maxAppCallsPerSecond):
		return fmt.Errorf("%s/app_calls_per_second: %d is not in 0..%d", prefix, *c.AppCallsPerSecond, maxAppCallsPerSecond)
	}
	return nil
}

// Envelope shapes the replies of every endpoint.
type Envelope struct {
	// KeyOrder is the order of the reply's keys: a permutation of
	// ActionStatus, ErrorInfo, ErrorCode, MsgKey, RequestId. Empty means
	// defaultKeyOrder. Real replies do not keep one order, so a client
	// must parse them rather than compare strings.
	KeyOrder []string `json:"key_order,omitempty"`
}

// Reply keys, in the order the vendor's Desk pages write them, RequestId
// last.
var defaultKeyOrder = []string{"ActionStatus", "ErrorInfo", "ErrorCode", "MsgKey", "RequestId"}

// altKeyOrder is the order of the vendor's newer pages.
var altKeyOrder = []string{"ErrorCode", "ErrorInfo", "ActionStatus", "RequestId", "MsgKey"}

// validKeyOrder checks that order names each reply key once.
func validKeyOrder(order []string) error {
	if len(order) == 0 {
		return nil
	}
	got := slices.Sorted(slices.Values(order))
	want := slices.Sorted(slices.Values(defaultKeyOrder))
	if !slices.Equal(got, want) {
		return fmt.Errorf("%v is not an order of %s", order, strings.Join(defaultKeyOrder, ", "))
	}
	return nil
}
