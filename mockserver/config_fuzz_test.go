package mockserver

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// FuzzParseConfig reads any text as a YAML or JSON configuration and checks
// that ParseConfig never panics; that its errors name the file; and that a
// configuration it accepts is valid, has its defaults applied, starts a
// server, and reads back the same from its own JSON encoding.
func FuzzParseConfig(f *testing.F) {
	f.Add(false, defaultYAML)
	for _, name := range []string{"full.yaml", "full.json"} {
		b, err := os.ReadFile(filepath.Join("..", "testdata", "config", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(strings.HasSuffix(name, ".json"), b)
	}
	for _, s := range []string{
		"",
		"{}",
		"apps: []",
		"apps:\n  - {sdkappid: 1, secret_key: k, admins: [a]}\n",
		"apps:\n  - &a {sdkappid: 1, secret_key: k, admins: [a]}\n  - *a\n",
		"apps:\n  - {sdkappid: 0x10, secret_key: !!binary aGk=, admins: [1]}\n",
		"apps:\n  - {sdkappid: 1e3, secret_key: k, admins: [a]}\nlimits: {stream_ttl: 1.5h, max_body_bytes: 16777216}\n",
		"apps:\n  - {sdkappid: 1, secret_key: k, admins: [a]}\nlimits: {stream_ttl: 0s, journal_size: 99999999999}\n",
		"apps:\n  - {sdkappid: 1, secret_key: k, admins: [a]}\nlimits: {journal_size: 1000000000}\n",
		"apps:\n  - {sdkappid: 1, secret_key: k, admins: [a]}\nsessions: {strict: true, ids: [fd8a2e30-54de-4e40-bcaf-02718409c5cf, x]}\n",
		"apps:\n  - {sdkappid: 1, secret_key: k, admins: [a]}\ncodes: {usersig-expired: {code: 20002}, nope: {code: 1}}\n",
		"apps:\n  - {sdkappid: 1, secret_key: k, admins: [a]}\nfaults:\n  - {id: a, match: {nth: 1}, action: {delay_ms: 600000, reset: true, when: after_apply}, probability: 0.5, seed: 3}\n  - {id: a, action: {http_status: 502, body: ''}}\n",
		"apps:\n  - {sdkappid: 1, secret_key: k, admins: [a]}\nfaults:\n  - {action: {error_code: 7, error_info: x}, times: 2}\n",
		"a: &a [*a]\n",
		"? [a, b]\n: c\n",
		"1: 2\n",
		"apps: .inf\n",
		"apps:\n  - {sdkappid: 1, secret_key: k, admins: [a], <<: {desk: false}}\n",
		`{"apps":[{"sdkappid":1,"secret_key":"k","admins":["a"]}],"limits":{"stream_ttl":"90s"}}`,
		`{"apps":[{"sdkappid":4294967296,"secret_key":"k","admins":["a"]}]}`,
		`{"apps":[{"sdkappid":1,"secret_key":"k","admins":["a"]}]} trailing`,
		// Numbers the schema library cannot take.
		`{"apps":[{"sdkappid":1,"secret_key":"k","admins":["a"]}],"limits":{"max_streams":1e999999999}}`,
		`{"apps":[{"sdkappid":1,"secret_key":"k","admins":["a"]}],"faults":[{"action":{"delay_ms":1},"probability":1e-999999999}]}`,
		`{"apps":[{"sdkappid":0e999999999,"secret_key":"k","admins":["a"]}]}`,
		`{"apps":[{"sdkappid":1` + strings.Repeat("0", 5000) + `,"secret_key":"k","admins":["a"]}]}`,
		"apps:\n  - {sdkappid: 1, secret_key: k, admins: [a]}\nlimits: {max_streams: 1e999999999}\n",
		"apps:\n  - {sdkappid: 1, secret_key: k, admins: [a]}\nfaults: [{action: {delay_ms: 1}, probability: 1E-999999999}]\n",
		"apps:\n  - {sdkappid: 1" + strings.Repeat("0", 5000) + ", secret_key: k, admins: [a]}\n",
	} {
		f.Add(strings.HasPrefix(s, "{"), []byte(s))
	}
	f.Fuzz(func(t *testing.T, isJSON bool, text []byte) {
		name := "fuzz.yaml"
		if isJSON {
			name = "fuzz.json"
		}
		cfg, err := ParseConfig(name, text)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "config "+name+": ") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("accepted, yet invalid: %v", err)
		}
		l := cfg.Limits
		if l.MaxBodyBytes < 1 || l.MaxStreams < 1 || l.StreamTTL <= 0 || l.JournalSize < 1 || l.JournalSize > maxJournalSize {
			t.Fatalf("limits %+v", l)
		}
		if _, err := New(cfg); err != nil {
			t.Fatalf("accepted, yet New refuses it: %v", err)
		}

		// Its own JSON, less what the server fills in (fired), reads back
		// the same.
		b, err := json.Marshal(cfg)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		if faults, ok := doc["faults"].([]any); ok {
			for _, f := range faults {
				delete(f.(map[string]any), "fired")
			}
		}
		if b, err = json.Marshal(doc); err != nil {
			t.Fatal(err)
		}
		again, err := ParseConfig("again.json", b)
		if err != nil {
			t.Fatalf("%s does not read back: %v", b, err)
		}
		if diff := cmp.Diff(cfg, again, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("read back differs (-first +again):\n%s", diff)
		}
	})
}
