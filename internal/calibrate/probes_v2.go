package calibrate

import "github.com/deskmock/deskmock/mockserver/codes"

// v2Body is a well-formed call of send_stream_msg_v2 on session, in the
// shape of the vendor's example, with one last chunk of the given index and
// extra top-level members.
//
// Waiting for their rows in the table (v2Unprobed), the chunk-index probe
// is a Setup of a first chunk that is not the last and a call that repeats
// Index 1; the idle-timeout probe is the same Setup, Wait: 16 * time.Second,
// and a call with Index 2.
func v2Body(session, index, extra string) string {
	return `{"SessionId":"` + session + `","MsgBody":[{"MsgType":"TIMStreamElem","MsgContent":{"CompatibleText":"deskmock calibrate","Chunks":[{"EventType":"data","Index":` + index + `,"Markdown":"calibrate","IsLast":true}]}}]` + extra + `}`
}

// v2Probes are the probes of send_stream_msg_v2. They are written against
// the vendor facts of send_stream_msg_v2 and run only when the local mock
// answers the v2 path: until then the report lists them as skipped. The
// query and UserSig checks are shared with v1, so only the body, session and
// stream rows are probed again here.
var v2Probes = []Probe{
	{Name: "v2/body-not-json", API: V2, Check: codes.CheckBodyNotJSON, What: "a body cut short in the middle of its JSON",
		Body: `{"SessionId":"${session}","MsgBody":[`},
	{Name: "v2/body-schema", API: V2, Check: codes.CheckBodySchema, Else: codes.CheckSessionNotFound, What: "a body without MsgBody",
		Body: `{"SessionId":"${session}"}`},
	{Name: "v2/sessionid-malformed", API: V2, Check: codes.CheckSessionIDMalformed, Else: codes.CheckSessionNotFound, What: "a SessionId that is not a UUID",
		Body: v2Body("deskmock-calibrate", "1", "")},
	{Name: "v2/session-not-found", API: V2, Check: codes.CheckSessionNotFound, What: "a well-formed SessionId that no session has",
		Body: v2Body(PhSession, "1", "")},
	{Name: "v2/first-chunk", API: V2, What: "a first chunk on the live session, IsLast at once: delivers a message",
		Body: v2Body(PhLive, "1", ""), Live: true},
	{Name: "v2/msgkey-unknown", API: V2, Check: codes.CheckMsgKeyUnknown, What: "a chunk on the live session with a MsgKey never issued",
		Body: v2Body(PhLive, "2", `,"MsgKey":"`+UnknownMsgKey+`"`), Live: true},
	{Name: "v2/stream-finished", API: V2, Check: codes.CheckStreamFinished, What: "a chunk after IsLast on the live session (the first call delivers a message)",
		Setup: v2Body(PhLive, "1", ""), Body: v2Body(PhLive, "2", `,"MsgKey":"${msgkey}"`), Live: true},
}

// v2Unprobed are the v2 rules that have no probe yet: their rows are being
// added to the check→code table.
var v2Unprobed = []Unprobed{
	{"v2-chunk-index", "a repeated or lower chunk Index: waits for its row in the check→code table"},
	{"v2-idle-timeout", "a chunk more than 15 s after the previous one: waits for its row in the check→code table, and needs a live session"},
}
