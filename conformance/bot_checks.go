package conformance

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/deskmock/deskmock/conformance/protocol"
	"github.com/deskmock/deskmock/mockserver"
)

// botCheck is a check of a bot case with its rule.
type botCheck struct {
	CheckInfo
	run func(ev *botEvidence) verdict
}

// streamRule reuses a client check on each answer of the bot.
func streamRule(name string) botCheck {
	c, ok := checkByName(name)
	if !ok {
		panic("conformance: no client check " + name)
	}
	info := c.CheckInfo
	info.Description = "on each answer of the bot (its stream calls, as a client's): " + info.Description
	return botCheck{info, func(ev *botEvidence) verdict { return ev.perSession(c.run) }}
}

// allBotChecks lists the checks of bot cases in report order.
var allBotChecks = []botCheck{
	{CheckInfo{"bot/acknowledges", Must, "every callback that is not forged gets, at its first attempt and within 2 s, HTTP 200 with the vendor's answer: a JSON object with ActionStatus \"OK\" and ErrorCode 0"}, checkBotAcknowledges},
	{CheckInfo{"bot/answers", Must, "each user message (ChatBot.UserSendMsg) is answered by a finished stream (Finish: 1; v2: IsLast: true) in its session, on the endpoint DESKMOCK_VERSION names"}, checkBotAnswers},
	{CheckInfo{"bot/answers-once", Must, "no message is answered twice: a callback delivered again with the same RequestID (a retry) gets no second answer, and no other event (SessionBegin, ChatBot.RobotSendMsg…) gets one"}, checkBotAnswersOnce},
	{CheckInfo{"bot/ignores-forged", Must, "no stream answers a forged callback: SdkAppid of another app, a Sign the token does not give, or a RequestTime outside 60 s of now"}, checkBotIgnoresForged},
	{CheckInfo{"bot/refuses-forged", Info, "what the bot answered to forged callbacks (the vendor asks for nothing: a refusal, 403 or a JSON error, or the success answer are all fine, as long as it does not act on them)"}, checkBotRefusesForged},
	{CheckInfo{"bot/stops-when-session-ends", Must, "after a stream call got 141005 (the session ended, or was transferred to a human), the bot makes no more stream calls in that session"}, checkBotStops},
	{CheckInfo{"bot/no-cross-talk", Must, "with sessions at once, every stream call names a session of the case and each session gets the answers of its own messages only"}, checkBotNoCrossTalk},
	streamRule("request/method"),
	streamRule("request/path"),
	streamRule("request/query/params"),
	streamRule("request/query/random-range"),
	streamRule("request/query/random-fresh"),
	streamRule("request/query/contenttype"),
	streamRule("request/query/usersig"),
	streamRule("request/body/schema"),
	streamRule("stream/first-call-without-msgkey"),
	streamRule("stream/msgkey-reused"),
	streamRule("stream/nothing-after-finish"),
	streamRule("stream/no-call-after-end"),
	streamRule("v2/index-sequence"),
	streamRule("v2/paced"),
}

// BotChecks returns every check of bot cases, in report order.
func BotChecks() []CheckInfo {
	out := make([]CheckInfo, len(allBotChecks))
	for i, c := range allBotChecks {
		out[i] = c.CheckInfo
	}
	return out
}

func botCheckByName(name string) (botCheck, bool) {
	for _, c := range allBotChecks {
		if c.Name == name {
			return c, true
		}
	}
	return botCheck{}, false
}

// botEvidence is everything the checks of a bot case look at.
type botEvidence struct {
	c         *BotCase
	ep        protocol.Endpoint
	ids       []string
	exchanges []mockserver.Exchange
	callbacks []mockserver.Callback
	streams   []mockserver.Stream
	app       uint64
	// sessions are the stream calls of each session; answers split them
	// into the bot's answers, each graded as a client's stream; strays
	// are the stream calls naming no session of the case.
	sessions []*evidence
	answers  []botAnswer
	strays   []mockserver.Exchange
	notes    []string
	rules    map[string]string
}

// deskStreamPaths are the paths of Desk's streams: a bot's answer.
var deskStreamPaths = func() []string {
	var out []string
	for _, name := range []string{protocol.VersionV1, protocol.VersionV2} {
		ep, _ := protocol.EndpointOf(name)
		out = append(out, ep.Path)
	}
	return out
}()

// newBotEvidence reads what the mock journaled of a case.
func newBotEvidence(c *BotCase, m *caseMock, env BotEnv) *botEvidence {
	ev := &botEvidence{c: c, ep: c.endpoint(), ids: c.SessionIDs(), exchanges: m.exchanges(),
		callbacks: m.srv.Callbacks(mockserver.CallbackFilter{}), streams: m.srv.Streams(), app: env.SDKAppID, rules: m.rules}
	bySession := map[string][]mockserver.Exchange{}
	for _, e := range ev.exchanges {
		if !slices.Contains(deskStreamPaths, e.Path) {
			continue
		}
		var body struct{ SessionId string }
		json.Unmarshal([]byte(e.Body), &body) // a body that is no object names no session
		if !slices.Contains(ev.ids, body.SessionId) {
			ev.strays = append(ev.strays, e)
			continue
		}
		bySession[body.SessionId] = append(bySession[body.SessionId], e)
	}
	for i, id := range ev.ids {
		in := Input{Case: c.Name, BaseURL: env.BaseURL, SDKAppID: env.SDKAppID, Identifier: env.Identifier, SessionID: id, Version: c.Version}
		ev.sessions = append(ev.sessions, sessionEvidence(c, bySession[id], ev.ep, in))
		for j, part := range splitAnswers(bySession[id], ev.ep) {
			ev.answers = append(ev.answers, botAnswer{session: i, n: j + 1, ev: sessionEvidence(c, part, ev.ep, in)})
		}
	}
	return ev
}

// botAnswer is one answer of the bot: the stream calls from a call
// without MsgKey to the one that finished it.
type botAnswer struct {
	session, n int
	ev         *evidence
}

// splitAnswers splits a session's stream calls into the bot's answers,
// which may overlap: a call with a MsgKey belongs to the answer that key
// was issued to; a call without one repeats the last call of an answer
// that got no key yet after a failure of the same chunk (a retry), or
// starts an answer.
func splitAnswers(exs []mockserver.Exchange, ep protocol.Endpoint) [][]mockserver.Exchange {
	calls := analyze(exs, nil, ep)
	type part struct {
		key  string
		last *call
		exs  []mockserver.Exchange
	}
	var parts []*part
	find := func(c *call) *part {
		for _, p := range parts {
			switch {
			case c.hasMsgKey && p.key == c.msgKey:
				return p
			case !c.hasMsgKey && p.key == "" && p.last.outcome != success && c.sameChunk(p.last):
				return p
			}
		}
		return nil
	}
	for i := range calls {
		c := &calls[i]
		p := find(c)
		if p == nil {
			p = &part{}
			if c.hasMsgKey {
				p.key = c.msgKey
			}
			parts = append(parts, p)
		}
		p.exs, p.last = append(p.exs, exs[i]), c
		if p.key == "" && c.delivered != "" {
			p.key = c.delivered
		}
	}
	out := make([][]mockserver.Exchange, len(parts))
	for i, p := range parts {
		out[i] = p.exs
	}
	return out
}

// sessionEvidence grades a session's stream calls as a client's: its
// chunks are those the bot sent, each once, retries apart.
func sessionEvidence(c *BotCase, exs []mockserver.Exchange, ep protocol.Endpoint, in Input) *evidence {
	var chunks []string
	first := analyze(exs, nil, ep)
	for i := range first {
		cl := &first[i]
		if i > 0 && first[i-1].outcome != success && cl.sameChunk(&first[i-1]) {
			continue // a retry
		}
		chunks = append(chunks, cl.chunk)
	}
	cs := &Case{Name: c.Name, Input: CaseInput{Version: c.Version}, Expect: Expectation{OK: true}}
	for _, ch := range chunks {
		cs.Input.Chunks = append(cs.Input.Chunks, Chunk{Text: ch})
	}
	ev := &evidence{c: cs, ep: ep, in: in, chunks: chunks}
	ev.setRequests(analyze(exs, chunks, ep))
	return ev
}

// perSession runs a client check on each session's calls: it fails when
// it fails on one, passes when it passes on one, else is n/a.
func (ev *botEvidence) perSession(run func(*evidence) verdict) verdict {
	var fails, passes, nas []string
	diffText := ""
	for _, a := range ev.answers {
		v := run(a.ev)
		prefix := ev.answerName(a) + ": "
		switch v.outcome {
		case Fail:
			fails = append(fails, prefix+v.message)
			if diffText == "" {
				diffText = v.diff
			}
		case Pass:
			passes = append(passes, prefix+v.message)
		default:
			nas = append(nas, prefix+v.message)
		}
	}
	switch {
	case len(fails) > 0:
		return fail(diffText, "%s", strings.Join(fails, "; "))
	case len(passes) > 0:
		return pass("%s", strings.Join(passes, "; "))
	case len(nas) > 0:
		return notApplicable("%s", strings.Join(nas, "; "))
	}
	return notApplicable("the bot made no stream call in a session of the case")
}

// sessionName names session i in messages.
func (ev *botEvidence) sessionName(i int) string {
	if len(ev.ids) == 1 {
		return "session " + ev.ids[i]
	}
	return fmt.Sprintf("session %d (%s)", i+1, ev.ids[i])
}

// answerName names an answer in messages.
func (ev *botEvidence) answerName(a botAnswer) string {
	return fmt.Sprintf("%s, answer %d", ev.sessionName(a.session), a.n)
}

// forged says how a callback was forged, or "".
func (ev *botEvidence) forged(cb *mockserver.Callback) string {
	switch {
	case cb.SDKAppID != ev.app:
		return fmt.Sprintf("SdkAppid %d, not the bot's %d", cb.SDKAppID, ev.app)
	case cb.Sign == mockserver.SignBad:
		return "a Sign the token does not give"
	case cb.Sign == mockserver.SignStale:
		return "a RequestTime 120 s old"
	}
	return ""
}

// callbackName writes a callback for messages: "ChatBot.UserSendMsg of
// session 1 (RequestID …)".
func (ev *botEvidence) callbackName(cb *mockserver.Callback) string {
	what := cb.Command
	if cb.Event != "" {
		what = cb.Event
	}
	if i := slices.Index(ev.ids, cb.SessionID); i >= 0 && len(ev.ids) > 1 {
		what += fmt.Sprintf(" of session %d", i+1)
	}
	if cb.Delivery > 1 {
		what += ", delivered again"
	}
	return what + " (RequestID " + cb.RequestID + ")"
}

// signInText finds a Sign in a text, such as the URL in an error: with
// RequestTime it would let anyone replay the callback within its minute.
var signInText = regexp.MustCompile(`Sign=[0-9A-Za-z]+`)

// answerText writes an attempt's answer for messages.
func answerText(a mockserver.CallbackAttempt) string {
	if a.Error != "" {
		return signInText.ReplaceAllString(a.Error, "Sign=REDACTED")
	}
	return fmt.Sprintf("HTTP %d %s after %s", a.Status, quoteClip(a.Answer, 80), roundDuration(time.Duration(a.LatencyMS*float64(time.Millisecond))))
}

func checkBotAcknowledges(ev *botEvidence) verdict {
	var bad []string
	n := 0
	for i := range ev.callbacks {
		cb := &ev.callbacks[i]
		if ev.forged(cb) != "" || cb.Outcome == mockserver.CallbackDropped || len(cb.Attempts) == 0 {
			continue
		}
		n++
		a := cb.Attempts[0]
		if a.Outcome != mockserver.CallbackOK {
			bad = append(bad, ev.callbackName(cb)+": "+answerText(a))
		}
	}
	switch {
	case len(bad) > 0:
		return fail("", "%d of %d callbacks not acknowledged: %s. Answer every callback at once, before any other work, "+
			"with HTTP 200 and {\"ActionStatus\":\"OK\",\"ErrorInfo\":\"\",\"ErrorCode\":0}; Desk gives up after 2 s and sends it again "+
			"(with the same RequestID). Stream the answer afterwards, in the background", len(bad), n, strings.Join(bad, "; "))
	case n == 0:
		return notApplicable("no callback that was not forged was sent")
	}
	return pass("all %d callbacks acknowledged at once", n)
}

// userMessages counts the ChatBot.UserSendMsg callbacks of each session
// that were not forged (a callback delivered twice counted once).
func (ev *botEvidence) userMessages() map[string]int { return ev.countMessages(false) }

// countMessages counts the ChatBot.UserSendMsg callbacks of each session,
// forged ones too when withForged, each RequestID once.
func (ev *botEvidence) countMessages(withForged bool) map[string]int {
	seen := map[string]bool{}
	out := map[string]int{}
	for i := range ev.callbacks {
		cb := &ev.callbacks[i]
		if cb.Event != mockserver.EventUserSendMsg || !withForged && ev.forged(cb) != "" || seen[cb.RequestID] {
			continue
		}
		seen[cb.RequestID] = true
		out[cb.SessionID]++
	}
	return out
}

// streamsOf returns the streams of a session.
func (ev *botEvidence) streamsOf(id string) []mockserver.Stream {
	var out []mockserver.Stream
	for _, s := range ev.streams {
		if s.SessionID == id {
			out = append(out, s)
		}
	}
	return out
}

func checkBotAnswers(ev *botEvidence) verdict {
	if !ev.c.answered() {
		return notApplicable("the case expects no finished answer (its messages are forged, or the session ends mid-stream)")
	}
	var bad []string
	for i, id := range ev.ids {
		finished, wrongVersion := 0, 0
		for _, s := range ev.streamsOf(id) {
			if s.Finished {
				finished++
			}
			if s.Version != ev.c.Version {
				wrongVersion++
			}
		}
		want := len(ev.c.Messages)
		switch {
		case wrongVersion > 0:
			bad = append(bad, fmt.Sprintf("%s: %d stream(s) on the other endpoint than %s (DESKMOCK_VERSION=%s: %s)", ev.sessionName(i), wrongVersion, ev.c.Version, ev.c.Version, ev.ep.Path))
		case finished < want:
			bad = append(bad, fmt.Sprintf("%s: %d finished stream(s) for %d user message(s)", ev.sessionName(i), finished, want))
		}
	}
	if len(bad) > 0 {
		msg := strings.Join(bad, "; ")
		if len(ev.notes) > 0 {
			msg += " (" + strings.Join(ev.notes, "; ") + ")"
		}
		return fail("", "%s. On each Desk.SessionEventNotify whose Event is ChatBot.UserSendMsg, stream an answer into its SessionId "+
			"(POST DESKMOCK_BASE_URL + %s with sdkappid, identifier, usersig, random and contenttype=json) and end it with Finish: 1 (v2: IsLast: true)", msg, ev.ep.Path)
	}
	return pass("each of the %d session(s) got a finished stream per user message", len(ev.ids))
}

func checkBotAnswersOnce(ev *botEvidence) verdict {
	msgs := ev.countMessages(true) // an answer to a forged one is bot/ignores-forged's
	var bad []string
	for i, id := range ev.ids {
		if n := len(ev.streamsOf(id)); n > msgs[id] {
			bad = append(bad, fmt.Sprintf("%s: %d streams for %d user message(s)", ev.sessionName(i), n, msgs[id]))
		}
	}
	if len(bad) > 0 {
		why := ""
		if slices.ContainsFunc(ev.callbacks, func(cb mockserver.Callback) bool { return cb.Delivery > 1 }) {
			why = " A callback was delivered twice with the same RequestID: keep the RequestIDs seen (a few minutes' worth) and answer a repeated one with the success answer only."
		}
		return fail("", "%s.%s Answer ChatBot.UserSendMsg only, once per RequestID", strings.Join(bad, "; "), why)
	}
	return pass("no session got more streams than its user sent messages")
}

func checkBotIgnoresForged(ev *botEvidence) verdict {
	var forged []string
	sessions := map[string]bool{}
	for i := range ev.callbacks {
		cb := &ev.callbacks[i]
		if how := ev.forged(cb); how != "" && cb.Event == mockserver.EventUserSendMsg {
			forged = append(forged, ev.callbackName(cb)+": "+how)
			sessions[cb.SessionID] = true
		}
	}
	if len(forged) == 0 {
		return notApplicable("no user message was forged")
	}
	var answered []string
	msgs := ev.userMessages()
	for i, id := range ev.ids {
		if n := len(ev.streamsOf(id)); sessions[id] && n > msgs[id] {
			answered = append(answered, fmt.Sprintf("%s got %d stream(s)", ev.sessionName(i), n))
		}
	}
	if len(answered) > 0 {
		return fail("", "the bot answered a forged callback (%s): %s. Before acting on a callback check that SdkAppid is your app's, "+
			"that RequestTime is within 60 s of your clock and that Sign is hex(sha256(token + RequestTime)) (compare in constant time)",
			strings.Join(forged, "; "), strings.Join(answered, "; "))
	}
	return pass("no answer to the %d forged callback(s)", len(forged))
}

func checkBotRefusesForged(ev *botEvidence) verdict {
	var got []string
	for i := range ev.callbacks {
		cb := &ev.callbacks[i]
		if ev.forged(cb) == "" || len(cb.Attempts) == 0 {
			continue
		}
		got = append(got, ev.callbackName(cb)+": "+answerText(cb.Attempts[0]))
	}
	if len(got) == 0 {
		return notApplicable("no callback was forged")
	}
	return pass("%s", strings.Join(got, "; "))
}

func checkBotStops(ev *botEvidence) verdict {
	var bad, ok []string
	for i, s := range ev.sessions {
		for j := range s.calls {
			c := &s.calls[j]
			if c.code != SessionGoneCode {
				continue
			}
			if rest := len(s.calls) - j - 1; rest > 0 {
				bad = append(bad, fmt.Sprintf("%s: call #%d got 141005 (%s), yet the bot made %d more stream call(s)", ev.sessionName(i), c.n, whySessionGone(c), rest))
			} else {
				ok = append(ok, fmt.Sprintf("%s: stopped at call #%d's 141005 (%s)", ev.sessionName(i), c.n, whySessionGone(c)))
			}
			break
		}
	}
	switch {
	case len(bad) > 0:
		return fail("", "%s. A session that ended or went to a human never comes back to the bot: stop the answer at the first 141005, retry nothing", strings.Join(bad, "; "))
	case len(ok) == 0:
		return notApplicable("no stream call got 141005")
	}
	return pass("%s", strings.Join(ok, "; "))
}

func checkBotNoCrossTalk(ev *botEvidence) verdict {
	if len(ev.strays) > 0 {
		var names []string
		for _, e := range ev.strays {
			var body struct{ SessionId any }
			json.Unmarshal([]byte(e.Body), &body)
			names = append(names, fmt.Sprintf("%v", body.SessionId))
		}
		return fail("", "%d stream call(s) name no session of the case (SessionId %s): answer into the SessionId of the callback", len(ev.strays), strings.Join(names, ", "))
	}
	if len(ev.ids) == 1 {
		return notApplicable("one session: nothing to mix up")
	}
	msgs := ev.userMessages()
	var bad []string
	for i, id := range ev.ids {
		if n := len(ev.streamsOf(id)); n != msgs[id] {
			bad = append(bad, fmt.Sprintf("%s: %d stream(s) for %d message(s)", ev.sessionName(i), n, msgs[id]))
		}
	}
	if len(bad) > 0 {
		return fail("", "%s: answers went to the wrong sessions. Keep no conversation state in globals: take the SessionId from each callback and stream its answer there", strings.Join(bad, "; "))
	}
	return pass("each of the %d sessions got one stream per message of its own", len(ev.ids))
}

// gradeBot runs every bot check.
func gradeBot(ev *botEvidence) []CheckResult {
	out := make([]CheckResult, 0, len(allBotChecks))
	for _, chk := range allBotChecks {
		level := chk.Level
		if l, ok := ev.c.Levels[chk.Name]; ok {
			level = l
		}
		var v verdict
		if level == Skip {
			v, level = notApplicable("does not apply to this case"), chk.Level
		} else {
			v = chk.run(ev)
		}
		out = append(out, CheckResult{Name: chk.Name, Level: level, Outcome: v.outcome, Message: v.message, Diff: v.diff})
	}
	return out
}

// transcript interleaves the callbacks the bot got (each attempt) and the
// requests it made, in time order from start.
func (ev *botEvidence) transcript(start time.Time) []Entry {
	roles := map[uint64]string{}
	for _, a := range ev.answers {
		for j := range a.ev.requests {
			c := &a.ev.requests[j]
			roles[c.Seq] = ev.answerName(a) + ": " + role(c, len(a.ev.chunks))
		}
	}
	type timed struct {
		at time.Time
		e  Entry
	}
	var all []timed
	for _, x := range ev.exchanges {
		r, ok := roles[x.Seq]
		if !ok {
			r = "a call of the bot"
			if slices.Contains(deskStreamPaths, x.Path) {
				r = "a stream call naming no session of the case"
			}
		}
		all = append(all, timed{x.Time, Entry{Method: x.Method, Path: x.Path, Query: x.Query, Body: x.Body, Status: x.Status, Reply: x.Reply,
			Fault: x.Fault, Action: x.Action, Rule: ev.rules[x.Fault], Check: string(x.Check), Applied: x.Applied,
			Latency: time.Duration(x.LatencyMS * float64(time.Millisecond)), Role: r}})
	}
	for i := range ev.callbacks {
		cb := &ev.callbacks[i]
		path, query := "/", ""
		if u, err := url.Parse(cb.URL); err == nil {
			path, query = u.Path, u.RawQuery
		}
		for k, a := range cb.Attempts {
			r := fmt.Sprintf("callback to the bot: %s, attempt %d: %s", ev.callbackName(cb), k+1, a.Outcome)
			if a.Outcome == "" {
				r = fmt.Sprintf("callback to the bot: %s, attempt %d: failed (%s)", ev.callbackName(cb), k+1, answerText(a))
			}
			if how := ev.forged(cb); how != "" {
				r += "; forged: " + how
			}
			all = append(all, timed{a.Time, Entry{Method: "POST", Path: "bot " + path, Query: query, Body: cb.Body, Status: a.Status, Reply: a.Answer,
				Fault: strings.Join(cb.Faults, ","), Latency: time.Duration(a.LatencyMS * float64(time.Millisecond)), Role: r}})
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].at.Before(all[j].at) })
	out := make([]Entry, len(all))
	for i, t := range all {
		out[i] = t.e
		out[i].N, out[i].At = i+1, t.at.Sub(start)
	}
	return out
}
