package deskmock

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/deskmock/deskmock/internal/redact"
	"github.com/deskmock/deskmock/mockserver"
)

// echoUpstream is a deskmock behind a proxy that echoes each request whole
// (its URL as sent and decoded, and its body): in the ErrorInfo of v1's
// replies, and in an HTML error page for v2. It keeps every UserSig it was
// sent.
type echoUpstream struct {
	mu   sync.Mutex
	sigs map[string]bool
}

func (e *echoUpstream) start(t *testing.T) *httptest.Server {
	backend := calibrateUpstream(t)
	e.sigs = map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sig := r.URL.Query().Get("usersig")
		e.mu.Lock()
		e.sigs[sig] = true
		e.mu.Unlock()
		echo := r.Method + " " + r.URL.String() + " (usersig " + sig + ") " + string(body)
		if r.URL.Path == mockserver.EndpointV2Path {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			io.WriteString(w, "<html><body><h1>502 Bad Gateway</h1><p>"+html.EscapeString(echo)+"</p></body></html>")
			return
		}
		req, _ := http.NewRequest(r.Method, backend.URL+r.URL.RequestURI(), strings.NewReader(string(body)))
		req.Header = r.Header
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		var reply map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&reply); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		reply["ErrorInfo"] = reply["ErrorInfo"].(string) + " [" + echo + "]"
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(reply)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestCalibrateHidesEchoedUserSigs: against an upstream that echoes every
// request, no output of calibrate (stdout, stderr, --json, --html,
// --journal, --write-config) holds a UserSig it sent, escaped or not; the
// echo is kept around the redaction.
func TestCalibrateHidesEchoedUserSigs(t *testing.T) {
	var up echoUpstream
	srv := up.start(t)
	dir := t.TempDir()
	file := func(name string) string { return filepath.Join(dir, name) }
	r := runCLI(t, runOpts{env: map[string]string{SecretKeyEnv: mockserver.DefaultConfig().Apps[0].SecretKey}},
		"calibrate", "--upstream", srv.URL, "--sdkappid", "1400000001", "--identifier", "administrator", "--rate", "200",
		"--write-config", file("calibrated.yaml"), "--journal", file("journal.jsonl"), "--json", file("report.json"), "--html", file("report.html"))
	if r.code != ExitFailure {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, ExitFailure, r.stdout, r.stderr)
	}
	outputs := map[string]string{"stdout": r.stdout, "stderr": r.stderr}
	for _, name := range []string{"calibrated.yaml", "journal.jsonl", "report.json", "report.html"} {
		b, err := os.ReadFile(file(name))
		if err != nil {
			t.Fatal(err)
		}
		outputs[name] = string(b)
	}
	var sigs []string
	for sig := range up.sigs {
		if len(sig) >= redact.MinToken { // not the garbage UserSig of one probe
			sigs = append(sigs, sig)
		}
	}
	sort.Strings(sigs)
	if len(sigs) < 3 {
		t.Fatalf("the upstream got %d UserSigs", len(sigs))
	}
	for _, name := range []string{"stdout", "stderr", "calibrated.yaml", "journal.jsonl", "report.json", "report.html"} {
		text := outputs[name]
		for _, sig := range sigs {
			if strings.Contains(text, sig) || strings.Contains(text, url.QueryEscape(sig)) {
				t.Errorf("%s holds a UserSig sent to the upstream", name)
				break
			}
		}
	}
	// The echoes are there, their UserSigs redacted.
	for name, want := range map[string]string{
		"calibrated.yaml": "(usersig REDACTED)",
		"journal.jsonl":   "usersig=REDACTED&random=",
		"report.json":     "(usersig REDACTED)",
		"report.html":     "502 Bad Gateway",
	} {
		if !strings.Contains(outputs[name], want) {
			t.Errorf("%s lacks %q:\n%.2000s", name, want, outputs[name])
		}
	}
	if _, err := mockserver.LoadConfig(file("calibrated.yaml")); err != nil {
		t.Errorf("the written config does not load: %v", err)
	}
}
