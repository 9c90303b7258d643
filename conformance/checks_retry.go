package conformance

import (
	"fmt"
	"strings"
	"time"
)

func checkRetryableRetried(ev *evidence) verdict {
	var bad []string
	failures := 0
	for i := range ev.calls {
		c := &ev.calls[i]
		if c.outcome != retryable || c.kind == unexpected {
			continue
		}
		failures++
		if c.attempt >= MinAttempts {
			continue
		}
		if i+1 < len(ev.calls) && ev.calls[i+1].kind == retryAttempt {
			continue
		}
		if i+1 == len(ev.calls) && ev.run.TimedOut {
			continue // the client was stopped; client/in-time says so
		}
		then := "and the client sent nothing more"
		if i+1 < len(ev.calls) {
			then = "and the client went on with " + ev.calls[i+1].describe(len(ev.chunks))
		}
		bad = append(bad, fmt.Sprintf("%s got %s (retryable) on attempt %d, %s",
			c.describe(len(ev.chunks)), c.reason, c.attempt, then))
	}
	if len(bad) > 0 {
		return fail("", "%s", strings.Join(bad, "; "))
	}
	if failures == 0 {
		return notApplicable("no retryable failure")
	}
	return pass("every retryable failure was retried")
}

func checkSameRequest(ev *evidence) verdict {
	type request struct {
		Conversation string `json:"conversation"`
		MsgKey       string `json:"MsgKey"`
		Finish       bool   `json:"Finish"`
		Index        string `json:"Index,omitempty"`
	}
	of := func(c *call) request {
		r := request{Conversation: c.conv, MsgKey: keyText(c), Finish: c.finish}
		if c.elem {
			r.Index = fmt.Sprint(c.indexes)
		}
		return r
	}
	retries := 0
	for i := range ev.calls {
		c := &ev.calls[i]
		if c.kind != retryAttempt || i == 0 || !c.bodyKnown || !ev.calls[i-1].bodyKnown {
			continue
		}
		retries++
		prev := &ev.calls[i-1]
		if of(prev) != of(c) {
			return fail(diff(of(prev), of(c)), "%s does not repeat call #%d", c.describe(len(ev.chunks)), prev.n)
		}
	}
	if retries == 0 {
		return notApplicable("no retry")
	}
	return pass("all %d retries repeat the failed call", retries)
}

func checkBounded(ev *evidence) verdict {
	if len(ev.calls) == 0 {
		return noCalls
	}
	most := map[[2]int]int{} // by attempt at the message and chunk
	for _, c := range ev.calls {
		if k := [2]int{c.gen, c.index}; c.kind != unexpected && c.attempt > most[k] {
			most[k] = c.attempt
		}
	}
	var bad []string
	for gen := 0; gen <= ev.calls[len(ev.calls)-1].gen; gen++ {
		for i := range ev.chunks {
			if n := most[[2]int{gen, i}]; n > MaxAttempts {
				bad = append(bad, fmt.Sprintf("chunk %d/%d was sent %d times", i+1, len(ev.chunks), n))
			}
		}
	}
	if len(bad) > 0 {
		return fail("", "%s (at most %d attempts)", strings.Join(bad, "; "), MaxAttempts)
	}
	top := 0
	for _, n := range most {
		top = max(top, n)
	}
	return pass("no chunk needed more than %d attempt(s)", top)
}

func checkPause(ev *evidence) verdict {
	var bad []string
	shortest := time.Duration(-1)
	unmeasured := 0
	for i := range ev.calls {
		c := &ev.calls[i]
		if c.kind != retryAttempt || i == 0 {
			continue
		}
		prev := &ev.calls[i-1]
		if prev.Status == 0 && prev.Action == "delay" {
			// The client gave up during a delay: the server learns of it
			// only when it notices the closed connection, which under load
			// can be later than the retry, so no pause can be measured.
			unmeasured++
			continue
		}
		ended := prev.Time.Add(time.Duration(prev.LatencyMS * float64(time.Millisecond)))
		gap := c.Time.Sub(ended)
		if shortest < 0 || gap < shortest {
			shortest = gap
		}
		if gap < MinPause {
			bad = append(bad, fmt.Sprintf("%s came %s after call #%d ended", c.describe(len(ev.chunks)), roundDuration(gap), prev.n))
		}
	}
	if len(bad) > 0 {
		return fail("", "%s (want at least %s)", strings.Join(bad, "; "), MinPause)
	}
	if shortest < 0 && unmeasured > 0 {
		return notApplicable("every retry followed a call the client gave up during a delay, whose end the server cannot see")
	}
	if shortest < 0 {
		return notApplicable("no retry")
	}
	return pass("every retry came after a pause of at least %s", MinPause)
}

func checkNonRetryable(ev *evidence) verdict {
	atEnd := 0
	for i := range ev.calls {
		c := &ev.calls[i]
		if c.outcome == fatal && refusedAtEnd(c.Check) {
			atEnd++
			continue // a refusal at the stream's end is stream/no-call-after-end's
		}
		if c.outcome != fatal {
			continue
		}
		if rest := len(ev.calls) - i - 1; rest > 0 {
			return fail("", "%s got %s, which is not retryable, yet the client sent %d more calls",
				c.describe(len(ev.chunks)), c.reason, rest)
		}
		return pass("the client stopped after %s", c.reason)
	}
	if atEnd > 0 {
		return notApplicable("no non-retryable failure but refusals at a stream's end, which stream/no-call-after-end grades")
	}
	return notApplicable("no non-retryable failure")
}

// roundDuration rounds a duration for messages.
func roundDuration(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(100 * time.Microsecond)
	}
	return d
}
