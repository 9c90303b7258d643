package mockserver

import (
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/deskmock/deskmock/internal/textcut"
)

// Admin reads (the lists, a stream, the codes, the dashboard's state) run
// at most maxAdminReads at a time: each holds up to a page of
// maxPageBytes, so together they hold a bounded amount however many
// clients ask. A read over the cap waits up to adminReadWait for a turn,
// then gets 503 with a JSON error and Retry-After. The endpoints and
// /__admin/health are not counted.
const (
	// maxAdminReads is how many admin reads run at once.
	maxAdminReads = 4
	// adminReadWait is how long an admin read waits for a turn.
	adminReadWait = 2 * time.Second
)

// adminGate is what the server keeps to guard its admin API: the turns of
// the admin reads and the host names it answers to.
type adminGate struct {
	turns chan struct{}
	wait  atomic.Int64           // how long a read waits for a turn
	hold  atomic.Pointer[func()] // in tests: runs inside each read

	mu    sync.RWMutex
	hosts map[string]bool // the names allowed besides IP literals and localhost
	any   bool            // "*": every name
}

// init readies the gate for the names of cfg.
func (g *adminGate) init(cfg *Config) {
	g.turns = make(chan struct{}, maxAdminReads)
	g.wait.Store(int64(adminReadWait))
	g.hosts = map[string]bool{}
	g.allow(cfg.AllowHosts...)
}

// allow adds host names to those the admin API answers to.
func (g *adminGate) allow(names ...string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, n := range names {
		if n == "*" {
			g.any = true
		}
		g.hosts[normalHost(n)] = true
	}
}

// read runs next when a turn is free within the gate's wait, else answers
// 503.
func (s *Server) read(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		g := &s.admin
		select {
		case g.turns <- struct{}{}:
		default:
			t := time.NewTimer(time.Duration(g.wait.Load()))
			select {
			case g.turns <- struct{}{}:
				t.Stop()
			case <-t.C:
				w.Header().Set("Retry-After", "1")
				adminError(w, http.StatusServiceUnavailable, fmt.Sprintf("%d admin reads are running already; try again in a second", maxAdminReads))
				return
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		defer func() { <-g.turns }()
		if hold := g.hold.Load(); hold != nil {
			(*hold)()
		}
		next(w, r)
	}
}

// allowHostFlag is the serve flag that adds a name to those the admin API
// answers to.
const allowHostFlag = "--allow-host"

// hostAllowed reports whether the admin API answers a request sent to the
// Host it names: an IP address (DNS rebinding needs a name), localhost and
// its subdomains, the names of the listen addresses, and the names given
// in allow_hosts or with --allow-host ("*": any). With an admin token every
// Host is answered: a browser never sends the token on its own, so a page
// that rebinds a name to this server gets nowhere without it.
func (s *Server) hostAllowed(r *http.Request) error {
	if s.cfg.AdminToken != "" || r.Host == "" {
		return nil
	}
	host := normalHost(r.Host)
	if net.ParseIP(strings.SplitN(host, "%", 2)[0]) != nil || host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return nil
	}
	g := &s.admin
	g.mu.RLock()
	ok := g.any || g.hosts[host]
	for name := range g.hosts {
		if ok {
			break
		}
		ok = strings.HasPrefix(name, ".") && (host == name[1:] || strings.HasSuffix(host, name))
	}
	g.mu.RUnlock()
	if ok {
		return nil
	}
	return fmt.Errorf("the admin API does not answer to the Host %s (a page of another site could reach it under that name through DNS rebinding); if that name is how clients reach this server, start serve with %s %s (or list it in allow_hosts of the configuration)",
		strconv.Quote(textcut.Cut(r.Host, 256)), allowHostFlag, textcut.Cut(host, 256))
}

// normalHost returns the host name of a Host header or listen address:
// without port or brackets, in lower case, without a final dot.
func normalHost(h string) string {
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	}
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	return strings.TrimSuffix(strings.ToLower(h), ".")
}

// allowHostName matches an entry of allow_hosts: "*", a DNS name, or a
// DNS name after a dot (the name and its subdomains).
var allowHostName = regexp.MustCompile(`^(\*|\.?[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?)$`)

// validAllowHosts checks the entries of allow_hosts.
func validAllowHosts(names []string) error {
	for i, n := range names {
		if len(n) > 253 || !allowHostName.MatchString(n) {
			return fmt.Errorf("allow_hosts/%d: %q is not a host name (a DNS name, .name for it and its subdomains, or *)", i, textcut.Cut(n, 64))
		}
	}
	return nil
}

// allowListenHosts adds the host names of listen addresses (not IP
// addresses, which are allowed anyway) to those the admin API answers to.
func (s *Server) allowListenHosts(addrs ...string) {
	for _, a := range addrs {
		if h := normalHost(a); h != "" && net.ParseIP(h) == nil {
			s.admin.allow(h)
		}
	}
}

// hostGuard refuses, 403, an admin request whose Host the admin API does
// not answer to (see hostAllowed).
func (s *Server) hostGuard(w http.ResponseWriter, r *http.Request) bool {
	if err := s.hostAllowed(r); err != nil {
		adminError(w, http.StatusForbidden, err.Error())
		return false
	}
	return true
}
