package mockserver

import (
	"encoding/json"
	"github.com/deskmock/deskmock/mockserver/internal/fastpath"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/deskmock/deskmock/internal/textcut"
	"github.com/deskmock/deskmock/mockserver/codes"
)

// A v2 stream keeps its chunks with their indexes, the text the user sees
// and the CompatibleText; a retried Index is refused, so nothing doubles.
func TestV2StreamLife(t *testing.T) {
	ts := NewTestServer(t)
	url := ts.EndpointV2URL()
	first := post(t, url, v2Body(testSession, "", v2Chunk{1, "**Hello**, ", false}))
	if first.ErrorCode != 0 || !msgKeyShape.MatchString(first.MsgKey) {
		t.Fatalf("first call: %+v", first)
	}
	if r := post(t, url, v2Body(testSession, first.MsgKey, v2Chunk{2, "this is ", false}, v2Chunk{3, "Tencent ", false})); r.ErrorCode != 0 {
		t.Fatalf("second call: %+v", r)
	}
	retry := post(t, url, v2Body(testSession, first.MsgKey, v2Chunk{3, "Tencent ", false}))
	if retry.ErrorCode != 141004 {
		t.Errorf("a retried Index: %+v, want 141004", retry)
	}
	if r := post(t, url, v2Body(testSession, first.MsgKey, v2Chunk{5, "Cloud.", true})); r.ErrorCode != 0 {
		t.Fatalf("last call: %+v", r)
	}
	got, ok := ts.Stream(first.MsgKey)
	if !ok {
		t.Fatal("no stream")
	}
	want := Stream{
		MsgKey: first.MsgKey, Version: V2, SessionID: testSession, Conversation: testSession, State: StreamFinished,
		Chunks: []string{"**Hello**, ", "this is ", "Tencent ", "Cloud."}, Indexes: []int{1, 2, 3, 5},
		Text: "**Hello**, this is Tencent Cloud.", TextBytes: 33, CompatibleText: "Please upgrade to see this message.",
		Finished: true, Calls: 3,
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(Stream{}, "Opened", "Updated")); diff != "" {
		t.Errorf("stream (-want +got):\n%s", diff)
	}
	ex := ts.Requests(ExchangeFilter{MsgKey: first.MsgKey})
	if len(ex) != 4 || ex[0].Version != V2 || ex[0].IssuedMsgKey != first.MsgKey || ex[0].SentMsgKey != "" ||
		ex[1].SentMsgKey != first.MsgKey || !cmp.Equal(ex[1].Indexes, []int{2, 3}) || ex[1].Chunk != "this is Tencent " ||
		ex[2].Check != codes.CheckChunkIndex || ex[2].Detail == "" || !ex[3].Finish {
		t.Errorf("journal: %+v", ex)
	}
}

// adminDo sends an admin request and decodes the JSON answer into v.
func adminDo(t *testing.T, method, url, body string, v any) int {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw := readAll(t, resp)
	if v != nil && json.Unmarshal(raw, v) != nil {
		t.Fatalf("%s %s: %s", method, url, raw)
	}
	return resp.StatusCode
}

// The idle timeout ends a stream by itself; moving the server's clock
// through the admin API makes it testable at once.
func TestIdleTimeoutThroughTheAdminClock(t *testing.T) {
	stopped := &stoppedClock{at: time.Now()}
	ts := NewTestServer(t, WithClock(stopped.now))
	url := ts.EndpointV2URL()
	first := post(t, url, v2Body(testSession, "", v2Chunk{1, "a", false}))
	var clk clockState
	if code := adminDo(t, "POST", ts.URL+"/__admin/clock", `{"advance":"15s"}`, &clk); code != 200 || clk.Advanced != "15s" {
		t.Fatalf("advancing the clock: %d %+v", code, clk)
	}
	if r := post(t, url, v2Body(testSession, first.MsgKey, v2Chunk{2, "b", false})); r.ErrorCode != 0 {
		t.Fatalf("a call exactly 15 s later: %+v, want OK", r)
	}
	adminDo(t, "POST", ts.URL+"/__admin/clock", `{"advance":"15001ms"}`, &clk)
	var st Stream
	adminDo(t, "GET", ts.URL+"/__admin/streams/"+first.MsgKey, "", &st)
	if st.State != StreamTimedOut || st.Text != "ab" {
		t.Errorf("the stream after 15.001 s idle: %+v, want timed-out", st)
	}
	for i := range 2 {
		r := post(t, url, v2Body(testSession, first.MsgKey, v2Chunk{3 + i, "c", false}))
		if want := ts.table.Rule(codes.CheckStreamIdleEnded); r.ErrorCode != want.Code || r.ErrorInfo != want.Info {
			t.Errorf("call %d on the ended stream: %+v, want %d", i+1, r, want.Code)
		}
	}
	if r := post(t, url, v2Body(testSession, "", v2Chunk{1, "again", false})); r.ErrorCode != 0 {
		t.Errorf("a new stream: %+v", r)
	}
	for _, body := range []string{`{"advance":"-1s"}`, `{"advance":"soon"}`, `{"ahead":"1s"}`} {
		if code := adminDo(t, "POST", ts.URL+"/__admin/clock", body, nil); code != 400 {
			t.Errorf("POST /__admin/clock %s: %d, want 400", body, code)
		}
	}
	ts.Reset()
	if adminDo(t, "GET", ts.URL+"/__admin/clock", "", &clk); clk.Advanced != "0s" {
		t.Errorf("after a reset the clock is %s ahead", clk.Advanced)
	}
}

// Each rule is configuration: on for v1 when switched on, off for v2 when
// switched off, through the Go API as through the config.
func TestStreamRulesPerEndpoint(t *testing.T) {
	type call struct {
		advance time.Duration // the clock moves first
		n       int           // continuation calls to make
		text    string
		last    bool
		want    int // ErrorCode of the last of them
	}
	tests := []struct {
		name    string
		version string
		rules   *StreamRules // nil: the endpoint's defaults
		calls   []call
		text    string
	}{
		{"v1 default: no idle timeout", V1, nil, []call{{advance: 10 * time.Minute, n: 1, text: "b"}}, "ab"},
		{"v1 default: no rate limit", V1, nil, []call{{n: 20, text: "b"}}, "a" + strings.Repeat("b", 20)},
		{"v1 default: refused after Finish", V1, nil, []call{{n: 1, text: "b", last: true}, {n: 1, text: "c", want: 141004}}, "ab"},
		{"v1 idle timeout on", V1, &StreamRules{IdleTimeout: 5 * time.Second, RefuseAfterEnd: true}, []call{{advance: 6 * time.Second, n: 1, text: "b", want: 141004}}, "a"},
		{"v1 rate on", V1, &StreamRules{CallsPerSecond: 3}, []call{{n: 2, text: "b"}, {n: 1, text: "c", want: 60007}, {advance: time.Second, n: 1, text: "d"}}, "abbd"},
		{"v1 message limit on", V1, &StreamRules{MaxMessageBytes: 4}, []call{{n: 2, text: "b"}, {n: 1, text: "c", want: 93000}}, "abb"},
		{"v1 refusal after the end off", V1, &StreamRules{}, []call{{n: 1, text: "b", last: true}, {n: 1, text: "c"}}, "abc"},
		{"v2 default: rate of 5", V2, nil, []call{{n: 4, text: "b"}, {n: 1, text: "c", want: 60007}, {advance: time.Second, n: 1, text: "d"}}, "abbbbd"},
		{"v2 default: 128 KB", V2, nil, []call{{n: 1, text: strings.Repeat("x", 128*1024-2)}, {n: 1, text: "y", want: 93000}, {advance: time.Second, n: 1, text: ""}}, "a" + strings.Repeat("x", 128*1024-2)},
		{"v2 rules off", V2, &StreamRules{}, []call{{advance: time.Minute, n: 10, text: "b"}}, "a" + strings.Repeat("b", 10)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []Option
			if tt.rules != nil {
				opts = append(opts, WithStreamRules(tt.version, *tt.rules))
			}
			ts := NewTestServer(t, opts...)
			index := 1
			send := func(key, text string, last bool) wireReply {
				if tt.version == V1 {
					b := `{"SessionId":"` + testSession + `","Chunk":"` + text + `"`
					if key != "" {
						b += `,"MsgKey":"` + key + `"`
					}
					if last {
						b += `,"Finish":1`
					}
					return post(t, ts.EndpointURL(), b+"}")
				}
				r := post(t, ts.EndpointV2URL(), v2Body(testSession, key, v2Chunk{index, text, last}))
				index++
				return r
			}
			first := send("", "a", false)
			if first.ErrorCode != 0 {
				t.Fatalf("first call: %+v", first)
			}
			for i, c := range tt.calls {
				ts.AdvanceClock(c.advance)
				var r wireReply
				for range c.n {
					r = send(first.MsgKey, c.text, c.last)
				}
				if r.ErrorCode != c.want {
					t.Fatalf("calls %d: %+v, want code %d", i+1, r, c.want)
				}
			}
			if st, _ := ts.Stream(first.MsgKey); st.Text != tt.text {
				t.Errorf("text %q, want %q", textcut.Cut(st.Text, 40), textcut.Cut(tt.text, 40))
			}
		})
	}
}

// The store's byte bounds hold for any traffic: one stream's text is
// capped, and all streams together evict the oldest ended first.
func TestStreamStoreBytesBounded(t *testing.T) {
	t.Run("per stream", func(t *testing.T) {
		cfg := DefaultConfig()
		cfg.Limits.MaxStreamBytes = 10
		ts := NewTestServer(t, WithConfig(cfg))
		first := post(t, ts.EndpointURL(), `{"SessionId":"`+testSession+`","Chunk":"0123456789"}`)
		r := post(t, ts.EndpointURL(), `{"SessionId":"`+testSession+`","Chunk":"x","MsgKey":"`+first.MsgKey+`"}`)
		if want := ts.table.Rule(codes.CheckMessageTooLarge); r.ErrorCode != want.Code {
			t.Errorf("past the cap: %+v, want %d", r, want.Code)
		}
		if r := post(t, ts.EndpointURL(), `{"SessionId":"`+testSession+`","Chunk":"01234567890"}`); r.ErrorCode != 93000 {
			t.Errorf("a first chunk past the cap: %+v", r)
		}
	})
	t.Run("in all", func(t *testing.T) {
		s := newStreamStore(1000, time.Hour)
		now := time.Now()
		var keys []string
		for i := range 40 {
			keys = append(keys, s.create(testSession, strings.Repeat("x", 1000), i%2 == 0, now))
			if i == 0 {
				s.maxBytes = 20 * s.bytes // room for 20 streams like the first
			}
			if s.bytes > s.maxBytes {
				t.Fatalf("after %d streams the store holds %d bytes, over %d", i+1, s.bytes, s.maxBytes)
			}
		}
		// The 20 open streams fill the budget: every ended stream went
		// first.
		for i, k := range keys {
			st, kept := s.get(k, now)
			if kept != (i%2 == 1) {
				t.Errorf("stream %d (%+v): kept %v", i, st.State, kept)
			}
		}
	})
}

// Every reply has a unique RequestId; the key order is configuration, and
// a fault rule can change it for the requests it matches.
func TestEnvelopeRequestIDAndKeyOrder(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Envelope.KeyOrder = altKeyOrder
	ts := NewTestServer(t, WithConfig(cfg))
	raw := func(url, body string) string {
		resp, err := http.Post(url, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		decodeReply(t, b)
		return string(b)
	}
	body := `{"SessionId":"` + testSession + `","Chunk":"a"}`
	first := raw(ts.EndpointURL(), body)
	if !regexp.MustCompile(`^\{"ErrorCode":0,"ErrorInfo":"","ActionStatus":"OK","RequestId":"Id-[0-9a-f]{32}-O-Seq-1","MsgKey":"1_`).MatchString(first) {
		t.Errorf("reply in the newer order: %s", first)
	}
	bad := raw(ts.EndpointURL(), `{}`)
	if !strings.HasPrefix(bad, `{"ErrorCode":90010,"ErrorInfo":"The JSON format`) {
		t.Errorf("error reply in the newer order: %s", bad)
	}
	if _, err := ts.AddFault(Fault{Match: FaultMatch{ChunkContains: "reorder"}, Action: FaultAction{KeyOrder: defaultKeyOrder}}); err != nil {
		t.Fatal(err)
	}
	got := raw(ts.EndpointV2URL(), v2Body(testSession, "", v2Chunk{1, "reorder me", false}))
	if !strings.HasPrefix(got, `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"MsgKey":"`) {
		t.Errorf("the fault's order: %s", got)
	}
	ids := map[string]bool{}
	for _, e := range ts.Requests(ExchangeFilter{}) {
		if ids[e.RequestID] || !strings.Contains(e.Reply, e.RequestID) {
			t.Errorf("RequestId %q repeated or not in the reply %s", e.RequestID, e.Reply)
		}
		ids[e.RequestID] = true
	}
	if f := ts.Faults(); len(f) != 1 || f[0].Fired != 1 {
		t.Errorf("faults %+v", f)
	}
	for _, order := range [][]string{{"ErrorCode"}, {"ErrorCode", "ErrorInfo", "ActionStatus", "RequestId", "RequestId"}} {
		if _, err := ts.AddFault(Fault{Action: FaultAction{KeyOrder: order}}); err == nil {
			t.Errorf("key_order %v accepted", order)
		}
	}
}

// Trigger sessions and fault rules work on v2 as on v1; a reset numbers
// MsgKeys from 1 again.
func TestV2TriggersFaultsAndReset(t *testing.T) {
	ts := NewTestServer(t)
	if r := post(t, ts.EndpointV2URL(), v2Body(TriggerSessionID(141005, 0), "", v2Chunk{1, "a", false})); r.ErrorCode != 141005 {
		t.Errorf("trigger on v2: %+v", r)
	}
	if _, err := ts.AddFault(Fault{Match: FaultMatch{ChunkContains: "boom"}, Action: FaultAction{ErrorCode: 20004}, Times: 1}); err != nil {
		t.Fatal(err)
	}
	if r := post(t, ts.EndpointV2URL(), v2Body(testSession, "", v2Chunk{1, "boom", false})); r.ErrorCode != 20004 {
		t.Errorf("fault rule on v2 Markdown: %+v", r)
	}
	first := post(t, ts.EndpointV2URL(), v2Body(testSession, "", v2Chunk{1, "a", false}))
	if !strings.HasPrefix(first.MsgKey, "1_") {
		t.Errorf("first key %q", first.MsgKey)
	}
	second := post(t, ts.EndpointURL(), `{"SessionId":"`+testSession+`","Chunk":"a"}`)
	ts.Reset()
	again := post(t, ts.EndpointURL(), `{"SessionId":"`+testSession+`","Chunk":"a"}`)
	if !strings.HasPrefix(again.MsgKey, "1_") {
		t.Errorf("after a reset the first key is %q", again.MsgKey)
	}
	if r := post(t, ts.EndpointURL(), `{"SessionId":"`+testSession+`","Chunk":"a","MsgKey":"`+second.MsgKey+`"}`); r.ErrorCode != 141004 {
		t.Errorf("the key of a stream the reset forgot: %+v", r)
	}
}

// The configuration file sets the rules per endpoint and the envelope.
func TestEndpointConfig(t *testing.T) {
	tests := []struct {
		name, yaml, err string
		check           func(*testing.T, *Server)
	}{
		{"v2 idle off, v1 rate on", "endpoints:\n  v2: {idle_timeout: \"off\"}\n  v1: {calls_per_second: 7, max_body_bytes: 100}\n", "", func(t *testing.T, s *Server) {
			v2, _ := s.StreamRules(V2)
			v1, _ := s.StreamRules(V1)
			if v2.IdleTimeout != 0 || v2.CallsPerSecond != 5 || v1.CallsPerSecond != 7 || v1.IdleTimeout != 0 || !v1.RefuseAfterEnd {
				t.Errorf("rules v1 %+v v2 %+v", v1, v2)
			}
			if s.byPath[EndpointPath].maxBody != 100 || s.byPath[EndpointV2Path].maxBody != defaultMaxBodyBytesV2 {
				t.Errorf("body limits %d %d", s.byPath[EndpointPath].maxBody, s.byPath[EndpointV2Path].maxBody)
			}
		}},
		{"unknown endpoint", "endpoints:\n  v3: {}\n", "endpoints", nil},
		{"bad duration", "endpoints:\n  v2: {idle_timeout: soon}\n", "idle_timeout", nil},
		{"bad rate", "endpoints:\n  v2: {calls_per_second: -1}\n", "calls_per_second", nil},
		{"key order", "envelope:\n  key_order: [RequestId, MsgKey, ErrorCode, ErrorInfo, ActionStatus]\n", "", func(t *testing.T, s *Server) {
			if s.keyOrder[0] != "RequestId" {
				t.Errorf("order %v", s.keyOrder)
			}
		}},
		{"bad key order", "envelope:\n  key_order: [RequestId]\n", "key_order", nil},
	}
	base := "apps:\n  - {sdkappid: 1, secret_key: k, admins: [a]}\n"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseConfig("t.yaml", []byte(base+tt.yaml))
			var s *Server
			if err == nil {
				s, err = New(cfg)
			}
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one naming %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, s)
		})
	}
}

// Bodies read into calls once, valid or not: Index written 1.0 or 2e0,
// what is missing or of another type left zero, IsLast before the last
// chunk an error.
func TestReadBody(t *testing.T) {
	tests := []struct {
		name    string
		ep      *endpoint
		body    string
		want    streamCall
		wantErr bool
	}{
		{"v1", endpointV1, `{"SessionId":"s","Chunk":"a","MsgKey":"k","Finish":1}`,
			streamCall{conv: conversation{id: "s"}, msgKey: "k", hasMsgKey: true, text: "a", last: true}, false},
		{"v1 of other types", endpointV1, `{"SessionId":7,"Chunk":[],"MsgKey":null,"Finish":"1"}`,
			streamCall{hasMsgKey: true}, false},
		{"v2 indexes as the schema allows", endpointV2, `{"SessionId":"s","MsgBody":[{"MsgType":"TIMStreamElem","MsgContent":{"CompatibleText":"c","Chunks":[{"EventType":"data","Index":1.0,"Markdown":"a"},{"EventType":"data","Index":2e0,"Markdown":"b","IsLast":true}]}}]}`,
			streamCall{conv: conversation{id: "s"}, text: "ab", chunks: []chunk{{1, "a"}, {2, "b"}}, last: true, compatibleText: "c"}, false},
		{"v2 IsLast before the last chunk", endpointV2, `{"SessionId":"s","MsgKey":"k","MsgBody":[{"MsgContent":{"Chunks":[{"Index":1,"Markdown":"a","IsLast":true},{"Index":2,"Markdown":"b"}]}}]}`,
			streamCall{conv: conversation{id: "s"}, msgKey: "k", hasMsgKey: true, text: "ab", chunks: []chunk{{1, "a"}, {2, "b"}}, last: true}, true},
		{"v2 of other types", endpointV2, `{"SessionId":"s","MsgBody":[{"MsgContent":{"Chunks":[{"Index":"1","Markdown":5},7]}}]}`,
			streamCall{conv: conversation{id: "s"}, chunks: []chunk{{}, {}}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, ok := fastpath.Decode(tt.ep.schema, tt.body)
			if !ok {
				t.Fatal("fastpath does not decode it")
			}
			var c streamCall
			err := tt.ep.read(b, &c)
			if (err != nil) != tt.wantErr || !cmp.Equal(c, tt.want, cmp.AllowUnexported(streamCall{}, chunk{}, conversation{}), cmpopts.IgnoreFields(streamCall{}, "few")) {
				t.Errorf("call %+v, %v; want %+v, error %v", c, err, tt.want, tt.wantErr)
			}
		})
	}
}

// /__admin/streams pages through the streams, summaries unless text=1,
// and no page holds more than its byte bound.
func TestAdminStreamPages(t *testing.T) {
	ts := NewTestServer(t)
	var keys []string
	for i := range 5 {
		keys = append(keys, post(t, ts.EndpointURL(), `{"SessionId":"`+testSession+`","Chunk":"`+strings.Repeat("x", i)+`"}`).MsgKey)
	}
	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		var p struct {
			Items      []Stream `json:"items"`
			NextCursor string   `json:"next_cursor"`
		}
		if code := adminDo(t, "GET", ts.URL+"/__admin/streams?limit=2&cursor="+cursor, "", &p); code != 200 || len(p.Items) > 2 || pages > 3 {
			t.Fatalf("page %d: %d %+v", pages, code, p)
		}
		for _, st := range p.Items {
			if st.Text != "" || st.Chunks != nil {
				t.Errorf("a summary holds text: %+v", st)
			}
			got = append(got, st.MsgKey)
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	if !cmp.Equal(got, keys) {
		t.Errorf("pages listed %v, want %v", got, keys)
	}
	big := strings.Repeat("y", 900_000)
	for range 20 {
		first := post(t, ts.EndpointURL(), `{"SessionId":"`+otherSession+`","Chunk":"`+big[:9000]+`"}`)
		for range 99 {
			post(t, ts.EndpointURL(), `{"SessionId":"`+otherSession+`","Chunk":"`+big[:9000]+`","MsgKey":"`+first.MsgKey+`"}`)
		}
	}
	items, next := ts.StreamPage(0, 1000, true)
	held := 0
	for _, st := range items {
		held += len(st.Text)
	}
	if next == 0 || held > maxPageBytes || len(items) >= 25 {
		t.Errorf("a page with text held %d streams, %d bytes; next %d", len(items), held, next)
	}
}
