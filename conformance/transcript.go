package conformance

import (
	"fmt"
	"time"

	"github.com/deskmock/deskmock/mockserver"
)

// transcript turns the classified calls into report entries, times taken
// from the client's start.
func transcript(calls []call, chunks int, start time.Time, rules map[string]string) []Entry {
	out := make([]Entry, len(calls))
	for i := range calls {
		c := &calls[i]
		out[i] = Entry{
			N:       c.n,
			At:      c.Time.Sub(start),
			Method:  c.Method,
			Path:    c.Path,
			Query:   c.Query,
			Body:    c.Body,
			Status:  c.Status,
			Reply:   c.Reply,
			Fault:   c.Fault,
			Action:  c.Action,
			Rule:    rules[c.Fault],
			Check:   string(c.Check),
			Applied: c.Applied,
			Latency: time.Duration(c.LatencyMS * float64(time.Millisecond)),
			Role:    role(c, chunks),
		}
		if !c.bodyKnown && c.bodyErr != "" {
			out[i].Body = "(" + c.bodyErr + ")"
		}
	}
	return out
}

// role says what a call was and what came of it.
func role(c *call, chunks int) string {
	var what string
	switch c.kind {
	case firstAttempt:
		what = fmt.Sprintf("chunk %d/%d", c.index+1, chunks)
		if c.restart {
			what += " in a new stream"
		}
	case retryAttempt:
		what = fmt.Sprintf("chunk %d/%d, attempt %d", c.index+1, chunks, c.attempt)
	case deskCall:
		what = c.desk
	default:
		what = "unexpected: " + c.note
	}
	return what + ": " + c.outcome.String() + detail(c)
}

func detail(c *call) string {
	if c.appliedEarlier {
		return " (" + c.reason + ")"
	}
	if c.outcome == success {
		if c.Applied {
			return ""
		}
		return " (not applied)"
	}
	s := " (" + c.reason
	if c.Check != "" {
		s += ", the mock's check " + string(c.Check)
	}
	if c.Applied {
		s += "; the chunk was applied"
	}
	return s + ")"
}

// streamResults summarizes the mock's streams.
func streamResults(ss []mockserver.Stream) []StreamResult {
	out := make([]StreamResult, len(ss))
	for i, s := range ss {
		out[i] = StreamResult{MsgKey: s.MsgKey, Text: s.Text, Chunks: len(s.Chunks), Finished: s.Finished}
	}
	return out
}
