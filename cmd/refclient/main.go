// Command refclient is deskmock's reference client of send_stream_msg and
// send_stream_msg_v2. It
// speaks the conformance protocol: it reads one case as JSON on stdin,
// streams its chunks to the mock, and prints one answer as JSON on stdout.
// Run it under the conformance runner:
//
//	deskmock conform -- refclient
//
// Flags: --request-timeout, --attempts, --backoff, --given-usersig, -v;
// refclient --help lists them.
package main

import (
	"os"

	"github.com/deskmock/deskmock/internal/app/refclient"
)

func main() {
	os.Exit(refclient.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, refclient.Bugs{}))
}
