// Package calibrate measures how far deskmock's check→code table is from
// the real send_stream_msg, send_stream_msg_v2, the native C2C and group
// streams (send_c2c_stream_msg, send_group_stream_msg), a chatbot's stream
// and the chatbot accounts' APIs (openim_robot_http_svc). It sends the same fixed
// probes, each made to fail exactly one check of the pipeline, to an
// upstream and to a local mock configured like it, compares the ErrorCode
// and ErrorInfo of each pair, and derives the code overrides that make the
// mock answer like the upstream.
package calibrate

import (
	"slices"
	"time"

	"github.com/deskmock/deskmock/mockserver"
	"github.com/deskmock/deskmock/mockserver/codes"
)

// API is one endpoint that probes target.
type API struct {
	// Name is the short name used in probe names ("v1").
	Name string `json:"name"`
	// Path is the endpoint's path.
	Path string `json:"path"`
	// Live is the kind of conversation its Live probes write to; "" on
	// the chatbot accounts' APIs, whose probes write no conversation.
	Live Live `json:"live"`
}

// Live is a kind of live conversation, which Identity names one of.
type Live string

// Kinds of live conversation.
const (
	// LiveSession is a Desk session (Identity.Session).
	LiveSession Live = "session"
	// LiveAccount is a user a C2C message goes to (Identity.Account).
	LiveAccount Live = "account"
	// LiveGroup is a group (Identity.Group).
	LiveGroup Live = "group"
	// LiveRobot is the chatbot that streams (Identity.Robot).
	LiveRobot Live = "chatbot"
)

// The endpoints probed. The probes of an endpoint run only when the local
// mock answers its path.
var (
	// V1 is send_stream_msg.
	V1 = API{Name: mockserver.V1, Path: mockserver.EndpointPath, Live: LiveSession}
	// V2 is send_stream_msg_v2.
	V2 = API{Name: mockserver.V2, Path: mockserver.EndpointV2Path, Live: LiveSession}
	// C2C is the native send_c2c_stream_msg.
	C2C = API{Name: mockserver.C2C, Path: mockserver.EndpointC2CPath, Live: LiveAccount}
	// Group is the native send_group_stream_msg.
	Group = API{Name: mockserver.Group, Path: mockserver.EndpointGroupPath, Live: LiveGroup}
	// Chatbot is a chatbot's openim_robot_http_svc/send_stream_msg, to
	// a user.
	Chatbot = API{Name: mockserver.Chatbot, Path: mockserver.EndpointChatbotPath, Live: LiveAccount}
	// CreateRobot, DeleteRobot and GetAllRobots are the chatbot
	// accounts' APIs. Their probes that write create and delete
	// CalibrateRobot only.
	CreateRobot  = API{Name: mockserver.CreateRobot, Path: mockserver.CreateRobotPath}
	DeleteRobot  = API{Name: mockserver.DeleteRobot, Path: mockserver.DeleteRobotPath}
	GetAllRobots = API{Name: mockserver.GetAllRobots, Path: mockserver.GetAllRobotsPath}
)

// Sig says how a probe's UserSig is made. Every kind but SigGarbage is
// signed for the sdkappid and identifier the probe sends, so that it fails
// one verification step only.
type Sig string

// Kinds of UserSig.
const (
	// SigValid is valid for a day.
	SigValid Sig = ""
	// SigExpired was issued two hours ago for one hour.
	SigExpired Sig = "expired"
	// SigOtherApp is issued for OtherSDKAppID.
	SigOtherApp Sig = "other-app"
	// SigOtherIdentifier is issued for OtherIdentifier.
	SigOtherIdentifier Sig = "other-identifier"
	// SigWrongKey is signed with WrongKey instead of the app's key.
	SigWrongKey Sig = "wrong-key"
	// SigGarbage is GarbageSig, which does not decode.
	SigGarbage Sig = "garbage"
)

// Values the probes send; none of them can name a real app, user, group or
// session.
const (
	// NoSuchSession is a well-formed SessionId that no session has.
	NoSuchSession = "ca11b8a7-0000-4000-8000-000000000000"
	// OtherSDKAppID is an sdkappid that no app has (real ones have ten
	// digits).
	OtherSDKAppID = "1"
	// OtherIdentifier is the identifier a mismatched UserSig is issued for.
	OtherIdentifier = "deskmock_calibrate_other"
	// NotAdmin is an identifier that is no administrator.
	NotAdmin = "deskmock_calibrate_not_admin"
	// WrongKey signs the UserSig of the bad-signature probe.
	WrongKey = "deskmock-calibrate-wrong-key"
	// GarbageSig is a UserSig that does not decode.
	GarbageSig = "deskmock-calibrate-not-a-usersig"
	// UnknownMsgKey is shaped like a MsgKey (and a StreamMsgID) but was
	// never issued.
	UnknownMsgKey = "1_1600000000_deskmockcalibrate"
	// NoSuchAccount is a well-formed account that no user has.
	NoSuchAccount = "deskmock_calibrate_nobody"
	// NoSuchGroup is a well-formed GroupId that no group has.
	NoSuchGroup = "deskmock_calibrate_no_group"
	// TooLongAccount is an account of 33 bytes, one over the limit
	// (inferred).
	TooLongAccount = "deskmock_calibrate_account_33_byt"
	// TooLongGroupID is a GroupId of 49 bytes, one over the limit
	// (inferred).
	TooLongGroupID = "deskmock_calibrate_group_id_of_forty_nine_bytes_x"
	// NoSuchRobot is a well-formed chatbot UserID that no chatbot has.
	NoSuchRobot = "@RBT#deskmock_calibrate_nobody"
	// NotRobotID is a UserID without the chatbots' @RBT# prefix.
	NotRobotID = "deskmock_calibrate"
	// CalibrateRobot is the chatbot the probes that write create, and
	// delete again.
	CalibrateRobot = "@RBT#deskmock_calibrate"
)

// Omit, as a value of Probe.Query, leaves the parameter out.
const Omit = "\x00omit"

// Placeholders in Probe.Body and Probe.Setup.
const (
	// PhSession is replaced by NoSuchSession.
	PhSession = "${session}"
	// PhLive is replaced by the live conversation of the probe's API: the
	// session, account or group given with --session, --account, --group.
	PhLive = "${live}"
	// PhMsgKey is replaced by the MsgKey (or StreamMsgID) the Setup call
	// returned.
	PhMsgKey = "${msgkey}"
	// PhPad is replaced by as many "x" as bring the body to PadTo bytes.
	PhPad = "${pad}"
	// PhIndex is replaced by a chunk Index: 2, 3, … in the burst calls,
	// then the next in the probe's call.
	PhIndex = "${index}"
	// PhFrom is replaced by `,"From_Account":"USER"`, the member of the
	// sender given with --from, or by nothing: the administrator sends.
	PhFrom = "${from}"
	// PhRobot is replaced by the chatbot given with --robot, which
	// streams.
	PhRobot = "${robot}"
	// PhNewRobot is replaced by CalibrateRobot, the chatbot a probe
	// creates and deletes.
	PhNewRobot = "${newrobot}"
)

// Probe is one request made to fail exactly one check of the pipeline. It is
// data: the runner builds the request from it.
type Probe struct {
	// Name is unique: the API's name, a slash and a short name.
	Name string `json:"name"`
	// API is the endpoint probed.
	API API `json:"api"`
	// Check is the row of the check→code table the probe provokes; ""
	// for a probe that should succeed.
	Check codes.Check `json:"check,omitempty"`
	// Else is the check the request reaches when the upstream does not
	// apply Check at all: an upstream answer equal to its answer to the
	// probe of Else means "not provoked", not a different code.
	Else codes.Check `json:"else,omitempty"`
	// What says in words what the request does wrong.
	What string `json:"what"`
	// Method is the HTTP method; "" is POST.
	Method string `json:"method,omitempty"`
	// Path replaces the API's path when set.
	Path string `json:"path,omitempty"`
	// Query replaces the value of query parameters (Omit leaves one out).
	Query map[string]string `json:"query,omitempty"`
	// Identifier is sent instead of the administrator when set.
	Identifier string `json:"identifier,omitempty"`
	// Sig is the kind of UserSig sent.
	Sig Sig `json:"sig,omitempty"`
	// Body is the request body, with placeholders.
	Body string `json:"body"`
	// PadTo is the body's length in bytes once PhPad is filled.
	PadTo int `json:"pad_to,omitempty"`
	// Setup, when set, is the body of a call made first, to SetupPath
	// (else the API's path), whose MsgKey (or StreamMsgID) fills PhMsgKey.
	Setup string `json:"setup,omitempty"`
	// SetupPath is where the Setup call goes when it is another API's,
	// such as the create_robot before a delete_robot. The Setup's answer
	// must carry a MsgKey where the later calls use PhMsgKey.
	SetupPath string `json:"setup_path,omitempty"`
	// After, when set, is the body of a call made last, to AfterPath
	// (else the API's path), whatever the probe's call answered: it undoes
	// what the probe wrote (ends its stream, deletes the chatbot it
	// created). PhMsgKey is the key of the probe's stream.
	After     string `json:"after,omitempty"`
	AfterPath string `json:"after_path,omitempty"`
	// Shape compares the members of the two replies besides the
	// envelope's, by name and JSON type, as well as the code and text.
	Shape bool `json:"shape,omitempty"`
	// Wait is how long the probe's call comes after the Setup call: for
	// rules about the gap between calls. The upstream is waited for (or
	// its clock moved, see Options.AdvanceUpstream); the local mock's clock
	// is moved instead.
	Wait time.Duration `json:"wait_ns,omitempty"`
	// Burst is how many calls with BurstBody go between the Setup call
	// and the probe's call, at once and unpaced: for the rate rule. It is
	// the one place where a run sends faster than Options.Rate.
	Burst int `json:"burst,omitempty"`
	// BurstBody is the body of the burst calls, with placeholders.
	BurstBody string `json:"burst_body,omitempty"`
	// Live marks a probe that writes: it uses the live conversation of
	// its API (PhLive) or the chatbot that streams (PhRobot) and may
	// deliver a message, or it creates CalibrateRobot (PhNewRobot). It
	// runs only with writes allowed and the names it uses given.
	Live bool `json:"live,omitempty"`
	// AlsoNeeds is a live name the probe needs besides those its body
	// uses: send_msg by user writes to the user's session, which the local
	// mock knows only when --session gives it.
	AlsoNeeds Live `json:"also_needs,omitempty"`
}

// method returns the probe's HTTP method.
func (p Probe) method() string {
	if p.Method == "" {
		return "POST"
	}
	return p.Method
}

// path returns the path the probe is sent to.
func (p Probe) path() string {
	if p.Path != "" {
		return p.Path
	}
	return p.API.Path
}

// Unprobed is a row of the table that no probe provokes, on one API or on
// all of them.
type Unprobed struct {
	// API is the API's name; "" for every API.
	API   string      `json:"api,omitempty"`
	Check codes.Check `json:"check"`
	// Why says what provoking it would need.
	Why string `json:"why"`
}

// Key is the row's name: its check, after its API's name and a slash when
// it is about one API.
func (u Unprobed) Key() string {
	if u.API == "" {
		return string(u.Check)
	}
	return u.API + "/" + string(u.Check)
}

// unprobed are the rows of the table without a probe.
var unprobed = []Unprobed{
	{"", codes.CheckNotDesk, "needs an app that is not a Desk app"},
	{"", codes.CheckMsgKeyForeign, "needs two live conversations of one endpoint"},
	{"", codes.CheckInternal, "not probed: provoked only by a bug in the mock"},
	{"v1", codes.CheckSessionNotBot, "needs a live session transferred to a human agent: probed on send_msg, with --allow-writes"},
	{"v2", codes.CheckSessionNotBot, "needs a live session transferred to a human agent: probed on send_msg, with --allow-writes"},
	{"v1", codes.CheckStreamIdleEnded, "v1 states no idle timeout (off by default): probed on v2"},
	{"v1", codes.CheckStreamRate, "v1 states no rate per stream (off by default): probed on v2"},
	{"v1", codes.CheckMessageTooLarge, "v1 states no message limit (off by default): probed on v2"},
	{"chatbot", codes.CheckStreamIdleEnded, "the chatbot stream states no idle timeout (off by default): probed on v2"},
	{"chatbot", codes.CheckStreamRate, "the chatbot stream states no rate per stream (off by default): probed on v2"},
	{"chatbot", codes.CheckMessageTooLarge, "the chatbot stream states no message limit (off by default): probed on v2"},
	{"", codes.CheckAppRate, "needs over 200 calls to one chatbot API within a second: never provoked against a real service"},
	{"create_robot", codes.CheckRobotLimit, "needs 20 chatbots in the app, 20 creations: never provoked against a real service"},
}

// v1Shared are the probes of send_stream_msg of the checks that run
// before the body is read (sharedChecks), in pipeline order.
var v1Shared = []Probe{
	{Name: "v1/path", API: V1, Check: codes.CheckPath, What: "POST to an API path that does not exist",
		Path: "/v4/desk_http_svc/deskmock_calibrate_no_such_api", Body: `{"SessionId":"${session}","Chunk":"calibrate"}`},
	{Name: "v1/method", API: V1, Check: codes.CheckMethod, What: "GET instead of POST", Method: "GET"},
	{Name: "v1/query", API: V1, Check: codes.CheckQuery, What: "no identifier in the query",
		Query: map[string]string{"identifier": Omit}, Body: `{"SessionId":"${session}","Chunk":"calibrate"}`},
	{Name: "v1/sdkappid-missing", API: V1, Check: codes.CheckSDKAppIDMissing, What: "no sdkappid in the query",
		Query: map[string]string{"sdkappid": Omit}, Body: `{"SessionId":"${session}","Chunk":"calibrate"}`},
	{Name: "v1/random", API: V1, Check: codes.CheckRandom, What: "random is not a number",
		Query: map[string]string{"random": "calibrate"}, Body: `{"SessionId":"${session}","Chunk":"calibrate"}`},
	{Name: "v1/contenttype", API: V1, Check: codes.CheckContentType, What: "contenttype is xml",
		Query: map[string]string{"contenttype": "xml"}, Body: `{"SessionId":"${session}","Chunk":"calibrate"}`},
	{Name: "v1/sdkappid-unknown", API: V1, Check: codes.CheckSDKAppIDUnknown, What: "sdkappid 1, which no app has (the UserSig is issued for it)",
		Query: map[string]string{"sdkappid": OtherSDKAppID}, Body: `{"SessionId":"${session}","Chunk":"calibrate"}`},
	{Name: "v1/usersig-undecodable", API: V1, Check: codes.CheckUserSigUndecodable, What: "a UserSig that does not decode",
		Sig: SigGarbage, Body: `{"SessionId":"${session}","Chunk":"calibrate"}`},
	{Name: "v1/usersig-app-mismatch", API: V1, Check: codes.CheckUserSigApp, What: "a UserSig issued for sdkappid 1",
		Sig: SigOtherApp, Body: `{"SessionId":"${session}","Chunk":"calibrate"}`},
	{Name: "v1/usersig-identifier-mismatch", API: V1, Check: codes.CheckUserSigIdentifier, What: "a UserSig issued for another identifier",
		Sig: SigOtherIdentifier, Body: `{"SessionId":"${session}","Chunk":"calibrate"}`},
	{Name: "v1/usersig-expired", API: V1, Check: codes.CheckUserSigExpired, What: "a UserSig that expired an hour ago",
		Sig: SigExpired, Body: `{"SessionId":"${session}","Chunk":"calibrate"}`},
	{Name: "v1/usersig-signature", API: V1, Check: codes.CheckUserSigSignature, What: "a UserSig signed with another key",
		Sig: SigWrongKey, Body: `{"SessionId":"${session}","Chunk":"calibrate"}`},
	{Name: "v1/not-admin", API: V1, Check: codes.CheckNotAdmin, What: "an identifier that is not an administrator, with a valid UserSig for it",
		Identifier: NotAdmin, Body: `{"SessionId":"${session}","Chunk":"calibrate"}`},
}

// v1Probes are the probes of send_stream_msg, in pipeline order.
var v1Probes = slices.Concat(v1Shared, chunkProbes(v1Shape,
	Probe{Name: "v1/sessionid-malformed", API: V1, Check: codes.CheckSessionIDMalformed, Else: codes.CheckSessionNotFound, What: "a SessionId that is not a UUID",
		Body: `{"SessionId":"deskmock-calibrate","Chunk":"calibrate"}`},
	Probe{Name: "v1/session-not-found", API: V1, Check: codes.CheckSessionNotFound, What: "a well-formed SessionId that no session has",
		Body: `{"SessionId":"${session}","Chunk":"calibrate"}`},
))

// Probes returns every probe, v1, v2, c2c, group, chatbot, then the
// chatbot accounts' APIs, each in pipeline order, then Desk's calls around
// a stream: those that only read, then those that write, the live ones in
// the order a session lives (see sendMsgProbes).
func Probes() []Probe {
	var out []Probe
	for _, ps := range [][]Probe{v1Probes, v2Probes, c2cProbes, groupProbes, chatbotProbes, createRobotProbes, deleteRobotProbes, getAllRobotsProbes,
		sessionStateProbes, chatMessagesProbes, cdrListProbes, sendMsgProbes, endQueuingProbes, transferProbes, endSessionProbes} {
		out = append(out, ps...)
	}
	return out
}

// UnprobedRows returns the rows of the table that no probe provokes.
func UnprobedRows() []Unprobed {
	return append([]Unprobed(nil), unprobed...)
}
