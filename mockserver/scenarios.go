package mockserver

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/deskmock/deskmock/mockserver/scenario"
)

// Scenarios are played on the server through scenarioPlayer, the one place
// that maps a scenario's actions to the server's Go API.

// scenarioPlayer is the server as a scenario.Player: one method an action.
type scenarioPlayer struct{ s *Server }

func (p scenarioPlayer) Begin(id, user, cs, channel string) ([]scenario.Event, error) {
	return scenarioEvents(p.s.BeginSession(id, user, cs, channel))
}

func (p scenarioPlayer) UserSay(id, text string) ([]scenario.Event, error) {
	return scenarioEvents(p.s.Say(id, RoleUser, text))
}

func (p scenarioPlayer) AgentSay(id, text string) ([]scenario.Event, error) {
	return scenarioEvents(p.s.Say(id, RoleService, text))
}

func (p scenarioPlayer) Accept(id, agent string) ([]scenario.Event, error) {
	return scenarioEvents(p.s.AcceptSession(id, agent))
}

func (p scenarioPlayer) AgentEnd(id string) ([]scenario.Event, error) {
	return scenarioEvents(p.s.AgentEndSession(id))
}

// Transfer hands the session to a human as transfer_to_human does.
func (p scenarioPlayer) Transfer(id string, o scenario.TransferOptions) ([]scenario.Event, error) {
	return scenarioEvents(p.s.TransferSession(id, TransferRequest{AgentIDList: o.AgentIDs, AgentGroupID: o.AgentGroupID,
		CheckWorkingHours: o.CheckWorkingHours, EndSessionWhenNoMemberOnline: o.EndSessionWhenNoMemberOnline,
		DisableQueuing: o.DisableQueuing, AllowAssignBusyMember: o.AllowAssignBusyMember,
		SendTipIfNoAgentOnline: o.SendTipIfNoAgentOnline, SendPromptNotDuringWorkingHours: o.SendPromptNotDuringWorkingHours,
		Priority: o.Priority, QueueTimeout: o.QueueTimeout}))
}

// End ends the session from outside, whatever its phase
// (AdminEndedSession).
func (p scenarioPlayer) End(id string) ([]scenario.Event, error) {
	before := p.s.DeskSession(id)
	if before.CurrentState == DeskNotInSession {
		return nil, errSessionState
	}
	err := p.s.EndSession(id)
	return scenarioEvents(newEvents(before.Events, p.s.DeskSession(id).Events), err)
}

// Rate has the user rate the session.
func (p scenarioPlayer) Rate(id string, stars int) ([]scenario.Event, error) {
	return scenarioEvents(p.s.RateSession(id, stars))
}

// Silent has the user go silent.
func (p scenarioPlayer) Silent(id string) ([]scenario.Event, error) {
	return scenarioEvents(p.s.UserSilent(id))
}

func (p scenarioPlayer) State(id string) string { return string(p.s.DeskSession(id).CurrentState) }

// Replied reports whether the bot (the session's customer-service account)
// has a finished message newer than the user's last one: a send_msg, or
// a stream that ended with its last chunk.
func (p scenarioPlayer) Replied(id string) bool {
	cs := p.s.DeskSession(id).CustomerServiceID
	if cs == "" {
		cs = p.s.life.defaultCS()
	}
	msgs := p.s.messages.of(id)
	for i := len(msgs) - 1; i >= 0; i-- {
		m := msgs[i]
		switch {
		case m.Role == RoleUser:
			return false
		case m.Role != RoleService || m.From != cs:
		case m.MsgKey == "":
			return true
		default:
			if st, ok := p.s.Stream(m.MsgKey); ok && st.Finished {
				return true
			}
		}
	}
	return false
}

// newEvents returns the events of after that before does not end with:
// after less the longest part of it that was already there.
func newEvents(before, after []DeskEvent) []DeskEvent {
	if len(before) == 0 {
		return after
	}
	last := before[len(before)-1]
	for i := len(after) - 1; i >= 0; i-- {
		if after[i] == last {
			return after[i+1:]
		}
	}
	return after // the life began again (begin after an end)
}

// scenarioEvents converts the events an action produced for a scenario's
// report, passing its error on.
func scenarioEvents(events []DeskEvent, err error) ([]scenario.Event, error) {
	out := make([]scenario.Event, len(events))
	for i, e := range events {
		out[i] = scenario.Event{Event: e.Event, SessionID: e.SessionID, Time: e.Time, AgentID: e.AgentID, Satisfaction: e.Satisfaction}
	}
	return out, err
}

// serverClock is the server's clock when it is not the wall clock
// (Config.Clock, WithClock): a scenario's at and after move it forward at
// once instead of waiting.
type serverClock struct{ s *Server }

func (c serverClock) Now() time.Time { return c.s.now() }

func (c serverClock) Sleep(ctx context.Context, d time.Duration) error {
	c.s.clock.advance(d)
	return ctx.Err()
}

// MaxScenarios bounds the plays the server keeps, running or ended:
// each keeps its scenario (from at most 1 MiB of text) and its steps'
// results (at most 1000, of 8 events and 512 bytes of error each), about
// 3 MiB, 24 MiB in all.
const MaxScenarios = 8

// ErrTooManyScenarios is the error of a scenario started while
// MaxScenarios are running.
var ErrTooManyScenarios = errors.New("mockserver: 8 scenarios are running already; stop one (DELETE /__admin/scenarios/{id})")

// scenarioBoard keeps the plays, oldest first.
type scenarioBoard struct {
	mu    sync.Mutex
	plays []*scenario.Play
	ids   []string
	next  int
}

// PlayScenario starts playing a scenario on the server, in the background,
// until its end, a failed step, StopScenario or the end of ctx; source says
// where it came from (a file's name). The steps' at and after are real
// time, unless the server's clock is not the wall clock (Config.Clock):
// then they move the server's clock forward at once. wait_for's timeout is
// always real time. The play's status is Scenarios'; at most 8 plays are
// kept, and a ninth is refused while 8 are running.
func (s *Server) PlayScenario(ctx context.Context, sc *scenario.Scenario, source string) (*scenario.Play, error) {
	b := &s.plays
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.plays) == MaxScenarios {
		i := 0
		for i < len(b.plays) && !ended(b.plays[i]) {
			i++
		}
		if i == len(b.plays) {
			return nil, ErrTooManyScenarios
		}
		b.plays, b.ids = append(b.plays[:i], b.plays[i+1:]...), append(b.ids[:i], b.ids[i+1:]...)
	}
	b.next++
	id := strconv.Itoa(b.next)
	opts := scenario.Options{Player: scenarioPlayer{s}, Log: s.log, ID: id, Source: source}
	if s.cfg.Clock != nil {
		opts.Clock = serverClock{s}
	}
	p := scenario.Start(ctx, sc, opts)
	b.plays, b.ids = append(b.plays, p), append(b.ids, id)
	return p, nil
}

func ended(p *scenario.Play) bool {
	select {
	case <-p.Done():
		return true
	default:
		return false
	}
}

// Scenarios returns the status of the plays the server keeps, oldest
// first.
func (s *Server) Scenarios() []scenario.Status {
	s.plays.mu.Lock()
	plays := append([]*scenario.Play(nil), s.plays.plays...)
	s.plays.mu.Unlock()
	out := make([]scenario.Status, len(plays))
	for i, p := range plays {
		out[i] = p.Status()
	}
	return out
}

// scenarioPlay returns the play of an ID, or nil.
func (s *Server) scenarioPlay(id string) *scenario.Play {
	s.plays.mu.Lock()
	defer s.plays.mu.Unlock()
	for i, pid := range s.plays.ids {
		if pid == id {
			return s.plays.plays[i]
		}
	}
	return nil
}

// StopScenario stops a play and waits for it; false when the server keeps
// no play of that ID.
func (s *Server) StopScenario(id string) bool {
	p := s.scenarioPlay(id)
	if p != nil {
		p.Stop()
	}
	return p != nil
}

// StopScenarios stops every play and forgets them all.
func (s *Server) StopScenarios() {
	s.plays.mu.Lock()
	plays := s.plays.plays
	s.plays.plays, s.plays.ids = nil, nil
	s.plays.mu.Unlock()
	for _, p := range plays {
		p.Stop()
	}
}
