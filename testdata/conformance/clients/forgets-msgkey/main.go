// Command forgets-msgkey is a deliberately broken send_stream_msg client for the
// conformance self-test: the reference client with one bug switched on.
// It never sends the MsgKey, so every call opens a new stream.
package main

import (
	"os"

	"github.com/deskmock/deskmock/internal/app/refclient"
)

func main() {
	os.Exit(refclient.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, refclient.Bugs{ForgetMsgKey: true}))
}
