package deskmock

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/deskmock/deskmock/mockserver"
)

// streamRuleFlags collects --stream-rule VERSION.RULE=VALUE flags, such as
// v1.idle_timeout=15s or v2.calls_per_second=0.
type streamRuleFlags []string

func (f *streamRuleFlags) String() string { return strings.Join(*f, ",") }

// Set records one flag; apply checks it.
func (f *streamRuleFlags) Set(v string) error {
	*f = append(*f, v)
	return nil
}

// streamRuleNames are the rules a flag can set, as the configuration names
// them under endpoints.VERSION.
var streamRuleNames = []string{"idle_timeout", "refuse_after_end", "calls_per_second", "max_message_bytes", "max_body_bytes", "app_calls_per_second"}

// apply sets the rules in cfg.Endpoints, in the order given, each over
// the configuration's value. The value is read as the configuration file
// reads it: a duration or "off", true or false, a whole number.
func (f streamRuleFlags) apply(cfg *mockserver.Config) error {
	for _, flag := range f {
		name, value, ok := strings.Cut(flag, "=")
		version, rule, ok2 := strings.Cut(name, ".")
		if !ok || !ok2 {
			return fmt.Errorf("--stream-rule %q: want VERSION.RULE=VALUE, such as v1.idle_timeout=15s", flag)
		}
		known := false
		for _, n := range streamRuleNames {
			known = known || n == rule
		}
		if !known {
			return fmt.Errorf("--stream-rule %q: no rule %q (known: %s)", flag, rule, strings.Join(streamRuleNames, ", "))
		}
		if cfg.Endpoints == nil {
			cfg.Endpoints = map[string]mockserver.EndpointConfig{}
		}
		ep := cfg.Endpoints[version]
		// The rule's value goes through the configuration's own JSON form,
		// so the flag and the file accept the same values.
		doc, _ := json.Marshal(ep)
		var m map[string]json.RawMessage
		json.Unmarshal(doc, &m)
		if rule == "idle_timeout" {
			m[rule], _ = json.Marshal(value)
		} else {
			m[rule] = json.RawMessage(value)
		}
		doc, _ = json.Marshal(m)
		var next mockserver.EndpointConfig
		if err := json.Unmarshal(doc, &next); err != nil {
			return fmt.Errorf("--stream-rule %q: %v", flag, err)
		}
		cfg.Endpoints[version] = next
	}
	return nil
}
