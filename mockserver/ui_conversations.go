package mockserver

import (
	"encoding/json"
	"net/http"
	"time"
)

// The dashboard's view of Desk conversations: each session with a life,
// its people and state, its messages in order and its events, and the
// admin API's actions that play the user and the agent.

// maxUIConversations is how many conversations the dashboard shows.
const maxUIConversations = 20

// uiConversation is one Desk session as the dashboard shows it.
type uiConversation struct {
	DeskSession
	Messages []uiMessage `json:"messages"`
}

// uiMessage is one message of a conversation: who said what, when.
type uiMessage struct {
	From string    `json:"from"`
	Role int       `json:"role"`
	Text string    `json:"text"`
	Time time.Time `json:"time"`
	// Stream is the MsgKey of a bot's stream, whose text this is so far.
	Stream string `json:"stream,omitempty"`
}

// uiGetConversations answers the newest conversations.
func (s *Server) uiGetConversations(w http.ResponseWriter, r *http.Request) {
	out := []uiConversation{}
	for _, id := range s.life.newest(maxUIConversations) {
		c := uiConversation{DeskSession: s.DeskSession(id), Messages: []uiMessage{}}
		for _, m := range s.messages.of(id) {
			msg := uiMessage{From: m.From, Role: m.Role, Time: m.Time, Stream: m.MsgKey}
			if m.MsgKey != "" {
				st, _ := s.streams.get(m.MsgKey, s.now())
				msg.Text = st.Text
			} else {
				msg.Text = messageText(m.MsgBody)
			}
			c.Messages = append(c.Messages, msg)
		}
		out = append(out, c)
	}
	writeJSON(w, http.StatusOK, map[string]any{"conversations": out})
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
