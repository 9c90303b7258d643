package mockserver

import (
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
)

// filler is an endless reader of 'x' bytes.
type filler struct{}

func (filler) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

func TestHugeBodyIsRefusedWithoutReadingIt(t *testing.T) {
	const size = 64 << 20
	ts := NewTestServer(t)
	tests := []struct {
		name          string
		contentLength bool
	}{
		{"with Content-Length", true},
		{"chunked", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := io.MultiReader(strings.NewReader(`{"SessionId":"`+testSession+`","Chunk":"`), io.LimitReader(filler{}, size))
			req, err := http.NewRequest("POST", ts.EndpointURL(), body)
			if err != nil {
				t.Fatal(err)
			}
			if tt.contentLength {
				req.ContentLength = size + 100
			} else {
				req.ContentLength = -1
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			resp, err := (&http.Client{Transport: &http.Transport{}}).Do(req)
			if err == nil {
				raw, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if rep := decodeReply(t, raw); rep.ErrorCode != 93000 {
					t.Errorf("reply %+v, want 93000", rep)
				}
			} else {
				t.Logf("the server closed the connection after its reply: %v", err)
			}
			runtime.ReadMemStats(&after)
			if grown := after.TotalAlloc - before.TotalAlloc; grown > 4<<20 {
				t.Errorf("%d MiB allocated while refusing a 64 MiB body", grown>>20)
			}
			// A declared length is refused before the body is read; of a
			// body sent chunked the journal keeps the first bytes.
			kept := tooLargePrefix
			if tt.contentLength {
				kept = 0
			}
			ex := ts.Requests(ExchangeFilter{Limit: 1})
			if len(ex) != 1 || ex[0].Code != 93000 || !ex[0].Truncated || len(ex[0].Body) != kept || ex[0].BodySize <= defaultMaxBodyBytes {
				t.Errorf("journal %+v", ex)
			}
		})
	}
}

func TestSmallBodyLimit(t *testing.T) {
	ts := NewTestServer(t, func(c *Config) { c.Limits.MaxBodyBytes = 10 })
	for _, chunked := range []bool{false, true} {
		body := io.Reader(strings.NewReader(`{"SessionId":"` + testSession + `","Chunk":"x"}`))
		if chunked {
			body = io.MultiReader(body) // hides the length: sent chunked
		}
		resp, err := http.Post(ts.EndpointURL(), "application/json", body)
		if err != nil {
			t.Fatal(err)
		}
		if rep := decodeReply(t, readAll(t, resp)); rep.ErrorCode != 93000 {
			t.Errorf("chunked=%v: %+v, want 93000", chunked, rep)
		}
	}
	for _, e := range ts.Requests(ExchangeFilter{}) {
		if !e.Truncated || len(e.Body) > 11 {
			t.Errorf("journal kept %q (truncated %v)", e.Body, e.Truncated)
		}
	}
}
