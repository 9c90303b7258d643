// Package deskmock runs the deskmock image with Testcontainers for Go: Run
// starts it and waits until /__admin/health answers, BaseURL is the
// endpoint's base URL for the client under test, and Admin drives the mock
// (reset, faults, the journal of requests, the streams) with the types of
// github.com/deskmock/deskmock/mockserver.
//
// It is a module of its own, so that deskmock's main module does not depend
// on Testcontainers.
package deskmock

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"
)

// port is the port the image's serve listens on.
const port = "8780/tcp"

// caPath is where the CA certificate of WithTLS goes in the container, on
// a tmpfs that the image's user can write to.
const caPath = "/run/deskmock/ca.pem"

// options are what the Options set.
type options struct {
	configFile string
	token      string
	tls        bool
	args       []string
	timeout    time.Duration
}

// Option sets how Run starts deskmock.
type Option func(*options)

// WithConfigFile copies the configuration file path (YAML, or JSON when it
// ends in .json) into the container and serves it with --config.
func WithConfigFile(path string) Option { return func(o *options) { o.configFile = path } }

// WithAdminToken requires token as a bearer token on the admin API
// (DESKMOCK_ADMIN_TOKEN); Admin sends it.
func WithAdminToken(token string) Option { return func(o *options) { o.token = token } }

// WithTLS serves HTTPS with a certificate made at start (--tls); HTTPClient
// trusts its CA.
func WithTLS() Option { return func(o *options) { o.tls = true } }

// WithServeArgs adds arguments to "deskmock serve", such as
// "--rule", "v2.calls_per_second=0".
func WithServeArgs(args ...string) Option {
	return func(o *options) { o.args = append(o.args, args...) }
}

// WithStartupTimeout bounds the wait for health; the default is 30 s.
func WithStartupTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// Container is a running deskmock container.
type Container struct {
	testcontainers.Container
	baseURL string
	client  *http.Client
	token   string
}

// Run starts the image (such as "localhost/deskmock:v1.2.3-linux-amd64")
// and waits until GET /__admin/health answers 200 on the published port.
// The caller terminates the container (testcontainers.TerminateContainer),
// even after an error: the Container is never nil.
func Run(ctx context.Context, image string, opts ...Option) (*Container, error) {
	o := options{timeout: 30 * time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	c := &Container{token: o.token, client: &http.Client{}}
	args := []string{}
	health := wait.ForHTTP("/__admin/health").WithPort(port).WithStartupTimeout(o.timeout).WithPollInterval(100 * time.Millisecond)
	custom := []testcontainers.ContainerCustomizer{
		testcontainers.WithExposedPorts(port),
		testcontainers.WithTmpfs(map[string]string{"/run/deskmock": "rw,mode=1777"}),
	}
	if o.configFile != "" {
		custom = append(custom, testcontainers.WithFiles(testcontainers.ContainerFile{
			HostFilePath: o.configFile, ContainerFilePath: "/etc/deskmock/config", FileMode: 0o644,
		}))
		args = append(args, "--config", "/etc/deskmock/config")
	}
	if o.token != "" {
		custom = append(custom, testcontainers.WithEnv(map[string]string{"DESKMOCK_ADMIN_TOKEN": o.token}))
	}
	if o.tls {
		// The certificate must name the host that BaseURL gives, which is
		// not always 127.0.0.1 (a remote daemon, podman's gateway).
		host, err := daemonHost(ctx)
		if err != nil {
			return c, err
		}
		args = append(args, "--tls", "--tls-ca-out", caPath, "--tls-host", host)
		// The CA is known once the server runs; the wait only asks for health.
		health = health.WithTLS(true, &tls.Config{InsecureSkipVerify: true})
	}
	args = append(args, o.args...)
	custom = append(custom, testcontainers.WithCmd(args...), testcontainers.WithWaitStrategy(health))
	ctr, err := testcontainers.Run(ctx, image, custom...)
	if ctr != nil {
		c.Container = ctr
	}
	if err != nil {
		return c, fmt.Errorf("deskmock: run %s: %w", image, err)
	}
	endpoint, err := ctr.PortEndpoint(ctx, port, "http")
	if err != nil {
		return c, fmt.Errorf("deskmock: the published port: %w", err)
	}
	c.baseURL = endpoint
	if o.tls {
		c.baseURL = "https" + endpoint[len("http"):]
		pool, err := c.caPool(ctx)
		if err != nil {
			return c, err
		}
		c.client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	}
	return c, nil
}

// daemonHost is the host where the engine publishes ports.
func daemonHost(ctx context.Context) (string, error) {
	p, err := testcontainers.NewDockerProvider()
	if err != nil {
		return "", fmt.Errorf("deskmock: the container engine: %w", err)
	}
	defer p.Close()
	host, err := p.DaemonHost(ctx)
	if err != nil {
		return "", fmt.Errorf("deskmock: the container engine's host: %w", err)
	}
	return host, nil
}

// caPool reads the CA certificate that --tls-ca-out wrote.
func (c *Container) caPool(ctx context.Context) (*x509.CertPool, error) {
	rc, err := c.CopyFileFromContainer(ctx, caPath)
	if err != nil {
		return nil, fmt.Errorf("deskmock: the CA certificate: %w", err)
	}
	defer rc.Close()
	pem, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("deskmock: the CA certificate: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("deskmock: %s holds no certificate", caPath)
	}
	return pool, nil
}

// BaseURL is the base URL of the endpoints, such as http://127.0.0.1:32768:
// the client under test posts to BaseURL()+mockserver.EndpointPath.
func (c *Container) BaseURL() string { return c.baseURL }

// AdminURL is the base URL of the admin API, BaseURL()+"/__admin".
func (c *Container) AdminURL() string { return c.baseURL + "/__admin" }

// HTTPClient returns a client for the container: with WithTLS, one that
// trusts its CA.
func (c *Container) HTTPClient() *http.Client { return c.client }

// Admin returns a client of the admin API, with the admin token if any.
func (c *Container) Admin() *Admin {
	return &Admin{URL: c.AdminURL(), Token: c.token, Client: c.client}
}
