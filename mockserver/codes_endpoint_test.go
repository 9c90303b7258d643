package mockserver

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/deskmock/deskmock/mockserver/codes"
)

// An override keyed "v2/check" changes that check's answer on v2 only, on
// top of the override of every endpoint (a new code brings its catalogue
// text, as any override's does); the config file takes such keys, and the
// admin API shows them.
func TestCodesPerEndpoint(t *testing.T) {
	cfg, err := ParseConfig("codes.yaml", []byte(`
apps:
  - sdkappid: 1400000001
    secret_key: key
    admins: [administrator]
codes:
  body-schema: {info: "Bad body."}
  v2/body-schema: {code: 90002}
  v1/session-not-found: {info: "No v1 session."}
`))
	if err != nil {
		t.Fatal(err)
	}
	ts := NewTestServer(t, WithConfig(cfg), WithStrictSessions())
	v1URL, v2URL := ts.EndpointURL(), ts.EndpointV2URL()
	text90002, _ := codes.Lookup(90002)
	tests := []struct {
		name     string
		url      string
		body     string
		wantCode int
		wantInfo string
	}{
		{"v1 body-schema: every endpoint's", v1URL, `{"SessionId":"` + testSession + `"}`, 90010, "Bad body."},
		{"v2 body-schema: its own on top", v2URL, `{"SessionId":"` + testSession + `"}`, 90002, text90002.Info},
		{"v1 session-not-found: its own", v1URL, ChunkBody(testSession, "", "a", false), 141005, "No v1 session."},
		{"v2 session-not-found: the default", v2URL, v2Body(testSession, "", v2Chunk{1, "a", true}), 141005, "This session does not exist."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := post(t, tt.url, tt.body)
			if got.ErrorCode != tt.wantCode || got.ErrorInfo != tt.wantInfo {
				t.Errorf("answer %d %q, want %d %q", got.ErrorCode, got.ErrorInfo, tt.wantCode, tt.wantInfo)
			}
		})
	}

	resp, err := http.Get(ts.URL + "/__admin/codes")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		ByEndpoint map[string][]codes.Rule `json:"by_endpoint"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if v2 := doc.ByEndpoint[V2]; len(v2) != 1 || v2[0].Check != codes.CheckBodySchema || v2[0].Code != 90002 || len(doc.ByEndpoint) != 9 || doc.ByEndpoint[C2C][0].Code != 90010 || doc.ByEndpoint[Chatbot][0].Code != 10008 {
		t.Errorf("by_endpoint %+v", doc.ByEndpoint)
	}
}

// A key of an endpoint that does not exist, or that does not run the
// check, is refused at load time with the field named.
func TestCodesPerEndpointRefused(t *testing.T) {
	for key, want := range map[string]string{
		"v3/body-schema":  `unknown endpoint "v3"`,
		"v1/chunk-index":  "endpoint v1 does not run check chunk-index",
		"v2/no-such-rule": `unknown check "v2/no-such-rule"`,
	} {
		_, err := ParseConfig("codes.yaml", []byte("apps: [{sdkappid: 1400000001, secret_key: key, admins: [administrator]}]\ncodes:\n  "+key+": {code: 90002}\n"))
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "codes") {
			t.Errorf("%s: error %v, want %q", key, err, want)
		}
	}
}
