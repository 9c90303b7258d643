package mockserver

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/deskmock/deskmock/internal/yamlline"
	"github.com/deskmock/deskmock/mockserver/codes"
	"github.com/deskmock/deskmock/schemas"
)

// Default limits, used where the configuration leaves a limit out.
const (
	// DefaultMemoryLimit is the Go runtime's soft memory limit that serve
	// sets unless GOMEMLIMIT is given: with every store at its default
	// byte bound the live heap stays near half of it, and the collector
	// works harder as the heap nears it rather than let the process pass
	// 512 MiB.
	DefaultMemoryLimit = 400 << 20
	// defaultMaxBodyBytes is the body limit: 12 KiB, the vendor's "12k".
	defaultMaxBodyBytes = 12 * 1024
	// defaultMaxStreams is how many streams the server keeps at once.
	defaultMaxStreams = 100_000
	// defaultStreamTTL is how long a stream is kept after its last call.
	defaultStreamTTL = time.Hour
	// maxJournalSize bounds limits.journal_size: the in-memory journal is
	// allocated whole when the server starts.
	maxJournalSize = 1_000_000
	// maxStreamBytesLimit bounds limits.max_stream_bytes.
	maxStreamBytesLimit = 64 << 20
	// maxStoreBytesLimit bounds limits.max_store_bytes.
	maxStoreBytesLimit = 16 << 30
)

// Maximums of a configuration, past which it is refused with an error that
// names the key and the maximum. They bound what a configuration makes the
// server hold, and what reading one costs: reading takes, for a moment, up
// to some 200 times the file's size (YAML nodes, the schema's checks), so
// counts are checked before the schema is.
const (
	// maxConfigBytes bounds a configuration file: 1 MiB.
	maxConfigBytes = 1 << 20
	// maxApps bounds apps.
	maxApps = 1000
	// maxAdmins bounds the admins of one app.
	maxAdmins = 100
	// maxSecretKeyBytes bounds an app's secret_key (real keys have 64
	// characters).
	maxSecretKeyBytes = 1024
	// maxIdentifierBytes bounds an administrator's identifier.
	maxIdentifierBytes = 256
	// maxConfigSessions bounds sessions.ids, accounts.ids and groups.ids
	// each (the admin API can open more sessions,
	// up to maxSessions).
	maxConfigSessions = 10_000
	// maxCodeOverrides bounds the keys of codes (only known checks are
	// accepted, one per check and one per endpoint and check).
	maxCodeOverrides = 1024
	// MaxCodeInfoBytes bounds the info of a code override.
	MaxCodeInfoBytes = 4096
)

//go:embed default.yaml
var defaultYAML []byte

// Config is everything a Server needs. Start from DefaultConfig or
// LoadConfig; the zero Config has no app and is refused by New.
type Config struct {
	// Apps are the IM applications the server knows.
	Apps []App `json:"apps"`
	// Sessions says which Desk sessions are open.
	Sessions Sessions `json:"sessions"`
	// Accounts says which accounts (UserIDs) the C2C and group streams
	// know: any by default, only IDs when strict.
	Accounts Directory `json:"accounts"`
	// Groups says which groups the group stream knows: any by default,
	// only IDs when strict.
	Groups Directory `json:"groups"`
	// Desk declares the agents behind Desk's sessions.
	Desk Desk `json:"desk"`
	// Limits bound the body and the stream store.
	Limits Limits `json:"limits"`
	// Codes overrides the code or text answered by a check of the pipeline,
	// keyed by check ("body-schema": every endpoint) or by endpoint and
	// check ("v2/body-schema": that endpoint only, on top of the first).
	Codes map[codes.Check]codes.Override `json:"codes,omitempty"`
	// Faults are fault rules in force from the start (and after a reset).
	Faults []Fault `json:"faults,omitempty"`
	// Endpoints adjusts each endpoint's body limit and stream rules, by
	// version ("v1", "v2").
	Endpoints map[string]EndpointConfig `json:"endpoints,omitempty"`
	// Envelope shapes every reply.
	Envelope Envelope `json:"envelope,omitzero"`
	// Callbacks are every app's default callbacks (an app's own set fields
	// over them); without a URL nothing is sent.
	Callbacks Callbacks `json:"callbacks,omitzero"`

	// AllowHosts are the host names, besides IP addresses, localhost and
	// the names of the listen addresses, that the admin API and the
	// dashboard answer to without an admin token: a name such as the
	// service name of a container; ".name" allows the name and its
	// subdomains, "*" any name.
	AllowHosts []string `json:"allow_hosts,omitempty"`

	// AdminToken, when set, is required as a bearer token by the admin API
	// (all of it but health).
	AdminToken string `json:"-"`
	// Journal, when set, receives every exchange as one JSON line, written
	// before the reply is sent. Lines are written one at a time: the writer
	// need not be safe for concurrent use.
	Journal io.Writer `json:"-"`
	// Health are the parts whose trouble turns /__admin/health degraded
	// (503, with their problems); a Journal that is a HealthReporter counts
	// without being listed.
	Health []HealthReporter `json:"-"`

	// Clock returns the current time; nil means time.Now.
	Clock func() time.Time `json:"-"`
	// Logger receives one line per request; nil discards them.
	Logger *slog.Logger `json:"-"`
}

// App is one IM application.
type App struct {
	// SDKAppID is the application's ID, as sent in the sdkappid parameter.
	SDKAppID uint64 `json:"sdkappid"`
	// SecretKey signs and verifies UserSigs.
	SecretKey string `json:"secret_key"`
	// Admins are the identifiers allowed to call the API.
	Admins []string `json:"admins"`
	// Desk is false for an app that is not a Desk app (calls get 141000);
	// nil means true.
	Desk *bool `json:"desk,omitempty"`
	// Robots are the app's chatbot accounts from the start (UserIDs that
	// start with @RBT#, at most 20); create_robot adds more.
	Robots []string `json:"robots,omitempty"`
	// Callbacks are the app's callbacks, its set fields over the
	// configuration's default.
	Callbacks *Callbacks `json:"callbacks,omitempty"`
}

// IsDesk reports whether the app is a Desk app.
func (a App) IsDesk() bool { return a.Desk == nil || *a.Desk }

// Sessions configures which sessions are open.
type Sessions struct {
	// Strict accepts only the sessions in IDs (and those opened through the
	// admin API); otherwise every well-formed SessionId is open until ended.
	Strict bool `json:"strict"`
	// IDs are sessions open from the start.
	IDs []string `json:"ids,omitempty"`
}

// Directory configures which accounts or groups exist.
type Directory struct {
	// Strict knows only the IDs; otherwise every well-formed name exists.
	Strict bool `json:"strict"`
	// IDs exist from the start.
	IDs []string `json:"ids,omitempty"`
}

// Limits bound what the server accepts and keeps.
type Limits struct {
	// MaxBodyBytes is the longest body accepted; longer ones get 93000.
	MaxBodyBytes int `json:"max_body_bytes"`
	// MaxStreams is how many streams are kept; past it the oldest finished
	// stream is evicted first, then the least recently used open one.
	MaxStreams int `json:"max_streams"`
	// StreamTTL is how long a stream is kept after its last call.
	StreamTTL Duration `json:"stream_ttl"`
	// JournalSize is how many exchanges the in-memory journal keeps.
	JournalSize int `json:"journal_size"`
	// MaxStreamBytes caps one stream's text; a call past it gets the
	// message-too-large check's code.
	MaxStreamBytes int `json:"max_stream_bytes"`
	// MaxStoreBytes caps what all streams hold together; past it the
	// oldest ended streams are evicted first, then the least recently used
	// open ones.
	MaxStoreBytes int64 `json:"max_store_bytes"`
	// JournalBytes bounds the bytes the in-memory journal keeps (see
	// defaultJournalBytes); at most maxJournalBytes.
	JournalBytes int64 `json:"journal_bytes"`
	// JournalFileBytes is the size at which serve --journal rotates its
	// file (see DefaultJournalFileBytes); at most MaxJournalFileBytes.
	JournalFileBytes int64 `json:"journal_file_bytes"`
	// JournalFiles is how many rotated files serve --journal keeps, FILE.1
	// (newest) to FILE.N (oldest); see DefaultJournalFiles, at most
	// MaxJournalFiles.
	JournalFiles int `json:"journal_files"`
}

// Duration is a time.Duration written as a Go duration string ("1h30m").
type Duration time.Duration

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration must be a string such as \"90s\"")
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	if v <= 0 {
		return fmt.Errorf("a duration must be positive")
	}
	*d = Duration(v)
	return nil
}

// DefaultConfig returns the embedded default configuration: one Desk app,
// sdkappid 1400000001, administrator "administrator", and a well-known test
// secret key.
func DefaultConfig() Config {
	cfg, err := parseConfig("default.yaml", defaultYAML)
	if err != nil {
		panic(err) // the embedded file is tested
	}
	return cfg
}

// LoadConfig reads a configuration file, YAML or JSON (chosen by its
// extension, .json for JSON). Errors name the file, the field and the fault.
func LoadConfig(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1)) // no more than one byte past the limit
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	return parseConfig(path, b)
}

// ParseConfig reads a configuration from its text; name is used in errors
// and picks the format (JSON when it ends in .json, YAML otherwise).
func ParseConfig(name string, b []byte) (Config, error) { return parseConfig(name, b) }

func parseConfig(name string, b []byte) (Config, error) {
	fail := func(field, format string, args ...any) (Config, error) {
		if field == "" {
			return Config{}, fmt.Errorf("config %s: %s", name, fmt.Sprintf(format, args...))
		}
		return Config{}, fmt.Errorf("config %s: %s: %s", name, field, fmt.Sprintf(format, args...))
	}
	if len(b) > maxConfigBytes {
		return fail("", "more than %d bytes, the most a configuration may have", maxConfigBytes)
	}
	var jsonText []byte
	if strings.EqualFold(filepath.Ext(name), ".json") {
		if err := checkJSONNumbers(b); err != nil {
			return fail("", "%v", err)
		}
		jsonText = b
	} else {
		var node yaml.Node
		if err := yaml.Unmarshal(b, &node); err != nil {
			return fail("", "not valid YAML: %v", yamlline.Error(b, err))
		}
		if err := checkYAMLNumbers(&node, nil); err != nil {
			return fail("", "%v", err)
		}
		var doc any
		if err := node.Decode(&doc); err != nil {
			return fail("", "not valid YAML: %v", err)
		}
		if doc == nil {
			doc = map[string]any{}
		}
		var err error
		if jsonText, err = json.Marshal(yamlToJSON(doc)); err != nil {
			return fail("", "cannot be read as JSON data: %v", err)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(jsonText))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return fail("", "not valid JSON: %v", err)
	}
	if err := checkCounts(v); err != nil {
		return fail("", "%v", err)
	}
	if err := schemas.Must(schemas.ConfigFile).Validate(v); err != nil {
		return fail("", "%s", schemas.Plain(err, v, "(top level)", "; "))
	}
	cfg := Config{}
	strict := json.NewDecoder(bytes.NewReader(jsonText))
	strict.DisallowUnknownFields()
	if err := strict.Decode(&cfg); err != nil {
		return fail("", "%v", err)
	}
	cfg.applyDefaults()
	if err := cfg.Validate(); err != nil {
		return Config{}, fmt.Errorf("config %s: %w", name, err)
	}
	return cfg, nil
}

// checkCounts refuses, before the schema's checks (which cost a few
// hundred bytes an item), the lists and maps of a configuration longer
// than their maximums. Values of the wrong type pass: the schema names them.
func checkCounts(v any) error {
	top, _ := v.(map[string]any)
	apps, _ := top["apps"].([]any)
	if err := countAtMost("apps", len(apps), maxApps, "apps"); err != nil {
		return err
	}
	for i, a := range apps {
		app, _ := a.(map[string]any)
		admins, _ := app["admins"].([]any)
		if err := countAtMost(fmt.Sprintf("apps/%d/admins", i), len(admins), maxAdmins, "administrators"); err != nil {
			return err
		}
	}
	for _, name := range []string{"sessions", "accounts", "groups"} {
		dir, _ := top[name].(map[string]any)
		ids, _ := dir["ids"].([]any)
		if err := countAtMost(name+"/ids", len(ids), maxConfigSessions, name); err != nil {
			return err
		}
	}
	faults, _ := top["faults"].([]any)
	if err := countAtMost("faults", len(faults), maxFaults, "rules"); err != nil {
		return err
	}
	overrides, _ := top["codes"].(map[string]any)
	return countAtMost("codes", len(overrides), maxCodeOverrides, "overrides")
}

// countAtMost refuses n things at key past max, naming both.
func countAtMost(key string, n, max int, things string) error {
	if n > max {
		return fmt.Errorf("%s: %d %s, more than the %d a configuration may have", key, n, things, max)
	}
	return nil
}

// bytesAtMost refuses a string at key longer than max bytes, naming both.
func bytesAtMost(key string, s string, max int) error {
	if len(s) > max {
		return fmt.Errorf("%s: %d bytes, more than the %d a configuration may have", key, len(s), max)
	}
	return nil
}

// yamlToJSON turns YAML's map[string]any trees into values encoding/json
// accepts, keeping keys as strings.
func yamlToJSON(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = yamlToJSON(e)
		}
		return t
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[fmt.Sprint(k)] = yamlToJSON(e)
		}
		return m
	case []any:
		for i, e := range t {
			t[i] = yamlToJSON(e)
		}
		return t
	}
	return v
}

func (c *Config) applyDefaults() {
	l := &c.Limits
	orDefault(&l.MaxBodyBytes, defaultMaxBodyBytes)
	orDefault(&l.MaxStreams, defaultMaxStreams)
	orDefault(&l.JournalSize, defaultJournalSize)
	orDefault(&l.StreamTTL, Duration(defaultStreamTTL))
	orDefault(&l.MaxStreamBytes, defaultMaxStreamBytes)
	orDefault(&l.MaxStoreBytes, defaultMaxStoreBytes)
	orDefault(&l.JournalBytes, defaultJournalBytes)
	orDefault(&l.JournalFileBytes, DefaultJournalFileBytes)
	orDefault(&l.JournalFiles, DefaultJournalFiles)
}

// orDefault sets *v to d when it is the zero value.
func orDefault[T comparable](v *T, d T) {
	var zero T
	if *v == zero {
		*v = d
	}
}

// Validate checks what the schema cannot: unique apps, well-formed session
// IDs, known checks in the code overrides, positive limits.
func (c *Config) Validate() error {
	if len(c.Apps) == 0 {
		return errors.New("apps: at least one app is needed (a configuration file replaces the embedded default, its app included)")
	}
	if err := checkSizes(c); err != nil {
		return err
	}
	seen := map[uint64]int{}
	for i, a := range c.Apps {
		if a.SDKAppID == 0 || a.SDKAppID > 4294967295 {
			return fmt.Errorf("apps/%d/sdkappid: %d is not in 1..4294967295", i, a.SDKAppID)
		}
		if j, dup := seen[a.SDKAppID]; dup {
			return fmt.Errorf("apps/%d/sdkappid: %d is already used by apps/%d", i, a.SDKAppID, j)
		}
		seen[a.SDKAppID] = i
		if a.SecretKey == "" {
			return fmt.Errorf("apps/%d/secret_key: empty", i)
		}
		if len(a.Admins) == 0 {
			return fmt.Errorf("apps/%d/admins: at least one administrator is needed", i)
		}
		for j, id := range a.Admins {
			if id == "" {
				return fmt.Errorf("apps/%d/admins/%d: empty identifier", i, j)
			}
		}
		if len(a.Robots) > maxRobotsPerApp {
			return fmt.Errorf("apps/%d/robots: %d chatbots; an app has at most %d", i, len(a.Robots), maxRobotsPerApp)
		}
		for j, id := range a.Robots {
			if !validRobotID(id) {
				return fmt.Errorf("apps/%d/robots/%d: %q does not start with %s or is longer than %d bytes", i, j, id, robotPrefix, maxAccountBytes)
			}
		}
	}
	for i, id := range c.Sessions.IDs {
		if !ValidSessionID(id) {
			return fmt.Errorf("sessions/ids/%d: %q is not a well-formed SessionId (a UUID, 8-4-4-4-12 hexadecimal digits)", i, id)
		}
	}
	if err := c.Desk.validate(); err != nil {
		return err
	}
	for i, id := range c.Accounts.IDs {
		if why := accountProblem("account", id); why != "" {
			return fmt.Errorf("accounts/ids/%d: %s", i, why)
		}
	}
	for i, id := range c.Groups.IDs {
		if id == "" || len(id) > maxGroupIDBytes {
			return fmt.Errorf("groups/ids/%d: %q is empty or longer than %d bytes", i, id, maxGroupIDBytes)
		}
	}
	if c.Limits.MaxBodyBytes < 1 {
		return fmt.Errorf("limits/max_body_bytes: %d is not positive", c.Limits.MaxBodyBytes)
	}
	if c.Limits.MaxStreams < 1 {
		return fmt.Errorf("limits/max_streams: %d is not positive", c.Limits.MaxStreams)
	}
	if c.Limits.StreamTTL <= 0 {
		return fmt.Errorf("limits/stream_ttl: must be positive")
	}
	if c.Limits.MaxStreamBytes < 1 || c.Limits.MaxStreamBytes > maxStreamBytesLimit {
		return fmt.Errorf("limits/max_stream_bytes: %d is not in 1..%d", c.Limits.MaxStreamBytes, maxStreamBytesLimit)
	}
	if c.Limits.MaxStoreBytes < 1 || c.Limits.MaxStoreBytes > maxStoreBytesLimit {
		return fmt.Errorf("limits/max_store_bytes: %d is not in 1..%d", c.Limits.MaxStoreBytes, maxStoreBytesLimit)
	}
	for _, v := range slices.Sorted(maps.Keys(c.Endpoints)) {
		if _, ok := endpointOf(v); !ok {
			return fmt.Errorf("endpoints/%s: no such endpoint (known: %s)", v, strings.Join(versions(), ", "))
		}
		if err := c.Endpoints[v].validate("endpoints/" + v); err != nil {
			return err
		}
	}
	if err := validKeyOrder(c.Envelope.KeyOrder); err != nil {
		return fmt.Errorf("envelope/key_order: %w", err)
	}
	if c.Limits.JournalSize < 1 || c.Limits.JournalSize > maxJournalSize {
		return fmt.Errorf("limits/journal_size: %d is not in 1..%d", c.Limits.JournalSize, maxJournalSize)
	}
	if c.Limits.JournalBytes < 1 || c.Limits.JournalBytes > maxJournalBytes {
		return fmt.Errorf("limits/journal_bytes: %d is not in 1..%d", c.Limits.JournalBytes, maxJournalBytes)
	}
	if c.Limits.JournalFileBytes < 1 || c.Limits.JournalFileBytes > MaxJournalFileBytes {
		return fmt.Errorf("limits/journal_file_bytes: %d is not in 1..%d", c.Limits.JournalFileBytes, MaxJournalFileBytes)
	}
	if c.Limits.JournalFiles < 1 || c.Limits.JournalFiles > MaxJournalFiles {
		return fmt.Errorf("limits/journal_files: %d is not in 1..%d", c.Limits.JournalFiles, MaxJournalFiles)
	}
	ids := map[string]bool{}
	for i := range c.Faults {
		if err := c.Faults[i].Validate(); err != nil {
			return fmt.Errorf("faults/%d/%s", i, err)
		}
		if n := faultBytes(&c.Faults[i]); n > maxFaultBytes {
			return fmt.Errorf("faults/%d: %d bytes as JSON, more than the %d a fault rule may have", i, n, maxFaultBytes)
		}
		if id := c.Faults[i].ID; id != "" {
			if ids[id] {
				return fmt.Errorf("faults/%d/id: %q is used twice", i, id)
			}
			ids[id] = true
		}
	}
	if err := c.Callbacks.validate("callbacks"); err != nil {
		return err
	}
	for i, a := range c.Apps {
		if a.Callbacks != nil {
			if err := a.Callbacks.validate(fmt.Sprintf("apps/%d/callbacks", i)); err != nil {
				return err
			}
		}
	}
	if err := validAllowHosts(c.AllowHosts); err != nil {
		return err
	}
	if _, err := codes.NewTable(c.Codes, versions()...); err != nil {
		return err // says "codes: " itself
	}
	return nil
}

// checkSizes refuses a configuration past its maximums (maxApps and the
// others), naming the key and the maximum.
func checkSizes(c *Config) error {
	if err := countAtMost("apps", len(c.Apps), maxApps, "apps"); err != nil {
		return err
	}
	for i, a := range c.Apps {
		if err := bytesAtMost(fmt.Sprintf("apps/%d/secret_key", i), a.SecretKey, maxSecretKeyBytes); err != nil {
			return err
		}
		if err := countAtMost(fmt.Sprintf("apps/%d/admins", i), len(a.Admins), maxAdmins, "administrators"); err != nil {
			return err
		}
		for j, id := range a.Admins {
			if err := bytesAtMost(fmt.Sprintf("apps/%d/admins/%d", i, j), id, maxIdentifierBytes); err != nil {
				return err
			}
		}
	}
	if err := countAtMost("sessions/ids", len(c.Sessions.IDs), maxConfigSessions, "sessions"); err != nil {
		return err
	}
	if err := countAtMost("accounts/ids", len(c.Accounts.IDs), maxConfigSessions, "accounts"); err != nil {
		return err
	}
	if err := countAtMost("groups/ids", len(c.Groups.IDs), maxConfigSessions, "groups"); err != nil {
		return err
	}
	if err := countAtMost("faults", len(c.Faults), maxFaults, "rules"); err != nil {
		return err
	}
	if err := countAtMost("codes", len(c.Codes), maxCodeOverrides, "overrides"); err != nil {
		return err
	}
	for _, k := range slices.Sorted(maps.Keys(c.Codes)) {
		if err := bytesAtMost("codes/"+string(k)+"/info", c.Codes[k].Info, MaxCodeInfoBytes); err != nil {
			return err
		}
	}
	return nil
}
