package deskmock

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/deskmock/deskmock/internal/app/calibrate"
	"github.com/deskmock/deskmock/internal/reportfile"
	"github.com/deskmock/deskmock/mockserver"
)

const calibrateDescription = `
Measure how the real service differs from deskmock, and write the
configuration that closes the gap. calibrate sends a fixed set of probes,
each made to fail one check of the check→code table (bad or expired UserSig,
unknown sdkappid, non-administrator, bad query, oversize or non-JSON body,
schema violations, malformed or unknown SessionId, account, group or
chatbot...), on send_stream_msg, send_stream_msg_v2, the native C2C and
group streams, a chatbot's stream and the chatbot accounts' APIs
(openim_robot_http_svc: send_stream_msg, create_robot, delete_robot,
get_all_robots), to the upstream (--upstream or --region) and to a local
mock configured like it (same sdkappid, identifier and secret key; strict
sessions, accounts and groups), then compares ErrorCode and ErrorInfo
probe by probe.

Safety: by default only probes that cannot deliver a message run. Probes on
a live conversation (a first chunk, an unknown MsgKey, a chunk after the
end, a repeated Index, a call after 16 s idle, six calls in a second, a 128
KB message) run only with --allow-writes and the conversation: --session ID
for send_stream_msg and v2, --account USER for the C2C stream, --group ID
for the group stream, --robot @RBT#ID and --account USER for the chatbot's
stream (the chatbot sends, the user receives). The probes of create_robot
and delete_robot that write run with --allow-writes alone: each creates
the chatbot @RBT#deskmock_calibrate and deletes it again; none is near the
limit of 20 chatbots an app. They are announced first. The C2C and group
probes are sent by --from USER, else by the administrator (no
From_Account).
Requests to the upstream are paced (--rate) and capped (--max-requests); the
probes of the rate rule (v2, c2c, group) alone send their six calls within
one second, on purpose. --dry-run prints each probe and what it would send,
and sends nothing.

The secret key is read from --secret-key-file, else $DESKMOCK_SECRET_KEY,
and is never printed. UserSigs are redacted in every output, also where
the upstream echoes the request (a proxy's error page often does). Network
errors, timeouts and replies that are not the vendor's envelope are
reported per probe.

Outputs: the parity report on stdout (--json and --html write it too), the
upstream's exchanges as JSON lines (--journal, fit to attach to a bug
report), and --write-config FILE: the app and exactly the code overrides
that make the mock answer like the upstream, for serve --config FILE (it
holds the secret key and is written readable by its owner only).

Exit status: 0 the mock answered like the upstream on every probe run, 1
differences or errors, 2 usage.`

// calibrateFlags are the flags of calibrate.
type calibrateFlags struct {
	upstream, region    string
	sdkappid            uint64
	identifier          string
	keyFile             string
	session             string
	account, group      string
	from, robot         string
	allowWrites, dryRun bool
	deskmockUpstream    bool
	mockConfig          string
	journal, json, html string
	writeConfig         string
	rate                float64
	maxRequests         int
	timeout             time.Duration
}

func runCalibrate(ctx context.Context, e *env, args []string) int {
	const name = "calibrate"
	fs := newFlagSet(e, name, "(--upstream URL | --region NAME) --sdkappid N --identifier USER [flags]", calibrateDescription)
	var f calibrateFlags
	fs.StringVar(&f.upstream, "upstream", "", "base `URL` of the service to probe, such as https://console.tim.qq.com")
	fs.StringVar(&f.region, "region", "", "probe the vendor's host of `region`: "+strings.Join(calibrate.Regions(), ", "))
	fs.Uint64Var(&f.sdkappid, "sdkappid", 0, "the app's `sdkappid`")
	fs.StringVar(&f.identifier, "identifier", "", "an administrator `user` of the app")
	fs.StringVar(&f.keyFile, "secret-key-file", "", "read the app's secret key from `file`; default $"+SecretKeyEnv)
	fs.StringVar(&f.session, "session", "", "a live Desk session `ID` for the probes that write (with --allow-writes)")
	fs.StringVar(&f.account, "account", "", "a live `user` the C2C stream's probes write to (with --allow-writes)")
	fs.StringVar(&f.group, "group", "", "a live group `ID` the group stream's probes write to (with --allow-writes)")
	fs.StringVar(&f.robot, "robot", "", "a live chatbot `ID` (@RBT#…) of the app that sends the chatbot stream's probes to --account (with --allow-writes)")
	fs.StringVar(&f.from, "from", "", "send the C2C and group probes from `user` (From_Account); default: none, the administrator sends")
	fs.BoolVar(&f.allowWrites, "allow-writes", false, "run the probes that write to --session, --account, --group or from --robot and may deliver messages there, and those that create and delete the chatbot @RBT#deskmock_calibrate")
	fs.StringVar(&f.mockConfig, "mock-config", "", "start the local mock from `file` (such as one --write-config wrote), with the app of the flags set in it")
	fs.StringVar(&f.journal, "journal", "", "write the upstream's exchanges to `file` as JSON lines, UserSig redacted")
	fs.StringVar(&f.json, "json", "", "write the report as JSON to `file`")
	fs.StringVar(&f.html, "html", "", "write the report as a self-contained HTML page to `file`")
	fs.StringVar(&f.writeConfig, "write-config", "", "write the configuration that makes the mock answer like the upstream to `file` (YAML)")
	fs.Float64Var(&f.rate, "rate", calibrate.DefaultRate, "send at most `n` requests per second to the upstream")
	fs.IntVar(&f.maxRequests, "max-requests", calibrate.DefaultMaxRequests, "send at most `n` requests to the upstream in all")
	fs.DurationVar(&f.timeout, "timeout", calibrate.DefaultTimeout, "give up on a request after `duration`")
	fs.BoolVar(&f.deskmockUpstream, "upstream-is-deskmock", false, "the upstream is a deskmock: move its clock (POST /__admin/clock, token $"+AdminTokenEnv+") instead of waiting out a probe's pause")
	fs.BoolVar(&f.dryRun, "dry-run", false, "print the probes and what each would send, and send nothing")
	pos, code, done := fs.Parse(args)
	if done {
		return code
	}
	if len(pos) > 0 {
		return usageError(e, name, "unexpected argument %q", pos[0])
	}
	set := fs.Given()
	opts, msg := f.options(e, set)
	if msg != "" {
		return usageError(e, name, "%s", msg)
	}

	if f.dryRun {
		plan, err := calibrate.Plan(opts)
		if err != nil {
			return failure(e, name, "%v", err)
		}
		calibrate.WritePlan(e.stdout, opts.Upstream, plan)
		return ExitOK
	}
	if live := calibrate.LiveProbes(opts); len(live) > 0 {
		fmt.Fprintf(e.stderr, "%s %s: --allow-writes: %d probes write to live conversations, may deliver messages there, or create a chatbot:\n", progName, name, len(live))
		for _, p := range live {
			fmt.Fprintf(e.stderr, "  %s (%s): %s\n", p.Name, calibrate.LiveTarget(p, opts.Identity), p.What)
		}
	} else if f.session != "" || f.account != "" || f.group != "" || f.robot != "" {
		fmt.Fprintf(e.stderr, "%s %s: --session, --account, --group or --robot without --allow-writes: the probes that write are skipped\n", progName, name)
	}

	var journal *os.File
	if f.journal != "" {
		var err error
		if journal, err = os.Create(f.journal); err != nil {
			return usageError(e, name, "--journal: %v", err)
		}
		defer journal.Close()
		opts.Journal = journal
	}
	rep, err := calibrate.Run(ctx, opts)
	if err != nil {
		return failure(e, name, "%v", err)
	}
	if journal != nil {
		if err := journal.Close(); err != nil {
			return failure(e, name, "--journal: %v", err)
		}
	}
	calibrate.WriteConsole(e.stdout, rep)
	outputs := []struct {
		file  string
		mode  os.FileMode
		write func(io.Writer) error
	}{
		{f.json, 0o644, func(w io.Writer) error { return calibrate.WriteJSON(w, rep) }},
		{f.html, 0o644, func(w io.Writer) error { return calibrate.WriteHTML(w, rep) }},
		{f.writeConfig, 0o600, func(w io.Writer) error { return calibrate.WriteConfig(w, rep, opts.Identity) }},
	}
	for _, o := range outputs {
		if o.file == "" {
			continue
		}
		if err := reportfile.Write(o.file, o.mode, o.write); err != nil {
			return failure(e, name, "%v", err)
		}
	}
	if f.writeConfig != "" {
		fmt.Fprintf(e.stdout, "wrote %s: %d code overrides; run it with: %s serve --config %s\n", f.writeConfig, len(rep.Overrides), progName, f.writeConfig)
	}
	if !rep.Summary.Parity {
		return ExitFailure
	}
	return ExitOK
}

// options checks the flags and turns them into calibrate's options; msg
// says what is wrong with them.
func (f *calibrateFlags) options(e *env, set map[string]bool) (opts calibrate.Options, msg string) {
	switch {
	case set["upstream"] && set["region"]:
		return opts, "give --upstream or --region, not both"
	case set["region"]:
		u, ok := calibrate.RegionURL(f.region)
		if !ok {
			return opts, fmt.Sprintf("--region %q: want one of %s", f.region, strings.Join(calibrate.Regions(), ", "))
		}
		opts.Upstream = u
	case set["upstream"]:
		u, err := url.Parse(f.upstream)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
			return opts, fmt.Sprintf("--upstream %q: want an http:// or https:// base URL such as https://console.tim.qq.com", f.upstream)
		}
		opts.Upstream = f.upstream
	default:
		return opts, "give the service to probe: --upstream URL or --region NAME"
	}
	if !set["sdkappid"] || f.sdkappid == 0 || f.sdkappid > 4294967295 {
		return opts, "give the app's --sdkappid (1..4294967295)"
	}
	if f.identifier == "" {
		return opts, "give an administrator of the app: --identifier USER"
	}
	if f.session != "" && !mockserver.ValidSessionID(f.session) {
		return opts, fmt.Sprintf("--session %q: not a SessionId (a UUID)", f.session)
	}
	if f.rate <= 0 || f.rate > 200 {
		return opts, fmt.Sprintf("--rate %g: want a rate in (0, 200] requests per second, under the vendor's limits", f.rate)
	}
	if f.maxRequests < 1 {
		return opts, fmt.Sprintf("--max-requests %d: must be positive", f.maxRequests)
	}
	if f.timeout <= 0 {
		return opts, fmt.Sprintf("--timeout %s: must be positive", f.timeout)
	}
	keys := secretKeyFlags{file: f.keyFile}
	key, _, err := keys.resolve(e, set)
	if err != nil {
		return opts, err.Error()
	}
	if key == "" && !f.dryRun {
		return opts, "give the app's secret key in $" + SecretKeyEnv + " or --secret-key-file"
	}
	if key == "" {
		key = "dry-run" // signs the UserSigs a dry run shows redacted
	}
	if f.mockConfig != "" {
		cfg, err := mockserver.LoadConfig(f.mockConfig)
		if err != nil {
			return opts, "--mock-config: " + err.Error()
		}
		opts.Mock = &cfg
	}
	opts.Identity = calibrate.Identity{SDKAppID: f.sdkappid, Identifier: f.identifier, SecretKey: key,
		Session: f.session, Account: f.account, Group: f.group, From: f.from, Robot: f.robot}
	if err := opts.Identity.CheckLive(); err != nil {
		return opts, err.Error()
	}
	opts.AllowWrites = f.allowWrites
	opts.Rate, opts.MaxRequests, opts.Timeout = f.rate, f.maxRequests, f.timeout
	if f.deskmockUpstream {
		opts.AdvanceUpstream = calibrate.DeskmockClock(&http.Client{Timeout: f.timeout}, opts.Upstream, e.getenv(AdminTokenEnv))
	}
	return opts, ""
}
