package mockserver

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// admin sends an admin request and returns the status and the body.
func admin(t *testing.T, ts *TestServer, method, path, body string, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == "Host" {
			req.Host = header[i+1]
		}
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestAdminAPI(t *testing.T) {
	ts := NewTestServer(t)
	url := ts.EndpointURL()
	first := post(t, url, `{"SessionId":"`+testSession+`","Chunk":"Hello, "}`)
	steps := []struct {
		name, method, path, body string
		status                   int
		contains                 []string
	}{
		{"health", "GET", "/__admin/health", "", 200, []string{`"status":"ok"`}},
		{"add fault", "POST", "/__admin/faults", `{"match":{"session_id":"` + otherSession + `"},"action":{"error_code":20004},"times":2}`, 201, []string{`"id":"f1"`}},
		{"add fault with id", "POST", "/__admin/faults", `{"id":"slow","action":{"delay_ms":1}}`, 201, []string{`"id":"slow"`}},
		{"duplicate id", "POST", "/__admin/faults", `{"id":"slow","action":{"delay_ms":1}}`, 400, []string{"exists"}},
		{"list faults", "GET", "/__admin/faults", "", 200, []string{`"id":"f1"`, `"error_code":20004`, `"times":2`, `"fired":0`, `"id":"slow"`}},
		{"fault with unknown field", "POST", "/__admin/faults", `{"action":{"error_code":20004},"tims":2}`, 400, []string{`tims`}},
		{"fault with wrong type", "POST", "/__admin/faults", `{"action":{"error_code":"20004"}}`, 400, []string{`action/error_code`}},
		{"fault not JSON", "POST", "/__admin/faults", `{`, 400, []string{`JSON`}},
		{"fault empty", "POST", "/__admin/faults", ``, 400, []string{`empty`}},
		{"fault invalid", "POST", "/__admin/faults", `{"action":{"http_status":700}}`, 400, []string{`action/http_status`}},
		{"delete one fault", "DELETE", "/__admin/faults/slow", "", 204, nil},
		{"delete missing fault", "DELETE", "/__admin/faults/slow", "", 404, []string{"slow"}},
		{"open session", "POST", "/__admin/sessions", `{"session_id":"` + otherSession + `"}`, 201, []string{`"state":"open"`}},
		{"open bad session", "POST", "/__admin/sessions", `{"session_id":"nope"}`, 400, []string{`session_id`}},
		{"end session", "DELETE", "/__admin/sessions/" + testSession, "", 200, []string{`"state":"ended"`}},
		{"list sessions", "GET", "/__admin/sessions", "", 200, []string{testSession, `"ended"`, otherSession}},
		{"streams", "GET", "/__admin/streams?text=1", "", 200, []string{first.MsgKey, `"text":"Hello, "`, `"state":"open"`}},
		{"stream summaries", "GET", "/__admin/streams", "", 200, []string{`"items":[{"msg_key":"` + first.MsgKey + `","version":"v1","session_id"`, `"text_bytes":7`}},
		{"streams bad text", "GET", "/__admin/streams?text=yes", "", 400, []string{"text"}},
		{"streams bad cursor", "GET", "/__admin/streams?cursor=abc", "", 400, []string{"cursor"}},
		{"one stream", "GET", "/__admin/streams/" + first.MsgKey, "", 200, []string{`"chunks":["Hello, "]`, `"finished":false`, `"calls":1`}},
		{"missing stream", "GET", "/__admin/streams/1_2_3", "", 404, []string{"1_2_3"}},
		{"requests", "GET", "/__admin/requests", "", 200, []string{`usersig=REDACTED&`, `"msg_key":"` + first.MsgKey, `"status":200`}},
		{"requests by code", "GET", "/__admin/requests?code=141005", "", 200, []string{`"items":[]`}},
		{"requests bad code", "GET", "/__admin/requests?code=x", "", 400, []string{"code"}},
		{"requests bad limit", "GET", "/__admin/requests?limit=0", "", 400, []string{"limit"}},
		{"codes", "GET", "/__admin/codes", "", 200, []string{`"check":"usersig-expired"`, `"code":70001`}},
		{"unknown admin route", "GET", "/__admin/nope", "", 404, []string{"error"}},
		{"wrong method", "PUT", "/__admin/faults", "", 405, []string{"error"}},
		{"unknown route", "GET", "/elsewhere", "", 404, []string{"error"}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			status, body := admin(t, ts, s.method, s.path, s.body)
			if status != s.status {
				t.Errorf("status %d, want %d; body %s", status, s.status, body)
			}
			for _, c := range s.contains {
				if !strings.Contains(body, c) {
					t.Errorf("body %s lacks %s", body, c)
				}
			}
			if status != 204 && !json.Valid([]byte(body)) {
				t.Errorf("body %q is not JSON", body)
			}
		})
	}
	// The ended session answers 141005; the fault answers on the other.
	if got := post(t, url, `{"SessionId":"`+testSession+`","Chunk":"x","MsgKey":"`+first.MsgKey+`"}`); got.ErrorCode != 141005 {
		t.Errorf("ended session: %+v", got)
	}
	if got := post(t, url, `{"SessionId":"`+otherSession+`","Chunk":"x"}`); got.ErrorCode != 20004 {
		t.Errorf("fault from the admin API: %+v", got)
	}
	if status, body := admin(t, ts, "GET", "/__admin/requests?code=141005&limit=5", ""); status != 200 || strings.Count(body, `"seq"`) != 1 {
		t.Errorf("filtered journal: %d %s", status, body)
	}
	if status, _ := admin(t, ts, "POST", "/__admin/reset", ""); status != 200 {
		t.Fatalf("reset: %d", status)
	}
	if len(ts.Faults()) != 0 || len(ts.Streams()) != 0 || len(ts.Requests(ExchangeFilter{})) != 0 {
		t.Errorf("reset left faults %v, streams %v or requests", ts.Faults(), ts.Streams())
	}
	if got := post(t, url, `{"SessionId":"`+testSession+`","Chunk":"x"}`); got.ErrorCode != 0 {
		t.Errorf("after reset the ended session is still ended: %+v", got)
	}
	if status, _ := admin(t, ts, "DELETE", "/__admin/faults", ""); status != 204 {
		t.Errorf("delete all faults: %d", status)
	}
	if status, _ := admin(t, ts, "DELETE", "/__admin/requests", ""); status != 204 || len(ts.Requests(ExchangeFilter{})) != 0 {
		t.Errorf("delete requests: %d", status)
	}
}

func TestAdminToken(t *testing.T) {
	ts := NewTestServer(t, func(c *Config) { c.AdminToken = "s3cret" })
	tests := []struct {
		name, path string
		header     []string
		status     int
	}{
		{"health needs no token", "/__admin/health", nil, 200},
		{"no token", "/__admin/faults", nil, 401},
		{"wrong token", "/__admin/faults", []string{"Authorization", "Bearer nope"}, 401},
		{"not bearer", "/__admin/faults", []string{"Authorization", "Basic s3cret"}, 401},
		{"right token", "/__admin/faults", []string{"Authorization", "Bearer s3cret"}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if status, body := admin(t, ts, "GET", tt.path, "", tt.header...); status != tt.status {
				t.Errorf("status %d, want %d: %s", status, tt.status, body)
			}
		})
	}
}

func TestJournalFileGetsEveryExchange(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ts := NewTestServer(t, func(c *Config) { c.Journal = f; c.Limits.JournalSize = 2 })
	url := ts.EndpointURL()
	for i := range 5 {
		post(t, url, `{"SessionId":"`+testSession+`","Chunk":"`+strings.Repeat("x", i)+`"}`)
	}
	if got := len(ts.Requests(ExchangeFilter{})); got != 2 {
		t.Errorf("in-memory journal keeps %d, want its cap 2", got)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	var seqs []uint64
	for sc.Scan() {
		var e Exchange
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		if strings.Contains(e.Query, ts.SignUserSig()[:20]) {
			t.Errorf("usersig not redacted: %s", e.Query)
		}
		seqs = append(seqs, e.Seq)
	}
	if len(seqs) != 5 || seqs[0] != 1 || seqs[4] != 5 {
		t.Errorf("file has seqs %v, want 1..5", seqs)
	}
}

// A page of another site cannot change the mock through the user's
// browser; programs that send no Origin, and GETs, are unaffected.
func TestAdminRefusesCrossSiteChanges(t *testing.T) {
	ts := NewTestServer(t)
	tests := []struct {
		name    string
		method  string
		path    string
		headers map[string]string
		want    int
	}{
		{"curl", "POST", "/__admin/reset", nil, 200},
		{"same origin", "POST", "/__admin/reset", map[string]string{"Origin": ts.URL, "Sec-Fetch-Site": "same-origin"}, 200},
		{"cross-site form", "POST", "/__admin/reset", map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, 403},
		{"other origin", "DELETE", "/__admin/faults", map[string]string{"Origin": "http://localhost:1"}, 403},
		{"same-site other port", "POST", "/__admin/clock", map[string]string{"Sec-Fetch-Site": "same-site"}, 403},
		{"cross-site read", "GET", "/__admin/codes", map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, ts.URL+tt.path, strings.NewReader(`{"advance":"1s"}`))
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
}
