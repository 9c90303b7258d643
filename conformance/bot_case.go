package conformance

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/deskmock/deskmock/conformance/protocol"
	"github.com/deskmock/deskmock/mockserver"
	"github.com/deskmock/deskmock/schemas"
)

// BotCase is one conversation a bot is graded on: Desk sessions the mock
// begins, what their users say, and how the callbacks and the sessions
// misbehave. The bot gets every event as a Desk.SessionEventNotify
// callback and answers each user message by streaming into the session.
type BotCase struct {
	// Name is hierarchical, such as "bot/answer/v1"; --run and --skip
	// match it.
	Name string `json:"name"`
	// Description says in a sentence or two what happens and why.
	Description string `json:"description"`
	// Version is the Desk stream the bot must answer on: "v1"
	// (send_stream_msg) or "v2" (send_stream_msg_v2); the bot reads it
	// from DESKMOCK_VERSION.
	Version string `json:"version"`
	// Sessions is how many sessions the case begins at once (1 when 0);
	// each user says the same Messages, each session's tagged with its
	// number so that no two are alike.
	Sessions int `json:"sessions,omitempty"`
	// User is the ClientUserId of the sessions' user; when empty, session
	// N's user is "user0N" (user01, user02…). A trigger account
	// (mockserver.CallbackTrigger) shapes every callback of its sessions.
	User string `json:"user,omitempty"`
	// Messages are what the user says, in turn: each once the bot has
	// answered the one before (or, when the case expects no answer, after
	// a quiet while).
	Messages []string `json:"messages"`
	// Faults are fault rules of callbacks (match.callback), added in
	// order.
	Faults []mockserver.Fault `json:"faults,omitempty"`
	// MidStream, when set, is what happens to the session once the mock
	// has applied the bot's first stream call, before its reply leaves:
	// "end" (the user leaves) or "transfer" (to a human agent).
	MidStream string `json:"mid_stream,omitempty"`
	// Levels overrides the level of checks for this case (MUST, SHOULD,
	// INFO, or SKIP for a check that does not apply).
	Levels map[string]Level `json:"levels,omitempty"`

	// File is the file the case was read from.
	File string `json:"-"`
}

// What a case's MidStream does.
const (
	// MidStreamEnd ends the session (Server.EndSession).
	MidStreamEnd = "end"
	// MidStreamTransfer transfers it to a human (Server.TransferSession).
	MidStreamTransfer = "transfer"
)

// forgingFaults are the callback faults that forge a callback: a bot
// must not act on one.
var forgingFaults = []string{mockserver.CallbackWrongApp, mockserver.CallbackBadSign, mockserver.CallbackStaleTime}

// sessionCount returns how many sessions the case begins.
func (c *BotCase) sessionCount() int { return max(c.Sessions, 1) }

// userOf returns the ClientUserId of session i (from 0).
func (c *BotCase) userOf(i int) string {
	if c.User != "" {
		return c.User
	}
	return fmt.Sprintf("user%02d", i+1)
}

// Forged reports whether the case forges the user's messages, so that a
// careful bot answers none.
func (c *BotCase) Forged() bool {
	for _, f := range c.Faults {
		if slices.Contains(forgingFaults, f.Action.Callback) {
			return true
		}
	}
	for _, a := range forgingFaults {
		if c.User == mockserver.CallbackTrigger(a) {
			return true
		}
	}
	return false
}

// answered reports whether a careful bot answers each message with a
// finished stream.
func (c *BotCase) answered() bool { return !c.Forged() && c.MidStream == "" }

// SessionIDs returns the case's sessions: UUIDs derived from its name,
// the same on every run.
func (c *BotCase) SessionIDs() []string {
	out := make([]string, c.sessionCount())
	for i := range out {
		out[i] = uuidOf(fmt.Sprintf("deskmock/conformance/bot/%s/%d", c.Name, i))
	}
	return out
}

// message returns what the user of session i says as message j.
func (c *BotCase) message(i, j int) string {
	if c.sessionCount() == 1 {
		return c.Messages[j]
	}
	return fmt.Sprintf("%s (session %d)", c.Messages[j], i+1)
}

// uuidOf derives a version-4 UUID from a text.
func uuidOf(text string) string {
	sum := sha256.Sum256([]byte(text))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// endpoint returns the Desk stream endpoint of the case.
func (c *BotCase) endpoint() protocol.Endpoint {
	ep, _ := protocol.EndpointOf(c.Version)
	return ep
}

// Bounds of a bot case.
const (
	maxBotSessions = 20
	maxBotMessages = 10
	maxBotText     = 1024
)

// validate checks a bot case; errors start with the field.
func (c *BotCase) validate() error {
	switch {
	case c.Name == "":
		return errors.New("name: empty")
	case c.Description == "":
		return errors.New("description: empty")
	case c.Version != protocol.VersionV1 && c.Version != protocol.VersionV2:
		return fmt.Errorf("version: %q, want v1 or v2", c.Version)
	case c.Sessions < 0 || c.Sessions > maxBotSessions:
		return fmt.Errorf("sessions: %d, want 0..%d", c.Sessions, maxBotSessions)
	case len(c.Messages) == 0 || len(c.Messages) > maxBotMessages:
		return fmt.Errorf("messages: %d, want 1..%d", len(c.Messages), maxBotMessages)
	case c.MidStream != "" && c.MidStream != MidStreamEnd && c.MidStream != MidStreamTransfer:
		return fmt.Errorf("mid_stream: %q, want end or transfer", c.MidStream)
	case c.MidStream != "" && (c.sessionCount() > 1 || len(c.Messages) > 1):
		return errors.New("mid_stream: goes with one session and one message")
	case len(c.User) > 32:
		return errors.New("user: longer than 32 bytes")
	}
	for i, m := range c.Messages {
		if m == "" || len(m) > maxBotText {
			return fmt.Errorf("messages/%d: want 1..%d bytes", i, maxBotText)
		}
	}
	for i, f := range c.Faults {
		if f.Match.Callback == "" {
			return fmt.Errorf("faults/%d: a bot case takes rules of callbacks only (match.callback)", i)
		}
		if err := f.Validate(); err != nil {
			return fmt.Errorf("faults/%d/%v", i, err)
		}
	}
	for name, l := range c.Levels {
		if _, ok := botCheckByName(name); !ok {
			return fmt.Errorf("levels/%s: no such bot check", name)
		}
		if !slices.Contains([]Level{Must, Should, Info, Skip}, l) {
			return fmt.Errorf("levels/%s: %q, want MUST, SHOULD, INFO or SKIP", name, l)
		}
	}
	return nil
}

//go:embed bot-cases/*.json
var builtinBotCases embed.FS

//go:embed bot-cases.schema.json
var botCaseSchemaSource []byte

var botCaseSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	return compileCaseSchema(schemas.Base+"conformance/bot-cases.schema.json", botCaseSchemaSource)
})

// botCaseFile is the layout of a bot case file.
type botCaseFile struct {
	Description string    `json:"description,omitempty"`
	Cases       []BotCase `json:"cases"`
}

// BuiltinBots returns the bot cases shipped with deskmock, in file then
// case order.
func BuiltinBots() ([]BotCase, error) {
	names, err := fs.Glob(builtinBotCases, "bot-cases/*.json")
	if err != nil {
		return nil, fmt.Errorf("conformance: %w", err)
	}
	return loadBotFiles(names, builtinBotCases.ReadFile)
}

// LoadBotDir reads every *.json bot case file of dir, in name order.
func LoadBotDir(dir string) ([]BotCase, error) {
	names, err := caseFiles(dir, "bot case file")
	if err != nil {
		return nil, err
	}
	return loadBotFiles(names, os.ReadFile)
}

func loadBotFiles(names []string, read func(string) ([]byte, error)) ([]BotCase, error) {
	all, err := parseFiles(names, read, ParseBotCases)
	if err != nil {
		return nil, err
	}
	if err := CheckUniqueBots(all); err != nil {
		return nil, err
	}
	return all, nil
}

// ParseBotCases reads a bot case file; name is used in errors, which name
// the file, the case and the field.
func ParseBotCases(name string, b []byte) ([]BotCase, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("conformance: %s: not valid JSON: %v", name, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("conformance: %s: data after the JSON value", name)
	}
	schema, err := botCaseSchema()
	if err != nil {
		return nil, fmt.Errorf("conformance: %s: the bot case schema does not compile: %v", name, err)
	}
	if err := schema.Validate(doc); err != nil {
		return nil, fmt.Errorf("conformance: %s: %s", name, problems(err, doc))
	}
	var f botCaseFile
	strict := json.NewDecoder(bytes.NewReader(b))
	strict.DisallowUnknownFields()
	if err := strict.Decode(&f); err != nil {
		return nil, fmt.Errorf("conformance: %s: %v", name, err)
	}
	for i := range f.Cases {
		c := &f.Cases[i]
		c.File = name
		if err := c.validate(); err != nil {
			return nil, fmt.Errorf("conformance: %s: /cases/%d (%s)/%v", name, i, c.Name, err)
		}
	}
	return f.Cases, nil
}

// SelectBots returns the bot cases whose name matches run (nil: all) and
// not skip (nil: none), and, when version is set, whose version it is.
func SelectBots(cases []BotCase, run, skip *regexp.Regexp, version string) []BotCase {
	var out []BotCase
	for _, c := range cases {
		switch {
		case run != nil && !run.MatchString(c.Name):
		case skip != nil && skip.MatchString(c.Name):
		case version != "" && c.Version != version:
		default:
			out = append(out, c)
		}
	}
	return out
}

// CheckUniqueBots fails when two bot cases have the same name.
func CheckUniqueBots(cases []BotCase) error {
	return CheckUnique(BotCasesAsCases(cases))
}

// BotCasesAsCases returns cases named as the bot cases, for what reads
// names only (known-failing lists).
func BotCasesAsCases(cases []BotCase) []Case {
	out := make([]Case, len(cases))
	for i, c := range cases {
		out[i] = Case{Name: c.Name, File: c.File}
	}
	return out
}

// describeBotFaults writes a case's fault rules in a line each.
func describeBotFaults(fs []mockserver.Fault) string {
	var parts []string
	for _, f := range fs {
		what := f.Action.Callback
		if what == "" && f.Action.DelayMS > 0 {
			what = fmt.Sprintf("delay %dms", f.Action.DelayMS)
		}
		parts = append(parts, fmt.Sprintf("callback %s: %s", f.Match.Callback, what))
	}
	return strings.Join(parts, "; ")
}
