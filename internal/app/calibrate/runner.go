package calibrate

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/deskmock/deskmock/internal/textcut"
	"github.com/deskmock/deskmock/mockserver"
	"github.com/deskmock/deskmock/mockserver/codes"
)

// Defaults of Options.
const (
	// DefaultRate is how many requests per second go to the upstream: well
	// under the vendor's limits (about 200/s per REST API, 5 calls/s per
	// streamed message).
	DefaultRate = 5
	// DefaultMaxRequests caps the requests sent to the upstream in one run:
	// room for every probe of every endpoint, their preparing and undoing
	// calls included, with every live name given and --allow-writes (184:
	// 156 before the probes of Desk's calls that write, which add 20
	// refusals and 8 live probes).
	DefaultMaxRequests = 184
	// DefaultTimeout bounds each request, reply included.
	DefaultTimeout = 10 * time.Second
	// maxReply is how much of a reply is read.
	maxReply = 64 << 10
	// mockTimeout bounds each request to the local mock, which answers at
	// once: Timeout is for the upstream.
	mockTimeout = 30 * time.Second
)

// Options configure a calibration run.
type Options struct {
	// Upstream is the base URL of the service probed, such as
	// https://console.tim.qq.com.
	Upstream string
	// Identity is the app and administrator the probes act as.
	Identity Identity
	// AllowWrites runs the probes marked Live, each with the live names
	// it uses given (Identity.Session, Account, Group, Robot): they may
	// deliver messages there, or create and delete CalibrateRobot.
	AllowWrites bool
	// Probes are the probes to run; nil means Probes().
	Probes []Probe
	// Mock is the configuration of the local mock; nil means one app made
	// of Identity. Either way the app of Identity is set up as Identity
	// says (key, administrator), and the mock's sessions, accounts and
	// groups are strict (like the real service's) with the live ones
	// open and the live chatbot one of the app's.
	Mock *mockserver.Config
	// Rate is the most requests per second sent to the upstream, save the
	// burst of a probe with Burst (the rate rule's), which goes at once.
	Rate float64
	// MaxRequests caps the requests sent to the upstream; probes past it
	// are skipped.
	MaxRequests int
	// Timeout bounds each request to the upstream.
	Timeout time.Duration
	// Journal, when set, receives each upstream exchange as a JSON line.
	Journal io.Writer
	// Client sends the requests; nil means a client that follows no
	// redirect.
	Client *http.Client
	// Now stamps the report; nil means time.Now. UserSigs are always
	// signed at the real time.
	Now func() time.Time
	// AdvanceUpstream, when set, stands for the wait of a probe's Wait on
	// the upstream side: for an upstream whose clock can be moved, such
	// as a deskmock (see DeskmockClock). nil waits for real.
	AdvanceUpstream func(ctx context.Context, d time.Duration) error
}

func (o *Options) applyDefaults() {
	if o.Probes == nil {
		o.Probes = Probes()
	}
	if o.Rate <= 0 {
		o.Rate = DefaultRate
	}
	if o.MaxRequests <= 0 {
		o.MaxRequests = DefaultMaxRequests
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Client == nil {
		o.Client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.Upstream = strings.TrimRight(o.Upstream, "/")
}

// needs returns the live names a probe uses, each once: the live
// conversation of its API, the chatbot that streams. A probe that creates
// CalibrateRobot needs none but writes allowed.
func (p Probe) needs() []Live {
	text := p.Body + p.Setup + p.BurstBody + p.After
	var out []Live
	if strings.Contains(text, PhLive) {
		out = append(out, p.API.Live)
	}
	if strings.Contains(text, PhRobot) {
		out = append(out, LiveRobot)
	}
	if p.AlsoNeeds != "" && !slices.Contains(out, p.AlsoNeeds) {
		out = append(out, p.AlsoNeeds)
	}
	return out
}

// runnable reports whether a Live probe may run: writes allowed and every
// name it uses given.
func (o *Options) runnable(p Probe) bool {
	if !o.AllowWrites {
		return false
	}
	for _, kind := range p.needs() {
		if o.Identity.live(kind) == "" {
			return false
		}
	}
	return true
}

// live returns the live conversation of a kind when writes are allowed,
// else "".
func (o *Options) live(kind Live) string {
	if !o.AllowWrites {
		return ""
	}
	return o.Identity.live(kind)
}

// LiveProbes returns the probes of opts that will write: the caller should
// announce them before Run.
func LiveProbes(opts Options) []Probe {
	opts.applyDefaults()
	var out []Probe
	for _, p := range opts.Probes {
		if p.Live && opts.runnable(p) {
			out = append(out, p)
		}
	}
	return out
}

// LiveTarget says what a probe writes to, such as "session ID", "account
// USER, chatbot @RBT#BOT" or "chatbot @RBT#deskmock_calibrate" (the one it
// creates).
func LiveTarget(p Probe, id Identity) string {
	var parts []string
	for _, kind := range p.needs() {
		parts = append(parts, string(kind)+" "+id.live(kind))
	}
	if len(parts) == 0 {
		return string(LiveRobot) + " " + CalibrateRobot
	}
	return strings.Join(parts, ", ")
}

// liveFlags are the flags that give each kind of live name.
var liveFlags = map[Live]string{LiveSession: "--session ID", LiveAccount: "--account USER", LiveGroup: "--group ID",
	LiveRobot: "--robot ID", liveFrom: "--from USER"}

// liveFrom stands for Identity.From where the live names are listed: the
// sender of the native probes, which the mock must know.
const liveFrom Live = "from"

// Plan returns, without sending anything, each probe with the request it
// would send (UserSig redacted) and, for the probes that would be skipped,
// why.
func Plan(opts Options) ([]Result, error) {
	opts.applyDefaults()
	out := make([]Result, len(opts.Probes))
	for i, p := range opts.Probes {
		req, err := build(p, opts.Identity, p.ownCall(PhMsgKey), time.Now())
		if err != nil {
			return nil, err
		}
		out[i] = newResult(p, req)
		var notes []string
		if why := opts.skip(p); why != "" {
			out[i].Outcome = Skipped
			notes = append(notes, why)
		}
		fill := strings.NewReplacer(PhLive, opts.Identity.live(p.API.Live), PhRobot, opts.Identity.Robot, PhNewRobot, CalibrateRobot)
		switch {
		case p.SetupPath != "":
			notes = append(notes, "first calls "+p.SetupPath+" with "+fill.Replace(p.Setup))
		case p.Setup != "":
			notes = append(notes, "first opens a stream with "+fill.Replace(p.Setup))
		}
		if p.Wait > 0 {
			notes = append(notes, fmt.Sprintf("then waits %s (on the local mock, moves its clock instead)", p.Wait))
		}
		if p.Burst > 0 {
			notes = append(notes, fmt.Sprintf("then sends %d more calls on that stream and this one, %d in all within a second, unpaced: "+
				"only the probes of the rate rule go faster than --rate, on purpose", p.Burst, p.Burst+2))
		}
		if p.After != "" {
			notes = append(notes, "then, to undo what it wrote, calls "+p.afterPath()+" with "+fill.Replace(p.After))
		}
		out[i].Note = strings.Join(notes, "; ")
	}
	return out, nil
}

// skip says why a probe does not run whatever the upstream, or "".
func (o *Options) skip(p Probe) string {
	if !p.Live || o.runnable(p) {
		return ""
	}
	var flags, to []string
	as := false // sends as the live chatbot
	for _, kind := range p.needs() {
		flags = append(flags, liveFlags[kind])
		if kind == LiveRobot {
			as = true
		} else {
			to = append(to, "a live "+string(kind))
		}
	}
	what := "writes"
	switch {
	case len(flags) == 0:
		return "creates the chatbot " + CalibrateRobot + ": needs --allow-writes"
	case as:
		what = "sends as a live chatbot"
	}
	if len(to) > 0 {
		what += " to " + strings.Join(to, " and ")
	}
	return fmt.Sprintf("%s: needs %s --allow-writes", what, strings.Join(flags, " "))
}

func newResult(p Probe, req Request) Result {
	return Result{Probe: p.Name, API: p.API.Name, Check: p.Check, What: p.What,
		Method: req.Method, Target: req.Redacted, Body: textcut.Cut(req.Body, MaxJournalBody), BodyBytes: len(req.Body)}
}

// runner is one calibration run in progress.
type runner struct {
	opts      Options
	mock      *mockserver.TestServer
	pace      *pacer
	exchanges []Exchange
}

// Run sends the probes to the upstream and to a local mock configured like
// it, and compares the answers. Problems with the upstream (network errors,
// timeouts, replies that are not the vendor's envelope) are reported per
// probe; Run fails only when the local mock cannot start or a journal write
// fails.
func Run(ctx context.Context, opts Options) (*Report, error) {
	opts.applyDefaults()
	mock, err := startMock(opts)
	if err != nil {
		return nil, err
	}
	defer mock.Close()
	r := &runner{opts: opts, mock: mock, pace: newPacer(opts.Rate)}
	rep := &Report{
		Upstream:   opts.Upstream,
		SDKAppID:   opts.Identity.SDKAppID,
		Identifier: opts.Identity.Identifier,
		Started:    opts.Now(),
		Unprobed:   UnprobedRows(),
	}
	rep.Session, rep.Account, rep.Group, rep.Robot = opts.live(LiveSession), opts.live(LiveAccount), opts.live(LiveGroup), opts.live(LiveRobot)
	start := time.Now()
	served := map[string]bool{}
	for _, p := range opts.Probes {
		if _, seen := served[p.API.Path]; !seen {
			served[p.API.Path] = r.mockServes(ctx, p.API)
		}
	}
	for _, p := range opts.Probes {
		res, err := r.probe(ctx, p, served[p.API.Path])
		if err != nil {
			return nil, err
		}
		rep.Results = append(rep.Results, res)
	}
	markNotProvoked(rep.Results, opts.Probes)
	rep.Overrides = overrides(rep.Results, opts.Probes)
	rep.Exchanges = r.exchanges
	rep.Duration = time.Since(start)
	rep.summarize()
	return rep, nil
}

// startMock starts the local mock, configured like the upstream.
func startMock(opts Options) (*mockserver.TestServer, error) {
	var cfg mockserver.Config
	if opts.Mock != nil {
		cfg = *opts.Mock
		cfg.Apps = append([]mockserver.App(nil), cfg.Apps...)
	}
	id := opts.Identity
	app := mockserver.App{SDKAppID: id.SDKAppID, SecretKey: id.SecretKey, Admins: []string{id.Identifier}}
	found := false
	for i := range cfg.Apps {
		if a := &cfg.Apps[i]; a.SDKAppID == id.SDKAppID {
			app.Desk, app.Robots = a.Desk, a.Robots
			*a, found = app, true
		}
	}
	if !found {
		cfg.Apps = append(cfg.Apps, app)
	}
	// Like the real service, the mock knows only the live conversations:
	// any other session, account or group does not exist.
	cfg.Sessions.Strict, cfg.Accounts.Strict, cfg.Groups.Strict = true, true, true
	for _, d := range []struct {
		ids  *[]string
		kind Live
	}{{&cfg.Sessions.IDs, LiveSession}, {&cfg.Accounts.IDs, LiveAccount}, {&cfg.Groups.IDs, LiveGroup}} {
		*d.ids = append([]string(nil), *d.ids...)
		if live := opts.live(d.kind); live != "" {
			*d.ids = append(*d.ids, live)
		}
	}
	if from := opts.Identity.From; from != "" {
		cfg.Accounts.IDs = append(cfg.Accounts.IDs, from) // it sends every native probe
	}
	// The chatbot that streams is one of the app's, and an account: a
	// sender must be known in strict mode.
	if robot := opts.live(LiveRobot); robot != "" {
		for i := range cfg.Apps {
			if a := &cfg.Apps[i]; a.SDKAppID == id.SDKAppID && !slices.Contains(a.Robots, robot) {
				a.Robots = append(slices.Clone(a.Robots), robot)
			}
		}
		cfg.Accounts.IDs = append(cfg.Accounts.IDs, robot)
	}
	// A Desk app has agents; one online, as in the default configuration,
	// unless the configuration given says which (inferred: the probes
	// cannot see the upstream's).
	if len(cfg.Desk.Agents) == 0 {
		cfg.Desk.Agents = mockserver.DefaultConfig().Desk.Agents
	}
	cfg.Journal, cfg.Logger, cfg.Faults = nil, nil, nil
	ts, err := mockserver.Start(mockserver.WithConfig(cfg))
	if err != nil {
		return nil, fmt.Errorf("calibrate: local mock: %w", err)
	}
	// The live session is the live account's, with CustomerService: the
	// user send_msg by user writes to.
	if session, user := opts.live(LiveSession), opts.live(LiveAccount); session != "" && user != "" {
		if _, err := ts.BeginSession(session, user, CustomerService, ""); err != nil {
			ts.Close()
			return nil, fmt.Errorf("calibrate: local mock: the live session: %w", err)
		}
	}
	return ts, nil
}

// mockServes reports whether the local mock answers an API's path (rather
// than refusing it as an unknown API).
func (r *runner) mockServes(ctx context.Context, api API) bool {
	r.send(ctx, r.mock.URL, Request{Method: "POST", Target: api.Path, Body: "{}"}, mockTimeout)
	last := r.mock.Requests(mockserver.ExchangeFilter{Limit: 1})
	return len(last) == 1 && last[0].Check != codes.CheckPath
}

// probe runs one probe on both sides.
func (r *runner) probe(ctx context.Context, p Probe, served bool) (Result, error) {
	req, err := build(p, r.opts.Identity, p.ownCall(PhMsgKey), time.Now())
	if err != nil {
		return Result{}, err
	}
	res := newResult(p, req)
	need := p.requests()
	switch why := r.opts.skip(p); {
	case why != "":
		res.Outcome, res.Note = Skipped, why
		return res, nil
	case !served:
		res.Outcome, res.Note = Skipped, "the local mock lacks the endpoint "+p.API.Path
		return res, nil
	case len(r.exchanges)+need > r.opts.MaxRequests:
		res.Outcome, res.Note = Skipped, fmt.Sprintf("the cap of %d upstream requests was reached", r.opts.MaxRequests)
		return res, nil
	}
	up, err := r.side(ctx, p, true)
	if err != nil {
		return Result{}, err
	}
	res.Upstream, res.At = up, r.opts.Now()
	if res.Mock, err = r.side(ctx, p, false); err != nil {
		return Result{}, err
	}
	compare(&res, p.Shape)
	return res, nil
}

// side sends a probe to the upstream or to the mock: its Setup call if it
// has one, its pause, its burst, then its own call.
func (r *runner) side(ctx context.Context, p Probe, upstream bool) (*Answer, error) {
	base, rec := r.mock.URL, (*probeRecord)(nil)
	if upstream {
		base, rec = r.opts.Upstream, &probeRecord{probe: p.Name}
	}
	msgKey := PhMsgKey
	if p.Setup != "" {
		a, err := r.sendCall(ctx, base, p, call{part: partSetup}, rec, true)
		if err != nil || !a.OK() || a.Code != 0 || (a.MsgKey == "" && p.usesKey()) {
			return failedCall("the call that prepares the probe", a), err
		}
		if a.MsgKey != "" {
			msgKey = a.MsgKey
		}
		if p.Wait > 0 {
			if err := r.pause(ctx, p.Wait, upstream); err != nil {
				return &Answer{Error: "not sent: " + err.Error()}, nil
			}
		}
		for i := range p.Burst {
			a, err := r.sendCall(ctx, base, p, call{part: partBurst, msgKey: msgKey, index: i + 2}, rec, false)
			if err != nil || !a.OK() || a.Code != 0 {
				return failedCall(fmt.Sprintf("call %d of the stream", i+2), a), err
			}
		}
	}
	own, err := r.sendCall(ctx, base, p, p.ownCall(msgKey), rec, p.Burst == 0)
	if err != nil || p.After == "" {
		return own, err
	}
	if own.OK() && own.MsgKey != "" && p.Setup == "" {
		msgKey = own.MsgKey
	}
	if msgKey == PhMsgKey && strings.Contains(p.After, PhMsgKey) {
		return own, nil // no stream was opened: nothing to end
	}
	if _, err := r.sendCall(ctx, base, p, call{part: partAfter, msgKey: msgKey}, rec, true); err != nil {
		return nil, err
	}
	return own, nil
}

// usesKey reports whether the calls after a probe's Setup call use the
// key of its stream, which the Setup call must then answer.
func (p Probe) usesKey() bool { return strings.Contains(p.BurstBody+p.Body, PhMsgKey) }

// requests counts the requests a probe sends to one side.
func (p Probe) requests() int {
	n := 1 + p.Burst
	if p.Setup != "" {
		n++
	}
	if p.After != "" {
		n++
	}
	return n
}

// afterPath is where the probe's After call goes.
func (p Probe) afterPath() string {
	if p.AfterPath != "" {
		return p.AfterPath
	}
	return p.API.Path
}

// ownCall is the probe's own call, on the stream of msgKey: after the
// Setup call (Index 1) and the burst.
func (p Probe) ownCall(msgKey string) call {
	return call{part: partProbe, msgKey: msgKey, index: p.Burst + 2}
}

// failedCall is the answer of a probe whose preparing call (named what)
// got answer a rather than a success.
func failedCall(what string, a *Answer) *Answer {
	if a == nil {
		return nil
	}
	why := a.Error
	if why == "" {
		why = fmt.Sprintf("ErrorCode %d %q", a.Code, a.Info)
		if a.Code == 0 {
			why += ", no MsgKey"
		}
	}
	return &Answer{Status: a.Status, Error: what + " failed: " + why}
}

// pause lets d pass between two calls of a probe: on the upstream, by
// waiting or by Options.AdvanceUpstream; on the local mock, by moving its
// clock, so that no run waits twice.
func (r *runner) pause(ctx context.Context, d time.Duration, upstream bool) error {
	switch {
	case !upstream:
		return r.mock.AdvanceClock(d)
	case r.opts.AdvanceUpstream != nil:
		if err := r.opts.AdvanceUpstream(ctx, d); err != nil {
			return fmt.Errorf("moving the upstream's clock: %w", err)
		}
		return nil
	}
	return sleep(ctx, d)
}

// sendCall builds one call of a probe and sends it; paced is false for the
// calls of a burst, which go at once.
func (r *runner) sendCall(ctx context.Context, base string, p Probe, c call, rec *probeRecord, paced bool) (*Answer, error) {
	req, err := build(p, r.opts.Identity, c, time.Now())
	if err != nil {
		return nil, err
	}
	if rec != nil {
		rec.setup = c.part != partProbe
	}
	return r.sendRecorded(ctx, base, req, rec, paced)
}

// probeRecord says how an upstream request is journaled.
type probeRecord struct {
	probe string
	setup bool
}

// sendRecorded sends a request; an upstream request (rec set) is journaled
// and, when paced, waits for its turn under Options.Rate.
func (r *runner) sendRecorded(ctx context.Context, base string, req Request, rec *probeRecord, paced bool) (*Answer, error) {
	if rec == nil {
		a, _ := r.send(ctx, base, req, mockTimeout)
		return a, nil
	}
	if !paced {
		r.pace.skip()
	} else if err := r.pace.wait(ctx); err != nil {
		return &Answer{Error: "not sent: " + err.Error()}, nil
	}
	at := r.opts.Now()
	a, reply := r.send(ctx, base, req, r.opts.Timeout)
	e := Exchange{
		Seq: len(r.exchanges) + 1, Probe: rec.probe, Time: at, Setup: rec.setup,
		Method: req.Method, URL: base + req.Redacted,
		Body: textcut.Cut(req.Body, MaxJournalBody), BodySize: len(req.Body),
		Status: a.Status, Reply: textcut.Cut(reply, MaxJournalReply), Error: a.Error, Millis: a.Millis,
	}
	r.exchanges = append(r.exchanges, e)
	if r.opts.Journal != nil {
		if err := writeJournal(r.opts.Journal, e); err != nil {
			return nil, err
		}
	}
	return a, nil
}
