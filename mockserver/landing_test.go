package mockserver

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"

	"github.com/deskmock/deskmock/internal/redact"
)

// realKey stands for an app's own secret key in the tests.
const realKey = "a-real-key-0123456789abcdef"

// TestFirstCallSignsWithTheTestKeyOnly: the command of the landing page
// carries a UserSig when the key is the embedded test key, and none,
// whoever asks, when it is any other key.
func TestFirstCallSignsWithTheTestKeyOnly(t *testing.T) {
	real := DefaultConfig()
	real.Apps[0].SecretKey = realKey
	tests := []struct {
		name   string
		cfg    Config
		from   string
		signed bool
	}{
		{"test key, loopback", DefaultConfig(), "127.0.0.1:5000", true},
		{"test key, afar", DefaultConfig(), "192.0.2.7:5000", true},
		{"real key, loopback", real, "127.0.0.1:5000", false},
		{"real key, afar", real, "192.0.2.7:5000", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest("GET", "http://127.0.0.1:8780/", nil)
			req.RemoteAddr = tt.from
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			page := rec.Body.String()
			hasSig := redact.Text(page) != page
			if rec.Code != http.StatusOK || hasSig != tt.signed {
				t.Errorf("%d, a UserSig on the page: %v, want %v\n%s", rec.Code, hasSig, tt.signed, page)
			}
			if asks := strings.Contains(page, "usersig=$(deskmock usersig gen --sdkappid 1400000001 --identifier &#39;administrator&#39; --expire 24h)"); asks == tt.signed {
				t.Errorf("the page asks to sign a UserSig: %v, want %v\n%s", asks, !tt.signed, page)
			}
			if strings.Contains(page, realKey) {
				t.Errorf("the page shows the secret key")
			}
		})
	}
}

// TestFirstCallWithYourKeyWorks: the two lines of FirstCall, run by a
// shell where `deskmock usersig gen` signs with the app's key, send a
// first chunk that the server accepts.
func TestFirstCallWithYourKeyWorks(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	ts := NewTestServer(t, func(c *Config) { c.Apps[0].SecretKey = realKey })
	first, err := ts.FirstCall(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	if first.SignCommand == "" || strings.Count(first.Curl, "\n") != 1 {
		t.Fatalf("command %q", first.Curl)
	}
	sig, err := ts.UserSig(ts.App.SDKAppID, ts.Identifier, FirstCallLifetime)
	if err != nil {
		t.Fatal(err)
	}
	// A deskmock function stands for the program; it checks its arguments.
	script := `deskmock() { [ "$*" = "usersig gen --sdkappid 1400000001 --identifier administrator --expire 24h" ] && echo '` + sig + `'; }` + "\n" + first.Curl
	out, err := exec.Command(sh, "-c", script).Output()
	if err != nil {
		t.Fatalf("%v\n%s", err, script)
	}
	if rep := decodeReply(t, out); rep.ErrorCode != 0 || rep.MsgKey == "" {
		t.Errorf("the command's request: %+v", rep)
	}
}

// TestNoCredentialWithoutAToken: with an app's own key, no route that
// answers without the admin token (with one set: the landing page, health,
// the dashboard's page and assets; without one: every GET route, from
// loopback) shows the key or a UserSig.
func TestNoCredentialWithoutAToken(t *testing.T) {
	for _, token := range []string{"", "admin-token"} {
		cfg := DefaultConfig()
		cfg.Apps[0].SecretKey = realKey
		cfg.AdminToken = token
		ts := NewTestServer(t, WithConfig(cfg))
		paths := []string{"/", "/__admin/health", UIPath, uiAssets + "app.js", "/__admin/codes", "/__admin/faults", "/__admin/sessions",
			"/__admin/requests", "/__admin/streams", "/__admin/clock", uiAPI + "/state", "/__admin/config", "/__admin/"}
		for _, path := range paths {
			resp, err := http.Get(ts.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body := string(b)
			if token != "" && resp.StatusCode == http.StatusOK && path != "/" && path != "/__admin/health" && !strings.HasPrefix(path, UIPath) {
				t.Errorf("token set: GET %s answers %d without it", path, resp.StatusCode)
			}
			if strings.Contains(body, realKey) || redact.Text(body) != body {
				t.Errorf("token %q: GET %s shows a credential:\n%s", token, path, body)
			}
		}
	}
}
