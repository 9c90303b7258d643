// Package conform is the program behind "deskmock conform": its flags, its
// console and report files, and its exit status, over the conformance
// library.
package conform

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/deskmock/deskmock/conformance"
	"github.com/deskmock/deskmock/internal/cmdline"
	"github.com/deskmock/deskmock/internal/reportfile"
)

// Exit codes of Main: those of every deskmock command.
const (
	// ExitPass: every MUST check passed and no known-failing entry is
	// stale.
	ExitPass = cmdline.ExitOK
	// ExitFail: a MUST check failed, or a known-failing entry is stale.
	ExitFail = cmdline.ExitFailure
	// ExitUsage: the command line or a file it names is wrong.
	ExitUsage = cmdline.ExitUsage
)

// progName names the command in help and messages.
const progName = "deskmock conform"

const description = `
Runs CLIENT_COMMAND once per conformance case, each time against a fresh mock
of the streaming APIs on loopback, and grades it. The case's "version" names
the endpoint: v1 send_stream_msg, v2 send_stream_msg_v2, c2c and group the
native C2C and group streams, chatbot a chatbot's openim_robot_http_svc
send_stream_msg. The client reads the case as one JSON object on
stdin (also in DESKMOCK_* environment variables) and prints one JSON object
on stdout: {"ok": true, "msg_key": "..."} or
{"ok": false, "error_code": N, "error_info": "..."}. See conformance/README.md.

With --bot it grades a bot instead (deskmock conform --bot -- BOT_COMMAND):
per bot case a fresh mock, the bot started with DESKMOCK_BASE_URL,
DESKMOCK_SDKAPPID, DESKMOCK_IDENTIFIER, DESKMOCK_SECRET_KEY,
DESKMOCK_USERSIG, DESKMOCK_CALLBACK_TOKEN, DESKMOCK_VERSION and PORT,
Desk's callbacks POSTed to http://127.0.0.1:$PORT/, and the answers it
streams graded. --bot-url URL grades a bot already running, against a mock
on --listen.

Exit status: 0 every MUST check passed, 1 a MUST check failed or a
known-failing entry is stale, 2 usage error.
`

// config is the parsed command line.
type config struct {
	run, skip    *regexp.Regexp
	list         bool
	listChecks   bool
	knownFailing string
	casesDirs    []string
	parallel     int
	timeout      time.Duration
	grace        time.Duration
	jsonFile     string
	junitFile    string
	htmlFile     string
	verbose      bool
	quiet        bool
	command      []string

	// The bot run's (--bot).
	bot          bool
	version      string
	botURL       string
	listen       string
	token        string
	startTimeout time.Duration
}

type dirList []string

// String implements flag.Value.
func (d *dirList) String() string { return strings.Join(*d, ",") }

// Set implements flag.Value: each --cases adds a directory.
func (d *dirList) Set(v string) error { *d = append(*d, v); return nil }

type regexpFlag struct{ re **regexp.Regexp }

// String implements flag.Value.
func (r regexpFlag) String() string {
	if r.re == nil || *r.re == nil {
		return ""
	}
	return (*r.re).String()
}

// Set implements flag.Value: the regexp must compile.
func (r regexpFlag) Set(v string) error {
	re, err := regexp.Compile(v)
	if err != nil {
		return err
	}
	*r.re = re
	return nil
}

// parseFlags parses the command line; done is set, with the exit status,
// when it has answered already (help, or a usage error).
func parseFlags(args []string, stdout, stderr io.Writer) (cfg *config, fs *cmdline.FlagSet, code int, done bool) {
	cfg = &config{}
	fs = cmdline.New(progName, "[flags] -- CLIENT_COMMAND [ARGS...]  |  --bot [flags] -- BOT_COMMAND [ARGS...]", description, "deskmock help conform", stdout, stderr)
	fs.Var(regexpFlag{&cfg.run}, "run", "run only the cases whose name matches `regexp`")
	fs.Var(regexpFlag{&cfg.skip}, "skip", "skip the cases whose name matches `regexp`")
	fs.BoolVar(&cfg.list, "list", false, "list the selected cases and exit")
	fs.BoolVar(&cfg.listChecks, "list-checks", false, "list the checks with their levels and exit")
	fs.StringVar(&cfg.knownFailing, "known-failing", "", "`file` of case names known to fail (one a line, # comments); a listed case that passes fails the run as stale")
	fs.Var((*dirList)(&cfg.casesDirs), "cases", "also load the *.json case files of `dir` (repeatable)")
	fs.IntVar(&cfg.parallel, "parallel", 0, "run `n` cases at once; default: twice the number of CPUs, at least 4")
	fs.DurationVar(&cfg.timeout, "timeout", conformance.DefaultTimeout, "per-case timeout: the client gets SIGTERM, then SIGKILL after --grace")
	fs.DurationVar(&cfg.grace, "grace", conformance.DefaultGrace, "time between SIGTERM and SIGKILL")
	fs.StringVar(&cfg.jsonFile, "json", "", "write the report as JSON to `file`")
	fs.StringVar(&cfg.junitFile, "junit", "", "write the report as JUnit XML to `file`")
	fs.StringVar(&cfg.htmlFile, "html", "", "write the report as a self-contained HTML page to `file`")
	fs.BoolVar(&cfg.verbose, "v", false, "print the details of every case, not only of those that did not pass, with the checks that were not applicable")
	fs.BoolVar(&cfg.quiet, "q", false, "print only the details of failures and the summary, not one line per case")
	fs.BoolVar(&cfg.bot, "bot", false, "grade a bot instead of a client: BOT_COMMAND is started once per bot case with DESKMOCK_* and PORT, and gets Desk's callbacks on 127.0.0.1:$PORT")
	fs.StringVar(&cfg.version, "version", "", "with --bot: run only the bot cases of `version` v1 or v2 (for a bot that answers on one)")
	fs.StringVar(&cfg.botURL, "bot-url", "", "with --bot: grade the bot already running at `URL` instead of starting one; the mock listens on --listen")
	fs.StringVar(&cfg.listen, "listen", conformance.DefaultBotListen, "with --bot-url: the mock's `address`, the bot's DESKMOCK_BASE_URL")
	fs.StringVar(&cfg.token, "callback-token", conformance.DefaultCallbackToken, "with --bot: the `token` that signs the callbacks (DESKMOCK_CALLBACK_TOKEN)")
	fs.DurationVar(&cfg.startTimeout, "start-timeout", conformance.DefaultStartTimeout, "with --bot: how long the bot has to listen on $PORT")
	cfg.command, code, done = fs.ParseLeading(args)
	if done {
		return nil, fs, code, true
	}
	given := fs.Given()
	switch {
	case given["parallel"] && cfg.parallel < 1:
		return nil, fs, fs.UsageError("--parallel must be at least 1, not %d", cfg.parallel), true
	case cfg.timeout <= 0:
		return nil, fs, fs.UsageError("--timeout must be positive"), true
	case cfg.grace <= 0:
		return nil, fs, fs.UsageError("--grace must be positive"), true
	case cfg.version != "" && cfg.version != "v1" && cfg.version != "v2":
		return nil, fs, fs.UsageError("--version must be v1 or v2, not %q", cfg.version), true
	case !cfg.bot && (cfg.version != "" || cfg.botURL != "" || given["listen"] || given["callback-token"] || given["start-timeout"]):
		return nil, fs, fs.UsageError("--version, --bot-url, --listen, --callback-token and --start-timeout go with --bot"), true
	case cfg.bot && cfg.botURL != "" && len(cfg.command) > 0:
		return nil, fs, fs.UsageError("give a bot command or --bot-url, not both"), true
	case cfg.bot && cfg.botURL == "" && len(cfg.command) == 0 && !cfg.list && !cfg.listChecks:
		return nil, fs, fs.UsageError("no bot command: give it after --, as in: deskmock conform --bot -- ./mybot, or give --bot-url"), true
	case !cfg.bot && len(cfg.command) == 0 && !cfg.list && !cfg.listChecks:
		return nil, fs, fs.UsageError("no client command: give it after --, as in: deskmock conform -- ./myclient"), true
	}
	if cfg.parallel == 0 {
		cfg.parallel = conformance.DefaultParallel()
	}
	return cfg, fs, ExitPass, false
}

// Main runs the conformance command line. args are what follows
// "deskmock conform": flags, then "--" and the client command. It returns
// ExitPass, ExitFail or ExitUsage. When ctx ends, running clients are
// stopped and the run is reported as failed. stdin is not read: each client
// gets its case on its own stdin.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cfg, fs, code, done := parseFlags(args, stdout, stderr)
	if done {
		return code
	}
	if cfg.bot {
		return mainBot(ctx, cfg, fs, stdout)
	}
	if cfg.listChecks {
		writeCheckList(stdout, conformance.Checks())
		return ExitPass
	}
	cases, err := conformance.Builtin()
	if err == nil {
		for _, dir := range cfg.casesDirs {
			var more []conformance.Case
			if more, err = conformance.LoadDir(dir); err != nil {
				break
			}
			cases = append(cases, more...)
			err = conformance.CheckUnique(cases)
		}
	}
	if err != nil {
		return fs.UsageError("%v", err)
	}
	selected := conformance.Select(cases, cfg.run, cfg.skip)
	if cfg.list {
		for _, c := range selected {
			fmt.Fprintln(stdout, c.Name)
		}
		return ExitPass
	}
	if len(selected) == 0 {
		return fs.UsageError("no case matches --run and --skip")
	}
	known := map[string]bool{}
	if cfg.knownFailing != "" {
		if known, err = conformance.ReadKnownFailing(cfg.knownFailing, cases); err != nil {
			return fs.UsageError("%v", err)
		}
	}
	if err := checkCommand(cfg.command[0]); err != nil {
		return fs.UsageError("%v", err)
	}

	if !cfg.quiet {
		fmt.Fprintf(stdout, "deskmock conform: %d cases, %d at a time, client: %s\n", len(selected), cfg.parallel, strings.Join(cfg.command, " "))
	}
	rep, err := conformance.Run(ctx, conformance.Options{
		Command:      cfg.command,
		Cases:        selected,
		Parallel:     cfg.parallel,
		Timeout:      cfg.timeout,
		Grace:        cfg.grace,
		KnownFailing: known,
		OnCase: func(r conformance.CaseResult) {
			if !cfg.quiet {
				conformance.WriteCaseLine(stdout, r)
			}
		},
	})
	if err != nil {
		return fs.UsageError("%v", err)
	}
	return finish(ctx, cfg, fs, stdout, rep)
}

// finish writes the console report and the report files, and returns the
// exit status of a run.
func finish(ctx context.Context, cfg *config, fs *cmdline.FlagSet, stdout io.Writer, rep *conformance.Report) int {
	conformance.WriteConsole(stdout, rep, conformance.ConsoleOptions{Verbose: cfg.verbose})
	for _, out := range []struct {
		file  string
		write func(io.Writer, *conformance.Report) error
	}{{cfg.jsonFile, conformance.WriteJSON}, {cfg.junitFile, conformance.WriteJUnit}, {cfg.htmlFile, conformance.WriteHTML}} {
		if out.file == "" {
			continue
		}
		if err := reportfile.Write(out.file, 0o666, func(w io.Writer) error { return out.write(w, rep) }); err != nil {
			return fs.Failure("%v", err)
		}
	}
	if ctx.Err() != nil || !rep.Summary.OK {
		return ExitFail
	}
	return ExitPass
}

// checkCommand fails early when the client command cannot be found.
func checkCommand(name string) error {
	if strings.ContainsRune(name, os.PathSeparator) {
		if _, err := os.Stat(name); err != nil {
			return fmt.Errorf("client command: %w", err)
		}
		return nil
	}
	if _, err := exec.LookPath(name); err != nil {
		return fmt.Errorf("client command: %w", err)
	}
	return nil
}

func writeCheckList(w io.Writer, checks []conformance.CheckInfo) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range checks {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.Level, c.Name, c.Description)
	}
	tw.Flush()
}
