// Command answers-retries is a deliberately broken bot for the conformance self-test:
// the reference bot with one bug switched on. It answers a callback sent again with the same RequestID a second time.
package main

import (
	"os"

	"github.com/deskmock/deskmock/internal/app/refclient"
)

func main() {
	os.Exit(refclient.BotMain(os.Args[1:], os.Getenv, os.Stdout, os.Stderr, refclient.BotBugs{AnswerRetries: true}))
}
