package conformance

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/deskmock/deskmock/conformance/protocol"
	"github.com/deskmock/deskmock/mockserver/codes"
)

// SessionGoneCode is the ErrorCode of a Desk stream call into a session
// that ended, or that left the bot (a transfer gave it to a human or
// queued it): the vendor's 141005.
const SessionGoneCode = 141005

// deskStream reports whether the case streams on a Desk session.
func (ev *evidence) deskStream() bool {
	return slices.ContainsFunc(ev.ep.Conversation, func(f protocol.Field) bool { return f.Wire == "SessionId" })
}

// whySessionGone says what a 141005 meant, by the mock's check.
func whySessionGone(c *call) string {
	switch c.Check {
	case codes.CheckSessionNotFound:
		return "the session had ended"
	case codes.CheckSessionNotBot:
		return "the session had left the bot (a transfer gave it to a human or queued it)"
	}
	return "the session is gone"
}

func checkStopWhenSessionEnds(ev *evidence) verdict {
	if !ev.deskStream() {
		return notApplicable("not a stream on a Desk session")
	}
	for i := range ev.calls {
		c := &ev.calls[i]
		if c.code != SessionGoneCode {
			continue
		}
		rest := ev.calls[i+1:]
		if len(rest) == 0 {
			return pass("the client stopped streaming at %s's 141005: %s", c.describe(len(ev.chunks)), whySessionGone(c))
		}
		var more []string
		for j := range rest {
			more = append(more, rest[j].describe(len(ev.chunks)))
		}
		return fail("", "%s got 141005: %s. Yet the client sent %d more stream call(s): %s. "+
			"A session that ended or left the bot never comes back to it: stop streaming at the first 141005, retry nothing, "+
			"report it (ok: false, error_code: 141005) and, if the bot must know why, read get_session_state",
			c.describe(len(ev.chunks)), whySessionGone(c), len(rest), strings.Join(more, ", "))
	}
	return notApplicable("no stream call got 141005")
}

// madeCall is one Desk call the client made: its last attempt, and the
// request numbers of all its attempts.
type madeCall struct {
	last  *call
	tries []int
}

// deskCalls returns the Desk calls the client made, in order, a retry
// (the same call again after a retryable failure) counted with the call
// it retries.
func (ev *evidence) deskCalls() []madeCall {
	var out []madeCall
	for i := range ev.requests {
		c := &ev.requests[i]
		if c.kind != deskCall {
			continue
		}
		if n := len(out); n > 0 && out[n-1].last.desk == c.desk && out[n-1].last.outcome == retryable && out[n-1].last.n == c.n-1 {
			out[n-1].last = c
			out[n-1].tries = append(out[n-1].tries, c.n)
			continue
		}
		out = append(out, madeCall{last: c, tries: []int{c.n}})
	}
	return out
}

func checkDeskCalls(ev *evidence) verdict {
	made := ev.deskCalls()
	asked := ev.in.Then
	if len(asked) == 0 && len(made) == 0 {
		return notApplicable("the case asks for no Desk call")
	}
	names := make([]string, len(made))
	for i, m := range made {
		names[i] = m.last.desk
	}
	if !slices.Equal(asked, names) {
		var why []string
		for _, a := range asked {
			if !slices.Contains(names, a) {
				dc, _ := protocol.CallOf(a)
				why = append(why, fmt.Sprintf("the case asks for %s (input.then) and no request reached %s: once the stream is over "+
					"(its last call answered or refused), POST {\"SessionId\": %q} there, with the stream's query parameters", a, dc.Path, ev.in.SessionID))
			}
		}
		for _, n := range names {
			if !slices.Contains(asked, n) {
				why = append(why, n+" was called, which the case does not ask for")
			}
		}
		if len(why) == 0 {
			why = append(why, "the Desk calls were not made once each, in the order of input.then")
		}
		return fail(diff(asked, names), "%s", strings.Join(why, "; "))
	}
	lastStream := 0
	if len(ev.calls) > 0 {
		lastStream = ev.calls[len(ev.calls)-1].n
	}
	for _, m := range made {
		for _, n := range m.tries {
			c := &ev.requests[n-1]
			var body struct {
				SessionID *string `json:"SessionId"`
			}
			json.Unmarshal([]byte(c.Body), &body) // a body that is no object fails request/body/schema
			switch {
			case body.SessionID == nil || *body.SessionID != ev.in.SessionID:
				got := "none"
				if body.SessionID != nil {
					got = fmt.Sprintf("%q", *body.SessionID)
				}
				return fail("", "%s names SessionId %s, want the case's %q", c.describe(len(ev.chunks)), got, ev.in.SessionID)
			case n < lastStream:
				return fail("", "%s came before the stream's call #%d: make the Desk calls of input.then once the stream is over", c.describe(len(ev.chunks)), lastStream)
			}
		}
	}
	return pass("%s, after the stream, naming the session", strings.Join(names, " then "))
}

// deskReply is what a Desk call's reply says, as an answer reports it.
type deskReply struct {
	AgentID      string `json:"AgentId"`
	IsInQueue    int    `json:"IsInQueue"`
	CurrentState string `json:"CurrentState"`
}

// reported keeps of a call's answer the fields its call reports: agent_id
// and is_in_queue of transfer_to_human, current_state of
// get_session_state, and on failure the error_code only.
func reported(a protocol.CallAnswer) protocol.CallAnswer {
	out := protocol.CallAnswer{Call: a.Call, OK: a.OK}
	switch {
	case !a.OK:
		out.ErrorCode = a.ErrorCode
	case a.Call == protocol.CallTransfer:
		out.AgentID, out.IsInQueue = a.AgentID, a.IsInQueue
	case a.Call == protocol.CallSessionState:
		out.CurrentState = a.CurrentState
	}
	return out
}

// answer is what a faithful answer reports of a Desk call, from its
// last reply.
func (m madeCall) answer() protocol.CallAnswer {
	c := m.last
	a := protocol.CallAnswer{Call: c.desk, OK: c.outcome == success}
	if !a.OK {
		a.ErrorCode = c.code
		return a
	}
	var r deskReply
	json.Unmarshal([]byte(c.Reply), &r) // a success is a vendor envelope
	a.AgentID, a.IsInQueue, a.CurrentState = r.AgentID, r.IsInQueue == 1, r.CurrentState
	return reported(a)
}

func checkDeskAnswer(ev *evidence) verdict {
	if v, none := ev.noAnswer(); none {
		return v
	}
	made := ev.deskCalls()
	if len(made) == 0 && len(ev.answer.Then) == 0 {
		return notApplicable("no Desk call was made, and the answer reports none")
	}
	want := make([]protocol.CallAnswer, len(made))
	for i, m := range made {
		want[i] = m.answer()
	}
	got := make([]protocol.CallAnswer, len(ev.answer.Then))
	for i, a := range ev.answer.Then {
		got[i] = reported(a)
	}
	if d := diff(want, got); d != "" {
		return fail(d, "the answer's then does not report the Desk calls as their replies said: one entry per call made, in order, "+
			"{\"call\", \"ok\"} with transfer_to_human's AgentId as agent_id and IsInQueue 1 as is_in_queue: true, "+
			"get_session_state's CurrentState as current_state, or ok: false with the last reply's ErrorCode as error_code")
	}
	return pass("then reports the %d Desk call(s) as their replies said", len(made))
}
