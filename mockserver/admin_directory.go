package mockserver

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gorilla/mux"

	"github.com/deskmock/deskmock/internal/textcut"
)

// directory is the accounts or the groups as the admin API serves them:
// POST adds one (known), DELETE removes one, GET lists those added,
// removed or configured. Without strict mode every well-formed name is
// known unless removed; in strict mode only those configured or added.
type directory struct {
	// name is the list's name in the path and its cursors: "accounts".
	name string
	// field is the JSON name of an entry's ID: "account", "group_id".
	field string
	store *sessionStore
	// strict says whether the configuration made the directory strict.
	strict func(*Config) bool
	// problem says why an ID is not well formed, or "".
	problem func(id string) string
}

// directories are the admin API's directories besides the sessions.
func (s *Server) directories() []directory {
	return []directory{
		{name: "accounts", field: "account", store: s.accounts, strict: func(c *Config) bool { return c.Accounts.Strict },
			problem: func(id string) string { return accountProblem("account", id) }},
		{name: "groups", field: "group_id", store: s.groups, strict: func(c *Config) bool { return c.Groups.Strict },
			problem: func(id string) string {
				if id == "" || len(id) > maxGroupIDBytes {
					return "group_id " + strconv.Quote(textcut.Cut(id, 64)) + " is empty or longer than " + strconv.Itoa(maxGroupIDBytes) + " bytes"
				}
				return ""
			}},
	}
}

// Entry states of a directory, as the admin API names them.
const (
	entryKnown   = "known"
	entryRemoved = "removed"
)

// directoryRoutes adds each directory's routes under the admin prefix.
func (s *Server) directoryRoutes(r *mux.Router) {
	for _, d := range s.directories() {
		p := adminPrefix + "/" + d.name
		r.Handle(p, s.requireToken(allowParams(d.post))).Methods(http.MethodPost)
		r.Handle(p, s.requireToken(allowParams(s.read(func(w http.ResponseWriter, r *http.Request) { d.get(s, w, r) }), "limit", "cursor"))).Methods(http.MethodGet)
		r.Handle(p+"/{id}", s.requireToken(allowParams(d.delete))).Methods(http.MethodDelete)
	}
	r.Handle(adminPrefix+"/robots", s.requireToken(allowParams(s.read(s.getRobots)))).Methods(http.MethodGet)
}

// set records the state of an entry, answering as the admin API does.
func (d directory) set(w http.ResponseWriter, id string, state SessionState, status int) {
	if why := d.problem(id); why != "" {
		adminError(w, http.StatusBadRequest, why)
		return
	}
	if err := d.store.set(id, state); err != nil {
		if errors.Is(err, ErrTooManySessions) {
			adminError(w, http.StatusConflict, d.name+": "+err.Error())
			return
		}
		adminError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, status, map[string]string{d.field: id, "state": entryState(state)})
}

func (d directory) post(w http.ResponseWriter, r *http.Request) {
	var in map[string]string
	if err := decodeAdmin(r, &in); err != nil {
		adminError(w, adminStatus(err), err.Error())
		return
	}
	id, ok := in[d.field]
	if !ok || len(in) != 1 {
		adminError(w, http.StatusBadRequest, `the body is {"`+d.field+`":"…"}`)
		return
	}
	d.set(w, id, SessionOpen, http.StatusCreated)
}

func (d directory) delete(w http.ResponseWriter, r *http.Request) {
	d.set(w, mux.Vars(r)["id"], SessionEnded, http.StatusOK)
}

// directoryPage is the reply of GET on a directory.
type directoryPage struct {
	Strict bool `json:"strict"`
	page[map[string]string]
}

func (d directory) get(s *Server, w http.ResponseWriter, r *http.Request) {
	limit, after, err := pageQuery(r, d.name)
	if err != nil {
		adminError(w, http.StatusBadRequest, err.Error())
		return
	}
	entries, more := d.store.page(after, limit)
	p := directoryPage{Strict: d.strict(&s.cfg), page: page[map[string]string]{Items: make([]map[string]string, len(entries))}}
	for i, e := range entries {
		p.Items[i] = map[string]string{d.field: e.SessionID, "state": entryState(e.State)}
	}
	if more {
		p.NextCursor = encodeCursor(d.name, entries[len(entries)-1].SessionID)
	}
	writeJSON(w, http.StatusOK, p)
}

// entryState names a directory entry's state.
func entryState(s SessionState) string {
	if s == SessionOpen {
		return entryKnown
	}
	return entryRemoved
}

// getRobots lists every app's chatbots, valid and deleted: at most 40 an
// app, so one page.
func (s *Server) getRobots(w http.ResponseWriter, r *http.Request) {
	items := s.robots.list(0, false)
	if items == nil {
		items = []Robot{}
	}
	writeJSON(w, http.StatusOK, page[Robot]{Items: items})
}
