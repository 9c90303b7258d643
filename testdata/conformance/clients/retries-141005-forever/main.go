// Command retries-141005-forever is a deliberately broken send_stream_msg client for the
// conformance self-test: the reference client with one bug switched on.
// It retries 141005 (session does not exist) without limit, until it is stopped.
package main

import (
	"os"

	"github.com/deskmock/deskmock/internal/app/refclient"
)

func main() {
	os.Exit(refclient.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, refclient.Bugs{RetryForever: []int{141005}}))
}
