package mockserver

import (
	"encoding/json"
	"time"
)

// MarshalJSON writes a stream as the admin API documents it. A whole
// stream (Chunks not nil) always has "chunks" and "text", even empty, and
// one of TIMStreamElem (v2, c2c, group) always has "indexes" and
// "compatible_text"; a summary has none of
// them, only "text_bytes".
func (s Stream) MarshalJSON() ([]byte, error) {
	out := streamJSON{
		MsgKey: s.MsgKey, Version: s.Version, SessionID: s.SessionID, Conversation: s.Conversation, State: s.State,
		TextBytes: s.TextBytes, Finished: s.Finished, Calls: s.Calls, Opened: s.Opened, Updated: s.Updated,
	}
	if s.Chunks != nil {
		out.Chunks, out.Text = &s.Chunks, &s.Text
		out.ChatbotMessage = s.ChatbotMessage
		if hasStreamElem(s.Version) {
			indexes := s.Indexes
			if indexes == nil {
				indexes = []int{}
			}
			out.Indexes, out.CompatibleText = &indexes, &s.CompatibleText
		}
	}
	return json.Marshal(out)
}

// streamJSON is a Stream as JSON: a nil pointer is a field left out, so
// that an empty text is written as "" in a whole stream.
type streamJSON struct {
	MsgKey         string          `json:"msg_key"`
	Version        string          `json:"version"`
	SessionID      string          `json:"session_id"`
	Conversation   string          `json:"conversation"`
	State          StreamState     `json:"state"`
	Chunks         *[]string       `json:"chunks,omitempty"`
	Indexes        *[]int          `json:"indexes,omitempty"`
	Text           *string         `json:"text,omitempty"`
	TextBytes      int             `json:"text_bytes"`
	CompatibleText *string         `json:"compatible_text,omitempty"`
	ChatbotMessage *ChatbotMessage `json:"chatbot_message,omitempty"`
	Finished       bool            `json:"finished"`
	Calls          int             `json:"calls"`
	Opened         time.Time       `json:"opened"`
	Updated        time.Time       `json:"updated"`
}
