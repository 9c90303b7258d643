package deskmock

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/deskmock/deskmock/internal/shellquote"
	"github.com/deskmock/deskmock/mockserver"
)

// hostList is a repeatable flag of host names.
type hostList []string

// String implements flag.Value.
func (h *hostList) String() string { return strings.Join(*h, ",") }

// Set implements flag.Value: each use adds one or more comma-separated names.
func (h *hostList) Set(v string) error {
	for _, name := range strings.Split(v, ",") {
		if name = strings.TrimSpace(name); name == "" {
			return errors.New("empty host name")
		}
		*h = append(*h, name)
	}
	return nil
}

// tlsFlags are the HTTPS flags of serve.
type tlsFlags struct {
	on    bool
	hosts hostList
	caOut string
	cert  string
	key   string
}

func (t *tlsFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&t.on, "tls", false, "serve HTTPS with a certificate made at start by a CA made in memory, valid for "+strings.Join(mockserver.LocalHosts, ", ")+" and --tls-host")
	fs.Var(&t.hosts, "tls-host", "also make the certificate valid for `name` (a DNS name or IP address; repeatable)")
	fs.StringVar(&t.caOut, "tls-ca-out", "", "write the CA certificate (PEM) to `file`, for clients to trust")
	fs.StringVar(&t.cert, "tls-cert", "", "serve HTTPS with your own certificate (chain) from PEM `file` (needs --tls-key)")
	fs.StringVar(&t.key, "tls-key", "", "the private key of --tls-cert, PEM `file`")
}

// tlsSetup is what serve needs to serve HTTPS.
type tlsSetup struct {
	config *tls.Config
	// caFile is where the CA certificate was written, "" if nowhere.
	caFile string
	// own is true for the user's certificate.
	own bool
	// hosts are the names the made certificate is valid for.
	hosts []string
}

// configOrNil returns the TLS configuration, nil for plain HTTP.
func (s *tlsSetup) configOrNil() *tls.Config {
	if s == nil {
		return nil
	}
	return s.config
}

// resolve checks the flags and returns nil for plain HTTP. The error is a
// usage error.
func (t *tlsFlags) resolve(set map[string]bool) (*tlsSetup, error) {
	own := set["tls-cert"] || set["tls-key"]
	if own {
		if t.cert == "" || t.key == "" {
			return nil, errors.New("--tls-cert and --tls-key go together")
		}
		if len(t.hosts) > 0 || t.caOut != "" {
			return nil, errors.New("--tls-host and --tls-ca-out apply to the certificate --tls makes, not to --tls-cert")
		}
		cfg, err := mockserver.LoadTLSConfig(t.cert, t.key)
		if err != nil {
			return nil, err
		}
		return &tlsSetup{config: cfg, own: true}, nil
	}
	if !t.on {
		if len(t.hosts) > 0 || t.caOut != "" {
			return nil, errors.New("--tls-host and --tls-ca-out need --tls")
		}
		return nil, nil
	}
	lt, err := mockserver.NewLocalTLS(t.hosts...)
	if err != nil {
		return nil, err
	}
	if t.caOut != "" {
		if err := lt.WriteCACert(t.caOut); err != nil {
			return nil, fmt.Errorf("--tls-ca-out: %w", err)
		}
	}
	return &tlsSetup{config: lt.ServerConfig(), caFile: t.caOut, hosts: lt.Hosts}, nil
}

// scheme is the URL scheme served.
func (s *tlsSetup) scheme() string {
	if s == nil {
		return "http"
	}
	return "https"
}

// curlTrust is what the printed curl command needs to trust the server.
func (s *tlsSetup) curlTrust() string {
	switch {
	case s == nil || s.own:
		return ""
	case s.caFile != "":
		return "--cacert " + shellquote.Quote(s.caFile) + " "
	}
	return "--insecure "
}

// caPool reads a PEM file of CA certificates into a pool.
func caPool(file string) (*x509.CertPool, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%s holds no PEM certificate", file)
	}
	return pool, nil
}
