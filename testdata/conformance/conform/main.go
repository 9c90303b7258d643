// Command conform runs the conformance runner, as "deskmock conform" does,
// for scripts that must not depend on the deskmock binary being built.
//
//	go run ./testdata/conformance/conform [flags] -- CLIENT_COMMAND [ARGS...]
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/deskmock/deskmock/conformance"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := conformance.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
