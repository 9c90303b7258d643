// Command v2-index-from-0 is a deliberately broken send_stream_msg client for the
// conformance self-test: the reference client with one bug switched on.
// It numbers send_stream_msg_v2 chunks from 0 instead of 1.
package main

import (
	"os"

	"github.com/deskmock/deskmock/internal/app/refclient"
)

func main() {
	os.Exit(refclient.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, refclient.Bugs{IndexFromZero: true}))
}
