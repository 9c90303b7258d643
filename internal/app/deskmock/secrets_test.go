package deskmock

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/deskmock/deskmock/mockserver"
	"github.com/deskmock/deskmock/mockserver/usersig"
)

// TestServeNeverShowsSecrets runs serve with a secret key from each source
// (flag, file, environment, configuration), debug logs in text and JSON
// and a journal file, sends good and failing requests, reads the admin
// API, and checks that neither the key nor any UserSig a client sent
// appears on stdout, on stderr, in the journal file or in the admin API's
// answers.
func TestServeNeverShowsSecrets(t *testing.T) {
	const secret = "s3cr3t-K3y-0f-th3-t3st-9f8e7d6c5b4a"
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	if err := os.WriteFile(keyFile, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(dir, "deskmock.yaml")
	if err := os.WriteFile(config, []byte("apps:\n  - {sdkappid: 1400000001, secret_key: "+secret+", admins: [administrator]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		env  map[string]string
	}{
		{"flag", []string{"--secret-key", secret, "--log-format", "text"}, nil},
		{"file", []string{"--secret-key-file", keyFile, "--log-format", "json"}, nil},
		{"environment", []string{"--log-format", "text"}, map[string]string{SecretKeyEnv: secret}},
		{"configuration", []string{"--config", config, "--log-format", "json"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			journal := filepath.Join(t.TempDir(), "journal.jsonl")
			args := append([]string{"--addr", "127.0.0.1:0", "--log-level", "debug", "--journal", journal}, tt.args...)
			s := startServe(t, tt.env, args...)
			base := "http://" + s.addr

			now := time.Now()
			gen := func(key, id string, issued time.Time, expire int64) string {
				sig, err := usersig.Generate(key, 1400000001, id, expire, issued)
				if err != nil {
					t.Fatal(err)
				}
				return sig
			}
			good := gen(secret, "administrator", now, 3600)
			sigs := []string{
				good,
				gen("wrong-key", "administrator", now, 3600),              // 70009
				gen(secret, "administrator", now.Add(-2*time.Hour), 3600), // 70001
				gen(secret, "someone", now, 3600),                         // 70013
				gen(secret, "administrator", now, 7200)[:40],              // 70003
			}
			do := func(method, path, body string) string {
				req, err := http.NewRequest(method, base+path, strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return string(b)
			}
			endpoint := func(sdkappid uint64, sig string) string {
				return mockserver.EndpointPath + "?" + mockserver.Query(sdkappid, "administrator", sig, 1)
			}
			ok := `{"SessionId":"fd8a2e30-54de-4e40-bcaf-02718409c5cf","Chunk":"hi"}`
			do("POST", "/__admin/faults", `{"match":{"chunk_contains":"gateway"},"action":{"http_status":502}}`)
			for _, sig := range sigs {
				do("POST", endpoint(1400000001, sig), ok)
			}
			do("POST", endpoint(1400000009, good), ok) // 70020
			do("POST", endpoint(1400000001, good), `{"SessionId":`)
			do("POST", endpoint(1400000001, good), `{"SessionId":"fd8a2e30-54de-4e40-bcaf-02718409c5cf"}`)
			do("POST", endpoint(1400000001, good), `{"SessionId":"fd8a2e30-54de-4e40-bcaf-02718409c5cf","Chunk":"gateway"}`)
			do("GET", endpoint(1400000001, good), "")
			do("POST", endpoint(1400000001, good)+"&usersig="+good, ok) // repeated
			do("POST", strings.Replace(endpoint(1400000001, good), "usersig=", "%75sersig=", 1), ok)
			do("POST", strings.Replace(endpoint(1400000001, good), "usersig=", "USERSIG=", 1), ok)
			var admin strings.Builder
			for _, path := range []string{"/__admin/requests", "/__admin/streams", "/__admin/sessions", "/__admin/faults", "/__admin/codes"} {
				admin.WriteString(do("GET", path, ""))
			}
			if code := s.stop(t); code != ExitOK {
				t.Fatalf("serve exited %d\nstderr:\n%s", code, s.stderr)
			}
			j, err := os.ReadFile(journal)
			if err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(string(j), "\n"); n != len(sigs)+8 {
				t.Errorf("the journal holds %d lines, want %d", n, len(sigs)+8)
			}
			outputs := map[string]string{
				"stdout": s.stdout.String(), "stderr": s.stderr.String(),
				"the journal file": string(j), "the admin API": admin.String(),
			}
			for where, text := range outputs {
				if strings.Contains(text, secret) {
					t.Errorf("%s shows the secret key:\n%s", where, text)
				}
				for _, sig := range sigs {
					if strings.Contains(text, sig) {
						t.Errorf("%s shows a client's UserSig %s:\n%s", where, sig, text)
					}
				}
			}
			if !strings.Contains(s.stderr.String(), "70009") || !strings.Contains(string(j), "REDACTED") {
				t.Errorf("the logs or the journal miss the requests:\nstderr:\n%s\njournal:\n%s", s.stderr, j)
			}
		})
	}
}

// TestServeAdminAddr: --admin-addr moves the admin API to its own
// listener, and the warning follows where the admin API listens.
func TestServeAdminAddr(t *testing.T) {
	get := func(t *testing.T, url string) int {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	adminLine := func(stdout string) string {
		for _, line := range strings.Split(stdout, "\n") {
			if after, ok := strings.CutPrefix(line, "  admin API   "); ok {
				return after
			}
		}
		return ""
	}
	t.Run("endpoint public, admin on loopback", func(t *testing.T) {
		t.Parallel()
		s := startServe(t, nil, "--addr", "0.0.0.0:0", "--admin-addr", "127.0.0.1:0")
		if logged := s.loggedReady(t); strings.Contains(logged, "reachable from the network") {
			t.Errorf("warned though the admin API is on loopback:\n%s", logged)
		}
		admin := adminLine(s.stdout.String())
		if !strings.HasPrefix(admin, "http://127.0.0.1:") {
			t.Fatalf("no admin API line in the banner:\n%s", s.stdout)
		}
		if reply, _ := sendCurl(t, s.curl); reply["ActionStatus"] != "OK" {
			t.Errorf("reply %v", reply)
		}
		endpoint := "http://" + dialAddr(s.addr)
		for url, want := range map[string]int{
			endpoint + "/__admin/health":   200,
			endpoint + "/__admin/requests": 404,
			admin + "requests":             200,
			admin + "health":               200,
		} {
			if got := get(t, url); got != want {
				t.Errorf("GET %s: %d, want %d", url, got, want)
			}
		}
	})
	t.Run("admin beyond loopback without a token", func(t *testing.T) {
		t.Parallel()
		s := startServe(t, nil, "--addr", "127.0.0.1:0", "--admin-addr", "0.0.0.0:0")
		if logged := s.loggedReady(t); !strings.Contains(logged, "reachable from the network") {
			t.Errorf("no warning:\n%s", logged)
		}
	})
	t.Run("admin beyond loopback with a token", func(t *testing.T) {
		t.Parallel()
		s := startServe(t, nil, "--addr", "0.0.0.0:0", "--admin-token", "tok")
		if logged := s.loggedReady(t); strings.Contains(logged, "reachable from the network") {
			t.Errorf("warned though a token is set:\n%s", logged)
		}
	})
	t.Run("bad flags", func(t *testing.T) {
		for _, args := range [][]string{
			{"serve", "--admin-addr", ""},
			{"serve", "--shutdown-timeout", "0s"},
		} {
			if r := runCLI(t, runOpts{}, args...); r.code != ExitUsage {
				t.Errorf("%v: exit %d, want %d", args, r.code, ExitUsage)
			}
		}
		s := startServe(t, nil, "--addr", "127.0.0.1:0")
		if r := runCLI(t, runOpts{}, "serve", "--addr", "127.0.0.1:0", "--admin-addr", s.addr); r.code != ExitFailure || !strings.Contains(r.stderr, s.addr+" is in use: choose another with --admin-addr") {
			t.Errorf("admin address in use: exit %d, stderr %q", r.code, r.stderr)
		}
	})
}
