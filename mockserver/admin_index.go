package mockserver

import "net/http"

// adminRoute is one route of the admin API, as its index lists it.
type adminRoute struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	Does   string `json:"does"`
}

// adminIndex lists every route of the admin API, in the README's order.
// TestAdminIndexListsEveryRoute holds it to the router and the README.
var adminIndex = []adminRoute{
	{"GET", adminPrefix + "/", "this list"},
	{"GET", adminPrefix + "/health", `200 {"status":"ok"} once the server is ready; 503 "degraded", with the problems, while the journal file or the log is failing`},
	{"POST", adminPrefix + "/faults", "adds a fault rule: 201 {\"id\":\"f1\"}"},
	{"GET", adminPrefix + "/faults", "the rules, with how often each fired; limit, cursor"},
	{"DELETE", adminPrefix + "/faults/{id}", "removes a rule (204; 404 if unknown)"},
	{"DELETE", adminPrefix + "/faults", "removes every rule"},
	{"POST", adminPrefix + "/sessions", `opens a session {"session_id":"…"} (needed in strict mode)`},
	{"DELETE", adminPrefix + "/sessions/{id}", "ends a session: later calls get 141005"},
	{"GET", adminPrefix + "/sessions", "the sessions configured, opened or ended; limit, cursor"},
	{"GET", adminPrefix + "/sessions/{id}", "a Desk session's life: current_state, agent_id, end_status, satisfaction, queue_position, events, messages"},
	{"POST", adminPrefix + "/sessions/{id}/begin", `starts a session for a user {"client_user_id":"…","customer_service_id":"…","channel_type":"SDK"} (SessionBegin); every action answers {"events":[…],"session":{…}}`},
	{"POST", adminPrefix + "/sessions/{id}/user-message", `the user says {"text":"…"} (ChatBot.UserSendMsg in the bot's phase)`},
	{"POST", adminPrefix + "/sessions/{id}/agent-message", `the agent says {"text":"…"} (the Agent phase only)`},
	{"POST", adminPrefix + "/sessions/{id}/transfer", `hands the session to a human as transfer_to_human would; the body, optional, takes its options (AgentIdList, Priority, QueueTimeout, …)`},
	{"POST", adminPrefix + "/sessions/{id}/accept", `the agent accepts the session (waiting, or queued: {"agent_id":"…"} or any agent with room)`},
	{"POST", adminPrefix + "/sessions/{id}/agent-end", "the session's agent ends it (AgentEndedSession); the next queued session takes the place"},
	{"POST", adminPrefix + "/sessions/{id}/user-silent", "the user stops replying: User.ReplyTimeout, and the session ends (UserTimeout)"},
	{"POST", adminPrefix + "/sessions/{id}/rate", `the user rates the session {"stars":1..5} (Session.Rated), once, in the Agent phase or after the end`},
	{"POST", adminPrefix + "/scenarios", "plays a scenario, the body's YAML or JSON: 201 and its status (400 naming the line of a bad one)"},
	{"GET", adminPrefix + "/scenarios", "the scenarios played or playing (the last 8), each step's time, events and error"},
	{"DELETE", adminPrefix + "/scenarios", "stops every scenario and forgets them"},
	{"GET", adminPrefix + "/scenarios/{id}", "one scenario's status"},
	{"DELETE", adminPrefix + "/scenarios/{id}", "stops a scenario"},
	{"POST", adminPrefix + "/accounts", `adds an account the C2C and group streams know {"account":"…"} (needed in strict mode)`},
	{"DELETE", adminPrefix + "/accounts/{id}", "removes an account: later streams naming it get 70107"},
	{"GET", adminPrefix + "/accounts", "the accounts configured, added or removed; limit, cursor"},
	{"POST", adminPrefix + "/groups", `adds a group the group stream knows {"group_id":"…"} (needed in strict mode)`},
	{"DELETE", adminPrefix + "/groups/{id}", "removes a group: later streams into it get 10010"},
	{"GET", adminPrefix + "/groups", "the groups configured, added or removed; limit, cursor"},
	{"GET", adminPrefix + "/robots", "every app's chatbot accounts, configured or created, valid or deleted"},
	{"GET", adminPrefix + "/requests", "the journal, newest page first; filters session_id, conversation, msg_key, code; limit, cursor"},
	{"DELETE", adminPrefix + "/requests", "empties the journal"},
	{"GET", adminPrefix + "/streams", "a page of streams, as summaries unless text=1; limit, cursor, text"},
	{"GET", adminPrefix + "/streams/{msgKey}", "one stream, with its chunks and text"},
	{"GET", adminPrefix + "/codes", "the check→code table in force, and each endpoint's own overrides"},
	{"GET", adminPrefix + "/clock", "the server's time and how far it was moved"},
	{"POST", adminPrefix + "/clock", `moves the server's clock forward: {"advance":"16s"}`},
	{"POST", adminPrefix + "/reset", "faults, journal, streams, sessions, accounts, groups, chatbots and the clock back to the configuration"},
	{"GET", UIPath, "the live dashboard (a page for a browser)"},
}

// getIndex answers GET /__admin/: the admin API's routes.
func (s *Server) getIndex(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"routes": adminIndex})
}
