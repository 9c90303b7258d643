// Command never-transfers is a deliberately broken Desk client for the
// conformance self-test: the reference client with one bug switched on.
// It never calls transfer_to_human, though the case asks for it, and
// leaves it out of its answer.
package main

import (
	"os"

	"github.com/deskmock/deskmock/internal/app/refclient"
)

func main() {
	os.Exit(refclient.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, refclient.Bugs{NeverTransfer: true}))
}
