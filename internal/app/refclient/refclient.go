// Package refclient is deskmock's reference client of the streaming APIs
// (Desk's send_stream_msg and send_stream_msg_v2, the native C2C and group
// streams, a chatbot's stream): a careful client that speaks the conformance protocol (one
// case as JSON on stdin, one answer as JSON on stdout) and streams the
// chunks the way conformance/README.md asks: a fresh random per request, a
// timeout per request, the same chunk and key on every retry, a bounded
// number of attempts with a growing pause, and no retry of a code that is
// not retryable. On the indexed endpoints (v2, c2c, group) it also paces
// each stream's calls, reuses a chunk's Index on its retries, and sends the
// message anew, once, when its stream ended under it. What differs between
// the endpoints (path, conversation fields, the key's name and place) it
// reads from protocol.Endpoints.
//
// Bugs switches on deliberate mistakes, so that the conformance self-test
// can build broken clients from the same code.
package refclient

import (
	"github.com/deskmock/deskmock/conformance/protocol"
	"time"
)

// Input is the case a client receives on stdin.
type Input = protocol.Input

// Answer is what a client prints on stdout when it is done.
type Answer = protocol.Answer

// Defaults of Options.
const (
	// DefaultRequestTimeout bounds one request, reply included.
	DefaultRequestTimeout = 2 * time.Second
	// DefaultMaxAttempts is how often one chunk is sent at most.
	DefaultMaxAttempts = 5
	// DefaultBackoff is the pause before the first retry; it doubles
	// before each later one.
	DefaultBackoff = 25 * time.Millisecond
	// DefaultMaxBackoff caps the pause.
	DefaultMaxBackoff = 400 * time.Millisecond
	// UserSigLifetime is the lifetime of a UserSig the client signs.
	UserSigLifetime = 24 * time.Hour
)

// Options tune the client. The zero Options is the reference behaviour.
type Options struct {
	// RequestTimeout bounds one request; 0 means DefaultRequestTimeout.
	RequestTimeout time.Duration
	// MaxAttempts is how often one chunk is sent at most; 0 means
	// DefaultMaxAttempts.
	MaxAttempts int
	// Backoff is the first pause between attempts; 0 means
	// DefaultBackoff. It doubles up to MaxBackoff.
	Backoff time.Duration
	// MaxBackoff caps the pause; 0 means DefaultMaxBackoff.
	MaxBackoff time.Duration
	// GivenUserSig uses Input.UserSig instead of signing a UserSig with
	// Input.SecretKey.
	GivenUserSig bool
	// Logf, when set, receives one line per attempt.
	Logf func(format string, args ...any)
	// Bugs are deliberate mistakes; the zero Bugs is a careful client.
	Bugs Bugs
}

// Bugs are deliberate mistakes, for building broken clients.
type Bugs struct {
	// ForgetMsgKey sends every call without the stream's key (MsgKey,
	// StreamMsgID).
	ForgetMsgKey bool
	// NeverFinish never sends Finish: 1 (IsLast: true).
	NeverFinish bool
	// RetryForever lists codes retried without limit, whether or not they
	// are retryable.
	RetryForever []int
	// NeverRetry lists retryable codes that are not retried.
	NeverRetry []int
	// DoubleMiddleChunk sends the second chunk twice when there are at
	// least three chunks (v1 and chatbot only).
	DoubleMiddleChunk bool
	// IndexFromZero numbers indexed chunks from 0 instead of 1.
	IndexFromZero bool
	// NoPacing sends indexed calls as fast as they come, ignoring the
	// rate.
	NoPacing bool
	// KeepDeadStream sends once more to an indexed stream refused as
	// ended before it sends the message anew.
	KeepDeadStream bool
	// StreamAfterSessionEnds goes on with the next chunk when a v1 or
	// chatbot call is refused with 141005 (the session ended), and
	// reports the last failure at the end.
	StreamAfterSessionEnds bool
	// NeverTransfer leaves out the transfer_to_human calls of
	// Input.Then, and their answers.
	NeverTransfer bool
}

func (o Options) withDefaults() Options {
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.Backoff <= 0 {
		o.Backoff = DefaultBackoff
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	return o
}

// pause returns the pause before attempt+1, attempt counting from 1.
func (o Options) pause(attempt int) time.Duration {
	d := o.Backoff
	for i := 1; i < attempt && d < o.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, o.MaxBackoff)
}
