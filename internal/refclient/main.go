package refclient

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Main is the command line of a client built on this package: it reads one
// Input from stdin, streams it, and prints one Answer on stdout. It returns
// the exit status: 0 when the answer is ok, 1 when it is not, 2 when the
// input or a flag is wrong. bugs are the deliberate mistakes of a broken
// client; the reference client passes the zero Bugs.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer, bugs Bugs) int {
	fs := flag.NewFlagSet("refclient", flag.ContinueOnError)
	fs.SetOutput(stderr)
	opts := Options{Bugs: bugs}
	fs.DurationVar(&opts.RequestTimeout, "request-timeout", DefaultRequestTimeout, "bound on one request, reply included")
	fs.IntVar(&opts.MaxAttempts, "attempts", DefaultMaxAttempts, "attempts per chunk at most")
	fs.DurationVar(&opts.Backoff, "backoff", DefaultBackoff, "pause before the first retry (doubled before each later one)")
	fs.BoolVar(&opts.GivenUserSig, "given-usersig", false, "use the case's usersig instead of signing one with its secret_key")
	verbose := fs.Bool("v", false, "log every attempt on stderr")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *verbose {
		opts.Logf = func(format string, args ...any) { fmt.Fprintf(stderr, format+"\n", args...) }
	}
	var in Input
	dec := json.NewDecoder(stdin)
	if err := dec.Decode(&in); err != nil {
		fmt.Fprintf(stderr, "refclient: reading the case on stdin: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ans := Stream(ctx, in, opts)
	out, err := json.Marshal(ans)
	if err != nil {
		fmt.Fprintf(stderr, "refclient: %v\n", err)
		return 2
	}
	fmt.Fprintf(stdout, "%s\n", out)
	if !ans.OK {
		return 1
	}
	return 0
}
