package rawhttp

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestConnKeepsAliveAndReadsReplies(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		switch string(b) {
		case "fail":
			w.WriteHeader(http.StatusBadGateway)
		case "big":
			w.Header().Set("Content-Length", "5000")
			w.Write([]byte(strings.Repeat("x", 5000)))
		default:
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"got":"` + string(b) + `","path":"` + r.URL.RequestURI() + `"}`))
		}
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	c, err := Dial(host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, body := range []string{"a", "bb", ""} {
		got, err := c.Do(Request(host, "/p?q=1", body))
		if want := `{"got":"` + body + `","path":"/p?q=1"}`; err != nil || string(got) != want {
			t.Errorf("Do(%q) = %q, %v; want %q", body, got, err, want)
		}
	}
	if got, err := c.Do(Request(host, "/", "big")); err != nil || len(got) != 5000 {
		t.Errorf("a 5000-byte reply: %d bytes, %v", len(got), err)
	}
	if _, err := c.Do(Request(host, "/", "fail")); err == nil || !strings.Contains(err.Error(), "502") {
		t.Errorf("a 502: %v", err)
	}
}
