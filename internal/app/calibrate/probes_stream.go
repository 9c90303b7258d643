package calibrate

import (
	"strings"
	"time"

	"github.com/deskmock/deskmock/mockserver/codes"
)

// v2Chunk is one chunk of a TIMStreamElem body, as written on the wire:
// Index is JSON text, so that it can be a placeholder.
type v2Chunk struct {
	event, index, markdown string
	last                   bool
}

// chunk is a chunk of EventType "data".
func chunk(index, markdown string, last bool) v2Chunk { return v2Chunk{"data", index, markdown, last} }

// streamShape is how the calls of one TIMStreamElem endpoint (v2, c2c,
// group) are written and what their conversation is: everything that
// differs between the probes of those endpoints.
type streamShape struct {
	api API
	// conv is the body's member that names the conversation: "SessionId",
	// "To_Account", "GroupId".
	conv string
	// keyInContent puts the stream's key in MsgContent as "StreamMsgID"
	// (the native streams) instead of at the top level as "MsgKey" (v2).
	keyInContent bool
	// from is true where the body has a From_Account: the sender given
	// with --from goes there (PhFrom), unless a probe names another.
	from bool
	// missing is a well-formed conversation that does not exist, and
	// notFound the check it fails: the probes that must not write send it.
	missing  string
	notFound codes.Check
	// live says in words where the live probes write ("on the live
	// session").
	live string
}

// elemCall is one call of a TIMStreamElem endpoint.
type elemCall struct {
	// conv names the conversation; from, when set, is the From_Account
	// (else the one of PhFrom, where the endpoint has one).
	conv, from string
	// key, when set, is the stream's key (MsgKey or StreamMsgID).
	key    string
	chunks []v2Chunk
}

// body writes c in the shape of the vendor's examples.
func (s streamShape) body(c elemCall) string {
	parts := make([]string, len(c.chunks))
	for i, ch := range c.chunks {
		last := "false"
		if ch.last {
			last = "true"
		}
		parts[i] = `{"EventType":"` + ch.event + `","Index":` + ch.index + `,"Markdown":"` + ch.markdown + `","IsLast":` + last + `}`
	}
	var b strings.Builder
	b.WriteString(s.head(c) + `,"MsgBody":[{"MsgType":"TIMStreamElem","MsgContent":{"CompatibleText":"deskmock calibrate",`)
	if c.key != "" && s.keyInContent {
		b.WriteString(`"StreamMsgID":"` + c.key + `",`)
	}
	b.WriteString(`"Chunks":[` + strings.Join(parts, ",") + `]}}]`)
	if c.key != "" && !s.keyInContent {
		b.WriteString(`,"MsgKey":"` + c.key + `"`)
	}
	b.WriteString("}")
	return b.String()
}

// head is the start of c's body up to its MsgBody: the conversation and
// the sender.
func (s streamShape) head(c elemCall) string {
	switch {
	case c.from != "":
		return `{"` + s.conv + `":"` + c.conv + `","From_Account":"` + c.from + `"`
	case s.from:
		return `{"` + s.conv + `":"` + c.conv + `"` + PhFrom
	}
	return `{"` + s.conv + `":"` + c.conv + `"`
}

// at is a call without a key to conversation conv.
func (s streamShape) at(conv string, chunks ...v2Chunk) string {
	return s.body(elemCall{conv: conv, chunks: chunks})
}

// next is a call on the live conversation that continues the Setup's
// stream.
func (s streamShape) next(chunks ...v2Chunk) string {
	return s.body(elemCall{conv: PhLive, key: PhMsgKey, chunks: chunks})
}

// v2MessageLimit is the vendor's limit on one message of a TIMStreamElem
// stream: 128 KB.
const v2MessageLimit = 128 << 10

// streamProbes are the probes of one TIMStreamElem endpoint, written
// against the vendor's facts of send_stream_msg_v2 and the native stream
// page, in pipeline order: the body's checks on a conversation that does
// not exist, then conv (the probes of the conversation's own checks), then
// the stream's rules on the live conversation. The query and UserSig
// checks run before the body is read, the same on every endpoint
// (sharedChecks): they are probed on v1 only. An upstream that answers one
// of the others differently per endpoint gets an override per endpoint
// ("v2/body-schema").
func streamProbes(s streamShape, conv ...Probe) []Probe {
	name := func(short string) string { return s.api.Name + "/" + short }
	missing := func(chunks ...v2Chunk) string { return s.at(s.missing, chunks...) }
	out := []Probe{
		{Name: name("body-too-large"), API: s.api, Check: codes.CheckBodyTooLarge, Else: s.notFound,
			What: "a 300 KiB body (the limit is 262144 bytes)", Body: missing(chunk("1", PhPad, true)), PadTo: 300 << 10},
		{Name: name("body-not-json"), API: s.api, Check: codes.CheckBodyNotJSON, What: "a body cut short in the middle of its JSON",
			Body: s.head(elemCall{conv: s.missing}) + `,"MsgBody":[`},
		{Name: name("body-schema"), API: s.api, Check: codes.CheckBodySchema, Else: s.notFound, What: "a body without MsgBody",
			Body: s.head(elemCall{conv: s.missing}) + `}`},
		{Name: name("body-schema-index"), API: s.api, Check: codes.CheckBodySchema, Else: s.notFound, What: "a chunk with Index 0",
			Body: missing(chunk("0", "calibrate", true))},
		{Name: name("body-schema-islast"), API: s.api, Check: codes.CheckBodySchema, Else: s.notFound, What: "IsLast on a chunk followed by another in the same call",
			Body: missing(chunk("1", "calibrate", true), chunk("2", "calibrate", false))},
		{Name: name("body-schema-event"), API: s.api, Check: codes.CheckBodySchema, Else: s.notFound, What: `a chunk whose EventType is "end", not "data"`,
			Body: missing(v2Chunk{"end", "1", "calibrate", true})},
	}
	out = append(out, conv...)
	return append(out,
		Probe{Name: name("first-chunk"), API: s.api, What: "a first chunk " + s.live + ", IsLast at once: delivers a message",
			Body: s.at(PhLive, chunk("1", "deskmock calibrate: first chunk", true)), Live: true},
		Probe{Name: name("msgkey-unknown"), API: s.api, Check: codes.CheckMsgKeyUnknown, What: "a chunk " + s.live + " with a key never issued",
			Body: s.body(elemCall{conv: PhLive, key: UnknownMsgKey, chunks: []v2Chunk{chunk("2", "deskmock calibrate: unknown key", true)}}), Live: true},
		Probe{Name: name("chunk-index"), API: s.api, Check: codes.CheckChunkIndex, What: "a second call " + s.live + " that repeats Index 1",
			Setup: s.at(PhLive, chunk("1", "deskmock calibrate: chunk 1, ", false)),
			Body:  s.next(chunk("1", "chunk 1 again", true)), Live: true},
		Probe{Name: name("chunk-index-first"), API: s.api, Check: codes.CheckChunkIndex, What: "a first call " + s.live + " whose chunk has Index 2, not 1",
			Body: s.at(PhLive, chunk("2", "deskmock calibrate: no chunk 1", true)), Live: true},
		Probe{Name: name("stream-finished"), API: s.api, Check: codes.CheckStreamFinished, What: "a chunk after IsLast " + s.live + " (the first call delivers a message)",
			Setup: s.at(PhLive, chunk("1", "deskmock calibrate: finished stream", true)),
			Body:  s.next(chunk("2", "after the end", true)), Live: true},
		Probe{Name: name("stream-idle-ended"), API: s.api, Check: codes.CheckStreamIdleEnded, What: "a second call 16 s after the first " + s.live + " (the idle timeout is 15 s)",
			Setup: s.at(PhLive, chunk("1", "deskmock calibrate: idle stream, ", false)), Wait: 16 * time.Second,
			Body: s.next(chunk("2", "after the pause", true)), Live: true},
		Probe{Name: name("stream-rate"), API: s.api, Check: codes.CheckStreamRate, What: "six calls on one stream " + s.live + " within one second (the limit is 5 a second)",
			Setup: s.at(PhLive, chunk("1", "deskmock calibrate: fast stream", false)),
			Burst: 4, BurstBody: s.next(chunk(PhIndex, ", more", false)),
			Body: s.next(chunk(PhIndex, ", the end", true)), Live: true},
		Probe{Name: name("message-too-large"), API: s.api, Check: codes.CheckMessageTooLarge, What: "a first chunk of just over 128 KiB of Markdown " + s.live + " (the limit is 128 KB)",
			Body: s.at(PhLive, chunk("1", PhPad, true)), PadTo: v2MessageLimit + 512, Live: true},
	)
}

// The shapes of the TIMStreamElem endpoints.
var (
	v2Shape = streamShape{api: V2, conv: "SessionId", missing: PhSession,
		notFound: codes.CheckSessionNotFound, live: "on the live session"}
	c2cShape = streamShape{api: C2C, conv: "To_Account", keyInContent: true, from: true, missing: NoSuchAccount,
		notFound: codes.CheckAccountUnknown, live: "to the live account"}
	groupShape = streamShape{api: Group, conv: "GroupId", keyInContent: true, from: true, missing: NoSuchGroup,
		notFound: codes.CheckGroupUnknown, live: "in the live group"}
)

// v2Probes are the probes of send_stream_msg_v2.
var v2Probes = streamProbes(v2Shape,
	Probe{Name: "v2/sessionid-malformed", API: V2, Check: codes.CheckSessionIDMalformed, Else: codes.CheckSessionNotFound, What: "a SessionId that is not a UUID",
		Body: v2Shape.at("deskmock-calibrate", chunk("1", "calibrate", true))},
	Probe{Name: "v2/session-not-found", API: V2, Check: codes.CheckSessionNotFound, What: "a well-formed SessionId that no session has",
		Body: v2Shape.at(PhSession, chunk("1", "calibrate", true))},
)

// c2cProbes are the probes of the native send_c2c_stream_msg, sent by the
// account given with --from, else by the administrator (no From_Account).
var c2cProbes = streamProbes(c2cShape,
	Probe{Name: "c2c/account-malformed", API: C2C, Check: codes.CheckAccountMalformed, Else: codes.CheckAccountUnknown,
		What: "a To_Account of 33 bytes (the limit is 32, inferred)", Body: c2cShape.at(TooLongAccount, chunk("1", "calibrate", true))},
	Probe{Name: "c2c/account-unknown", API: C2C, Check: codes.CheckAccountUnknown, What: "a To_Account that no user has",
		Body: c2cShape.at(NoSuchAccount, chunk("1", "calibrate", true))},
)

// groupProbes are the probes of the native send_group_stream_msg, sent by
// the account given with --from, else by the administrator, but where a
// probe is about From_Account.
var groupProbes = streamProbes(groupShape,
	Probe{Name: "group/groupid-malformed", API: Group, Check: codes.CheckGroupIDMalformed, Else: codes.CheckGroupUnknown,
		What: "a GroupId of 49 bytes (the limit is 48, inferred)", Body: groupShape.at(TooLongGroupID, chunk("1", "calibrate", true))},
	Probe{Name: "group/account-malformed", API: Group, Check: codes.CheckAccountMalformed, Else: codes.CheckGroupUnknown,
		What: "a From_Account of 33 bytes (the limit is 32, inferred), to a group that does not exist",
		Body: groupShape.body(elemCall{conv: NoSuchGroup, from: TooLongAccount, chunks: []v2Chunk{chunk("1", "calibrate", true)}})},
	Probe{Name: "group/group-unknown", API: Group, Check: codes.CheckGroupUnknown, What: "a GroupId that no group has",
		Body: groupShape.at(NoSuchGroup, chunk("1", "calibrate", true))},
	Probe{Name: "group/account-unknown", API: Group, Check: codes.CheckAccountUnknown, What: "a From_Account that no user has, in the live group",
		Body: groupShape.body(elemCall{conv: PhLive, from: NoSuchAccount, chunks: []v2Chunk{chunk("1", "deskmock calibrate: unknown sender", true)}}), Live: true},
)

// sharedChecks are the checks that run before the body is read, the same
// way on every endpoint: they are probed on v1 only.
var sharedChecks = []codes.Check{
	codes.CheckPath, codes.CheckMethod, codes.CheckQuery, codes.CheckSDKAppIDMissing, codes.CheckRandom,
	codes.CheckContentType, codes.CheckSDKAppIDUnknown, codes.CheckUserSigUndecodable, codes.CheckUserSigApp,
	codes.CheckUserSigIdentifier, codes.CheckUserSigExpired, codes.CheckUserSigSignature, codes.CheckNotAdmin,
}
