// Command loadtest is deskmock's end-to-end benchmark; see CONTRIBUTING.md.
//
//	go run ./cmd/loadtest -runs 5 -duration 3s
package main

import (
	"os"

	"github.com/deskmock/deskmock/internal/app/loadtest"
)

func main() { os.Exit(loadtest.Main(os.Args[1:], os.Stdout, os.Stderr)) }
