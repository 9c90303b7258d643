package mockserver

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/deskmock/deskmock/schemas"
)

// The configuration schema names every endpoint, and no other, where a
// configuration names one: under endpoints and in a fault rule's match.
func TestConfigSchemaNamesEveryEndpoint(t *testing.T) {
	src, err := schemas.Source(schemas.ConfigFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Properties struct {
			Endpoints struct {
				Properties map[string]any `json:"properties"`
			} `json:"endpoints"`
		} `json:"properties"`
		Defs struct {
			Fault struct {
				Properties struct {
					Match struct {
						Properties struct {
							Endpoint struct {
								Enum []string `json:"enum"`
							} `json:"endpoint"`
						} `json:"properties"`
					} `json:"match"`
				} `json:"properties"`
			} `json:"fault"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(src, &doc); err != nil {
		t.Fatal(err)
	}
	want := slices.Sorted(slices.Values(versions()))
	var keys []string
	for k := range doc.Properties.Endpoints.Properties {
		keys = append(keys, k)
	}
	if got := slices.Sorted(slices.Values(keys)); !slices.Equal(got, want) {
		t.Errorf("endpoints names %v, want %v", got, want)
	}
	if got := slices.Sorted(slices.Values(doc.Defs.Fault.Properties.Match.Properties.Endpoint.Enum)); !slices.Equal(got, want) {
		t.Errorf("faults' match.endpoint names %v, want %v", got, want)
	}
}
