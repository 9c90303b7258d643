package refclient

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/deskmock/deskmock/internal/cmdline"
)

const description = `
The reference client of send_stream_msg, send_stream_msg_v2, the native
C2C and group streams and a chatbot's stream (the case's "version" says
which: v1, v2, c2c, group, chatbot). It reads one conformance case as JSON
on stdin, streams its chunks to the mock (retrying what a careful client
retries, and on v2, c2c and group pacing its calls), and prints one answer
as JSON on stdout:
{"ok": true, "msg_key": "..."} or {"ok": false, "error_code": N, "error_info": "..."}.
On Desk, it then makes the calls the case's "then" asks for
(transfer_to_human, get_session_state) and reports them in the answer's
"then".
Run it under the conformance runner:

  deskmock conform -- refclient

Exit status: 0 the answer is ok, 1 it is not, 2 usage error (a bad flag or
case).`

// Main is the command line of a client built on this package: it reads one
// Input from stdin, streams it, and prints one Answer on stdout. It returns
// the exit status: 0 when the answer is ok, 1 when it is not, 2 when the
// input or a flag is wrong. bugs are the deliberate mistakes of a broken
// client; the reference client passes the zero Bugs.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer, bugs Bugs) int {
	fs := cmdline.New("refclient", "[flags] < case.json", description, "refclient --help", stdout, stderr)
	opts := Options{Bugs: bugs}
	fs.DurationVar(&opts.RequestTimeout, "request-timeout", DefaultRequestTimeout, "bound on one request, reply included")
	fs.IntVar(&opts.MaxAttempts, "attempts", DefaultMaxAttempts, "attempts per chunk at most")
	fs.DurationVar(&opts.Backoff, "backoff", DefaultBackoff, "pause before the first retry (doubled before each later one)")
	fs.BoolVar(&opts.GivenUserSig, "given-usersig", false, "use the case's usersig instead of signing one with its secret_key")
	verbose := fs.Bool("v", false, "log every attempt on stderr")
	pos, code, done := fs.Parse(args)
	if done {
		return code
	}
	if len(pos) > 0 {
		return fs.UsageError("unexpected argument %q (the case comes on stdin)", pos[0])
	}
	if *verbose {
		opts.Logf = func(format string, args ...any) { fmt.Fprintf(stderr, format+"\n", args...) }
	}
	var in Input
	dec := json.NewDecoder(stdin)
	if err := dec.Decode(&in); err != nil {
		return fs.UsageError("reading the case on stdin: %v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ans := Stream(ctx, in, opts)
	out, err := json.Marshal(ans)
	if err != nil {
		return fs.Failure("%v", err)
	}
	fmt.Fprintf(stdout, "%s\n", out)
	if !ans.OK {
		return cmdline.ExitFailure
	}
	return cmdline.ExitOK
}
