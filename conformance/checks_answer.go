package conformance

import (
	"strconv"

	"github.com/deskmock/deskmock/conformance/protocol"
)

// happened is what a faithful answer says, from the journal: ok when every
// chunk was accepted (in the client's last attempt at the message) and the
// last call succeeded; otherwise the last reply's code and text, when it
// was a vendor reply.
type happened struct {
	ok       bool
	msgKey   string
	code     int
	info     string
	hasCode  bool
	because  string
	complete bool
}

func (ev *evidence) happened() happened {
	if len(ev.calls) == 0 && len(ev.chunks) == 0 {
		return happened{ok: true, complete: true, because: "the case has no chunk to stream"}
	}
	if len(ev.calls) == 0 {
		if len(ev.requests) == 0 {
			return happened{because: "the client sent no request"}
		}
		return happened{because: "the client sent no request to the stream"}
	}
	accepted := make([]bool, len(ev.chunks))
	final := &ev.calls[len(ev.calls)-1]
	for _, c := range ev.calls {
		if c.outcome == success && c.kind != unexpected && c.gen == final.gen {
			accepted[c.index] = true
		}
	}
	complete := true
	for _, a := range accepted {
		complete = complete && a
	}
	h := happened{complete: complete}
	switch {
	case complete && final.outcome == success:
		h.ok, h.because = true, "every chunk was accepted and the last call succeeded"
		if d := ev.firstDelivered(); d >= 0 {
			h.msgKey = ev.calls[d].delivered
		}
	case final.code != 0:
		h.code, h.info, h.hasCode = final.code, final.info, true
		h.because = "the last call, #" + strconv.Itoa(final.n) + ", failed with ErrorCode " + strconv.Itoa(final.code)
	default:
		h.because = "the last call, #" + strconv.Itoa(final.n) + ", failed: " + final.reason
		if !complete && final.outcome == success {
			h.because = "not every chunk was accepted"
		}
	}
	return h
}

func (ev *evidence) noAnswer() (verdict, bool) {
	switch {
	case ev.run.TimedOut:
		return notApplicable("the client was stopped at the timeout: no answer to grade"), true
	case ev.answer == nil:
		return notApplicable("no answer to grade (see answer/json)"), true
	}
	return verdict{}, false
}

func checkAnswerJSON(ev *evidence) verdict {
	switch {
	case ev.run.TimedOut:
		return notApplicable("the client was stopped at the timeout: no answer to grade")
	case ev.run.Error != "":
		return fail("", "the client did not run: %s", ev.run.Error)
	case ev.answerErr != nil:
		return fail("", "%v", ev.answerErr)
	}
	return pass("one JSON object on stdout")
}

// okField, msgKeyField, codeField and infoField are the fields of the
// answer that a check compares, named as the protocol names them.
type okField struct {
	OK bool `json:"ok"`
}

func checkAnswerOK(ev *evidence) verdict {
	if v, none := ev.noAnswer(); none {
		return v
	}
	h := ev.happened()
	if h.ok != ev.answer.OK {
		return fail(diff(okField{h.ok}, okField{ev.answer.OK}), "%s", h.because)
	}
	return pass("ok is %v: %s", h.ok, h.because)
}

type msgKeyField struct {
	MsgKey string `json:"msg_key"`
}

func checkAnswerMsgKey(ev *evidence) verdict {
	if v, none := ev.noAnswer(); none {
		return v
	}
	h := ev.happened()
	if !h.ok || !ev.answer.OK {
		return notApplicable("not a success")
	}
	if h.msgKey != ev.answer.MsgKey {
		return fail(diff(msgKeyField{h.msgKey}, msgKeyField{ev.answer.MsgKey}), "msg_key is not the %s the first reply issued", ev.ep.Key)
	}
	return pass("msg_key is the %s issued", ev.ep.Key)
}

type codeField struct {
	ErrorCode int `json:"error_code"`
}

func checkAnswerErrorCode(ev *evidence) verdict {
	if v, none := ev.noAnswer(); none {
		return v
	}
	h := ev.happened()
	switch {
	case h.ok || ev.answer.OK:
		return notApplicable("not a failure")
	case !h.hasCode:
		return notApplicable("the last failure was no vendor reply (%s), so any error_code will do", h.because)
	case h.code != ev.answer.ErrorCode:
		return fail(diff(codeField{h.code}, codeField{ev.answer.ErrorCode}), "%s", h.because)
	}
	return pass("error_code %d, as the last reply", h.code)
}

type infoField struct {
	ErrorInfo string `json:"error_info"`
}

func checkAnswerErrorInfo(ev *evidence) verdict {
	if v, none := ev.noAnswer(); none {
		return v
	}
	h := ev.happened()
	switch {
	case h.ok || ev.answer.OK:
		return notApplicable("not a failure")
	case !h.hasCode:
		return notApplicable("the last failure was no vendor reply")
	case h.info != ev.answer.ErrorInfo:
		return fail(diff(infoField{h.info}, infoField{ev.answer.ErrorInfo}), "error_info is not the last reply's ErrorInfo")
	}
	return pass("error_info as the last reply")
}

// expectedOutcome is what outcome/expected compares.
type expectedOutcome struct {
	OK        bool                  `json:"ok"`
	ErrorCode int                   `json:"error_code"`
	Then      []protocol.CallAnswer `json:"then,omitempty"`
}

func checkExpected(ev *evidence) verdict {
	if v, none := ev.noAnswer(); none {
		return v
	}
	want := expectedOutcome{OK: ev.c.Expect.OK, ErrorCode: ev.c.Expect.ErrorCode}
	got := expectedOutcome{OK: ev.answer.OK}
	if !ev.answer.OK {
		got.ErrorCode = ev.answer.ErrorCode
	}
	if ev.c.Expect.Then != nil {
		for _, a := range ev.c.Expect.Then {
			want.Then = append(want.Then, reported(a))
		}
		for _, a := range ev.answer.Then {
			got.Then = append(got.Then, reported(a))
		}
	}
	if diff(want, got) != "" {
		return fail(diff(want, got), "the answer is not what a careful client ends with in this case")
	}
	if want.OK {
		return pass("ok, as expected")
	}
	return pass("error_code %d, as expected", want.ErrorCode)
}
