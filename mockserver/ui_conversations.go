package mockserver

import (
	"cmp"
	"encoding/json"
	"net/http"
	"slices"
	"time"
)

// The dashboard's view of Desk conversations: each session with a life,
// its people and state, and its messages and state changes in order (the
// user on one side, the bot and the agent on the other, the system's
// messages and the session's events between); the admin API's actions
// play the user and the agent.

// maxUIConversations is how many conversations the dashboard shows.
const maxUIConversations = 20

// uiConversation is one Desk session as the dashboard shows it.
type uiConversation struct {
	DeskSession
	// Messages are the session's messages and its events other than the
	// messages' own, in order; they take the place of DeskSession's.
	Messages []uiItem `json:"messages"`
}

// uiItem is one line of a conversation: a message (who said what) or an
// event of the session.
type uiItem struct {
	// Kind is user, bot, agent or system for a message, event for an
	// event.
	Kind string    `json:"kind"`
	From string    `json:"from,omitempty"`
	Text string    `json:"text,omitempty"`
	Time time.Time `json:"time"`
	// Stream is the MsgKey of a bot's stream, whose text this is so far.
	Stream string `json:"stream,omitempty"`
	// System is a system message's messageType.
	System string `json:"system,omitempty"`
	// Event is an event's name; AgentID and Stars what it carries.
	Event   string `json:"event,omitempty"`
	AgentID string `json:"agent_id,omitempty"`
	Stars   int    `json:"stars,omitempty"`
	seq     uint64
}

// uiGetConversations answers the newest conversations.
func (s *Server) uiGetConversations(w http.ResponseWriter, r *http.Request) {
	out := []uiConversation{}
	for _, id := range s.life.newest(maxUIConversations) {
		out = append(out, s.uiConversation(id))
	}
	writeJSON(w, http.StatusOK, map[string]any{"conversations": out})
}

// uiConversation returns a session's messages and events in the order
// they happened.
func (s *Server) uiConversation(id string) uiConversation {
	life := s.DeskSession(id)
	c := uiConversation{DeskSession: life, Messages: []uiItem{}}
	said := map[string]bool{} // the events of the messages themselves
	for _, e := range s.life.named([]DeskEvent{{Event: EventUserSendMsg}, {Event: EventRobotSendMsg}, {Event: EventAgentUserSendMsg}, {Event: EventAgentSendMsg}}) {
		said[e.Event] = true
	}
	for _, e := range life.Events {
		if !said[e.Event] {
			c.Messages = append(c.Messages, uiItem{Kind: "event", Event: e.Event, AgentID: e.AgentID, Stars: e.Satisfaction, Time: e.Time, seq: e.Seq})
		}
	}
	for _, m := range life.Messages {
		it := uiItem{Kind: "user", From: m.From, Text: messageText(m.MsgBody), Time: m.Time, Stream: m.MsgKey, seq: m.Seq}
		switch {
		case m.Role == RoleSystem:
			it.Kind = "system"
			var flags struct{ MessageType string }
			json.Unmarshal([]byte(m.CloudCustomData), &flags) // written by system()
			it.System = flags.MessageType
		case m.Role != RoleUser && m.From == life.CustomerServiceID:
			it.Kind = "bot"
		case m.Role != RoleUser:
			it.Kind = "agent"
		}
		c.Messages = append(c.Messages, it)
	}
	slices.SortFunc(c.Messages, func(a, b uiItem) int { return cmp.Compare(a.seq, b.seq) })
	c.DeskSession.Messages = nil
	return c
}

// messageText returns the text of a message body's text elements, or the
// body itself when it has none.
func messageText(body string) string {
	var elems []struct {
		MsgType    string
		MsgContent struct{ Text string }
	}
	if json.Unmarshal([]byte(body), &elems) != nil {
		return body
	}
	text := ""
	for _, e := range elems {
		if e.MsgType != "TIMTextElem" {
			return body
		}
		text += e.MsgContent.Text
	}
	return text
}
