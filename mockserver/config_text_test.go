package mockserver

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// Numbers the schema library cannot handle are refused first, naming the
// file and the field, in JSON and in YAML.
func TestParseConfigRefusesHugeNumbers(t *testing.T) {
	const app = `{"sdkappid":1400000001,"secret_key":"k","admins":["a"]}`
	const yamlApp = "apps:\n  - {sdkappid: 1400000001, secret_key: k, admins: [a]}\n"
	tests := []struct{ name, text, want string }{
		{"c.json", `{"apps":[` + app + `],"limits":{"max_streams":1e999999999}}`, "config c.json: limits/max_streams: 1e999999999 has an exponent outside"},
		{"c.json", `{"apps":[` + app + `],"faults":[{"action":{"delay_ms":1},"probability":1e-999999999}]}`, "config c.json: faults/0/probability: 1e-999999999 has an exponent"},
		{"c.json", `{"apps":[{"sdkappid":1` + strings.Repeat("0", 100) + `,"secret_key":"k","admins":["a"]}]}`, "config c.json: apps/0/sdkappid: a number of 101 characters"},
		{"c.json", `{"apps":[` + app + `],"limits":{"max_streams":1E+99999}}`, "config c.json: limits/max_streams: 1E+99999 has an exponent"},
		{"c.yaml", yamlApp + "limits:\n  max_streams: 1e999999999\n", "config c.yaml: limits/max_streams (line 4): 1e999999999 has an exponent"},
		{"c.yaml", yamlApp + "faults: [{action: {delay_ms: 1}, probability: 1e-999999999}]\n", "config c.yaml: faults/0/probability (line 3): 1e-999999999"},
		{"c.yaml", yamlApp + "limits: {max_streams: " + strings.Repeat("9", 100) + "}\n", "config c.yaml: limits/max_streams (line 3): a number of 100 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := ParseConfig(tt.name, []byte(tt.text))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error %v, want %q...", err, tt.want)
			}
		})
	}
	// Ordinary numbers, exponents included, still read.
	if _, err := ParseConfig("ok.json", []byte(`{"apps":[{"sdkappid":1400000001,"secret_key":"k","admins":["a"]}],"faults":[{"action":{"delay_ms":1},"probability":5e-1}]}`)); err != nil {
		t.Errorf("ordinary numbers: %v", err)
	}
}

// A YAML error is reported at the line where the text stops being YAML,
// not where the construct around it began.
func TestParseConfigYAMLErrorLine(t *testing.T) {
	tests := []struct{ text, want string }{
		{"apps:\n  - sdkappid: 1\n    secret_key: k\n  bad: x\n", "yaml: line 4: "},
		{"apps:\n  - sdkappid: 1\n    secret_key: k\n    admins: [a\nlimits: {}\n", "yaml: line 4: "},
		{"apps: [\n", "yaml: line 1: "},
		{"a: 1\nb: 2\nc: 3\n\td: 4\n", "yaml: line 4: "},
	}
	for _, tt := range tests {
		_, err := ParseConfig("c.yaml", []byte(tt.text))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want %q", tt.text, err, tt.want)
		}
	}
}

// The config schema states the same maximums as Validate and the caps.
func TestConfigSchemaStatesTheBounds(t *testing.T) {
	b, err := os.ReadFile("../schemas/config.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(b, &schema); err != nil {
		t.Fatal(err)
	}
	at := func(path ...string) any {
		var v any = schema
		for _, p := range path {
			v = v.(map[string]any)[p]
		}
		return v
	}
	limits := []string{"properties", "limits", "properties"}
	tests := []struct {
		path []string
		want float64
	}{
		{append(limits, "journal_size", "maximum"), maxJournalSize},
		{append(limits, "journal_bytes", "maximum"), maxJournalBytes},
		{append(limits, "journal_file_bytes", "maximum"), MaxJournalFileBytes},
		{[]string{"$defs", "fault", "properties", "action", "properties", "delay_ms", "maximum"}, maxFaultDelayMS},
		{[]string{"properties", "faults", "maxItems"}, maxFaults},
		{[]string{"properties", "sessions", "properties", "ids", "maxItems"}, maxConfigSessions},
		{append(limits, "journal_files", "maximum"), MaxJournalFiles},
		{[]string{"properties", "apps", "maxItems"}, maxApps},
		{[]string{"properties", "apps", "items", "properties", "admins", "maxItems"}, maxAdmins},
		{[]string{"properties", "apps", "items", "properties", "admins", "items", "maxLength"}, maxIdentifierBytes},
		{[]string{"properties", "apps", "items", "properties", "secret_key", "maxLength"}, maxSecretKeyBytes},
		{[]string{"properties", "codes", "maxProperties"}, maxCodeOverrides},
		{[]string{"properties", "codes", "additionalProperties", "properties", "info", "maxLength"}, MaxCodeInfoBytes},
	}
	for _, tt := range tests {
		if got := at(tt.path...); got != tt.want {
			t.Errorf("%s: %v, want %v", strings.Join(tt.path, "/"), got, tt.want)
		}
	}
	// Validate refuses what the schema refuses.
	for _, mutate := range []func(*Config){
		func(c *Config) { c.Limits.JournalBytes = maxJournalBytes + 1 },
		func(c *Config) { c.Limits.JournalFileBytes = MaxJournalFileBytes + 1 },
		func(c *Config) { c.Faults = []Fault{{Action: FaultAction{DelayMS: maxFaultDelayMS + 1}}} },
	} {
		cfg := DefaultConfig()
		mutate(&cfg)
		if err := cfg.Validate(); err == nil {
			t.Errorf("Validate accepts %+v %+v", cfg.Limits, cfg.Faults)
		}
	}
}
