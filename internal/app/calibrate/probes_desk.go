package calibrate

import (
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
