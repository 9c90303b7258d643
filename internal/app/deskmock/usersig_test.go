package deskmock

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/deskmock/deskmock/mockserver/usersig"
)

// The test vector of tencent-im-rest.md, accepted by the official verifier.
const (
	vectorKey        = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"
	vectorSDKAppID   = "1400000000"
	vectorIdentifier = "xiaojun"
	vectorSig        = "eAEBrABT-3siVExTLnZlciI6IjIuMCIsIlRMUy5pZGVudGlmaWVyIjoieGlhb2p1biIsIlRMUy5zZGthcHBpZCI6MTQwMDAwMDAwMCwiVExTLmV4cGlyZSI6MTU1NTIwMDAsIlRMUy50aW1lIjoxNjAwMDAwMDAwLCJUTFMuc2lnIjoiMVo1UG5nRGpHYXVmZVNpUG9CdXhkSFk3RUszSlRkQWpNUDkzUzRLdlYzTT0ifQrbyDHF"
)

func vectorArgs(now int64, extra ...string) []string {
	args := []string{"usersig", "verify", "--sdkappid", vectorSDKAppID, "--identifier", vectorIdentifier,
		"--secret-key", vectorKey, "--now", strconv.FormatInt(now, 10)}
	return append(append(args, extra...), vectorSig)
}

func TestVerifyVector(t *testing.T) {
	tests := []struct {
		name   string
		now    int64
		code   int
		golden string
	}{
		{"just issued", 1600000001, ExitOK, "verify-vector-valid.golden"},
		{"last valid second", 1615552000, ExitOK, ""},
		{"first expired second", 1615552001, ExitFailure, "verify-vector-expired.golden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, runOpts{}, vectorArgs(tt.now)...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%sstderr:\n%s", r.code, tt.code, r.stdout, r.stderr)
			}
			if r.stderr != "" {
				t.Errorf("stderr %q, want nothing", r.stderr)
			}
			if tt.golden != "" {
				golden(t, tt.golden, r.stdout)
			}
		})
	}
}

// TestGenMatchesVector signs the vector's claims and checks that the result
// carries the same claims and verifies like the vector.
func TestGenMatchesVector(t *testing.T) {
	r := runCLI(t, runOpts{}, "usersig", "gen", "--sdkappid", vectorSDKAppID, "--identifier", vectorIdentifier,
		"--secret-key", vectorKey, "--time", "1600000000", "--expire", "4320h")
	if r.code != ExitOK {
		t.Fatalf("gen: exit %d, stderr %q", r.code, r.stderr)
	}
	sig := strings.TrimSuffix(r.stdout, "\n")
	if strings.ContainsAny(sig, " \n") {
		t.Fatalf("gen printed %q, want the UserSig alone", r.stdout)
	}
	got, err := usersig.Decode(sig)
	if err != nil {
		t.Fatal(err)
	}
	want, err := usersig.Decode(vectorSig)
	if err != nil {
		t.Fatal(err)
	}
	if got.Identifier != want.Identifier || got.SDKAppID != want.SDKAppID || got.Time != want.Time ||
		got.Expire != want.Expire || got.Sig != want.Sig {
		t.Errorf("gen claims %+v, want the vector's %+v", got, want)
	}
}

func TestGenVerifyRoundTrip(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	if err := os.WriteFile(keyFile, []byte("  file-key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		gen  []string
		env  map[string]string
	}{
		{"defaults", nil, nil},
		{"all flags", []string{"--sdkappid", "1400000042", "--identifier", "bot", "--secret-key", "k1", "--expire", "3600", "--time", "1700000000"}, nil},
		{"key file", []string{"--secret-key-file", keyFile}, nil},
		{"key from environment", nil, map[string]string{SecretKeyEnv: "env-key"}},
		{"flag beats environment", []string{"--secret-key", "k2"}, map[string]string{SecretKeyEnv: "env-key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := runOpts{env: tt.env}
			g := runCLI(t, o, append([]string{"usersig", "gen"}, tt.gen...)...)
			if g.code != ExitOK {
				t.Fatalf("gen: exit %d, stderr %q", g.code, g.stderr)
			}
			sig := strings.TrimSpace(g.stdout)
			// verify takes the same identity flags; --time/--expire are gen's.
			var vflags []string
			for i := 0; i < len(tt.gen); i += 2 {
				if tt.gen[i] != "--time" && tt.gen[i] != "--expire" {
					vflags = append(vflags, tt.gen[i], tt.gen[i+1])
				}
			}
			if len(tt.gen) > 0 && tt.gen[len(tt.gen)-2] == "--time" {
				vflags = append(vflags, "--now", "1700000001")
			}
			v := runCLI(t, o, append(append([]string{"usersig", "verify"}, vflags...), sig)...)
			if v.code != ExitOK || !strings.HasSuffix(v.stdout, "\nvalid\n") {
				t.Fatalf("verify: exit %d\nstdout:\n%sstderr:\n%s", v.code, v.stdout, v.stderr)
			}
			// Through stdin, too.
			v = runCLI(t, runOpts{env: tt.env, stdin: sig + "\n"}, append(append([]string{"usersig", "verify"}, vflags...), "-")...)
			if v.code != ExitOK {
				t.Fatalf("verify -: exit %d\nstdout:\n%sstderr:\n%s", v.code, v.stdout, v.stderr)
			}
		})
	}
}

func TestGenExpire(t *testing.T) {
	tests := []struct {
		expire string
		want   int64
	}{
		{"", 15552000},
		{"60", 60},
		{"24h", 86400},
		{"4320h", 15552000},
		{"1m30s", 90},
	}
	for _, tt := range tests {
		t.Run(tt.expire, func(t *testing.T) {
			args := []string{"usersig", "gen", "--time", "1600000000"}
			if tt.expire != "" {
				args = append(args, "--expire", tt.expire)
			}
			r := runCLI(t, runOpts{}, args...)
			if r.code != ExitOK {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			c, err := usersig.Decode(strings.TrimSpace(r.stdout))
			if err != nil {
				t.Fatal(err)
			}
			if c.Expire != tt.want || c.Time != 1600000000 {
				t.Errorf("time %d expire %d, want 1600000000 and %d", c.Time, c.Expire, tt.want)
			}
		})
	}
}

func TestVerifyRejections(t *testing.T) {
	// A UserSig for the default app, issued at 1700000000 for an hour.
	g := runCLI(t, runOpts{}, "usersig", "gen", "--time", "1700000000", "--expire", "1h")
	if g.code != ExitOK {
		t.Fatalf("gen: exit %d, stderr %q", g.code, g.stderr)
	}
	sig := strings.TrimSpace(g.stdout)
	at := "--now=1700000100"

	tests := []struct {
		name string
		args []string
		env  map[string]string
		want []string // in stdout
	}{
		{"wrong sdkappid", []string{"--sdkappid", "1400000002", at, sig}, nil, []string{
			"rejected: app mismatch: the UserSig was issued for sdkappid 1400000001, but is checked for sdkappid 1400000002",
			"ErrorCode 70014", "(check usersig-app-mismatch)"}},
		{"wrong identifier", []string{"--identifier", "admin", at, sig}, nil, []string{
			`rejected: identifier mismatch: the UserSig was issued for "administrator", but is checked for "admin"`,
			"ErrorCode 70013", "(check usersig-identifier-mismatch)"}},
		{"expired", []string{"--now", "1700007200", sig}, nil, []string{
			"rejected: expired at 2023-11-14T23:13:20Z, 1h ago (now is 2023-11-15T00:13:20Z)",
			"ErrorCode 70001", `"UserSig expired. Please generate a new one."`}},
		{"expired a second ago", []string{"--now", "1700003601", sig}, nil, []string{
			"rejected: expired at 2023-11-14T23:13:20Z, 1s ago"}},
		{"wrong key", []string{"--secret-key", "x", at, sig}, nil, []string{
			"rejected: bad signature:", "secret key from --secret-key", "the key is wrong, or the UserSig was altered",
			"ErrorCode 70009"}},
		{"wrong key from environment", []string{at, sig}, map[string]string{SecretKeyEnv: "other"}, []string{
			"rejected: bad signature:", "secret key from $DESKMOCK_SECRET_KEY", "ErrorCode 70009"}},
		{"tampered claims", []string{at, tamper(t, sig)}, nil, []string{
			"rejected: bad signature:", "secret key from the embedded test key", "ErrorCode 70009"}},
		{"garbage", []string{at, "not a usersig!"}, nil, []string{
			"rejected: undecodable: byte 3 is ' ', outside the token alphabet", "ErrorCode 70003", "(check usersig-undecodable)"}},
		{"standard base64", []string{at, "eJ+/"}, nil, []string{
			"rejected: undecodable:", "standard base64?", "ErrorCode 70003"}},
		{"base64 but not zlib", []string{at, "AAAA"}, nil, []string{
			"rejected: undecodable: bad zlib header", "ErrorCode 70003"}},
		{"empty", []string{at, ""}, nil, []string{
			"rejected: undecodable: empty token", "ErrorCode 70003"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, runOpts{env: tt.env}, append([]string{"usersig", "verify"}, tt.args...)...)
			if r.code != ExitFailure {
				t.Errorf("exit %d, want %d; stderr %q", r.code, ExitFailure, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, r.stdout)
				}
			}
			if strings.Contains(r.stdout, "\nvalid\n") {
				t.Errorf("stdout says valid:\n%s", r.stdout)
			}
		})
	}
}

// tamper lengthens the life of sig and keeps its TLS.sig, as someone
// editing the JSON inside the token would.
func tamper(t *testing.T, sig string) string {
	t.Helper()
	c, err := usersig.Decode(sig)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := json.Marshal(map[string]any{
		"TLS.ver": "2.0", "TLS.identifier": c.Identifier, "TLS.sdkappid": c.SDKAppID,
		"TLS.time": c.Time, "TLS.expire": c.Expire * 1000, "TLS.sig": c.Sig,
	})
	if err != nil {
		t.Fatal(err)
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(doc)
	zw.Close()
	r := strings.NewReplacer("+", "*", "/", "-", "=", "_")
	return r.Replace(base64.StdEncoding.EncodeToString(z.Bytes()))
}

func TestVerifyURLEncodedSig(t *testing.T) {
	// Percent-encode the first character, as a UserSig copied from a URL
	// may be.
	escaped := "%" + strings.ToUpper(strconv.FormatInt(int64(vectorSig[0]), 16)) + vectorSig[1:]
	args := vectorArgs(1600000001)
	args[len(args)-1] = escaped
	r := runCLI(t, runOpts{}, args...)
	if r.code != ExitOK {
		t.Fatalf("exit %d\nstdout:\n%sstderr:\n%s", r.code, r.stdout, r.stderr)
	}
}

func TestVerifyFlagsAfterSig(t *testing.T) {
	r := runCLI(t, runOpts{}, "usersig", "verify", vectorSig, "--sdkappid", vectorSDKAppID,
		"--identifier", vectorIdentifier, "--secret-key", vectorKey, "--now", "1600000001")
	if r.code != ExitOK {
		t.Fatalf("exit %d\nstdout:\n%sstderr:\n%s", r.code, r.stdout, r.stderr)
	}
}

func TestVerifyDefaultNowIsTheClock(t *testing.T) {
	// The vector expired in 2021.
	var stdout strings.Builder
	e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stdout,
		getenv: func(string) string { return "" }, now: func() time.Time { return time.Unix(1600000005, 0) }}
	args := vectorArgs(0)
	args = append(args[:len(args)-3], vectorSig) // drop --now 0
	if code := run(t.Context(), e, args); code != ExitOK {
		t.Fatalf("exit %d at the injected clock:\n%s", code, stdout.String())
	}
	stdout.Reset()
	e.now = time.Now
	if code := run(t.Context(), e, args); code != ExitFailure || !strings.Contains(stdout.String(), "rejected: expired at 2021-03-12T12:26:40Z") {
		t.Fatalf("exit %d at the real clock:\n%s", code, stdout.String())
	}
}
