package deskmock

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/deskmock/deskmock/internal/app/calibrate"
	"github.com/deskmock/deskmock/mockserver"
	"github.com/deskmock/deskmock/mockserver/codes"
)

// calibrateUpstream starts a deskmock that differs from the defaults on
// three rows, one of them on v2 only, strict about sessions, accounts and
// groups like the real service.
func calibrateUpstream(t *testing.T) *mockserver.TestServer {
	t.Helper()
	cfg := mockserver.DefaultConfig()
	cfg.Codes = map[codes.Check]codes.Override{
		codes.CheckUserSigExpired:                                 {Code: 20002},
		codes.CheckSessionNotFound:                                {Info: "Session is gone."},
		codes.EndpointCheck(mockserver.V2, codes.CheckBodySchema): {Code: 90002},
	}
	cfg.Sessions.Strict = true
	cfg.Accounts = mockserver.Directory{Strict: true, IDs: []string{liveAccount}}
	cfg.Groups = mockserver.Directory{Strict: true, IDs: []string{liveGroup}}
	return mockserver.NewTestServer(t, mockserver.WithConfig(cfg))
}

// The live account and group of the tests' upstreams.
const (
	liveAccount = "calibrate_user"
	liveGroup   = "calibrate_group"
	liveRobot   = "@RBT#calibrate_bot"
)

func TestCalibrateWritesAConfigThatGivesParity(t *testing.T) {
	up := calibrateUpstream(t)
	dir := t.TempDir()
	file := func(name string) string { return filepath.Join(dir, name) }
	env := runOpts{env: map[string]string{SecretKeyEnv: up.App.SecretKey}}
	args := []string{"calibrate", "--upstream", up.URL, "--sdkappid", "1400000001", "--identifier", up.Identifier, "--rate", "200"}

	first := runCLI(t, env, append(args, "--write-config", file("calibrated.yaml"), "--journal", file("journal.jsonl"),
		"--json", file("report.json"), "--html", file("report.html"))...)
	if first.code != ExitFailure {
		t.Fatalf("exit %d, want %d (differences)\nstdout:\n%s\nstderr:\n%s", first.code, ExitFailure, first.stdout, first.stderr)
	}
	for _, want := range []string{"DIFF  v1/usersig-expired", "DIFF  v1/session-not-found", "DIFF  v2/body-schema", "wrote " + file("calibrated.yaml") + ": 3 code overrides"} {
		if !strings.Contains(first.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, first.stdout)
		}
	}
	for _, name := range []string{"calibrated.yaml", "journal.jsonl", "report.json", "report.html"} {
		b, err := os.ReadFile(file(name))
		if err != nil || len(b) == 0 {
			t.Errorf("%s: %v, %d bytes", name, err, len(b))
		}
		if name != "calibrated.yaml" && strings.Contains(string(b), up.App.SecretKey) {
			t.Errorf("%s holds the secret key", name)
		}
	}
	if fi, err := os.Stat(file("calibrated.yaml")); err == nil && fi.Mode().Perm() != 0o600 {
		t.Errorf("the config is mode %v, want 0600: it holds the secret key", fi.Mode().Perm())
	}
	if strings.Contains(first.stdout+first.stderr, up.App.SecretKey) {
		t.Error("the secret key was echoed")
	}

	again := runCLI(t, env, append(args, "--mock-config", file("calibrated.yaml"))...)
	if again.code != ExitOK || !strings.Contains(again.stdout, "PARITY") {
		t.Errorf("re-run with the written config: exit %d\n%s%s", again.code, again.stdout, again.stderr)
	}

	// serve takes the written config as is.
	if _, err := mockserver.LoadConfig(file("calibrated.yaml")); err != nil {
		t.Errorf("serve would refuse the config: %v", err)
	}
}

func TestCalibrateUsage(t *testing.T) {
	key := runOpts{env: map[string]string{SecretKeyEnv: "k"}}
	base := []string{"calibrate", "--sdkappid", "1400000001", "--identifier", "administrator"}
	tests := []struct {
		name string
		o    runOpts
		args []string
		want string
	}{
		{"no upstream", key, base, "--upstream URL or --region NAME"},
		{"both", key, append(base, "--upstream", "http://127.0.0.1:1", "--region", "china"), "not both"},
		{"bad region", key, append(base, "--region", "mars"), `--region "mars": want one of china, frankfurt`},
		{"bad url", key, append(base, "--upstream", "console.tim.qq.com"), "want an http:// or https:// base URL"},
		{"no key", runOpts{}, append(base, "--region", "china"), "$DESKMOCK_SECRET_KEY or --secret-key-file"},
		{"robot without prefix", key, append(base, "--region", "china", "--robot", "bot"), `--robot "bot": "bot" does not start with @RBT#`},
		{"account too long", key, append(base, "--region", "china", "--account", strings.Repeat("a", 33)), `--account "` + strings.Repeat("a", 33) + `": account`},
		{"from too long", key, append(base, "--region", "china", "--from", strings.Repeat("f", 33)), `--from "` + strings.Repeat("f", 33) + `": account`},
		{"group too long", key, append(base, "--region", "china", "--group", strings.Repeat("g", 49)), `--group "` + strings.Repeat("g", 49) + `": `},
		{"bad session", key, append(base, "--region", "china", "--session", "x"), `--session "x": not a SessionId`},
		{"rate over the limit", key, append(base, "--region", "china", "--rate", "1000"), "--rate 1000"},
		{"no sdkappid", key, []string{"calibrate", "--region", "china", "--identifier", "a"}, "--sdkappid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.o, tt.args...)
			if r.code != ExitUsage || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", r.code, r.stderr, ExitUsage, tt.want)
			}
		})
	}
}

func TestCalibrateDryRunSendsNothingAndHidesSecrets(t *testing.T) {
	up := calibrateUpstream(t)
	r := runCLI(t, runOpts{env: map[string]string{SecretKeyEnv: "dry-secret"}}, "calibrate", "--dry-run", "--upstream", up.URL,
		"--sdkappid", "1400000001", "--identifier", "administrator", "--session", "fd8a2e30-54de-4e40-bcaf-02718409c5cf", "--allow-writes")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if n := len(up.Requests(mockserver.ExchangeFilter{})); n != 0 {
		t.Errorf("a dry run sent %d requests", n)
	}
	if strings.Contains(r.stdout, "dry-secret") || !strings.Contains(r.stdout, "usersig=REDACTED") || !strings.Contains(r.stdout, "v1/stream-finished") {
		t.Errorf("dry run output:\n%s", r.stdout)
	}
	// The probes that break the pacing say so, as do those that wait.
	for _, want := range []string{"6 in all within a second, unpaced: only the probes of the rate rule go faster than --rate, on purpose", "then waits 16s"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, r.stdout)
		}
	}
}

// --allow-writes alone runs the probes that create and delete the
// calibration's own chatbot, and announces them; no other probe writes.
func TestCalibrateAllowWritesAloneCreatesItsChatbotOnly(t *testing.T) {
	up := calibrateUpstream(t)
	r := runCLI(t, runOpts{env: map[string]string{SecretKeyEnv: up.App.SecretKey}}, "calibrate", "--upstream", up.URL, "--rate", "200",
		"--sdkappid", "1400000001", "--identifier", up.Identifier, "--allow-writes")
	announced := regexp.MustCompile(`(?m)^  (\S+) \(`).FindAllStringSubmatch(r.stderr, -1)
	var names []string
	for _, m := range announced {
		names = append(names, m[1])
	}
	if want := "create_robot/create create_robot/create-again delete_robot/delete"; strings.Join(names, " ") != want {
		t.Errorf("announced %v, want %s:\n%s", names, want, r.stderr)
	}
	for _, r := range up.Robots() {
		if r.UserID == "@RBT#deskmock_calibrate" && r.State != mockserver.RobotDeleted {
			t.Errorf("the run left %s %s", r.UserID, r.State)
		}
	}
}

func TestCalibrateAnnouncesWritesFirst(t *testing.T) {
	cfg := mockserver.DefaultConfig()
	cfg.Sessions.Strict = true
	cfg.Accounts = mockserver.Directory{Strict: true, IDs: []string{liveAccount, liveRobot}}
	cfg.Groups = mockserver.Directory{Strict: true, IDs: []string{liveGroup}}
	cfg.Apps[0].Robots = []string{liveRobot}
	session := "fd8a2e30-54de-4e40-bcaf-02718409c5cf"
	up := mockserver.NewTestServer(t, mockserver.WithConfig(cfg), mockserver.WithStrictSessions(session))
	// The session is the live account's: send_msg by user writes to it.
	if _, err := up.BeginSession(session, liveAccount, "", ""); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, runOpts{env: map[string]string{SecretKeyEnv: up.App.SecretKey}}, "calibrate", "--upstream", up.URL, "--rate", "200",
		"--sdkappid", "1400000001", "--identifier", up.Identifier, "--session", session, "--account", liveAccount, "--group", liveGroup,
		"--robot", liveRobot, "--allow-writes", "--upstream-is-deskmock")
	// calibrate moves the upstream's clock or waits, never both: a clock
	// ahead by every probe's Wait means no probe waited.
	var wait time.Duration
	for _, p := range calibrate.Probes() {
		wait += p.Wait
	}
	if ahead := up.Now().Sub(time.Now()); wait == 0 || ahead < wait-time.Second {
		t.Errorf("the upstream's clock is %s ahead, want %s: --upstream-is-deskmock should move it, not wait", ahead, wait)
	}
	if r.code != ExitOK {
		t.Errorf("exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"v1/first-chunk (session " + session + "): ", "c2c/first-chunk (account " + liveAccount + "): ",
		"group/first-chunk (group " + liveGroup + "): ", "chatbot/first-chunk (account " + liveAccount + ", chatbot " + liveRobot + "): ",
		"create_robot/create (chatbot @RBT#deskmock_calibrate): "} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr does not announce the writes with %q:\n%s", want, r.stderr)
		}
	}
	for _, probe := range []string{"v1/stream-finished", "v2/stream-finished", "v2/stream-idle-ended", "v2/stream-rate",
		"c2c/stream-finished", "c2c/stream-idle-ended", "c2c/stream-rate", "group/account-unknown", "group/stream-finished", "group/stream-rate",
		"chatbot/account-unknown", "chatbot/stream-finished", "chatbot/first-chunk-open", "create_robot/create", "delete_robot/delete", "get_all_robots/list"} {
		if !regexp.MustCompile(`(?m)^ok +` + probe + ` `).MatchString(r.stdout) {
			t.Errorf("the live probe %s did not run and match:\n%s", probe, r.stdout)
		}
	}
}
