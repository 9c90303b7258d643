package mockserver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http/httptest"
	"os"
	"time"
)

// LocalHosts are the names and addresses every certificate of NewLocalTLS
// is valid for.
var LocalHosts = []string{"127.0.0.1", "::1", "localhost"}

// localTLSLifetime is how long the certificates of NewLocalTLS are valid.
const localTLSLifetime = 30 * 24 * time.Hour

// LocalTLS is a certificate authority made in memory and a server
// certificate it signed, for serving HTTPS to clients that trust the CA.
// The CA's private key is never written anywhere and is dropped once the
// server certificate is signed.
type LocalTLS struct {
	// CACertPEM is the CA certificate in PEM, for clients to trust (curl
	// --cacert, Python requests verify=, a Go x509.CertPool).
	CACertPEM []byte
	// Certificate is the server certificate with its private key.
	Certificate tls.Certificate
	// Hosts are the DNS names and IP addresses the certificate is valid for.
	Hosts []string

	pool *x509.CertPool
}

// NewLocalTLS makes an ECDSA P-256 CA and a server certificate signed by it
// that is valid for LocalHosts and the extra hosts (DNS names or IP
// addresses) for 30 days.
func NewLocalTLS(extraHosts ...string) (*LocalTLS, error) {
	hosts := append(append([]string(nil), LocalHosts...), extraHosts...)
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("mockserver: tls: %w", err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{Organization: []string{"deskmock"}, CommonName: "deskmock local CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(localTLSLifetime),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("mockserver: tls: CA: %w", err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("mockserver: tls: CA: %w", err)
	}

	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("mockserver: tls: %w", err)
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{Organization: []string{"deskmock"}, CommonName: "deskmock"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(localTLSLifetime),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if h == "" {
			return nil, errors.New("mockserver: tls: empty host name")
		}
		if ip := net.ParseIP(h); ip != nil {
			leafTmpl.IPAddresses = append(leafTmpl.IPAddresses, ip)
		} else {
			leafTmpl.DNSNames = append(leafTmpl.DNSNames, h)
		}
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, caCert, &leafKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("mockserver: tls: server certificate: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	return &LocalTLS{
		CACertPEM:   pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		Certificate: tls.Certificate{Certificate: [][]byte{leafDER, caDER}, PrivateKey: leafKey},
		Hosts:       hosts,
		pool:        pool,
	}, nil
}

// serial returns a random 128-bit certificate serial number.
func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	return n
}

// CertPool returns a pool holding the CA certificate, for a Go client's
// tls.Config RootCAs.
func (l *LocalTLS) CertPool() *x509.CertPool { return l.pool }

// ServerConfig returns a TLS configuration serving the certificate, for
// ListenOptions.TLSConfig.
func (l *LocalTLS) ServerConfig() *tls.Config {
	return ServerTLSConfig(l.Certificate)
}

// WriteCACert writes the CA certificate in PEM to file, readable by all:
// it is public.
func (l *LocalTLS) WriteCACert(file string) error {
	if err := os.WriteFile(file, l.CACertPEM, 0o644); err != nil {
		return fmt.Errorf("mockserver: tls: %w", err)
	}
	return nil
}

// WriteKeyPair writes the server certificate chain and its private key in
// PEM to certFile and keyFile (readable by the owner only), in the form
// LoadTLSConfig and serve --tls-cert/--tls-key read, for another server or a
// later run that should present the same certificate.
func (l *LocalTLS) WriteKeyPair(certFile, keyFile string) error {
	var chain []byte
	for _, der := range l.Certificate.Certificate {
		chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	der, err := x509.MarshalPKCS8PrivateKey(l.Certificate.PrivateKey)
	if err != nil {
		return fmt.Errorf("mockserver: tls: %w", err)
	}
	if err := os.WriteFile(certFile, chain, 0o644); err != nil {
		return fmt.Errorf("mockserver: tls: %w", err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return fmt.Errorf("mockserver: tls: %w", err)
	}
	return nil
}

// LoadTLSConfig reads a PEM certificate (chain) and its private key, for
// ListenOptions.TLSConfig.
func LoadTLSConfig(certFile, keyFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("mockserver: tls: %w", err)
	}
	return ServerTLSConfig(cert), nil
}

// ServerTLSConfig returns a server configuration for cert: TLS 1.2 or
// later, HTTP/1.1 only. HTTP/2 is not offered because the connection faults
// (reset, truncate) take over the connection, which HTTP/2 does not allow.
func ServerTLSConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{"http/1.1"},
	}
}

// tlsListener wraps ln in TLS when cfg is not nil.
func tlsListener(ln net.Listener, cfg *tls.Config) net.Listener {
	if ln == nil || cfg == nil {
		return ln
	}
	return tls.NewListener(ln, cfg)
}

// NewTLSTestServer is NewTestServer over HTTPS: its URL starts with
// https://, its certificate comes from NewLocalTLS, and ts.TLS.CertPool()
// (or ts.Client()) trusts it.
func NewTLSTestServer(t TestingT, opts ...Option) *TestServer {
	t.Helper()
	ts, err := StartTLS(opts...)
	if err != nil {
		t.Fatalf("mockserver.NewTLSTestServer: %v", err)
	}
	t.Cleanup(ts.Close)
	return ts
}

// StartTLS is Start over HTTPS, as NewTLSTestServer. The caller should call
// Close when finished.
func StartTLS(opts ...Option) (*TestServer, error) {
	lt, err := NewLocalTLS()
	if err != nil {
		return nil, err
	}
	s, err := newFromOptions(opts)
	if err != nil {
		return nil, err
	}
	hs := httptest.NewUnstartedServer(s.Handler())
	hs.TLS = lt.ServerConfig()
	hs.StartTLS()
	ts := newTestServer(s, hs)
	ts.TLS = lt
	return ts, nil
}
