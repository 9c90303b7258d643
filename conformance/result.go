package conformance

import (
	"time"
)

// Status is the verdict on one case.
type Status string

// Case statuses.
const (
	// StatusPass: every MUST and SHOULD check passed.
	StatusPass Status = "pass"
	// StatusWarn: every MUST check passed, a SHOULD check failed.
	StatusWarn Status = "warn"
	// StatusFail: a MUST check failed, or the case could not run.
	StatusFail Status = "fail"
	// StatusKnownFail: a MUST check failed, and the case is listed as
	// known to fail; it does not fail the run.
	StatusKnownFail Status = "known-fail"
	// StatusStale: the case is listed as known to fail but passed; it fails
	// the run, so that the list is kept up to date.
	StatusStale Status = "stale"
)

// Report is the result of a run, as every report format renders it.
type Report struct {
	// Command is the client command (the bot's, with Bot).
	Command []string `json:"command"`
	// Bot is true for a run of the bot cases: each case's transcript
	// interleaves the callbacks to the bot and the bot's calls.
	Bot bool `json:"bot,omitempty"`
	// Started is when the run started.
	Started time.Time `json:"started"`
	// Duration is how long the run took.
	Duration time.Duration `json:"duration_ns"`
	// Timeout is the per-case timeout.
	Timeout time.Duration `json:"timeout_ns"`
	// Checks describes every check, in report order.
	Checks []CheckInfo `json:"checks"`
	// Cases are the results of the cases run, in suite order.
	Cases []CaseResult `json:"cases"`
	// Summary counts them.
	Summary Summary `json:"summary"`
}

// Summary counts the results of a run.
type Summary struct {
	// Cases is how many cases ran; the other counts split them by status.
	Cases int `json:"cases"`
	// Passed counts StatusPass cases.
	Passed int `json:"passed"`
	// Warned counts StatusWarn cases.
	Warned int `json:"warned"`
	// Failed counts StatusFail cases.
	Failed int `json:"failed"`
	// KnownFailing counts StatusKnownFail cases.
	KnownFailing int `json:"known_failing"`
	// Stale counts StatusStale cases.
	Stale int `json:"stale"`
	// Checks counts check results by level and outcome.
	Checks map[Level]map[Outcome]int `json:"checks"`
	// OK is true when the run passes: no failed case and no stale entry.
	OK bool `json:"ok"`
}

// CaseResult is the result of one case.
type CaseResult struct {
	// Name and Description are the case's.
	Name        string `json:"name"`
	Description string `json:"description"`
	// File is the case file the case comes from.
	File string `json:"file"`
	// Status is the verdict on the case.
	Status Status `json:"status"`
	// KnownFailing is true when the case is listed as known to fail.
	KnownFailing bool `json:"known_failing,omitempty"`
	// Duration is how long the case took, mock included.
	Duration time.Duration `json:"duration_ns"`
	// Input is what the client was given, secrets redacted.
	Input Input `json:"input"`
	// Checks are the check results, in report order.
	Checks []CheckResult `json:"checks"`
	// Transcript is every request the mock saw, in arrival order.
	Transcript []Entry `json:"transcript"`
	// Streams are the streams the mock held at the end.
	Streams []StreamResult `json:"streams"`
	// Client is what became of the client process.
	Client ClientRun `json:"client"`
	// Answer is the client's answer, when it printed one.
	Answer *Answer `json:"answer,omitempty"`
	// Error says why the case could not run, if it could not.
	Error string `json:"error,omitempty"`
}

// CheckResult is one check's result on one case.
type CheckResult struct {
	// Name is the check's.
	Name string `json:"name"`
	// Level is the check's level for this case.
	Level Level `json:"level"`
	// Outcome is pass, fail or n/a.
	Outcome Outcome `json:"outcome"`
	// Message says what was found.
	Message string `json:"message"`
	// Diff is a go-cmp (-want +got) diff, for some failures.
	Diff string `json:"diff,omitempty"`
}

// Failed reports whether the check failed at a level that counts (MUST or
// SHOULD).
func (r CheckResult) Failed() bool {
	return r.Outcome == Fail && (r.Level == Must || r.Level == Should)
}

// Entry is one request of the transcript, usersig redacted.
type Entry struct {
	// N numbers the requests from 1.
	N int `json:"n"`
	// At is when the request arrived, from the client's start.
	At time.Duration `json:"at_ns"`
	// Method is the request's method.
	Method string `json:"method"`
	// Path is the request's path.
	Path string `json:"path"`
	// Query is the raw query string, usersig redacted.
	Query string `json:"query"`
	// Body is the request body, as the mock kept it.
	Body string `json:"body"`
	// Status is the HTTP status; 0 when no reply was sent.
	Status int `json:"status"`
	// Reply is the reply body sent.
	Reply string `json:"reply"`
	// Fault is the ID of the fault rule that fired ("trigger" for a
	// trigger SessionId, account or group).
	Fault string `json:"fault,omitempty"`
	// Action is what the fault did, as the mock's journal says it.
	Action string `json:"action,omitempty"`
	// Rule describes the fault rule that fired.
	Rule string `json:"rule,omitempty"`
	// Check is the mock's pipeline check that failed, if one did.
	Check string `json:"check,omitempty"`
	// Applied is true when the chunk was appended to a stream.
	Applied bool `json:"applied"`
	// Latency is how long the mock took.
	Latency time.Duration `json:"latency_ns"`
	// Role says what the runner made of the request: which chunk, which
	// attempt, and its outcome.
	Role string `json:"role"`
}

// StreamResult is a stream the mock held at the end of a case.
type StreamResult struct {
	// MsgKey is the stream's key.
	MsgKey string `json:"msg_key"`
	// Text is the chunks accepted, joined: what the user sees.
	Text string `json:"text"`
	// Chunks counts the chunks accepted.
	Chunks int `json:"chunks"`
	// Finished is true once a call with Finish: 1 was accepted.
	Finished bool `json:"finished"`
}

// FailingChecks returns the names of the checks that failed at MUST or
// SHOULD level.
func (r *CaseResult) FailingChecks() []string {
	var out []string
	for _, c := range r.Checks {
		if c.Failed() {
			out = append(out, c.Name)
		}
	}
	return out
}

// mustFailed reports whether a MUST check failed or the case did not run.
func (r *CaseResult) mustFailed() bool {
	if r.Error != "" {
		return true
	}
	for _, c := range r.Checks {
		if c.Outcome == Fail && c.Level == Must {
			return true
		}
	}
	return false
}

func (r *CaseResult) shouldFailed() bool {
	for _, c := range r.Checks {
		if c.Outcome == Fail && c.Level == Should {
			return true
		}
	}
	return false
}

// setStatus decides the case's status.
func (r *CaseResult) setStatus(known bool) {
	r.KnownFailing = known
	switch {
	case r.mustFailed() && known:
		r.Status = StatusKnownFail
	case r.mustFailed():
		r.Status = StatusFail
	case known:
		r.Status = StatusStale
	case r.shouldFailed():
		r.Status = StatusWarn
	default:
		r.Status = StatusPass
	}
}

// summarize counts the cases and checks of a report.
func summarize(cases []CaseResult) Summary {
	s := Summary{Cases: len(cases), Checks: map[Level]map[Outcome]int{}}
	for _, c := range cases {
		switch c.Status {
		case StatusPass:
			s.Passed++
		case StatusWarn:
			s.Warned++
		case StatusFail:
			s.Failed++
		case StatusKnownFail:
			s.KnownFailing++
		case StatusStale:
			s.Stale++
		}
		for _, r := range c.Checks {
			if s.Checks[r.Level] == nil {
				s.Checks[r.Level] = map[Outcome]int{}
			}
			s.Checks[r.Level][r.Outcome]++
		}
	}
	s.OK = s.Failed == 0 && s.Stale == 0
	return s
}
