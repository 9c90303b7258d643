package fastpath

import (
	"math"
	"unicode/utf8"

	"github.com/deskmock/deskmock/schemas"
)

// The request bodies, one struct per request schema, each member of the
// schema a field of the same name. Valid checks the schema's keywords on
// it: it may say no to a body the library accepts (a number written 1.0,
// a member the struct does not name), never yes to one it refuses.

// bodies makes an empty body of each request schema.
var bodies = map[string]func() Body{
	schemas.RequestFile:             func() Body { return new(V1) },
	schemas.RequestV2File:           func() Body { return new(V2) },
	schemas.RequestC2CFile:          func() Body { return new(C2C) },
	schemas.RequestGroupFile:        func() Body { return new(Group) },
	schemas.RequestChatbotFile:      func() Body { return new(Chatbot) },
	schemas.RequestCreateRobotFile:  func() Body { return new(CreateRobot) },
	schemas.RequestDeleteRobotFile:  func() Body { return new(DeleteRobot) },
	schemas.RequestGetAllRobotsFile: func() Body { return new(GetAllRobots) },
	schemas.RequestTransferFile:     func() Body { return new(Transfer) },
	schemas.RequestEndSessionFile:   func() Body { return new(EndSession) },
	schemas.RequestEndQueuingFile:   func() Body { return new(EndQueuing) },
	schemas.RequestSessionStateFile: func() Body { return new(SessionState) },
	schemas.RequestSendMsgFile:      func() Body { return new(SendMsg) },
	schemas.RequestChatMessagesFile: func() Body { return new(ChatMessages) },
	schemas.RequestCDRListFile:      func() Body { return new(CDRList) },
}

// maxUint32 bounds the schemas' 32-bit integers.
const maxUint32 = math.MaxUint32

// V1 is a send_stream_msg body (schemas.RequestFile).
type V1 struct {
	SessionId, Chunk, MsgKey, CloudCustomData Text
	Finish                                    Number
	Unknown                                   Unknown `json:",unknown"`
}

func (b V1) valid() bool {
	return b.SessionId.req() && b.Chunk.req() && b.MsgKey.ok() && b.CloudCustomData.ok() && b.Finish.in(0, 1) && len(b.Unknown) == 0
}

// Chatbot is a chatbot's send_stream_msg body (schemas.RequestChatbotFile).
type Chatbot struct {
	From_Account, To_Account, Chunk, MsgKey Text
	Finish                                  Number
	Unknown                                 Unknown `json:",unknown"`
}

func (b Chatbot) valid() bool {
	return b.From_Account.req() && b.To_Account.req() && b.Chunk.req() && b.MsgKey.ok() && b.Finish.in(0, 1) && len(b.Unknown) == 0
}

// V2 is a send_stream_msg_v2 body (schemas.RequestV2File).
type V2 struct {
	SessionId, MsgKey, CloudCustomData Text
	MsgBody                            StreamMsgBody
	Unknown                            Unknown `json:",unknown"`
}

func (b V2) valid() bool {
	return b.SessionId.req() && b.MsgKey.ok() && b.CloudCustomData.ok() && b.MsgBody.valid() && len(b.Unknown) == 0
}

// C2C is a send_c2c_stream_msg body (schemas.RequestC2CFile).
type C2C struct {
	From_Account, To_Account, CloudCustomData Text
	MsgRandom, SyncOtherMachine               Number
	MsgBody                                   StreamMsgBody
	Unknown                                   Unknown `json:",unknown"`
}

func (b C2C) valid() bool {
	return b.From_Account.ok() && b.To_Account.req() && b.CloudCustomData.ok() && b.MsgRandom.in(0, maxUint32) &&
		b.SyncOtherMachine.in(1, 2) && b.MsgBody.valid() && len(b.Unknown) == 0
}

// Group is a send_group_stream_msg body (schemas.RequestGroupFile).
type Group struct {
	GroupId, From_Account, CloudCustomData Text
	Random                                 Number
	MsgBody                                StreamMsgBody
	Unknown                                Unknown `json:",unknown"`
}

func (b Group) valid() bool {
	return b.GroupId.req() && b.From_Account.ok() && b.CloudCustomData.ok() && b.Random.in(0, maxUint32) && b.MsgBody.valid() && len(b.Unknown) == 0
}

// StreamMsgBody is the MsgBody of a TIMStreamElem: one element.
type StreamMsgBody struct{ List[Object[StreamElem]] }

func (l *StreamMsgBody) valid() bool { return l.sized(1, 1, (*Object[StreamElem]).ok) }

// StreamElem is a TIMStreamElem.
type StreamElem struct {
	MsgType    Text
	MsgContent Object[StreamContent]
	Unknown    Unknown `json:",unknown"`
}

func (e StreamElem) valid() bool {
	return e.MsgType.req() && e.MsgType.V == "TIMStreamElem" && e.MsgContent.Set && e.MsgContent.ok() && len(e.Unknown) == 0
}

// StreamContent is a TIMStreamElem's MsgContent. StreamMsgID is the
// native streams'; on v2 it is held to a string too.
type StreamContent struct {
	CompatibleText, StreamMsgID Text
	Chunks                      List[Object[StreamChunk]]
	Unknown                     Unknown `json:",unknown"`
}

func (c StreamContent) valid() bool {
	return c.CompatibleText.ok() && c.StreamMsgID.ok() && c.Chunks.sized(1, math.MaxInt, (*Object[StreamChunk]).ok) && len(c.Unknown) == 0
}

// StreamChunk is one of a TIMStreamElem's Chunks.
type StreamChunk struct {
	EventType, Markdown Text
	Index               Number
	IsLast              Bool
	Unknown             Unknown `json:",unknown"`
}

func (c StreamChunk) valid() bool {
	return c.EventType.req() && c.EventType.V == "data" && c.Index.Set && c.Index.in(1, maxUint32) && c.Markdown.req() && !c.IsLast.Bad && len(c.Unknown) == 0
}

// CreateRobot is a create_robot body (schemas.RequestCreateRobotFile).
type CreateRobot struct {
	UserID, Nick, FaceUrl, SelfSignature Text
	Unknown                              Unknown `json:",unknown"`
}

func (b CreateRobot) valid() bool {
	return b.UserID.req() && b.Nick.ok() && b.FaceUrl.ok() && b.SelfSignature.ok() && utf8.RuneCountInString(b.Nick.V) <= 100 &&
		utf8.RuneCountInString(b.FaceUrl.V) <= 500 && utf8.RuneCountInString(b.SelfSignature.V) <= 500 && len(b.Unknown) == 0
}

// DeleteRobot is a delete_robot body (schemas.RequestDeleteRobotFile).
type DeleteRobot struct {
	Robot_Account Text
	Unknown       Unknown `json:",unknown"`
}

func (b DeleteRobot) valid() bool { return b.Robot_Account.req() && len(b.Unknown) == 0 }

// GetAllRobots is a get_all_robots body (schemas.RequestGetAllRobotsFile):
// any object.
type GetAllRobots struct {
	Unknown Unknown `json:",unknown"`
}

func (b GetAllRobots) valid() bool { return len(b.Unknown) == 0 }

// Transfer is a transfer_to_human body (schemas.RequestTransferFile).
type Transfer struct {
	SessionId                                                     Text
	AgentIdList                                                   List[Text]
	AgentGroupId, Priority, QueueTimeout                          Number
	SendTipIfNoAgentOnline, CheckIfDuringWorkingHours             Number
	SendPromptNotDuringWorkingHours, EndSessionWhenNoMemberOnline Number
	DisableQueuing, AllowAssignBusyMember                         Number
	Unknown                                                       Unknown `json:",unknown"`
}

func (b Transfer) valid() bool {
	flags := b.SendTipIfNoAgentOnline.in(0, 1) && b.CheckIfDuringWorkingHours.in(0, 1) && b.SendPromptNotDuringWorkingHours.in(0, 1) &&
		b.EndSessionWhenNoMemberOnline.in(0, 1) && b.DisableQueuing.in(0, 1) && b.AllowAssignBusyMember.in(0, 1)
	return b.SessionId.req() && (!b.AgentIdList.Set || b.AgentIdList.sized(0, math.MaxInt, (*Text).ok)) && flags &&
		b.AgentGroupId.in(math.MinInt64, math.MaxInt64) && b.Priority.in(0, 9) && b.QueueTimeout.in(0, math.MaxInt64) && len(b.Unknown) == 0
}

// EndSession is an end_session body (schemas.RequestEndSessionFile).
type EndSession struct {
	SessionId Text
	Unknown   Unknown `json:",unknown"`
}

func (b EndSession) valid() bool { return b.SessionId.req() && len(b.Unknown) == 0 }

// EndQueuing is an end_queuing body (schemas.RequestEndQueuingFile).
type EndQueuing struct {
	SessionID Text
	Unknown   Unknown `json:",unknown"`
}

func (b EndQueuing) valid() bool { return b.SessionID.req() && len(b.Unknown) == 0 }

// SessionState is a get_session_state body
// (schemas.RequestSessionStateFile).
type SessionState struct {
	SessionId, ClientUserId, CustomerServiceId Text
	Unknown                                    Unknown `json:",unknown"`
}

func (b SessionState) valid() bool {
	return b.SessionId.ok() && b.ClientUserId.ok() && b.CustomerServiceId.ok() &&
		(b.SessionId.Set || b.ClientUserId.Set && b.CustomerServiceId.Set) && len(b.Unknown) == 0
}

// SendMsg is a send_msg body (schemas.RequestSendMsgFile).
type SendMsg struct {
	SessionId, FromAccount, ToAccount, CloudCustomData Text
	MsgRandom                                          Number
	MsgBody                                            List[Object[MsgElem]]
	Unknown                                            Unknown `json:",unknown"`
}

func (b SendMsg) valid() bool {
	return b.SessionId.ok() && b.FromAccount.ok() && b.ToAccount.ok() && b.CloudCustomData.ok() && b.MsgRandom.in(0, maxUint32) &&
		(b.SessionId.Set || b.FromAccount.Set && b.ToAccount.Set) && b.MsgBody.sized(1, math.MaxInt, (*Object[MsgElem]).ok) && len(b.Unknown) == 0
}

// MsgElem is one element of an ordinary message's MsgBody.
type MsgElem struct {
	MsgType    Text
	MsgContent Object[TextContent]
	Unknown    Unknown `json:",unknown"`
}

func (e MsgElem) valid() bool {
	return e.MsgType.req() && e.MsgContent.Set && e.MsgContent.ok() && len(e.Unknown) == 0
}

// TextContent is a MsgContent, any object to the schema; a TIMTextElem's
// Text is the one member Valid knows.
type TextContent struct {
	Text    Text
	Unknown Unknown `json:",unknown"`
}

func (c TextContent) valid() bool { return c.Text.ok() && len(c.Unknown) == 0 }

// ChatMessages is a describe_chat_messages body
// (schemas.RequestChatMessagesFile).
type ChatMessages struct {
	SessionId            Text
	Limit, Offset, Order Number
	Unknown              Unknown `json:",unknown"`
}

func (b ChatMessages) valid() bool {
	return b.SessionId.req() && b.Limit.in(1, 100) && b.Offset.in(0, math.MaxInt64) && b.Order.in(1, 2) && len(b.Unknown) == 0
}

// CDRList is a describe_im_cdr_list body (schemas.RequestCDRListFile).
type CDRList struct {
	StartTimestamp, EndTimestamp, Limit, Offset Number
	ClientUserId                                Text
	Unknown                                     Unknown `json:",unknown"`
}

func (b CDRList) valid() bool {
	return b.StartTimestamp.Set && b.StartTimestamp.in(0, math.MaxInt64) && b.EndTimestamp.Set && b.EndTimestamp.in(0, math.MaxInt64) &&
		b.Limit.in(1, 100) && b.Offset.in(0, math.MaxInt64) && b.ClientUserId.ok() && len(b.Unknown) == 0
}
