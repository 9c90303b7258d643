package mockserver

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deskmock/deskmock/mockserver/codes"
)

func TestDefaultConfig(t *testing.T) {
	cfg := DefaultConfig()
	if len(cfg.Apps) != 1 || cfg.Apps[0].SDKAppID != 1400000001 || cfg.Apps[0].Admins[0] != "administrator" || !cfg.Apps[0].IsDesk() {
		t.Errorf("default app %+v", cfg.Apps)
	}
	if cfg.Limits.MaxBodyBytes != 12288 || cfg.Limits.MaxStreams != defaultMaxStreams || time.Duration(cfg.Limits.StreamTTL) != time.Hour {
		t.Errorf("default limits %+v", cfg.Limits)
	}
}

func TestLoadConfigYAMLAndJSONAgree(t *testing.T) {
	y, err := LoadConfig("../testdata/config/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	j, err := LoadConfig("../testdata/config/full.json")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(j, y); diff != "" {
		t.Errorf("YAML and JSON differ (-json +yaml):\n%s", diff)
	}
	no := false
	want := Config{
		Apps: []App{
			{SDKAppID: 1400000001, SecretKey: "first-app-key", Admins: []string{"administrator", "ops"}, Robots: []string{"@RBT#support"}},
			{SDKAppID: 1400000002, SecretKey: "second-app-key", Admins: []string{"administrator"}, Desk: &no},
		},
		Sessions: Sessions{Strict: true, IDs: []string{testSession}},
		Accounts: Directory{Strict: true, IDs: []string{"user01", "user02"}},
		Groups:   Directory{Strict: true, IDs: []string{"team"}},
		Desk: Desk{Agents: []Agent{{ID: "alice@example.com", Groups: []int{1}, MaxSessions: 2}, {ID: "bob@example.com", Groups: []int{2}, ManualAccept: true}},
			WorkingHours: "09:00-18:00"},
		Limits: Limits{MaxBodyBytes: 12000, MaxStreams: 500, StreamTTL: Duration(10 * time.Minute), JournalSize: 100,
			JournalBytes: defaultJournalBytes, JournalFileBytes: DefaultJournalFileBytes, JournalFiles: DefaultJournalFiles, MaxStreamBytes: defaultMaxStreamBytes, MaxStoreBytes: defaultMaxStoreBytes},
		Codes:  map[codes.Check]codes.Override{"usersig-expired": {Code: 20002}, "session-not-found": {Info: "Session is gone."}},
		Faults: []Fault{{Match: FaultMatch{Nth: 3}, Action: FaultAction{HTTPStatus: 502}, Times: 1}},
	}
	if diff := cmp.Diff(want, y); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
}

func TestConfigFromFileDrivesServer(t *testing.T) {
	cfg, err := LoadConfig("../testdata/config/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ts := NewTestServer(t, WithConfig(cfg))
	url := ts.URL + EndpointPath + "?"
	expired := sign(t, "first-app-key", 1400000001, "ops", time.Now().Add(-time.Hour), 60)
	tests := []struct {
		name     string
		query    string
		body     string
		wantCode int
		wantInfo string
	}{
		{"second admin accepted", Query(1400000001, "ops", sign(t, "first-app-key", 1400000001, "ops", time.Now(), 60), 1), `{"SessionId":"` + testSession + `","Chunk":"x"}`, 0, ""},
		{"override of code", Query(1400000001, "ops", expired, 1), `{"SessionId":"` + testSession + `","Chunk":"x"}`, 20002, "UserSig or A2 invalid"},
		{"fault rule from the file fires on the third request", "", "", 502, ""},
		{"override of text", Query(1400000001, "ops", sign(t, "first-app-key", 1400000001, "ops", time.Now(), 60), 1), `{"SessionId":"` + otherSession + `","Chunk":"x"}`, 141005, "Session is gone."},
		{"non-Desk app", Query(1400000002, "administrator", sign(t, "second-app-key", 1400000002, "administrator", time.Now(), 60), 1), `{"SessionId":"` + testSession + `","Chunk":"x"}`, 141000, "Applications other than Desk are not allowed to call this API."},
		{"body limit from the file", Query(1400000001, "ops", sign(t, "first-app-key", 1400000001, "ops", time.Now(), 60), 1), bodyOfSize(12001), 93000, "The JSON data packet is excessively long. The message body should not exceed 12k."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.wantCode == 502 {
				resp, err := httpPost(url+Query(1400000001, "ops", expired, 1), "{}")
				if err != nil {
					t.Fatal(err)
				}
				if resp.StatusCode != 502 {
					t.Errorf("status %d, want 502", resp.StatusCode)
				}
				return
			}
			got := post(t, url+tt.query, tt.body)
			if got.ErrorCode != tt.wantCode || got.ErrorInfo != tt.wantInfo {
				t.Errorf("got %d %q, want %d %q", got.ErrorCode, got.ErrorInfo, tt.wantCode, tt.wantInfo)
			}
		})
	}
}

func TestLoadConfigErrorsNameFileAndField(t *testing.T) {
	tests := []struct {
		name, file, text string
		want             []string
	}{
		{"sdkappid a string", "a.yaml", "apps:\n  - sdkappid: abc\n    secret_key: k\n    admins: [a]\n", []string{"a.yaml", ": apps/0/sdkappid: ", "integer"}},
		{"secret key missing", "a.yaml", "apps:\n  - sdkappid: 1\n    admins: [a]\n", []string{"a.yaml", ": apps/0: ", "secret_key"}},
		{"unknown field", "a.yaml", "apps:\n  - sdkappid: 1\n    secret_key: k\n    admins: [a]\nlimit: {}\n", []string{"a.yaml", "limit"}},
		{"no admins", "c.json", `{"apps":[{"sdkappid":1,"secret_key":"k","admins":[]}]}`, []string{"c.json", ": apps/0/admins: "}},
		{"duplicate app", "a.yaml", "apps:\n  - {sdkappid: 1, secret_key: k, admins: [a]}\n  - {sdkappid: 1, secret_key: k, admins: [a]}\n", []string{"a.yaml", "apps/1/sdkappid", "already used"}},
		{"bad session id", "a.yaml", "apps: [{sdkappid: 1, secret_key: k, admins: [a]}]\nsessions: {ids: [nope]}\n", []string{"a.yaml", "sessions/ids/0", "SessionId"}},
		{"bad ttl", "a.yaml", "apps: [{sdkappid: 1, secret_key: k, admins: [a]}]\nlimits: {stream_ttl: soon}\n", []string{"a.yaml", ": limits/stream_ttl: "}},
		{"unknown check", "a.yaml", "apps: [{sdkappid: 1, secret_key: k, admins: [a]}]\ncodes: {no-such-check: {code: 1}}\n", []string{"a.yaml", "codes", "no-such-check"}},
		{"unknown code without text", "a.yaml", "apps: [{sdkappid: 1, secret_key: k, admins: [a]}]\ncodes: {not-admin: {code: 12345}}\n", []string{"a.yaml", "not-admin", "12345"}},
		{"fault with two actions", "a.yaml", "apps: [{sdkappid: 1, secret_key: k, admins: [a]}]\nfaults: [{action: {error_code: 20004, reset: true}}]\n", []string{"a.yaml", "faults/0/action"}},
		{"fault field misspelt", "a.yaml", "apps: [{sdkappid: 1, secret_key: k, admins: [a]}]\nfaults: [{action: {eror_code: 20004}}]\n", []string{"a.yaml", ": faults/0/action: ", "eror_code"}},
		{"not YAML", "a.yaml", "apps: [\n", []string{"a.yaml", "YAML"}},
		{"not JSON", "a.json", "{", []string{"a.json", "JSON"}},
		{"no apps", "a.yaml", "sessions: {strict: true}\n", []string{"a.yaml", "apps"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tt.file)
			if err := os.WriteFile(path, []byte(tt.text), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadConfig(path)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range append(tt.want, path) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}
