package mockserver

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The faults of a callback: what a fault rule with match.callback does
// (action.callback), and the trigger accounts that do it with no rule.
const (
	// CallbackTwice delivers the callback twice: the same request, its
	// RequestID, Sign and RequestTime too, once the first delivery is
	// done.
	CallbackTwice = "twice"
	// CallbackOutOfOrder delivers the callback after the next one of its
	// conversation (which goes first); with none within 2 s, alone.
	CallbackOutOfOrder = "out_of_order"
	// CallbackWrongApp forges the callback: the SdkAppid of another app of
	// the configuration (or one no app has).
	CallbackWrongApp = "wrong_sdkappid"
	// CallbackBadSign forges the callback: a Sign the token does not give
	// (present even without a token).
	CallbackBadSign = "bad_sign"
	// CallbackStaleTime sends a RequestTime 120 s old, rightly signed:
	// past the vendor's 60 s window.
	CallbackStaleTime = "stale_time"
	// callbackLate is the trigger's name for a delay (a rule's delay_ms).
	callbackLate = "late"
)

// CallbackFaults are the actions of a rule of callbacks, and the suffixes
// of the trigger accounts (with "late": 3 s later).
var CallbackFaults = []string{CallbackTwice, CallbackOutOfOrder, CallbackWrongApp, CallbackBadSign, CallbackStaleTime}

// callbackTriggerPrefix starts a trigger account: a ClientUserId (Desk) or
// From_Account (chatbots) "trigger-callback-ACTION" (ACTION as in
// CallbackFaults, with "-" for "_", or "late") has every callback of its
// conversation so shaped.
const callbackTriggerPrefix = "trigger-callback-"

// triggerLateDelay is how late the trigger "late" delivers (inferred: past
// the 2 s a real callback takes at most).
const triggerLateDelay = 3 * time.Second

// CallbackTrigger returns the trigger account of a callback fault (one of
// CallbackFaults, or "late").
func CallbackTrigger(action string) string {
	return callbackTriggerPrefix + strings.ReplaceAll(action, "_", "-")
}

// calloutFault is what shapes a callback.
type calloutFault struct {
	name    string // "RULE:ACTION", or the trigger account
	delay   time.Duration
	twice   bool
	swap    bool
	swapped bool // swap done: it went after the next one
	// wrongApp, badSign and stale forge the query.
	wrongApp, badSign, stale bool
}

// validCallback checks the callback fields of a rule: a rule of callbacks
// matches and does only what a callback can.
func (f *Fault) validCallback() error {
	m, a := &f.Match, &f.Action
	if a.Callback != "" && !slices.Contains(CallbackFaults, a.Callback) {
		return fmt.Errorf("action/callback: %q is none of %s", a.Callback, strings.Join(CallbackFaults, ", "))
	}
	if m.Callback == "" {
		if a.Callback != "" {
			return errors.New("action/callback: goes with match/callback")
		}
		return nil
	}
	switch {
	case len(m.Callback) > maxEventNameBytes:
		return fmt.Errorf("match/callback: longer than %d bytes", maxEventNameBytes)
	case m.Endpoint != "" || m.Call != 0 || m.ChunkContains != "" || m.HasMsgKey != nil || m.Finish != nil:
		return errors.New("match/callback: goes with session_id, conversation and nth only")
	case a.ErrorCode != 0 || a.HTTPStatus != 0 || a.Reset || a.Truncate || len(a.KeyOrder) > 0:
		return errors.New("action: a rule of callbacks takes callback and delay_ms only")
	}
	return nil
}

// calloutFault returns how the fault rules and triggers shape a callback;
// user is the account whose trigger counts.
func (s *Server) calloutFault(it *callout, user string) calloutFault {
	name := it.event
	if name == "" {
		name = it.command
	}
	if f, ok := s.faults.fire(&arrival{nth: it.seq, callback: name, sessionID: it.sessionID, conversation: it.conversation}); ok {
		s.ui.hub.notify(eventFaults)
		out := shapeCallout(f.Action.Callback, time.Duration(f.Action.DelayMS)*time.Millisecond)
		out.name = f.ID + ":" + f.Action.name()
		return out
	}
	if action, ok := strings.CutPrefix(user, callbackTriggerPrefix); ok {
		action = strings.ReplaceAll(action, "-", "_")
		if action == callbackLate || slices.Contains(CallbackFaults, action) {
			out := shapeCallout(action, 0)
			if action == callbackLate {
				out.delay = s.callbacks.lateDelay
			}
			out.name = "trigger:" + user
			return out
		}
	}
	return calloutFault{}
}

// shapeCallout returns the fault of an action, after delay.
func shapeCallout(action string, delay time.Duration) calloutFault {
	return calloutFault{
		delay:    delay,
		twice:    action == CallbackTwice,
		swap:     action == CallbackOutOfOrder,
		wrongApp: action == CallbackWrongApp,
		badSign:  action == CallbackBadSign,
		stale:    action == CallbackStaleTime,
	}
}
