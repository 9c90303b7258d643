package mockserver

import (
	"bytes"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// lockedBuffer is a journal sink safe to read while the server writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A UserSig is redacted in every spelling and after every separator the
// query parser could take, in the journal file and the admin API.
func TestRedactionEverySpelling(t *testing.T) {
	var sink lockedBuffer
	cfg := DefaultConfig()
	cfg.Journal = &sink
	ts := NewTestServer(t, WithConfig(cfg))
	queries := []string{
		"sdkappid=1400000001&identifier=administrator&random=1;usersig=secret1&contenttype=json",
		"sdkappid=1400000001&identifier=administrator&%75sersig=secret2&random=1&contenttype=json",
		"sdkappid=1400000001&identifier=administrator&USERSIG=secret3&random=1&contenttype=json",
		"usersig=secret4;usersig=secret5",
	}
	for _, q := range queries {
		resp, err := http.Post(ts.URL+EndpointPath+"?"+q, "application/json", strings.NewReader(`{"SessionId":"`+testSession+`","Chunk":"x"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	_, listing := admin(t, ts, "GET", "/__admin/requests", "")
	for where, text := range map[string]string{"the journal file": sink.String(), "the admin API": listing} {
		if strings.Contains(text, "secret") || strings.Count(text, "=REDACTED") != 5 {
			t.Errorf("%s: %s", where, text)
		}
	}
}
