package conformance

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/deskmock/deskmock/mockserver"
	"github.com/deskmock/deskmock/mockserver/usersig"
)

// Defaults of a bot run.
const (
	// DefaultCallbackToken signs the callbacks of a bot run unless
	// BotOptions.Token is set.
	DefaultCallbackToken = "deskmock-conform-token"
	// DefaultBotListen is the mock's address when it grades a bot that is
	// already running (BotOptions.BotURL).
	DefaultBotListen = "127.0.0.1:8780"
	// botAnswerWait bounds the wait for the answer of one message; the
	// case's timeout bounds the whole case.
	botAnswerWait = 10 * time.Second
	// botQuiet is how long the runner watches, after the last callback,
	// for calls a careful bot would not make (a second answer, a call
	// after the session ended, an answer to a forged callback).
	botQuiet = time.Second
	// botCallbackRetries and botCallbackBackoff are the mock's callback
	// retries in a bot run: one retry, soon, so that a slow bot is graded
	// in seconds.
	botCallbackRetries = 1
	botCallbackBackoff = 200 * time.Millisecond
)

// BotOptions configure a run of the bot cases.
type BotOptions struct {
	// Command is the bot command and its arguments, started once per
	// case; empty when BotURL is set.
	Command []string
	// Dir is the bot's working directory; "" means the runner's.
	Dir string
	// BotURL, when set, is the URL of a bot already running: the cases
	// run one at a time against one address of the mock (Listen), each
	// with its own sessions.
	BotURL string
	// Listen is the mock's address with BotURL; "" means
	// DefaultBotListen.
	Listen string
	// Token signs the callbacks; "" means DefaultCallbackToken.
	Token string
	// Cases are the bot cases to run, in order.
	Cases []BotCase
	// Parallel is how many cases run at once (1 with BotURL); 0 means
	// DefaultParallel.
	Parallel int
	// Timeout bounds each case; 0 means DefaultTimeout.
	Timeout time.Duration
	// StartTimeout bounds the wait for the bot to listen on $PORT; 0
	// means DefaultStartTimeout.
	StartTimeout time.Duration
	// Grace is the time between SIGTERM and SIGKILL; 0 means
	// DefaultGrace.
	Grace time.Duration
	// KnownFailing names the cases known to fail.
	KnownFailing map[string]bool
	// OnCase, when set, is called with each result in case order.
	OnCase func(CaseResult)
	// OnListen, when set, is called with BotURL once the mock listens,
	// with the environment the bot must have (PORT left out).
	OnListen func(env []string)
}

// ErrNoBot is returned by RunBots when neither a command nor a URL is
// given.
var ErrNoBot = errors.New("conformance: no bot command and no --bot-url")

// BotEnv is what a bot is told, in its environment.
type BotEnv struct {
	// BaseURL is the mock's REST base (DESKMOCK_BASE_URL).
	BaseURL string
	// SDKAppID, Identifier and SecretKey are the app's, its administrator
	// and its key; UserSig is the administrator's, valid 24 h.
	SDKAppID   uint64
	Identifier string
	SecretKey  string
	UserSig    string
	// Token signs the callbacks (DESKMOCK_CALLBACK_TOKEN).
	Token string
	// Version is the Desk stream to answer on: v1 or v2; "" when the
	// cases say.
	Version string
	// Port is the loopback port the bot listens on; 0 for a bot the
	// runner does not start.
	Port int
}

// Env returns the variables: DESKMOCK_BASE_URL, DESKMOCK_SDKAPPID,
// DESKMOCK_IDENTIFIER, DESKMOCK_SECRET_KEY, DESKMOCK_USERSIG,
// DESKMOCK_CALLBACK_TOKEN, DESKMOCK_VERSION and, when set, PORT.
func (e BotEnv) Env() []string {
	out := []string{
		"DESKMOCK_BASE_URL=" + e.BaseURL,
		"DESKMOCK_SDKAPPID=" + strconv.FormatUint(e.SDKAppID, 10),
		"DESKMOCK_IDENTIFIER=" + e.Identifier,
		"DESKMOCK_SECRET_KEY=" + e.SecretKey,
		"DESKMOCK_USERSIG=" + e.UserSig,
		"DESKMOCK_CALLBACK_TOKEN=" + e.Token,
	}
	if e.Version != "" {
		out = append(out, "DESKMOCK_VERSION="+e.Version)
	}
	if e.Port != 0 {
		out = append(out, "PORT="+strconv.Itoa(e.Port))
	}
	return out
}

// redacted returns the environment with its secrets replaced, for
// reports.
func (e BotEnv) redacted() Input {
	return Input{BaseURL: e.BaseURL, SDKAppID: e.SDKAppID, Identifier: e.Identifier, SecretKey: "REDACTED", UserSig: "REDACTED", Version: e.Version}
}

// botEnv returns what the bot of a mock is told.
func botEnv(m *caseMock, token, version string) (BotEnv, error) {
	app := m.cfg.Apps[0]
	sig, err := usersig.Generate(app.SecretKey, app.SDKAppID, app.Admins[0], int64(userSigLifetime/time.Second), time.Now())
	if err != nil {
		return BotEnv{}, fmt.Errorf("conformance: signing the bot's UserSig: %w", err)
	}
	return BotEnv{BaseURL: m.url, SDKAppID: app.SDKAppID, Identifier: app.Admins[0], SecretKey: app.SecretKey, UserSig: sig, Token: token, Version: version}, nil
}

// RunBots grades a bot on the bot cases: per case a fresh mock on
// loopback, the bot started with its environment (or, with BotURL, the
// running bot), the case's conversation played, the bot stopped, the
// checks run.
func RunBots(ctx context.Context, opts BotOptions) (*Report, error) {
	if len(opts.Command) == 0 && opts.BotURL == "" {
		return nil, ErrNoBot
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = DefaultStartTimeout
	}
	if opts.Grace <= 0 {
		opts.Grace = DefaultGrace
	}
	if opts.Token == "" {
		opts.Token = DefaultCallbackToken
	}
	if opts.Parallel <= 0 {
		opts.Parallel = DefaultParallel()
	}
	var shared *sharedMock
	if opts.BotURL != "" {
		opts.Parallel = 1
		var err error
		if shared, err = listenShared(opts.Listen); err != nil {
			return nil, err
		}
		defer shared.close()
		if err := waitReachable(ctx, opts.BotURL, opts.StartTimeout); err != nil {
			return nil, err
		}
		if opts.OnListen != nil {
			env, err := botEnv(&caseMock{url: shared.url, cfg: mockserver.DefaultConfig()}, opts.Token, "")
			if err != nil {
				return nil, err
			}
			opts.OnListen(env.Env())
		}
	}
	command := opts.Command
	if opts.BotURL != "" {
		command = []string{"(running at " + opts.BotURL + ")"}
	}
	rep := &Report{Command: command, Bot: true, Started: time.Now(), Timeout: opts.Timeout, Checks: BotChecks()}
	rep.Cases = runPool(ctx, opts.Parallel, len(opts.Cases), opts.OnCase, func(i int) (CaseResult, bool) {
		c := &opts.Cases[i]
		if ctx.Err() != nil {
			return CaseResult{Name: c.Name, Description: c.Description, File: c.File, Error: "not run: interrupted"}, opts.KnownFailing[c.Name]
		}
		return runBotCase(ctx, c, opts, shared), opts.KnownFailing[c.Name]
	})
	rep.Duration = time.Since(rep.Started)
	rep.Summary = summarize(rep.Cases)
	return rep, nil
}

// waitReachable waits until the host of a bot's URL accepts connections.
func waitReachable(ctx context.Context, botURL string, timeout time.Duration) error {
	u, err := url.Parse(botURL)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("conformance: --bot-url %q is not an http:// or https:// URL", botURL)
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), map[string]string{"http": "80", "https": "443"}[u.Scheme])
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if !waitFor(wctx, func() bool {
		conn, err := net.DialTimeout("tcp", host, 200*time.Millisecond)
		if err == nil {
			conn.Close()
		}
		return err == nil
	}) {
		return fmt.Errorf("conformance: nothing listens at %s (--bot-url) within %s", host, timeout)
	}
	return nil
}

// runPool runs n jobs, parallel at once, sets each result's status
// (known: listed as known to fail) and hands the results to onCase in
// order as soon as they and those before them are ready.
func runPool(ctx context.Context, parallel, n int, onCase func(CaseResult), job func(i int) (r CaseResult, known bool)) []CaseResult {
	results := make([]CaseResult, n)
	ready := make([]bool, n)
	var mu sync.Mutex
	emitted := 0
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(parallel, max(n, 1)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				r, known := job(i)
				r.setStatus(known)
				mu.Lock()
				results[i], ready[i] = r, true
				for emitted < n && ready[emitted] {
					if onCase != nil {
						onCase(results[emitted])
					}
					emitted++
				}
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < n; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return results
}

// sharedMock is the one address of the mock when the bot is already
// running: each case's fresh mock is served there in turn.
type sharedMock struct {
	url  string
	http *http.Server
	cur  atomic.Pointer[http.Handler]
	done chan error
}

func listenShared(addr string) (*sharedMock, error) {
	if addr == "" {
		addr = DefaultBotListen
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("conformance: the mock cannot listen: %w", err)
	}
	s := &sharedMock{url: "http://" + ln.Addr().String(), done: make(chan error, 1)}
	s.http = newMockHTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := s.cur.Load(); h != nil {
			(*h).ServeHTTP(w, r)
			return
		}
		http.Error(w, "deskmock conform: between cases", http.StatusServiceUnavailable)
	}))
	go func() { s.done <- s.http.Serve(ln) }()
	return s, nil
}

func (s *sharedMock) set(h http.Handler) {
	if h == nil {
		s.cur.Store(nil)
		return
	}
	s.cur.Store(&h)
}

func (s *sharedMock) close() {
	s.http.Close()
	<-s.done
}

// startBotMock configures the mock of a bot case; shared, when set,
// serves it, else it listens on a loopback port of its own.
func startBotMock(c *BotCase, shared *sharedMock) (*caseMock, error) {
	srv, err := mockserver.New(mockserver.DefaultConfig())
	if err != nil {
		return nil, fmt.Errorf("conformance: bot case %s: %w", c.Name, err)
	}
	rules := map[string]string{}
	for i, f := range c.Faults {
		id, err := srv.AddFault(f)
		if err != nil {
			return nil, fmt.Errorf("conformance: bot case %s: faults/%d: %w", c.Name, i, err)
		}
		rules[id] = describeBotFaults([]mockserver.Fault{f})
	}
	m := newCaseMock(srv, rules)
	if c.MidStream != "" {
		id := c.SessionIDs()[0]
		m.endAfter = endAfter{path: c.endpoint().Path, call: 1, session: id}
		if c.MidStream == MidStreamTransfer {
			m.endAfter.end = func() { srv.TransferSession(id, mockserver.TransferRequest{}) }
		}
	}
	if shared != nil {
		m.url = shared.url
		shared.set(m.handler())
		return m, nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("conformance: bot case %s: %w", c.Name, err)
	}
	m.serve(ln)
	return m, nil
}

// runBotCase runs one bot case.
func runBotCase(ctx context.Context, c *BotCase, opts BotOptions, shared *sharedMock) (r CaseResult) {
	r = CaseResult{Name: c.Name, Description: c.Description, File: c.File}
	start := time.Now()
	defer func() { r.Duration = time.Since(start) }()
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()

	m, err := startBotMock(c, shared)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	stopMock := func() {
		if shared != nil {
			shared.set(nil)
		}
		m.stop()
	}
	env, err := botEnv(m, opts.Token, c.Version)
	if err != nil {
		stopMock()
		r.Error = err.Error()
		return r
	}
	r.Input = env.redacted()
	target := opts.BotURL
	var bot *botProcess
	if shared != nil {
		r.Client = ClientRun{Started: time.Now(), ExitCode: -1, Error: "running at " + target + ": not started by the runner"}
	}
	if shared == nil {
		if env.Port, err = freePort(); err != nil {
			stopMock()
			r.Error = "conformance: no free port for the bot: " + err.Error()
			return r
		}
		if bot, err = startBot(opts.Command, opts.Dir, env.Env(), opts.Grace); err != nil {
			stopMock()
			r.Error = err.Error()
			return r
		}
		if err := bot.waitListening(ctx, env.Port, opts.StartTimeout); err != nil {
			r.Client = bot.stop()
			stopMock()
			r.Error = err.Error()
			if out := tail(r.Client.Stderr, 5); out != "" {
				r.Error += "; its stderr ends: " + out
			}
			return r
		}
		target = "http://127.0.0.1:" + strconv.Itoa(env.Port) + "/"
	}
	retries := botCallbackRetries
	if err := m.srv.SetCallbacks(0, mockserver.Callbacks{URL: target, Token: opts.Token, Retries: &retries, RetryBackoff: mockserver.Duration(botCallbackBackoff)}); err != nil {
		if bot != nil {
			r.Client = bot.stop()
		}
		stopMock()
		r.Error = "conformance: " + err.Error()
		return r
	}
	playStart := time.Now()
	notes := playBotCase(ctx, c, m)
	settleBot(ctx, m)
	if bot != nil {
		r.Client = bot.stop()
	}
	stopMock()

	ev := newBotEvidence(c, m, env)
	ev.notes = notes
	r.Checks = gradeBot(ev)
	r.Transcript = ev.transcript(playStart)
	r.Streams = streamResults(ev.streams)
	return r
}

// playBotCase begins the case's sessions at once and plays each one's
// messages in turn; it returns what did not happen in time.
func playBotCase(ctx context.Context, c *BotCase, m *caseMock) []string {
	ids := c.SessionIDs()
	notes := make([][]string, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			notes[i] = playSession(ctx, c, m, i, id)
		}()
	}
	wg.Wait()
	var out []string
	for _, n := range notes {
		out = append(out, n...)
	}
	return out
}

// playSession plays one session: it begins, then its user says each
// message once the bot answered the one before.
func playSession(ctx context.Context, c *BotCase, m *caseMock, i int, id string) []string {
	if _, err := m.srv.BeginSession(id, c.userOf(i), "", "SDK"); err != nil {
		return []string{fmt.Sprintf("session %d: the mock could not begin it: %v", i+1, err)}
	}
	var notes []string
	for j := range c.Messages {
		if _, err := m.srv.Say(id, mockserver.RoleUser, c.message(i, j)); err != nil {
			return append(notes, fmt.Sprintf("session %d: message %d: the mock could not say it: %v", i+1, j+1, err))
		}
		wctx, cancel := context.WithTimeout(ctx, botAnswerWait)
		switch {
		case c.answered():
			if !waitFor(wctx, func() bool { return finishedIn(m.srv.Streams(), id) > j }) {
				notes = append(notes, fmt.Sprintf("session %d: no finished answer to message %d within %s", i+1, j+1, botAnswerWait))
			}
		default:
			// The bot gets the callback (forged, or answered until the
			// session ends); settleBot watches what it does then.
			m.srv.AwaitCallbacks(wctx, mockserver.CallbackFilter{SessionID: id, Event: mockserver.EventUserSendMsg}, j+1)
		}
		cancel()
	}
	return notes
}

// finishedIn counts the finished streams of a session.
func finishedIn(ss []mockserver.Stream, session string) int {
	n := 0
	for _, s := range ss {
		if s.SessionID == session && s.Finished {
			n++
		}
	}
	return n
}

// waitFor polls cond until it holds or ctx ends.
func waitFor(ctx context.Context, cond func() bool) bool {
	for {
		if cond() {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// settleBot waits until every callback is journaled and the bot has made
// no request for botQuiet.
func settleBot(ctx context.Context, m *caseMock) {
	idle := func() bool {
		st := m.srv.CallbackStatus()
		return st.Queued == 0 && st.InFlight == 0
	}
	for {
		waitFor(ctx, idle)
		before := len(m.exchanges())
		select {
		case <-ctx.Done():
			return
		case <-time.After(botQuiet):
		}
		if idle() && len(m.exchanges()) == before {
			return
		}
	}
}
