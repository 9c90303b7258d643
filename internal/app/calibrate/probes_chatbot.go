package calibrate

import (
	"slices"

	"github.com/deskmock/deskmock/mockserver/codes"
)

// chunkShape is how the calls of an endpoint that takes one Chunk a call
// (v1, chatbot) are written: everything that differs between the probes
// of those endpoints.
type chunkShape struct {
	api API
	// missing is the start of a body, after its "{", that names a
	// conversation no call may write to; notFound is the check it fails,
	// which the probes of the body reach when the upstream lets them
	// through.
	missing  string
	notFound codes.Check
	// live is the start of a body on the live conversation, and where
	// says in words where that is ("on the live session").
	live, where string
}

// chunkBody is a body: start, then rest, the members after the conversation.
func chunkBody(start, rest string) string { return `{` + start + rest + `}` }

// chunkProbes are the probes of an endpoint of one Chunk a call, in
// pipeline order: the body's checks on a conversation no call may write
// to, then conv (the probes of the conversation's own checks), then the
// stream's rules on the live conversation. Like streamProbes, they leave
// the checks that run before the body is read to v1's probes.
func chunkProbes(s chunkShape, conv ...Probe) []Probe {
	name := func(short string) string { return s.api.Name + "/" + short }
	out := []Probe{
		{Name: name("body-too-large"), API: s.api, Check: codes.CheckBodyTooLarge, Else: s.notFound, What: "a 24 KiB body",
			Body: chunkBody(s.missing, `,"Chunk":"${pad}"`), PadTo: 24 << 10},
		{Name: name("body-not-json"), API: s.api, Check: codes.CheckBodyNotJSON, What: "a body cut short in the middle of its JSON",
			Body: `{` + s.missing + `,"Chunk":`},
		{Name: name("body-schema"), API: s.api, Check: codes.CheckBodySchema, Else: s.notFound, What: "a body without Chunk",
			Body: chunkBody(s.missing, ``)},
		{Name: name("body-schema-type"), API: s.api, Check: codes.CheckBodySchema, Else: s.notFound, What: "a body whose Chunk is a number",
			Body: chunkBody(s.missing, `,"Chunk":42`)},
		{Name: name("body-schema-finish"), API: s.api, Check: codes.CheckBodySchema, Else: s.notFound, What: "a body with Finish: 2",
			Body: chunkBody(s.missing, `,"Chunk":"calibrate","Finish":2`)},
	}
	out = append(out, conv...)
	return append(out,
		Probe{Name: name("first-chunk"), API: s.api, What: "a first chunk " + s.where + ", finished at once: delivers a message",
			Body: chunkBody(s.live, `,"Chunk":"deskmock calibrate: first chunk","Finish":1`), Live: true},
		Probe{Name: name("msgkey-unknown"), API: s.api, Check: codes.CheckMsgKeyUnknown, What: "a chunk " + s.where + " with a MsgKey never issued",
			Body: chunkBody(s.live, `,"Chunk":"deskmock calibrate: unknown MsgKey","MsgKey":"`+UnknownMsgKey+`"`), Live: true},
		Probe{Name: name("stream-finished"), API: s.api, Check: codes.CheckStreamFinished, What: "a chunk after Finish: 1 " + s.where + " (the first call delivers a message)",
			Setup: chunkBody(s.live, `,"Chunk":"deskmock calibrate: finished stream","Finish":1`),
			Body:  chunkBody(s.live, `,"Chunk":"deskmock calibrate: after the end","MsgKey":"${msgkey}"`), Live: true},
	)
}

// chatbotFrom is the start of a chatbot's body from sender to user.
func chatbotFrom(sender, user string) string {
	return `"From_Account":"` + sender + `","To_Account":"` + user + `"`
}

// The shapes of the endpoints of one Chunk a call. A chatbot's body that
// must not write is sent by NoSuchRobot, which no app has as a chatbot, to
// NoSuchAccount.
var (
	v1Shape = chunkShape{api: V1, missing: `"SessionId":"${session}"`, notFound: codes.CheckSessionNotFound,
		live: `"SessionId":"${live}"`, where: "on the live session"}
	chatbotShape = chunkShape{api: Chatbot, missing: chatbotFrom(NoSuchRobot, NoSuchAccount), notFound: codes.CheckNotRobot,
		live: chatbotFrom(PhRobot, PhLive), where: "from the live chatbot to the live account"}
)

// notAdmin is the probe of the not-admin check on an endpoint that has a
// default of its own for it (the chatbot APIs' 10008), with a body that
// fails check elseCheck, whatever the upstream does with it, rather than
// write.
func notAdmin(api API, body string, elseCheck codes.Check) Probe {
	return Probe{Name: api.Name + "/not-admin", API: api, Check: codes.CheckNotAdmin, Else: elseCheck,
		What: "an identifier that is not an administrator, with a valid UserSig for it", Identifier: NotAdmin, Body: body}
}

// chatbotProbes are the probes of a chatbot's stream: v1's with the
// accounts of a C2C chat, sent by the chatbot given with --robot to the
// user given with --account, and a first chunk without Finish.
var chatbotProbes = slices.Concat(
	[]Probe{notAdmin(Chatbot, chunkBody(chatbotShape.missing, `,"Chunk":"calibrate"`), codes.CheckNotRobot)},
	chunkProbes(chatbotShape,
		Probe{Name: "chatbot/account-malformed", API: Chatbot, Check: codes.CheckAccountMalformed, Else: codes.CheckNotRobot,
			What: "a To_Account of 33 bytes (the limit is 32, inferred)", Body: chunkBody(chatbotFrom(NoSuchRobot, TooLongAccount), `,"Chunk":"calibrate"`)},
		Probe{Name: "chatbot/sender-not-robot", API: Chatbot, Check: codes.CheckNotRobot, Else: codes.CheckAccountUnknown,
			What: "a From_Account that is no chatbot of the app, to a user that does not exist", Body: chunkBody(chatbotShape.missing, `,"Chunk":"calibrate"`)},
		Probe{Name: "chatbot/account-unknown", API: Chatbot, Check: codes.CheckAccountUnknown,
			What: "a To_Account that no user has, from the live chatbot", Body: chunkBody(chatbotFrom(PhRobot, NoSuchAccount), `,"Chunk":"calibrate"`), Live: true},
	),
	[]Probe{{Name: "chatbot/first-chunk-open", API: Chatbot,
		What:  "a first chunk from the live chatbot to the live account without Finish: answers a MsgKey (a last call then ends the stream)",
		Body:  chunkBody(chatbotShape.live, `,"Chunk":"deskmock calibrate: open stream, "`),
		After: chunkBody(chatbotShape.live, `,"Chunk":"closed","MsgKey":"${msgkey}","Finish":1`), Live: true}},
)

// padded is a body of the chatbot accounts' APIs with a member the API
// ignores that PhPad fills.
func padded(members string) string { return chunkBody(members, `,"Deskmock":"${pad}"`) }

// bodyProbes are the probes of the body's size and JSON on a chatbot
// account API; start is the start of a body that fails elseCheck.
func bodyProbes(api API, start string, elseCheck codes.Check) []Probe {
	return []Probe{
		notAdmin(api, chunkBody(start, ``), elseCheck),
		{Name: api.Name + "/body-too-large", API: api, Check: codes.CheckBodyTooLarge, Else: elseCheck, What: "a 24 KiB body",
			Body: padded(start), PadTo: 24 << 10},
		{Name: api.Name + "/body-not-json", API: api, Check: codes.CheckBodyNotJSON, What: "a body cut short in the middle of its JSON",
			Body: `{` + start + `,`},
	}
}

// createCall and deleteCall are the bodies that create and delete the
// chatbot of the probes that write.
const (
	createCall = `{"UserID":"${newrobot}","Nick":"deskmock calibrate"}`
	deleteCall = `{"Robot_Account":"${newrobot}"}`
)

// The probes of the chatbot accounts' APIs. Those that write create
// CalibrateRobot and delete it again in the same probe; none makes more
// than one chatbot, so that the limit of 20 is never near.
var (
	createRobotProbes = append(bodyProbes(CreateRobot, `"UserID":"`+NotRobotID+`"`, codes.CheckRobotIDMalformed),
		Probe{Name: "create_robot/body-schema", API: CreateRobot, Check: codes.CheckBodySchema, What: "a body without UserID",
			Body: `{"Nick":"deskmock calibrate"}`},
		Probe{Name: "create_robot/body-schema-type", API: CreateRobot, Check: codes.CheckBodySchema, What: "a UserID that is a number",
			Body: `{"UserID":42}`},
		Probe{Name: "create_robot/robot-id-malformed", API: CreateRobot, Check: codes.CheckRobotIDMalformed, What: "a UserID without the @RBT# prefix",
			Body: `{"UserID":"` + NotRobotID + `"}`},
		Probe{Name: "create_robot/create", API: CreateRobot, What: "creates the chatbot " + CalibrateRobot + " (then deletes it)",
			Body: createCall, After: deleteCall, AfterPath: DeleteRobot.Path, Live: true},
		Probe{Name: "create_robot/create-again", API: CreateRobot, What: "creates " + CalibrateRobot + " a second time: creating is idempotent (inferred; then deletes it)",
			Setup: createCall, Body: createCall, After: deleteCall, AfterPath: DeleteRobot.Path, Live: true},
	)
	deleteRobotProbes = append(bodyProbes(DeleteRobot, `"Robot_Account":"`+NotRobotID+`"`, codes.CheckRobotIDMalformed),
		Probe{Name: "delete_robot/body-schema", API: DeleteRobot, Check: codes.CheckBodySchema, What: "a Robot_Account that is a number",
			Body: `{"Robot_Account":42}`},
		Probe{Name: "delete_robot/robot-id-malformed", API: DeleteRobot, Check: codes.CheckRobotIDMalformed, What: "a Robot_Account without the @RBT# prefix",
			Body: `{"Robot_Account":"` + NotRobotID + `"}`},
		Probe{Name: "delete_robot/robot-unknown", API: DeleteRobot, Check: codes.CheckRobotUnknown, What: "a well-formed Robot_Account that no chatbot has",
			Body: `{"Robot_Account":"` + NoSuchRobot + `"}`},
		Probe{Name: "delete_robot/delete", API: DeleteRobot, What: "deletes the chatbot " + CalibrateRobot + " that its first call created",
			Setup: createCall, SetupPath: CreateRobot.Path, Body: deleteCall, Live: true},
	)
	getAllRobotsProbes = []Probe{
		notAdmin(GetAllRobots, `{}`, ""),
		{Name: "get_all_robots/body-too-large", API: GetAllRobots, Check: codes.CheckBodyTooLarge, What: "a 24 KiB body",
			Body: `{"Deskmock":"${pad}"}`, PadTo: 24 << 10},
		{Name: "get_all_robots/body-not-json", API: GetAllRobots, Check: codes.CheckBodyNotJSON, What: "a body cut short in the middle of its JSON",
			Body: `{"Deskmock":`},
		{Name: "get_all_robots/body-schema", API: GetAllRobots, Check: codes.CheckBodySchema, What: "a body that is an array, not an object",
			Body: `[]`},
		{Name: "get_all_robots/list", API: GetAllRobots, What: "lists the app's chatbots: the reply's members (Robot_Account, an array) are compared too",
			Body: `{}`, Shape: true},
	}
)
