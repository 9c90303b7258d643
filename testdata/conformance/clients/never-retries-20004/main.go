// Command never-retries-20004 is a deliberately broken send_stream_msg client for the
// conformance self-test: the reference client with one bug switched on.
// It gives up at the first 20004 (network issue, please retry).
package main

import (
	"os"

	"github.com/deskmock/deskmock/internal/app/refclient"
)

func main() {
	os.Exit(refclient.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, refclient.Bugs{NeverRetry: []int{20004}}))
}
