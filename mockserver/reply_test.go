package mockserver

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// Every envelope goes out whole, with a JSON Content-Type and a
// Content-Length, never chunked: short ones, whose length net/http sets,
// and long ones, whose length the server sets.
func TestEnvelopeHeaders(t *testing.T) {
	for _, infoLen := range []int{0, 10, 1900, 2100, 9000} {
		t.Run(strconv.Itoa(infoLen), func(t *testing.T) {
			ts := NewTestServer(t)
			if infoLen > 0 {
				if _, err := ts.AddFault(Fault{Action: FaultAction{ErrorCode: 70001, ErrorInfo: strings.Repeat("i", infoLen)}}); err != nil {
					t.Fatal(err)
				}
			}
			resp, err := http.Post(ts.EndpointURL(), "application/json", strings.NewReader(ChunkBody("00000000-1111-4222-8333-000000000001", "", "hi", false)))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if got := resp.Header.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type %q", got)
			}
			if len(resp.TransferEncoding) != 0 || resp.Header.Get("Content-Length") != strconv.Itoa(len(body)) {
				t.Errorf("Content-Length %q, Transfer-Encoding %v, body of %d bytes", resp.Header.Get("Content-Length"), resp.TransferEncoding, len(body))
			}
			if want := strings.Repeat("i", infoLen); !strings.Contains(string(body), `"ErrorInfo":"`+want+`"`) {
				t.Errorf("body %.120s...", body)
			}
		})
	}
}
