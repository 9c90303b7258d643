// Command keeps-dead-stream is a deliberately broken send_stream_msg client for the
// conformance self-test: the reference client with one bug switched on.
// When a send_stream_msg_v2 stream is refused as ended, it sends to it
// once more before it starts the message anew in a new stream.
package main

import (
	"os"

	"github.com/deskmock/deskmock/internal/app/refclient"
)

func main() {
	os.Exit(refclient.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, refclient.Bugs{KeepDeadStream: true}))
}
