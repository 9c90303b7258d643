package mockserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/google/go-cmp/cmp"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// escapeHeavy is n bytes whose JSON takes up to six bytes each: control
// characters, '<', U+2028 and bytes that are not UTF-8.
func escapeHeavy(n int) []byte {
	var b bytes.Buffer
	for b.Len() < n {
		b.WriteString("\x01\x02\x1f\x00<\u2028\xff\xfe\x0b\x10")
	}
	return b.Bytes()[:n]
}

// rawPost sends body to url and returns the status.
func rawPost(t *testing.T, url string, body []byte) int {
	t.Helper()
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// adminGet reads an admin path and returns the status, the headers and the
// body.
func adminGet(t *testing.T, url string) (int, http.Header, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// Pages are bounded in the bytes they send, escapes counted: a journal of
// rejected bodies full of control characters and other escape-heavy bytes
// is read in pages of at most maxPageBytes, every exchange once; a stream
// whose text would not fit a page alone is listed as its summary; the
// dashboard's state stays within the cap too.
func TestAdminPagesBoundedAsSent(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	cfg.Limits.JournalBytes = 64 << 20
	cfg.Limits.MaxBodyBytes = 4 << 20
	ts := NewTestServer(t, WithConfig(cfg))
	// One stream of 1,000,000 control characters: 12 MB as JSON (its text
	// and its chunks); the journal is then emptied of its calls.
	chunk, _ := json.Marshal(strings.Repeat("\x01", 500_000))
	first := post(t, ts.EndpointURL(), `{"SessionId":"`+testSession+`","Chunk":`+string(chunk)+`}`)
	post(t, ts.EndpointURL(), `{"SessionId":"`+testSession+`","MsgKey":"`+first.MsgKey+`","Chunk":`+string(chunk)+`}`)
	ts.ClearRequests()
	// 12 rejected bodies of 256 KiB: 13 MB as JSON.
	body := escapeHeavy(defaultMaxBodyBytesV2 - 1)
	const rejected = 12
	for range rejected {
		if status := rawPost(t, ts.URL+EndpointV2Path, body); status != http.StatusOK {
			t.Fatalf("a rejected body: status %d", status)
		}
	}
	post(t, ts.EndpointURL(), `{"SessionId":"`+testSession+`","Chunk":"small"}`)

	seen := map[uint64]bool{}
	pages := 0
	for cursor := ""; pages < 100; pages++ {
		url := ts.URL + "/__admin/requests?limit=1000"
		if cursor != "" {
			url += "&cursor=" + cursor
		}
		status, _, b := adminGet(t, url)
		if status != 200 || len(b) > maxPageBytes {
			t.Fatalf("page %d: status %d, %d bytes (cap %d)", pages+1, status, len(b), maxPageBytes)
		}
		var p struct {
			Items []struct {
				Seq uint64 `json:"seq"`
			} `json:"items"`
			NextCursor string `json:"next_cursor"`
			Capped     bool   `json:"capped"`
		}
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatalf("page %d: %v", pages+1, err)
		}
		if p.NextCursor != "" && (!p.Capped || len(b) < maxPageBytes/2) {
			t.Errorf("page %d of %d exchanges, %d bytes, capped %v: a page stops only at its cap", pages+1, len(p.Items), len(b), p.Capped)
		}
		for _, e := range p.Items {
			if seen[e.Seq] {
				t.Errorf("exchange %d listed twice", e.Seq)
			}
			seen[e.Seq] = true
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	if len(seen) != rejected+1 || pages < 1 {
		t.Errorf("%d exchanges in %d pages, want %d in several", len(seen), pages+1, rejected+1)
	}

	status, _, b := adminGet(t, ts.URL+"/__admin/streams?text=1&limit=1000")
	var streams struct {
		Items []Stream `json:"items"`
	}
	if status != 200 || len(b) > maxPageBytes || json.Unmarshal(b, &streams) != nil {
		t.Fatalf("streams with text: %d, %d bytes", status, len(b))
	}
	if len(streams.Items) != 2 || streams.Items[0].Text != "" || streams.Items[0].TextBytes != 1_000_000 || streams.Items[1].Text != "small" {
		t.Errorf("streams with text: %.300s; want the large stream as its summary, the small one whole", b)
	}
	status, _, b = adminGet(t, ts.URL+"/__admin/streams?text=1&limit=1")
	if status != 200 || !strings.Contains(string(b), `"next_cursor":`) {
		t.Errorf("a page of one stream: %d %.300s", status, b)
	}
	status, _, b = adminGet(t, ts.URL+"/__admin/streams?text=1&limit=1&cursor="+streamsCursor(t, b))
	if status != 200 || !strings.Contains(string(b), `"text":"small"`) {
		t.Errorf("the second page of streams: %d %.300s", status, b)
	}

	// 32 worst-case pages at once: at most maxAdminReads run together,
	// every page within the cap, the others 503, none 500.
	var running, peak atomic.Int32
	hold := func() {
		n := running.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		time.Sleep(50 * time.Millisecond) // so that the reads overlap
		running.Add(-1)
	}
	ts.admin.hold.Store(&hold)
	ts.admin.wait.Store(int64(200 * time.Millisecond))
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, _, b := adminGet(t, ts.URL+"/__admin/requests?limit=1000")
			mu.Lock()
			defer mu.Unlock()
			statuses[status]++
			if len(b) > maxPageBytes || status == 200 && !json.Valid(b) {
				t.Errorf("a page read among 32: %d, %d bytes", status, len(b))
			}
		}()
	}
	wg.Wait()
	ts.admin.hold.Store(nil)
	if p := peak.Load(); p > maxAdminReads || p < 2 || statuses[200] < maxAdminReads || statuses[200]+statuses[503] != 32 {
		t.Errorf("32 reads at once: %d ran together (cap %d), statuses %v", p, maxAdminReads, statuses)
	}

	status, _, b = adminGet(t, ts.URL+uiAPI+"/state")
	var state struct {
		Exchanges []Exchange `json:"exchanges"`
		Streams   []Stream   `json:"streams"`
		Capped    bool       `json:"capped"`
	}
	if status != 200 || len(b) > maxPageBytes || json.Unmarshal(b, &state) != nil {
		t.Fatalf("the dashboard's state: %d, %d bytes", status, len(b))
	}
	if len(state.Streams) != 2 || len(state.Exchanges) == 0 || !state.Capped || state.Exchanges[0].Chunk != "small" {
		t.Errorf("the dashboard's state: %d streams, %d exchanges, capped %v", len(state.Streams), len(state.Exchanges), state.Capped)
	}
}

// streamsCursor returns the next_cursor of a page.
func streamsCursor(t *testing.T, b []byte) string {
	t.Helper()
	var p struct {
		NextCursor string `json:"next_cursor"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	return p.NextCursor
}

// An exchange too large for a page alone is listed with its long fields
// cut, and the page holds it within the cap.
func TestAdminLargeExchangeIsCut(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	cfg.Limits.JournalBytes = 64 << 20
	cfg.Limits.MaxBodyBytes = 4 << 20
	ts := NewTestServer(t, WithConfig(cfg))
	body := append([]byte(`{"SessionId":"`+testSession+`","Chunk":"x","Pad":"`), escapeHeavy(2<<20)...)
	rawPost(t, ts.EndpointURL(), body)
	status, _, b := adminGet(t, ts.URL+"/__admin/requests")
	var p struct {
		Items []Exchange `json:"items"`
	}
	if status != 200 || len(b) > maxPageBytes || json.Unmarshal(b, &p) != nil || len(p.Items) != 1 {
		t.Fatalf("%d, %d bytes", status, len(b))
	}
	if e := p.Items[0]; !strings.Contains(e.Body, "...[cut: ") || e.BodySize != int64(len(body)) {
		t.Errorf("the body of %d bytes listed as %d bytes ending %q", len(body), len(e.Body), e.Body[max(len(e.Body)-40, 0):])
	}
	status, _, b = adminGet(t, ts.URL+uiAPI+"/state")
	var state struct {
		Exchanges []Exchange `json:"exchanges"`
	}
	if status != 200 || len(b) > maxPageBytes || json.Unmarshal(b, &state) != nil || len(state.Exchanges) != 1 || !strings.Contains(state.Exchanges[0].Body, "...[cut: ") {
		t.Errorf("the dashboard's state: %d, %d bytes, %d exchanges", status, len(b), len(state.Exchanges))
	}
}

// The dashboard's state holds the newest 100 streams, oldest first.
func TestUIStateNewestStreams(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	cfg.Limits.MaxStreams = 200
	ts := NewTestServer(t, WithConfig(cfg))
	var keys []string
	for i := range 250 {
		keys = append(keys, post(t, ts.EndpointURL(), `{"SessionId":"`+uuidOf(i)+`","Chunk":"x"}`).MsgKey)
	}
	status, _, b := adminGet(t, ts.URL+uiAPI+"/state")
	var state struct {
		Streams []Stream `json:"streams"`
	}
	if status != 200 || json.Unmarshal(b, &state) != nil || len(state.Streams) != uiMaxStreams {
		t.Fatalf("%d, %d streams", status, len(state.Streams))
	}
	if state.Streams[0].MsgKey != keys[150] || state.Streams[99].MsgKey != keys[249] || state.Streams[99].Text != "x" {
		t.Errorf("streams from %s to %s, want %s to %s", state.Streams[0].MsgKey, state.Streams[99].MsgKey, keys[150], keys[249])
	}
}

// The events of a busy window are sent within the page cap: the newest
// that fit, after a "lag" event.
func TestBatchBoundedInBytes(t *testing.T) {
	var batch []*event
	for i := range 5 {
		ev := &event{id: uint64(i + 1), kind: eventExchange}
		ev.once.Do(func() { ev.data = bytes.Repeat([]byte("x"), 3<<20) })
		batch = append(batch, ev)
	}
	out := appendBatch(nil, batch)
	if len(out) > maxPageBytes || !bytes.HasPrefix(out, []byte(`event: lag`+"\n"+`data: {"skipped":3}`)) || !bytes.Contains(out, []byte("id: 5\n")) {
		t.Errorf("a batch of five 3 MiB events: %d bytes starting %.60q", len(out), out)
	}
}

// At most maxAdminReads admin reads run at once; the others wait, then get
// 503 with Retry-After and a JSON error, never 500; the endpoint and health
// answer meanwhile.
func TestAdminReadsCapped(t *testing.T) {
	ts := NewTestServer(t)
	post(t, ts.EndpointURL(), `{"SessionId":"`+testSession+`","Chunk":"x"}`)
	release := make(chan struct{})
	var running, peak atomic.Int32
	ts.admin.wait.Store(int64(300 * time.Millisecond))
	hold := func() {
		n := running.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		<-release
		running.Add(-1)
	}
	ts.admin.hold.Store(&hold)
	paths := []string{"/__admin/requests", "/__admin/streams?text=1", "/__admin/faults", "/__admin/sessions", "/__admin/codes", uiAPI + "/state"}
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	var bad []string
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, h, b := adminGet(t, ts.URL+paths[i%len(paths)])
			mu.Lock()
			defer mu.Unlock()
			statuses[status]++
			if status == http.StatusServiceUnavailable && (h.Get("Retry-After") == "" || !strings.Contains(string(b), `"error":"4 admin reads are running already`)) {
				bad = append(bad, fmt.Sprintf("%v %s", h, b))
			}
		}()
	}
	time.Sleep(600 * time.Millisecond) // the reads over the cap give up
	post(t, ts.EndpointURL(), `{"SessionId":"`+testSession+`","Chunk":"y"}`)
	if status, body := admin(t, ts, "GET", "/__admin/health", ""); status != 200 {
		t.Errorf("health while the reads wait: %d %s", status, body)
	}
	close(release)
	wg.Wait()
	if p := peak.Load(); p != maxAdminReads {
		t.Errorf("%d admin reads ran at once, want %d", p, maxAdminReads)
	}
	if statuses[200] < maxAdminReads || statuses[200]+statuses[503] != 32 || len(bad) > 0 {
		t.Errorf("statuses %v; bad 503s %q", statuses, bad)
	}
}

// GET /__admin/streams/{msgKey} answers a stream whole, its text written a
// piece at a time: the same stream as the Go API's, whatever its
// characters and however long.
func TestAdminStreamWrittenInPieces(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	cfg.Limits.MaxBodyBytes = 4 << 20
	ts := NewTestServer(t, WithConfig(cfg))
	var text strings.Builder
	text.WriteString(strings.Repeat("x", 18)) // so that a piece ends inside a character
	for text.Len() < 3*streamPiece {
		text.WriteString("\x01\"\\\n\t<>\u2028中文\U0001F600 plain text ")
	}
	chunk, _ := json.Marshal(text.String())
	first := post(t, ts.EndpointURL(), `{"SessionId":"`+testSession+`","Chunk":`+string(chunk)+`}`)
	post(t, ts.EndpointURL(), `{"SessionId":"`+testSession+`","MsgKey":"`+first.MsgKey+`","Chunk":"second"}`)
	post(t, ts.EndpointURL(), `{"SessionId":"`+testSession+`","MsgKey":"`+first.MsgKey+`","Chunk":"","Finish":1}`)
	v2 := post(t, ts.EndpointV2URL(), v2Body(testSession, "", v2Chunk{Index: 1, Markdown: "a"}, v2Chunk{Index: 2, Markdown: "b\u2028"}))
	c2c := post(t, ts.APIURL(EndpointC2CPath), c2cBody("", "user01", "", v2Chunk{Index: 1, Markdown: "a"}, v2Chunk{Index: 2, Markdown: "b", IsLast: true}))
	group := post(t, ts.APIURL(EndpointGroupPath), groupBody("group01", "user01", "", v2Chunk{Index: 1, Markdown: "\u2028"}))
	bot := post(t, ts.APIURL(EndpointChatbotPath), `{"From_Account":"@RBT#my_bot","To_Account":"user01","Chunk":`+string(chunk)+`}`)
	post(t, ts.APIURL(EndpointChatbotPath), `{"From_Account":"@RBT#my_bot","To_Account":"user01","MsgKey":"`+bot.MsgKey+`","Chunk":"end","Finish":1}`)
	for _, key := range []string{first.MsgKey, v2.MsgKey, c2c.StreamMsgID, group.StreamMsgID, bot.MsgKey} {
		status, _, b := adminGet(t, ts.URL+"/__admin/streams/"+key)
		var got Stream
		if err := json.Unmarshal(b, &got); status != 200 || err != nil {
			t.Fatalf("%s: %d %v %.200s", key, status, err, b)
		}
		want, _ := ts.Stream(key)
		if want.Indexes == nil && hasStreamElem(want.Version) {
			want.Indexes = []int{}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-Go API +admin API):\n%.2000s", key, diff)
		}
	}
}
