package scenario

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/deskmock/deskmock/internal/textcut"
)

// Player is what a scenario plays on, one method an action: a server
// (mockserver's *Server, through its adapter). Each action returns the
// events it made the session produce; an action the server cannot play
// returns an error wrapping ErrNotSupported.
type Player interface {
	Begin(id, user, customerService, channel string) ([]Event, error)
	UserSay(id, text string) ([]Event, error)
	AgentSay(id, text string) ([]Event, error)
	Accept(id, agentID string) ([]Event, error)
	Transfer(id string, opts TransferOptions) ([]Event, error)
	AgentEnd(id string) ([]Event, error)
	End(id string) ([]Event, error)
	Rate(id string, stars int) ([]Event, error)
	Silent(id string) ([]Event, error)
	// State returns the session's state, as get_session_state names it.
	State(id string) string
	// Replied reports whether the bot has a finished message in the
	// session (a stream that ended, or a send_msg) newer than the user's
	// last message.
	Replied(id string) bool
}

// Clock is the time a play keeps between its steps.
type Clock interface {
	Now() time.Time
	// Sleep lets d pass, or returns ctx's error when ctx ends first.
	Sleep(ctx context.Context, d time.Duration) error
}

// RealClock is the wall clock: a play on it waits as long as its steps
// say.
type RealClock struct{}

// Now returns the time.
func (RealClock) Now() time.Time { return time.Now() }

// Sleep waits d or until ctx ends.
func (RealClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// States of a play.
const (
	Running  = "running"
	Finished = "finished" // every step played
	Failed   = "failed"   // a step failed; the steps after it were not played
	Stopped  = "stopped"  // stopped (Stop, or its context ended) before its end
)

// maxStepEvents bounds the events a step's result keeps; Events.More
// counts the rest.
const maxStepEvents = 8

// maxErrorBytes bounds a step's error as a result keeps it.
const maxErrorBytes = 512

// StepResult is what one step did.
type StepResult struct {
	// Step is the step's index in the scenario, Line its line in the file.
	Step   int    `json:"step"`
	Line   int    `json:"line"`
	Action Action `json:"action"`
	// Session is the SessionId the step acted on.
	Session string `json:"session_id"`
	// Time is when the step was played, on the play's clock; Offset is
	// that time from the play's start.
	Time   time.Time `json:"time"`
	Offset string    `json:"offset"`
	// Events are the events the step produced (at most 8; MoreEvents
	// counts the others).
	Events     []Event `json:"events"`
	MoreEvents int     `json:"more_events,omitempty"`
	// Error says why the step failed; empty when it did not.
	Error string `json:"error,omitempty"`
}

// SessionID names a scenario's session and the SessionId it has in a play.
type SessionID struct {
	Name string `json:"name"`
	ID   string `json:"session_id"`
}

// Status is the state of a play and what its steps did.
type Status struct {
	ID string `json:"id"`
	// Name is the scenario's name; Source says where it came from (a file,
	// the admin API).
	Name     string      `json:"name"`
	Source   string      `json:"source,omitempty"`
	State    string      `json:"state"`
	Started  time.Time   `json:"started"`
	Ended    *time.Time  `json:"ended,omitempty"`
	Sessions []SessionID `json:"sessions"`
	// Steps is how many steps the scenario has; Results are those played,
	// in order.
	Steps   int          `json:"steps"`
	Results []StepResult `json:"results"`
	// Error is the first step's error, or why the play stopped.
	Error string `json:"error,omitempty"`
}

// Options say how to play a scenario.
type Options struct {
	// Player is the server the steps act on.
	Player Player
	// Clock times the steps; nil is RealClock. wait_for's timeout is
	// always real time: what it waits for is a client's call.
	Clock Clock
	// Log receives a line per step (Info, Warn when the step failed) and
	// one at the end; nil logs nothing.
	Log *slog.Logger
	// ID names the play in its status and log; Source says where the
	// scenario came from.
	ID, Source string
	// Poll is how often wait_for looks at the session; 0 is 20ms.
	Poll time.Duration
}

// Play is a scenario being played, or played.
type Play struct {
	sc     *Scenario
	opts   Options
	ids    []string
	cancel context.CancelFunc
	done   chan struct{}

	mu     sync.Mutex
	status Status
}

// Start plays a scenario in the background until its end, a failed step,
// Stop or the end of ctx. Sessions without an ID get a new random one.
func Start(ctx context.Context, sc *Scenario, opts Options) *Play {
	if opts.Clock == nil {
		opts.Clock = RealClock{}
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Poll <= 0 {
		opts.Poll = 20 * time.Millisecond
	}
	ctx, cancel := context.WithCancel(ctx)
	p := &Play{sc: sc, opts: opts, cancel: cancel, done: make(chan struct{})}
	p.status = Status{ID: opts.ID, Name: sc.Name, Source: opts.Source, State: Running, Started: opts.Clock.Now(),
		Steps: len(sc.Steps), Results: []StepResult{}}
	for _, s := range sc.Sessions {
		id := s.ID
		if id == "" {
			id = newSessionID()
		}
		p.ids = append(p.ids, id)
		p.status.Sessions = append(p.status.Sessions, SessionID{Name: s.Name, ID: id})
	}
	go p.run(ctx)
	return p
}

// newSessionID returns a random UUID (version 4).
func newSessionID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// Status returns a copy of the play's status.
func (p *Play) Status() Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.status
	st.Sessions = append([]SessionID(nil), st.Sessions...)
	st.Results = append([]StepResult{}, st.Results...)
	if st.Ended != nil {
		t := *st.Ended
		st.Ended = &t
	}
	return st
}

// Stop stops the play (a step being played finishes) and waits for it.
func (p *Play) Stop() {
	p.cancel()
	<-p.done
}

// Done is closed when the play has ended.
func (p *Play) Done() <-chan struct{} { return p.done }

// Wait waits until the play ends, or ctx does, and returns its status.
func (p *Play) Wait(ctx context.Context) (Status, error) {
	select {
	case <-p.done:
		return p.Status(), nil
	case <-ctx.Done():
		return p.Status(), ctx.Err()
	}
}

func (p *Play) run(ctx context.Context) {
	defer close(p.done)
	defer p.cancel()
	clock, log := p.opts.Clock, p.opts.Log.With("play", p.opts.ID, "scenario", p.sc.Name)
	start := clock.Now()
	prevEnd := start
	for i, st := range p.sc.Steps {
		target := prevEnd.Add(st.After)
		if st.HasAt {
			target = start.Add(st.At)
		}
		if d := target.Sub(clock.Now()); d > 0 {
			if err := clock.Sleep(ctx, d); err != nil {
				p.end(log, Stopped, fmt.Sprintf("stopped before step %d (line %d)", i, st.Line))
				return
			}
		}
		if ctx.Err() != nil {
			p.end(log, Stopped, fmt.Sprintf("stopped before step %d (line %d)", i, st.Line))
			return
		}
		now := clock.Now()
		res := StepResult{Step: i, Line: st.Line, Action: st.Action, Session: p.ids[st.Session], Time: now, Offset: now.Sub(start).String()}
		events, err := p.do(ctx, st, p.ids[st.Session])
		if len(events) > maxStepEvents {
			res.MoreEvents = len(events) - maxStepEvents
			events = events[:maxStepEvents]
		}
		res.Events = append([]Event{}, events...)
		if err != nil {
			res.Error = textcut.Cut(err.Error(), maxErrorBytes)
		}
		p.mu.Lock()
		p.status.Results = append(p.status.Results, res)
		p.mu.Unlock()
		attrs := []any{"step", i, "line", st.Line, "action", string(st.Action), "session_id", res.Session, "offset", res.Offset, "events", res.EventNames()}
		if err != nil {
			log.Warn("scenario step failed", append(attrs, "error", res.Error)...)
			if ctx.Err() != nil {
				p.end(log, Stopped, res.Error)
			} else {
				p.end(log, Failed, fmt.Sprintf("step %d (line %d, %s): %s", i, st.Line, st.Action, res.Error))
			}
			return
		}
		log.Info("scenario step", attrs...)
		prevEnd = clock.Now()
	}
	p.end(log, Finished, "")
}

// end records the play's end and logs it.
func (p *Play) end(log *slog.Logger, state, msg string) {
	now := p.opts.Clock.Now()
	p.mu.Lock()
	p.status.State, p.status.Error, p.status.Ended = state, msg, &now
	p.mu.Unlock()
	if state == Finished {
		log.Info("scenario finished", "steps", len(p.sc.Steps))
	} else {
		log.Warn("scenario "+state, "error", msg)
	}
}

// EventNames joins the names of the step's events with commas, as the
// log writes them.
func (r StepResult) EventNames() string {
	names := make([]string, len(r.Events))
	for i, e := range r.Events {
		names[i] = e.Event
	}
	return strings.Join(names, ",")
}

// do plays one step's action on a session.
func (p *Play) do(ctx context.Context, st Step, id string) ([]Event, error) {
	pl := p.opts.Player
	sess := p.sc.Sessions[st.Session]
	switch st.Action {
	case Begin:
		return pl.Begin(id, sess.User, sess.CustomerService, sess.Channel)
	case User:
		return pl.UserSay(id, st.Text)
	case Agent:
		return pl.AgentSay(id, st.Text)
	case Accept:
		return pl.Accept(id, st.AgentID)
	case Transfer:
		return pl.Transfer(id, *st.Transfer)
	case AgentEnd:
		return pl.AgentEnd(id)
	case End:
		return pl.End(id)
	case Rate:
		return pl.Rate(id, st.Stars)
	case Silent:
		return pl.Silent(id)
	case WaitFor:
		return nil, p.wait(ctx, id, *st.Wait)
	}
	return nil, fmt.Errorf("unknown action %q", st.Action)
}

// errWaitTimeout is the error of a wait_for that timed out.
var errWaitTimeout = errors.New("timed out")

// wait polls the session until the wait's condition holds, its timeout
// (real time) passes or ctx ends.
func (p *Play) wait(ctx context.Context, id string, w Wait) error {
	ctx, cancel := context.WithTimeoutCause(ctx, w.Timeout, errWaitTimeout)
	defer cancel()
	tick := time.NewTicker(p.opts.Poll)
	defer tick.Stop()
	for {
		if w.Reply && p.opts.Player.Replied(id) || w.State != "" && p.opts.Player.State(id) == w.State {
			return nil
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			if errors.Is(context.Cause(ctx), errWaitTimeout) {
				if w.Reply {
					return fmt.Errorf("no finished answer of the bot to the user's last message within %s", w.Timeout)
				}
				return fmt.Errorf("the session is %s, not %s, after %s", p.opts.Player.State(id), w.State, w.Timeout)
			}
			return ctx.Err()
		}
	}
}
