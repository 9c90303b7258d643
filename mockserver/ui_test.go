package mockserver

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestEventHubDropsWhoFallsBehind: publishing never waits; a subscriber
// whose queue is full, in events or in bytes, is dropped, and the others
// keep theirs.
func TestEventHubDropsWhoFallsBehind(t *testing.T) {
	small := &Exchange{Body: "x"}
	big := &Exchange{Body: strings.Repeat("b", 1<<20-int(exchangeFixedBytes))} // 1 MiB as the journal counts it
	tests := []struct {
		name string
		ex   *Exchange
		fits int // events that fit the queue
	}{
		{"count", small, subscriberQueueLen},
		{"bytes", big, subscriberQueueBytes / (1 << 20)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h eventHub
			slow, keeping := h.subscribe(), h.subscribe()
			for i := 0; i < tt.fits; i++ {
				h.publish(tt.ex)
				keeping.took(<-keeping.ch)
			}
			select {
			case <-slow.gone:
				t.Fatalf("dropped after %d events, which fit", tt.fits)
			default:
			}
			h.publish(tt.ex)
			select {
			case <-slow.gone:
			default:
				t.Fatalf("not dropped after %d events", tt.fits+1)
			}
			select {
			case <-keeping.gone:
				t.Fatal("the subscriber that keeps up was dropped")
			default:
			}
			if got := h.count.Load(); got != 1 {
				t.Errorf("%d subscribers left, want 1", got)
			}
			if got := slow.bytes.Load(); got > subscriberQueueBytes {
				t.Errorf("the dropped queue held %d bytes, over %d", got, subscriberQueueBytes)
			}
		})
	}
}

// TestEventHubWithoutSubscribersIsFree: with no dashboard open, an
// exchange costs the hub no allocation.
func TestEventHubWithoutSubscribersIsFree(t *testing.T) {
	var h eventHub
	e := &Exchange{Body: "x"}
	if n := testing.AllocsPerRun(100, func() { h.publish(e) }); n != 0 {
		t.Errorf("publish allocates %v times with no subscriber", n)
	}
}

// readEvent reads one server-sent event: its name and data.
func readEvent(t *testing.T, br *bufio.Reader) (name, data string) {
	t.Helper()
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the event stream: %v", err)
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "" && name != "":
			return name, data
		case strings.HasPrefix(line, "event: "):
			name = line[len("event: "):]
		case strings.HasPrefix(line, "data: "):
			data += line[len("data: "):]
		}
	}
}

// TestEventStreamOutlivesTimeouts: over a real listener with short read and
// write timeouts, the event stream says hello, still carries an exchange
// (its UserSig redacted) after the timeouts passed, and a shutdown ends it
// at once.
func TestEventStreamOutlivesTimeouts(t *testing.T) {
	t.Parallel()
	l := listen(t, DefaultConfig(), ListenOptions{ReadTimeout: 200 * time.Millisecond, WriteTimeout: 200 * time.Millisecond})
	resp, err := http.Get("http://" + l.addr + uiAPI + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("Content-Type %q", ct)
	}
	br := bufio.NewReader(resp.Body)
	if name, _ := readEvent(t, br); name != "hello" {
		t.Fatalf("first event %q, want hello", name)
	}
	time.Sleep(500 * time.Millisecond)
	url := "http://" + l.addr + l.endpoint(t)
	if rep := post(t, url, ChunkBody(testSession, "", "live", false)); rep.ErrorCode != 0 {
		t.Fatalf("endpoint: %+v", rep)
	}
	name, data := readEvent(t, br)
	var ex Exchange
	if err := json.Unmarshal([]byte(data), &ex); name != "exchange" || err != nil {
		t.Fatalf("event %q %q: %v", name, data, err)
	}
	if ex.Chunk != "live" || !ex.Applied || !strings.Contains(ex.Query, "usersig=REDACTED") {
		t.Errorf("exchange event: %+v", ex)
	}
	start := time.Now()
	if err := l.stop(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("shutdown with a dashboard open took %s", took)
	}
	if _, err := io.ReadAll(br); err != nil && !strings.Contains(err.Error(), "EOF") {
		t.Logf("the stream ended with %v", err)
	}
}

// TestUIGuard: without an admin token the dashboard answers loopback only;
// with one, its API asks for the token (the page asks the person); a
// change needs the dashboard's header and its own origin.
func TestUIGuard(t *testing.T) {
	const token = "ui-token"
	open, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	locked, err := New(func() Config { c := DefaultConfig(); c.AdminToken = token; return c }())
	if err != nil {
		t.Fatal(err)
	}
	const local, remote = "127.0.0.1:5000", "192.0.2.7:5000"
	ui := map[string]string{uiHeader: "1"}
	tests := []struct {
		name     string
		s        *Server
		method   string
		path     string
		from     string
		headers  map[string]string
		status   int
		contains string
	}{
		{"page from loopback", open, "GET", UIPath, local, nil, 200, "deskmock dashboard"},
		{"page from afar", open, "GET", UIPath, remote, nil, 403, "loopback"},
		{"assets from loopback", open, "GET", uiAssets + "app.js", local, nil, 200, "use strict"},
		{"state from afar", open, "GET", uiAPI + "/state", remote, nil, 403, "loopback"},
		{"events from afar", open, "GET", uiAPI + "/events", remote, nil, 403, "loopback"},
		{"state from loopback", open, "GET", uiAPI + "/state", local, nil, 200, `"secret_key":"(hidden)"`},
		{"reset without the header", open, "POST", uiAPI + "/reset", local, nil, 403, uiHeader},
		{"reset from another origin", open, "POST", uiAPI + "/reset", local, map[string]string{uiHeader: "1", "Origin": "http://evil.example"}, 403, "origin"},
		{"reset cross-site", open, "POST", uiAPI + "/reset", local, map[string]string{uiHeader: "1", "Sec-Fetch-Site": "cross-site"}, 403, "cross-site"},
		{"reset", open, "POST", uiAPI + "/reset", local, map[string]string{uiHeader: "1", "Origin": "http://127.0.0.1:8780", "Sec-Fetch-Site": "same-origin"}, 200, "reset"},
		{"fault, invalid", open, "POST", uiAPI + "/faults", local, ui, 400, "action: give one of"},
		{"remove an unknown fault", open, "DELETE", uiAPI + "/faults/nope", local, ui, 404, "no fault"},
		{"page with a token, from afar", locked, "GET", UIPath, remote, nil, 200, `data-token="required"`},
		{"state without the token", locked, "GET", uiAPI + "/state", remote, nil, 401, "admin token"},
		{"state with the token", locked, "GET", uiAPI + "/state", remote, map[string]string{"Authorization": "Bearer " + token}, 200, `"faults"`},
		{"events without the token", locked, "GET", uiAPI + "/events", local, nil, 401, "admin token"},
		{"reset without the token", locked, "POST", uiAPI + "/reset", local, ui, 401, "admin token"},
		{"landing from loopback", open, "GET", "/", local, nil, 200, "usersig="},
		{"landing from afar", open, "GET", "/", remote, nil, 200, "usersig="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := io.Reader(nil)
			if tt.method == "POST" {
				body = strings.NewReader("{}")
			}
			req := httptest.NewRequest(tt.method, "http://127.0.0.1:8780"+tt.path, body)
			req.RemoteAddr = tt.from
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			tt.s.Handler().ServeHTTP(rec, req)
			if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.contains) {
				t.Errorf("%s %s from %s: %d %q, want %d containing %q", tt.method, tt.path, tt.from, rec.Code, rec.Body.String(), tt.status, tt.contains)
			}
			if strings.Contains(rec.Body.String(), DefaultConfig().Apps[0].SecretKey) {
				t.Errorf("%s %s shows the secret key", tt.method, tt.path)
			}
		})
	}
}

// TestLandingCurlWorks: the command on the landing page sends a first
// chunk that the server accepts.
func TestLandingCurlWorks(t *testing.T) {
	ts := NewTestServer(t)
	first, err := ts.FirstCall(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	// curl -sS -X POST 'URL' -d 'BODY'
	parts := strings.Split(first.Curl, "'")
	if len(parts) != 5 || parts[0] != "curl -sS -X POST " || parts[2] != " -d " {
		t.Fatalf("command %q", first.Curl)
	}
	if rep := post(t, parts[1], parts[3]); rep.ErrorCode != 0 || rep.MsgKey == "" {
		t.Errorf("the command's request: %+v", rep)
	}
}

// TestBatchSkipsTheOldestOfABusyWindow: a window of more than uiBatchMax
// events sends "lag" with the number skipped, then the newest uiBatchMax.
func TestBatchSkipsTheOldestOfABusyWindow(t *testing.T) {
	for _, n := range []int{1, uiBatchMax, uiBatchMax + 10} {
		var h eventHub
		sub := h.subscribe()
		for i := 1; i <= n; i++ {
			h.publish(&Exchange{Seq: uint64(i)})
		}
		batch := sub.drain(nil)
		if len(batch) != n || sub.bytes.Load() != 0 {
			t.Fatalf("%d events: drained %d, %d bytes left", n, len(batch), sub.bytes.Load())
		}
		out := string(appendBatch(nil, batch))
		skipped := max(0, n-uiBatchMax)
		if got := strings.Contains(out, "event: lag\ndata: {\"skipped\":"); got != (skipped > 0) {
			t.Errorf("%d events: lag event %v, want %v", n, got, skipped > 0)
		}
		if got := strings.Count(out, "event: exchange\n"); got != n-skipped {
			t.Errorf("%d events: %d sent whole, want %d", n, got, n-skipped)
		}
		if !strings.Contains(out, `"seq":`+strconv.Itoa(n)+`,`) || (skipped > 0 && strings.Contains(out, `"seq":1,`)) {
			t.Errorf("%d events: not the newest sent:\n%s", n, out)
		}
	}
}
