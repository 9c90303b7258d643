package calibrate

import (
	"strings"
	"time"

	"github.com/deskmock/deskmock/mockserver/codes"
)

// v2Chunk is one chunk of a v2 body, as written on the wire: Index is JSON
// text, so that it can be a placeholder.
type v2Chunk struct {
	event, index, markdown string
	last                   bool
}

// chunk is a chunk of EventType "data".
func chunk(index, markdown string, last bool) v2Chunk { return v2Chunk{"data", index, markdown, last} }

// v2Body is a call of send_stream_msg_v2 on session, in the shape of the
// vendor's example, with the given chunks and extra top-level members.
func v2Body(session, extra string, chunks ...v2Chunk) string {
	parts := make([]string, len(chunks))
	for i, c := range chunks {
		last := "false"
		if c.last {
			last = "true"
		}
		parts[i] = `{"EventType":"` + c.event + `","Index":` + c.index + `,"Markdown":"` + c.markdown + `","IsLast":` + last + `}`
	}
	return `{"SessionId":"` + session + `","MsgBody":[{"MsgType":"TIMStreamElem","MsgContent":{"CompatibleText":"deskmock calibrate","Chunks":[` +
		strings.Join(parts, ",") + `]}}]` + extra + `}`
}

// withKey is the extra member of a call that continues the Setup's stream.
const withKey = `,"MsgKey":"${msgkey}"`

// v2MessageLimit is the vendor's limit on one v2 message: 128 KB.
const v2MessageLimit = 128 << 10

// v2Probes are the probes of send_stream_msg_v2, written against the vendor
// facts of send_stream_msg_v2. The query and UserSig checks run before the
// body is read, the same on both endpoints (v2Shared): they are probed on v1
// only. An upstream that answers one of the others differently on v1 and v2
// gets an override per endpoint ("v2/body-schema").
var v2Probes = []Probe{
	{Name: "v2/body-too-large", API: V2, Check: codes.CheckBodyTooLarge, Else: codes.CheckSessionNotFound,
		What: "a 300 KiB body (v2's limit is 262144 bytes)", Body: v2Body(PhSession, "", chunk("1", PhPad, true)), PadTo: 300 << 10},
	{Name: "v2/body-not-json", API: V2, Check: codes.CheckBodyNotJSON, What: "a body cut short in the middle of its JSON",
		Body: `{"SessionId":"${session}","MsgBody":[`},
	{Name: "v2/body-schema", API: V2, Check: codes.CheckBodySchema, Else: codes.CheckSessionNotFound, What: "a body without MsgBody",
		Body: `{"SessionId":"${session}"}`},
	{Name: "v2/body-schema-index", API: V2, Check: codes.CheckBodySchema, Else: codes.CheckSessionNotFound, What: "a chunk with Index 0",
		Body: v2Body(PhSession, "", chunk("0", "calibrate", true))},
	{Name: "v2/body-schema-islast", API: V2, Check: codes.CheckBodySchema, Else: codes.CheckSessionNotFound, What: "IsLast on a chunk followed by another in the same call",
		Body: v2Body(PhSession, "", chunk("1", "calibrate", true), chunk("2", "calibrate", false))},
	{Name: "v2/body-schema-event", API: V2, Check: codes.CheckBodySchema, Else: codes.CheckSessionNotFound, What: `a chunk whose EventType is "end", not "data"`,
		Body: v2Body(PhSession, "", v2Chunk{"end", "1", "calibrate", true})},
	{Name: "v2/sessionid-malformed", API: V2, Check: codes.CheckSessionIDMalformed, Else: codes.CheckSessionNotFound, What: "a SessionId that is not a UUID",
		Body: v2Body("deskmock-calibrate", "", chunk("1", "calibrate", true))},
	{Name: "v2/session-not-found", API: V2, Check: codes.CheckSessionNotFound, What: "a well-formed SessionId that no session has",
		Body: v2Body(PhSession, "", chunk("1", "calibrate", true))},
	{Name: "v2/first-chunk", API: V2, What: "a first chunk on the live session, IsLast at once: delivers a message",
		Body: v2Body(PhLive, "", chunk("1", "deskmock calibrate: first chunk", true)), Live: true},
	{Name: "v2/msgkey-unknown", API: V2, Check: codes.CheckMsgKeyUnknown, What: "a chunk on the live session with a MsgKey never issued",
		Body: v2Body(PhLive, `,"MsgKey":"`+UnknownMsgKey+`"`, chunk("2", "deskmock calibrate: unknown MsgKey", true)), Live: true},
	{Name: "v2/chunk-index", API: V2, Check: codes.CheckChunkIndex, What: "a second call on the live session's stream that repeats Index 1",
		Setup: v2Body(PhLive, "", chunk("1", "deskmock calibrate: chunk 1, ", false)),
		Body:  v2Body(PhLive, withKey, chunk("1", "chunk 1 again", true)), Live: true},
	{Name: "v2/stream-finished", API: V2, Check: codes.CheckStreamFinished, What: "a chunk after IsLast on the live session (the first call delivers a message)",
		Setup: v2Body(PhLive, "", chunk("1", "deskmock calibrate: finished stream", true)),
		Body:  v2Body(PhLive, withKey, chunk("2", "after the end", true)), Live: true},
	{Name: "v2/stream-idle-ended", API: V2, Check: codes.CheckStreamIdleEnded, What: "a second call 16 s after the first on the live session (the idle timeout is 15 s)",
		Setup: v2Body(PhLive, "", chunk("1", "deskmock calibrate: idle stream, ", false)), Wait: 16 * time.Second,
		Body: v2Body(PhLive, withKey, chunk("2", "after the pause", true)), Live: true},
	{Name: "v2/stream-rate", API: V2, Check: codes.CheckStreamRate, What: "six calls on one stream of the live session within one second (the limit is 5 a second)",
		Setup: v2Body(PhLive, "", chunk("1", "deskmock calibrate: fast stream", false)),
		Burst: 4, BurstBody: v2Body(PhLive, withKey, chunk(PhIndex, ", more", false)),
		Body: v2Body(PhLive, withKey, chunk(PhIndex, ", the end", true)), Live: true},
	{Name: "v2/message-too-large", API: V2, Check: codes.CheckMessageTooLarge, What: "a first chunk of just over 128 KiB of Markdown on the live session (the limit is 128 KB)",
		Body: v2Body(PhLive, "", chunk("1", PhPad, true)), PadTo: v2MessageLimit + 512, Live: true},
}

// v2Shared are the checks that run before the body is read, the same way
// on every endpoint: v2 is not probed for them again.
var v2Shared = []codes.Check{
	codes.CheckPath, codes.CheckMethod, codes.CheckQuery, codes.CheckSDKAppIDMissing, codes.CheckRandom,
	codes.CheckContentType, codes.CheckSDKAppIDUnknown, codes.CheckUserSigUndecodable, codes.CheckUserSigApp,
	codes.CheckUserSigIdentifier, codes.CheckUserSigExpired, codes.CheckUserSigSignature, codes.CheckNotAdmin,
}
