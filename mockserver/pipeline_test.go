package mockserver

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/deskmock/deskmock/mockserver/codes"
	"github.com/deskmock/deskmock/mockserver/usersig"
)

const (
	testSession  = "fd8a2e30-54de-4e40-bcaf-02718409c5cf"
	otherSession = "0b4f7e0e-6a3c-4a49-9d0e-3d2b8c1f5a77"
	endedSession = "5d1c2b3a-0000-4000-8000-00000000e0d0"
	nonDeskApp   = 1400000002
)

// pipelineServer serves the default app, a second non-Desk app, and one
// ended session.
func pipelineServer(t *testing.T) *TestServer {
	t.Helper()
	no := false
	ts := NewTestServer(t, WithApp(App{SDKAppID: nonDeskApp, SecretKey: "other-key", Admins: []string{"administrator"}, Desk: &no}))
	if err := ts.EndSession(endedSession); err != nil {
		t.Fatal(err)
	}
	return ts
}

// sign signs with the default app's key unless told otherwise.
func sign(t *testing.T, key string, sdkappid uint64, identifier string, issued time.Time, expire int64) string {
	t.Helper()
	sig, err := usersig.Generate(key, sdkappid, identifier, expire, issued)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func TestPipelineChecks(t *testing.T) {
	ts := pipelineServer(t)
	key := ts.App.SecretKey
	now := time.Now()
	good := sign(t, key, 1400000001, "administrator", now, 86400)
	q := func(sdkappid, identifier, sig, random, contenttype string) string {
		return "sdkappid=" + sdkappid + "&identifier=" + identifier + "&usersig=" + sig + "&random=" + random + "&contenttype=" + contenttype
	}
	okQuery := q("1400000001", "administrator", good, "99999999", "json")
	body := func(fields string) string { return `{"SessionId":"` + testSession + `","Chunk":"hi"` + fields + `}` }

	// A finished stream and an open stream of another session.
	first := post(t, ts.URL+EndpointPath+"?"+okQuery, `{"SessionId":"`+testSession+`","Chunk":"a","Finish":1}`)
	otherOpen := post(t, ts.URL+EndpointPath+"?"+okQuery, `{"SessionId":"`+otherSession+`","Chunk":"a"}`)
	if first.ErrorCode != 0 || otherOpen.ErrorCode != 0 {
		t.Fatalf("setup: %+v %+v", first, otherOpen)
	}

	tests := []struct {
		name   string
		method string
		path   string
		query  string
		body   string
		check  codes.Check
	}{
		{"unknown API", "POST", "/v4/desk_http_svc/no_such_api", okQuery, body(""), codes.CheckPath},
		{"GET", "GET", EndpointPath, okQuery, "", codes.CheckMethod},
		{"PUT", "PUT", EndpointPath, okQuery, body(""), codes.CheckMethod},
		{"bad escape", "POST", EndpointPath, okQuery + "&x=%zz", body(""), codes.CheckQuery},
		{"semicolon", "POST", EndpointPath, okQuery + ";x=1", body(""), codes.CheckQuery},
		{"identifier twice", "POST", EndpointPath, okQuery + "&identifier=administrator", body(""), codes.CheckQuery},
		{"identifier missing", "POST", EndpointPath, q("1400000001", "", good, "1", "json"), body(""), codes.CheckQuery},
		{"usersig missing", "POST", EndpointPath, q("1400000001", "administrator", "", "1", "json"), body(""), codes.CheckQuery},
		{"sdkappid not a number", "POST", EndpointPath, q("14000x0001", "administrator", good, "1", "json"), body(""), codes.CheckQuery},
		{"sdkappid missing", "POST", EndpointPath, "identifier=administrator&usersig=" + good + "&random=1&contenttype=json", body(""), codes.CheckSDKAppIDMissing},
		{"sdkappid empty", "POST", EndpointPath, q("", "administrator", good, "1", "json"), body(""), codes.CheckSDKAppIDMissing},
		{"random missing", "POST", EndpointPath, "sdkappid=1400000001&identifier=administrator&usersig=" + good + "&contenttype=json", body(""), codes.CheckRandom},
		{"random too large", "POST", EndpointPath, q("1400000001", "administrator", good, "4294967296", "json"), body(""), codes.CheckRandom},
		{"random negative", "POST", EndpointPath, q("1400000001", "administrator", good, "-1", "json"), body(""), codes.CheckRandom},
		{"random not a number", "POST", EndpointPath, q("1400000001", "administrator", good, "12ab", "json"), body(""), codes.CheckRandom},
		{"contenttype xml", "POST", EndpointPath, q("1400000001", "administrator", good, "1", "xml"), body(""), codes.CheckContentType},
		{"contenttype JSON", "POST", EndpointPath, q("1400000001", "administrator", good, "1", "JSON"), body(""), codes.CheckContentType},
		{"sdkappid unknown", "POST", EndpointPath, q("1400009999", "administrator", good, "1", "json"), body(""), codes.CheckSDKAppIDUnknown},
		{"usersig garbage", "POST", EndpointPath, q("1400000001", "administrator", "garbage", "1", "json"), body(""), codes.CheckUserSigUndecodable},
		{"usersig of another app", "POST", EndpointPath, q("1400000001", "administrator", sign(t, key, nonDeskApp, "administrator", now, 86400), "1", "json"), body(""), codes.CheckUserSigApp},
		{"usersig of another identifier", "POST", EndpointPath, q("1400000001", "administrator", sign(t, key, 1400000001, "bob", now, 86400), "1", "json"), body(""), codes.CheckUserSigIdentifier},
		{"usersig expired", "POST", EndpointPath, q("1400000001", "administrator", sign(t, key, 1400000001, "administrator", now.Add(-48*time.Hour), 86400), "1", "json"), body(""), codes.CheckUserSigExpired},
		{"usersig wrong key", "POST", EndpointPath, q("1400000001", "administrator", sign(t, "wrong-key", 1400000001, "administrator", now, 86400), "1", "json"), body(""), codes.CheckUserSigSignature},
		{"not an administrator", "POST", EndpointPath, q("1400000001", "bob", sign(t, key, 1400000001, "bob", now, 86400), "1", "json"), body(""), codes.CheckNotAdmin},
		{"not a Desk app", "POST", EndpointPath, q(strconv.Itoa(nonDeskApp), "administrator", sign(t, "other-key", nonDeskApp, "administrator", now, 86400), "1", "json"), body(""), codes.CheckNotDesk},
		{"body one byte too long", "POST", EndpointPath, okQuery, bodyOfSize(DefaultMaxBodyBytes + 1), codes.CheckBodyTooLarge},
		{"body empty", "POST", EndpointPath, okQuery, "", codes.CheckBodyNotJSON},
		{"body truncated JSON", "POST", EndpointPath, okQuery, `{"SessionId":`, codes.CheckBodyNotJSON},
		{"body two values", "POST", EndpointPath, okQuery, body("") + "{}", codes.CheckBodyNotJSON},
		{"body invalid UTF-8", "POST", EndpointPath, okQuery, `{"SessionId":"` + testSession + "\",\"Chunk\":\"\xff\"}", codes.CheckBodyNotJSON},
		{"body array", "POST", EndpointPath, okQuery, `[]`, codes.CheckBodySchema},
		{"body null", "POST", EndpointPath, okQuery, `null`, codes.CheckBodySchema},
		{"Chunk missing", "POST", EndpointPath, okQuery, `{"SessionId":"` + testSession + `"}`, codes.CheckBodySchema},
		{"SessionId missing", "POST", EndpointPath, okQuery, `{"Chunk":"hi"}`, codes.CheckBodySchema},
		{"SessionId a number", "POST", EndpointPath, okQuery, `{"SessionId":12,"Chunk":"hi"}`, codes.CheckBodySchema},
		{"Chunk a number", "POST", EndpointPath, okQuery, `{"SessionId":"` + testSession + `","Chunk":1}`, codes.CheckBodySchema},
		{"Finish 2", "POST", EndpointPath, okQuery, body(`,"Finish":2`), codes.CheckBodySchema},
		{"Finish a string", "POST", EndpointPath, okQuery, body(`,"Finish":"1"`), codes.CheckBodySchema},
		{"Finish true", "POST", EndpointPath, okQuery, body(`,"Finish":true`), codes.CheckBodySchema},
		{"MsgKey a number", "POST", EndpointPath, okQuery, body(`,"MsgKey":12`), codes.CheckBodySchema},
		{"CloudCustomData a number", "POST", EndpointPath, okQuery, body(`,"CloudCustomData":1`), codes.CheckBodySchema},
		{"SessionId not a UUID", "POST", EndpointPath, okQuery, `{"SessionId":"abc","Chunk":"hi"}`, codes.CheckSessionIDMalformed},
		{"SessionId empty", "POST", EndpointPath, okQuery, `{"SessionId":"","Chunk":"hi"}`, codes.CheckSessionIDMalformed},
		{"SessionId with braces", "POST", EndpointPath, okQuery, `{"SessionId":"{` + testSession[1:35] + `}","Chunk":"hi"}`, codes.CheckSessionIDMalformed},
		{"session ended", "POST", EndpointPath, okQuery, `{"SessionId":"` + endedSession + `","Chunk":"hi"}`, codes.CheckSessionNotFound},
		{"MsgKey never issued", "POST", EndpointPath, okQuery, body(`,"MsgKey":"1_1600045926_716f784b2bbd6ce9415027715"`), codes.CheckMsgKeyUnknown},
		{"MsgKey empty", "POST", EndpointPath, okQuery, body(`,"MsgKey":""`), codes.CheckMsgKeyUnknown},
		{"MsgKey of another session", "POST", EndpointPath, okQuery, body(`,"MsgKey":"` + otherOpen.MsgKey + `"`), codes.CheckMsgKeyForeign},
		{"stream finished", "POST", EndpointPath, okQuery, body(`,"MsgKey":"` + first.MsgKey + `"`), codes.CheckStreamFinished},
	}
	covered := map[codes.Check]bool{}
	for _, tt := range tests {
		covered[tt.check] = true
		t.Run(tt.name, func(t *testing.T) {
			ts.ClearRequests()
			req, err := http.NewRequest(tt.method, ts.URL+tt.path+"?"+tt.query, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw := readAll(t, resp)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d, want 200", resp.StatusCode)
			}
			got := decodeReply(t, raw)
			want := ts.table.Rule(tt.check)
			if got.ErrorCode != want.Code || got.ErrorInfo != want.Info || got.ActionStatus != "FAIL" {
				t.Errorf("reply %+v, want code %d %q", got, want.Code, want.Info)
			}
			ex := ts.Requests(ExchangeFilter{})
			if len(ex) != 1 || ex[0].Check != tt.check {
				t.Errorf("journal %+v, want one exchange failing %s", ex, tt.check)
			}
			if ex[0].Applied {
				t.Errorf("a rejected chunk was applied")
			}
		})
	}
	for _, r := range codes.Defaults() {
		if !covered[r.Check] {
			t.Errorf("no test provokes check %s (code %d)", r.Check, r.Code)
		}
	}
	if got := ts.Streams(); len(got) != 2 || got[0].Text != "a" || got[1].Text != "a" {
		t.Errorf("rejected requests changed the streams: %+v", got)
	}
}

// bodyOfSize returns a valid request body of exactly n bytes.
func bodyOfSize(n int) string {
	head := `{"SessionId":"` + testSession + `","Chunk":"`
	tail := `"}`
	return head + strings.Repeat("x", n-len(head)-len(tail)) + tail
}

func TestPipelineAccepts(t *testing.T) {
	ts := pipelineServer(t)
	sig := ts.SignUserSig()
	tests := []struct {
		name  string
		query string
		body  string
	}{
		{"body exactly at the limit", Query(1400000001, "administrator", sig, 1), bodyOfSize(DefaultMaxBodyBytes)},
		{"random 0", Query(1400000001, "administrator", sig, 0), `{"SessionId":"` + testSession + `","Chunk":"x"}`},
		{"random max", Query(1400000001, "administrator", sig, 4294967295), `{"SessionId":"` + testSession + `","Chunk":"x"}`},
		{"random with leading zeros", "sdkappid=1400000001&identifier=administrator&usersig=" + sig + "&random=007&contenttype=json", `{"SessionId":"` + testSession + `","Chunk":"x"}`},
		{"parameters in another order, extra parameter", "contenttype=json&random=5&usersig=" + sig + "&identifier=administrator&sdkappid=1400000001&extra=1", `{"SessionId":"` + testSession + `","Chunk":"x"}`},
		{"upper-case SessionId", Query(1400000001, "administrator", sig, 1), `{"SessionId":"` + strings.ToUpper(testSession) + `","Chunk":"x"}`},
		{"empty Chunk", Query(1400000001, "administrator", sig, 1), `{"SessionId":"` + testSession + `","Chunk":""}`},
		{"Finish 0", Query(1400000001, "administrator", sig, 1), `{"SessionId":"` + testSession + `","Chunk":"x","Finish":0}`},
		{"CloudCustomData", Query(1400000001, "administrator", sig, 1), `{"SessionId":"` + testSession + `","Chunk":"x","CloudCustomData":"{\"k\":1}"}`},
		{"unknown field ignored", Query(1400000001, "administrator", sig, 1), `{"SessionId":"` + testSession + `","Chunk":"x","Other":[1]}`},
		{"whitespace around the body", Query(1400000001, "administrator", sig, 1), " \n{\"SessionId\":\"" + testSession + "\",\"Chunk\":\"x\"}\n "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := post(t, ts.URL+EndpointPath+"?"+tt.query, tt.body)
			if got.ErrorCode != 0 || got.ActionStatus != "OK" || got.MsgKey == "" {
				t.Errorf("reply %+v, want OK with a MsgKey", got)
			}
		})
	}
}

func readAll(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the reply: %v", err)
	}
	return b
}

// The server accepts the UserSigs of every official library's style and
// zlib level, and the sigs pasted into the query URL-encoded.
func TestPipelineAcceptsEveryUserSigStyle(t *testing.T) {
	ts := pipelineServer(t)
	now := time.Now()
	claims := usersig.Claims{Identifier: "administrator", SDKAppID: 1400000001, Time: now.Unix(), Expire: 3600}
	tests := []struct {
		name  string
		opts  []usersig.Option
		query func(sig string) string
	}{
		{"Go, level 0", []usersig.Option{usersig.WithStyle(usersig.StyleGo), usersig.WithLevel(0)}, nil},
		{"Python, level 6", []usersig.Option{usersig.WithStyle(usersig.StylePython), usersig.WithLevel(6)}, nil},
		{"Node, level 6", []usersig.Option{usersig.WithStyle(usersig.StyleNode), usersig.WithLevel(6)}, nil},
		{"PHP, level 6", []usersig.Option{usersig.WithStyle(usersig.StylePHP), usersig.WithLevel(6)}, nil},
		{"Go, level 9", []usersig.Option{usersig.WithStyle(usersig.StyleGo), usersig.WithLevel(9)}, nil},
		{"percent-encoded in the query", nil, func(sig string) string {
			return "sdkappid=1400000001&identifier=administrator&usersig=" + strings.NewReplacer("*", "%2A", "-", "%2D", "_", "%5F").Replace(sig) + "&random=1&contenttype=json"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sig, err := usersig.Sign(ts.App.SecretKey, claims, tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			query := Query(1400000001, "administrator", sig, 1)
			if tt.query != nil {
				query = tt.query(sig)
			}
			got := post(t, ts.URL+EndpointPath+"?"+query, `{"SessionId":"`+testSession+`","Chunk":"x"}`)
			if got.ErrorCode != 0 {
				t.Errorf("%+v, want OK", got)
			}
		})
	}
}
