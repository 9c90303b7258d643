// Command streams-after-end is a deliberately broken bot for the conformance self-test:
// the reference bot with one bug switched on. It goes on streaming its answer after a 141005 (v1).
package main

import (
	"os"

	"github.com/deskmock/deskmock/internal/app/refclient"
)

func main() {
	os.Exit(refclient.BotMain(os.Args[1:], os.Getenv, os.Stdout, os.Stderr, refclient.BotBugs{StreamAfterEnd: true}))
}
