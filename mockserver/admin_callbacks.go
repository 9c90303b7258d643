package mockserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/gorilla/mux"
)

// The admin API of the callbacks: read and change where they go, read
// their journal, and make a user write to a chatbot.

// callbackIndex are the callbacks' routes in the admin index.
var callbackIndex = []adminRoute{
	{"GET", adminPrefix + "/callbacks", "the callbacks in force (tokens REDACTED), each app's with defaults filled, and their status: queued, sent, ok, refused, failed, dropped"},
	{"PUT", adminPrefix + "/callbacks", `sets the default callbacks, or with ?sdkappid=N an app's own: {"url":"…","token":"…","timeout":"2s","retries":2,"events":[…]} (token "REDACTED" keeps the one in force)`},
	{"GET", adminPrefix + "/callbacks/log", "the callbacks delivered or dropped, oldest first, with their attempts; filters session_id, conversation, command, event, request_id, outcome; after (an entry) and limit page on"},
	{"POST", adminPrefix + "/robots/{id}/user-message", `a user writes to a chatbot {"from":"user1","text":"hi"} (Bot.OnC2CMessage)`},
	{"POST", adminPrefix + "/groups/{id}/user-message", `a user writes in a group, mentioning chatbots {"from":"user1","text":"@@RBT#my_bot hi","at_robots":["@RBT#my_bot"]} (Bot.OnGroupMessage)`},
}

func init() { adminIndex = append(adminIndex, callbackIndex...) }

// callbackRoutes adds the callbacks' routes under the admin prefix.
func (s *Server) callbackRoutes(r *mux.Router) {
	p := adminPrefix
	r.Handle(p+"/callbacks", s.requireToken(allowParams(s.read(s.getCallbacks)))).Methods(http.MethodGet)
	r.Handle(p+"/callbacks", s.requireToken(allowParams(s.putCallbacks, "sdkappid"))).Methods(http.MethodPut)
	r.Handle(p+"/callbacks/log", s.requireToken(allowParams(s.read(s.getCallbackLog),
		"session_id", "conversation", "command", "event", "request_id", "outcome", "after", "limit"))).Methods(http.MethodGet)
	r.Handle(p+"/robots/{id}/user-message", s.requireToken(allowParams(s.postRobotMessage))).Methods(http.MethodPost)
	r.Handle(p+"/groups/{id}/user-message", s.requireToken(allowParams(s.postGroupMessage))).Methods(http.MethodPost)
	r.Handle(uiAPI+"/callbacks", s.uiGuard(s.read(s.uiGetCallbacks), true)).Methods(http.MethodGet)
}

// uiCallbacks is how many callbacks the dashboard loads, the newest.
const uiCallbacks = 50

// uiGetCallbacks answers the dashboard the newest callbacks, oldest first.
func (s *Server) uiGetCallbacks(w http.ResponseWriter, r *http.Request) {
	all := s.Callbacks(CallbackFilter{})
	writeJSON(w, http.StatusOK, map[string]any{"callbacks": all[max(0, len(all)-uiCallbacks):]})
}

// callbacksView is what GET /__admin/callbacks answers.
type callbacksView struct {
	// Default and Apps are as set; InForce is each app's, defaults filled.
	Default Callbacks            `json:"default"`
	Apps    map[string]Callbacks `json:"apps"`
	InForce map[string]Callbacks `json:"in_force"`
	Status  CallbackStatus       `json:"status"`
}

func (s *Server) getCallbacks(w http.ResponseWriter, r *http.Request) {
	set := s.CallbackSettings()
	v := callbacksView{Default: set.Default.redacted(), Apps: map[string]Callbacks{}, InForce: map[string]Callbacks{}, Status: s.CallbackStatus()}
	for id, a := range set.Apps {
		v.Apps[strconv.FormatUint(id, 10)] = a.redacted()
	}
	for _, a := range s.cfg.Apps {
		v.InForce[strconv.FormatUint(a.SDKAppID, 10)] = s.CallbacksFor(a.SDKAppID).redacted()
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) putCallbacks(w http.ResponseWriter, r *http.Request) {
	var app uint64
	if q := r.URL.Query().Get("sdkappid"); q != "" {
		n, err := strconv.ParseUint(q, 10, 64)
		if err != nil || n == 0 {
			adminError(w, http.StatusBadRequest, "sdkappid: not an app's sdkappid")
			return
		}
		app = n
	}
	var in Callbacks
	if err := decodeAdmin(r, &in); err != nil {
		adminError(w, adminStatus(err), err.Error())
		return
	}
	if err := s.SetCallbacks(app, in); err != nil {
		adminError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.getCallbacks(w, r)
}

func (s *Server) getCallbackLog(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := CallbackFilter{Conversation: q.Get("conversation"), SessionID: q.Get("session_id"), Command: q.Get("command"),
		Event: q.Get("event"), RequestID: q.Get("request_id"), Outcome: q.Get("outcome")}
	if a := q.Get("after"); a != "" {
		n, err := strconv.ParseUint(a, 10, 64)
		if err != nil {
			adminError(w, http.StatusBadRequest, "after: not a number")
			return
		}
		f.After = n
	}
	limit, _, err := pageQuery(r, "callbacks") // cursor is not among the route's parameters
	if err != nil {
		adminError(w, http.StatusBadRequest, err.Error())
		return
	}
	all := s.Callbacks(f)
	out := callbackPage{Callbacks: all[:0:0]}
	for held := pageEnvelope; len(out.Callbacks) < min(limit, len(all)); {
		e := all[len(out.Callbacks)]
		b, _ := json.Marshal(&e) // strings, numbers and times always encode
		if held += len(b) + 1; held > maxPageBytes && len(out.Callbacks) > 0 {
			out.Capped = true
			break
		}
		out.Callbacks = append(out.Callbacks, e)
	}
	if n := len(out.Callbacks); n < len(all) {
		out.NextAfter = out.Callbacks[n-1].Entry
	}
	writeJSON(w, http.StatusOK, out)
}

// callbackPage is a page of the callbacks' journal: the first that match,
// oldest first, and when more remain the after that continues it.
type callbackPage struct {
	Callbacks []Callback `json:"callbacks"`
	NextAfter uint64     `json:"next_after,omitempty"`
	// Capped is true when the page stopped before its limit, at 8 MiB.
	Capped bool `json:"capped,omitempty"`
}

// userMessage is the body of the user-message routes of chatbots.
type userMessage struct {
	From     string   `json:"from"`
	Text     string   `json:"text"`
	AtRobots []string `json:"at_robots"`
}

func (s *Server) postRobotMessage(w http.ResponseWriter, r *http.Request) {
	var in userMessage
	if err := decodeAdmin(r, &in); err != nil {
		adminError(w, adminStatus(err), err.Error())
		return
	}
	if err := s.UserToRobot(mux.Vars(r)["id"], in.From, in.Text); err != nil {
		adminError(w, userMessageStatus(err), err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "sent"})
}

func (s *Server) postGroupMessage(w http.ResponseWriter, r *http.Request) {
	var in userMessage
	if err := decodeAdmin(r, &in); err != nil {
		adminError(w, adminStatus(err), err.Error())
		return
	}
	if err := s.UserToGroup(mux.Vars(r)["id"], in.From, in.Text, in.AtRobots); err != nil {
		adminError(w, userMessageStatus(err), err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "sent"})
}

// userMessageStatus is 404 for a chatbot that is no valid one, else 400.
func userMessageStatus(err error) int {
	if errors.Is(err, errNoRobot) {
		return http.StatusNotFound
	}
	return http.StatusBadRequest
}

// errNoRobot is the error of a message to a chatbot no app has.
var errNoRobot = errors.New("mockserver: no app has a valid chatbot of that UserID")

// robotApp returns the app of a valid chatbot.
func (s *Server) robotApp(id string) (uint64, error) {
	for _, rb := range s.robots.list(0, true) {
		if rb.UserID == id {
			return rb.SDKAppID, nil
		}
	}
	return 0, fmt.Errorf("%w: %q", errNoRobot, id)
}

// checkUserText checks the sender and text of a user's message.
func checkUserText(from, text string) error {
	if why := accountProblem("from", from); why != "" {
		return errors.New("mockserver: " + why)
	}
	if text == "" || len(text) > maxSayBytes {
		return errors.New("mockserver: text: empty or longer than 12 KiB")
	}
	return nil
}

// UserToRobot makes a user (from) send a C2C text message to a chatbot:
// IM's Bot.OnC2CMessage callback goes to the chatbot's app (when it has
// a callback URL).
func (s *Server) UserToRobot(robot, from, text string) error {
	if err := checkUserText(from, text); err != nil {
		return err
	}
	app, err := s.robotApp(robot)
	if err != nil {
		return err
	}
	s.callbacks.bot(app, CommandBotC2CMessage, callbackConversation("c2c", from, robot), from, func(now time.Time, key string) any {
		return &botC2C{CallbackCommand: CommandBotC2CMessage, From: from, To: robot, MsgSeq: rand.Uint32(), MsgRandom: rand.Uint32(),
			MsgTime: now.Unix(), MsgKey: key, ErrorInfo: "send msg succeed", MsgBody: rawJSON(textBody(text)), EventTime: now.UnixMilli()}
	})
	return nil
}

// UserToGroup makes a user (from) send a text message in a group that
// mentions chatbots (atRobots, of one app): IM's Bot.OnGroupMessage goes
// to their app. Without a chatbot mentioned nothing is sent, as IM sends
// nothing for a message that mentions none.
func (s *Server) UserToGroup(group, from, text string, atRobots []string) error {
	if err := checkUserText(from, text); err != nil {
		return err
	}
	if group == "" || len(group) > maxGroupIDBytes {
		return fmt.Errorf("mockserver: group: empty or longer than %d bytes", maxGroupIDBytes)
	}
	if len(atRobots) > maxRobotsPerApp {
		return fmt.Errorf("mockserver: at_robots: more than %d", maxRobotsPerApp)
	}
	var app uint64
	for _, id := range atRobots {
		a, err := s.robotApp(id)
		if err != nil {
			return err
		}
		if app != 0 && a != app {
			return errors.New("mockserver: at_robots: chatbots of different apps")
		}
		app = a
	}
	if app == 0 {
		return nil
	}
	s.callbacks.bot(app, CommandBotGroupMessage, callbackConversation("group", group, from), from, func(now time.Time, _ string) any {
		return &botGroup{CallbackCommand: CommandBotGroupMessage, GroupID: group, Type: "Public", From: from, Operator: from,
			Random: rand.Uint32(), MsgSeq: rand.Uint32(), MsgTime: now.Unix(), MsgBody: rawJSON(textBody(text)),
			AtRobots: slices.Clone(atRobots), EventTime: now.UnixMilli()}
	})
	return nil
}

// bot queues a chatbot callback of an app, when its callbacks send the
// command: body makes its body at now, with a MsgKey made up for it (the
// message is not kept: deskmock has no C2C or group message store).
func (c *callbacks) bot(app uint64, command, conversation, from string, body func(now time.Time, key string) any) {
	cfg := c.settings(app)
	if !cfg.sends(command) {
		return
	}
	now := c.srv.now()
	b, _ := json.Marshal(body(now, c.msgKey(now.Unix()))) // strings and numbers always encode
	c.enqueue(&callout{command: command, conversation: conversation, sdkappid: app, cfg: cfg, body: b, size: 256 + len(b)}, from)
}
