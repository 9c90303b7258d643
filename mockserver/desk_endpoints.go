package mockserver

import (
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"github.com/deskmock/deskmock/internal/textcut"
	"github.com/deskmock/deskmock/mockserver/codes"
	"github.com/deskmock/deskmock/mockserver/internal/fastpath"
	"github.com/deskmock/deskmock/schemas"
)

// Paths of Desk's endpoints around a stream.
const (
	TransferPath     = "/v4/desk_http_svc/transfer_to_human"
	EndSessionPath   = "/v4/desk_http_svc/end_session"
	EndQueuingPath   = "/v4/desk_http_svc/end_queuing"
	SessionStatePath = "/v4/desk_http_svc/get_session_state"
	SendMsgPath      = "/v4/desk_http_svc/send_msg"
	ChatMessagesPath = "/v4/desk_http_svc/describe_chat_messages"
	CDRListPath      = "/v4/desk_http_svc/describe_im_cdr_list"
)

// Names of Desk's endpoints around a stream.
const (
	Transfer        = "transfer_to_human"
	EndSession      = "end_session"
	EndQueuing      = "end_queuing"
	GetSessionState = "get_session_state"
	SendMsg         = "send_msg"
	ChatMessages    = "describe_chat_messages"
	CDRList         = "describe_im_cdr_list"
)

// deskEndpoint is one of Desk's endpoints around a stream, which answer
// with act.
func deskEndpoint(version, path, schema string, act func(*Server, *incoming, *outcome) verdict) *endpoint {
	return &endpoint{
		version: version, name: version, path: path, schema: schema,
		bodyLimit: func(l Limits) int { return l.MaxBodyBytes },
		act:       act,
	}
}

// deskSessionOf checks the session a body names, id in its field
// (SessionId, or end_queuing's SessionID): that it is well formed and,
// when mustExist, open.
func (s *Server) deskSessionOf(id, field string, mustExist bool) (string, verdict) {
	if !ValidSessionID(id) {
		return id, fail(codes.CheckSessionIDMalformed, field+" "+textcut.Cut(strconv.Quote(id), 64)+" is not a UUID (8-4-4-4-12 hexadecimal digits)")
	}
	if mustExist && !s.sessions.open(id) {
		return id, fail(codes.CheckSessionNotFound, "session "+id+" was ended, or is not open in strict mode")
	}
	return id, verdict{}
}

// flag reads a 0|1 option of a body.
func flag(n fastpath.Number) bool {
	return n.V == "1"
}

// transferToHuman hands the session to an agent, queues it, or says why
// not, as the agents and the options allow; its events are the session's.
func (s *Server) transferToHuman(in *incoming, out *outcome) verdict {
	m := in.req.(*fastpath.Transfer)
	id, v := s.deskSessionOf(m.SessionId.V, "SessionId", true)
	if v.failed() {
		return v
	}
	res, ok, err := s.life.transfer(id, transferRequestOf(m), s.now())
	switch {
	case err != nil:
		return verdict{check: codes.CheckInternal, detail: err.Error()}
	case !ok:
		return fail(codes.CheckSessionState, "session "+id+" is "+string(res.State)+": only a session in the Chatbot phase can be transferred")
	}
	b := appendJSONString(append(make([]byte, 0, 64), `"AgentId":`...), res.AgentID)
	inQueue := "0"
	if res.InQueue {
		inQueue = "1"
	}
	out.rep.extra = append(b, `,"IsInQueue":`+inQueue...)
	return verdict{}
}

// transferRequestOf reads transfer_to_human's options from a body the
// schema passed.
func transferRequestOf(m *fastpath.Transfer) TransferRequest {
	req := TransferRequest{
		SendTipIfNoAgentOnline:          flag(m.SendTipIfNoAgentOnline),
		CheckWorkingHours:               flag(m.CheckIfDuringWorkingHours),
		SendPromptNotDuringWorkingHours: flag(m.SendPromptNotDuringWorkingHours),
		EndSessionWhenNoMemberOnline:    flag(m.EndSessionWhenNoMemberOnline),
		DisableQueuing:                  flag(m.DisableQueuing),
		AllowAssignBusyMember:           flag(m.AllowAssignBusyMember),
	}
	for _, a := range m.AgentIdList.V {
		req.AgentIDList = append(req.AgentIDList, a.V)
	}
	if n := m.AgentGroupId.V; n != "" { // a number is never ""
		g, _ := strconv.Atoi(n)
		req.AgentGroupID = &g
	}
	if n := m.Priority.V; n != "" {
		req.Priority, _ = strconv.Atoi(n)
	}
	if n := m.QueueTimeout.V; n != "" {
		// Seconds (inferred unit), capped at a year.
		secs, _ := strconv.ParseInt(n, 10, 64)
		req.QueueTimeout = time.Duration(min(max(secs, 0), maxQueueTimeout)) * time.Second
	}
	return req
}

// maxQueueTimeout caps a transfer's QueueTimeout, in seconds: a year.
const maxQueueTimeout = 366 * 24 * 3600

// endSession ends the session, whatever its phase (inferred: the vendor
// documents it for sessions with an agent).
func (s *Server) endSession(in *incoming, out *outcome) verdict {
	id, v := s.deskSessionOf(in.req.(*fastpath.EndSession).SessionId.V, "SessionId", true)
	if v.failed() {
		return v
	}
	if _, err := s.life.endActive(id, true, "", EndStatusBot, SystemProactiveClosure, s.now()); err != nil && err != errSessionState {
		return verdict{check: codes.CheckInternal, detail: err.Error()}
	}
	return verdict{}
}

// endQueuing takes a queued session out of its queue, back to the bot.
func (s *Server) endQueuing(in *incoming, out *outcome) verdict {
	id, v := s.deskSessionOf(in.req.(*fastpath.EndQueuing).SessionID.V, "SessionID", true)
	if v.failed() {
		return v
	}
	if !s.life.endQueuing(id, s.now()) {
		return fail(codes.CheckSessionState, "session "+id+" is "+string(s.life.state(id, true))+", not Queueing")
	}
	return verdict{}
}

// getSessionState answers a session's CurrentState and, while an agent
// has it, its AgentId; a session the server does not have open, or a user
// without an active session, is NotInSession.
func (s *Server) getSessionState(in *incoming, out *outcome) verdict {
	m := in.req.(*fastpath.SessionState)
	var id string
	if m.SessionId.Set {
		var v verdict
		if id, v = s.deskSessionOf(m.SessionId.V, "SessionId", false); v.failed() {
			return v
		}
	} else {
		// By user: the user's active session, or none (NotInSession).
		id = s.life.userSession(m.ClientUserId.V, m.CustomerServiceId.V)
	}
	life := s.life.snapshot(id, id != "" && s.sessions.open(id))
	b := appendJSONString(append(make([]byte, 0, 128), `"SessionId":`...), id)
	b = appendJSONString(append(b, `,"CurrentState":`...), string(life.CurrentState))
	out.rep.extra = appendJSONString(append(b, `,"AgentId":`...), life.AgentID)
	return verdict{}
}

// deskEndpoints are Desk's endpoints around a stream.
var deskEndpoints = []*endpoint{
	deskEndpoint(Transfer, TransferPath, schemas.RequestTransferFile, (*Server).transferToHuman),
	deskEndpoint(EndSession, EndSessionPath, schemas.RequestEndSessionFile, (*Server).endSession),
	deskEndpoint(EndQueuing, EndQueuingPath, schemas.RequestEndQueuingFile, (*Server).endQueuing),
	deskEndpoint(GetSessionState, SessionStatePath, schemas.RequestSessionStateFile, (*Server).getSessionState),
	deskEndpoint(SendMsg, SendMsgPath, schemas.RequestSendMsgFile, (*Server).sendMsg),
	deskEndpoint(ChatMessages, ChatMessagesPath, schemas.RequestChatMessagesFile, (*Server).describeChatMessages),
	deskEndpoint(CDRList, CDRListPath, schemas.RequestCDRListFile, (*Server).describeCDRList),
}

// describeCDRList answers a page of the records of the sessions that
// ended, of those that began in the request's time range: the vendor's
// fields, with Duration in seconds (inferred unit), the agent group and
// nickname the mock does not keep written empty, and
// SatisfactionSelected 0 for a session the user did not rate.
func (s *Server) describeCDRList(in *incoming, out *outcome) verdict {
	m := in.req.(*fastpath.CDRList)
	num := func(n fastpath.Number, def int64) int64 {
		if n.V == "" {
			return def
		}
		v, _ := strconv.ParseInt(n.V, 10, 64)
		return v
	}
	recs := s.life.records(num(m.StartTimestamp, 0), num(m.EndTimestamp, 0), m.ClientUserId.V)
	limit, offset := num(m.Limit, 20), num(m.Offset, 0)
	total := int64(len(recs))
	recs = recs[min(offset, total):min(offset+limit, total)]
	b := strconv.AppendInt(append(make([]byte, 0, 256), `"TotalCount":`...), total, 10)
	b = append(b, `,"IMCdrList":[`...)
	for i, r := range recs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(append(b, `{"SessionId":`...), r.SessionID)
		b = append(b, `,"AgentGroupId":"","AgentGroupName":""`...)
		b = appendJSONString(append(b, `,"AgentId":`...), r.AgentID)
		b = appendJSONString(append(b, `,"ChannelType":`...), r.ChannelType)
		b = appendJSONString(append(b, `,"ClientUserId":`...), r.ClientUserID)
		b = append(b, `,"ClientUserNickName":""`...)
		b = strconv.AppendInt(append(b, `,"Duration":`...), int64(r.Ended.Sub(r.Begun).Seconds()), 10)
		b = appendJSONString(append(b, `,"EndStatus":`...), r.EndStatus)
		b = strconv.AppendInt(append(b, `,"SatisfactionSelected":`...), int64(r.Satisfaction), 10)
		b = strconv.AppendInt(append(b, `,"Timestamp":`...), r.Begun.Unix(), 10)
		b = append(b, '}')
	}
	out.rep.extra = append(b, ']')
	return verdict{}
}

// sendMsg puts the bot's message into a session in the Chatbot phase:
// named by SessionId, or as the user's session with the customer-service
// account FromAccount.
func (s *Server) sendMsg(in *incoming, out *outcome) verdict {
	m := in.req.(*fastpath.SendMsg)
	var id string
	if m.SessionId.Set {
		var v verdict
		if id, v = s.deskSessionOf(m.SessionId.V, "SessionId", true); v.failed() {
			return v
		}
	} else {
		from, to := m.FromAccount.V, m.ToAccount.V
		if id = s.life.userSession(to, from); id == "" {
			return fail(codes.CheckSessionNotFound, "user "+strconv.Quote(textcut.Cut(to, 64))+" has no session with "+strconv.Quote(textcut.Cut(from, 64)))
		}
	}
	if st := s.life.state(id, true); st != DeskChatbot {
		return fail(codes.CheckSessionNotBot, "session "+id+" is "+string(st)+": the bot may not send into it")
	}
	now := s.now()
	// The MsgBody as encoding/json writes it, decoded as the library saw it.
	v, _ := decodeAny(in.body)
	body, _ := json.Marshal(v.(map[string]any)["MsgBody"]) // a decoded body always encodes
	_, from, _ := s.life.said(id, RoleService, true, now, calloutMsg{body: string(body), cloudData: m.CloudCustomData.V})
	s.messages.add(DeskMessage{SessionID: id, From: from, Role: RoleService, MsgBody: string(body), Time: now})
	return verdict{}
}

// sessionMessages returns a session's messages, oldest first, the newest
// newest of them when it is not 0, the bot's streams with their text so
// far as their MsgBody; and how many the session has.
func (s *Server) sessionMessages(id string, newest int) ([]DeskMessage, int) {
	msgs := s.messages.of(id)
	total := len(msgs)
	if newest > 0 && total > newest {
		msgs = msgs[total-newest:]
	}
	for i, m := range msgs {
		if m.MsgKey != "" {
			st, _ := s.streams.get(m.MsgKey, s.now())
			msgs[i].MsgBody = textBody(st.Text)
		}
	}
	return msgs, total
}

// describeChatMessages answers a page of a session's messages, the
// bot's streams with their text so far, and a system message's flags as
// its CloudCustomData (inferred: the vendor's list shows no such field).
func (s *Server) describeChatMessages(in *incoming, out *outcome) verdict {
	m := in.req.(*fastpath.ChatMessages)
	id, v := s.deskSessionOf(m.SessionId.V, "SessionId", false)
	if v.failed() {
		return v
	}
	limit, offset, order := 20, 0, 2
	for n, p := range map[*fastpath.Number]*int{&m.Limit: &limit, &m.Offset: &offset, &m.Order: &order} {
		if n.V != "" {
			*p, _ = strconv.Atoi(n.V)
		}
	}
	msgs, _ := s.sessionMessages(id, 0)
	if order == 2 {
		slices.Reverse(msgs)
	}
	total := len(msgs)
	msgs = msgs[min(offset, total):min(offset+limit, total)]
	b := strconv.AppendInt(append(make([]byte, 0, 256), `"TotalCount":`...), int64(total), 10)
	b = append(b, `,"Messages":[`...)
	for i, msg := range msgs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(append(b, `{"FromAccount":`...), msg.From)
		b = strconv.AppendInt(append(b, `,"FromAccountRole":`...), int64(msg.Role), 10)
		b = append(append(b, `,"MsgBody":`...), msg.MsgBody...)
		if msg.CloudCustomData != "" {
			b = appendJSONString(append(b, `,"CloudCustomData":`...), msg.CloudCustomData)
		}
		b = strconv.AppendInt(append(b, `,"Timestamp":`...), msg.Time.UnixMilli(), 10)
		b = append(b, '}')
	}
	out.rep.extra = append(b, ']')
	return verdict{}
}
