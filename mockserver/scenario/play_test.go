package scenario

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakePlayer records the calls a play makes and answers as told.
type fakePlayer struct {
	mu      sync.Mutex
	calls   []string
	fail    Action // the action that fails
	events  int    // how many events each action produces
	replyAt int    // Replied is true from its replyAt-th call on (0: never)
	replied int    // calls of Replied
	state   string // what State answers
}

func (f *fakePlayer) act(a Action, format string, args ...any) ([]Event, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, string(a)+" "+fmt.Sprintf(format, args...))
	if a == f.fail {
		return []Event{{Event: "Tried"}}, errors.New("refused")
	}
	var out []Event
	for i := range f.events {
		out = append(out, Event{Event: fmt.Sprintf("%s.%d", a, i)})
	}
	return out, nil
}

func (f *fakePlayer) Begin(id, u, cs, ch string) ([]Event, error) {
	return f.act(Begin, "%s %s %s %s", id, u, cs, ch)
}
func (f *fakePlayer) UserSay(id, text string) ([]Event, error)  { return f.act(User, "%s", text) }
func (f *fakePlayer) AgentSay(id, text string) ([]Event, error) { return f.act(Agent, "%s", text) }
func (f *fakePlayer) Accept(id, agent string) ([]Event, error)  { return f.act(Accept, "%s", agent) }
func (f *fakePlayer) Transfer(id string, o TransferOptions) ([]Event, error) {
	return f.act(Transfer, "%v %v", o.AgentIDs, o.DisableQueuing)
}
func (f *fakePlayer) AgentEnd(id string) ([]Event, error)    { return f.act(AgentEnd, "") }
func (f *fakePlayer) End(id string) ([]Event, error)         { return f.act(End, "") }
func (f *fakePlayer) Rate(id string, n int) ([]Event, error) { return f.act(Rate, "%d", n) }
func (f *fakePlayer) Silent(id string) ([]Event, error)      { return f.act(Silent, "") }
func (f *fakePlayer) State(id string) string                 { f.mu.Lock(); defer f.mu.Unlock(); return f.state }
func (f *fakePlayer) Replied(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.replied++
	return f.replyAt > 0 && f.replied >= f.replyAt
}

func (f *fakePlayer) called() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// fakeClock lets time pass at once.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
	return ctx.Err()
}

func mustParse(t *testing.T, text string) *Scenario {
	t.Helper()
	sc, err := Parse("test.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func play(t *testing.T, text string, f *fakePlayer, clock Clock) Status {
	t.Helper()
	p := Start(context.Background(), mustParse(t, text), Options{Player: f, Clock: clock, ID: "1", Poll: time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := p.Wait(ctx)
	if err != nil {
		t.Fatalf("the play did not end: %+v", st)
	}
	return st
}

// TestPlayTimings: on a fake clock each step is played at its at, or its
// after past the end of the step before, with its arguments, and reported
// with its events.
func TestPlayTimings(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	f := &fakePlayer{events: 1}
	st := play(t, `
name: timings
sessions:
  - id: 1b4e28ba-2fa1-11d2-883f-0016d3cca427
    user: alice
    customer_service: "@cs"
    channel: SDK
steps:
  - at: 1s
    begin:
  - after: 500ms
    user: hello
  - at: 3s
    transfer: {agent_ids: [ann], disable_queuing: true}
  - accept: {agent: ann}
  - after: 2m
    agent: hi
  - agent_end:
  - rate: 4
  - silent:
  - end:
`, f, clock)
	if st.State != Finished || st.Error != "" || st.Name != "timings" || st.Steps != 9 || len(st.Results) != 9 {
		t.Fatalf("status %+v", st)
	}
	wantOffsets := []string{"1s", "1.5s", "3s", "3s", "2m3s", "2m3s", "2m3s", "2m3s", "2m3s"}
	for i, r := range st.Results {
		if r.Offset != wantOffsets[i] || r.Step != i || r.Session != "1b4e28ba-2fa1-11d2-883f-0016d3cca427" || len(r.Events) != 1 || r.Error != "" {
			t.Errorf("result %d: %+v, want offset %s", i, r, wantOffsets[i])
		}
	}
	want := []string{
		"begin 1b4e28ba-2fa1-11d2-883f-0016d3cca427 alice @cs SDK", "user hello", "transfer [ann] true", "accept ann",
		"agent hi", "agent_end ", "rate 4", "silent ", "end ",
	}
	if got := f.called(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("calls\n%q\nwant\n%q", got, want)
	}
	if st.Ended == nil || !st.Ended.Equal(clock.Now()) || st.Results[1].Events[0].Event != "user.0" {
		t.Errorf("ended %v, events %+v", st.Ended, st.Results[1].Events)
	}
}

// TestPlayFailedStep: a step the player refuses ends the play as failed,
// naming the step and its line; the steps after it are not played.
func TestPlayFailedStep(t *testing.T) {
	f := &fakePlayer{fail: Accept}
	st := play(t, "sessions: [{user: u}]\nsteps:\n  - begin:\n  - accept:\n  - end:\n", f, &fakeClock{})
	if st.State != Failed || len(st.Results) != 2 || st.Results[1].Error != "refused" || len(st.Results[1].Events) != 1 {
		t.Fatalf("status %+v", st)
	}
	if want := "step 1 (line 4, accept): refused"; st.Error != want {
		t.Errorf("error %q, want %q", st.Error, want)
	}
	if got := f.called(); len(got) != 2 {
		t.Errorf("calls %q: end was played", got)
	}
}

// TestPlayWaitFor: wait_for polls until the bot replied or the state is
// reached; past its timeout the play fails saying what it waited for.
func TestPlayWaitFor(t *testing.T) {
	tests := []struct {
		name, wait string
		f          *fakePlayer
		state      string
		err        string
	}{
		{"reply", "{reply: true}", &fakePlayer{replyAt: 3}, Finished, ""},
		{"state", "{state: Agent}", &fakePlayer{state: "Agent"}, Finished, ""},
		{"no reply", "{reply: true, timeout: 30ms}", &fakePlayer{}, Failed,
			"step 1 (line 4, wait_for): no finished answer of the bot to the user's last message within 30ms"},
		{"other state", "{state: Agent, timeout: 30ms}", &fakePlayer{state: "Queueing"}, Failed,
			"step 1 (line 4, wait_for): the session is Queueing, not Agent, after 30ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := play(t, "sessions: [{user: u}]\nsteps:\n  - begin:\n  - wait_for: "+tt.wait+"\n  - end:\n", tt.f, nil)
			if st.State != tt.state || st.Error != tt.err {
				t.Fatalf("state %s, error %q; want %s, %q", st.State, st.Error, tt.state, tt.err)
			}
			if tt.f.replyAt > 0 && tt.f.replied != tt.f.replyAt {
				t.Errorf("Replied called %d times, want %d", tt.f.replied, tt.f.replyAt)
			}
		})
	}
}

// TestPlayStop: Stop ends a play waiting for its next step; the status
// says stopped and keeps the steps played.
func TestPlayStop(t *testing.T) {
	f := &fakePlayer{}
	p := Start(context.Background(), mustParse(t, "sessions: [{user: u}]\nsteps:\n  - begin:\n  - after: 1h\n    end:\n"), Options{Player: f})
	for len(p.Status().Results) == 0 {
		time.Sleep(time.Millisecond)
	}
	p.Stop()
	st := p.Status()
	if st.State != Stopped || len(st.Results) != 1 || st.Error != "stopped before step 1 (line 4)" || st.Ended == nil {
		t.Fatalf("status %+v", st)
	}
	if got := f.called(); len(got) != 1 {
		t.Errorf("calls %q", got)
	}
}

// TestPlaySessionIDs: a session without an id gets a new UUID each play.
func TestPlaySessionIDs(t *testing.T) {
	sc := mustParse(t, "sessions: [{user: u}]\nsteps:\n  - begin:\n")
	var ids []string
	for range 2 {
		p := Start(context.Background(), sc, Options{Player: &fakePlayer{}, Clock: &fakeClock{}})
		st, _ := p.Wait(context.Background())
		id := st.Sessions[0].ID
		if !validSessionID(id) || id[14] != '4' || st.Sessions[0].Name != "main" || st.Results[0].Session != id {
			t.Errorf("session %+v, step on %s", st.Sessions[0], st.Results[0].Session)
		}
		ids = append(ids, id)
	}
	if ids[0] == ids[1] {
		t.Errorf("two plays share the session %s", ids[0])
	}
}

// TestPlayBoundsEvents: a step's result keeps 8 events and counts the
// others.
func TestPlayBoundsEvents(t *testing.T) {
	st := play(t, "sessions: [{user: u}]\nsteps:\n  - begin:\n", &fakePlayer{events: 11}, &fakeClock{})
	if r := st.Results[0]; len(r.Events) != 8 || r.MoreEvents != 3 || r.Events[7].Event != "begin.7" {
		t.Errorf("result %+v", r)
	}
}
