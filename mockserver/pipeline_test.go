package mockserver

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

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
	ts, _ := pipelineServerClock(t)
	return ts
}

// stoppedClock is a clock that stands still at its time and panics once
// when told to, so that a test can provoke a bug in the mock.
type stoppedClock struct {
	at        time.Time
	panicNext atomic.Bool
}

func (c *stoppedClock) now() time.Time {
	if c.panicNext.CompareAndSwap(true, false) {
		panic("the test's clock failed on purpose")
	}
	return c.at
}

// pipelineServerClock is pipelineServer on a stopped clock.
func pipelineServerClock(t *testing.T) (*TestServer, *stoppedClock) {
	t.Helper()
	no := false
	clk := &stoppedClock{at: time.Now()}
	ts := NewTestServer(t, WithClock(clk.now), WithApp(App{SDKAppID: nonDeskApp, SecretKey: "other-key", Admins: []string{"administrator"}, Desk: &no}),
		Option(func(c *Config) {
			c.Accounts = Directory{Strict: true, IDs: []string{"@RBT#bot", "@RBT#my_bot", "user01", "user02"}}
			c.Groups = Directory{Strict: true, IDs: []string{"group01"}}
		}))
	if err := ts.EndSession(endedSession); err != nil {
		t.Fatal(err)
	}
	return ts, clk
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
	ts, clk := pipelineServerClock(t)
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
	// v2: a stream left idle past the timeout; then, on the same instant,
	// a finished stream, an open one at Index 2 and one that made its five
	// calls of this second.
	v2 := func(key string, chunks ...v2Chunk) string { return v2Body(testSession, key, chunks...) }
	v2URL := ts.URL + EndpointV2Path + "?" + okQuery
	idle := post(t, v2URL, v2(``, v2Chunk{1, "a", false}))
	c2cURL, groupURL := ts.URL+EndpointC2CPath+"?"+okQuery, ts.URL+EndpointGroupPath+"?"+okQuery
	c2c := func(key string, chunks ...v2Chunk) string { return c2cBody("@RBT#bot", "user01", key, chunks...) }
	grp := func(key string, chunks ...v2Chunk) string { return groupBody("group01", "@RBT#bot", key, chunks...) }
	native := map[string]struct{ done, open, fresh, idle, busy wireReply }{}
	for name, url := range map[string]string{C2C: c2cURL, Group: groupURL} {
		body := c2c
		if name == Group {
			body = grp
		}
		r := native[name]
		r.idle = post(t, url, body("", v2Chunk{1, "a", false}))
		native[name] = r
	}
	if err := ts.AdvanceClock(16 * time.Second); err != nil {
		t.Fatal(err)
	}
	done2 := post(t, v2URL, v2(``, v2Chunk{1, "a", true}))
	open2 := post(t, v2URL, v2(``, v2Chunk{1, "a", false}))
	busy := post(t, v2URL, v2(``, v2Chunk{1, "a", false}))
	for i := 2; i <= 5; i++ {
		if r := post(t, v2URL, v2(busy.MsgKey, v2Chunk{i, "a", false})); r.ErrorCode != 0 {
			t.Fatalf("setup: call %d of the busy stream: %+v", i, r)
		}
	}
	if post(t, v2URL, v2(open2.MsgKey, v2Chunk{2, "a", false})).ErrorCode != 0 || idle.ErrorCode != 0 || done2.ErrorCode != 0 {
		t.Fatalf("setup of the v2 streams failed")
	}
	// The native streams, on the same instant: on each, a finished stream,
	// an open one of another conversation and one that made its five calls
	// of this second (the idle one was opened before the clock moved).
	for _, n := range []struct {
		name, url string
		body      func(string, ...v2Chunk) string
		other     string
	}{
		{C2C, c2cURL, c2c, c2cBody("@RBT#bot", "user02", "", v2Chunk{1, "a", false})},
		{Group, groupURL, grp, groupBody("group01", "user02", "", v2Chunk{1, "a", false})},
	} {
		r := native[n.name]
		r.done = post(t, n.url, n.body("", v2Chunk{1, "a", true}))
		r.open = post(t, n.url, n.other)
		r.fresh = post(t, n.url, n.body("", v2Chunk{1, "a", false}))
		r.busy = post(t, n.url, n.body("", v2Chunk{1, "a", false}))
		for i := 2; i <= 5; i++ {
			if got := post(t, n.url, n.body(r.busy.StreamMsgID, v2Chunk{i, "a", false})); got.ErrorCode != 0 {
				t.Fatalf("setup: call %d of the busy %s stream: %+v", i, n.name, got)
			}
		}
		if r.idle.StreamMsgID == "" || r.done.StreamMsgID == "" || r.fresh.StreamMsgID == "" || r.open.StreamMsgID == "" || r.busy.StreamMsgID == "" {
			t.Fatalf("setup of the %s streams failed: %+v", n.name, r)
		}
		native[n.name] = r
	}
	nc, ng := native[C2C], native[Group]

	// The chatbot: a finished stream and an open one to another user; the
	// app's chatbots filled to the limit (the default app has @RBT#my_bot);
	// and the rate of the second app spent on every chatbot API.
	chatbotURL := ts.URL + EndpointChatbotPath + "?" + okQuery
	bot := func(fields string) string {
		return `{"From_Account":"@RBT#my_bot","To_Account":"user01","Chunk":"a"` + fields + `}`
	}
	botDone := post(t, chatbotURL, bot(`,"Finish":1`))
	botOpen := post(t, chatbotURL, `{"From_Account":"@RBT#my_bot","To_Account":"user02","Chunk":"a"}`)
	if botDone.MsgKey == "" || botOpen.MsgKey == "" {
		t.Fatalf("setup of the chatbot streams failed: %+v %+v", botDone, botOpen)
	}
	for i := len(ts.Robots()); i < maxRobotsPerApp; i++ {
		if r := post(t, ts.URL+CreateRobotPath+"?"+okQuery, `{"UserID":"@RBT#bot`+strconv.Itoa(i)+`"}`); r.ErrorCode != 0 {
			t.Fatalf("setup: creating chatbot %d: %+v", i, r)
		}
	}
	for _, ep := range []string{Chatbot, CreateRobot, DeleteRobot, GetAllRobots} {
		for range chatbotRate {
			ts.appRate.allow(nonDeskApp, ep, chatbotRate, ts.now())
		}
	}
	otherApp := q(strconv.Itoa(nonDeskApp), "administrator", sign(t, "other-key", nonDeskApp, "administrator", now, 86400), "1", "json")

	// A session an agent serves, after a transfer.
	const agentSession = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
	if r := post(t, ts.URL+TransferPath+"?"+okQuery, `{"SessionId":"`+agentSession+`"}`); r.ErrorCode != 0 {
		t.Fatalf("setup: transfer: %+v", r)
	}
	sessionBody := func(field, id string) string { return `{"` + field + `":"` + id + `"}` }
	before := ts.Streams()

	type row struct {
		name   string
		method string
		path   string
		query  string
		body   string
		check  codes.Check
		// panics makes the mock fail while answering.
		panics bool
	}
	tests := []row{
		{"unknown API", "POST", "/v4/desk_http_svc/no_such_api", okQuery, body(""), codes.CheckPath, false},
		{"GET", "GET", EndpointPath, okQuery, "", codes.CheckMethod, false},
		{"PUT", "PUT", EndpointPath, okQuery, body(""), codes.CheckMethod, false},
		{"bad escape", "POST", EndpointPath, okQuery + "&x=%zz", body(""), codes.CheckQuery, false},
		{"semicolon", "POST", EndpointPath, okQuery + ";x=1", body(""), codes.CheckQuery, false},
		{"identifier twice", "POST", EndpointPath, okQuery + "&identifier=administrator", body(""), codes.CheckQuery, false},
		{"identifier missing", "POST", EndpointPath, q("1400000001", "", good, "1", "json"), body(""), codes.CheckQuery, false},
		{"usersig missing", "POST", EndpointPath, q("1400000001", "administrator", "", "1", "json"), body(""), codes.CheckQuery, false},
		{"sdkappid not a number", "POST", EndpointPath, q("14000x0001", "administrator", good, "1", "json"), body(""), codes.CheckQuery, false},
		{"sdkappid missing", "POST", EndpointPath, "identifier=administrator&usersig=" + good + "&random=1&contenttype=json", body(""), codes.CheckSDKAppIDMissing, false},
		{"sdkappid empty", "POST", EndpointPath, q("", "administrator", good, "1", "json"), body(""), codes.CheckSDKAppIDMissing, false},
		{"random missing", "POST", EndpointPath, "sdkappid=1400000001&identifier=administrator&usersig=" + good + "&contenttype=json", body(""), codes.CheckRandom, false},
		{"random too large", "POST", EndpointPath, q("1400000001", "administrator", good, "4294967296", "json"), body(""), codes.CheckRandom, false},
		{"random negative", "POST", EndpointPath, q("1400000001", "administrator", good, "-1", "json"), body(""), codes.CheckRandom, false},
		{"random not a number", "POST", EndpointPath, q("1400000001", "administrator", good, "12ab", "json"), body(""), codes.CheckRandom, false},
		{"contenttype xml", "POST", EndpointPath, q("1400000001", "administrator", good, "1", "xml"), body(""), codes.CheckContentType, false},
		{"contenttype JSON", "POST", EndpointPath, q("1400000001", "administrator", good, "1", "JSON"), body(""), codes.CheckContentType, false},
		{"sdkappid unknown", "POST", EndpointPath, q("1400009999", "administrator", good, "1", "json"), body(""), codes.CheckSDKAppIDUnknown, false},
		{"usersig garbage", "POST", EndpointPath, q("1400000001", "administrator", "garbage", "1", "json"), body(""), codes.CheckUserSigUndecodable, false},
		{"usersig of another app", "POST", EndpointPath, q("1400000001", "administrator", sign(t, key, nonDeskApp, "administrator", now, 86400), "1", "json"), body(""), codes.CheckUserSigApp, false},
		{"usersig of another identifier", "POST", EndpointPath, q("1400000001", "administrator", sign(t, key, 1400000001, "bob", now, 86400), "1", "json"), body(""), codes.CheckUserSigIdentifier, false},
		{"usersig expired", "POST", EndpointPath, q("1400000001", "administrator", sign(t, key, 1400000001, "administrator", now.Add(-48*time.Hour), 86400), "1", "json"), body(""), codes.CheckUserSigExpired, false},
		{"usersig wrong key", "POST", EndpointPath, q("1400000001", "administrator", sign(t, "wrong-key", 1400000001, "administrator", now, 86400), "1", "json"), body(""), codes.CheckUserSigSignature, false},
		{"not an administrator", "POST", EndpointPath, q("1400000001", "bob", sign(t, key, 1400000001, "bob", now, 86400), "1", "json"), body(""), codes.CheckNotAdmin, false},
		{"not a Desk app", "POST", EndpointPath, q(strconv.Itoa(nonDeskApp), "administrator", sign(t, "other-key", nonDeskApp, "administrator", now, 86400), "1", "json"), body(""), codes.CheckNotDesk, false},
		{"body one byte too long", "POST", EndpointPath, okQuery, bodyOfSize(defaultMaxBodyBytes + 1), codes.CheckBodyTooLarge, false},
		{"body empty", "POST", EndpointPath, okQuery, "", codes.CheckBodyNotJSON, false},
		{"body truncated JSON", "POST", EndpointPath, okQuery, `{"SessionId":`, codes.CheckBodyNotJSON, false},
		{"body two values", "POST", EndpointPath, okQuery, body("") + "{}", codes.CheckBodyNotJSON, false},
		{"body invalid UTF-8", "POST", EndpointPath, okQuery, `{"SessionId":"` + testSession + "\",\"Chunk\":\"\xff\"}", codes.CheckBodyNotJSON, false},
		{"body array", "POST", EndpointPath, okQuery, `[]`, codes.CheckBodySchema, false},
		{"body null", "POST", EndpointPath, okQuery, `null`, codes.CheckBodySchema, false},
		{"Chunk missing", "POST", EndpointPath, okQuery, `{"SessionId":"` + testSession + `"}`, codes.CheckBodySchema, false},
		{"SessionId missing", "POST", EndpointPath, okQuery, `{"Chunk":"hi"}`, codes.CheckBodySchema, false},
		{"SessionId a number", "POST", EndpointPath, okQuery, `{"SessionId":12,"Chunk":"hi"}`, codes.CheckBodySchema, false},
		{"Chunk a number", "POST", EndpointPath, okQuery, `{"SessionId":"` + testSession + `","Chunk":1}`, codes.CheckBodySchema, false},
		{"Finish 2", "POST", EndpointPath, okQuery, body(`,"Finish":2`), codes.CheckBodySchema, false},
		{"Finish a string", "POST", EndpointPath, okQuery, body(`,"Finish":"1"`), codes.CheckBodySchema, false},
		{"Finish true", "POST", EndpointPath, okQuery, body(`,"Finish":true`), codes.CheckBodySchema, false},
		{"Finish 1e999999999", "POST", EndpointPath, okQuery, body(`,"Finish":1e999999999`), codes.CheckBodySchema, false},
		{"Finish 1e-999999999", "POST", EndpointPath, okQuery, body(`,"Finish":1e-999999999`), codes.CheckBodySchema, false},
		{"Finish with 100 digits", "POST", EndpointPath, okQuery, body(`,"Finish":` + strings.Repeat("1", 100)), codes.CheckBodySchema, false},
		{"MsgKey a number", "POST", EndpointPath, okQuery, body(`,"MsgKey":12`), codes.CheckBodySchema, false},
		{"CloudCustomData a number", "POST", EndpointPath, okQuery, body(`,"CloudCustomData":1`), codes.CheckBodySchema, false},
		{"SessionId not a UUID", "POST", EndpointPath, okQuery, `{"SessionId":"abc","Chunk":"hi"}`, codes.CheckSessionIDMalformed, false},
		{"SessionId empty", "POST", EndpointPath, okQuery, `{"SessionId":"","Chunk":"hi"}`, codes.CheckSessionIDMalformed, false},
		{"SessionId with braces", "POST", EndpointPath, okQuery, `{"SessionId":"{` + testSession[1:35] + `}","Chunk":"hi"}`, codes.CheckSessionIDMalformed, false},
		{"session ended", "POST", EndpointPath, okQuery, `{"SessionId":"` + endedSession + `","Chunk":"hi"}`, codes.CheckSessionNotFound, false},
		{"MsgKey never issued", "POST", EndpointPath, okQuery, body(`,"MsgKey":"1_1600045926_716f784b2bbd6ce9415027715"`), codes.CheckMsgKeyUnknown, false},
		{"MsgKey empty", "POST", EndpointPath, okQuery, body(`,"MsgKey":""`), codes.CheckMsgKeyUnknown, false},
		{"MsgKey of another session", "POST", EndpointPath, okQuery, body(`,"MsgKey":"` + otherOpen.MsgKey + `"`), codes.CheckMsgKeyForeign, false},
		{"stream finished", "POST", EndpointPath, okQuery, body(`,"MsgKey":"` + first.MsgKey + `"`), codes.CheckStreamFinished, false},
		{"v2 body one byte too long", "POST", EndpointV2Path, okQuery, strings.Repeat(" ", defaultMaxBodyBytesV2+1), codes.CheckBodyTooLarge, false},
		{"v2 body not JSON", "POST", EndpointV2Path, okQuery, `{"SessionId"`, codes.CheckBodyNotJSON, false},
		{"v2 a v1 body", "POST", EndpointV2Path, okQuery, body(""), codes.CheckBodySchema, false},
		{"v2 no chunks", "POST", EndpointV2Path, okQuery, v2(""), codes.CheckBodySchema, false},
		{"v2 Index 0", "POST", EndpointV2Path, okQuery, v2("", v2Chunk{0, "a", false}), codes.CheckBodySchema, false},
		{"v2 IsLast before the last chunk", "POST", EndpointV2Path, okQuery, v2("", v2Chunk{1, "a", true}, v2Chunk{2, "b", false}), codes.CheckBodySchema, false},
		{"v2 huge number", "POST", EndpointV2Path, okQuery, `{"SessionId":"` + testSession + `","MsgBody":[{"MsgType":"TIMStreamElem","MsgContent":{"Chunks":[{"EventType":"data","Index":1e999999999,"Markdown":"a"}]}}]}`, codes.CheckBodySchema, false},
		{"v2 SessionId not a UUID", "POST", EndpointV2Path, okQuery, v2Body("abc", "", v2Chunk{1, "a", false}), codes.CheckSessionIDMalformed, false},
		{"v2 session ended", "POST", EndpointV2Path, okQuery, v2Body(endedSession, "", v2Chunk{1, "a", false}), codes.CheckSessionNotFound, false},
		{"v2 first Index not 1", "POST", EndpointV2Path, okQuery, v2("", v2Chunk{2, "a", false}), codes.CheckChunkIndex, false},
		{"v2 Index repeated", "POST", EndpointV2Path, okQuery, v2(open2.MsgKey, v2Chunk{2, "a", false}), codes.CheckChunkIndex, false},
		{"v2 Index lower", "POST", EndpointV2Path, okQuery, v2(open2.MsgKey, v2Chunk{1, "a", false}), codes.CheckChunkIndex, false},
		{"v2 Indexes not increasing in one call", "POST", EndpointV2Path, okQuery, v2(open2.MsgKey, v2Chunk{4, "a", false}, v2Chunk{3, "b", false}), codes.CheckChunkIndex, false},
		{"v2 message of 128 KB", "POST", EndpointV2Path, okQuery, v2("", v2Chunk{1, strings.Repeat("x", 128*1024), false}), codes.CheckMessageTooLarge, false},
		{"v2 MsgKey of v1", "POST", EndpointV2Path, okQuery, v2(otherOpen.MsgKey, v2Chunk{3, "a", false}), codes.CheckMsgKeyUnknown, false},
		{"v2 MsgKey of another session", "POST", EndpointV2Path, okQuery, v2Body(otherSession, open2.MsgKey, v2Chunk{3, "a", false}), codes.CheckMsgKeyForeign, false},
		{"v2 stream finished", "POST", EndpointV2Path, okQuery, v2(done2.MsgKey, v2Chunk{2, "a", false}), codes.CheckStreamFinished, false},
		{"v2 stream idle past 15 s", "POST", EndpointV2Path, okQuery, v2(idle.MsgKey, v2Chunk{2, "a", false}), codes.CheckStreamIdleEnded, false},
		{"v2 sixth call in one second", "POST", EndpointV2Path, okQuery, v2(busy.MsgKey, v2Chunk{6, "a", false}), codes.CheckStreamRate, false},
		{"the mock fails", "POST", EndpointPath, okQuery, body(""), codes.CheckInternal, true},
		{"v2 the mock fails", "POST", EndpointV2Path, okQuery, v2("", v2Chunk{1, "a", false}), codes.CheckInternal, true},

		{"c2c body one byte too long", "POST", EndpointC2CPath, okQuery, strings.Repeat(" ", defaultMaxBodyBytesV2+1), codes.CheckBodyTooLarge, false},
		{"c2c body not JSON", "POST", EndpointC2CPath, okQuery, `{"To_Account"`, codes.CheckBodyNotJSON, false},
		{"c2c a v2 body", "POST", EndpointC2CPath, okQuery, v2("", v2Chunk{1, "a", false}), codes.CheckBodySchema, false},
		{"c2c MsgRandom negative", "POST", EndpointC2CPath, okQuery, strings.Replace(c2c("", v2Chunk{1, "a", false}), `"MsgRandom":1`, `"MsgRandom":-1`, 1), codes.CheckBodySchema, false},
		{"c2c To_Account empty", "POST", EndpointC2CPath, okQuery, c2cBody("@RBT#bot", "", "", v2Chunk{1, "a", false}), codes.CheckAccountMalformed, false},
		{"c2c From_Account of 33 bytes", "POST", EndpointC2CPath, okQuery, c2cBody(strings.Repeat("b", 33), "user01", "", v2Chunk{1, "a", false}), codes.CheckAccountMalformed, false},
		{"c2c To_Account unknown (strict)", "POST", EndpointC2CPath, okQuery, c2cBody("@RBT#bot", "stranger", "", v2Chunk{1, "a", false}), codes.CheckAccountUnknown, false},
		{"c2c From_Account unknown (strict)", "POST", EndpointC2CPath, okQuery, c2cBody("stranger", "user01", "", v2Chunk{1, "a", false}), codes.CheckAccountUnknown, false},
		{"c2c first Index not 1", "POST", EndpointC2CPath, okQuery, c2c("", v2Chunk{2, "a", false}), codes.CheckChunkIndex, false},
		{"c2c message of 128 KB", "POST", EndpointC2CPath, okQuery, c2c("", v2Chunk{1, strings.Repeat("x", 128*1024), false}), codes.CheckMessageTooLarge, false},
		{"c2c StreamMsgID of group", "POST", EndpointC2CPath, okQuery, c2c(ng.open.StreamMsgID, v2Chunk{2, "a", false}), codes.CheckMsgKeyUnknown, false},
		{"c2c StreamMsgID of another conversation", "POST", EndpointC2CPath, okQuery, c2c(nc.open.StreamMsgID, v2Chunk{2, "a", false}), codes.CheckMsgKeyForeign, false},
		{"c2c stream finished", "POST", EndpointC2CPath, okQuery, c2c(nc.done.StreamMsgID, v2Chunk{2, "a", false}), codes.CheckStreamFinished, false},
		{"c2c stream idle past 15 s", "POST", EndpointC2CPath, okQuery, c2c(nc.idle.StreamMsgID, v2Chunk{2, "a", false}), codes.CheckStreamIdleEnded, false},
		{"c2c sixth call in one second", "POST", EndpointC2CPath, okQuery, c2c(nc.busy.StreamMsgID, v2Chunk{6, "a", false}), codes.CheckStreamRate, false},
		{"c2c the mock fails", "POST", EndpointC2CPath, okQuery, c2c("", v2Chunk{1, "a", false}), codes.CheckInternal, true},

		{"group body one byte too long", "POST", EndpointGroupPath, okQuery, strings.Repeat(" ", defaultMaxBodyBytesV2+1), codes.CheckBodyTooLarge, false},
		{"group body not JSON", "POST", EndpointGroupPath, okQuery, `[`, codes.CheckBodyNotJSON, false},
		{"group GroupId missing", "POST", EndpointGroupPath, okQuery, c2c("", v2Chunk{1, "a", false}), codes.CheckBodySchema, false},
		{"group GroupId empty", "POST", EndpointGroupPath, okQuery, groupBody("", "@RBT#bot", "", v2Chunk{1, "a", false}), codes.CheckGroupIDMalformed, false},
		{"group GroupId of 49 bytes", "POST", EndpointGroupPath, okQuery, groupBody(strings.Repeat("g", 49), "@RBT#bot", "", v2Chunk{1, "a", false}), codes.CheckGroupIDMalformed, false},
		{"group From_Account empty", "POST", EndpointGroupPath, okQuery, strings.Replace(grp("", v2Chunk{1, "a", false}), `"From_Account":"@RBT#bot"`, `"From_Account":""`, 1), codes.CheckAccountMalformed, false},
		{"group unknown (strict)", "POST", EndpointGroupPath, okQuery, groupBody("group02", "@RBT#bot", "", v2Chunk{1, "a", false}), codes.CheckGroupUnknown, false},
		{"group sender unknown (strict)", "POST", EndpointGroupPath, okQuery, groupBody("group01", "stranger", "", v2Chunk{1, "a", false}), codes.CheckAccountUnknown, false},
		{"group Index repeated", "POST", EndpointGroupPath, okQuery, grp(ng.fresh.StreamMsgID, v2Chunk{1, "a", false}), codes.CheckChunkIndex, false},
		{"group message of 128 KB", "POST", EndpointGroupPath, okQuery, grp("", v2Chunk{1, strings.Repeat("x", 128*1024), false}), codes.CheckMessageTooLarge, false},
		{"group StreamMsgID never issued", "POST", EndpointGroupPath, okQuery, grp("1_1600045926_716f784b2bbd6ce9415027715", v2Chunk{2, "a", false}), codes.CheckMsgKeyUnknown, false},
		{"group StreamMsgID of another sender", "POST", EndpointGroupPath, okQuery, grp(ng.open.StreamMsgID, v2Chunk{2, "a", false}), codes.CheckMsgKeyForeign, false},
		{"group stream finished", "POST", EndpointGroupPath, okQuery, grp(ng.done.StreamMsgID, v2Chunk{2, "a", false}), codes.CheckStreamFinished, false},
		{"group stream idle past 15 s", "POST", EndpointGroupPath, okQuery, grp(ng.idle.StreamMsgID, v2Chunk{2, "a", false}), codes.CheckStreamIdleEnded, false},
		{"group sixth call in one second", "POST", EndpointGroupPath, okQuery, grp(ng.busy.StreamMsgID, v2Chunk{6, "a", false}), codes.CheckStreamRate, false},
		{"group the mock fails", "POST", EndpointGroupPath, okQuery, grp("", v2Chunk{1, "a", false}), codes.CheckInternal, true},

		{"chatbot: the app's 201st call in one second", "POST", EndpointChatbotPath, otherApp, bot(""), codes.CheckAppRate, false},
		{"chatbot body one byte too long", "POST", EndpointChatbotPath, okQuery, strings.Repeat(" ", defaultMaxBodyBytes+1), codes.CheckBodyTooLarge, false},
		{"chatbot body not JSON", "POST", EndpointChatbotPath, okQuery, `{"Chunk"`, codes.CheckBodyNotJSON, false},
		{"chatbot From_Account missing", "POST", EndpointChatbotPath, okQuery, `{"To_Account":"user01","Chunk":"a"}`, codes.CheckBodySchema, false},
		{"chatbot Finish 2", "POST", EndpointChatbotPath, okQuery, bot(`,"Finish":2`), codes.CheckBodySchema, false},
		{"chatbot To_Account empty", "POST", EndpointChatbotPath, okQuery, `{"From_Account":"@RBT#my_bot","To_Account":"","Chunk":"a"}`, codes.CheckAccountMalformed, false},
		{"chatbot From_Account empty", "POST", EndpointChatbotPath, okQuery, `{"From_Account":"","To_Account":"user01","Chunk":"a"}`, codes.CheckAccountMalformed, false},
		{"chatbot sender not @RBT#", "POST", EndpointChatbotPath, okQuery, `{"From_Account":"user02","To_Account":"user01","Chunk":"a"}`, codes.CheckNotRobot, false},
		{"chatbot sender never created", "POST", EndpointChatbotPath, okQuery, `{"From_Account":"@RBT#ghost","To_Account":"user01","Chunk":"a"}`, codes.CheckNotRobot, false},
		{"chatbot To_Account unknown (strict)", "POST", EndpointChatbotPath, okQuery, `{"From_Account":"@RBT#my_bot","To_Account":"stranger","Chunk":"a"}`, codes.CheckAccountUnknown, false},
		{"chatbot MsgKey of v1", "POST", EndpointChatbotPath, okQuery, bot(`,"MsgKey":"` + otherOpen.MsgKey + `"`), codes.CheckMsgKeyUnknown, false},
		{"chatbot MsgKey of another user", "POST", EndpointChatbotPath, okQuery, bot(`,"MsgKey":"` + botOpen.MsgKey + `"`), codes.CheckMsgKeyForeign, false},
		{"chatbot stream finished", "POST", EndpointChatbotPath, okQuery, bot(`,"MsgKey":"` + botDone.MsgKey + `"`), codes.CheckStreamFinished, false},
		{"chatbot the mock fails", "POST", EndpointChatbotPath, okQuery, bot(""), codes.CheckInternal, true},

		{"create_robot: the app's 201st call in one second", "POST", CreateRobotPath, otherApp, `{"UserID":"@RBT#x"}`, codes.CheckAppRate, false},
		{"create_robot body one byte too long", "POST", CreateRobotPath, okQuery, strings.Repeat(" ", defaultMaxBodyBytes+1), codes.CheckBodyTooLarge, false},
		{"create_robot body not JSON", "POST", CreateRobotPath, okQuery, `{`, codes.CheckBodyNotJSON, false},
		{"create_robot UserID missing", "POST", CreateRobotPath, okQuery, `{"Nick":"n"}`, codes.CheckBodySchema, false},
		{"create_robot SelfSignature of 501 bytes", "POST", CreateRobotPath, okQuery, `{"UserID":"@RBT#x","SelfSignature":"` + strings.Repeat("s", 501) + `"}`, codes.CheckBodySchema, false},
		{"create_robot SelfSignature of 501 bytes in 167 characters", "POST", CreateRobotPath, okQuery, `{"UserID":"@RBT#x","SelfSignature":"` + strings.Repeat("字", 167) + `"}`, codes.CheckBodySchema, false},
		{"create_robot UserID without @RBT#", "POST", CreateRobotPath, okQuery, `{"UserID":"bot"}`, codes.CheckRobotIDMalformed, false},
		{"create_robot UserID of 33 bytes", "POST", CreateRobotPath, okQuery, `{"UserID":"@RBT#` + strings.Repeat("b", 28) + `"}`, codes.CheckRobotIDMalformed, false},
		{"create_robot: a 21st chatbot", "POST", CreateRobotPath, okQuery, `{"UserID":"@RBT#one_more"}`, codes.CheckRobotLimit, false},
		{"create_robot the mock fails", "POST", CreateRobotPath, okQuery, `{"UserID":"@RBT#x"}`, codes.CheckInternal, true},
		{"delete_robot: the app's 201st call in one second", "POST", DeleteRobotPath, otherApp, `{"Robot_Account":"@RBT#x"}`, codes.CheckAppRate, false},
		{"delete_robot body one byte too long", "POST", DeleteRobotPath, okQuery, strings.Repeat(" ", defaultMaxBodyBytes+1), codes.CheckBodyTooLarge, false},
		{"delete_robot body not JSON", "POST", DeleteRobotPath, okQuery, `x`, codes.CheckBodyNotJSON, false},
		{"delete_robot Robot_Account a number", "POST", DeleteRobotPath, okQuery, `{"Robot_Account":1}`, codes.CheckBodySchema, false},
		{"delete_robot Robot_Account without @RBT#", "POST", DeleteRobotPath, okQuery, `{"Robot_Account":"user01"}`, codes.CheckRobotIDMalformed, false},
		{"delete_robot a chatbot never created", "POST", DeleteRobotPath, okQuery, `{"Robot_Account":"@RBT#ghost"}`, codes.CheckRobotUnknown, false},
		{"delete_robot the mock fails", "POST", DeleteRobotPath, okQuery, `{"Robot_Account":"@RBT#bot1"}`, codes.CheckInternal, true},
		{"get_all_robots: the app's 201st call in one second", "POST", GetAllRobotsPath, otherApp, `{}`, codes.CheckAppRate, false},
		{"get_all_robots body one byte too long", "POST", GetAllRobotsPath, okQuery, strings.Repeat(" ", defaultMaxBodyBytes+1), codes.CheckBodyTooLarge, false},
		{"get_all_robots body not JSON", "POST", GetAllRobotsPath, okQuery, ``, codes.CheckBodyNotJSON, false},
		{"get_all_robots body an array", "POST", GetAllRobotsPath, okQuery, `[]`, codes.CheckBodySchema, false},
		{"get_all_robots the mock fails", "POST", GetAllRobotsPath, okQuery, `{}`, codes.CheckInternal, true},

		{"v1 into a session an agent serves", "POST", EndpointPath, okQuery, `{"SessionId":"` + agentSession + `","Chunk":"hi"}`, codes.CheckSessionNotBot, false},
		{"v2 into a session an agent serves", "POST", EndpointV2Path, okQuery, v2Body(agentSession, "", v2Chunk{1, "a", false}), codes.CheckSessionNotBot, false},
		{"transfer body one byte too long", "POST", TransferPath, okQuery, strings.Repeat(" ", defaultMaxBodyBytes+1), codes.CheckBodyTooLarge, false},
		{"transfer body not JSON", "POST", TransferPath, okQuery, `{`, codes.CheckBodyNotJSON, false},
		{"transfer SessionId missing", "POST", TransferPath, okQuery, `{}`, codes.CheckBodySchema, false},
		{"transfer Priority 10", "POST", TransferPath, okQuery, `{"SessionId":"` + testSession + `","Priority":10}`, codes.CheckBodySchema, false},
		{"transfer SessionId not a UUID", "POST", TransferPath, okQuery, sessionBody("SessionId", "abc"), codes.CheckSessionIDMalformed, false},
		{"transfer of an ended session", "POST", TransferPath, okQuery, sessionBody("SessionId", endedSession), codes.CheckSessionNotFound, false},
		{"transfer of a session an agent serves", "POST", TransferPath, okQuery, sessionBody("SessionId", agentSession), codes.CheckSessionState, false},
		{"transfer the mock fails", "POST", TransferPath, okQuery, sessionBody("SessionId", testSession), codes.CheckInternal, true},
		{"end_session body one byte too long", "POST", EndSessionPath, okQuery, strings.Repeat(" ", defaultMaxBodyBytes+1), codes.CheckBodyTooLarge, false},
		{"end_session body not JSON", "POST", EndSessionPath, okQuery, `]`, codes.CheckBodyNotJSON, false},
		{"end_session SessionId a number", "POST", EndSessionPath, okQuery, `{"SessionId":1}`, codes.CheckBodySchema, false},
		{"end_session SessionId not a UUID", "POST", EndSessionPath, okQuery, sessionBody("SessionId", ""), codes.CheckSessionIDMalformed, false},
		{"end_session of an ended session", "POST", EndSessionPath, okQuery, sessionBody("SessionId", endedSession), codes.CheckSessionNotFound, false},
		{"end_session the mock fails", "POST", EndSessionPath, okQuery, sessionBody("SessionId", testSession), codes.CheckInternal, true},
		{"end_queuing body one byte too long", "POST", EndQueuingPath, okQuery, strings.Repeat(" ", defaultMaxBodyBytes+1), codes.CheckBodyTooLarge, false},
		{"end_queuing body not JSON", "POST", EndQueuingPath, okQuery, `"`, codes.CheckBodyNotJSON, false},
		{"end_queuing SessionId instead of SessionID", "POST", EndQueuingPath, okQuery, sessionBody("SessionId", testSession), codes.CheckBodySchema, false},
		{"end_queuing SessionID not a UUID", "POST", EndQueuingPath, okQuery, sessionBody("SessionID", "x"), codes.CheckSessionIDMalformed, false},
		{"end_queuing of an ended session", "POST", EndQueuingPath, okQuery, sessionBody("SessionID", endedSession), codes.CheckSessionNotFound, false},
		{"end_queuing of a session not queueing", "POST", EndQueuingPath, okQuery, sessionBody("SessionID", agentSession), codes.CheckSessionState, false},
		{"end_queuing the mock fails", "POST", EndQueuingPath, okQuery, sessionBody("SessionID", testSession), codes.CheckInternal, true},
		{"get_session_state body one byte too long", "POST", SessionStatePath, okQuery, strings.Repeat(" ", defaultMaxBodyBytes+1), codes.CheckBodyTooLarge, false},
		{"get_session_state body not JSON", "POST", SessionStatePath, okQuery, `{"SessionId"}`, codes.CheckBodyNotJSON, false},
		{"get_session_state body an array", "POST", SessionStatePath, okQuery, `[]`, codes.CheckBodySchema, false},
		{"get_session_state SessionId not a UUID", "POST", SessionStatePath, okQuery, sessionBody("SessionId", "abc"), codes.CheckSessionIDMalformed, false},
		{"get_session_state the mock fails", "POST", SessionStatePath, okQuery, sessionBody("SessionId", testSession), codes.CheckInternal, true},
		{"send_msg body one byte too long", "POST", SendMsgPath, okQuery, strings.Repeat(" ", defaultMaxBodyBytes+1), codes.CheckBodyTooLarge, false},
		{"send_msg body not JSON", "POST", SendMsgPath, okQuery, `{,}`, codes.CheckBodyNotJSON, false},
		{"send_msg no MsgBody", "POST", SendMsgPath, okQuery, sessionBody("SessionId", testSession), codes.CheckBodySchema, false},
		{"send_msg neither SessionId nor accounts", "POST", SendMsgPath, okQuery, `{"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x"}}]}`, codes.CheckBodySchema, false},
		{"send_msg SessionId not a UUID", "POST", SendMsgPath, okQuery, `{"SessionId":"x","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x"}}]}`, codes.CheckSessionIDMalformed, false},
		{"send_msg into an ended session", "POST", SendMsgPath, okQuery, `{"SessionId":"` + endedSession + `","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x"}}]}`, codes.CheckSessionNotFound, false},
		{"send_msg to a user without a session", "POST", SendMsgPath, okQuery, `{"FromAccount":"@customer_service_account","ToAccount":"nobody","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x"}}]}`, codes.CheckSessionNotFound, false},
		{"send_msg into a session an agent serves", "POST", SendMsgPath, okQuery, `{"SessionId":"` + agentSession + `","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x"}}]}`, codes.CheckSessionNotBot, false},
		{"send_msg the mock fails", "POST", SendMsgPath, okQuery, `{"SessionId":"` + testSession + `","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x"}}]}`, codes.CheckInternal, true},
		{"describe_chat_messages body one byte too long", "POST", ChatMessagesPath, okQuery, strings.Repeat(" ", defaultMaxBodyBytes+1), codes.CheckBodyTooLarge, false},
		{"describe_chat_messages body not JSON", "POST", ChatMessagesPath, okQuery, `nul`, codes.CheckBodyNotJSON, false},
		{"describe_chat_messages Limit 101", "POST", ChatMessagesPath, okQuery, `{"SessionId":"` + testSession + `","Limit":101}`, codes.CheckBodySchema, false},
		{"describe_chat_messages SessionId not a UUID", "POST", ChatMessagesPath, okQuery, sessionBody("SessionId", "1"), codes.CheckSessionIDMalformed, false},
		{"describe_chat_messages the mock fails", "POST", ChatMessagesPath, okQuery, sessionBody("SessionId", testSession), codes.CheckInternal, true},
		{"get_session_state by user without CustomerServiceId", "POST", SessionStatePath, okQuery, `{"ClientUserId":"user01"}`, codes.CheckBodySchema, false},
		{"describe_im_cdr_list body one byte too long", "POST", CDRListPath, okQuery, strings.Repeat(" ", defaultMaxBodyBytes+1), codes.CheckBodyTooLarge, false},
		{"describe_im_cdr_list body not JSON", "POST", CDRListPath, okQuery, `{"StartTimestamp":`, codes.CheckBodyNotJSON, false},
		{"describe_im_cdr_list EndTimestamp missing", "POST", CDRListPath, okQuery, `{"StartTimestamp":0}`, codes.CheckBodySchema, false},
		{"describe_im_cdr_list the mock fails", "POST", CDRListPath, okQuery, `{"StartTimestamp":0,"EndTimestamp":1}`, codes.CheckInternal, true},
	}
	// The transport and identity rows, on every endpoint other than v1
	// (which the rows above run them on), each with a valid body.
	valid := map[string]string{V2: v2("", v2Chunk{1, "a", false}), C2C: c2c("", v2Chunk{1, "a", false}), Group: grp("", v2Chunk{1, "a", false}),
		Chatbot: bot(""), CreateRobot: `{"UserID":"@RBT#x"}`, DeleteRobot: `{"Robot_Account":"@RBT#bot1"}`, GetAllRobots: `{}`,
		Transfer: sessionBody("SessionId", testSession), EndSession: sessionBody("SessionId", testSession),
		EndQueuing: sessionBody("SessionID", testSession), GetSessionState: sessionBody("SessionId", testSession),
		SendMsg: `{"SessionId":"` + testSession + `","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x"}}]}`, ChatMessages: sessionBody("SessionId", testSession),
		CDRList: `{"StartTimestamp":0,"EndTimestamp":1}`}
	var more []row
	for _, ep := range endpoints[1:] {
		ep := ts.byPath[ep.path]
		for _, tt := range tests {
			if _, runs := ep.rows[tt.check]; tt.path != EndpointPath || tt.panics || !sharedCheck(tt.check) || !runs {
				continue
			}
			tt.name, tt.path = ep.version+" "+tt.name, ep.path
			if tt.body != "" {
				tt.body = valid[ep.version]
			}
			more = append(more, tt)
		}
	}
	tests = append(tests, more...)
	covered := map[string]map[codes.Check]bool{}
	for _, tt := range tests {
		ep := ts.byPath[tt.path]
		if ep == nil {
			ep = ts.unknown
		}
		if covered[ep.version] == nil {
			covered[ep.version] = map[codes.Check]bool{}
		}
		covered[ep.version][tt.check] = true
		t.Run(tt.name, func(t *testing.T) {
			ts.ClearRequests()
			clk.panicNext.Store(tt.panics)
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
			want := ts.table.RuleFor(ep.version, tt.check)
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
	for _, ep := range ts.byPath {
		for c, r := range ep.rows {
			if !covered[ep.version][c] && c != codes.CheckPath && ruleIsOn(ep, c) {
				t.Errorf("no test provokes check %s (code %d) on %s", c, r.Code, ep.version)
			}
		}
	}
	if !covered[""][codes.CheckPath] {
		t.Errorf("no test provokes check %s", codes.CheckPath)
	}
	if got := ts.Streams(); len(got) != 18 || got[0].Text != "a" || got[1].Text != "a" {
		t.Errorf("rejected requests changed the streams: %+v", got)
	}
	if diff := cmp.Diff(before, ts.Streams(), cmpopts.IgnoreFields(Stream{}, "State")); diff != "" {
		t.Errorf("rejected requests changed the streams (-before +after):\n%s", diff)
	}
}

// ruleIsOn reports whether an endpoint's stream rules let a check fail:
// a rule switched off (v1's by default) cannot.
func ruleIsOn(ep *endpoint, c codes.Check) bool {
	switch c {
	case codes.CheckStreamRate:
		return ep.rules.CallsPerSecond > 0
	case codes.CheckStreamIdleEnded:
		return ep.rules.IdleTimeout > 0
	case codes.CheckMessageTooLarge:
		return ep.rules.MaxMessageBytes > 0
	}
	return true
}

// sharedCheck reports whether a check is one of the transport and
// identity checks that every endpoint runs the same way, whatever its
// body.
func sharedCheck(c codes.Check) bool {
	switch c {
	case codes.CheckMethod, codes.CheckQuery, codes.CheckSDKAppIDMissing, codes.CheckRandom, codes.CheckContentType,
		codes.CheckSDKAppIDUnknown, codes.CheckUserSigUndecodable, codes.CheckUserSigApp, codes.CheckUserSigIdentifier,
		codes.CheckUserSigExpired, codes.CheckUserSigSignature, codes.CheckNotAdmin, codes.CheckNotDesk:
		return true
	}
	return false
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
		{"body exactly at the limit", Query(1400000001, "administrator", sig, 1), bodyOfSize(defaultMaxBodyBytes)},
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
