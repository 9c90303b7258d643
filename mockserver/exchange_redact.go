package mockserver

import "github.com/deskmock/deskmock/internal/redact"

// redacted returns a copy of e fit to go out (the journal's answers and
// file, the dashboard's events): the query's usersig parameter hidden in
// any spelling, and any UserSig hidden wherever the client put it (path,
// other parameters, body, SessionId...) or the reply and detail repeat it.
// A field without a run of token characters is returned as it is, after a
// glance at one byte in redact.MinToken.
func (e *Exchange) redacted() Exchange {
	out := *e
	out.Query = redact.Query(out.Query)
	for _, s := range [...]*string{&out.Method, &out.Path, &out.Query, &out.Body, &out.Reply, &out.Detail,
		&out.SessionID, &out.Conversation, &out.MsgKey, &out.Chunk, &out.SentMsgKey, &out.IssuedMsgKey, &out.RequestID} {
		*s = redact.Text(*s)
	}
	return out
}
