package calibrate

import (
	"slices"

	"github.com/deskmock/deskmock/mockserver"
	"github.com/deskmock/deskmock/mockserver/codes"
)

// APIs of Desk's that a bot calls around its stream and that only read:
// calibrate probes them without writing anything.
var (
	SessionState = API{Name: mockserver.GetSessionState, Path: mockserver.SessionStatePath}
	ChatMessages = API{Name: mockserver.ChatMessages, Path: mockserver.ChatMessagesPath}
	CDRList      = API{Name: mockserver.CDRList, Path: mockserver.CDRListPath}
)

// readProbes are the probes of a Desk API that only reads: the identity
// and body checks, with ok a body it answers, and the answer to ok, whose
// members are compared too.
func readProbes(api API, ok string, more ...Probe) []Probe {
	return append([]Probe{
		notAdmin(api, ok, ""),
		{Name: api.Name + "/body-too-large", API: api, Check: codes.CheckBodyTooLarge, What: "a 24 KiB body",
			Body: `{"Deskmock":"${pad}"}`, PadTo: 24 << 10},
		{Name: api.Name + "/body-not-json", API: api, Check: codes.CheckBodyNotJSON, What: "a body cut short in the middle of its JSON",
			Body: `{"Deskmock":`},
		{Name: api.Name + "/answer", API: api, What: "a body it answers: the reply's members are compared too",
			Body: ok, Shape: true},
	}, more...)
}

// The probes of the Desk APIs that only read. The sessions they name do
// not exist, so they change nothing and see no user.
var (
	sessionStateProbes = readProbes(SessionState, `{"SessionId":"${session}"}`,
		Probe{Name: "get_session_state/body-schema", API: SessionState, Check: codes.CheckBodySchema, What: "ClientUserId without CustomerServiceId",
			Body: `{"ClientUserId":"deskmock_calibrate_nobody"}`},
		Probe{Name: "get_session_state/sessionid-malformed", API: SessionState, Check: codes.CheckSessionIDMalformed, What: "a SessionId that is not a UUID",
			Body: `{"SessionId":"deskmock-calibrate"}`},
		Probe{Name: "get_session_state/by-user", API: SessionState, What: "a user without a session, by ClientUserId and CustomerServiceId: the reply's members are compared too",
			Body: `{"ClientUserId":"deskmock_calibrate_nobody","CustomerServiceId":"@customer_service_account"}`, Shape: true},
	)
	chatMessagesProbes = readProbes(ChatMessages, `{"SessionId":"${session}","Order":1}`,
		Probe{Name: "describe_chat_messages/body-schema", API: ChatMessages, Check: codes.CheckBodySchema, What: "Limit 101 (at most 100)",
			Body: `{"SessionId":"${session}","Limit":101}`},
		Probe{Name: "describe_chat_messages/sessionid-malformed", API: ChatMessages, Check: codes.CheckSessionIDMalformed, What: "a SessionId that is not a UUID",
			Body: `{"SessionId":"deskmock-calibrate"}`},
	)
	cdrListProbes = readProbes(CDRList, `{"StartTimestamp":0,"EndTimestamp":1,"Limit":1}`,
		Probe{Name: "describe_im_cdr_list/body-schema", API: CDRList, Check: codes.CheckBodySchema, What: "a body without EndTimestamp",
			Body: `{"StartTimestamp":0}`},
	)
)

// APIs of Desk's that a bot calls around its stream and that write: their
// refusals of a session that does not exist run by default (the vendor
// refuses them before it writes), and the probes that act on the live
// session (--session ID, --account USER) only with --allow-writes.
var (
	Transfer   = API{Name: mockserver.Transfer, Path: mockserver.TransferPath, Live: LiveSession}
	EndSession = API{Name: mockserver.EndSession, Path: mockserver.EndSessionPath, Live: LiveSession}
	EndQueuing = API{Name: mockserver.EndQueuing, Path: mockserver.EndQueuingPath, Live: LiveSession}
	SendMsg    = API{Name: mockserver.SendMsg, Path: mockserver.SendMsgPath, Live: LiveSession}
	// SendMsgByUser is send_msg by customer-service account and user:
	// its live name is the user, --account USER.
	SendMsgByUser = API{Name: mockserver.SendMsg, Path: mockserver.SendMsgPath, Live: LiveAccount}
)

// CustomerService is the customer-service account the probe of send_msg
// by user sends as: the vendor's example, and the mock's default
// (inferred: an app whose account differs answers 141005 there, which the
// report then shows as a difference).
const CustomerService = "@customer_service_account"

// textMsg is a send_msg MsgBody of one text element.
const textMsg = `"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"deskmock calibrate"}}]`

// refusals are the probes of a Desk API that writes that it refuses
// before writing anything: a body too large, not JSON, breaking its
// schema, a SessionId that is not a UUID and one that no session has.
// field names the session in the body (end_queuing's SessionID).
func refusals(api API, field, rest string, schema Probe) []Probe {
	body := func(id string) string { return `{"` + field + `":"` + id + `"` + rest + `}` }
	return []Probe{
		{Name: api.Name + "/body-too-large", API: api, Check: codes.CheckBodyTooLarge, What: "a 24 KiB body",
			Body: `{"Deskmock":"${pad}"}`, PadTo: 24 << 10},
		{Name: api.Name + "/body-not-json", API: api, Check: codes.CheckBodyNotJSON, What: "a body cut short in the middle of its JSON",
			Body: `{"` + field + `":`},
		schema,
		{Name: api.Name + "/sessionid-malformed", API: api, Check: codes.CheckSessionIDMalformed, Else: codes.CheckSessionNotFound,
			What: "a " + field + " that is not a UUID", Body: body("deskmock-calibrate")},
		{Name: api.Name + "/session-not-found", API: api, Check: codes.CheckSessionNotFound,
			What: "a well-formed " + field + " that no session has: refused before anything is written", Body: body(PhSession)},
	}
}

// The probes of the Desk APIs that write. The refusals run by default;
// the live probes run with --allow-writes, in this order, on the live
// session: send_msg into it (by SessionId, then as CustomerService to
// --account), end_queuing of it while the bot has it (refused: not
// queued), transfer_to_human (which hands the user to a human agent, when
// one is online), transfer_to_human again (refused: no longer the bot's),
// send_msg into it (refused: no longer the bot's), end_session (which ends
// it) and end_session again (refused: ended). Against the mock each
// answers as its What says.
var (
	sendMsgProbes = slices.Concat(
		refusals(SendMsg, "SessionId", ","+textMsg,
			Probe{Name: "send_msg/body-schema", API: SendMsg, Check: codes.CheckBodySchema, Else: codes.CheckSessionNotFound,
				What: "a body without MsgBody", Body: `{"SessionId":"${session}"}`}),
		[]Probe{
			{Name: "send_msg/by-user-not-found", API: SendMsg, Check: codes.CheckSessionNotFound,
				What: "as " + CustomerService + " to a user without a session: 141005",
				Body: `{"FromAccount":"` + CustomerService + `","ToAccount":"` + NoSuchAccount + `",` + textMsg + `}`},
			{Name: "send_msg/by-session", API: SendMsg, Live: true, Shape: true,
				What: "a text message into the live session, which the bot has: delivered to its user (mock: 0, no members besides the envelope's)",
				Body: `{"SessionId":"${live}",` + textMsg + `}`},
			{Name: "send_msg/by-user", API: SendMsgByUser, Live: true, Shape: true, AlsoNeeds: LiveSession,
				What: "a text message as " + CustomerService + " to the live account, the live session's user: delivered to it (mock: 0)",
				Body: `{"FromAccount":"` + CustomerService + `","ToAccount":"${live}",` + textMsg + `}`},
		})
	endQueuingProbes = append(refusals(EndQueuing, "SessionID", "",
		Probe{Name: "end_queuing/body-schema", API: EndQueuing, Check: codes.CheckBodySchema,
			What: "SessionId instead of end_queuing's SessionID", Body: `{"SessionId":"${session}"}`}),
		Probe{Name: "end_queuing/not-queued", API: EndQueuing, Check: codes.CheckSessionState, Live: true,
			What: "the live session while the bot has it, not queued (mock: 141004)", Body: `{"SessionID":"${live}"}`})
	transferProbes = append(refusals(Transfer, "SessionId", "",
		Probe{Name: "transfer_to_human/body-schema", API: Transfer, Check: codes.CheckBodySchema, Else: codes.CheckSessionNotFound,
			What: "DisableQueuing 2 (0 or 1)", Body: `{"SessionId":"${session}","DisableQueuing":2}`}),
		Probe{Name: "transfer_to_human/transfer", API: Transfer, Live: true, Shape: true,
			What: "hands the live session's user to a human agent: its AgentId, or IsInQueue 1 (mock: its online agent, IsInQueue 0)",
			Body: `{"SessionId":"${live}"}`},
		Probe{Name: "transfer_to_human/not-bot", API: Transfer, Check: codes.CheckSessionState, Live: true,
			What: "the live session again, now a human's (mock: 141004)", Body: `{"SessionId":"${live}"}`},
		Probe{Name: "send_msg/session-not-bot", API: SendMsg, Check: codes.CheckSessionNotBot, Live: true,
			What: "a text message into the live session, now a human's (mock: 141005)", Body: `{"SessionId":"${live}",` + textMsg + `}`})
	endSessionProbes = append(refusals(EndSession, "SessionId", "",
		Probe{Name: "end_session/body-schema", API: EndSession, Check: codes.CheckBodySchema, Else: codes.CheckSessionNotFound,
			What: "a SessionId that is a number", Body: `{"SessionId":1}`}),
		Probe{Name: "end_session/end", API: EndSession, Live: true, Shape: true,
			What: "ends the live session (mock: 0, no members besides the envelope's)", Body: `{"SessionId":"${live}"}`},
		Probe{Name: "end_session/ended", API: EndSession, Check: codes.CheckSessionNotFound, Live: true,
			What: "the live session again, now ended (mock: 141005)", Body: `{"SessionId":"${live}"}`})
)
