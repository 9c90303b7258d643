package mockserver

import (
	"strconv"
	"time"

	"github.com/deskmock/deskmock/internal/textcut"
	"github.com/deskmock/deskmock/mockserver/codes"
)

// conversationKind is what an endpoint's streams belong to.
type conversationKind int

const (
	// inSession: a Desk session, named by its SessionId.
	inSession conversationKind = iota
	// inC2C: a one-to-one chat, From_Account to To_Account.
	inC2C
	// inGroup: a group, GroupId, and the sender in it.
	inGroup
)

// conversation is what one call names of its conversation, as its
// endpoint read it from the body. Its strings may be parts of the body:
// whatever keeps them copies them (see key).
type conversation struct {
	kind conversationKind
	// id is the SessionId, the To_Account or the GroupId: what must exist,
	// and what trigger IDs are read from.
	id string
	// from is the sender, From_Account; "" on a Desk session, or when the
	// body has none (the app administrator sends, inferred).
	from string
	// hasFrom is true when the body has a From_Account.
	hasFrom bool
}

// Limits of the names in a conversation. The vendor gives 32 bytes for a
// chatbot's UserID; deskmock applies it to every account (inferred), and
// IM's 48 bytes to a GroupId (inferred).
const (
	maxAccountBytes = 32
	maxGroupIDBytes = 48
)

// appendKey appends the conversation's key, which the call counter, the
// fault rules, the streams, the journal and the admin API name it by: the
// SessionId itself on Desk, "c2c:FROM:TO" for a chat, "group:GROUP:FROM"
// for a group. In FROM, TO and GROUP, "%" and ":" are written %25 and %3A,
// so that no two conversations share a key.
func (c conversation) appendKey(b []byte) []byte {
	switch c.kind {
	case inC2C:
		b = appendKeyPart(append(b, "c2c:"...), c.from)
		return appendKeyPart(append(b, ':'), c.id)
	case inGroup:
		b = appendKeyPart(append(b, "group:"...), c.id)
		return appendKeyPart(append(b, ':'), c.from)
	}
	return append(b, c.id...)
}

// key returns the conversation's key (appendKey) as a new string.
func (c conversation) key() string { return string(c.appendKey(nil)) }

// maxKeyBytes is the longest key of a well-formed conversation: a group's
// 48-byte ID and a 32-byte account, every byte escaped.
const maxKeyBytes = len("group:") + 3*maxGroupIDBytes + 1 + 3*maxAccountBytes

// appendKeyPart appends a part of a key, "%" and ":" written %25 and %3A.
func appendKeyPart(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '%':
			b = append(b, "%25"...)
		case ':':
			b = append(b, "%3A"...)
		default:
			b = append(b, s[i])
		}
	}
	return b
}

// malformed returns the check that a conversation whose names are not
// well formed fails, and why; "" when they are.
func (c conversation) malformed() (codes.Check, string) {
	switch c.kind {
	case inSession:
		if !ValidSessionID(c.id) {
			return codes.CheckSessionIDMalformed, "SessionId " + textcut.Cut(strconv.Quote(c.id), 64) + " is not a UUID (8-4-4-4-12 hexadecimal digits)"
		}
		return "", ""
	case inC2C:
		if why := accountProblem("To_Account", c.id); why != "" {
			return codes.CheckAccountMalformed, why
		}
	case inGroup:
		if c.id == "" || len(c.id) > maxGroupIDBytes {
			return codes.CheckGroupIDMalformed, "GroupId " + textcut.Cut(strconv.Quote(c.id), 64) + " is empty or longer than " + strconv.Itoa(maxGroupIDBytes) + " bytes"
		}
	}
	if c.hasFrom {
		if why := accountProblem("From_Account", c.from); why != "" {
			return codes.CheckAccountMalformed, why
		}
	}
	return "", ""
}

// accountProblem says what is wrong with an account's name, or "".
func accountProblem(field, name string) string {
	if name == "" || len(name) > maxAccountBytes {
		return field + " " + textcut.Cut(strconv.Quote(name), 64) + " is empty or longer than " + strconv.Itoa(maxAccountBytes) + " bytes"
	}
	return ""
}

// missing returns the check that a conversation the server does not know
// (an ended session; in strict mode, an account or group not configured,
// a chatbot of the app being an account) fails, and why; "" when it is
// known.
func (s *Server) missing(c conversation, app *App) (codes.Check, string) {
	switch c.kind {
	case inSession:
		if !s.sessions.open(c.id) {
			return codes.CheckSessionNotFound, "session " + c.id + " was ended, or is not open in strict mode"
		}
		if st := s.life.state(c.id, true); st != DeskChatbot {
			return codes.CheckSessionNotBot, "session " + c.id + " is " + string(st) + ": it left the Chatbot phase, and the bot may not stream into it"
		}
		return "", ""
	case inC2C:
		if !s.accounts.open(c.id) {
			return codes.CheckAccountUnknown, "To_Account " + strconv.Quote(c.id) + " is not a known account (accounts are strict)"
		}
	case inGroup:
		if !s.groups.open(c.id) {
			return codes.CheckGroupUnknown, "group " + strconv.Quote(c.id) + " was removed, or is not configured in strict mode"
		}
	}
	// A chatbot of the app is one of its accounts, whether listed or not.
	if c.hasFrom && !s.accounts.open(c.from) && !s.robots.valid(app.SDKAppID, c.from) {
		return codes.CheckAccountUnknown, "From_Account " + strconv.Quote(c.from) + " is not a known account (accounts are strict)"
	}
	return "", ""
}

// conversationAttr is the name of the log line's attribute that gives the
// conversation's key: "session_id" on Desk, "conversation" elsewhere.
func (ep *endpoint) conversationAttr() string {
	if ep.conversation == inSession {
		return "session_id"
	}
	return "conversation"
}

// opened notes a stream that opened in a conversation: on a Desk session,
// the bot's message, whose text is the stream's.
func (s *Server) opened(c conversation, key string, now time.Time) {
	if c.kind != inSession {
		return
	}
	if _, from, _ := s.life.said(c.id, RoleService, true, now, calloutMsg{key: key}); from != "" {
		s.messages.add(DeskMessage{SessionID: c.id, From: from, Role: RoleService, MsgKey: key, Time: now})
	}
}
