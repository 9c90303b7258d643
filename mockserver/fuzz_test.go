package mockserver

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deskmock/deskmock/mockserver/codes"
)

// fuzzNow is the fuzzed server's clock: every UserSig below is valid at it.
var fuzzNow = time.Date(2025, 11, 27, 12, 0, 0, 0, time.UTC)

// Fault rules of the fuzzed server, fired by a token in the Chunk.
const (
	fuzzCustomCode = 123456 // not in the catalogue: configured with a text
	fuzzHTTPStatus = 502
	fuzzBodyStatus = 503
)

var fuzzConfig = sync.OnceValue(func() Config {
	cfg := DefaultConfig()
	no := false
	cfg.Apps = append(cfg.Apps, App{SDKAppID: nonDeskApp, SecretKey: "other-key", Admins: []string{"administrator"}, Desk: &no})
	cfg.Limits.JournalSize = 64
	cfg.Limits.MaxStreams = 64
	empty := ""
	cfg.Faults = []Fault{
		{Match: FaultMatch{ChunkContains: "!502"}, Action: FaultAction{HTTPStatus: fuzzHTTPStatus}},
		{Match: FaultMatch{ChunkContains: "!503"}, Action: FaultAction{HTTPStatus: fuzzBodyStatus, Body: &empty}},
		{Match: FaultMatch{ChunkContains: "!E"}, Action: FaultAction{ErrorCode: 20004}},
		{Match: FaultMatch{ChunkContains: "!X"}, Action: FaultAction{ErrorCode: fuzzCustomCode, ErrorInfo: "custom"}},
		{Match: FaultMatch{ChunkContains: "!D"}, Action: FaultAction{DelayMS: 1}},
		{Match: FaultMatch{ChunkContains: "!reset"}, Action: FaultAction{Reset: true}},
		{Match: FaultMatch{ChunkContains: "!after"}, Action: FaultAction{Reset: true, When: ResetAfterApply}},
		{Match: FaultMatch{ChunkContains: "!trunc"}, Action: FaultAction{Truncate: true}},
	}
	cfg.Clock = func() time.Time { return fuzzNow }
	return cfg
})

// fuzzCodes are the codes a reply may carry: the check table's, the
// catalogue's (trigger sessions, error_code faults) and the configured
// fault's own.
var fuzzCodes = sync.OnceValue(func() map[int]bool {
	m := map[int]bool{fuzzCustomCode: true}
	for _, r := range codes.Defaults() {
		m[r.Code] = true
	}
	for _, e := range codes.Catalogue() {
		m[e.Code] = true
	}
	return m
})

// fuzzFixture is a fresh server with an open and a finished stream of
// testSession and an ended session.
type fuzzFixture struct {
	s        *Server
	query    string // a valid signed query string
	sig      string // a valid UserSig
	open     string // MsgKey of the open stream
	finished string // MsgKey of the finished stream
}

func newFuzzFixture(t *testing.T) *fuzzFixture {
	t.Helper()
	s, err := New(fuzzConfig())
	if err != nil {
		t.Fatal(err)
	}
	sig, err := s.UserSig(1400000001, "administrator", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	fx := &fuzzFixture{s: s, sig: sig, query: Query(1400000001, "administrator", sig, 7)}
	for _, body := range []string{
		`{"SessionId":"` + testSession + `","Chunk":"open"}`,
		`{"SessionId":"` + testSession + `","Chunk":"done","Finish":1}`,
	} {
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest("POST", EndpointPath+"?"+fx.query, strings.NewReader(body)))
		var rep wireReply
		if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil || rep.MsgKey == "" {
			t.Fatalf("fixture: %s", rec.Body)
		}
		if fx.open == "" {
			fx.open = rep.MsgKey
		} else {
			fx.finished = rep.MsgKey
		}
	}
	if err := s.EndSession(endedSession); err != nil {
		t.Fatal(err)
	}
	s.ClearRequests()
	return fx
}

// expand replaces the fixture's placeholders: @K the open stream's MsgKey,
// @F the finished one's, @SIG a valid UserSig.
func (fx *fuzzFixture) expand(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	return strings.NewReplacer("@K", fx.open, "@F", fx.finished, "@SIG", url.QueryEscape(fx.sig)).Replace(s)
}

// hijackRecorder is a ResponseRecorder whose connection can be hijacked, as
// the reset and truncate faults do; what is written to the hijacked
// connection arrives on raw.
type hijackRecorder struct {
	*httptest.ResponseRecorder
	hijacked bool
	raw      chan []byte
}

func (h *hijackRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	server, client := net.Pipe()
	h.hijacked = true
	h.raw = make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(client)
		h.raw <- b
	}()
	return server, bufio.NewReadWriter(bufio.NewReader(server), bufio.NewWriter(server)), nil
}

// validMethod reports whether m is an HTTP token, as net/http requires of
// the methods it delivers.
func validMethod(m string) bool {
	if m == "" || len(m) > 20 {
		return false
	}
	for i := 0; i < len(m); i++ {
		c := m[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// FuzzHandler sends one request of any method, /v4/ path, query string and
// body through Server.Handler() and checks that the server never panics;
// answers HTTP 200 with a reply valid against the reply schemas carrying a
// code of the check table, the catalogue or a configured fault, or else
// exactly what a configured fault asks for; journals the request once, as
// answered, with every UserSig redacted; and applies the chunk to its
// stream if and only if it says so.
func FuzzHandler(f *testing.F) {
	body := func(fields string) []byte {
		return []byte(`{"SessionId":"` + testSession + `","Chunk":"hi"` + fields + `}`)
	}
	seeds := []struct {
		method, path, query string
		signed              bool
		body                []byte
		chunked             bool
	}{
		{"POST", "", "", true, body(""), false},
		{"POST", "", "", true, body(`,"MsgKey":"@K"`), false},
		{"POST", "", "", true, body(`,"MsgKey":"@K","Finish":1`), true},
		{"POST", "", "", true, body(`,"MsgKey":"@F"`), false},
		{"POST", "", "", true, body(`,"MsgKey":"1_1_0000000000000000000000000"`), false},
		{"POST", "", "", true, []byte(`{"SessionId":"` + otherSession + `","Chunk":"x","MsgKey":"@K"}`), false},
		{"POST", "", "", true, []byte(`{"SessionId":"` + endedSession + `","Chunk":"x"}`), false},
		{"POST", "", "", true, []byte(`{"SessionId":"00000000-0000-0000-0000-000000020004","Chunk":"x"}`), false},
		{"POST", "", "", true, []byte(`{"SessionId":"00000000-0000-0000-0001-000000141002","Chunk":"x"}`), false},
		{"POST", "", "", true, []byte(`{"SessionId":"not-a-uuid","Chunk":"x"}`), false},
		{"POST", "", "", true, []byte(`{"SessionId":"` + testSession + `"}`), false},
		{"POST", "", "", true, []byte(`{"SessionId":"` + testSession + `","Chunk":"x","Finish":2}`), false},
		{"POST", "", "", true, []byte(`{"SessionId":"` + testSession + `","Chunk":"x","CloudCustomData":1}`), false},
		{"POST", "", "", true, []byte(`[]`), false},
		{"POST", "", "", true, []byte(`{"SessionId":"` + testSession + `","Chunk":"x"} {}`), false},
		{"POST", "", "", true, []byte("{\"SessionId\":\"\xff\"}"), false},
		{"POST", "", "", true, []byte(""), false},
		{"POST", "", "", true, bytes.Repeat([]byte("x"), defaultMaxBodyBytes+1), true},
		{"POST", "", "", true, body(`,"X":"` + strings.Repeat("y", defaultMaxBodyBytes-60) + `"`), false},
		{"POST", "", "", true, []byte(`{"SessionId":"` + testSession + `","Chunk":"!502"}`), false},
		{"POST", "", "", true, []byte(`{"SessionId":"` + testSession + `","Chunk":"!503","MsgKey":"@K"}`), false},
		{"POST", "", "", true, []byte(`{"SessionId":"` + testSession + `","Chunk":"!E"}`), false},
		{"POST", "", "", true, []byte(`{"SessionId":"` + testSession + `","Chunk":"!X"}`), false},
		{"POST", "", "", true, []byte(`{"SessionId":"` + testSession + `","Chunk":"!D","MsgKey":"@K"}`), false},
		{"POST", "", "", true, []byte(`{"SessionId":"` + testSession + `","Chunk":"!reset","MsgKey":"@K"}`), false},
		{"POST", "", "", true, []byte(`{"SessionId":"` + testSession + `","Chunk":"!after","MsgKey":"@K"}`), false},
		{"POST", "", "", true, []byte(`{"SessionId":"` + testSession + `","Chunk":"!trunc"}`), false},
		{"POST", "", "", true, []byte(`{"SessionId":"` + testSession + `","Chunk":"!after","MsgKey":"@F"}`), false},
		{"GET", "", "", true, nil, false},
		{"PUT", "", "", true, body(""), false},
		{"POST", "/v4/desk_http_svc/other", "", true, body(""), false},
		{"POST", "/v4/", "", true, body(""), false},
		{"POST", "", "sdkappid=1400000001&identifier=administrator&usersig=@SIG&random=1&contenttype=json", false, body(""), false},
		{"POST", "", "sdkappid=1400000002&identifier=administrator&usersig=@SIG&random=1&contenttype=json", false, body(""), false},
		{"POST", "", "sdkappid=1400000001&identifier=ops&usersig=@SIG&random=1&contenttype=json", false, body(""), false},
		{"POST", "", "sdkappid=1400000003&identifier=administrator&usersig=@SIG&random=1&contenttype=json", false, body(""), false},
		{"POST", "", "sdkappid=1400000001&identifier=administrator&usersig=eJyrVgrxCdYrSy1SslIy0jNQ&random=1&contenttype=json", false, body(""), false},
		{"POST", "", "sdkappid=1400000001&identifier=administrator&usersig=@SIG&random=4294967296&contenttype=json", false, body(""), false},
		{"POST", "", "sdkappid=1400000001&identifier=administrator&usersig=@SIG&random=1&contenttype=xml", false, body(""), false},
		{"POST", "", "identifier=administrator&usersig=@SIG&random=1&contenttype=json", false, body(""), false},
		{"POST", "", "usersig=@SIG&usersig=x", true, body(""), false},
		{"POST", "", "x=%zz", true, body(""), false},
		{"POST", "", "x=1;y=2", true, body(""), false},
		{"POST", "", "sdkappid=1400000001&identifier=administrator&%75sersig=@SIG&random=1&contenttype=json", false, body(""), false},
		{"POST", "", "USERSIG=@SIG&UserSig=@SIG&%55serSig=@SIG&usersig=REDACTED", true, body(""), false},
		{"POST", "", "sdkappid=1400000001&identifier=administrator&usersig=@SIG&random=1&contenttype=json&USERSIG=x&usersig", false, body(""), false},
		{"POST", "", "", false, nil, false},
		{"POST", "", "", true, body(`,"Finish":1e999999999`), false},
		{"POST", "", "", true, body(`,"Finish":1e-999999999`), false},
		{"POST", "", "", true, body(`,"Finish":-0.0e+400000`), false},
		{"POST", "", "", true, body(`,"X":[` + strings.Repeat("9", 5000) + `]`), false},
		{"POST", EndpointV2Path, "", true, []byte(v2Body(testSession, "", v2Chunk{1, "a", false})), false},
		{"POST", EndpointV2Path, "", true, []byte(v2Body(testSession, "", v2Chunk{1, "a", false}, v2Chunk{2, "b", true})), false},
		{"POST", EndpointV2Path, "", true, []byte(v2Body(testSession, "@K", v2Chunk{2, "a", false})), false},
		{"POST", EndpointV2Path, "", true, []byte(v2Body(testSession, "", v2Chunk{2, "a", false})), false},
		{"POST", EndpointV2Path, "", true, []byte(`{"SessionId":"` + testSession + `","MsgBody":[{"MsgType":"TIMStreamElem","MsgContent":{"Chunks":[{"EventType":"data","Index":1e999999999,"Markdown":"a"}]}}]}`), false},
		{"POST", EndpointV2Path, "", true, []byte(v2Body(TriggerSessionID(141002, 1), "", v2Chunk{1, "!trunc", false})), false},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.query, s.signed, s.body, s.chunked)
	}
	allowed := fuzzCodes()
	execs := 0
	f.Fuzz(func(t *testing.T, method, path, query string, signed bool, body []byte, chunked bool) {
		fx := newFuzzFixture(t)
		defer checkMemoryBound(t, fx.s, &execs)
		if !validMethod(method) {
			method = "POST"
		}
		if !strings.HasPrefix(path, "/v4/") {
			path = EndpointPath
		}
		query = fx.expand(query)
		if signed {
			if query != "" {
				query = fx.query + "&" + query
			} else {
				query = fx.query
			}
		}
		body = []byte(fx.expand(string(body)))
		r := &http.Request{
			Method:     method,
			URL:        &url.URL{Path: path, RawQuery: query},
			Proto:      "HTTP/1.1",
			ProtoMajor: 1,
			ProtoMinor: 1,
			Header:     http.Header{"Content-Type": {"application/json"}},
			Body:       io.NopCloser(bytes.NewReader(body)),
			Host:       "deskmock",
			RemoteAddr: "127.0.0.1:1234",
			RequestURI: path + "?" + query,
		}
		r.ContentLength = int64(len(body))
		if chunked {
			r.ContentLength = -1
			r.TransferEncoding = []string{"chunked"}
		}
		before := map[string]int{}
		for _, st := range fx.s.Streams() {
			before[st.MsgKey] = len(st.Chunks)
		}

		w := &hijackRecorder{ResponseRecorder: httptest.NewRecorder()}
		fx.s.Handler().ServeHTTP(w, r)

		journal := fx.s.Requests(ExchangeFilter{})
		if len(journal) != 1 {
			t.Fatalf("%d journal entries, want 1: %+v", len(journal), journal)
		}
		e := journal[0]
		if e.Seq != 3 || e.Method != method || e.Path != path { // after the fixture's two
			t.Errorf("journal entry %+v", e)
		}
		checkRedacted(t, e.Query)

		streams := map[string]Stream{}
		grown := 0
		for _, st := range fx.s.Streams() {
			streams[st.MsgKey] = st
			if n, ok := before[st.MsgKey]; !ok || len(st.Chunks) != n {
				grown++
			}
		}
		if want := 0; e.Applied {
			want = 1
			st, ok := streams[e.MsgKey]
			n := max(len(e.Indexes), 1) // the call's chunks
			if !ok || len(st.Chunks) < n || strings.Join(st.Chunks[len(st.Chunks)-n:], "") != e.Chunk || st.SessionID != e.SessionID {
				t.Errorf("applied %q to %s, but the stream is %+v", e.Chunk, e.MsgKey, st)
			}
			if grown != want {
				t.Errorf("%d streams changed, want %d", grown, want)
			}
		} else if grown != 0 {
			t.Errorf("not applied, yet %d streams changed", grown)
		}

		if w.hijacked {
			raw := <-w.raw
			switch e.Action {
			case "reset":
				if len(raw) != 0 || e.Status != 0 || e.Reply != "" {
					t.Errorf("reset sent %q; journal status %d reply %q", raw, e.Status, e.Reply)
				}
			case "truncate":
				resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), r)
				if err != nil {
					t.Fatalf("truncated reply %q: %v", raw, err)
				}
				got, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != 200 || e.Status != 200 || string(got) != e.Reply || int64(2*len(got)) > resp.ContentLength || len(got) == 0 {
					t.Errorf("truncated reply %q, journal %d %q", raw, e.Status, e.Reply)
				}
			default:
				t.Errorf("hijacked by action %q", e.Action)
			}
			return
		}

		res := w.Result()
		got, _ := io.ReadAll(res.Body)
		if res.StatusCode != e.Status || string(got) != e.Reply {
			t.Errorf("sent %d %q, journaled %d %q", res.StatusCode, got, e.Status, e.Reply)
		}
		if e.Action == "http_status" {
			if res.StatusCode != fuzzHTTPStatus && res.StatusCode != fuzzBodyStatus {
				t.Errorf("http_status fault answered %d", res.StatusCode)
			}
			return
		}
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("status %d, content type %q, want 200 and JSON: %q", res.StatusCode, res.Header.Get("Content-Type"), got)
		}
		rep := decodeReply(t, got)
		if rep.ErrorCode != e.Code {
			t.Errorf("reply code %d, journal %d", rep.ErrorCode, e.Code)
		}
		if rep.ErrorCode != 0 && !allowed[rep.ErrorCode] {
			t.Errorf("code %d is neither in the check table, the catalogue nor a fault", rep.ErrorCode)
		}
		if (rep.ErrorCode == 0) != (e.Check == "" && e.Action != "error_code") {
			t.Errorf("code %d after check %q", rep.ErrorCode, e.Check)
		}
		if rep.ErrorCode == 0 && !e.Applied {
			t.Errorf("OK, yet nothing applied")
		}
		if rep.ErrorCode != 0 && e.Applied {
			t.Errorf("code %d, yet the chunk was applied", rep.ErrorCode)
		}
		var fields map[string]any
		json.Unmarshal(body, &fields)
		_, hasKey := fields["MsgKey"]
		if (rep.MsgKey != "") != (rep.ErrorCode == 0 && !hasKey) {
			t.Errorf("MsgKey %q in the reply to %q", rep.MsgKey, e.Body)
		}
	})
}

// checkMemoryBound checks, after every request, that the stores are within
// their byte budgets and, every 256th run, that the process's heap stays
// under the 512 MiB goal however long the fuzzer runs.
func checkMemoryBound(t *testing.T, s *Server, execs *int) {
	if s.streams.bytes > s.streams.maxBytes {
		t.Errorf("the stream store holds %d bytes, over its %d", s.streams.bytes, s.streams.maxBytes)
	}
	if *execs++; *execs%256 == 0 {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		if m.HeapInuse > 512<<20 {
			t.Errorf("heap in use %d MiB after %d runs, over 512 MiB", m.HeapInuse>>20, *execs)
		}
	}
}

// checkRedacted checks that every usersig parameter of a journaled query,
// read the way the pipeline reads the query and named in any case, is
// redacted.
func checkRedacted(t *testing.T, query string) {
	t.Helper()
	q, _ := url.ParseQuery(query) // keeps what parses
	for name, values := range q {
		if !strings.EqualFold(name, "usersig") {
			continue
		}
		for _, v := range values {
			if v != "REDACTED" && v != "" {
				t.Errorf("journaled query %q keeps %s %q", query, name, v)
			}
		}
	}
}
