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
	{"GET", AdminPrefix + "/", "this list"},
	{"GET", AdminPrefix + "/health", `200 {"status":"ok"} once the server is ready`},
	{"POST", AdminPrefix + "/faults", "adds a fault rule: 201 {\"id\":\"f1\"}"},
	{"GET", AdminPrefix + "/faults", "the rules, with how often each fired; limit, cursor"},
	{"DELETE", AdminPrefix + "/faults/{id}", "removes a rule (204; 404 if unknown)"},
	{"DELETE", AdminPrefix + "/faults", "removes every rule"},
	{"POST", AdminPrefix + "/sessions", `opens a session {"session_id":"…"} (needed in strict mode)`},
	{"DELETE", AdminPrefix + "/sessions/{id}", "ends a session: later calls get 141005"},
	{"GET", AdminPrefix + "/sessions", "the sessions configured, opened or ended; limit, cursor"},
	{"GET", AdminPrefix + "/requests", "the journal, newest page first; filters session_id, msg_key, code; limit, cursor"},
	{"DELETE", AdminPrefix + "/requests", "empties the journal"},
	{"GET", AdminPrefix + "/streams", "a page of streams, as summaries unless text=1; limit, cursor, text"},
	{"GET", AdminPrefix + "/streams/{msgKey}", "one stream, with its chunks and text"},
	{"GET", AdminPrefix + "/codes", "the check→code table in force, and each endpoint's own overrides"},
	{"GET", AdminPrefix + "/clock", "the server's time and how far it was moved"},
	{"POST", AdminPrefix + "/clock", `moves the server's clock forward: {"advance":"16s"}`},
	{"POST", AdminPrefix + "/reset", "faults, journal, streams, sessions and the clock back to the configuration"},
	{"GET", UIPath, "the live dashboard (a page for a browser)"},
}

// getIndex answers GET /__admin/: the admin API's routes.
func (s *Server) getIndex(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"routes": adminIndex})
}
