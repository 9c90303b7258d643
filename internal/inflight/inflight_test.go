package inflight

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestCountAndWait: a running handler is counted, Wait gives up after its
// time while it runs, and returns 0 once it has returned.
func TestCountAndWait(t *testing.T) {
	var h Handlers
	release, entered := make(chan struct{}), make(chan struct{})
	srv := httptest.NewServer(h.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		io.WriteString(w, "done")
	}), 0))
	defer srv.Close()
	got := make(chan string)
	go func() {
		resp, err := http.Get(srv.URL)
		if err != nil {
			got <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got <- string(b)
	}()
	<-entered
	if n := h.Count(); n != 1 {
		t.Errorf("Count = %d while a handler runs, want 1", n)
	}
	if n := h.Wait(50 * time.Millisecond); n != 1 {
		t.Errorf("Wait = %d while a handler runs, want 1", n)
	}
	close(release)
	if body := <-got; body != "done" {
		t.Errorf("reply %q", body)
	}
	if n := h.Wait(5 * time.Second); n != 0 {
		t.Errorf("Wait = %d once the handler returned, want 0", n)
	}
}

// TestWriteDeadlineFromFirstByte: a handler slower than the write timeout
// still gets its reply out, since the deadline starts at its first byte,
// and the writer still reaches http.Flusher.
func TestWriteDeadlineFromFirstByte(t *testing.T) {
	var h Handlers
	const timeout = 200 * time.Millisecond
	srv := httptest.NewUnstartedServer(h.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(2 * timeout)
		io.WriteString(w, "late but whole")
		w.(http.Flusher).Flush()
	}), timeout))
	srv.Config.WriteTimeout = timeout
	srv.Start()
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || !strings.Contains(string(b), "late but whole") {
		t.Errorf("reply %q, %v: a slow handler's reply was cut off", b, err)
	}
}
