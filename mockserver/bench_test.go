package mockserver

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deskmock/deskmock/mockserver/usersig"
)

// The benchmarks measure, in one run, a bare net/http handler writing the
// vendor's fixed success reply (the baseline) and deskmock's full pipeline,
// over real loopback HTTP with concurrent keep-alive clients. Compare with
// ratios: go test -run '^$' -bench . -benchmem ./mockserver/

const okReply = `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"MsgKey":"124_1600045926_716f784b2bbd6ce9415027715"}`

// loopbackClient returns a client that keeps enough idle connections for
// the parallel benchmark goroutines.
func loopbackClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxIdleConns: 256}}
}

// benchPost runs b.RunParallel posting bodies from next to url; it fails the
// benchmark on any reply other than want.
func benchPost(b *testing.B, url string, next func(worker, i int) string, wantCode string) {
	b.Helper()
	client := loopbackClient()
	var workers atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		w := int(workers.Add(1))
		buf := make([]byte, 512)
		for i := 0; pb.Next(); i++ {
			resp, err := client.Post(url, "application/json", bytes.NewBufferString(next(w, i)))
			if err != nil {
				b.Error(err)
				return
			}
			n, _ := io.ReadFull(resp.Body, buf)
			resp.Body.Close()
			if !bytes.Contains(buf[:n], []byte(`"ErrorCode":`+wantCode)) {
				b.Errorf("reply %q, want code %s", buf[:n], wantCode)
				return
			}
		}
	})
	b.StopTimer()
	client.CloseIdleConnections()
}

func benchSession(w int) string {
	return "00000000-1111-4222-8333-" + leftPad(strconv.Itoa(w), 12)
}

func leftPad(s string, n int) string {
	for len(s) < n {
		s = "0" + s
	}
	return s
}

func BenchmarkBaseline(b *testing.B) {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, okReply)
	}))
	defer hs.Close()
	body := `{"SessionId":"fd8a2e30-54de-4e40-bcaf-02718409c5cf","Chunk":"Hello, "}`
	benchPost(b, hs.URL+EndpointPath, func(int, int) string { return body }, "0")
}

func BenchmarkFirstChunk(b *testing.B) {
	ts := NewTestServer(b)
	url := ts.EndpointURL()
	benchPost(b, url, func(w, _ int) string {
		return `{"SessionId":"` + benchSession(w) + `","Chunk":"Hello, "}`
	}, "0")
}

func BenchmarkContinuationChunk(b *testing.B) {
	ts := NewTestServer(b)
	url := ts.EndpointURL()
	keys := make(map[int]string)
	// Each worker opens its own stream on its first call, then continues it.
	mu := make(chan struct{}, 1)
	mu <- struct{}{}
	open := func(w int) string {
		<-mu
		defer func() { mu <- struct{}{} }()
		if k, ok := keys[w]; ok {
			return k
		}
		resp, err := http.Post(url, "application/json", bytes.NewBufferString(`{"SessionId":"`+benchSession(w)+`","Chunk":"first"}`))
		if err != nil {
			b.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		k := string(raw[bytes.Index(raw, []byte(`"MsgKey":"`))+10 : len(raw)-2])
		keys[w] = k
		return k
	}
	benchPost(b, url, func(w, i int) string {
		return `{"SessionId":"` + benchSession(w) + `","Chunk":"more ","MsgKey":"` + open(w) + `"}`
	}, "0")
}

func BenchmarkRejectedBadSignature(b *testing.B) {
	ts := NewTestServer(b)
	// Signed with another key: it decodes, then fails the HMAC check.
	sig, err := usersig.Generate("not-the-key", ts.App.SDKAppID, ts.Identifier, 86400, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	url := ts.URL + EndpointPath + "?" + Query(ts.App.SDKAppID, ts.Identifier, sig, 1)
	body := `{"SessionId":"fd8a2e30-54de-4e40-bcaf-02718409c5cf","Chunk":"Hello, "}`
	benchPost(b, url, func(int, int) string { return body }, "70009")
}

func BenchmarkTriggerSession(b *testing.B) {
	ts := NewTestServer(b)
	url := ts.EndpointURL()
	body := `{"SessionId":"` + TriggerSessionID(20004, 0) + `","Chunk":"Hello, "}`
	benchPost(b, url, func(int, int) string { return body }, "20004")
}

// BenchmarkHandlerFirstChunk measures the handler alone, without the network,
// for its allocations per request.
func BenchmarkHandlerFirstChunk(b *testing.B) {
	s, err := New(DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	sig, _ := s.UserSig(1400000001, "administrator", 86400e9)
	target := EndpointPath + "?" + Query(1400000001, "administrator", sig, 1)
	body := []byte(`{"SessionId":"fd8a2e30-54de-4e40-bcaf-02718409c5cf","Chunk":"Hello, "}`)
	h := s.Handler()
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("POST", target, bytes.NewReader(body)))
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}
