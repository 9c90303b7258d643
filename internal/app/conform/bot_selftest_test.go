package conform

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deskmock/deskmock/conformance"
	"github.com/deskmock/deskmock/mockserver"
	"github.com/deskmock/deskmock/mockserver/usersig"
)

// brokenBots are the deliberately broken bots under
// testdata/conformance/bots, with the bot cases they run (all when run is
// empty), the checks each must fail (at MUST or SHOULD level) and the
// cases where it does.
var brokenBots = []struct {
	name   string
	run    string
	checks []string
	cases  []string
}{
	{
		// Every callback waits 2.5 s for its answer; one case shows it.
		name:   "slow-ack",
		run:    "^bot/answer/v1$",
		checks: []string{"bot/acknowledges"},
		cases:  []string{"bot/answer/v1"},
	},
	{
		name:   "no-sign-check",
		checks: []string{"bot/ignores-forged"},
		cases:  []string{"bot/forged/bad-sign", "bot/forged/stale-time"},
	},
	{
		name:   "answers-retries",
		checks: []string{"bot/answers-once"},
		cases:  []string{"bot/retry/same-request-id/v1", "bot/retry/same-request-id/v2"},
	},
	{
		// v1 only: on v2 it stops as the reference bot does.
		name:   "streams-after-end",
		checks: []string{"bot/stops-when-session-ends"},
		cases:  []string{"bot/session-ends/mid-stream/v1", "bot/session-ends/transferred/v1"},
	},
	{
		name:   "ignores-sdkappid",
		checks: []string{"bot/ignores-forged"},
		cases:  []string{"bot/forged/wrong-sdkappid"},
	},
}

// buildBots builds the reference bot and every broken bot with one go
// build, into dir.
func buildBots(t *testing.T, dir string) {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the self-test builds its bots with go: %v", err)
	}
	args := []string{"build", "-o", dir + string(filepath.Separator), "./cmd/refbot"}
	for _, b := range brokenBots {
		args = append(args, "./testdata/conformance/bots/"+b.name)
	}
	cmd := exec.Command(goCmd, args...)
	cmd.Dir = moduleRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
}

// TestBotSelfTest grades the reference bot, the Python example bot and the
// broken bots with the bot cases, and pins the console reports of the
// broken ones.
func TestBotSelfTest(t *testing.T) {
	dir := t.TempDir()
	buildBots(t, dir)
	cases, err := conformance.BuiltinBots()
	if err != nil {
		t.Fatal(err)
	}
	all := len(cases)

	t.Run("refbot", func(t *testing.T) {
		t.Parallel()
		code, out, rep := conform(t, "--bot", "--parallel", "2", "--", filepath.Join(dir, "refbot"))
		checks, failed := failing(rep)
		if code != ExitPass || len(checks) > 0 || rep.Summary.Passed != all {
			t.Fatalf("exit %d, failing checks %v in %v; want every MUST and SHOULD check to pass\n%s", code, checks, failed, out)
		}
		t.Logf("%d cases in %s: MUST %v", all, rep.Duration.Round(time.Millisecond), rep.Summary.Checks[conformance.Must])
	})

	t.Run("python", func(t *testing.T) {
		t.Parallel()
		python, err := exec.LookPath("python3")
		if err != nil {
			t.Skip("python3 is not installed")
		}
		script, err := filepath.Abs(filepath.Join(moduleRoot, "conformance", "bots", "python", "deskmock_bot.py"))
		if err != nil {
			t.Fatal(err)
		}
		code, out, rep := conform(t, "--bot", "--parallel", "2", "--", python, script)
		checks, failed := failing(rep)
		if code != ExitPass || len(checks) > 0 || rep.Summary.Passed != all {
			t.Fatalf("exit %d, failing checks %v in %v; want every MUST and SHOULD check to pass\n%s", code, checks, failed, out)
		}
		t.Logf("%d cases in %s: MUST %v", all, rep.Duration.Round(time.Millisecond), rep.Summary.Checks[conformance.Must])
	})

	for _, b := range brokenBots {
		t.Run("broken/"+b.name, func(t *testing.T) {
			t.Parallel()
			args := []string{"--bot", "--parallel", "2"}
			if b.run != "" {
				args = append(args, "--run", b.run)
			}
			code, out, rep := conform(t, append(args, "--", filepath.Join(dir, b.name))...)
			checks, failed := failing(rep)
			if code != ExitFail {
				t.Errorf("exit %d, want %d", code, ExitFail)
			}
			if d := cmp.Diff(b.checks, checks); d != "" {
				t.Errorf("failing checks (-want +got):\n%s\n%s", d, out)
			}
			if d := cmp.Diff(b.cases, failed); d != "" {
				t.Errorf("failing cases (-want +got):\n%s", d)
			}
			t.Logf("%s: %d cases, MUST %v", b.name, rep.Summary.Cases, rep.Summary.Checks[conformance.Must])
			golden(t, "console-bot-"+b.name, botConsole(out, dir))
		})
	}

	t.Run("known-failing", func(t *testing.T) {
		t.Parallel()
		known := filepath.Join(t.TempDir(), "known.txt")
		os.WriteFile(known, []byte("bot/forged/bad-sign # trusts every Sign\nbot/forged/stale-time\n"), 0o644)
		code, out, rep := conform(t, "--bot", "--known-failing", known, "--run", "^bot/forged/", "--", filepath.Join(dir, "no-sign-check"))
		if code != ExitPass || rep.Summary.KnownFailing != 2 || rep.Summary.Passed != 1 {
			t.Errorf("exit %d, summary %+v; want exit 0 with 2 known failures and 1 pass\n%s", code, rep.Summary, out)
		}
	})

	t.Run("never-listens", func(t *testing.T) {
		t.Parallel()
		code, out, rep := conform(t, "--bot", "--start-timeout", "300ms", "--run", "^bot/answer/v1$", "--", "sleep", "100")
		if code != ExitFail || rep.Summary.Failed != 1 || !strings.Contains(rep.Cases[0].Error, "did not listen on 127.0.0.1:") {
			t.Errorf("exit %d, error %q; want exit 1 and a case that says the bot never listened\n%s", code, rep.Cases[0].Error, out)
		}
	})

	t.Run("exits", func(t *testing.T) {
		t.Parallel()
		code, _, rep := conform(t, "--bot", "--run", "^bot/answer/v1$", "--", "false")
		if code != ExitFail || !strings.Contains(rep.Cases[0].Error, "the bot exited (exit status 1) before it listened") {
			t.Errorf("exit %d, error %q; want exit 1 and a case that says the bot exited", code, rep.Cases[0].Error)
		}
	})

	t.Run("bot-url", func(t *testing.T) {
		t.Parallel()
		testBotURL(t, filepath.Join(dir, "refbot"))
	})
}

// Bot console reports vary in times, RequestIDs and the order in which
// callbacks and calls interleave: botConsole keeps the case lines, the
// checks and the summary, not the transcripts.
var botNormalizers = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`RequestID [0-9a-f]{16}-\d+`), "RequestID REQUESTID"},
	{regexp.MustCompile(`after \d+(\.\d+)?(ms|µs|s)`), "after T"},
	{regexp.MustCompile(`\(\d+\.\d+s\)`), "(T.Ts)"},
}

func botConsole(out, dir string) string {
	var keep []string
	skipping := false
	for _, line := range strings.Split(normalize(out, dir), "\n") {
		switch {
		case strings.HasPrefix(line, "    transcript "):
			skipping = true
			continue
		case strings.HasPrefix(line, "=== ") || !strings.HasPrefix(line, " "):
			skipping = false
		}
		if !skipping {
			keep = append(keep, line)
		}
	}
	s := strings.Join(keep, "\n")
	for _, n := range botNormalizers {
		s = n.re.ReplaceAllString(s, n.with)
	}
	return s
}

// testBotURL grades a bot started beforehand (--bot-url): the reference
// bot, told the mock's address (--listen) and the default app's names, on
// the v1 cases.
func testBotURL(t *testing.T, refbot string) {
	port, err := freeLoopbackPort()
	if err != nil {
		t.Fatal(err)
	}
	listen := "127.0.0.1:" + strconv.Itoa(port)
	botPort, err := freeLoopbackPort()
	if err != nil {
		t.Fatal(err)
	}
	app := mockserver.DefaultConfig().Apps[0]
	sig, err := usersig.Generate(app.SecretKey, app.SDKAppID, app.Admins[0], 3600, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	bot := exec.Command(refbot)
	bot.Env = append(os.Environ(), "DESKMOCK_BASE_URL=http://"+listen, "DESKMOCK_SDKAPPID="+strconv.FormatUint(app.SDKAppID, 10),
		"DESKMOCK_IDENTIFIER="+app.Admins[0], "DESKMOCK_USERSIG="+sig, "DESKMOCK_CALLBACK_TOKEN=t0ken", "DESKMOCK_VERSION=v1", "PORT="+strconv.Itoa(botPort))
	if err := bot.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { bot.Process.Kill(); bot.Wait() }()
	botURL := "http://127.0.0.1:" + strconv.Itoa(botPort) + "/"
	code, out, rep := conform(t, "--bot", "--version", "v1", "--bot-url", botURL, "--listen", listen, "--callback-token", "t0ken")
	checks, failed := failing(rep)
	if code != ExitPass || len(checks) > 0 || rep.Summary.Cases == 0 {
		t.Fatalf("exit %d, failing checks %v in %v\n%s", code, checks, failed, out)
	}
	for _, want := range []string{"DESKMOCK_BASE_URL=http://" + listen, "DESKMOCK_CALLBACK_TOKEN=t0ken"} {
		if !strings.Contains(out, want) {
			t.Errorf("the console does not print %s for the bot:\n%s", want, out)
		}
	}
	for _, c := range rep.Cases {
		if strings.Contains(c.Name, "v2") {
			t.Errorf("--version v1 ran %s", c.Name)
		}
	}
}

// freeLoopbackPort returns a loopback port nothing listens on now.
func freeLoopbackPort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// TestREADMEListsBrokenBots: conformance/README.md names every broken bot
// of the self-test.
func TestREADMEListsBrokenBots(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(moduleRoot, "conformance", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, bot := range brokenBots {
		if !strings.Contains(string(b), "| `"+bot.name+"` |") {
			t.Errorf("conformance/README.md does not list the broken bot %s", bot.name)
		}
	}
}

// TestREADMEPythonBotIsTheFile: every line of the README's Python excerpt
// is a line of conformance/bots/python/deskmock_bot.py (comments aside), so
// that what a user copies is what the self-test runs.
func TestREADMEPythonBotIsTheFile(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(moduleRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join(moduleRoot, "conformance", "bots", "python", "deskmock_bot.py"))
	if err != nil {
		t.Fatal(err)
	}
	code := func(line string) string {
		line, _, _ = strings.Cut(line, "  #")
		return strings.TrimSpace(line)
	}
	have := map[string]bool{}
	for _, line := range strings.Split(string(src), "\n") {
		have[code(line)] = true
	}
	_, after, ok := strings.Cut(string(readme), "## Grade a bot")
	if !ok {
		t.Fatal("README.md has no section Grade a bot")
	}
	_, block, ok := strings.Cut(after, "```python\n")
	if !ok {
		t.Fatal("the Grade a bot section shows no Python")
	}
	block, _, _ = strings.Cut(block, "```")
	n := 0
	for _, line := range strings.Split(block, "\n") {
		if c := code(line); c != "" {
			n++
			if !have[c] {
				t.Errorf("README.md's Python bot has a line the file lacks: %s", c)
			}
		}
	}
	if n < 5 {
		t.Errorf("the README's Python excerpt has %d lines of code", n)
	}
}

// TestBotUsage: the bot flags' mistakes are usage errors; a --bot-url
// where nothing listens fails the run, saying so.
func TestBotUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"--version", "v2", "--", "x"}, ExitUsage, "go with --bot"},
		{[]string{"--bot", "--version", "v3", "--", "x"}, ExitUsage, "--version must be v1 or v2"},
		{[]string{"--bot"}, ExitUsage, "no bot command"},
		{[]string{"--bot", "--bot-url", "http://127.0.0.1:1/", "--", "x"}, ExitUsage, "not both"},
		{[]string{"--bot", "--run", "^nothing$", "--", "x"}, ExitUsage, "no bot case matches"},
		{[]string{"--bot", "-q", "--listen", "127.0.0.1:0", "--bot-url", "http://127.0.0.1:1/", "--start-timeout", "200ms"}, ExitFail, "nothing listens at 127.0.0.1:1"},
	} {
		var stdout, stderr bytes.Buffer
		code := Main(context.Background(), tc.args, nil, &stdout, &stderr)
		if code != tc.code || !strings.Contains(stderr.String(), tc.err) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, stderr.String(), tc.code, tc.err)
		}
	}
}
