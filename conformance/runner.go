package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"time"
)

// Defaults of Options.
const (
	// DefaultTimeout is the per-case timeout.
	DefaultTimeout = 30 * time.Second
	// DefaultGrace is how long a client has between SIGTERM and SIGKILL.
	DefaultGrace = 2 * time.Second
)

// DefaultParallel is how many cases run at once by default. Clients
// mostly wait on the network, so it is more than the number of CPUs.
func DefaultParallel() int { return max(4, 2*runtime.NumCPU()) }

// Options configure a run.
type Options struct {
	// Command is the client command and its arguments; required.
	Command []string
	// Dir is the client's working directory; "" means the runner's.
	Dir string
	// Cases are the cases to run, in order.
	Cases []Case
	// Parallel is how many cases run at once; 0 means DefaultParallel.
	Parallel int
	// Timeout bounds each case's client; 0 means DefaultTimeout.
	Timeout time.Duration
	// Grace is the time between SIGTERM and SIGKILL; 0 means
	// DefaultGrace.
	Grace time.Duration
	// KnownFailing names the cases known to fail.
	KnownFailing map[string]bool
	// OnCase, when set, is called with each result in case order, as
	// soon as the result and those before it are ready.
	OnCase func(CaseResult)
}

// ErrNoCommand is returned by Run when Options.Command is empty.
var ErrNoCommand = errors.New("conformance: no client command")

// Run runs every case against the client and grades it. A fresh mock
// serves each case. When ctx ends, running clients are stopped and the
// cases not started are reported as not run.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if len(opts.Command) == 0 {
		return nil, ErrNoCommand
	}
	if opts.Parallel <= 0 {
		opts.Parallel = DefaultParallel()
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Grace <= 0 {
		opts.Grace = DefaultGrace
	}
	rep := &Report{Command: opts.Command, Started: time.Now(), Timeout: opts.Timeout, Checks: Checks()}
	rep.Cases = runPool(ctx, opts.Parallel, len(opts.Cases), opts.OnCase, func(i int) (CaseResult, bool) {
		c := &opts.Cases[i]
		if ctx.Err() != nil {
			return CaseResult{Name: c.Name, Description: c.Description, File: c.File, Error: "not run: interrupted"}, opts.KnownFailing[c.Name]
		}
		return runCase(ctx, c, opts), opts.KnownFailing[c.Name]
	})
	rep.Duration = time.Since(rep.Started)
	rep.Summary = summarize(rep.Cases)
	return rep, nil
}

// runCase runs one case: a fresh mock, the client once, then the checks.
func runCase(ctx context.Context, c *Case, opts Options) (r CaseResult) {
	r = CaseResult{Name: c.Name, Description: c.Description, File: c.File}
	start := time.Now()
	defer func() { r.Duration = time.Since(start) }()

	m, err := startMock(c)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	in, err := c.input(m.cfg, m.url, time.Now())
	if err != nil {
		m.stop()
		r.Error = err.Error()
		return r
	}
	r.Input = redacted(in)
	stdin, err := json.Marshal(in)
	if err != nil {
		m.stop()
		r.Error = "conformance: encoding the input: " + err.Error()
		return r
	}
	run := runClient(ctx, clientSpec{
		command: opts.Command,
		dir:     opts.Dir,
		env:     in.Env(),
		stdin:   append(stdin, '\n'),
		timeout: opts.Timeout,
		grace:   opts.Grace,
	})
	m.stop()

	chunks := c.Chunks()
	ep := c.Endpoint()
	ev := &evidence{
		c:       c,
		ep:      ep,
		in:      in,
		chunks:  chunks,
		streams: m.srv.Streams(),
		run:     run,
	}
	ev.setRequests(analyze(m.exchanges(), chunks, ep))
	if !run.TimedOut && run.Error == "" {
		a, err := parseAnswer(run.Stdout)
		if err != nil {
			ev.answerErr = err
		} else {
			ev.answer = &a
		}
	}
	r.Client = run
	r.Answer = ev.answer
	r.Checks = grade(ev)
	r.Transcript = transcript(ev.requests, len(chunks), run.Started, m.rules)
	noteSessionEnd(r.Transcript, ev.requests, c.Mock.EndSessionAfterCall)
	r.Streams = streamResults(ev.streams)
	return r
}

// noteSessionEnd marks the call after which the case's mock ended the
// session (mock.end_session_after_call: the nth call to the stream).
func noteSessionEnd(entries []Entry, calls []call, n int) {
	seen := 0
	for i := range calls {
		if calls[i].kind == deskCall || calls[i].stray {
			continue
		}
		if seen++; seen == n {
			entries[i].Role += "; then the session ended (mock.end_session_after_call)"
			return
		}
	}
}
