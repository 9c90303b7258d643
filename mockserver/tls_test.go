package mockserver

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// poolFromFile is what a client does with the CA file: read it into a pool.
func poolFromFile(t *testing.T, file string) *x509.CertPool {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		t.Fatalf("%s holds no certificate", file)
	}
	return pool
}

func TestListenTLS(t *testing.T) {
	lt, err := NewLocalTLS("deskmock.test", "10.1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := lt.WriteCACert(caFile); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := lt.WriteKeyPair(certFile, keyFile); err != nil {
		t.Fatal(err)
	}
	own, err := LoadTLSConfig(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}

	servers := map[string]*listening{
		"made at start": listen(t, DefaultConfig(), ListenOptions{TLSConfig: lt.ServerConfig()}),
		"own cert/key":  listen(t, DefaultConfig(), ListenOptions{TLSConfig: own}),
	}
	tests := []struct {
		name       string
		serverName string
		roots      *x509.CertPool
		wantErr    string
	}{
		{"trusting the CA file, 127.0.0.1", "127.0.0.1", poolFromFile(t, caFile), ""},
		{"trusting the CA file, ::1", "::1", poolFromFile(t, caFile), ""},
		{"trusting the CA file, localhost", "localhost", poolFromFile(t, caFile), ""},
		{"trusting the CA file, --tls-host name", "deskmock.test", poolFromFile(t, caFile), ""},
		{"trusting the CA file, --tls-host address", "10.1.2.3", poolFromFile(t, caFile), ""},
		{"trusting CertPool()", "127.0.0.1", lt.CertPool(), ""},
		{"without the CA", "127.0.0.1", nil, "certificate signed by unknown authority"},
		{"a name the certificate lacks", "example.com", lt.CertPool(), "not example.com"},
	}
	for sname, l := range servers {
		for _, tt := range tests {
			t.Run(sname+"/"+tt.name, func(t *testing.T) {
				client := &http.Client{Transport: &http.Transport{
					TLSClientConfig: &tls.Config{RootCAs: tt.roots, ServerName: tt.serverName},
					// Dial the bound address whatever name the URL carries.
					DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
						return (&net.Dialer{}).DialContext(ctx, network, l.addr)
					},
				}}
				resp, err := client.Get("https://" + net.JoinHostPort(tt.serverName, "1") + "/__admin/health")
				if tt.wantErr != "" {
					if err == nil {
						resp.Body.Close()
						t.Fatalf("the handshake succeeded, want %q", tt.wantErr)
					}
					if !strings.Contains(err.Error(), tt.wantErr) {
						t.Fatalf("error %v, want %q", err, tt.wantErr)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				if resp.StatusCode != http.StatusOK || resp.TLS == nil || resp.TLS.NegotiatedProtocol == "h2" {
					t.Errorf("status %d, TLS %v; want 200 over TLS with HTTP/1.1", resp.StatusCode, resp.TLS)
				}
			})
		}
	}
}

func TestListenTLSRefusesPlainHTTP(t *testing.T) {
	lt, err := NewLocalTLS()
	if err != nil {
		t.Fatal(err)
	}
	l := listen(t, DefaultConfig(), ListenOptions{TLSConfig: lt.ServerConfig()})
	resp, err := http.Get("http://" + l.addr + "/__admin/health")
	if err != nil {
		return // the server closed the connection: fine
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Errorf("plain HTTP answered 200 on an HTTPS listener")
	}
}

func TestLocalTLSCertificate(t *testing.T) {
	lt, err := NewLocalTLS("a.test")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(lt.Certificate.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if leaf.PublicKeyAlgorithm != x509.ECDSA || leaf.IsCA {
		t.Errorf("leaf: %v, CA %v; want an ECDSA server certificate", leaf.PublicKeyAlgorithm, leaf.IsCA)
	}
	if _, err := NewLocalTLS(""); err == nil {
		t.Error("an empty host name was accepted")
	}
	if _, err := LoadTLSConfig("/nonexistent/cert.pem", "/nonexistent/key.pem"); err == nil || !strings.HasPrefix(err.Error(), "mockserver: tls: ") {
		t.Errorf("LoadTLSConfig of missing files: %v", err)
	}
}

func TestTLSTestServer(t *testing.T) {
	ts := NewTLSTestServer(t)
	if !strings.HasPrefix(ts.URL, "https://127.0.0.1:") {
		t.Fatalf("URL %s", ts.URL)
	}
	for name, client := range map[string]*http.Client{
		"Client()":   ts.Client(),
		"CertPool()": {Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ts.TLS.CertPool()}}},
	} {
		t.Run(name, func(t *testing.T) {
			resp, err := client.Post(ts.EndpointURL(), "application/json", strings.NewReader(`{"SessionId":"fd8a2e30-54de-4e40-bcaf-02718409c5cf","Chunk":"hi","Finish":1}`))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var reply struct{ ErrorCode int }
			b, _ := io.ReadAll(resp.Body)
			if err := json.Unmarshal(b, &reply); err != nil || reply.ErrorCode != 0 {
				t.Errorf("reply %s (%v)", b, err)
			}
		})
	}
}

// TestTLSConnectionFaults checks that the faults that take the connection
// over still work over HTTPS: no reply, or half of one.
func TestTLSConnectionFaults(t *testing.T) {
	for name, action := range map[string]FaultAction{"reset": {Reset: true}, "truncate": {Truncate: true}} {
		t.Run(name, func(t *testing.T) {
			ts := NewTLSTestServer(t)
			if _, err := ts.AddFault(Fault{Action: action, Times: 1}); err != nil {
				t.Fatal(err)
			}
			resp, err := ts.Client().Post(ts.EndpointURL(), "application/json", strings.NewReader(`{"SessionId":"fd8a2e30-54de-4e40-bcaf-02718409c5cf","Chunk":"hi"}`))
			if err == nil {
				_, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			if err == nil {
				t.Errorf("the request got a whole reply, want the connection dropped")
			}
			if name == "reset" && !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("reset over TLS: %v, want a TCP reset", err)
			}
		})
	}
}
