package deskmock

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"

	"github.com/deskmock/deskmock/internal/logwriter"
	"github.com/deskmock/deskmock/mockserver"
	"github.com/deskmock/deskmock/mockserver/scenario"
)

// DefaultAddr is the address serve listens on unless told otherwise.
const DefaultAddr = "127.0.0.1:8780"

// AdminTokenEnv is the environment variable read for the admin token when
// --admin-token is not given.
const AdminTokenEnv = "DESKMOCK_ADMIN_TOKEN"

// CallbackTokenEnv is the environment variable read for the callbacks'
// token when --callback-token is not given.
const CallbackTokenEnv = "DESKMOCK_CALLBACK_TOKEN"

const serveDescription = `
Run the mock of POST /v4/desk_http_svc/send_stream_msg and its admin API
(/__admin/) until interrupted (SIGINT or SIGTERM), then shut down gracefully:
stop accepting connections, let the requests in flight finish (at most
--shutdown-timeout), write the journal file out and exit 0; or exit 1 when
some exchanges could not be written to the --journal file (a full disk, for
instance: /__admin/health says "degraded" meanwhile).

The admin API can change what the endpoint answers and read every request.
It listens on --addr, loopback by default; --admin-addr moves it to a
listener of its own (--addr then keeps only /__admin/health), and
--admin-token protects it. Listening beyond loopback without a token prints
a warning.

The configuration is --config or else the embedded default: one Desk app,
sdkappid 1400000001, administrator "administrator", and a well-known test
secret key. A --config file replaces the embedded default, its app included:
the file's apps are the only ones, and what else it leaves out takes its
default. --sdkappid, --admin and the secret key flags adjust the FIRST app
of the configuration. The secret key is taken from --secret-key, else
--secret-key-file, else $DESKMOCK_SECRET_KEY, else the configuration; it is
never printed unless it is the well-known test key.

--callback-url (or callbacks: in the configuration) makes serve POST the
callbacks Desk and IM send to an app's backend, the bot: every event of a
Desk session, and a user's message to a chatbot. --callback-token signs
them as the vendor does; GET /__admin/callbacks/log shows each one sent.

Plain HTTP is the default. --tls serves HTTPS with a certificate made at
start, signed by a CA made in memory, for 127.0.0.1, ::1, localhost and any
--tls-host; --tls-ca-out writes the CA certificate for clients to trust
(curl --cacert, deskmock health --cacert). --tls-cert and --tls-key serve
your own certificate instead.

--scenario FILE plays a scenario file once listening: a Desk conversation
with timings (a user who begins a session and writes, waits for the bot's
answer, is transferred, an agent who answers and ends). Each file is checked
at start, and a bad one stops serve with exit status 2, naming its line; a
step that fails later is logged and ends its play, not serve.
GET /__admin/scenarios shows what each step did.

Once listening, serve prints the address, the app and a curl command that
sends a first chunk. Logs go to stderr, one line per request, and never make
a request wait: when stderr is not read or is closed, lines are dropped and
counted, /__admin/health answers 503 "degraded", and serve exits 1.`

func runServe(ctx context.Context, e *env, args []string) (code int) {
	const name = "serve"
	fs := newFlagSet(e, name, "[flags]", serveDescription)
	configFile := fs.String("config", "", "configuration `file`, YAML, or JSON when it ends in .json, in place of the embedded default (its app included)")
	addr := fs.String("addr", DefaultAddr, "`host:port` to listen on; port 0 picks a free port")
	sdkappid := fs.Uint64("sdkappid", 0, "set the sdkappid of the first app to `n`")
	admin := fs.String("admin", "", "make `identifier` the only administrator of the first app")
	var keys secretKeyFlags
	keys.register(fs.FlagSet, "the first app's key in the configuration")
	logFormat := fs.String("log-format", "text", "log `format`: text or json")
	logLevel := fs.String("log-level", "info", "log `level`: debug, info, warn or error")
	journalFile := fs.String("journal", "", "append every exchange to `file` as one JSON line")
	journalMax := fs.Int64("journal-max-bytes", mockserver.DefaultJournalFileBytes, "rotate the --journal file to FILE.1 when it reaches `n` bytes; default limits.journal_file_bytes of the configuration")
	journalKeep := fs.Int("journal-keep", mockserver.DefaultJournalFiles, fmt.Sprintf("keep `n` rotated --journal files, FILE.1 (newest) to FILE.n (oldest), at most %d; default limits.journal_files of the configuration", mockserver.MaxJournalFiles))
	adminToken := fs.String("admin-token", "", "require `token` as a bearer token on the admin API (all but health); default $"+AdminTokenEnv)
	adminAddr := fs.String("admin-addr", "", "serve the admin API on its own `host:port` instead of --addr (which keeps /__admin/health)")
	shutdownTimeout := fs.Duration("shutdown-timeout", mockserver.DefaultShutdownTimeout, "on SIGINT or SIGTERM, wait at most `duration` for the requests in flight")
	var tlsf tlsFlags
	tlsf.register(fs.FlagSet)
	var allowHosts hostList
	fs.Var(&allowHosts, "allow-host", "let the admin API and the dashboard answer to the Host `name` (besides IP addresses, localhost and the --addr name), such as a container's service name; * for any; repeatable")
	var scenarioFiles fileList
	fs.Var(&scenarioFiles, "scenario", fmt.Sprintf("play the scenario `file` (YAML or JSON) once listening, checked at start; repeatable, at most %d", mockserver.MaxScenarios))
	callbackURL := fs.String("callback-url", "", "POST every app's callbacks (Desk.SessionEventNotify, Bot.OnC2CMessage, Bot.OnGroupMessage) to `url`, over the configuration's callbacks.url")
	callbackToken := fs.String("callback-token", "", "sign the callbacks with `token` (Sign and RequestTime in the query), over the configuration's callbacks.token; default $"+CallbackTokenEnv)
	var rules streamRuleFlags
	fs.Var(&rules, "stream-rule", "set a stream rule of an endpoint over the configuration, as `version.rule=value` (v1.idle_timeout=15s, v2.calls_per_second=0; rules: "+strings.Join(streamRuleNames, ", ")+"); repeatable")
	pos, code, done := fs.Parse(args)
	if done {
		return code
	}
	if len(pos) > 0 {
		return usageError(e, name, "unexpected argument %q", pos[0])
	}
	set := fs.Given()
	if *shutdownTimeout <= 0 {
		return usageError(e, name, "--shutdown-timeout %s: must be positive", *shutdownTimeout)
	}
	if set["admin-addr"] && *adminAddr == "" {
		return usageError(e, name, "--admin-addr is empty")
	}

	if e.getenv("GOMEMLIMIT") == "" {
		// Keeps the process under 512 MiB whatever it is sent; restored
		// on return for callers that run serve in their own process.
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(mockserver.DefaultMemoryLimit))
	}
	// A closed stderr makes a write fail with EPIPE, which the log
	// counts, rather than kill the process with SIGPIPE.
	signal.Ignore(syscall.SIGPIPE)
	// A log line costs a copy, never a wait for stderr: a stalled or broken
	// stderr drops lines (counted, in health) instead of stopping requests.
	// Every message of serve goes through it, in order, so that none waits.
	logs := logwriter.New(e.stderr, logwriter.Size, logwriter.Delay)
	defer func() { code = closeLog(name, logs, code) }() // last: "stopped" and every line before it reach stderr
	se := *e
	se.stderr = logs
	e = &se
	logger, err := newLogger(logs, *logFormat, *logLevel)
	if err != nil {
		return usageError(e, name, "%v", err)
	}
	tlsSet, err := tlsf.resolve(set)
	if err != nil {
		return usageError(e, name, "%v", err)
	}

	cfg, keyFrom := mockserver.DefaultConfig(), "the embedded default configuration"
	if *configFile != "" {
		if cfg, err = mockserver.LoadConfig(*configFile); err != nil {
			return usageError(e, name, "%v", err)
		}
		keyFrom = "the configuration " + *configFile
	}
	if len(scenarioFiles) > mockserver.MaxScenarios {
		return usageError(e, name, "--scenario: %d files, more than the %d that play at once", len(scenarioFiles), mockserver.MaxScenarios)
	}
	scenarios := make([]*scenario.Scenario, len(scenarioFiles))
	for i, f := range scenarioFiles {
		if scenarios[i], err = scenario.Load(f); err != nil {
			return usageError(e, name, "%v", err)
		}
	}
	app := &cfg.Apps[0] // a loaded configuration has at least one app
	if set["sdkappid"] {
		app.SDKAppID = *sdkappid
	}
	if set["admin"] {
		if *admin == "" {
			return usageError(e, name, "--admin is empty")
		}
		app.Admins = []string{*admin}
	}
	key, from, err := keys.resolve(e, set)
	if err != nil {
		return usageError(e, name, "%v", err)
	}
	if key != "" {
		app.SecretKey, keyFrom = key, from
	}
	if err := rules.apply(&cfg); err != nil {
		return usageError(e, name, "%v", err)
	}
	if set["callback-url"] {
		cfg.Callbacks.URL = *callbackURL
	}
	if set["callback-token"] {
		cfg.Callbacks.Token = *callbackToken
	} else if tok := e.getenv(CallbackTokenEnv); tok != "" {
		cfg.Callbacks.Token = tok
	}
	cfg.AllowHosts = append(cfg.AllowHosts, allowHosts...)
	cfg.Logger = logger
	cfg.Health = append(cfg.Health, logs)
	cfg.AdminToken = *adminToken
	if !set["admin-token"] {
		cfg.AdminToken = e.getenv(AdminTokenEnv)
	}
	if set["journal-max-bytes"] {
		if *journalMax < 1 || *journalMax > mockserver.MaxJournalFileBytes {
			return usageError(e, name, "--journal-max-bytes %d: not in 1..%d", *journalMax, int64(mockserver.MaxJournalFileBytes))
		}
		cfg.Limits.JournalFileBytes = *journalMax
	}
	if set["journal-keep"] {
		if *journalKeep < 1 || *journalKeep > mockserver.MaxJournalFiles {
			return usageError(e, name, "--journal-keep %d: not in 1..%d", *journalKeep, mockserver.MaxJournalFiles)
		}
		cfg.Limits.JournalFiles = *journalKeep
	}
	var journal *mockserver.JournalFile
	if *journalFile != "" {
		max, keep := cfg.Limits.JournalFileBytes, cfg.Limits.JournalFiles
		if max == 0 {
			max = mockserver.DefaultJournalFileBytes
		}
		if keep == 0 {
			keep = mockserver.DefaultJournalFiles
		}
		f, err := mockserver.OpenJournalFile(*journalFile, max, keep, logger)
		if err != nil {
			return usageError(e, name, "--journal: %v", err)
		}
		defer f.Close() // on the early returns; closed and checked below
		journal, cfg.Journal = f, f
	}
	srv, err := mockserver.New(cfg)
	if err != nil {
		return usageError(e, name, "%v", err)
	}
	srv.SetVersion(version())
	served := *app // New keeps its own copy of cfg

	ready := func(bound, adminBound string) {
		adminAt := bound
		if adminBound != "" {
			adminAt = adminBound
		}
		if !isLoopback(adminAt) && cfg.AdminToken == "" {
			logger.Warn("the admin API (/__admin/) listens beyond the loopback interface without --admin-token, so it is reachable from the network: anyone who reaches it can change what the mock answers and read every request; set --admin-token (or $"+AdminTokenEnv+"), or move the admin API with --admin-addr 127.0.0.1:PORT", "admin_addr", adminAt)
		}
		printBanner(e, srv, served, keyFrom, tlsSet, bound, adminBound, len(cfg.Apps)-1)
		if adminBound != "" {
			logger.Info("listening", "addr", bound, "admin_addr", adminBound)
		} else {
			logger.Info("listening", "addr", bound)
		}
		for i, sc := range scenarios {
			if _, err := srv.PlayScenario(ctx, sc, scenarioFiles[i]); err != nil {
				logger.Error("scenario: not played", "file", scenarioFiles[i], "error", err.Error())
			}
		}
	}
	stop := context.AfterFunc(ctx, func() { logger.Info("shutting down", "shutdown_timeout", shutdownTimeout.String()) })
	defer stop()
	err = srv.ListenAndServeWith(ctx, mockserver.ListenOptions{
		Addr:            *addr,
		AdminAddr:       *adminAddr,
		ShutdownTimeout: *shutdownTimeout,
		TLSConfig:       tlsSet.configOrNil(),
		Ready:           ready,
	})
	if journal != nil {
		// Every line was written as its exchange completed; make them
		// durable before exiting.
		if serr := journal.Sync(); serr != nil && !errors.Is(serr, syscall.EINVAL) { // EINVAL: not a file, such as a pipe
			logger.Warn("journal: sync", "error", serr.Error())
		}
		if cerr := journal.Close(); cerr != nil {
			logger.Error("journal: close", "error", cerr.Error())
			if err == nil {
				return failure(e, name, "--journal %s: %v", *journalFile, cerr)
			}
		}
		if lost, lerr := journal.Lost(); lost > 0 && err == nil {
			// The server ran, but the file the user relies on misses
			// exchanges: a failure, as an unhealthy server is.
			return failure(e, name, "--journal %s: %d exchange(s) could not be written to the file (the last error: %v)", *journalFile, lost, lerr)
		}
	}
	if err != nil {
		return failure(e, name, "%v", listenError(err, *addr, *adminAddr))
	}
	logger.Info("stopped")
	return ExitOK
}

// listenError words an address in use as what to do about it: the address
// as given, and the flag that chooses another. Other errors are as they are.
func listenError(err error, addr, adminAddr string) error {
	if !errors.Is(err, syscall.EADDRINUSE) {
		return err
	}
	flag := "--addr"
	var op *net.OpError
	if adminAddr != "" && errors.As(err, &op) && op.Addr != nil && sameAddr(op.Addr.String(), adminAddr) {
		flag, addr = "--admin-addr", adminAddr
	}
	return fmt.Errorf("%s is in use: choose another with %s (port 0 picks a free one)", addr, flag)
}

// sameAddr reports whether a bound address is the one a flag gave.
func sameAddr(bound, given string) bool {
	bh, bp, err1 := net.SplitHostPort(bound)
	gh, gp, err2 := net.SplitHostPort(given)
	return err1 == nil && err2 == nil && bp == gp && (bh == gh || gh == "" || gh == "localhost")
}

// closeLog writes out the log of serve, which ended with code. When log
// lines were lost it says so last, if stderr takes it, and turns a success
// into ExitFailure.
func closeLog(name string, logs *logwriter.Writer, code int) int {
	if err := logs.Err(); err != nil {
		fmt.Fprintf(logs, "%s %s: %v\n", progName, name, err)
	}
	if err := logs.Close(); err != nil && code == ExitOK {
		return ExitFailure
	}
	return code
}

// newLogger builds the logger of serve, which writes to w.
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	switch level {
	case "debug":
		lv = slog.LevelDebug
	case "info":
		lv = slog.LevelInfo
	case "warn":
		lv = slog.LevelWarn
	case "error":
		lv = slog.LevelError
	default:
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}

// printBanner tells on stdout where the server listens, which app it serves
// and how to send a first chunk: with a UserSig when the key is the
// well-known test key, else with the command that signs one (stdout ends
// up in CI logs, which must not hold a credential).
func printBanner(e *env, srv *mockserver.Server, app mockserver.App, keyFrom string, ts *tlsSetup, bound, adminBound string, moreApps int) {
	w := e.stdout
	base := ts.scheme() + "://" + dialAddr(bound)
	admin := app.Admins[0]
	var b strings.Builder
	fmt.Fprintf(&b, "%s listening on %s\n", progName, bound)
	for _, path := range []string{mockserver.EndpointPath, mockserver.EndpointV2Path, mockserver.EndpointC2CPath,
		mockserver.EndpointGroupPath, mockserver.EndpointChatbotPath} {
		fmt.Fprintf(&b, "  endpoint    POST %s%s\n", base, path)
	}
	b.WriteString("  and         Desk's calls around the stream (transfer_to_human, end_session, get_session_state, send_msg, …)\n" +
		"              and the chatbot accounts (create_robot, …): the list is on the landing page, " + base + "/\n")
	fmt.Fprintf(&b, "  health      %s/__admin/health\n", base)
	adminBase := base
	if adminBound != "" {
		adminBase = ts.scheme() + "://" + dialAddr(adminBound)
		fmt.Fprintf(&b, "  admin API   %s/__admin/\n", adminBase)
	}
	fmt.Fprintf(&b, "  dashboard   %s%s\n", adminBase, mockserver.UIPath)
	fmt.Fprintf(&b, "  app         sdkappid %d, administrator %s", app.SDKAppID, strconv.Quote(admin))
	if !app.IsDesk() {
		b.WriteString(" (not a Desk app: calls get 141000)")
	}
	b.WriteString("\n")
	if app.SecretKey == defaultApp().SecretKey {
		fmt.Fprintf(&b, "  secret key  %s (the well-known test key; never use it for a real app)\n", app.SecretKey)
	} else {
		fmt.Fprintf(&b, "  secret key  (from %s; not shown)\n", keyFrom)
	}
	switch {
	case ts == nil:
	case ts.own:
		b.WriteString("  TLS         your certificate (--tls-cert)\n")
	case ts.caFile != "":
		fmt.Fprintf(&b, "  TLS         a certificate for %s, signed by the CA in %s\n", strings.Join(ts.hosts, ", "), ts.caFile)
	default:
		fmt.Fprintf(&b, "  TLS         a certificate for %s, signed by a CA made at start (give --tls-ca-out FILE to trust it)\n", strings.Join(ts.hosts, ", "))
	}
	if moreApps > 0 {
		fmt.Fprintf(&b, "  and %d more app(s) from the configuration\n", moreApps)
	}

	first, err := srv.FirstCall(base)
	if err != nil {
		fmt.Fprintf(&b, "\n(cannot sign a UserSig for the example: %v)\n", err)
		fmt.Fprint(w, b.String())
		return
	}
	if first.SignCommand == "" {
		fmt.Fprintf(&b, "\nSend a first chunk (the UserSig, signed with the test key, is valid for %d hours):\n", int(mockserver.FirstCallLifetime.Hours()))
	} else {
		b.WriteString("\nSend a first chunk (stdout may be kept or shared, so no UserSig signed with your key is shown):\n")
	}
	b.WriteString(first.Command(ts.curlTrust()) + "\n")
	if first.Note != "" {
		b.WriteString(first.Note + "\n")
	}
	b.WriteString(`Send the next chunks with the "MsgKey" of the reply, and "Finish":1 with the last.` + "\n")
	fmt.Fprint(w, b.String())
}

// dialAddr turns a bound address into one a client on this host can dial:
// an unspecified host (0.0.0.0, ::) becomes 127.0.0.1.
func dialAddr(bound string) string {
	host, port, err := net.SplitHostPort(bound)
	if err != nil {
		return bound
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// isLoopback reports whether a bound address accepts only local clients.
func isLoopback(bound string) bool {
	host, _, err := net.SplitHostPort(bound)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// fileList is a repeatable flag of file names.
type fileList []string

// String implements flag.Value.
func (f *fileList) String() string { return strings.Join(*f, ",") }

// Set implements flag.Value: each use adds one file.
func (f *fileList) Set(v string) error {
	if v == "" {
		return errors.New("empty file name")
	}
	*f = append(*f, v)
	return nil
}
