package mockserver

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// botHit is one callback a test bot received.
type botHit struct {
	at       time.Time
	remote   string // the connection's address at the bot
	rawQuery string
	query    url.Values
	body     map[string]any
	rawBody  string
}

// testBot is a bot's web server that records every callback and answers
// as its answer function says (the vendor's success by default).
type testBot struct {
	*httptest.Server
	mu     sync.Mutex
	hits   []botHit
	answer func(n int, w http.ResponseWriter, r *http.Request)
}

const okAnswer = `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`

func newTestBot(t *testing.T, answer func(n int, w http.ResponseWriter, r *http.Request)) *testBot {
	t.Helper()
	b := &testBot{answer: answer}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		h := botHit{at: time.Now(), remote: r.RemoteAddr, rawQuery: r.URL.RawQuery, query: r.URL.Query(), rawBody: string(raw)}
		json.Unmarshal(raw, &h.body)
		b.mu.Lock()
		b.hits = append(b.hits, h)
		n := len(b.hits)
		b.mu.Unlock()
		if b.answer != nil {
			b.answer(n, w, r)
			return
		}
		io.WriteString(w, okAnswer)
	}))
	t.Cleanup(b.Close)
	return b
}

// wait returns the hits once there are n, failing after 10 s.
func (b *testBot) wait(t *testing.T, n int) []botHit {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b.mu.Lock()
		hits := append([]botHit(nil), b.hits...)
		b.mu.Unlock()
		if len(hits) >= n {
			return hits
		}
		if time.Now().After(deadline) {
			t.Fatalf("the bot got %d callbacks, want %d", len(hits), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// withCallbacks sends the default app's callbacks as cb says.
func withCallbacks(cb Callbacks) Option { return func(c *Config) { c.Callbacks = cb } }

// await waits for n callbacks that match f in the server's journal.
func await(t *testing.T, ts *TestServer, f CallbackFilter, n int) []Callback {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := ts.AwaitCallbacks(ctx, f, n)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func intp(n int) *int { return &n }

// The vendor's worked example signs, and a bot's checks of the query
// accept a right callback and name what is wrong with the others.
func TestCallbackSign(t *testing.T) {
	if got, want := CallbackSign("xxxxyyyy", 1669872112), "17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061"; got != want {
		t.Errorf("Sign %s, want the vendor's %s", got, want)
	}
	now := time.Unix(1669872112, 0)
	q := func(app uint64, token string, rt int64) url.Values {
		v, _ := url.ParseQuery(CallbackQuery(app, CommandDeskEvent, "127.0.0.1", "RESTAPI", "r1", token, rt))
		return v
	}
	tests := []struct {
		name    string
		query   url.Values
		token   string
		wantErr string
	}{
		{"signed now", q(1400000001, "xxxxyyyy", now.Unix()), "xxxxyyyy", ""},
		{"59 s old", q(1400000001, "xxxxyyyy", now.Unix()-59), "xxxxyyyy", ""},
		{"no token, no Sign", q(1400000001, "", 0), "", ""},
		{"another app", q(1400000002, "xxxxyyyy", now.Unix()), "xxxxyyyy", "SdkAppid"},
		{"another token", q(1400000001, "other", now.Unix()), "xxxxyyyy", "Sign"},
		{"61 s old", q(1400000001, "xxxxyyyy", now.Unix()-61), "xxxxyyyy", "RequestTime"},
		{"unsigned when a token is expected", q(1400000001, "", 0), "xxxxyyyy", "RequestTime"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifyCallback(tt.query, 1400000001, tt.token, now, time.Minute)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("error %v, want one about %q", err, tt.wantErr)
			}
		})
	}
	got := CallbackQuery(1400000001, CommandDeskEvent, "127.0.0.1", "RESTAPI", "r1", "xxxxyyyy", 1669872112)
	want := "SdkAppid=1400000001&CallbackCommand=Desk.SessionEventNotify&contenttype=json&ClientIP=127.0.0.1&OptPlatform=RESTAPI&RequestID=r1" +
		"&Sign=17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061&RequestTime=1669872112"
	if got != want {
		t.Errorf("query\n%s\nwant\n%s", got, want)
	}
}

// Every event of a Desk session reaches the bot, in the session's order,
// with the vendor's query string, a valid Sign, and the session's and the
// message's fields.
func TestDeskCallbacksCarryTheSession(t *testing.T) {
	bot := newTestBot(t, nil)
	ts := NewTestServer(t, withCallbacks(Callbacks{URL: bot.URL + "/desk?x=1", Token: "tok"}))
	p := "/__admin/sessions/" + testSession
	adminCode(t, ts, "POST", p+"/begin", `{"client_user_id":"user01","channel_type":"SDK"}`, 200)
	adminCode(t, ts, "POST", p+"/user-message", `{"text":"Where is my order?"}`, 200)
	first := post(t, ts.EndpointURL(), ChunkBody(testSession, "", "Let me ", false))
	post(t, ts.EndpointURL(), ChunkBody(testSession, first.MsgKey, "check.", true))
	deskCall(t, ts, SendMsgPath, `{"SessionId":"`+testSession+`","CloudCustomData":"{\"k\":1}","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"One moment."}}]}`)
	deskCall(t, ts, TransferPath, `{"SessionId":"`+testSession+`"}`)
	adminCode(t, ts, "POST", p+"/agent-message", `{"text":"Hello, I am Alice."}`, 200)
	adminCode(t, ts, "POST", p+"/user-message", `{"text":"Hi Alice"}`, 200)
	adminCode(t, ts, "POST", p+"/agent-end", ``, 200)
	adminCode(t, ts, "POST", p+"/rate", `{"stars":4}`, 200)

	life := ts.DeskSession(testSession).Events
	hits := bot.wait(t, len(life))
	type row struct {
		Event, AgentID, Text, CloudCustomData string
		Stars                                 float64
	}
	want := []row{
		{EventSessionBegin, "", "", "", 0},
		{EventUserSendMsg, "", "Where is my order?", "", 0},
		{EventRobotSendMsg, "", "Let me ", "", 0},
		{EventRobotSendMsg, "", "One moment.", `{"k":1}`, 0},
		{EventTransferStarted, "", "", "", 0},
		{EventTransferred, "agent@example.com", "", "", 0},
		{EventAgentSendMsg, "agent@example.com", "Hello, I am Alice.", "", 0},
		{EventAgentUserSendMsg, "agent@example.com", "Hi Alice", "", 0},
		{EventSessionEnded, "agent@example.com", "", "", 0},
		{EventRated, "agent@example.com", "", "", 4},
	}
	var got []row
	ids := map[string]bool{}
	for i, h := range hits {
		r := row{Event: h.body["Event"].(string), AgentID: h.body["AgentId"].(string)}
		r.Stars, _ = h.body["SatisfactionSelected"].(float64)
		if body, ok := h.body["MsgBody"].([]any); ok {
			r.Text = body[0].(map[string]any)["MsgContent"].(map[string]any)["Text"].(string)
			if k, _ := h.body["MsgKey"].(string); k == "" {
				t.Errorf("callback %d (%s): a message without MsgKey", i, r.Event)
			}
			r.CloudCustomData = h.body["CloudCustomData"].(string)
		}
		r.Text = strings.TrimSuffix(r.Text, "check.") // the stream's text when the callback left
		got = append(got, r)
		for k, v := range map[string]string{"SdkAppid": "1400000001", "CallbackCommand": CommandDeskEvent, "contenttype": "json",
			"ClientIP": DefaultClientIP, "OptPlatform": DefaultOptPlatform, "x": "1"} {
			if h.query.Get(k) != v {
				t.Errorf("callback %d: %s=%q, want %q", i, k, h.query.Get(k), v)
			}
		}
		if err := VerifyCallback(h.query, 1400000001, "tok", time.Now(), time.Minute); err != nil {
			t.Errorf("callback %d: %v", i, err)
		}
		ids[h.query.Get("RequestID")] = true
		for k, v := range map[string]any{"CallbackCommand": CommandDeskEvent, "SessionId": testSession, "ChannelType": "SDK",
			"ClientUserId": "user01", "CustomerServiceId": defaultCustomerService, "IsContactUser": false} {
			if h.body[k] != v {
				t.Errorf("callback %d: %s %v, want %v", i, k, h.body[k], v)
			}
		}
		if ms := h.body["EventTime"].(float64); ms != float64(life[i].Time.UnixMilli()) {
			t.Errorf("callback %d: EventTime %v, want the event's %d ms", i, ms, life[i].Time.UnixMilli())
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("callbacks (-want +got):\n%s", diff)
	}
	if len(ids) != len(hits) {
		t.Errorf("%d RequestIDs for %d callbacks", len(ids), len(hits))
	}
	conns := map[string]bool{}
	for _, h := range hits {
		conns[h.remote] = true
	}
	if len(conns) != 1 {
		t.Errorf("%d callbacks of one session came over %d connections, want one kept alive", len(hits), len(conns))
	}
	log := await(t, ts, CallbackFilter{SessionID: testSession}, len(life))
	for _, e := range log {
		if e.Outcome != CallbackOK || len(e.Attempts) != 1 || e.Sign != SignValid || strings.Contains(e.URL, CallbackSign("tok", 0)[:8]) {
			t.Errorf("journal: %+v", e)
		}
		if !strings.Contains(e.URL, "Sign=REDACTED") {
			t.Errorf("journal URL %s: Sign not redacted", e.URL)
		}
	}
}

// The configuration chooses the events sent and their names; without a
// URL, the embedded default's case, nothing is sent.
func TestCallbackEventsChosen(t *testing.T) {
	tests := []struct {
		name   string
		cb     Callbacks
		rename map[string]string
		want   []string
	}{
		{"all", Callbacks{}, nil, []string{EventSessionBegin, EventUserSendMsg, EventTransferStarted, EventTransferred}},
		{"only the user's messages", Callbacks{Events: []string{EventUserSendMsg}}, nil, []string{EventUserSendMsg}},
		{"renamed, chosen by the new name", Callbacks{Events: []string{"Agent.Assigned"}}, map[string]string{EventTransferred: "Agent.Assigned"}, []string{"Agent.Assigned"}},
		{"renamed, chosen by deskmock's name", Callbacks{Events: []string{EventTransferred}}, map[string]string{EventTransferred: "Agent.Assigned"}, []string{"Agent.Assigned"}},
		{"no URL", Callbacks{}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bot := newTestBot(t, nil)
			if tt.want != nil {
				tt.cb.URL = bot.URL
			}
			ts := NewTestServer(t, withCallbacks(tt.cb), func(c *Config) { c.Desk.EventNames = tt.rename })
			if _, err := ts.BeginSession(testSession, "user01", "", "SDK"); err != nil {
				t.Fatal(err)
			}
			if _, err := ts.Say(testSession, RoleUser, "hi"); err != nil {
				t.Fatal(err)
			}
			deskCall(t, ts, TransferPath, `{"SessionId":"`+testSession+`"}`)
			var got []string
			for _, h := range bot.wait(t, len(tt.want)) {
				got = append(got, h.body["Event"].(string))
			}
			time.Sleep(50 * time.Millisecond) // room for one too many
			if diff := cmp.Diff(tt.want, got); diff != "" || len(bot.wait(t, 0)) != len(tt.want) {
				t.Errorf("events sent (-want +got):\n%s", diff)
			}
			if tt.want == nil && ts.CallbackStatus() != (CallbackStatus{}) {
				t.Errorf("status %+v with no URL", ts.CallbackStatus())
			}
		})
	}
}

// A callback is judged by its answer: only 200 with the vendor's success
// is OK; a timeout, another status or a body that is not JSON is retried
// with the same RequestID, as often as configured; JSON that is not the
// success is refused and not retried.
func TestCallbackAnswersAndRetries(t *testing.T) {
	tests := []struct {
		name    string
		retries *int
		answer  func(n int, w http.ResponseWriter)
		want    string
		tries   int
	}{
		{"success", nil, func(int, http.ResponseWriter) {}, CallbackOK, 1},
		{"success, keys in another order", nil, func(_ int, w http.ResponseWriter) { io.WriteString(w, `{"ErrorCode":0,"ActionStatus":"OK"}`) }, CallbackOK, 1},
		{"refused", nil, func(_ int, w http.ResponseWriter) {
			io.WriteString(w, `{"ActionStatus":"FAIL","ErrorCode":1,"ErrorInfo":"no"}`)
		}, CallbackRefused, 1},
		{"no ErrorCode", nil, func(_ int, w http.ResponseWriter) { io.WriteString(w, `{"ActionStatus":"OK"}`) }, CallbackRefused, 1},
		{"status 500", nil, func(_ int, w http.ResponseWriter) { w.WriteHeader(500); io.WriteString(w, okAnswer) }, CallbackFailed, 3},
		{"not JSON", nil, func(_ int, w http.ResponseWriter) { io.WriteString(w, "OK") }, CallbackFailed, 3},
		{"status 500, no retry", intp(0), func(_ int, w http.ResponseWriter) { w.WriteHeader(500) }, CallbackFailed, 1},
		{"slow, then answered", nil, func(n int, w http.ResponseWriter) {
			if n == 1 {
				time.Sleep(400 * time.Millisecond)
			}
		}, CallbackOK, 2},
		{"502 twice, then answered", intp(5), func(n int, w http.ResponseWriter) {
			if n < 3 {
				w.WriteHeader(502)
			}
		}, CallbackOK, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bot := newTestBot(t, func(n int, w http.ResponseWriter, _ *http.Request) {
				rec := httptest.NewRecorder() // an answer left empty is the success
				tt.answer(n, rec)
				if rec.Body.Len() == 0 && rec.Code == 200 {
					rec.WriteString(okAnswer)
				}
				w.WriteHeader(rec.Code)
				w.Write(rec.Body.Bytes())
			})
			ts := NewTestServer(t, withCallbacks(Callbacks{URL: bot.URL, Token: "tok", Timeout: Duration(200 * time.Millisecond),
				RetryBackoff: Duration(10 * time.Millisecond), Retries: tt.retries, Events: []string{EventSessionBegin}}))
			if _, err := ts.BeginSession(testSession, "user01", "", "SDK"); err != nil {
				t.Fatal(err)
			}
			e := await(t, ts, CallbackFilter{}, 1)[0]
			hits := bot.wait(t, tt.tries)
			if e.Outcome != tt.want || len(e.Attempts) != tt.tries || len(hits) != tt.tries {
				t.Errorf("outcome %s after %d attempts (the bot saw %d), want %s after %d", e.Outcome, len(e.Attempts), len(hits), tt.want, tt.tries)
			}
			for i, h := range hits {
				if h.query.Get("RequestID") != e.RequestID || h.rawBody != hits[0].rawBody {
					t.Errorf("attempt %d: RequestID %s and body differ from the first's (%s)", i+1, h.query.Get("RequestID"), e.RequestID)
				}
				if err := VerifyCallback(h.query, 1400000001, "tok", time.Now(), time.Minute); err != nil {
					t.Errorf("attempt %d: %v", i+1, err)
				}
			}
		})
	}
}

// The queue is bounded by count and by bytes: past either, a callback is
// dropped and counted, and the user's request never waits for the bot.
func TestCallbackQueueBounded(t *testing.T) {
	tests := []struct {
		name            string
		count, bytes    int
		queued, dropped int
	}{
		{"by count", 3, 1 << 20, 3, 6},
		{"by bytes", 100, 1200, 2, 7}, // a user's message counts about 500 bytes
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			release := make(chan struct{})
			bot := newTestBot(t, func(n int, w http.ResponseWriter, _ *http.Request) {
				<-release
				io.WriteString(w, okAnswer)
			})
			ts := NewTestServer(t, withCallbacks(Callbacks{URL: bot.URL, Timeout: Duration(time.Minute), Events: []string{EventUserSendMsg}}))
			ts.callbacks.maxQueued, ts.callbacks.maxQueuedBytes = tt.count, tt.bytes
			if _, err := ts.BeginSession(testSession, "user01", "", "SDK"); err != nil {
				t.Fatal(err)
			}
			ts.Say(testSession, RoleUser, "first")
			bot.wait(t, 1) // in flight, held by the bot
			start := time.Now()
			for i := range 9 {
				if _, err := ts.Say(testSession, RoleUser, "more "+strconv.Itoa(i)); err != nil {
					t.Fatal(err)
				}
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("saying took %s behind a stalled bot", d)
			}
			st := ts.CallbackStatus()
			if st.Queued != tt.queued || st.Dropped != uint64(tt.dropped) || st.QueuedBytes > tt.bytes {
				t.Errorf("status %+v, want %d queued and %d dropped", st, tt.queued, tt.dropped)
			}
			_, text := admin(t, ts, "GET", "/__admin/callbacks", "")
			if !strings.Contains(text, `"dropped":`+strconv.Itoa(tt.dropped)) {
				t.Errorf("GET /__admin/callbacks does not show the drops: %s", text)
			}
			if st.InFlight != 1 {
				t.Errorf("%d in flight, want the one the bot holds", st.InFlight)
			}
			close(release)
			await(t, ts, CallbackFilter{Outcome: CallbackOK}, 1+tt.queued)
			if n := len(ts.Callbacks(CallbackFilter{Outcome: CallbackDropped})); n != tt.dropped {
				t.Errorf("%d dropped in the journal, want %d", n, tt.dropped)
			}
		})
	}
}

// Sessions are sent in parallel: a bot stalled on one session's callback
// still gets another session's.
func TestCallbackSessionsInParallel(t *testing.T) {
	release := make(chan struct{})
	bot := newTestBot(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			<-release
		}
		io.WriteString(w, okAnswer)
	})
	ts := NewTestServer(t, withCallbacks(Callbacks{URL: bot.URL, Timeout: Duration(time.Minute), Events: []string{EventSessionBegin}}))
	ts.BeginSession(testSession, "user01", "", "SDK")
	bot.wait(t, 1)
	ts.BeginSession(otherSession, "user02", "", "SDK")
	hits := bot.wait(t, 2)
	close(release)
	if hits[1].body["SessionId"] != otherSession {
		t.Errorf("second callback %v", hits[1].body)
	}
}

// Each fault of callbacks, by a rule or by a trigger account, gives the
// bot exactly what it promises, and no more: the session's begin and two
// messages of the user, "one" and "two", the rule touching "one" only.
func TestCallbackFaults(t *testing.T) {
	msgRule := func(action string, delay int) *Fault {
		return &Fault{Match: FaultMatch{Callback: EventUserSendMsg}, Action: FaultAction{Callback: action, DelayMS: delay}, Times: 1}
	}
	text := func(h botHit) string {
		if b, ok := h.body["MsgBody"].([]any); ok {
			return b[0].(map[string]any)["MsgContent"].(map[string]any)["Text"].(string)
		}
		return h.body["Event"].(string)
	}
	texts := func(hits []botHit) []string {
		var out []string
		for _, h := range hits {
			out = append(out, text(h))
		}
		return out
	}
	verify := func(h botHit) error { return VerifyCallback(h.query, 1400000001, "tok", time.Now(), time.Minute) }
	tests := []struct {
		name  string
		rule  *Fault
		user  string
		hits  int
		check func(t *testing.T, hits []botHit, log []Callback)
	}{
		{"none", nil, "user01", 3, func(t *testing.T, hits []botHit, log []Callback) {
			for _, h := range hits {
				if err := verify(h); err != nil {
					t.Error(err)
				}
			}
		}},
		{"twice", msgRule(CallbackTwice, 0), "user01", 4, func(t *testing.T, hits []botHit, log []Callback) {
			if diff := cmp.Diff([]string{EventSessionBegin, "one", "one", "two"}, texts(hits)); diff != "" {
				t.Errorf("order (-want +got):\n%s", diff)
			}
			if hits[1].rawQuery != hits[2].rawQuery || hits[1].rawBody != hits[2].rawBody {
				t.Errorf("the second delivery differs:\n%s\n%s", hits[1].rawQuery, hits[2].rawQuery)
			}
			if log[2].Delivery != 2 || log[2].RequestID != log[1].RequestID || log[1].Faults[0] != "f1:twice" {
				t.Errorf("journal: %+v / %+v", log[1], log[2])
			}
		}},
		{"late", msgRule("", 300), "user01", 3, func(t *testing.T, hits []botHit, log []Callback) {
			if diff := cmp.Diff([]string{EventSessionBegin, "one", "two"}, texts(hits)); diff != "" {
				t.Errorf("order (-want +got):\n%s", diff)
			}
			if d := hits[1].at.Sub(hits[0].at); d < 300*time.Millisecond {
				t.Errorf("the late callback came %s after the one before", d)
			}
		}},
		{"out of order", msgRule(CallbackOutOfOrder, 0), "user01", 3, func(t *testing.T, hits []botHit, log []Callback) {
			if diff := cmp.Diff([]string{EventSessionBegin, "two", "one"}, texts(hits)); diff != "" {
				t.Errorf("order (-want +got):\n%s", diff)
			}
		}},
		{"another app", msgRule(CallbackWrongApp, 0), "user01", 3, func(t *testing.T, hits []botHit, log []Callback) {
			if got := hits[1].query.Get("SdkAppid"); got != "1400000002" {
				t.Errorf("SdkAppid %s, want the other app's", got)
			}
			if verify(hits[1]) == nil || verify(hits[2]) != nil {
				t.Error("only the forged callback should fail the bot's checks")
			}
			if log[1].SDKAppID != 1400000002 {
				t.Errorf("journal: SdkAppid %d", log[1].SDKAppID)
			}
		}},
		{"bad Sign", msgRule(CallbackBadSign, 0), "user01", 3, func(t *testing.T, hits []botHit, log []Callback) {
			if err := verify(hits[1]); err == nil || !strings.Contains(err.Error(), "Sign") {
				t.Errorf("bot's check: %v, want a bad Sign", err)
			}
			if log[1].Sign != SignBad || log[2].Sign != SignValid {
				t.Errorf("journal signs %q %q", log[1].Sign, log[2].Sign)
			}
		}},
		{"stale RequestTime", msgRule(CallbackStaleTime, 0), "user01", 3, func(t *testing.T, hits []botHit, log []Callback) {
			rt, _ := strconv.ParseInt(hits[1].query.Get("RequestTime"), 10, 64)
			if age := time.Since(time.Unix(rt, 0)); age < 115*time.Second || age > 125*time.Second {
				t.Errorf("RequestTime %s old, want 120 s", age)
			}
			if hits[1].query.Get("Sign") != CallbackSign("tok", rt) {
				t.Error("a stale callback is rightly signed")
			}
			if err := verify(hits[1]); err == nil || !strings.Contains(err.Error(), "RequestTime") {
				t.Errorf("bot's check: %v, want a stale RequestTime", err)
			}
		}},
		{"trigger: twice", nil, CallbackTrigger(CallbackTwice), 6, func(t *testing.T, hits []botHit, log []Callback) {
			for i := 0; i < 6; i += 2 {
				if hits[i].rawQuery != hits[i+1].rawQuery {
					t.Errorf("callback %d was not delivered twice alike", i/2)
				}
			}
		}},
		{"trigger: bad Sign", nil, CallbackTrigger(CallbackBadSign), 3, func(t *testing.T, hits []botHit, log []Callback) {
			for _, h := range hits {
				if verify(h) == nil {
					t.Errorf("%s passed the bot's check", text(h))
				}
			}
		}},
		{"trigger: late", nil, CallbackTrigger("late"), 3, func(t *testing.T, hits []botHit, log []Callback) {
			if d := hits[0].at.Sub(log[0].Queued); d < 200*time.Millisecond {
				t.Errorf("the first callback came %s after its event", d)
			}
		}},
		{"out of order, with no next", &Fault{Match: FaultMatch{Callback: "*", Nth: 3}, Action: FaultAction{Callback: CallbackOutOfOrder}}, "user01", 3, func(t *testing.T, hits []botHit, log []Callback) {
			if diff := cmp.Diff([]string{EventSessionBegin, "one", "two"}, texts(hits)); diff != "" {
				t.Errorf("order (-want +got):\n%s", diff)
			}
			if d := hits[2].at.Sub(hits[1].at); d < 200*time.Millisecond {
				t.Errorf("the last callback came %s after the one before, want it held for a next one first", d)
			}
		}},
		{"a rule of another event", &Fault{Match: FaultMatch{Callback: EventTransferred}, Action: FaultAction{Callback: CallbackTwice}}, "user01", 3, nil},
		{"a rule of requests", &Fault{Action: FaultAction{DelayMS: 5000}}, "user01", 3, func(t *testing.T, hits []botHit, log []Callback) {
			if d := hits[2].at.Sub(hits[0].at); d > 2*time.Second {
				t.Errorf("a rule of requests delayed the callbacks by %s", d)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bot := newTestBot(t, nil)
			ts := NewTestServer(t, withCallbacks(Callbacks{URL: bot.URL, Token: "tok"}),
				WithApp(App{SDKAppID: 1400000002, SecretKey: "k", Admins: []string{"administrator"}}))
			ts.callbacks.lateDelay, ts.callbacks.swapWait = 200*time.Millisecond, 200*time.Millisecond
			if tt.rule != nil {
				if _, err := ts.AddFault(*tt.rule); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := ts.BeginSession(testSession, tt.user, "", "SDK"); err != nil {
				t.Fatal(err)
			}
			for _, s := range []string{"one", "two"} {
				if _, err := ts.Say(testSession, RoleUser, s); err != nil {
					t.Fatal(err)
				}
			}
			log := await(t, ts, CallbackFilter{SessionID: testSession}, tt.hits)
			hits := bot.wait(t, tt.hits)
			time.Sleep(30 * time.Millisecond)
			if n := len(bot.wait(t, 0)); n != tt.hits {
				t.Errorf("the bot got %d callbacks, want %d", n, tt.hits)
			}
			if tt.check != nil {
				tt.check(t, hits, log)
			}
		})
	}
}

// A rule of callbacks takes only what applies to a callback.
func TestCallbackFaultRulesValidated(t *testing.T) {
	tests := []struct {
		name    string
		fault   Fault
		wantErr string
	}{
		{"twice", Fault{Match: FaultMatch{Callback: "*"}, Action: FaultAction{Callback: CallbackTwice}}, ""},
		{"late, by session", Fault{Match: FaultMatch{Callback: "*", SessionID: testSession}, Action: FaultAction{DelayMS: 10}}, ""},
		{"unknown action", Fault{Match: FaultMatch{Callback: "*"}, Action: FaultAction{Callback: "thrice"}}, "action/callback"},
		{"action without match", Fault{Action: FaultAction{Callback: CallbackTwice}}, "goes with match/callback"},
		{"endpoint and callback", Fault{Match: FaultMatch{Callback: "*", Endpoint: "v1"}, Action: FaultAction{Callback: CallbackTwice}}, "match/callback"},
		{"error code on a callback", Fault{Match: FaultMatch{Callback: "*"}, Action: FaultAction{ErrorCode: 70001}}, "callback and delay_ms only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.fault.Validate()
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("error %v, want one about %q", err, tt.wantErr)
			}
		})
	}
}

// A user writing to a chatbot, or mentioning chatbots in a group, makes
// IM's chatbot callbacks, with the bodies of the vendor's pages.
func TestChatbotCallbacks(t *testing.T) {
	bot := newTestBot(t, nil)
	ts := NewTestServer(t, withCallbacks(Callbacks{URL: bot.URL}))
	tests := []struct {
		name     string
		path     string
		body     string
		status   int
		command  string
		want     map[string]any
		conv     string
		wantSent bool
	}{
		{"to a chatbot", "/__admin/robots/%40RBT%23my_bot/user-message", `{"from":"user1","text":"hi"}`, 200, CommandBotC2CMessage,
			map[string]any{"From_Account": "user1", "To_Account": "@RBT#my_bot", "SendMsgResult": 0.0, "ErrorInfo": "send msg succeed",
				"OnlineOnlyFlag": 0.0, "CloudCustomData": ""}, "c2c:user1:@RBT#my_bot", true},
		{"in a group", "/__admin/groups/team/user-message", `{"from":"user1","text":"@@RBT#my_bot hi","at_robots":["@RBT#my_bot"]}`, 200, CommandBotGroupMessage,
			map[string]any{"GroupId": "team", "Type": "Public", "From_Account": "user1", "Operator_Account": "user1",
				"AtRobots_Account": []any{"@RBT#my_bot"}, "OnlineOnlyFlag": 0.0}, "group:team:user1", true},
		{"in a group, mentioning none", "/__admin/groups/team/user-message", `{"from":"user1","text":"hi all"}`, 200, "", nil, "", false},
		{"to no chatbot", "/__admin/robots/%40RBT%23nobody/user-message", `{"from":"user1","text":"hi"}`, 404, "", nil, "", false},
		{"mentioning no chatbot", "/__admin/groups/team/user-message", `{"from":"user1","text":"hi","at_robots":["@RBT#nobody"]}`, 404, "", nil, "", false},
		{"no text", "/__admin/robots/%40RBT%23my_bot/user-message", `{"from":"user1"}`, 400, "", nil, "", false},
		{"no sender", "/__admin/robots/%40RBT%23my_bot/user-message", `{"text":"hi"}`, 400, "", nil, "", false},
		{"unknown field", "/__admin/robots/%40RBT%23my_bot/user-message", `{"from":"user1","text":"hi","x":1}`, 400, "", nil, "", false},
	}
	sent := 0
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, text := admin(t, ts, "POST", tt.path, tt.body); code != tt.status {
				t.Fatalf("%d %s, want %d", code, text, tt.status)
			}
			if !tt.wantSent {
				time.Sleep(20 * time.Millisecond)
				if n := len(bot.wait(t, 0)); n != sent {
					t.Errorf("the bot got %d callbacks, want %d", n, sent)
				}
				return
			}
			sent++
			h := bot.wait(t, sent)[sent-1]
			if h.query.Get("CallbackCommand") != tt.command || h.body["CallbackCommand"] != tt.command {
				t.Errorf("command %s / %v, want %s", h.query.Get("CallbackCommand"), h.body["CallbackCommand"], tt.command)
			}
			for k, v := range tt.want {
				if !cmp.Equal(h.body[k], v) {
					t.Errorf("%s %v, want %v", k, h.body[k], v)
				}
			}
			ms, s := h.body["EventTime"].(float64), h.body["MsgTime"].(float64)
			if int64(ms)/1000 != int64(s) {
				t.Errorf("EventTime %v ms and MsgTime %v s disagree", ms, s)
			}
			if msg := h.body["MsgBody"].([]any)[0].(map[string]any); msg["MsgType"] != "TIMTextElem" {
				t.Errorf("MsgBody %v", msg)
			}
			if log := await(t, ts, CallbackFilter{Conversation: tt.conv}, 1); log[0].Command != tt.command {
				t.Errorf("journal %+v", log[0])
			}
		})
	}
}

// GET /__admin/callbacks never shows a token; PUT changes the callbacks at
// run time, keeps the token in force for REDACTED, and refuses what is
// not valid; the journal is read by session.
func TestAdminCallbacks(t *testing.T) {
	bot := newTestBot(t, nil)
	ts := NewTestServer(t, withCallbacks(Callbacks{Token: "s3cret-token"}))
	tests := []struct {
		name, method, path, body string
		status                   int
		want                     []string // in the answer
	}{
		{"read", "GET", "/__admin/callbacks", "", 200, []string{`"token":"REDACTED"`, `"timeout":"2s"`, `"retries":2`, `"opt_platform":"RESTAPI"`}},
		{"set the URL, keep the token", "PUT", "/__admin/callbacks", `{"url":"` + bot.URL + `","token":"REDACTED","retries":1}`, 200, []string{`"url":"` + bot.URL + `"`, `"retries":1`}},
		{"an app's own", "PUT", "/__admin/callbacks?sdkappid=1400000001", `{"events":["SessionBegin"],"client_ip":"10.0.0.1"}`, 200, []string{`"client_ip":"10.0.0.1"`}},
		{"no such app", "PUT", "/__admin/callbacks?sdkappid=7", `{}`, 400, []string{"no app 7"}},
		{"not an app", "PUT", "/__admin/callbacks?sdkappid=x", `{}`, 400, []string{"sdkappid"}},
		{"not a URL", "PUT", "/__admin/callbacks", `{"url":"ftp://x"}`, 400, []string{"callbacks/url"}},
		{"too many retries", "PUT", "/__admin/callbacks", `{"url":"http://x","retries":11}`, 400, []string{"retries"}},
		{"unknown OptPlatform", "PUT", "/__admin/callbacks", `{"url":"http://x","opt_platform":"Amiga"}`, 400, []string{"opt_platform"}},
		{"unknown field", "PUT", "/__admin/callbacks", `{"uri":"http://x"}`, 400, []string{"uri"}},
		{"a bad filter", "GET", "/__admin/callbacks/log?after=x", "", 400, []string{"after"}},
		{"an unknown parameter", "GET", "/__admin/callbacks/log?x=1", "", 400, nil},
		{"a bad limit", "GET", "/__admin/callbacks/log?limit=0", "", 400, []string{"limit"}},
		{"no cursor", "GET", "/__admin/callbacks/log?cursor=x", "", 400, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, text := admin(t, ts, tt.method, tt.path, tt.body)
			if code != tt.status {
				t.Fatalf("%d %s, want %d", code, text, tt.status)
			}
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("%s: no %s", text, w)
				}
			}
			if strings.Contains(text, "s3cret") {
				t.Errorf("the token shows: %s", text)
			}
		})
	}
	ts.BeginSession(testSession, "user01", "", "SDK")
	ts.BeginSession(otherSession, "user02", "", "SDK")
	h := bot.wait(t, 2)[0]
	if err := VerifyCallback(h.query, 1400000001, "s3cret-token", time.Now(), time.Minute); err != nil || h.query.Get("ClientIP") != "10.0.0.1" {
		t.Errorf("after PUT: %v, ClientIP %s", err, h.query.Get("ClientIP"))
	}
	await(t, ts, CallbackFilter{}, 2)
	code, text := admin(t, ts, "GET", "/__admin/callbacks/log?session_id="+otherSession, "")
	var log struct{ Callbacks []Callback }
	if code != 200 || json.Unmarshal([]byte(text), &log) != nil || len(log.Callbacks) != 1 || log.Callbacks[0].SessionID != otherSession {
		t.Errorf("log of one session: %d %s", code, text)
	}
	var page struct {
		Callbacks []Callback
		NextAfter uint64 `json:"next_after"`
	}
	for i, want := range []struct {
		query string
		seqs  []uint64
		next  uint64
	}{{"limit=1", []uint64{1}, 1}, {"limit=1&after=1", []uint64{2}, 0}, {"after=2", nil, 0}} {
		_, text := admin(t, ts, "GET", "/__admin/callbacks/log?"+want.query, "")
		page.Callbacks, page.NextAfter = nil, 0
		json.Unmarshal([]byte(text), &page)
		var seqs []uint64
		for _, c := range page.Callbacks {
			seqs = append(seqs, c.Entry)
		}
		if !cmp.Equal(seqs, want.seqs) || page.NextAfter != want.next {
			t.Errorf("page %d (%s): %v next %d, want %v next %d", i, want.query, seqs, page.NextAfter, want.seqs, want.next)
		}
	}
	ts.Reset()
	if got := ts.CallbacksFor(1400000001); got.URL != "" || got.Token != "s3cret-token" || len(ts.Callbacks(CallbackFilter{})) != 0 {
		t.Errorf("after a reset: %+v", got)
	}
}

// A configuration file sets the default callbacks and each app's own,
// fields over the default; what is wrong is named.
func TestCallbackConfig(t *testing.T) {
	good := `
apps:
  - {sdkappid: 1400000001, secret_key: k, admins: [a], callbacks: {url: "http://bot/one", retries: 0}}
  - {sdkappid: 1400000002, secret_key: k, admins: [a]}
callbacks: {url: "http://bot/all", token: t, timeout: 1s, events: [SessionBegin]}
`
	cfg, err := ParseConfig("c.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	zero, two := 0, DefaultCallbackRetries
	want := map[uint64]Callbacks{
		1400000001: {URL: "http://bot/one", Token: "t", Timeout: Duration(time.Second), Retries: &zero, RetryBackoff: Duration(DefaultCallbackBackoff),
			Events: []string{"SessionBegin"}, OptPlatform: "RESTAPI", ClientIP: "127.0.0.1"},
		1400000002: {URL: "http://bot/all", Token: "t", Timeout: Duration(time.Second), Retries: &two, RetryBackoff: Duration(DefaultCallbackBackoff),
			Events: []string{"SessionBegin"}, OptPlatform: "RESTAPI", ClientIP: "127.0.0.1"},
	}
	for app, w := range want {
		if diff := cmp.Diff(w, s.CallbacksFor(app)); diff != "" {
			t.Errorf("app %d (-want +got):\n%s", app, diff)
		}
	}
	if d := DefaultConfig(); d.Callbacks.URL != "" || d.Apps[0].Callbacks != nil {
		t.Errorf("the embedded default sends callbacks: %+v", d.Callbacks)
	}
	bad := []struct{ yaml, want string }{
		{`callbacks: {url: "ftp://x"}`, "callbacks/url"},
		{`callbacks: {url: "http://x", timeout: 2m}`, "callbacks/timeout"},
		{`callbacks: {url: "http://x", retries: 11}`, "callbacks/retries"},
		{`callbacks: {url: "http://x", opt_platform: Amiga}`, "callbacks/opt_platform"},
		{`callbacks: {urls: "http://x"}`, "urls"},
		{`faults: [{match: {callback: "*"}, action: {callback: thrice}}]`, "faults/0/action/callback"},
	}
	for _, tt := range bad {
		t.Run(tt.want, func(t *testing.T) {
			text := "apps: [{sdkappid: 1, secret_key: k, admins: [a]}]\n" + tt.yaml + "\n"
			if _, err := ParseConfig("c.yaml", []byte(text)); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one naming %s", err, tt.want)
			}
		})
	}
}

// The callbacks' journal is bounded by count and by bytes.
func TestCallbackJournalBounded(t *testing.T) {
	tests := []struct {
		name string
		body int
	}{
		{"small callbacks: the count binds", 10},
		{"large callbacks: the bytes bind", maxCallbackBodyKept},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := newCalloutJournal()
			body := strings.Repeat("x", tt.body)
			for i := range 2 * maxCallbacksKept {
				j.add(Callback{Seq: uint64(i + 1), Body: body, Attempts: []CallbackAttempt{{Answer: okAnswer}}})
			}
			n, b := j.held()
			if n > maxCallbacksKept || b > maxCallbackJournalBytes || n == 0 {
				t.Errorf("%d callbacks in %d bytes", n, b)
			}
			all, _ := j.list(CallbackFilter{})
			if all[len(all)-1].Seq != 2*maxCallbacksKept {
				t.Errorf("the newest is %d", all[len(all)-1].Seq)
			}
		})
	}
}

// The dashboards hear of each callback as it is journaled.
func TestCallbackOnTheEventHub(t *testing.T) {
	bot := newTestBot(t, nil)
	ts := NewTestServer(t, withCallbacks(Callbacks{URL: bot.URL, Events: []string{EventSessionBegin}}))
	sub := ts.ui.hub.subscribe()
	defer ts.ui.hub.unsubscribe(sub)
	ts.BeginSession(testSession, "user01", "", "SDK")
	for {
		select {
		case ev := <-sub.ch:
			sub.took(ev)
			if ev.kind != eventCallback {
				continue
			}
			var cb Callback
			if err := json.Unmarshal(ev.JSON(), &cb); err != nil || cb.Event != EventSessionBegin || cb.Outcome != CallbackOK {
				t.Errorf("event %s: %v", ev.JSON(), err)
			}
			return
		case <-time.After(10 * time.Second):
			t.Fatal("no callback event")
		}
	}
}

// Many sessions at once, each saying its messages in turn to a bot that
// answers at its own pace: every session's callbacks arrive in the order
// they happened, none lost.
func TestCallbackOrderPerSession(t *testing.T) {
	const sessions, messages = 20, 10
	bot := newTestBot(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		time.Sleep(time.Duration(n%3) * time.Millisecond)
		io.WriteString(w, okAnswer)
	})
	ts := NewTestServer(t, withCallbacks(Callbacks{URL: bot.URL, Events: []string{EventUserSendMsg}}))
	var wg sync.WaitGroup
	for i := range sessions {
		id := uuidOf(100 + i)
		if _, err := ts.BeginSession(id, "user"+strconv.Itoa(i), "", "SDK"); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for m := range messages {
				if _, err := ts.Say(id, RoleUser, strconv.Itoa(m)); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	hits := bot.wait(t, sessions*messages)
	next := map[string]int{}
	for _, h := range hits {
		id := h.body["SessionId"].(string)
		text := h.body["MsgBody"].([]any)[0].(map[string]any)["MsgContent"].(map[string]any)["Text"].(string)
		if text != strconv.Itoa(next[id]) {
			t.Errorf("session %s: message %s came when %d was due", id, text, next[id])
		}
		next[id]++
	}
	if len(next) != sessions {
		t.Errorf("%d sessions called back, want %d", len(next), sessions)
	}
}

// A callback that got no answer says why without its Sign: net/http's
// error quotes the whole URL, and the journal, the admin API and the
// dashboard show the error.
func TestCallbackErrorRedactsSign(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String() + "/"
	l.Close() // nothing listens there now: every attempt is refused
	none := 0
	ts := NewTestServer(t, withCallbacks(Callbacks{URL: dead, Token: "tok", Retries: &none}))
	if _, err := ts.BeginSession(testSession, "user01", "", "SDK"); err != nil {
		t.Fatal(err)
	}
	cb := await(t, ts, CallbackFilter{SessionID: testSession}, 1)[0]
	if len(cb.Attempts) != 1 || cb.Attempts[0].Error == "" {
		t.Fatalf("attempts %+v, want one that failed", cb.Attempts)
	}
	e := cb.Attempts[0].Error
	if !strings.Contains(e, "Sign="+tokenPlaceholder) || regexp.MustCompile(`[0-9a-f]{64}`).MatchString(e) {
		t.Errorf("the attempt's error shows the Sign: %s", e)
	}
}
