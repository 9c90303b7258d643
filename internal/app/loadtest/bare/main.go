// Command bare is the baseline of the end-to-end benchmark: a net/http
// handler that reads the body and writes the vendor's fixed success reply,
// nothing else. It listens on --addr and serves until killed.
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"

	_ "github.com/deskmock/deskmock/internal/cpuprofile" // -tags cpuprofile: cmd/loadtest -cpuprofile
)

// fixedReply is the vendor's success reply.
const fixedReply = `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"MsgKey":"124_1600045926_716f784b2bbd6ce9415027715"}`

func main() {
	addr := flag.String("addr", "127.0.0.1:8781", "`host:port` to listen on")
	flag.Parse()
	err := http.ListenAndServe(*addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, fixedReply)
	}))
	fmt.Fprintln(os.Stderr, "bare:", err)
	os.Exit(1)
}
