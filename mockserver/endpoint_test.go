package mockserver

import (
	"testing"
	"time"

	"github.com/deskmock/deskmock/mockserver/codes"
)

// A server runs configured copies of the endpoint values: the body limit
// of the endpoint's entry, else its default (v1's is limits.max_body_bytes),
// the stream rules with the entry's changes, and the rows of the table the
// endpoint runs, with its own overrides. The values themselves stay as
// declared.
func TestConfiguredEndpoints(t *testing.T) {
	tests := []struct {
		name, yaml     string
		v1Body, v2Body int
		v2Idle         time.Duration
		v1Schema       int // the code of body-schema on v1
		v2Schema       int
	}{
		{"defaults", "", defaultMaxBodyBytes, defaultMaxBodyBytesV2, 15 * time.Second, 90010, 90010},
		{"v1 follows limits.max_body_bytes", "limits: {max_body_bytes: 100}\n", 100, defaultMaxBodyBytesV2, 15 * time.Second, 90010, 90010},
		{"the entries win", "limits: {max_body_bytes: 100}\nendpoints:\n  v1: {max_body_bytes: 50}\n  v2: {max_body_bytes: 70, idle_timeout: \"off\"}\n", 50, 70, 0, 90010, 90010},
		{"an endpoint's own code", "codes:\n  v2/body-schema: {code: 90002}\n", defaultMaxBodyBytes, defaultMaxBodyBytesV2, 15 * time.Second, 90010, 90002},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseConfig("t.yaml", []byte("apps:\n  - {sdkappid: 1, secret_key: k, admins: [a]}\n"+tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			s, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			v1, v2 := s.byPath[EndpointPath], s.byPath[EndpointV2Path]
			if v1.maxBody != tt.v1Body || v2.maxBody != tt.v2Body {
				t.Errorf("body limits v1 %d, v2 %d; want %d, %d", v1.maxBody, v2.maxBody, tt.v1Body, tt.v2Body)
			}
			if v2.rules.IdleTimeout != tt.v2Idle || !v1.rules.RefuseAfterEnd || v1.rules.IdleTimeout != 0 {
				t.Errorf("rules v1 %+v, v2 %+v", v1.rules, v2.rules)
			}
			if v1.rows[codes.CheckBodySchema].Code != tt.v1Schema || v2.rows[codes.CheckBodySchema].Code != tt.v2Schema {
				t.Errorf("body-schema: v1 %d, v2 %d", v1.rows[codes.CheckBodySchema].Code, v2.rows[codes.CheckBodySchema].Code)
			}
			// The rows that name their endpoints agree with the values:
			// chunk-index runs where chunks are indexed, nowhere else.
			for _, ep := range []*endpoint{v1, v2, s.unknown} {
				if _, runs := ep.rows[codes.CheckChunkIndex]; runs != ep.indexed {
					t.Errorf("%s: runs chunk-index %v, indexed %v", ep.name, runs, ep.indexed)
				}
				if _, runs := ep.rows[codes.CheckPath]; !runs {
					t.Errorf("%s: no row of path", ep.name)
				}
			}
			if s.unknown.maxBody != defaultMaxBodyBytes || s.unknown.read != nil {
				t.Errorf("the unknown API reads %d bytes, a reader: %v", s.unknown.maxBody, s.unknown.read != nil)
			}
		})
	}
	if endpointV1.maxBody != 0 || endpointV2.rules.IdleTimeout != 15*time.Second || endpointV1.rows != nil {
		t.Errorf("a configuration changed the values: v1 %+v, v2 rules %+v", endpointV1, endpointV2.rules)
	}
}
