package refclient

import (
	"context"
	"errors"
	"time"
)

// codeIllegalParameters is 141004: on a v2 continuation, an Index the
// stream already holds or a stream that has ended.
const codeIllegalParameters = 141004

// Pacing of v2 calls: the vendor allows a stream 5 calls in any one second.
const (
	// CallsPerSecond is how many calls of one stream the client makes in
	// any one second at most.
	CallsPerSecond = 5
	// paceMargin is added to the second, against clock rounding.
	paceMargin = 5 * time.Millisecond
)

// CompatibleText is what the client sends as v2's CompatibleText: the text
// clients too old to render a stream show.
const CompatibleText = "Please upgrade to see this message."

// bodyV2 is one send_stream_msg_v2 call's body, with one chunk.
type bodyV2 struct {
	SessionID string   `json:"SessionId"`
	MsgKey    string   `json:"MsgKey,omitempty"`
	MsgBody   []elemV2 `json:"MsgBody"`
}

type elemV2 struct {
	MsgType    string    `json:"MsgType"`
	MsgContent contentV2 `json:"MsgContent"`
}

type contentV2 struct {
	CompatibleText string    `json:"CompatibleText"`
	Chunks         []chunkV2 `json:"Chunks"`
}

type chunkV2 struct {
	EventType string `json:"EventType"`
	Index     int    `json:"Index"`
	Markdown  string `json:"Markdown"`
	IsLast    bool   `json:"IsLast"`
}

// newBodyV2 returns the body of the call that sends chunk number index.
func newBodyV2(session, key string, index int, markdown string, last bool) bodyV2 {
	return bodyV2{SessionID: session, MsgKey: key, MsgBody: []elemV2{{
		MsgType: "TIMStreamElem",
		MsgContent: contentV2{
			CompatibleText: CompatibleText,
			Chunks:         []chunkV2{{EventType: "data", Index: index, Markdown: markdown, IsLast: last}},
		},
	}}}
}

// errStreamEnded is what a v2 attempt at the message returns when a
// continuation that was no retry got 141004: the stream ended under the
// client (idle timeout, or refused after its end).
type errStreamEnded struct{ f *failure }

func (e *errStreamEnded) Error() string { return "the stream ended: " + e.f.Error() }

// streamV2 sends the message on send_stream_msg_v2, one chunk per call.
// When the stream ends under it, it never sends to that MsgKey again and
// sends the whole message once more in a new stream.
func (c *client) streamV2(ctx context.Context) Answer {
	paused := 0 // the chunks whose pause was waited
	ans, err := c.messageV2(ctx, &paused)
	var ended *errStreamEnded
	if !errors.As(err, &ended) {
		return ans
	}
	c.opts.Logf("%v: sending the message anew in a new stream", err)
	ans, err = c.messageV2(ctx, &paused)
	if errors.As(err, &ended) {
		return Answer{ErrorCode: ended.f.code, ErrorInfo: ended.f.info}
	}
	return ans
}

// messageV2 makes one attempt at the whole message in a new stream. paused
// counts the chunks whose pause was already waited, so that a stall is not
// repeated when the message is sent anew.
func (c *client) messageV2(ctx context.Context, paused *int) (Answer, error) {
	chunks := c.in.Chunks
	pace := &pacer{off: c.opts.Bugs.NoPacing}
	var key string
	for i, chunk := range chunks {
		if i >= *paused {
			if err := sleep(ctx, c.in.Pause(i)); err != nil {
				return answerOf(err), err
			}
			*paused = i + 1
		}
		index := i + 1
		if c.opts.Bugs.IndexFromZero {
			index = i
		}
		payload, err := marshal(newBodyV2(c.in.SessionID, key, index, chunk, i == len(chunks)-1))
		if err != nil {
			return answerOf(err), err
		}
		o := outgoing{path: endpointV2Path, payload: payload, index: i, pace: pace, indexedContinuation: key != ""}
		got, err := c.send(ctx, o)
		var f *failure
		switch {
		case errors.Is(err, errAppliedEarlier):
			c.opts.Logf("chunk %d: 141004 on a retry after a lost reply: it was applied", i+1)
			continue
		case errors.As(err, &f) && f.code == codeIllegalParameters && o.indexedContinuation:
			if c.opts.Bugs.KeepDeadStream && sleep(ctx, c.opts.pause(1)) == nil {
				c.send(ctx, o) // the bug: once more to the dead stream
			}
			return answerOf(err), &errStreamEnded{f}
		case err != nil:
			return answerOf(err), err
		}
		if key == "" {
			key = got
		}
	}
	return Answer{OK: true, MsgKey: key}, nil
}

// pacer keeps one stream's calls within CallsPerSecond in any one second:
// a call waits until a second has passed since the reply to the call
// CallsPerSecond calls before it. Timing from the replies (not the
// sends) keeps the server's own count within the limit whatever the
// network's delay. A nil pacer never waits.
type pacer struct {
	off    bool
	recent []time.Time // when the last calls ended, oldest first
}

// wait blocks until one more call keeps the stream within the rate.
func (p *pacer) wait(ctx context.Context) error {
	if p == nil || p.off || len(p.recent) < CallsPerSecond {
		return nil
	}
	return sleep(ctx, time.Until(p.recent[0].Add(time.Second+paceMargin)))
}

// done notes that a call ended at t.
func (p *pacer) done(t time.Time) {
	if p == nil {
		return
	}
	if len(p.recent) == CallsPerSecond {
		p.recent = append(p.recent[:0], p.recent[1:]...)
	}
	p.recent = append(p.recent, t)
}

// sleep waits d, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
