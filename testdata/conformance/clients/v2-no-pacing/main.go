// Command v2-no-pacing is a deliberately broken send_stream_msg client for the
// conformance self-test: the reference client with one bug switched on.
// It sends send_stream_msg_v2 calls as fast as they come, ignoring the
// 5 calls a second a stream may make.
package main

import (
	"os"

	"github.com/deskmock/deskmock/internal/app/refclient"
)

func main() {
	os.Exit(refclient.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, refclient.Bugs{NoPacing: true}))
}
