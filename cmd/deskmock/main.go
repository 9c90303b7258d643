// Command deskmock is a local mock of Tencent Cloud IM Desk's
// POST /v4/desk_http_svc/send_stream_msg. Run "deskmock help" for usage.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/deskmock/deskmock/internal/app/deskmock"
	_ "github.com/deskmock/deskmock/internal/cpuprofile" // -tags cpuprofile: cmd/loadtest -cpuprofile
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := deskmock.Main(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
