package deskmock

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/deskmock/deskmock/mockserver"
)

func TestHealth(t *testing.T) {
	live := mockserver.NewTestServer(t)
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	t.Cleanup(failing.Close)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	t.Cleanup(slow.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()

	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"live server", []string{"--url", live.URL}, ExitOK, "healthy: GET " + live.URL + "/__admin/health answered 200 OK", ""},
		{"trailing slash", []string{"--url", live.URL + "/"}, ExitOK, "healthy:", ""},
		{"closed port", []string{"--url", closed}, ExitFailure, "", "unhealthy:"},
		{"not 200", []string{"--url", failing.URL}, ExitFailure, "", "answered 503 Service Unavailable"},
		{"too slow", []string{"--url", slow.URL, "--timeout", "100ms"}, ExitFailure, "", "unhealthy:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, runOpts{}, append([]string{"health"}, tt.args...)...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d; stderr %q", r.code, tt.code, r.stderr)
			}
			if !strings.Contains(r.stdout, tt.stdout) || (tt.stdout == "" && r.stdout != "") {
				t.Errorf("stdout %q, want %q", r.stdout, tt.stdout)
			}
			if !strings.Contains(r.stderr, tt.stderr) || (tt.stderr == "" && r.stderr != "") {
				t.Errorf("stderr %q, want %q", r.stderr, tt.stderr)
			}
		})
	}
}

func TestHealthOfServe(t *testing.T) {
	s := startServe(t, nil, "--addr", "127.0.0.1:0")
	if r := runCLI(t, runOpts{}, "health", "--url", "http://"+s.addr); r.code != ExitOK {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}
