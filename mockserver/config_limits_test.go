package mockserver

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/deskmock/deskmock/mockserver/codes"
)

// limitConfig writes a YAML configuration with one app and the given
// changes: apps more apps, admins administrators of the first, and the
// texts of its secret key, first administrator, sessions, faults and codes.
type limitConfig struct {
	apps, admins, sessions, faults, codes int
	key, admin, faultBody, info           string
	journalFiles                          int
}

func (c limitConfig) yaml() string {
	var b strings.Builder
	key, admin := "k", "a"
	if c.key != "" {
		key = c.key
	}
	if c.admin != "" {
		admin = c.admin
	}
	admins := []string{admin}
	for i := 1; i < c.admins; i++ {
		admins = append(admins, fmt.Sprint("a", i))
	}
	fmt.Fprintf(&b, "apps:\n  - {sdkappid: 1, secret_key: %s, admins: [%s]}\n", key, strings.Join(admins, ", "))
	for i := 1; i < c.apps; i++ {
		fmt.Fprintf(&b, "  - {sdkappid: %d, secret_key: k, admins: [a]}\n", i+1)
	}
	if c.sessions > 0 {
		b.WriteString("sessions:\n  ids:\n")
		for i := range c.sessions {
			fmt.Fprintf(&b, "    - %08x-0000-4000-8000-000000000000\n", i)
		}
	}
	if c.faults > 0 || c.faultBody != "" {
		b.WriteString("faults:\n")
		if c.faultBody != "" {
			fmt.Fprintf(&b, "  - {action: {http_status: 502, body: %s}}\n", c.faultBody)
		}
		for i := range c.faults {
			fmt.Fprintf(&b, "  - {match: {nth: %d}, action: {http_status: 502}}\n", i+1)
		}
	}
	if c.codes > 0 || c.info != "" {
		b.WriteString("codes:\n")
		if c.info != "" {
			fmt.Fprintf(&b, "  not-admin: {info: %s}\n", c.info)
		}
		for i := range c.codes {
			fmt.Fprintf(&b, "  check-%d: {code: 1}\n", i)
		}
	}
	if c.journalFiles > 0 {
		fmt.Fprintf(&b, "limits: {journal_files: %d}\n", c.journalFiles)
	}
	return b.String()
}

// faultBodyOf returns a body that makes the configuration's fault rule
// exactly n bytes as JSON.
func faultBodyOf(n int) string {
	empty := ""
	base := faultBytes(&Fault{Action: FaultAction{HTTPStatus: 502, Body: &empty}})
	return strings.Repeat("x", n-base)
}

// Every size of a configuration has a maximum: one past it is refused with
// a message that names the key and the maximum; one at it is accepted.
func TestConfigMaximums(t *testing.T) {
	everyCheck := func() string { // every check overridden, for every endpoint and for each
		var b strings.Builder
		b.WriteString("apps: [{sdkappid: 1, secret_key: k, admins: [a]}]\ncodes:\n")
		for _, r := range codes.Defaults() {
			fmt.Fprintf(&b, "  %s: {info: x}\n", r.Check)
			for _, v := range versions() {
				if len(r.Endpoints) == 0 || slices.Contains(r.Endpoints, v) {
					fmt.Fprintf(&b, "  %s: {info: x}\n", codes.EndpointCheck(v, r.Check))
				}
			}
		}
		return b.String()
	}
	tests := []struct {
		name string
		text string
		want []string // "" when accepted
	}{
		{"apps at the limit", limitConfig{apps: maxApps}.yaml(), nil},
		{"apps past it", limitConfig{apps: maxApps + 1}.yaml(), []string{"apps: 1001 apps, more than the 1000"}},
		{"admins at the limit", limitConfig{admins: maxAdmins}.yaml(), nil},
		{"admins past it", limitConfig{admins: maxAdmins + 1}.yaml(), []string{"apps/0/admins: 101 administrators, more than the 100"}},
		{"secret key at the limit", limitConfig{key: strings.Repeat("k", maxSecretKeyBytes)}.yaml(), nil},
		{"secret key past it", limitConfig{key: strings.Repeat("k", maxSecretKeyBytes+1)}.yaml(), []string{": apps/0/secret_key", "1024"}},
		{"identifier at the limit", limitConfig{admin: strings.Repeat("a", maxIdentifierBytes)}.yaml(), nil},
		{"identifier past it", limitConfig{admin: strings.Repeat("a", maxIdentifierBytes+1)}.yaml(), []string{": apps/0/admins/0", "256"}},
		{"session IDs at the limit", limitConfig{sessions: maxConfigSessions}.yaml(), nil},
		{"session IDs past it", limitConfig{sessions: maxConfigSessions + 1}.yaml(), []string{"sessions/ids: 10001 sessions, more than the 10000"}},
		{"fault rules at the limit", limitConfig{faults: maxFaults}.yaml(), nil},
		{"fault rules past it", limitConfig{faults: maxFaults + 1}.yaml(), []string{"faults: 1001 rules, more than the 1000"}},
		{"a fault rule at the limit", limitConfig{faultBody: faultBodyOf(maxFaultBytes)}.yaml(), nil},
		{"a fault rule past it", limitConfig{faultBody: faultBodyOf(maxFaultBytes + 1)}.yaml(), []string{"faults/0: 65537 bytes as JSON, more than the 65536"}},
		{"code overrides: every check and endpoint", everyCheck(), nil},
		{"code overrides past the limit", limitConfig{codes: maxCodeOverrides + 1}.yaml(), []string{"codes: 1025 overrides, more than the 1024"}},
		{"code info at the limit", limitConfig{info: strings.Repeat("i", MaxCodeInfoBytes)}.yaml(), nil},
		{"code info past it", limitConfig{info: strings.Repeat("i", MaxCodeInfoBytes+1)}.yaml(), []string{": codes/not-admin/info", "4096"}},
		{"journal files at the limit", limitConfig{journalFiles: MaxJournalFiles}.yaml(), nil},
		{"journal files past it", limitConfig{journalFiles: MaxJournalFiles + 1}.yaml(), []string{": limits/journal_files", "100"}},
		{"file at the limit", padTo(limitConfig{}.yaml(), maxConfigBytes), nil},
		{"file past it", padTo(limitConfig{}.yaml(), maxConfigBytes+1), []string{"more than 1048576 bytes, the most a configuration may have"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.yaml")
			if err := os.WriteFile(path, []byte(tt.text), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadConfig(path)
			switch {
			case tt.want == nil && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want == nil:
				return
			case err == nil:
				t.Fatal("accepted")
			}
			for _, w := range append(tt.want, "config "+path+": ") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// padTo ends a YAML text with a comment that makes it n bytes long.
func padTo(text string, n int) string {
	return text + "#" + strings.Repeat("-", n-len(text)-2) + "\n"
}

// Validate, which the Go API goes through, refuses the same sizes, naming
// the key and the maximum in bytes.
func TestValidateMaximums(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"apps", func(c *Config) {
			for i := range maxApps {
				c.Apps = append(c.Apps, App{SDKAppID: uint64(i + 2), SecretKey: "k", Admins: []string{"a"}})
			}
		}, "apps: 1001 apps, more than the 1000"},
		{"secret key", func(c *Config) { c.Apps[0].SecretKey = strings.Repeat("k", maxSecretKeyBytes+1) }, "apps/0/secret_key: 1025 bytes, more than the 1024"},
		{"admins", func(c *Config) { c.Apps[0].Admins = make([]string, maxAdmins+1) }, "apps/0/admins: 101 administrators, more than the 100"},
		{"identifier", func(c *Config) { c.Apps[0].Admins = []string{strings.Repeat("a", maxIdentifierBytes+1)} }, "apps/0/admins/0: 257 bytes, more than the 256"},
		{"sessions", func(c *Config) { c.Sessions.IDs = make([]string, maxConfigSessions+1) }, "sessions/ids: 10001 sessions, more than the 10000"},
		{"faults", func(c *Config) { c.Faults = make([]Fault, maxFaults+1) }, "faults: 1001 rules, more than the 1000"},
		{"code info", func(c *Config) {
			c.Codes = map[codes.Check]codes.Override{"not-admin": {Info: strings.Repeat("i", MaxCodeInfoBytes+1)}}
		}, "codes/not-admin/info: 4097 bytes, more than the 4096"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tt.mutate(&cfg)
			if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New: %v, want %q", err, tt.want)
			}
		})
	}
}
