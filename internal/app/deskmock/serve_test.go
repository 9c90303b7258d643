package deskmock

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
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
	curl           string // the curl line it printed, with the UserSig its sign line gives
}

var listeningRE = regexp.MustCompile(`(?m)^deskmock listening on (\S+)$`)

// startServe runs serve with args until the test ends, and waits for its
// banner.
func startServe(t *testing.T, vars map[string]string, args ...string) *server {
	t.Helper()
	return startServeTo(t, nil, vars, args...)
}

// startServeTo is startServe with serve's stderr going to stderr instead
// of s.stderr, unless it is nil.
func startServeTo(t *testing.T, stderr io.Writer, vars map[string]string, args ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{stdout: new(syncBuffer), stderr: new(syncBuffer), cancel: cancel, done: make(chan int, 1)}
	e := &env{
		stdin: strings.NewReader(""), stdout: s.stdout, stderr: s.stderr,
		getenv: func(k string) string { return vars[k] }, now: time.Now,
	}
	if stderr != nil {
		e.stderr = stderr
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
					s.addr, s.curl = m[1], signCurl(t, out, line, vars, args)
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

// loggedReady returns serve's stderr once it holds the "listening" line,
// waiting for it at most 10 s. serve's log reaches stderr from a goroutine
// of its own, in order, after the banner is on stdout: with "listening"
// there, so is every line logged before it (the warnings of the start).
func (s *server) loggedReady(t *testing.T) string {
	t.Helper()
	out, ok := s.stderr.await("msg=listening", 10*time.Second)
	if !ok {
		t.Fatalf("serve logged no \"listening\" line\nstderr:\n%s", out)
	}
	return out
}

// signCurl returns the curl line of a banner: as printed when it carries a
// UserSig, else with the one that the banner's sign line gives when run
// (in process) as the user would, with the key serve was given.
func signCurl(t *testing.T, banner, curl string, vars map[string]string, args []string) string {
	t.Helper()
	const sign = "usersig=$(deskmock "
	i := strings.Index(banner, "\n"+sign)
	if i < 0 {
		return curl
	}
	line, _, _ := strings.Cut(banner[i+1+len(sign):], "\n")
	key := vars[SecretKeyEnv]
	for j := 0; j+1 < len(args); j++ {
		switch args[j] {
		case "--secret-key":
			key = args[j+1]
		case "--secret-key-file":
			b, err := os.ReadFile(args[j+1])
			if err != nil {
				t.Fatal(err)
			}
			key = strings.TrimSpace(string(b))
		case "--config":
			cfg, err := mockserver.LoadConfig(args[j+1])
			if err != nil {
				t.Fatal(err)
			}
			key = cfg.Apps[0].SecretKey
		}
	}
	var stdout, stderr strings.Builder
	e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, now: time.Now,
		getenv: func(k string) string {
			if k == SecretKeyEnv {
				return key
			}
			return ""
		}}
	if code := run(context.Background(), e, shellWords(t, strings.TrimSuffix(line, ")"))); code != ExitOK {
		t.Fatalf("the sign line %q: exit %d: %s", line, code, stderr.String())
	}
	signed := strings.Replace(curl, `'"$usersig"'`, strings.TrimSpace(stdout.String()), 1)
	if signed == curl {
		t.Fatalf("the curl line %q has no $usersig", curl)
	}
	return signed
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
			for _, p := range []string{mockserver.EndpointPath, mockserver.EndpointV2Path, mockserver.EndpointC2CPath,
				mockserver.EndpointGroupPath, mockserver.EndpointChatbotPath} {
				if !strings.Contains(s.stdout.String(), "POST http://"+s.addr+p+"\n") {
					t.Errorf("stdout lacks the stream endpoint %s:\n%s", p, s.stdout)
				}
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
	if logged := s.loggedReady(t); !strings.Contains(logged, "reachable from the network") {
		t.Errorf("stderr lacks the warning:\n%s", logged)
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
			[]string{": apps/0/sdkappid: "}},
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

// An address in use is named with the flag that chooses another.
func TestServeCannotListen(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	addr := taken.Addr().String()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"--addr", []string{"--addr", addr}, addr + " is in use: choose another with --addr (port 0 picks a free one)"},
		{"--admin-addr", []string{"--addr", "127.0.0.1:0", "--admin-addr", addr}, addr + " is in use: choose another with --admin-addr (port 0 picks a free one)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, runOpts{}, append([]string{"serve"}, tc.args...)...)
			want := progName + " serve: " + tc.want + "\n"
			if r.code != ExitFailure || !strings.HasSuffix(r.stderr, want) {
				t.Errorf("exit %d, stderr %q; want 1 and the last line %q", r.code, r.stderr, want)
			}
		})
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
// warning; a bad value of it or of --journal-keep is a usage error.
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
	for _, bad := range []struct{ flag, value string }{
		{"--journal-max-bytes", "0"}, {"--journal-max-bytes", "-1"}, {"--journal-max-bytes", "68719476737"},
		{"--journal-keep", "0"}, {"--journal-keep", "-1"}, {"--journal-keep", "101"},
	} {
		r := runCLI(t, runOpts{}, "serve", "--journal", journal, bad.flag, bad.value)
		if r.code != ExitUsage || !strings.Contains(r.stderr, bad.flag) {
			t.Errorf("%s %s: exit %d, stderr %q", bad.flag, bad.value, r.code, r.stderr)
		}
	}
}

// --allow-host lets the admin API answer to a Host name (such as a
// container's service name) besides IP addresses and localhost; it is
// repeatable, adds to allow_hosts of the configuration, and a bad name is a
// usage error.
func TestServeAllowHost(t *testing.T) {
	dir := t.TempDir()
	config := filepath.Join(dir, "hosts.yaml")
	if err := os.WriteFile(config, []byte("apps:\n  - {sdkappid: 1400000001, secret_key: k, admins: [administrator]}\nallow_hosts: [from-config]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	get := func(s *server, host string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", "http://"+s.addr+"/__admin/requests", nil)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	tests := []struct {
		args  []string
		host  string
		want  int
		error string
	}{
		{nil, "deskmock:8780", http.StatusForbidden, "--allow-host deskmock"},
		{nil, "localhost:8780", http.StatusOK, ""},
		{[]string{"--allow-host", "deskmock"}, "deskmock:8780", http.StatusOK, ""},
		{[]string{"--allow-host", "deskmock"}, "other", http.StatusForbidden, "--allow-host other"},
		{[]string{"--allow-host", "a", "--allow-host", "deskmock,b"}, "DESKMOCK", http.StatusOK, ""},
		{[]string{"--allow-host", "*"}, "anything.example", http.StatusOK, ""},
		{[]string{"--config", config, "--allow-host", "deskmock"}, "from-config", http.StatusOK, ""},
		{[]string{"--config", config, "--allow-host", "deskmock"}, "deskmock", http.StatusOK, ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " ")+" "+tt.host, func(t *testing.T) {
			s := startServe(t, nil, append([]string{"--addr", "127.0.0.1:0"}, tt.args...)...)
			if status, body := get(s, tt.host); status != tt.want || !strings.Contains(body, tt.error) {
				t.Errorf("Host %s: %d %s, want %d with %q", tt.host, status, body, tt.want, tt.error)
			}
		})
	}
	for _, bad := range []string{"", "deskmock:8780", "two words"} {
		r := runCLI(t, runOpts{}, "serve", "--addr", "127.0.0.1:0", "--allow-host", bad)
		if r.code != ExitUsage || !strings.Contains(r.stderr, "allow") {
			t.Errorf("--allow-host %q: exit %d, stderr %q", bad, r.code, r.stderr)
		}
	}
}

// --callback-url sends the callbacks, signed with --callback-token or
// $DESKMOCK_CALLBACK_TOKEN; a URL that is none is a usage error.
func TestServeCallbacks(t *testing.T) {
	tests := []struct {
		name  string
		vars  map[string]string
		args  []string
		token string
	}{
		{"flag", nil, []string{"--callback-token", "tok"}, "tok"},
		{"environment", map[string]string{CallbackTokenEnv: "env-tok"}, nil, "env-tok"},
		{"flag over environment", map[string]string{CallbackTokenEnv: "env-tok"}, []string{"--callback-token", "tok"}, "tok"},
		{"unsigned", nil, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := make(chan url.Values, 1)
			bot := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got <- r.URL.Query()
				io.WriteString(w, `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`)
			}))
			defer bot.Close()
			s := startServe(t, tt.vars, append([]string{"--addr", "127.0.0.1:0", "--callback-url", bot.URL}, tt.args...)...)
			resp, err := http.Post("http://"+s.addr+"/__admin/sessions/fd8a2e30-54de-4e40-bcaf-02718409c5cf/begin", "application/json", strings.NewReader(`{"client_user_id":"u1"}`))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			select {
			case q := <-got:
				if err := mockserver.VerifyCallback(q, 1400000001, tt.token, time.Now(), time.Minute); err != nil || (tt.token == "") != (q.Get("Sign") == "") {
					t.Errorf("callback %v: %v", q, err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("no callback")
			}
		})
	}
	r := runCLI(t, runOpts{}, "serve", "--addr", "127.0.0.1:0", "--callback-url", "not a url")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "callbacks/url") {
		t.Errorf("--callback-url 'not a url': exit %d, stderr %q", r.code, r.stderr)
	}
}
