package mockserver

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/deskmock/deskmock/mockserver/codes"
)

// A declared Content-Length over the limit is answered with 93000 before
// any 100 Continue, on a real socket, and journaled.
func TestRefuseEarlyBeforeContinue(t *testing.T) {
	t.Parallel()
	l := listen(t, DefaultConfig(), ListenOptions{})
	tests := []struct {
		name, expect string
	}{
		{"expect 100-continue", "Expect: 100-continue\r\n"},
		{"no expect", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", l.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(10 * time.Second))
			fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: deskmock\r\nContent-Type: application/json\r\n%sContent-Length: 10000000000\r\n\r\n", l.endpoint(t), tt.expect)
			br := bufio.NewReader(conn)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d, want the 200 envelope and no 100 Continue", resp.StatusCode)
			}
			b, _ := io.ReadAll(resp.Body)
			if rep := decodeReply(t, b); rep.ErrorCode != 93000 {
				t.Errorf("reply %s, want 93000", b)
			}
			if !resp.Close {
				t.Error("the connection is kept open")
			}
		})
	}
	ex := l.srv.Requests(ExchangeFilter{})
	if len(ex) != 2 {
		t.Fatalf("%d exchanges journaled, want 2", len(ex))
	}
	for _, e := range ex {
		if e.Check != codes.CheckBodyTooLarge || e.Code != 93000 || e.BodySize != 10_000_000_000 || !strings.Contains(e.Detail, "over the limit of 12288 bytes") || !strings.Contains(e.Query, "usersig=REDACTED") {
			t.Errorf("journaled %+v", e)
		}
	}
}

// The refusal answers the code the table gives, overrides included, and
// leaves other paths and bodies within the limit alone.
func TestRefuseEarlyFollowsTheTable(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	cfg.Codes = map[codes.Check]codes.Override{codes.CheckBodyTooLarge: {Code: 20001, Info: "too long"}}
	l := listen(t, cfg, ListenOptions{})
	resp, err := http.Post("http://"+l.addr+l.endpoint(t), "application/json", strings.NewReader(strings.Repeat("x", defaultMaxBodyBytes+1)))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if rep := decodeReply(t, b); rep.ErrorCode != 20001 || rep.ErrorInfo != "too long" {
		t.Errorf("reply %s", b)
	}
	resp, err = http.Post("http://"+l.addr+"/__admin/faults", "application/json", strings.NewReader(strings.Repeat("x", 2<<20)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("admin body: status %d, want the admin API's 413", resp.StatusCode)
	}
}
