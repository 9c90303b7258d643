package calibrate

import (
	"time"

	"github.com/deskmock/deskmock/mockserver/codes"
)

// Outcome is the verdict on one probe.
type Outcome string

// Outcomes of a probe.
const (
	// Match: the upstream and the mock gave the same code and ErrorInfo.
	Match Outcome = "match"
	// Differ: both answered in the vendor's envelope, differently.
	Differ Outcome = "differ"
	// NotProvoked: the upstream does not apply the probe's check before the
	// probe's Else check, so its answer says nothing about the row.
	NotProvoked Outcome = "not-provoked"
	// Failed: one side gave no usable answer (network error, timeout,
	// an HTTP status other than 200, a body that is not the envelope).
	Failed Outcome = "error"
	// Skipped: the probe was not sent.
	Skipped Outcome = "skipped"
)

// Answer is what one side answered to a probe.
type Answer struct {
	// Status is the HTTP status; 0 when no reply came.
	Status int `json:"status"`
	// Code and Info are the envelope's ErrorCode and ErrorInfo.
	Code int    `json:"code"`
	Info string `json:"info"`
	// MsgKey is the envelope's MsgKey (StreamMsgID on the native
	// streams), on success.
	MsgKey string `json:"msg_key,omitempty"`
	// Members are the reply's members besides the envelope's
	// (ActionStatus, ErrorCode, ErrorInfo, RequestId), each as NAME:TYPE
	// (its JSON type), sorted: what a probe with Shape compares.
	Members string `json:"members,omitempty"`
	// Error says why there is no usable envelope; "" when there is one.
	Error string `json:"error,omitempty"`
	// Millis is the time to the whole reply.
	Millis float64 `json:"ms"`
}

// OK reports whether the answer is an envelope that can be compared.
func (a *Answer) OK() bool { return a != nil && a.Error == "" }

// Result is the verdict on one probe.
type Result struct {
	// Probe, API, Check and What are the probe's.
	Probe   string      `json:"probe"`
	API     string      `json:"api"`
	Check   codes.Check `json:"check,omitempty"`
	What    string      `json:"what"`
	Outcome Outcome     `json:"outcome"`
	// Note explains an outcome other than a match.
	Note string `json:"note,omitempty"`
	// Request is what was (or would be) sent, UserSig redacted.
	Method string `json:"method"`
	Target string `json:"target"`
	Body   string `json:"body,omitempty"`
	// BodyBytes is the length of the body sent, which Body may be cut
	// short of.
	BodyBytes int `json:"body_bytes,omitempty"`
	// Upstream and Mock are the two answers; nil when not asked.
	Upstream *Answer `json:"upstream,omitempty"`
	Mock     *Answer `json:"mock,omitempty"`
	// At is when the upstream answered.
	At time.Time `json:"at,omitzero"`
	// Override is the code override this probe calls for, if any, and
	// the key it is written under in the configuration's codes: the check,
	// or the API and the check when the APIs call for different ones.
	Override    *codes.Override `json:"override,omitempty"`
	OverrideKey codes.Check     `json:"override_key,omitempty"`
}

// Summary counts the outcomes.
type Summary struct {
	// Probes counts every probe; the next five count them by outcome.
	Probes      int `json:"probes"`
	Match       int `json:"match"`
	Differ      int `json:"differ"`
	NotProvoked int `json:"not_provoked"`
	Failed      int `json:"error"`
	Skipped     int `json:"skipped"`
	// Requests counts the requests sent to the upstream.
	Requests int `json:"upstream_requests"`
	// Parity is true when no probe differed and none failed.
	Parity bool `json:"parity"`
}

// Report is the result of a calibration run.
type Report struct {
	// Upstream is the base URL probed.
	Upstream string `json:"upstream"`
	// SDKAppID and Identifier are the app and administrator probed as.
	SDKAppID   uint64 `json:"sdkappid"`
	Identifier string `json:"identifier"`
	// Session, Account and Group are the live conversations, when live
	// probes were allowed.
	Session string `json:"session,omitempty"`
	Account string `json:"account,omitempty"`
	Group   string `json:"group,omitempty"`
	// Robot is the chatbot that streamed, when live probes were allowed.
	Robot string `json:"robot,omitempty"`
	// Started is when the run began; Duration is how long it took.
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration_ns"`
	// Results has one entry per probe, in the order they ran.
	Results []Result `json:"results"`
	// Unprobed are the rows of the table no probe provokes.
	Unprobed []Unprobed `json:"unprobed"`
	// Overrides are the code overrides that make the mock answer like the
	// upstream, by check.
	Overrides map[codes.Check]codes.Override `json:"overrides"`
	// Exchanges are the upstream's exchanges, UserSig redacted. There are
	// at most Options.MaxRequests of them, each with at most
	// MaxJournalBody + MaxJournalReply bytes of bodies.
	Exchanges []Exchange `json:"exchanges"`
	// Summary counts the outcomes.
	Summary Summary `json:"summary"`
}

// summarize counts the outcomes of r.
func (r *Report) summarize() {
	s := Summary{Probes: len(r.Results), Requests: len(r.Exchanges)}
	for _, res := range r.Results {
		switch res.Outcome {
		case Match:
			s.Match++
		case Differ:
			s.Differ++
		case NotProvoked:
			s.NotProvoked++
		case Failed:
			s.Failed++
		case Skipped:
			s.Skipped++
		}
	}
	s.Parity = s.Differ == 0 && s.Failed == 0
	r.Summary = s
}
