package mockserver

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/deskmock/deskmock/mockserver/codes"
	"github.com/deskmock/deskmock/mockserver/usersig"
)

// entryPoint is one way of serving the mock, at a base URL.
type entryPoint struct {
	name, base string
}

// serveBinary starts the built deskmock command as `serve` on a free
// loopback port, with the embedded default configuration and no key from
// the environment, and returns its base URL. The process is killed when
// the test ends.
func serveBinary(t *testing.T) string {
	t.Helper()
	cmd, addr, stderr, _ := startServe(t, buildDeskmock(t))
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("deskmock serve's log:\n%s", stderr.String())
		}
	})
	return "http://" + addr
}

// anAnswer is what one entry point answered to one request: the status,
// the body with its RequestId and MsgKey normalised, and the newest
// journal entry's number, check, code and detail.
type anAnswer struct {
	Status  int
	Body    string
	Journal string
}

// generated are the parts of an answer that differ between two servers
// by design: the RequestId's random part and the MsgKey's time and digits.
var generated = regexp.MustCompile(`("RequestId":")[^"]*(")|("(?:MsgKey|StreamMsgID)":")[^"]*(")`)

// newestExchange returns the newest journal entry of the server at base
// as "seq check code: detail", from the admin API.
func newestExchange(t *testing.T, client *http.Client, base string) string {
	t.Helper()
	resp, err := client.Get(base + adminPrefix + "/requests?limit=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct{ Items []Exchange }
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET requests: %d, %v", resp.StatusCode, err)
	}
	if len(page.Items) == 0 {
		return "(empty)"
	}
	e := page.Items[len(page.Items)-1]
	return fmt.Sprintf("%d %s %d: %s", e.Seq, e.Check, e.Code, e.Detail)
}

// The deskmock binary, Handler() behind an httptest server and the test
// server give the same answers to the same requests, refusals included:
// status, envelope (RequestId and MsgKey aside) and the journal's check,
// code and detail.
func TestEntryPointsAnswerAlike(t *testing.T) {
	t.Parallel()
	s, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	points := []entryPoint{
		{"Handler()", hs.URL},
		{"test server", NewTestServer(t).URL},
	}
	if testing.Short() {
		t.Log("-short: the deskmock binary is left out")
	} else {
		points = append(points, entryPoint{"deskmock serve", serveBinary(t)})
	}

	app := DefaultConfig().Apps[0]
	sig, err := usersig.Generate(app.SecretKey, app.SDKAppID, app.Admins[0], 86400, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	query := "?" + Query(app.SDKAppID, app.Admins[0], sig, 7)
	v1, v2 := EndpointPath+query, EndpointV2Path+query
	over := defaultMaxBodyBytes + 1
	first := `{"SessionId":"` + testSession + `","Chunk":"Hello, "}`
	tests := []struct {
		name, method, target, body string
		// declared is the Content-Length sent; -1 sends the body chunked.
		declared int64
		// key, when set, puts the MsgKey of the answer to the row named
		// so into the body, for "%s".
		key string
		// want is the journal's check ("" when the call passed) and the
		// code; a code of -1 is no journal entry (not an API's path).
		want codes.Check
		code int
	}{
		{"v1 first chunk", "POST", v1, first, 0, "", "", 0},
		{"v1 continuation", "POST", v1, `{"SessionId":"` + testSession + `","Chunk":"world","MsgKey":"%s","Finish":1}`, 0, "v1 first chunk", "", 0},
		{"v2 first chunk", "POST", v2, v2Body(testSession, "", v2Chunk{1, "Hello, ", false}), 0, "", "", 0},
		{"v2 continuation", "POST", v2, v2Body(testSession, "%s", v2Chunk{2, "world", true}), 0, "v2 first chunk", "", 0},
		{"declared Content-Length over the limit", "POST", v1, strings.Repeat(" ", over), int64(over), "", codes.CheckBodyTooLarge, 93000},
		{"declared Content-Length over the limit, wrong method", "GET", v1, strings.Repeat(" ", over), int64(over), "", codes.CheckBodyTooLarge, 93000},
		{"chunked body over the limit", "POST", v1, first + strings.Repeat(" ", over), -1, "", codes.CheckBodyTooLarge, 93000},
		{"unknown API under /v4/", "POST", "/v4/desk_http_svc/no_such_api" + query, first, 0, "", codes.CheckPath, 60009},
		{"path outside /v4/", "POST", "/no/such/api" + query, first, 0, "", "", -1},
		{"wrong method", "GET", v1, "", 0, "", codes.CheckMethod, 60002},
		{"malformed query", "POST", EndpointPath + "?sdkappid=1400000001&identifier=%zz", first, 0, "", codes.CheckQuery, 60002},
		{"malformed JSON", "POST", v1, `{"SessionId":`, 0, "", codes.CheckBodyNotJSON, 90001},
		{"schema failure", "POST", v1, `{"SessionId":"` + testSession + `","Chunk":5}`, 0, "", codes.CheckBodySchema, 90010},
		{"malformed SessionId", "POST", v2, v2Body("not-a-uuid", "", v2Chunk{1, "x", false}), 0, "", codes.CheckSessionIDMalformed, 141006},
		{"trigger session", "POST", v1, `{"SessionId":"` + TriggerSessionID(20004, 0) + `","Chunk":"x"}`, 0, "", checkTrigger, 20004},
		{"c2c first chunk", "POST", EndpointC2CPath + query, c2cBody("bot", "user01", "", v2Chunk{1, "Hello, ", false}), 0, "", "", 0},
		{"c2c continuation", "POST", EndpointC2CPath + query, c2cBody("bot", "user01", "%s", v2Chunk{2, "world", true}), 0, "c2c first chunk", "", 0},
		{"c2c malformed To_Account", "POST", EndpointC2CPath + query, c2cBody("bot", "", "", v2Chunk{1, "x", false}), 0, "", codes.CheckAccountMalformed, 90003},
		{"chatbot first chunk", "POST", EndpointChatbotPath + query, `{"From_Account":"@RBT#my_bot","To_Account":"user01","Chunk":"hi","Finish":1}`, 0, "", "", 0},
		{"chatbot sender not a chatbot", "POST", EndpointChatbotPath + query, `{"From_Account":"@RBT#nobody","To_Account":"user01","Chunk":"hi"}`, 0, "", codes.CheckNotRobot, 10004},
		{"get_all_robots", "POST", GetAllRobotsPath + query, `{}`, 0, "", "", 0},
		{"transfer_to_human", "POST", TransferPath + query, `{"SessionId":"` + otherSession + `"}`, 0, "", "", 0},
		{"a stream after the transfer", "POST", v1, `{"SessionId":"` + otherSession + `","Chunk":"x"}`, 0, "", codes.CheckSessionNotBot, 141005},
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	got := make([][]anAnswer, len(points))
	for p, point := range points {
		keys := map[string]string{}
		for _, tt := range tests {
			body := tt.body
			if tt.key != "" {
				body = strings.Replace(body, "%s", keys[tt.key], 1)
			}
			var r io.Reader = strings.NewReader(body)
			if tt.declared < 0 {
				r = io.MultiReader(r) // hides the length: sent chunked
			}
			req, err := http.NewRequest(tt.method, point.base+tt.target, r)
			if err != nil {
				t.Fatal(err)
			}
			if tt.declared != 0 {
				req.ContentLength = tt.declared
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("%s, %s: %v", point.name, tt.name, err)
			}
			raw, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatalf("%s, %s: reading the answer: %v", point.name, tt.name, err)
			}
			if key, ok := msgKeyOf(raw); ok {
				keys[tt.name] = key
			}
			got[p] = append(got[p], anAnswer{
				Status:  resp.StatusCode,
				Body:    generated.ReplaceAllString(string(raw), "$1$3…$2$4"),
				Journal: newestExchange(t, client, point.base),
			})
		}
	}
	for i, tt := range tests {
		want := got[0][i]
		switch {
		case tt.code < 0:
			if i == 0 || want.Journal != got[0][i-1].Journal {
				t.Errorf("%s: %s journaled %q", tt.name, points[0].name, want.Journal)
			}
		case !strings.Contains(want.Journal, fmt.Sprintf(" %s %d: ", tt.want, tt.code)) || !strings.Contains(want.Body, fmt.Sprintf(`"ErrorCode":%d,`, tt.code)):
			t.Errorf("%s: %s answered %s and journaled %q, want check %q and code %d", tt.name, points[0].name, want.Body, want.Journal, tt.want, tt.code)
		}
		for p := 1; p < len(points); p++ {
			if got[p][i] != want {
				t.Errorf("%s:\n  %s: %+v\n  %s: %+v", tt.name, points[0].name, want, points[p].name, got[p][i])
			}
		}
	}
}
