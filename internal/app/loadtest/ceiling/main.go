// Command ceiling is the end-to-end benchmark's upper bound for deskmock:
// an empty request path behind what deskmock serve puts around its handler.
// It has serve's http.Server timeouts and limits, its write deadline
// counted from a reply's first byte, its count of handlers in flight, its
// soft memory limit and its buffered log (internal/logwriter over stderr,
// slog's text handler at info), and logs one line per request shaped like
// serve's default line. Its handler reads the body and writes the vendor's
// fixed success reply, whatever the path. It listens on --addr and serves
// until killed.
package main

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	_ "github.com/deskmock/deskmock/internal/cpuprofile" // -tags cpuprofile: cmd/loadtest -cpuprofile
	"github.com/deskmock/deskmock/internal/inflight"
	"github.com/deskmock/deskmock/internal/logwriter"
	"github.com/deskmock/deskmock/mockserver"
)

// serve's defaults, which mockserver does not export (listen.go's
// defaultReadHeaderTimeout and so on); TestTimeoutsAreServes holds them
// equal.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 2 * time.Minute
	maxHeaderBytes    = 64 << 10
)

// The fixed reply and the values of its log line, shaped like deskmock's:
// a RequestId of the vendor's shape and a session of a UUID's length.
const (
	msgKey     = "124_1600045926_716f784b2bbd6ce9415027715"
	requestID  = "Id-70e312f1de024af5a36714b7b71da224-O-Seq-63504"
	sessionID  = "00000000-1111-4222-8333-000000000001"
	fixedReply = `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"MsgKey":"` + msgKey + `","RequestId":"` + requestID + `"}`
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8781", "`host:port` to listen on")
	flag.Parse()
	debug.SetMemoryLimit(mockserver.DefaultMemoryLimit)
	signal.Ignore(syscall.SIGPIPE)
	logs := logwriter.New(os.Stderr, logwriter.Size, logwriter.Delay)
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ln, err := net.Listen("tcp", *addr)
	if err == nil {
		err = newServer(log, &inflight.Handlers{}).Serve(ln)
	}
	log.Error("ceiling: " + err.Error())
	logs.Close()
	os.Exit(1)
}

// newServer returns serve's http.Server around the empty handler.
func newServer(log *slog.Logger, inflight *inflight.Handlers) *http.Server {
	return &http.Server{
		Handler:           inflight.Wrap(emptyHandler(log), writeTimeout),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		BaseContext:       func(net.Listener) context.Context { return context.Background() },
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// emptyHandler reads the body, writes the fixed reply and logs a line with
// serve's attributes, as mockserver's record does for an answer, with the
// endpoint's name as its message.
func emptyHandler(log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, fixedReply)
		if log.Enabled(r.Context(), slog.LevelInfo) {
			msg := "send_stream_msg"
			if r.URL.Path == mockserver.EndpointV2Path {
				msg = "send_stream_msg_v2"
			}
			log.LogAttrs(r.Context(), slog.LevelInfo, msg,
				slog.Int("code", 0),
				slog.String("session_id", sessionID),
				slog.String("msg_key", msgKey),
				slog.String("request_id", requestID),
				slog.Duration("took", time.Since(start)))
		}
	})
}
