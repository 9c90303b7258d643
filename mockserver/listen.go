package mockserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/deskmock/deskmock/internal/inflight"
)

// Defaults of ListenOptions: the timeouts and limits of the HTTP server.
const (
	// defaultReadHeaderTimeout bounds the reading of a request's line and
	// headers: a client that sends them slowly (slowloris) is cut off.
	defaultReadHeaderTimeout = 10 * time.Second
	// defaultReadTimeout bounds the reading of a whole request, body
	// included.
	defaultReadTimeout = 30 * time.Second
	// defaultWriteTimeout bounds the writing of a reply. It counts from the
	// reply's first byte, not from the end of the request, so that a delay
	// fault of any allowed length (up to 600000 ms) still answers.
	defaultWriteTimeout = 30 * time.Second
	// defaultIdleTimeout is how long an idle keep-alive connection is kept.
	defaultIdleTimeout = 2 * time.Minute
	// defaultMaxHeaderBytes bounds the request line and headers; a longer
	// one (such as a 1 MiB query string) gets 431 Request Header Fields
	// Too Large from net/http and the connection is closed.
	defaultMaxHeaderBytes = 64 << 10
	// DefaultShutdownTimeout is how long a shutdown waits for the requests
	// in flight before it closes their connections.
	DefaultShutdownTimeout = 10 * time.Second
)

// forcedShutdownWait bounds the wait, after a shutdown closed the
// connections of requests still in flight, for their handlers to record
// them.
const forcedShutdownWait = 2 * time.Second

// ListenOptions say where and how ListenAndServeWith serves. Zero fields take
// the defaults (defaultReadHeaderTimeout and so on); a negative duration
// turns that timeout off.
type ListenOptions struct {
	// Addr is the host:port of the endpoint (and, without AdminAddr, of the
	// admin API); port 0 picks a free port.
	Addr string
	// AdminAddr, when set, serves the admin API on a listener of its own;
	// Addr then answers only the endpoint and /__admin/health.
	AdminAddr string

	// ReadHeaderTimeout bounds the reading of a request's line and headers.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds the reading of a whole request, body included.
	ReadTimeout time.Duration
	// WriteTimeout bounds the writing of a reply, counted from its first
	// byte: the time a handler waits first (a delay fault) does not count.
	WriteTimeout time.Duration
	// IdleTimeout is how long an idle keep-alive connection is kept open.
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds the request line and headers (net/http allows
	// 4 KiB more); past it net/http answers 431 and closes the connection.
	MaxHeaderBytes int
	// ShutdownTimeout is how long a shutdown waits for requests in flight.
	// Past it their connections are closed (a delay in progress ends with no
	// reply, journaled with status 0) and the shutdown completes.
	ShutdownTimeout time.Duration

	// TLSConfig, when not nil, serves HTTPS on every listener with it (see
	// NewLocalTLS, LoadTLSConfig and ServerTLSConfig); nil serves plain HTTP.
	TLSConfig *tls.Config

	// Ready, when not nil, is called once every listener accepts
	// connections, with the bound addresses; adminAddr is "" without
	// AdminAddr.
	Ready func(addr, adminAddr string)
}

func (o ListenOptions) withDefaults() ListenOptions {
	def := func(d *time.Duration, v time.Duration) {
		switch {
		case *d == 0:
			*d = v
		case *d < 0:
			*d = 0 // off, for net/http
		}
	}
	def(&o.ReadHeaderTimeout, defaultReadHeaderTimeout)
	def(&o.ReadTimeout, defaultReadTimeout)
	def(&o.WriteTimeout, defaultWriteTimeout)
	def(&o.IdleTimeout, defaultIdleTimeout)
	def(&o.ShutdownTimeout, DefaultShutdownTimeout)
	if o.MaxHeaderBytes <= 0 {
		o.MaxHeaderBytes = defaultMaxHeaderBytes
	}
	return o
}

// ListenAndServe serves on addr until ctx is done, then shuts down
// gracefully. ready, when not nil, is called with the bound address once the
// listener accepts connections. It is ListenAndServeWith with default
// timeouts and limits.
func (s *Server) ListenAndServe(ctx context.Context, addr string, ready func(addr string)) error {
	o := ListenOptions{Addr: addr}
	if ready != nil {
		o.Ready = func(addr, _ string) { ready(addr) }
	}
	return s.ListenAndServeWith(ctx, o)
}

// ListenAndServeWith serves as o says until ctx is done, then shuts down:
// it stops accepting connections, lets the requests in flight finish (for
// at most o.ShutdownTimeout, then closes their connections), and returns
// once every request it took is in the journal. It returns nil after a
// shutdown, or the error that stopped it from listening or serving.
func (s *Server) ListenAndServeWith(ctx context.Context, o ListenOptions) error {
	o = o.withDefaults()
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return err
	}
	var adminLn net.Listener
	if o.AdminAddr != "" {
		if adminLn, err = net.Listen("tcp", o.AdminAddr); err != nil {
			ln.Close()
			return fmt.Errorf("admin API: %w", err)
		}
	}
	ln, adminLn = tlsListener(ln, o.TLSConfig), tlsListener(adminLn, o.TLSConfig)
	s.allowListenHosts(o.Addr, o.AdminAddr)

	base, cancelBase := context.WithCancel(context.Background())
	defer cancelBase()
	var inflight inflight.Handlers
	h := s.Handler()
	type listener struct {
		ln  net.Listener
		srv *http.Server
	}
	var lns []listener
	if adminLn == nil {
		lns = append(lns, listener{ln, s.httpServer(h, o, base, &inflight)})
	} else {
		lns = append(lns,
			listener{ln, s.httpServer(withoutAdmin(h), o, base, &inflight)},
			listener{adminLn, s.httpServer(onlyAdmin(h), o, base, &inflight)})
	}

	done := make(chan error, len(lns))
	for _, l := range lns {
		go func() { done <- l.srv.Serve(l.ln) }()
	}
	if o.Ready != nil {
		adminBound := ""
		if adminLn != nil {
			adminBound = adminLn.Addr().String()
		}
		o.Ready(ln.Addr().String(), adminBound)
	}

	var serveErr error
	running := len(lns)
	select {
	case serveErr = <-done: // a listener failed: stop the others
		running--
	case <-ctx.Done():
	}

	// Stop accepting, and let the requests in flight finish.
	sctx, cancel := context.WithTimeout(context.Background(), o.ShutdownTimeout)
	defer cancel()
	var wg sync.WaitGroup
	var forced atomic.Bool
	for _, l := range lns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := l.srv.Shutdown(sctx); err != nil {
				forced.Store(true)
				l.srv.Close()
			}
		}()
	}
	wg.Wait()
	if forced.Load() {
		s.log.Warn("shutdown: requests still in flight after the shutdown timeout; their connections were closed",
			slog.Duration("shutdown_timeout", o.ShutdownTimeout), slog.Int64("in_flight", inflight.Count()))
	}
	// Cancel the requests still running (a delay in progress) and wait
	// for their handlers, including those of hijacked connections, which
	// Shutdown does not track, to journal them.
	cancelBase()
	if n := inflight.Wait(forcedShutdownWait); n > 0 {
		s.log.Error("shutdown: handlers still running", slog.Int64("in_flight", n))
	}
	for ; running > 0; running-- {
		if err := <-done; serveErr == nil && !errors.Is(err, http.ErrServerClosed) {
			serveErr = err
		}
	}
	if errors.Is(serveErr, http.ErrServerClosed) {
		serveErr = nil
	}
	return serveErr
}

// httpServer returns the http.Server of one listener, with the timeouts and
// limits of o, counting its handlers in flight: transport only, h answers.
func (s *Server) httpServer(h http.Handler, o ListenOptions, base context.Context, inflight *inflight.Handlers) *http.Server {
	srv := &http.Server{
		Handler:           inflight.Wrap(h, o.WriteTimeout),
		ReadHeaderTimeout: o.ReadHeaderTimeout,
		ReadTimeout:       o.ReadTimeout,
		WriteTimeout:      o.WriteTimeout,
		IdleTimeout:       o.IdleTimeout,
		MaxHeaderBytes:    o.MaxHeaderBytes,
		BaseContext:       func(net.Listener) context.Context { return base },
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	srv.RegisterOnShutdown(s.ui.hub.dropAll) // end the dashboards' event streams
	return srv
}

// isAdminPath reports whether a path belongs to the admin API.
func isAdminPath(p string) bool { return strings.HasPrefix(p, adminPrefix) }

// withoutAdmin serves h but the admin API, except health, for the endpoint's
// listener when the admin API has its own.
func withoutAdmin(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isAdminPath(r.URL.Path) && r.URL.Path != adminPrefix+"/health" {
			adminError(w, http.StatusNotFound, "no route "+r.Method+" "+r.URL.Path+": the admin API listens on its own address")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// onlyAdmin serves the admin API of h, for the admin API's own listener.
func onlyAdmin(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isAdminPath(r.URL.Path) {
			adminError(w, http.StatusNotFound, "no route "+r.Method+" "+r.URL.Path+": this address serves only the admin API ("+adminPrefix+"/)")
			return
		}
		h.ServeHTTP(w, r)
	})
}
