package mockserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// Every admin route refuses query parameters it does not take, naming them.
func TestAdminRefusesUnknownParameters(t *testing.T) {
	ts := NewTestServer(t)
	tests := []struct{ method, path string }{
		{"GET", "/__admin/health?x=1"},
		{"GET", "/__admin/requests?sessionid=" + testSession},
		{"GET", "/__admin/requests?session_id=" + testSession + "&x=1"},
		{"DELETE", "/__admin/requests?x=1"},
		{"GET", "/__admin/sessions?x=1"},
		{"POST", "/__admin/sessions?x=1"},
		{"DELETE", "/__admin/sessions/" + testSession + "?x=1"},
		{"GET", "/__admin/faults?x=1"},
		{"POST", "/__admin/faults?x=1"},
		{"DELETE", "/__admin/faults?x=1"},
		{"DELETE", "/__admin/faults/f1?x=1"},
		{"GET", "/__admin/streams?x=1"},
		{"GET", "/__admin/streams/1_2_3?x=1"},
		{"GET", "/__admin/codes?x=1"},
		{"POST", "/__admin/reset?x=1"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			status, body := admin(t, ts, tt.method, tt.path, "")
			name := "x"
			if strings.Contains(tt.path, "sessionid") {
				name = "sessionid"
			}
			if status != http.StatusBadRequest || !strings.Contains(body, `unknown query parameter \"`+name+`\"`) {
				t.Errorf("%d %s, want 400 naming %q", status, body, name)
			}
		})
	}
	if status, body := admin(t, ts, "GET", "/__admin/requests?session_id="+testSession+"&msg_key=k&code=0&limit=5", ""); status != 200 {
		t.Errorf("known parameters: %d %s", status, body)
	}
}

// Fault rules are capped in count (409) and in size (413); admin bodies
// over the limit get 413, declared or not.
func TestAdminFaultCaps(t *testing.T) {
	ts := NewTestServer(t)
	for i := 0; i < maxFaults; i++ {
		if _, err := ts.AddFault(Fault{Action: FaultAction{DelayMS: 1}}); err != nil {
			t.Fatalf("rule %d: %v", i+1, err)
		}
	}
	if _, err := ts.AddFault(Fault{Action: FaultAction{DelayMS: 1}}); err == nil || !strings.Contains(err.Error(), "too many fault rules") {
		t.Errorf("rule %d through the Go API: %v", maxFaults+1, err)
	}
	if status, body := admin(t, ts, "POST", "/__admin/faults", `{"action":{"delay_ms":1}}`); status != http.StatusConflict || !strings.Contains(body, "too many fault rules") {
		t.Errorf("rule %d: %d %s, want 409", maxFaults+1, status, body)
	}
	ts.ClearFaults()

	big := `{"match":{"chunk_contains":"` + strings.Repeat("x", maxFaultBytes) + `"},"action":{"delay_ms":1}}`
	if status, body := admin(t, ts, "POST", "/__admin/faults", big); status != http.StatusRequestEntityTooLarge || !strings.Contains(body, "fault rule too large") {
		t.Errorf("a %d-byte rule: %d %.200s, want 413", len(big), status, body)
	}
	huge := `{"match":{"chunk_contains":"` + strings.Repeat("x", maxAdminBody) + `"},"action":{"delay_ms":1}}`
	if status, body := admin(t, ts, "POST", "/__admin/faults", huge); status != http.StatusRequestEntityTooLarge || !strings.Contains(body, "longer than") {
		t.Errorf("a %d-byte body: %d %.200s, want 413", len(huge), status, body)
	}
	chunked, err := http.NewRequest("POST", ts.URL+"/__admin/faults", struct{ *strings.Reader }{strings.NewReader(huge)})
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := http.DefaultClient.Do(chunked); err != nil || resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a chunked %d-byte body: %v %v, want 413", len(huge), resp, err)
	}
	if n := len(ts.Faults()); n != 0 {
		t.Errorf("%d rules kept", n)
	}
}

// Sessions set through the admin API or the Go API are capped: 409.
func TestAdminSessionCap(t *testing.T) {
	ts := NewTestServer(t)
	for i := 0; i < maxSessions; i++ {
		if err := ts.OpenSession(uuidOf(i)); err != nil {
			t.Fatalf("session %d: %v", i+1, err)
		}
	}
	if err := ts.OpenSession(uuidOf(maxSessions)); err == nil || !strings.Contains(err.Error(), "too many sessions") {
		t.Errorf("one more through the Go API: %v", err)
	}
	if err := ts.EndSession(uuidOf(0)); err != nil {
		t.Errorf("ending a known session: %v", err)
	}
	if status, body := admin(t, ts, "POST", "/__admin/sessions", `{"session_id":"`+uuidOf(maxSessions)+`"}`); status != http.StatusConflict || !strings.Contains(body, "too many sessions") {
		t.Errorf("open one more: %d %s, want 409", status, body)
	}
	if status, body := admin(t, ts, "DELETE", "/__admin/sessions/"+uuidOf(maxSessions), ""); status != http.StatusConflict {
		t.Errorf("end one more: %d %s, want 409", status, body)
	}
	cfg := DefaultConfig()
	for i := 0; i <= maxSessions; i++ {
		cfg.Sessions.IDs = append(cfg.Sessions.IDs, uuidOf(i))
	}
	if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), "sessions/ids") {
		t.Errorf("a configuration of %d sessions: %v", len(cfg.Sessions.IDs), err)
	}
}

// listPage is the reply of a paginated admin list.
type listPage struct {
	Items      []json.RawMessage `json:"items"`
	NextCursor string            `json:"next_cursor"`
}

// walk reads an admin list page after page and returns every item and the
// sizes of the pages.
func walk(t *testing.T, ts *TestServer, path string) ([]json.RawMessage, []int) {
	t.Helper()
	var all []json.RawMessage
	var sizes []int
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	for cursor := ""; len(sizes) < 100; {
		p := path
		if cursor != "" {
			p += sep + "cursor=" + cursor
		}
		status, body := admin(t, ts, "GET", p, "")
		if status != 200 {
			t.Fatalf("GET %s: %d %s", p, status, body)
		}
		var page listPage
		if err := json.Unmarshal([]byte(body), &page); err != nil {
			t.Fatalf("GET %s: %v", p, err)
		}
		all = append(all, page.Items...)
		sizes = append(sizes, len(page.Items))
		if cursor = page.NextCursor; cursor == "" {
			return all, sizes
		}
	}
	t.Fatalf("GET %s: more than 100 pages", path)
	return nil, nil
}

// The admin lists are paginated: a default page, a limit, a cursor that
// continues them; every item comes once.
func TestAdminListsArePaginated(t *testing.T) {
	ts := NewTestServer(t)
	for i := 0; i < 250; i++ {
		ts.OpenSession(uuidOf(i))
		ts.AddFault(Fault{Match: FaultMatch{Nth: 100000 + i}, Action: FaultAction{DelayMS: 1}})
	}
	url := ts.EndpointURL()
	for i := 0; i < 250; i++ {
		post(t, url, `{"SessionId":"`+uuidOf(i)+`","Chunk":"x"}`)
	}
	tests := []struct {
		path  string
		sizes string
		key   string
	}{
		{"/__admin/requests", "[100 100 50]", "seq"},
		{"/__admin/requests?limit=120", "[120 120 10]", "seq"},
		{"/__admin/requests?limit=1000", "[250]", "seq"},
		{"/__admin/requests?session_id=" + uuidOf(7), "[1]", "seq"},
		{"/__admin/sessions", "[100 100 50]", "session_id"},
		{"/__admin/sessions?limit=249", "[249 1]", "session_id"},
		{"/__admin/faults", "[100 100 50]", "id"},
		{"/__admin/faults?limit=250", "[250]", "id"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			items, sizes := walk(t, ts, tt.path)
			if got := fmt.Sprint(sizes); got != tt.sizes {
				t.Errorf("pages of %s, want %s", got, tt.sizes)
			}
			seen := map[string]bool{}
			for _, it := range items {
				var m map[string]any
				json.Unmarshal(it, &m)
				k := fmt.Sprint(m[tt.key])
				if seen[k] {
					t.Errorf("%s %s listed twice", tt.key, k)
				}
				seen[k] = true
			}
		})
	}
	// The journal's pages run from its newest end, each in arrival order.
	status, body := admin(t, ts, "GET", "/__admin/requests?limit=2", "")
	if status != 200 || !strings.Contains(body, `"seq":249,`) || !strings.Contains(body, `"seq":250,`) || strings.Index(body, `"seq":249,`) > strings.Index(body, `"seq":250,`) {
		t.Errorf("the first page of 2: %d %.300s", status, body)
	}
	for _, bad := range []string{"limit=0", "limit=1001", "limit=x", "cursor=nope", "cursor=" + encodeCursor("sessions", uuidOf(1)), "cursor=" + encodeCursor("requests", "x")} {
		if status, body := admin(t, ts, "GET", "/__admin/requests?"+bad, ""); status != http.StatusBadRequest {
			t.Errorf("%s: %d %s, want 400", bad, status, body)
		}
	}
	if status, body := admin(t, ts, "GET", "/__admin/faults?cursor="+encodeCursor("faults", "x"), ""); status != http.StatusBadRequest {
		t.Errorf("faults, bad cursor: %d %s, want 400", status, body)
	}
}

// A page of the journal stops at maxPageBytes, whatever its limit.
func TestAdminRequestsPageBytes(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Limits.MaxBodyBytes = 1 << 20
	cfg.Limits.JournalBytes = 64 << 20
	ts := NewTestServer(t, WithConfig(cfg))
	url := ts.EndpointURL()
	chunk := strings.Repeat("y", 512<<10)
	for i := 0; i < 40; i++ {
		post(t, url, `{"SessionId":"`+uuidOf(i)+`","Chunk":"`+chunk+`"}`)
	}
	_, sizes := walk(t, ts, "/__admin/requests?limit=1000")
	perPage := maxPageBytes / (2 * len(chunk))
	if len(sizes) < 2 || sizes[0] > perPage {
		t.Errorf("pages of %v exchanges of 1 MiB (body and chunk), want at most %d a page", sizes, perPage)
	}
}

// A page of fault rules stops at maxPageBytes, whatever its limit.
func TestAdminFaultsPageBytes(t *testing.T) {
	ts := NewTestServer(t)
	big := strings.Repeat("r", 60_000)
	for i := 0; i < 200; i++ {
		if _, err := ts.AddFault(Fault{Match: FaultMatch{ChunkContains: big}, Action: FaultAction{DelayMS: 1}}); err != nil {
			t.Fatal(err)
		}
	}
	items, sizes := walk(t, ts, "/__admin/faults?limit=1000")
	if len(items) != 200 || len(sizes) < 2 || sizes[0] > maxPageBytes/60_000 {
		t.Errorf("pages of %v rules of 60 KB, want at most %d a page and 200 in all", sizes, maxPageBytes/60_000)
	}
}
