// Command streams-after-session-ends is a deliberately broken
// send_stream_msg client for the conformance self-test: the reference
// client with one bug switched on. When a call is refused with 141005
// (the session ended under the stream), it goes on with the next chunk,
// and reports the refusal only at the end.
package main

import (
	"os"

	"github.com/deskmock/deskmock/internal/app/refclient"
)

func main() {
	os.Exit(refclient.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, refclient.Bugs{StreamAfterSessionEnds: true}))
}
