// Command doubles-chunk is a deliberately broken send_stream_msg client for the
// conformance self-test: the reference client with one bug switched on.
// It sends the second chunk twice when there are three chunks or more.
package main

import (
	"os"

	"github.com/deskmock/deskmock/internal/app/refclient"
)

func main() {
	os.Exit(refclient.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, refclient.Bugs{DoubleMiddleChunk: true}))
}
