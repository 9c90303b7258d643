package refclient

import (
	"context"
	"errors"
	"time"
)

// Pacing of the calls of an indexed stream (v2, c2c, group): the vendor
// allows a stream 5 calls in any one second.
const (
	// CallsPerSecond is how many calls of one stream the client makes in
	// any one second at most.
	CallsPerSecond = 5
	// paceMargin is added to the second, against clock rounding.
	paceMargin = 5 * time.Millisecond
)

// CompatibleText is what the client sends as a TIMStreamElem's
// CompatibleText: the text clients too old to render a stream show.
const CompatibleText = "Please upgrade to see this message."

// chunkElem is one chunk of a TIMStreamElem.
type chunkElem struct {
	EventType string `json:"EventType"`
	Index     int    `json:"Index"`
	Markdown  string `json:"Markdown"`
	IsLast    bool   `json:"IsLast"`
}

// indexedBody returns the body of the call that sends one chunk, number
// index, on an indexed endpoint: the conversation, the key (at the top
// level, or in MsgContent where the endpoint carries it there, and only
// once one was issued) and one TIMStreamElem.
func (c *client) indexedBody(key string, index int, markdown string, last bool) object {
	b := c.conversation()
	content := object{{"CompatibleText", CompatibleText}}
	if key != "" && !c.opts.Bugs.ForgetMsgKey {
		if c.ep.KeyInContent {
			content = append(content, member{c.ep.Key, key})
		} else {
			b = append(b, member{c.ep.Key, key})
		}
	}
	chunk := chunkElem{EventType: "data", Index: index, Markdown: markdown, IsLast: last && !c.opts.Bugs.NeverFinish}
	content = append(content, member{"Chunks", []chunkElem{chunk}})
	elem := object{{"MsgType", "TIMStreamElem"}, {"MsgContent", content}}
	return append(b, member{"MsgBody", []object{elem}})
}

// errStreamEnded is what an attempt at the message on an indexed endpoint
// returns when a continuation that was no retry got the endpoint's
// EndedCode: the stream ended under the client (idle timeout, or refused
// after its end).
type errStreamEnded struct{ f *failure }

func (e *errStreamEnded) Error() string { return "the stream ended: " + e.f.Error() }

// streamIndexed sends the message on an indexed endpoint, one chunk per
// call. When the stream ends under it, it never sends to that key again
// and sends the whole message once more in a new stream.
func (c *client) streamIndexed(ctx context.Context) Answer {
	paused := 0 // the chunks whose pause was waited
	ans, err := c.message(ctx, &paused)
	var ended *errStreamEnded
	if !errors.As(err, &ended) {
		return ans
	}
	c.opts.Logf("%v: sending the message anew in a new stream", err)
	ans, err = c.message(ctx, &paused)
	if errors.As(err, &ended) {
		return Answer{ErrorCode: ended.f.code, ErrorInfo: ended.f.info}
	}
	return ans
}

// message makes one attempt at the whole message in a new stream of an
// indexed endpoint. paused counts the chunks whose pause was already
// waited, so that a stall is not repeated when the message is sent anew.
func (c *client) message(ctx context.Context, paused *int) (Answer, error) {
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
		payload, err := marshal(c.indexedBody(key, index, chunk, i == len(chunks)-1))
		if err != nil {
			return answerOf(err), err
		}
		sendsKey := key != "" && !c.opts.Bugs.ForgetMsgKey
		o := outgoing{path: c.ep.Path, payload: payload, index: i, pace: pace, indexedContinuation: sendsKey}
		got, err := c.send(ctx, o)
		var f *failure
		switch {
		case errors.Is(err, errAppliedEarlier):
			c.opts.Logf("chunk %d: ErrorCode %d on a retry after a lost reply: it was applied", i+1, c.ep.EndedCode)
			continue
		case errors.As(err, &f) && f.code == c.ep.EndedCode && o.indexedContinuation:
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
