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
var bodies = map[string]func(text string) (object, *scanner){
	schemas.RequestFile:             newBody[V1],
	schemas.RequestV2File:           newBody[V2],
	schemas.RequestC2CFile:          newBody[C2C],
	schemas.RequestGroupFile:        newBody[Group],
	schemas.RequestChatbotFile:      newBody[Chatbot],
	schemas.RequestCreateRobotFile:  newBody[CreateRobot],
	schemas.RequestDeleteRobotFile:  newBody[DeleteRobot],
	schemas.RequestGetAllRobotsFile: newBody[GetAllRobots],
	schemas.RequestTransferFile:     newBody[Transfer],
	schemas.RequestEndSessionFile:   newBody[EndSession],
	schemas.RequestEndQueuingFile:   newBody[EndQueuing],
	schemas.RequestSessionStateFile: newBody[SessionState],
	schemas.RequestSendMsgFile:      newBody[SendMsg],
	schemas.RequestChatMessagesFile: newBody[ChatMessages],
	schemas.RequestCDRListFile:      newBody[CDRList],
}

// maxUint32 bounds the schemas' 32-bit integers.
const maxUint32 = math.MaxUint32

// V1 is a send_stream_msg body (schemas.RequestFile).
type V1 struct {
	SessionId, Chunk, MsgKey, CloudCustomData Text
	Finish                                    Number
	Unknown                                   Unknown
}

func (b *V1) member(n string) field {
	return pick(n, []string{"SessionId", "Chunk", "MsgKey", "CloudCustomData", "Finish"}, &b.SessionId, &b.Chunk, &b.MsgKey, &b.CloudCustomData, &b.Finish, &b.Unknown)
}
func (b V1) valid() bool {
	return b.SessionId.req() && b.Chunk.req() && b.MsgKey.ok() && b.CloudCustomData.ok() && b.Finish.in(0, 1) && b.Unknown == 0
}

// Chatbot is a chatbot's send_stream_msg body (schemas.RequestChatbotFile).
type Chatbot struct {
	From_Account, To_Account, Chunk, MsgKey Text
	Finish                                  Number
	Unknown                                 Unknown
}

func (b *Chatbot) member(n string) field {
	return pick(n, []string{"From_Account", "To_Account", "Chunk", "MsgKey", "Finish"}, &b.From_Account, &b.To_Account, &b.Chunk, &b.MsgKey, &b.Finish, &b.Unknown)
}
func (b Chatbot) valid() bool {
	return b.From_Account.req() && b.To_Account.req() && b.Chunk.req() && b.MsgKey.ok() && b.Finish.in(0, 1) && b.Unknown == 0
}

// V2 is a send_stream_msg_v2 body (schemas.RequestV2File).
type V2 struct {
	SessionId, MsgKey, CloudCustomData Text
	MsgBody                            StreamMsgBody
	Unknown                            Unknown
}

func (b *V2) member(n string) field {
	return pick(n, []string{"SessionId", "MsgKey", "CloudCustomData", "MsgBody"}, &b.SessionId, &b.MsgKey, &b.CloudCustomData, &b.MsgBody, &b.Unknown)
}
func (b V2) valid() bool {
	return b.SessionId.req() && b.MsgKey.ok() && b.CloudCustomData.ok() && b.MsgBody.valid() && b.Unknown == 0
}

// C2C is a send_c2c_stream_msg body (schemas.RequestC2CFile).
type C2C struct {
	From_Account, To_Account, CloudCustomData Text
	MsgRandom, SyncOtherMachine               Number
	MsgBody                                   StreamMsgBody
	Unknown                                   Unknown
}

func (b *C2C) member(n string) field {
	return pick(n, []string{"From_Account", "To_Account", "CloudCustomData", "MsgRandom", "SyncOtherMachine", "MsgBody"}, &b.From_Account, &b.To_Account, &b.CloudCustomData, &b.MsgRandom, &b.SyncOtherMachine, &b.MsgBody, &b.Unknown)
}
func (b C2C) valid() bool {
	return b.From_Account.ok() && b.To_Account.req() && b.CloudCustomData.ok() && b.MsgRandom.in(0, maxUint32) &&
		b.SyncOtherMachine.in(1, 2) && b.MsgBody.valid() && b.Unknown == 0
}

// Group is a send_group_stream_msg body (schemas.RequestGroupFile).
type Group struct {
	GroupId, From_Account, CloudCustomData Text
	Random                                 Number
	MsgBody                                StreamMsgBody
	Unknown                                Unknown
}

func (b *Group) member(n string) field {
	return pick(n, []string{"GroupId", "From_Account", "CloudCustomData", "Random", "MsgBody"}, &b.GroupId, &b.From_Account, &b.CloudCustomData, &b.Random, &b.MsgBody, &b.Unknown)
}
func (b Group) valid() bool {
	return b.GroupId.req() && b.From_Account.ok() && b.CloudCustomData.ok() && b.Random.in(0, maxUint32) && b.MsgBody.valid() && b.Unknown == 0
}

// StreamMsgBody is the MsgBody of a TIMStreamElem: one element.
type StreamMsgBody struct{ List[Object[StreamElem]] }

func (l *StreamMsgBody) valid() bool { return l.sized(1, 1, (*Object[StreamElem]).ok) }

// StreamElem is a TIMStreamElem.
type StreamElem struct {
	MsgType    Text
	MsgContent Object[StreamContent]
	Unknown    Unknown
}

func (e *StreamElem) member(n string) field {
	return pick(n, []string{"MsgType", "MsgContent"}, &e.MsgType, &e.MsgContent, &e.Unknown)
}
func (e StreamElem) valid() bool {
	return e.MsgType.req() && e.MsgType.V == "TIMStreamElem" && e.MsgContent.Set && e.MsgContent.ok() && e.Unknown == 0
}

// StreamContent is a TIMStreamElem's MsgContent. StreamMsgID is the
// native streams'; on v2 it is held to a string too.
type StreamContent struct {
	CompatibleText, StreamMsgID Text
	Chunks                      List[Object[StreamChunk]]
	Unknown                     Unknown
}

func (c *StreamContent) member(n string) field {
	return pick(n, []string{"CompatibleText", "StreamMsgID", "Chunks"}, &c.CompatibleText, &c.StreamMsgID, &c.Chunks, &c.Unknown)
}
func (c StreamContent) valid() bool {
	return c.CompatibleText.ok() && c.StreamMsgID.ok() && c.Chunks.sized(1, math.MaxInt, (*Object[StreamChunk]).ok) && c.Unknown == 0
}

// StreamChunk is one of a TIMStreamElem's Chunks.
type StreamChunk struct {
	EventType, Markdown Text
	Index               Number
	IsLast              Bool
	Unknown             Unknown
}

func (c *StreamChunk) member(n string) field {
	return pick(n, []string{"EventType", "Markdown", "Index", "IsLast"}, &c.EventType, &c.Markdown, &c.Index, &c.IsLast, &c.Unknown)
}
func (c StreamChunk) valid() bool {
	return c.EventType.req() && c.EventType.V == "data" && c.Index.Set && c.Index.in(1, maxUint32) && c.Markdown.req() && !c.IsLast.Bad && c.Unknown == 0
}

// CreateRobot is a create_robot body (schemas.RequestCreateRobotFile).
type CreateRobot struct {
	UserID, Nick, FaceUrl, SelfSignature Text
	Unknown                              Unknown
}

func (b *CreateRobot) member(n string) field {
	return pick(n, []string{"UserID", "Nick", "FaceUrl", "SelfSignature"}, &b.UserID, &b.Nick, &b.FaceUrl, &b.SelfSignature, &b.Unknown)
}
func (b CreateRobot) valid() bool {
	return b.UserID.req() && b.Nick.ok() && b.FaceUrl.ok() && b.SelfSignature.ok() && utf8.RuneCountInString(b.Nick.V) <= 100 &&
		utf8.RuneCountInString(b.FaceUrl.V) <= 500 && utf8.RuneCountInString(b.SelfSignature.V) <= 500 && b.Unknown == 0
}

// DeleteRobot is a delete_robot body (schemas.RequestDeleteRobotFile).
type DeleteRobot struct {
	Robot_Account Text
	Unknown       Unknown
}

func (b *DeleteRobot) member(n string) field {
	return pick(n, []string{"Robot_Account"}, &b.Robot_Account, &b.Unknown)
}
func (b DeleteRobot) valid() bool { return b.Robot_Account.req() && b.Unknown == 0 }

// GetAllRobots is a get_all_robots body (schemas.RequestGetAllRobotsFile):
// any object.
type GetAllRobots struct {
	Unknown Unknown
}

func (b *GetAllRobots) member(n string) field {
	return pick(n, []string{}, &b.Unknown)
}
func (b GetAllRobots) valid() bool { return b.Unknown == 0 }

// Transfer is a transfer_to_human body (schemas.RequestTransferFile).
type Transfer struct {
	SessionId                                                     Text
	AgentIdList                                                   List[Text]
	AgentGroupId, Priority, QueueTimeout                          Number
	SendTipIfNoAgentOnline, CheckIfDuringWorkingHours             Number
	SendPromptNotDuringWorkingHours, EndSessionWhenNoMemberOnline Number
	DisableQueuing, AllowAssignBusyMember                         Number
	Unknown                                                       Unknown
}

func (b *Transfer) member(n string) field {
	return pick(n, []string{"SessionId", "AgentIdList", "AgentGroupId", "Priority", "QueueTimeout", "SendTipIfNoAgentOnline", "CheckIfDuringWorkingHours", "SendPromptNotDuringWorkingHours", "EndSessionWhenNoMemberOnline", "DisableQueuing", "AllowAssignBusyMember"}, &b.SessionId, &b.AgentIdList, &b.AgentGroupId, &b.Priority, &b.QueueTimeout, &b.SendTipIfNoAgentOnline, &b.CheckIfDuringWorkingHours, &b.SendPromptNotDuringWorkingHours, &b.EndSessionWhenNoMemberOnline, &b.DisableQueuing, &b.AllowAssignBusyMember, &b.Unknown)
}
func (b Transfer) valid() bool {
	flags := b.SendTipIfNoAgentOnline.in(0, 1) && b.CheckIfDuringWorkingHours.in(0, 1) && b.SendPromptNotDuringWorkingHours.in(0, 1) &&
		b.EndSessionWhenNoMemberOnline.in(0, 1) && b.DisableQueuing.in(0, 1) && b.AllowAssignBusyMember.in(0, 1)
	return b.SessionId.req() && (!b.AgentIdList.Set || b.AgentIdList.sized(0, math.MaxInt, (*Text).ok)) && flags &&
		b.AgentGroupId.in(math.MinInt64, math.MaxInt64) && b.Priority.in(0, 9) && b.QueueTimeout.in(0, math.MaxInt64) && b.Unknown == 0
}

// EndSession is an end_session body (schemas.RequestEndSessionFile).
type EndSession struct {
	SessionId Text
	Unknown   Unknown
}

func (b *EndSession) member(n string) field {
	return pick(n, []string{"SessionId"}, &b.SessionId, &b.Unknown)
}
func (b EndSession) valid() bool { return b.SessionId.req() && b.Unknown == 0 }

// EndQueuing is an end_queuing body (schemas.RequestEndQueuingFile).
type EndQueuing struct {
	SessionID Text
	Unknown   Unknown
}

func (b *EndQueuing) member(n string) field {
	return pick(n, []string{"SessionID"}, &b.SessionID, &b.Unknown)
}
func (b EndQueuing) valid() bool { return b.SessionID.req() && b.Unknown == 0 }

// SessionState is a get_session_state body
// (schemas.RequestSessionStateFile).
type SessionState struct {
	SessionId, ClientUserId, CustomerServiceId Text
	Unknown                                    Unknown
}

func (b *SessionState) member(n string) field {
	return pick(n, []string{"SessionId", "ClientUserId", "CustomerServiceId"}, &b.SessionId, &b.ClientUserId, &b.CustomerServiceId, &b.Unknown)
}
func (b SessionState) valid() bool {
	return b.SessionId.ok() && b.ClientUserId.ok() && b.CustomerServiceId.ok() &&
		(b.SessionId.Set || b.ClientUserId.Set && b.CustomerServiceId.Set) && b.Unknown == 0
}

// SendMsg is a send_msg body (schemas.RequestSendMsgFile).
type SendMsg struct {
	SessionId, FromAccount, ToAccount, CloudCustomData Text
	MsgRandom                                          Number
	MsgBody                                            List[Object[MsgElem]]
	Unknown                                            Unknown
}

func (b *SendMsg) member(n string) field {
	return pick(n, []string{"SessionId", "FromAccount", "ToAccount", "CloudCustomData", "MsgRandom", "MsgBody"}, &b.SessionId, &b.FromAccount, &b.ToAccount, &b.CloudCustomData, &b.MsgRandom, &b.MsgBody, &b.Unknown)
}
func (b SendMsg) valid() bool {
	return b.SessionId.ok() && b.FromAccount.ok() && b.ToAccount.ok() && b.CloudCustomData.ok() && b.MsgRandom.in(0, maxUint32) &&
		(b.SessionId.Set || b.FromAccount.Set && b.ToAccount.Set) && b.MsgBody.sized(1, math.MaxInt, (*Object[MsgElem]).ok) && b.Unknown == 0
}

// MsgElem is one element of an ordinary message's MsgBody.
type MsgElem struct {
	MsgType    Text
	MsgContent Object[TextContent]
	Unknown    Unknown
}

func (e *MsgElem) member(n string) field {
	return pick(n, []string{"MsgType", "MsgContent"}, &e.MsgType, &e.MsgContent, &e.Unknown)
}
func (e MsgElem) valid() bool {
	return e.MsgType.req() && e.MsgContent.Set && e.MsgContent.ok() && e.Unknown == 0
}

// TextContent is a MsgContent, any object to the schema; a TIMTextElem's
// Text is the one member Valid knows.
type TextContent struct {
	Text    Text
	Unknown Unknown
}

func (c *TextContent) member(n string) field {
	return pick(n, []string{"Text"}, &c.Text, &c.Unknown)
}
func (c TextContent) valid() bool { return c.Text.ok() && c.Unknown == 0 }

// ChatMessages is a describe_chat_messages body
// (schemas.RequestChatMessagesFile).
type ChatMessages struct {
	SessionId            Text
	Limit, Offset, Order Number
	Unknown              Unknown
}

func (b *ChatMessages) member(n string) field {
	return pick(n, []string{"SessionId", "Limit", "Offset", "Order"}, &b.SessionId, &b.Limit, &b.Offset, &b.Order, &b.Unknown)
}
func (b ChatMessages) valid() bool {
	return b.SessionId.req() && b.Limit.in(1, 100) && b.Offset.in(0, math.MaxInt64) && b.Order.in(1, 2) && b.Unknown == 0
}

// CDRList is a describe_im_cdr_list body (schemas.RequestCDRListFile).
type CDRList struct {
	StartTimestamp, EndTimestamp, Limit, Offset Number
	ClientUserId                                Text
	Unknown                                     Unknown
}

func (b *CDRList) member(n string) field {
	return pick(n, []string{"StartTimestamp", "EndTimestamp", "Limit", "Offset", "ClientUserId"}, &b.StartTimestamp, &b.EndTimestamp, &b.Limit, &b.Offset, &b.ClientUserId, &b.Unknown)
}
func (b CDRList) valid() bool {
	return b.StartTimestamp.Set && b.StartTimestamp.in(0, math.MaxInt64) && b.EndTimestamp.Set && b.EndTimestamp.in(0, math.MaxInt64) &&
		b.Limit.in(1, 100) && b.Offset.in(0, math.MaxInt64) && b.ClientUserId.ok() && b.Unknown == 0
}
