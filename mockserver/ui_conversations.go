package mockserver

import (
	"cmp"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
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
	// Callbacks counts the session's callbacks by outcome; nil when no
	// callback is configured and none was sent.
	Callbacks *uiCallbackCount `json:"callbacks,omitempty"`
}

// uiCallbackCount counts a conversation's callbacks (each delivery) by
// outcome; Unmatched are those of no line shown (an event the session no
// longer keeps).
type uiCallbackCount struct {
	OK        int `json:"ok"`
	Refused   int `json:"refused"`
	Failed    int `json:"failed"`
	Dropped   int `json:"dropped"`
	Unmatched int `json:"unmatched,omitempty"`
}

// uiCallback is the callback that reported a line to the bot, as the line
// shows it: its outcome, its last attempt's answer, how many attempts it
// took, its fault.
type uiCallback struct {
	Seq     uint64 `json:"seq"`
	Event   string `json:"event"`
	Outcome string `json:"outcome"`
	// Attempts counts the HTTP requests; Status, LatencyMS and Error are
	// the last one's.
	Attempts  int      `json:"attempts"`
	Status    int      `json:"status,omitempty"`
	LatencyMS float64  `json:"latency_ms"`
	Error     string   `json:"error,omitempty"`
	Faults    []string `json:"faults,omitempty"`
	RequestID string   `json:"request_id"`
	Sign      string   `json:"sign,omitempty"`
	// Delivery is 2 for the second delivery of a callback sent twice.
	Delivery int `json:"delivery,omitempty"`
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
	// Callbacks are the deliveries of the callback that reported this
	// line to the bot (two for a callback sent twice); none for a system
	// message, or before the callback is done.
	Callbacks []uiCallback `json:"callbacks,omitempty"`
	seq       uint64
}

// uiGetConversations answers the newest conversations.
func (s *Server) uiGetConversations(w http.ResponseWriter, r *http.Request) {
	out := []uiConversation{}
	ids := s.life.newest(maxUIConversations)
	sent := s.deskCallbacks(ids)
	configured := s.callbacks.settings(s.deskApp()).URL != ""
	for _, id := range ids {
		c := s.uiConversation(id)
		if cbs := sent[id]; configured || len(cbs) > 0 {
			c.Callbacks = s.attachCallbacks(c.Messages, cbs)
		}
		out = append(out, c)
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

// deskCallbacks returns the journal's callbacks of Desk sessions' events
// for each of ids, in one pass over the journal.
func (s *Server) deskCallbacks(ids []string) map[string][]Callback {
	out := make(map[string][]Callback, len(ids))
	for _, id := range ids {
		out[id] = nil
	}
	j := s.callbacks.log
	j.mu.Lock()
	defer j.mu.Unlock()
	for i := range j.log[j.head:] {
		e := &j.log[j.head+i]
		if cbs, ok := out[e.SessionID]; ok && e.Command == CommandDeskEvent {
			out[e.SessionID] = append(cbs, *e)
		}
	}
	return out
}

// attachCallbacks puts each callback on the line it reported, and counts
// them. A callback reports the line of its Event (as sent: the names
// desk.event_names gives) and EventTime, the line's time in ms; of lines
// alike, callbacks in the order they were queued (Seq) take the lines in
// order. A message's line stands for its event, whichever the session's
// phase named.
func (s *Server) attachCallbacks(items []uiItem, cbs []Callback) *uiCallbackCount {
	count := &uiCallbackCount{}
	if len(cbs) == 0 {
		return count
	}
	named := func(event string) string {
		if name, ok := s.cfg.Desk.EventNames[event]; ok {
			return name
		}
		return event
	}
	said := map[string][]string{
		"user":  {named(EventUserSendMsg), named(EventAgentUserSendMsg)},
		"bot":   {named(EventRobotSendMsg), named(EventAgentSendMsg)},
		"agent": {named(EventAgentSendMsg), named(EventRobotSendMsg)},
	}
	type key struct {
		event string
		ms    int64
	}
	lines := map[key][]int{} // the lines each callback may report, in order
	for i, it := range items {
		names := said[it.Kind]
		if it.Kind == "event" {
			names = []string{it.Event}
		}
		for _, n := range names {
			k := key{n, it.Time.UnixMilli()}
			lines[k] = append(lines[k], i)
		}
	}
	slices.SortStableFunc(cbs, func(a, b Callback) int { return cmp.Or(cmp.Compare(a.Seq, b.Seq), cmp.Compare(a.Delivery, b.Delivery)) })
	taken := map[int]bool{}
	line, lineOf := -1, uint64(0) // the line of the last callback's Seq (from 1), or -1
	for _, cb := range cbs {
		switch cb.Outcome {
		case CallbackOK:
			count.OK++
		case CallbackRefused:
			count.Refused++
		case CallbackFailed:
			count.Failed++
		case CallbackDropped:
			count.Dropped++
		}
		if cb.Seq != lineOf { // a second delivery goes where the first went
			line, lineOf = -1, cb.Seq
			if ms, ok := eventTimeOf(cb.Body); ok {
				k := key{cb.Event, ms}
				for len(lines[k]) > 0 && line < 0 {
					if i := lines[k][0]; !taken[i] {
						line, taken[i] = i, true
					}
					lines[k] = lines[k][1:]
				}
			}
		}
		if line < 0 {
			count.Unmatched++
			continue
		}
		items[line].Callbacks = append(items[line].Callbacks, uiCallbackOf(&cb))
	}
	return count
}

// uiCallbackOf returns what a line shows of a callback.
func uiCallbackOf(cb *Callback) uiCallback {
	out := uiCallback{Seq: cb.Seq, Event: cb.Event, Outcome: cb.Outcome, Attempts: len(cb.Attempts), Faults: cb.Faults,
		RequestID: cb.RequestID, Sign: cb.Sign, Delivery: cb.Delivery}
	if n := len(cb.Attempts); n > 0 {
		last := &cb.Attempts[n-1]
		out.Status, out.LatencyMS, out.Error = last.Status, last.LatencyMS, last.Error
	}
	return out
}

// eventTimeOf returns the EventTime of a Desk callback's body, written by
// json.Marshal of a deskNotify: its fourth field, after three strings, so
// found without decoding a body of up to 16 KiB. `,"EventTime":` cannot
// be inside a string, where a quote is escaped.
func eventTimeOf(body string) (int64, bool) {
	const field = `,"EventTime":`
	i := strings.Index(body, field)
	if i < 0 {
		return 0, false
	}
	digits := body[i+len(field):]
	if end := strings.IndexFunc(digits, func(r rune) bool { return r < '0' || r > '9' }); end >= 0 {
		digits = digits[:end]
	}
	ms, err := strconv.ParseInt(digits, 10, 64)
	return ms, err == nil
}
