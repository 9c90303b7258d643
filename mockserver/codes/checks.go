package codes

import (
	"fmt"
	"sort"
	"strings"
)

// Check names one test of the request pipeline that can fail.
type Check string

// The checks of the pipeline, in the order they run.
const (
	CheckPath               Check = "path"
	CheckMethod             Check = "method"
	CheckQuery              Check = "query"
	CheckSDKAppIDMissing    Check = "sdkappid-missing"
	CheckRandom             Check = "random"
	CheckContentType        Check = "contenttype"
	CheckSDKAppIDUnknown    Check = "sdkappid-unknown"
	CheckUserSigUndecodable Check = "usersig-undecodable"
	CheckUserSigApp         Check = "usersig-app-mismatch"
	CheckUserSigIdentifier  Check = "usersig-identifier-mismatch"
	CheckUserSigExpired     Check = "usersig-expired"
	CheckUserSigSignature   Check = "usersig-signature"
	CheckNotAdmin           Check = "not-admin"
	CheckNotDesk            Check = "not-desk"
	CheckAppRate            Check = "app-rate"
	CheckBodyTooLarge       Check = "body-too-large"
	CheckBodyNotJSON        Check = "body-not-json"
	CheckBodySchema         Check = "body-schema"
	CheckSessionIDMalformed Check = "sessionid-malformed"
	CheckSessionNotFound    Check = "session-not-found"
	CheckSessionNotBot      Check = "session-not-bot"
	CheckSessionState       Check = "session-state"
	CheckAccountMalformed   Check = "account-malformed"
	CheckAccountUnknown     Check = "account-unknown"
	CheckGroupIDMalformed   Check = "groupid-malformed"
	CheckGroupUnknown       Check = "group-unknown"
	CheckNotRobot           Check = "sender-not-robot"
	CheckRobotIDMalformed   Check = "robot-id-malformed"
	CheckRobotLimit         Check = "robot-limit"
	CheckRobotUnknown       Check = "robot-unknown"
	CheckMsgKeyUnknown      Check = "msgkey-unknown"
	CheckMsgKeyForeign      Check = "msgkey-other-session"
	CheckStreamFinished     Check = "stream-finished"
	CheckStreamIdleEnded    Check = "stream-idle-ended"
	CheckStreamRate         Check = "stream-rate"
	CheckMessageTooLarge    Check = "message-too-large"
	CheckChunkIndex         Check = "chunk-index"
	CheckInternal           Check = "internal-error"
)

// Rule maps a check to the code and ErrorInfo it answers.
type Rule struct {
	Check Check `json:"check"`
	Code  int   `json:"code"`
	// Info is the ErrorInfo text sent with the code.
	Info string `json:"info"`
	// Documented is true when the vendor documents this code for this
	// condition on the rule's endpoints; false when the mapping is
	// deskmock's inference. A rule of every endpoint is documented for
	// Desk's (DocumentedEndpoints) only: RuleFor clears it on the others.
	Documented bool `json:"documented"`
	// When says in words what fails the check.
	When string `json:"when"`
	// Endpoints names the endpoints whose pipeline runs the check ("v1",
	// "v2", "c2c", ...); empty means every endpoint. Of an endpoint's own
	// default (Variants), the endpoints it is the default of.
	Endpoints []string `json:"endpoints,omitempty"`
}

func rule(c Check, code int, documented bool, when string, endpoints ...string) Rule {
	e, ok := byCode[code]
	if !ok {
		panic(fmt.Sprintf("codes: check %s names code %d, which the catalogue lacks", c, code))
	}
	return Rule{Check: c, Code: code, Info: e.Info, Documented: documented, When: when, Endpoints: endpoints}
}

// Endpoint names, as the table's rules and overrides name them.
const (
	desk1   = "v1"
	desk2   = "v2"
	c2c     = "c2c"
	group   = "group"
	chatbot = "chatbot"
	create  = "create_robot"
	remove  = "delete_robot"
	getAll  = "get_all_robots"
	xfer    = "transfer_to_human"
	endSess = "end_session"
	endQ    = "end_queuing"
	state   = "get_session_state"
	sendMsg = "send_msg"
	chatLog = "describe_chat_messages"
	cdrList = "describe_im_cdr_list"
)

// streaming are the endpoints that stream; robots the chatbot account
// endpoints, which do not.
var (
	streaming = []string{desk1, desk2, c2c, group, chatbot}
	robots    = []string{create, remove, getAll}
)

// DocumentedEndpoints are the endpoints whose vendor pages the rules of
// every endpoint (defaults) cite: Desk's streams. On any other endpoint a
// default rule is inferred unless a variant says otherwise.
var DocumentedEndpoints = []string{desk1, desk2}

// deskControl are Desk's endpoints around a stream, which the Desk REST
// error-code page documents 1410xx codes for.
var deskControl = []string{xfer, endSess, endQ, state, sendMsg, chatLog, cdrList}

// defaults is the check→code table, in pipeline order: for each check, the
// rule of every endpoint that runs it (Endpoints) and has no default of its
// own (variants).
var defaults = []Rule{
	rule(CheckPath, 60009, false, "the path under /v4/ is not an API that deskmock serves"),
	rule(CheckMethod, 60002, false, "the method is not POST"),
	rule(CheckQuery, 60002, false, "the query string does not parse, a parameter is repeated, sdkappid is not a decimal number, or identifier or usersig is missing or empty"),
	rule(CheckSDKAppIDMissing, 60012, false, "sdkappid is missing or empty"),
	rule(CheckRandom, 60002, false, "random is missing or not an integer in 0..4294967295"),
	rule(CheckContentType, 60002, false, "contenttype is not json"),
	rule(CheckSDKAppIDUnknown, 70020, false, "sdkappid names no configured app"),
	rule(CheckUserSigUndecodable, 70003, false, "the UserSig does not decode (base64, zlib, JSON, fields)"),
	rule(CheckUserSigApp, 70014, false, "the UserSig was issued for another sdkappid"),
	rule(CheckUserSigIdentifier, 70013, false, "the UserSig was issued for another identifier"),
	rule(CheckUserSigExpired, 70001, false, "now is later than the UserSig's time + expire"),
	rule(CheckUserSigSignature, 70009, false, "the UserSig's HMAC does not match the app's secret key"),
	rule(CheckNotAdmin, 90009, true, "identifier is not an administrator of the app"),
	rule(CheckNotDesk, 141000, true, "the app is not a Desk app", desk1, desk2, xfer, endSess, endQ, state, sendMsg, chatLog, cdrList),
	rule(CheckAppRate, 60011, false, "the app made more calls to the endpoint in one second than its rate allows (chatbot APIs: 200)", chatbot, create, remove, getAll),
	rule(CheckBodyTooLarge, 93000, true, "the body is longer than the endpoint's limit (v1: 12288 bytes by default; v2, c2c, group: 262144, inferred)"),
	rule(CheckBodyNotJSON, 90001, true, "the body is not one JSON value in valid UTF-8"),
	rule(CheckBodySchema, 90010, true, "the body does not match the request schema (a field missing or of the wrong type, Finish not 0 or 1)"),
	rule(CheckSessionIDMalformed, 141006, true, "SessionId is not a UUID (8-4-4-4-12 hexadecimal digits)", desk1, desk2, xfer, endSess, endQ, state, sendMsg, chatLog),
	rule(CheckSessionNotFound, 141005, true, "the session was ended, or is not configured in strict mode (send_msg by account: the user has no session with the customer-service account)", desk1, desk2, xfer, endSess, endQ, sendMsg),
	rule(CheckSessionNotBot, 141005, false, "the session left the Chatbot phase (a transfer queued it or gave it to an agent): the bot may not stream or send into it", desk1, desk2, sendMsg),
	rule(CheckSessionState, 141004, false, "the session's state does not allow the call: a transfer outside the Chatbot phase", xfer, endQ),
	rule(CheckAccountMalformed, 90003, false, "From_Account or To_Account is empty or longer than 32 bytes", c2c, group, chatbot),
	rule(CheckAccountUnknown, 70107, false, "in strict accounts mode, From_Account or To_Account is not a known account", c2c, group, chatbot),
	rule(CheckGroupIDMalformed, 10015, false, "GroupId is empty or longer than 48 bytes", group),
	rule(CheckGroupUnknown, 10010, false, "the group was removed, or is not configured in strict groups mode", group),
	rule(CheckNotRobot, 10004, false, "From_Account is not a chatbot of the app (created, or configured, and not deleted)", chatbot),
	rule(CheckRobotIDMalformed, 10004, true, "the chatbot's UserID does not start with @RBT# or is longer than 32 bytes", create, remove),
	rule(CheckRobotLimit, 10008, false, "the app has 20 chatbots already (10008 is documented for the limit; that create_robot answers it is probable)", create),
	rule(CheckRobotUnknown, 10004, false, "the chatbot to delete was never created, or is deleted already", remove),
	rule(CheckMsgKeyUnknown, 141004, false, "MsgKey (StreamMsgID) was never issued, or its stream was evicted", streaming...),
	rule(CheckMsgKeyForeign, 141004, false, "MsgKey (StreamMsgID) belongs to a stream of another conversation", streaming...),
	rule(CheckStreamFinished, 141004, false, "MsgKey names a stream that already ended (Finish: 1, IsLast: true or the idle timeout), where the endpoint refuses calls after the end", streaming...),
	rule(CheckStreamIdleEnded, 141004, false, "the stream ended by itself: its last call was longer ago than the endpoint's idle timeout (v2, c2c, group: 15 s)", streaming...),
	rule(CheckStreamRate, 60007, false, "the stream got more continuation calls in one second than the endpoint's rate allows (v2, c2c, group: 5)", streaming...),
	rule(CheckMessageTooLarge, 93000, false, "the stream's text would reach the endpoint's message limit (v2, c2c, group: 128 KB) or the store's per-stream cap", streaming...),
	rule(CheckChunkIndex, 141004, false, "a chunk's Index is not 1 on a stream's first call, or not greater than the stream's last Index", desk2, c2c, group),
	rule(CheckInternal, 141002, true, "the mock itself failed while answering (a bug in deskmock: please report it)"),
}

// variants are the defaults of single endpoints where the vendor (or
// deskmock's inference) answers another code than defaults' rule: the
// native streams speak IM's codes, the chatbot APIs their own table.
var variants = []Rule{
	rule(CheckBodySchema, 10004, true, "the body does not match the request schema (a field missing or of the wrong type, Finish not 0 or 1)", chatbot),
	rule(CheckAccountMalformed, 10004, true, "From_Account or To_Account is empty or longer than 32 bytes", chatbot),
	rule(CheckMsgKeyUnknown, 10004, false, "MsgKey was never issued, or its stream was evicted", chatbot),
	rule(CheckMsgKeyForeign, 10004, false, "MsgKey belongs to a stream of another conversation", chatbot),
	rule(CheckStreamFinished, 10004, false, "MsgKey names a stream that already ended (Finish: 1), which the chatbot stream refuses like the newer streams", chatbot),
	rule(CheckNotAdmin, 10008, false, "identifier is not an administrator of the app (10008 is documented for delete_robot and get_all_robots)", chatbot, create),
	rule(CheckNotAdmin, 10008, true, "identifier is not an administrator of the app", remove, getAll),
	rule(CheckBodySchema, 10004, true, "the body does not match the request schema (a field missing or of the wrong type, a UserID or Robot_Account that is not a string)", create, remove),
	rule(CheckBodySchema, 10004, false, "the body is not a JSON object", getAll),
	rule(CheckInternal, 10002, true, "the mock itself failed while answering (a bug in deskmock: please report it)", chatbot, create, remove, getAll),
	rule(CheckMsgKeyUnknown, 90010, false, "StreamMsgID was never issued, or its stream was evicted", c2c, group),
	rule(CheckMsgKeyForeign, 90010, false, "StreamMsgID belongs to a stream of another conversation", c2c, group),
	rule(CheckStreamFinished, 90010, false, "StreamMsgID names a stream that already ended (IsLast: true or the idle timeout)", c2c, group),
	rule(CheckStreamIdleEnded, 90010, false, "the stream ended by itself: its last call was longer ago than 15 s", c2c, group),
	rule(CheckChunkIndex, 90010, false, "a chunk's Index is not 1 on a stream's first call, or not greater than the stream's last Index", c2c, group),
	rule(CheckInternal, 20005, false, "the mock itself failed while answering (a bug in deskmock: please report it)", c2c, group),
	rule(CheckSessionState, 141027, true, "the session is not queueing: end_queuing has nothing to end", endQ),
}

// Variants returns the defaults of single endpoints, in pipeline order of
// their checks.
func Variants() []Rule {
	return append([]Rule(nil), variants...)
}

// Defaults returns the default check→code table, in pipeline order.
func Defaults() []Rule {
	return append([]Rule(nil), defaults...)
}

// Override replaces the code or text of one check. A zero Code keeps the
// default code; an empty Info takes the catalogue text of the code, or keeps
// the default text when the code is unchanged.
type Override struct {
	Code int    `json:"code,omitempty"`
	Info string `json:"info,omitempty"`
}

// EndpointCheck is the key of an override that applies to one endpoint
// only: "v2/body-schema". A plain check name applies to every endpoint.
func EndpointCheck(endpoint string, c Check) Check { return Check(endpoint + "/" + string(c)) }

// SplitKey splits an override key into its endpoint ("" for every endpoint)
// and its check.
func SplitKey(key Check) (endpoint string, c Check) {
	if e, name, ok := strings.Cut(string(key), "/"); ok {
		return e, Check(name)
	}
	return "", key
}

// Table answers the rule of each check, with overrides applied.
type Table struct {
	rules map[Check]Rule
	order []Check
	// byEndpoint holds the rules that an endpoint's own overrides change.
	byEndpoint map[string]map[Check]Rule
}

// NewTable builds the table from the defaults and the overrides. A key of
// overrides is a check, which applies to every endpoint, or an endpoint and
// a check ("v2/body-schema", see EndpointCheck), which applies on top of
// the first to that endpoint only; endpoints are the names such keys may
// use, and the endpoints whose own defaults (variants) it keeps: all when
// none is given. NewTable fails on an override of a check that does not exist, of an
// endpoint not in endpoints or whose pipeline does not run the check, or of
// a code with no text.
func NewTable(overrides map[Check]Override, endpoints ...string) (*Table, error) {
	t := &Table{rules: make(map[Check]Rule, len(defaults)), byEndpoint: map[string]map[Check]Rule{}}
	for _, r := range defaults {
		t.rules[r.Check] = r
		t.order = append(t.order, r.Check)
	}
	for _, r := range variants {
		for _, ep := range r.Endpoints {
			if len(endpoints) > 0 && !contains(endpoints, ep) {
				continue // an endpoint the caller does not serve
			}
			if t.byEndpoint[ep] == nil {
				t.byEndpoint[ep] = map[Check]Rule{}
			}
			t.byEndpoint[ep][r.Check] = r
		}
	}
	names := make([]string, 0, len(overrides))
	for c := range overrides {
		names = append(names, string(c))
	}
	// Two passes: the overrides of every endpoint first, then each
	// endpoint's own, on top of them.
	sort.Strings(names)
	for _, pass := range []bool{false, true} {
		for _, name := range names {
			endpoint, c := SplitKey(Check(name))
			if (endpoint != "") != pass {
				continue
			}
			r, err := t.overridden(name, endpoint, c, overrides[Check(name)], endpoints)
			if err != nil {
				return nil, err
			}
			if endpoint == "" {
				t.rules[c] = r
				continue
			}
			if own, ok := t.byEndpoint[endpoint][c]; ok {
				// An endpoint's own default: its override applies to that.
				r = overrideRule(own, overrides[Check(name)])
			}
			if t.byEndpoint[endpoint] == nil {
				t.byEndpoint[endpoint] = map[Check]Rule{}
			}
			t.byEndpoint[endpoint][c] = r
		}
	}
	return t, nil
}

// overridden returns the rule of check c, as every endpoint has it, with
// the override o of key name applied.
func (t *Table) overridden(name, endpoint string, c Check, o Override, endpoints []string) (Rule, error) {
	r, ok := t.rules[c]
	if !ok {
		return Rule{}, fmt.Errorf("codes: unknown check %q (known: %s)", name, strings.Join(checkNames(), ", "))
	}
	if endpoint != "" {
		if !contains(endpoints, endpoint) {
			return Rule{}, fmt.Errorf("codes: %q: unknown endpoint %q (known: %s)", name, endpoint, strings.Join(endpoints, ", "))
		}
		if len(r.Endpoints) > 0 && !contains(r.Endpoints, endpoint) {
			return Rule{}, fmt.Errorf("codes: %q: endpoint %s does not run check %s (it runs on %s)", name, endpoint, c, strings.Join(r.Endpoints, ", "))
		}
	}
	r = overrideRule(r, o)
	if r.Info == "" {
		return Rule{}, fmt.Errorf("codes: check %q: code %d is not in the catalogue, so it needs an info text", name, r.Code)
	}
	return r, nil
}

// overrideRule applies an override to a rule: a new code takes its
// catalogue text (empty when it has none) and is no longer documented.
func overrideRule(r Rule, o Override) Rule {
	if o.Code != 0 && o.Code != r.Code {
		r.Code = o.Code
		r.Documented = false
		r.Info = ""
		if e, ok := byCode[o.Code]; ok {
			r.Info = e.Info
		}
	}
	if o.Info != "" {
		r.Info = o.Info
	}
	return r
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func checkNames() []string {
	out := make([]string, len(defaults))
	for i, r := range defaults {
		out[i] = string(r.Check)
	}
	return out
}

// Rule returns the rule of a check. It panics on a check that is not in the
// table, which is a programming error.
func (t *Table) Rule(c Check) Rule {
	r, ok := t.rules[c]
	if !ok {
		panic("codes: no rule for check " + string(c))
	}
	return r
}

// RuleFor returns the rule of a check on one endpoint: the endpoint's own
// (its default, with its overrides) if it has one, else Rule(c), which is
// documented on DocumentedEndpoints only.
func (t *Table) RuleFor(endpoint string, c Check) Rule {
	if r, ok := t.byEndpoint[endpoint][c]; ok {
		return r
	}
	r := t.Rule(c)
	if r.Documented && !contains(DocumentedEndpoints, endpoint) {
		r.Documented = false
	}
	return r
}

// EndpointRules returns, per endpoint, its own rules (its defaults that
// differ from every endpoint's, and its overrides), in pipeline order;
// endpoints without one are absent.
func (t *Table) EndpointRules() map[string][]Rule {
	out := map[string][]Rule{}
	for endpoint, rules := range t.byEndpoint {
		for _, c := range t.order {
			if r, ok := rules[c]; ok {
				out[endpoint] = append(out[endpoint], r)
			}
		}
	}
	return out
}

// Rules returns every rule, in pipeline order.
func (t *Table) Rules() []Rule {
	out := make([]Rule, len(t.order))
	for i, c := range t.order {
		out[i] = t.rules[c]
	}
	return out
}

// Markdown renders the rules as a Markdown table printed in the README. A
// documented rule of every endpoint says on which it is documented.
func Markdown(rules []Rule) string {
	var b strings.Builder
	b.WriteString("| # | check | endpoints | fails when | code | documented | ErrorInfo |\n")
	b.WriteString("|---|---|---|---|---|---|---|\n")
	for i, r := range rules {
		doc := "inferred"
		switch {
		case r.Documented && len(r.Endpoints) == 0:
			doc = "on " + strings.Join(DocumentedEndpoints, ", ")
		case r.Documented:
			doc = "yes"
		}
		eps := "all"
		if len(r.Endpoints) > 0 {
			eps = strings.Join(r.Endpoints, ", ")
		}
		fmt.Fprintf(&b, "| %d | `%s` | %s | %s | %d | %s | %s |\n", i+1, r.Check, eps, r.When, r.Code, doc, r.Info)
	}
	return b.String()
}
