package deskmock

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/deskmock/deskmock/mockserver"
)

// server is a serve command running in the background.
type server struct {
	stdout, stderr *syncBuffer
	cancel         context.CancelFunc
	done           chan int
	addr           string // the bound address it printed
	curl           string // the curl line it printed
}

var listeningRE = regexp.MustCompile(`(?m)^deskmock listening on (\S+)$`)

// startServe runs serve with args until the test ends, and waits for its
// banner.
func startServe(t *testing.T, vars map[string]string, args ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{stdout: new(syncBuffer), stderr: new(syncBuffer), cancel: cancel, done: make(chan int, 1)}
	e := &env{
		stdin: strings.NewReader(""), stdout: s.stdout, stderr: s.stderr,
		getenv: func(k string) string { return vars[k] }, now: time.Now,
	}
	go func() { s.done <- run(ctx, e, append([]string{"serve"}, args...)) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop")
		}
	})
	deadline := time.After(10 * time.Second)
	for {
		out := s.stdout.String()
		if m := listeningRE.FindStringSubmatch(out); m != nil {
			for _, line := range strings.Split(out, "\n") {
				if strings.HasPrefix(line, "curl ") {
					s.addr, s.curl = m[1], line
					return s
				}
			}
		}
		select {
		case code := <-s.done:
			t.Fatalf("serve exited %d before it was ready\nstdout:\n%s\nstderr:\n%s", code, s.stdout, s.stderr)
		case <-deadline:
			t.Fatalf("serve printed no banner\nstdout:\n%s\nstderr:\n%s", s.stdout, s.stderr)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// stop cancels serve's context and returns its exit code.
func (s *server) stop(t *testing.T) int {
	t.Helper()
	s.cancel()
	select {
	case code := <-s.done:
		s.done <- code // for the cleanup
		return code
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
		return -1
	}
}

// shellWords splits a command line of bare and single-quoted words, the
// only quoting the printed curl uses.
func shellWords(t *testing.T, line string) []string {
	t.Helper()
	var words []string
	var cur strings.Builder
	inWord, quoted := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quoted && c == '\'':
			quoted = false
		case quoted:
			cur.WriteByte(c)
		case c == '\'':
			quoted, inWord = true, true
		case c == ' ':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\\' || c == '"' || c == '$' || c == '`':
			t.Fatalf("unexpected shell metacharacter %q outside quotes in %s", c, line)
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if quoted {
		t.Fatalf("unterminated quote in %s", line)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// sendCurl performs the printed curl command with net/http and returns the
// decoded reply and the request URL.
func sendCurl(t *testing.T, line string) (map[string]any, *url.URL) {
	t.Helper()
	words := shellWords(t, line)
	var target, body string
	client := http.DefaultClient
	for i := 0; i < len(words)-1; i++ {
		switch words[i] {
		case "--cacert":
			pool, err := caPool(words[i+1])
			if err != nil {
				t.Fatal(err)
			}
			client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
		case "-X":
			if words[i+1] != "POST" {
				t.Fatalf("curl method %q, want POST", words[i+1])
			}
			target = words[i+2]
		case "-d":
			body = words[i+1]
		}
	}
	if target == "" || body == "" {
		t.Fatalf("no URL or body in %q", line)
	}
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Post(target, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST: %s %s", resp.Status, b)
	}
	var reply map[string]any
	if err := json.Unmarshal(b, &reply); err != nil {
		t.Fatalf("reply %s: %v", b, err)
	}
	return reply, u
}

func TestServe(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	if err := os.WriteFile(keyFile, []byte("file-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	defaultKey := defaultApp().SecretKey
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		sdkappid   string
		identifier string
		secret     string // must never be printed; "" for the default key, which is
		keyFrom    string
	}{
		{name: "defaults", sdkappid: "1400000001", identifier: "administrator"},
		{name: "flag key and sdkappid", args: []string{"--secret-key", "somekey", "--sdkappid", "1400000099"},
			sdkappid: "1400000099", identifier: "administrator", secret: "somekey", keyFrom: "(from --secret-key; not shown)"},
		{name: "key file and admin", args: []string{"--secret-key-file", keyFile, "--admin", "ops"},
			sdkappid: "1400000001", identifier: "ops", secret: "file-secret", keyFrom: "(from --secret-key-file " + keyFile + "; not shown)"},
		{name: "key from environment, json debug logs", args: []string{"--log-format", "json", "--log-level", "debug"},
			env:      map[string]string{SecretKeyEnv: "env-secret"},
			sdkappid: "1400000001", identifier: "administrator", secret: "env-secret", keyFrom: "(from $DESKMOCK_SECRET_KEY; not shown)"},
		{name: "flag beats environment", args: []string{"--secret-key", "flag-secret"},
			env:      map[string]string{SecretKeyEnv: "env-secret"},
			sdkappid: "1400000001", identifier: "administrator", secret: "flag-secret", keyFrom: "(from --secret-key; not shown)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := startServe(t, tt.env, append([]string{"--addr", "127.0.0.1:0"}, tt.args...)...)

			resp, err := http.Get("http://" + s.addr + "/__admin/health")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("health: %s", resp.Status)
			}
			if !strings.Contains(s.stdout.String(), "http://"+s.addr+"/__admin/health") {
				t.Errorf("stdout lacks the health URL:\n%s", s.stdout)
			}

			reply, u := sendCurl(t, s.curl)
			if reply["ActionStatus"] != "OK" || reply["ErrorCode"] != 0.0 || reply["ErrorInfo"] != "" {
				t.Errorf("reply %v, want OK", reply)
			}
			if k, _ := reply["MsgKey"].(string); k == "" {
				t.Errorf("reply %v has no MsgKey", reply)
			}
			q := u.Query()
			if q.Get("sdkappid") != tt.sdkappid || q.Get("identifier") != tt.identifier || u.Path != mockserver.EndpointPath {
				t.Errorf("curl URL %s, want sdkappid %s identifier %s", u, tt.sdkappid, tt.identifier)
			}

			if code := s.stop(t); code != ExitOK {
				t.Errorf("serve exited %d, want 0\nstderr:\n%s", code, s.stderr)
			}
			out := s.stdout.String() + s.stderr.String()
			if tt.secret != "" {
				if strings.Contains(out, tt.secret) {
					t.Errorf("the secret key %q was printed:\n%s", tt.secret, out)
				}
				if strings.Contains(out, defaultKey) {
					t.Errorf("the default key was printed though another key is served:\n%s", out)
				}
				if !strings.Contains(s.stdout.String(), tt.keyFrom) {
					t.Errorf("stdout lacks %q:\n%s", tt.keyFrom, s.stdout)
				}
			} else if !strings.Contains(s.stdout.String(), defaultKey) {
				t.Errorf("stdout lacks the well-known test key:\n%s", s.stdout)
			}
			if strings.Contains(out, "reachable from the network") {
				t.Errorf("a loopback server warned about the network:\n%s", out)
			}
		})
	}
}

func TestServeConfigFile(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "deskmock.yaml")
	const body = `
apps:
  - sdkappid: 1400000500
    secret_key: config-secret
    admins: [robot, other]
  - sdkappid: 1400000501
    secret_key: another-secret
    admins: [x]
sessions:
  strict: true
  ids: [0b6fa4a6-6c0b-4f2e-9d43-2fd0d4b8d6a1]
`
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, nil, "--config", cfg, "--addr", "127.0.0.1:0")
	reply, u := sendCurl(t, s.curl)
	if reply["ActionStatus"] != "OK" {
		t.Errorf("reply %v, want OK", reply)
	}
	if q := u.Query(); q.Get("sdkappid") != "1400000500" || q.Get("identifier") != "robot" {
		t.Errorf("curl URL %s, want the first app and its first admin", u)
	}
	if !strings.Contains(s.curl, "0b6fa4a6-6c0b-4f2e-9d43-2fd0d4b8d6a1") {
		t.Errorf("curl %s does not use the open session of strict mode", s.curl)
	}
	if code := s.stop(t); code != ExitOK {
		t.Errorf("serve exited %d", code)
	}
	out := s.stdout.String() + s.stderr.String()
	for _, secret := range []string{"config-secret", "another-secret"} {
		if strings.Contains(out, secret) {
			t.Errorf("secret %q printed:\n%s", secret, out)
		}
	}
	for _, want := range []string{"(from the configuration " + cfg + "; not shown)", "and 1 more app(s)"} {
		if !strings.Contains(s.stdout.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, s.stdout)
		}
	}
}

func TestServeWarnsBeyondLoopback(t *testing.T) {
	s := startServe(t, nil, "--addr", "0.0.0.0:0")
	if !strings.Contains(s.stderr.String(), "reachable from the network") {
		t.Errorf("stderr lacks the warning:\n%s", s.stderr)
	}
	// Go reports a wildcard listener as 0.0.0.0 or [::]; the printed URLs
	// dial loopback instead.
	if (!strings.HasPrefix(s.addr, "0.0.0.0:") && !strings.HasPrefix(s.addr, "[::]:")) || !strings.Contains(s.curl, "'http://127.0.0.1:") {
		t.Errorf("addr %s, curl %s", s.addr, s.curl)
	}
	if reply, _ := sendCurl(t, s.curl); reply["ActionStatus"] != "OK" {
		t.Errorf("reply %v", reply)
	}
}

func TestServeBadConfig(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, file, body string
		want             []string
	}{
		{"sdkappid as a string", "bad.yaml", "apps:\n  - sdkappid: \"1400000001\"\n    secret_key: k\n    admins: [a]\n",
			[]string{"/apps/0/sdkappid"}},
		{"unknown field", "bad.json", `{"apps":[{"sdkappid":1400000001,"secret_key":"k","admins":["a"],"colour":"red"}]}`,
			[]string{"colour"}},
		{"not YAML", "broken.yaml", "apps: [\n", []string{"YAML"}},
		{"duplicate app", "dup.yaml", "apps:\n  - {sdkappid: 1, secret_key: k, admins: [a]}\n  - {sdkappid: 1, secret_key: k, admins: [a]}\n",
			[]string{"apps/1/sdkappid"}},
		{"huge number in JSON", "huge.json", `{"apps":[{"sdkappid":1400000001,"secret_key":"k","admins":["a"]}],"limits":{"max_streams":1e999999999}}`,
			[]string{"limits/max_streams", "exponent"}},
		{"tiny number in YAML", "tiny.yaml", "apps:\n  - {sdkappid: 1400000001, secret_key: k, admins: [a]}\nfaults: [{action: {delay_ms: 1}, probability: 1e-999999999}]\n",
			[]string{"faults/0/probability", "exponent"}},
		{"long digits", "long.json", `{"apps":[{"sdkappid":1` + strings.Repeat("0", 10000) + `,"secret_key":"k","admins":["a"]}]}`,
			[]string{"apps/0/sdkappid", "characters"}},
		{"YAML error on line 4", "line4.yaml", "apps:\n  - sdkappid: 1\n    secret_key: k\n  bad: x\n", []string{"line 4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.file)
			if err := os.WriteFile(path, []byte(tt.body), 0o600); err != nil {
				t.Fatal(err)
			}
			r := runCLI(t, runOpts{}, "serve", "--config", path, "--addr", "127.0.0.1:0")
			if r.code != ExitUsage {
				t.Fatalf("exit %d, want %d\nstderr:\n%s", r.code, ExitUsage, r.stderr)
			}
			for _, w := range append([]string{path}, tt.want...) {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing", r.stdout)
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		path := filepath.Join(dir, "absent.yaml")
		r := runCLI(t, runOpts{}, "serve", "--config", path)
		if r.code != ExitUsage || !strings.Contains(r.stderr, path) {
			t.Errorf("exit %d, stderr %q", r.code, r.stderr)
		}
	})
	t.Run("overrides clash with the file", func(t *testing.T) {
		path := filepath.Join(dir, "two.yaml")
		body := "apps:\n  - {sdkappid: 1, secret_key: k, admins: [a]}\n  - {sdkappid: 2, secret_key: k, admins: [a]}\n"
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		r := runCLI(t, runOpts{}, "serve", "--config", path, "--sdkappid", "2")
		if r.code != ExitUsage || !strings.Contains(r.stderr, "already used") {
			t.Errorf("exit %d, stderr %q", r.code, r.stderr)
		}
	})
}

func TestServeCannotListen(t *testing.T) {
	s := startServe(t, nil, "--addr", "127.0.0.1:0")
	r := runCLI(t, runOpts{}, "serve", "--addr", s.addr)
	if r.code != ExitFailure || !strings.Contains(r.stderr, "address already in use") {
		t.Errorf("exit %d, stderr %q; want 1 and the listen error", r.code, r.stderr)
	}
}

func TestServeJournalAndAdminToken(t *testing.T) {
	journal := filepath.Join(t.TempDir(), "journal.jsonl")
	s := startServe(t, map[string]string{"DESKMOCK_ADMIN_TOKEN": "from-env"}, "--addr", "127.0.0.1:0", "--journal", journal)
	if reply, _ := sendCurl(t, s.curl); reply["ActionStatus"] != "OK" {
		t.Fatalf("reply %v", reply)
	}
	b, err := os.ReadFile(journal)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	var e mockserver.Exchange
	if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &e) != nil || e.Status != 200 || !strings.Contains(e.Query, "usersig=REDACTED") {
		t.Errorf("journal file %q", b)
	}
	tests := []struct {
		token  string
		status int
	}{
		{"", http.StatusUnauthorized},
		{"wrong", http.StatusUnauthorized},
		{"from-env", http.StatusOK},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest("GET", "http://"+s.addr+"/__admin/streams", nil)
		if tt.token != "" {
			req.Header.Set("Authorization", "Bearer "+tt.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("token %q: status %d, want %d", tt.token, resp.StatusCode, tt.status)
		}
	}
}

// --journal-max-bytes rotates the journal file once it is reached, with a
// warning; a bad value is a usage error.
func TestServeJournalRotates(t *testing.T) {
	journal := filepath.Join(t.TempDir(), "journal.jsonl")
	s := startServe(t, nil, "--addr", "127.0.0.1:0", "--journal", journal, "--journal-max-bytes", "1000")
	for range 4 {
		if reply, _ := sendCurl(t, s.curl); reply["ActionStatus"] != "OK" {
			t.Fatalf("reply %v", reply)
		}
	}
	lines := 0
	for _, p := range []string{journal, journal + ".1"} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > 1000 {
			t.Errorf("%s holds %d bytes", p, len(b))
		}
		lines += strings.Count(string(b), "\n")
	}
	s.stop(t) // the log is buffered: stopping writes it out
	if lines < 2 || !strings.Contains(s.stderr.String(), "journal file reached its size limit") {
		t.Errorf("%d lines kept; stderr:\n%s", lines, s.stderr)
	}
	for _, bad := range []string{"0", "-1", "68719476737"} {
		r := runCLI(t, runOpts{}, "serve", "--journal", journal, "--journal-max-bytes", bad)
		if r.code != ExitUsage || !strings.Contains(r.stderr, "--journal-max-bytes") {
			t.Errorf("--journal-max-bytes %s: exit %d, stderr %q", bad, r.code, r.stderr)
		}
	}
}
