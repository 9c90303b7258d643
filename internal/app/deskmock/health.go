package deskmock

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultHealthTimeout bounds the request of the health command.
const DefaultHealthTimeout = 2 * time.Second

const healthDescription = `
GET <url>/__admin/health and exit 0 when it answers 200, 1 otherwise (the
reason on stderr). Meant for container HEALTHCHECKs:

  HEALTHCHECK CMD ["deskmock", "health"]`

func runHealth(ctx context.Context, e *env, args []string) int {
	const name = "health"
	fs := newFlagSet(e, name, "[flags]", healthDescription)
	base := fs.String("url", "http://"+DefaultAddr, "base `URL` of the server")
	timeout := fs.Duration("timeout", DefaultHealthTimeout, "give up after `duration`")
	cacert := fs.String("cacert", "", "trust the CA certificates of PEM `file` for an https:// URL (such as serve --tls-ca-out); default: the system's")
	pos, code, done := fs.Parse(args)
	if done {
		return code
	}
	if len(pos) > 0 {
		return usageError(e, name, "unexpected argument %q", pos[0])
	}
	u, err := url.Parse(*base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageError(e, name, "--url %q: want an http:// or https:// URL such as http://%s", *base, DefaultAddr)
	}
	if *timeout <= 0 {
		return usageError(e, name, "--timeout %s: must be positive", *timeout)
	}
	target := strings.TrimRight(*base, "/") + "/__admin/health"
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return usageError(e, name, "%v", err)
	}
	client := &http.Client{Timeout: *timeout}
	if *cacert != "" {
		pool, err := caPool(*cacert)
		if err != nil {
			return usageError(e, name, "--cacert: %v", err)
		}
		client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	}
	resp, err := client.Do(req)
	if err != nil {
		return failure(e, name, "unhealthy: %v", err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return failure(e, name, "unhealthy: GET %s answered %s", target, resp.Status)
	}
	fmt.Fprintf(e.stdout, "healthy: GET %s answered %s\n", target, resp.Status)
	return ExitOK
}
