package deskmock

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/deskmock/deskmock/mockserver"
)

func TestServeTLS(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "ca.pem")
	s := startServe(t, nil, "--addr", "127.0.0.1:0", "--tls", "--tls-host", "deskmock.test", "--tls-ca-out", ca)
	out := s.stdout.String()
	for _, want := range []string{"endpoint    POST https://127.0.0.1:", "health      https://", "signed by the CA in " + ca, "deskmock.test"} {
		if !strings.Contains(out, want) {
			t.Errorf("banner lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(s.curl, "curl -sS --cacert '"+ca+"' -X POST 'https://") {
		t.Errorf("curl line %q, want --cacert and https", s.curl)
	}
	if reply, _ := sendCurl(t, s.curl); reply["ErrorCode"] != 0.0 {
		t.Errorf("reply %v", reply)
	}

	url := "https://" + s.addr
	if r := runCLI(t, runOpts{}, "health", "--url", url, "--cacert", ca); r.code != ExitOK {
		t.Errorf("health --cacert: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := runCLI(t, runOpts{}, "health", "--url", url); r.code != ExitFailure || !strings.Contains(r.stderr, "certificate signed by unknown authority") {
		t.Errorf("health without --cacert: exit %d, stderr %q; want 1 and an unknown authority", r.code, r.stderr)
	}
	if r := runCLI(t, runOpts{}, "health", "--url", "http://"+s.addr); r.code != ExitFailure {
		t.Errorf("health over plain HTTP: exit %d, want 1", r.code)
	}
}

func TestServeOwnCertificate(t *testing.T) {
	lt, err := mockserver.NewLocalTLS()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile, ca := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), filepath.Join(dir, "ca.pem")
	if err := lt.WriteKeyPair(certFile, keyFile); err != nil {
		t.Fatal(err)
	}
	if err := lt.WriteCACert(ca); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, nil, "--addr", "127.0.0.1:0", "--tls-cert", certFile, "--tls-key", keyFile)
	if !strings.Contains(s.stdout.String(), "your certificate (--tls-cert)") {
		t.Errorf("banner:\n%s", s.stdout)
	}
	if r := runCLI(t, runOpts{}, "health", "--url", "https://"+s.addr, "--cacert", ca); r.code != ExitOK {
		t.Errorf("health: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestServeTLSUsageErrors(t *testing.T) {
	tests := []struct {
		args   []string
		stderr string
	}{
		{[]string{"--tls-cert", "c.pem"}, "--tls-cert and --tls-key go together"},
		{[]string{"--tls-ca-out", "ca.pem"}, "need --tls"},
		{[]string{"--tls", "--tls-host", ""}, "empty host name"},
		{[]string{"--tls-cert", "/nonexistent/c.pem", "--tls-key", "/nonexistent/k.pem"}, "mockserver: tls: open /nonexistent/c.pem"},
		{[]string{"--tls", "--tls-ca-out", "/nonexistent/dir/ca.pem"}, "--tls-ca-out: "},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := runCLI(t, runOpts{}, append([]string{"serve", "--addr", "127.0.0.1:0"}, tt.args...)...)
			if r.code != ExitUsage || !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", r.code, r.stderr, tt.stderr)
			}
		})
	}
	if r := runCLI(t, runOpts{}, "health", "--url", "https://127.0.0.1:1", "--cacert", "/nonexistent/ca.pem"); r.code != ExitUsage {
		t.Errorf("health with a missing --cacert: exit %d, want 2", r.code)
	}
}

func TestServeTLSWithoutCAFile(t *testing.T) {
	s := startServe(t, nil, "--addr", "127.0.0.1:0", "--tls")
	if !strings.Contains(s.stdout.String(), "give --tls-ca-out FILE to trust it") || !strings.HasPrefix(s.curl, "curl -sS --insecure -X POST 'https://") {
		t.Errorf("banner:\n%s", s.stdout)
	}
}
