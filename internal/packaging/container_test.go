package packaging

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/deskmock/deskmock/mockserver"
	"github.com/deskmock/deskmock/mockserver/usersig"
)

// engine is podman's command line: the program and its global flags, from
// $CONTAINER_ENGINE (as for .ci/release), "podman" by default. The tests use
// podman's commands ("healthcheck run", a JSON --health-cmd).
type engine []string

// newEngine reads $CONTAINER_ENGINE.
func newEngine() engine {
	if f := strings.Fields(os.Getenv("CONTAINER_ENGINE")); len(f) > 0 {
		return engine(f)
	}
	return engine{"podman"}
}

// run runs the engine with args and returns its standard output, trimmed.
func (e engine) run(args ...string) (string, error) {
	cmd := exec.Command(e[0], append(append([]string{}, e[1:]...), args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("%s %s: %v: %s", e[0], strings.Join(args, " "), err, lastLines(stderr.String(), 5))
	}
	return strings.TrimSpace(stdout.String()), err
}

// must is run, failing the test on an error.
func (e engine) must(t *testing.T, args ...string) string {
	t.Helper()
	out, err := e.run(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// containerTestsWanted reports whether the container tests run:
// DESKMOCK_CONTAINER_TESTS=1, or CI=true unless DESKMOCK_CONTAINER_TESTS=0.
// When they run, an engine that does not work fails them.
func containerTestsWanted() bool {
	switch os.Getenv("DESKMOCK_CONTAINER_TESTS") {
	case "1":
		return true
	case "0":
		return false
	}
	return os.Getenv("CI") == "true"
}

// container is a started container of the image under test.
type container struct {
	eng     engine
	id      string
	started time.Time
}

// start runs the image detached with the engine's options opts and serve's
// extra arguments args, and removes the container when the test ends.
func (e engine) start(t *testing.T, image string, opts []string, args ...string) *container {
	t.Helper()
	started := time.Now()
	id := e.must(t, append(append(append([]string{"run", "-d"}, opts...), image), args...)...)
	t.Cleanup(func() { e.run("rm", "-f", id) })
	return &container{eng: e, id: id, started: started}
}

// waitHealthy runs the container's health check until it passes and
// returns the time from the start of "run".
func (c *container) waitHealthy(t *testing.T) time.Duration {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := c.eng.run("healthcheck", "run", c.id)
		if err == nil {
			return time.Since(c.started)
		}
		if time.Now().After(deadline) {
			logs, _ := c.eng.run("logs", c.id)
			t.Fatalf("not healthy after 30 s: %v\nlogs:\n%s", err, lastLines(logs, 20))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// hostAddr returns the host address that the container's port is
// published on.
func (c *container) hostAddr(t *testing.T, port string) string {
	t.Helper()
	out := c.eng.must(t, "port", c.id, port)
	return strings.Fields(out)[0]
}

// stop stops the container (SIGTERM) and returns its exit status and how
// long the stop took.
func (c *container) stop(t *testing.T) (int, time.Duration) {
	t.Helper()
	begin := time.Now()
	c.eng.must(t, "stop", c.id)
	took := time.Since(begin)
	code, err := strconv.Atoi(c.eng.must(t, "inspect", "--format", "{{.State.ExitCode}}", c.id))
	if err != nil {
		t.Fatal(err)
	}
	return code, took
}

// uids returns the Uid line of the container's process, as the host sees
// it in /proc: real, effective, saved and file system uid.
func (c *container) uids(t *testing.T) string {
	t.Helper()
	pid := c.eng.must(t, "inspect", "--format", "{{.State.Pid}}", c.id)
	status, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "Uid:"); ok {
			return strings.Join(strings.Fields(rest), " ")
		}
	}
	t.Fatalf("no Uid line in /proc/%s/status", pid)
	return ""
}

// app is an app the container serves, and how to sign for it.
type app struct {
	sdkappid   uint64
	admin, key string
}

// defaultApp is the app of the embedded default configuration.
func defaultApp() app {
	a := mockserver.DefaultConfig().Apps[0]
	return app{a.SDKAppID, a.Admins[0], a.SecretKey}
}

// chunkReply posts one chunk to the endpoint's path at base as a's
// administrator and returns the reply's ErrorCode.
func chunkReply(t *testing.T, client *http.Client, base, path string, a app, body string) int {
	t.Helper()
	sig, err := usersig.Generate(a.key, a.sdkappid, a.admin, 3600, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	url := base + path + "?" + mockserver.Query(a.sdkappid, a.admin, sig, 7)
	resp, err := client.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var reply struct{ ErrorCode *int }
	if err := json.Unmarshal(b, &reply); err != nil || reply.ErrorCode == nil {
		t.Fatalf("POST %s: %d %q is no IM reply", path, resp.StatusCode, b)
	}
	return *reply.ErrorCode
}

// The bodies of a first chunk on each endpoint.
const (
	v1Chunk = `{"SessionId":"0c0a1e00-0000-4000-8000-000000000001","Chunk":"Hello, "}`
	v2Chunk = `{"SessionId":"0c0a1e00-0000-4000-8000-000000000002","MsgBody":[{"MsgType":"TIMStreamElem","MsgContent":{"Chunks":[{"EventType":"data","Index":1,"Markdown":"**Hello**"}]}}]}`
)

// getStatus returns the status of GET url with the bearer token, if any.
func getStatus(t *testing.T, url, token string) int {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// writableDir makes a directory that the image's user 65532 can write to.
func writableDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestContainer builds the release image with .ci/release and a real
// engine (podman by default: see engine), loads it from both archives and
// runs it: healthy, v1 and v2 chunks through a published port, --config
// from a mounted file, the journal on a mounted volume, uid 65532, exit 0 on
// SIGTERM with the journal complete, TLS with the CA written to a volume,
// and the health check on a custom port beside --admin-addr. It logs the
// image's size and the time from "run" to healthy.
func TestContainer(t *testing.T) {
	if !containerTestsWanted() {
		t.Skip("container tests: set DESKMOCK_CONTAINER_TESTS=1 (they run with CI=true)")
	}
	eng := newEngine()
	if _, err := eng.run("info"); err != nil {
		t.Fatalf("no working container engine (CONTAINER_ENGINE=%q): %v", strings.Join(eng, " "), err)
	}

	version := "v0.0.0-container"
	out := t.TempDir()
	script, err := filepath.Abs(filepath.Join(moduleRoot, ".ci", "release"))
	if err != nil {
		t.Fatal(err)
	}
	release := exec.Command("bash", script, "--dry-run", "--version", version, "--out", out)
	release.Env = append(os.Environ(), "CONTAINER_ENGINE="+strings.Join(eng, " "))
	if b, err := release.CombinedOutput(); err != nil {
		t.Fatalf(".ci/release: %v\n%s", err, b)
	}
	dir := filepath.Join(out, version)
	base := filepath.Join(dir, "deskmock_"+version+"_linux_"+runtime.GOARCH)
	image := "localhost/deskmock:" + version + "-linux-" + runtime.GOARCH
	sums, err := os.ReadFile(filepath.Join(dir, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	for _, archive := range []string{".oci.tar", ".docker.tar"} {
		if !strings.Contains(string(sums), "  "+filepath.Base(base)+archive+"\n") {
			t.Errorf("SHA256SUMS lacks %s%s:\n%s", filepath.Base(base), archive, sums)
		}
	}

	// Each archive alone, loaded into a store that lacks the image.
	type config struct {
		User         string
		Entrypoint   []string
		ExposedPorts map[string]any
		Labels       map[string]string
	}
	for _, tt := range []struct {
		archive    string
		wantHealth bool
	}{
		{".oci.tar", false}, // the OCI format has no HEALTHCHECK
		{".docker.tar", true},
	} {
		eng.run("rmi", "-f", image)
		eng.must(t, "load", "-q", "-i", base+tt.archive)
		var inspected []struct {
			Architecture string
			Config       config
			HealthCheck  *struct{ Test []string }
		}
		if err := json.Unmarshal([]byte(eng.must(t, "image", "inspect", image)), &inspected); err != nil || len(inspected) != 1 {
			t.Fatalf("%s: image inspect: %v", tt.archive, err)
		}
		c := inspected[0].Config
		if inspected[0].Architecture != runtime.GOARCH || c.User != "65532:65532" || strings.Join(c.Entrypoint, " ") != "/deskmock serve --addr 0.0.0.0:8780 --shutdown-timeout 5s" || c.ExposedPorts["8780/tcp"] == nil {
			t.Errorf("%s: %s, user %q, entrypoint %q, ports %v", tt.archive, inspected[0].Architecture, c.User, c.Entrypoint, c.ExposedPorts)
		}
		if c.Labels["org.opencontainers.image.version"] != version || c.Labels["org.opencontainers.image.title"] != "deskmock" || c.Labels["org.opencontainers.image.source"] != "https://github.com/deskmock/deskmock" {
			t.Errorf("%s: labels %v", tt.archive, c.Labels)
		}
		health := inspected[0].HealthCheck
		if got := health != nil && len(health.Test) > 2 && health.Test[1] == "/deskmock"; got != tt.wantHealth {
			t.Errorf("%s: health check %+v, want one: %v", tt.archive, health, tt.wantHealth)
		}
	}
	size, err := strconv.ParseInt(eng.must(t, "image", "inspect", "--format", "{{.Size}}", image), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	oci, err := os.Stat(base + ".oci.tar")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("image %s: %.1f MB (%d bytes); OCI archive %.1f MB compressed", image, float64(size)/1e6, size, float64(oci.Size())/1e6)
	local := []string{"-p", "127.0.0.1::8780"}

	t.Run("ConfigJournalChunksUserStop", func(t *testing.T) {
		cfgDir, outDir := t.TempDir(), writableDir(t)
		mine := app{1400000777, "robot", strings.Repeat("5a", 32)}
		cfg := fmt.Sprintf("apps:\n  - sdkappid: %d\n    secret_key: %s\n    admins: [%s]\n    desk: true\n", mine.sdkappid, mine.key, mine.admin)
		if err := os.WriteFile(filepath.Join(cfgDir, "deskmock.yaml"), []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
		c := eng.start(t, image, append(local, "-v", cfgDir+":/config:ro", "-v", outDir+":/out"),
			"--config", "/config/deskmock.yaml", "--journal", "/out/journal.jsonl")
		t.Logf("healthy %v after run", c.waitHealthy(t).Round(time.Millisecond))
		base := "http://" + c.hostAddr(t, "8780")
		for _, tt := range []struct {
			name, path, body string
			app              app
			want             int
		}{
			{"v1 chunk, the mounted config's app", mockserver.EndpointPath, v1Chunk, mine, 0},
			{"v2 chunk, the mounted config's app", mockserver.EndpointV2Path, v2Chunk, mine, 0},
			{"the embedded default's app, which the config replaced", mockserver.EndpointPath, v1Chunk, defaultApp(), 70020},
		} {
			if got := chunkReply(t, http.DefaultClient, base, tt.path, tt.app, tt.body); got != tt.want {
				t.Errorf("%s: ErrorCode %d, want %d", tt.name, got, tt.want)
			}
		}
		if got := c.uids(t); got != "65532 65532 65532 65532" {
			t.Errorf("the process's uids are %q, want 65532 throughout", got)
		}
		code, took := c.stop(t)
		t.Logf("stop (SIGTERM): exit %d after %v", code, took.Round(time.Millisecond))
		if code != 0 {
			t.Errorf("exit %d on SIGTERM, want 0", code)
		}
		journal, err := os.ReadFile(filepath.Join(outDir, "journal.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(journal)), "\n")
		t.Logf("journal on the volume: %d lines, %d bytes", len(lines), len(journal))
		if len(lines) != 3 || !strings.Contains(lines[1], "send_stream_msg_v2") {
			t.Errorf("the journal holds %d lines, want the 3 exchanges, v2 second:\n%s", len(lines), journal)
		}
		for i, line := range lines {
			if !json.Valid([]byte(line)) {
				t.Errorf("journal line %d is no JSON: %q", i+1, line)
			}
		}
	})

	t.Run("TLSCAOnVolume", func(t *testing.T) {
		outDir := writableDir(t)
		c := eng.start(t, image, append(local, "-v", outDir+":/out",
			"--health-cmd", `["/deskmock", "health", "--url", "https://127.0.0.1:8780", "--cacert", "/out/ca.pem"]`),
			"--tls", "--tls-ca-out", "/out/ca.pem")
		t.Logf("healthy %v after run", c.waitHealthy(t).Round(time.Millisecond))
		pem, err := os.ReadFile(filepath.Join(outDir, "ca.pem"))
		if err != nil {
			t.Fatal(err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			t.Fatalf("ca.pem holds no certificate: %q", pem)
		}
		trusting := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
		base := "https://" + c.hostAddr(t, "8780")
		if got := chunkReply(t, trusting, base, mockserver.EndpointPath, defaultApp(), v1Chunk); got != 0 {
			t.Errorf("v1 chunk over TLS: ErrorCode %d", got)
		}
		if _, err := http.Get(base + "/__admin/health"); err == nil {
			t.Errorf("a client without the CA trusted the server")
		}
		if code, _ := c.stop(t); code != 0 {
			logs, _ := c.eng.run("logs", c.id)
			t.Errorf("exit %d on SIGTERM, want 0; logs:\n%s", code, lastLines(logs, 20))
		}
	})

	t.Run("HealthOnCustomPortWithAdminAddr", func(t *testing.T) {
		c := eng.start(t, image, []string{"-p", "127.0.0.1::9000", "-p", "127.0.0.1::9001",
			"--health-cmd", `["/deskmock", "health", "--url", "http://127.0.0.1:9000"]`},
			"--addr", "0.0.0.0:9000", "--admin-addr", "0.0.0.0:9001", "--admin-token", "s3cret")
		t.Logf("healthy %v after run", c.waitHealthy(t).Round(time.Millisecond))
		endpoint, admin := "http://"+c.hostAddr(t, "9000"), "http://"+c.hostAddr(t, "9001")
		if _, err := eng.run("exec", c.id, "/deskmock", "health", "--url", "http://127.0.0.1:8780"); err == nil {
			t.Errorf("health on the image's default port passed, though nothing listens there")
		}
		for _, tt := range []struct {
			url, token string
			want       int
		}{
			{endpoint + "/__admin/health", "", 200}, // health stays on --addr
			{admin + "/__admin/requests", "s3cret", 200},
			{admin + "/__admin/requests", "", 401},
			{endpoint + "/__admin/requests", "s3cret", 404}, // the admin API moved
		} {
			if got := getStatus(t, tt.url, tt.token); got != tt.want {
				t.Errorf("GET %s (token %q): %d, want %d", tt.url, tt.token, got, tt.want)
			}
		}
		if got := chunkReply(t, http.DefaultClient, endpoint, mockserver.EndpointV2Path, defaultApp(), v2Chunk); got != 0 {
			t.Errorf("v2 chunk on the custom port: ErrorCode %d", got)
		}
		if code, _ := c.stop(t); code != 0 {
			t.Errorf("exit %d on SIGTERM, want 0", code)
		}
	})

	t.Run("TimeToHealthy", func(t *testing.T) {
		var times []string
		for range 3 {
			c := eng.start(t, image, local)
			times = append(times, c.waitHealthy(t).Round(time.Millisecond).String())
			eng.must(t, "rm", "-f", c.id)
		}
		t.Logf("from run to healthy: %s", strings.Join(times, ", "))
	})
}
