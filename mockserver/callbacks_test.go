package mockserver

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
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
		h := botHit{at: time.Now(), rawQuery: r.URL.RawQuery, query: r.URL.Query(), rawBody: string(raw)}
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

	life := ts.DeskSession(testSession).Events
	hits := bot.wait(t, len(life))
	type row struct{ Event, AgentID, Text, CloudCustomData string }
	want := []row{
		{EventSessionBegin, "", "", ""},
		{EventUserSendMsg, "", "Where is my order?", ""},
		{EventRobotSendMsg, "", "Let me ", ""},
		{EventRobotSendMsg, "", "One moment.", `{"k":1}`},
		{EventTransferStarted, "", "", ""},
		{EventTransferred, "agent@example.com", "", ""},
		{EventAgentSendMsg, "agent@example.com", "Hello, I am Alice.", ""},
		{EventAgentUserSendMsg, "agent@example.com", "Hi Alice", ""},
		{EventSessionEnded, "agent@example.com", "", ""},
	}
	var got []row
	ids := map[string]bool{}
	for i, h := range hits {
		r := row{Event: h.body["Event"].(string), AgentID: h.body["AgentId"].(string)}
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
			if err := ts.BeginSession(testSession, "user01", "", "SDK"); err != nil {
				t.Fatal(err)
			}
			if err := ts.Say(testSession, RoleUser, "hi"); err != nil {
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
			if err := ts.BeginSession(testSession, "user01", "", "SDK"); err != nil {
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
			if err := ts.BeginSession(testSession, "user01", "", "SDK"); err != nil {
				t.Fatal(err)
			}
			ts.Say(testSession, RoleUser, "first")
			bot.wait(t, 1) // in flight, held by the bot
			start := time.Now()
			for i := range 9 {
				if err := ts.Say(testSession, RoleUser, "more "+strconv.Itoa(i)); err != nil {
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
