// Command slow-ack is a deliberately broken bot for the conformance self-test:
// the reference bot with one bug switched on. It acknowledges each callback 2.5 s late, past Desk's 2 s.
package main

import (
	"os"

	"github.com/deskmock/deskmock/internal/app/refclient"
)

func main() {
	os.Exit(refclient.BotMain(os.Args[1:], os.Getenv, os.Stdout, os.Stderr, refclient.BotBugs{SlowAck: true}))
}
