// Command refbot is deskmock's reference bot of Desk's callbacks: a web
// server on 127.0.0.1:$PORT that checks and acknowledges each callback and
// answers each user message by streaming into its session. Run it under
// the conformance runner:
//
//	deskmock conform --bot -- refbot
package main

import (
	"os"

	"github.com/deskmock/deskmock/internal/app/refclient"
)

func main() {
	os.Exit(refclient.BotMain(os.Args[1:], os.Getenv, os.Stdout, os.Stderr, refclient.BotBugs{}))
}
